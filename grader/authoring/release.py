"""Generate the student stubs in exercises/ from reference/, the single source.

The solution region of a reference module is the body of every public function and method:
a stub keeps the module docstring, imports, public constants and classes, each public
signature and its teaching docstring, and replaces the body with one line,
``raise NotImplementedError("hw1 mlp.two_layer_forward")``. Private helpers (``_name``) are
solution code and are dropped, as are ``__repr__``/``__str__``.
"""
from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

from ..errors import HarnessError
from ..manifest import Manifest
from .solution import docstring_end, is_private, private_constant

_DROPPED_DUNDERS = {"__repr__", "__str__"}
# What the last release wrote (file name -> sha256), so that the next one can tell a stub it wrote
# and the reference has since changed (safe to replace) from one a person edited (kept unless --force).
RECORD_NAME = ".dlgrade-release.json"


def _function_stub(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef, label: str) -> list[str]:
    start = min([d.lineno for d in node.decorator_list] + [node.lineno]) - 1
    doc_end = docstring_end(node)
    head_end = doc_end if doc_end is not None else node.body[0].lineno - 1
    indent = " " * node.body[0].col_offset
    return lines[start:head_end] + [f'{indent}raise NotImplementedError("{label}")']


def stub_source(source: str, assignment: str, module: str) -> str:
    """The stub module for one reference module's source text."""
    tree = ast.parse(source)
    lines = source.splitlines()
    out: list[str] = []
    previous: ast.stmt | None = None
    for node in tree.body:
        # A blank line between statements of different kinds, as a person would write it.
        if previous is not None and type(previous) is not type(node) and out and out[-1] != "":
            out.append("")
        previous = node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if is_private(node.name):
                continue
            out += ["", ""] + _function_stub(lines, node, f"{assignment} {module}.{node.name}")
        elif isinstance(node, ast.ClassDef):
            if is_private(node.name):
                continue
            out += ["", ""] + _class_stub(lines, node, assignment, module)
        elif private_constant(node):
            continue
        else:
            out += lines[node.lineno - 1:node.end_lineno]
    text = "\n".join(out).strip("\n") + "\n"
    return text


def _class_stub(lines: list[str], node: ast.ClassDef, assignment: str, module: str) -> list[str]:
    start = min([d.lineno for d in node.decorator_list] + [node.lineno]) - 1
    doc_end = docstring_end(node)
    out = lines[start:(doc_end if doc_end is not None else node.body[0].lineno - 1)]
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if is_private(item.name) or item.name in _DROPPED_DUNDERS:
                continue
            out += [""] + _function_stub(lines, item, f"{assignment} {module}.{node.name}.{item.name}")
        elif doc_end is not None and item is node.body[0]:
            continue
        elif isinstance(item, (ast.Assign, ast.AnnAssign)):
            out += [""] + lines[item.lineno - 1:item.end_lineno]
    return out


def release(root: Path, manifest: Manifest, out: Path | None = None, *, force: bool = False,
            record: bool = True) -> dict[str, str]:
    """Stub text for every module of the manifest; written to ``out`` (default exercises/).

    A stub that differs both from the new text and from what the last release wrote was edited by
    hand: nothing is written then, unless ``force``. ``record=False`` (the student bundle, always
    written afresh) leaves no record file.
    """
    out = root / "exercises" if out is None else out
    stubs = {}
    for assignment, module in manifest.modules:
        source = (root / "reference" / f"{module.name}.py").read_text(encoding="utf-8")
        stubs[module.name] = stub_source(source, assignment.id, module.name)
    written = _read_record(out)
    edited = [f"{name}.py" for name, text in stubs.items() if _edited(out / f"{name}.py", text, written)]
    if edited and not force:
        raise HarnessError(
            f"{out}: {', '.join(edited)} changed since `dlgrade release` wrote {'it' if len(edited) == 1 else 'them'} "
            "(the text differs from the generated stub); the stubs are generated from reference/, so make the "
            "change there and run release again, or pass --force to overwrite the edits")
    out.mkdir(parents=True, exist_ok=True)
    for name, text in stubs.items():
        (out / f"{name}.py").write_text(text, encoding="utf-8")
    if not record:
        return stubs
    written.update({f"{name}.py": _sha(text) for name, text in stubs.items()})
    (out / RECORD_NAME).write_text(json.dumps(dict(sorted(written.items())), indent=1) + "\n", encoding="utf-8")
    return stubs


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_record(out: Path) -> dict[str, str]:
    try:
        data = json.loads((out / RECORD_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def _edited(path: Path, new_text: str, record: dict[str, str]) -> bool:
    """True when ``path`` holds text that neither this release nor the last one wrote."""
    try:
        current = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    except (OSError, UnicodeDecodeError):
        return True
    return current != new_text and record.get(path.name) != _sha(current)
