"""Lecture 4, part 1: from the perceptron to deep networks (从感知机到深度神经网络).

You build Rosenblatt's perceptron (感知机): the sign activation, the prediction
y_hat = sgn(w^T x + b), the mistake-driven learning rule, and hand-picked weights
that make a single perceptron compute the logic gates AND, OR and NAND. Training
on XOR shows the limit Minsky pointed out: no line separates its classes.
"""

from __future__ import annotations

import numpy as np


def _float_dtype(a: np.ndarray) -> np.dtype:
    return a.dtype if np.issubdtype(a.dtype, np.floating) else np.dtype(np.float64)


def sign(z: np.ndarray) -> np.ndarray:
    """Step activation of the perceptron: sgn(z) = +1 if z >= 0, else -1.

    The perceptron turns its weighted sum into a class label with this hard
    threshold (阶跃函数), so the two classes are coded as +1 and -1.

    Args:
        z: array of any shape.

    Returns:
        A new array of z's shape holding +1.0 where z >= 0 and -1.0 elsewhere
        (so sign(0) = +1.0). Its dtype is z's float dtype (float32 stays
        float32).
    """
    z = np.asarray(z)
    return np.where(z >= 0, 1.0, -1.0).astype(_float_dtype(z))


def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Classify samples with a perceptron: y_hat = sgn(X @ w + b).

    Each row is one sample; the perceptron weighs its features, adds the bias
    and thresholds the sum, i.e. it tells on which side of the hyperplane
    w . x + b = 0 the sample lies.

    Args:
        X: samples, shape (N, D), float64 or float32.
        w: weights, shape (D,).
        b: bias, a float.

    Returns:
        A new array of shape (N,) with +1.0 / -1.0 (a score of exactly 0 gives
        +1.0), in X's float dtype.
    """
    X = np.asarray(X)
    return sign(X @ w + b).astype(_float_dtype(X), copy=False)


def perceptron_train(
    X: np.ndarray, y: np.ndarray, lr: float = 1.0, epochs: int = 100
) -> tuple[np.ndarray, float, list[int]]:
    """Learn w and b with Rosenblatt's perceptron rule (1957).

    The perceptron learns only from its mistakes: start from w = 0, b = 0 and
    visit the samples in order i = 0, 1, ..., N-1. Sample i is a mistake when
    y_i * (w . x_i + b) <= 0 (wrong side, or on the boundary); then move the
    boundary towards it with w <- w + lr * y_i * x_i and b <- b + lr * y_i.
    One pass over all samples is an epoch. If the data are linearly separable
    (AND, OR) an epoch with no mistakes is eventually reached and training stops
    after it; for XOR that never happens.

    Args:
        X: samples, shape (N, D), float64 or float32. Not modified.
        y: labels, shape (N,), each +1 or -1. Not modified.
        lr: learning rate, a positive float.
        epochs: maximum number of epochs.

    Returns:
        (w, b, errors): w a new array of shape (D,) in X's float dtype, b a
        Python float, and errors the list of mistake counts (Python ints), one
        per epoch run; it ends with 0 if training converged and has at most
        `epochs` entries.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    w = np.zeros(X.shape[1], dtype=_float_dtype(X))
    b = 0.0
    errors: list[int] = []
    for _ in range(epochs):
        mistakes = 0
        for x_i, y_i in zip(X, y):
            if float(y_i) * (float(x_i @ w) + b) <= 0:
                # a Python float step keeps w in X's dtype (no float64 promotion)
                step = float(lr * y_i)
                w = w + step * x_i
                b = b + step
                mistakes += 1
        errors.append(mistakes)
        if mistakes == 0:
            break
    return w, b, errors


_GATES = {
    "AND": ([1.0, 1.0], -1.5),
    "OR": ([1.0, 1.0], -0.5),
    "NAND": ([-1.0, -1.0], 1.5),
}


def logic_gate(name: str) -> tuple[np.ndarray, float]:
    """Weights and bias that make one perceptron compute a logic gate (逻辑运算).

    AND, OR and NAND are linearly separable: a single line splits the inputs
    that give True from those that give False, so a perceptron can compute them.
    XOR (异或) is not, and has no entry here.

    Args:
        name: "AND", "OR" or "NAND", spelt exactly so ("and" or "Or" is an
            unknown name).

    Returns:
        (w, b): w a float64 array of shape (2,), b a Python float, such that
        perceptron_predict([[0,0],[0,1],[1,0],[1,1]], w, b) is the gate's truth
        table with True = +1.0 and False = -1.0.

    Raises:
        ValueError: for any other name, other capitalisations included; the
            message lists the accepted names.
    """
    if name not in _GATES:
        raise ValueError(f"unknown gate {name!r}; expected one of {', '.join(_GATES)}")
    w, b = _GATES[name]
    return np.array(w, dtype=np.float64), float(b)
