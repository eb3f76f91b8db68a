"""Checks for autograd (hw1): the Scalar reverse-mode engine and the lecture's f = (x + y)^2.

Graphs are described as plain node lists and built from the student's Scalar by the child-side
driver ``autograd.graph``; the judge builds the same graph in torch float64 (its oracle) and
compares every node's value and gradient. The deep chain uses a closed form instead (torch is
not needed to multiply slopes along a line).
"""
from __future__ import annotations

import math
from typing import Any, cast

import numpy as np

from ..child.payloads import ChainAnswer, ChainRequest, GraphAnswer, GraphNode, GraphRequest
from ..compare import as_array, as_sequence, expect_array, expect_fields, expect_float, expect_true, fail
from ..context import Context
from ..errors import CheckFailed, StudentCodeStopped
from ..i18n import Text
from ..oracles import oracle
from ..registry import check

Node = GraphNode
BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
METHODS = ("relu", "tanh", "sigmoid", "exp", "log")
POWERS = (2.0, 3.0, -1.0, 0.5, 1.5, -0.5)
# Values stay below ~50 and every division, log and negative power keeps its argument >= 0.2
# (see _random_graph), so float64 rounding differences between the student's formulas and
# torch's stay near 1e-15 relative; 1e-9 (looser than the usual 1e-10, since transcendental
# functions of both sides differ in their last bits) forgives those and the order in which
# contributions of several paths are summed.
RTOL, ATOL = 1e-9, 1e-9

HINT_BACKWARD = Text(
    zh="讲义第 1 部分（计算图，链式法则）：backward() 从 d(out)/d(out) = 1 开始，按拓扑序的逆序访问各节点，每个节点把 grad 乘以"
       "自己的局部导数后传给它的输入。被使用两次的节点得到两条路径之和。",
    en="Lecture part 1 (计算图, 链式法则): backward() starts from d(out)/d(out) = 1 and visits the nodes in "
       "reverse topological order, each passing grad times its local derivative to its inputs. A node "
       "used twice receives the sum of both paths.")
HINT_SQUARE_OF_SUM = Text(
    zh="讲义第 1 部分（计算图）：f = (x + y)^2 就是讲义中的计算图 z = x + y，f = z^2；用 Scalar 搭建后，backward() 给出 df/dx "
       "和 df/dy，返回的元组以 f 本身开头。",
    en="Lecture part 1 (计算图): f = (x + y)^2 is the lecture's graph z = x + y, f = z^2; built from Scalars, "
       "backward() yields df/dx and df/dy, and the tuple starts with f itself.")


# --------------------------------------------------------------------------- graph descriptions

def leaf(value: float) -> Node:
    return {"op": "leaf", "value": float(value)}


def const(value: float) -> Node:
    return {"op": "const", "value": float(value)}


def _expressions(nodes: list[Node]) -> list[str]:
    """Readable names for messages: x0, x1 for leaves, numbers for constants, n7 = tanh(n5) for ops."""
    names: list[str] = []
    leaves = 0
    for i, n in enumerate(nodes):
        if n["op"] == "leaf":
            names.append(f"x{leaves}")
            leaves += 1
        elif n["op"] == "const":
            names.append(f"{n['value']:g}")
        else:
            names.append(f"n{i}")
    exprs = []
    for i, n in enumerate(nodes):
        op = n["op"]
        if op in BINARY:
            exprs.append(f"{names[i]} = {names[n['a']]} {BINARY[op]} {names[n['b']]}")
        elif op == "neg":
            exprs.append(f"{names[i]} = -{names[n['a']]}")
        elif op == "pow":
            exprs.append(f"{names[i]} = {names[n['a']]} ** {n['p']:g}")
        elif op in METHODS:
            exprs.append(f"{names[i]} = {names[n['a']]}.{op}()")
        else:
            exprs.append(f"{names[i]} = {n['value']:g}" if op == "leaf" else names[i])
    return exprs


def _graph_text(nodes: list[Node], limit: int = 30) -> str:
    exprs = [e for e, n in zip(_expressions(nodes), nodes) if n["op"] != "const"]
    shown = "; ".join(exprs[:limit])
    return shown + (f"; ... ({len(exprs)} nodes)" if len(exprs) > limit else "")


