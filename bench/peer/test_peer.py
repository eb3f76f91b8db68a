"""The peer benchmark's tests: one test per dlgrade check of the five exercises, same cases and oracles.

Bare pytest runs this file against peer.py; bench/peer/nbgrader_course.py turns the same tests into
nbgrader autograder cells (everything above the TESTS marker is the shared helper cell, each test
function one graded cell). Like dlgrade's checks, the expected values come from numpy closed forms
or from PyTorch (imported inside the tests that use it).
"""
import math
import warnings

import numpy as np

from peer import (causal_mask, convolve2d, max_pool2d, numerical_gradient,  # noqa: F401  (helpers cell: not in the notebook)
                  scaled_dot_product_attention, sigmoid, sigmoid_grad)

TINY = np.finfo(np.float64).tiny
SHAPES = ((9,), (4, 5), (2, 3, 2, 2))


def rng(seed):
    return np.random.default_rng(seed)


def away_from_zero(r, shape, margin=1e-2, scale=3.0):
    x = r.normal(scale=scale, size=shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-300) * margin, x)


def close(got, want, rtol, atol, dtype=None):
    got = np.asarray(got)
    assert got.shape == np.shape(want), (got.shape, np.shape(want))
    if dtype is not None:
        assert got.dtype == dtype, got.dtype
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def unchanged_call(func, *args):
    before = [np.copy(a) for a in args]
    out = func(*args)
    for a, b in zip(args, before):
        assert np.array_equal(a, b), "an input was modified in place"
    return out


