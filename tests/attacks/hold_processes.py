"""Hold every process slot it can get (forking until refused, at most 200), each sleeping 15 s,
while another student is graded at the same moment. Gains nothing; the test checks the other
student still gets full marks."""
import os
import time

import numpy as np

MARKER = "__MARKER__"


def _hold():
    held = 0
    for _ in range(200):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(15)
            os._exit(0)
        held += 1
    print(f"holding {held} processes", flush=True)
    time.sleep(3)


def two_layer_forward(X, W, c, w, b):
    _hold()
    return np.zeros(len(X))


def xor_params():
    return np.zeros((2, 2)), np.zeros(2), np.zeros(2), 0.0


def mlp_forward(X, weights, biases, activation="relu"):
    return np.zeros((len(X), weights[-1].shape[1]))


def collapse_linear(weights, biases):
    return np.zeros((weights[0].shape[0], weights[-1].shape[1])), np.zeros(weights[-1].shape[1])
