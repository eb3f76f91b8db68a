"""A Canvas roster: which student each submission folder belongs to, and the columns Canvas imports.

The roster is the course's gradebook as Canvas exports it (Grades > Export > Export Entire
Gradebook): a header ``Student, ID, SIS User ID, SIS Login ID, [Integration ID,] Section``, then
one column per assignment named ``Name (assignment id)`` and read-only totals, a UTF-8 byte-order
mark, and the rows ``Points Possible`` (and, in some exports, ``Manual Posting``) before the
students. A roster with only the identity columns works too.

Canvas imports a gradebook row onto the student whose ID, SIS User ID or SIS Login ID matches,
and an assignment column onto the assignment whose id is in the parentheses of its name; any
other column becomes a new assignment. So the gradebook repeats the roster's identity columns
for every student and names each dlgrade assignment after its Canvas assignment.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import HarnessError
from ..manifest import Manifest

IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Integration ID", "Section")
# The order a folder name is looked up in when no column is chosen: the login first (what
# students type and name folders after), then Canvas's own user id, then the student number.
MATCH_ORDER = ("SIS Login ID", "ID", "SIS User ID")
# Canvas's own rows between the header and the students.
NOT_STUDENTS = ("points possible", "manual posting")
# "Homework 1 (104471)": Canvas's way to name an assignment column by the assignment's id.
_CANVAS_COLUMN = re.compile(r"^(?P<name>.*\S)\s+\((?P<id>\d+)\)$")
MISSING_CHOICES = ("empty", "zero")


@dataclass
class Roster:
    path: Path
    header: list[str]
    students: list[dict[str, str]]

    @property
    def identity(self) -> list[str]:
        """The identity columns this roster has, in Canvas's order."""
        return [c for c in IDENTITY if c in self.header]


@dataclass
class Matching:
    """Which roster row each submission folder belongs to, and the folders that match nobody."""
    by_entry: dict[str, int] = field(default_factory=dict)
    unmatched: list[dict[str, str]] = field(default_factory=list)  # {"student": folder, "reason": ...}


def read_roster(path: Path) -> Roster:
    """Read a Canvas gradebook or roster export; errors name the file and what to do."""
    path = Path(path)
    how = ("export it from Canvas (Grades > Export > Export Entire Gradebook) and pass that file, "
           "or a CSV with the columns Student, ID, SIS User ID, SIS Login ID, Section")
    try:
        # utf-8-sig: Canvas writes a byte-order mark, which would otherwise stick to "Student".
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except OSError as exc:
        raise HarnessError(f"{path}: cannot read the roster ({exc.strerror}); {how}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise HarnessError(f"{path}: not a UTF-8 CSV file ({exc}); {how}") from None
    if not rows:
        raise HarnessError(f"{path}: the roster is empty; {how}")
    header = [h.strip() for h in rows[0]]
    if not any(c in header for c in MATCH_ORDER):
        raise HarnessError(f"{path}: no column {', '.join(repr(c) for c in MATCH_ORDER)} in the header "
                           f"({', '.join(header[:8])}); {how}")
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    if duplicated:
        raise HarnessError(f"{path}: the column(s) {', '.join(duplicated)} appear twice in the header; "
                           "keep one of each")
    students = []
    for row in rows[1:]:
        record = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header) if h}
        if not any(record.values()):
            continue
        if record.get("Student", "").strip().lower() in NOT_STUDENTS and not record.get("ID"):
            continue
        students.append(record)
    return Roster(path, header, students)


def _key(value: str) -> str:
    return value.strip().casefold()


def match(roster: Roster, entries: list[str], column: str | None = None) -> Matching:
    """Map each submission folder name to one roster row by the chosen column, else by SIS Login ID,
    then ID, then SIS User ID. Names are compared without case and surrounding spaces."""
    if column is not None and column not in roster.header:
        raise HarnessError(f"{roster.path}: no column {column!r} for --roster-column; the roster has "
                           f"{', '.join(h for h in roster.header if h)}")
    columns = [column] if column else [c for c in MATCH_ORDER if c in roster.header]
    index: dict[str, dict[str, set[int]]] = {c: {} for c in columns}
    for number, student in enumerate(roster.students):
        for c in columns:
            if student.get(c):
                index[c].setdefault(_key(student[c]), set()).add(number)
    result = Matching()
    found: dict[str, tuple[int, set[int]]] = {}  # entry -> (rank of the column it matched by, rows)
    for entry in entries:
        for rank, c in enumerate(columns):
            if index[c].get(_key(entry)):
                found[entry] = (rank, set(index[c][_key(entry)]))
                break
    owner: dict[int, str] = {}
    # A match by login beats one by student number: "chenw" keeps Chen even if "2026001" sorts first.
    for entry in sorted(found, key=lambda e: (found[e][0], entries.index(e))):
        rows = found[entry][1]
        if len(rows) > 1:
            result.unmatched.append({"student": entry, "reason": f"{len(rows)} roster rows match it"})
        elif next(iter(rows)) in owner:
            result.unmatched.append({"student": entry, "reason": f"the same student as {owner[next(iter(rows))]}"})
        else:
            owner[next(iter(rows))] = entry
            result.by_entry[entry] = next(iter(rows))
    for entry in entries:
        if entry not in found:
            result.unmatched.append({"student": entry, "reason": f"no roster row has it as {' or '.join(columns)}"})
    result.unmatched.sort(key=lambda u: entries.index(u["student"]))
    return result


def assignment_columns(manifest: Manifest, roster: Roster | None,
                       chosen: dict[str, str] | None = None) -> dict[str, str]:
    """The gradebook column of each assignment, so that Canvas imports it onto the existing one.

    ``chosen`` (``--canvas-assignment hw1="Homework 1 (104471)"``) wins. Otherwise a roster column
    ``Name (id)`` is taken when its name is the assignment's id or title, or starts with the id
    followed by a separator ("HW1: Perceptron (104471)"). Otherwise the column is the id ("hw1"):
    Canvas creates that assignment at the first import and matches it by name after that.
    """
    chosen = dict(chosen or {})
    known = {a.id for a in manifest.assignments}
    unknown = sorted(set(chosen) - known)
    if unknown:
        raise HarnessError(f"--canvas-assignment: no assignment {', '.join(unknown)} in the course "
                           f"(assignments: {', '.join(sorted(known))})")
    canvas = [(m.group("name"), h) for h in (roster.header if roster else [])
              if (m := _CANVAS_COLUMN.match(h))]
    columns = {}
    for a in manifest.assignments:
        if a.id in chosen:
            columns[a.id] = chosen[a.id]
            continue
        hits = [h for name, h in canvas if _names_assignment(name, a.id, a.title_en)]
        columns[a.id] = hits[0] if len(hits) == 1 else a.id
    return columns


def _names_assignment(name: str, assignment_id: str, title: str) -> bool:
    name = _key(name)
    if name in (_key(assignment_id), _key(title)):
        return True
    rest = name[len(assignment_id):] if name.startswith(_key(assignment_id)) else ""
    return bool(rest) and not rest[0].isalnum()


def parse_assignment_option(values: list[str] | None) -> dict[str, str]:
    """``hw1=Homework 1 (104471)`` pairs from repeated --canvas-assignment options."""
    out = {}
    for value in values or ():
        assignment, sep, column = value.partition("=")
        if not sep or not assignment.strip() or not column.strip():
            raise HarnessError(f"--canvas-assignment {value!r}: write ID=COLUMN, for example "
                               "hw1='Homework 1 (104471)' (the column name from your Canvas export)")
        out[assignment.strip()] = column.strip()
    return out
