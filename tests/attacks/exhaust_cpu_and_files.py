"""Burn CPU with SIGXCPU ignored (bounded at 60 s), and open files until none are left."""
import os
import signal
import time

import numpy as np


def two_layer_forward(X, W, c, w, b):
    if len(X) == 4:  # the lecture's example: burn
        signal.signal(signal.SIGXCPU, signal.SIG_IGN)
        stop = time.time() + 60
        while time.time() < stop:
            sum(i * i for i in range(10_000))
    return np.zeros(len(X))


def xor_params():
    opened = []
    try:
        for _ in range(100_000):
            opened.append(os.open("/dev/null", os.O_RDONLY))
    except OSError as exc:
        print(f"opened {len(opened)} files: {exc.strerror}")
    finally:
        for fd in opened:
            os.close(fd)
    return np.zeros((2, 2)), np.zeros(2), np.zeros(2), 0.0


def mlp_forward(X, weights, biases, activation="relu"):
    return np.zeros((len(X), weights[-1].shape[1]))


def collapse_linear(weights, biases):
    return np.zeros((weights[0].shape[0], weights[-1].shape[1])), np.zeros(weights[-1].shape[1])
