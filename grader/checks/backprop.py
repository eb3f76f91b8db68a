"""Checks for backprop (hw2): layers as forward/backward pairs, gradient descent, a net that learns XOR.

Oracles: closed forms in float64 for the forwards, torch autograd (float64, imported inside the
checks) for every backward, and the lecture's numerical method: central differences, computed by
the judge, of the judge's own forward (never of the student's: a forward and a backward that both
return zeros agree with each other perfectly).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..compare import as_array, as_sequence, expect_array, expect_equal, expect_float, expect_true
from ..context import Context
from ..gradients import away_from_kinks, expect_gradient, finite_difference, torch_vjp
from ..i18n import Text
from ..oracles import oracle
from ..registry import check
from ..tolerances import ATOL32, ATOL64, RTOL32, RTOL64, by_dtype
from .common import FLOAT32_HINT, against, with_float32

# Analytic gradient against torch's analytic gradient: both exact up to rounding.
TORCH_TOL, TORCH_FLOOR = 1e-9, 1e-8
# Central differences (h = 1e-6) of sum(dout * forward) with O(1) values: rounding ~1e-16 * |sum| / h
# ~ 1e-9 absolute; relative 1e-6 with a floor of 1e-2 allows 1e-8 absolute on near-zero entries.
FD_H, FD_TOL, FD_FLOOR = 1e-6, 1e-6, 1e-2

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_LABELS = [0, 1, 1, 0]
PARAM_NAMES = ("W1", "b1", "W2", "b2")
# The reference solution is verified to solve XOR for every seed below this bound.
MAX_SEED = 2000

HINT_CHAIN = Text(
    zh="讲义第 2 部分（链式法则）：dL/dw = dL/dy_hat * sigma'(z2) * dz2/dz1 * dz1/dw，其中 sigma'(z) = y_hat (1 - y_hat)；"
       "w 和 b 被所有样本共享，所以它们的梯度要在整个批量上相加。",
    en="Lecture part 2 (链式法则): dL/dw = dL/dy_hat * sigma'(z2) * dz2/dz1 * dz1/dw with sigma'(z) = y_hat (1 "
       "- y_hat), and w and b are shared by every sample, so their gradients add up over the batch.")
HINT_AFFINE = Text(
    zh="讲义第 2 部分（链式法则）：out = x W + b 的每个梯度都与对应输入形状相同；因为 b 加到了每一行上，db 要汇集整个批量的 dout。",
    en="Lecture part 2 (链式法则): each gradient of out = x W + b has the shape of its input, and since b is "
       "added to every row, db collects dout from the whole batch.")
HINT_RELU = Text(
    zh="讲义第 2 部分（反向传播）：ReLU 在 x > 0 处让梯度通过，其余位置阻断；恰好在 x == 0 处，课程约定斜率为 0。",
    en="Lecture part 2 (反向传播): ReLU passes the gradient where x > 0 and blocks it elsewhere, and at x == 0 "
       "exactly the course's convention is slope 0.")
HINT_NET = Text(
    zh="讲义第 2 部分（反向传播）：前向传播依次是仿射、ReLU、仿射，以及对 N 个样本求平均的 softmax 交叉熵；反向传播按相反的顺序"
       "经过同样的层，每一层接收它后面那一层传回的梯度。",
    en="Lecture part 2 (反向传播): the forward pass is affine, ReLU, affine and the mean softmax cross-entropy "
       "over N, and the backward pass runs the same layers in reverse order, each one receiving the gradient "
       "of the layer after it.")
FD_OF = Text("中心差分", "central differences")
MEAN_NOT_SUM = Text("对批量求平均而不是求和的结果", "the mean over the batch instead of the sum")


def _your_cache(forward: str) -> Text:
    return Text(f"使用你的 {forward} 返回的 cache", f"the cache from your {forward}")


def _f32(dtype: Any) -> Text:
    """The note a float32 variant adds to ``what``."""
    return Text("（float32）", " (float32)") if np.dtype(dtype) == np.float32 else Text("", "")


@oracle
def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # exact identity, overflow-free


def _forward(ctx: Context, function: str, *args: Any) -> tuple[Any, Any]:
    """(out, cache) from the student's forward, to feed the backward under test."""
    got = as_sequence(ctx.call_named(function, *args), 2, Text(f"{function}（为获得 cache 而调用）",
                                                               f"{function} (called to get the cache)"))
    return got[0], got[1]


