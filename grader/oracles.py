"""Oracles: the judge's own computations of expected values, and their recorded replay.

A check module marks with ``@oracle`` every function that computes, from a check's inputs, a value
the student's answer is compared with: the expected value, or a wrong variant that a message
names ("your result equals the sum over time"). Such a function is a working solution of some
exercise, so the student bundle must not hold its code.

``dlgrade release --student`` runs the visible checks against the reference with a ``Recorder``
active (grader/authoring/recording.py), keeps every oracle call's arguments and result in
``grader/checks/recorded_cases.bin`` of the bundle (the wire format: JSON and raw array bytes,
never pickle), and replaces each oracle's definition there by ``name = oracle.replay("module.name")``:
a function that answers the recorded calls and nothing else. The rest of each visible check ships
as code: the inputs it draws, its comparers, tolerances, messages, and its property checks
(equivariance, shape rules), which take the student's values
and need no oracle.
"""
from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .child import wire
from .i18n import Text, tr

RECORD_SEED = 0  # the seed visible checks run with in the bundle (and in `dlgrade check`)
RECORDING_NAME = "recorded_cases.bin"
RECORDING = Path(__file__).with_name("checks") / RECORDING_NAME
# Inputs recomputed on a student's machine may differ from the recorded ones in the last bits (another
# numpy build, another CPU's SIMD exp); a recorded call still answers within this relative distance.
MATCH_RTOL = 1e-9
MATCH_ATOL = 1e-12


class OracleUnavailable(Exception):
    """In the bundle: an oracle was asked about a call that was never recorded."""

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.text = message


class RecordingError(Exception):
    """At release: a visible check uses an oracle in a way a recording cannot stand in for."""


# --------------------------------------------------------------------------- the decorator
class _Oracle:
    """``@oracle`` marks a function; ``oracle.replay(name)`` stands in for it in the bundle."""

    def __init__(self) -> None:
        self.functions: dict[str, Callable[..., Any]] = {}
        self.recorder: Any = None  # a recording.Recorder while `release --student` records

    def __call__(self, func: Callable[..., Any]) -> Callable[..., Any]:
        name = qualified_name(func.__module__, func.__name__)

        @functools.wraps(func)
        def marked(*args: Any, **kwargs: Any) -> Any:
            if self.recorder is None:
                return func(*args, **kwargs)
            return self.recorder.call(name, func, args, kwargs)

        marked.__oracle__ = name  # type: ignore[attr-defined]
        self.functions[name] = func
        return marked

    def replay(self, name: str) -> Callable[..., Any]:
        def recorded(*args: Any, **kwargs: Any) -> Any:
            return _recorded().answer(name, args, kwargs)

        recorded.__name__ = recorded.__qualname__ = name.rsplit(".", 1)[-1]
        return recorded


oracle = _Oracle()


def qualified_name(module: str, function: str) -> str:
    """'rnn._lstm' for grader.checks.rnn._lstm: the key of its recorded calls."""
    return f"{module.rsplit('.', 1)[-1]}.{function}"


def replaying() -> bool:
    """True in a student bundle: visible checks answer from recorded cases."""
    return RECORDING.is_file()


def case_seed(seed: int) -> int:
    """The seed a check's inputs are drawn with: the recorded one in the bundle, where the cases are fixed."""
    return RECORD_SEED if replaying() else seed


