"""The harness's own errors. Each message names the file and says what to do.

A message is a string or an ``i18n.Text`` (both languages); ``str()`` of the error is English, and
``text`` holds both, for whoever shows it to a person.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .i18n import Text, text

if TYPE_CHECKING:
    from .statuses import Status


class HarnessError(Exception):
    """Base of every error the harness raises on purpose (shown to the user without a traceback)."""

    def __init__(self, message: Any = "", *args: Any) -> None:
        super().__init__(str(message), *args)
        self.text: Text = text(message)


class ManifestError(HarnessError):
    """assignments.yaml is malformed or disagrees with the implemented checks."""

    def __init__(self, path: str, line: int | None, key: str, problem: str) -> None:
        where = f"{path}, line {line}" if line else path
        super().__init__(f"{where}: {key}: {problem}")
        self.path, self.line, self.key, self.problem = path, line, key, problem


class SubmissionError(HarnessError):
    """A submission that cannot be graded at all (missing folder, unreadable file...)."""


class CheckFailed(Exception):
    """Raised by a check when the student's answer is wrong (status ``failed``)."""

    def __init__(self, message: str | Text) -> None:
        super().__init__(str(message))
        self.text = text(message)
        self.message = self.text.en


class StudentCodeStopped(Exception):
    """Raised by ``Context.call`` when the student's code did not return a value.

    ``status`` is ``error``, ``timeout`` or ``not_attempted``; the check is over.
    """

    def __init__(self, status: Status, message: str | Text) -> None:
        super().__init__(str(message))
        self.text = text(message)
        self.status, self.message = status, self.text.en
