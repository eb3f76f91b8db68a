"""dlgrade mutants: generation, grading of a small module, the equivalent-mutants allowlist."""
from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

from grader.authoring import mutants
from grader.authoring.mutants.pool import Pool
from grader.authoring.mutants.run import outcome_of, relevant_checks
from helpers import ROOT, course

SAMPLE = '''
"""A sample module: one line per operator kind."""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

_SCALE = 3


def _helper(x):
    return x * _SCALE


def public(x, n):
    """The docstring: never mutated, nor the annotation below."""
    y: np.ndarray = x + 1
    if n >= 2 and not n == 5:
        y = -y
    total = np.sum(y[1:n], axis=0, keepdims=True)
    total += x[n]
    return _helper(total) / 0.5


class Thing:
    def value(self, a):
        return max(a, 0) - 2


def scaled(x, lr: float, k: int, h=1e-5):
    return x * h * lr * k


class Net(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm = nn.LayerNorm(d, eps=1e-6)
        self.body = nn.Sequential(nn.Linear(d, d), nn.ReLU())

    def forward(self, x):
        return F.relu(self.norm(x))


def build(d):
    layers = [nn.Linear(d, d), nn.ReLU()]
    layers.append(nn.Dropout(0.5))
    return nn.Sequential(*layers)
'''


def test_generation_is_deterministic_and_covers_every_operator():
    first = mutants.generate("sample", SAMPLE)
    second = mutants.generate("sample", SAMPLE)
    assert [(m.id, m.source) for m in first] == [(m.id, m.source) for m in second]
    assert len({m.id for m in first}) == len(first)
    assert set(Counter(m.operator for m in first)) == set(mutants.OPERATORS)
    for m in first:
        assert m.source != SAMPLE
        compile(m.source, m.id, "exec")
        assert ast.get_docstring(next(n for n in ast.parse(m.source).body if isinstance(n, ast.FunctionDef)
                                      and n.name == "public")) == ast.get_docstring(
            next(n for n in ast.parse(SAMPLE).body if isinstance(n, ast.FunctionDef) and n.name == "public"))
    # the annotation and the signature are never touched
    assert all("y: np.ndarray =" in m.source and "def public(x, n):" in m.source for m in first)


def test_mutants_name_their_function_and_helpers_name_their_users():
    by_unit = {m.unit: m for m in mutants.generate("sample", SAMPLE)}
    assert by_unit["_helper"].owners == ("public",)
    assert by_unit["_SCALE"].owners == ("public",)
    assert by_unit["Thing.value"].owners == ("Thing",)
    some = next(m for m in mutants.generate("sample", SAMPLE) if m.operator == "axis" and "keepdims=False" in m.after)
    assert some.id.startswith("sample.public:") and "keepdims=False" in some.after
    assert "keepdims=True" in some.before


def test_operators_produce_the_classic_bugs():
    afters = {m.after for m in mutants.generate("sample", SAMPLE)}
    for expected in ("y: np.ndarray = x - 1", "if n > 2 and not n == 5:", "if n >= 2 or not n == 5:", "y = y",
                     "total = np.mean(y[1:n], axis=0, keepdims=True)", "total = np.sum(y[2:n], axis=0, keepdims=True)",
                     "total = np.sum(y[1:n - 1], axis=0, keepdims=True)",
                     "total = np.sum(y[1:n], axis=1, keepdims=True)", "total += x[n + 1]", "pass",
                     "return max(a, 0) - 1", "return min(a, 0) - 2", "return x", "_SCALE = 4",
                     "return _helper(total) * 0.5", "return _helper(total) / 1.0",
                     # an argument ignored: a parameter replaced by its default or a constant, a keyword dropped
                     "h = 1e-05\nreturn x * h * lr * k", "lr = 1.0\nreturn x * h * lr * k",
                     "total = np.sum(y[1:n], keepdims=True)", "self.norm = nn.LayerNorm(d)",
                     # a layer left out, dropout added, a returned module switched to eval()
                     "self.body = nn.Sequential(nn.ReLU())", "layers = [nn.Linear(d, d)]", "return F.relu(x)",
                     "return self.norm(x)",
                     "return F.relu(torch.nn.functional.dropout(self.norm(x), 0.1, self.training))",
                     "self.body = nn.Sequential(nn.Linear(d, d), nn.Dropout(0.1), nn.ReLU())"):
        assert expected in afters, expected
    assert any(m.operator == "layer" and m.after == "pass" for m in mutants.generate("sample", SAMPLE))
    # a scalar parameter without a default gets a constant of its annotated type; self and x (no
    # default, no scalar annotation) are never replaced
    assert "k = 1\nreturn x * h * lr * k" in afters and not any(a.startswith(("self = ", "x = ")) for a in afters)


@pytest.fixture(scope="module")
def shipped() -> dict[str, list[mutants.Mutant]]:
    return {module.name: mutants.generate_module(ROOT, module.name) for _, module in course().manifest.modules}


