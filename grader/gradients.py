"""Gradient checking for checks: finite differences, torch autograd, and a fair comparison.

- ``finite_difference``: float64 central differences of a judge-side function, explicit step.
- ``torch_vjp``: gradients of a torch expression (float64) against an upstream gradient.
- ``away_from_kinks``: random inputs kept a margin away from non-differentiable points, so a
  correct gradient never fails by bad luck (ReLU at 0, pooling ties, |x| at 0).
- ``expect_gradient``: relative error with a floor, ``|a-b| / max(|a|+|b|, floor)``, reported
  with the worst index like every other comparison.
Finite differences are always of the judge's own forward: differences of the student's forward
would agree with a backward exactly as wrong as it (both returning zeros, say), and they would be
computed in the student's process, where any answer can be forged.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from .compare import as_array, fail, number
from .i18n import Text, tr
from .tolerances import FD_FLOOR, FD_STEP, FD_TOL

# Why these numbers: grader/tolerances.py.
DEFAULT_H, DEFAULT_TOL, DEFAULT_FLOOR = FD_STEP, FD_TOL, FD_FLOOR


def finite_difference(f: Callable[[np.ndarray], Any], x: np.ndarray, h: float = DEFAULT_H,
                      dout: np.ndarray | None = None) -> np.ndarray:
    """d sum(dout * f(x)) / dx by central differences, element by element, in float64."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = np.asarray(f(x.copy()), dtype=np.float64)
        x[idx] = old - h
        minus = np.asarray(f(x.copy()), dtype=np.float64)
        x[idx] = old
        diff = (plus - minus) if dout is None else np.sum((plus - minus) * dout)
        grad[idx] = np.sum(diff) / (2 * h)
    return grad


def torch_vjp(fn: Callable[..., Any], inputs: Mapping[str, np.ndarray], dout: np.ndarray | None = None,
              wrt: tuple[str, ...] | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Run ``fn(**tensors)`` in float64 torch; return (output, {name: d sum(dout*out)/d name})."""
    import torch

    tensors = {k: torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=(wrt is None or k in wrt))
               for k, v in inputs.items()}
    out = fn(**tensors)
    upstream = torch.ones_like(out) if dout is None else torch.tensor(np.asarray(dout, dtype=np.float64))
    grads = torch.autograd.grad(out, [t for t in tensors.values() if t.requires_grad], upstream,
                                allow_unused=True)
    names = [k for k, t in tensors.items() if t.requires_grad]
    result = {k: (np.zeros(inputs[k].shape) if g is None else g.detach().numpy()) for k, g in zip(names, grads)}
    return out.detach().numpy(), result


def away_from_kinks(rng: np.random.Generator, shape: tuple[int, ...], kinks: tuple[float, ...] = (0.0,),
                    margin: float = 1e-2, scale: float = 1.0) -> np.ndarray:
    """Normal samples with every value at least ``margin`` from each kink."""
    x = rng.normal(scale=scale, size=shape)
    for k in kinks:
        close = np.abs(x - k) < margin
        x[close] = k + np.where(x[close] >= k, margin, -margin) * (1 + rng.random(np.count_nonzero(close)))
    return x


def expect_gradient(got: Any, want: np.ndarray, what: str | Text, case: str | Text = "", *, tol: float = DEFAULT_TOL,
                    floor: float = DEFAULT_FLOOR, dtype: DTypeLike | None = None) -> np.ndarray:
    """Relative error with a floor, elementwise, at most ``tol`` (structure checked first)."""
    want = np.asarray(want, dtype=np.float64)
    arr = as_array(got, what, case, shape=want.shape, dtype=dtype)
    a = arr.astype(np.float64)
    err = np.abs(a - want)
    rel = err / np.maximum(np.abs(a) + np.abs(want), floor)
    bad = rel > tol
    if not np.any(bad):
        return arr
    idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(rel)), rel.shape)) if rel.ndim else ()
    raise fail(what, case, tr("gradient_mismatch", bad=int(np.count_nonzero(bad)), n=bad.size,
                               rel=f"{float(np.max(rel)):.3g}", tol=f"{tol:g}", floor=f"{floor:g}",
                               abs_err=f"{float(np.max(err)):.3g}", index=idx if idx else "()",
                               got=number(a[idx] if a.ndim else a), want=number(want[idx] if want.ndim else want)))
