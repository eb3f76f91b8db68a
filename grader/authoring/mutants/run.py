"""``run_mutants``: per module, grade the unchanged reference once (recording which code each check
runs), then every mutant with the checks that run its code, and tally what was killed."""
from __future__ import annotations

import ast
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ...statuses import Status
from .allowlist import Equivalent
from .operators import Mutant, Unit
from .pool import Pool
from .splicing import generate, module_units

DEFAULT_SEED = 1
DEFAULT_MIN_KILL = 95.0


@dataclass
class Outcome:
    mutant: Mutant
    killed: bool
    by: str = ""              # the check that killed it (or "import", "timeout", "crash")
    status: str = ""          # that check's status (statuses.Status), or the reply's for "import"
    message: str = ""
    checks_run: int = 0
    seconds: float = 0.0


@dataclass
class Baseline:
    module: str
    seconds: float
    durations: dict[str, float]          # check id -> seconds
    ran: dict[str, set[str]]             # check id -> units whose code it executed
    problems: list[str]                  # checks the unchanged reference does not pass


@dataclass
class ModuleResult:
    module: str
    mutants: list[Mutant]
    outcomes: dict[str, Outcome]
    equivalent: dict[str, Equivalent]
    units: list[Unit]
    baseline: Baseline
    seconds: float = 0.0

    def rows(self) -> list[dict]:
        rows = []
        for unit in self.units:
            mine = [m for m in self.mutants if m.unit == unit.name]
            rows.append(_tally(unit.name, unit.kind, unit.owners, mine, self.outcomes, self.equivalent))
        return rows

    def total(self) -> dict:
        return _tally(self.module, "module", (), self.mutants, self.outcomes, self.equivalent)

    def survivors(self) -> list[Mutant]:
        return [m for m in self.mutants if not self.outcomes[m.id].killed and m.id not in self.equivalent]

    def killed_equivalents(self) -> list[tuple[Mutant, Outcome]]:
        """Mutants marked equivalent that a check rejects: the mark or the check is wrong."""
        return [(m, self.outcomes[m.id]) for m in self.mutants
                if m.id in self.equivalent and self.outcomes[m.id].killed]

    def internal_errors(self) -> list[Outcome]:
        return [o for o in self.outcomes.values() if o.status == Status.INTERNAL_ERROR]


def _tally(name: str, kind: str, owners: tuple[str, ...], mutants: list[Mutant], outcomes: dict[str, Outcome],
           equivalent: dict[str, Equivalent]) -> dict:
    eq = [m for m in mutants if m.id in equivalent]
    rest = [m for m in mutants if m.id not in equivalent]
    killed = sum(1 for m in rest if outcomes[m.id].killed)
    timeouts = sum(1 for m in rest if outcomes[m.id].status == Status.TIMEOUT)
    survived = len(rest) - killed
    rate = 100.0 * killed / len(rest) if rest else 100.0
    return {"name": name, "kind": kind, "owners": owners, "generated": len(mutants), "equivalent": len(eq),
            "killed": killed, "survived": survived, "timeouts": timeouts, "rate": rate}


def _baseline(pool: Pool, module: str, source: str, check_ids: list[str]) -> Baseline:
    answers: list[dict | None] = [None]

    def done(index: int, answer: dict | None, seconds: float) -> None:
        answers[0] = answer

    pool.run([{"module": module, "source": source, "checks": check_ids, "stop_early": False, "trace": True}],
             600.0, done)
    answer = answers[0]
    if answer is None or answer.get("crash"):
        from ...errors import HarnessError

        raise HarnessError(f"{module}: grading the unchanged reference timed out or crashed")
    problems = [f"{cid}: {status}: {message}" for cid, status, message, _ in answer["results"]
                if status != Status.PASSED]
    return Baseline(module, answer["seconds"], {r[0]: r[3] for r in answer["results"]},
                    {cid: set(units) for cid, units in answer["ran"].items()}, problems)


def relevant_checks(mutant: Mutant, unit: Unit, units: list[Unit], baseline: Baseline,
                     functions: dict[str, str]) -> list[str]:
    """The checks that execute the mutated code, the mutant's own function's checks first.

    Its own function's checks always count: checks that share one answer of the student's code
    (``ctx.drive(..., shared=True)``: every AlexNet check reads one build) execute it only in the
    first of them, but each of them judges it."""
    triggers = {unit.name}
    if unit.kind == "constant":  # read by the units that name it
        triggers |= {u.name for u in units if unit.name in {n.id for n in ast.walk(u.node) if isinstance(n, ast.Name)}}
    ids = [cid for cid, ran in baseline.ran.items() if ran & triggers or functions[cid] in mutant.owners]
    return sorted(ids, key=lambda cid: (functions[cid] not in mutant.owners, baseline.durations.get(cid, 0.0), cid))


