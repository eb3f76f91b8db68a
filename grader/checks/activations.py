"""Checks for activations (hw1): the lecture's activation table and each derivative.

Oracles: PyTorch in float64 for every function (torch.sigmoid, tanh, relu, leaky_relu, elu,
prelu) and torch autograd for every derivative, on random inputs kept away from x == 0; the
contract's own values at x == 0 (where its convention differs from torch's for leaky/elu/prelu);
and, for sigmoid's tails, an exact oracle in Python floats.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..child.payloads import WarningsAnswer, WarningsRequest
from ..compare import as_array, expect_array, expect_true, fail, mismatch_report
from ..context import Context
from ..gradients import away_from_kinks
from ..i18n import Text
from ..oracles import oracle
from ..registry import check
from ..tolerances import ATOL32, RTOL32
from .common import with_float32

# float64 on |x| <~ 12, compared with torch's transcendental functions: a sound formula other than
# torch's (s*(1-s) against s(x)*s(-x), expm1 against exp-1, 1-tanh^2 against 1/cosh^2) differs by a
# few 1e-16 in absolute terms, so atol 1e-12 with rtol 1e-9 forgives the formula and nothing else
# (values near 0 make the usual atol 1e-10 too loose here). float32: the usual room (tolerances.py).
RTOL64, ATOL64 = 1e-9, 1e-12
SHAPES = ((9,), (4, 5), (2, 3, 2, 2))
TINY = np.finfo(np.float64).tiny  # 2.2250738585072014e-308, the smallest normal float64

HINT_ZERO = Text(
    zh="讲义第 1 部分（激活函数）与课程接口约定：在 x == 0 处，分段激活函数的导数取 x >= 0 那一支的值（Leaky ReLU、ELU 和 "
       "PReLU 为 1），ReLU 除外，它在该点的斜率为 0。",
    en="Lecture part 1 (激活函数) and the course contract: at x == 0 a piecewise activation's derivative takes "
       "the x >= 0 branch (1 for leaky ReLU, ELU and PReLU), except ReLU, whose slope there is 0.")
HINT_SIGMOID = Text(
    zh="讲义第 1 部分（Sigmoid，激活函数表）：1/(1+e^-x) 与 e^x/(1+e^x) 是同一个函数，而对不大于 0 的数取指数永远不会溢出。"
       "准确且不溢出的 sigmoid 会根据 x 的符号在这两种形式之间选择。",
    en="Lecture part 1 (Sigmoid, 激活函数表): 1/(1+e^-x) and e^x/(1+e^x) are the same function, and an "
       "exponential of a number <= 0 can never overflow. An accurate, overflow-free sigmoid picks "
       "between the two forms by the sign of x.")


# --------------------------------------------------------------------------- oracles (torch, float64)

def _torch_fn(name: str, param: Any = None) -> Callable[..., Any]:
    """The torch version of activation ``name`` as a function of a float64 tensor."""
    import torch
    import torch.nn.functional as F

    if name == "sigmoid":
        return torch.sigmoid
    if name == "tanh":
        return torch.tanh
    if name == "relu":
        return torch.relu
    if name == "leaky_relu":
        return lambda t: F.leaky_relu(t, negative_slope=param)
    if name == "elu":
        return lambda t: F.elu(t, alpha=param)
    raise KeyError(name)


def _prelu_torch(t: Any, alpha_full: Any) -> Any:
    """torch's prelu with one slope per element: every element is its own channel of a (1, M) input."""
    import torch.nn.functional as F

    return F.prelu(t.reshape(1, -1), alpha_full.reshape(-1)).reshape(t.shape)


@oracle
def _value(name: str, x: np.ndarray, param: Any = None) -> np.ndarray:
    import torch

    t = torch.tensor(x, dtype=torch.float64)
    if name == "prelu":
        alpha = torch.tensor(np.broadcast_to(np.asarray(param, dtype=np.float64), x.shape).copy())
        return _prelu_torch(t, alpha).numpy()
    return _torch_fn(name, param)(t).numpy()


