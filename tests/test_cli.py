"""The dlgrade command as a user runs it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from helpers import ROOT


def dlgrade(*args, cwd=ROOT):
    # PYTHONPATH: from another folder, this checkout's grader, not whichever one is installed.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env=env)


def test_grade_writes_three_reports(tmp_path):
    out = tmp_path / "out"
    run = dlgrade("grade", "reference", "--out", str(out), "--assignment", "hw1", "--seed", "3")
    assert run.returncode == 0, run.stderr
    data = json.loads((out / "results.json").read_text())
    assert data["seed"] == 3 and data["score"] == data["max_score"] > 0
    assert (out / "report.md").is_file() and (out / "report.html").is_file()
    assert "TOTAL" in run.stdout


def test_check_runs_visible_checks_only(tmp_path):
    run = dlgrade("check", "exercises", "--assignment", "hw1")
    assert run.returncode == 0, run.stderr
    assert "visible checks only" in run.stdout and "(not attempted)" in run.stdout


def test_check_from_inside_the_exercises_folder():
    run = dlgrade("check", "--assignment", "hw1", cwd=ROOT / "exercises")
    assert run.returncode == 0, run.stderr
    assert "hw1" in run.stdout


def test_unknown_assignment_is_a_clear_error(tmp_path):
    run = dlgrade("grade", "reference", "--out", str(tmp_path), "--assignment", "hw9")
    assert run.returncode == 2
    assert "hw9" in run.stderr and "no such assignment" in run.stderr and "Traceback" not in run.stderr


def test_missing_submission_folder_is_a_clear_error(tmp_path):
    run = dlgrade("grade", str(tmp_path / "nope"), "--out", str(tmp_path / "o"))
    assert run.returncode == 2 and "not a folder" in run.stderr and "Traceback" not in run.stderr


def test_outside_a_course_folder_says_what_to_do(tmp_path):
    run = dlgrade("check", str(tmp_path), cwd=tmp_path)
    assert run.returncode == 2 and "assignments.yaml" in run.stderr and "--course" in run.stderr


def test_lang_zh_for_the_student_summary():
    run = dlgrade("check", "exercises", "--assignment", "hw6", "--lang", "zh")
    assert run.returncode == 0, run.stderr
    assert "总分" in run.stdout and "生成模型" in run.stdout and "隐藏检查" in run.stdout


def test_global_options_after_the_subcommand(tmp_path):
    run = dlgrade("check", str(ROOT / "exercises"), "--assignment", "hw1", "--course", str(ROOT), "--lang", "en",
                  cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "visible checks only" in run.stdout
    before = dlgrade("--lang", "zh", "check", str(ROOT / "exercises"), "--assignment", "hw1", "--course", str(ROOT),
                     cwd=tmp_path)
    assert before.returncode == 0 and "总分" in before.stdout  # given before, not reset by the subcommand


def test_mutants_of_one_module_leave_the_course_report_alone(tmp_path, monkeypatch):
    from grader import cli, mutants

    shutil.copytree(ROOT / "reference", tmp_path / "reference")
    shutil.copyfile(ROOT / "assignments.yaml", tmp_path / "assignments.yaml")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "mutants.md").write_text("the whole course")
    monkeypatch.setattr(mutants, "run_mutants", lambda root, selected, **kw: [])
    assert cli.main(["--course", str(tmp_path), "mutants", "--module", "perceptron"]) == 0
    assert (tmp_path / "docs" / "mutants.md").read_text() == "the whole course"
    assert (tmp_path / "docs" / "mutants-perceptron.md").is_file()
    assert cli.main(["mutants", "--course", str(tmp_path)]) == 0
    assert (tmp_path / "docs" / "mutants.md").read_text() != "the whole course"
