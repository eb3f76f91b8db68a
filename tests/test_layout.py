"""The package's layout as README describes it, held against the imports: no module reaches into
another's private names, and each folder imports only what lies below it."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from helpers import ROOT

PACKAGE = ROOT / "grader"


def _imports(path: Path, tree: ast.AST) -> list[tuple[int, str, list[str]]]:
    """(line, absolute module, names) of every import of the grader package in one file."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] == "grader":
                found.append((node.lineno, module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name, []) for a in node.names if a.name.split(".")[0] == "grader"]
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(path: Path, source: str | None = None) -> list[str]:
    """``from grader.x import _y`` and ``x._y`` where ``x`` is a module of the grader package."""
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
    modules: set[str] = set()
    uses = []
    for line, module, names in _imports(path, tree):
        uses += [f"{path.name}:{line}: from {module} import {n}" for n in names if _private(n)]
        modules |= {n for n in names if (PACKAGE.parent / (module.replace(".", "/") + f"/{n}.py")).is_file()
                    or (PACKAGE.parent / module.replace(".", "/") / n).is_dir()}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules \
                and _private(node.attr):
            uses.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    return uses


def test_no_module_uses_another_modules_private_names():
    uses = [u for path in sorted(PACKAGE.rglob("*.py")) for u in private_uses(path)]
    assert uses == []


def test_the_private_name_guard_sees_both_forms():
    planted = "from ..child import wire\nfrom .sandbox import _death_message\n\nX = wire._HEAD\n"
    uses = private_uses(PACKAGE / "runners" / "planted.py", planted)
    assert [u.split(": ", 1)[1] for u in uses] == ["from grader.runners.sandbox import _death_message", "wire._HEAD"]


# Each folder may import what lies below it, never above: the child runs alone in the sandbox,
# runners know nothing of courses or checks, staging nothing of how code runs.
BELOW_ONLY = {
    "grader.child": ("grader.child",),
    "grader.runners": ("grader.runners", "grader.child", "grader.errors", "grader.text", "grader.statuses",
                       "grader.i18n"),
    "grader.staging": ("grader.staging", "grader.errors", "grader.i18n", "grader.manifest", "grader.text"),
}


@pytest.mark.parametrize("folder", sorted(BELOW_ONLY))
def test_lower_folders_do_not_import_upper_ones(folder):
    allowed = BELOW_ONLY[folder]
    wrong = []
    for path in sorted((PACKAGE.parent / folder.replace(".", "/")).rglob("*.py")):
        for line, module, names in _imports(path, ast.parse(path.read_text(encoding="utf-8"))):
            targets = [module] if module != "grader" else [f"grader.{n}" for n in names]
            wrong += [f"{path.relative_to(ROOT)}:{line}: {t}" for t in targets
                      if t != "grader.HOME" and not any(t == a or t.startswith(a + ".") for a in allowed)]
    assert wrong == []
