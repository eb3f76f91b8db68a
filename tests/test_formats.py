"""Standard formats: JUnit XML parses with a JUnit library, Gradescope's fields, Markdown, exit status."""
from __future__ import annotations

import json
import subprocess
import sys

from junitparser import Error, Failure, JUnitXml, Skipped

from grader.classroom.formats import gradescope, write_format
from helpers import ROOT, grade_inprocess, submission_with

WRONG_MLP = """
    def mlp_forward(X, weights, biases, activation="relu"):
        print("\\x1b[31m<b>fake: all tests passed</b>\\x00")
        return X

    def collapse_linear(weights, biases):
        raise NotImplementedError("hw1 mlp.collapse_linear")

    def xor_params():
        raise RuntimeError("oops")
"""


def results(tmp_path):
    return grade_inprocess(submission_with(tmp_path / "sub", "mlp", WRONG_MLP), ["mlp"])


def test_junit_parses_with_a_junit_library(tmp_path):
    r = results(tmp_path)
    path = write_format(r, "junit", tmp_path)
    xml = JUnitXml.fromfile(str(path))
    cases = {case.name: case for suite in xml for case in suite}
    assert set(cases) == {c.id for c in r.checks}
    by_status = {c.id: c.status for c in r.checks}
    for name, case in cases.items():
        kinds = {type(x) for x in case.result}
        expected = {"passed": set(), "failed": {Failure}, "error": {Error}, "timeout": {Error},
                    "not_attempted": {Skipped}}[by_status[name]]
        assert kinds == expected, (name, kinds)
    text = path.read_text()
    assert "\x1b" not in text and "\x00" not in text and 'name="points"' in text


def test_gradescope_results_have_the_documented_fields(tmp_path):
    r = results(tmp_path)
    data = json.loads(write_format(r, "gradescope", tmp_path).read_text())
    assert data["score"] == r.score
    assert data["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
    assert len(data["tests"]) == len(r.checks)
    for test, check in zip(data["tests"], r.checks):
        assert set(test) >= {"name", "score", "max_score", "visibility", "output", "status"}
        assert test["name"] == check.id and test["max_score"] == check.max_score
        assert test["visibility"] == ("visible" if check.visibility == "visible" else "after_published")
        assert test["status"] in ("passed", "failed")
        assert isinstance(test["output"], str) and test["output"]
    assert gradescope(r) == data


def test_markdown_summary_for_a_step_summary(tmp_path):
    text = write_format(results(tmp_path), "markdown", tmp_path).read_text()
    assert text.startswith("### dlgrade:") and "| `mlp.mlp_forward` |" in text
    assert "<details><summary>Checks to look at</summary>" in text and "\x1b" not in text


def test_fail_under_sets_the_exit_status(tmp_path):
    sub = submission_with(tmp_path / "sub", "mlp", WRONG_MLP)
    base = [sys.executable, "-m", "grader.cli", "grade", str(sub), "--assignment", "hw1", "--seed", "1",
            "--format", "markdown", "--lang", "en"]
    low = subprocess.run([*base, "--out", str(tmp_path / "a"), "--fail-under", "90"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, env={"PATH": "/usr/bin:/bin",
                                                                           "GITHUB_STEP_SUMMARY": str(tmp_path / "sum.md")})
    assert low.returncode == 1 and "under --fail-under 90%" in low.stderr
    assert (tmp_path / "sum.md").read_text().startswith("### dlgrade:")
    ok = subprocess.run([*base, "--out", str(tmp_path / "b"), "--fail-under", "1"], cwd=ROOT,
                        capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr


def test_gradescope_overview_says_what_was_found_in_the_students_language(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = grade_inprocess(empty, ["mlp"])
    en, zh = gradescope(r)["output"], gradescope(r, "zh")["output"]
    assert "No module or notebook of this assignment was found" in en and "mlp.py" in en
    assert "提交中没有找到本作业的模块或笔记本" in zh and "mlp.py" in zh
    wrong = gradescope(results(tmp_path), "zh")
    assert any(t["output"].count("提示：") for t in wrong["tests"])
    assert "No module" not in wrong["output"]
