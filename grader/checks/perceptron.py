"""Checks for perceptron (hw1): the sign step, prediction, Rosenblatt's rule and the logic gates.

Oracles: the lecture's truth tables (the judge applies sgn(X @ w + b) itself to the student's
weights) and the judge's own Rosenblatt loop, written here from the contract's rule.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..compare import (
    as_array,
    as_float,
    as_sequence,
    describe,
    expect_array,
    expect_equal,
    expect_float,
    expect_true,
    fail,
)
from ..context import Context
from ..i18n import Text
from ..oracles import oracle
from ..registry import check
from .common import FLOAT32_HINT, with_float32

GATE_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
GATES = {  # truth tables with True = +1, False = -1
    "AND": np.array([-1.0, -1.0, -1.0, 1.0]),
    "OR": np.array([-1.0, 1.0, 1.0, 1.0]),
    "NAND": np.array([1.0, 1.0, 1.0, -1.0]),
}
XOR_Y = np.array([-1.0, 1.0, 1.0, -1.0])
NO_BIAS = Text("sgn(X @ w)（缺少偏置 b）", "sgn(X @ w) (the bias b is missing)")
# Learning rates that are powers of two and small-integer data keep every step of Rosenblatt's
# rule exact in float64 (and float32): the judge's loop and a correct student loop then take
# the same decisions, including the exact zeros y * (w . x + b) = 0 that the rule counts as
# mistakes. The 1e-9 below only forgives the order in which w . x is summed.
LEARNING_RATES = (0.25, 0.5, 1.0, 2.0)
ATOL_WB = 1e-9

HINT_SIGN = Text(
    zh="讲义第 1 部分（感知机，阶跃函数）：阶跃函数在 z >= 0 时取 +1，否则取 -1，所以 sgn(0) = +1；类别标签永远不会是 0。",
    en="Lecture part 1 (感知机, 阶跃函数): the step function gives +1 for z >= 0 and -1 otherwise, so sgn(0) = +1; "
       "a class label is never 0.")
HINT_PREDICT = Text(
    zh="讲义第 1 部分（感知机）：对 X 的每个样本（每一行）x，预测为 y_hat = sgn(w^T x + b)，包括偏置，且 sgn(0) = +1。",
    en="Lecture part 1 (感知机): the prediction is y_hat = sgn(w^T x + b) for every sample (row) x of X, "
       "the bias included and sgn(0) = +1.")
HINT_TRAIN = Text(
    zh="讲义第 1 部分（感知机学习规则）：感知机只从错误中学习，按顺序访问样本，得分恰好为 0 也算作错误。一轮（epoch）是对全部样本"
       "的一次遍历，第一次出现没有错误的一轮之后训练立即停止。",
    en="Lecture part 1 (感知机学习规则): the perceptron learns only from its mistakes, visiting the samples in "
       "order and counting a score of exactly 0 as a mistake. An epoch is one pass over the samples, and "
       "training stops right after the first epoch without a mistake.")


@oracle
def _sign(z: np.ndarray) -> np.ndarray:
    return np.where(z >= 0, 1.0, -1.0)


@oracle
def rosenblatt(X: np.ndarray, y: np.ndarray, lr: float, epochs: int) -> tuple[np.ndarray, float, list[int]]:
    """The judge's perceptron loop, from the contract's description."""
    w, b = np.zeros(X.shape[1]), 0.0
    errors: list[int] = []
    for _ in range(epochs):
        mistakes = 0
        for x_i, y_i in zip(X, y):
            if y_i * (float(np.dot(w, x_i)) + b) <= 0:
                w = w + lr * y_i * x_i
                b = b + lr * y_i
                mistakes += 1
        errors.append(mistakes)
        if mistakes == 0:
            break
    return w, b, errors


# Not an @oracle: it evaluates the student's answer, so the student bundle keeps its code; with its
# inputs fixed to the lecture's four points it is no solution of any exercise.
def _gate_labels(w: np.ndarray, b: float) -> np.ndarray:
    return np.where(GATE_X @ w + b >= 0, 1.0, -1.0)


def _error_list(value: Any, what: str, case: str | Text) -> list[int]:
    """errors as a list (a tuple is forgiven) of whole numbers."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = list(value)
    if not isinstance(value, (list, tuple)):
        raise fail(what, case, Text(f"应为每轮错误次数的列表，实际得到 {describe(value).zh}",
                                    f"expected a list of mistake counts, got {describe(value).en}"))
    counts = []
    for e in value:
        if isinstance(e, bool) or not isinstance(e, (int, np.integer, float, np.floating)) or float(e) != int(e):
            raise fail(what, case, Text(f"每一项都必须是错误次数（整数），实际得到 {describe(e).zh}",
                                        f"every entry must be a whole number of mistakes, got {describe(e).en}"))
        counts.append(int(e))
    return counts


