"""Signal everything it can reach: the parent, every visible process, kill(-1).
Only ever run as PID 1 of a PID namespace (otherwise it does nothing), so it cannot harm the
machine even where the sandbox is off."""
import os
import signal

import numpy as np


def _kill_everything():
    if os.getpid() != 1:
        return
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != 1:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
    for target in (os.getppid(), -1):
        try:
            os.kill(target, signal.SIGKILL) if target > 0 else os.kill(-1, signal.SIGKILL)
        except OSError:
            pass


def two_layer_forward(X, W, c, w, b):
    _kill_everything()
    return np.zeros(len(X))


def xor_params():
    _kill_everything()
    if os.getpid() == 1:
        os.kill(1, signal.SIGKILL)
    return np.zeros((2, 2)), np.zeros(2), np.zeros(2), 0.0


def mlp_forward(X, weights, biases, activation="relu"):
    return np.zeros((len(X), weights[-1].shape[1]))


def collapse_linear(weights, biases):
    return np.zeros((weights[0].shape[0], weights[-1].shape[1])), np.zeros(weights[-1].shape[1])
