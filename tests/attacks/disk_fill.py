"""Fill the disk: one 100 MB file, then many 16 MB files in the working folder (400 MB at most),
then the shared scratch folders. Reports how much it managed to write."""
import os

import numpy as np

MARKER = "__MARKER__"
MB = 1 << 20
CHUNK = b"\0" * MB


def _write(path, megabytes):
    written = 0
    try:
        with open(path, "wb") as f:
            for _ in range(megabytes):
                f.write(CHUNK)
                f.flush()
                written += 1
    except OSError as exc:
        print(f"{path}: stopped after {written} MB: {exc.strerror}")
        return written, exc
    return written, None


def two_layer_forward(X, W, c, w, b):
    written, error = _write(f"{MARKER}-big", 100)
    if error:
        raise error
    return np.zeros(len(X))


def xor_params():
    total = 0
    for i in range(25):
        written, error = _write(f"{MARKER}-{i}", 16)
        total += written
        if error:
            break
    print(f"working folder: wrote {total} MB in total")
    return np.zeros((2, 2)), np.zeros(2), np.zeros(2), 0.0


def mlp_forward(X, weights, biases, activation="relu"):
    for folder in ("/var/tmp", "/dev/shm", "/run/lock", "/tmp"):
        _write(os.path.join(folder, MARKER), 16)
    return np.zeros((len(X), weights[-1].shape[1]))


def collapse_linear(weights, biases):
    return np.zeros((weights[0].shape[0], weights[-1].shape[1])), np.zeros(weights[-1].shape[1])
