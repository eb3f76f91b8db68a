"""The judge's own reading of a submission's source: what it may not use, and what it may not touch.

The child enforces the API policy at run time (torch swapped out of numpy exercises during each
call). That sees only what happens inside the call, on the calling thread. This module reads the
staged source with ``ast`` (the student's code is parsed, never run, in the judge) and reports:

- ``forbidden_library``: a numpy exercise that reaches torch (an import, a name bound to torch or
  to anything taken from it, an attribute chain), directly or through the helpers and module-level
  code it uses: a reference saved at import and work done on a thread no longer hide;
- ``forbidden_name``: a name the course forbids for a module (``forbidden:`` in assignments.yaml,
  e.g. torch.nn.MultiheadAttention for the EncoderLayer exercise), however it was imported;
- ``tampering``: code that reaches into the grader or the interpreter's machinery: the harness's
  modules, frames and code objects, the garbage collector's object lists, import hooks, ctypes,
  code compiled from strings.

Checks see their module's findings as ``ctx.findings``; the pipeline gives no point to a function
with a forbidden_library or tampering finding (its checks still run, so the sandbox still meets
whatever the code does).
"""
from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

BLOCKING = ("forbidden_library", "tampering")
# Attributes through which code reaches frames, code objects, other objects' internals or hooks.
TAMPERING_ATTRIBUTES = frozenset({
    "_getframe", "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "tb_frame", "gi_frame", "cr_frame",
    "ag_frame", "__code__", "__globals__", "__closure__", "__subclasses__", "get_referrers", "get_referents",
    "get_objects", "setprofile", "settrace", "meta_path", "path_hooks", "path_importer_cache", "__builtins__",
    "_current_frames", "addaudithook",
    # the child's own machinery (grader/child/worker.py): its request handlers and guards
    "op_call", "op_drive", "op_load", "op_hello", "_guarded", "_Forbidden", "_ImportBlocker", "_Tripwire",
    "TRUSTED_THREADS",
})
# Module attributes that reach every loaded module (the harness's among them).
TAMPERING_NAMES = frozenset({"sys.modules", "sys.meta_path", "sys.path_hooks", "sys._getframe",
                             "sys.settrace", "sys.setprofile", "threading.settrace", "threading.setprofile"})
TAMPERING_MODULES = ("ctypes", "gc", "inspect", "dlgrade_child", "grader", "_ctypes", "cffi")
TAMPERING_CALLS = frozenset({"exec", "eval", "compile", "__import__", "breakpoint"})
HARNESS_STRINGS = ("dlgrade_child", "dlgrade-run", "/dlgrade/", "op_call", "op_drive", "Worker")


@dataclass(frozen=True)
class Finding:
    kind: str       # forbidden_library | forbidden_name | tampering
    what: str       # e.g. "torch", "torch.nn.MultiheadAttention", "sys._getframe"
    module: str     # the graded module it was found in
    line: int       # 1-based line in that module's file
    function: str = ""  # the contract function it concerns ("" for the whole module)


@dataclass
class _Scope:
    """What one top-level definition (or the module's own statements) refers to."""

    names: set[str] = field(default_factory=set)        # module-level names it uses
    qualified: list[tuple[str, int]] = field(default_factory=list)  # resolved dotted names, with lines


