"""Gradient checking (grader/gradients.py): the judge's finite differences and torch gradients are right,
random inputs keep away from kinks, and the comparison is fair to float32 while catching real errors."""
from __future__ import annotations

import numpy as np
import pytest

from grader.errors import CheckFailed
from grader.gradients import away_from_kinks, expect_gradient, finite_difference, torch_vjp

RNG_SEED = 4


def cubic(x: np.ndarray) -> np.ndarray:
    return x**3 + 2 * x[..., ::-1]  # couples elements: the gradient is not elementwise


def cubic_vjp(x: np.ndarray, dout: np.ndarray) -> np.ndarray:
    return 3 * x**2 * dout + 2 * dout[..., ::-1]


def test_finite_differences_match_the_analytic_gradient():
    rng = np.random.default_rng(RNG_SEED)
    x = rng.normal(size=(3, 4))
    dout = rng.normal(size=(3, 4))
    assert np.allclose(finite_difference(cubic, x, dout=dout), cubic_vjp(x, dout), rtol=1e-7, atol=1e-8)
    assert np.allclose(finite_difference(cubic, x), cubic_vjp(x, np.ones_like(x)), rtol=1e-7, atol=1e-8)


def test_finite_differences_leave_the_input_alone_and_work_in_float64():
    x = np.linspace(-1, 1, 5, dtype=np.float32)
    before = x.copy()
    grad = finite_difference(lambda v: np.sum(v**2), x)
    assert np.array_equal(x, before) and grad.dtype == np.float64
    assert np.allclose(grad, 2 * x.astype(np.float64), atol=1e-7)


def test_torch_vjp_gives_the_output_and_the_gradients_asked_for():
    pytest.importorskip("torch")
    rng = np.random.default_rng(RNG_SEED)
    a, b, dout = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    out, grads = torch_vjp(lambda a, b: a @ b, {"a": a, "b": b}, dout)
    assert np.allclose(out, a @ b) and out.dtype == np.float64
    assert np.allclose(grads["a"], dout @ b.T) and np.allclose(grads["b"], a.T @ dout)
    _, only_b = torch_vjp(lambda a, b: a @ b, {"a": a, "b": b}, dout, wrt=("b",))
    assert list(only_b) == ["b"]
    _, unused = torch_vjp(lambda a, b: a.sum() * 2, {"a": a, "b": b})
    assert np.array_equal(unused["b"], np.zeros((3, 4))) and np.allclose(unused["a"], 2.0)


def test_random_inputs_keep_a_margin_from_every_kink():
    rng = np.random.default_rng(RNG_SEED)
    x = away_from_kinks(rng, (2000,), kinks=(0.0, 1.0), margin=0.05)
    assert x.shape == (2000,)
    assert np.min(np.abs(x)) >= 0.05 and np.min(np.abs(x - 1.0)) >= 0.05
    # Moved values stay on their side of the kink, so the sample is still spread on both sides.
    assert np.mean(x > 0) == pytest.approx(0.5, abs=0.05)
    again = away_from_kinks(np.random.default_rng(RNG_SEED), (2000,), kinks=(0.0, 1.0), margin=0.05)
    assert np.array_equal(x, again)  # reproducible from the seed


def test_expect_gradient_is_fair_to_float32_and_to_tiny_values():
    rng = np.random.default_rng(RNG_SEED)
    want = rng.normal(size=(4, 5))
    assert expect_gradient(want.astype(np.float32), want, "dW", tol=1e-6) is not None
    # Entries that are ~0 in both: the floor keeps their rounding noise from counting as error.
    tiny = np.array([1e-15, -1e-15, 1.0])
    expect_gradient(np.array([-1e-15, 1e-15, 1.0]), tiny, "db", tol=1e-6, floor=1e-8)


def test_expect_gradient_names_the_worst_entry():
    want = np.arange(1.0, 7.0).reshape(2, 3)
    got = want.copy()
    got[1, 2] = -6.0  # a sign error
    got[0, 0] = 1.01
    with pytest.raises(CheckFailed) as failed:
        expect_gradient(got, want, "dW", "seed 5")
    text = failed.value.message
    assert text.startswith("dW") and "2 / 6 gradient entries" in text and "(1, 2)" in text
    assert "got -6.0, expected 6.0" in text and "seed 5" in text


def test_expect_gradient_checks_structure_before_numbers():
    want = np.ones((2, 3))
    with pytest.raises(CheckFailed, match=r"expected shape \(2, 3\)"):
        expect_gradient(np.ones((3, 2)), want, "dW")
    with pytest.raises(CheckFailed, match="expected dtype float32"):
        expect_gradient(want, want, "dW", dtype=np.float32)
    with pytest.raises(CheckFailed, match="NaN or inf"):
        expect_gradient(np.full((2, 3), np.nan), want, "dW")