def sigmoid_exact(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def torch_sigmoid(x, grad=False):
    import torch

    t = torch.tensor(x, dtype=torch.float64, requires_grad=grad)
    s = torch.sigmoid(t)
    if not grad:
        return s.detach().numpy()
    (g,) = torch.autograd.grad(s.sum(), [t])
    return g.numpy()


def compare_random(func, oracle, seed):
    r = rng(seed)
    for shape in SHAPES:
        x = away_from_zero(r, shape)
        close(unchanged_call(func, x), oracle(x), 1e-9, 1e-12, np.float64)
    x32 = away_from_zero(r, (3, 4)).astype(np.float32)
    close(func(x32), oracle(x32.astype(np.float64)), 1e-5, 1e-6, np.float32)


class Recorded:
    """f for numerical_gradient: counts calls and the shapes it received."""

    def __init__(self, f):
        self.f, self.calls, self.shapes = f, 0, set()

    def __call__(self, x):
        self.calls += 1
        self.shapes.add(np.shape(x))
        return self.f(np.array(x, dtype=np.float64))


def check_gradient(got, want, tol=2e-6, floor=1e-2):
    got = np.asarray(got, dtype=np.float64)
    assert got.shape == want.shape
    rel = np.abs(got - want) / np.maximum(np.abs(got) + np.abs(want), floor)
    assert rel.max() <= tol, rel.max()


def convolve_valid(x, k):
    kh, kw = k.shape
    flipped = k[::-1, ::-1]
    return np.array([[np.sum(x[i:i + kh, j:j + kw] * flipped) for j in range(x.shape[1] - kw + 1)]
                     for i in range(x.shape[0] - kh + 1)])


def torch_xcorr(x, k):
    import torch
    import torch.nn.functional as F

    return F.conv2d(torch.tensor(x)[None, None], torch.tensor(np.ascontiguousarray(k))[None, None])[0, 0].numpy()


def attention(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    top = np.max(scores, axis=-1, keepdims=True)
    e = np.exp(scores - np.where(np.isfinite(top), top, 0))
    total = e.sum(axis=-1, keepdims=True)
    weights = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    return weights @ v, weights


def random_mask(r, shape):
    mask = r.random(shape) < 0.7
    mask[..., 0] = True
    return mask


def check_attention(got, want, rtol=1e-10, atol=1e-12, dtype=np.float64):
    out, weights = got
    close(out, want[0], rtol, atol, dtype)
    close(weights, want[1], rtol, atol, dtype)


# ---- TESTS (each function below becomes one graded nbgrader cell)

def test_sigmoid_matches_torch():
    compare_random(sigmoid, torch_sigmoid, 1)


def test_sigmoid_exact_in_the_tails():
    special = [-1e4, -1e3, -800, -746, -745, -709, float(np.log(TINY)), -708, -700, -100, -40, -37, -20, -1,
               -1e-8, 0.0, 1e-8, 1, 20, 37, 40, 100, 700, 709, 710, 745, 1e3, 1e4]
    x = np.unique(np.concatenate([np.linspace(-1e4, 1e4, 201), np.linspace(-800, 800, 161),
                                  np.linspace(-50, 50, 101), special]))
    got = np.asarray(unchanged_call(sigmoid, x), dtype=np.float64)
    want = np.array([sigmoid_exact(float(v)) for v in x])
    err = np.abs(got - want)
    assert not np.any((err > np.where(want >= TINY, 1e-12 * want, TINY)) | (got < 0) | (got > 1))


def test_sigmoid_warning_free():
    for dtype in (np.float64, np.float32):
        x = np.array([-1e4, -1e3, -800, -745, -100, -40, -1, 0, 1, 40, 100, 800, 1e3, 1e4], dtype=dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):  # as dlgrade's driver
                got = sigmoid(x)
        assert np.all(np.isfinite(got))


def test_sigmoid_grad_matches_torch():
    compare_random(sigmoid_grad, lambda x: torch_sigmoid(x, grad=True), 2)


def test_numerical_gradient_simple_example():
    x = np.array([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]])
    f = Recorded(lambda a: float(np.sum(a ** 2)))
    got = numerical_gradient(f, x)
    assert f.shapes == {x.shape}
    close(got, 2 * x, 1e-6, 1e-6, np.float64)


def test_numerical_gradient_known_gradients():
    r = rng(3)
    A, b = r.normal(size=(6, 6)), r.normal(size=6)
    c3, c2, c1, c0 = r.normal(size=4)
    cases = [
        (lambda a: np.sum(np.sin(a)), np.cos, r.uniform(-3, 3, size=7), None),
        (lambda a: 0.5 * a.reshape(-1) @ A @ a.reshape(-1) + b @ a.reshape(-1),
         lambda a: (0.5 * (A + A.T) @ a.reshape(-1) + b).reshape(a.shape), r.normal(size=(2, 3)), None),
        (lambda a: np.sum(c3 * a ** 3 + c2 * a ** 2 + c1 * a + c0), lambda a: 3 * c3 * a ** 2 + 2 * c2 * a + c1,
         r.normal(size=(2, 3, 2)), 1e-6),
        (lambda a: np.sum(a ** 4), lambda a: 4 * a ** 3, r.normal(size=(3, 1, 2)), 1e-4),
    ]
    for f, grad, x, h in cases:
        rec = Recorded(lambda a, f=f: float(f(a)))
        got = numerical_gradient(rec, x) if h is None else numerical_gradient(rec, x, h=h)
        assert rec.shapes == {x.shape}
        check_gradient(got, grad(x))


def test_numerical_gradient_central():
    r = rng(4)
    x = r.uniform(0.5, 2.0, size=(3, 4)) * r.choice([-1.0, 1.0], size=(3, 4))
    got = numerical_gradient(Recorded(lambda a: float(np.sum(a ** 3))), x, h=1e-3)
    close(got, 3 * x ** 2, 1e-6, 1e-5)


def test_numerical_gradient_x_unchanged():
    r = rng(5)
    for shape in ((5,), (3, 4)):
        x = r.normal(size=shape)
        before = x.copy()
        got = numerical_gradient(Recorded(lambda a: float(np.sum(np.sin(a)))), x)
        assert np.array_equal(x, before)
        check_gradient(got, np.cos(x))


def test_numerical_gradient_float32():
    x = rng(6).normal(size=(4, 3)).astype(np.float32)
    got = numerical_gradient(Recorded(lambda a: float(np.sum(a ** 2))), x, h=1e-2)
    close(got, 2 * x.astype(np.float64), 1e-3, 1e-4, np.float32)


def test_convolve2d_lecture_example():
    x = np.array([[1, 1, 1, 1, 1], [-1, 0, -3, 0, 1], [2, 1, 1, -1, 0], [0, -1, 1, 2, 1], [1, 2, 1, 1, 1]], float)
    k = np.array([[1, 0, 0], [0, 0, 0], [0, 0, -1]], float)
    close(unchanged_call(convolve2d, x, k), np.array([[0, -2, -1], [2, 2, 4], [-1, 0, 0]], float), 0, 1e-12,
          np.float64)


def test_convolve2d_random():
    r = rng(7)
    for _ in range(4):
        kh, kw = (int(v) for v in r.integers(1, 5, size=2))
        x, k = r.normal(size=(int(r.integers(kh, 10)), int(r.integers(kw, 10)))), r.normal(size=(kh, kw))
        close(unchanged_call(convolve2d, x, k), convolve_valid(x, k), 1e-10, 1e-10, np.float64)


def test_convolve2d_flipped_kernel_is_xcorr():
    r = rng(8)
    x = r.normal(size=(6, 7))
    delta = np.zeros((3, 3))
    delta[0, 0] = 1.0
    close(convolve2d(x, delta), x[2:, 2:], 0, 1e-12)
    for _ in range(3):
        kh, kw = (int(v) for v in r.integers(1, 5, size=2))
        x, k = r.normal(size=(int(r.integers(kh, 10)), int(r.integers(kw, 10)))), r.normal(size=(kh, kw))
        close(convolve2d(x, k[::-1, ::-1]), torch_xcorr(x, k), 1e-10, 1e-10)
        close(convolve2d(x, k), torch_xcorr(x, k[::-1, ::-1]), 1e-10, 1e-10)


def test_convolve2d_float32():
    r = rng(9)
    x, k = r.normal(size=(7, 6)).astype(np.float32), r.normal(size=(3, 2)).astype(np.float32)
    close(convolve2d(x, k), convolve_valid(x.astype(np.float64), k.astype(np.float64)), 1e-5, 1e-6, np.float32)


def test_max_pool2d_lecture_table():
    x = np.array([[3, 6, 1, 4], [4, 7, 7, 8], [2, 2, 1, 2], [2, 4, 3, 4]], float)[None, None]
    close(unchanged_call(max_pool2d, x), np.array([[7, 8], [4, 4]], float)[None, None], 0, 1e-12, np.float64)


def test_max_pool2d_matches_torch():
    import torch
    import torch.nn.functional as F

    r = rng(10)
    for kernel, stride in ((2, 2), (3, 1), (3, 2), (2, 1)):
        x = r.normal(size=(2, 3, 7 + kernel, 8 + kernel))
        want = F.max_pool2d(torch.tensor(x), kernel, stride).numpy()
        close(max_pool2d(x, kernel=kernel, stride=stride), want, 1e-12, 1e-12, np.float64)
    x = r.normal(size=(2, 3, 9, 9)).astype(np.float32)
    close(max_pool2d(x, kernel=3, stride=2), F.max_pool2d(torch.tensor(x), 3, 2).numpy(), 1e-6, 1e-6, np.float32)


def test_attention_lecture_formula():
    q = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    k = np.array([[1.0, 1.0], [2.0, 0.0], [0.0, -1.0], [1.0, -1.0]])
    v = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    check_attention(scaled_dot_product_attention(q, k, v), attention(q, k, v))


def test_attention_matches_torch():
    import torch
    import torch.nn.functional as F

    r = rng(11)
    cases = [((5, 4), (6, 4), (6, 3), None), ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 2), None),
             ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 2), (4, 6)), ((2, 3, 5, 4), (2, 3, 5, 4), (2, 3, 5, 3), (2, 1, 5, 5)),
             ((3, 4, 2), (3, 7, 2), (3, 7, 4), (3, 4, 7))]
    for qs, ks, vs, ms in cases:
        q, k, v = (r.normal(size=s) for s in (qs, ks, vs))
        mask = None if ms is None else random_mask(r, ms)
        with torch.no_grad():
            want = F.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k), torch.tensor(v),
                                                  attn_mask=None if mask is None else torch.tensor(mask)).numpy()
        out, _ = scaled_dot_product_attention(q, k, v) if mask is None else scaled_dot_product_attention(q, k, v, mask)
        close(out, want, 1e-9, 1e-10)