def torch_graph(nodes: list[Node], root: int) -> tuple[dict[int, float], dict[int, float]]:
    """The same graph in torch float64: {index: value} and {index: d root / d node} for every non-constant."""
    import torch

    vals: list[Any] = []
    for n in nodes:
        op = n["op"]
        if op == "leaf":
            vals.append(torch.tensor(n["value"], dtype=torch.float64, requires_grad=True))
        elif op == "const":
            vals.append(float(n["value"]))
        elif op == "add":
            vals.append(vals[n["a"]] + vals[n["b"]])
        elif op == "sub":
            vals.append(vals[n["a"]] - vals[n["b"]])
        elif op == "mul":
            vals.append(vals[n["a"]] * vals[n["b"]])
        elif op == "div":
            vals.append(vals[n["a"]] / vals[n["b"]])
        elif op == "neg":
            vals.append(-vals[n["a"]])
        elif op == "pow":
            vals.append(vals[n["a"]] ** float(n["p"]))
        else:
            vals.append(getattr(torch, op)(vals[n["a"]]))
        if op not in ("leaf", "const"):
            vals[-1].retain_grad()
    vals[root].backward()
    scalars = [i for i, n in enumerate(nodes) if n["op"] != "const"]
    data = {i: float(vals[i].detach()) for i in scalars}
    grads = {i: (0.0 if vals[i].grad is None else float(vals[i].grad)) for i in scalars}
    return data, grads


def run_graph(ctx: Context, nodes: list[Node], root: int) -> dict[str, dict[int, float]]:
    """The student's graph through the driver: {"data"|"grad"|"grad_before": {index: float}}."""
    what = Text("Scalar 计算图", "Scalar graph")
    request: GraphRequest = {"nodes": nodes, "root": root}
    # expect_fields has checked that each field is there with its type: the answer is a GraphAnswer.
    reply = cast(GraphAnswer, expect_fields(ctx.drive("autograd.graph", request),
                                            {k: list for k in ("index", "data", "grad", "grad_before")}, what))
    index = [i for i in reply["index"] if isinstance(i, int)]
    want = [i for i, n in enumerate(nodes) if n["op"] != "const"]
    values = {key: [v for v in reply[key] if isinstance(v, float)] for key in ("data", "grad", "grad_before")}
    expect_true(index == want and all(len(v) == len(want) for v in values.values()), what, "",
                Text("驱动程序的回答没有为计算图的每个节点各列出一个值和一个梯度",
                     "the driver's answer does not list one value and one grad per node of the graph"))
    return {key: dict(zip(index, v)) for key, v in values.items()}


VALUE = Text("值（data）", "value (data)")


def _grad_after(nodes: list[Node], root: int) -> Text:
    name = _expressions(nodes)[root].split(" =")[0]
    return Text(f"调用 {name}.backward() 之后的梯度", f"grad after {name}.backward()")


def _expect_values(got: dict[int, float], want: dict[int, float], nodes: list[Node], what: Text, case: str | Text,
                   rtol: float = RTOL, atol: float = ATOL) -> None:
    exprs = _expressions(nodes)
    scale = max([1.0] + [abs(v) for v in want.values()])
    for i, w in want.items():
        g = got[i]
        if not (abs(g - w) <= atol * scale + rtol * abs(w)):
            raise fail(Text(f"Scalar：节点 {exprs[i]} 的{what.zh}", f"Scalar: {what.en} of node {exprs[i]}"), case,
                       Text(f"应为 {w!r}，实际为 {g!r}\n  计算图：{_graph_text(nodes)}",
                            f"expected {w!r}, got {g!r}\n  graph: {_graph_text(nodes)}"))


def expect_graph(ctx: Context, nodes: list[Node], root: int, case: str | Text) -> None:
    """Values of every node, then d root / d node for every node, against torch."""
    got = run_graph(ctx, nodes, root)
    data, grads = torch_graph(nodes, root)
    _expect_values(got["data"], data, nodes, VALUE, case)
    _expect_values(got["grad"], grads, nodes, _grad_after(nodes, root), case)


