"""The judge's reading of the source (grader/staging/policy.py): what each pattern finds, no false alarm on
the reference, and the forgeries the run-time guards alone missed, graded through the real sandbox."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from grader.pipeline import grade
from grader.staging.policy import scan_module
from helpers import ROOT, SEED, course

MODULES = {m.name: m for _, m in course().manifest.modules}


def found(source: str, module: str = "mlp") -> set[tuple[str, str, str]]:
    spec = MODULES[module]
    return {(f.kind, f.what, f.function) for f in scan_module(textwrap.dedent(source), module, spec.functions,
                                                               spec.torch_functions, spec.forbidden)}


def test_the_reference_and_the_stubs_are_clean():
    for name, spec in MODULES.items():
        for folder in ("reference", "exercises"):
            source = (ROOT / folder / f"{name}.py").read_text(encoding="utf-8")
            assert scan_module(source, name, spec.functions, spec.torch_functions, spec.forbidden) == (), (folder, name)


@pytest.mark.parametrize("source", [
    """
    import torch
    def two_layer_forward(X, W, c, w, b):
        return torch.relu(torch.from_numpy(X @ W + c)).numpy() @ w + b
    """,
    """
    from torch import relu as r
    def two_layer_forward(X, W, c, w, b):
        return r(X)
    """,
    """
    import torch.nn.functional as F
    def _helper(z):
        return F.relu(z)
    def two_layer_forward(X, W, c, w, b):
        return _helper(X @ W + c) @ w + b
    """,
    """
    T = __import__("torch")
    def two_layer_forward(X, W, c, w, b):
        return T.ones(1)
    """,
], ids=["import", "from_import_alias", "through_a_helper", "dunder_import"])
def test_torch_in_a_numpy_exercise_is_found(source):
    assert ("forbidden_library", "torch", "two_layer_forward") in found(source)


def test_what_is_not_use_is_not_found():
    clean = """
    from __future__ import annotations
    from typing import TYPE_CHECKING
    import numpy as np
    import torch  # imported, never used in a numpy exercise
    if TYPE_CHECKING:
        from torch import Tensor
    def two_layer_forward(X: "Tensor", W, c, w, b) -> np.ndarray:
        return np.maximum(X @ W + c, 0) @ w + b
    """
    assert found(clean) == set()


def test_torch_on_a_thread_started_at_import_is_found():
    source = """
    import threading
    import numpy as np
    import torch
    CACHE = {}
    def _work():
        CACHE["w"] = torch.ones(3).numpy()
    threading.Thread(target=_work, daemon=True).start()
    def two_layer_forward(X, W, c, w, b):
        return CACHE.get("w", np.zeros(len(X)))
    """
    assert ("forbidden_library", "torch", "two_layer_forward") in found(source)


def test_a_forbidden_builtin_saved_at_import_is_found():
    source = """
    import torch.nn.functional as F
    from torch import nn
    _attention = F.multi_head_attention_forward
    class EncoderLayer(nn.Module):
        def forward(self, x):
            return _attention(x)
    """
    assert ("forbidden_name", "torch.nn.functional.multi_head_attention_forward", "EncoderLayer") in found(
        source, "transformer")
    subclass = """
    import torch
    class EncoderLayer(torch.nn.TransformerEncoderLayer):
        pass
    """
    assert ("forbidden_name", "torch.nn.TransformerEncoderLayer", "EncoderLayer") in found(subclass, "transformer")


@pytest.mark.parametrize("source, what", [
    ("import importlib\nimportlib.import_module('dlgrade_child.drivers.cnn').alexnet = None\n", "dlgrade_child.drivers.cnn"),
    ("import sys\nfor m in list(sys.modules.values()):\n    m.Worker.op_call = None\n", "sys.modules"),
    ("import sys\ndef f():\n    return sys._getframe(1).f_globals\n", "sys._getframe"),
    ("import gc\nobjs = gc.get_objects()\n", "import gc"),
    ("import ctypes\n", "import ctypes"),
    ("exec('import torch')\n", "exec()"),
    ("name = 'tor' + 'ch'\nmod = __import__(name)\n", "__import__()"),
    ("import builtins\nbuiltins.print = None\n", "a change to builtins.print"),
], ids=["driver_patch", "worker_patch", "frames", "gc", "ctypes", "exec", "computed_import", "builtins"])
def test_tampering_is_found(source, what):
    kinds = found(source)
    assert ("tampering", what, "") in kinds, kinds


def test_deeply_nested_source_is_read_or_refused_never_crashes():
    deep = "X = " + " + ".join(["1"] * 600) + "\n" + "Y = " + "(" * 400 + "1" + ")" * 400 + "\n"
    result = found(deep)  # parses on this Python, or is refused as unreadable: never a RecursionError
    assert result <= {("tampering", "source nested too deeply to read", "")}


# --------------------------------------------------------------------------- through the sandbox
SAVED_BUILTIN = '''
import torch
import torch.nn.functional as F
from torch import nn

_attention = F.multi_head_attention_forward  # saved at import: no attribute lookup at call time


class EncoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward):
        super().__init__()
        self.nhead = nhead
        self.q_proj, self.k_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.v_proj, self.out_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.linear1, self.linear2 = nn.Linear(d_model, dim_feedforward), nn.Linear(dim_feedforward, d_model)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)

    def forward(self, x, mask=None):
        q = x.transpose(0, 1)
        w = torch.cat([self.q_proj.weight, self.k_proj.weight, self.v_proj.weight])
        b = torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias])
        attn, _ = _attention(q, q, q, q.shape[-1], self.nhead, w, b, None, None, False, 0.0,
                             self.out_proj.weight, self.out_proj.bias, training=False,
                             key_padding_mask=None if mask is None else ~mask, need_weights=False)
        x = self.norm1(x + attn.transpose(0, 1))
        return self.norm2(x + self.linear2(torch.relu(self.linear1(x))))
'''

TORCH_ON_A_THREAD = '''
import threading
import time

import numpy as np
import torch

_ready = threading.Event()
_jobs = []


def _worker():
    while True:
        if _jobs:
            job = _jobs.pop()
            job["out"] = (torch.relu(torch.from_numpy(job["X"] @ job["W"] + job["c"])) @
                          torch.from_numpy(job["w"])).numpy() + job["b"]
            job["done"].set()
        time.sleep(0.001)


threading.Thread(target=_worker, daemon=True).start()


def two_layer_forward(X, W, c, w, b):
    job = {"X": X, "W": W, "c": c, "w": w, "b": b, "done": threading.Event()}
    _jobs.append(job)
    job["done"].wait(0.5)
    return job.get("out")


def xor_params():
    return np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -1.0]), np.array([1.0, -2.0]), 0.0
'''

ECHO_FORGERY = '''
import sys

import numpy as np


def _forge():
    for module in list(sys.modules.values()):
        try:  # torch.classes, once torch is in, answers any name and raises on the next lookup
            worker = getattr(module, "Worker", None)
            if worker is None or not hasattr(worker, "op_call"):
                continue
        except Exception:
            continue
        real = worker.op_call

        def op_call(self, request, real=real):
            sent = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in request.get("args", [])]
            response = real(self, request)
            if request.get("echo_args"):
                response["args_after"] = sent  # the inputs as sent: the in-place change hidden
            return response

        worker.op_call = op_call


_forge()


def two_layer_forward(X, W, c, w, b):
    X += 0.0
    np.maximum(X @ W + c, 0.0, out=X[:, :0]) if False else None
    W *= 1.0
    c -= c  # an in-place change the checks must see
    return np.maximum(X @ W + c, 0.0) @ w + b
'''


def _grade(tmp_path: Path, module: str, source: str):
    (tmp_path / f"{module}.py").write_text(source, encoding="utf-8")
    return grade(course(), tmp_path, seed=SEED, modules=[module])


def test_a_saved_builtin_attention_earns_no_builtin_point(tmp_path):
    results = _grade(tmp_path, "transformer", SAVED_BUILTIN)
    check = next(c for c in results.checks if c.id == "hw5.transformer.EncoderLayer.no_builtin_attention")
    assert check.status == "failed", check.message


def test_torch_on_a_thread_earns_nothing(tmp_path):
    results = _grade(tmp_path, "mlp", TORCH_ON_A_THREAD)
    mine = [c for c in results.checks if c.function == "two_layer_forward"]
    assert mine and all(c.score == 0 for c in mine), [(c.id, c.status) for c in mine]
    assert all("reaches torch" in c.message for c in mine), mine[0].message


def test_forged_echoes_hide_no_in_place_change(tmp_path):
    results = _grade(tmp_path, "mlp", ECHO_FORGERY)
    mine = [c for c in results.checks if c.function == "two_layer_forward"]
    assert mine and all(c.score == 0 for c in mine), [(c.id, c.status) for c in mine]
    assert any("machinery" in c.message for c in mine), mine[0].message
