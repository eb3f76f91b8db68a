"""`dlgrade release`: the stubs in exercises/ stay in step with reference/, and the student bundle
holds what students need and nothing they must not see."""
from __future__ import annotations

import hashlib

import ast
import json
import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from grader.authoring.bundle import strip_hidden_checks
from grader.errors import HarnessError
from grader.manifest import load_manifest
from grader.authoring.release import release
from helpers import ROOT, course

MIN_BODY_CHARS = 40  # shorter bodies ("return x", "return np.maximum(x, 0)") are too common to search for


def test_release_leaves_exercises_unchanged(tmp_path):
    stubs = release(ROOT, course().manifest, tmp_path)
    committed = sorted(p.name for p in (ROOT / "exercises").glob("*.py"))
    assert sorted(f"{name}.py" for name in stubs) == committed
    drifted = [name for name in committed if (tmp_path / name).read_bytes() != (ROOT / "exercises" / name).read_bytes()]
    assert not drifted, f"exercises/ differs from `dlgrade release` output for {drifted}: run dlgrade release"
    # The record of what release wrote must match too, or the next `dlgrade release` after a
    # reference edit refuses ("changed since release wrote it"): step 2 of docs/adding-an-exercise.md.
    record = json.loads((ROOT / "exercises" / ".dlgrade-release.json").read_text(encoding="utf-8"))
    stale = [name for name in committed
             if record.get(name) != hashlib.sha256((ROOT / "exercises" / name).read_bytes()).hexdigest()]
    assert not stale, f"exercises/.dlgrade-release.json is stale for {stale}: run dlgrade release --force"


# --------------------------------------------------------------------------- the student bundle
def in_bundle(bundle, *args, timeout=600):
    """Run `python -m grader.cli ...` inside the bundle, with the bundle's own grader."""
    env = {**os.environ, "PYTHONPATH": str(bundle), "PYTHONNOUSERSITE": "1"}
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=bundle, env=env,
                          capture_output=True, text=True, timeout=timeout)


def hidden_ids() -> set[str]:
    return {c.id for c in course().manifest.checks if c.visibility == "hidden"}


def test_bundle_layout(bundle):
    manifest = course().manifest
    assert (bundle / "README.md").is_file() and (bundle / "pyproject.toml").is_file()
    assert not (bundle / "reference").exists() and not (bundle / "tests").exists()
    for name in (ROOT / "exercises").glob("*.py"):
        assert (bundle / "exercises" / name.name).read_bytes() == name.read_bytes()
    assert sorted(p.name for p in (bundle / "notebooks").iterdir()) == sorted(f"{a.id}.ipynb" for a in manifest.assignments)
    student = load_manifest(bundle / "assignments.yaml")
    assert [c.id for c in student.checks] == [c.id for c in manifest.checks if c.visibility == "visible"]
    assert [(m.name, m.functions) for _, m in student.modules] == [(m.name, m.functions) for _, m in manifest.modules]


