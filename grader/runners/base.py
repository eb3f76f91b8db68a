"""What every runner is: the protocol the judge speaks (load, call, drive, close), the ``Reply`` it
gets back for one request, and the ``Limits`` a child runs under. The runners themselves: a
sandboxed child per submission (sandbox.py) and, for unit tests only, this process (inprocess.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..statuses import ReplyStatus


@dataclass(frozen=True)
class Limits:
    cpu_s: int = 600             # whole-child CPU budget; per-request time is the judge's wall clock
    memory_bytes: int = 6 << 30  # address space: torch maps large libraries, so not tighter
    file_bytes: int = 16 << 20
    open_files: int = 256
    processes: int = 64

    def as_dict(self) -> dict[str, int]:
        return {"cpu_s": self.cpu_s, "memory_bytes": self.memory_bytes, "file_bytes": self.file_bytes,
                "open_files": self.open_files, "processes": self.processes}


@dataclass
class Reply:
    """What came back for one request (``outcome.reply_outcome`` says what it means for a check)."""

    status: ReplyStatus
    value: Any = None
    message: str = ""
    exc_type: str = ""
    bases: tuple[str, ...] = ()
    traceback: list[dict] = field(default_factory=list)
    not_implemented: bool = False
    syntax: dict | None = None
    args_after: Any = None
    kwargs_after: Any = None
    output: str = ""
    duration_s: float = 0.0

    def raised(self, exc_name: str) -> bool:
        return self.status == ReplyStatus.RAISED and exc_name in self.bases


class Runner(Protocol):
    def load(self, module: str, timeout: float) -> Reply: ...
    def call(self, module: str, function: str, args: list, kwargs: dict, timeout: float,
             echo_args: bool = False, forbid: tuple[str, ...] = ()) -> Reply: ...
    def drive(self, module: str, driver: str, payload: Any, timeout: float,
              forbid: tuple[str, ...] = ()) -> Reply: ...
    def close(self) -> None: ...


# What a child may answer; a timeout or a crash is the runner's own finding, never the child's word.
CHILD_STATUSES = frozenset({ReplyStatus.OK, ReplyStatus.RAISED, ReplyStatus.MISSING, ReplyStatus.PROTOCOL,
                            ReplyStatus.FORBIDDEN})


def reply_from_message(message: dict) -> Reply:
    """Everything but ``value`` and the echoed arguments is coerced to text: the child may lie."""
    status = message.get("status")
    if not isinstance(status, str) or status not in CHILD_STATUSES:
        return Reply(ReplyStatus.PROTOCOL, message=f"unknown answer status {status!r}"[:200])
    syntax = message.get("syntax")
    return Reply(
        status=ReplyStatus(status),
        value=message.get("value"),
        message=str(message.get("message", "")),
        exc_type=str(message.get("exc_type", "")),
        bases=tuple(str(b) for b in _listed(message.get("bases"))),
        traceback=[_texts(f, ("file", "line", "function", "text")) for f in _listed(message.get("traceback"))
                   if isinstance(f, dict)],
        not_implemented=bool(message.get("not_implemented")),
        syntax=_texts(syntax, ("file", "line", "offset", "text", "msg")) if isinstance(syntax, dict) else None,
        args_after=message.get("args_after"),
        kwargs_after=message.get("kwargs_after"),
    )


def _listed(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else []


def _texts(fields: dict, keys: tuple[str, ...]) -> dict:
    return {k: "" if fields.get(k) is None else str(fields.get(k)) for k in keys}