# --------------------------------------------------------------------------- random graphs

def _apply(op: str, a: float, b: float | None = None, p: float | None = None) -> float | None:
    """The value of one operation in Python floats, or None when outside the domain the checks use."""
    try:
        if op in BINARY:
            assert b is not None, op  # random_graph gives every binary operation its second operand
            if op == "add":
                return a + b
            if op == "sub":
                return a - b
            if op == "mul":
                return a * b
            return a / b if abs(b) >= 0.2 else None
        if op == "neg":
            return -a
        if op == "pow":
            assert p is not None  # and pow its exponent
            if (p < 0 or p != int(p)) and a < 0.2:
                return None
            return a ** p
        if op == "relu":
            return max(a, 0.0)
        if op == "tanh":
            return math.tanh(a)
        if op == "sigmoid":
            return 1.0 / (1.0 + math.exp(-a))
        if op == "exp":
            return math.exp(a) if a <= 3.5 else None
        if op == "log":
            return math.log(a) if a >= 0.2 else None
    except (OverflowError, ZeroDivisionError):
        return None
    raise KeyError(op)


def random_graph(rng: np.random.Generator, n_leaves: int = 3, n_ops: int = 16) -> tuple[list[Node], int]:
    """A random DAG over every operation, with reused nodes and numbers on either side of + - * /.

    Every node is made to matter: the root is the sum of all nodes that nothing else uses.
    """
    nodes: list[Node] = []
    value: dict[int, float] = {}
    for _ in range(n_leaves):
        v = float(rng.uniform(0.3, 2.0) * rng.choice((-1.0, 1.0)))
        value[len(nodes)] = v
        nodes.append(leaf(v))
    ops = list(BINARY) + ["neg", "pow"] + list(METHODS)
    made = 0
    while made < n_ops:
        op = str(rng.choice(ops))
        scalars = list(value)
        # mostly build on the newest nodes, so the graph grows deep, not just wide
        a = int(rng.choice(scalars[-3:] if rng.random() < 0.6 else scalars))
        node: Node = {"op": op, "a": a}
        b_value = None
        if op in BINARY:
            side = rng.integers(3)  # 0: two Scalars (maybe the same one), 1: number on the left, 2: on the right
            b = int(rng.choice(scalars))
            if side == 0:
                node["b"] = b
                b_value = value[b]
            else:
                number = float(np.round(rng.uniform(0.5, 3.0) * rng.choice((-1.0, 1.0)), 2))
                nodes_with_const = len(nodes)
                if side == 1:  # number (op) Scalar: the reflected operator
                    node = {"op": op, "a": nodes_with_const, "b": a}
                    out = _apply(op, number, value[a])
                else:
                    node = {"op": op, "a": a, "b": nodes_with_const}
                    out = _apply(op, value[a], number)
                if out is None or abs(out) > 50:
                    continue
                nodes.append(const(number))
                value[len(nodes)] = out
                nodes.append(node)
                made += 1
                continue
        elif op == "pow":
            node["p"] = float(rng.choice(POWERS))
        out = _apply(op, value[a], b_value, node.get("p"))
        if out is None or abs(out) > 50:
            continue
        value[len(nodes)] = out
        nodes.append(node)
        made += 1
    return _sum_of_sinks(nodes)


def _consumers(nodes: list[Node]) -> dict[int, int]:
    uses = {i: 0 for i, n in enumerate(nodes) if n["op"] != "const"}
    for n in nodes:
        for key in ("a", "b"):
            if key in n and nodes[n[key]]["op"] != "const":
                uses[n[key]] += 1
    return uses


def _sum_of_sinks(nodes: list[Node]) -> tuple[list[Node], int]:
    uses = _consumers(nodes)
    if max(uses.values()) < 2:  # make sure some node feeds two others
        nodes.append({"op": "mul", "a": len(nodes) - 1, "b": len(nodes) - 1})
        uses = _consumers(nodes)
    sinks = [i for i, u in uses.items() if u == 0]
    root = sinks[0]
    for s in sinks[1:]:
        nodes.append({"op": "add", "a": root, "b": s})
        root = len(nodes) - 1
    return nodes, root


