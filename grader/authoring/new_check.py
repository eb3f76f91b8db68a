"""``dlgrade new-check ID``: the three pieces of a new check, each written where it belongs.

- assignments.yaml: the check's entry (points, visibility, timeout) after the function's other
  checks, and for a new function its name in the module's ``functions`` list. The file is edited as
  text at the positions the YAML parser reports, so its comments and layout stay as they are.
- grader/checks/<module>.py: a skeleton after the function's other checks. Until someone writes
  its body it fails with "not written yet" and awards nothing; ``TODO(new-check)`` marks every part
  still to write (tests/test_new_check.py keeps the marker out of the course).
- tests/test_<module>.py: a placeholder in the ``WRONG`` table ({function: {flaw: source}}, graded by
  tests/test_wrong_implementations.py). It raises NotImplementedError, which the checks report as
  not attempted, so that test fails until a real mistake replaces it.

Everything is computed and verified first (the YAML reloads, both Python files compile); only then
is anything written. A refusal writes nothing.
"""
from __future__ import annotations

import ast
import difflib
import keyword
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import HarnessError
from ..manifest import load_manifest
from ..results import write_text_atomic

MANIFEST = "assignments.yaml"
MARKER = "TODO(new-check)"
ID_SHAPE = "<assignment>.<module>.<function>.<name>"
DEFAULT_POINTS = 1.0
DEFAULT_TIMEOUT = 10.0
# The names a skeleton uses, and where a check module imports them from.
SKELETON_IMPORTS = {"check": "registry", "Context": "context", "Text": "i18n", "CheckFailed": "errors"}


@dataclass
class Plan:
    check_id: str
    assignment: str
    module: str
    function: str
    name: str
    new_function: bool
    lecture_part: int
    points: float
    visibility: str
    timeout: float
    edits: dict[Path, tuple[str, str]] = field(default_factory=dict)  # path -> (before, after)
    notes: list[str] = field(default_factory=list)


def refuse(problem: str) -> HarnessError:
    return HarnessError(f"new-check: {problem}; nothing was written")


# --------------------------------------------------------------------------- the id

def parse_id(check_id: str) -> tuple[str, str, str, str]:
    parts = check_id.split(".")
    bad = [p for p in parts if not p.isidentifier() or keyword.iskeyword(p)]
    if len(parts) != 4 or bad:
        why = (f"{len(parts)} part(s)" if len(parts) != 4 else
               f"{', '.join(repr(p) for p in bad)} is not a Python name")
        raise refuse(f"{check_id!r} is not a check id ({why}): a check id in {MANIFEST} is {ID_SHAPE}, "
                     "e.g. hw1.mlp.mlp_forward.another_case, each part a Python name")
    a, m, f, n = parts
    return a, m, f, n


# --------------------------------------------------------------------------- assignments.yaml

def _value(mapping: Any, key: str) -> Any:
    """The value node of ``key`` in a mapping node (yaml's node classes are untyped)."""
    return next((v for k, v in mapping.value if k.value == key), None)


def _line_end(text: str, index: int) -> int:
    """The index of the newline ending the line that holds ``index`` (or the end of the text)."""
    end = text.find("\n", index)
    return len(text) if end < 0 else end


def _mode(values: list[float], default: float) -> float:
    return Counter(values).most_common(1)[0][0] if values else default


def _yaml_scalar(value: float | str) -> str:
    return f"{value:g}" if isinstance(value, float) else value


