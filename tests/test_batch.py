"""Class grading: resumable, safe against broken entries, gradebook and class report."""
from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grader.classroom.batch import discover, run_batch
from grader.staging.archive import unpack_zip
from grader.errors import HarnessError
from helpers import ROOT, course

CLASS = ROOT / "examples" / "class"
HW1 = ("perceptron", "mlp", "activations", "autograd")


def small_class(tmp_path: Path) -> Path:
    """Students on hw1: complete, mistakes, crash, complete as a zip; and two broken entries."""
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ann").mkdir()
    for module in HW1:
        shutil.copy(ROOT / "reference" / f"{module}.py", subs / "ann" / f"{module}.py")
    shutil.copytree(CLASS / "bob_mistakes", subs / "bob")
    shutil.copytree(CLASS / "dave_crash", subs / "dave")
    with zipfile.ZipFile(subs / "zoe.zip", "w") as zf:
        for module in HW1:
            zf.write(ROOT / "reference" / f"{module}.py", f"zoe/{module}.py")
        zf.writestr("../../escape.py", "print('no')")
    with zipfile.ZipFile(subs / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mlp.py", b"\0" * (70 << 20))
    (subs / "gone").symlink_to(tmp_path / "does-not-exist")
    return subs


def gradebook_rows(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))


def test_batch_grades_everyone_and_reports_broken_entries(tmp_path):
    subs = small_class(tmp_path)
    out = tmp_path / "out"
    summary = run_batch(course(), subs, out, workers=1, seed=11, assignment_ids=["hw1"], progress=lambda s: None)
    rows = {r["Student"]: r for r in gradebook_rows(out)}
    assert set(rows) == {"ann", "bob", "dave", "zoe", "bomb", "gone"}
    assert float(rows["ann"]["hw1"]) == course().manifest.assignment("hw1").max_score
    assert float(rows["zoe"]["Final Points"]) == float(rows["ann"]["Final Points"]) > float(rows["bob"]["Final Points"])
    # Invalid entries get empty cells: Canvas keeps what it had, and the class report says why.
    assert rows["bomb"]["hw1"] == rows["gone"]["Final Points"] == ""
    assert {r["student"]: r["status"] for r in summary["class"]}["bomb"] == "invalid"
    assert not (tmp_path / "escape.py").exists()
    html = (out / "class_report.html").read_text()
    for student in ("ann", "bob", "dave", "zoe"):
        assert f"students/{student}/report.html" in html
        assert (out / "students" / student / "report.html").is_file()
    assert "expands to" in html and "does not exist" in html
    assert summary["graded_now"] == 6


def test_rerun_skips_graded_students_unless_forced(tmp_path):
    subs = small_class(tmp_path)
    out = tmp_path / "out"
    run_batch(course(), subs, out, workers=1, seed=3, assignment_ids=["hw1"], progress=lambda s: None)
    again = run_batch(course(), subs, out, workers=1, assignment_ids=["hw1"], progress=lambda s: None)
    assert again["graded_now"] == 0 and again["seed"] == 3
    with pytest.raises(HarnessError, match="started with seed 3"):
        run_batch(course(), subs, out, workers=1, seed=4, assignment_ids=["hw1"], progress=lambda s: None)
    forced = run_batch(course(), subs, out, workers=1, seed=4, force=True, assignment_ids=["hw1"],
                       progress=lambda s: None)
    assert forced["graded_now"] == 6 and forced["seed"] == 4


def test_sigkill_midway_then_resume_gives_the_same_gradebook(tmp_path):
    subs = small_class(tmp_path)
    whole = tmp_path / "whole"
    run_batch(course(), subs, whole, workers=1, seed=9, assignment_ids=["hw1"], progress=lambda s: None)

    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "grader.cli", "batch", str(subs), "--out", str(out), "--seed", "9",
           "--assignment", "hw1", "--workers", "2"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(out.glob("students/*/results.json"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "gradebook.csv").exists()  # it really died midway
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, timeout=300)
    assert (out / "gradebook.csv").read_text() == (whole / "gradebook.csv").read_text()