# --------------------------------------------------------------------------- checks

@check("hw1.autograd.square_of_sum.lecture_example", hint=HINT_SQUARE_OF_SUM)
def square_of_sum_lecture_example(ctx: Context) -> None:
    for x, y in ((1.0, 2.0), (-3.0, 0.5), (0.5, 0.25), (0.0, 0.0)):
        _expect_square_of_sum(ctx, x, y, f"x={x}, y={y}")


@check("hw1.autograd.square_of_sum.random", hint=HINT_SQUARE_OF_SUM)
def square_of_sum_random(ctx: Context) -> None:
    for _ in range(5):
        x, y = (float(v) for v in ctx.rng.normal(scale=3.0, size=2))
        _expect_square_of_sum(ctx, x, y, ctx.case(f"x={x!r}, y={y!r}"))


def _expect_square_of_sum(ctx: Context, x: float, y: float, case: str | Text) -> None:
    got = as_sequence(ctx.call(x, y), 3, "square_of_sum", case)
    s = x + y
    want = [s * s, 2 * s, 2 * s]
    # one addition and one product in float64: a few ulp
    if not _close_all(got, want):
        # square_of_sum is computed with Scalar by the contract: a Scalar bug is charged by Scalar's
        # checks, so the answer of the student's own Scalar is taken as right (charged once), but
        # only when it is what one of the classic Scalar bugs gives: the child's Scalar answer is
        # reported by code in the student's process, and a zeros Scalar next to a zeros
        # square_of_sum (or a forged driver echoing it) must not pass for "consistent".
        own = _own_square_of_sum(ctx, x, y)
        if (own is not None and any(_close_all(own, bug) for bug in _square_of_sum_scalar_bugs(x, y))
                and _close_all(got, own)):
            return
    expect_float(got[0], want[0], "square_of_sum f", case, rtol=1e-12, atol=1e-12,
                 hint_on={Text("导数 2(x + y)", "2(x + y), the derivative"): 2 * s})
    expect_float(got[1], want[1], "square_of_sum df/dx", case, rtol=1e-12, atol=1e-12)
    expect_float(got[2], want[2], "square_of_sum df/dy", case, rtol=1e-12, atol=1e-12)


@oracle
def _square_of_sum_scalar_bugs(x: float, y: float) -> list[list[float]]:
    """(f, df/dx, df/dy) of (x + y) ** 2 from a Scalar with one classic local-derivative bug: ** with
    slope a^(p-1) (p forgotten), with slope p (a^(p-1) forgotten), with slope p * a^p, and + passing
    the gradient to one input only."""
    s = x + y
    f = s * s
    return [[f, s, s], [f, 2.0, 2.0], [f, 2 * f, 2 * f], [f, 2 * s, 0.0], [f, 0.0, 2 * s]]


def _close_all(got: Any, want: list[float]) -> bool:
    try:
        return all(abs(float(g) - w) <= 1e-12 + 1e-12 * abs(w) for g, w in zip(got, want, strict=True))
    except (TypeError, ValueError):
        return False


def _own_square_of_sum(ctx: Context, x: float, y: float) -> list[float] | None:
    """(f, df/dx, df/dy) of (x + y) ** 2 built from the student's Scalar, or None when it cannot."""
    try:
        got = run_graph(ctx, [leaf(x), leaf(y), {"op": "add", "a": 0, "b": 1}, {"op": "pow", "a": 2, "p": 2.0}], 3)
    except (StudentCodeStopped, CheckFailed):  # no Scalar answer: square_of_sum is judged on its own
        return None
    return [got["data"][3], got["grad"][0], got["grad"][1]]


