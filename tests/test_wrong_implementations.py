"""Every check can fail: each wrong implementation in the ``WRONG`` table of tests/test_<module>.py
loses points, and every contract function of every module has at least one.

``WRONG`` is ``{function: {flaw: source}}``: ``source`` is appended to the reference module, so that
its ``def`` (or ``class``) replaces that one function while the rest of the module stays correct.
Two optional tables next to it say more than "caught":

- ``CAUGHT_BY = {function: {flaw: check id}}``: the check that must fail for that flaw (the one the
  flaw is meant for, e.g. the contract's clarification with its own check);
- ``ONE_CHECK_ONLY = {function, ...}``: functions whose checks are too costly to all run for every
  flaw (cnn.build_alexnet builds a 61M-parameter model per check): only the ``CAUGHT_BY`` check runs.

Each flaw is graded like ``dlgrade`` grades a submission (staging, the source scan's policy, the
in-process runner), with only the checks of the wrong function: the module's other functions are
the reference's, and their checks say nothing about the flaw.
"""
from __future__ import annotations

import dataclasses
import importlib
import warnings
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from grader.runners.inprocess import InProcessRunner
from grader.pipeline import plan, run_checks, stage_submission
from grader.results import CheckResult
from helpers import SEED, course, submission_with
from test_i18n import english_sentences

# The course's modules, in the order of assignments.yaml: each has a tests/test_<module>.py.
MODULES = [m.name for _, m in course().manifest.modules]


def table_module(module: str) -> ModuleType:
    return importlib.import_module(f"test_{module}")


def wrong_implementations() -> list[tuple[str, str, str]]:
    """(module, function, flaw) of every wrong implementation, for parametrize."""
    return [(module, function, flaw) for module in MODULES
            for function, flaws in table_module(module).WRONG.items() for flaw in flaws]


def must_fail(module: str, function: str, flaw: str) -> str | None:
    return getattr(table_module(module), "CAUGHT_BY", {}).get(function, {}).get(flaw)


def grade_function(folder: Path, module: str, function: str, only: str | None = None) -> list[CheckResult]:
    """The checks of ``module.function`` (or the ``only`` check) on this submission, as ``grade`` runs them."""
    c = course()
    (planned,) = plan(c.manifest, None, False, [module])
    checks = tuple(s for s in planned.checks if s.function == function and only in (None, s.id))
    staged = stage_submission(folder, c.manifest)
    try:
        runner = InProcessRunner(staged.folder)
        try:
            results = run_checks(c, [dataclasses.replace(planned, checks=checks)], staged, runner, SEED)
        finally:
            runner.close()
        # A typo in the wrong implementation must not pass for "caught": the module has to import.
        assert not staged.load_errors, staged.load_errors[module].en
    finally:
        staged.cleanup()
    return results


@pytest.fixture(autouse=True)
def _restore_global_warning_state():
    # The in-process runner imports submissions into this process: undo a submission's np.seterr or
    # warnings.simplefilter (activations' wrong sigmoids do both) so that it cannot leak into other tests.
    with np.errstate(**np.geterr()), warnings.catch_warnings():
        yield


@pytest.mark.parametrize("module,function,flaw", wrong_implementations())
def test_wrong_implementation_is_caught(tmp_path, module, function, flaw):
    source = table_module(module).WRONG[function][flaw]
    wanted = must_fail(module, function, flaw)
    only = wanted if function in getattr(table_module(module), "ONE_CHECK_ONLY", ()) else None
    results = grade_function(submission_with(tmp_path / "sub", module, source), module, function, only)
    assert results, f"no checks of {module}.{function} ran"
    lost = {r.id: r.status for r in results if r.status != "passed"}
    assert lost, f"every check of {module}.{function} passed a wrong implementation"
    # Failed or error (the student's exception), never an internal error (a bug in a check).
    assert all(s in ("failed", "error") for s in lost.values()), {r.id: r.message for r in results
                                                                   if r.id in lost}
    # What the student reads in Chinese is Chinese: the check's words on every real failure path.
    english = [(r.id, run) for r in results if r.id in lost
               for run in english_sentences(r.message_zh + "\n" + r.hint_zh)]
    assert not english, english
    if wanted is not None:
        assert lost.get(wanted) == "failed", next((r.message for r in results if r.id == wanted), "did not run")


@pytest.mark.parametrize("module", MODULES)
def test_every_contract_function_has_a_wrong_implementation(module):
    _, spec = course().manifest.module(module)
    table = table_module(module).WRONG
    assert set(table) == set(spec.functions), (f"test_{module}.WRONG: functions without a wrong implementation "
                                               f"{sorted(set(spec.functions) - set(table))}, not contract "
                                               f"functions {sorted(set(table) - set(spec.functions))}")
    for function, flaws in table.items():
        assert isinstance(flaws, dict) and flaws, f"test_{module}.WRONG[{function!r}] is not {{flaw: source}}"
        assert all(isinstance(source, str) and source.strip() for source in flaws.values()), function


@pytest.mark.parametrize("module", MODULES)
def test_the_named_catchers_exist(module):
    """A typo in CAUGHT_BY or ONE_CHECK_ONLY would quietly weaken the test above."""
    tests, (_, spec) = table_module(module), course().manifest.module(module)
    ids = {(s.function, s.id) for s in spec.checks}
    for function, flaws in getattr(tests, "CAUGHT_BY", {}).items():
        for flaw, check_id in flaws.items():
            assert flaw in tests.WRONG.get(function, {}), f"test_{module}.CAUGHT_BY: no flaw {function} [{flaw}]"
            assert (function, check_id) in ids, f"test_{module}.CAUGHT_BY: {check_id} is no check of {function}"
    for function in getattr(tests, "ONE_CHECK_ONLY", ()):
        assert set(tests.WRONG[function]) <= set(tests.CAUGHT_BY.get(function, {})), (
            f"test_{module}: every flaw of {function} (ONE_CHECK_ONLY) needs its CAUGHT_BY check")
