"""Lecture 4, part 1: from the perceptron to deep networks (从感知机到深度神经网络).

You build Rosenblatt's perceptron (感知机): the sign activation, the prediction
y_hat = sgn(w^T x + b), the mistake-driven learning rule, and hand-picked weights
that make a single perceptron compute the logic gates AND, OR and NAND. Training
on XOR shows the limit Minsky pointed out: no line separates its classes.
"""

from __future__ import annotations

import numpy as np



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
    raise NotImplementedError("hw1 perceptron.sign")


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
    raise NotImplementedError("hw1 perceptron.perceptron_predict")


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
    raise NotImplementedError("hw1 perceptron.perceptron_train")



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
    raise NotImplementedError("hw1 perceptron.logic_gate")