def plan_manifest(plan: Plan, text: str, path: Path) -> str:
    """assignments.yaml with the new entry (and the new function), as text."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    module_node = None
    for a_node in _value(root, "assignments").value:
        if _value(a_node, "id").value == plan.assignment:
            module_node = next(m for m in _value(a_node, "modules").value if _value(m, "name").value == plan.module)
    assert module_node is not None  # load_manifest found both
    checks = _value(module_node, "checks")
    if checks.flow_style or not checks.value:
        raise refuse(f"{path}, line {checks.start_mark.line + 1}: {plan.module}.checks is an inline list; write it "
                     "as one '- {id: ...}' line per check, then run new-check again")
    own = [c for c in checks.value if _value(c, "function").value == plan.function]
    anchor = (own or checks.value)[-1]
    fields: dict[str, float | str] = {"id": plan.check_id, "function": plan.function, "points": plan.points,
              "visibility": plan.visibility, "timeout": plan.timeout}
    keys = [k.value for k, _ in anchor.value] + [k for k in fields if k not in {k.value for k, _ in anchor.value}]
    line_start = text.rfind("\n", 0, anchor.start_mark.index) + 1
    prefix = text[line_start:anchor.start_mark.index]  # "          - "
    if anchor.flow_style:
        entry = prefix + "{" + ", ".join(f"{k}: {_yaml_scalar(fields[k])}" for k in keys) + "}"
        after = anchor.end_mark.index
    else:
        indent = " " * len(prefix)
        entry = "\n".join((prefix if i == 0 else indent) + f"{k}: {_yaml_scalar(fields[k])}"
                          for i, k in enumerate(keys))
        after = anchor.value[-1][1].end_mark.index
    cut = _line_end(text, after)
    edits = [(cut, "\n" + entry)]
    if plan.new_function:
        functions = _value(module_node, "functions")
        if functions.flow_style:
            close = functions.end_mark.index - 1  # the ']'
            edits.append((close, (", " if functions.value else "") + plan.function))
        else:
            last = functions.value[-1]
            start = text.rfind("\n", 0, last.start_mark.index) + 1
            edits.append((_line_end(text, last.end_mark.index),
                          "\n" + text[start:last.start_mark.index] + plan.function))
    for index, insert in sorted(edits, reverse=True):
        text = text[:index] + insert + text[index:]
    return text


def verify_manifest(plan: Plan, text: str) -> None:
    """The edited file loads, and declares the new check as planned (else it is a bug of this tool)."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / MANIFEST).write_text(text, encoding="utf-8")
        manifest = load_manifest(Path(tmp) / MANIFEST)
    spec = next((c for c in manifest.checks if c.id == plan.check_id), None)
    if spec is None or (spec.function, spec.points, spec.visibility, spec.timeout) != (
            plan.function, plan.points, plan.visibility, plan.timeout):
        raise HarnessError(f"new-check: internal error, the edited {MANIFEST} does not declare {plan.check_id} "
                           "as planned; nothing was written (please report it)")


# --------------------------------------------------------------------------- grader/checks/<module>.py

def _check_id_of(node: ast.stmt) -> str | None:
    if not isinstance(node, ast.FunctionDef):
        return None
    for d in node.decorator_list:
        if (isinstance(d, ast.Call) and isinstance(d.func, ast.Name) and d.func.id == "check" and d.args
                and isinstance(d.args[0], ast.Constant) and isinstance(d.args[0].value, str)):
            return d.args[0].value
    return None


def implemented_ids(source: str) -> set[str]:
    return {i for i in map(_check_id_of, ast.parse(source).body) if i}


def _bound_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _add_imports(source: str, tree: ast.Module, missing: list[str]) -> str:
    """``from ..module import name`` for each missing name, merged into a one-line import of the same
    module where there is one, else a new line in the sorted block of relative imports."""
    lines = source.splitlines(keepends=True)
    relative = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.level == 2]
    for name in missing:
        module = SKELETON_IMPORTS[name]
        same = next((n for n in relative if n.module == module and n.lineno == n.end_lineno
                     and all(a.asname is None for a in n.names)), None)
        if same is not None:
            # isort's order by type (ruff's default): CONSTANTS, Classes, then the rest.
            names = sorted({a.name for a in same.names} | {name},
                           key=lambda s: (0 if s.isupper() else 1 if s[:1].isupper() else 2, s))
            lines[same.lineno - 1] = f"from ..{module} import {', '.join(names)}\n"
            same.names = [ast.alias(n) for n in names]
            continue
        later = next((n for n in relative if (n.module or "") > module), None)
        anchors = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        at = later.lineno - 1 if later else ((relative[-1].end_lineno if relative else
                                              anchors[-1].end_lineno if anchors else 0) or 0)
        lines.insert(at, f"from ..{module} import {name}\n")
        source = "".join(lines)
        tree = ast.parse(source)
        relative = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.level == 2]
        lines = source.splitlines(keepends=True)
    return "".join(lines)


def _signature(root: Path, plan: Plan) -> str | None:
    """``mlp_forward(X, weights, biases, activation='relu')`` from reference/<module>.py, if it is there."""
    path = root / "reference" / f"{plan.module}.py"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == plan.function:
            args = node.args
            for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
                if a is not None:
                    a.annotation = None
            return f"{node.name}({ast.unparse(args)})"
        if isinstance(node, ast.ClassDef) and node.name == plan.function:
            return f"class {node.name}"
    return None


