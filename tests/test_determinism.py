"""Determinism and judge-side faults, through the real sandbox.

The same submission and seed always give the same results.json (apart from durations); a new
seed draws new hidden inputs but cannot change the score of a correct or a fully wrong
submission; a bug in a check is reported as an internal error on that check alone.
"""
from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader.pipeline import Course, grade
from grader.report import terminal_summary
from grader.results import Results
from helpers import ROOT, SEED, course

MODULES = ["mlp", "perceptron"]
RUNS = 10
BROKEN = "hw1.mlp.mlp_forward.depths"


def comparable(results: Results) -> dict:
    """results.json without what may differ between two gradings: the durations."""
    data = results.to_dict()
    for c in data["checks"]:
        c.pop("duration_s")
    return data


def grade_many(submission: Path, seeds: list[int], modules: list[str] | None = MODULES) -> list[Results]:
    # Two at a time: the judge mostly waits on its child, and concurrent gradings must not interfere.
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda s: grade(course(), submission, seed=s, modules=modules), seeds))


@pytest.fixture(scope="module")
def wrong_submission(tmp_path_factory) -> Path:
    """Every contract function of the graded modules answers 0.0: wrong everywhere."""
    folder = tmp_path_factory.mktemp("wrong")
    for module in MODULES:
        spec = next(m for _, m in course().manifest.modules if m.name == module)
        source = "".join(f"def {f}(*args, **kwargs):\n    return 0.0\n\n\n" for f in spec.functions)
        (folder / f"{module}.py").write_text(source, encoding="utf-8")
    return folder


@pytest.mark.parametrize("which", ["reference", "wrong"])
def test_same_seed_gives_identical_results(which, wrong_submission):
    submission = ROOT / "reference" if which == "reference" else wrong_submission
    runs = grade_many(submission, [SEED] * RUNS)
    first = comparable(runs[0])
    assert first["checks"] and first["sandbox"]["layers"]["separate_process"]
    for other in runs[1:]:
        assert comparable(other) == first
    expected = first["max_score"] if which == "reference" else 0.0
    assert first["score"] == expected


def test_the_whole_course_regrades_identically():
    """Ten regrades of every module, torch ones included (AlexNet's seeded weights, the GAN step
    against the judge's own, the attention masks): the same results.json, durations aside."""
    runs = grade_many(ROOT / "reference", [SEED] * RUNS, modules=None)
    first = comparable(runs[0])
    assert len({c["id"].split(".")[1] for c in first["checks"]}) == len(list(course().manifest.modules))
    assert first["score"] == first["max_score"], [(c["id"], c["message"][:300]) for c in first["checks"]
                                                  if c["score"] != c["max_score"]]
    for other in runs[1:]:
        assert comparable(other) == first


def test_new_seeds_keep_the_score_of_right_and_wrong(wrong_submission):
    seeds = [SEED + 1, 7, 123456]
    for results in grade_many(ROOT / "reference", seeds):
        assert results.score == results.max_score > 0, [c.id for c in results.checks if c.status != "passed"]
    for results in grade_many(wrong_submission, seeds):
        assert results.score == 0 and results.max_score > 0
        assert {c.status for c in results.checks} <= {"failed", "error"}


def test_a_new_seed_draws_new_hidden_inputs(tmp_path):
    """The seed reaches the hidden checks: their messages (which quote the seed and shapes) change."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "mlp.py").write_text("import numpy as np\n\ndef two_layer_forward(X, W, c, w, b):\n"
                                "    return np.zeros(len(X))\n", encoding="utf-8")
    a, b = (grade(course(), sub, seed=s, modules=["mlp"]) for s in (1, 2))
    hidden = "hw1.mlp.two_layer_forward.random"
    message = {r.seed: next(c.message for c in r.checks if c.id == hidden) for r in (a, b)}
    assert message[1] != message[2] and "seed 1" in message[1] and "seed 2" in message[2]


def broken_course() -> Course:
    """The course with one check replaced by a buggy one, in this object only."""
    real = course()

    def buggy_check(ctx):
        ctx.call([[1.0]], [], [])  # the student's code runs fine...
        return {}["a key the check author forgot"]  # ...then the check itself fails

    checks = dict(real.checks)
    checks[BROKEN] = dataclasses.replace(checks[BROKEN], func=buggy_check)
    return Course(real.root, real.manifest, checks)


def test_a_bug_in_a_check_is_an_internal_error_on_that_check_only():
    results = grade(broken_course(), ROOT / "reference", seed=SEED, modules=["mlp"])
    by_id = {c.id: c for c in results.checks}
    broken = by_id.pop(BROKEN)
    assert broken.status == "internal_error" and broken.score == 0
    assert "internal error in this check (KeyError; not your fault" in broken.message
    assert not broken.hint  # a hint would point the student at their code
    assert by_id and all(c.status == "passed" for c in by_id.values())
    assert results.score == results.max_score - broken.max_score
    assert "INTERNAL" in terminal_summary(results)


def test_a_bug_in_a_check_is_not_the_students_failure(wrong_submission):
    results = grade(broken_course(), wrong_submission, seed=SEED, modules=["mlp"])
    statuses = {c.id: c.status for c in results.checks}
    assert statuses.pop(BROKEN) == "internal_error"
    assert set(statuses.values()) <= {"failed", "error"}
