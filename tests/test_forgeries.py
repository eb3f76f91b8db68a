"""Forged drivers gain nothing: the checks decide from what the student's code computed.

Every driver (grader/child/drivers) runs inside the student's process, so a submission can replace
it. Each test here grades a submission whose module is the exercise stub (nothing implemented, or
answers of the right structure that compute nothing) plus a plausible forgery of its driver:
correct-looking shapes and zeros, the expected call counts, "x unchanged", a trusted-looking GAN
step, a description of the contract's layer, exact gradients the driver knows. Each gains 0 points
on its function.

The judge's source scan (grader/staging/policy.py) would also flag this code as tampering; these tests
grade without it (``findings`` empty), to show that the checks themselves do not trust a driver.
"""
from __future__ import annotations

import importlib
import textwrap
from pathlib import Path

import pytest

import trivial
from grader.runners.inprocess import InProcessRunner
from grader.pipeline import hidden_paths, plan, run_checks, stage_submission
from grader.staging.policy import Finding
from grader.runners.sandbox import SandboxRunner
from helpers import ROOT, SEED, course, submission_with

DRIVERS = ("activations", "autograd", "cnn", "generative", "gradcheck", "transformer")

# Finds a driver module from student code, in the sandbox's child (dlgrade_child) and in process.
FIND_DRIVER = """

import importlib as _importlib


def _driver(name):
    for package in ("dlgrade_child", "grader.child"):
        try:
            return _importlib.import_module(f"{package}.drivers.{name}")
        except ImportError:
            continue
    raise ImportError(name)
"""


def forged(module: str, forgery: str, stubbed: str | None = None) -> str:
    """The exercise stub of ``module`` (or the reference with ``stubbed`` made trivial) plus a forgery."""
    if stubbed is None:
        source = (ROOT / "exercises" / f"{module}.py").read_text(encoding="utf-8")
    else:
        functions = list(course().manifest.module(module)[1].functions)
        source = trivial.trivial_source(ROOT, module, [stubbed] if stubbed in functions else functions, "zeros")
    return source + FIND_DRIVER + textwrap.dedent(forgery)


@pytest.fixture(autouse=True)
def drivers_restored():
    """In process, a forgery patches the judge's own driver modules: put them back after each test."""
    modules = [importlib.import_module(f"grader.child.drivers.{name}") for name in DRIVERS]
    saved = [dict(vars(m)) for m in modules]
    yield
    for m, before in zip(modules, saved):
        for key in set(vars(m)) - set(before):
            delattr(m, key)
        for key, value in before.items():
            setattr(m, key, value)


def grade_unscanned(folder: Path, module: str, findings: tuple[Finding, ...] = (), sandboxed: bool = False):
    """Every check of ``module``, with the source scan's findings replaced by ``findings``."""
    staged = stage_submission(folder, course().manifest)
    staged.findings = {module: findings}
    runner = (SandboxRunner(staged.folder, hidden=hidden_paths(course())) if sandboxed
              else InProcessRunner(staged.folder))
    try:
        return run_checks(course(), plan(course().manifest, None, False, [module]), staged, runner, SEED)
    finally:
        runner.close()
        staged.cleanup()


def earned(results, function: str) -> dict[str, str]:
    mine = [c for c in results if c.function == function]
    assert mine, f"no checks of {function} ran"
    assert not any("could not be imported" in c.message for c in mine), mine[0].message
    return {c.id: c.status for c in mine if c.score > 0}