def skeleton(plan: Plan, signature: str | None, torch: bool, have: set[str]) -> str:
    example = [
        "    #     X = ctx.rng.normal(size=(4, 3))",
        f"    #     got = ctx.call(X)  # {signature or plan.function + '(...)'}",
        f'    #     expect_array(got, _oracle(X), "{plan.function}", ctx.case(X=X), rtol=RTOL64, atol=ATOL64,',
        "    #                  dtype=np.float64)",
    ]
    if torch or (signature or "").startswith("class "):
        example = [f"    #     {plan.function} is a class or uses torch: run it in the child through a driver",
                   "    #     (grader/child/drivers/, typed payloads in grader/child/payloads.py), "
                   "got = ctx.drive(...)",
                   ] + example[2:]
    needs = [f"from ..{m} import {', '.join(n)}" for m, n in (("compare", ["expect_array"]),
                                                           ("tolerances", ["ATOL64", "RTOL64"]))
             if not set(n) <= have] + (["import numpy as np"] if "np" not in have else [])
    return "\n".join([
        f"# {MARKER}: a skeleton written by `dlgrade new-check`; it fails and awards no points until written.",
        f'@check("{plan.check_id}", hint=Text(',
        f'    zh="{MARKER} 讲义第 {plan.lecture_part} 部分（讲义中的术语）：一两句话讲清概念，不给出改法"',
        '       "（见 docs/hints.md）。",',
        f'    en="{MARKER} Lecture part {plan.lecture_part} (讲义中的术语): one or two sentences on the idea, "',
        '       "never the fix (see docs/hints.md)."))',
        f"def {plan.function}_{plan.name}(ctx: Context) -> None:",
        f"    # {MARKER}: draw this case's inputs from ctx.rng, call the student's function, and compare",
        "    # with the judge's own value in float64 (an @oracle function of this module, or torch);",
        "    # tolerances from grader/tolerances.py (a check that needs its own says why), e.g.",
        *example,
        *([f"    #     (needs {'; '.join(needs)})"] if needs else []),
        "    raise CheckFailed(Text(",
        f'        zh="检查 {plan.check_id} 尚未写完（`dlgrade new-check` 生成的骨架）："',
        f'           "请在 grader/checks/{plan.module}.py 中写出它的内容。",',
        f'        en="check {plan.check_id} is not written yet (a `dlgrade new-check` skeleton): "',
        f'           "write its body in grader/checks/{plan.module}.py."))',
        "",
    ])


def plan_checks(plan: Plan, source: str, path: Path, signature: str | None, torch: bool) -> str:
    tree = ast.parse(source)
    py_name = f"{plan.function}_{plan.name}"
    if py_name in _bound_names(tree):
        raise refuse(f"{path} already defines {py_name}, the name this check's function would get; "
                     f"pick another check name than {plan.name!r}")
    prefix = f"{plan.assignment}.{plan.module}.{plan.function}."
    own = [n for n in tree.body if (_check_id_of(n) or "").startswith(prefix)]
    have = _bound_names(tree)
    missing = [n for n in SKELETON_IMPORTS if n not in have]
    body = skeleton(plan, signature, torch, have)
    lines = source.splitlines(keepends=True)
    if own:
        at = own[-1].end_lineno or len(lines)
        lines.insert(at, "\n\n" + body)
    else:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.append("\n\n" + body)
    source = "".join(lines)
    return _add_imports(source, ast.parse(source), missing) if missing else source


# --------------------------------------------------------------------------- tests/test_<module>.py

def _wrong_table(tree: ast.Module) -> ast.Dict | None:
    for node in tree.body:
        target: ast.expr | None = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        elif isinstance(node, ast.AnnAssign):
            target = node.target
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id == "WRONG" and isinstance(value, ast.Dict):
            return value
    return None


def _end(node: ast.expr) -> tuple[int, int]:
    assert node.end_lineno is not None and node.end_col_offset is not None  # set by ast.parse
    return node.end_lineno, node.end_col_offset


def _key_column(table: ast.Dict, default: int) -> int:
    return next((k.col_offset for k in table.keys if k is not None), default)


def _offset(lines: list[str], lineno: int, col: int) -> int:
    """Character offset of an ast position (1-based line, utf-8 byte column)."""
    line = lines[lineno - 1]
    return sum(len(s) for s in lines[:lineno - 1]) + len(line.encode("utf-8")[:col].decode("utf-8"))


def _insert_entry(source: str, table: ast.Dict, entry: list[str]) -> str | None:
    """``entry`` (lines, already indented) as the last item of ``table``, whose '}' must start its line."""
    lines = source.splitlines(keepends=True)
    end_line, end_col = _end(table)
    if lines[end_line - 1].encode("utf-8")[:end_col - 1].strip():
        return None
    close = _offset(lines, end_line, 0)
    if table.values:
        end = _offset(lines, *_end(table.values[-1]))
        between = source[end:close]
        if not between.lstrip().startswith(","):
            source = source[:end] + "," + source[end:]
            close += 1
    return source[:close] + "".join(line + "\n" for line in entry) + source[close:]