@oracle
def _grad(name: str, x: np.ndarray, param: Any = None, wrt: str = "x") -> np.ndarray:
    """Elementwise derivative by torch autograd: d sum(f(x)) / dx (or / d alpha for prelu)."""
    import torch

    t = torch.tensor(x, dtype=torch.float64, requires_grad=(wrt == "x"))
    if name == "prelu":
        alpha = torch.tensor(np.broadcast_to(np.asarray(param, dtype=np.float64), x.shape).copy(),
                             requires_grad=(wrt == "alpha"))
        out = _prelu_torch(t, alpha)
        leaf = t if wrt == "x" else alpha
    else:
        out, leaf = _torch_fn(name, param)(t), t
    (g,) = torch.autograd.grad(out.sum(), [leaf])
    return g.numpy()


# --------------------------------------------------------------------------- shared check bodies

def _args(param: Any, keyword: str | None) -> tuple[tuple, dict]:
    if param is None:
        return (), {}
    return ((param,), {}) if keyword is None else ((), {keyword: param})


def _params(param: Any, keyword: str | None) -> dict[str, Any]:
    """The parameter as a named value of the case (alpha, gamma), when there is one."""
    return {} if param is None else {keyword or "alpha": param}


def _compare(ctx: Context, func: str, oracle: Callable[[np.ndarray, Any], np.ndarray], params: list[Any],
             keyword: str | None = None, hint_on: Callable[[np.ndarray, Any], dict] | None = None) -> None:
    """float64 random inputs (unchanged, every param) then float32, against ``oracle(x, param)``."""
    for i, shape in enumerate(SHAPES):
        param = params[i % len(params)]
        x = away_from_kinks(ctx.rng, shape, margin=1e-2, scale=3.0)
        args, kwargs = _args(param, keyword)
        got = ctx.call_unchanged(x, *args, **kwargs)
        expect_array(got, oracle(x, param), func, ctx.case(x=x, **_params(param, keyword)),
                     rtol=RTOL64, atol=ATOL64, dtype=np.float64,
                     hint_on=hint_on(x, param) if hint_on else None)
    for param in params:
        x32 = away_from_kinks(ctx.rng, (3, 4), margin=1e-2, scale=3.0).astype(np.float32)
        p32 = param.astype(np.float32) if isinstance(param, np.ndarray) else param
        args, kwargs = _args(p32, keyword)
        got = ctx.call(x32, *args, **kwargs)
        expect_array(got, oracle(x32.astype(np.float64), param), with_float32(func),
                     ctx.case(x=x32, **_params(p32, keyword)), rtol=RTOL32, atol=ATOL32, dtype=np.float32)


def _expect_at_zero(ctx: Context, func: str, x: np.ndarray, want: np.ndarray, param: Any, keyword: str | None,
                    other_branch: np.ndarray) -> None:
    """The value at x == 0 in float64, then the same in float32 (the dtype convention)."""
    for dtype, rtol in ((np.float64, 1e-12), (np.float32, RTOL32)):
        p = param.astype(dtype) if isinstance(param, np.ndarray) else param
        args, kwargs = _args(p, keyword)
        case = ", ".join([f"x = {x.tolist()} {np.dtype(dtype).name}"] + [
            f"{k}={np.asarray(v).tolist()}" for k, v in _params(param, keyword).items()])
        expect_array(ctx.call(x.astype(dtype), *args, **kwargs), want, Text(f"{func} 在 x == 0 处", f"{func} at x == 0"),
                     case, rtol=rtol, atol=0, dtype=dtype,
                     hint_on={Text("x < 0 那一支在 x == 0 处的值", "the x < 0 branch's value at x == 0"): other_branch})


# A small fixed table for the visible checks: both signs, 0, and values where the branches differ.
X_TABLE = np.array([[-3.0, -1.0, -0.5, 0.0], [0.25, 0.5, 1.0, 3.0]])


