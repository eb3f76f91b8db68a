"""Crash the interpreter in native code: a NULL read, a C stack overflow, abort(), a signal to itself."""
import ctypes
import faulthandler
import os
import pickle
import sys

faulthandler.disable()  # a quiet death


def two_layer_forward(X, W, c, w, b):
    return ctypes.string_at(0)


def xor_params():
    os.abort()


def mlp_forward(X, weights, biases, activation="relu"):
    sys.setrecursionlimit(10**8)
    nested = [[]]
    for _ in range(200_000):  # pickling recurses in C: the C stack overflows, not the heap
        nested = [nested]
    return pickle.dumps(nested)


def collapse_linear(weights, biases):
    os.kill(os.getpid(), 11)
