"""Recording the visible checks' oracle calls for the student bundle (the why is in oracles.py).

``record_visible_checks`` runs every visible check twice, in this process, against the reference:
once as it is (every check must pass), once with every float the reference returns moved
(``a * 1.5 + 0.25``), so that the paths a wrong answer takes are recorded too (the alternatives a
failure message names). Values that come back from the code under test are marked; an oracle
called with a marked value is evaluating the answer itself, which no recording can stand in for,
and the build stops with the check's id.

``verdicts`` grades the visible checks of one submission in process and returns (status, message)
per check id: the bundle build compares the full grader's with the bundle's own.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import HarnessError
from ..oracles import RECORD_SEED, RecordingError, call_key, check_plain, oracle, round_trip
from ..pipeline import Course, PlannedModule, plan, run_checks, run_one, stage_submission
from ..runners.inprocess import InProcessRunner


class _FromStudent(np.ndarray):
    """An array that came back from the code under test (numpy operations keep the mark)."""


class _StudentFloat(float):
    """A float that came back from the code under test."""


def _mark(value: Any, move: Callable[[Any], Any] | None) -> Any:
    if isinstance(value, np.ndarray) and type(value) is np.ndarray:
        if move is not None and value.dtype.kind == "f":
            value = move(value).astype(value.dtype)
        return value.view(_FromStudent)
    if type(value) is float:
        return _StudentFloat(move(value) if move is not None else value)
    if isinstance(value, (list, tuple)):
        items = [_mark(v, move) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {k: _mark(v, move) for k, v in value.items()}
    return value


def _unmark(value: Any) -> Any:
    """What the check sends back to the code under test goes as plain values, as it would from a child."""
    if isinstance(value, _FromStudent):
        return value.view(np.ndarray)
    if isinstance(value, _StudentFloat):
        return float(value)
    if isinstance(value, (list, tuple)):
        items = [_unmark(v) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {k: _unmark(v) for k, v in value.items()}
    return value


def from_student(value: Any) -> bool:
    if isinstance(value, (_FromStudent, _StudentFloat)):
        return True
    if isinstance(value, (list, tuple)):
        return any(from_student(v) for v in value)
    if isinstance(value, dict):
        return any(from_student(v) for v in value.values())
    return False


def _moved(value: Any) -> Any:
    return value * 1.5 + 0.25


class _MarkingRunner:
    """A runner whose replies are marked as the student's (and, for the second pass, moved)."""

    def __init__(self, inner: InProcessRunner, move: Callable[[Any], Any] | None) -> None:
        self.inner, self.move = inner, move
        self.layers = inner.layers

    def _marked(self, reply: Any) -> Any:
        if reply.status == "ok":
            reply.value = _mark(reply.value, self.move)
            reply.args_after = _mark(reply.args_after, None)
            reply.kwargs_after = _mark(reply.kwargs_after, None)
        return reply

    def load(self, module: str, timeout: float) -> Any:
        return self.inner.load(module, timeout)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        return self._marked(self.inner.call(*_unmark(args), **_unmark(kwargs)))

    def drive(self, *args: Any, **kwargs: Any) -> Any:
        return self._marked(self.inner.drive(*_unmark(args), **_unmark(kwargs)))

    def close(self) -> None:
        self.inner.close()


class Recorder:
    """Keeps each oracle call (arguments, result) once; stops at the first call it cannot record."""

    def __init__(self) -> None:
        self.calls: dict[str, list[tuple[list, dict, Any]]] = {}
        self._seen: set[tuple[str, str]] = set()
        self.check = ""
        self.problems: dict[str, str] = {}  # check id -> the first thing that could not be recorded
        self._depth = 0

    def call(self, name: str, func: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        if self._depth:  # an oracle inside an oracle: the outer call's recording covers it
            return func(*args, **kwargs)
        where = f"visible check {self.check}: oracle {name}"
        try:
            for i, value in enumerate(args):
                if from_student(value):
                    raise RecordingError(
                        f"{where} is called with a value computed from the answer under test (argument "
                        f"{i + 1}), so a recording cannot stand in for it; compute that from the student's "
                        "values with a helper that is not an @oracle and solves no exercise, or make the "
                        "check compare the answer with values computed from its inputs only")
            if any(from_student(v) for v in kwargs.values()):
                raise RecordingError(f"{where} is called with a keyword argument computed from the answer "
                                     "under test; a recording cannot stand in for it")
            check_plain(list(args), f"{where}, arguments")
            check_plain(dict(kwargs), f"{where}, keyword arguments")
            key = call_key(args, kwargs)
            self._depth += 1
            try:
                result = func(*args, **kwargs)
            finally:
                self._depth -= 1
            if call_key(args, kwargs) != key:
                raise RecordingError(f"{where} modified its arguments; an oracle must compute on copies")
            check_plain(result, f"{where}, result")
        except RecordingError as exc:
            self.problems.setdefault(self.check, str(exc))
            raise
        if (name, key) not in self._seen:
            self._seen.add((name, key))
            self.calls.setdefault(name, []).append((round_trip(list(args)), round_trip(dict(kwargs)),
                                                    round_trip(result)))
        return round_trip(result)  # exactly what the bundle will read back


def record_visible_checks(course: Course) -> dict[str, list[tuple[list, dict, Any]]]:
    """Every oracle call of every visible check, run against the reference (see the module docstring)."""
    recorder = Recorder()
    planned = plan(course.manifest, None, visible_only=True)
    failing: list[str] = []
    for move in (None, _moved):
        staged = stage_submission(course.root / "reference", course.manifest)
        runner = _MarkingRunner(InProcessRunner(staged.folder), move)
        try:
            for pm in planned:
                runner.load(pm.module.name, pm.module.import_timeout)
                for spec in pm.checks:
                    recorder.check = spec.id
                    oracle.recorder = recorder
                    try:
                        result = run_one(course.checks[spec.id], spec, runner, RECORD_SEED)
                    finally:
                        oracle.recorder = None
                    if move is None and result.status != "passed" and spec.id not in recorder.problems:
                        failing.append(f"{course.checks[spec.id].where}: the reference does not pass visible check "
                                       f"{spec.id} ({result.status}), so its cases cannot be recorded:\n"
                                       f"{result.message}")
        finally:
            runner.close()
            staged.cleanup()
    problems = failing + [f"{course.checks[i].where}: {p}" for i, p in recorder.problems.items()]
    if problems:
        raise HarnessError(f"{len(problems)} visible check(s) cannot be recorded for the student bundle:\n"
                           + "\n".join(problems))
    return recorder.calls


def verdicts(course: Course, submission: Path, modules: list[str] | None = None,
             function: str | None = None) -> dict[str, list[str]]:
    """[status, message] of every visible check (of ``modules``, of ``function``) of ``submission``,
    graded in process."""
    planned = [PlannedModule(pm.assignment, pm.module, tuple(c for c in pm.checks if function in (None, c.function)))
               for pm in plan(course.manifest, None, visible_only=True, modules=modules)]
    staged = stage_submission(submission, course.manifest)
    runner = InProcessRunner(staged.folder)
    try:
        results = run_checks(course, [pm for pm in planned if pm.checks], staged, runner, RECORD_SEED)
    finally:
        runner.close()
        staged.cleanup()
    return {c.id: [c.status, c.message] for c in results}
