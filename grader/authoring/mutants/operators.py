"""How strong are the checks? Mutation testing of the reference solutions.

``dlgrade mutants`` makes small, plausible bugs in a reference module (a swapped operator, an
index off by one, a sum over the wrong axis, a dropped term, a changed constant, an argument
ignored, a layer left out, dropout added to a torch module), grades each
such *mutant* with all of the module's checks, and counts a mutant as killed when any check does
not pass. A surviving mutant is a bug the checks miss, unless it is *equivalent* (it behaves
exactly like the reference under the contract); those are listed with a reason in
mutants-equivalent.yaml at the course root.

Generation works on the AST of the solution region as ``release`` defines it: the bodies of the
public functions and methods (not their signatures or docstrings) and the private helpers and
private constants, which are solution code too. A mutant belongs to the function, method or
helper whose code it changes; helpers name the public functions that use them.

Grading runs the checks in-process (``InProcessRunner``: the reference is trusted) in worker
processes that are killed and replaced when a mutant exceeds its wall-clock budget (a changed
loop condition can loop forever); a mutant that times out counts as killed, as the real grader
would report a timeout. A mutant can only change the result of checks that execute the code it
changes, so each module is graded once unchanged with a profiler recording which functions every
check runs, and a mutant is graded with those checks only, its own function's checks first,
stopping at the first check that does not pass.
"""
from __future__ import annotations

import ast
import copy
import multiprocessing
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import yaml

OPERATORS = {
    "arith": "+ <-> -, * <-> /, ** -> *, // -> / (also in +=, -=, ...)",
    "compare": "< <-> <=, > <-> >=, == <-> !=, is <-> is not, in <-> not in",
    "bool": "and <-> or, not x -> x, ~x -> x, & <-> |",
    "unary": "-x -> x; x -> -x for returned and assigned values",
    "const": "0 -> 1, 1 -> 0 or 2, 2 -> 1, 0.5 -> 1, other c -> c + 1 (int) or 2c (float)",
    "index": "x[i] -> x[i + 1] or x[i - 1]",
    "slice": "a:b -> a + 1:b and a:b - 1",
    "axis": "axis=k / dim=k -> a neighbouring axis, a tuple of axes minus one, keepdims=True -> False, "
            "transpose/permute arguments swapped",
    "drop": "a + b -> a or b, a - b -> a or -b, a * b -> a or b, a / b -> a; x += y removed",
    "call": "max <-> min, maximum <-> minimum, sum <-> mean, argmax <-> argmin, ones <-> zeros, "
            "tril <-> triu, sin <-> cos, expm1 -> exp, log1p -> log",
    "param": "a parameter ignored: replaced by its default (h = 1e-5, mask = None), or a scalar parameter "
             "without one by a constant (1.0 for float, 1 for int)",
    "kwarg": "a keyword argument dropped at a call site (axis=, dtype=, stride=, ...; not copy=, out=, "
             "inplace=, device=, which only change memory or placement)",
    "layer": "a layer left out: an argument of nn.Sequential, an nn.* element of a layer list, layers.append("
             "nn.X(...)), a submodule call self.f(x) -> x, a functional activation F.relu(x) -> x",
    "mode": "dropout added (self.f(...) -> F.dropout(self.f(...), 0.1, self.training) in a torch module, "
            "nn.Dropout(0.1) into nn.Sequential), or a returned torch module switched to eval()",
}
ALLOWLIST_NAME = "mutants-equivalent.yaml"
DEFAULT_SEED = 1
DEFAULT_MIN_KILL = 95.0
_DROPPED_DUNDERS = {"__repr__", "__str__"}  # not part of the stubs (see release.py)

_ARITH = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
          ast.Pow: ast.Mult, ast.FloorDiv: ast.Div}
_BITS = {ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd}
_COMPARE = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
            ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
# np.max <-> np.min and friends, as functions (np.sum) or methods (x.sum()).
_CALLS = {"max": "min", "min": "max", "amax": "amin", "amin": "amax", "maximum": "minimum",
          "minimum": "maximum", "sum": "mean", "mean": "sum", "argmax": "argmin", "argmin": "argmax",
          "ones": "zeros", "zeros": "ones", "ones_like": "zeros_like", "zeros_like": "ones_like",
          "tril": "triu", "triu": "tril", "sin": "cos", "cos": "sin", "expm1": "exp", "log1p": "log"}
_BUILTIN_CALLS = {"max": "min", "min": "max"}
_AXIS_KEYWORDS = ("axis", "dim")
_KEEPDIMS = ("keepdims", "keepdim")
_PERMUTATIONS = ("transpose", "permute")
_AXIS_CALLS = ("transpose", "permute", "swapaxes", "moveaxis", "unsqueeze", "squeeze")
# Negating a fresh all-zero buffer gives -0.0 everywhere: no behaviour to test.
_NO_NEGATION = {"zeros", "zeros_like", "empty", "empty_like"}
_PASS = object()  # replacement that turns a statement into ``pass``
# Keywords whose removal changes memory use or placement, never a value (a copy instead of a
# view, a new array instead of an out= buffer whose where= leaves the rest undefined, CPU).
_NO_DROP_KEYWORDS = {"copy", "out", "inplace", "device"}
# Functional activations that "leave out a layer" replaces by their input.
_FUNCTIONAL_LAYERS = {("F", "relu"), ("torch", "relu"), ("torch", "tanh"), ("torch", "sigmoid"), ("F", "gelu")}