@check("hw1.autograd.Scalar.lecture_graph", hint=HINT_BACKWARD)
def scalar_lecture_graph(ctx: Context) -> None:
    nodes: list[Node] = [leaf(1.0), leaf(2.0), {"op": "add", "a": 0, "b": 1}, {"op": "pow", "a": 2, "p": 2.0}]
    expect_graph(ctx, nodes, 3, Text("讲义中的 f = (x + y)^2，x = 1，y = 2：f = 9，df/dx = df/dy = 6",
                                     "the lecture's f = (x + y)^2 at x = 1, y = 2: f = 9, df/dx = df/dy = 6"))


def _one_op_graphs() -> list[tuple[list[Node], int]]:
    """Each operation alone, on Scalars and with a plain number on either side."""
    x, y = 1.5, -0.5
    graphs: list[tuple[list[Node], int]] = []
    for op in BINARY:
        graphs.append(([leaf(x), leaf(y), {"op": op, "a": 0, "b": 1}], 2))
        graphs.append(([const(2.0), leaf(x), {"op": op, "a": 0, "b": 1}], 2))  # 2.0 op x: reflected
        graphs.append(([leaf(x), const(2.0), {"op": op, "a": 0, "b": 1}], 2))
    graphs.append(([leaf(x), {"op": "neg", "a": 0}], 1))
    for p in (3.0, 0.5, -1.0, 0.0, 1.0):
        graphs.append(([leaf(x), {"op": "pow", "a": 0, "p": p}], 1))
    graphs.append(([leaf(1.0), {"op": "pow", "a": 0, "p": 0.5}], 1))  # a square root at 1: slope 0.5
    for op in METHODS:
        graphs.append(([leaf(x), {"op": op, "a": 0}], 1))
        if op != "log":
            graphs.append(([leaf(y), {"op": op, "a": 0}], 1))
    return graphs


@check("hw1.autograd.Scalar.each_operation", hint=Text(
    zh="讲义第 1 部分（计算图）：每个运算把 grad 乘以局部导数后传给每个输入（a*b：b 和 a；a/b：1/b 和 -a/b^2；a**p：p*a^(p-1)；"
       "tanh：1 - tanh^2；sigmoid：s(1 - s)）。数字在左边时（如 2 - x 或 2 / x），操作数的顺序保持不变。",
    en="Lecture part 1 (计算图): each operation passes grad times its local derivative to each input (a*b: b and a; "
       "a/b: 1/b and -a/b^2; a**p: p*a^(p-1); tanh: 1 - tanh^2; sigmoid: s(1 - s)). With a number on the left, as in "
       "2 - x or 2 / x, the operands keep their order."))
def scalar_each_operation(ctx: Context) -> None:
    for nodes, root in _one_op_graphs():
        expect_graph(ctx, nodes, root, Text("叶子 x = 1.5、y = -0.5 上的单个运算", "one operation on leaves x = 1.5, y = -0.5"))


@check("hw1.autograd.Scalar.at_zero", hint=Text(
    zh="课程约定（练习的文档字符串）规定了 0 处的局部导数：relu 在该点的斜率为 0，a ** p 的斜率为 p * a^(p-1)，即 p = 1 时为 1，"
       "p > 1 时为 0。",
    en="The course's docstrings fix the local derivatives at 0: relu's slope there is 0, and a ** p has slope p * "
       "a^(p-1), that is 1 for p = 1 and 0 for p > 1."))
def scalar_at_zero(ctx: Context) -> None:
    # Not a ** p for p < 1 at 0: its slope is infinite (math.inf by the docstring) and the contract
    # leaves that case open. Not p = 0 either: the textbook p * a ** (p - 1) divides by zero there,
    # and a correct engine written that way must not lose points for it.
    cases: list[tuple[list[Node], Text]] = [([leaf(0.0), {"op": "relu", "a": 0}],
                                             Text("x.relu()，x = 0：斜率 0", "x.relu() at x = 0: slope 0"))]
    for p, slope in ((1.0, "1"), (2.0, "0"), (1.5, "0")):
        cases.append(([leaf(0.0), {"op": "pow", "a": 0, "p": p}],
                      Text(f"x ** {p:g}，x = 0：斜率 {slope}", f"x ** {p:g} at x = 0: slope {slope}")))
    for nodes, label in cases:
        expect_graph(ctx, nodes, 1, label)


