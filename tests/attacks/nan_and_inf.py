"""NaN and inf everywhere: a NaN never equals anything, but a careless comparison may say 'not different'."""
import numpy as np


def two_layer_forward(X, W, c, w, b):
    return np.full(len(X), np.nan, dtype=X.dtype)


def xor_params():
    return np.full((2, 2), np.inf), np.array([np.nan, -np.inf]), np.array([np.inf, np.nan]), float("nan")


def mlp_forward(X, weights, biases, activation="relu"):
    out = np.full((len(X), weights[-1].shape[1]), np.inf, dtype=X.dtype)
    out[::2] = -np.inf
    return out


def collapse_linear(weights, biases):
    return (np.full((weights[0].shape[0], weights[-1].shape[1]), np.nan),
            np.full(weights[-1].shape[1], np.nan))
