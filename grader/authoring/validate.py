"""``dlgrade validate``: the instructor's self-test of the course.

The reference scores full marks on every check, the stubs score zero with every check
``not_attempted``, and every contract function of every module has at least one check.
"""
from __future__ import annotations

from collections.abc import Callable

from ..pipeline import Course, grade
from ..statuses import Status


def validate_course(course: Course, seed: int, report: Callable[[str], None] = print) -> list[str]:
    problems: list[str] = []
    manifest = course.manifest
    for _, module in manifest.modules:
        checked = {c.function for c in module.checks}
        for function in module.functions:
            if function not in checked:
                problems.append(f"{module.name}.{function} has no check in {manifest.path}")

    reference = grade(course, course.root / "reference", seed=seed, label="reference")
    report(f"reference: {reference.score:g} / {reference.max_score:g} (seed {seed})")
    for c in reference.checks:
        if c.status != Status.PASSED:
            problems.append(f"reference fails {c.id} ({c.status}): {c.message.splitlines()[0] if c.message else ''}")

    stubs = grade(course, course.root / "exercises", seed=seed, label="exercises")
    report(f"exercises (stubs): {stubs.score:g} / {stubs.max_score:g}")
    for c in stubs.checks:
        if c.status != Status.NOT_ATTEMPTED:
            problems.append(f"stub gives {c.status} on {c.id}, expected not_attempted")
    return problems