def plan_wrong(plan: Plan, source: str, path: Path, module_functions: tuple[str, ...]) -> str | None:
    tree = ast.parse(source)
    table = _wrong_table(tree)
    by_hand = f"add a wrong implementation of {plan.function} to its WRONG table by hand"
    if table is None:
        plan.notes.append(f"{path} has no WRONG table: {by_hand}")
        return None
    keys = [k.value if isinstance(k, ast.Constant) else None for k in table.keys]
    nested = all(isinstance(v, ast.Dict) for v in table.values)
    target, indent = table, _key_column(table, 4)
    if nested and plan.function in keys:
        inner = table.values[keys.index(plan.function)]
        assert isinstance(inner, ast.Dict)
        flaws = {k.value for k in inner.keys if isinstance(k, ast.Constant)}
        target, indent = inner, _key_column(inner, indent + 4)
    elif nested:
        flaws = set()
    elif set(module_functions) == {plan.function}:  # {flaw: source} for a module of one function
        flaws = set(keys)
    else:
        plan.notes.append(f"{path}: its WRONG table is {{flaw: source}}, for a module of one function; "
                          f"{by_hand}")
        return None
    flaw = f"todo_{plan.name}"
    while flaw in flaws:
        flaw += "_"
    pad = " " * indent
    code = " " * (indent + 4)
    entry = [
        f"{pad}# {MARKER}: a plausible mistake that {plan.check_id} catches (the checks of",
        f"{pad}# {plan.function} fail or error on it); until then this placeholder fails the test.",
        f'{pad}"{flaw}": """',
        f"{code}def {plan.function}(*args, **kwargs):",
        f'{code}    raise NotImplementedError("{MARKER}: a wrong {plan.function}")',
        f'{pad}""",',
    ]
    if target is table and nested:
        entry = [f'{pad}"{plan.function}": {{'] + ["    " + line for line in entry] + [f"{pad}}},"]
    new = _insert_entry(source, target, entry)
    if new is None:
        plan.notes.append(f"{path}: the WRONG table's closing brace shares a line; {by_hand}")
    return new


# --------------------------------------------------------------------------- the command

def plan_new_check(root: Path, check_id: str, *, points: float | None = None, visibility: str | None = None,
                   timeout: float | None = None, new_function: bool = False) -> Plan:
    a_id, m_name, function, name = parse_id(check_id)
    manifest_path = root / MANIFEST
    manifest = load_manifest(manifest_path)  # a malformed file: its own error, with the line
    assignment = next((a for a in manifest.assignments if a.id == a_id), None)
    if assignment is None:
        raise refuse(f"no assignment {a_id!r} in {manifest_path} (assignments: "
                     f"{', '.join(a.id for a in manifest.assignments)}); add the assignment there first")
    module = next((m for m in assignment.modules if m.name == m_name), None)
    if module is None:
        elsewhere = [a.id for a, m in manifest.modules if m.name == m_name]
        hint = (f"it belongs to {elsewhere[0]}: {elsewhere[0]}.{m_name}.{function}.{name}" if elsewhere else
                "add the module (name, functions, checks) under the assignment first")
        raise refuse(f"no module {m_name!r} in assignment {a_id} of {manifest_path} (modules: "
                     f"{', '.join(m.name for m in assignment.modules)}); {hint}")
    checks_path = root / "grader" / "checks" / f"{m_name}.py"
    try:
        checks_source = checks_path.read_text(encoding="utf-8")
    except OSError:
        raise refuse(f"{checks_path} is missing: the checks of {m_name} (declared in {manifest_path}) "
                     "live there") from None
    if check_id in {c.id for c in manifest.checks}:
        spec = next(c for c in manifest.checks if c.id == check_id)
        raise refuse(f"{check_id} is already declared in {manifest_path}, line {spec.line}; choose another name "
                     f"for the new check")
    if check_id in implemented_ids(checks_source):
        raise refuse(f"{check_id} is already implemented in {checks_path} (but not declared in {manifest_path}); "
                     "declare it there by hand, or choose another name")
    is_new = function not in module.functions
    if is_new and not new_function:
        close = difflib.get_close_matches(function, module.functions, n=1)
        suggestion = f"did you mean {close[0]}? " if close else ""
        raise refuse(f"{function!r} is not a function of {m_name} in {manifest_path} (functions: "
                     f"{', '.join(module.functions)}); {suggestion}pass --new-function to add it to the course")
    if new_function and not is_new:
        raise refuse(f"{function} is already a function of {m_name} in {manifest_path}; drop --new-function")
    siblings = [c for c in module.checks if c.function == function]
    plain = [c.timeout for c in module.checks if c.function not in module.torch_functions]
    plan = Plan(
        check_id, a_id, m_name, function, name, is_new, assignment.lecture_part,
        points=float(points) if points is not None else DEFAULT_POINTS,
        # A function's first check is visible (students can check it themselves), the others hidden.
        visibility=visibility or ("hidden" if any(c.visibility == "visible" for c in siblings) else "visible"),
        timeout=float(timeout) if timeout is not None else _mode([c.timeout for c in siblings],
                                                                 _mode(plain, DEFAULT_TIMEOUT)))
    if plan.points <= 0 or plan.timeout <= 0:
        raise refuse(f"--points and --timeout must be positive (got {plan.points:g}, {plan.timeout:g})")

    manifest_text = manifest_path.read_text(encoding="utf-8")
    new_manifest = plan_manifest(plan, manifest_text, manifest_path)
    verify_manifest(plan, new_manifest)
    plan.edits[manifest_path] = (manifest_text, new_manifest)

    new_checks = plan_checks(plan, checks_source, checks_path, _signature(root, plan),
                             function in module.torch_functions)
    compile(new_checks, str(checks_path), "exec")
    assert check_id in implemented_ids(new_checks)
    plan.edits[checks_path] = (checks_source, new_checks)

    tests_path = root / "tests" / f"test_{m_name}.py"
    if tests_path.is_file():
        tests_source = tests_path.read_text(encoding="utf-8")
        new_tests = plan_wrong(plan, tests_source, tests_path, module.functions + ((function,) if is_new else ()))
        if new_tests is not None:
            compile(new_tests, str(tests_path), "exec")
            plan.edits[tests_path] = (tests_source, new_tests)
    else:
        plan.notes.append(f"no {tests_path}: write its WRONG table ({{function: {{flaw: source}}}}) by hand")
    return plan