@check("hw1.autograd.Scalar.grad_starts_at_zero", hint=Text(
    zh="讲义第 1 部分（计算图）：在 backward() 运行之前，节点的 grad 为 0.0，因为梯度要在各条路径上累加。",
    en="Lecture part 1 (计算图): a node's grad is 0.0 until backward() runs, because gradients accumulate over the "
       "paths."))
def scalar_grad_starts_at_zero(ctx: Context) -> None:
    nodes: list[Node] = [leaf(0.5), leaf(-1.25), const(3.0), {"op": "mul", "a": 0, "b": 1},
                         {"op": "add", "a": 2, "b": 3}, {"op": "tanh", "a": 4}, {"op": "mul", "a": 5, "b": 0}]
    root = len(nodes) - 1
    got = run_graph(ctx, nodes, root)
    exprs = _expressions(nodes)
    for i, g in got["grad_before"].items():
        if g != 0.0:
            raise CheckFailed(Text(f"Scalar：backward() 之前节点 {exprs[i]} 的 grad 为 {g!r}，应为 0.0"
                                   f"\n  计算图：{_graph_text(nodes)}",
                                   f"Scalar: grad of node {exprs[i]} before backward() is {g!r}, expected 0.0"
                                   f"\n  graph: {_graph_text(nodes)}"))
    # The grads before backward() are read inside the child; they count together with the values
    # and grads after it (a Scalar that never leaves 0 starts at 0 too).
    data, grads = torch_graph(nodes, root)
    case = Text("叶子 0.5 和 -1.25；在一次 backward() 之前和之后读取梯度",
                "leaves 0.5 and -1.25; grads read before and after one backward()")
    _expect_values(got["data"], data, nodes, VALUE, case)
    _expect_values(got["grad"], grads, nodes, _grad_after(nodes, root), case)


@check("hw1.autograd.Scalar.accumulates_over_paths", hint=Text(
    zh="讲义第 1 部分（链式法则）：在多条路径上被使用的节点得到这些路径贡献之和；只有当所有使用它的节点都传回了各自那一份之后，"
       "它自己的 grad 才完整。",
    en="Lecture part 1 (链式法则): a node used on several paths receives the sum of their contributions, and its own "
       "grad is complete only once every node that uses it has passed its share."))
def scalar_accumulates_over_paths(ctx: Context) -> None:
    cases: list[tuple[list[Node], int, str | Text]] = [
        ([leaf(3.0), {"op": "mul", "a": 0, "b": 0}], 1, Text("x * x，x = 3：d/dx = 6", "x * x at x = 3: d/dx = 6")),
        ([leaf(3.0), {"op": "add", "a": 0, "b": 0}], 1, "x + x: d/dx = 2"),
        ([leaf(2.0), leaf(-1.5), {"op": "mul", "a": 0, "b": 1}, {"op": "mul", "a": 2, "b": 0},
          {"op": "add", "a": 3, "b": 2}], 4, "z = x * y; f = z * x + z"),
        # a short and a long path from a to the root: a's grad is complete only after both
        ([leaf(0.4), const(2.0), {"op": "mul", "a": 0, "b": 1}, {"op": "tanh", "a": 2}, {"op": "exp", "a": 3},
          {"op": "mul", "a": 4, "b": 2}, {"op": "add", "a": 2, "b": 5}], 6, "a = 2x; f = a + exp(tanh(a)) * a"),
    ]
    for nodes, root, label in cases:
        expect_graph(ctx, nodes, root, label)


@check("hw1.autograd.Scalar.random_graphs_match_torch", hint=HINT_BACKWARD)
def scalar_random_graphs_match_torch(ctx: Context) -> None:
    for i in range(4):
        nodes, root = random_graph(ctx.rng, n_leaves=int(ctx.rng.integers(2, 5)), n_ops=int(ctx.rng.integers(10, 25)))
        expect_graph(ctx, nodes, root, ctx.case(Text(f"4 个随机计算图中的第 {i + 1} 个，以 torch float64 为基准",
                                                     f"random graph {i + 1} of 4, torch float64 as the oracle")))


