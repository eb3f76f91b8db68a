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
from .common import random_layers

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

HINT_TWO_LAYER = ("Lecture part 1, 'from 1 to 2' (多层感知机): h = max{0, X W + c} row by row, then y = h w + b. "
                  "The ReLU comes after adding c, and w multiplies the hidden layer, not X.")


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
    got = ctx.call(XOR_X, LECTURE["W"], LECTURE["c"], LECTURE["w"], LECTURE["b"])
    expect_array(got, XOR_Y, "two_layer_forward on the lecture's XOR network",
                 "X = [[0,0],[0,1],[1,0],[1,1]], W = [[1,1],[1,1]], c = [0,-1], w = [1,-2], b = 0",
                 rtol=0, atol=1e-12)


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


@check("hw1.mlp.two_layer_forward.float32", hint="float32 in, float32 out: create no float64 arrays "
       "from the inputs (np.maximum(z, 0) keeps z's dtype; np.zeros(n) does not).")
def two_layer_forward_float32(ctx: Context) -> None:
    X = ctx.rng.normal(size=(6, 3)).astype(np.float32)
    W, c = ctx.rng.normal(size=(3, 5)).astype(np.float32), ctx.rng.normal(size=5).astype(np.float32)
    w = ctx.rng.normal(size=5).astype(np.float32)
    got = ctx.call(X, W, c, w, 0.5)
    want = _two_layer(*(a.astype(np.float64) for a in (X, W, c, w)), 0.5)
    expect_array(got, want, "two_layer_forward with float32 inputs", f"{ctx.seed_note}, {shapes(X=X, W=W)}",
                 rtol=RTOL32, atol=ATOL32, dtype=np.float32)


@check("hw1.mlp.xor_params.solves_xor", hint=(
    "Lecture part 1: the hidden layer must move the four points off one line. The lecture's solution is "
    "W = [[1,1],[1,1]], c = [0,-1], w = [1,-2], b = 0; any exact solution is fine."))
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


@check("hw1.mlp.mlp_forward.depths", hint="Loop over all the layers: the number of layers is len(weights).")
def mlp_forward_depths(ctx: Context) -> None:
    for depth in (1, 2, 5):
        weights, biases, X = random_layers(ctx.rng, depth=depth)
        got = ctx.call(X, weights, biases)
        expect_array(got, _mlp(X, weights, biases, "relu"), f"mlp_forward with {depth} layer(s), default relu",
                     f"{ctx.seed_note}, layers {[W.shape for W in weights]}", rtol=RTOL64, atol=ATOL64)


@check("hw1.mlp.mlp_forward.float32", hint="float32 in, float32 out.")
def mlp_forward_float32(ctx: Context) -> None:
    weights, biases, X = random_layers(ctx.rng, depth=3, dtype=np.float32)
    got = ctx.call(X, weights, biases, activation="tanh")
    want = _mlp(X.astype(np.float64), [W.astype(np.float64) for W in weights],
                [b.astype(np.float64) for b in biases], "tanh")
    expect_array(got, want, "mlp_forward with float32 inputs", f"{ctx.seed_note}, X {X.shape}",
                 rtol=RTOL32, atol=ATOL32, dtype=dtype_like(X))


@check("hw1.mlp.collapse_linear.equals_identity_network", hint=(
    "Lecture part 1, nested affine maps: y = W3(W2(W1 x + b1) + b2) + b3 = (W1 W2 W3) x + ... "
    "With row vectors (X @ W) the product runs W1 @ W2 @ W3, and each bias is carried through "
    "the layers after it."))
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
        B_got = expect_array(got[1], B_want, "collapse_linear B", case, rtol=RTOL64, atol=ATOL64)
        expect_array(X @ W_got + B_got, _mlp(X, weights, biases, "identity"),
                     "X @ W + B against mlp_forward(..., activation='identity')", case,
                     rtol=RTOL64, atol=ATOL64)
