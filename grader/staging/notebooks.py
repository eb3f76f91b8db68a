"""Notebooks handed in as submissions: the judge's side (the students' notebooks are written by
authoring/notebooks.py, with the tags read here).

A cell that belongs to a module is tagged twice: in the cell metadata,
``{"dlgrade": {"module": "mlp", "function": "xor_params"}}``, and by its first line,
``# dlgrade: mlp.xor_params``, which survives editors that drop metadata. ``# dlgrade: skip``
marks cells that are never graded (scratch cells, the cell that runs the checks).

``stage_notebook`` reads the notebook as JSON and never executes it: each module of the
notebook's assignment becomes one file made of the untagged code cells and the module's own
cells, in notebook order, so a notebook grades exactly like the equivalent .py folder.
"""
from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Mapping
from pathlib import Path

import nbformat

from ..errors import SubmissionError
from ..i18n import Text, tr
from ..manifest import Assignment, Manifest

SKIP = "skip"
_TAG_LINE = re.compile(r"#\s*dlgrade:\s*(\S+)\s*$")
# IPython-only syntax. Looked for only in cells that are not valid Python as they stand, so a
# line like "    % b" continuing an expression, or "?" inside a string, is never touched.
_LINE_MAGIC = re.compile(r"\s*[%!?]")                # %time f(), !pip install x, ?obj
_HELP = re.compile(r"\s*[\w.*\[\]]+\s*\?{1,2}\s*$")  # obj? and obj??
_ASSIGNED_MAGIC = re.compile(r"\s*[\w.,\s]+=\s*[%!]")  # files = !ls, t = %timeit -o f()
_FUTURE = re.compile(r"from\s+__future__\s+import\s+")


# --------------------------------------------------------------------------- tags
def cell_tag(cell: Mapping) -> str | None:
    """'skip', 'module' or 'module.function': the first-line comment, else the cell metadata.

    The comment wins because it is what the student sees and edits.
    """
    source = cell.get("source") or ""
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    match = _TAG_LINE.match(first)
    if match:
        return match.group(1)
    meta = (cell.get("metadata") or {}).get("dlgrade")
    if isinstance(meta, dict):
        if meta.get("skip"):
            return SKIP
        module, function = meta.get("module"), meta.get("function")
        if isinstance(module, str) and module:
            return f"{module}.{function}" if isinstance(function, str) and function else module
    return None


# --------------------------------------------------------------------------- staging (judge side)
def read_notebook(path: Path) -> nbformat.NotebookNode:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # missing cell ids and the like: harmless here
            return nbformat.read(str(path), as_version=4)
    except Exception as exc:  # invalid JSON, unknown nbformat, unreadable file
        raise SubmissionError(tr("nb_unreadable", name=path.name, error=exc)) from None


