"""Child-side driver for autograd.Scalar: builds a graph the judge describes, runs backward.

The judge sends nodes in topological order. ``leaf`` nodes become ``Scalar(value)``; ``const``
nodes stay plain Python numbers, so ``2 * s`` and ``s / 3`` exercise the reflected operators.
Only floats come back: every node's ``data`` and ``grad`` (grads read before and after one
``backward()``); the judge compares them with its own torch graph.
``chain`` builds one long line of nodes from two arrays, for the deep-graph check, and runs its
``backward()`` under Python's default recursion limit.
"""
from __future__ import annotations

import operator
from typing import Any

from ..payloads import ChainAnswer, ChainRequest, GraphAnswer, GraphRequest

_BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}
_METHODS = ("relu", "tanh", "sigmoid", "exp", "log")


def graph(module: Any, payload: GraphRequest) -> GraphAnswer:
    Scalar = module.Scalar
    values: list[Any] = []
    for node in payload["nodes"]:
        op = node["op"]
        if op == "leaf":
            values.append(Scalar(float(node["value"])))
        elif op == "const":
            values.append(float(node["value"]))
        elif op in _BINARY:
            values.append(_BINARY[op](values[node["a"]], values[node["b"]]))
        elif op == "neg":
            values.append(-values[node["a"]])
        elif op == "pow":
            values.append(values[node["a"]] ** float(node["p"]))
        elif op in _METHODS:
            values.append(getattr(values[node["a"]], op)())
        else:
            raise ValueError(f"unknown graph op {op!r}")
    scalars = [i for i, n in enumerate(payload["nodes"]) if n["op"] != "const"]
    initial_grads = [_number(values[i].grad, "grad") for i in scalars]
    root = values[payload["root"]]
    root.backward()
    return {
        "index": scalars,
        "data": [_number(values[i].data, "data") for i in scalars],
        "grad_before": initial_grads,
        "grad": [_number(values[i].grad, "grad") for i in scalars],
    }


def _number(value: Any, attribute: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"Scalar.{attribute} should be a float, got {type(value).__name__}") from None


# Python's own recursion limit (sys.getrecursionlimit() in a fresh interpreter). The contract's
# "deeper than Python's recursion limit" means this one; the child runs with a higher limit.
PYTHON_RECURSION_LIMIT = 1000


def chain(module: Any, payload: ChainRequest) -> ChainAnswer:
    """A long line of nodes, v <- v * scales[i] then v <- shifts[i] + v, from Scalar(start).

    Sent as two arrays rather than a node list so that a graph of thousands of nodes crosses the
    wire quickly. backward() runs under Python's default recursion limit (or a lower one the
    submission set). Returns every node's data and grad (after one backward()) as arrays.
    """
    import sys

    import numpy as np

    nodes = [module.Scalar(float(payload["start"]))]
    for c, d in zip(payload["scales"].tolist(), payload["shifts"].tolist()):
        nodes.append(nodes[-1] * c)
        nodes.append(d + nodes[-1])
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(min(limit, PYTHON_RECURSION_LIMIT))
    try:
        nodes[-1].backward()
    finally:
        sys.setrecursionlimit(limit)
    return {"data": np.array([_number(n.data, "data") for n in nodes]),
            "grad": np.array([_number(n.grad, "grad") for n in nodes])}