def test_attention_rows_sum_to_one():
    r = rng(12)
    for mask_shape in (None, (3, 6, 7), (6, 7)):
        q, k, v = r.normal(size=(3, 6, 4)), r.normal(size=(3, 7, 4)), r.normal(size=(3, 7, 2))
        mask = None if mask_shape is None else random_mask(r, mask_shape)
        _, weights = scaled_dot_product_attention(q, k, v, mask)
        assert np.all(weights >= 0)
        close(weights.sum(axis=-1), np.ones((3, 6)), 0, 1e-12)


def test_attention_masked_weights_exactly_zero():
    r = rng(13)
    for mask_shape in ((2, 5, 6), (5, 6), (2, 1, 6)):
        q, k, v = r.normal(size=(2, 5, 3)), 3.0 * r.normal(size=(2, 6, 3)), r.normal(size=(2, 6, 3))
        mask = random_mask(r, mask_shape)
        got = unchanged_call(scaled_dot_product_attention, q, k, v, mask)
        assert not np.any(~np.broadcast_to(mask, got[1].shape) & (got[1] != 0))
        check_attention(got, attention(q, k, v, mask))


def test_attention_causal_by_perturbation():
    r = rng(14)
    N, T = 2, 7
    q, k, v = r.normal(size=(N, T, 4)), r.normal(size=(N, T, 4)), r.normal(size=(N, T, 3))
    mask = np.tril(np.ones((T, T), dtype=bool))
    for t in (0, int(r.integers(1, T - 2)), T - 2):
        k2, v2 = k.copy(), v.copy()
        k2[:, t + 1:] = r.normal(scale=2.0, size=k2[:, t + 1:].shape)
        v2[:, t + 1:] = r.normal(scale=2.0, size=v2[:, t + 1:].shape)
        first, second = scaled_dot_product_attention(q, k, v, mask), scaled_dot_product_attention(q, k2, v2, mask)
        close(second[0][:, :t + 1], first[0][:, :t + 1], 0, 1e-12)