def run_mutants(root: Path, modules: Iterable[str], *, seed: int = DEFAULT_SEED, workers: int = 2,
                allowlist: dict[str, Equivalent] | None = None,
                progress: Callable[[str], None] = print) -> list[ModuleResult]:
    """Generate and grade the mutants of each module; progress lines go to ``progress``."""
    from ...errors import HarnessError
    from ...pipeline import load_course

    course = load_course(root)
    allowlist = allowlist or {}
    pool = Pool(root, seed, workers)
    results = []
    try:
        for module in modules:
            _, spec = course.manifest.module(module)
            check_ids = [c.id for c in spec.checks]
            functions = {c.id: c.function for c in spec.checks}
            text = (root / "reference" / f"{module}.py").read_text(encoding="utf-8")
            units = {u.name: u for u in module_units(root, module)}
            mutants = generate(module, text)
            started = time.monotonic()
            baseline = _baseline(pool, module, text, check_ids)
            if baseline.problems:
                raise HarnessError(f"{module}: the unchanged reference does not pass its checks with seed {seed}:\n  "
                                   + "\n  ".join(baseline.problems))
            # Twice the unchanged module's grading time (measured with the profiler on, so generous),
            # plus 10 s of slack for a busy machine: a false timeout would count as a kill.
            budget = 2 * baseline.seconds + 10
            progress(f"{module}: {len(mutants)} mutants, {len(check_ids)} checks, reference graded in "
                     f"{baseline.seconds:.1f} s (budget {budget:.0f} s per mutant)")
            outcomes: dict[str, Outcome] = {}
            tasks, waiting = [], []
            for m in mutants:
                checks = relevant_checks(m, units[m.unit], list(units.values()), baseline, functions)
                if not checks:
                    outcomes[m.id] = Outcome(m, False, message="no check executes this code")
                    continue
                tasks.append({"module": module, "source": m.source, "checks": checks, "stop_early": True,
                              "trace": False})
                waiting.append(m)
            _grade(pool, module, tasks, waiting, outcomes, budget, started, progress)
            result = ModuleResult(module, mutants, outcomes, {k: v for k, v in allowlist.items()
                                                              if k.startswith(module + ".")},
                                  list(units.values()), baseline, time.monotonic() - started)
            total = result.total()
            progress(f"{module}: {total['killed']}/{total['generated'] - total['equivalent']} non-equivalent "
                     f"mutants killed ({total['rate']:.1f}%), {total['equivalent']} equivalent, "
                     f"{result.seconds:.0f} s")
            results.append(result)
    finally:
        pool.close()
    return results


def _grade(pool: Pool, module: str, tasks: list[dict], waiting: list[Mutant], outcomes: dict[str, Outcome],
           budget: float, started: float, progress: Callable[[str], None]) -> None:
    """Grade ``tasks`` (one per mutant in ``waiting``) into ``outcomes``, with a progress line every 10 s."""
    counter = {"done": 0, "last": time.monotonic()}

    def done(index: int, answer: dict | None, seconds: float) -> None:
        m = waiting[index]
        outcomes[m.id] = outcome_of(m, answer, seconds)
        counter["done"] += 1
        now = time.monotonic()
        if counter["done"] == len(tasks) or now - counter["last"] > 10:
            counter["last"] = now
            killed = sum(o.killed for o in outcomes.values())
            progress(f"  {module}: {counter['done']}/{len(tasks)} graded, {killed} killed, "
                     f"{len(outcomes) - killed} survived ({now - started:.0f} s)")

    pool.run(tasks, budget, done)


def outcome_of(m: Mutant, answer: dict | None, seconds: float) -> Outcome:
    if answer is None:
        return Outcome(m, True, "timeout", Status.TIMEOUT, "the mutant ran past its budget", seconds=seconds)
    if answer.get("crash"):
        return Outcome(m, True, "crash", Status.ERROR, "the worker process died", seconds=seconds)
    results = answer["results"]
    for cid, status, message, _ in results:
        if status != Status.PASSED:
            return Outcome(m, True, cid, status, message, len(results), seconds)
    return Outcome(m, False, checks_run=len(results), seconds=seconds)
