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

from grader.batch import discover, run_batch, unpack_zip
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
    assert rows["ann"]["Status"] == rows["zoe"]["Status"] == "graded"
    hw1 = next(k for k in rows["ann"] if k.startswith("hw1 ("))
    assert float(rows["ann"][hw1]) == course().manifest.assignment("hw1").max_score
    assert float(rows["zoe"]["Total"]) == float(rows["ann"]["Total"]) > float(rows["bob"]["Total"])
    assert rows["bomb"]["Status"] == rows["gone"]["Status"] == "invalid"
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
