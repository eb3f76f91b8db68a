"""Correct answers in a file that staging must drop: if it were staged, mlp.py would score."""
import numpy as np


def two_layer_forward(X, W, c, w, b):
    return (np.maximum(X @ W + c, 0) @ w + b).astype(X.dtype)


def xor_params():
    return np.ones((2, 2)), np.array([0.0, -1.0]), np.array([1.0, -2.0]), 0.0


def mlp_forward(X, weights, biases, activation="relu"):
    act = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "identity": lambda z: z,
           "sigmoid": lambda z: 0.5 * (1 + np.tanh(z / 2))}[activation]
    h = X
    for i, (W, b) in enumerate(zip(weights, biases)):
        h = h @ W + b
        h = act(h) if i < len(weights) - 1 else h
    return h


def collapse_linear(weights, biases):
    W, B = weights[0], biases[0]
    for Wl, bl in zip(weights[1:], biases[1:]):
        W, B = W @ Wl, B @ Wl + bl
    return W, B
