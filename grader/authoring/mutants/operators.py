"""Where and how the reference is mutated: the solution code's units (the bodies of the public
functions and methods, the private helpers and constants, as ``release`` defines the solution
region), and the candidate changes of each node (the OPERATORS).

A mutant belongs to the function, method or helper whose code it changes; helpers name the
public functions that use them.
"""
from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..solution import is_docstring, is_private, private_constant

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
PASS = object()  # replacement that turns a statement into ``pass``
# Keywords whose removal changes memory use or placement, never a value (a copy instead of a
# view, a new array instead of an out= buffer whose where= leaves the rest undefined, CPU).
_NO_DROP_KEYWORDS = {"copy", "out", "inplace", "device"}
# Functional activations that "leave out a layer" replaces by their input.
_FUNCTIONAL_LAYERS = {("F", "relu"), ("torch", "relu"), ("torch", "tanh"), ("torch", "sigmoid"), ("F", "gelu")}


@dataclass(frozen=True)
class Prepend:
    """Replacement that inserts ``stmt`` before the target statement (e.g. ``h = 1e-5`` first in a body)."""
    stmt: ast.stmt


@dataclass(frozen=True)
class Scope:
    """What a candidate may depend on: inside a method of a torch module, with torch imported."""
    torch_method: bool = False
    has_torch: bool = False


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


def find_units(tree: ast.Module) -> list[Unit]:
    """The solution code of a module, in source order, each with the contract functions using it."""
    raw: list[tuple[str, str, ast.AST, str | None]] = []  # name, kind, node, class
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            raw.append((node.name, "helper" if is_private(node.name) else "function", node, None))
        elif isinstance(node, ast.ClassDef) and not is_private(node.name):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name not in _DROPPED_DUNDERS:
                    raw.append((f"{node.name}.{item.name}", "method", item, node.name))
        elif (constant := private_constant(node)) and not (isinstance(node, ast.AnnAssign) and node.value is None):
            raw.append((constant, "constant", node, None))  # a bare annotation has nothing to mutate
    names = {name for name, *_ in raw}
    uses: dict[str, set[str]] = {}
    for name, _, unit_node, cls in raw:
        used = set()
        for sub in ast.walk(unit_node):
            if isinstance(sub, ast.Name) and sub.id in names and sub.id != name:
                used.add(sub.id)
            elif (cls and isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name)
                  and sub.value.id in ("self", "cls", cls) and f"{cls}.{sub.attr}" in names):
                used.add(f"{cls}.{sub.attr}")
        uses[name] = used
    units = []
    for name, kind, unit_node, cls in raw:
        if kind == "function":
            owners: tuple[str, ...] = (name,)
        elif kind == "method":
            owners = (cls or name,)  # a method always has its class
        else:
            owners = tuple(sorted(_owners_of(name, raw, uses)))
        units.append(Unit(name, kind, unit_node, owners))
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


def unit_roots(unit: Unit) -> list[ast.AST]:
    """The nodes of a unit that hold solution code (not the signature, decorators, docstring)."""
    node = unit.node
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        return [node.value] if node.value is not None else []
    body: list[ast.stmt] = getattr(node, "body", [])
    return [s for i, s in enumerate(body) if not (i == 0 and is_docstring(s))]


def walk_unit(node: ast.AST) -> Iterator[ast.AST]:
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
                        i == 0 and name == "body" and is_docstring(child)
                        and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))):
                    yield from walk_unit(child)
        elif isinstance(value, ast.AST):
            yield from walk_unit(value)


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


Candidate = tuple[str, ast.AST, Any]  # operator, target node, replacement (node or PASS)


def node_candidates(node: ast.AST, scope: Scope = Scope()) -> Iterator[Candidate]:
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
    elif isinstance(node, ast.Return) and node.value is not None and _is_module_construction(node.value):
        yield "mode", node.value, ast.Call(ast.Attribute(node.value, "eval", ast.Load()), [], [])


def _basic_candidates(node: ast.AST) -> Iterator[Candidate]:
    if isinstance(node, ast.BinOp):
        yield from _binop(node)
    elif isinstance(node, ast.AugAssign):
        if type(node.op) in _ARITH:
            yield "arith", node, ast.AugAssign(node.target, _ARITH[type(node.op)](), node.value)
        yield "drop", node, PASS
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
    elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and _is_number(node):
        for changed in _constant_changes(node.value):
            yield "const", node, ast.Constant(changed)
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
    if isinstance(node, ast.Constant) and type(node.value) is not int:
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
    axes = [(i, k) for i, a in enumerate(node.args) if (k := _int_value(a)) is not None]
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
    func: ast.expr = node.func
    sequential = isinstance(func, ast.Attribute) and func.attr == "Sequential" or (
        isinstance(func, ast.Name) and func.id == "Sequential")
    if sequential and not any(isinstance(a, ast.Starred) for a in node.args):
        for i in range(len(node.args)):  # leave out one layer
            yield "layer", node, ast.Call(func, node.args[:i] + node.args[i + 1:], node.keywords)
        if len(node.args) >= 2:  # a dropout before the last layer
            nn_dropout = ast.Attribute(ast.Name("nn", ast.Load()), "Dropout", ast.Load())
            nn_layer = ast.Call(nn_dropout, [ast.Constant(0.1)], [])
            yield "mode", node, ast.Call(func, node.args[:-1] + [nn_layer, node.args[-1]], node.keywords)
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
        yield "layer", node, PASS


def parameter_candidates(unit: Unit) -> Iterator[Candidate]:
    """Each parameter ignored: ``name = <default>`` (or a constant) as the body's first statement."""
    node = unit.node
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return
    body = [s for i, s in enumerate(node.body) if not (i == 0 and is_docstring(s))]
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
            yield "param", body[0], Prepend(assign)


def _constant_for(annotation: ast.AST | None) -> ast.expr | None:
    """A constant of a scalar parameter's annotated type: 1.0 for float, 1 for int."""
    text = ast.unparse(annotation) if annotation is not None else ""
    if "float" in text.split(" | ")[0] or text == "float":
        return ast.Constant(1.0)
    if text == "int":
        return ast.Constant(1)
    return None
