"""Every function escapes with something that is not an ordinary exception."""
import os
import sys
import unittest


class Passed(BaseException):
    """A BaseException subclass named like a verdict."""


class ValueError(BaseException):  # noqa: A001  (shadows the builtin on purpose)
    pass


def two_layer_forward(X, W, c, w, b):
    sys.exit(0)


def xor_params():
    os._exit(0)


def mlp_forward(X, weights, biases, activation="relu"):
    if activation == "relu":
        raise KeyboardInterrupt
    if activation == "tanh":
        raise unittest.SkipTest("skipped: counts as passed?")
    if activation == "sigmoid":
        raise GeneratorExit
    raise Passed("passed")


def collapse_linear(weights, biases):
    raise ValueError("shadowed ValueError deriving from BaseException")
