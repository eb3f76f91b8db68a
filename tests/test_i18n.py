"""Chinese first, English equal: every student-facing text exists in both languages.

``english_sentences`` finds English prose left in a Chinese text: code (backticks, quotes, names with
dots, underscores, brackets or digits), ids and numbers are taken out first, so that what remains in
ASCII letters is prose.
"""
from __future__ import annotations

import ast
import re
import textwrap

import pytest

from grader.compare import as_array, expect_array, expect_float
from grader.errors import CheckFailed
from grader.i18n import CATALOG, Text, tr
from grader.runners.inprocess import InProcessRunner
from grader.pipeline import grade
from grader.report import render, terminal_summary
from helpers import ROOT, course

STOPWORDS = set("""a an the of to in on at by for from with without into than as is are was were be been not no
and or but if then so your you it its this that these those each every all any one got expected did does do
should must can cannot could would will has have had returned return when where which while after before
only also more less same other""".split())
_CODE = re.compile(r"`[^`]*`|'[^'\n]*'|\"[^\"\n]*\"|\S*[._()\[\]{}=<>@*/+\\|#$%^~0-9]\S*")
_WORD_RUN = re.compile(r"[A-Za-z][A-Za-z'-]*(?:[ ,;:]+[A-Za-z][A-Za-z'-]*)+")


def english_sentences(text: str) -> list[str]:
    """Runs of English words (two or more with a function word, or four or more) outside code.

    Single letters are variables (x @ W + b); a traceback's ``File "mlp.py", line 3, in f`` lines are
    Python's own format, kept as Python prints them, with the student's source line under each; and
    an exception's message is Python's or the student's words.
    """
    found = []
    after_file = False
    for line in text.splitlines():
        # A traceback's File line, and the line of the student's source it quotes below it.
        if line.lstrip().startswith('File "') or after_file:
            after_file = line.lstrip().startswith('File "')
            continue
        line = re.sub(r"(抛出了 \w+：).*", r"\1", line)  # the exception's own message: Python's or the student's
        for run in _WORD_RUN.findall(_CODE.sub(" ", line)):
            words = [w.strip(",;:").lower() for w in re.split(r"[ ,;:]+", run) if len(w.strip(",;:")) > 1]
            if len(words) >= 4 or (len(words) >= 2 and STOPWORDS & set(words)):
                found.append(run)
    return found


def test_the_detector_finds_prose_and_spares_code():
    assert english_sentences("mlp_forward：did not return within 10 s")
    assert english_sentences("提示：the ReLU comes after adding c")
    assert not english_sentences("应为 numpy.ndarray，实际得到 NoneType None；情形：seed 0, X (4, 2) float64")
    assert not english_sentences("hw1.mlp.two_layer_forward.lecture_xor `x @ W + b` 'AND' torch.nn.RNNCell NaN inf")


def test_every_catalog_text_has_both_languages():
    fields = re.compile(r"\{[^}]*\}")
    for key, (zh, en) in CATALOG.items():
        assert en.strip(), key
        assert set(fields.findall(zh)) == set(fields.findall(en)), f"{key}: the two languages fill other fields"
        prose = fields.sub("", en)
        if re.search(r"[A-Za-z]{2}", prose) and key not in ("desc_value",):
            assert re.search(r"[\u4e00-\u9fff]", zh), f"{key}: the Chinese text is not Chinese: {zh!r}"
        assert not english_sentences(zh.format(**{f[1:-1]: "" for f in fields.findall(zh)})), (key, zh)


def _zh_texts(results) -> list[tuple[str, str]]:
    """(where, text) of every message and hint in Chinese, and the Chinese renderings."""
    texts = [(c.id, c.text("message", "zh")) for c in results.checks]
    texts += [(f"{c.id} hint", c.text("hint", "zh")) for c in results.checks if c.hint]
    texts += [("terminal", terminal_summary(results, lang="zh")), ("report.md", render("report.md.j2", results, "zh"))]
    return texts


def _english_in(texts: list[tuple[str, str]]) -> list[str]:
    return [f"{where}: {run}" for where, text in texts for run in english_sentences(text)]


