"""`dlgrade new-check`: run in a copy of the course, it adds a check that grades, and refuses cleanly."""
from __future__ import annotations

import ast
import difflib
import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.manifest import load_manifest

ROOT = Path(__file__).resolve().parents[1]
MARKER = "TODO(new-check)"
NEW_ID = "hw1.mlp.affine_layer.random"

NEW_REFERENCE = '''

def affine_layer(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One affine layer, X @ W + b, without an activation.

    Args:
        X: inputs, shape (N, D).
        W: weights, shape (D, H).
        b: biases, shape (H,).

    Returns:
        A new array of shape (N, H).
    """
    return X @ W + b
'''

# What the instructor writes in place of the skeleton: a real check of affine_layer.
FILLED = '''
@oracle
def _affine(X, W, b):
    return X @ W + b


@check("hw1.mlp.affine_layer.random", hint=Text(
    zh="讲义第 1 部分（仿射变换）：一层是输入与权重相乘再加上偏置。",
    en="Lecture part 1 (仿射变换): a layer multiplies the input by the weights and adds the bias."))
def affine_layer_random(ctx: Context) -> None:
    X, W, b = ctx.rng.normal(size=(5, 3)), ctx.rng.normal(size=(3, 4)), ctx.rng.normal(size=4)
    expect_array(ctx.call_unchanged(X, W, b), _affine(X, W, b), "affine_layer", ctx.case(X=X, W=W, b=b),
                 rtol=RTOL64, atol=ATOL64, dtype=np.float64)
'''


def course_copy(tmp_path: Path) -> Path:
    """What `python -m grader.cli` needs in a course: the grader (its checks are edited), the YAML,
    reference/ and exercises/, and the module's test file holding the WRONG table."""
    course = tmp_path / "course"
    ignore = shutil.ignore_patterns("__pycache__", "recorded_cases.bin")
    shutil.copytree(ROOT / "grader", course / "grader", ignore=ignore)
    for folder in ("reference", "exercises"):
        shutil.copytree(ROOT / folder, course / folder, ignore=ignore)
    shutil.copyfile(ROOT / "assignments.yaml", course / "assignments.yaml")
    (course / "tests").mkdir()
    shutil.copyfile(ROOT / "tests" / "test_mlp.py", course / "tests" / "test_mlp.py")
    return course


def dlgrade(course: Path, *args: str) -> subprocess.CompletedProcess:
    # cwd = the copy: `python -m` imports the copy's grader, with its edited checks.
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=course, capture_output=True, text=True,
                          timeout=600, check=False)


