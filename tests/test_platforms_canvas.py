"""Canvas: batch --roster with a gradebook exported from Canvas gives a gradebook.csv that imports
onto the course's students and assignments (tests/data/canvas_gradebook_export.csv is in Canvas's
export format: byte-order mark, Points Possible row, read-only totals, a test student)."""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.classroom.batch import run_batch
from grader.errors import HarnessError
from grader.classroom.roster import match, read_roster
from helpers import ROOT, course

EXPORT = ROOT / "tests" / "data" / "canvas_gradebook_export.csv"
HW1_COLUMN = "HW1: From the perceptron to deep networks (104471)"
CLASS = ROOT / "examples" / "class"


def rows_of(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def canvas_class(tmp_path: Path) -> Path:
    """Folders named the ways students and instructors name them: login, login in other case,
    Canvas ID; one that is nobody, one that is a second folder of a matched student."""
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "chenw").mkdir()
    for m in course().manifest.assignment("hw1").modules:
        shutil.copy(ROOT / "reference" / f"{m.name}.py", subs / "chenw" / f"{m.name}.py")
    shutil.copytree(CLASS / "bob_mistakes", subs / "JDoe")
    shutil.copytree(CLASS / "dave_crash", subs / "4203")
    shutil.copytree(CLASS / "bob_mistakes", subs / "mallory")
    shutil.copytree(CLASS / "bob_mistakes", subs / "2026001")  # chenw's SIS User ID: a second folder
    return subs


def test_roster_reading_skips_canvas_rows_that_are_not_students():
    roster = read_roster(EXPORT)
    assert roster.header[0] == "Student"  # the byte-order mark is not part of the name
    assert [s["SIS Login ID"] for s in roster.students][:5] == ["chenw", "jdoe", "wangxm", "alopez", "eve"]
    assert len(roster.students) == 6  # the test student is a student for Canvas; Points Possible is not
    assert roster.identity == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def test_batch_with_a_canvas_roster(tmp_path):
    subs, out = canvas_class(tmp_path), tmp_path / "out"
    cmd = [sys.executable, "-m", "grader.cli", "batch", str(subs), "--out", str(out), "--seed", "5",
           "--assignment", "hw1", "--workers", "2", "--roster", str(EXPORT), "--lang", "en"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    book = rows_of(out / "gradebook.csv")
    # One row per roster student, in roster order, carrying the roster's own identity columns.
    assert [r["ID"] for r in book] == ["4201", "4202", "4203", "4204", "4205", "4299"]
    chen, doe, wang, lopez, eve, test_student = book
    assert (chen["Student"], chen["SIS User ID"], chen["SIS Login ID"], chen["Section"]) == \
        ("Chen, Wei", "2026001", "chenw", "Deep Learning 2026 (A)")
    # The hw1 column carries the Canvas assignment id, so the import lands on that assignment.
    assert list(chen) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", HW1_COLUMN, "Final Points"]
    assert float(chen[HW1_COLUMN]) == 72
    assert 0 < float(doe[HW1_COLUMN]) < 72 and wang[HW1_COLUMN] != ""
    assert lopez[HW1_COLUMN] == "" and test_student[HW1_COLUMN] == ""  # no submission: left as Canvas has it
    assert eve["Student"].startswith("'=HYPERLINK")  # a roster cell is neutralised too
    # Folders that match nobody are not in the gradebook; they are listed.
    assert "mallory" in done.stdout and "2026001" in done.stdout and "same student as chenw" in done.stdout
    assert "match no student on the roster" in done.stdout
    html = (out / "class_report.html").read_text(encoding="utf-8")
    assert "mallory" in html and "Submissions that match no student on the roster" in html

    # Same batch (resumed: nobody regraded), other choices: zeros for missing, a chosen column.
    again = subprocess.run([*cmd, "--missing", "zero", "--canvas-assignment", "hw1=Homework 1 (777)"], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "0 graded now" in again.stdout, again.stderr
    book = rows_of(out / "gradebook.csv")
    assert [r["Homework 1 (777)"] for r in book][3:] == ["0", "0", "0"]
    assert float(book[0]["Homework 1 (777)"]) == 72


def test_roster_column_chooses_what_folder_names_are(tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(CLASS / "bob_mistakes", subs / "2026002")
    out = tmp_path / "out"
    summary = run_batch(course(), subs, out, seed=1, assignment_ids=["hw1"], progress=lambda s: None,
                        roster=EXPORT, roster_column="SIS User ID")
    assert summary["unmatched"] == [] and summary["roster_without_submission"] == 5
    assert rows_of(out / "gradebook.csv")[1][HW1_COLUMN] != ""


def test_matching_order_case_and_ambiguity(tmp_path):
    roster_file = tmp_path / "roster.csv"
    roster_file.write_text("Student,ID,SIS User ID,SIS Login ID,Section\n"
                           "A,1,100,amy,S\nB,2,200,bo,S\nC,100,300,cy,S\nD,4,400,dee,S\nE,5,500,DEE,S\n",
                           encoding="utf-8")
    roster = read_roster(roster_file)
    m = match(roster, [" AMY", "2", "100", "zed", "dee"])
    # Login without case or spaces; "100" is A's SIS User ID and C's Canvas ID: ID comes first.
    assert m.by_entry == {" AMY": 0, "2": 1, "100": 2}
    assert {u["student"]: u["reason"] for u in m.unmatched} == {
        "zed": "no roster row has it as SIS Login ID or ID or SIS User ID", "dee": "2 roster rows match it"}
    assert match(roster, ["100"], "SIS User ID").by_entry == {"100": 0}


@pytest.mark.parametrize("content, problem", [
    (None, "cannot read the roster"),
    ("", "the roster is empty"),
    ("Name,Email\nAmy,amy@x\n", "no column 'SIS Login ID'"),
    (b"\xff\xfeS\x00t\x00", "not a UTF-8 CSV"),
])
def test_a_bad_roster_stops_before_grading_and_says_what_to_do(tmp_path, content, problem):
    roster = tmp_path / "roster.csv"
    if isinstance(content, bytes):
        roster.write_bytes(content)
    elif content is not None:
        roster.write_text(content, encoding="utf-8")
    subs = tmp_path / "subs"
    shutil.copytree(CLASS / "bob_mistakes", subs / "bob")
    with pytest.raises(HarnessError, match=problem) as caught:
        run_batch(course(), subs, tmp_path / "out", seed=1, assignment_ids=["hw1"], progress=lambda s: None,
                  roster=roster)
    assert "roster.csv" in str(caught.value) and "Canvas" in str(caught.value)
    assert not (tmp_path / "out").exists()  # nothing graded, nothing written


def test_unknown_roster_column_or_assignment_is_refused_before_grading(tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(CLASS / "bob_mistakes", subs / "bob")
    with pytest.raises(HarnessError, match="no column 'Email'.*SIS Login ID"):
        run_batch(course(), subs, tmp_path / "out", roster=EXPORT, roster_column="Email", progress=lambda s: None)
    with pytest.raises(HarnessError, match="no assignment hw9"):
        run_batch(course(), subs, tmp_path / "out", roster=EXPORT, canvas_columns={"hw9": "X (1)"},
                  progress=lambda s: None)
    assert not (tmp_path / "out").exists()
