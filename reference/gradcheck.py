"""Numerical gradients and gradient checking (Lecture 4, part 2: backpropagation, 反向传播).

The lecture contrasts two ways to get a gradient: the numerical method (数值法), slow
and approximate, and the analytic method (解析法), fast and exact but easy to get wrong.
A gradient check uses the first to test the second.
"""
from typing import Callable

import numpy as np


def forward_difference(f: Callable[[float], float], x: float, h: float = 1e-4) -> float:
    """One-sided finite difference: dL/dw ~ (L(w + h) - L(w)) / h.

    This is the definition of the derivative with a small but finite h, so it has an
    error of order h. The lecture's example: L(w) = w^2 at w = 1 with h = 0.0001 gives
    2.0001 while the true derivative is 2.

    Args:
        f: a scalar function of one scalar.
        x: the point at which to differentiate.
        h: the step.

    Returns:
        (f(x + h) - f(x)) / h as a Python float.
    """
    return float((f(x + h) - f(x)) / h)


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       h: float = 1e-5) -> np.ndarray:
    """Gradient of a scalar function by central differences, one element at a time.

    For each element x_i: df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h). The central
    difference has an error of order h^2, much smaller than the forward difference,
    but it costs two evaluations of f per element: this is why the lecture calls the
    numerical method slow.

    Args:
        f: maps an array of x's shape to a scalar.
        x: the point, any shape. It is not modified: the perturbations are applied to a copy.
        h: the step, used as given (the caller chooses it; not a fixed step).

    Returns:
        Array of x's shape and float dtype holding df/dx.
    """
    x = np.array(x, copy=True)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = float(f(x))
        x_plus = x[i]
        x[i] = old - h
        f_minus = float(f(x))
        # Divide by the step actually taken: in float32, old +- h is rounded.
        step = float(x_plus) - float(x[i])
        x[i] = old
        grad[i] = (f_plus - f_minus) / step
    return grad


def relative_error(a: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> float:
    """Largest elementwise relative error between two arrays.

    max over elements of |a - b| / max(|a| + |b|, eps). Relative rather than absolute,
    so the same tolerance works for large and small gradients; eps avoids 0 / 0 where
    both are zero.

    Args:
        a, b: arrays of the same shape (or scalars).
        eps: floor of the denominator.

    Returns:
        The maximum as a Python float.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    err = np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps)
    return float(np.max(err)) if err.size else 0.0


def gradient_check(f: Callable[[np.ndarray], float],
                   grad_f: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                   h: float = 1e-5, tol: float = 1e-6) -> tuple[bool, float]:
    """Check an analytic gradient against the numerical one.

    Computes grad_f(x) (the analytic method, 解析法) and numerical_gradient(f, x, h)
    (the numerical method, 数值法) and compares them with relative_error. Use float64
    inputs away from kinks (such as relu at 0), where finite differences are unreliable.

    Args:
        f: maps an array of x's shape to a scalar.
        grad_f: maps an array of x's shape to the claimed gradient, same shape.
        x: the point, any shape; not modified.
        h: finite-difference step, passed on to numerical_gradient.
        tol: the largest relative error accepted.

    Returns:
        (ok, max_rel_error): ok is a bool, max_rel_error <= tol; max_rel_error a float.
    """
    analytic = grad_f(np.array(x, copy=True))
    numeric = numerical_gradient(f, x, h)
    err = relative_error(analytic, numeric)
    return err <= tol, err
