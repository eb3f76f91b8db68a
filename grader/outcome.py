"""One outcome model: the one table from a reply of the student's code to the outcome of the check
that asked, and the one hint rule. The statuses themselves are grader/statuses.py.
"""
from __future__ import annotations

from dataclasses import dataclass

from .i18n import Text, tr
from .runners.base import Reply
from .statuses import ReplyStatus, Status

# The hint teaches how to find a mistake: shown when the student's answer was wrong or raised, not
# for a timeout (the message says what to look for) nor for work not attempted.
HINTED = frozenset({Status.FAILED, Status.ERROR})


def shows_hint(status: Status) -> bool:
    return status in HINTED


@dataclass(frozen=True)
class Outcome:
    status: Status
    message: str | Text


def reply_outcome(reply: Reply, module: str, function: str | None, timeout: float) -> Outcome | None:
    """What ``reply`` means for the check that asked: None when the code answered.

    ``function`` is None for the reply to importing ``module`` (its outcome applies to every check
    of the module); ``timeout`` is the time the request was given, for the message."""
    status = reply.status
    if status == ReplyStatus.OK:
        return None
    seconds = f"{timeout:g}"
    if function is None:
        if status == ReplyStatus.MISSING:
            return Outcome(Status.NOT_ATTEMPTED, tr("module_missing", module=module))
        if status == ReplyStatus.TIMEOUT:
            return Outcome(Status.TIMEOUT, tr("import_timeout", module=module, seconds=seconds))
        if status == ReplyStatus.RAISED and reply.not_implemented:
            return Outcome(Status.NOT_ATTEMPTED, tr("import_not_implemented", module=module))
        if status == ReplyStatus.RAISED:
            return Outcome(Status.ERROR, tr("import_failed", module=module, details=format_exception(reply, module)))
        return Outcome(Status.ERROR, tr("import_failed_short", module=module, details=reply.message))
    where = f"{module}.{function}"
    if status == ReplyStatus.MISSING:
        # The child says it in English; the same facts, in both languages, from the judge's side.
        said = {f"{module}.py defines no function {function!r}": tr("no_function", module=module,
                                                                    function=repr(function)),
                f"{module}.py is not in the submission": tr("module_missing", module=module)}
        return Outcome(Status.NOT_ATTEMPTED, said.get(reply.message) or (reply.message or tr("is_missing",
                                                                                               where=where)))
    if status == ReplyStatus.TIMEOUT:
        return Outcome(Status.TIMEOUT, tr("timed_out", where=where, seconds=seconds))
    if status == ReplyStatus.FORBIDDEN:
        return Outcome(Status.FAILED, tr("uses_torch", where=where))
    if status == ReplyStatus.RAISED and reply.not_implemented:
        return Outcome(Status.NOT_ATTEMPTED, tr("not_implemented_yet", where=where,
                                                message=reply.message or "NotImplementedError"))
    if status == ReplyStatus.RAISED:
        return Outcome(Status.ERROR, format_exception(reply, where))
    return Outcome(Status.ERROR, tr("child_problem", where=where, message=reply.message))


def format_exception(reply: Reply, where: str) -> Text:
    """The student's own traceback lines (harness frames were dropped in the child); for a syntax
    error, its file, line, the line itself and a caret under the place Python stopped."""
    if reply.syntax:
        s = reply.syntax
        lines: list[Text | str] = [tr("syntax_error", file=s.get("file"), line=s.get("line"), exc=reply.exc_type,
                                      message=s.get("msg"))]
        source = str(s.get("text") or "")
        if source.strip():
            lines.append(f"    {source.strip()}")
            offset = int(s["offset"]) if str(s.get("offset", "")).isdigit() else 0  # the child sends text
            if 0 < offset <= len(source) + 1:
                indent = len(source) - len(source.lstrip())
                lines.append("    " + " " * max(0, offset - 1 - indent) + "^")
        return _lines(lines)
    lines = [tr("raised", where=where, exc=reply.exc_type, message=reply.message)]
    if reply.traceback:
        lines.append(tr("traceback_head"))
        for f in reply.traceback:
            lines.append(f'  File "{f.get("file")}", line {f.get("line")}, in {f.get("function")}')
            if f.get("text"):
                lines.append(f"    {f['text']}")
    return _lines(lines)


def _lines(lines: list[Text | str]) -> Text:
    out = Text("", "")
    for i, line in enumerate(lines):
        out = out + ("\n" if i else "") + line
    return out
