"""Checks for mlp (hw1): the lecture's XOR network, a general MLP forward, collapsing affine layers.

Oracles: the lecture's worked XOR example, and closed forms computed here in float64.
"""
from __future__ import annotations

import numpy as np

from ..compare import as_array, as_float, as_sequence, dtype_like, expect_array, shapes
from ..context import Context
from ..errors import CheckFailed
from ..oracles import oracle
from ..registry import check
from .common import FLOAT32_HINT, random_layers

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])
LECTURE = dict(W=np.array([[1.0, 1.0], [1.0, 1.0]]), c=np.array([0.0, -1.0]), w=np.array([1.0, -2.0]), b=0.0)
ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),  # exact identity, overflow-free
    "tanh": np.tanh,
    "identity": lambda z: z,
}
# Sums of a few products of O(1) numbers: float64 rounding stays near 1e-15, so 1e-10 only
# forgives a different summation order; float32 results get 1e-5 (about 100 ulp).
RTOL64, ATOL64 = 1e-10, 1e-10
RTOL32, ATOL32 = 1e-5, 1e-5

HINT_TWO_LAYER = ("Lecture part 1 (多层感知机, 'from 1 to 2'): the hidden layer is max{0, X W + c}, the ReLU applied "
                  "after adding c, and the output neuron weighs the hidden units with w and adds b.")


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
    expect_array(got, XOR_Y, "two_layer_forward on the lecture's XOR network", case, rtol=0, atol=1e-12,
                 dtype=np.float64)
    # The same network with b = 0.5 and in float32: every value is exact in both dtypes.
    args32 = [XOR_X.astype(np.float32)] + [LECTURE[k].astype(np.float32) for k in "Wcw"]
    expect_array(ctx.call(*args32, 0.5), XOR_Y + 0.5, "two_layer_forward on the lecture's XOR network, float32",
                 case.replace("b = 0", "b = 0.5, float32 arrays"), rtol=0, atol=1e-6, dtype=np.float32)


@check("hw1.mlp.two_layer_forward.random", hint=HINT_TWO_LAYER)
def two_layer_forward_random(ctx: Context) -> None:
    for _ in range(3):
        n, d, h = (int(v) for v in ctx.rng.integers(1, 9, size=3))
        X, W = ctx.rng.normal(size=(n, d)), ctx.rng.normal(size=(d, h))
        c, w, b = ctx.rng.normal(size=h), ctx.rng.normal(size=h), float(ctx.rng.normal())
        got = ctx.call_unchanged(X, W, c, w, b)
        expect_array(got, _two_layer(X, W, c, w, b), "two_layer_forward",
                     f"{ctx.seed_note}, {shapes(X=X, W=W, c=c, w=w)}, b={b:.3f}",
                     rtol=RTOL64, atol=ATOL64, dtype=np.float64)


@check("hw1.mlp.two_layer_forward.float32", hint=FLOAT32_HINT)
def two_layer_forward_float32(ctx: Context) -> None:
    X = ctx.rng.normal(size=(6, 3)).astype(np.float32)
    W, c = ctx.rng.normal(size=(3, 5)).astype(np.float32), ctx.rng.normal(size=5).astype(np.float32)
    w = ctx.rng.normal(size=5).astype(np.float32)
    got = ctx.call(X, W, c, w, 0.5)
    want = _two_layer(*(a.astype(np.float64) for a in (X, W, c, w)), 0.5)
    expect_array(got, want, "two_layer_forward with float32 inputs", f"{ctx.seed_note}, {shapes(X=X, W=W)}",
                 rtol=RTOL32, atol=ATOL32, dtype=np.float32)


@check("hw1.mlp.xor_params.solves_xor", hint=(
    "Lecture part 1 (异或): the hidden layer must map the four inputs to points that a single line separates; any "
    "exact solution is accepted, not only the lecture's."))
