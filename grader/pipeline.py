"""The grading pipeline, as named stages in one place.

    load_course -> stage_submission -> plan -> run_checks -> score -> render

Each stage takes and returns plain objects; ``grade`` composes them. Nothing here imports
student code: ``run_checks`` talks to a runner (a sandboxed child process in real grading).
"""
from __future__ import annotations

import secrets
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .context import Context
from .errors import CheckFailed, HarnessError, StudentCodeStopped
from .i18n import Text, text, tr
from .manifest import Assignment, CheckSpec, Manifest, ModuleSpec, load_manifest, validate_against_registry
from .oracles import OracleUnavailable, case_seed
from .outcome import Outcome, reply_outcome, shows_hint
from .registry import CheckDef, all_checks
from .results import AssignmentResult, CheckResult, Results
from .runners import isolation
from .runners.base import Runner
from .runners.sandbox import SandboxRunner
from .staging.policy import BLOCKING, Finding
from .staging.submission import StagedSubmission, stage_submission
from .statuses import Status
from .text import strip_control

MANIFEST_NAME = "assignments.yaml"


# --------------------------------------------------------------------------- stage 1
@dataclass(frozen=True)
class Course:
    root: Path
    manifest: Manifest
    checks: dict[str, CheckDef]


def find_course_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding assignments.yaml, else the course this grader
    was installed from (``pip install -e .`` in the course or in a student bundle), so that a notebook
    opened anywhere finds its course."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / MANIFEST_NAME).is_file():
            return folder
    installed = Path(__file__).resolve().parent.parent
    if (installed / MANIFEST_NAME).is_file():
        return installed
    raise HarnessError(tr("no_course", manifest=MANIFEST_NAME, start=start))


def warm_judge() -> None:
    """Import what the judge's oracles use, once per process, while the sandbox's template imports
    the same in its own process: a check never pays for an import on the critical path. Without
    torch (a student's light install: its visible checks use recorded oracles) there is nothing to warm."""
    try:
        import torch
        import torch.nn.functional  # noqa: F401
    except ImportError:
        return

    torch.set_num_threads(1)  # two cores: one for the judge, one for the child


def load_course(root: Path) -> Course:
    manifest = load_manifest(root / MANIFEST_NAME)
    checks = all_checks()
    validate_against_registry(manifest, {i: d.where for i, d in checks.items()})
    return Course(root, manifest, checks)


# --------------------------------------------------------------------------- stage 2
# stage_submission: staging/submission.py (folders, notebooks, near-miss names, the source scan)


# --------------------------------------------------------------------------- stage 3
@dataclass(frozen=True)
class PlannedModule:
    assignment: Assignment
    module: ModuleSpec
    checks: tuple[CheckSpec, ...]


def plan(manifest: Manifest, assignment_ids: list[str] | None, visible_only: bool,
         modules: list[str] | None = None) -> list[PlannedModule]:
    planned = []
    for a in manifest.select(assignment_ids):
        for m in a.modules:
            if modules and m.name not in modules:
                continue
            checks = tuple(c for c in m.checks if c.visibility == "visible" or not visible_only)
            if checks:
                planned.append(PlannedModule(a, m, checks))
    return planned


# --------------------------------------------------------------------------- stage 4
ProgressFn = Callable[[CheckResult], None]


def run_checks(course: Course, planned: Iterable[PlannedModule], staged: StagedSubmission,
               runner: Runner, seed: int, progress: ProgressFn | None = None) -> list[CheckResult]:
    results: list[CheckResult] = []
    budget = course.manifest.student_budget
    started = time.monotonic()
    for pm in planned:
        over = time.monotonic() - started > budget
        spent = Outcome(Status.TIMEOUT, tr("budget_spent", seconds=f"{budget:g}"))
        blocked = spent if over else _load_module(pm, staged, runner)
        if blocked is not None and blocked.status in (Status.ERROR, Status.TIMEOUT) and not over:
            staged.load_errors[pm.module.name] = text(blocked.message)
        for spec in pm.checks:
            hint = course.checks[spec.id].hint_text
            missing = staged.missing_functions.get(f"{spec.module}.{spec.function}")
            if blocked is None and time.monotonic() - started > budget:
                blocked = spent
            if blocked is not None:
                result = _result(spec, blocked.status, blocked.message, hint)
            elif missing:
                result = _result(spec, Status.NOT_ATTEMPTED, missing, hint)
            else:
                findings = staged.findings.get(spec.module, ())
                result = _with_policy(run_one(course.checks[spec.id], spec, runner, seed, findings), findings)
            results.append(result)
            if progress:
                progress(result)
    return results


