"""gradebook.csv: one row per student (or per roster student), in the columns Canvas imports."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ..pipeline import Course
from ..results import write_text_atomic
from ..statuses import EntryStatus
from ..text import csv_text
from .roster import Matching, Roster


def write_gradebook(path: Path, class_data: list[dict[str, Any]], course: Course,
                    columns: dict[str, str] | None = None, roster: Roster | None = None,
                    matching: Matching | None = None, missing: str = "empty",
                    assignment_ids: list[str] | None = None) -> None:
    """A CSV that Canvas imports: identity columns, one column per assignment, the total.

    Without a roster a row per submission, named after its folder. With a roster a row per roster
    student in roster order, carrying the roster's identity columns; roster students without a
    submission get an empty cell (Canvas then keeps what it had) or 0 (``missing="zero"``), and
    invalid entries an empty one (someone has to look). The total is in "Final Points", a column
    Canvas computes itself and ignores on import, so it never becomes an assignment. Text cells
    pass through csv_text (formula injection); the numbers we write are left as numbers. Only the
    graded assignments have a column: an empty column could clear grades Canvas already has.
    """
    assignment_ids = [a.id for a in course.manifest.select(assignment_ids)]
    columns = columns or {a: a for a in assignment_ids}
    buf = io.StringIO()
    # CRLF as RFC 4180 has it; also makes the writer quote a CR inside a cell, which "\n" does not.
    writer = csv.writer(buf, lineterminator="\r\n")
    identity = roster.identity if roster is not None else ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    writer.writerow([*identity, *[csv_text(columns[a]) for a in assignment_ids], "Final Points"])

    def scores(row: dict[str, Any] | None) -> list[str]:
        if row is None:
            return ["0" if missing == "zero" else ""] * (len(assignment_ids) + 1)
        if row["status"] != EntryStatus.GRADED:
            return [""] * (len(assignment_ids) + 1)
        got = {a["id"]: a["score"] for a in row.get("assignments", [])}
        return [*[f"{got[a]:g}" if a in got else "" for a in assignment_ids], f"{row.get('score', 0.0):g}"]

    if roster is None or matching is None:
        for row in class_data:
            writer.writerow([csv_text(row["student"]), csv_text(row["student"]), "", "", "", *scores(row)])
    else:
        by_number = {matching.by_entry[r["student"]]: r for r in class_data if r["student"] in matching.by_entry}
        for number, student in enumerate(roster.students):
            writer.writerow([*[csv_text(student.get(c, "")) for c in identity], *scores(by_number.get(number))])
    write_text_atomic(path, buf.getvalue())