def _train(ctx: Context, X: np.ndarray, y: np.ndarray, case: str | Text, unchanged: bool = False,
           **kwargs: Any) -> tuple[np.ndarray, float, list[int]]:
    call = ctx.call_unchanged if unchanged else ctx.call
    got = as_sequence(call(X, y, **kwargs), 3, "perceptron_train", case)
    w = as_array(got[0], "perceptron_train w", case, shape=(X.shape[1],), dtype=X.dtype)
    b = as_float(got[1], "perceptron_train b", case)
    return w, b, _error_list(got[2], "perceptron_train errors", case)


def _expect_run(ctx: Context, X: np.ndarray, y: np.ndarray, lr: float, epochs: int, unchanged: bool = False) -> None:
    case = ctx.case(X=X, lr=lr, epochs=epochs)
    w, b, errors = _train(ctx, X, y, case, unchanged=unchanged, lr=lr, epochs=epochs)
    w_want, b_want, errors_want = rosenblatt(X.astype(np.float64), y.astype(np.float64), lr, epochs)
    note = Text("", "")
    if errors_want[-1] == 0 and errors[:len(errors_want)] == errors_want and len(errors) > len(errors_want):
        note = Text("（出现错误次数为 0 的一轮之后，你的循环还在继续；应在这一轮之后立即停止）",
                    " (your loop went on after an epoch with 0 mistakes; stop right after it)")
    if errors != errors_want:
        raise fail(Text("perceptron_train 每轮的错误次数", "perceptron_train errors per epoch"), case,
                   Text(f"应为 {_short(errors_want)}，实际为 {_short(errors)}", f"expected {_short(errors_want)}, "
                        f"got {_short(errors)}") + note)
    expect_array(w, w_want, "perceptron_train w", case, rtol=0, atol=ATOL_WB)
    expect_float(b, b_want, "perceptron_train b", case, rtol=0, atol=ATOL_WB)


def _short(counts: list[int], limit: int = 30) -> str:
    return str(counts) if len(counts) <= limit else f"{str(counts[:limit])[:-1]}, ... ({len(counts)} epochs)]"


