"""Checks for mlp (hw1): the lecture's XOR network, a general MLP forward, collapsing affine layers.

Oracles: the lecture's worked XOR example, and closed forms computed here in float64.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..compare import as_array, as_float, as_sequence, dtype_like, expect_array, fail
from ..context import Context
from ..i18n import Text
from ..oracles import oracle
from ..registry import check
from ..tolerances import ATOL32, ATOL64, RTOL32, RTOL64, by_dtype
from .common import FLOAT32_HINT, random_layers, with_float32

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])
LECTURE: dict[str, Any] = dict(W=np.array([[1.0, 1.0], [1.0, 1.0]]), c=np.array([0.0, -1.0]), w=np.array([1.0, -2.0]),
                               b=0.0)
ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),  # exact identity, overflow-free
    "tanh": np.tanh,
    "identity": lambda z: z,
}

HINT_TWO_LAYER = Text(
    zh="讲义第 1 部分（由1到2的突破——多层感知机）：隐藏层是 max{0, X W + c}，即先加上 c 再取 ReLU；输出神经元用 w "
       "对隐藏单元加权求和，再加上 b。",
    en="Lecture part 1 (多层感知机, 'from 1 to 2'): the hidden layer is max{0, X W + c}, the ReLU applied after "
       "adding c, and the output neuron weighs the hidden units with w and adds b.")


@oracle
def _two_layer(X, W, c, w, b):
    return np.maximum(X @ W + c, 0.0) @ w + b


@oracle
def _mlp(X, weights, biases, activation):
    h = X
    for i, (W, b) in enumerate(zip(weights, biases)):
        h = h @ W + b
        if i < len(weights) - 1:
            h = ACTIVATIONS[activation](h)
    return h


# Not an @oracle: it evaluates the student's answer, so the student bundle keeps its code; with its
# inputs fixed to the lecture's four points it is no solution of any exercise.
def _on_xor_inputs(W, c, w, b):
    return np.maximum(XOR_X @ W + c, 0.0) @ w + b


@check("hw1.mlp.two_layer_forward.lecture_xor", hint=HINT_TWO_LAYER)
def two_layer_forward_lecture_xor(ctx: Context) -> None:
    case = "X = [[0,0],[0,1],[1,0],[1,1]], W = [[1,1],[1,1]], c = [0,-1], w = [1,-2], b = 0"
    got = ctx.call_unchanged(XOR_X, LECTURE["W"], LECTURE["c"], LECTURE["w"], LECTURE["b"])
    expect_array(got, XOR_Y, Text("two_layer_forward 作用于讲义中的异或网络",
                                  "two_layer_forward on the lecture's XOR network"), case, rtol=0, atol=1e-12,
                 dtype=np.float64)
    # The same network with b = 0.5 and in float32: every value is exact in both dtypes.
    args32 = [XOR_X.astype(np.float32)] + [LECTURE[k].astype(np.float32) for k in "Wcw"]
    expect_array(ctx.call(*args32, 0.5), XOR_Y + 0.5, Text("two_layer_forward 作用于讲义中的异或网络（float32）",
                                                           "two_layer_forward on the lecture's XOR network, float32"),
                 Text(case.replace("b = 0", "b = 0.5，float32 数组"), case.replace("b = 0", "b = 0.5, float32 arrays")),
                 rtol=0, atol=1e-6, dtype=np.float32)


@check("hw1.mlp.two_layer_forward.random", hint=HINT_TWO_LAYER)
def two_layer_forward_random(ctx: Context) -> None:
    for _ in range(3):
        n, d, h = (int(v) for v in ctx.rng.integers(1, 9, size=3))
        X, W = ctx.rng.normal(size=(n, d)), ctx.rng.normal(size=(d, h))
        c, w, b = ctx.rng.normal(size=h), ctx.rng.normal(size=h), float(ctx.rng.normal())
        got = ctx.call_unchanged(X, W, c, w, b)
        expect_array(got, _two_layer(X, W, c, w, b), "two_layer_forward", ctx.case(X=X, W=W, c=c, w=w, b=b),
                     rtol=RTOL64, atol=ATOL64, dtype=np.float64)


@check("hw1.mlp.two_layer_forward.float32", hint=FLOAT32_HINT)
def two_layer_forward_float32(ctx: Context) -> None:
    X = ctx.rng.normal(size=(6, 3)).astype(np.float32)
    W, c = ctx.rng.normal(size=(3, 5)).astype(np.float32), ctx.rng.normal(size=5).astype(np.float32)
    w = ctx.rng.normal(size=5).astype(np.float32)
    got = ctx.call(X, W, c, w, 0.5)
    want = _two_layer(*(a.astype(np.float64) for a in (X, W, c, w)), 0.5)
    expect_array(got, want, with_float32("two_layer_forward"), ctx.case(X=X, W=W),
                 rtol=RTOL32, atol=ATOL32, dtype=np.float32)


@check("hw1.mlp.xor_params.solves_xor", hint=Text(
    zh="讲义第 1 部分（异或）：隐藏层必须把四个输入映射成一条直线就能分开的点；任何精确的解都可以，不必是讲义给出的那一个。",
    en="Lecture part 1 (异或): the hidden layer must map the four inputs to points that a single line separates; any "
       "exact solution is accepted, not only the lecture's."))
def xor_params_solves_xor(ctx: Context) -> None:
    got = as_sequence(ctx.call(), 4, "xor_params()")
    W, c, w = (as_array(v, f"xor_params() {name}").astype(np.float64) for v, name in zip(got[:3], "Wcw"))
    b = as_float(got[3], "xor_params() b")
    case = Text(f"你的 W {W.shape}，c {c.shape}，w {w.shape}", f"your W {W.shape}, c {c.shape}, w {w.shape}")
    if W.ndim != 2 or W.shape[0] != 2 or c.shape != (W.shape[1],) or w.shape != (W.shape[1],):
        raise fail("xor_params()", case, Text("W 的形状应为 (2, H)，c 和 w 的形状应为 (H,)，H 相同且 H >= 2",
                                              "W must be (2, H), c and w (H,) for the same H >= 2"))
    # The judge's own forward pass on your parameters: exact XOR up to float rounding.
    expect_array(_on_xor_inputs(W, c, w, b), XOR_Y, "two_layer_forward(XOR inputs, *xor_params())",
                 case, rtol=0, atol=1e-9)


@check("hw1.mlp.mlp_forward.each_activation", hint=Text(
    zh="讲义第 1 部分（激活函数）：除最后一层外，每一层之后都接激活函数；最后一层的仿射输出原样返回。",
    en="Lecture part 1 (激活函数): the activation follows every layer but the last; the last layer's "
       "affine output is returned as is."))
def mlp_forward_each_activation(ctx: Context) -> None:
    for activation in ACTIVATIONS:
        weights, biases, X = random_layers(ctx.rng, depth=3)
        got = ctx.call_unchanged(X, weights, biases, activation=activation)
        expect_array(got, _mlp(X, weights, biases, activation), f"mlp_forward(activation={activation!r})",
                     ctx.case(weights=weights, X=X), rtol=RTOL64, atol=ATOL64, dtype=np.float64,
                     hint_on={Text("最后一层之后也用了激活函数的结果", "an activation after the last layer too"):
                              ACTIVATIONS[activation](_mlp(X, weights, biases, activation))})


@check("hw1.mlp.mlp_forward.depths", hint=Text(
    zh="讲义第 1 部分（多层感知机）：每一对权重和偏置对应一个仿射变换，列表里有几对就有几层，层与层之间是所选的激活函数。",
    en="Lecture part 1 (多层感知机): one affine map per pair of weights and biases, as many layers as the lists hold, "
       "with the chosen activation between them."))
def mlp_forward_depths(ctx: Context) -> None:
    for depth, activation, dtype in ((1, None, np.float64), (2, "tanh", np.float64), (5, None, np.float64),
                                     (3, "sigmoid", np.float32)):
        weights, biases, X = random_layers(ctx.rng, depth=depth, dtype=dtype)
        kwargs = {} if activation is None else {"activation": activation}
        name = activation or "relu"
        got = ctx.call_unchanged(X, weights, biases, **kwargs) if depth == 2 else ctx.call(X, weights, biases, **kwargs)
        f64 = [[a.astype(np.float64) for a in arrays] for arrays in (weights, biases)]
        want = _mlp(X.astype(np.float64), *f64, name)
        what = Text(f"mlp_forward，{depth} 层，activation={name!r}{'' if activation else '（默认值）'}",
                    f"mlp_forward with {depth} layer(s), activation={name!r}{'' if activation else ' (the default)'}")
        expect_array(got, want, what, ctx.case(weights=weights, X=X), **by_dtype(dtype), dtype=dtype,
                     hint_on={Text("relu 网络的结果（忽略了 activation）", "the relu network (activation ignored)"):
                              _mlp(X.astype(np.float64), *f64, "relu")})


@check("hw1.mlp.mlp_forward.float32", hint=FLOAT32_HINT)
def mlp_forward_float32(ctx: Context) -> None:
    weights, biases, X = random_layers(ctx.rng, depth=3, dtype=np.float32)
    got = ctx.call(X, weights, biases, activation="tanh")
    want = _mlp(X.astype(np.float64), [W.astype(np.float64) for W in weights],
                [b.astype(np.float64) for b in biases], "tanh")
    expect_array(got, want, with_float32("mlp_forward"), ctx.case(X=X), rtol=RTOL32, atol=ATOL32,
                 dtype=dtype_like(X))


@check("hw1.mlp.collapse_linear.equals_identity_network", hint=Text(
    zh="讲义第 1 部分（嵌套的仿射函数）：嵌套的仿射变换仍是一个仿射变换；以行向量表示时，权重矩阵按层的顺序相乘，每个偏置都要经过它之后的每一层。",
    en="Lecture part 1 (嵌套的仿射函数): nested affine maps are one affine map; with row vectors the weight matrices "
       "multiply in layer order, and each bias passes through every layer after it."))
def collapse_linear_equals_identity_network(ctx: Context) -> None:
    for depth in (1, 3, 4):
        weights, biases, X = random_layers(ctx.rng, depth=depth)
        got = as_sequence(ctx.call_unchanged(weights, biases), 2, "collapse_linear")
        W_want = weights[0]
        for W in weights[1:]:
            W_want = W_want @ W
        B_want = _mlp(np.zeros((1, weights[0].shape[0])), weights, biases, "identity")[0]
        case = ctx.case(weights=weights)
        W_got = expect_array(got[0], W_want, "collapse_linear W", case, rtol=RTOL64, atol=ATOL64)
        # The contract: B is (D_L,), and a (1, D_L) row is accepted too (X @ W + B is the same).
        row = isinstance(got[1], np.ndarray) and got[1].shape == (1,) + B_want.shape
        B_got = expect_array(got[1], B_want[None, :] if row else B_want, "collapse_linear B", case,
                             rtol=RTOL64, atol=ATOL64)
        expect_array(X @ W_got + B_got, _mlp(X, weights, biases, "identity"),
                     Text("X @ W + B 与 mlp_forward(..., activation='identity') 对照",
                          "X @ W + B against mlp_forward(..., activation='identity')"), case,
                     rtol=RTOL64, atol=ATOL64)