def notebook_assignment(nb: nbformat.NotebookNode, path: Path, manifest: Manifest) -> Assignment:
    """From the metadata the generator writes, else the file name (hw1.ipynb), else the cell tags."""
    ids = {a.id: a for a in manifest.assignments}
    meta = nb.get("metadata", {}).get("dlgrade")
    claimed = meta.get("assignment") if isinstance(meta, dict) else None
    if claimed in ids:
        return ids[claimed]
    if path.stem in ids:
        return ids[path.stem]
    owner = {m.name: a.id for a, m in manifest.modules}
    tags = [cell_tag(c) for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    owners = {owner[t.split(".", 1)[0]] for t in tags if t and t.split(".", 1)[0] in owner}
    if len(owners) == 1:
        return ids[owners.pop()]
    raise SubmissionError(tr("nb_which_assignment", name=path.name, names=", ".join(f"{i}.ipynb" for i in ids)))


def python_source(source: str) -> tuple[str | None, int]:
    """A code cell as plain Python, and how many IPython-only lines were replaced by ``pass``.

    None for a cell magic (``%%timeit`` ...): the whole cell is ignored, as IPython would not run
    it as Python either. ``pass`` keeps an indented block valid where a line was dropped.
    """
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    if first.startswith("%%"):
        return None, 0
    if _parses(source):
        return source, 0
    out, ignored = [], 0
    for line in source.splitlines():
        if _LINE_MAGIC.match(line) or _HELP.match(line) or _ASSIGNED_MAGIC.match(line):
            indent = line[:len(line) - len(line.lstrip())]
            out.append(f"{indent}pass  # IPython line ignored by the grader")
            ignored += 1
        else:
            out.append(line)
    return "\n".join(out), ignored


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except Exception:  # SyntaxError, ValueError (NUL bytes), RecursionError (absurd nesting)
        return False
    return True


def defined_names(source: str) -> set[str] | None:
    """Names a module binds at top level; None if unknown (a syntax error or ``import *``).

    Walks the tree with a list, not recursion: a cell of a 600-term expression must not take the
    judge past Python's recursion limit."""
    try:
        tree = ast.parse(source)
    except Exception:  # SyntaxError, ValueError (NUL bytes), RecursionError, MemoryError
        return None
    names: set[str] = set()
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue  # its body binds local names only
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    return None
                names.add(alias.asname or alias.name.split(".")[0])
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        todo.extend(ast.iter_child_nodes(node))
    return names


def _module_text(blocks: list[str], notebook: str) -> str:
    # Cells are joined into one file, so `from __future__` imports must move to its top.
    futures: list[str] = []
    body: list[str] = []
    for line in "\n\n".join(blocks).splitlines():
        if _FUTURE.match(line):
            if line not in futures:
                futures.append(line)
        else:
            body.append(line)
    header = f"# Made by dlgrade from the code cells of {notebook}; '# ----' lines name each cell."
    return "\n".join([header, *futures, "", *body]) + "\n"


def stage_notebook(path: Path, manifest: Manifest, folder: Path, *,
                   taken: Mapping[str, str | Text] | None = None
                   ) -> tuple[set[str], list[str | Text], dict[str, dict[str, Text]]]:
    """Write the module files of one notebook into ``folder``.

    Returns (modules written, what was left out and why, notes): notes name, for each contract
    function no cell defines, the cell expected to hold it: {module: {function: "the cell ..."}}.
    Modules in ``taken`` (module -> where it already comes from) are not written.
    """
    path = Path(path)
    taken = taken or {}
    nb = read_notebook(path)
    assignment = notebook_assignment(nb, path, manifest)
    modules = {m.name: m for m in assignment.modules}
    blocks: dict[str, list[str]] = {name: [] for name in modules}
    dropped: list[str | Text] = []
    ignored_lines = 0
    for index, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        tag = cell_tag(cell)
        if tag == SKIP:
            continue
        module = tag.split(".", 1)[0] if tag else None
        if module is not None and module not in modules:
            dropped.append(tr("nb_wrong_module", name=path.name, index=index, tag=tag, module=module,
                              assignment=assignment.id))
            continue
        text, ignored = python_source(cell.get("source") or "")
        if text is None:
            dropped.append(tr("nb_cell_magic", name=path.name, index=index))
            continue
        ignored_lines += ignored
        block = f"# ---- {path.name}, cell {index} ({f'# dlgrade: {tag}' if tag else 'untagged'})\n{text}"
        for name in [module] if module else modules:
            blocks[name].append(block)
    if ignored_lines:
        dropped.append(tr("nb_magics", name=path.name, n=ignored_lines))

    present: set[str] = set()
    notes: dict[str, dict[str, Text]] = {}
    for name, spec in modules.items():
        if name in taken:
            dropped.append(tr("nb_module_taken", name=path.name, module=name, origin=taken[name]))
            continue
        text = _module_text(blocks[name], path.name)
        # A forged notebook may hold lone surrogates: they become '?', the file stays valid UTF-8.
        (Path(folder) / f"{name}.py").write_bytes(text.encode("utf-8", "replace"))
        present.add(name)
        defined = defined_names(text)
        if defined is not None:
            missing = {f: tr("tagged_cell", tag=f"{name}.{f}") for f in spec.functions if f not in defined}
            if missing:
                notes[name] = missing
    return present, dropped, notes
