"""Answers that change from call to call: fresh random values, shapes and types every time."""
import os

import numpy as np

rng = np.random.default_rng(int.from_bytes(os.urandom(8), "little"))


def _anything(shape):
    pick = rng.integers(4)
    if pick == 0:
        return rng.normal(size=shape)
    if pick == 1:
        return rng.normal(size=shape).astype(np.float32)
    if pick == 2:
        return rng.normal(size=tuple(s + 1 for s in shape))
    return float(rng.normal())


def two_layer_forward(X, W, c, w, b):
    return _anything((len(X),))


def xor_params():
    return _anything((2, 2)), _anything((2,)), _anything((2,)), float(rng.normal())


def mlp_forward(X, weights, biases, activation="relu"):
    return _anything((len(X), weights[-1].shape[1]))


def collapse_linear(weights, biases):
    return _anything((weights[0].shape[0], weights[-1].shape[1])), _anything((weights[-1].shape[1],))
