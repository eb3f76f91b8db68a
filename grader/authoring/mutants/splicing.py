"""Writing a mutant: a candidate change spliced into the module's text at its byte offsets, kept only
when the result parses to exactly the intended tree; every mutant gets a stable id."""
from __future__ import annotations

import ast
import copy
from pathlib import Path
from typing import Any

from .operators import (
    PASS,
    Mutant,
    Prepend,
    Scope,
    Unit,
    find_units,
    node_candidates,
    parameter_candidates,
    unit_roots,
    walk_unit,
)


def where(node: ast.AST) -> tuple[int, int, int, int]:
    """(line, column, end line, end column) of a node: every mutation target is an expression, a
    statement, a keyword or an argument, which all carry their position."""
    located: Any = node
    return located.lineno, located.col_offset, located.end_lineno, located.end_col_offset


class _Source:
    """A module's text with byte offsets per line (AST columns count UTF-8 bytes)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text.encode("utf-8")
        self.starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def span(self, node: ast.AST) -> tuple[int, int]:
        line, column, end_line, end_column = where(node)
        return self.starts[line - 1] + column, self.starts[end_line - 1] + end_column

    def splice(self, node: ast.AST, text: str) -> str:
        start, end = self.span(node)
        return (self.data[:start] + text.encode("utf-8") + self.data[end:]).decode("utf-8")


def _find_unit(tree: ast.Module, unit: Unit) -> ast.AST | None:
    for node in tree.body:
        if unit.kind == "constant" and isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == unit.name for t in targets):
                return node
        elif unit.kind == "method" and isinstance(node, ast.ClassDef) and node.name == unit.name.split(".")[0]:
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == unit.name.split(".")[1]:
                    return item
        elif unit.kind in ("function", "helper") and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                and node.name == unit.name:
            return node
    return None


def _expected(unit_node: ast.AST, target: ast.AST, replacement: Any) -> str:
    """ast.dump of the unit with ``target`` replaced, built on a copy."""
    twin = copy.deepcopy(unit_node)
    pairs = dict(zip(map(id, ast.walk(unit_node)), ast.walk(twin)))
    twin_target = pairs[id(target)]
    if isinstance(replacement, Prepend):
        for parent in ast.walk(twin):
            for _, value in ast.iter_fields(parent):
                if isinstance(value, list) and any(item is twin_target for item in value):
                    value.insert(next(i for i, item in enumerate(value) if item is twin_target),
                                 copy.deepcopy(replacement.stmt))
                    return ast.dump(twin)
        raise AssertionError("mutation target not found in its unit")
    new = ast.Pass() if replacement is PASS else replacement
    for parent in ast.walk(twin):
        for name, value in ast.iter_fields(parent):
            if value is twin_target:
                setattr(parent, name, new)
                return ast.dump(twin)
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is twin_target:
                        value[i] = new
                        return ast.dump(twin)
    raise AssertionError("mutation target not found in its unit")


def _apply(source: _Source, unit: Unit, target: ast.AST, replacement: Any) -> str | None:
    """The mutated module text, or None when the change cannot be written as intended."""
    want = _expected(unit.node, target, replacement)
    if isinstance(replacement, Prepend):
        start, _ = source.span(target)
        inserted = f"{ast.unparse(replacement.stmt)}\n{' ' * where(target)[1]}".encode()
        mutated = (source.data[:start] + inserted + source.data[start:]).decode("utf-8")
        got = _find_unit(ast.parse(mutated), unit)
        return mutated if got is not None and ast.dump(got) == want else None
    if replacement is PASS:
        options = ["pass"]
    else:
        # Bare text first: the dump comparison below rejects it where precedence needs parentheses
        # (the source's own parentheses around the target stay in place).
        text = ast.unparse(replacement)
        options = [text, f"({text})"]
    for text in options:
        mutated = source.splice(target, text)
        try:
            tree = ast.parse(mutated)
            compile(tree, "<mutant>", "exec")
        except (SyntaxError, ValueError):
            continue
        got = _find_unit(tree, unit)
        if got is not None and ast.dump(got) == want:
            return mutated
    return None


def _lines(text: str, first: int, last: int) -> str:
    lines = text.splitlines()[first - 1:last]
    indent = min((len(s) - len(s.lstrip()) for s in lines if s.strip()), default=0)
    return "\n".join(s[indent:] for s in lines)


def _describe(operator: str, target: ast.AST, replacement: Any) -> str:
    if isinstance(replacement, Prepend):
        return f"{ast.unparse(replacement.stmt)} first"
    before = ast.unparse(target)
    after = "pass" if replacement is PASS else ast.unparse(replacement)
    if len(before) > 60 or len(after) > 60:
        return operator
    return f"{before} -> {after}"


def generate(module: str, text: str) -> list[Mutant]:
    """Every mutant of one module's source, in a deterministic order with stable ids."""
    tree = ast.parse(text)
    source = _Source(text)
    mutants: list[Mutant] = []
    seen: set[str] = {text}
    counters: dict[tuple[str, int, str], int] = {}
    has_torch = any(isinstance(n, (ast.Import, ast.ImportFrom)) and any(
        (a.name.split(".")[0] if isinstance(n, ast.Import) else (n.module or "").split(".")[0]) == "torch"
        for a in n.names) for n in tree.body)
    torch_classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)
                     and any(ast.unparse(b).split(".")[-1] == "Module" for b in n.bases)}
    for unit in find_units(tree):
        scope = Scope(torch_method=unit.kind == "method" and unit.owners[0] in torch_classes, has_torch=has_torch)
        candidates = [c for root in unit_roots(unit) for node in walk_unit(root) for c in node_candidates(node, scope)]
        for operator, target, replacement in candidates + list(parameter_candidates(unit)):
            mutated = _apply(source, unit, target, replacement)
            if mutated is None or mutated in seen:
                continue
            seen.add(mutated)
            line, _, end_line, _ = where(target)
            key = (unit.name, line, operator)
            n = counters.get(key, 0)
            counters[key] = n + 1
            extra = mutated.count("\n") - text.count("\n")
            mutants.append(Mutant(
                id=f"{module}.{unit.name}:{line}:{operator}:{n}", module=module, unit=unit.name,
                owners=unit.owners, line=line, operator=operator,
                description=_describe(operator, target, replacement),
                before=_lines(text, line, end_line),
                after=_lines(mutated, line, end_line + extra), source=mutated))
    return mutants


def generate_module(root: Path, module: str) -> list[Mutant]:
    path = root / "reference" / f"{module}.py"
    return generate(module, path.read_text(encoding="utf-8"))


def module_units(root: Path, module: str) -> list[Unit]:
    return find_units(ast.parse((root / "reference" / f"{module}.py").read_text(encoding="utf-8")))
