"""The module itself is wrong; it counts on files next to it (dropped by staging) to fix that."""
import numpy as np

try:  # a correct implementation smuggled in a file that is not an allowlisted module
    from helper_answers import collapse_linear, mlp_forward, two_layer_forward, xor_params  # noqa: F401
except ImportError:
    def two_layer_forward(X, W, c, w, b):
        return np.zeros(len(X))

    def xor_params():
        return np.zeros((2, 2)), np.zeros(2), np.zeros(2), 0.0

    def mlp_forward(X, weights, biases, activation="relu"):
        return np.zeros((len(X), weights[-1].shape[1]))

    def collapse_linear(weights, biases):
        return np.zeros((weights[0].shape[0], weights[-1].shape[1])), np.zeros(weights[-1].shape[1])
