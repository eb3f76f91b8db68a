"""Every hint follows docs/hints.md: it points to the lecture or the course's convention, in one or two
sentences, and never dictates the code to write."""
from __future__ import annotations

import re

import pytest

from grader.registry import all_checks

# Code that would dictate the fix: library calls and idioms, in-place updates, dtype arguments.
CODE = ("np.", ".detach", "dtype=", "keepdims", "+=", "astype", ".copy(", "zeros_like", "[:, None]", "e.g.",
        "//", "tril", "linspace", "np.where", "torch.")
SOURCES = ("Lecture part", "The contract", "the course contract", "The course's", "the contract")
HINTS = sorted(all_checks().items())


def _sentences(text: str) -> list[str]:
    # A sentence ends with . ! or ? before a capital letter or the end; decimals (0.5) and 'x.y' do not end one.
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip()) if s]


@pytest.mark.parametrize("check_id,definition", HINTS, ids=[c for c, _ in HINTS])
def test_hint_follows_the_rule(check_id, definition):
    hint = definition.hint
    assert hint, f"{check_id} has no hint"
    assert any(s in hint for s in SOURCES), f"{check_id}: name the lecture part or the course's convention: {hint}"
    assert len(_sentences(hint)) <= 2, f"{check_id}: at most two sentences: {hint}"
    assert len(hint) <= 330, f"{check_id}: {len(hint)} characters, keep it short: {hint}"
    found = [c for c in CODE if c in hint]
    assert not found, f"{check_id}: the hint dictates code ({found}): {hint}"


def test_the_rule_catches_a_dictating_hint():
    assert any(c in "Call .detach() on G(z) before the D step." for c in CODE)
    assert len(_sentences("Lecture part 1: a. Then b. And c.")) == 3
    assert len(_sentences("Lecture part 1: the slope is 0.5 at x = 0. It is 1 elsewhere.")) == 2
