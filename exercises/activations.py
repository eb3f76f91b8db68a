"""Lecture 4, part 1: from the perceptron to deep networks (从感知机到深度神经网络).

You build the activation functions (激活函数) from the lecture's table, the
"smart switches" that give a network its nonlinearity: Sigmoid, Tanh, ReLU,
Leaky ReLU, ELU and PReLU, each with its elementwise derivative, which
backpropagation needs. Sigmoid must stay finite, accurate and warning-free even
for inputs as large as +-1e4.

Every function takes an array x of any shape (float64 or float32) and returns a new array of x's shape and float dtype; x is
never modified.
"""

from __future__ import annotations

import numpy as np



def sigmoid(x: np.ndarray) -> np.ndarray:
    """Sigmoid (logistic) function sigma(x) = 1 / (1 + e^{-x}), values in (0, 1).

    It squashes any input into a probability-like value; its slope is at most
    1/4 and vanishes for large |x|, the cause of vanishing gradients (梯度消失)
    in deep sigmoid networks. Computing e^{-x} directly overflows for x << 0, so
    use only e^{-|x|} <= 1: sigma(x) = 1 / (1 + e^{-x}) for x >= 0 and
    sigma(x) = e^{x} / (1 + e^{x}) for x < 0 (the same value, rewritten).

    Args:
        x: array of any shape, float64 or float32.

    Returns:
        sigma(x), a new array of x's shape and float dtype. No floating-point
        warnings for |x| up to 1e4; in float64 the relative error is below 1e-12
        wherever sigma(x) is a normal float (sigmoid(-40) is about 4.25e-18, not
        0), and the result is exactly 0.0 or 1.0 where it underflows.
    """
    raise NotImplementedError("hw1 activations.sigmoid")


