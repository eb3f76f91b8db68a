"""Build the Otter-Grader assignment of the peer benchmark (run with the benchmark venv's Python).

    python otter_course.py COURSE_DIR VARIANT_DIR...

Writes COURSE_DIR/tests/<test>.py, one test file in Otter's exception-based format per test of
test_peer.py (1 point each; the top of test_peer.py, the helpers, is repeated in every file as Otter's
test files are self-contained), runs ``otter generate`` for COURSE_DIR/autograder.zip (not timed by the
benchmark), then writes submissions/<variant>/peer.py for each variant: the variant's peer.py, a
Python script submission as Otter grades it. ``otter run -a autograder.zip submissions/<variant>/peer.py``
then grades one variant locally, without Docker.

Otter has no per-test (or per-cell) timeout in ``otter run``: only ``otter grade --timeout``, which
limits a whole Docker container. bench/run.py guards each ``otter run`` with a limit of its own.
"""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MARKER = "# ---- TESTS"


def _free_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _helpers_and_tests() -> tuple[str, list[tuple[str, str]]]:
    """The helpers (test_peer.py above the marker, without ``from peer import``) and, per test, its
    source with the exercises it calls as parameters: Otter passes a test case function the values
    of its parameters' names from the submission's global environment."""
    source = (HERE / "test_peer.py").read_text(encoding="utf-8")
    head, _, tests = source.partition(MARKER)
    tests = tests.split("\n", 1)[1]  # the rest of the marker line
    exercises: set[str] = set()
    drop: set[int] = set()
    for node in ast.parse(head).body:
        if isinstance(node, ast.ImportFrom) and node.module == "peer":
            exercises.update(alias.asname or alias.name for alias in node.names)
            drop.update(range(node.lineno, node.end_lineno + 1))
    helpers = "\n".join(line for i, line in enumerate(head.splitlines(), start=1) if i not in drop).strip() + "\n"
    # A helper that used an exercise as a global would get None here, silently: refuse to build.
    leaked = _free_names(ast.parse(helpers)) & exercises
    if leaked:
        raise SystemExit(f"test_peer.py: helpers above the TESTS marker use {sorted(leaked)}; "
                         "pass the exercise to the helper as an argument instead")
    cases = []
    for node in ast.parse(tests).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            body = ast.get_source_segment(tests, node)
            signature = f"def {node.name}():"
            if not body.startswith(signature):
                raise SystemExit(f"test_peer.py: {node.name} must take no arguments")
            params = ", ".join(sorted(_free_names(node) & exercises))
            cases.append((node.name, body.replace(signature, f"def {node.name}({params}):", 1)))
    return helpers, cases


def _test_file(name: str, helpers: str, case: str) -> str:
    return ("OK_FORMAT = False\n\n"
            "from otter.test_files import test_case\n\n"
            f"name = {name!r}\npoints = 1\n\n"
            f"{helpers}\n\n"
            f"@test_case(points=1)\n{case}\n")


def build(course: Path, variants: list[Path]) -> int:
    course.mkdir(parents=True, exist_ok=True)
    tests_dir = course / "tests"
    shutil.rmtree(tests_dir, ignore_errors=True)
    tests_dir.mkdir()
    helpers, cases = _helpers_and_tests()
    for name, case in cases:
        (tests_dir / f"{name}.py").write_text(_test_file(name, helpers, case), encoding="utf-8")
    # No config, requirements or environment file: everything is installed where `otter run` runs.
    subprocess.run([sys.executable, "-m", "otter", "generate", "--tests-dir", "tests", "--output-path",
                    "autograder.zip", "--no-config", "--no-requirements", "--no-environment"],
                   cwd=course, check=True, capture_output=True)
    for variant in variants:
        target = course / "submissions" / variant.name
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(variant / "peer.py", target / "peer.py")
    return len(cases)


if __name__ == "__main__":
    print(build(Path(sys.argv[1]).resolve(), [Path(v) for v in sys.argv[2:]]))
