"""Results: returned objects, never global state. ``Results.to_dict`` is results.json (schema 1)."""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .i18n import Text
from .statuses import EntryStatus, Status

STATUSES = tuple(Status)  # results.json's checks[].status: statuses.Status
RESULTS_NAME = "results.json"
SCHEMA = 1
@dataclass
class CheckResult:
    id: str
    assignment: str
    module: str
    function: str
    visibility: str
    status: Status
    score: float
    max_score: float
    message: str = ""
    hint: str = ""
    output: str = ""
    duration_s: float = 0.0
    # The same texts in Chinese (i18n.py): reports show the language asked for.
    message_zh: str = ""
    hint_zh: str = ""
    # For the instructor only (a judge-side traceback): written to instructor.log, never to results.json.
    instructor_note: str = field(default="", repr=False)

    def text(self, field: str, lang: str) -> str:
        """``message`` or ``hint`` in ``lang`` (the English one where no Chinese was written)."""
        return (getattr(self, f"{field}_zh") or getattr(self, field)) if lang == "zh" else getattr(self, field)


@dataclass
class AssignmentResult:
    id: str
    title: str
    title_zh: str
    score: float
    max_score: float


@dataclass
class Results:
    submission: str
    seed: int
    assignments: list[AssignmentResult]
    checks: list[CheckResult]
    staging: dict[str, Any] = field(default_factory=dict)
    sandbox: dict[str, Any] = field(default_factory=dict)
    grader_version: str = ""
    schema: int = SCHEMA

    @property
    def instructor_log(self) -> str:
        """Judge-side tracebacks of this grading, for the instructor's eyes only (empty if none)."""
        return "\n".join(c.instructor_note for c in self.checks if c.instructor_note)

    @property
    def unsandboxed(self) -> bool:
        """True when the submission ran without the sandbox: every report must say so."""
        return bool(self.sandbox.get("unsandboxed"))

    @property
    def score(self) -> float:
        return round(sum(a.score for a in self.assignments), 6)

    @property
    def max_score(self) -> float:
        return round(sum(a.max_score for a in self.assignments), 6)

    def by_function(self) -> list[dict[str, Any]]:
        """Per (assignment, module, function) totals, in manifest order, for summaries."""
        rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        for c in self.checks:
            row = rows.setdefault((c.assignment, c.module, c.function), {
                "assignment": c.assignment, "module": c.module, "function": c.function,
                "score": 0.0, "max_score": 0.0, "passed": 0, "total": 0, "statuses": {}})
            row["score"] += c.score
            row["max_score"] += c.max_score
            row["passed"] += c.status == Status.PASSED
            row["total"] += 1
            row["statuses"][c.status] = row["statuses"].get(c.status, 0) + 1
        return list(rows.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "grader_version": self.grader_version,
            "submission": self.submission,
            "seed": self.seed,
            "score": self.score,
            "max_score": self.max_score,
            "assignments": [asdict(a) for a in self.assignments],
            "checks": [_public(c) for c in self.checks],
            "staging": self.staging,
            "sandbox": self.sandbox,
        }


def _public(check: CheckResult) -> dict[str, Any]:
    data = asdict(check)
    data.pop("instructor_note")
    return data


# --------------------------------------------------------------------------- results.json
# The one writer and reader of results.json: ``grade`` and ``batch`` write it, the batch's
# gradebook and class report read it back. Its presence means "graded" to a resumed batch, so it
# is always written last and atomically.

def has_results(folder: Path) -> bool:
    return (Path(folder) / RESULTS_NAME).is_file()


def write_results(folder: Path, results: Results) -> Path:
    """results.json of a graded submission."""
    path = Path(folder) / RESULTS_NAME
    write_json_atomic(path, results.to_dict())
    return path


def write_entry_failure(folder: Path, submission: str, status: EntryStatus, message: Text, seed: int) -> Path:
    """results.json of a class entry that was not graded (``invalid``, or ``internal_error`` when the
    judge failed): a status and message, and the score keys a graded one has, all zero."""
    path = Path(folder) / RESULTS_NAME
    write_json_atomic(path, {"schema": SCHEMA, "submission": submission, "status": status, "message": message.en,
                             "message_zh": message.zh, "seed": seed, "score": 0.0, "max_score": 0.0,
                             "assignments": [], "checks": []})
    return path


def read_entry(folder: Path) -> dict[str, Any]:
    """One entry's results.json as the class views it: ``status`` (an EntryStatus) and ``message`` are
    always there; a missing or unreadable file reads as ``missing``."""
    try:
        data = json.loads((Path(folder) / RESULTS_NAME).read_text(encoding="utf-8"))
        data["status"] = EntryStatus(data.get("status", EntryStatus.GRADED))
    except (OSError, ValueError, AttributeError):  # unreadable, not JSON, not a mapping, unknown status
        data = {"status": EntryStatus.MISSING, "message": "no results (batch interrupted?)", "checks": [],
                "assignments": [], "score": 0.0, "max_score": 0.0}
    data.setdefault("message", "")
    return data


def write_json_atomic(path: Path, data: Any) -> None:
    """Write via a temporary file and rename, so a killed run never leaves half a file."""
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def write_text_atomic(path: Path, text: str, newline: str | None = None) -> None:
    """``text`` into ``path`` via a temporary file and rename; ``newline`` as for open()."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
