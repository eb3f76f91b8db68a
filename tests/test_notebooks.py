"""Notebooks: one per assignment for students; a notebook handed in grades like the .py modules.

The tests use hw1 and whatever modules it has; every module and function is taken from the manifest.
"""
from __future__ import annotations

import ast
import copy
import re
import shutil

import nbformat
import pytest

from grader.errors import SubmissionError
from grader.runners.inprocess import InProcessRunner
from grader.authoring.notebooks import write_notebooks
from grader.staging.notebooks import cell_tag, python_source, stage_notebook
from grader.pipeline import grade
from helpers import ROOT, SEED, course

ASSIGNMENT = "hw1"


def hw1():
    return course().manifest.assignment(ASSIGNMENT)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("notebooks")
    write_notebooks(ROOT, course().manifest, out)
    return out


def stub_notebook(generated) -> nbformat.NotebookNode:
    return nbformat.read(str(generated / f"{ASSIGNMENT}.ipynb"), as_version=4)


def reference_parts(module: str) -> tuple[str, dict[str, str]]:
    """(private helpers and constants, {public function or class: source}) of reference/<module>.py."""
    source = (ROOT / "reference" / f"{module}.py").read_text(encoding="utf-8")
    lines = source.splitlines()
    private, public = [], {}
    for node in ast.parse(source).body:
        start = min([d.lineno for d in getattr(node, "decorator_list", [])] + [node.lineno])
        text = "\n".join(lines[start - 1:node.end_lineno])
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            if node.name.startswith("_"):
                private.append(text)
            else:
                public[node.name] = text
        elif isinstance(node, ast.Assign) and all(
                isinstance(t, ast.Name) and t.id.startswith("_") for t in node.targets):
            private.append(text)  # the stub keeps every other statement (imports, public constants)
    return "\n\n\n".join(private), public


