"""Gradescope, run the way Gradescope runs it: the zip unpacked in <root>/source, its setup.sh run
once as root, then <root>/run_autograder (a copy of the zip's) per submission, writing
<root>/results/results.json. DLGRADE_AUTOGRADER_ROOT points both scripts at a temporary root.

One substitution: the venv that setup.sh would create with ``python3 -m venv`` is created here
with ``--system-site-packages`` from the test interpreter, so torch and the other packages are
already there and nothing is downloaded; setup.sh then runs as written (its pip steps find
everything installed, and it installs the course from the zip into that venv). run_autograder
runs as in Gradescope's containers: as root, where namespaces cannot be created and the Python is
world-readable (tests/modes.py root-no-namespaces), so the sandbox drops each child to a dedicated
uid.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import nbformat
import pytest

from grader.authoring.notebooks import write_notebooks
from helpers import ROOT, course
from test_notebooks import filled, save

MODES = Path(__file__).parent / "modes.py"
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="Gradescope's setting (root in a container) needs root")
HW1 = [m.name for m in course().manifest.assignment("hw1").modules]
HW1_POINTS = course().manifest.assignment("hw1").max_score
HW1_CHECKS = sum(len(m.checks) for m in course().manifest.assignment("hw1").modules)

# Gradescope's results.json, from its "Autograder Specifications" (output format): the fields
# dlgrade writes, their types and the allowed values; unknown fields are refused so a typo shows.
TEST_SCHEMA = {
    "type": "object",
    "required": ["name", "score", "max_score", "visibility", "output", "status"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1}, "number": {"type": "string"},
        "score": {"type": "number", "minimum": 0}, "max_score": {"type": "number", "minimum": 0},
        "status": {"enum": ["passed", "failed"]}, "output": {"type": "string"},
        "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["score", "output", "stdout_visibility", "tests"],
    "additionalProperties": False,
    "properties": {
        "score": {"type": "number", "minimum": 0}, "output": {"type": "string", "minLength": 1},
        "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "stdout_visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "tests": {"type": "array", "items": TEST_SCHEMA},
    },
}


@pytest.fixture(scope="module")
def autograder(tmp_path_factory) -> Path:
    """An autograder root as Gradescope leaves it after building the image from our zip."""
    out = tmp_path_factory.mktemp("zip")
    made = subprocess.run([sys.executable, "-m", "grader.cli", "gradescope", "--assignment", "hw1", "--out",
                           str(out), "--lang", "en"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    root = tmp_path_factory.mktemp("autograder")
    with zipfile.ZipFile(out / "autograder.zip") as zf:
        zf.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):  # zipfile drops the mode bits; Gradescope keeps them
        (root / "source" / script).chmod(0o755)
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(root / "venv")],
                   check=True, timeout=120)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=_env(root), capture_output=True,
                           text=True, timeout=300)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    checks = len([c for m in course().manifest.assignment("hw1").modules for c in m.checks])
    assert f"dlgrade autograder ready: hw1: {checks} checks, 72 points" in setup.stdout
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")  # as Gradescope does
    return root


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADE_")}
    env.update(DLGRADE_AUTOGRADER_ROOT=str(root))
    return env


def run_autograder(root: Path, fill) -> dict:
    """A fresh submission made by ``fill(folder)``, graded by the real run_autograder."""
    for name in ("submission", "results", "dlgrade"):
        shutil.rmtree(root / name, ignore_errors=True)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    fill(root / "submission")
    # Gradescope runs it from /autograder and keeps its output in results/stdout.
    with open(root / "results" / "stdout", "w") as stdout:
        done = subprocess.run([sys.executable, str(MODES), "root-no-namespaces", "--", str(root / "run_autograder")],
                              cwd=root, env=_env(root), stdout=stdout,
                              stderr=subprocess.STDOUT, timeout=300)
    assert done.returncode == 0, (root / "results" / "stdout").read_text()
    data = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, RESULTS_SCHEMA)
    return data


def reference_modules(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for module in HW1:
        shutil.copy(ROOT / "reference" / f"{module}.py", folder / f"{module}.py")


def test_zip_has_gradescopes_layout_and_only_what_grading_needs(tmp_path):
    subprocess.run([sys.executable, "-m", "grader.cli", "gradescope", "--assignment", "hw1", "--out", str(tmp_path)],
                   cwd=ROOT, check=True, capture_output=True, timeout=120)
    with zipfile.ZipFile(tmp_path / "autograder.zip") as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        setup = zf.read("setup.sh").decode()
    assert {"setup.sh", "run_autograder", "course/assignments.yaml", "course/pyproject.toml",
            "course/grader/checks/mlp.py"} <= names
    assert all(modes[s] & stat.S_IXUSR for s in ("setup.sh", "run_autograder"))
    assert not [n for n in names if n.startswith(("course/reference/", "course/exercises/", "course/tests/",
                                                  "course/examples/", "source/")) or "__pycache__" in n]
    assert "torch==2.13.0\" --index-url https://download.pytorch.org/whl/cpu" in setup
    assert "chmod -R go-rwx \"$SOURCE\"" in setup


def test_setup_leaves_the_venv_readable_and_the_course_private(autograder):
    assert stat.S_IMODE((autograder / "source" / "course").stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE((autograder / "source" / "course" / "grader" / "checks" / "mlp.py").stat().st_mode) & 0o077 == 0
    for path in (autograder, autograder / "venv", autograder / "venv" / "bin"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o005 == 0o005, path
    # The venv is outside the course folder and points into it: no copy of the checks is readable.
    assert not list((autograder / "venv").rglob("checks/mlp.py"))


def test_nested_repository_submission_scores_72_for_hw1_only(autograder):
    data = run_autograder(autograder, lambda sub: reference_modules(sub / "my-repo" / "exercises"))
    assert data["score"] == HW1_POINTS == 72
    assert {t["name"].split(".")[0] for t in data["tests"]} == {"hw1"}
    assert sum(t["max_score"] for t in data["tests"]) == 72
    assert all(t["status"] == "passed" for t in data["tests"])
    assert "modules found in my-repo/exercises/" in data["output"]
    assert data["stdout_visibility"] == "hidden"
    visibilities = {t["visibility"] for t in data["tests"]}
    assert visibilities == {"visible", "after_published"}  # hidden checks show once grades are published


def test_notebook_submission(autograder, tmp_path):
    write_notebooks(ROOT, course().manifest, tmp_path, ["hw1"])
    notebook = filled(nbformat.read(str(tmp_path / "hw1.ipynb"), as_version=4))
    data = run_autograder(autograder, lambda sub: save(notebook, sub / "hw1.ipynb"))
    assert data["score"] == 72


def test_empty_submission_scores_zero_and_says_what_to_hand_in(autograder):
    data = run_autograder(autograder, lambda sub: None)
    assert data["score"] == 0 and len(data["tests"]) == HW1_CHECKS
    assert all(t["status"] == "failed" and t["output"] for t in data["tests"])
    assert "No module or notebook of this assignment was found" in data["output"]
    assert "mlp.py" in data["output"] and "hw1.ipynb" in data["output"]


def test_broken_submission_gets_results_and_the_error(autograder):
    def broken(sub: Path) -> None:
        reference_modules(sub)
        (sub / "mlp.py").write_text("def two_layer_forward(X, W, c, w, b:\n    return X\n")
        (sub / "perceptron.py").write_bytes(os.urandom(2000))
        (sub / "hw1.ipynb").write_text("{not json")

    data = run_autograder(autograder, broken)
    by_module = {}
    for t in data["tests"]:
        by_module.setdefault(t["tags"][1], []).append(t)
    assert all(t["score"] == 0 for m in ("mlp", "perceptron") for t in by_module[m])
    assert "SyntaxError" in by_module["mlp"][0]["output"] and "line 1" in by_module["mlp"][0]["output"]
    # The two intact modules still count: one broken file costs only its own points.
    intact = sum(t["max_score"] for m in ("activations", "autograd") for t in by_module[m])
    assert data["score"] == intact > 0


def test_a_submission_dlgrade_cannot_grade_still_gets_a_results_json(autograder):
    def nothing(sub: Path) -> None:
        sub.rmdir()  # Gradescope always makes it; without it dlgrade refuses the submission

    data = run_autograder(autograder, nothing)
    assert data["score"] == 0 and data["tests"] == []
    assert "could not grade this submission" in data["output"] and "not a folder" in data["output"]
    assert str(autograder / "source") not in data["output"]
