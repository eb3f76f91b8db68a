# Bob's hw1 activations: the naive sigmoid and the derivative conventions at 0 are off.
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))           # overflows (with a warning) for large negative x


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x):
    return np.tanh(x)


def tanh_grad(x):
    return 1 - np.tanh(x)                 # mistake: the square is missing


def relu(x):
    return np.maximum(x, 0)


def relu_grad(x):
    return (x >= 0).astype(x.dtype)       # mistake: 1 at x == 0


def leaky_relu(x, alpha=0.01):
    return np.where(x >= 0, x, alpha * x)


def leaky_relu_grad(x, alpha=0.01):
    return np.where(x >= 0, 1.0, alpha).astype(x.dtype)


def elu(x, gamma=1.0):
    return np.where(x >= 0, x, gamma * (np.exp(np.minimum(x, 0)) - 1))


def elu_grad(x, gamma=1.0):
    return np.where(x >= 0, 1.0, gamma * np.exp(np.minimum(x, 0))).astype(x.dtype)


def prelu(x, alpha):
    return np.where(x >= 0, x, alpha * x)


def prelu_grad(x, alpha):
    return np.where(x >= 0, 1.0, alpha * np.ones_like(x)).astype(x.dtype)


def prelu_grad_alpha(x, alpha):
    return np.where(x < 0, x, 0.0).astype(x.dtype)
