"""What a student sees before hand-in: every contract function has a visible check, and the visible
checks alone catch every wrong implementation of tests/test_<module>.py (the common bug classes:
the formula, each argument, float32, inputs left unchanged, the lecture's conventions)."""
from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest

from grader.runners.inprocess import InProcessRunner
from grader.pipeline import run_one
from helpers import SEED, course, submission_with


def _modules() -> list[str]:
    return [m.name for _, m in course().manifest.modules]


def test_every_contract_function_has_a_visible_check():
    missing = [f"{m.name}.{f}" for _, m in course().manifest.modules for f in m.functions
               if not any(c.function == f and c.visibility == "visible" for c in m.checks)]
    assert not missing, f"contract functions with hidden checks only: {missing}"


def _wrong(module: str) -> list[tuple[str, str, str]]:
    table = importlib.import_module(f"test_{module}").WRONG
    if all(isinstance(v, str) for v in table.values()):  # one class per module (transformer)
        (function,) = course().manifest.module(module)[1].functions
        return [(function, flaw, source) for flaw, source in table.items()]
    return [(function, flaw, source) for function, flaws in table.items() for flaw, source in flaws.items()]


@pytest.mark.parametrize("module", _modules())
def test_visible_checks_catch_every_wrong_implementation(tmp_path, module):
    c = course()
    _, spec = c.manifest.module(module)
    missed = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # wrong sigmoids overflow on purpose
        for i, (function, flaw, source) in enumerate(_wrong(module)):
            if (module, function) == ("cnn", "build_alexnet"):
                continue  # 61M parameters per build: see the next test
            runner = InProcessRunner(submission_with(tmp_path / str(i), module, source))
            assert runner.load(module, 60).status == "ok", (function, flaw)
            visible = [s for s in spec.checks if s.function == function and s.visibility == "visible"]
            if all(run_one(c.checks[s.id], s, runner, SEED).status == "passed" for s in visible):
                missed.append(f"{function} [{flaw}]")
    assert not missed, f"{module}: wrong implementations that only hidden checks catch: {missed}"


def test_the_alexnet_flaws_are_caught_by_visible_checks():
    """tests/test_cnn.py grades each wrong AlexNet with the one check meant to catch it: that check is visible."""
    from test_cnn import CATCHER, WRONG

    _, spec = course().manifest.module("cnn")
    visibility = {s.id: s.visibility for s in spec.checks}
    assert set(WRONG["build_alexnet"]) <= set(CATCHER)
    assert all(visibility[CATCHER[flaw]] == "visible" for flaw in WRONG["build_alexnet"])