# The contract's chain of 5,000 operations (2,500 products, 2,500 sums: 5,001 nodes in a line),
# differentiated under Python's default recursion limit of 1,000 (see drivers/autograd.chain).
CHAIN_STEPS = 2_500


@check("hw1.autograd.Scalar.deep_chain", hint=Text(
    zh="讲义第 1 部分（计算图）：真实的计算图很深，而 Python 只允许大约 1,000 层嵌套调用。对节点排序时不要让图的每一层对应一次函数调用"
       "（递归），这样深度就无关紧要了。",
    en="Lecture part 1 (计算图): real computation graphs are deep, and Python allows only about 1,000 nested calls. "
       "Order the nodes without one function call per level of the graph (recursion), so that depth does not matter."))
def scalar_deep_chain(ctx: Context) -> None:
    scales = np.exp(ctx.rng.normal(scale=0.01, size=CHAIN_STEPS))  # products stay O(1) along the chain
    shifts = ctx.rng.normal(scale=0.1, size=CHAIN_STEPS)
    values, slopes = [0.7], []
    for c, d in zip(scales.tolist(), shifts.tolist()):  # v <- v * c, then v <- d + v (a number on the left)
        values += [values[-1] * c, d + values[-1] * c]
        slopes += [c, 1.0]  # d(next)/d(this) along the chain
    grads = [1.0]
    for s in reversed(slopes):
        grads.append(grads[-1] * s)
    grads.reverse()
    request: ChainRequest = {"start": 0.7, "scales": scales, "shifts": shifts}
    reply = cast(ChainAnswer, expect_fields(ctx.drive("autograd.chain", request),  # checked: data and grad arrays
                                            {"data": np.ndarray, "grad": np.ndarray}, Text("Scalar 链", "Scalar chain")))
    case = ctx.case(Text(f"由 {2 * CHAIN_STEPS} 个运算组成的链（{len(values)} 个节点）：v <- v * c，然后 v <- d + v，从 x = 0.7 "
                         "开始；backward() 在 Python 默认的递归深度上限（1,000）下运行",
                         f"a chain of {2 * CHAIN_STEPS} operations ({len(values)} nodes): v <- v * c, then "
                         "v <- d + v, starting at x = 0.7; backward() under Python's default recursion limit (1,000)"))
    data_what = Text("链上各节点的 Scalar data", "Scalar data along the chain")
    got_data = as_array(np.asarray(reply["data"], dtype=np.float64), data_what, case)
    got_grad = as_array(np.asarray(reply["grad"], dtype=np.float64), Text("链上各节点的 Scalar 梯度",
                                                                          "Scalar grads along the chain"), case)
    # about 5,000 roundings in a row, each 1e-16 relative: 1e-9 is ample
    expect_array(got_data, np.array(values), data_what, case, rtol=1e-9, atol=1e-9)
    expect_array(got_grad, np.array(grads), Text("链上各节点的 Scalar 梯度（下标 0 是叶子 x）",
                                                 "Scalar grads along the chain (index 0 is the leaf x)"), case,
                 rtol=1e-9, atol=1e-9)
    # A chain's values and slopes have a closed form anyone can write down (the judge's above), so
    # the chain's answer counts together with the same Scalar on a graph whose nodes are shared:
    # products and sums only, as along the chain, with the ordering and accumulation backward() needs.
    x, y = (float(v) for v in np.round(ctx.rng.uniform(0.5, 2.0, size=2) * ctx.rng.choice((-1.0, 1.0), size=2), 3))
    nodes: list[Node] = [leaf(x), leaf(y), {"op": "mul", "a": 0, "b": 1}, {"op": "mul", "a": 2, "b": 0},
             {"op": "add", "a": 3, "b": 2}, {"op": "mul", "a": 4, "b": 4}]
    expect_graph(ctx, nodes, 5, ctx.case(Text(f"z = x * y，f = (z * x + z) ** 2 写成乘积，x = {x}，y = {y}",
                                              f"z = x * y, f = (z * x + z) ** 2 as a product, at x = {x}, y = {y}")))

