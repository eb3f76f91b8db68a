"""Build the nbgrader course of the peer benchmark (run with the benchmark venv's Python).

    python nbgrader_course.py COURSE_DIR TIMEOUT VARIANT_DIR...

Writes COURSE_DIR/nbgrader_config.py and source/peer/peer.ipynb: a solution cell for the five
exercises, a locked helper cell (the top of test_peer.py) and one autograder cell per test of
test_peer.py (1 point each). Runs ``nbgrader generate_assignment`` (not timed by the benchmark),
then writes submitted/<variant>/peer/peer.ipynb for each variant: the released notebook with the
variant's peer.py in the solution cell, as a student would hand it in. Every cell gets TIMEOUT
seconds (``ExecutePreprocessor.timeout``): the same budget as dlgrade's checks and pytest-timeout.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
MARKER = "# ---- TESTS"


def _meta(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
          points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _helpers_and_tests() -> tuple[str, list[tuple[str, str]]]:
    source = (HERE / "test_peer.py").read_text(encoding="utf-8")
    head, _, tests = source.partition(MARKER)
    tests = tests.split("\n", 1)[1]  # the rest of the marker line
    # The notebook defines the exercises in the solution cell: drop the import of peer.
    drop: set[int] = set()
    for node in ast.parse(head).body:
        if isinstance(node, ast.ImportFrom) and node.module == "peer":
            drop.update(range(node.lineno, node.end_lineno + 1))
    helpers = "\n".join(line for i, line in enumerate(head.splitlines(), start=1) if i not in drop).strip() + "\n"
    cells = []
    for node in ast.parse(tests).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            body = ast.get_source_segment(tests, node)
            cells.append((node.name, f"{body}\n\n\n{node.name}()\n"))
    return helpers, cells


def _solution(code: str) -> str:
    return f"### BEGIN SOLUTION\n{code.strip()}\n### END SOLUTION\n"


def build(course: Path, timeout: float, variants: list[Path]) -> None:
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'dlgrade-peer-bench'\n"
        f"c.ExecutePreprocessor.timeout = {timeout!r}\n"
        "c.Execute.interrupt_on_timeout = True\n", encoding="utf-8")
    helpers, tests = _helpers_and_tests()
    correct = (HERE / "submissions" / "correct" / "peer.py").read_text(encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell("# Five numpy exercises\nImplement the functions below."))
    nb.cells.append(nbformat.v4.new_code_cell(_solution(correct), metadata=_meta("exercises", solution=True)))
    nb.cells.append(nbformat.v4.new_code_cell(helpers, metadata=_meta("helpers", locked=True)))
    for name, code in tests:
        nb.cells.append(nbformat.v4.new_code_cell(code, metadata=_meta(name, grade=True, locked=True, points=1)))
    source = course / "source" / "peer"
    source.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, source / "peer.ipynb")
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "peer", "--force"],
                   cwd=course, check=True, capture_output=True)
    released = nbformat.read(course / "release" / "peer" / "peer.ipynb", as_version=4)
    for variant in variants:
        nb = nbformat.from_dict(released)
        code = (variant / "peer.py").read_text(encoding="utf-8")
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = code
        target = course / "submitted" / variant.name / "peer"
        target.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target / "peer.ipynb")
    print(len(tests))


if __name__ == "__main__":
    build(Path(sys.argv[1]).resolve(), float(sys.argv[2]), [Path(v) for v in sys.argv[3:]])