# --------------------------------------------------------------------------- plain data
def check_plain(value: Any, where: str, depth: int = 0) -> None:
    """Oracle arguments and results must survive the wire format unchanged: plain numbers and arrays."""
    if depth > wire.MAX_DEPTH:
        raise RecordingError(f"{where}: nested too deep")
    if value is None or isinstance(value, (bool, int, float, str)):
        return
    if isinstance(value, np.ndarray):
        if type(value) is not np.ndarray or value.dtype.str not in wire.ALLOWED_DTYPES:
            raise RecordingError(f"{where}: a {type(value).__name__} of dtype {value.dtype}; use a plain numeric "
                                 "numpy array")
        return
    if isinstance(value, np.generic):
        if np.asarray(value).dtype.str not in wire.ALLOWED_DTYPES:
            raise RecordingError(f"{where}: a numpy {np.asarray(value).dtype} scalar")
        return
    if isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            check_plain(item, f"{where}[{i}]", depth + 1)
        return
    if isinstance(value, dict) and all(type(k) is str for k in value):
        for k, item in value.items():
            check_plain(item, f"{where}[{k!r}]", depth + 1)
        return
    raise RecordingError(f"{where}: a {type(value).__module__}.{type(value).__name__}; oracle arguments and "
                         "results must be numbers, strings, numpy arrays, and tuples, lists or str-keyed dicts of them")


def round_trip(value: Any) -> Any:
    """The value as the bundle will read it back."""
    return wire.decode(wire.dumps({"v": value}))["v"]


def encode(value: Any) -> bytes:
    return wire.dumps({"v": value})


def decode(frame: bytes) -> Any:
    return wire.decode(frame)["v"]


def call_key(args: tuple, kwargs: dict) -> str:
    return hashlib.sha256(encode([list(args), dict(sorted(kwargs.items()))])).hexdigest()


# --------------------------------------------------------------------------- replay
class Recorded:
    """The recorded calls of every oracle: exact matches by key, near matches by structure and value."""

    def __init__(self, data: dict) -> None:
        self.seed = data.get("seed", RECORD_SEED)
        self.numpy = data.get("numpy", "")
        self.calls: dict[str, list[tuple[list, dict, Any]]] = {
            name: [(list(a), dict(k), r) for a, k, r in calls] for name, calls in data["oracles"].items()}
        self.exact = {name: {call_key(tuple(a), k): i for i, (a, k, _) in enumerate(calls)}
                      for name, calls in self.calls.items()}

    def answer(self, name: str, args: tuple, kwargs: dict) -> Any:
        calls = self.calls.get(name, [])
        try:
            index = self.exact.get(name, {}).get(call_key(args, kwargs))
        except Exception:  # not plain data: no recorded call can match it
            index = None
        if index is None:
            index = next((i for i, (a, k, _) in enumerate(calls) if _near([a, k], [list(args), kwargs])), None)
        if index is None:
            raise OracleUnavailable(tr("oracle_unavailable", name=name, numpy=self.numpy, seed=self.seed))
        return round_trip(calls[index][2])  # a fresh copy: a check may modify what it gets


def _near(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.kind not in "fc":
            return bool(np.array_equal(a, b))
        with np.errstate(invalid="ignore"):
            close = np.abs(a - b) <= MATCH_ATOL + MATCH_RTOL * np.abs(b)
        return bool(np.all(close | (np.isnan(a) & np.isnan(b)) | (a == b)))
    if type(a) is not type(b) and not (isinstance(a, np.generic) and isinstance(b, np.generic)):
        return False
    if isinstance(a, float):
        return a == b or abs(a - b) <= MATCH_ATOL + MATCH_RTOL * abs(b) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, np.generic):
        return _near(np.asarray(a), np.asarray(b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_near(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_near(a[k], b[k]) for k in a)
    return a == b


@functools.lru_cache(maxsize=1)
def _recorded() -> Recorded:
    if not RECORDING.is_file():
        raise OracleUnavailable(Text(f"缺少 {RECORDING}：请重新安装学生包",
                                     f"{RECORDING} is missing: reinstall the student bundle"))
    return Recorded(decode(RECORDING.read_bytes()))


def write_recording(path: Path, calls: dict[str, list[tuple[list, dict, Any]]]) -> None:
    data = {"format": 1, "seed": RECORD_SEED, "numpy": np.__version__,
            "oracles": {name: [[list(a), dict(k), r] for a, k, r in entries]
                        for name, entries in sorted(calls.items())}}
    path.write_bytes(encode(data))