def filled(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with the reference in it: each tagged cell gets its function's reference source,
    each module's imports cell the reference's private helpers and constants."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        tag = cell.metadata.get("dlgrade", {})
        if "function" in tag:
            _, public = reference_parts(tag["module"])
            cell.source = f"# dlgrade: {tag['module']}.{tag['function']}\n{public[tag['function']]}"
        elif "module" in tag:
            private, _ = reference_parts(tag["module"])
            cell.source += "\n\n\n" + private
    return nb


def save(nb: nbformat.NotebookNode, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def grade_fast(path, **kwargs):
    """In-process runner: trusted reference code, for the tests that are about staging only."""
    return grade(course(), path, assignment_ids=[ASSIGNMENT], seed=SEED, runner_factory=InProcessRunner, **kwargs)


def function_cell(nb, module, function):
    return next(c for c in nb.cells if c.metadata.get("dlgrade") == {"module": module, "function": function})


def a_function():
    """mlp.xor_params when hw1 has it (the brief's example), else the first function of hw1."""
    modules = {m.name: m for m in hw1().modules}
    if "mlp" in modules and "xor_params" in modules["mlp"].functions:
        return "mlp", "xor_params"
    m = next(m for m in hw1().modules if m.checks)
    return m.name, m.checks[0].function


# --------------------------------------------------------------------------- generation
def test_one_notebook_per_assignment(generated):
    assert sorted(p.name for p in generated.iterdir()) == sorted(f"{a.id}.ipynb" for a in course().manifest.assignments)


def test_notebook_layout_title_context_imports_and_tagged_stub_cells(generated):
    from grader.authoring.notebooks import chinese_context

    for assignment in course().manifest.assignments:
        nb = nbformat.read(str(generated / f"{assignment.id}.ipynb"), as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["dlgrade"] == {"assignment": assignment.id}
        title = nb.cells[0]
        assert title.cell_type == "markdown"
        assert all(s in title.source for s in (assignment.id, assignment.title_en, assignment.title_zh))
        for module in assignment.modules:
            m = module.name
            docstring = ast.get_docstring(ast.parse((ROOT / "reference" / f"{m}.py").read_text(encoding="utf-8")))
            context = [c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith(f"## {m}\n")]
            assert len(context) == 1 and docstring in context[0].source
            assert chinese_context()[m] in context[0].source
            imports = [c for c in nb.cells if c.metadata.get("dlgrade") == {"module": m}]
            assert len(imports) == 1 and "import" in imports[0].source
            stub = (ROOT / "exercises" / f"{m}.py").read_text(encoding="utf-8")
            for function in module.functions:
                cell = function_cell(nb, m, function)
                first, _, body = cell.source.partition("\n")
                assert first == f"# dlgrade: {m}.{function}"
                assert body in stub, f"the cell of {m}.{function} is not the stub's source"
                assert re.search(rf"^(def|class) {function}\b", body, re.M) and "NotImplementedError" in body
        check_cell = nb.cells[-1]
        assert cell_tag(check_cell) == "skip"
        assert (f'subprocess.run([sys.executable, "-m", "grader.cli", "check", "{assignment.id}.ipynb", '
                f'"--assignment", "{assignment.id}"]') in check_cell.source


def test_generation_is_deterministic(generated, tmp_path):
    write_notebooks(ROOT, course().manifest, tmp_path, [ASSIGNMENT])
    assert (tmp_path / f"{ASSIGNMENT}.ipynb").read_bytes() == (generated / f"{ASSIGNMENT}.ipynb").read_bytes()


# --------------------------------------------------------------------------- grading (real sandbox)
def test_reference_filled_notebook_gets_full_marks_in_the_sandbox(generated, tmp_path):
    path = save(filled(stub_notebook(generated)), tmp_path / f"{ASSIGNMENT}.ipynb")
    results = grade(course(), path, assignment_ids=[ASSIGNMENT], seed=SEED)
    failed = {c.id: c.message for c in results.checks if c.status != "passed"}
    assert not failed and results.score == results.max_score == hw1().max_score > 0
    assert results.staging["modules"] == sorted(m.name for m in hw1().modules)


def test_unchanged_notebook_scores_zero_every_check_not_attempted(generated):
    results = grade(course(), generated / f"{ASSIGNMENT}.ipynb", assignment_ids=[ASSIGNMENT], seed=SEED)
    assert results.score == 0 and len(results.checks) == len(hw1().checks)
    assert {c.status for c in results.checks} == {"not_attempted"}


# --------------------------------------------------------------------------- staging rules
def test_broken_cell_grades_like_the_equivalent_py_submission(generated, tmp_path):
    module, function = a_function()
    nb = filled(stub_notebook(generated))
    function_cell(nb, module, function).source += "\n\ndef broken(:\n    pass\n"
    from_notebook = grade_fast(save(nb, tmp_path / "nb" / f"{ASSIGNMENT}.ipynb"))

    folder = tmp_path / "py"
    folder.mkdir()
    for m in hw1().modules:
        shutil.copyfile(ROOT / "reference" / f"{m.name}.py", folder / f"{m.name}.py")
    with open(folder / f"{module}.py", "a", encoding="utf-8") as f:
        f.write("\n\ndef broken(:\n    pass\n")
    from_py = grade_fast(folder)

    statuses = {c.id: c.status for c in from_notebook.checks}
    assert statuses == {c.id: c.status for c in from_py.checks}
    assert {s for i, s in statuses.items() if i.split(".")[1] == module} == {"error"}
    assert {s for i, s in statuses.items() if i.split(".")[1] != module} <= {"passed"}
    assert "SyntaxError" in next(c.message for c in from_notebook.checks if c.module == module)


def test_magics_and_shell_lines_are_ignored(generated, tmp_path):
    module, function = a_function()
    nb = filled(stub_notebook(generated))
    cell = function_cell(nb, module, function)
    cell.source += "\n%time x = 1\n!echo hello\nfiles = !ls\nnp.mean?\n?np.sum\n"
    nb.cells.insert(1, nbformat.v4.new_code_cell("%matplotlib inline\n!pip install nothing-at-all\n"))
    nb.cells.insert(2, nbformat.v4.new_code_cell("%%timeit\nraise SystemExit('a cell magic must not run')\n"))
    results = grade_fast(save(nb, tmp_path / f"{ASSIGNMENT}.ipynb"))
    assert results.score == results.max_score > 0, {c.id: c.message for c in results.checks if c.status != "passed"}
    dropped = " | ".join(results.staging["dropped"])
    assert "cell magic" in dropped and "7 IPython magic or shell line(s) ignored" in dropped


def test_python_that_looks_like_ipython_is_kept():
    source = 'x = (7\n     % 3)\ns = """Why?\n!not a shell line\n"""\n'
    assert python_source(source) == (source, 0)
    assert python_source("%%bash\necho hi\n") == (None, 0)
    text, ignored = python_source("for i in range(2):\n    !echo $i\n")
    assert ignored == 1 and ast.parse(text)  # the block stays valid


def test_missing_cell_is_not_attempted_and_the_message_names_the_cell(generated, tmp_path):
    module, function = a_function()
    nb = filled(stub_notebook(generated))
    nb.cells.remove(function_cell(nb, module, function))
    results = grade_fast(save(nb, tmp_path / f"{ASSIGNMENT}.ipynb"))
    mine = [c for c in results.checks if c.module == module and c.function == function]
    assert mine and {c.status for c in mine} == {"not_attempted"}
    assert mine[0].message == (f"{module}.{function} is not defined in the notebook: the cell tagged "
                               f"'# dlgrade: {module}.{function}' was expected to hold it")
    others = [c for c in results.checks if c not in mine]
    assert others and all(c.status == "passed" for c in others)


def test_comment_tags_suffice_when_an_editor_drops_metadata(generated, tmp_path):
    # Also no notebook metadata and a file name that is not an assignment id: the tags tell.
    nb = filled(stub_notebook(generated))
    nb.metadata.pop("dlgrade")
    for cell in nb.cells:
        cell.metadata = {}
    results = grade_fast(save(nb, tmp_path / "alice.ipynb"))
    assert results.score == results.max_score > 0


def test_untagged_cells_go_into_every_module_in_notebook_order(generated, tmp_path):
    nb = stub_notebook(generated)
    nb.cells.insert(1, nbformat.v4.new_code_cell("SHARED = 41"))
    nb.cells.append(nbformat.v4.new_code_cell("LATER = SHARED + 1"))
    nb.cells.append(nbformat.v4.new_code_cell("# dlgrade: skip\nNEVER = 0"))
    path = save(nb, tmp_path / f"{ASSIGNMENT}.ipynb")
    folder = tmp_path / "staged"
    folder.mkdir()
    present, dropped, notes = stage_notebook(path, course().manifest, folder)
    assert present == {m.name for m in hw1().modules} and not dropped
    for m in hw1().modules:
        text = (folder / f"{m.name}.py").read_text(encoding="utf-8")
        first_def = re.search(r"^(def|class) ", text, re.M).start()
        assert text.index("SHARED = 41") < first_def < text.index("LATER = SHARED + 1")
        assert "NEVER" not in text and "subprocess" not in text  # skip cells, the check cell
    assert notes == {}  # every stub function is defined, if not implemented


def test_a_py_module_wins_over_the_notebook(generated, tmp_path):
    module = hw1().modules[0].name
    shutil.copyfile(generated / f"{ASSIGNMENT}.ipynb", tmp_path / f"{ASSIGNMENT}.ipynb")
    shutil.copyfile(ROOT / "reference" / f"{module}.py", tmp_path / f"{module}.py")
    results = grade_fast(tmp_path)
    statuses = {c.module: set() for c in results.checks}
    for c in results.checks:
        statuses[c.module].add(c.status)
    assert statuses.pop(module) == {"passed"}
    assert all(s == {"not_attempted"} for s in statuses.values())
    assert any(f"its {module} cells are ignored; {module} comes from {module}.py" in d
               for d in results.staging["dropped"])


def test_a_notebook_of_no_known_assignment_is_refused_clearly(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    path = save(nb, tmp_path / "scratch.ipynb")
    with pytest.raises(SubmissionError, match="cannot tell which assignment"):
        grade_fast(path)
    (tmp_path / "sub").mkdir()
    shutil.move(path, tmp_path / "sub" / "scratch.ipynb")
    results = grade_fast(tmp_path / "sub")  # inside a folder: reported, the rest is graded
    assert any("scratch.ipynb: cannot tell which assignment" in d for d in results.staging["dropped"])


# --------------------------------------------------------------------------- as a student runs it
def test_executing_the_filled_notebook_runs_its_visible_checks(generated, tmp_path, monkeypatch):
    pytest.importorskip("ipykernel", reason="ipykernel is not installed (pip install -e '.[test]')")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install -e '.[test]')")
    # A folder outside any course, as a student's Downloads: the check cell finds the course through the
    # installed grader (PYTHONPATH stands in for `pip install -e .` of this checkout).
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    path = save(filled(stub_notebook(generated)), tmp_path / "Downloads" / f"{ASSIGNMENT}.ipynb")
    assert not any((folder / "assignments.yaml").exists() for folder in path.parents)
    nb = nbformat.read(str(path), as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    output = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    visible = sum(c.points for c in hw1().checks if c.visibility == "visible")
    assert f"{visible:g} / {visible:g}" in output and course().manifest.language == "zh" and "总分" in output, output