def test_attention_padding_per_item():
    r = rng(15)
    N, Tq, Tk = 4, 3, 6
    lengths = np.array([6, 1, 4, int(r.integers(2, 6))])
    mask = (np.arange(Tk)[None, :] < lengths[:, None])[:, None, :]
    q, k, v = r.normal(size=(N, Tq, 4)), r.normal(size=(N, Tk, 4)), r.normal(size=(N, Tk, 2))
    check_attention(scaled_dot_product_attention(q, k, v, mask), attention(q, k, v, mask))


def test_attention_fully_masked_row():
    q = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    k = np.array([[1.0, 0.0], [0.0, 1.0]])
    v = np.array([[1.0, 2.0], [3.0, 4.0]])
    mask = np.array([[True, False], [False, False], [True, True]])
    check_attention(unchanged_call(scaled_dot_product_attention, q, k, v, mask), attention(q, k, v, mask), 0, 1e-12)


def test_attention_permutation_invariance():
    r = rng(16)
    q, k, v = r.normal(size=(2, 4, 3)), r.normal(size=(2, 6, 3)), r.normal(size=(2, 6, 2))
    mask = random_mask(r, (2, 4, 6))
    perm = r.permutation(6)
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    out2, weights2 = scaled_dot_product_attention(q, k[:, perm], v[:, perm], mask[..., perm])
    close(out2, out, 0, 1e-12)
    close(weights2, weights[..., perm], 0, 1e-12)


def test_attention_scale_large_d():
    r = rng(17)
    q, k, v = r.normal(size=(2, 3, 256)), r.normal(size=(2, 5, 256)), r.normal(size=(2, 5, 4))
    check_attention(scaled_dot_product_attention(q, k, v), attention(q, k, v))


def test_attention_large_scores():
    r = rng(20)
    q = np.array([[1.0], [-1.0], [0.5]])
    k = np.array([[800.0], [-800.0], [797.0], [0.0], [799.5]])
    v = r.normal(size=(5, 3))
    check_attention(scaled_dot_product_attention(q, k, v), attention(q, k, v))
    q, k, v = r.normal(size=(2, 4, 2)) * 20, r.normal(size=(2, 6, 2)) * 20, r.normal(size=(2, 6, 3))
    check_attention(scaled_dot_product_attention(q, k, v), attention(q, k, v))


def test_attention_float32():
    r = rng(18)
    q, k, v = (r.normal(size=s).astype(np.float32) for s in ((2, 4, 8), (2, 5, 8), (2, 5, 3)))
    mask = random_mask(r, (2, 4, 5))
    check_attention(scaled_dot_product_attention(q, k, v, mask),
                    attention(q.astype(np.float64), k.astype(np.float64), v.astype(np.float64), mask),
                    1e-5, 1e-6, np.float32)


def test_causal_mask_exact():
    for T in (1, 2, 4):
        got = np.asarray(causal_mask(T))
        assert got.dtype == bool and np.array_equal(got, np.tril(np.ones((T, T), dtype=bool)))


def test_causal_mask_sizes():
    for T in (int(rng(19).integers(5, 12)), 16, 33):
        got = np.asarray(causal_mask(T))
        assert got.dtype == bool and np.array_equal(got, np.tril(np.ones((T, T), dtype=bool)))
