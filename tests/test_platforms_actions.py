"""GitHub Actions: the workflow template is valid for GitHub and does what its comment says.

Its ``run:`` steps are run here in bash as the runner runs them (``bash -e``, the workflow's env,
GITHUB_STEP_SUMMARY set) in a student repository made by ``dlgrade release --student``. The install
step is the one substitution: ``pip install -e .`` would make ``dlgrade`` run the repository's own
grader; a ``dlgrade`` on PATH that runs ``python -m grader.cli`` from the repository does the same
without downloading torch again.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers import ROOT, course

WORKFLOW = ROOT / "ci-templates" / "github-actions-dlgrade.yml"
CLASS = ROOT / "examples" / "class"


def test_workflow_validates_against_githubs_schema():
    check = shutil.which("check-jsonschema") or pytest.fail("check-jsonschema missing: pip install -e '.[test]'")
    done = subprocess.run([check, "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path):
    """The check above can fail: a workflow with a misspelt key is refused."""
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on:", "runs_on:"))
    done = subprocess.run([shutil.which("check-jsonschema") or "check-jsonschema", "--builtin-schema",
                           "vendor.github-workflows", str(broken)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "runs-on" in done.stdout


def run_steps(repo: Path, tmp_path: Path) -> tuple[int, str, str]:
    """The workflow's run: steps in order, as the runner runs them; (exit code, log, step summary)."""
    workflow = yaml.safe_load(WORKFLOW.read_text())
    job = workflow["jobs"]["autograding"]
    shim = tmp_path / "bin"
    shim.mkdir(exist_ok=True)
    (shim / "dlgrade").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m grader.cli "$@"\n')
    (shim / "python").symlink_to(sys.executable)
    (shim / "dlgrade").chmod(0o755)
    summary = tmp_path / "step_summary.md"
    summary.write_text("")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DLGRADE_"))},
           **{k: str(v) for k, v in workflow["env"].items()},
           "PATH": f"{shim}:{os.environ['PATH']}", "GITHUB_ACTIONS": "true", "CI": "true",
           "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(repo)}
    log = []
    for step in job["steps"]:
        if "run" not in step:
            continue  # actions/checkout, setup-python, upload-artifact: the runner's, not ours
        if step.get("name", "").startswith("Install dlgrade"):
            assert "pip install -e ." in step["run"] and "download.pytorch.org/whl/cpu" in step["run"]
            continue  # substituted by the shim above
        script = tmp_path / "step.sh"
        script.write_text(step["run"])
        done = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", str(script)], cwd=repo,
                              env=env, capture_output=True, text=True, timeout=600)
        log.append(done.stdout + done.stderr)
        if done.returncode != 0:
            return done.returncode, "".join(log), summary.read_text()
    return 0, "".join(log), summary.read_text()


@pytest.fixture
def student_repo(tmp_path, bundle) -> Path:
    """A student's repository: the bundle (`dlgrade release --student`, built once per session)."""
    repo = tmp_path / "repo"
    shutil.copytree(bundle, repo)
    return repo


def test_reference_gives_a_green_job_with_points(student_repo, tmp_path):
    for m in course().manifest.assignment("hw1").modules:
        shutil.copy(ROOT / "reference" / f"{m.name}.py", student_repo / "exercises" / f"{m.name}.py")
    code, log, summary = run_steps(student_repo, tmp_path)
    assert code == 0, log
    visible = sum(c.points for c in course().manifest.assignment("hw1").checks if c.visibility == "visible")
    assert f"::notice title=Autograding complete::Points {visible:g}/{visible:g}" in log
    assert summary.startswith("### dlgrade:") and f"**Points {visible:g}/{visible:g}** (100%" in summary
    assert "hw2" not in summary  # only the repository's assignment


def test_a_failing_submission_gives_a_red_job_with_points(student_repo, tmp_path):
    for f in (CLASS / "bob_mistakes").iterdir():
        shutil.copy(f, student_repo / "exercises" / f.name)
    code, log, summary = run_steps(student_repo, tmp_path)
    assert code != 0
    assert "::notice title=Autograding complete::Points " in log and "--fail-under 100%" in log
    # The summary is in the course's language (assignments.yaml: zh); the workflow's own line is English.
    assert "under the 100% needed" in summary and "<details><summary>需要查看的检查</summary>" in summary


def test_the_threshold_is_the_instructors(student_repo, tmp_path, monkeypatch):
    for f in (CLASS / "bob_mistakes").iterdir():
        shutil.copy(f, student_repo / "exercises" / f.name)
    text = WORKFLOW.read_text()
    assert 'DLGRADE_FAIL_UNDER: "100"' in text
    lenient = tmp_path / "lenient.yml"
    lenient.write_text(text.replace('DLGRADE_FAIL_UNDER: "100"', 'DLGRADE_FAIL_UNDER: "1"'))
    monkeypatch.setattr(sys.modules[__name__], "WORKFLOW", lenient)
    code, log, summary = run_steps(student_repo, tmp_path)
    assert code == 0, log
    assert ": passed)" in summary
