"""An endless loop (bounded at 60 s) that ignores or blocks every signal it may."""
import signal
import time

import numpy as np


def _deaf():
    for sig in signal.Signals:
        if sig not in (signal.SIGKILL, signal.SIGSTOP):
            try:
                signal.signal(sig, signal.SIG_IGN)
            except (OSError, ValueError, RuntimeError):
                pass
    signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals) - {signal.SIGKILL, signal.SIGSTOP})


def two_layer_forward(X, W, c, w, b):
    _deaf()
    stop = time.time() + 60
    while time.time() < stop:
        pass
    return (np.maximum(X @ W + c, 0) @ w + b).astype(X.dtype)


def xor_params():
    return np.zeros((2, 2)), np.zeros(2), np.zeros(2), 0.0


def mlp_forward(X, weights, biases, activation="relu"):
    return np.zeros((len(X), weights[-1].shape[1]))


def collapse_linear(weights, biases):
    return np.zeros((weights[0].shape[0], weights[-1].shape[1])), np.zeros(weights[-1].shape[1])