def _with_policy(result: CheckResult, findings: tuple[Finding, ...]) -> CheckResult:
    """No point for a function whose source reaches torch (a numpy exercise) or that tampers with
    the grader. The check still ran (the sandbox met whatever the code did); its own message stays,
    after the reason it gives nothing."""
    blocking = [f for f in findings if f.kind in BLOCKING and f.function in ("", result.function)]
    if not blocking:
        return result
    f = min(blocking, key=lambda f: (f.kind != "tampering", f.line))
    reason = (tr("policy_tampering", module=f.module, line=f.line, what=strip_control(f.what)) if f.kind == "tampering"
              else tr("policy_torch", module=f.module, line=f.line, function=result.function))
    if result.status == Status.PASSED:
        result.status = Status.FAILED
    result.score = 0.0
    result.message = "\n".join(filter(None, [reason.en, result.message]))
    result.message_zh = "\n".join(filter(None, [reason.zh, result.message_zh]))
    return result


def _load_module(pm: PlannedModule, staged: StagedSubmission, runner: Runner) -> Outcome | None:
    """The outcome of every check of a module that cannot be loaded, else None."""
    name = pm.module.name
    if name not in staged.present:
        return Outcome(Status.NOT_ATTEMPTED, tr("module_missing", module=name))
    return reply_outcome(runner.load(name, pm.module.import_timeout), name, None, pm.module.import_timeout)


def run_one(definition: CheckDef, spec: CheckSpec, runner: Runner, seed: int,
            findings: tuple[Finding, ...] = ()) -> CheckResult:
    ctx = Context(spec, runner, case_seed(seed), findings)
    started = time.perf_counter()
    instructor_note = ""
    status: Status
    message: str | Text
    try:
        definition.func(ctx)
        status, message = Status.PASSED, ""
    except CheckFailed as exc:
        status, message = Status.FAILED, exc.text
    except StudentCodeStopped as exc:
        status, message = exc.status, exc.text
    except OracleUnavailable as exc:  # a student bundle without the recorded case: not the student's fault
        status, message = Status.INTERNAL_ERROR, exc.text
    except Exception as exc:  # a bug in the check itself: never the student's fault
        # The student sees the kind of fault only: no judge path, no line of a (hidden) check.
        status = Status.INTERNAL_ERROR
        message = tr("internal_error_message", details=type(exc).__name__)
        instructor_note = f"{spec.id}\n{traceback.format_exc()}"
    result = _result(spec, status, message, definition.hint_text)
    result.output = "".join(ctx.output)
    result.duration_s = round(time.perf_counter() - started, 4)
    result.instructor_note = instructor_note
    return result


def _result(spec: CheckSpec, status: Status, message: str | Text, hint: str | Text) -> CheckResult:
    """The check's result; ``hint`` is the check's, shown only where outcome.shows_hint says so."""
    # Messages quote the student's values, names and exception text: no escape sequences in results.json.
    message, hint = text(message), text(hint if shows_hint(status) else "")
    return CheckResult(
        id=spec.id, assignment=spec.assignment, module=spec.module, function=spec.function,
        visibility=spec.visibility, status=status,
        score=spec.points if status == Status.PASSED else 0.0, max_score=spec.points,
        message=strip_control(message.en), hint=hint.en,
        message_zh=strip_control(message.zh), hint_zh=hint.zh)