def _table(ctx: Context, func: str, oracle: Callable[[np.ndarray, Any], np.ndarray], params: list[Any],
           keyword: str | None = None, hint_on: Callable[[np.ndarray, Any], dict] | None = None) -> None:
    """The visible check of one function: X_TABLE with every param, in float64 and in float32."""
    for param in params:
        note = "" if param is None else f", {keyword or 'alpha'} = {np.asarray(param).tolist()}"
        case = f"x = {X_TABLE.tolist()}{note}"
        want = oracle(X_TABLE, param)
        alternatives = hint_on(X_TABLE, param) if hint_on else None
        args, kwargs = _args(param, keyword)
        expect_array(ctx.call_unchanged(X_TABLE, *args, **kwargs), want, func, case, rtol=RTOL64, atol=ATOL64,
                     dtype=np.float64, hint_on=alternatives)
        p32 = param.astype(np.float32) if isinstance(param, np.ndarray) else param
        args, kwargs = _args(p32, keyword)
        expect_array(ctx.call(X_TABLE.astype(np.float32), *args, **kwargs), want, with_float32(func),
                     case, rtol=RTOL32, atol=ATOL32, dtype=np.float32, hint_on=alternatives)


# --------------------------------------------------------------------------- sigmoid

@oracle
def _sigmoid_exact(x: float) -> float:
    """sigma(x) in Python floats, only ever exponentiating a non-positive number (a few ulp)."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _tail_grid() -> np.ndarray:
    # log(tiny) = -708.396...: e^x there is still a normal float (2.2250738585072626e-308), the
    # last point where the contract asks for full relative accuracy rather than 0.
    special = [-1e4, -1e3, -800, -746, -745.2, -745, -744, -709, float(np.log(TINY)), -708, -700, -100, -40,
               -37, -36, -20, -1, -1e-8, 0.0, 1e-8, 1, 20, 36, 37, 40, 100, 700, 709, 710, 745, 1e3, 1e4]
    return np.unique(np.concatenate([np.linspace(-1e4, 1e4, 201), np.linspace(-800, 800, 161),
                                     np.linspace(-50, 50, 101), special]))


@check("hw1.activations.sigmoid.matches_torch", hint=HINT_SIGMOID)
def sigmoid_matches_torch(ctx: Context) -> None:
    _compare(ctx, "sigmoid", lambda x, _: _value("sigmoid", x), [None])


@check("hw1.activations.sigmoid.exact_in_the_tails", hint=Text(
    zh="讲义第 1 部分（Sigmoid）：当 x << 0 时真实值极小（sigma(-40) 约为 4.2e-18），用 1 去减或经由 tanh 计算的形式会把它丢掉。"
       "e^x/(1+e^x) 这一形式在那里能保持完整的相对精度。",
    en="Lecture part 1 (Sigmoid): for x << 0 the true value is tiny (sigma(-40) is about 4.2e-18), and a form that "
       "subtracts from 1 or goes through tanh loses it. The form e^x/(1+e^x) keeps full relative accuracy there."))
def sigmoid_exact_in_the_tails(ctx: Context) -> None:
    x = _tail_grid()
    case = Text(f"x：从 -1e4 到 1e4 的 {x.size} 个值，包括 -745、-700、-40、0、40、1e4",
                f"x: {x.size} values from -1e4 to 1e4, including -745, -700, -40, 0, 40, 1e4")
    got = as_array(ctx.call_unchanged(x), "sigmoid", case, dtype=np.float64, shape=x.shape)
    want = np.array([_sigmoid_exact(float(v)) for v in x])
    # 1e-12 relative where the true value is a normal float (the contract); below the smallest
    # normal float the answer must be 0.0 or within one smallest-normal of the truth.
    err = np.abs(got - want)
    bad = (err > np.where(want >= TINY, 1e-12 * want, TINY)) | (got < 0) | (got > 1)
    if np.any(bad):
        raise fail(Text("sigmoid 在 |x| 很大时", "sigmoid on large |x|"), case,
                   mismatch_report(got, want, bad, err, 1e-12, float(TINY))
                   + Text("（容差：sigma(x) >= 2.2e-308 处为相对误差 1e-12，其余为绝对误差 2.2e-308）",
                          " (tolerance: 1e-12 relative where sigma(x) >= 2.2e-308, else 2.2e-308 absolute)"))


@check("hw1.activations.sigmoid.warning_free", hint=Text(
    zh="讲义第 1 部分（Sigmoid）：当 x << 0 时 e^-x 会溢出，即使这个值随后被丢弃也是如此，而 numpy 在溢出时会发出警告。"
       "只有对不大于 0 的数取指数才是安全的。",
    en="Lecture part 1 (Sigmoid): e^-x overflows for x << 0 even when that value is discarded afterwards, and numpy "
       "warns when it does. Only exponentials of numbers <= 0 are safe."))
def sigmoid_warning_free(ctx: Context) -> None:
    for dtype in (np.float64, np.float32):
        x = np.array([-1e4, -1e3, -800, -745, -100, -40, -1, 0, 1, 40, 100, 800, 1e3, 1e4], dtype=dtype)
        case = f"x = {x.tolist()} {np.dtype(dtype).name}"
        want = np.array([_sigmoid_exact(float(v)) for v in x])
        # Which warnings a call emits is seen only inside the child, so the points also need the
        # values: a sigmoid at all, not its last bits in the tails (exact_in_the_tails asks that).
        # Every value lies in [0, 1]: 1e-12 absolute (float32: 1e-6) tells sigma(x) from anything else.
        atol = 1e-12 if dtype == np.float64 else 1e-6
        got = ctx.call(x)  # a missing or unfinished sigmoid ends the check here, with its own status
        expect_array(got, want, "sigmoid", case, rtol=0, atol=atol, dtype=dtype)  # NaN/inf fail here too
        request: WarningsRequest = {"function": "sigmoid", "args": [x]}
        reply: WarningsAnswer = ctx.drive("activations.warnings", request)
        expect_array(reply.get("value") if isinstance(reply, dict) else None, want,
                     Text("sigmoid（再次调用，记录警告）", "sigmoid (called again, warnings recorded)"), case,
                     rtol=0, atol=atol, dtype=dtype)
        warned = reply.get("warnings")
        if not isinstance(warned, list):
            raise fail("sigmoid", case, Text("警告没有以列表的形式返回", "the warnings did not come back as a list"))
        runtime = [w for w in warned if str(w).startswith(("RuntimeWarning", "FloatingPointError"))]
        expect_true(not runtime, "sigmoid", case,
                    Text(f"发出了 {len(runtime)} 个警告，第一个：`{runtime[0] if runtime else ''}`",
                         f"emitted {len(runtime)} warning(s), first: `{runtime[0] if runtime else ''}`"))


HINT_SIGMOID_GRAD = Text(
    zh="讲义第 1 部分（梯度消失）：sigma'(x) = sigma(x)(1 - sigma(x))，在 x = 0 处取最大值 1/4，这正是深层 sigmoid 网络"
       "出现梯度消失的原因。",
    en="Lecture part 1 (梯度消失): sigma'(x) = sigma(x)(1 - sigma(x)), at most 1/4 at x = 0, which is "
       "why deep sigmoid networks suffer from vanishing gradients.")


def _sigmoid_grad_alternatives(x: np.ndarray, _: Any) -> dict:
    s = _value("sigmoid", x)
    return {"s * (1 + s)": s * (1 + s), Text("sigma(x) 本身", "sigma(x) itself"): s}


@check("hw1.activations.sigmoid_grad.small_table", hint=HINT_SIGMOID_GRAD)
def sigmoid_grad_small_table(ctx: Context) -> None:
    _table(ctx, "sigmoid_grad", lambda x, _: _grad("sigmoid", x), [None], hint_on=_sigmoid_grad_alternatives)


@check("hw1.activations.sigmoid_grad.matches_torch", hint=HINT_SIGMOID_GRAD)
def sigmoid_grad_matches_torch(ctx: Context) -> None:
    _compare(ctx, "sigmoid_grad", lambda x, _: _grad("sigmoid", x), [None], hint_on=_sigmoid_grad_alternatives)


# --------------------------------------------------------------------------- tanh

HINT_TANH = Text(
    zh="讲义第 1 部分（激活函数表，Tanh）：tanh(x) = (e^x - e^-x)/(e^x + e^-x)，以 0 为中心，取值在 (-1, 1) 之间。",
    en="Lecture part 1 (激活函数表, Tanh): tanh(x) = (e^x - e^-x)/(e^x + e^-x), zero-centred with values in (-1, 1).")
HINT_TANH_GRAD = Text(
    zh="讲义第 1 部分（激活函数表）：tanh'(x) = 1 - tanh(x)^2，在 x = 0 处等于 1，|x| 很大时趋于 0。",
    en="Lecture part 1 (激活函数表): tanh'(x) = 1 - tanh(x)^2, equal to 1 at x = 0 and vanishing for large |x|.")


def _tanh_grad_alternatives(x: np.ndarray, _: Any) -> dict:
    return {Text("1 - tanh(x)（缺少平方）", "1 - tanh(x) (the square is missing)"): 1 - np.tanh(x)}


@check("hw1.activations.tanh.small_table", hint=HINT_TANH)
def tanh_small_table(ctx: Context) -> None:
    _table(ctx, "tanh", lambda x, _: _value("tanh", x), [None],
           hint_on=lambda x, _: {Text("sigmoid 的结果", "the sigmoid"): _value("sigmoid", x)})


@check("hw1.activations.tanh.matches_torch", hint=HINT_TANH)
def tanh_matches_torch(ctx: Context) -> None:
    _compare(ctx, "tanh", lambda x, _: _value("tanh", x), [None])


@check("hw1.activations.tanh_grad.small_table", hint=HINT_TANH_GRAD)
def tanh_grad_small_table(ctx: Context) -> None:
    _table(ctx, "tanh_grad", lambda x, _: _grad("tanh", x), [None], hint_on=_tanh_grad_alternatives)


@check("hw1.activations.tanh_grad.matches_torch", hint=HINT_TANH_GRAD)
def tanh_grad_matches_torch(ctx: Context) -> None:
    _compare(ctx, "tanh_grad", lambda x, _: _grad("tanh", x), [None], hint_on=_tanh_grad_alternatives)


# --------------------------------------------------------------------------- relu

HINT_RELU = Text(zh="讲义第 1 部分（ReLU，线性整流函数）：逐元素取 max(0, x)。",
                 en="Lecture part 1 (ReLU, 线性整流函数): max(0, x) elementwise.")


@check("hw1.activations.relu.small_table", hint=HINT_RELU)
def relu_small_table(ctx: Context) -> None:
    _table(ctx, "relu", lambda x, _: _value("relu", x), [None])


@check("hw1.activations.relu.matches_torch", hint=HINT_RELU)
def relu_matches_torch(ctx: Context) -> None:
    _compare(ctx, "relu", lambda x, _: _value("relu", x), [None])


@check("hw1.activations.relu_grad.matches_torch", hint=Text(
    zh="讲义第 1 部分（ReLU）：x > 0 处斜率为 1，x < 0 处斜率为 0。",
    en="Lecture part 1 (ReLU): the slope is 1 where x > 0 and 0 where x < 0."))
def relu_grad_matches_torch(ctx: Context) -> None:
    _compare(ctx, "relu_grad", lambda x, _: _grad("relu", x), [None])


@check("hw1.activations.relu_grad.at_zero", hint=HINT_ZERO)
def relu_grad_at_zero(ctx: Context) -> None:
    x = np.array([-1.5, 0.0, 2.0, 0.0])
    expect_array(ctx.call(x), np.array([0.0, 0.0, 1.0, 0.0]), Text("relu_grad 在 x == 0 处", "relu_grad at x == 0"),
                 f"x = {x.tolist()}", rtol=0, atol=0, dtype=np.float64,
                 hint_on={Text("x == 0 处取 1（用了 x >= 0）", "1 at x == 0 (x >= 0 used)"): np.array([0.0, 1, 1, 1])})


# --------------------------------------------------------------------------- leaky relu

HINT_LEAKY = Text(
    zh="讲义第 1 部分（Leaky ReLU）：x >= 0 时为 x，x < 0 时为 alpha * x，alpha 取调用者传入的值（默认 0.01）。",
    en="Lecture part 1 (Leaky ReLU): x for x >= 0 and alpha * x for x < 0, with the alpha the caller "
       "passes (default 0.01).")


@check("hw1.activations.leaky_relu.small_table", hint=HINT_LEAKY)
def leaky_relu_small_table(ctx: Context) -> None:
    _table(ctx, "leaky_relu", lambda x, a: _value("leaky_relu", x, 0.01 if a is None else a), [None, 0.2],
           keyword="alpha", hint_on=lambda x, a: {Text("默认 alpha = 0.01 的 Leaky ReLU（忽略了 alpha）",
                                                        "leaky ReLU with the default alpha = 0.01 (alpha ignored)"):
                                                   _value("leaky_relu", x, 0.01)})


@check("hw1.activations.leaky_relu.matches_torch", hint=HINT_LEAKY)
def leaky_relu_matches_torch(ctx: Context) -> None:
    _compare(ctx, "leaky_relu", lambda x, a: _value("leaky_relu", x, 0.01 if a is None else a),
             [None, 0.2, 0.05], keyword="alpha")


@check("hw1.activations.leaky_relu_grad.matches_torch", hint=Text(
    zh="讲义第 1 部分（Leaky ReLU）：x >= 0 时斜率为 1，x < 0 时斜率为 alpha，alpha 取调用者传入的值。",
    en="Lecture part 1 (Leaky ReLU): the slope is 1 for x >= 0 and alpha for x < 0, with the alpha the caller "
       "passes."))
def leaky_relu_grad_matches_torch(ctx: Context) -> None:
    _compare(ctx, "leaky_relu_grad", lambda x, a: _grad("leaky_relu", x, 0.01 if a is None else a),
             [None, 0.3, 0.05], keyword="alpha")


@check("hw1.activations.leaky_relu_grad.at_zero", hint=HINT_ZERO)
def leaky_relu_grad_at_zero(ctx: Context) -> None:
    x = np.array([-2.0, 0.0, 3.0])
    for alpha in (None, 0.2):
        a = 0.01 if alpha is None else alpha
        _expect_at_zero(ctx, "leaky_relu_grad", x, np.array([a, 1.0, 1.0]), alpha, "alpha", np.array([a, a, 1.0]))


# --------------------------------------------------------------------------- elu

HINT_ELU = Text(
    zh="讲义第 1 部分（ELU）：x >= 0 时为 x，x < 0 时为 gamma * (e^x - 1)，gamma 取调用者传入的值（默认 1）。",
    en="Lecture part 1 (ELU): x for x >= 0 and gamma * (e^x - 1) for x < 0, with the gamma the caller passes "
       "(default 1).")


def _elu_alternatives(x: np.ndarray, gamma: Any) -> dict:
    return {Text("gamma = 1 的 ELU（忽略了 gamma）", "ELU with gamma = 1 (gamma ignored)"): _value("elu", x, 1.0)}


@check("hw1.activations.elu.small_table", hint=HINT_ELU)
def elu_small_table(ctx: Context) -> None:
    _table(ctx, "elu", lambda x, g: _value("elu", x, 1.0 if g is None else g), [None, 0.5, 2.0], keyword="gamma",
           hint_on=_elu_alternatives)


@check("hw1.activations.elu.matches_torch", hint=HINT_ELU)
def elu_matches_torch(ctx: Context) -> None:
    _compare(ctx, "elu", lambda x, g: _value("elu", x, 1.0 if g is None else g), [0.5, None, 2.0],
             keyword="gamma", hint_on=_elu_alternatives)


@check("hw1.activations.elu_grad.matches_torch", hint=Text(
    zh="讲义第 1 部分（ELU）：x >= 0 时斜率为 1，x < 0 时斜率为 gamma * e^x，gamma 取调用者传入的值。",
    en="Lecture part 1 (ELU): the slope is 1 for x >= 0 and gamma * e^x for x < 0, with the gamma the caller passes."))
def elu_grad_matches_torch(ctx: Context) -> None:
    _compare(ctx, "elu_grad", lambda x, g: _grad("elu", x, 1.0 if g is None else g), [0.5, None, 2.0],
             keyword="gamma")


@check("hw1.activations.elu_grad.at_zero", hint=HINT_ZERO)
def elu_grad_at_zero(ctx: Context) -> None:
    x = np.array([-1.0, 0.0, 2.0])
    gamma = 0.5
    _expect_at_zero(ctx, "elu_grad", x, np.array([gamma * math.exp(-1.0), 1.0, 1.0]), gamma, "gamma",
                    np.array([gamma * math.exp(-1.0), gamma, 1.0]))


# --------------------------------------------------------------------------- prelu

# A learned slope may exceed 1 (the contract): then alpha * x < x for x < 0, and max(x, alpha * x)
# picks the wrong branch. Every PReLU check has slopes on both sides of 1.
PRELU_SCALARS = (0.1, 0.25, 1.7)


def _slopes(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Per-channel slopes in (0.05, 2.5), at least one above 1 and one below."""
    alpha = rng.uniform(0.05, 2.5, size=shape)
    alpha.flat[0], alpha.flat[-1] = rng.uniform(1.2, 2.5), rng.uniform(0.05, 0.5)
    return alpha


