"""Child-side drivers shared by many checks."""
from __future__ import annotations

from typing import Any

import numpy as np


def numeric_grad(module: Any, payload: dict) -> dict:
    """Central differences of the student's own forward: d sum(dout * out) / d args[wrt].

    payload: function, args, kwargs, wrt (argument indices), h, dout (None for a scalar
    output), output_index (which element of a returned tuple is the output, e.g. 0 for
    (out, cache)). Runs in float64 on copies; the student's arguments are never mutated here.
    """
    func = getattr(module, payload["function"])
    args = [np.array(a, dtype=np.float64) if isinstance(a, np.ndarray) else a for a in payload["args"]]
    kwargs = payload.get("kwargs") or {}
    h = float(payload.get("h", 1e-6))
    dout = payload.get("dout")
    index = payload.get("output_index")

    def value(call_args: list) -> float:
        out = func(*[a.copy() if isinstance(a, np.ndarray) else a for a in call_args], **kwargs)
        if index is not None:
            out = out[index]
        out = np.asarray(out, dtype=np.float64)
        return float(np.sum(out * dout)) if dout is not None else float(np.sum(out))

    grads = []
    for i in payload["wrt"]:
        x = args[i]
        grad = np.zeros_like(x)
        for idx in np.ndindex(*x.shape):
            old = x[idx]
            x[idx] = old + h
            plus = value(args)
            x[idx] = old - h
            minus = value(args)
            x[idx] = old
            grad[idx] = (plus - minus) / (2 * h)
        grads.append(grad)
    return {"grads": grads}