@dataclass(frozen=True)
class _Prepend:
    """Replacement that inserts ``stmt`` before the target statement (e.g. ``h = 1e-5`` first in a body)."""
    stmt: ast.stmt


@dataclass(frozen=True)
class Scope:
    """What a candidate may depend on: inside a method of a torch module, with torch imported."""
    torch_method: bool = False
    has_torch: bool = False


# =========================================================================== generation
@dataclass(frozen=True)
class Unit:
    """A piece of solution code: a function, a method, a private helper or a private constant."""
    name: str                 # "sign", "Scalar.__add__", "_sigmoid", "_GATES"
    kind: str                 # function | method | helper | constant
    node: ast.AST
    owners: tuple[str, ...]   # contract functions (class names for methods) that use it


@dataclass(frozen=True)
class Mutant:
    id: str                   # "<module>.<unit>:<line>:<operator>:<n>"
    module: str
    unit: str
    owners: tuple[str, ...]
    line: int
    operator: str
    description: str
    before: str               # the changed source lines
    after: str                # the same lines in the mutant
    source: str               # the whole mutated module


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_docstring(node: ast.AST) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


def find_units(tree: ast.Module) -> list[Unit]:
    """The solution code of a module, in source order, each with the contract functions using it."""
    raw: list[tuple[str, str, ast.AST, str | None]] = []  # name, kind, node, class
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            raw.append((node.name, "helper" if _is_private(node.name) else "function", node, None))
        elif isinstance(node, ast.ClassDef) and not _is_private(node.name):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name not in _DROPPED_DUNDERS:
                    raw.append((f"{node.name}.{item.name}", "method", item, node.name))
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and _is_private(t.id)
                                                  for t in node.targets):
            raw.append((node.targets[0].id, "constant", node, None))
        elif (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
              and _is_private(node.target.id) and node.value is not None):
            raw.append((node.target.id, "constant", node, None))
    names = {name for name, *_ in raw}
    uses: dict[str, set[str]] = {}
    for name, _, node, cls in raw:
        used = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in names and sub.id != name:
                used.add(sub.id)
            elif (cls and isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name)
                  and sub.value.id in ("self", "cls", cls) and f"{cls}.{sub.attr}" in names):
                used.add(f"{cls}.{sub.attr}")
        uses[name] = used
    units = []
    for name, kind, node, cls in raw:
        if kind == "function":
            owners: tuple[str, ...] = (name,)
        elif kind == "method":
            owners = (cls,)
        else:
            owners = tuple(sorted(_owners_of(name, raw, uses)))
        units.append(Unit(name, kind, node, owners))
    return units


def _owners_of(name: str, raw: list, uses: dict[str, set[str]]) -> set[str]:
    """Contract functions that reach ``name`` through helpers."""
    kind = {n: k for n, k, *_ in raw}
    cls = {n: c for n, _, _, c in raw}
    seen, frontier, owners = {name}, [name], set()
    while frontier:
        current = frontier.pop()
        for user, used in uses.items():
            if current in used and user not in seen:
                seen.add(user)
                if kind[user] == "function":
                    owners.add(user)
                elif kind[user] == "method":
                    owners.add(cls[user])
                else:
                    frontier.append(user)
    return owners


def _unit_roots(unit: Unit) -> list[ast.AST]:
    """The nodes of a unit that hold solution code (not the signature, decorators, docstring)."""
    node = unit.node
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        return [node.value]
    return [s for i, s in enumerate(node.body) if not (i == 0 and _is_docstring(s))]


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes in source order, skipping annotations, signatures, docstrings and f-strings."""
    yield node
    if isinstance(node, ast.JoinedStr):
        return
    for name, value in ast.iter_fields(node):
        if name in ("returns", "annotation", "decorator_list", "type_comment", "type_params"):
            continue
        if name == "args" and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(value, list):
            for i, child in enumerate(value):
                if isinstance(child, ast.AST) and not (
                        i == 0 and name == "body" and _is_docstring(child)
                        and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))):
                    yield from _walk(child)
        elif isinstance(value, ast.AST):
            yield from _walk(value)


def _const(value: Any) -> ast.expr:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)


def _int_value(node: ast.AST) -> int | None:
    """The int a node spells (``3``, ``-1``), else None."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)
            and type(node.operand.value) is int):
        return -node.operand.value
    return None


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(
        node.value, bool)


def _shift(node: ast.expr, delta: int) -> ast.expr:
    value = _int_value(node)
    if value is not None:
        return _const(value + delta)
    return ast.BinOp(node, ast.Add() if delta > 0 else ast.Sub(), ast.Constant(abs(delta)))


