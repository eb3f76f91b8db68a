"""The mutants report (docs/mutants.md) and the terminal summary lines."""
from __future__ import annotations

from .allowlist import ALLOWLIST_NAME
from .operators import OPERATORS
from .run import ModuleResult


def render_report(results: list[ModuleResult], *, seed: int, min_kill: float, seconds: float) -> str:
    from ...report import environment

    modules = []
    for r in results:
        modules.append({"name": r.module, "total": r.total(), "rows": r.rows(), "survivors": [
            {"m": m, "o": r.outcomes[m.id]} for m in r.survivors()],
            "equivalents": [{"m": m, "reason": r.equivalent[m.id].reason} for m in r.mutants if m.id in r.equivalent],
            "killed_equivalents": r.killed_equivalents(), "internal_errors": r.internal_errors(),
            "seconds": r.seconds, "baseline": r.baseline.seconds})
    return environment().get_template("mutants.md.j2").render(
        modules=modules, seed=seed, min_kill=min_kill, seconds=seconds, operators=OPERATORS,
        allowlist=ALLOWLIST_NAME)


def summary_lines(results: list[ModuleResult], min_kill: float) -> list[str]:
    lines = []
    for r in results:
        t = r.total()
        flag = "" if t["rate"] >= min_kill else f"   UNDER {min_kill:g}%"
        lines.append(f"{r.module:<20} {t['generated']:>4} mutants {t['equivalent']:>3} equivalent "
                     f"{t['killed']:>4} killed {t['survived']:>3} survived  {t['rate']:5.1f}%{flag}")
    return lines
