"""activations (hw1): every function's checks catch deliberately wrong implementations."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from helpers import assert_caught, grade_inprocess, statuses, submission_with

WRONG = {
    "sigmoid": {
        "naive_overflows": """
            def sigmoid(x):
                return 1 / (1 + np.exp(-x))
        """,
        "naive_with_warnings_silenced_globally": """
            import warnings

            np.seterr(all="ignore")
            warnings.simplefilter("ignore")

            def sigmoid(x):
                return 1 / (1 + np.exp(-x))
        """,
        "tanh_identity_loses_the_tail": """
            def sigmoid(x):
                return 0.5 * (1 + np.tanh(0.5 * x))
        """,
        "clipped_input": """
            def sigmoid(x):
                return 1 / (1 + np.exp(-np.clip(x, -500, 500)))
        """,
        "flushes_the_smallest_normal_result": """
            def sigmoid(x):
                x = np.asarray(x)
                z = -np.abs(x)
                keep = z > np.log(np.finfo(x.dtype).tiny)  # one float too early: e^log(tiny) is normal
                e = np.exp(z, out=np.zeros_like(z), where=keep)
                return np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        """,
        "float64_always": """
            def sigmoid(x):
                x = np.asarray(x, dtype=np.float64)
                e = np.exp(-np.abs(x))
                return np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        """,
    },
    "sigmoid_grad": {
        "s_times_one_plus_s": """
            def sigmoid_grad(x):
                s = sigmoid(x)
                return s * (1 + s)
        """,
    },
    "tanh": {
        "sigmoid_rescaled_without_2x": """
            def tanh(x):
                return 2 * sigmoid(x) - 1
        """,
        "float64_always": """
            def tanh(x):
                return np.tanh(np.asarray(x, dtype=np.float64))
        """,
    },
    "tanh_grad": {
        "square_missing": """
            def tanh_grad(x):
                return 1 - np.tanh(x)
        """,
    },
    "relu": {
        "leaky_by_mistake": """
            def relu(x):
                return np.maximum(x, 0.01 * x)
        """,
    },
    "relu_grad": {
        "one_at_zero": """
            def relu_grad(x):
                return (x >= 0).astype(x.dtype)
        """,
        "boolean_array": """
            def relu_grad(x):
                return x > 0
        """,
    },
    "leaky_relu": {
        "alpha_ignored": """
            def leaky_relu(x, alpha=0.01):
                return np.where(x >= 0, x, 0.01 * x).astype(x.dtype)
        """,
    },
    "leaky_relu_grad": {
        "alpha_at_zero": """
            def leaky_relu_grad(x, alpha=0.01):
                return np.where(x > 0, 1, alpha).astype(x.dtype)
        """,
        "float64_always": """
            def leaky_relu_grad(x, alpha=0.01):
                return np.where(x >= 0, 1.0, alpha)
        """,
    },
    "elu": {
        "gamma_ignored": """
            def elu(x, gamma=1.0):
                return np.where(x >= 0, x, np.expm1(np.minimum(x, 0))).astype(x.dtype)
        """,
    },
    "elu_grad": {
        "gamma_at_zero": """
            def elu_grad(x, gamma=1.0):
                return np.where(x > 0, 1, gamma * np.exp(np.minimum(x, 0))).astype(x.dtype)
        """,
        "gamma_missing": """
            def elu_grad(x, gamma=1.0):
                return np.where(x >= 0, 1, np.exp(np.minimum(x, 0))).astype(x.dtype)
        """,
    },
    "prelu": {
        "alpha_on_the_last_axis": """
            def prelu(x, alpha):
                a = np.asarray(alpha).reshape(-1)
                return np.where(x >= 0, x, a * x).astype(x.dtype)
        """,
        "fixed_slope": """
            def prelu(x, alpha):
                return np.where(x >= 0, x, 0.1 * x).astype(x.dtype)
        """,
        "max_of_x_and_alpha_x": """
            def prelu(x, alpha):  # right only while alpha <= 1
                return np.maximum(x, np.asarray(alpha) * x).astype(x.dtype)
        """,
    },
    "prelu_grad": {
        "alpha_at_zero": """
            def prelu_grad(x, alpha):
                return np.where(x > 0, 1, np.asarray(alpha)).astype(x.dtype)
        """,
        "x_instead_of_alpha": """
            def prelu_grad(x, alpha):
                return np.where(x >= 0, 1, x).astype(x.dtype)
        """,
        "slope_of_max_of_x_and_alpha_x": """
            def prelu_grad(x, alpha):  # d max(x, alpha x) / dx: right only while alpha <= 1
                a = np.broadcast_to(np.asarray(alpha), x.shape)
                return np.where(x >= a * x, 1, a).astype(x.dtype)
        """,
    },
    "prelu_grad_alpha": {
        "returns_alpha": """
            def prelu_grad_alpha(x, alpha):
                return np.where(x < 0, np.asarray(alpha), 0).astype(x.dtype)
        """,
        "x_everywhere": """
            def prelu_grad_alpha(x, alpha):
                return x.copy()
        """,
        "slope_of_max_of_x_and_alpha_x": """
            def prelu_grad_alpha(x, alpha):  # d max(x, alpha x) / d alpha: right only while alpha <= 1
                return np.where(np.asarray(alpha) * x > x, x, 0).astype(x.dtype)
        """,
    },
}


pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # wrong sigmoids overflow on purpose


@pytest.fixture(autouse=True)
def _restore_global_warning_state():
    # The in-process runner imports submissions into this process: undo a submission's np.seterr or
    # warnings.simplefilter so that it cannot leak into other tests.
    with np.errstate(**np.geterr()), warnings.catch_warnings():
        yield


@pytest.mark.parametrize("flaw", ["naive_overflows", "naive_with_warnings_silenced_globally"])
def test_naive_sigmoid_is_caught_by_the_warning_check_only(tmp_path, flaw):
    # 1/(1+e^-x) gives the right values (0.0 at -1e4, accurate at -40): only its overflow warning is wrong.
    results = assert_caught(tmp_path, "activations", "sigmoid", WRONG["sigmoid"][flaw])
    lost = {i for i, s in statuses(results, "sigmoid").items() if s != "passed"}
    assert lost == {"hw1.activations.sigmoid.warning_free"}
    message = next(c.message for c in results.checks if c.id == "hw1.activations.sigmoid.warning_free")
    assert "overflow" in message


LOOPS = """
    import math

    def _map(x, f, *params):
        x = np.asarray(x)
        params = [np.broadcast_to(np.asarray(p), x.shape) for p in params]
        out = np.empty_like(x)
        for idx in np.ndindex(*x.shape):
            out[idx] = f(float(x[idx]), *(float(p[idx]) for p in params))
        return out

    def _sig(v):
        if v >= 0:
            return 1.0 / (1.0 + math.exp(-v))
        e = math.exp(v)
        return e / (1.0 + e)

    def sigmoid(x):
        return _map(x, _sig)

    def sigmoid_grad(x):
        return _map(x, lambda v: _sig(v) * _sig(-v))

    def tanh(x):
        return _map(x, math.tanh)

    def tanh_grad(x):
        return _map(x, lambda v: 1.0 / math.cosh(v) ** 2 if abs(v) < 300 else 0.0)

    def relu(x):
        return _map(x, lambda v: v if v > 0 else 0.0)

    def relu_grad(x):
        return _map(x, lambda v: 1.0 if v > 0 else 0.0)

    def leaky_relu(x, alpha=0.01):
        return _map(x, lambda v, a: v if v >= 0 else a * v, alpha)

    def leaky_relu_grad(x, alpha=0.01):
        return _map(x, lambda v, a: 1.0 if v >= 0 else a, alpha)

    def elu(x, gamma=1.0):
        return _map(x, lambda v, g: v if v >= 0 else g * math.expm1(v), gamma)

    def elu_grad(x, gamma=1.0):
        return _map(x, lambda v, g: 1.0 if v >= 0 else g * math.exp(v), gamma)

    def prelu(x, alpha):
        return _map(x, lambda v, a: v if v >= 0 else a * v, alpha)

    def prelu_grad(x, alpha):
        return _map(x, lambda v, a: 1.0 if v >= 0 else a, alpha)

    def prelu_grad_alpha(x, alpha):
        return _map(x, lambda v: v if v < 0 else 0.0)
"""

MASKED_NUMPY = """
    def sigmoid(x):
        out = np.empty_like(x)
        pos = x >= 0
        out[pos] = 1 / (1 + np.exp(-x[pos]))
        e = np.exp(x[~pos])  # underflows to 0 for x << 0, silently (numpy's default)
        out[~pos] = e / (1 + e)
        return out

    def sigmoid_grad(x):
        s = sigmoid(x)
        return s * (1 - s)

    def tanh_grad(x):
        return 1 - np.tanh(x) ** 2

    def elu(x, gamma=1.0):
        out = x.copy()
        neg = x < 0
        out[neg] = gamma * (np.exp(x[neg]) - 1)
        return out

    def prelu(x, alpha):
        return np.maximum(x, 0) + np.asarray(alpha, dtype=x.dtype) * np.minimum(x, 0)
"""


@pytest.mark.parametrize("variant", ["loops", "masked_numpy"])
def test_other_correct_implementations_get_full_marks(tmp_path, variant):
    source = {"loops": LOOPS, "masked_numpy": MASKED_NUMPY}[variant]
    results = grade_inprocess(submission_with(tmp_path / "sub", "activations", source), ["activations"])
    assert results.score == results.max_score, [c.message for c in results.checks if c.status != "passed"]
