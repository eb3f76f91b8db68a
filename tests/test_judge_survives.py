"""One student cannot break the judge (issue: the judge decides every point and survives any
submission): hostile bytes and values become that student's results, never a crash, a hang or a
runaway judge; nothing hidden reaches a student; a slow walk meets the per-student budget."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from grader.classroom import batch
from grader.pipeline import Course, grade
from grader.report import INSTRUCTOR_LOG, write_reports
from helpers import ROOT, SEED, course
from test_adversarial import course_copy
from test_determinism import BROKEN, broken_course

MLP_STUB = (ROOT / "exercises" / "mlp.py").read_text(encoding="utf-8")


def _submission(folder: Path, source: str, module: str = "mlp") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return folder


def _cli_grade(submission: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader.cli", "grade", str(submission), "--out", str(out),
                           "--assignment", "hw1", "--seed", str(SEED), "--lang", "en", *extra], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


SURROGATE = '''
import sys
import numpy as np

def two_layer_forward(X, W, c, w, b):
    sys.stdout.buffer.write(b"invalid UTF-8: \\xed\\xa0\\x80\\n")  # a surrogate, encoded anyway
    sys.stdout.flush()
    raise ValueError("bad \\ud800 text \\udfff")

def xor_params():
    return np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -1.0]), np.array([1.0, -2.0]), 10**400
'''


def test_lone_surrogates_and_huge_numbers_become_results(tmp_path):
    run = _cli_grade(_submission(tmp_path / "sub", SURROGATE), tmp_path / "out")
    assert run.returncode == 0, run.stderr[-2000:]
    data = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    checks = {c["id"]: c for c in data["checks"]}
    assert checks["hw1.mlp.two_layer_forward.lecture_xor"]["status"] == "error"
    assert "\ufffd" in checks["hw1.mlp.two_layer_forward.lecture_xor"]["message"]
    # b = 10**400 crosses as inf: a wrong value, not the judge's fault
    assert checks["hw1.mlp.xor_params.solves_xor"]["status"] == "failed"
    assert not [c for c in data["checks"] if c["status"] == "internal_error"]
    (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_a_deeply_nested_notebook_cell_is_graded(tmp_path):
    from grader.authoring.notebooks import write_notebooks

    write_notebooks(ROOT, course().manifest, tmp_path / "nb", ["hw1"])
    notebook = nbformat.read(str(tmp_path / "nb" / "hw1.ipynb"), as_version=4)
    deep = "X = " + " + ".join(["1"] * 600) + "\n"
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.metadata.get("dlgrade", {}).get("module") == "mlp":
            cell.source = deep + cell.source
            break
    nbformat.write(notebook, str(tmp_path / "hw1.ipynb"))
    results = grade(course(), tmp_path / "hw1.ipynb", seed=SEED, modules=["mlp"])
    assert results.checks and not [c for c in results.checks if c.status == "internal_error"]


JSON_BOMB = '''
import os
import struct

import numpy as np

def two_layer_forward(X, W, c, w, b):
    # A forged answer written straight onto the answer pipe (fd 4): 30 MB of nested empty lists,
    # which json would turn into ten million objects in the judge.
    head = b"[" + b"[]," * 10_000_000 + b"[]]"
    os.write(4, struct.pack("!II", len(head), 0))
    view = memoryview(head)
    while view:
        view = view[os.write(4, view[:1 << 20]):]
    return np.zeros(len(X))
'''


def test_a_json_bomb_is_refused_before_it_is_built(tmp_path):
    """The judge's own peak memory stays small: the header is refused by its size and node count
    before json.loads builds anything (it took the judge to 3.2 GB before)."""
    _submission(tmp_path / "sub", JSON_BOMB)
    script = ("import json, resource, sys; from pathlib import Path; sys.path.insert(0, 'tests');"
              "from helpers import course; from grader.pipeline import grade;"
              f"r = grade(course(), Path({str(tmp_path / 'sub')!r}), seed=1, modules=['mlp']);"
              "print(json.dumps({'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,"
              " 'statuses': sorted({c.status for c in r.checks if c.function == 'two_layer_forward'})}))")
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    data = json.loads(run.stdout.strip().splitlines()[-1])
    assert data["statuses"] == ["error"], data
    assert data["peak_mb"] < 1500, data  # numpy and torch imported: ~500 MB; the bomb would add GBs


def test_a_bug_in_a_check_shows_no_judge_internals_and_logs_the_traceback(tmp_path):
    results = grade(broken_course(), ROOT / "reference", seed=SEED, modules=["mlp"])
    broken = next(c for c in results.checks if c.id == BROKEN)
    assert broken.status == "internal_error"
    for text in (broken.message, broken.message_zh):
        assert str(ROOT) not in text and "grader/checks" not in text and "Traceback" not in text
    assert "KeyError" in broken.message
    paths = write_reports(results, tmp_path)
    log = Path(paths["instructor_log"]).read_text(encoding="utf-8")
    assert "Traceback" in log and "grader/checks" not in json.dumps(json.loads(
        (tmp_path / "results.json").read_text(encoding="utf-8")))
    assert "a key the check author forgot" in log


def test_the_command_writes_results_and_exits_non_zero_on_an_internal_error(tmp_path, monkeypatch):
    from grader import cli, pipeline

    monkeypatch.setattr(pipeline, "run_checks", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("judge bug")))
    monkeypatch.setattr(cli, "warm_judge", lambda: None)
    code = cli.main(["grade", str(ROOT / "reference"), "--out", str(tmp_path), "--assignment", "hw1",
                     "--lang", "en"])
    assert code == 3
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert {c["status"] for c in data["checks"]} == {"internal_error"} and data["score"] == 0
    assert "judge bug" in (tmp_path / INSTRUCTOR_LOG).read_text(encoding="utf-8")
    assert "judge bug" not in json.dumps(data)


SLOW_WALK = '''
import time
import numpy as np

def two_layer_forward(X, W, c, w, b):
    time.sleep(2.3)  # just past the 2 s timeout, every time
    return np.zeros(len(X))

def xor_params():
    time.sleep(2.3)

def mlp_forward(X, weights, biases, activation="relu"):
    time.sleep(2.3)

def collapse_linear(weights, biases):
    time.sleep(2.3)
'''


def test_the_per_student_budget_stops_a_slow_walk(tmp_path):
    slow = course_copy(tmp_path / "course", 2, 30)
    manifest = __import__("dataclasses").replace(slow.manifest, student_budget=6.0)
    slow = Course(slow.root, manifest, slow.checks)
    started = time.perf_counter()
    results = grade(slow, _submission(tmp_path / "sub", SLOW_WALK), seed=SEED, modules=["mlp"])
    elapsed = time.perf_counter() - started
    assert {c.status for c in results.checks} == {"timeout"}
    assert any("time budget" in c.message for c in results.checks)
    assert elapsed < 6.0 + 2 * 2.5 + 5, elapsed  # the budget, at most one more check, the start


_REAL_GRADE_ENTRY = batch.grade_entry


def grade_or_die(course_root, student, *rest):
    """A grade_entry whose worker dies under one student (at module level: the pool pickles it by name)."""
    if student == "crasher":
        os._exit(137)
    return _REAL_GRADE_ENTRY(course_root, student, *rest)


def test_a_dead_worker_costs_one_student_not_the_batch(tmp_path, monkeypatch):
    """A worker killed under a student (the OOM killer) breaks the process pool: the batch
    regrades the others and records that student as an internal error."""
    monkeypatch.setattr(batch, "grade_entry", grade_or_die)
    monkeypatch.setattr(batch, "_warm_worker", lambda *a: None)
    out = tmp_path / "out"
    args = [(str(ROOT), name, str(ROOT / "reference"), str(out), SEED, ["hw1"], "en", False)
            for name in ("alice", "crasher", "bob")]
    summaries = {s["student"]: s for s in batch._run_local(args, 2, str(ROOT))}
    assert summaries["crasher"]["status"] == "internal_error"
    assert summaries["alice"]["status"] == summaries["bob"]["status"] == "graded"
    assert summaries["alice"]["score"] == summaries["alice"]["max_score"] == 72
    assert (out / "students" / "crasher" / INSTRUCTOR_LOG).is_file()


def test_a_batch_of_hostile_submissions_completes_with_a_right_gradebook(tmp_path):
    """The surrogate, the deep notebook, the JSON bomb and 10**400 in one class with an honest
    student: every one gets a results.json and the honest one her full score (acceptance 2)."""
    import csv
    import shutil

    from grader.authoring.notebooks import write_notebooks

    klass = tmp_path / "class"
    _submission(klass / "surrogate", SURROGATE)
    _submission(klass / "bomb", JSON_BOMB)
    _submission(klass / "huge", "import numpy as np\ndef two_layer_forward(X, W, c, w, b):\n    return 10**400\n")
    write_notebooks(ROOT, course().manifest, tmp_path / "nb", ["hw1"])
    notebook = nbformat.read(str(tmp_path / "nb" / "hw1.ipynb"), as_version=4)
    notebook.cells.insert(1, nbformat.v4.new_code_cell("X = " + " + ".join(["1"] * 600)))
    (klass / "deep").mkdir()
    nbformat.write(notebook, str(klass / "deep" / "hw1.ipynb"))
    shutil.copytree(ROOT / "reference", klass / "honest", ignore=shutil.ignore_patterns("__pycache__"))
    summary = batch.run_batch(course(), klass, tmp_path / "out", workers=2, seed=SEED, assignment_ids=["hw1"],
                              progress=lambda s: None)
    assert summary["graded_now"] == 5
    for student in ("surrogate", "bomb", "huge", "deep", "honest"):
        data = json.loads((tmp_path / "out" / "students" / student / "results.json").read_text(encoding="utf-8"))
        assert not [c for c in data["checks"] if c["status"] == "internal_error"], student
    rows = list(csv.DictReader((tmp_path / "out" / "gradebook.csv").read_text(encoding="utf-8").splitlines()))
    honest = next(r for r in rows if r["Student"] == "honest")
    assert any(value == "72" for value in honest.values()), honest
