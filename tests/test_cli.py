"""The dlgrade command as a user runs it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from helpers import ROOT, course


def dlgrade(*args, cwd=ROOT):
    # PYTHONPATH: from another folder, this checkout's grader, not whichever one is installed.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env=env)


def test_grade_writes_three_reports(tmp_path):
    out = tmp_path / "out"
    run = dlgrade("grade", "reference", "--out", str(out), "--assignment", "hw1", "--seed", "3", "--lang", "en")
    assert run.returncode == 0, run.stderr
    data = json.loads((out / "results.json").read_text())
    assert data["seed"] == 3 and data["score"] == data["max_score"] > 0
    assert (out / "report.md").is_file() and (out / "report.html").is_file()
    assert "TOTAL" in run.stdout


def test_check_runs_visible_checks_only(tmp_path):
    hw1 = course().manifest.assignment("hw1")
    visible = [c for m in hw1.modules for c in m.checks if c.visibility == "visible"]
    points = sum(c.points for c in visible)
    assert 0 < points < hw1.max_score  # hw1 has hidden checks: running them would show in the total
    run = dlgrade("check", "reference", "--assignment", "hw1", "--lang", "en")
    assert run.returncode == 0, run.stderr
    assert f"TOTAL {points:g} / {points:g}" in run.stdout
    assert f"Passed ({len(visible)})" in run.stdout
    run = dlgrade("check", "exercises", "--assignment", "hw1", "--lang", "en")
    assert f"TOTAL 0 / {points:g}" in run.stdout and "(not attempted)" in run.stdout


def test_check_from_inside_the_exercises_folder():
    run = dlgrade("check", "--assignment", "hw1", cwd=ROOT / "exercises")
    assert run.returncode == 0, run.stderr
    assert "hw1" in run.stdout


def test_unknown_assignment_is_a_clear_error(tmp_path):
    run = dlgrade("grade", "reference", "--out", str(tmp_path), "--assignment", "hw9")
    assert run.returncode == 2
    assert "hw9" in run.stderr and "no such assignment" in run.stderr and "Traceback" not in run.stderr


def test_missing_submission_folder_is_a_clear_error(tmp_path):
    run = dlgrade("grade", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), "--lang", "en")
    assert run.returncode == 2 and "not a folder" in run.stderr and "Traceback" not in run.stderr
    run = dlgrade("grade", str(tmp_path / "nope"), "--out", str(tmp_path / "o"))  # the course's language: zh
    assert run.returncode == 2 and "既不是文件夹也不是笔记本" in run.stderr and "not a folder" not in run.stderr


def test_outside_a_course_folder_says_what_to_do(tmp_path):
    # A grader installed without a course (its parent folder holds no assignments.yaml).
    shutil.copytree(ROOT / "grader", tmp_path / "lib" / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "work").mkdir()
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "lib")}
    run = subprocess.run([sys.executable, "-m", "grader.cli", "check", "."], cwd=tmp_path / "work", env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 2 and "assignments.yaml" in run.stderr and "--course" in run.stderr
    # No course, so no course language yet: said in both, Chinese first.
    assert run.stderr.index("找不到 assignments.yaml") < run.stderr.index("no assignments.yaml found")


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
    from grader import cli
    from grader.authoring import mutants

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


def test_the_course_language_is_the_default_and_lang_overrides_it():
    run = dlgrade("check", "exercises", "--assignment", "hw1")  # assignments.yaml: language: zh
    assert run.returncode == 0 and "总分" in run.stdout and "TOTAL" not in run.stdout, run.stdout
    run = dlgrade("check", "exercises", "--assignment", "hw1", "--lang", "en")
    assert run.returncode == 0 and "TOTAL" in run.stdout and "总分" not in run.stdout


def test_misnamed_files_are_named_in_the_first_lines_of_grade(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    for name in ("mlp", "perceptron"):
        shutil.copyfile(ROOT / "reference" / f"{name}.py", sub / f"{name.capitalize() if name == 'perceptron' else name.upper()}.py")
    run = dlgrade("grade", str(sub), "--out", str(tmp_path / "out"), "--assignment", "hw1", "--lang", "en")
    assert run.returncode == 0, run.stderr
    head = "\n".join(run.stdout.splitlines()[:6])
    assert "MLP.py: did you mean mlp.py?" in head and "Perceptron.py: did you mean perceptron.py?" in head, head
    for report in ("report.md", "report.html"):
        text = (tmp_path / "out" / report).read_text()
        assert text.index("did you mean mlp.py?") < text.index("hw1.perceptron"), report


def test_a_syntax_error_shows_file_line_and_caret_in_the_terminal(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "mlp.py").write_text("import numpy as np\n\n\ndef two_layer_forward(X, W, c, w, b:\n    return X\n")
    run = dlgrade("check", str(sub), "--assignment", "hw1", "--lang", "en")
    assert run.returncode == 0, run.stderr
    head = run.stdout[:run.stdout.index("hw1  ")]
    lines = head.splitlines()
    source = next(i for i, line in enumerate(lines) if line.strip() == "def two_layer_forward(X, W, c, w, b:")
    assert "mlp.py, line 4: SyntaxError" in lines[source - 1], head
    # Python stops at the '(' that is never closed: the caret stands under it.
    assert lines[source + 1].strip() == "^" and lines[source + 1].index("^") == lines[source].index("("), head
    assert run.stdout.count("SyntaxError") == 1  # once, not once per check


def test_outside_a_course_folder_the_installed_course_is_used(tmp_path):
    # As after `pip install -e .` in the course or a student bundle: a notebook anywhere finds its course.
    shutil.copyfile(ROOT / "exercises" / "mlp.py", tmp_path / "mlp.py")
    run = dlgrade("check", ".", "--assignment", "hw1", "--lang", "en", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "mlp.two_layer_forward" in run.stdout and "visible checks only" in run.stdout
