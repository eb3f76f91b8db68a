"""Jupyter notebooks for the students: one per assignment, ``dlgrade notebooks``.

``write_notebooks`` turns the generated stubs into ``hw1.ipynb``, ...: a title, and per module its
context (English: the reference module's docstring; Chinese: notebook_context.yaml), its imports
and one cell per exercise, each tagged as staging/notebooks.py reads it when the notebook comes back.
"""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

import nbformat
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from ..errors import HarnessError
from ..manifest import Assignment, Manifest
from ..staging.notebooks import SKIP
from .release import stub_source

CONTEXT_FILE = Path(__file__).with_name("notebook_context.yaml")

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