def _other_axes(k: int) -> list[int]:
    """Another valid axis for ``axis=k``: the neighbours that stay on the same side of 0."""
    if k >= 0:
        return [k + 1] + ([k - 1] if k > 0 else [])
    return [k - 1] + ([k + 1] if k + 1 < 0 else [])


def _constant_changes(value: int | float) -> list[int | float]:
    if value == 0:
        return [type(value)(1)]
    if value == 1:
        return [type(value)(0), type(value)(2)]
    if value == 2:
        return [type(value)(1)]
    if value == 0.5:
        return [1.0]
    return [value + 1] if isinstance(value, int) else [value * 2]


def _negatable(node: ast.expr) -> bool:
    """Worth negating: a numeric-looking expression (not a display, string, comparison, -x, zeros)."""
    if isinstance(node, ast.Constant):
        return _is_number(node) and node.value != 0  # -0.0 == 0.0
    if isinstance(node, ast.Name):
        return node.id not in ("NotImplemented", "None", "True", "False")
    if isinstance(node, (ast.Attribute, ast.Subscript, ast.BinOp)):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name not in _NO_NEGATION and not name[:1].isupper()
    return False


Candidate = tuple[str, ast.AST, Any]  # operator, target node, replacement (node or _PASS)


def _candidates(node: ast.AST, scope: Scope = Scope()) -> Iterator[Candidate]:
    # The expression-level operators first, then those that ignore an argument or change a layer
    # (added later: listing them last keeps the older mutants' ids stable).
    yield from _basic_candidates(node)
    if isinstance(node, ast.Call):
        yield from _keyword_drops(node)
        yield from _torch_call(node, scope)
    elif isinstance(node, ast.List):
        yield from _layer_list(node)
    elif isinstance(node, ast.Expr):
        yield from _append_layer(node)
    elif isinstance(node, ast.Return) and _is_module_construction(node.value):
        yield "mode", node.value, ast.Call(ast.Attribute(node.value, "eval", ast.Load()), [], [])


def _basic_candidates(node: ast.AST) -> Iterator[Candidate]:
    if isinstance(node, ast.BinOp):
        yield from _binop(node)
    elif isinstance(node, ast.AugAssign):
        if type(node.op) in _ARITH:
            yield "arith", node, ast.AugAssign(node.target, _ARITH[type(node.op)](), node.value)
        yield "drop", node, _PASS
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in _COMPARE:
                ops = list(node.ops)
                ops[i] = _COMPARE[type(op)]()
                yield "compare", node, ast.Compare(node.left, ops, node.comparators)
    elif isinstance(node, ast.BoolOp):
        yield "bool", node, ast.BoolOp(ast.Or() if isinstance(node.op, ast.And) else ast.And(), node.values)
    elif isinstance(node, ast.UnaryOp):
        if isinstance(node.op, (ast.Not, ast.Invert)):
            yield "bool", node, node.operand
        elif isinstance(node.op, ast.USub):
            yield "unary", node, node.operand
    elif isinstance(node, ast.Constant) and _is_number(node):
        for value in _constant_changes(node.value):
            yield "const", node, ast.Constant(value)
    elif isinstance(node, ast.Subscript):
        yield from _subscript(node)
    elif isinstance(node, ast.Call):
        yield from _call(node)
    elif isinstance(node, ast.keyword):
        yield from _keyword(node)
    elif isinstance(node, ast.Return) and node.value is not None:
        values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
        for value in values:
            if _negatable(value):
                yield "unary", value, ast.UnaryOp(ast.USub(), value)
    elif isinstance(node, ast.Assign) and _negatable(node.value):
        if not any(isinstance(t, ast.Attribute) for t in node.targets):
            yield "unary", node.value, ast.UnaryOp(ast.USub(), node.value)


def _binop(node: ast.BinOp) -> Iterator[Candidate]:
    op = type(node.op)
    if op in _ARITH:
        yield "arith", node, ast.BinOp(node.left, _ARITH[op](), node.right)
    if op in _BITS:
        yield "bool", node, ast.BinOp(node.left, _BITS[op](), node.right)
    if any(isinstance(side, ast.Constant) and isinstance(side.value, str) for side in (node.left, node.right)):
        return
    if op in (ast.Add, ast.Mult):
        yield "drop", node, node.left
        yield "drop", node, node.right
    elif op is ast.Sub:
        yield "drop", node, node.left
        yield "drop", node, ast.UnaryOp(ast.USub(), node.right)
    elif op is ast.Div:
        yield "drop", node, node.left


def _index_shifts(node: ast.expr) -> Iterator[Candidate]:
    if isinstance(node, ast.Constant) and not (type(node.value) is int):
        return  # None, a string key, Ellipsis
    if isinstance(node, (ast.Starred, ast.Slice)):
        return
    for delta in (1, -1):
        yield "index", node, _shift(node, delta)


