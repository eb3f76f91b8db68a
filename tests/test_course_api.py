"""docs/course-api.md is the course's single statement of what is graded: its function lists and
signatures agree with assignments.yaml, reference/ and exercises/, and its prose repeats them right."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from helpers import ROOT, course

CONTRACT = ROOT / "docs" / "course-api.md"
Signature = tuple[tuple[str, ...], tuple]  # parameter names, defaults (as values) of the trailing ones


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## (\w+)\s*$", text, flags=re.M)
    return {name: body for name, body in zip(parts[1::2], parts[2::2])}


def _signature(args: ast.arguments, drop_self: bool = False) -> Signature:
    """Public parameter names and defaults; private extras (``_parents=()``) are the author's own."""
    params = args.posonlyargs + args.args
    defaults = [None] * (len(params) - len(args.defaults)) + list(args.defaults)
    pairs = [(a.arg, d) for a, d in zip(params, defaults) if not a.arg.startswith("_")]
    if drop_self and pairs and pairs[0][0] == "self":
        pairs = pairs[1:]
    names = tuple(p for p, _ in pairs)
    values = tuple(ast.literal_eval(d) for _, d in pairs if d is not None)
    return names, values


def _api(tree: ast.Module, only: set[str] | None = None) -> dict[str, Signature]:
    """{"sign": sig, "Scalar.__add__": sig, ...} for the top-level functions and class methods."""
    found: dict[str, Signature] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and (only is None or node.name in only):
            found[node.name] = _signature(node.args)
        elif isinstance(node, ast.ClassDef) and (only is None or node.name in only):
            found[node.name] = ((), ())
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    found[f"{node.name}.{item.name}"] = _signature(item.args, drop_self=True)
    return found


def contract() -> dict[str, dict[str, Signature]]:
    """Each module's python block, parsed."""
    modules = {}
    for name, body in _sections(CONTRACT.read_text(encoding="utf-8")).items():
        block = re.search(r"```python\n(.*?)```", body, flags=re.S)
        assert block, f"docs/course-api.md: the {name} section has no python block of signatures"
        modules[name] = _api(ast.parse(block.group(1)))
    return modules


def test_the_contract_lists_the_modules_and_functions_of_assignments_yaml():
    listed = {m.name: set(m.functions) for _, m in course().manifest.modules}
    documented = {name: {f for f in api if "." not in f} for name, api in contract().items()}
    assert documented == listed


@pytest.mark.parametrize("folder", ["reference", "exercises"])
def test_reference_and_stubs_have_the_contract_signatures(folder):
    problems = []
    for module, api in contract().items():
        tree = ast.parse((ROOT / folder / f"{module}.py").read_text(encoding="utf-8"))
        have = _api(tree, only={f for f in api if "." not in f})
        for name, sig in api.items():
            if name not in have:
                problems.append(f"{folder}/{module}.py has no {name}")
            elif have[name] != sig:
                problems.append(f"{folder}/{module}.py {name}{have[name]} but the contract says {name}{sig}")
    assert not problems, "\n".join(problems)


def test_every_signature_written_in_the_prose_matches_the_block():
    """A bullet that opens with `name(args)` states a signature: it must be the block's."""
    checked = 0
    for module, body in _sections(CONTRACT.read_text(encoding="utf-8")).items():
        api = contract()[module]
        for span in re.findall(r"^- (?:\*\*torch\*\* )?`(?:class )?([^`]+)`", body, flags=re.M):
            match = re.fullmatch(r"(\w+)\((.*)\)", span, flags=re.S)
            if not match or match.group(1) not in api or match.group(1) in {c.split(".")[0] for c in api if "." in c}:
                continue  # not a signature, or `class Scalar(data)`: the block lists __init__ itself
            stated = _signature(ast.parse(f"def {match.group(1)}({match.group(2)}): pass").body[0].args)
            assert stated == api[match.group(1)], f"{module}: `{span}` differs from the python block"
            checked += 1
    assert checked >= 60


def test_readme_points_to_the_project_contract():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/course-api.md" in readme and "../shared/course-api.md" not in readme
