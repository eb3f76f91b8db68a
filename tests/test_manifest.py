"""assignments.yaml: loading, and errors that name the file, the line and the key."""
from __future__ import annotations

import re

import pytest

from grader.errors import ManifestError
from grader.manifest import load_manifest, validate_against_registry

GOOD = """\
schema: 1
assignments:
  - id: hw1
    title: {en: "Part one", zh: "第一部分"}
    lecture_part: 1
    modules:
      - name: mlp
        functions: [two_layer_forward, xor_params]
        checks:
          - {id: hw1.mlp.two_layer_forward.lecture_xor, function: two_layer_forward, points: 2, visibility: visible, timeout: 10}
          - {id: hw1.mlp.xor_params.solves_xor, function: xor_params, points: 1, visibility: hidden, timeout: 5}
"""


def write(tmp_path, text):
    path = tmp_path / "assignments.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path, text) -> ManifestError:
    with pytest.raises(ManifestError) as info:
        load_manifest(write(tmp_path, text))
    return info.value


def test_good_manifest_loads(tmp_path):
    manifest = load_manifest(write(tmp_path, GOOD))
    (a,) = manifest.assignments
    assert a.id == "hw1" and a.title_zh == "第一部分" and a.max_score == 3
    spec = manifest.checks[1]
    assert (spec.module, spec.function, spec.points, spec.visibility, spec.timeout) == (
        "mlp", "xor_params", 1, "hidden", 5)


@pytest.mark.parametrize("change,line,key,problem", [
    (("visibility: hidden, timeout: 5}", "visibility: hidden, timeout: 5, weight: 3}"), 11, "weight", "unknown key"),
    (("hw1.mlp.xor_params.solves_xor", "hw1.mlp.two_layer_forward.lecture_xor"), 11, "hw1.mlp.two_layer_forward.lecture_xor",
     "duplicate check id"),
    (("points: 1", "points: 0"), 11, "points", "must be positive"),
    (("points: 1", "points: -2"), 11, "points", "must be positive"),
    (("visibility: hidden", "visibility: secret"), 11, "visibility", "must be 'visible' or 'hidden'"),
    (("function: xor_params", "function: xor"), 11, "function", "not in mlp.functions"),
    (("id: hw1.mlp.xor_params.solves_xor", "id: hw2.mlp.xor_params.solves_xor"), 11, "hw2.mlp.xor_params",
     "a check id is"),
    (("    lecture_part: 1\n", ""), 3, "lecture_part", "missing required key"),
    (("schema: 1", "schema: 1\nschema: 1"), 2, "schema", "duplicate key"),
    (("schema: 1", "schema: 1\nlanguage: fr"), 2, "language", "must be one of zh, en"),
    (("schema: 1", "schema: 1\nlanguage: [zh]"), 2, "language", "expected a non-empty string"),
])
def test_errors_name_file_line_and_key(tmp_path, change, line, key, problem):
    err = error_of(tmp_path, GOOD.replace(*change, 1))
    text = str(err)
    assert "assignments.yaml" in text
    assert f"line {line}" in text, text
    assert key in text and problem in text, text


def test_language_is_the_courses_default_and_english_without_the_key(tmp_path):
    assert load_manifest(write(tmp_path, GOOD)).language == "en"
    assert load_manifest(write(tmp_path, GOOD.replace("schema: 1", "schema: 1\nlanguage: zh"))).language == "zh"


def test_invalid_yaml_names_the_line(tmp_path):
    err = error_of(tmp_path, GOOD.replace("modules:", "modules: [", 1))
    assert re.search(r"assignments\.yaml, line \d+: yaml", str(err)), str(err)


def test_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(ManifestError, match="cannot read it"):
        load_manifest(tmp_path / "nope.yaml")


def test_declared_but_not_implemented(tmp_path):
    manifest = load_manifest(write(tmp_path, GOOD))
    implemented = {"hw1.mlp.two_layer_forward.lecture_xor": "grader/checks/mlp.py:10"}
    with pytest.raises(ManifestError, match=r"line 11: hw1.mlp.xor_params.solves_xor: no check with this id"):
        validate_against_registry(manifest, implemented)


def test_implemented_but_not_declared(tmp_path):
    manifest = load_manifest(write(tmp_path, GOOD))
    implemented = {c.id: "x.py:1" for c in manifest.checks}
    implemented["hw1.mlp.xor_params.extra"] = "grader/checks/mlp.py:99"
    with pytest.raises(ManifestError, match=r"hw1.mlp.xor_params.extra: implemented at grader/checks/mlp.py:99"):
        validate_against_registry(manifest, implemented)


def test_shipped_manifest_matches_the_registry():
    from helpers import course

    assert course().manifest.checks  # load_course validates both directions
