"""Staging finds the modules where students put them: at the top, one folder down (a repository,
a zipped folder, exercises/), inside a folder that wraps everything; and says where, or why not."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from grader.pipeline import stage_submission
from grader.authoring.release import stub_source
from helpers import ROOT, course, grade_inprocess

HW1 = [m.name for m in course().manifest.assignment("hw1").modules]


def reference(folder: Path, modules=HW1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for m in modules:
        shutil.copy(ROOT / "reference" / f"{m}.py", folder / f"{m}.py")
    return folder


def stubs(folder: Path, modules=HW1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for m in modules:
        source = (ROOT / "reference" / f"{m}.py").read_text(encoding="utf-8")
        (folder / f"{m}.py").write_text(stub_source(source, "hw1", m), encoding="utf-8")
    return folder


def staged(source: Path):
    s = stage_submission(source, course().manifest)
    s.cleanup()
    return s


def test_modules_at_the_top_need_no_note(tmp_path):
    s = staged(reference(tmp_path / "sub"))
    assert s.present == set(HW1) and s.notes == []


def test_modules_one_folder_down_are_graded_with_a_note(tmp_path):
    sub = tmp_path / "sub"
    reference(sub / "exercises")
    (sub / "README.md").write_text("my repo")
    s = staged(sub)
    assert s.present == set(HW1)
    assert s.notes and s.notes[0].startswith("modules found in exercises/; graded from there")
    assert "README.md" not in " ".join(s.dropped)  # the repository around the modules is not "dropped"


def test_a_repository_folder_around_everything_is_entered(tmp_path):
    sub = tmp_path / "sub"
    reference(sub / "my-repo" / "exercises")
    (sub / "my-repo" / ".git").mkdir()
    (sub / "__MACOSX").mkdir()
    assert staged(sub).notes[0].startswith("modules found in my-repo/exercises/")
    results = grade_inprocess(sub, HW1)
    assert results.score == course().manifest.assignment("hw1").max_score
    assert results.to_dict()["staging"]["notes"][0].startswith("modules found in my-repo/exercises/")


def test_untouched_stub_folders_are_set_aside(tmp_path):
    """A repository made from the student bundle: exercises/ and notebooks/; the work is in one."""
    sub = tmp_path / "sub"
    reference(sub / "exercises")
    stubs(sub / "notebooks")
    assert staged(sub).notes[0].startswith("modules found in exercises/")
    shutil.rmtree(sub / "exercises")
    stubs(sub / "exercises")
    reference(sub / "notebooks")
    assert staged(sub).notes[0].startswith("modules found in notebooks/")


def test_several_folders_with_work_grade_none_and_say_which(tmp_path):
    sub = tmp_path / "sub"
    reference(sub / "draft")
    reference(sub / "final")
    s = staged(sub)
    assert s.present == set()
    assert "several folders (draft/, final/); none was graded" in s.notes[0]
    assert "多个文件夹" in s.notes[0]  # every student-facing word in both languages


def test_links_to_folders_are_not_followed(tmp_path):
    elsewhere = reference(tmp_path / "elsewhere")
    sub = tmp_path / "sub"
    sub.mkdir()
    os.symlink(elsewhere, sub / "exercises")
    s = staged(sub)
    assert s.present == set() and s.notes == []


def test_a_half_written_module_counts_as_work(tmp_path):
    sub = tmp_path / "sub"
    stubs(sub / "exercises")
    stubs(sub / "notebooks")
    with open(sub / "notebooks" / "mlp.py", "a") as f:
        f.write("\ndef two_layer_forward(X, W, c, w, b:\n")  # a syntax error: someone typed here
    assert staged(sub).notes[0].startswith("modules found in notebooks/")