def _normalized(text: str) -> str:
    # Compare code by its lines, stripped: the same body indented otherwise (or in a notebook) matches.
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def reference_bodies() -> list[tuple[str, str]]:
    """(name, body without docstring) of every public function, and every method of a public class,
    in reference/."""
    bodies = []
    for path in sorted((ROOT / "reference").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for top in ast.parse(source).body:
            if not isinstance(top, (ast.FunctionDef, ast.ClassDef)) or top.name.startswith("_"):
                continue
            nodes = [top] if isinstance(top, ast.FunctionDef) else [
                n for n in top.body if isinstance(n, ast.FunctionDef)]
            for node in nodes:
                body = node.body[1:] if ast.get_docstring(node) is not None else node.body
                if body:
                    name = f"{path.stem}.{top.name}" + (f".{node.name}" if node is not top else "")
                    bodies.append((name, _normalized("\n".join(lines[body[0].lineno - 1:node.end_lineno]))))
    return bodies


def bundle_texts(bundle) -> dict[str, str]:
    texts = {}
    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        raw = path.read_bytes().decode("utf-8", errors="ignore")
        if path.suffix == ".ipynb":  # the JSON escapes newlines and quotes: search the cells' code
            raw = "\n".join(c.source for c in nbformat.reads(raw, as_version=4).cells)
        texts[str(path.relative_to(bundle))] = raw
    return texts


def test_bundle_holds_no_reference_body_and_no_hidden_check_id(bundle):
    texts = bundle_texts(bundle)
    normalized = {name: _normalized(text) for name, text in texts.items()}
    bodies = reference_bodies()
    searched = [(name, body) for name, body in bodies if len(body) >= MIN_BODY_CHARS]
    skipped = len(bodies) - len(searched)
    print(f"searched {len(searched)} reference bodies, skipped {skipped} shorter than {MIN_BODY_CHARS} chars")
    assert len(searched) >= 0.8 * len(bodies), f"only {len(searched)} of {len(bodies)} bodies were searched"
    found = [f"{name} in {file}" for name, body in searched for file, text in normalized.items() if body in text]
    assert not found, found
    hidden = hidden_ids()
    assert hidden
    # Whole ids only: a hidden "...matches_torch" is a prefix of a visible "...matches_torch_small".
    patterns = {i: re.compile(rf"(?<![\w.]){re.escape(i)}(?!\w)") for i in hidden}
    leaks = [f"{i} in {file}" for i, pattern in patterns.items() for file, text in texts.items() if pattern.search(text)]
    assert not leaks, leaks


def test_the_search_would_find_a_leak(bundle, tmp_path):
    # The two searches above must be able to fail: plant one reference module and one hidden id.
    leaky = tmp_path / "leaky"
    shutil.copytree(bundle / "exercises", leaky / "exercises")
    module = next((ROOT / "reference").glob("*.py"))
    shutil.copyfile(module, leaky / "exercises" / module.name)
    (leaky / "notes.txt").write_text(sorted(hidden_ids())[0])
    texts = {name: _normalized(text) for name, text in bundle_texts(leaky).items()}
    bodies = [b for n, b in reference_bodies() if n.startswith(module.stem + ".") and len(b) >= MIN_BODY_CHARS]
    assert bodies and all(any(b in t for t in texts.values()) for b in bodies)
    assert sorted(hidden_ids())[0] in texts["notes.txt"]


def test_check_runs_inside_the_bundle_with_its_own_grader(bundle):
    run = in_bundle(bundle, "check", "exercises", "--assignment", "hw1", "--lang", "en")
    assert run.returncode == 0, run.stderr
    visible = sum(c.points for c in course().manifest.assignment("hw1").checks if c.visibility == "visible")
    assert f"TOTAL 0 / {visible:g}" in run.stdout and "visible checks only" in run.stdout
    where = subprocess.run([sys.executable, "-c", "import grader; print(grader.__file__)"], cwd=bundle,
                           env={**os.environ, "PYTHONPATH": str(bundle)}, capture_output=True, text=True)
    assert where.stdout.strip() == str(bundle / "grader" / "__init__.py")


def test_the_bundles_visible_checks_pass_the_reference(bundle, tmp_path):
    # The check modules with hidden checks removed still work: the reference gets every visible point.
    submission = tmp_path / "sub"
    shutil.copytree(ROOT / "reference", submission)
    run = in_bundle(bundle, "grade", str(submission), "--out", str(tmp_path / "out"), "--seed", "1")
    assert run.returncode == 0, run.stderr
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    visible = [c for c in course().manifest.checks if c.visibility == "visible"]
    assert sorted(c["id"] for c in data["checks"]) == sorted(c.id for c in visible)
    assert data["score"] == data["max_score"] == sum(c.points for c in visible)


def test_a_notebook_is_checked_inside_the_bundle(bundle):
    run = in_bundle(bundle, "check", "notebooks/hw1.ipynb", "--assignment", "hw1", "--lang", "en")
    assert run.returncode == 0, run.stderr
    assert "TOTAL 0 /" in run.stdout and "(not attempted)" in run.stdout


def test_release_student_refuses_a_folder_that_is_not_a_bundle(tmp_path):
    (tmp_path / "homework.txt").write_text("mine")
    run = subprocess.run([sys.executable, "-m", "grader.cli", "release", "--student", "--out", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 2 and "not empty" in run.stderr
    assert (tmp_path / "homework.txt").read_text() == "mine"


CHECKS = '''\
from ..registry import check

TABLE = [1, 2, 3]  # used by the hidden check only


def _oracle(x):
    return [v * 2 for v in x]


def _shared(x):
    return x


@check("hw9.m.f.visible", hint="h")
def visible(ctx):
    _shared(1)


# catches the transpose mistake
@check("hw9.m.f.hidden", hint="h")
def hidden(ctx):
    _oracle(TABLE)
'''


def test_strip_hidden_checks_removes_the_check_and_the_comment_above_it():
    text = strip_hidden_checks(CHECKS, {"hw9.m.f.hidden"})
    assert "hw9.m.f.hidden" not in text and "transpose" not in text and "def hidden" not in text
    assert "def visible" in text and "def _oracle" in text  # helpers go in a later pass over the package
    ast.parse(text)
    with pytest.raises(HarnessError, match="string literal"):
        strip_hidden_checks(CHECKS.replace('"hw9.m.f.visible"', "VISIBLE_ID"), {"hw9.m.f.hidden"})


def test_helpers_only_hidden_checks_used_are_left_out(tmp_path):
    from grader.authoring.bundle import _drop_unused

    (tmp_path / "checks").mkdir()
    path = tmp_path / "checks" / "m.py"
    path.write_text(strip_hidden_checks(CHECKS, {"hw9.m.f.hidden"}))
    _drop_unused(tmp_path, [path])
    text = path.read_text()
    assert "_oracle" not in text and "TABLE" not in text and "def _shared" in text and "def visible" in text


def _course_copy(tmp_path):
    shutil.copytree(ROOT / "reference", tmp_path / "reference")
    shutil.copyfile(ROOT / "assignments.yaml", tmp_path / "assignments.yaml")
    return load_manifest(tmp_path / "assignments.yaml")


def test_release_refuses_to_overwrite_an_edited_stub(tmp_path):
    manifest = _course_copy(tmp_path)
    release(tmp_path, manifest)
    stub = tmp_path / "exercises" / "mlp.py"
    stub.write_text(stub.read_text() + "\n# my notes\n")
    with pytest.raises(HarnessError, match=r"mlp\.py changed since `dlgrade release` wrote it.*--force"):
        release(tmp_path, manifest)
    assert stub.read_text().endswith("# my notes\n")
    release(tmp_path, manifest, force=True)
    assert "# my notes" not in stub.read_text()


def test_release_replaces_a_stub_it_wrote_when_the_reference_changed(tmp_path):
    manifest = _course_copy(tmp_path)
    release(tmp_path, manifest)
    reference = tmp_path / "reference" / "mlp.py"
    reference.write_text(reference.read_text().replace('"""', '"""Changed. ', 1))
    release(tmp_path, manifest)  # the old stub is the one it wrote: replaced without --force
    assert "Changed. " in (tmp_path / "exercises" / "mlp.py").read_text()
    (tmp_path / "exercises" / ".dlgrade-release.json").unlink()
    reference.write_text(reference.read_text().replace("Changed. ", "Again. ", 1))
    with pytest.raises(HarnessError, match="mlp.py"):  # no record of what it wrote: a difference is an edit
        release(tmp_path, manifest)


def test_instructor_commands_in_the_bundle_say_so(bundle):
    for args in (["release"], ["mutants", "--module", "mlp"], ["validate"]):
        run = in_bundle(bundle, *args)
        assert run.returncode == 2, (args, run.stderr)
        assert "教师命令" in run.stderr and "Traceback" not in run.stderr, run.stderr  # the course's language
    run = in_bundle(bundle, "--lang", "en", "release")
    assert run.returncode == 2 and "is an instructor command" in run.stderr and "dlgrade check" in run.stderr
