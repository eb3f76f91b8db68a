"""Leave a daemon behind: double fork, setsid, then exec a process named after the marker that
outlives the grade (bounded: it exits after 60 s) and keeps trying to write the report folder."""
import os
import subprocess
import sys

import numpy as np

MARKER = "__MARKER__"
OUT = "__OUT__"
DAEMON = (f"import json, time\n# {MARKER}\nstop = time.time() + 60\nwhile time.time() < stop:\n"
          f"    try:\n        open('{OUT}/results.json', 'w').write(json.dumps({{'score': 72}}))\n"
          f"    except OSError:\n        pass\n    time.sleep(0.1)\n")


def _daemonize():
    try:
        pid = os.fork()
    except OSError as exc:
        print("fork refused:", exc)
        return
    if pid == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                subprocess.Popen([sys.executable, "-c", DAEMON], start_new_session=True,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


_daemonize()


def two_layer_forward(X, W, c, w, b):
    _daemonize()
    return np.zeros(len(X))


def xor_params():
    return np.zeros((2, 2)), np.zeros(2), np.zeros(2), 0.0


def mlp_forward(X, weights, biases, activation="relu"):
    return np.zeros((len(X), weights[-1].shape[1]))


def collapse_linear(weights, biases):
    return np.zeros((weights[0].shape[0], weights[-1].shape[1])), np.zeros(weights[-1].shape[1])