# --------------------------------------------------------------------------- stage 5
def score(manifest: Manifest, assignment_ids: list[str] | None, checks: list[CheckResult],
          submission: str, seed: int, staged: StagedSubmission | None = None,
          layers: dict[str, Any] | None = None) -> Results:
    assignments = []
    for a in manifest.select(assignment_ids):
        mine = [c for c in checks if c.assignment == a.id]
        if mine:
            assignments.append(AssignmentResult(
                a.id, a.title_en, a.title_zh,
                round(sum(c.score for c in mine), 6), round(sum(c.max_score for c in mine), 6)))
    staging = {}
    if staged is not None:
        staging = {"modules": sorted(staged.present), "dropped": [text(d).en for d in staged.dropped],
                   "dropped_zh": [text(d).zh for d in staged.dropped], "notes": staged.notes,
                   "near_misses": staged.near_misses,
                   "load_errors": [{"module": m, "message": strip_control(t.en), "message_zh": strip_control(t.zh)}
                                   for m, t in staged.load_errors.items()]}
    return Results(submission=submission, seed=seed, assignments=assignments, checks=checks,
                   staging=staging, sandbox=dict(layers or {}), grader_version=__version__)


def hidden_paths(course: Course, extra: Iterable[Path] = ()) -> tuple[Path, ...]:
    """What the child must not see: solutions, check code, tests, examples, other students.

    Every child checks from inside that it cannot read any of these (isolation.verify). In the
    namespaces mode its root is an allowlist, so they matter only where they lie inside something
    it binds, such as a non-editable install of the checks in site-packages, which is covered.
    """
    root = course.root
    return (root, root / "reference", root / "grader", root / "tests", root / "examples", root / "bench",
            root / ".git", root / MANIFEST_NAME, Path(__file__).resolve().parent, *extra)


def hidden_paths_of_package() -> tuple[Path, ...]:
    """What the child must not see before any course is known: the grader package itself."""
    return (Path(__file__).resolve().parent,)


# --------------------------------------------------------------------------- composed
def new_seed() -> int:
    return secrets.randbelow(2**31)


def grade(course: Course, submission: Path, *, assignment_ids: list[str] | None = None,
          seed: int | None = None, visible_only: bool = False,
          runner_factory: Callable[[Path], Runner] | None = None,
          progress: ProgressFn | None = None, label: str | None = None,
          modules: list[str] | None = None, hidden: Iterable[Path] = (), unsandboxed: bool = False) -> Results:
    seed = new_seed() if seed is None else seed
    if runner_factory is None:
        isolation.detect(unsandboxed)  # no sandbox here: refuse before anything is staged
    label = label or Path(submission).name
    planned = plan(course.manifest, assignment_ids, visible_only, modules)
    staged: StagedSubmission | None = None
    try:
        staged = stage_submission(submission, course.manifest)
        if runner_factory is None:
            runner: Runner = SandboxRunner(staged.folder, hidden=hidden_paths(course, hidden),
                                           unsandboxed=unsandboxed)
        else:
            runner = runner_factory(staged.folder)
        try:
            checks = run_checks(course, planned, staged, runner, seed, progress)
            layers = getattr(runner, "layers", None)  # observed in a child, so before the runner closes
        finally:
            runner.close()
    except HarnessError:
        raise  # a submission that cannot be graded, or a machine that cannot sandbox: said as such
    except Exception:  # the judge failed on this submission: its results say so, nothing is lost
        checks = [_failed_grading(spec, traceback.format_exc()) for pm in planned for spec in pm.checks]
        layers = None
    finally:
        if staged is not None:
            staged.cleanup()
    return score(course.manifest, assignment_ids, checks, label, seed, staged, layers)


def _failed_grading(spec: CheckSpec, trace: str) -> CheckResult:
    result = _result(spec, Status.INTERNAL_ERROR, tr("grading_failed"), "")
    result.instructor_note = f"{spec.id}: the grading of this submission failed\n{trace}"
    return result