def _slice_shifts(node: ast.Slice) -> Iterator[Candidate]:
    if node.lower is not None:
        yield "slice", node.lower, _shift(node.lower, 1)
    if node.upper is not None:
        yield "slice", node.upper, _shift(node.upper, -1)


def _subscript(node: ast.Subscript) -> Iterator[Candidate]:
    index = node.slice
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    for part in parts:
        if isinstance(part, ast.Slice):
            yield from _slice_shifts(part)
        else:
            yield from _index_shifts(part)


def _keyword_drops(node: ast.Call) -> Iterator[Candidate]:
    for i, kw in enumerate(node.keywords):  # a keyword argument dropped at the call site
        if kw.arg is not None and kw.arg not in _NO_DROP_KEYWORDS:
            yield "kwarg", node, ast.Call(node.func, node.args, node.keywords[:i] + node.keywords[i + 1:])


def _call(node: ast.Call) -> Iterator[Candidate]:
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in _CALLS:
        yield "call", func, ast.Attribute(func.value, _CALLS[func.attr], func.ctx)
    elif isinstance(func, ast.Name) and func.id in _BUILTIN_CALLS:
        yield "call", func, ast.Name(_BUILTIN_CALLS[func.id], func.ctx)
    if not (isinstance(func, ast.Attribute) and func.attr in _AXIS_CALLS):
        return
    axes = [(i, _int_value(a)) for i, a in enumerate(node.args) if _int_value(a) is not None]
    if func.attr in _PERMUTATIONS and len(axes) >= 3 and len(axes) == len(node.args):
        for i in range(len(node.args) - 1):
            args = list(node.args)
            args[i], args[i + 1] = args[i + 1], args[i]
            yield "axis", node, ast.Call(func, args, node.keywords)
        return
    for i, k in axes:
        for other in _other_axes(k):
            yield "axis", node.args[i], _const(other)


def _keyword(node: ast.keyword) -> Iterator[Candidate]:
    value = node.value
    if node.arg in _AXIS_KEYWORDS:
        k = _int_value(value)
        if k is not None:
            for other in _other_axes(k):
                yield "axis", value, _const(other)
        elif isinstance(value, ast.Tuple) and len(value.elts) > 1 and all(
                _int_value(e) is not None for e in value.elts):
            for i in range(len(value.elts)):
                yield "axis", value, ast.Tuple(value.elts[:i] + value.elts[i + 1:], ast.Load())
    elif node.arg in _KEEPDIMS and isinstance(value, ast.Constant) and value.value is True:
        yield "axis", value, ast.Constant(False)


def _is_nn_layer(node: ast.AST) -> bool:
    """nn.Conv2d(...), torch.nn.ReLU(...): a call of a capitalised attribute of nn."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr[:1].isupper()
            and ast.unparse(node.func.value) in ("nn", "torch.nn"))


def _is_module_construction(node: ast.AST | None) -> bool:
    return node is not None and _is_nn_layer(node)


def _torch_call(node: ast.Call, scope: Scope) -> Iterator[Candidate]:
    func = node.func
    sequential = isinstance(func, ast.Attribute) and func.attr == "Sequential" or (
        isinstance(func, ast.Name) and func.id == "Sequential")
    if sequential and not any(isinstance(a, ast.Starred) for a in node.args):
        for i in range(len(node.args)):  # leave out one layer
            yield "layer", node, ast.Call(func, node.args[:i] + node.args[i + 1:], node.keywords)
        if len(node.args) >= 2:  # a dropout before the last layer
            nn_dropout = ast.Attribute(ast.Name("nn", ast.Load()), "Dropout", ast.Load())
            dropout = ast.Call(nn_dropout, [ast.Constant(0.1)], [])
            yield "mode", node, ast.Call(func, node.args[:-1] + [dropout, node.args[-1]], node.keywords)
    if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            and (func.value.id, func.attr) in _FUNCTIONAL_LAYERS and len(node.args) == 1 and not node.keywords):
        yield "layer", node, node.args[0]
    if scope.torch_method and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
            and func.value.id == "self" and not func.attr.startswith("_"):
        if len(node.args) == 1 and not node.keywords and not isinstance(node.args[0], ast.Starred):
            yield "layer", node, node.args[0]  # the submodule skipped: self.norm1(x) -> x
        if scope.has_torch:
            dropout = ast.Attribute(ast.Attribute(ast.Attribute(ast.Name("torch", ast.Load()), "nn", ast.Load()),
                                                  "functional", ast.Load()), "dropout", ast.Load())
            training = ast.Attribute(ast.Name("self", ast.Load()), "training", ast.Load())
            yield "mode", node, ast.Call(dropout, [node, ast.Constant(0.1), training], [])


def _layer_list(node: ast.List) -> Iterator[Candidate]:
    """[nn.Conv2d(...), nn.ReLU()]: leave out one nn layer of a list of layers."""
    for i, elt in enumerate(node.elts):
        if _is_nn_layer(elt):
            yield "layer", node, ast.List(node.elts[:i] + node.elts[i + 1:], ast.Load())


def _append_layer(node: ast.Expr) -> Iterator[Candidate]:
    """layers.append(nn.MaxPool2d(...)) -> pass."""
    call = node.value
    if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "append"
            and len(call.args) == 1 and _is_nn_layer(call.args[0])):
        yield "layer", node, _PASS


def _parameter_candidates(unit: Unit) -> Iterator[Candidate]:
    """Each parameter ignored: ``name = <default>`` (or a constant) as the body's first statement."""
    node = unit.node
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return
    body = [s for i, s in enumerate(node.body) if not (i == 0 and _is_docstring(s))]
    if not body:
        return
    params = node.args.posonlyargs + node.args.args
    defaults = [None] * (len(params) - len(node.args.defaults)) + list(node.args.defaults)
    params += node.args.kwonlyargs
    defaults += list(node.args.kw_defaults)
    for arg, default in zip(params, defaults):
        if arg.arg in ("self", "cls") or arg.arg.startswith("_"):
            continue
        value = default if default is not None else _constant_for(arg.annotation)
        if value is not None:
            assign = ast.Assign([ast.Name(arg.arg, ast.Store())], copy.deepcopy(value), lineno=0)
            yield "param", body[0], _Prepend(assign)