def test_generic_messages_and_reports_have_no_english_in_chinese(tmp_path):
    # Stubs (not attempted), a missing module, a syntax error and a torch import error: what the
    # pipeline, context.py and the reports say on their own, without a check's words.
    # Python's own words stay (a SyntaxError's "invalid syntax"); the student's exception text is theirs.
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mlp.py").write_text("def two_layer_forward(X, W, c, w, b):\n    return = X\n")
    (tmp_path / "sub" / "perceptron.py").write_text("raise RuntimeError('导入时')\n")
    (tmp_path / "sub" / "MLP (1).py").write_text("")
    texts = []
    for folder in (ROOT / "exercises", tmp_path / "sub"):
        results = grade(course(), folder, seed=0, runner_factory=InProcessRunner, assignment_ids=["hw1"])
        for c in results.checks:  # a hint is the check's own text: translated with the checks
            c.hint = c.hint_zh = ""
        texts += _zh_texts(results)
    assert not _english_in(texts), "\n".join(_english_in(texts))
    problem = tr("expected_shape", want=(3,), got=(2,))
    with pytest.raises(CheckFailed) as caught:
        expect_array(_ndarray((2,)), _ndarray((3,)), Text("检查", "check"), Text("情形", "case"), rtol=0, atol=0)
    assert caught.value.text.zh == f"检查：{problem.zh}\n  情形：情形" and not english_sentences(caught.value.text.zh)
    with pytest.raises(CheckFailed) as caught:
        expect_float(2.0, 1.0, Text("检查", "check"), "", rtol=0, atol=0)
    assert not english_sentences(caught.value.text.zh), caught.value.text.zh
    with pytest.raises(CheckFailed) as caught:
        as_array(None, Text("检查", "check"))
    assert not english_sentences(caught.value.text.zh), caught.value.text.zh


def _ndarray(shape):
    import numpy as np

    return np.zeros(shape)


def none_submission(folder):
    """Every contract function returns None and every contract class does nothing: every check fails."""
    folder.mkdir()
    for _, module in course().manifest.modules:
        reference = ast.parse((ROOT / "reference" / f"{module.name}.py").read_text(encoding="utf-8"))
        classes = {n.name for n in reference.body if isinstance(n, ast.ClassDef)}
        lines = []
        for name in module.functions:
            if name in classes:
                lines.append(f"class {name}:\n    def __init__(self, *args, **kwargs):\n        pass\n")
            else:
                lines.append(f"def {name}(*args, **kwargs):\n    return None\n")
        (folder / f"{module.name}.py").write_text("\n\n".join(lines))
    return folder


def test_every_checks_failure_path_in_chinese_has_no_english_sentence(tmp_path):
    results = grade(course(), none_submission(tmp_path / "none"), seed=0, runner_factory=InProcessRunner)
    assert {c.status for c in results.checks} <= {"failed", "error"}, {c.id: c.status for c in results.checks
                                                                       if c.status not in ("failed", "error")}
    found = _english_in(_zh_texts(results))
    assert not found, f"{len(found)} English sentences, e.g.\n" + "\n".join(found[:40])


def test_every_hint_has_a_translation():
    untranslated = [d.id for d in course().checks.values() if d.hint_text.en and not d.hint_text.translated]
    assert not untranslated, f"{len(untranslated)} hints are English only, e.g. {untranslated[:10]}"


def test_a_hint_in_both_languages_counts_as_translated():
    from grader.registry import check

    def probe(ctx):
        pass

    both = check("hw9.m.f.both", hint={"zh": "第四讲：先加偏置，再取 tanh。", "en": "Lecture part 4: tanh comes last."})
    both(probe)
    english = check("hw9.m.f.english", hint="Lecture part 4: tanh comes last.")
    english(probe)
    from grader.registry import _REGISTRY

    try:
        assert _REGISTRY["hw9.m.f.both"].hint_text.translated and _REGISTRY["hw9.m.f.both"].hint == (
            "Lecture part 4: tanh comes last.")
        assert not _REGISTRY["hw9.m.f.english"].hint_text.translated
    finally:
        _REGISTRY.pop("hw9.m.f.both")
        _REGISTRY.pop("hw9.m.f.english")
