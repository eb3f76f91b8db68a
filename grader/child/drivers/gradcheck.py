"""Child-side driver for gradcheck: builds the callables the judge describes, calls the student.

The judge cannot send a function, so it names one from a small fixed family (plain data):
  {"kind": "power", "p": 2}                    f(x) = sum(x ** p)
  {"kind": "cubic", "coef": [c3, c2, c1, c0]}  f(x) = sum(c3 x^3 + c2 x^2 + c1 x + c0)
  {"kind": "quadratic_form", "A": A, "b": b}   f(x) = 0.5 x.A.x + b.x, x flattened
  {"kind": "sin_sum"}                          f(x) = sum(sin(x))
  {"kind": "tanh_form", "A": A, "b": b}        f(x) = sum(tanh(A x + b)), x flattened: every
                                               element's slope depends on the others
  {"kind": "weighted", "W": W}                 f(x) = sum(W * sin(x)); x must have W's shape
  {"kind": "wave", "k": k}                     f(x) = sum(sin(k x)) / k: so curved that central
                                               differences with h = 1e-5 differ from f' by ~1e-7
and a gradient for ``gradient_check`` as {"kind": "grad", "of": <f spec>, "scale": s, "offset": o}:
s * (the exact gradient) + o, so a deliberately wrong gradient is s != 1 or o != 0.
Functions evaluate in float64 and return a Python float. Only the student's answer and what the
driver saw come back: how often f and grad_f were called, the shapes and dtypes f received, the
points a scalar f was evaluated at, and whether x was left unchanged; for ``gradient_check``, on
request, also the student's own ``numerical_gradient`` at the same point. The judge judges, and
what the driver saw can only take points away (a forged report is no answer): the checks choose
f and h so that what matters (central differences, the step h, x restored, f given x's shape)
shows in the numbers themselves.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..payloads import FunctionSpec, GradcheckAnswer, GradcheckRequest, GradientSpec

_MAX_POINTS = 20
_FUNCTIONS = ("forward_difference", "numerical_gradient", "gradient_check")


def _value(spec: FunctionSpec) -> Callable[[np.ndarray], float]:
    kind = spec["kind"]
    if kind == "power":
        p = float(spec["p"])
        return lambda x: float(np.sum(x ** p))
    if kind == "cubic":
        c3, c2, c1, c0 = (float(c) for c in spec["coef"])
        return lambda x: float(np.sum(((c3 * x + c2) * x + c1) * x + c0))
    if kind == "quadratic_form":
        A, b = np.asarray(spec["A"], dtype=np.float64), np.asarray(spec["b"], dtype=np.float64)
        return lambda x: float(0.5 * x.reshape(-1) @ A @ x.reshape(-1) + b @ x.reshape(-1))
    if kind == "sin_sum":
        return lambda x: float(np.sum(np.sin(x)))
    if kind == "tanh_form":
        A, b = np.asarray(spec["A"], dtype=np.float64), np.asarray(spec["b"], dtype=np.float64)
        return lambda x: float(np.sum(np.tanh(A @ x.reshape(-1) + b)))
    if kind == "weighted":
        W = np.asarray(spec["W"], dtype=np.float64)
        return lambda x: float(np.sum(W * np.sin(_shaped(x, W.shape))))
    if kind == "wave":
        k = float(spec["k"])
        return lambda x: float(np.sum(np.sin(k * x)) / k)
    raise ValueError(f"unknown function kind {kind!r}")


def _shaped(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if x.shape != shape:
        raise ValueError(f"this f takes an array of x's shape {shape}, it was given one of shape {x.shape}")
    return x


def _gradient(spec: FunctionSpec) -> Callable[[np.ndarray], np.ndarray]:
    kind = spec["kind"]
    if kind == "power":
        p = float(spec["p"])
        return lambda x: p * x ** (p - 1)
    if kind == "cubic":
        c3, c2, c1, _ = (float(c) for c in spec["coef"])
        return lambda x: (3 * c3 * x + 2 * c2) * x + c1
    if kind == "quadratic_form":
        A, b = np.asarray(spec["A"], dtype=np.float64), np.asarray(spec["b"], dtype=np.float64)
        return lambda x: (0.5 * (A + A.T) @ x.reshape(-1) + b).reshape(x.shape)
    if kind == "sin_sum":
        return np.cos
    if kind == "tanh_form":
        A, b = np.asarray(spec["A"], dtype=np.float64), np.asarray(spec["b"], dtype=np.float64)
        return lambda x: (A.T @ (1 - np.tanh(A @ x.reshape(-1) + b) ** 2)).reshape(x.shape)
    if kind == "weighted":
        W = np.asarray(spec["W"], dtype=np.float64)
        return lambda x: W * np.cos(_shaped(x, W.shape))
    if kind == "wave":
        k = float(spec["k"])
        return lambda x: np.cos(k * x)
    raise ValueError(f"unknown function kind {kind!r}")


class _Recorded:
    """A callable that counts its calls and remembers what it was given."""

    def __init__(self, func: Callable[[np.ndarray], Any]) -> None:
        self.func = func
        self.calls = 0
        self.shapes: list[tuple[int, ...]] = []
        self.dtypes: list[str] = []
        self.points: list[float] = []

    def __call__(self, x: Any) -> Any:
        self.calls += 1
        arr = np.asarray(x)
        if arr.shape not in self.shapes:
            self.shapes.append(arr.shape)
        if str(arr.dtype) not in self.dtypes:
            self.dtypes.append(str(arr.dtype))
        if arr.size == 1 and len(self.points) < _MAX_POINTS:
            self.points.append(float(arr.reshape(())))
        # Copy: a student who later perturbs x in place must not change what f computed.
        return self.func(np.array(arr, dtype=np.float64))


def run(module: Any, payload: GradcheckRequest) -> GradcheckAnswer:
    """Call module.<function>(f, [grad_f,] x, **kwargs) and report what happened."""
    name = payload["function"]
    if name not in _FUNCTIONS:
        raise ValueError(f"gradcheck driver cannot call {name!r}")
    f = _Recorded(_value(payload["f"]))
    args: list[Any] = [f]
    grad_f = None
    if name == "gradient_check":
        g: GradientSpec = payload["grad_f"]
        scale, offset, exact = float(g.get("scale", 1.0)), float(g.get("offset", 0.0)), _gradient(g["of"])
        grad_f = _Recorded(lambda x: scale * exact(x) + offset)
        args.append(grad_f)
    x = payload["x"]
    before = np.array(x, copy=True) if isinstance(x, np.ndarray) else x
    kwargs = payload.get("kwargs") or {}
    value = getattr(module, name)(*args, x, **kwargs)
    unchanged = bool(np.array_equal(before, x)) if isinstance(x, np.ndarray) else True
    answer: GradcheckAnswer = {
        "value": value,
        "calls": f.calls,
        "shapes": [list(s) for s in f.shapes],
        "dtypes": f.dtypes,
        "points": f.points,
        "grad_calls": grad_f.calls if grad_f is not None else 0,
        "x_unchanged": unchanged,
    }
    if name == "gradient_check" and payload.get("own_numerical"):
        # The student's own numerical_gradient at the same point and step, so that the judge can
        # tell a gradient_check bug from a numerical_gradient bug (charged in its own checks).
        step = {"h": kwargs["h"]} if "h" in kwargs else {}
        try:
            answer["own_numerical"] = module.numerical_gradient(_Recorded(_value(payload["f"])),
                                                                np.array(before, copy=True), **step)
        except Exception:  # missing or broken: the judge then uses its own numbers only
            answer["own_numerical"] = None
    return answer
