"""Five numpy exercises of the course, with three classic mistakes (naive sigmoid, kernel not
flipped, mask applied after the softmax): the submission every grader in the benchmark sees.

sigmoid and its derivative, a central-difference gradient, a true 2-D convolution (the lecture's
5x5 example), 2x2 max pooling and scaled dot-product attention with a causal mask. The names and
signatures are the course contract's (activations, gradcheck, cnn, attention).
"""
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))           # mistake: overflows (with a warning) for x << 0


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    flat, out = x.reshape(-1), grad.reshape(-1)   # views of a C-contiguous x: x itself is perturbed
    i = 0
    while i < flat.size:
        old = flat[i]
        flat[i] = old + h
        plus = f(x)
        flat[i] = old - h
        minus = f(x)
        flat[i] = old                     # restored: x is unchanged afterwards
        out[i] = (plus - minus) / (2 * h)
        i += 1
    return grad


def convolve2d(x, k):
    kh, kw = k.shape
    flipped = k                           # mistake: cross-correlation, kernel not flipped
    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1), dtype=np.result_type(x, k))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i:i + kh, j:j + kw] * flipped)
    return out


def max_pool2d(x, kernel=2, stride=2):
    n, c, h, w = x.shape
    oh, ow = (h - kernel) // stride + 1, (w - kernel) // stride + 1
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            window = x[:, :, i * stride:i * stride + kernel, j * stride:j * stride + kernel]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out


def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]).astype(q.dtype)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1, keepdims=True)
    if mask is not None:
        weights = weights * mask          # mistake: masked after the softmax, rows no longer sum to 1
    return weights @ v, weights


def causal_mask(T):
    return np.tril(np.ones((T, T), dtype=bool))