def _constant_for(annotation: ast.AST | None) -> ast.expr | None:
    """A constant of a scalar parameter's annotated type: 1.0 for float, 1 for int."""
    text = ast.unparse(annotation) if annotation is not None else ""
    if "float" in text.split(" | ")[0] or text == "float":
        return ast.Constant(1.0)
    if text == "int":
        return ast.Constant(1)
    return None


# --------------------------------------------------------------------------- splicing
class _Source:
    """A module's text with byte offsets per line (AST columns count UTF-8 bytes)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text.encode("utf-8")
        self.starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (self.starts[node.lineno - 1] + node.col_offset,
                self.starts[node.end_lineno - 1] + node.end_col_offset)

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
    if isinstance(replacement, _Prepend):
        for parent in ast.walk(twin):
            for _, value in ast.iter_fields(parent):
                if isinstance(value, list) and any(item is twin_target for item in value):
                    value.insert(next(i for i, item in enumerate(value) if item is twin_target),
                                 copy.deepcopy(replacement.stmt))
                    return ast.dump(twin)
        raise AssertionError("mutation target not found in its unit")
    new = ast.Pass() if replacement is _PASS else replacement
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
    if isinstance(replacement, _Prepend):
        start, _ = source.span(target)
        text = f"{ast.unparse(replacement.stmt)}\n{' ' * target.col_offset}".encode("utf-8")
        mutated = (source.data[:start] + text + source.data[start:]).decode("utf-8")
        got = _find_unit(ast.parse(mutated), unit)
        return mutated if got is not None and ast.dump(got) == want else None
    if replacement is _PASS:
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
    if isinstance(replacement, _Prepend):
        return f"{ast.unparse(replacement.stmt)} first"
    before = ast.unparse(target)
    after = "pass" if replacement is _PASS else ast.unparse(replacement)
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
        candidates = [c for root in _unit_roots(unit) for node in _walk(root) for c in _candidates(node, scope)]
        for operator, target, replacement in candidates + list(_parameter_candidates(unit)):
            mutated = _apply(source, unit, target, replacement)
            if mutated is None or mutated in seen:
                continue
            seen.add(mutated)
            line = target.lineno
            key = (unit.name, line, operator)
            n = counters.get(key, 0)
            counters[key] = n + 1
            extra = mutated.count("\n") - text.count("\n")
            mutants.append(Mutant(
                id=f"{module}.{unit.name}:{line}:{operator}:{n}", module=module, unit=unit.name,
                owners=unit.owners, line=line, operator=operator,
                description=_describe(operator, target, replacement),
                before=_lines(text, line, target.end_lineno),
                after=_lines(mutated, line, target.end_lineno + extra), source=mutated))
    return mutants


def generate_module(root: Path, module: str) -> list[Mutant]:
    path = root / "reference" / f"{module}.py"
    return generate(module, path.read_text(encoding="utf-8"))


def module_units(root: Path, module: str) -> list[Unit]:
    return find_units(ast.parse((root / "reference" / f"{module}.py").read_text(encoding="utf-8")))


# =========================================================================== allowlist
@dataclass(frozen=True)
class Equivalent:
    id: str
    reason: str


def load_allowlist(path: Path) -> dict[str, Equivalent]:
    """mutants-equivalent.yaml: a list of {id, reason}; a missing file is an empty list."""
    from ...errors import HarnessError

    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise HarnessError(f"{path}: expected a list of {{id, reason}} entries")
    entries: dict[str, Equivalent] = {}
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict) or set(item) != {"id", "reason"}:
            raise HarnessError(f"{path}: entry {i} must have exactly the keys id and reason")
        mid, reason = str(item["id"]).strip(), str(item["reason"] or "").strip()
        if not reason:
            raise HarnessError(f"{path}: entry {mid} has no reason")
        if mid in entries:
            raise HarnessError(f"{path}: {mid} is listed twice")
        entries[mid] = Equivalent(mid, reason)
    return entries


# =========================================================================== grading
@dataclass
class Outcome:
    mutant: Mutant
    killed: bool
    by: str = ""              # the check that killed it (or "import", "timeout", "crash")
    status: str = ""          # that check's status: failed, error, timeout, internal_error, ...
    message: str = ""
    checks_run: int = 0
    seconds: float = 0.0


@dataclass
class Baseline:
    module: str
    seconds: float
    durations: dict[str, float]          # check id -> seconds
    ran: dict[str, set[str]]             # check id -> units whose code it executed
    problems: list[str]                  # checks the unchanged reference does not pass


def _unit_of(qualname: str) -> str:
    return qualname.split(".<locals>", 1)[0]


def _grade_source(course: Any, module: str, source: str, check_ids: list[str], seed: int, folder: Path,
                  stop_early: bool, trace: bool) -> dict:
    """Grade one module text with these checks in this process (a worker)."""
    from ...runners.inprocess import InProcessRunner
    from ...pipeline import run_one

    path = folder / f"{module}.py"
    path.write_text(source, encoding="utf-8")
    specs = {c.id: c for c in course.manifest.module(module)[1].checks}
    started = time.perf_counter()
    runner = InProcessRunner(folder)
    reply = runner.load(module, 60)
    if reply.status != "ok":
        return {"results": [["import", reply.status, reply.message[:300], 0.0]], "ran": {},
                "seconds": time.perf_counter() - started}
    results, ran = [], {}
    real = os.path.realpath(path)
    for check_id in check_ids:
        units: set[str] = set()
        if trace:
            def profile(frame: Any, event: str, arg: Any, units: set[str] = units) -> None:
                if event == "call" and frame.f_code.co_filename == real:
                    units.add(_unit_of(frame.f_code.co_qualname))
            sys.setprofile(profile)
        try:
            result = run_one(course.checks[check_id], specs[check_id], runner, seed)
        finally:
            if trace:
                sys.setprofile(None)
        ran[check_id] = sorted(units)
        results.append([check_id, result.status, result.message[:300], result.duration_s])
        if stop_early and result.status != "passed":
            break
    runner.close()
    return {"results": results, "ran": ran, "seconds": time.perf_counter() - started}


def _worker_main(conn: Connection, root: str, seed: int) -> None:
    """A grading worker: imports the course once, then grades what the parent sends."""
    import warnings

    warnings.simplefilter("ignore")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # numpy-only courses
        pass
    from ...pipeline import load_course

    course = load_course(Path(root))
    conn.send({"ready": True})  # the parent starts a mutant's clock only after this
    with tempfile.TemporaryDirectory(prefix="dlgrade-mutant-") as tmp:
        n = 0
        while True:
            try:
                task = conn.recv()
            except EOFError:
                return
            if task is None:
                return
            n += 1
            folder = Path(tmp) / str(n)  # a fresh folder: no stale bytecode or module
            folder.mkdir()
            answer = _grade_source(course, task["module"], task["source"], task["checks"], seed, folder,
                                   task["stop_early"], task["trace"])
            conn.send(answer)


class _Pool:
    """Grading workers that can be killed and replaced when a mutant runs past its budget."""

    def __init__(self, root: Path, seed: int, size: int) -> None:
        self.root, self.seed = root, seed
        self.ctx = multiprocessing.get_context("spawn")
        self.workers: list[tuple[Any, Connection] | None] = [None] * max(1, size)

    def _start(self, slot: int) -> tuple[Any, Connection]:
        parent, child = self.ctx.Pipe()
        saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
        os.environ.update({k: "1" for k in saved})  # two workers share the cores: one thread each
        try:
            process = self.ctx.Process(target=_worker_main, args=(child, str(self.root), self.seed), daemon=True)
            process.start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        child.close()
        # Importing torch and the checks takes a few seconds: not part of any mutant's budget.
        if not parent.poll(300):
            process.kill()
            from ...errors import HarnessError

            raise HarnessError("a mutant grading worker did not start within 300 s")
        try:
            parent.recv()
        except EOFError:
            from ...errors import HarnessError

            raise HarnessError("a mutant grading worker died while starting") from None
        self.workers[slot] = (process, parent)
        return self.workers[slot]

    def _get(self, slot: int) -> tuple[Any, Connection]:
        worker = self.workers[slot]
        return worker if worker is not None and worker[0].is_alive() else self._start(slot)

    def _kill(self, slot: int) -> None:
        worker = self.workers[slot]
        self.workers[slot] = None
        if worker is None:
            return
        process, conn = worker
        if process.is_alive():
            process.kill()
        process.join(timeout=10)
        conn.close()

    def run(self, tasks: list[dict], budget: float,
            done: Callable[[int, dict | None, float], None]) -> None:
        """Send every task to a free worker; ``done(index, answer or None on timeout/crash, seconds)``."""
        pending = list(range(len(tasks)))[::-1]
        busy: dict[int, tuple[int, float]] = {}  # slot -> (task index, started)
        while pending or busy:
            for slot in range(len(self.workers)):
                if slot not in busy and pending:
                    index = pending.pop()
                    _, conn = self._get(slot)
                    conn.send(tasks[index])
                    busy[slot] = (index, time.monotonic())
            conns = {self.workers[s][1]: s for s in busy}
            deadline = min(started for _, started in busy.values()) + budget
            ready = wait(list(conns), timeout=max(0.0, deadline - time.monotonic()))
            for conn in ready:
                slot = conns[conn]
                index, started = busy.pop(slot)
                try:
                    answer = conn.recv()
                except (EOFError, OSError):
                    answer = {"crash": True}
                    self._kill(slot)
                done(index, answer, time.monotonic() - started)
            now = time.monotonic()
            for slot, (index, started) in list(busy.items()):
                if now - started >= budget:
                    busy.pop(slot)
                    self._kill(slot)
                    done(index, None, now - started)

    def close(self) -> None:
        for slot, worker in enumerate(self.workers):
            if worker is not None:
                try:
                    worker[1].send(None)
                except OSError:
                    pass
                worker[0].join(timeout=5)
                self._kill(slot)


@dataclass
class ModuleResult:
    module: str
    mutants: list[Mutant]
    outcomes: dict[str, Outcome]
    equivalent: dict[str, Equivalent]
    units: list[Unit]
    baseline: Baseline
    seconds: float = 0.0

    def rows(self) -> list[dict]:
        rows = []
        for unit in self.units:
            mine = [m for m in self.mutants if m.unit == unit.name]
            rows.append(_tally(unit.name, unit.kind, unit.owners, mine, self.outcomes, self.equivalent))
        return rows

    def total(self) -> dict:
        return _tally(self.module, "module", (), self.mutants, self.outcomes, self.equivalent)

    def survivors(self) -> list[Mutant]:
        return [m for m in self.mutants if not self.outcomes[m.id].killed and m.id not in self.equivalent]

    def killed_equivalents(self) -> list[tuple[Mutant, Outcome]]:
        """Mutants marked equivalent that a check rejects: the mark or the check is wrong."""
        return [(m, self.outcomes[m.id]) for m in self.mutants
                if m.id in self.equivalent and self.outcomes[m.id].killed]

    def internal_errors(self) -> list[Outcome]:
        return [o for o in self.outcomes.values() if o.status == "internal_error"]


def _tally(name: str, kind: str, owners: tuple[str, ...], mutants: list[Mutant], outcomes: dict[str, Outcome],
           equivalent: dict[str, Equivalent]) -> dict:
    eq = [m for m in mutants if m.id in equivalent]
    rest = [m for m in mutants if m.id not in equivalent]
    killed = sum(1 for m in rest if outcomes[m.id].killed)
    timeouts = sum(1 for m in rest if outcomes[m.id].status == "timeout")
    survived = len(rest) - killed
    rate = 100.0 * killed / len(rest) if rest else 100.0
    return {"name": name, "kind": kind, "owners": owners, "generated": len(mutants), "equivalent": len(eq),
            "killed": killed, "survived": survived, "timeouts": timeouts, "rate": rate}


def _baseline(pool: _Pool, module: str, source: str, check_ids: list[str]) -> Baseline:
    answers: list[dict | None] = [None]

    def done(index: int, answer: dict | None, seconds: float) -> None:
        answers[0] = answer

    pool.run([{"module": module, "source": source, "checks": check_ids, "stop_early": False, "trace": True}],
             600.0, done)
    answer = answers[0]
    if answer is None or answer.get("crash"):
        from ...errors import HarnessError

        raise HarnessError(f"{module}: grading the unchanged reference timed out or crashed")
    problems = [f"{cid}: {status}: {message}" for cid, status, message, _ in answer["results"]
                if status != "passed"]
    return Baseline(module, answer["seconds"], {r[0]: r[3] for r in answer["results"]},
                    {cid: set(units) for cid, units in answer["ran"].items()}, problems)


def _relevant_checks(mutant: Mutant, unit: Unit, units: list[Unit], baseline: Baseline,
                     functions: dict[str, str]) -> list[str]:
    """The checks that execute the mutated code, the mutant's own function's checks first.

    Its own function's checks always count: checks that share one answer of the student's code
    (``ctx.drive(..., shared=True)``: every AlexNet check reads one build) execute it only in the
    first of them, but each of them judges it."""
    triggers = {unit.name}
    if unit.kind == "constant":  # read by the units that name it
        triggers |= {u.name for u in units if unit.name in {n.id for n in ast.walk(u.node) if isinstance(n, ast.Name)}}
    ids = [cid for cid, ran in baseline.ran.items() if ran & triggers or functions[cid] in mutant.owners]
    return sorted(ids, key=lambda cid: (functions[cid] not in mutant.owners, baseline.durations.get(cid, 0.0), cid))


def run_mutants(root: Path, modules: Iterable[str], *, seed: int = DEFAULT_SEED, workers: int = 2,
                allowlist: dict[str, Equivalent] | None = None,
                progress: Callable[[str], None] = print) -> list[ModuleResult]:
    """Generate and grade the mutants of each module; progress lines go to ``progress``."""
    from ...errors import HarnessError
    from ...pipeline import load_course

    course = load_course(root)
    allowlist = allowlist or {}
    pool = _Pool(root, seed, workers)
    results = []
    try:
        for module in modules:
            _, spec = course.manifest.module(module)
            check_ids = [c.id for c in spec.checks]
            functions = {c.id: c.function for c in spec.checks}
            text = (root / "reference" / f"{module}.py").read_text(encoding="utf-8")
            units = {u.name: u for u in module_units(root, module)}
            mutants = generate(module, text)
            started = time.monotonic()
            baseline = _baseline(pool, module, text, check_ids)
            if baseline.problems:
                raise HarnessError(f"{module}: the unchanged reference does not pass its checks with seed {seed}:\n  "
                                   + "\n  ".join(baseline.problems))
            # Twice the unchanged module's grading time (measured with the profiler on, so generous),
            # plus 10 s of slack for a busy machine: a false timeout would count as a kill.
            budget = 2 * baseline.seconds + 10
            progress(f"{module}: {len(mutants)} mutants, {len(check_ids)} checks, reference graded in "
                     f"{baseline.seconds:.1f} s (budget {budget:.0f} s per mutant)")
            outcomes: dict[str, Outcome] = {}
            tasks, waiting = [], []
            for m in mutants:
                checks = _relevant_checks(m, units[m.unit], list(units.values()), baseline, functions)
                if not checks:
                    outcomes[m.id] = Outcome(m, False, message="no check executes this code")
                    continue
                tasks.append({"module": module, "source": m.source, "checks": checks, "stop_early": True,
                              "trace": False})
                waiting.append(m)
            counter = {"done": 0, "last": time.monotonic()}

            def done(index: int, answer: dict | None, seconds: float) -> None:
                m = waiting[index]
                outcomes[m.id] = _outcome(m, answer, seconds)
                counter["done"] += 1
                now = time.monotonic()
                if counter["done"] == len(tasks) or now - counter["last"] > 10:
                    counter["last"] = now
                    killed = sum(o.killed for o in outcomes.values())
                    progress(f"  {module}: {counter['done']}/{len(tasks)} graded, {killed} killed, "
                             f"{len(outcomes) - killed} survived ({now - started:.0f} s)")

            pool.run(tasks, budget, done)
            result = ModuleResult(module, mutants, outcomes, {k: v for k, v in allowlist.items()
                                                              if k.startswith(module + ".")},
                                  list(units.values()), baseline, time.monotonic() - started)
            total = result.total()
            progress(f"{module}: {total['killed']}/{total['generated'] - total['equivalent']} non-equivalent "
                     f"mutants killed ({total['rate']:.1f}%), {total['equivalent']} equivalent, "
                     f"{result.seconds:.0f} s")
            results.append(result)
    finally:
        pool.close()
    return results


def _outcome(m: Mutant, answer: dict | None, seconds: float) -> Outcome:
    if answer is None:
        return Outcome(m, True, "timeout", "timeout", "the mutant ran past its budget", seconds=seconds)
    if answer.get("crash"):
        return Outcome(m, True, "crash", "error", "the worker process died", seconds=seconds)
    results = answer["results"]
    for cid, status, message, _ in results:
        if status != "passed":
            return Outcome(m, True, cid, status, message, len(results), seconds)
    return Outcome(m, False, checks_run=len(results), seconds=seconds)


# =========================================================================== report
def render_report(results: list[ModuleResult], *, seed: int, min_kill: float, seconds: float) -> str:
    from ...report import environment

    modules = []
    for r in results:
        modules.append({"name": r.module, "total": r.total(), "rows": r.rows(), "survivors": [
            {"m": m, "o": r.outcomes[m.id]} for m in r.survivors()],
            "equivalents": [{"m": m, "reason": r.equivalent[m.id].reason} for m in r.mutants if m.id in r.equivalent],
            "killed_equivalents": r.killed_equivalents(), "internal_errors": r.internal_errors(),
            "seconds": r.seconds, "baseline": r.baseline.seconds})
    return environment().get_template("mutants.md.j2").render(
        modules=modules, seed=seed, min_kill=min_kill, seconds=seconds, operators=OPERATORS,
        allowlist=ALLOWLIST_NAME)


def summary_lines(results: list[ModuleResult], min_kill: float) -> list[str]:
    lines = []
    for r in results:
        t = r.total()
        flag = "" if t["rate"] >= min_kill else f"   UNDER {min_kill:g}%"
        lines.append(f"{r.module:<20} {t['generated']:>4} mutants {t['equivalent']:>3} equivalent "
                     f"{t['killed']:>4} killed {t['survived']:>3} survived  {t['rate']:5.1f}%{flag}")
    return lines