def test_zip_with_links_and_parent_paths_is_contained(tmp_path):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("/abs.py", "x")
        zf.writestr("../up.py", "x")
        link = zipfile.ZipInfo("link.py")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/passwd")
        zf.writestr("mlp.py", "x = 1")
    into = tmp_path / "into"
    into.mkdir()
    folder = unpack_zip(archive, into)
    assert sorted(p.name for p in folder.iterdir()) == ["mlp.py"]


def test_two_entries_for_one_student_is_an_error(tmp_path):
    (tmp_path / "amy").mkdir()
    (tmp_path / "amy.zip").write_bytes(b"")
    with pytest.raises(HarnessError, match="two entries for student 'amy'"):
        discover(tmp_path)


def test_gradebook_has_only_columns_canvas_imports(tmp_path):
    """Canvas turns every column it does not know into a new assignment: no Total, no Status; and
    only the graded assignments, so an import never touches the others."""
    subs = tmp_path / "subs"
    shutil.copytree(CLASS / "bob_mistakes", subs / "bob")
    out = tmp_path / "out"
    run_batch(course(), subs, out, workers=1, seed=1, assignment_ids=["hw1"], progress=lambda s: None)
    header = (out / "gradebook.csv").read_text().splitlines()[0].split(",")
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "hw1", "Final Points"]


def test_loose_files_and_archives_without_code_are_invalid_entries(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copytree(CLASS / "bob_mistakes", subs / "bob")
    (subs / "notes.txt").write_text("grading notes")
    shutil.copy(ROOT / "reference" / "mlp.py", subs / "mlp.py")  # dropped at the class level by mistake
    with zipfile.ZipFile(subs / "empty.zip", "w"):
        pass
    with zipfile.ZipFile(subs / "pdf_only.zip", "w") as zf:
        zf.writestr("amy/report.pdf", b"%PDF-1.4")
    with zipfile.ZipFile(subs / "misnamed.zip", "w") as zf:
        zf.writestr("MLP.py", "x = 1")  # a module under a wrong name is graded: staging names it
    (subs / ".DS_Store").write_bytes(b"\0")
    out = tmp_path / "out"
    summary = run_batch(course(), subs, out, workers=1, seed=1, assignment_ids=["hw1"], progress=lambda s: None)
    status = {r["student"]: (r["status"], r["message"]) for r in summary["class"]}
    assert set(status) == {"bob", "notes.txt", "mlp.py", "empty", "pdf_only", "misnamed"}
    assert status["bob"][0] == status["misnamed"][0] == "graded"
    for loose in ("notes.txt", "mlp.py"):
        assert status[loose][0] == "invalid" and "loose file next to the student folders" in status[loose][1]
    for archive in ("empty", "pdf_only"):
        assert status[archive][0] == "invalid" and "no modules or notebooks in the archive" in status[archive][1]
    html = (out / "class_report.html").read_text()
    assert "loose file next to the student folders" in html and "no modules or notebooks in the archive" in html


HOSTILE = ["=2+5", "+HYPERLINK(\"evil.example\";\"click\")", "-3", "@SUM(A1)", "\tTAB", "evil\x1b[2J\u202egnp.exe"]


def test_hostile_names_are_inert_in_the_gradebook_and_the_terminal(tmp_path):
    subs = tmp_path / "subs"
    for name in HOSTILE + ["plain"]:
        shutil.copytree(CLASS / "bob_mistakes", subs / name)
    (subs / "\rcr").mkdir()
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "grader.cli", "batch", str(subs), "--out", str(out), "--seed", "1",
           "--assignment", "hw1", "--workers", "2"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:  # keep the CR inside a cell
        rows = list(csv.reader(f))
    students = {r[0] for r in rows[1:]}
    for name in HOSTILE + ["\rcr"]:
        if name[0] in "=+-@\t\r":
            assert "'" + name in students, name
    assert "plain" in students and "evil\x1b[2J\u202egnp.exe" in students  # not a formula: kept as it is
    for row in rows[1:]:
        assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row
        assert float(row[5]) >= 0  # the scores we write are plain numbers, never quoted
    terminal = done.stdout + done.stderr
    for bad in ("\x1b", "\u202e", "\r"):
        assert bad not in terminal
    assert "evil?[2J?gnp.exe" in terminal
