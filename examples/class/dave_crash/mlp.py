# Dave's hw1 mlp: a syntax error stops the whole module from importing.
import numpy as np


def two_layer_forward(X, W, c, w, b)
    return np.maximum(X @ W + c, 0) @ w + b