def test_every_shipped_module_generates_mutants(shipped):
    for name, found in shipped.items():
        assert found, name
        assert len({m.id for m in found}) == len(found)


def test_allowlist_loads_and_every_entry_still_exists(shipped):
    allowlist = mutants.load_allowlist(ROOT / mutants.ALLOWLIST_NAME)
    assert allowlist
    known = {m.id for found in shipped.values() for m in found}
    stale = sorted(set(allowlist) - known)
    assert not stale, f"entries of {mutants.ALLOWLIST_NAME} that match no mutant (the reference changed?): {stale}"
    assert all(len(e.reason) > 20 for e in allowlist.values())


def test_allowlist_rejects_entries_without_a_reason(tmp_path: Path):
    path = tmp_path / "eq.yaml"
    path.write_text("- {id: mlp.x:1:const:0, reason: ''}\n", encoding="utf-8")
    with pytest.raises(Exception, match="no reason"):
        mutants.load_allowlist(path)


def test_mlp_mutants_are_graded_killed_and_equivalent(tmp_path: Path):
    """A known-killed mutant is killed, a known-equivalent one is reported as equivalent."""
    allowlist = mutants.load_allowlist(ROOT / mutants.ALLOWLIST_NAME)
    lines: list[str] = []
    [result] = mutants.run_mutants(ROOT, ["mlp"], seed=1, workers=2, allowlist=allowlist, progress=lines.append)
    outcomes = result.outcomes
    dropped_relu_bias = "mlp.two_layer_forward:46:drop:0"  # max(X @ W, 0): the hidden bias dropped
    assert result.mutants and outcomes[dropped_relu_bias].killed
    assert outcomes[dropped_relu_bias].by.startswith("hw1.mlp.two_layer_forward.")
    equivalent = "mlp._sigmoid:23:compare:0"
    assert equivalent in result.equivalent and not outcomes[equivalent].killed
    assert equivalent not in {m.id for m in result.survivors()}
    total = result.total()
    assert total["equivalent"] >= 1 and total["killed"] + total["survived"] + total["equivalent"] == total["generated"]
    assert not result.killed_equivalents() and not result.internal_errors()
    report = mutants.render_report([result], seed=1, min_kill=95.0, seconds=1.0)
    assert "## mlp" in report and "`two_layer_forward`" in report and equivalent in report
    assert any(line.startswith("mlp:") for line in lines)


def test_a_mutant_that_never_returns_counts_as_killed_by_timeout():
    looping = mutants.Mutant(id="mlp.two_layer_forward:0:test:0", module="mlp", unit="two_layer_forward",
                             owners=("two_layer_forward",), line=0, operator="test", description="", before="",
                             after="", source=(ROOT / "reference" / "mlp.py").read_text(encoding="utf-8")
                             + "\n\ndef two_layer_forward(X, W, c, w, b):\n    while True:\n        pass\n")
    pool = Pool(ROOT, 1, 1)
    got: list = []
    try:
        pool.run([{"module": "mlp", "source": looping.source, "checks": ["hw1.mlp.two_layer_forward.random"],
                   "stop_early": True, "trace": False}], 2.0, lambda i, answer, s: got.append(answer))
        outcome = outcome_of(looping, got[0], 2.0)
        assert outcome.killed and outcome.status == "timeout"
        # the replacement worker grades the next mutant normally
        got.clear()
        pool.run([{"module": "mlp", "source": (ROOT / "reference" / "mlp.py").read_text(encoding="utf-8"),
                   "checks": ["hw1.mlp.two_layer_forward.random"], "stop_early": True, "trace": False}], 30.0,
                 lambda i, answer, s: got.append(answer))
        assert got[0]["results"][0][1] == "passed"
    finally:
        pool.close()


def test_a_mutant_is_graded_by_every_check_of_its_function():
    """Checks that share one answer of the student's code (every AlexNet check reads one build)
    execute it only in the first of them; the rest must still grade the mutant."""
    units = {u.name: u for u in mutants.module_units(ROOT, "cnn")}
    mutant = next(m for m in mutants.generate("cnn", (ROOT / "reference" / "cnn.py").read_text(encoding="utf-8"))
                  if m.unit == "build_alexnet")
    _, spec = course().manifest.module("cnn")
    alexnet = [c.id for c in spec.checks if c.function == "build_alexnet"]
    ran = {c.id: set() for c in spec.checks}
    ran[alexnet[0]] = {"build_alexnet"}  # what the profiler sees: only the first check runs the build
    baseline = mutants.Baseline("cnn", 1.0, {}, ran, [])
    functions = {c.id: c.function for c in spec.checks}
    assert sorted(relevant_checks(mutant, units["build_alexnet"], list(units.values()), baseline,
                                           functions)) == sorted(alexnet)
