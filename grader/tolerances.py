"""The tolerances of the checks, and why they are what they are (written here once).

A check compares the student's answer with the judge's own value, computed in float64 from the
same inputs (``compare.expect_array``: ``|got - want| <= atol + rtol * |want|`` elementwise). The
tolerance must forgive every correct implementation (loops or vectorised, another summation
order, another exact formula, float32 throughout when the inputs are float32) and nothing else:
the mistakes the checks look for (a missing term, a wrong axis, a transposed weight) change the
result by O(1) relative amounts, far above any tolerance here.

A check module that needs other numbers (longer sums, transcendental functions compared with
torch's, a recursion that is exact by construction) defines them next to its checks, with a
comment saying why; everything else imports from here.
"""
from __future__ import annotations

from typing import TypedDict

import numpy as np


class Tolerance(TypedDict):
    """Keyword arguments of ``compare.expect_array`` and ``expect_float``: ``**EXACT``, ``**by_dtype(x)``."""

    rtol: float
    atol: float


# float64: sums of at most a few hundred products of O(1) numbers round to ~1e-14 at worst, so
# 1e-10 only forgives another order of summation (loops, einsum, im2col) or another exact formula
# (a stable softmax, 0.5 * (1 + tanh(z / 2)) for the sigmoid), and still sees a bug in the 10th digit.
RTOL64, ATOL64 = 1e-10, 1e-10

# float32 answers against the float64 oracle: float32 rounds each operation to ~6e-8 relative,
# a few dozen operations deep that is ~1e-6; 1e-5 (about 100 ulp) leaves room for any order.
RTOL32, ATOL32 = 1e-5, 1e-5

# Pure rearrangements, labels and exact small-integer arithmetic: copies and exact operations
# give the judge's numbers bit for bit, so any difference is a mistake.
EXACT: Tolerance = {"rtol": 0.0, "atol": 0.0}

# Finite differences (grader/gradients.py): float64 central differences with h = 1e-6 carry a
# truncation error ~h^2 * f''' and rounding ~eps * |f| / h ~ 1e-10 for O(1) values, so a relative
# error of 1e-6 (with a floor of 1e-8 for entries near zero) leaves ample room for both.
FD_STEP = 1e-6
FD_TOL = 1e-6
FD_FLOOR = 1e-8


def by_dtype(dtype: np.dtype | type | str) -> Tolerance:
    """``rtol`` and ``atol`` for an answer of this dtype: float32 answers get the float32 room."""
    if np.dtype(dtype) == np.float32:
        return {"rtol": RTOL32, "atol": ATOL32}
    return {"rtol": RTOL64, "atol": ATOL64}
