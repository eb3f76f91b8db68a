"""Child-side driver for activations: run a function and report the warnings it emitted.

A module-level ``np.seterr(all="ignore")`` or ``warnings.simplefilter("ignore")`` in the
submission would hide the warnings, so both are set here for the call: every warning is recorded,
and numpy's floating-point state is numpy's default (overflow, division by zero and invalid
operations warn; underflow to 0 is the specified result for tiny values and stays silent).
"""
from __future__ import annotations

import warnings as _warnings
from typing import Any

import numpy as np

from ..payloads import WarningsAnswer, WarningsRequest


def warnings(module: Any, payload: WarningsRequest) -> WarningsAnswer:
    """Call ``payload["function"](*args, **kwargs)``; its value and every warning it emitted."""
    func = getattr(module, payload["function"])
    args, kwargs = list(payload.get("args") or []), dict(payload.get("kwargs") or {})
    with _warnings.catch_warnings(record=True) as caught, np.errstate(over="warn", divide="warn",
                                                                       invalid="warn", under="ignore"):
        _warnings.simplefilter("always")
        value = func(*args, **kwargs)
    return {"value": value, "warnings": [f"{w.category.__name__}: {w.message}"[:300] for w in caught]}