@oracle
def _neuron_numeric(x: np.ndarray, w: np.ndarray, b: float, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d sum(dy * sigma(x w + b)) / dx and / dw by central differences (h = FD_H), in float64."""
    dx = finite_difference(lambda x_: _sigmoid(x_ @ w + b), x, FD_H, dy)
    dw = finite_difference(lambda w_: _sigmoid(x @ w_ + b), w, FD_H, dy)
    return dx, dw


@oracle
def _affine_numeric(x: np.ndarray, W: np.ndarray, b: np.ndarray, dout: np.ndarray) -> list[np.ndarray]:
    """d sum(dout * (x W + b)) / dx, dW, db by central differences (h = FD_H), in float64."""
    return [finite_difference(lambda x_: x_ @ W + b, x, FD_H, dout),
            finite_difference(lambda W_: x @ W_ + b, W, FD_H, dout),
            finite_difference(lambda b_: x @ W + b_, b, FD_H, dout)]


# --------------------------------------------------------------------------- neuron

def _neuron_inputs(ctx: Context, n: int, d: int, dtype=np.float64) -> tuple[np.ndarray, np.ndarray, float]:
    x = ctx.rng.normal(size=(n, d)).astype(dtype)
    w = (ctx.rng.normal(size=d) / np.sqrt(d)).astype(dtype)
    return x, w, float(ctx.rng.normal())


@check("hw2.backprop.neuron_forward.lecture_steps", hint=Text(
    zh="讲义第 2 部分：z1 = x w，z2 = z1 + b，y_hat = sigma(z2)，x 的每一行对应一个输出；cache 中保存反向传播需要的一切。",
    en="Lecture part 2: z1 = x w, z2 = z1 + b, y_hat = sigma(z2), one output per row of x; the cache holds whatever "
       "the backward pass needs."))
def neuron_forward_lecture_steps(ctx: Context) -> None:
    x = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
    w, b = np.array([0.5, -1.0]), 0.25
    case: str | Text = f"x = {x.tolist()}, w = {w.tolist()}, b = {b}"
    got = as_sequence(ctx.call_unchanged(x, w, b), 2, "neuron_forward", case)
    want = _sigmoid(x @ w + b)
    expect_array(got[0], want, "neuron_forward y_hat", case, rtol=1e-12, atol=1e-14, dtype=np.float64,
                 hint_on={Text("没有经过 sigmoid 的 z2 = x w + b", "z2 = x w + b without the sigmoid"): x @ w + b,
                          Text("sigma(x w)，缺少偏置", "sigma(x w), the bias missing"): _sigmoid(x @ w)})
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    got = as_sequence(ctx.call(x32, w32, b), 2, Text("neuron_forward，float32 的 x 和 w",
                                                     "neuron_forward with float32 x and w"), case)
    expect_array(got[0], want, Text("neuron_forward y_hat，float32 的 x 和 w",
                                    "neuron_forward y_hat with float32 x and w"),
                 case, rtol=RTOL32, atol=1e-6, dtype=np.float32)
    # The same steps for z2 on both sides of 0, near it and far from it (a sigmoid written in two
    # branches must join them at 0).
    x, w, b = np.array([[-6.0], [-2.5], [-0.25], [0.0], [0.25], [0.75], [2.5], [6.0]]), np.array([1.0]), 0.0
    case = Text(f"x = {x.ravel().tolist()} 作为单个特征，w = [1.0]，b = 0.0，所以 z2 = x",
                f"x = {x.ravel().tolist()} as one feature, w = [1.0], b = 0.0, so z2 = x")
    got = as_sequence(ctx.call(x, w, b), 2, "neuron_forward", case)
    expect_array(got[0], _sigmoid(x @ w + b), "neuron_forward y_hat", case, rtol=1e-12, atol=1e-14, dtype=np.float64,
                 hint_on={"sigma(-z2)": _sigmoid(-(x @ w + b))})


NEURON_X = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
NEURON_W, NEURON_B, NEURON_DY = np.array([0.5, -1.0]), 0.25, np.array([1.0, -2.0, 0.5])


@check("hw2.backprop.neuron_backward.small_example", hint=HINT_CHAIN)
def neuron_backward_small_example(ctx: Context) -> None:
    y = _sigmoid(NEURON_X @ NEURON_W + NEURON_B)
    dz = NEURON_DY * y * (1 - y)
    want = (np.outer(dz, NEURON_W), NEURON_X.T @ dz, float(np.sum(dz)))
    without_slope = (np.outer(NEURON_DY, NEURON_W), NEURON_X.T @ NEURON_DY)
    case = (f"x = {NEURON_X.tolist()}, w = {NEURON_W.tolist()}, b = {NEURON_B}, dy = {NEURON_DY.tolist()}, "
            + _your_cache("neuron_forward"))
    for dtype in (np.float64, np.float32):
        x, w, dy = NEURON_X.astype(dtype), NEURON_W.astype(dtype), NEURON_DY.astype(dtype)
        _, cache = _forward(ctx, "neuron_forward", x, w, NEURON_B)
        call = ctx.call_unchanged if dtype == np.float64 else ctx.call
        got = as_sequence(call(dy, cache), 3, "neuron_backward", case)
        tol = by_dtype(dtype)
        expect_array(got[0], want[0], "neuron_backward dx" + _f32(dtype), case, **tol, dtype=dtype,
                     hint_on={Text("不含 sigma'(z2) 的 dy * w", "dy * w without sigma'(z2)"): without_slope[0]})
        expect_array(got[1], want[1], "neuron_backward dw" + _f32(dtype), case, **tol, dtype=dtype,
                     hint_on={Text("不含 sigma'(z2) 的 x^T dy", "x^T dy without sigma'(z2)"): without_slope[1]})
        expect_float(got[2], want[2], "neuron_backward db" + _f32(dtype), case, **tol,
                     hint_on={MEAN_NOT_SUM: want[2] / 3})


@check("hw2.backprop.neuron_backward.matches_torch", hint=HINT_CHAIN)
def neuron_backward_matches_torch(ctx: Context) -> None:
    import torch

    for n, d, dtype in ((5, 3, np.float64), (1, 4, np.float64), (6, 2, np.float32)):
        x, w, b = _neuron_inputs(ctx, n, d, dtype)
        dy = ctx.rng.normal(size=n).astype(dtype)
        case = ctx.case(x=x, w=w, dy=dy, b=b)
        _, cache = _forward(ctx, "neuron_forward", x, w, b)
        got = as_sequence(ctx.call_unchanged(dy, cache), 3, "neuron_backward", case)
        _, want = torch_vjp(lambda x, w, b: torch.sigmoid(x @ w + b), {"x": x, "w": w, "b": np.array(b)}, dy)
        if dtype == np.float64:
            expect_gradient(got[0], want["x"], "neuron_backward dx", case, tol=TORCH_TOL, floor=TORCH_FLOOR,
                            dtype=dtype)
            expect_gradient(got[1], want["w"], "neuron_backward dw", case, tol=TORCH_TOL, floor=TORCH_FLOOR,
                            dtype=dtype)
            expect_float(got[2], float(want["b"]), "neuron_backward db", case, rtol=RTOL64, atol=ATOL64)
        else:
            expect_array(got[0], want["x"], "neuron_backward dx" + _f32(dtype), case, rtol=RTOL32, atol=ATOL32,
                         dtype=dtype)
            expect_array(got[1], want["w"], "neuron_backward dw" + _f32(dtype), case, rtol=RTOL32, atol=ATOL32,
                         dtype=dtype)
            expect_float(got[2], float(want["b"]), "neuron_backward db" + _f32(dtype), case, rtol=RTOL32, atol=ATOL32)


@check("hw2.backprop.neuron_backward.finite_differences", hint=HINT_CHAIN + Text(
    "本项检查与数值法对照：对神经元前向传播做中心差分。",
    " This check compares with the numerical method (数值法): central differences of the neuron's forward pass."))
def neuron_backward_finite_differences(ctx: Context) -> None:
    x, w, b = _neuron_inputs(ctx, 4, 3)
    dy = ctx.rng.normal(size=4)
    case = ctx.case(Text(f"对 y_hat = sigma(x w + b) 做中心差分（h = {FD_H:g}）",
                         f"central differences (h = {FD_H:g}) of y_hat = sigma(x w + b)"),
                    _your_cache("neuron_forward"), x=x, w=w, dy=dy, b=b)
    _, cache = _forward(ctx, "neuron_forward", x, w, b)
    got = as_sequence(ctx.call(dy, cache), 3, "neuron_backward", case)
    dx, dw = _neuron_numeric(x, w, b, dy)
    expect_gradient(got[0], dx, against("neuron_backward dx", FD_OF), case, tol=FD_TOL, floor=FD_FLOOR)
    expect_gradient(got[1], dw, against("neuron_backward dw", FD_OF), case, tol=FD_TOL, floor=FD_FLOOR)


# --------------------------------------------------------------------------- affine

def _affine_inputs(ctx: Context, n: int, d: int, m: int, dtype=np.float64):
    x = ctx.rng.normal(size=(n, d)).astype(dtype)
    W = (ctx.rng.normal(size=(d, m)) / np.sqrt(d)).astype(dtype)
    return x, W, ctx.rng.normal(size=m).astype(dtype)


HINT_AFFINE_FORWARD = Text(zh="讲义第 2 部分：仿射层计算 out = x W + b，偏置加到每一行上。",
                           en="Lecture part 2: an affine layer computes out = x W + b, the bias added to every row.")
AFFINE_X = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
AFFINE_W = np.array([[1.0, -1.0], [0.5, 2.0], [-2.0, 0.25]])
AFFINE_B, AFFINE_DOUT = np.array([0.5, -1.0]), np.array([[1.0, -0.5], [2.0, 3.0]])
AFFINE_CASE = f"x = {AFFINE_X.tolist()}, W = {AFFINE_W.tolist()}, b = {AFFINE_B.tolist()}"


@check("hw2.backprop.affine_forward.small_example", hint=HINT_AFFINE_FORWARD)
def affine_forward_small_example(ctx: Context) -> None:
    want = AFFINE_X @ AFFINE_W + AFFINE_B
    for dtype in (np.float64, np.float32):
        args = [a.astype(dtype) for a in (AFFINE_X, AFFINE_W, AFFINE_B)]
        call = ctx.call_unchanged if dtype == np.float64 else ctx.call
        got = as_sequence(call(*args), 2, "affine_forward", AFFINE_CASE)
        expect_array(got[0], want, f"affine_forward out ({np.dtype(dtype).name})", AFFINE_CASE, **by_dtype(dtype),
                     dtype=dtype, hint_on={Text("x @ W，缺少偏置", "x @ W, the bias missing"): AFFINE_X @ AFFINE_W})


@check("hw2.backprop.affine_forward.matches_formula", hint=HINT_AFFINE_FORWARD)
def affine_forward_matches_formula(ctx: Context) -> None:
    for n, d, m, dtype in ((4, 3, 5, np.float64), (1, 2, 2, np.float64), (3, 4, 2, np.float32)):
        x, W, b = _affine_inputs(ctx, n, d, m, dtype)
        case = ctx.case(x=x, W=W, b=b)
        got = as_sequence(ctx.call_unchanged(x, W, b), 2, "affine_forward", case)
        want = x.astype(np.float64) @ W.astype(np.float64) + b
        expect_array(got[0], want, "affine_forward out", case, **by_dtype(dtype), dtype=dtype)


@check("hw2.backprop.affine_backward.small_example", hint=HINT_AFFINE)
def affine_backward_small_example(ctx: Context) -> None:
    want = (AFFINE_DOUT @ AFFINE_W.T, AFFINE_X.T @ AFFINE_DOUT, AFFINE_DOUT.sum(axis=0))
    case = AFFINE_CASE + f", dout = {AFFINE_DOUT.tolist()}, " + _your_cache("affine_forward")
    for dtype in (np.float64, np.float32):
        _, cache = _forward(ctx, "affine_forward", *(a.astype(dtype) for a in (AFFINE_X, AFFINE_W, AFFINE_B)))
        call = ctx.call_unchanged if dtype == np.float64 else ctx.call
        got = as_sequence(call(AFFINE_DOUT.astype(dtype), cache), 3, "affine_backward", case)
        tol = by_dtype(dtype)
        expect_array(got[0], want[0], "affine_backward dx" + _f32(dtype), case, **tol, dtype=dtype)
        expect_array(got[1], want[1], "affine_backward dW" + _f32(dtype), case, **tol, dtype=dtype)
        expect_array(got[2], want[2], "affine_backward db" + _f32(dtype), case, **tol, dtype=dtype,
                     hint_on={Text("dout 对批量的平均（db 应求和）", "the mean of dout over the batch (db sums it)"):
                              want[2] / 2,
                              Text("只取第一个样本的 dout", "dout of the first sample only"): AFFINE_DOUT[0]})


@check("hw2.backprop.affine_backward.matches_torch", hint=HINT_AFFINE)
def affine_backward_matches_torch(ctx: Context) -> None:
    for n, d, m, dtype in ((4, 3, 5, np.float64), (1, 2, 3, np.float64), (5, 3, 2, np.float32)):
        x, W, b = _affine_inputs(ctx, n, d, m, dtype)
        dout = ctx.rng.normal(size=(n, m)).astype(dtype)
        case = ctx.case(x=x, W=W, b=b, dout=dout)
        _, cache = _forward(ctx, "affine_forward", x, W, b)
        got = as_sequence(ctx.call_unchanged(dout, cache), 3, "affine_backward", case)
        _, want = torch_vjp(lambda x, W, b: x @ W + b, {"x": x, "W": W, "b": b}, dout)
        for value, name in zip(got, ("x", "W", "b")):
            if dtype == np.float64:
                expect_gradient(value, want[name], f"affine_backward d{name}", case, tol=TORCH_TOL,
                                floor=TORCH_FLOOR, dtype=dtype)
            else:
                expect_array(value, want[name], f"affine_backward d{name}" + _f32(dtype), case, rtol=RTOL32,
                             atol=ATOL32, dtype=dtype)


@check("hw2.backprop.affine_backward.finite_differences", hint=HINT_AFFINE + Text(
    "本项检查与数值法对照：对 out = x W + b 做中心差分。",
    " This check compares with the numerical method (数值法): central differences of out = x W + b."))
def affine_backward_finite_differences(ctx: Context) -> None:
    x, W, b = _affine_inputs(ctx, 3, 4, 2)
    dout = ctx.rng.normal(size=(3, 2))
    case = ctx.case(Text(f"对 out = x W + b 做中心差分（h = {FD_H:g}）", f"central differences (h = {FD_H:g}) of "
                         "out = x W + b"), _your_cache("affine_forward"), x=x, W=W, b=b, dout=dout)
    _, cache = _forward(ctx, "affine_forward", x, W, b)
    got = as_sequence(ctx.call(dout, cache), 3, "affine_backward", case)
    for value, numeric, name in zip(got, _affine_numeric(x, W, b, dout), "xWb"):
        expect_gradient(value, numeric, against(f"affine_backward d{name}", FD_OF), case, tol=FD_TOL,
                        floor=FD_FLOOR)


# --------------------------------------------------------------------------- relu

HINT_RELU_FORWARD = Text(
    zh="讲义第 2 部分：ReLU 逐元素计算 max(0, x)，结果是一个与 x 的 dtype 相同的新数组，x 保持原样。",
    en="Lecture part 2: ReLU computes max(0, x) elementwise as a new array of x's dtype, leaving x as it was.")


@check("hw2.backprop.relu_forward.small_example", hint=HINT_RELU_FORWARD)
def relu_forward_small_example(ctx: Context) -> None:
    x = np.array([[-1.0, 0.0, 2.0], [0.0, 3.0, -0.5]])
    case = f"x = {x.tolist()}"
    for dtype in (np.float64, np.float32):
        got = as_sequence(ctx.call_unchanged(x.astype(dtype)), 2, "relu_forward", case)
        expect_array(got[0], np.maximum(x, 0), f"relu_forward out ({np.dtype(dtype).name})", case, rtol=0, atol=0,
                     dtype=dtype)


@check("hw2.backprop.relu_forward.matches_formula", hint=HINT_RELU_FORWARD)
def relu_forward_matches_formula(ctx: Context) -> None:
    for shape, dtype in (((4, 5), np.float64), ((2, 3, 2), np.float64), ((6,), np.float32)):
        x = ctx.rng.normal(size=shape).astype(dtype)
        x.reshape(-1)[:2] = 0.0  # exact zeros
        case = ctx.case(x=x)
        got = as_sequence(ctx.call_unchanged(x), 2, "relu_forward", case)
        expect_array(got[0], np.maximum(x, 0), "relu_forward out", case, rtol=0, atol=0, dtype=dtype)


@check("hw2.backprop.relu_backward.zero_at_kink", hint=HINT_RELU)
def relu_backward_zero_at_kink(ctx: Context) -> None:
    x = np.array([[-1.0, 0.0, 2.0], [0.0, 3.0, -0.5]])
    dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    case = Text(f"x = {x.tolist()}（含精确的 0），dout = {dout.tolist()}",
                f"x = {x.tolist()} (exact zeros), dout = {dout.tolist()}")
    _, cache = _forward(ctx, "relu_forward", x)
    expect_array(ctx.call_unchanged(dout, cache), dout * (x > 0), "relu_backward", case, rtol=0, atol=0,
                 dtype=np.float64, hint_on={Text("x == 0 处梯度取 1（掩码 x >= 0）", "gradient 1 at x == 0 (mask x >= 0)"):
                                            dout * (x >= 0)})


@check("hw2.backprop.relu_backward.matches_torch", hint=HINT_RELU)
def relu_backward_matches_torch(ctx: Context) -> None:
    import torch

    for shape, dtype in (((4, 5), np.float64), ((2, 3, 4), np.float64), ((3, 4), np.float32)):
        # Kept 1e-2 away from 0: the kink has its own check (zero_at_kink).
        x = away_from_kinks(ctx.rng, shape).astype(dtype)
        dout = ctx.rng.normal(size=shape).astype(dtype)
        case = ctx.case(x=x, dout=dout)
        _, cache = _forward(ctx, "relu_forward", x)
        got = ctx.call_unchanged(dout, cache)
        _, want = torch_vjp(lambda x: torch.relu(x), {"x": x}, dout)
        # Masking copies dout's entries: exact, in either dtype.
        expect_array(got, want["x"], against("relu_backward", AUTOGRAD), case, rtol=0, atol=0, dtype=dtype)


# --------------------------------------------------------------------------- sgd_step

AUTOGRAD = Text("torch 自动求导", "torch autograd")


def _expect_params(got: Any, want: dict[str, np.ndarray], what: str, case: str | Text, rtol: float, atol: float,
                   dtype: np.dtype | None = None) -> dict[str, np.ndarray]:
    expect_true(isinstance(got, dict), what, case, Text(f"应为 名称 -> 数组 的 dict，实际为 {type(got).__name__}",
                                                        f"expected a dict name -> array, got {type(got).__name__}"))
    expect_equal(sorted(got), sorted(want), Text(f"{what}：键", f"{what}: the keys"), case)
    return {k: expect_array(got[k], v, f"{what}[{k!r}]", case, rtol=rtol, atol=atol,
                            dtype=dtype if dtype is not None else v.dtype) for k, v in want.items()}


@check("hw2.backprop.sgd_step.update", hint=Text(
    zh="讲义第 2 部分（梯度下降）：对每个参数 w <- w - alpha * dL/dw，结果以同样的名称放在一个新的 dict 中返回。",
    en="Lecture part 2 (梯度下降): w <- w - alpha * dL/dw for every parameter, returned as a new dict with the same "
       "names."))
def sgd_step_update(ctx: Context) -> None:
    params = {"W": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([0.5, -0.5])}
    grads = {"W": np.array([[0.1, -0.2], [0.0, 1.0]]), "b": np.array([2.0, -3.0])}
    case = "params W = [[1,2],[3,4]], b = [0.5,-0.5]; grads W = [[0.1,-0.2],[0,1]], b = [2,-3]; lr = 0.1"
    want = {k: params[k] - 0.1 * grads[k] for k in params}
    _expect_params(ctx.call_unchanged(params, grads, 0.1), want, "sgd_step", case, rtol=1e-12, atol=1e-15)


@check("hw2.backprop.sgd_step.new_dict_inputs_unchanged", hint=Text(
    zh="课程约定：输入永不修改，所以更新要构造新的数组，调用者的参数保持原样。",
    en="The course's convention: inputs are never modified, so the update builds new arrays and leaves the caller's "
       "parameters as they were."))
def sgd_step_new_dict_inputs_unchanged(ctx: Context) -> None:
    for dtype in (np.float64, np.float32):
        sizes = {"W1": (3, 4), "b1": (4,), "W2": (4, 2), "b2": (2,)}
        params = {k: ctx.rng.normal(size=s).astype(dtype) for k, s in sizes.items()}
        grads = {k: ctx.rng.normal(size=s).astype(dtype) for k, s in sizes.items()}
        lr = float(ctx.rng.uniform(0.01, 1.0))
        layout = ", ".join(f"{k} {s}" for k, s in sizes.items())
        case = ctx.case(Text(f"params 和 grads：{layout} {np.dtype(dtype)}", f"params and grads {layout} "
                             f"{np.dtype(dtype)}"), lr=lr)
        got = ctx.call_unchanged(params, grads, lr)
        want = {k: params[k].astype(np.float64) - lr * grads[k] for k in params}
        _expect_params(got, want, "sgd_step", case, **by_dtype(dtype), dtype=np.dtype(dtype))


# --------------------------------------------------------------------------- two_layer_net

def _net_inputs(ctx: Context, n: int, d: int, h: int, c: int, dtype=np.float64):
    params = {"W1": ctx.rng.normal(size=(d, h)) / np.sqrt(d), "b1": ctx.rng.normal(scale=0.5, size=h),
              "W2": ctx.rng.normal(size=(h, c)) / np.sqrt(h), "b2": ctx.rng.normal(scale=0.5, size=c)}
    params = {k: v.astype(dtype) for k, v in params.items()}
    return params, ctx.rng.normal(size=(n, d)).astype(dtype), ctx.rng.integers(0, c, size=n)


@oracle
def _scores(params: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    return np.maximum(np.asarray(X, dtype=np.float64) @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"]


@oracle
def _torch_net(params: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    import torch
    import torch.nn.functional as F

    Xt, yt = torch.tensor(np.asarray(X, dtype=np.float64)), torch.tensor(y, dtype=torch.long)
    loss, grads = torch_vjp(lambda W1, b1, W2, b2: F.cross_entropy(torch.relu(Xt @ W1 + b1) @ W2 + b2, yt),
                            params)
    return float(loss), grads


def _net_case(ctx: Context, params: dict, X: np.ndarray, *notes: str | Text) -> Text:
    return ctx.case(*notes, X=X, **params)


NET_PARAMS = {"W1": np.array([[1.0, -1.0, 0.5], [0.5, 2.0, -1.0]]), "b1": np.array([0.1, -0.2, 0.0]),
              "W2": np.array([[1.0, -0.5, 0.0], [0.5, 1.0, -1.0], [-1.0, 0.5, 2.0]]), "b2": np.array([0.0, 0.5, -0.5])}
NET_X, NET_Y = np.array([[1.0, 0.5], [-1.0, 2.0], [0.0, -1.0], [2.0, 1.0]]), np.array([0, 2, 1, 2])


LARGE_SCORES = Text("，b2 + [400, -320, 395]（scores 最大到 400，相差 720）",
                    ", b2 + [400, -320, 395] (scores up to 400, 720 apart)")


def _keys(names: list[str], got: Any = None) -> Text:
    shown = "" if got is None else f", got {type(got).__name__}"
    shown_zh = "" if got is None else f"，实际为 {type(got).__name__}"
    return Text(f"应为包含键 {names} 的 dict{shown_zh}", f"expected a dict with the keys {names}{shown}")


@check("hw2.backprop.two_layer_net.small_example", hint=HINT_NET)
def two_layer_net_small_example(ctx: Context) -> None:
    case = Text(f"X = {NET_X.tolist()}，y = {NET_Y.tolist()}，W1 (2, 3)、b1 (3,)、W2 (3, 3)、b2 (3,) 固定；有一个隐藏单元对"
                "部分样本为负，所以 ReLU 的掩码起作用",
                f"X = {NET_X.tolist()}, y = {NET_Y.tolist()}, W1 (2, 3), b1 (3,), W2 (3, 3), b2 (3,) fixed; one hidden "
                "unit is negative for some samples, so the ReLU mask matters")
    scores = _scores(NET_PARAMS, NET_X)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    expect_array(ctx.call_unchanged(NET_PARAMS, NET_X), scores, "two_layer_net scores (y=None)", case, rtol=RTOL64,
                 atol=ATOL64, dtype=np.float64,
                 hint_on={Text("scores 的 softmax", "the softmax of the scores"): e / e.sum(axis=1, keepdims=True)})
    # b2 + [400, -320, 395]: scores 720 apart in every row, where a softmax shifted any other way than
    # by its row maximum overflows.
    for shift in (0.0, np.array([400.0, -320.0, 395.0])):
        params = dict(NET_PARAMS, b2=NET_PARAMS["b2"] + shift)
        note = case if np.isscalar(shift) else case + LARGE_SCORES
        got = as_sequence(ctx.call(params, NET_X, NET_Y), 2, "two_layer_net(params, X, y)", note)
        loss, grads = _torch_net(params, NET_X, NET_Y)
        expect_float(got[0], loss, Text("two_layer_net 的损失（softmax 交叉熵的平均）",
                                        "two_layer_net loss (mean softmax cross-entropy)"), note, rtol=RTOL64,
                     atol=ATOL64, hint_on={Text("对批量求和而不是求平均的结果", "the sum over the batch instead of the mean"):
                                           loss * len(NET_Y)})
        expect_true(isinstance(got[1], dict) and sorted(got[1]) == sorted(PARAM_NAMES), "two_layer_net grads", note,
                    _keys(list(PARAM_NAMES)))
        for k in PARAM_NAMES:
            expect_gradient(got[1][k], grads[k], f"two_layer_net grads[{k!r}]", note, tol=TORCH_TOL,
                            floor=TORCH_FLOOR, dtype=np.float64)


@check("hw2.backprop.two_layer_net.scores", hint=Text(
    zh="接口约定：y=None 时 two_layer_net 返回形状为 (N, C) 的 scores relu(X W1 + b1) W2 + b2，不经过任何 softmax。",
    en="The contract: with y=None two_layer_net returns the scores relu(X W1 + b1) W2 + b2 of shape (N, C), before "
       "any softmax."))
def two_layer_net_scores(ctx: Context) -> None:
    for n, d, h, c in ((5, 3, 4, 3), (1, 2, 6, 2)):
        params, X, _ = _net_inputs(ctx, n, d, h, c)
        expect_array(ctx.call_unchanged(params, X), _scores(params, X), "two_layer_net scores (y=None)",
                     _net_case(ctx, params, X), rtol=RTOL64, atol=ATOL64, dtype=np.float64)


@check("hw2.backprop.two_layer_net.loss_and_grads", hint=HINT_NET)
def two_layer_net_loss_and_grads(ctx: Context) -> None:
    for n, d, h, c in ((6, 3, 5, 4), (1, 2, 3, 2), (8, 4, 7, 3)):
        params, X, y = _net_inputs(ctx, n, d, h, c)
        case = _net_case(ctx, params, X, f"y={y.tolist()}")
        got = as_sequence(ctx.call_unchanged(params, X, y), 2, "two_layer_net(params, X, y)", case)
        loss, grads = _torch_net(params, X, y)
        expect_float(got[0], loss, against(Text("two_layer_net 的损失", "two_layer_net loss"), "torch F.cross_entropy"),
                     case, rtol=RTOL64, atol=ATOL64)
        expect_true(isinstance(got[1], dict), "two_layer_net grads", case, _keys(list(PARAM_NAMES), got[1]))
        expect_equal(sorted(got[1]), sorted(PARAM_NAMES),
                     Text("two_layer_net grads：键", "two_layer_net grads: the keys"), case)
        for k in PARAM_NAMES:
            expect_gradient(got[1][k], grads[k], against(f"two_layer_net grads[{k!r}]", AUTOGRAD), case,
                            tol=TORCH_TOL, floor=TORCH_FLOOR, dtype=np.float64)
    # Scores near 400, -320 and 395 in every row: e^400 is still finite, so even a softmax without
    # the max shift passes, but one shifted the wrong way (by + max, or by the row minimum: e^720)
    # overflows. The labels are the two likely classes, so every log-probability is moderate.
    params, X, _ = _net_inputs(ctx, 5, 3, 4, 3)
    params["b2"] = np.array([400.0, -320.0, 395.0])
    y = ctx.rng.choice([0, 2], size=5)
    case = _net_case(ctx, params, X, f"y={y.tolist()}") + LARGE_SCORES
    got = as_sequence(ctx.call(params, X, y), 2, "two_layer_net(params, X, y)", case)
    loss, grads = _torch_net(params, X, y)
    expect_float(got[0], loss, against(Text("two_layer_net 的损失（scores 很大）", "two_layer_net loss with large scores,"),
                                       "torch F.cross_entropy"), case, rtol=RTOL64, atol=ATOL64)
    expect_true(isinstance(got[1], dict) and all(k in got[1] for k in PARAM_NAMES), "two_layer_net grads", case,
                _keys(list(PARAM_NAMES)))
    for k in PARAM_NAMES:
        expect_gradient(got[1][k], grads[k], Text(f"two_layer_net grads[{k!r}]（scores 很大）",
                                                  f"two_layer_net grads[{k!r}] with large scores"), case,
                        tol=TORCH_TOL, floor=TORCH_FLOOR, dtype=np.float64)


@check("hw2.backprop.two_layer_net.float32", hint=FLOAT32_HINT)
def two_layer_net_float32(ctx: Context) -> None:
    params, X, y = _net_inputs(ctx, 5, 3, 4, 3, np.float32)
    case = _net_case(ctx, params, X)
    expect_array(ctx.call(params, X), _scores(params, X), with_float32("two_layer_net scores"), case,
                 rtol=RTOL32, atol=ATOL32, dtype=np.float32)
    got = as_sequence(ctx.call(params, X, y), 2, "two_layer_net(params, X, y)", case)
    loss, grads = _torch_net(params, X, y)
    expect_float(got[0], loss, with_float32(Text("two_layer_net 的损失", "two_layer_net loss")), case, rtol=RTOL32,
                 atol=ATOL32)
    expect_true(isinstance(got[1], dict), "two_layer_net grads", case,
                Text(f"应为 dict，实际为 {type(got[1]).__name__}", f"expected a dict, got {type(got[1]).__name__}"))
    for k in PARAM_NAMES:
        expect_true(k in got[1], "two_layer_net grads", case, Text(f"缺少键 {k!r}", f"missing key {k!r}"))
        expect_array(got[1][k], grads[k], with_float32(f"two_layer_net grads[{k!r}]"), case, rtol=RTOL32,
                     atol=ATOL32, dtype=np.float32)


# --------------------------------------------------------------------------- train_xor

def _trained(ctx: Context, seed: int | None) -> dict[str, np.ndarray]:
    """train_xor(seed) (train_xor() for None) checked for structure: the four arrays, consistent shapes, C = 2."""
    got = ctx.call() if seed is None else ctx.call(seed)
    what = "train_xor()" if seed is None else f"train_xor({seed})"
    expect_true(isinstance(got, dict), what, "", Text(f"应为参数 dict，实际为 {type(got).__name__}",
                                                      f"expected a params dict, got {type(got).__name__}"))
    expect_true(all(k in got for k in PARAM_NAMES), what, "",
                Text(f"应有键 {list(PARAM_NAMES)}，实际为 {sorted(got)}",
                     f"expected keys {list(PARAM_NAMES)}, got {sorted(got)}"))
    params = {k: as_array(got[k], f"{what}[{k!r}]").astype(np.float64) for k in PARAM_NAMES}
    W1, b1, W2, b2 = (params[k] for k in PARAM_NAMES)
    ok = (W1.ndim == 2 and W1.shape[0] == 2 and b1.shape == (W1.shape[1],) and W2.shape == (W1.shape[1], 2)
          and b2.shape == (2,))
    shown = ", ".join(f"{k} {v.shape}" for k, v in params.items())
    expect_true(ok, what, "", Text(f"形状应为 W1 (2, H)、b1 (H,)、W2 (H, 2)、b2 (2,)；实际为 {shown}",
                                   f"expected W1 (2, H), b1 (H,), W2 (H, 2), b2 (2,); got {shown}"))
    return params


# Not an @oracle: it evaluates the student's answer, so the student bundle keeps its code; with its
# inputs fixed to the lecture's four points it is no solution of any exercise.
def _xor_scores(params: dict[str, np.ndarray]) -> np.ndarray:
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    return np.maximum(XOR_X @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"]


def _expect_solves_xor(params: dict[str, np.ndarray], seed: int) -> None:
    scores = _xor_scores(params)  # the judge's own forward pass on the returned parameters
    predicted = [int(i) for i in np.argmax(scores, axis=1)]
    expect_equal(predicted, XOR_LABELS, Text(f"用 train_xor({seed}) 的参数计算 relu(X @ W1 + b1) @ W2 + b2 的 argmax",
                                             f"argmax of relu(X @ W1 + b1) @ W2 + b2 with train_xor({seed})'s params"),
                 f"X = [[0,0],[0,1],[1,0],[1,1]], scores = {np.round(scores, 3).tolist()}")


HINT_TRAIN = Text(
    zh="讲义第 2 部分（梯度下降）：训练从 numpy.random.default_rng(seed) 抽取的随机起点出发，反复进行前向传播、反向传播和一步 "
       "SGD，直到四个异或样本都被正确分类。",
    en="Lecture part 2 (梯度下降): training repeats forward pass, backward pass and an SGD step from a random "
       "start drawn from numpy.random.default_rng(seed), until the four XOR points are classified.")


@check("hw2.backprop.train_xor.solves_xor", hint=HINT_TRAIN)
def train_xor_solves_xor(ctx: Context) -> None:
    for seed in range(5):
        _expect_solves_xor(_trained(ctx, seed), seed)


@check("hw2.backprop.train_xor.random_seeds", hint=HINT_TRAIN)
def train_xor_random_seeds(ctx: Context) -> None:
    for seed in ctx.rng.choice(np.arange(5, MAX_SEED), size=5, replace=False):
        _expect_solves_xor(_trained(ctx, int(seed)), int(seed))


@check("hw2.backprop.train_xor.same_seed_same_params", hint=Text(
    zh="接口约定：所有随机数都来自 numpy.random.default_rng(seed)，所以相同的 seed 给出相同的参数，不同的 seed 给出不同的起点，"
       "默认 seed 为 0。",
    en="The contract: every random number comes from numpy.random.default_rng(seed), so the same seed gives the same "
       "parameters, another seed another start, and the default seed is 0."))
def train_xor_same_seed_same_params(ctx: Context) -> None:
    seed, other = (int(s) for s in ctx.rng.choice(np.arange(1, MAX_SEED), size=2, replace=False))
    first, second = _trained(ctx, seed), _trained(ctx, seed)
    # Reproducible parameters that were never trained (the random start returned as it is) are not
    # what the contract reproduces: the seed's result must be a solution too.
    _expect_solves_xor(first, seed)
    for k in PARAM_NAMES:
        expect_true(first[k].shape == second[k].shape and np.array_equal(first[k], second[k]),
                    Text(f"调用两次 train_xor({seed})", f"train_xor({seed}) called twice"), ctx.case(),
                    Text(f"两次调用返回了不同的 {k}：结果必须只取决于 seed",
                         f"the two calls returned different {k}: the result must depend on the seed only"))
    # The default seed is 0: train_xor() and train_xor(0) start from the same draw.
    default, zero = _trained(ctx, None), _trained(ctx, 0)
    for k in PARAM_NAMES:
        expect_true(default[k].shape == zero[k].shape and np.array_equal(default[k], zero[k]),
                    Text("train_xor() 与 train_xor(0)", "train_xor() and train_xor(0)"),
                    Text("接口约定的默认值 seed=0", "the contract's default seed=0"),
                    Text(f"两次调用返回了不同的 {k}：不传参数时 seed 为 0",
                         f"the two calls returned different {k}: without an argument the seed is 0"))
    third = _trained(ctx, other)
    expect_true(any(first[k].shape != third[k].shape or not np.array_equal(first[k], third[k]) for k in PARAM_NAMES),
                Text(f"train_xor({seed}) 与 train_xor({other})", f"train_xor({seed}) and train_xor({other})"),
                ctx.case(),
                Text("两个不同的 seed 返回了完全相同的参数：起点必须从 numpy.random.default_rng(seed) 中抽取",
                     "two different seeds returned identical parameters: the start must be drawn from "
                     "numpy.random.default_rng(seed)"))
