"""Take over the child's side of the wire: answer with forged verdicts, fields of the wrong
types and malformed frames (deep nesting, bad array bounds, a huge declared length)."""
import struct
import sys

import numpy as np

HEAD = struct.Struct("!II")
state = {"function": None}


def _runtime():
    for name, module in list(sys.modules.items()):
        if name.endswith("child.worker"):
            return module
    return None


def _frame(header, payload=b""):
    head = header.encode()
    return HEAD.pack(len(head), len(payload)) + head + payload


FORGED = {
    "two_layer_forward": lambda: _frame("[" * 200_000 + "]" * 200_000),
    "xor_params": lambda: _frame('{"__dict__": {"status": "passed", "score": 13, "verdict": "passed"}}'),
    "mlp_forward": lambda: _frame('{"__dict__": {"status": "raised", "exc_type": 5, "bases": 7, '
                                  '"traceback": [{"__dict__": {"file": [1], "line": {"__dict__": {}}}}], '
                                  '"syntax": {"__dict__": {"text": 5, "line": [2]}}, "message": [1, 2]}}'),
    "collapse_linear": lambda: _frame('{"__dict__": {"status": "ok", "value": {"__array__": [0, 800], '
                                      '"dtype": "<f8", "shape": [10, 10]}}}'),
    "huge": lambda: HEAD.pack(64, 1 << 31) + b"{}",
    "bad": lambda: _frame('{"__dict__": {"status": "ok", "value": {"__scalar__": {"__array__": [0, 0], '
                          '"dtype": "<f8", "shape": [0]}}}}'),
}


worker = _runtime()
if worker is not None:
    real_call = worker.Worker.op_call
    real_dumps = worker.wire.dumps

    def op_call(self, request):
        name = request.get("function")
        if name == "two_layer_forward":  # one forgery per check: the first answer kills each child
            X = request["args"][0]
            name = "huge" if X.dtype == np.float32 else "two_layer_forward" if len(X) == 4 else "bad"
        state["function"] = name
        return real_call(self, request)

    def dumps(message):
        name = state["function"]
        if name is None:
            return real_dumps(message)  # the load answer goes through: the calls are forged
        return FORGED[name]()

    worker.Worker.op_call = op_call
    worker.wire.dumps = dumps


def two_layer_forward(X, W, c, w, b):
    return np.zeros(len(X))


def xor_params():
    return np.zeros((2, 2)), np.zeros(2), np.zeros(2), 0.0


def mlp_forward(X, weights, biases, activation="relu"):
    return np.zeros((len(X), weights[-1].shape[1]))


def collapse_linear(weights, biases):
    return np.zeros((weights[0].shape[0], weights[-1].shape[1])), np.zeros(weights[-1].shape[1])
