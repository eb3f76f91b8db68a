"""Lecture 4, part 1: from the perceptron to deep networks (从感知机到深度神经网络).

You build the multilayer perceptron (多层感知机, MLP): the lecture's two-layer ReLU
network and its exact solution of XOR, a general forward pass through any number
of affine layers with an activation between them, and the proof by computation
that without activations the whole network collapses into one affine map.
"""

from __future__ import annotations

import numpy as np



def two_layer_forward(
    X: np.ndarray, W: np.ndarray, c: np.ndarray, w: np.ndarray, b: float
) -> np.ndarray:
    """Forward pass of the lecture's two-layer network f(x) = w^T max{0, W^T x + c} + b.

    A hidden layer h = max(0, X @ W + c) (affine map, then ReLU) bends the input
    space so that the output layer, a single linear neuron h @ w + b, can
    separate classes no single perceptron can, such as XOR (异或).

    Args:
        X: inputs, shape (N, D), float64 or float32.
        W: hidden weights, shape (D, H).
        c: hidden biases, shape (H,).
        w: output weights, shape (H,).
        b: output bias, a float.

    Returns:
        A new array of shape (N,) in X's float dtype.
    """
    raise NotImplementedError("hw1 mlp.two_layer_forward")


def xor_params() -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The lecture's exact XOR solution for `two_layer_forward`.

    With W = [[1, 1], [1, 1]], c = [0, -1], w = [1, -2], b = 0 the hidden layer
    maps the four inputs to (0,0), (1,0), (1,0), (2,1): no longer on one line,
    so the output neuron can give XOR.

    Returns:
        (W, c, w, b): W float64 of shape (2, 2), c and w float64 of shape (2,),
        b a Python float; two_layer_forward([[0,0],[0,1],[1,0],[1,1]], W, c, w, b)
        is [0, 1, 1, 0].
    """
    raise NotImplementedError("hw1 mlp.xor_params")


def mlp_forward(
    X: np.ndarray,
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    activation: str = "relu",
) -> np.ndarray:
    """Forward pass of a multilayer perceptron (前馈神经网络, feedforward network).

    Each layer is an affine map h <- h @ W_l + b_l; the activation (激活函数)
    follows every layer except the last, whose output is returned as is. The
    nonlinearity between layers is what makes depth useful.

    Args:
        X: inputs, shape (N, D_0), float64 or float32.
        weights: list of L matrices, weights[l] of shape (D_l, D_{l+1}).
        biases: list of L vectors, biases[l] of shape (D_{l+1},).
        activation: "relu" (max(0, z)), "sigmoid" (1 / (1 + e^-z), computed
            without overflow for large |z|), "tanh" or "identity" (no change).

    Returns:
        A new array of shape (N, D_L) in X's float dtype.
    """
    raise NotImplementedError("hw1 mlp.mlp_forward")


def collapse_linear(
    weights: list[np.ndarray], biases: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Collapse a network without activations into one affine map X @ W + B.

    Nested affine maps (嵌套的仿射函数) are affine: for three layers
    y = ((x W1 + b1) W2 + b2) W3 + b3 = x (W1 W2 W3) + (b1 W2 W3 + b2 W3 + b3).
    So stacking linear layers without a nonlinearity adds no expressive power.

    Args:
        weights: list of L >= 1 matrices, weights[l] of shape (D_l, D_{l+1}).
        biases: list of L vectors, biases[l] of shape (D_{l+1},).

    Returns:
        (W, B): new arrays of shapes (D_0, D_L) and (D_L,) (a (1, D_L) row is
        accepted for B too: it gives the same X @ W + B), in the first weight
        matrix's float dtype, with X @ W + B equal to
        mlp_forward(X, weights, biases, activation="identity").
    """
    raise NotImplementedError("hw1 mlp.collapse_linear")