def _channel_cases(rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """(x, alpha) with one slope per channel: (N, C, H, W) with (C, 1, 1), and (N, C) with (C,)."""
    return [(away_from_kinks(rng, (2, 3, 2, 4), margin=1e-2, scale=3.0), _slopes(rng, (3, 1, 1))),
            (away_from_kinks(rng, (5, 4), margin=1e-2, scale=3.0), _slopes(rng, (4,)))]


def _prelu_family(ctx: Context, func: str, oracle: Callable[[np.ndarray, Any], np.ndarray], scalar: bool,
                  channels: bool, hint_on: Callable[[np.ndarray, Any], dict] | None = None) -> None:
    if scalar:
        _compare(ctx, func, oracle, list(PRELU_SCALARS), hint_on=hint_on)
    if channels:
        for x, alpha in _channel_cases(ctx.rng):
            case = ctx.case(Text("每个通道一个斜率", "one slope per channel"), x=x, alpha=alpha)
            expect_array(ctx.call_unchanged(x, alpha), oracle(x, alpha), func, case, rtol=RTOL64, atol=ATOL64,
                         dtype=np.float64, hint_on=hint_on(x, alpha) if hint_on else None)
        x32 = away_from_kinks(ctx.rng, (2, 3, 4), margin=1e-2, scale=3.0).astype(np.float32)
        a32 = _slopes(ctx.rng, (3, 1)).astype(np.float32)
        expect_array(ctx.call(x32, a32), oracle(x32.astype(np.float64), a32.astype(np.float64)),
                     with_float32(func), ctx.case(x=x32, alpha=a32), rtol=RTOL32, atol=ATOL32, dtype=np.float32)


HINT_PRELU = Text(
    zh="讲义第 1 部分（PReLU）：x >= 0 时为 x，x < 0 时为 alpha * x；取哪一支只由 x 的符号决定，因为学到的 alpha 可能大于 1。",
    en="Lecture part 1 (PReLU): x for x >= 0 and alpha * x for x < 0, the branch chosen by the sign of x "
       "alone, since a learned alpha may exceed 1.")


@check("hw1.activations.prelu.small_table", hint=HINT_PRELU)
def prelu_small_table(ctx: Context) -> None:
    _table(ctx, "prelu", lambda x, a: _value("prelu", x, a), [0.25, 1.7, np.array([[0.3], [1.5]])],
           hint_on=lambda x, a: {Text("max(x, alpha * x)，它在 alpha > 1 处不同", "max(x, alpha * x), which differs "
                                      "where alpha > 1"): np.maximum(x, np.asarray(a) * x)})


@check("hw1.activations.prelu.scalar_alpha", hint=HINT_PRELU)
def prelu_scalar_alpha(ctx: Context) -> None:
    _prelu_family(ctx, "prelu", lambda x, a: _value("prelu", x, a), scalar=True, channels=False)


@check("hw1.activations.prelu.per_channel_alpha", hint=HINT_PRELU + Text(
    "alpha 也可以是能广播到 x 的数组（每个通道一个斜率）。",
    " alpha may also be an array broadcastable to x (one slope per channel)."))
def prelu_per_channel_alpha(ctx: Context) -> None:
    _prelu_family(ctx, "prelu", lambda x, a: _value("prelu", x, a), scalar=False, channels=True)


@check("hw1.activations.prelu_grad.matches_torch", hint=Text(
    zh="讲义第 1 部分（PReLU）：x >= 0 时 d out/dx 为 1，x < 0 时为 alpha；alpha 是数组时要广播到 x 的形状。",
    en="Lecture part 1 (PReLU): d out/dx is 1 for x >= 0 and alpha for x < 0, alpha broadcast to x's shape when it "
       "is an array."))
def prelu_grad_matches_torch(ctx: Context) -> None:
    _prelu_family(ctx, "prelu_grad", lambda x, a: _grad("prelu", x, a), scalar=True, channels=True)


@check("hw1.activations.prelu_grad.at_zero", hint=HINT_ZERO)
def prelu_grad_at_zero(ctx: Context) -> None:
    x = np.array([-2.0, 0.0, 3.0])
    _expect_at_zero(ctx, "prelu_grad", x, np.array([0.1, 1.0, 1.0]), 0.1, None, np.array([0.1, 0.1, 1.0]))
    _expect_at_zero(ctx, "prelu_grad", x, np.array([1.7, 1.0, 1.0]), 1.7, None, np.array([1.7, 1.7, 1.0]))
    x2 = np.array([[-1.0, 0.0], [0.0, 2.0]])
    alpha = np.array([0.1, 1.3])  # a learned slope may exceed 1
    _expect_at_zero(ctx, "prelu_grad", x2, np.array([[0.1, 1.0], [1.0, 1.0]]), alpha, None,
                    np.array([[0.1, 1.3], [0.1, 1.0]]))


HINT_PRELU_ALPHA = Text(
    zh="讲义第 1 部分（PReLU，alpha 为可学习参数）：d(alpha * x)/d alpha 在负半轴上等于 x，在 x >= 0 处为 0；它与 alpha 的"
       "取值无关，形状与 x 相同。",
    en="Lecture part 1 (PReLU, alpha 为可学习参数): d(alpha * x)/d alpha is x on the negative side and 0 "
       "where x >= 0; it does not depend on alpha's value and has x's shape.")


def _prelu_alpha_alternatives(x: np.ndarray, alpha: Any) -> dict:
    return {Text("x < 0 处取 alpha（那是 d out/dx）", "alpha where x < 0 (that is d out/dx)"):
            np.where(x < 0, np.broadcast_to(alpha, x.shape), 0.0)}


def _prelu_alpha_oracle(x: np.ndarray, alpha: Any) -> np.ndarray:
    return _grad("prelu", x, alpha, wrt="alpha")


@check("hw1.activations.prelu_grad_alpha.small_table", hint=HINT_PRELU_ALPHA)
def prelu_grad_alpha_small_table(ctx: Context) -> None:
    _table(ctx, "prelu_grad_alpha", _prelu_alpha_oracle, [0.25, 1.7, np.array([[0.3], [1.5]])],
           hint_on=_prelu_alpha_alternatives)


@check("hw1.activations.prelu_grad_alpha.matches_torch", hint=HINT_PRELU_ALPHA)
def prelu_grad_alpha_matches_torch(ctx: Context) -> None:
    _prelu_family(ctx, "prelu_grad_alpha", _prelu_alpha_oracle, scalar=True, channels=True,
                  hint_on=_prelu_alpha_alternatives)
    x = np.array([-2.0, 0.0, 0.5, -0.25])  # at x == 0 the slope's derivative is 0 (x itself)
    expect_array(ctx.call(x, 0.3), np.array([-2.0, 0.0, 0.0, -0.25]), "prelu_grad_alpha", f"x = {x.tolist()}, "
                 "alpha=0.3", rtol=0, atol=0, dtype=np.float64)
