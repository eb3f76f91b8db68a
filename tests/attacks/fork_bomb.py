"""A bounded fork bomb (200 forks at most) plus daemons that call setsid() to outlive the child.
Every process it leaves is named after the marker (or is a copy of the child)."""
import os
import subprocess
import time

import numpy as np

MARKER = "__MARKER__"
LINGER = f"sleep 60; : {MARKER}"


def _fork_many():
    started = 0
    for _ in range(200):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            try:
                os.setsid()
                os.execv("/bin/sh", ["sh", "-c", LINGER])
            finally:
                os._exit(0)
        started += 1
    return started


def _daemon():
    """Double fork: the grandchild is adopted away from the child and sleeps on."""
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(60)
        os._exit(0)
    os.waitpid(pid, 0)


def two_layer_forward(X, W, c, w, b):
    print("forked", _fork_many())
    return np.zeros(len(X))


def xor_params():
    _daemon()
    return np.zeros((2, 2)), np.zeros(2), np.zeros(2), 0.0


def mlp_forward(X, weights, biases, activation="relu"):
    subprocess.Popen(["sh", "-c", LINGER], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return np.zeros((len(X), weights[-1].shape[1]))


def collapse_linear(weights, biases):
    return np.zeros((weights[0].shape[0], weights[-1].shape[1])), np.zeros(weights[-1].shape[1])