def _small_ints(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(-3, 4, size=shape).astype(np.float64)


def _separable(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Small-integer points labelled by a random integer hyperplane, none on it."""
    while True:
        n, d = int(rng.integers(8, 25)), int(rng.integers(2, 5))
        w_true, b_true = _small_ints(rng, (d,)), float(rng.integers(-2, 3)) + 0.5
        X = _small_ints(rng, (n, d))
        y = _sign(X @ w_true + b_true)
        if 0 < np.count_nonzero(y > 0) < n:
            return X, y


@check("hw1.perceptron.sign.zero_is_plus_one", hint=HINT_SIGN)
def sign_zero_is_plus_one(ctx: Context) -> None:
    z = np.array([-2.5, -1e-300, 0.0, 1e-300, 3.0])
    want = np.array([-1.0, -1.0, 1.0, 1.0, 1.0])
    expect_array(ctx.call_unchanged(z), want, "sign", "z = [-2.5, -1e-300, 0, 1e-300, 3]",
                 rtol=0, atol=0, dtype=np.float64, hint_on={"np.sign (sign(0) = 0)": np.sign(z)})
    z32 = np.array([[-2.5, 0.0], [0.0, 3.0]], dtype=np.float32)
    expect_array(ctx.call(z32), _sign(z32), with_float32("sign"), "z = [[-2.5, 0], [0, 3]] float32",
                 rtol=0, atol=0, dtype=np.float32, hint_on={"np.sign (sign(0) = 0)": np.sign(z32)})


@check("hw1.perceptron.sign.random", hint=HINT_SIGN)
def sign_random(ctx: Context) -> None:
    for shape in ((7,), (3, 4), (2, 3, 2)):
        z = ctx.rng.normal(size=shape)
        z[ctx.rng.random(shape) < 0.3] = 0.0  # exact zeros where the convention matters
        zeros = np.count_nonzero(z == 0)
        case = ctx.case(Text(f"其中 {zeros} 个元素恰好为 0", f"{zeros} exact zero(s)"), z=z)
        expect_array(ctx.call_unchanged(z), _sign(z), "sign", case, rtol=0, atol=0, dtype=np.float64,
                     hint_on={"np.sign (sign(0) = 0)": np.sign(z)})
    z32 = np.concatenate([ctx.rng.normal(size=5), [0.0]]).astype(np.float32)
    expect_array(ctx.call(z32), _sign(z32), with_float32("sign"), ctx.case(z=z32),
                 rtol=0, atol=0, dtype=np.float32)


@check("hw1.perceptron.perceptron_predict.small_example", hint=HINT_PREDICT)
def perceptron_predict_small_example(ctx: Context) -> None:
    # The OR gate's line w = [1, 1], b = -1 puts [0, 1] and [1, 0] exactly on it (score 0: +1).
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [-2.0, 0.5]])
    w, b = np.array([1.0, 1.0]), -1.0
    case = Text(f"X = {X.tolist()}，w = [1, 1]，b = -1：得分 [-1, 0, 0, 1, -2.5]",
                f"X = {X.tolist()}, w = [1, 1], b = -1: scores [-1, 0, 0, 1, -2.5]")
    want = np.array([-1.0, 1.0, 1.0, 1.0, -1.0])
    alternatives: dict[str | Text, np.ndarray] = {"np.sign (sgn(0) = 0)": np.sign(X @ w + b), NO_BIAS: _sign(X @ w)}
    expect_array(ctx.call_unchanged(X, w, b), want, "perceptron_predict", case, rtol=0, atol=0, dtype=np.float64,
                 hint_on=alternatives)
    expect_array(ctx.call(X.astype(np.float32), w.astype(np.float32), b), want, with_float32("perceptron_predict"),
                 case, rtol=0, atol=0, dtype=np.float32, hint_on=alternatives)


@check("hw1.perceptron.perceptron_predict.random", hint=HINT_PREDICT)
def perceptron_predict_random(ctx: Context) -> None:
    for _ in range(3):
        n, d = int(ctx.rng.integers(3, 12)), int(ctx.rng.integers(1, 5))
        # Small integers make some scores exactly 0, where the prediction must be +1.
        X, w = _small_ints(ctx.rng, (n, d)), _small_ints(ctx.rng, (d,))
        b = float(ctx.rng.integers(-2, 3))
        expect_array(ctx.call_unchanged(X, w, b), _sign(X @ w + b), "perceptron_predict", ctx.case(X=X, w=w, b=b),
                     rtol=0, atol=0, dtype=np.float64, hint_on={NO_BIAS: _sign(X @ w)})
    X, w = ctx.rng.normal(size=(6, 3)), ctx.rng.normal(size=3)
    b = float(ctx.rng.normal())
    expect_array(ctx.call(X, w, b), _sign(X @ w + b), "perceptron_predict", ctx.case(X=X, w=w, b=b),
                 rtol=0, atol=0, dtype=np.float64, hint_on={NO_BIAS: _sign(X @ w)})


@check("hw1.perceptron.perceptron_predict.float32", hint=FLOAT32_HINT)
def perceptron_predict_float32(ctx: Context) -> None:
    X, w = ctx.rng.normal(size=(8, 3)).astype(np.float32), ctx.rng.normal(size=3).astype(np.float32)
    b = 0.25
    # Keep every score clear of 0 so float32 rounding cannot flip a label.
    scores = X.astype(np.float64) @ w.astype(np.float64) + b
    X[np.abs(scores) < 1e-3] += np.float32(0.5)
    want = _sign(X.astype(np.float64) @ w.astype(np.float64) + b)
    expect_array(ctx.call(X, w, b), want, with_float32("perceptron_predict"), ctx.case(X=X, w=w, b=b),
                 rtol=0, atol=0, dtype=np.float32)


@check("hw1.perceptron.logic_gate.truth_tables", hint=Text(
    zh="讲义第 1 部分（感知机中的逻辑运算）：一个逻辑门就是一条直线 w . x + b = 0，输出为真的输入在它的非负一侧（sgn(0) = +1），"
       "其余输入严格在另一侧；满足这一点的任何 w 和 b 都可以。",
    en="Lecture part 1 (感知机中的逻辑运算): a gate is a line w . x + b = 0 with the inputs that give True on its "
       "non-negative side (sgn(0) = +1) and the others strictly below it; any such w and b will do."))
def logic_gate_truth_tables(ctx: Context) -> None:
    for name, table in GATES.items():
        got = as_sequence(ctx.call(name), 2, f"logic_gate({name!r})")
        w = as_array(got[0], f"logic_gate({name!r}) w", shape=(2,)).astype(np.float64)
        b = as_float(got[1], f"logic_gate({name!r}) b")
        hints = {Text(f"{other} 门", f"the {other} gate"): t for other, t in GATES.items() if other != name}
        # The judge's own sgn(X @ w + b) on your weights: labels are exact.
        expect_array(_gate_labels(w, b), table, Text(f"取 (w, b) = logic_gate({name!r}) 时的 sgn(X @ w + b)",
                                                     f"sgn(X @ w + b) with (w, b) = logic_gate({name!r})"),
                     _your_gate(w, b), rtol=0, atol=0, hint_on=hints)


@check("hw1.perceptron.logic_gate.unknown_name_raises", hint=Text(
    zh="讲义第 1 部分（异或）：异或不是线性可分的，所以不存在这样的 (w, b)。接口约定只接受 AND、OR 和 NAND 这三个名称；"
       "其他任何名称（包括大小写不同的写法）都是错误。",
    en="Lecture part 1 (异或): XOR is not linearly separable, so no (w, b) exists. The contract accepts exactly "
       "the names AND, OR and NAND; every other name, another capitalisation included, is an error."))
def logic_gate_unknown_name_raises(ctx: Context) -> None:
    # The contract's clarification: other capitalisations ("and", "Or") raise too.
    for name in ("XOR", "NOR", "MAYBE", "and", "Or", "nand"):
        ctx.expect_raises("ValueError", name)
    # Raising is half of it: a function that raises for every name (or one whose gates are all
    # wrong) tells no names apart. AND, asked the same way, must answer with a working gate.
    got = as_sequence(ctx.call("AND"), 2, "logic_gate('AND')", Text("与未知名称并列的已知名称",
                                                                    "the known name next to the unknown ones"))
    w = as_array(got[0], "logic_gate('AND') w", shape=(2,)).astype(np.float64)
    b = as_float(got[1], "logic_gate('AND') b")
    expect_array(_gate_labels(w, b), GATES["AND"], Text("取 (w, b) = logic_gate('AND') 时的 sgn(X @ w + b)",
                                                        "sgn(X @ w + b) with (w, b) = logic_gate('AND')"),
                 _your_gate(w, b), rtol=0, atol=0)


def _your_gate(w: np.ndarray, b: float) -> Text:
    return Text(f"X = [[0,0],[0,1],[1,0],[1,1]]，你的 w = {w.tolist()}，b = {b}",
                f"X = [[0,0],[0,1],[1,0],[1,1]], your w = {w.tolist()}, b = {b}")


@check("hw1.perceptron.perceptron_train.converges_on_gates", hint=HINT_TRAIN)
def perceptron_train_converges_on_gates(ctx: Context) -> None:
    for name, y in GATES.items():
        case = Text(f"X = [[0,0],[0,1],[1,0],[1,1]]，y = {y.tolist()}（{name}），lr 和 epochs 取默认值",
                    f"X = [[0,0],[0,1],[1,0],[1,1]], y = {y.tolist()} ({name}), default lr and epochs")
        w, b, errors = _train(ctx, GATE_X, y, case, unchanged=True)
        expect_true(len(errors) > 0 and errors[-1] == 0, Text(f"perceptron_train 在 {name} 上", f"perceptron_train on "
                                                              f"{name}"), case,
                    Text(f"训练应以错误次数为 0 的一轮结束（数据是线性可分的）；errors = {errors}"[:600],
                         f"training should end with an epoch of 0 mistakes (the data are linearly separable); "
                         f"errors = {errors}"[:600]))
        expect_array(_gate_labels(w.astype(np.float64), b), y,
                     Text(f"用你学到的 w = {w.tolist()}，b = {b} 在 {name} 上计算的 sgn(X @ w + b)",
                          f"sgn(X @ w + b) with your learnt w = {w.tolist()}, b = {b} on {name}"), case, rtol=0, atol=0)


# A fixed separable set whose trace depends on the order of the samples: 4 epochs with lr = 0.5.
TRACE_X = np.array([[3.0, 1.0], [1.0, 0.0], [3.0, -2.0], [-1.0, 1.0], [1.0, -3.0], [-2.0, 1.0]])
TRACE_Y = np.array([1.0, 1.0, 1.0, 1.0, 1.0, -1.0])


@check("hw1.perceptron.perceptron_train.small_trace", hint=HINT_TRAIN)
def perceptron_train_small_trace(ctx: Context) -> None:
    # Every step of the rule is exact here (dyadic lr, small integers), so errors, w and b must be
    # exactly the judge's; float32 X must give the same numbers with w in float32.
    _expect_run(ctx, TRACE_X, TRACE_Y, 0.5, 50, unchanged=True)
    case = f"X = {TRACE_X.tolist()} float32, y = {TRACE_Y.tolist()}, lr=0.5, epochs=50"
    w, b, errors = _train(ctx, TRACE_X.astype(np.float32), TRACE_Y.astype(np.float32), case, lr=0.5, epochs=50)
    w_want, b_want, errors_want = rosenblatt(TRACE_X, TRACE_Y, 0.5, 50)
    _expect_float32_run(errors, w, b, errors_want, w_want, b_want, case)


def _expect_float32_run(errors, w, b, errors_want, w_want, b_want, case: str | Text) -> None:
    expect_equal(errors, errors_want, Text("perceptron_train 每轮的错误次数（float32 X）",
                                           "perceptron_train errors per epoch (float32 X)"), case)
    expect_array(w, w_want, "perceptron_train w (float32 X)", case, rtol=0, atol=ATOL_WB)  # dyadic steps: exact
    expect_float(b, b_want, "perceptron_train b (float32 X)", case, rtol=0, atol=ATOL_WB)


@check("hw1.perceptron.perceptron_train.xor_never_converges", hint=Text(
    zh="讲义第 1 部分（异或，明斯基）：没有一条直线能分开异或，所以每一轮都有错误，训练会跑满所有轮次，每轮记录一个错误次数。",
    en="Lecture part 1 (异或, Minsky): no line separates XOR, so every epoch has mistakes and training runs all of its "
       "epochs, one mistake count per epoch."))
def perceptron_train_xor_never_converges(ctx: Context) -> None:
    for epochs in (1, 25):
        case = f"X = [[0,0],[0,1],[1,0],[1,1]], y = {XOR_Y.tolist()} (XOR), epochs={epochs}"
        _, _, errors = _train(ctx, GATE_X, XOR_Y, case, epochs=epochs)
        expect_equal(len(errors), epochs, Text("perceptron_train 在 XOR 上：len(errors)",
                                               "perceptron_train on XOR: len(errors)"), case)
        expect_true(all(e > 0 for e in errors), Text("perceptron_train 在 XOR 上", "perceptron_train on XOR"), case,
                    Text(f"在 XOR 上每一轮都必须有错误，实际 errors = {errors}",
                         f"every epoch must have mistakes on XOR, got errors = {errors}"))
    # The contrast that makes it a property of XOR rather than of the function: with the same
    # settings the same four points labelled AND are learnt (a mistake count that never reaches
    # 0, whatever the data, says nothing about XOR).
    case = f"X = [[0,0],[0,1],[1,0],[1,1]], y = {GATES['AND'].tolist()} (AND), epochs=25"
    _, _, errors = _train(ctx, GATE_X, GATES["AND"], case, epochs=25)
    expect_true(len(errors) > 0 and errors[-1] == 0, Text("perceptron_train 在 AND 上", "perceptron_train on AND"), case,
                Text(f"AND 是线性可分的，所以训练必须以错误次数为 0 的一轮结束；errors = {errors}"[:600],
                     f"AND is linearly separable, so training must end with an epoch of 0 mistakes; "
                     f"errors = {errors}"[:600]))


@check("hw1.perceptron.perceptron_train.rosenblatt_separable", hint=HINT_TRAIN)
def perceptron_train_rosenblatt_separable(ctx: Context) -> None:
    for i in range(3):
        while True:
            X, y = _separable(ctx.rng)
            lr = float(ctx.rng.choice(LEARNING_RATES))
            if rosenblatt(X, y, lr, 200)[2][-1] == 0:  # converges well before the cap
                break
        _expect_run(ctx, X, y, lr, 1000, unchanged=(i == 0))


@check("hw1.perceptron.perceptron_train.rosenblatt_nonseparable", hint=HINT_TRAIN)
def perceptron_train_rosenblatt_nonseparable(ctx: Context) -> None:
    for i in range(4):
        n, d = int(ctx.rng.integers(6, 20)), int(ctx.rng.integers(1, 4))
        X = _small_ints(ctx.rng, (n, d))
        y = np.where(ctx.rng.random(n) < 0.5, 1.0, -1.0)
        lr = float(ctx.rng.choice(LEARNING_RATES))
        epochs = int(ctx.rng.integers(2, 7))
        _expect_run(ctx, X, y, lr, epochs, unchanged=(i == 0))


@check("hw1.perceptron.perceptron_train.float32", hint=FLOAT32_HINT)
def perceptron_train_float32(ctx: Context) -> None:
    X, y = _separable(ctx.rng)
    X32, y32 = X.astype(np.float32), y.astype(np.float32)  # float32 in: samples and labels
    case = ctx.case(X=X32, y=y32, lr=0.5, epochs=5)
    w, b, errors = _train(ctx, X32, y32, case, lr=0.5, epochs=5)
    w_want, b_want, errors_want = rosenblatt(X, y, 0.5, 5)
    _expect_float32_run(errors, w, b, errors_want, w_want, b_want, case)
