"""A runner that imports trusted code into this process: for fast unit tests of checks only.

Real grading always uses ``SandboxRunner``. This runner exists so that tests can grade the
reference and the deliberately wrong implementations in tests/ quickly; values still make the
wire round trip, so checks see exactly the types they would see from a child.
"""
from __future__ import annotations

import importlib.util
import io
import itertools
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

from ..child import wire
from ..child.worker import Worker
from .base import Reply, reply_from_message

_counter = itertools.count()


class _InProcessWorker(Worker):
    def import_module(self, name: str, path: Path) -> Any:
        unique = f"_dlgrade_inprocess_{next(_counter)}_{name}"
        spec = importlib.util.spec_from_file_location(unique, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[unique] = module
        spec.loader.exec_module(module)
        return module


class InProcessRunner:
    def __init__(self, submission_dir: Path) -> None:
        self._worker = _InProcessWorker(str(submission_dir), None, None)

    def _run(self, handler: Any, request: dict) -> Reply:
        started = time.perf_counter()
        out = io.StringIO()
        request = wire.decode(wire.dumps(request))
        with redirect_stdout(out), redirect_stderr(out):
            response = handler(request)
        reply = reply_from_message(wire.decode(wire.dumps(response)))
        reply.output = out.getvalue()[:4096]
        reply.duration_s = time.perf_counter() - started
        return reply

    def load(self, module: str, timeout: float) -> Reply:
        return self._run(self._worker.op_load, {"op": "load", "module": module})

    def call(self, module: str, function: str, args: list, kwargs: dict, timeout: float,
             echo_args: bool = False, forbid: tuple[str, ...] = ()) -> Reply:
        return self._run(self._worker.op_call, {"op": "call", "module": module, "function": function,
                                                "args": list(args), "kwargs": dict(kwargs),
                                                "echo_args": echo_args, "forbid": list(forbid)})

    def drive(self, module: str, driver: str, payload: Any, timeout: float,
              forbid: tuple[str, ...] = ()) -> Reply:
        return self._run(self._worker.op_drive, {"op": "drive", "module": module, "driver": driver,
                                                 "payload": payload, "forbid": list(forbid)})

    layers = {"in_process": True}

    def close(self) -> None:
        pass