def sigmoid_grad(x: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid: sigma'(x) = sigma(x) * (1 - sigma(x)).

    Since 1 - sigma(x) = sigma(-x), the product sigma(x) * sigma(-x) stays
    accurate even where sigma(x) rounds to 1. The maximum is 1/4 at x = 0.

    Args:
        x: array of any shape, float64 or float32.

    Returns:
        sigma'(x), a new array of x's shape and float dtype, warning-free for
        |x| up to 1e4.
    """
    raise NotImplementedError("hw1 activations.sigmoid_grad")


def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent tanh(x) = (e^x - e^{-x}) / (e^x + e^{-x}), values in (-1, 1).

    Like the sigmoid but zero-centred (tanh(x) = 2 * sigma(2x) - 1); it also
    saturates for large |x|, so its gradients vanish too.

    Args:
        x: array of any shape, float64 or float32.

    Returns:
        tanh(x), a new array of x's shape and float dtype.
    """
    raise NotImplementedError("hw1 activations.tanh")


def tanh_grad(x: np.ndarray) -> np.ndarray:
    """Derivative of tanh: tanh'(x) = 1 - tanh(x)^2, equal to 1 at x = 0.

    Args:
        x: array of any shape, float64 or float32.

    Returns:
        1 - tanh(x)^2, a new array of x's shape and float dtype.
    """
    raise NotImplementedError("hw1 activations.tanh_grad")


def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit (线性整流函数) ReLU(x) = max(0, x).

    Cheap and fast to train, the default hidden activation since AlexNet; but a
    unit whose input stays negative gets zero gradient and stops learning
    (the "dying ReLU" problem, 神经元死亡).

    Args:
        x: array of any shape, float64 or float32.

    Returns:
        max(0, x), a new array of x's shape and float dtype.
    """
    raise NotImplementedError("hw1 activations.relu")


def relu_grad(x: np.ndarray) -> np.ndarray:
    """Derivative of ReLU: 1 where x > 0, else 0.

    ReLU has no derivative at 0; the convention (as in PyTorch) uses 0 there.

    Args:
        x: array of any shape, float64 or float32.

    Returns:
        A new array of x's shape and float dtype holding 1.0 where x > 0 and
        0.0 elsewhere (including x == 0).
    """
    raise NotImplementedError("hw1 activations.relu_grad")


def leaky_relu(x: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """Leaky ReLU: x for x >= 0, alpha * x for x < 0.

    A small fixed slope alpha (a preset constant) on the negative side keeps a
    gradient flowing, so units cannot die as they can with ReLU.

    Args:
        x: array of any shape, float64 or float32.
        alpha: the negative-side slope, a float.

    Returns:
        A new array of x's shape and float dtype.
    """
    raise NotImplementedError("hw1 activations.leaky_relu")


def leaky_relu_grad(x: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """Derivative of Leaky ReLU: 1 for x >= 0, alpha for x < 0.

    At x == 0 the x >= 0 branch is used, giving 1.

    Args:
        x: array of any shape, float64 or float32.
        alpha: the negative-side slope, a float.

    Returns:
        A new array of x's shape and float dtype.
    """
    raise NotImplementedError("hw1 activations.leaky_relu_grad")


def elu(x: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    """Exponential linear unit: x for x >= 0, gamma * (e^x - 1) for x < 0.

    Linear on the positive side, a smooth exponential approach to -gamma on the
    negative side: it avoids dying units and can output negative values, which
    pushes mean activations towards zero. Only evaluate e^x for x < 0 (for large
    positive x it would overflow, and that branch is not used anyway).

    Args:
        x: array of any shape, float64 or float32.
        gamma: scale of the negative branch, a float.

    Returns:
        A new array of x's shape and float dtype, warning-free for |x| up to 1e4.
    """
    raise NotImplementedError("hw1 activations.elu")


def elu_grad(x: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    """Derivative of ELU: 1 for x >= 0, gamma * e^x for x < 0.

    At x == 0 the x >= 0 branch is used, giving 1.

    Args:
        x: array of any shape, float64 or float32.
        gamma: scale of the negative branch, a float.

    Returns:
        A new array of x's shape and float dtype, warning-free for |x| up to 1e4
        (0.0 where gamma * e^x underflows).
    """
    raise NotImplementedError("hw1 activations.elu_grad")


def prelu(x: np.ndarray, alpha: float | np.ndarray) -> np.ndarray:
    """Parametric ReLU: x for x >= 0, alpha * x for x < 0, with alpha learned.

    Same shape as Leaky ReLU, but the negative slope alpha is a trainable
    parameter (the lecture initialises it to 0.1), often one per channel. A
    learned alpha may exceed 1.

    Args:
        x: array of any shape, float64 or float32.
        alpha: the negative-side slope, a float or an array broadcastable to x
            (e.g. shape (C, 1, 1) for one slope per channel of (N, C, H, W));
            any value, also above 1.

    Returns:
        A new array of x's shape and float dtype.
    """
    raise NotImplementedError("hw1 activations.prelu")


def prelu_grad(x: np.ndarray, alpha: float | np.ndarray) -> np.ndarray:
    """Derivative of PReLU with respect to x: 1 for x >= 0, alpha for x < 0.

    At x == 0 the x >= 0 branch is used, giving 1.

    Args:
        x: array of any shape, float64 or float32.
        alpha: a float or an array broadcastable to x (also above 1).

    Returns:
        A new array of x's shape and float dtype.
    """
    raise NotImplementedError("hw1 activations.prelu_grad")


def prelu_grad_alpha(x: np.ndarray, alpha: float | np.ndarray) -> np.ndarray:
    """Derivative of PReLU with respect to its slope alpha, elementwise.

    d(alpha * x)/d alpha = x on the negative side and 0 elsewhere; it does not
    depend on alpha. To train a shared alpha, multiply by the upstream gradient
    and sum over the axes along which alpha was broadcast.

    Args:
        x: array of any shape, float64 or float32.
        alpha: a float or an array broadcastable to x (also above 1).

    Returns:
        A new array of x's shape and float dtype holding x where x < 0 and 0.0
        elsewhere (including x == 0).
    """
    raise NotImplementedError("hw1 activations.prelu_grad_alpha")
