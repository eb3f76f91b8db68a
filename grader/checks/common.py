"""Input generators shared by several check modules."""
from __future__ import annotations

import numpy as np


def random_layers(rng: np.random.Generator, depth: int, dtype=np.float64):
    """(weights, biases, X) of a random MLP with ``depth`` layers and O(1) values."""
    sizes = [int(s) for s in rng.integers(2, 7, size=depth + 1)]
    n = int(rng.integers(2, 8))
    weights = [(rng.normal(size=(a, b)) / np.sqrt(a)).astype(dtype) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(size=b).astype(dtype) for b in sizes[1:]]
    X = rng.normal(size=(n, sizes[0])).astype(dtype)
    return weights, biases, X


# The hint of every float32 check (docs/hints.md): the convention, not the code that keeps it.
FLOAT32_HINT = ("The course's convention is float32 in, float32 out: every array computed from float32 inputs "
                "stays float32 up to the result, since one float64 constant array or buffer promotes it.")
