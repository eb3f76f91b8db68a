"""The statuses of everything the judge reports: three vocabularies, each a closed set.

    ReplyStatus  what one request to a runner came back as (the child's side and the runner's);
    Status       what a check ended as (results.json ``checks[].status``, the reports' groups);
    EntryStatus  what one class entry ended as (``dlgrade batch``: the gradebook and class report).

They are ``StrEnum``s: each member is its string, so results.json, templates and comparisons with
plain text keep working, while a typo in a status is an error where it is written. What a reply
means for a check is grader/outcome.py.
"""
from __future__ import annotations

import sys
from enum import Enum

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # Python 3.10 (Ubuntu 22.04, Gradescope's base image): the same behaviour, by hand
    class StrEnum(str, Enum):
        def __str__(self) -> str:
            return str.__str__(self)

        def __format__(self, spec: str) -> str:
            return str.__format__(self, spec)

        __hash__ = str.__hash__


class ReplyStatus(StrEnum):
    OK = "ok"                # the code answered; ``Reply.value`` is its answer
    RAISED = "raised"        # it raised (``not_implemented``: the stub's NotImplementedError)
    MISSING = "missing"      # no such module or function in the submission
    FORBIDDEN = "forbidden"  # a numpy exercise reached torch
    TIMEOUT = "timeout"      # no answer within the request's wall-clock time (the child was killed)
    CRASHED = "crashed"      # the child died (a signal, a limit, sys.exit)
    PROTOCOL = "protocol"    # an answer that is not one (forged or malformed)


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"
    NOT_ATTEMPTED = "not_attempted"
    INTERNAL_ERROR = "internal_error"  # the judge's fault, never the student's


class EntryStatus(StrEnum):
    GRADED = "graded"
    INVALID = "invalid"                # not a submission (unreadable, no modules, a loose file)
    INTERNAL_ERROR = "internal_error"  # the judge failed on this student
    MISSING = "missing"                # no results.json (a batch that was interrupted)
