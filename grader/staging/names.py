"""Near-miss names: files left out of a submission whose names say which module they were meant to be."""
from __future__ import annotations

import difflib
import re

# Copies and drafts people make of a file: "mlp (1)", "mlp copy", "mlp - Copy (2)", "mlp_final", "hw1_mlp".
_COPY_MARK = re.compile(r"(\s*-\s*copy|\s+copy|[_\s-]*\(\d+\)|[_\s-]+\d+)$", re.IGNORECASE)
_DRAFT_WORD = re.compile(r"[_\s.-]+(solutions?|final|finished|done|answers?|submission|submit|mine|new|old|v\d+|backup|"
                         r"bak|orig|updated|fixed|working|complete|completed|copy|ok)$", re.IGNORECASE)
_PREFIX = re.compile(r"^(hw\d+|my|[a-z]*\d{4,}|student)[_\s.-]+", re.IGNORECASE)
_EXTRA_SUFFIX = re.compile(r"(\.py)?(\.txt|\.bak|\.orig|\.old|~|\.pyc|\.py)$", re.IGNORECASE)


def near_misses(dropped: list[str], modules: list[str], present: set[str]) -> list[dict[str, str]]:
    """Files left out whose names say which missing module they were meant to be ("did you mean mlp.py?").

    Case (MLP.py), copies (mlp (1).py, mlp copy.py), drafts (mlp_final.py, perceptron_solution.py),
    prefixes (hw1_mlp.py), other extensions (mlp.py.txt, mlp.txt) and one-letter typos (mpl.py).
    """
    missing = [m for m in modules if m not in present]
    found: list[dict[str, str]] = []
    for entry in dropped:
        if ": " in entry:  # "x.ipynb cell 3: ...", "mlp.py: not a regular file": reported as they are
            continue
        name = entry.replace("\\", "/").rsplit("/", 1)[-1]
        stem = _EXTRA_SUFFIX.sub("", name)
        if stem == name and "." in name:
            continue  # data.csv, notes.md: not a module under another name
        for _ in range(3):  # "hw1_mlp_final (2)": peel the marks off in any order
            stem = _PREFIX.sub("", _DRAFT_WORD.sub("", _COPY_MARK.sub("", stem.strip())))
        guess = stem.lower().replace("-", "_").replace(" ", "_")
        close = difflib.get_close_matches(guess, missing, n=1, cutoff=0.8)
        swapped = [m for m in missing if len(m) >= 3 and sorted(m) == sorted(guess)]  # mpl.py, percpetron.py
        match = guess if guess in missing else next(iter(close or swapped), None)
        if match:
            found.append({"file": name, "expected": f"{match}.py"})
    return found
