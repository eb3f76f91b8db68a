"""Allocate far more memory than the machine has: in one go, and growing in a (capped) loop.
The loops keep memory untouched, so the address-space limit is what stops them, not the RAM."""
import numpy as np

GIB = 1 << 30


def two_layer_forward(X, W, c, w, b):
    big = np.ones(50 * GIB // 8)  # 50 GiB at once
    return big[: len(X)]


def xor_params():
    return bytearray(50 * GIB), np.zeros(2), np.zeros(2), 0.0


def mlp_forward(X, weights, biases, activation="relu"):
    hoard = []
    for _ in range(50):  # grows by 1 GiB a step, up to 50 GiB
        hoard.append(np.empty(GIB, dtype=np.uint8))
    return np.zeros((len(X), weights[-1].shape[1]))


def collapse_linear(weights, biases):
    text = "x" * (50 * GIB)
    return text, np.zeros(weights[-1].shape[1])