def write(plan: Plan) -> None:
    """Each file replaced whole (a temporary file renamed over it): never half written. The texts
    were read with universal newlines; a file that had Windows line ends keeps them."""
    for path, (_, after) in plan.edits.items():
        write_text_atomic(path, after, newline="\r\n" if b"\r\n" in path.read_bytes() else "\n")


def diff(plan: Plan, root: Path) -> str:
    out: list[str] = []
    for path, (before, after) in plan.edits.items():
        shown = os.path.relpath(path, root)
        out += difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                    f"a/{shown}", f"b/{shown}")
    return "".join(out)


def next_steps(plan: Plan, root: Path) -> list[str]:
    m, f = plan.module, plan.function
    steps = []
    if plan.new_function:
        steps += [f"write {f} in reference/{m}.py (signature and teaching docstring: the stub keeps both)",
                  f"run `dlgrade release` to regenerate exercises/{m}.py with its stub",
                  f"describe {f} in docs/course-api.md, section {m}"]
    wrong = (f"replace the WRONG placeholder in tests/test_{m}.py by a real mistake the check catches"
             if root / "tests" / f"test_{m}.py" in plan.edits else
             f"add a wrong implementation of {f} that the check catches to tests/test_{m}.py's WRONG table")
    steps += [f"write the check in grader/checks/{m}.py (search {MARKER}): inputs, oracle, tolerance, hint",
              wrong,
              (f"run `dlgrade validate`, `python -m pytest -q tests/test_wrong_implementations.py "
               f"tests/test_{m}.py -k {m}` and `dlgrade mutants --module {m}`"),
              "see docs/adding-an-exercise.md"]
    return steps


def run(root: Path, check_id: str, *, points: float | None = None, visibility: str | None = None,
        timeout: float | None = None, new_function: bool = False, dry_run: bool = False,
        say: Callable[..., None] = print) -> int:
    plan = plan_new_check(root, check_id, points=points, visibility=visibility, timeout=timeout,
                          new_function=new_function)
    if dry_run:
        say(diff(plan, root), end="")
        say(f"(dry run: nothing written; {len(plan.edits)} file(s) would change)")
    else:
        write(plan)
        say(f"new check {plan.check_id}: {plan.points:g} point(s), {plan.visibility}, timeout {plan.timeout:g} s"
            + (f"; {plan.function} added to {plan.module}.functions" if plan.new_function else ""))
        for path in plan.edits:
            say(f"  wrote {os.path.relpath(path, root)}")
    for note in plan.notes:
        say(f"  note: {note}")
    say("next:")
    for i, step in enumerate(next_steps(plan, root), 1):
        say(f"  {i}. {step}")
    return 0

