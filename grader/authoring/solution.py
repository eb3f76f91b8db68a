"""What counts as solution code in a reference module: the one rule that `dlgrade release` (what a
stub leaves out) and `dlgrade mutants` (what a mutant may change) both follow.

- Private names (``_helper``, ``_TABLE``; dunders are not private) are solution code, whole.
- A public function or method keeps its decorators, signature and docstring; its body is solution.
"""
from __future__ import annotations

import ast


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def is_docstring(statement: ast.AST) -> bool:
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str))


def docstring_end(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> int | None:
    """The last line of the docstring that opens ``node``'s body, if it has one."""
    return node.body[0].end_lineno if is_docstring(node.body[0]) else None


def private_constant(node: ast.stmt) -> str | None:
    """The name a module-level ``_NAME = ...`` (or ``_NAME: T = ...``) assigns, else None."""
    if isinstance(node, ast.Assign):
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        return names[0] if len(names) == len(node.targets) and all(map(is_private, names)) else None
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and is_private(node.target.id):
        return node.target.id
    return None
