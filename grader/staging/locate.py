"""Where a submission's modules are: at its top, or one folder down (a repository, a zipped folder).

Part of staging (pipeline.stage_submission): only reads names, and for the tie-break, parses the
candidate files with ``ast`` without running anything.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

from ..manifest import Manifest

WRAPPER_DEPTH = 2  # submission/<repo>/ (a folder around everything) is unwrapped at most this often


def locate_modules(source: Path, manifest: Manifest) -> tuple[Path, list[str]]:
    """The folder to stage from, and notes saying where the modules were found when not at the top.

    Students hand in repositories and zipped folders: the modules may sit one folder down
    (``<repo>/exercises/mlp.py``), and the whole may be wrapped in one folder (``<repo>/``). When
    the top holds no expected module or notebook, folders that only wrap one folder are entered,
    then the subfolders are searched. Exactly one holding modules or notebooks is graded, with a
    note. When several do (a repository made from the student bundle has exercises/ and
    notebooks/), those holding only untouched stubs are set aside; if more than one is still
    left, none is graded and the note names them.
    """
    names = {f"{m.name}.py" for _, m in manifest.modules}
    if _holds_modules(source, names):
        return source, []
    top = source
    for _ in range(WRAPPER_DEPTH):
        subs = _subfolders(top)
        if len(subs) != 1 or any(not p.is_dir() for p in _visible(top)):
            break
        top = subs[0]
        if _holds_modules(top, names):
            return top, [_found_note(source, top)]
    candidates = [sub for sub in _subfolders(top) if _holds_modules(sub, names)]
    if len(candidates) > 1:
        worked = [c for c in candidates if not _only_stubs(c, names)]
        candidates = worked or candidates
    if len(candidates) == 1:
        return candidates[0], [_found_note(source, candidates[0])]
    if candidates:
        listed = ", ".join(f"{_relative(source, c)}/" for c in candidates)
        return source, [f"modules or notebooks found in several folders ({listed}); none was graded: keep "
                        "your work in one folder, or at the top of the submission / 在多个文件夹中找到了模块或"
                        f"笔记本（{listed}），均未评分：请把作业放在同一个文件夹里，或放在提交内容的最上层"]
    return source, []


def _visible(folder: Path) -> list[Path]:
    try:
        return [p for p in sorted(folder.iterdir()) if not p.name.startswith((".", "__MACOSX", "__pycache__"))]
    except OSError:
        return []


def _subfolders(folder: Path) -> list[Path]:
    # Links are never followed: a submission's link could point anywhere on the judge's machine.
    return [p for p in _visible(folder) if p.is_dir() and not p.is_symlink()]


def _holds_modules(folder: Path, names: set[str]) -> bool:
    return any(p.name in names or p.suffix == ".ipynb" for p in _visible(folder) if not p.is_dir())


def _relative(source: Path, folder: Path) -> str:
    return folder.relative_to(source).as_posix()


def _found_note(source: Path, folder: Path) -> str:
    where = _relative(source, folder)
    return f"modules found in {where}/; graded from there / 在 {where}/ 中找到了模块，按该文件夹评分"


def _only_stubs(folder: Path, names: set[str]) -> bool:
    """True when every function in the folder's modules and notebooks is a stub as handed out
    (docstring, then ``raise NotImplementedError``): the folder holds no work of the student's."""
    sources = []
    for p in _visible(folder):
        try:
            if p.name in names and p.is_file():
                sources.append(p.read_text(encoding="utf-8", errors="replace"))
            elif p.suffix == ".ipynb" and p.is_file():
                cells = json.loads(p.read_text(encoding="utf-8", errors="replace")).get("cells", [])
                sources += [_cell_text(c.get("source", "")) for c in cells
                            if isinstance(c, dict) and c.get("cell_type") == "code"]
        except (OSError, ValueError, AttributeError):
            return False  # unreadable: not provably untouched
    functions = []
    for text in sources:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError):
            return False  # magics or a half-written line: someone typed here
        functions += [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return bool(functions) and all(_is_stub(f) for f in functions)


def _is_stub(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    exc = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"




def _cell_text(source: object) -> str:
    return "".join(map(str, source)) if isinstance(source, list) else str(source)