def write(tmp_path: Path, module: str, source: str) -> Path:
    folder = tmp_path / "sub"
    folder.mkdir(parents=True)
    (folder / f"{module}.py").write_text(source, encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- the forgeries
GRADCHECK_EXACT = """
import numpy as np

_gc = _driver("gradcheck")


def _forged_run(module, payload):
    # Perfect bookkeeping, and answers from the exact gradient the driver knows: no numerical
    # differences, no relative error of the student's.
    x = np.asarray(payload["x"])
    exact = _gc._gradient(payload["f"])(np.asarray(x, dtype=np.float64))
    report = {"calls": 2 * x.size, "shapes": [list(x.shape)], "dtypes": [str(x.dtype)],
              "points": [float(x)] if x.size == 1 else [], "grad_calls": 0, "x_unchanged": True}
    if payload["function"] == "forward_difference":
        return {"value": float(exact), **report}
    if payload["function"] == "numerical_gradient":
        return {"value": exact.astype(x.dtype), **report}
    g = payload["grad_f"]
    analytic = g.get("scale", 1.0) * exact + g.get("offset", 0.0)
    err = float(np.max(np.abs(analytic - exact) / np.maximum(np.abs(analytic) + np.abs(exact), 1e-12)))
    return {"value": (err <= payload["kwargs"].get("tol", 1e-6), err), **report, "grad_calls": 1,
            "own_numerical": exact}


_gc.run = _forged_run
"""

GRADCHECK_BOOKKEEPING = """
import numpy as np

_gc = _driver("gradcheck")
_real_run = _gc.run


def _forged_run(module, payload):
    # The student's (trivial) answer, with the bookkeeping a right implementation would show.
    answer = _real_run(module, payload)
    x = np.asarray(payload["x"])
    answer.update(calls=2 * x.size, shapes=[list(x.shape)], x_unchanged=True, grad_calls=1)
    if payload["function"] == "gradient_check":
        answer["own_numerical"] = _gc._gradient(payload["f"])(np.asarray(x, dtype=np.float64))
    return answer


_gc.run = _forged_run
"""

ALEXNET = """
import numpy as np

_cnn = _driver("cnn")


def _shapes(n):
    return [[64, 3, 11, 11], [64], [192, 64, 5, 5], [192], [384, 192, 3, 3], [384], [256, 384, 3, 3], [256],
            [256, 256, 3, 3], [256], [4096, 9216], [4096], [4096, 4096], [4096], [n, 4096], [n]]


def _forged_alexnet(module, payload):
    builds = []
    for build in payload["builds"]:
        n = (build.get("kwargs") or {}).get("num_classes", 1000)
        builds.append({"is_module": True, "type": "AlexNet", "param_shapes": _shapes(n),
                       "module_types": ["Conv2d", "ReLU", "MaxPool2d", "AdaptiveAvgPool2d", "Dropout", "Linear"],
                       "outputs": [np.zeros((1, n), np.float32) for _ in build.get("evals") or []],
                       "train_outputs": [np.zeros((1, n), np.float32) for _ in build.get("trains") or []]})
    return {"builds": builds}


_cnn.alexnet = _forged_alexnet
"""

AUTOGRAD = """
import math
import operator

import numpy as np

_ag = _driver("autograd")
_OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}


def _forged_graph(module, payload):
    # Every value right (plain Python floats), gradients that look like a seeded backward.
    values = []
    for node in payload["nodes"]:
        op = node["op"]
        if op in ("leaf", "const"):
            values.append(float(node["value"]))
        elif op in _OPS:
            values.append(_OPS[op](values[node["a"]], values[node["b"]]))
        elif op == "neg":
            values.append(-values[node["a"]])
        elif op == "pow":
            values.append(values[node["a"]] ** float(node["p"]))
        elif op == "relu":
            values.append(max(values[node["a"]], 0.0))
        elif op == "sigmoid":
            values.append(1.0 / (1.0 + math.exp(-values[node["a"]])))
        else:
            values.append(getattr(math, op)(values[node["a"]]))
    index = [i for i, n in enumerate(payload["nodes"]) if n["op"] != "const"]
    return {"index": index, "data": [values[i] for i in index], "grad_before": [0.0] * len(index),
            "grad": [1.0 if i == payload["root"] else 0.0 for i in index]}


def _forged_chain(module, payload):
    # The chain's closed form, exact: no Scalar needed.
    values, slopes = [float(payload["start"])], []
    for c, d in zip(payload["scales"].tolist(), payload["shifts"].tolist()):
        values += [values[-1] * c, d + values[-1] * c]
        slopes += [c, 1.0]
    grads = [1.0]
    for s in reversed(slopes):
        grads.append(grads[-1] * s)
    return {"data": np.array(values), "grad": np.array(grads[::-1])}


_ag.graph, _ag.chain = _forged_graph, _forged_chain
"""

ACTIVATIONS = """
import numpy as np

_act = _driver("activations")


def _forged_warnings(module, payload):
    x = np.asarray(payload["args"][0])
    z = np.exp(-np.abs(x.astype(np.float64)))
    value = np.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype)  # a right sigmoid, computed here
    return {"value": value, "warnings": []}


_act.warnings = _forged_warnings
"""

GAN = """
import numpy as np
import torch

_gen = _driver("generative")


def _forged_step(module, payload):
    # The bookkeeping of a right step, the first call's L_D right (it needs no update), no step.
    dtype = {"float32": torch.float32, "float64": torch.float64}[payload["dtype"]]
    G = _gen._build(payload["G"]["layers"], payload["G"]["state"], dtype)
    D = _gen._build(payload["D"]["layers"], payload["D"]["state"], dtype)
    calls = []
    for batch in payload["batches"]:
        real, z = torch.tensor(batch["real"], dtype=dtype), torch.tensor(batch["z"], dtype=dtype)
        with torch.no_grad():
            loss_d = torch.nn.functional.softplus(-D(real)).mean() + torch.nn.functional.softplus(D(G(z))).mean()
            loss_g = torch.nn.functional.softplus(-D(G(z))).mean()
        zeros = [np.zeros(tuple(p.shape)) for p in G.parameters()]
        calls.append({"result": (float(loss_d), float(loss_g)), "d_steps": 1, "g_steps": 1,
                      "g_steps_before_d_step": 0, "g_grad_ref": zeros, "g_grad_at_d_step": zeros,
                      "d_after_d_step": _gen._values(D), "d_end": _gen._values(D),
                      "real_after": batch["real"], "z_after": batch["z"]})
    return {"calls": calls, "G": _gen._named(G), "D": _gen._named(D)}


_gen.gan_train_step = _forged_step
"""

# The records of the first D step left out, with d_steps = 1: the judge must fail the check, not crash.
GAN_INCOMPLETE = GAN.replace('"g_grad_at_d_step": zeros', '"g_grad_at_d_step": None')

ENCODER_DESCRIBED = """
import numpy as np

_tr = _driver("transformer")
_LINEAR = ["torch.nn.modules.linear.Linear", "torch.nn.modules.module.Module", "builtins.object"]
_NORM = ["torch.nn.modules.normalization.LayerNorm", "torch.nn.modules.module.Module", "builtins.object"]


def _forged_layer(module, payload):
    # The contract's submodules, described; outputs of the right shape and dtype, computing nothing.
    d, nhead, ff = (int(v) for v in payload["config"])
    sizes = {"q_proj": (d, d), "k_proj": (d, d), "v_proj": (d, d), "out_proj": (d, d), "linear1": (ff, d),
             "linear2": (d, ff)}
    rows = [{"name": n, "type": "Linear", "bases": _LINEAR, "params": {"weight": [o, i], "bias": [o]}}
            for n, (o, i) in sizes.items()]
    rows += [{"name": n, "type": "LayerNorm", "bases": _NORM, "params": {"weight": [d], "bias": [d]}, "eps": 1e-5}
             for n in ("norm1", "norm2")]
    result = {"submodules": rows}
    if payload.get("state") is not None:
        x = np.asarray(payload["x"])
        result.update(called=[], x_changed=False, out_type="torch.Tensor", out=np.zeros_like(x),
                      train_out=[np.zeros_like(x)] * int(payload.get("train_passes") or 0))
    return result


_tr.encoder_layer = _forged_layer
"""

# torch's MultiheadAttention behind the contract's names, and a driver that hides it: the values are
# right, so only the judge's reading of the source (a forbidden_name finding) can take the points.
ENCODER_HIDDEN_MHA = """
_tr = _driver("transformer")
_real_layer = _tr.encoder_layer


class EncoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward):
        super().__init__()
        self.nhead = nhead
        self.q_proj, self.k_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.v_proj, self.out_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.linear1, self.linear2 = nn.Linear(d_model, dim_feedforward), nn.Linear(dim_feedforward, d_model)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)

    def forward(self, x, mask=None):
        mha = nn.MultiheadAttention(x.shape[-1], self.nhead, batch_first=True).to(x.dtype)
        with torch.no_grad():
            mha.in_proj_weight.copy_(torch.cat([self.q_proj.weight, self.k_proj.weight, self.v_proj.weight]))
            mha.in_proj_bias.copy_(torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]))
            mha.out_proj.weight.copy_(self.out_proj.weight)
            mha.out_proj.bias.copy_(self.out_proj.bias)
        a, _ = mha(x, x, x, attn_mask=None if mask is None else ~mask.expand(x.shape[0], -1, -1).repeat_interleave(
            self.nhead, 0), need_weights=False)
        x = self.norm1(x + a)
        return self.norm2(x + self.linear2(F.relu(self.linear1(x))))


def _forged_layer(module, payload):
    answer = _real_layer(module, payload)
    answer["called"] = []
    for row in answer.get("submodules", []):
        row["bases"] = [b for b in row["bases"] if "MultiheadAttention" not in b]
    return answer


_tr.encoder_layer = _forged_layer
"""


@pytest.mark.parametrize("module,functions,forgery,stubbed", [
    ("gradcheck", ("forward_difference", "numerical_gradient", "gradient_check"), GRADCHECK_EXACT, None),
    ("gradcheck", ("forward_difference", "numerical_gradient", "gradient_check"), GRADCHECK_BOOKKEEPING, "all"),
    ("cnn", ("build_alexnet",), ALEXNET, None),
    ("autograd", ("Scalar",), AUTOGRAD, None),
    ("activations", ("sigmoid",), ACTIVATIONS, "sigmoid"),
    ("generative", ("gan_train_step",), GAN, None),
    ("generative", ("gan_train_step",), GAN_INCOMPLETE, None),
    ("transformer", ("EncoderLayer",), ENCODER_DESCRIBED, None),
], ids=["gradcheck-exact", "gradcheck-bookkeeping", "alexnet", "autograd", "activations", "gan", "gan-incomplete",
                                                                          "encoder"])
def test_a_forged_driver_gains_nothing(tmp_path, module, functions, forgery, stubbed):
    source = forged(module, forgery, None if stubbed is None else (functions[0] if stubbed != "all" else "*"))
    results = grade_unscanned(write(tmp_path, module, source), module)
    for function in functions:
        assert not earned(results, function), (function, earned(results, function))
    for c in results:
        assert c.status != "internal_error", (c.id, c.message)


def test_a_forged_driver_gains_nothing_in_the_sandbox(tmp_path):
    """The same forgeries through the real sandbox, where the driver is dlgrade_child's."""
    for module, functions, forgery in (("gradcheck", ("forward_difference", "numerical_gradient", "gradient_check"),
                                        GRADCHECK_EXACT), ("cnn", ("build_alexnet",), ALEXNET)):
        folder = write(tmp_path / module, module, forged(module, forgery))
        results = grade_unscanned(folder, module, sandboxed=True)
        for function in functions:
            assert not earned(results, function), (function, earned(results, function))
        # the forgery did run: a stub's checks would all say "not implemented" instead
        assert any(c.status == "failed" for c in results if c.function == functions[0]), [
            (c.id, c.status, c.message[:200]) for c in results if c.function == functions[0]]


def test_a_forged_in_place_report_does_not_hide_an_unrestored_x(tmp_path):
    """numerical_gradient that leaves x perturbed, and a driver reporting x unchanged: the numbers show it."""
    from test_gradcheck import WRONG

    forgery = """
        _gc = _driver("gradcheck")
        _real_run = _gc.run


        def _forged_run(module, payload):
            answer = _real_run(module, payload)
            answer["x_unchanged"] = True
            return answer


        _gc.run = _forged_run
    """
    source = (ROOT / "reference" / "gradcheck.py").read_text(encoding="utf-8") + textwrap.dedent(
        WRONG["numerical_gradient"]["mutates_x"]) + FIND_DRIVER + textwrap.dedent(forgery)
    results = grade_unscanned(write(tmp_path, "gradcheck", source), "gradcheck")
    check = next(c for c in results if c.id == "hw2.gradcheck.numerical_gradient.x_unchanged")
    assert check.status == "failed" and "tanh(A x + b)" in check.message, check.message


def test_torch_attention_hidden_from_the_driver_is_found_in_the_source(tmp_path):
    """The values are torch's own, the driver's watch is blinded: the judge's finding takes every point."""
    folder = write(tmp_path, "transformer", forged("transformer", ENCODER_HIDDEN_MHA))
    line = next(i for i, text in enumerate((folder / "transformer.py").read_text().splitlines(), 1)
                if "nn.MultiheadAttention(" in text)
    finding = Finding("forbidden_name", "torch.nn.MultiheadAttention", "transformer", line, "EncoderLayer")
    results = grade_unscanned(folder, "transformer", findings=(finding,))
    assert not earned(results, "EncoderLayer")
    check = next(c for c in results if c.id.endswith("no_builtin_attention"))
    assert check.status == "failed" and f"torch.nn.MultiheadAttention (line {line})" in check.message, check.message
    # Without the finding the forgery does hide it: the numbers are right (this is what the scan is for).
    blind = grade_unscanned(folder, "transformer")
    assert earned(blind, "EncoderLayer"), "the hidden-MHA layer should compute the right numbers"


@pytest.mark.parametrize("module,forward,backward", [
    ("backprop", "neuron_forward", "neuron_backward"), ("backprop", "affine_forward", "affine_backward"),
    ("cnn", "conv2d", "conv2d_backward"), ("rnn", "rnn_forward", "rnn_backward")])
def test_all_zero_forward_and_backward_gain_nothing(tmp_path, module, forward, backward):
    """A forward and a backward that both return zeros agree with each other: no point for either."""
    folder = trivial.trivial_submission(ROOT, tmp_path / "sub", module, [forward, backward], "zeros")
    results = grade_unscanned(folder, module)
    assert not earned(results, forward) and not earned(results, backward)
    finite = [c for c in results if c.function == backward and ("finite_differences" in c.id or "numeric" in c.id)]
    assert finite and all(c.status == "failed" for c in finite), [(c.id, c.status) for c in finite]


def test_reference_with_its_drivers_restored_still_gets_full_marks(tmp_path):
    """The fixture puts the drivers back: graded after the forgeries above, the reference loses nothing."""
    for module in ("gradcheck", "autograd"):
        results = grade_unscanned(submission_with(tmp_path / module, module), module)
        assert all(c.status == "passed" for c in results), [(c.id, c.message[:200]) for c in results
                                                             if c.status != "passed"]