def snapshot(course: Path) -> dict[str, str]:
    return {str(p.relative_to(course)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(course.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def grade_mlp(course: Path, source: Path, out: Path) -> dict:
    """Grade a submission holding only mlp.py (the other hw1 modules are simply not attempted)."""
    sub = out.parent / f"{out.name}-sub"
    sub.mkdir()
    shutil.copyfile(source, sub / "mlp.py")
    run = dlgrade(course, "grade", str(sub), "--out", str(out), "--assignment", "hw1", "--seed", "7", "--lang", "en")
    assert run.returncode == 0, run.stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return next(c for c in results["checks"] if c["id"] == NEW_ID)


def replace_skeleton(source: str, check_id: str, replacement: str) -> str:
    """The skeleton (its marker comment, decorator and body) replaced by ``replacement``."""
    tree = ast.parse(source)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and any(
        isinstance(d, ast.Call) and d.args and getattr(d.args[0], "value", None) == check_id
        for d in n.decorator_list))
    lines = source.splitlines(keepends=True)
    start = node.decorator_list[0].lineno - 1
    if MARKER in lines[start - 1]:
        start -= 1
    return "".join(lines[:start]) + replacement.lstrip("\n") + "".join(lines[node.end_lineno:])


def only_insertions(before: str, after: str) -> list[str]:
    """The lines ``after`` adds to ``before``; fails if it changes or drops any line."""
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(), autojunk=False)
    changed = [op for op in matcher.get_opcodes() if op[0] not in ("equal", "insert")]
    assert not changed, changed
    return [line for op, _, _, j1, j2 in matcher.get_opcodes() if op == "insert"
            for line in after.splitlines()[j1:j2]]


def test_a_new_function_end_to_end(tmp_path):
    course = course_copy(tmp_path)
    # A release first, as after the course's last one: its record says which stubs it wrote.
    run = dlgrade(course, "release")
    assert run.returncode == 0, run.stderr
    yaml_before = (course / "assignments.yaml").read_text(encoding="utf-8")
    run = dlgrade(course, "new-check", NEW_ID, "--new-function", "--points", "3")
    assert run.returncode == 0, run.stderr
    assert "next:" in run.stdout and "reference/mlp.py" in run.stdout, run.stdout

    # assignments.yaml: only lines added or extended, comments kept; it loads with the new check.
    yaml_after = (course / "assignments.yaml").read_text(encoding="utf-8")
    matcher = difflib.SequenceMatcher(None, yaml_before.splitlines(), yaml_after.splitlines(), autojunk=False)
    replaced = [op for op in matcher.get_opcodes() if op[0] == "replace"]
    assert len(replaced) == 1 and "functions: [" in yaml_before.splitlines()[replaced[0][1]]  # the functions list
    assert [line for line in yaml_before.splitlines() if line.lstrip().startswith("#")] == [
        line for line in yaml_after.splitlines() if line.lstrip().startswith("#")]
    manifest = load_manifest(course / "assignments.yaml")
    _, mlp = manifest.module("mlp")
    assert mlp.functions[-1] == "affine_layer"
    spec = next(c for c in manifest.checks if c.id == NEW_ID)
    assert (spec.points, spec.visibility, spec.timeout) == (3, "visible", 10)  # a function's first check: visible
    assert [c.id for c in mlp.checks][-1] == NEW_ID  # after the module's last check
    # The WRONG table gained the function, with a placeholder that raises NotImplementedError.
    wrong = ast.literal_eval(next(n.value for n in ast.parse((course / "tests" / "test_mlp.py").read_text())
                                  .body if isinstance(n, ast.Assign) and n.targets[0].id == "WRONG"))
    assert list(wrong["affine_layer"]) == ["todo_random"]
    assert "NotImplementedError" in wrong["affine_layer"]["todo_random"]

    # The instructor's part: the reference, then the stub from it (dlgrade release).
    with open(course / "reference" / "mlp.py", "a", encoding="utf-8") as reference:
        reference.write(NEW_REFERENCE)
    run = dlgrade(course, "release")
    assert run.returncode == 0, run.stderr
    stub = (course / "exercises" / "mlp.py").read_text(encoding="utf-8")
    assert 'raise NotImplementedError("hw1 mlp.affine_layer")' in stub

    # The skeleton as written: the reference gets no points for it, and is told why.
    unfilled = grade_mlp(course, course / "reference" / "mlp.py", tmp_path / "unfilled")
    assert unfilled["status"] == "failed" and unfilled["score"] == 0, unfilled
    assert "not written yet" in unfilled["message"] and "尚未写完" in unfilled["message_zh"]

    checks = course / "grader" / "checks" / "mlp.py"
    checks.write_text(replace_skeleton(checks.read_text(encoding="utf-8"), NEW_ID, FILLED), encoding="utf-8")
    assert MARKER not in checks.read_text(encoding="utf-8")
    full = grade_mlp(course, course / "reference" / "mlp.py", tmp_path / "reference")
    assert (full["status"], full["score"], full["max_score"]) == ("passed", 3, 3), full
    stubbed = grade_mlp(course, course / "exercises" / "mlp.py", tmp_path / "stub")
    assert (stubbed["status"], stubbed["score"]) == ("not_attempted", 0), stubbed


def test_another_check_of_an_existing_function(tmp_path):
    course = course_copy(tmp_path)
    before = {name: (course / name).read_text(encoding="utf-8")
              for name in ("assignments.yaml", "grader/checks/mlp.py", "tests/test_mlp.py")}
    check_id = "hw1.mlp.mlp_forward.another_case"
    run = dlgrade(course, "new-check", check_id)
    assert run.returncode == 0, run.stderr
    after = {name: (course / name).read_text(encoding="utf-8") for name in before}

    added = only_insertions(before["assignments.yaml"], after["assignments.yaml"])
    assert added == [("          - {id: hw1.mlp.mlp_forward.another_case, function: mlp_forward, points: 1, "
                      "visibility: hidden, timeout: 10}")]  # the file's layout; hidden: mlp_forward has a visible one
    lines = after["assignments.yaml"].splitlines()
    assert "hw1.mlp.mlp_forward.float32" in lines[lines.index(added[0]) - 1]  # next to its function's checks
    assert load_manifest(course / "assignments.yaml").module("mlp")[1].checks[-2].id == check_id

    # The skeleton sits after mlp_forward's last check, imports what it raises, and is marked unfinished.
    tree = ast.parse(after["grader/checks/mlp.py"])
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert names[names.index("mlp_forward_float32") + 1] == "mlp_forward_another_case"
    assert "from ..errors import CheckFailed" in after["grader/checks/mlp.py"]
    assert after["grader/checks/mlp.py"].count(MARKER) >= 3  # the comment, both hints, the body
    wrong_added = only_insertions(before["tests/test_mlp.py"], after["tests/test_mlp.py"])
    assert any('"todo_another_case"' in line for line in wrong_added)
    wrong = ast.literal_eval(next(n.value for n in ast.parse(after["tests/test_mlp.py"]).body
                                  if isinstance(n, ast.Assign) and n.targets[0].id == "WRONG"))
    assert list(wrong["mlp_forward"])[-1] == "todo_another_case" and len(wrong["mlp_forward"]) == 3

    # The course still loads: the skeleton is registered and declared, and fails the reference.
    probe = ("from pathlib import Path; from grader.pipeline import load_course; "
             f"c = load_course(Path('.')); print(c.checks[{check_id!r}].where)")
    run = subprocess.run([sys.executable, "-c", probe], cwd=course, capture_output=True, text=True, timeout=300,
                         check=False)
    assert run.returncode == 0 and "checks/mlp.py" in run.stdout, run.stderr


@pytest.mark.parametrize("args,said", [
    (["hw1.mlp.mlp_forward"], "is not a check id"),
    (["hw1.mlp.mlp-forward.x"], "is not a check id"),
    (["hw1.mlp.mlp_forward.depths"], "already declared"),
    (["hw9.mlp.mlp_forward.x"], "no assignment 'hw9'"),
    (["hw2.mlp.mlp_forward.x"], "it belongs to hw1"),
    (["hw1.mlp.mlp_foward.x"], "did you mean mlp_forward?"),
    (["hw1.mlp.mlp_forward.x", "--new-function"], "already a function of mlp"),
    (["hw1.mlp.mlp_forward.x", "--points", "0"], "must be positive"),
])
def test_refusals_write_nothing(tmp_path, args, said):
    course = course_copy(tmp_path)
    before = snapshot(course)
    run = dlgrade(course, "new-check", *args)
    assert run.returncode == 2, run.stdout
    assert said in run.stderr and "nothing was written" in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert "assignments.yaml" in run.stderr or "--points" in args
    assert snapshot(course) == before


def test_an_id_implemented_but_not_declared_is_refused(tmp_path):
    course = course_copy(tmp_path)
    checks = course / "grader" / "checks" / "mlp.py"
    checks.write_text(checks.read_text(encoding="utf-8") + textwrap.dedent('''

        @check("hw1.mlp.mlp_forward.stray")
        def mlp_forward_stray(ctx):
            pass
    '''), encoding="utf-8")
    before = snapshot(course)
    run = dlgrade(course, "new-check", "hw1.mlp.mlp_forward.stray")
    assert run.returncode == 2 and "already implemented" in run.stderr, run.stderr
    assert snapshot(course) == before


def test_dry_run_prints_the_changes_and_writes_nothing(tmp_path):
    course = course_copy(tmp_path)
    before = snapshot(course)
    run = dlgrade(course, "new-check", "hw1.mlp.collapse_linear.deep", "--hidden", "--dry-run")
    assert run.returncode == 0, run.stderr
    assert "+++ b/assignments.yaml" in run.stdout and "+++ b/grader/checks/mlp.py" in run.stdout
    assert "visibility: hidden" in run.stdout and "nothing written" in run.stdout
    assert snapshot(course) == before


def test_no_unfinished_skeleton_in_the_course():
    """A skeleton fails until written; this says where one was left before anyone grades with it."""
    left = [f"{p.relative_to(ROOT)}:{i}" for folder in ("grader/checks", "tests")
            for p in sorted((ROOT / folder).glob("*.py")) if p.name != "test_new_check.py"
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if MARKER in line]
    assert not left, f"unfinished `dlgrade new-check` skeletons: {left}"
