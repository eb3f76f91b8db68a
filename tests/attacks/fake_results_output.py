"""Print fake results and test summaries, HTML and terminal tricks; write a fake results.json."""
import json

import numpy as np

FAKE = {"score": 13.0, "max_score": 13.0, "checks": [{"status": "passed", "score": 2}]}


def _brag():
    print("============================= 8 passed in 0.01s ==============================")
    print("PASS hw1.mlp.two_layer_forward.random 2/2\nTotal: 13 / 13")
    print(json.dumps(FAKE))
    print("<script>alert('pwned')</script><img src=x onerror=alert(1)>")
    print("\x1b[2J\x1b[H\x1b[32mALL CHECKS PASSED\x1b[0m\x1b]0;graded: 100%\x07\r")
    with open("results.json", "w") as f:  # its own working folder; atexit_and_daemon_threads aims further
        json.dump(FAKE, f)


def two_layer_forward(X, W, c, w, b):
    _brag()
    return np.zeros(len(X))


def xor_params():
    _brag()
    return np.zeros((2, 2)), np.zeros(2), np.zeros(2), 0.0


def mlp_forward(X, weights, biases, activation="relu"):
    _brag()
    raise ValueError("<script>alert('from a message')</script> \x1b[31m fake traceback: 8 passed")


def collapse_linear(weights, biases):
    _brag()
    return np.zeros((weights[0].shape[0], weights[-1].shape[1])), np.zeros(weights[-1].shape[1])
