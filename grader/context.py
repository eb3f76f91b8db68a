"""What a check sees: its spec, a seeded generator, and calls into the student's code.

``Context.call`` sends plain arguments to the runner and returns the decoded answer, or raises
``StudentCodeStopped`` (not attempted, error, timeout), which ends the check with that status.
"""
from __future__ import annotations

import hashlib
import weakref
from typing import Any

import numpy as np

from .child import wire
from .compare import case_text
from .errors import CheckFailed, StudentCodeStopped
from .i18n import Text, tr
from .manifest import CheckSpec
from .outcome import reply_outcome
from .runners.base import Reply, Runner
from .staging.policy import Finding
from .statuses import Status


def check_seed(run_seed: int, check_id: str) -> int:
    """Each check's inputs depend on the run seed and its own id only (not on order or selection)."""
    digest = hashlib.sha256(f"{run_seed}:{check_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


# Replies several checks share, per runner (one runner serves one submission).
_SHARED: weakref.WeakKeyDictionary[Any, dict] = weakref.WeakKeyDictionary()


class Context:
    def __init__(self, spec: CheckSpec, runner: Runner, run_seed: int, findings: tuple[Finding, ...] = ()) -> None:
        self.spec = spec
        self.runner = runner
        self.run_seed = run_seed
        self.rng = np.random.default_rng(check_seed(run_seed, spec.id))
        self.output: list[str] = []  # student prints during this check, shown never scored
        self.findings = findings  # what the judge found reading this module's source (staging/policy.py)

    def case(self, *notes: str | Text, **values: Any) -> Text:
        """The case of a message in both languages: this check's seed, ``name=shape dtype`` for each
        array, ``name=value`` for small values, then the notes, e.g. ``ctx.case(X=X, lr=0.5)``."""
        return case_text(self.run_seed, *notes, **values)

    # ------------------------------------------------------------------ calls
    def call(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function this check is about with these arguments."""
        return self.call_named(self.spec.function, *args, **kwargs)

    def call_named(self, function: str, *args: Any, **kwargs: Any) -> Any:
        """Call another function of the same module (e.g. a forward before its backward)."""
        reply = self.runner.call(self.spec.module, function, list(args), kwargs, self.spec.timeout,
                                 forbid=self._forbid(function))
        return self._value(reply, function)

    def _forbid(self, function: str) -> tuple[str, ...]:
        """numpy exercises may not use torch; the contract marks the torch ones."""
        return () if function in self.spec.torch_functions else ("torch",)

    def call_unchanged(self, *args: Any, **kwargs: Any) -> Any:
        """Call, then fail the check if any array argument came back modified in place."""
        reply = self.runner.call(self.spec.module, self.spec.function, list(args), kwargs,
                                 self.spec.timeout, echo_args=True, forbid=self._forbid(self.spec.function))
        value = self._value(reply, self.spec.function)
        after = list(reply.args_after or []) + list((reply.kwargs_after or {}).values())
        before = list(args) + list(kwargs.values())
        names = [tr("argument_n", n=i + 1) for i in range(len(args))] + [tr("argument_named", name=repr(k))
                                                                        for k in kwargs]
        for name, b, a in zip(names, before, after):
            for path, b_arr, a_arr in _arrays(b, a, ""):
                if not isinstance(a_arr, np.ndarray) or a_arr.shape != b_arr.shape or not np.array_equal(
                        a_arr, b_arr, equal_nan=True):
                    raise CheckFailed(tr("modified_in_place", function=self.spec.function, path=name + path))
        return value

    def drive(self, driver: str, payload: Any, shared: bool = False) -> Any:
        """Run a child-side driver (grader/child/drivers) over the student's module.

        The answer comes from the student's process, like any other: a check compares the values
        in it with its own, and what it reports about the call alone can fail a check, never pass
        one (see grader/child/drivers/__init__.py).

        ``shared``: several checks ask the same (an AlexNet build answers four checks): the first
        asks the child, the others of this submission reuse that answer, status included."""
        key = None
        if shared:
            key = (driver, hashlib.sha256(wire.dumps({"payload": payload})).hexdigest())
            reply = _SHARED.setdefault(self.runner, {}).get(key)
            if reply is not None:
                return self._value(reply, self.spec.function)
        reply = self.runner.drive(self.spec.module, driver, payload, self.spec.timeout,
                                  forbid=self._forbid(self.spec.function))
        if key is not None:
            _SHARED[self.runner][key] = reply
        return self._value(reply, self.spec.function)

    def expect_raises(self, exc_name: str, *args: Any, **kwargs: Any) -> None:
        """The call must raise ``exc_name`` (or a subclass), e.g. ValueError for a bad gate name."""
        reply = self.runner.call(self.spec.module, self.spec.function, list(args), kwargs, self.spec.timeout,
                                 forbid=self._forbid(self.spec.function))
        if reply.raised(exc_name):
            self._record(reply)
            return
        # Another exception, a timeout...: the student's error, with their traceback. Else it returned.
        self._value(reply, self.spec.function)
        shown = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
        raise CheckFailed(tr("should_raise_returned", call=f"{self.spec.function}({shown})", exc=exc_name))

    # ------------------------------------------------------------------ replies
    def _record(self, reply: Reply) -> None:
        if reply.output:
            self.output.append(reply.output)

    def _value(self, reply: Reply, function: str) -> Any:
        self._record(reply)
        outcome = reply_outcome(reply, self.spec.module, function, self.spec.timeout)
        if outcome is None:
            return reply.value
        if outcome.status == Status.FAILED:
            raise CheckFailed(outcome.message)
        raise StudentCodeStopped(outcome.status, outcome.message)


def _arrays(before: Any, after: Any, path: str):
    """Pairs of (path, sent array, returned array) inside nested arguments."""
    if isinstance(before, np.ndarray):
        yield path, before, after
    elif isinstance(before, (list, tuple)):
        after_seq = after if isinstance(after, (list, tuple)) else [None] * len(before)
        for i, (b, a) in enumerate(zip(before, list(after_seq) + [None] * len(before))):
            yield from _arrays(b, a, f"{path}[{i}]")
    elif isinstance(before, dict):
        after_map = after if isinstance(after, dict) else {}
        for k, b in before.items():
            yield from _arrays(b, after_map.get(k), f"{path}[{k!r}]")
