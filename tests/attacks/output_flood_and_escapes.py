"""Flood stdout and stderr (5 MB each, through Python and straight to the file descriptors) with
terminal escape sequences, control characters and HTML."""
import os
import sys

import numpy as np

NASTY = ("\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b[31mRED\x1b[0m\r\x00\x08\x7f\x9b31m"
         "<script>alert(1)</script><img src=x onerror=alert(2)>```\n# fake heading\n")


def _flood():
    line = NASTY * 16
    for _ in range(5 * (1 << 20) // len(line)):
        sys.stdout.write(line)
    sys.stdout.flush()
    raw = NASTY.encode() * 64
    for _ in range(5 * (1 << 20) // len(raw)):
        os.write(2, raw)


def two_layer_forward(X, W, c, w, b):
    _flood()
    return np.zeros(len(X))


def xor_params():
    _flood()
    return np.zeros((2, 2)), np.zeros(2), np.zeros(2), 0.0


def mlp_forward(X, weights, biases, activation="relu"):
    _flood()
    raise RuntimeError(NASTY * 100)


def collapse_linear(weights, biases):
    return np.zeros((weights[0].shape[0], weights[-1].shape[1])), np.zeros(weights[-1].shape[1])