def xor_params_solves_xor(ctx: Context) -> None:
    got = as_sequence(ctx.call(), 4, "xor_params()")
    W, c, w = (as_array(v, f"xor_params() {name}").astype(np.float64) for v, name in zip(got[:3], "Wcw"))
    b = as_float(got[3], "xor_params() b")
    case = f"your W {W.shape}, c {c.shape}, w {w.shape}"
    if W.ndim != 2 or W.shape[0] != 2 or c.shape != (W.shape[1],) or w.shape != (W.shape[1],):
        raise CheckFailed(f"xor_params(): W must be (2, H), c and w (H,) for the same H >= 2\n  case: {case}")
    # The judge's own forward pass on your parameters: exact XOR up to float rounding.
    expect_array(_on_xor_inputs(W, c, w, b), XOR_Y, "two_layer_forward(XOR inputs, *xor_params())",
                 case, rtol=0, atol=1e-9)


@check("hw1.mlp.mlp_forward.each_activation", hint=(
    "Lecture part 1 (激活函数): the activation follows every layer but the last; the last layer's "
    "affine output is returned as is."))
def mlp_forward_each_activation(ctx: Context) -> None:
    for activation in ACTIVATIONS:
        weights, biases, X = random_layers(ctx.rng, depth=3)
        got = ctx.call_unchanged(X, weights, biases, activation=activation)
        expect_array(got, _mlp(X, weights, biases, activation), f"mlp_forward(activation={activation!r})",
                     f"{ctx.seed_note}, layers {[W.shape for W in weights]}, X {X.shape}",
                     rtol=RTOL64, atol=ATOL64, dtype=np.float64,
                     hint_on={"an activation after the last layer too":
                              ACTIVATIONS[activation](_mlp(X, weights, biases, activation))})


@check("hw1.mlp.mlp_forward.depths", hint=(
    "Lecture part 1 (多层感知机): one affine map per pair of weights and biases, as many layers as the lists hold, "
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
        rtol, atol = (RTOL64, ATOL64) if dtype == np.float64 else (RTOL32, ATOL32)
        expect_array(got, want, f"mlp_forward with {depth} layer(s), activation={name!r}"
                     f"{'' if activation else ' (the default)'}", f"{ctx.seed_note}, layers "
                     f"{[W.shape for W in weights]}, {np.dtype(dtype).name}", rtol=rtol, atol=atol, dtype=dtype,
                     hint_on={"the relu network (activation ignored)": _mlp(X.astype(np.float64), *f64, "relu")})


@check("hw1.mlp.mlp_forward.float32", hint=FLOAT32_HINT)
def mlp_forward_float32(ctx: Context) -> None:
    weights, biases, X = random_layers(ctx.rng, depth=3, dtype=np.float32)
    got = ctx.call(X, weights, biases, activation="tanh")
    want = _mlp(X.astype(np.float64), [W.astype(np.float64) for W in weights],
                [b.astype(np.float64) for b in biases], "tanh")
    expect_array(got, want, "mlp_forward with float32 inputs", f"{ctx.seed_note}, X {X.shape}",
                 rtol=RTOL32, atol=ATOL32, dtype=dtype_like(X))


@check("hw1.mlp.collapse_linear.equals_identity_network", hint=(
    "Lecture part 1 (嵌套的仿射函数): nested affine maps are one affine map; with row vectors the weight matrices "
    "multiply in layer order, and each bias passes through every layer after it."))
def collapse_linear_equals_identity_network(ctx: Context) -> None:
    for depth in (1, 3, 4):
        weights, biases, X = random_layers(ctx.rng, depth=depth)
        got = as_sequence(ctx.call_unchanged(weights, biases), 2, "collapse_linear")
        W_want = weights[0]
        for W in weights[1:]:
            W_want = W_want @ W
        B_want = _mlp(np.zeros((1, weights[0].shape[0])), weights, biases, "identity")[0]
        case = f"{ctx.seed_note}, layers {[W.shape for W in weights]}"
        W_got = expect_array(got[0], W_want, "collapse_linear W", case, rtol=RTOL64, atol=ATOL64)
        # The contract: B is (D_L,), and a (1, D_L) row is accepted too (X @ W + B is the same).
        row = isinstance(got[1], np.ndarray) and got[1].shape == (1,) + B_want.shape
        B_got = expect_array(got[1], B_want[None, :] if row else B_want, "collapse_linear B", case,
                             rtol=RTOL64, atol=ATOL64)
        expect_array(X @ W_got + B_got, _mlp(X, weights, biases, "identity"),
                     "X @ W + B against mlp_forward(..., activation='identity')", case,
                     rtol=RTOL64, atol=ATOL64)
