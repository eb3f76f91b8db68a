"""Text from a submission, made safe to show: one definition of what a control character is."""
from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and C1 controls: enough to move a cursor or clear a screen.
# Bidi controls too (U+200E/F marks, U+202A-E embeddings and overrides, U+2066-9 isolates, U+061C):
# they reorder what follows them on screen, so a name could show one student and be another
# ("Trojan Source", CVE-2021-42574).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

# OWASP, "CSV Injection": a spreadsheet treats a cell starting with one of these as a formula
# (tab and CR too, as some programs skip them before looking). Prefixing a single quote makes it text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def strip_control(text: object, replacement: str = "") -> str:
    return CONTROL.sub(replacement, str(text))


def csv_text(text: object) -> str:
    """A text cell that a spreadsheet shows as text, never runs (numbers we write are not text cells)."""
    value = str(text)
    return "'" + value if value.startswith(FORMULA_START) else value