def scan_module(source: str, module: str, functions: Iterable[str], torch_functions: Iterable[str] = (),
                forbidden: Iterable[str] = ()) -> tuple[Finding, ...]:
    """Every finding in one module's source (a module that does not parse has none: the child
    reports its SyntaxError)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    except (RecursionError, MemoryError, ValueError):  # nested beyond what the parser takes
        return (Finding("tampering", "source nested too deeply to read", module, 1),)
    try:
        return tuple(_Scan(tree, module).findings(list(functions), set(torch_functions), tuple(forbidden)))
    except RecursionError:
        return (Finding("tampering", "source nested too deeply to read", module, 1),)


def scan_folder(folder: Path, modules: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]],
                present: Iterable[str]) -> dict[str, tuple[Finding, ...]]:
    """module -> findings, for the staged modules present. ``modules``: name -> (functions,
    torch_functions, forbidden), from assignments.yaml."""
    out = {}
    for name in present:
        if name not in modules:
            continue
        try:
            source = (folder / f"{name}.py").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        functions, torch_functions, forbidden = modules[name]
        found = scan_module(source, name, functions, torch_functions, forbidden)
        if found:
            out[name] = found
    return out


class _Scan:
    def __init__(self, tree: ast.Module, module: str) -> None:
        self.tree, self.module = tree, module
        self.bindings: dict[str, str] = {}   # module-level name -> dotted name it stands for
        self.scopes: dict[str, _Scope] = {}  # top-level def/class name -> what it uses
        self.toplevel = _Scope()             # what the module's own statements use (run at import)
        self.tampering: list[Finding] = []
        self._collect_bindings()
        for node in tree.body:
            self._scope_of(node)

    # ------------------------------------------------------------------ bindings
    def _collect_bindings(self) -> None:
        """Imports anywhere, and module-level aliases (``mha = F.multi_head_attention_forward``)."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.partition(".")[0]
                    self.bindings.setdefault(local, alias.name if alias.asname else local)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        self.bindings.setdefault(alias.asname or alias.name, f"{node.module}.{alias.name}")
                    else:
                        self.bindings.setdefault(f"*{node.module}", node.module)
        for _ in range(3):  # aliases of aliases
            for node in self.tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    dotted = self._dotted(node.value)
                    if dotted:
                        self.bindings.setdefault(node.targets[0].id, dotted)

    def _dotted(self, node: ast.AST) -> str | None:
        """``a.b.c`` with ``a`` resolved through the imports, or None."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Call):
            base = _literal_import(node)
        elif isinstance(node, ast.Name):
            base = self.bindings.get(node.id)
        else:
            return None
        return None if base is None else ".".join([base, *reversed(parts)])

    # ------------------------------------------------------------------ scopes
    def _scope_of(self, node: ast.stmt) -> None:
        if _is_type_checking(node):
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self._collect(node, self.scopes.setdefault(node.name, _Scope()))
            return
        # The module's own statements: only what they run at import counts as use (a call, and all
        # it is given: a thread's target), not an import or a name kept in a table.
        for child in _walk_code(node):
            if isinstance(child, ast.Call):
                self._collect(child, self.toplevel)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                self._import(child, None)
            elif isinstance(child, (ast.Assign, ast.AugAssign, ast.Delete)):
                self._store(child)
            elif isinstance(child, ast.Attribute):
                if child.attr in TAMPERING_ATTRIBUTES or self._dotted(child) in TAMPERING_NAMES:
                    self._tamper(self._dotted(child) or f".{child.attr}", child.lineno)
            elif isinstance(child, ast.Constant) and isinstance(child.value, str):
                if any(s in child.value for s in HARNESS_STRINGS):
                    self._tamper("a string naming the grader's internals", child.lineno)

    def _collect(self, node: ast.AST, scope: _Scope) -> None:
        for child in _walk_code(node):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
                scope.names.add(child.id)
                if child.id in self.bindings:
                    scope.qualified.append((self.bindings[child.id], child.lineno))
            elif isinstance(child, ast.Attribute):
                dotted = self._dotted(child)
                if dotted:
                    scope.qualified.append((dotted, child.lineno))
                    if dotted in TAMPERING_NAMES:
                        self._tamper(dotted, child.lineno)
                if child.attr in TAMPERING_ATTRIBUTES:
                    self._tamper(f".{child.attr}", child.lineno)
            elif isinstance(child, ast.Call):
                self._call(child, scope)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                self._import(child, scope)
            elif isinstance(child, ast.Constant) and isinstance(child.value, str):
                if any(s in child.value for s in HARNESS_STRINGS):
                    self._tamper("a string naming the grader's internals", child.lineno)
            elif isinstance(child, (ast.Assign, ast.AugAssign, ast.Delete)):
                self._store(child)

    def _call(self, node: ast.Call, scope: _Scope) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else None
        if name in TAMPERING_CALLS and not (name == "__import__" and _literal_import(node)):
            self._tamper(f"{name}()", node.lineno)
        dotted = self._dotted(func) if isinstance(func, ast.Attribute) else None
        if dotted in ("importlib.import_module", "importlib.__import__") or name == "__import__":
            target = _first_string(node)
            if target is None:
                self._tamper(f"{dotted or name}() of a name computed at run time", node.lineno)
            else:
                scope.qualified.append((target, node.lineno))
                if target.split(".")[0] in TAMPERING_MODULES:
                    self._tamper(target, node.lineno)

    def _import(self, node: ast.Import | ast.ImportFrom, scope: _Scope | None) -> None:
        """An import names a module; inside a function it also counts as using it."""
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        for name in names:
            if name.split(".")[0] in TAMPERING_MODULES:
                self._tamper(f"import {name}", node.lineno)
            if scope is not None:
                scope.qualified.append((name, node.lineno))

    def _store(self, node: ast.Assign | ast.AugAssign | ast.Delete) -> None:
        targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
        for target in targets:
            owner = self._dotted(target.value) if isinstance(target, (ast.Attribute, ast.Subscript)) else None
            if owner and owner.split(".")[0] in ("sys", "builtins", "importlib") and owner != "sys.path":
                shown = self._dotted(target) if isinstance(target, ast.Attribute) else owner
                self._tamper(f"a change to {shown}", node.lineno)

    def _tamper(self, what: str, line: int) -> None:
        self.tampering.append(Finding("tampering", what, self.module, line))

    # ------------------------------------------------------------------ verdicts
    def reach(self, name: str) -> _Scope:
        """Everything a top-level definition uses, through the other definitions it names."""
        seen, todo, out = set(), [name], _Scope()
        while todo:
            current = todo.pop()
            if current in seen or current not in self.scopes:
                continue
            seen.add(current)
            scope = self.scopes[current]
            out.qualified += scope.qualified
            todo += [n for n in scope.names if n in self.scopes]
        return out

    def findings(self, functions: list[str], torch_functions: set[str], forbidden: tuple[str, ...]) -> list[Finding]:
        found = list(self.tampering)
        at_import = self.reach_from_toplevel()
        for function in functions:
            used = self.reach(function).qualified + at_import
            if function not in torch_functions:
                torch_uses = [(q, line) for q, line in used if _is_torch(q)]
                if torch_uses:
                    q, line = min(torch_uses, key=lambda u: u[1])
                    found.append(Finding("forbidden_library", "torch", self.module, line, function))
            for q, line in used:
                hit = next((f for f in forbidden if q == f or q.startswith(f + ".")), None)
                if hit:
                    found.append(Finding("forbidden_name", hit, self.module, line, function))
        return _unique(found)

    def reach_from_toplevel(self) -> list[tuple[str, int]]:
        """What the module's own statements use, and the definitions they name (a thread started at
        import runs its target then)."""
        used = list(self.toplevel.qualified)
        for name in self.toplevel.names:
            if name in self.scopes:
                used += self.reach(name).qualified
        return used


def _walk_code(node: ast.AST) -> Iterable[ast.AST]:
    """ast.walk without annotations (a type hint names a class, it does not use it)."""
    todo = [node]
    while todo:
        current = todo.pop()
        yield current
        for name, value in ast.iter_fields(current):
            if name in ("annotation", "returns") or (isinstance(current, ast.AnnAssign) and name == "annotation"):
                continue
            if isinstance(value, ast.AST):
                todo.append(value)
            elif isinstance(value, list):
                todo += [v for v in value if isinstance(v, ast.AST)]


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and (
        (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
        or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING"))


def _literal_import(node: ast.Call) -> str | None:
    """``__import__("torch")`` or ``importlib.import_module("torch")``: the literal module name."""
    func = node.func
    called = func.id if isinstance(func, ast.Name) else (func.attr if isinstance(func, ast.Attribute) else "")
    if called in ("__import__", "import_module"):
        return _first_string(node)
    return None


def _first_string(node: ast.Call) -> str | None:
    if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def _is_torch(dotted: str) -> bool:
    root = dotted.split(".")[0]
    return root in ("torch", "torchvision", "functorch") or dotted.startswith("*torch")


def _unique(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        key = (f.kind, f.what, f.function)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out

