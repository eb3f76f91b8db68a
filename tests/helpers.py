"""Shared test helpers: build submissions from the reference plus deliberate mistakes, grade them."""
from __future__ import annotations

import textwrap
from functools import lru_cache
from pathlib import Path

from grader.runners.inprocess import InProcessRunner
from grader.pipeline import Course, grade, load_course
from grader.results import Results

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261128


@lru_cache(maxsize=1)
def course() -> Course:
    return load_course(ROOT)


def submission_with(folder: Path, module: str, override: str = "") -> Path:
    """A submission folder holding the reference ``module`` with ``override`` appended.

    A later ``def`` rebinds the name, so ``override`` replaces one function by a wrong version
    while the rest of the module stays correct.
    """
    folder.mkdir(parents=True, exist_ok=True)
    source = (ROOT / "reference" / f"{module}.py").read_text(encoding="utf-8")
    (folder / f"{module}.py").write_text(source + "\n\n" + textwrap.dedent(override), encoding="utf-8")
    return folder


def grade_inprocess(folder: Path, modules: list[str], seed: int = SEED) -> Results:
    """Grade trusted test code quickly (no child process): for unit tests of checks only."""
    return grade(course(), folder, seed=seed, runner_factory=InProcessRunner, modules=modules)


def statuses(results: Results, function: str | None = None) -> dict[str, str]:
    return {c.id: c.status for c in results.checks if function is None or c.function == function}


def assert_caught(tmp_path: Path, module: str, function: str, override: str) -> Results:
    """The wrong implementation loses points on at least one check of ``function``."""
    results = grade_inprocess(submission_with(tmp_path / "sub", module, override), [module])
    mine = statuses(results, function)
    assert mine, f"no checks of {module}.{function} ran"
    # A typo in the wrong implementation must not pass for "caught": the module has to import.
    assert not any("could not be imported" in c.message for c in results.checks), results.checks[0].message
    lost = {i: s for i, s in mine.items() if s != "passed"}
    assert lost, f"every check of {module}.{function} passed a wrong implementation"
    assert all(s in ("failed", "error") for s in lost.values()), lost
    return results
