"""Jupyter notebooks: one per assignment for the students, and notebooks handed in as submissions.

``write_notebooks`` turns the generated stubs into ``hw1.ipynb``, ...: a title, and per module its
context (English: the reference module's docstring; Chinese: notebook_context.yaml), its imports
and one cell per exercise. A cell that belongs to a module is tagged twice: in the cell metadata,
``{"dlgrade": {"module": "mlp", "function": "xor_params"}}``, and by its first line,
``# dlgrade: mlp.xor_params``, which survives editors that drop metadata. ``# dlgrade: skip``
marks cells that are never graded (scratch cells, the cell that runs the checks).

``stage_notebook`` is the judge's side. It reads the notebook as JSON and never executes it: each
module of the notebook's assignment becomes one file made of the untagged code cells and the
module's own cells, in notebook order, so a notebook grades exactly like the equivalent .py folder.
"""
from __future__ import annotations

import ast
import re
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import nbformat
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from .. import HOME
from ..errors import HarnessError, SubmissionError
from ..i18n import Text, tr
from ..manifest import Assignment, Manifest
from ..authoring.release import stub_source

SKIP = "skip"
CONTEXT_FILE = HOME / "authoring" / "notebook_context.yaml"
_TAG_LINE = re.compile(r"#\s*dlgrade:\s*(\S+)\s*$")
# IPython-only syntax. Looked for only in cells that are not valid Python as they stand, so a
# line like "    % b" continuing an expression, or "?" inside a string, is never touched.
_LINE_MAGIC = re.compile(r"\s*[%!?]")                # %time f(), !pip install x, ?obj
_HELP = re.compile(r"\s*[\w.*\[\]]+\s*\?{1,2}\s*$")  # obj? and obj??
_ASSIGNED_MAGIC = re.compile(r"\s*[\w.,\s]+=\s*[%!]")  # files = !ls, t = %timeit -o f()
_FUTURE = re.compile(r"from\s+__future__\s+import\s+")

_TITLE_HELP = """\
Write each function in its own cell and keep the cell's first line (for example
`# dlgrade: mlp.xor_params`): it tells the grader which function the cell holds.

- Cells starting with `# dlgrade: skip` are never graded: try things out there.
- Code cells without a `# dlgrade:` line go into *every* module of this assignment when graded:
  keep only imports and helpers in them.
- IPython magics (`%...`, `%%...`) and shell lines (`!...`) are ignored when grading.
- Save the notebook, then run the last cell: it runs the visible checks on the saved file.
  Hidden checks on random inputs run when you hand in.

每个函数写在它自己的单元格里，并保留单元格的第一行（例如 `# dlgrade: mlp.xor_params`），评分程序据此
判断该单元格属于哪个函数。以 `# dlgrade: skip` 开头的单元格不计分；没有 `# dlgrade:` 标记的代码单元格
会被放进本作业的每个模块，只在其中写 import 和辅助函数。保存笔记本后运行最后一个单元格，即可运行公开检查。"""

# In Jupyter a child process writes to the kernel's own stdout, not to the cell: capture and print.
_CHECK_CELL = """\
# dlgrade: skip
# Runs the visible checks on this notebook as last saved: save it first (Ctrl+S / Cmd+S).
import subprocess, sys
run = subprocess.run([sys.executable, "-m", "grader.cli", "check", "{notebook}", "--assignment", "{assignment}"],
                     capture_output=True, text=True)
print(run.stdout + run.stderr)"""


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


# --------------------------------------------------------------------------- generation
@lru_cache(maxsize=1)
def chinese_context() -> dict[str, str]:
    data = yaml.safe_load(CONTEXT_FILE.read_text(encoding="utf-8"))
    return {module: "".join(line.strip() for line in text.splitlines()) for module, text in data.items()}


def _split_stub(stub: str) -> tuple[str, list[tuple[str, str]]]:
    """(imports and constants, [(name, source)] of each public function and class) of a stub."""
    tree = ast.parse(stub)
    lines = stub.splitlines()
    head: list[str] = []
    defs: list[tuple[str, str]] = []
    for i, node in enumerate(tree.body):
        if i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the module docstring: shown as the English context instead
        start = min([d.lineno for d in getattr(node, "decorator_list", [])] + [node.lineno])
        text = "\n".join(lines[start - 1:node.end_lineno])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs.append((node.name, text))
        else:
            head.append(text)
    return "\n".join(head), defs


def _code(cell_id: str, source: str, tag: dict) -> nbformat.NotebookNode:
    return new_code_cell(source, id=cell_id, metadata={"dlgrade": tag})


def build_notebook(root: Path, assignment: Assignment) -> nbformat.NotebookNode:
    """The notebook of one assignment, from reference/ (via the stubs) and notebook_context.yaml."""
    context = chinese_context()
    cells = [new_markdown_cell(f"# {assignment.id}: {assignment.title_en}\n## {assignment.title_zh}\n\n"
                               + _TITLE_HELP, id="title")]
    for module in assignment.modules:
        m = module.name
        if m not in context:
            raise HarnessError(f"{CONTEXT_FILE.name} has no Chinese context for module {m}; add it")
        source = (root / "reference" / f"{m}.py").read_text(encoding="utf-8")
        english = ast.get_docstring(ast.parse(source)) or ""
        head, defs = _split_stub(stub_source(source, assignment.id, m))
        cells.append(new_markdown_cell(f"## {m}\n\n{english}\n\n{context[m].strip()}", id=f"{m}-context"))
        cells.append(_code(f"{m}-imports", f"# dlgrade: {m}\n{head}", {"module": m}))
        for name, text in defs:
            cells.append(_code(f"{m}-{name}", f"# dlgrade: {m}.{name}\n{text}", {"module": m, "function": name}))
        cells.append(_code(f"{m}-try", f"# dlgrade: {SKIP}\n# Try your {m} functions here: this cell is not graded.",
                           {SKIP: True}))
    cells.append(_code("check", _CHECK_CELL.format(notebook=f"{assignment.id}.ipynb", assignment=assignment.id),
                       {SKIP: True}))
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                "language_info": {"name": "python"}, "dlgrade": {"assignment": assignment.id}}
    return new_notebook(cells=cells, metadata=metadata)


def write_notebooks(root: Path, manifest: Manifest, out: Path,
                    assignment_ids: list[str] | None = None) -> list[Path]:
    """Write ``<assignment>.ipynb`` for each assignment into ``out``; return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for assignment in manifest.select(assignment_ids):
        path = out / f"{assignment.id}.ipynb"
        nbformat.write(build_notebook(root, assignment), str(path))
        paths.append(path)
    return paths


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
