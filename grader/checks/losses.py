"""Checks for losses (hw2): loss functions (损失函数) and the gradients backpropagation starts from.

Oracles: torch.nn.functional in float64 (imported inside each check) for the losses and softmax,
torch autograd and the judge's own central differences (numpy closed forms) for the gradients.
"""
from __future__ import annotations

import numpy as np

from ..compare import dtype_like, expect_array, expect_float
from ..context import Context
from ..gradients import away_from_kinks, expect_gradient, finite_difference
from ..i18n import Text
from ..oracles import oracle
from ..registry import check
from ..tolerances import ATOL64, RTOL32, RTOL64
from .common import FLOAT32_HINT, against, with_float32

# float32 losses are means of O(1) values, and gradients carry the factor 1/n: both are small, so
# absolute 1e-6 (not the usual 1e-5) keeps the float32 checks as sharp in relative terms.
ATOL32 = 1e-6
# The judge's central differences (h = 1e-6) of an O(1) loss carry rounding ~1e-16 * |L| / h ~ 1e-10;
# relative 1e-6 with a floor of 1e-2 accepts that (1e-8 absolute near zero entries) and no real slip.
FD_TOL, FD_FLOOR = 1e-6, 1e-2

HINT_MEAN = Text(
    zh="讲义第 2 部分（损失函数）：L = (1/N) sum_n L_n，是对所有元素求平均而不是求和，这样损失不会随批量变大。",
    en="Lecture part 2 (损失函数): L = (1/N) sum_n L_n, the mean over all elements rather than the sum, so the "
       "loss does not grow with the batch.")
HINT_GRAD = Text(
    zh="讲义第 2 部分（损失函数）：对 n 个元素求平均的梯度带有因子 1/n，其中 n 是 pred 的全部元素个数，而不只是批量那一维；"
       "梯度的形状与 pred 相同。",
    en="Lecture part 2 (损失函数): the gradient of a mean over n elements carries the factor 1/n, with n "
       "counting every element of pred, not only the batch axis, and it has pred's shape.")
HINT_SOFTMAX = Text(
    zh="讲义第 2 部分（softmax）：沿给定轴的 exp(z) / sum exp(z) 在每个切片减去同一个常数后保持不变；先减去每个切片的最大值，"
       "所有指数都不大于 0，于是 1e4 这样的 logits 也不会溢出。",
    en="Lecture part 2 (softmax): exp(z) / sum exp(z) along the given axis is unchanged when one "
       "constant per slice is subtracted, and taking out each slice's maximum keeps every exponent <= 0, "
       "so logits of 1e4 cannot overflow.")
HINT_CE = Text(
    zh="讲义第 2 部分（交叉熵）：每个样本的损失是 log sum_k exp(z_k) - z_y，再对 N 个样本求平均；只有先减去该行的最大值，"
       "log-sum-exp 在 logits 为 1e4 时才能保持有限。",
    en="Lecture part 2 (交叉熵): per sample the loss is log sum_k exp(z_k) - z_y, averaged over N, and the "
       "log-sum-exp stays finite for logits of 1e4 only with the row's maximum taken out first.")
SUM_NOT_MEAN = Text("求和而不是求平均的结果", "the sum instead of the mean")
NO_ABS = Text("不取绝对值的平均", "the mean without the absolute value")


def _torch(*arrays: np.ndarray):
    import torch

    return [torch.tensor(np.asarray(a, dtype=np.float64)) for a in arrays]


def _random_pair(ctx: Context, shape: tuple[int, ...], dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    return (ctx.rng.normal(size=shape).astype(dtype), ctx.rng.normal(size=shape).astype(dtype))


SHAPES = ((7,), (4, 3), (2, 3, 4))


# --------------------------------------------------------------------------- mse, mae

@check("hw2.losses.mse.simple_example", hint=HINT_MEAN)
def mse_simple_example(ctx: Context) -> None:
    pred, target = np.array([1.0, 2.0, 3.0, 0.5]), np.array([1.0, 1.0, 1.0, 1.5])
    got = ctx.call_unchanged(pred, target)
    # (0 + 1 + 4 + 1) / 4
    expect_float(got, 1.5, "mse", f"pred = {pred.tolist()}, target = {target.tolist()}", rtol=1e-12, atol=0,
                 hint_on={SUM_NOT_MEAN: 6.0, Text("平均值的平方根", "the root of the mean"): np.sqrt(1.5)})


@check("hw2.losses.mse.matches_torch", hint=HINT_MEAN)
def mse_matches_torch(ctx: Context) -> None:
    import torch.nn.functional as F

    for shape in SHAPES:
        pred, target = _random_pair(ctx, shape)
        want = float(F.mse_loss(*_torch(pred, target)))
        got = ctx.call_unchanged(pred, target)
        expect_float(got, want, against("mse", "torch.nn.functional.mse_loss"),
                     ctx.case(pred=pred, target=target), rtol=RTOL64, atol=ATOL64,
                     hint_on={SUM_NOT_MEAN: want * pred.size})
    pred, target = _random_pair(ctx, (5, 2), np.float32)
    want = float(F.mse_loss(*_torch(pred, target)))
    expect_float(ctx.call(pred, target), want, with_float32("mse"),
                 ctx.case(pred=pred, target=target), rtol=RTOL32, atol=ATOL32)


HINT_MAE = Text(zh="讲义第 2 部分：MAE = (1/N) sum |y_hat - y|，即对所有元素的绝对值求平均。",
                en="Lecture part 2: MAE = (1/N) sum |y_hat - y|, the mean of absolute values over all elements.")
# A (2, 3) example: a mean over the batch axis alone or a sum differ from the mean over all 6 elements.
PRED_2x3 = np.array([[1.0, 2.0, -1.0], [0.5, 3.0, 0.0]])
TARGET_2x3 = np.array([[0.0, 2.5, 1.0], [0.5, 1.0, -2.0]])
CASE_2x3 = f"pred = {PRED_2x3.tolist()}, target = {TARGET_2x3.tolist()}"


@check("hw2.losses.mae.simple_example", hint=HINT_MAE)
def mae_simple_example(ctx: Context) -> None:
    diff = PRED_2x3 - TARGET_2x3  # |diff| = 1, 0.5, 2, 0, 2, 2: mean 7.5 / 6
    alternatives = {SUM_NOT_MEAN: 7.5, Text("只对第一维求平均的结果", "the mean over the first axis only"): 7.5 / 2,
                    NO_ABS: float(np.mean(diff))}
    expect_float(ctx.call_unchanged(PRED_2x3, TARGET_2x3), 1.25, "mae", CASE_2x3, rtol=1e-12, atol=0,
                 hint_on=alternatives)
    expect_float(ctx.call(PRED_2x3.astype(np.float32), TARGET_2x3.astype(np.float32)), 1.25,
                 with_float32("mae"), CASE_2x3, rtol=RTOL32, atol=ATOL32, hint_on=alternatives)


@check("hw2.losses.mae.matches_torch", hint=HINT_MAE)
def mae_matches_torch(ctx: Context) -> None:
    import torch.nn.functional as F

    for shape in SHAPES:
        pred, target = _random_pair(ctx, shape)
        want = float(F.l1_loss(*_torch(pred, target)))
        got = ctx.call_unchanged(pred, target)
        expect_float(got, want, against("mae", "torch.nn.functional.l1_loss"),
                     ctx.case(pred=pred, target=target), rtol=RTOL64, atol=ATOL64,
                     hint_on={SUM_NOT_MEAN: want * pred.size, NO_ABS: float(np.mean(pred - target))})
    pred, target = _random_pair(ctx, (3, 3), np.float32)
    want = float(F.l1_loss(*_torch(pred, target)))
    expect_float(ctx.call(pred, target), want, with_float32("mae"),
                 ctx.case(pred=pred, target=target), rtol=RTOL32, atol=ATOL32)


# --------------------------------------------------------------------------- mse_grad, mae_grad

@oracle
def _autograd(loss_name: str, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    import torch.nn.functional as F

    p, t = _torch(pred, target)
    p.requires_grad_(True)
    getattr(F, loss_name)(p, t).backward()
    return p.grad.numpy()


NO_1_N = Text("不带 1/n 的 2 (pred - target)", "2 (pred - target) without the 1/n")
FIRST_AXIS_N = Text("2 (pred - target) / N，N 只取第一维", "2 (pred - target) / N with N the first axis only")


@check("hw2.losses.mse_grad.simple_example", hint=HINT_GRAD)
def mse_grad_simple_example(ctx: Context) -> None:
    want = 2 * (PRED_2x3 - TARGET_2x3) / 6
    alternatives = {NO_1_N: 2 * (PRED_2x3 - TARGET_2x3), FIRST_AXIS_N: 2 * (PRED_2x3 - TARGET_2x3) / 2}
    expect_array(ctx.call_unchanged(PRED_2x3, TARGET_2x3), want, "mse_grad",
                 Text(CASE_2x3 + "（n = 6 个元素）", CASE_2x3 + " (n = 6 elements)"),
                 rtol=1e-12, atol=1e-15, dtype=np.float64, hint_on=alternatives)
    expect_array(ctx.call(PRED_2x3.astype(np.float32), TARGET_2x3.astype(np.float32)), want,
                 with_float32("mse_grad"), CASE_2x3, rtol=RTOL32, atol=ATOL32, dtype=np.float32,
                 hint_on=alternatives)


@check("hw2.losses.mse_grad.matches_autograd", hint=HINT_GRAD)
def mse_grad_matches_autograd(ctx: Context) -> None:
    for shape in SHAPES:
        pred, target = _random_pair(ctx, shape)
        case = ctx.case(pred=pred, target=target)
        got = ctx.call_unchanged(pred, target)
        want = _autograd("mse_loss", pred, target)
        expect_array(got, want, against("mse_grad", Text("mse_loss 的 torch 自动求导", "torch autograd of mse_loss")),
                     case, rtol=RTOL64, atol=ATOL64, dtype=np.float64,
                     hint_on={NO_1_N: 2 * (pred - target), FIRST_AXIS_N: 2 * (pred - target) / pred.shape[0]})
        # And against the judge's own central differences of the mean squared error.
        def mse(p: np.ndarray, target: np.ndarray = target) -> float:
            return float(np.mean((p - target) ** 2))

        numeric = finite_difference(mse, pred)
        expect_gradient(got, numeric, against("mse_grad", Text("mse 的中心差分", "central differences of mse")), case,
                        tol=FD_TOL, floor=FD_FLOOR)


@check("hw2.losses.mse_grad.float32", hint=FLOAT32_HINT)
def mse_grad_float32(ctx: Context) -> None:
    pred, target = _random_pair(ctx, (4, 5), np.float32)
    want = 2 * (pred.astype(np.float64) - target) / pred.size
    expect_array(ctx.call(pred, target), want, with_float32("mse_grad"),
                 ctx.case(pred=pred, target=target), rtol=RTOL32, atol=ATOL32, dtype=dtype_like(pred))


@check("hw2.losses.mae_grad.ties_give_zero", hint=Text(
    zh="讲义第 2 部分与课程接口约定：|d| 在 d = 0 处不可导，课程在该点取 sign(0) = 0，所以 pred == target 处梯度为 0；"
       "因子 1/n 照常适用。",
    en="Lecture part 2 and the course contract: |d| has no derivative at d = 0, and the course takes sign(0) = 0 "
       "there, so pred == target gives gradient 0; the factor 1/n applies as everywhere."))
def mae_grad_ties_give_zero(ctx: Context) -> None:
    pred = np.array([[1.0, 2.0, -1.0], [0.5, 3.0, 0.0]])
    target = np.array([[1.0, 1.0, 0.0], [0.5, 3.0, -2.0]])  # three exact ties
    case = f"pred = {pred.tolist()}, target = {target.tolist()}"
    want = np.sign(pred - target) / pred.size
    expect_array(ctx.call_unchanged(pred, target), want, Text("mae_grad，有三个元素 pred == target",
                                                              "mae_grad with pred == target at three elements"), case,
                 rtol=0, atol=1e-15, dtype=np.float64,
                 hint_on={Text("把 sign(0) 当作 +1 的结果", "sign(0) taken as +1"):
                          np.where(pred >= target, 1.0, -1.0) / pred.size,
                          Text("不带 1/n 的 sign(pred - target)", "sign(pred - target) without the 1/n"):
                          np.sign(pred - target)})
    pred32, target32 = pred.astype(np.float32), target.astype(np.float32)
    expect_array(ctx.call(pred32, target32), want, with_float32("mae_grad"), case,
                 rtol=RTOL32, atol=1e-7, dtype=np.float32)


@check("hw2.losses.mae_grad.matches_autograd", hint=HINT_GRAD)
def mae_grad_matches_autograd(ctx: Context) -> None:
    for shape in SHAPES:
        target = ctx.rng.normal(size=shape)
        # pred - target kept >= 1e-2 away from 0, where |d| has its kink and differences lie.
        pred = target + away_from_kinks(ctx.rng, shape, margin=1e-2)
        case = ctx.case(pred=pred, target=target)
        got = ctx.call_unchanged(pred, target)
        expect_array(got, _autograd("l1_loss", pred, target),
                     against("mae_grad", Text("l1_loss 的 torch 自动求导", "torch autograd of l1_loss")), case,
                     rtol=RTOL64, atol=1e-14, dtype=np.float64)
        def mae(p: np.ndarray, target: np.ndarray = target) -> float:
            return float(np.mean(np.abs(p - target)))

        numeric = finite_difference(mae, pred)
        expect_gradient(got, numeric, against("mae_grad", Text("mae 的中心差分", "central differences of mae")), case,
                        tol=FD_TOL, floor=FD_FLOOR)


# --------------------------------------------------------------------------- softmax

@oracle
def _torch_softmax(logits: np.ndarray, axis: int) -> np.ndarray:
    import torch

    return torch.softmax(_torch(logits)[0], dim=axis).numpy()


@check("hw2.losses.softmax.simple_example", hint=HINT_SOFTMAX)
def softmax_simple_example(ctx: Context) -> None:
    # Three rows on very different scales: one max per row keeps each of them finite and exact.
    logits = np.array([[0.0, np.log(2.0), np.log(3.0)], [5.0, 5.0, 5.0], [1e4, 0.0, -1e4]])
    want = np.array([[1 / 6, 2 / 6, 3 / 6], [1 / 3, 1 / 3, 1 / 3], [1.0, 0.0, 0.0]])
    case = "logits = [[0, log(2), log(3)], [5, 5, 5], [1e4, 0, -1e4]]"
    expect_array(ctx.call_unchanged(logits), want, Text("沿最后一维（默认）的 softmax",
                                                        "softmax over the last axis (the default)"), case,
                 rtol=1e-12, atol=1e-12, dtype=np.float64)
    expect_array(ctx.call(logits.astype(np.float32)), want, Text("沿最后一维的 softmax，float32 logits",
                                                                 "softmax over the last axis, float32 logits"), case,
                 rtol=RTOL32, atol=ATOL32, dtype=np.float32)
    columns = np.array([[0.0, 1.0], [np.log(3.0), 1.0]])  # softmax over axis 0: [[1/4, 1/2], [3/4, 1/2]]
    expect_array(ctx.call(columns, axis=0), np.array([[0.25, 0.5], [0.75, 0.5]]), "softmax(logits, axis=0)",
                 Text("logits = [[0, 1], [log(3), 1]]：每一列之和为 1",
                      "logits = [[0, 1], [log(3), 1]]: each column sums to 1"),
                 rtol=1e-12, atol=1e-12, dtype=np.float64,
                 hint_on={Text("沿最后一维的 softmax", "softmax over the last axis"): _torch_softmax(columns, -1)})


@check("hw2.losses.softmax.matches_torch", hint=HINT_SOFTMAX)
def softmax_matches_torch(ctx: Context) -> None:
    cases: tuple[tuple[tuple[int, ...], int, dict[str, int]], ...] = (
        ((4, 5), -1, {}), ((4, 5), 0, {"axis": 0}), ((2, 3, 4), 1, {"axis": 1}), ((3, 2, 5), -1, {}),
        ((6,), 0, {"axis": 0}))
    for shape, axis, kwargs in cases:
        logits = ctx.rng.normal(scale=3.0, size=shape)
        case = ctx.case(Text("（默认）", "(default)") if not kwargs else "", logits=logits, axis=axis)
        got = ctx.call_unchanged(logits, **kwargs)
        want = _torch_softmax(logits, axis)
        alt = {Text(f"沿第 {a} 维的 softmax", f"softmax over axis {a}"): _torch_softmax(logits, a)
               for a in range(logits.ndim) if a % logits.ndim != axis % logits.ndim}
        got = expect_array(got, want, against("softmax", "torch.softmax"), case, rtol=1e-10, atol=1e-12,
                           dtype=np.float64, hint_on=alt)
        sums = np.asarray(np.sum(got, axis=axis))
        expect_array(sums, np.ones(sums.shape), Text("softmax 沿该维的和", "softmax sums along axis"), case,
                     rtol=0, atol=1e-12)
    logits = ctx.rng.normal(scale=3.0, size=(3, 4)).astype(np.float32)
    expect_array(ctx.call(logits), _torch_softmax(logits, -1), Text("softmax，float32 logits",
                                                                    "softmax with float32 logits"),
                 ctx.case(logits=logits), rtol=RTOL32, atol=ATOL32, dtype=np.float32)


@check("hw2.losses.softmax.large_logits", hint=HINT_SOFTMAX)
def softmax_large_logits(ctx: Context) -> None:
    logits = np.array([[1e4, 0.0, -1e4], [1e4, 1e4 - 1.0, 1e4 - 2.0], [-1e4, -1e4, -1e4]])
    wide = ctx.rng.uniform(-1e4, 1e4, size=(4, 6))
    for name, z, axis in ((Text("固定的几行", "fixed rows"), logits, -1),
                          (Text("固定的几行，沿第 0 维", "fixed rows, axis 0"), logits, 0),
                          (Text("随机", "random"), wide, -1)):
        case = ctx.case(name + Text("：logits 可达 +-1e4", ": logits up to +-1e4"), logits=z, axis=axis)
        # torch.softmax is stable; the answers are O(1) probabilities, so float64 rounding is tiny.
        expect_array(ctx.call(z, axis=axis), _torch_softmax(z, axis), Text("softmax，logits 很大",
                                                                           "softmax with large logits"), case,
                     rtol=1e-10, atol=1e-12, dtype=np.float64)


# --------------------------------------------------------------------------- cross_entropy

def _labels(ctx: Context, n: int, c: int) -> np.ndarray:
    return ctx.rng.integers(0, c, size=n)


@oracle
def _torch_ce(logits: np.ndarray, labels: np.ndarray) -> float:
    import torch
    import torch.nn.functional as F

    return float(F.cross_entropy(_torch(logits)[0], torch.tensor(labels, dtype=torch.long)))


@check("hw2.losses.cross_entropy.matches_torch", hint=HINT_CE)
def cross_entropy_matches_torch(ctx: Context) -> None:
    for n, c in ((5, 3), (1, 4), (8, 10)):
        logits, labels = ctx.rng.normal(scale=2.0, size=(n, c)), _labels(ctx, n, c)
        want = _torch_ce(logits, labels)
        case = ctx.case(logits=logits, labels=labels.tolist())
        expect_float(ctx.call_unchanged(logits, labels), want, against("cross_entropy", "torch F.cross_entropy"),
                     case, rtol=RTOL64, atol=ATOL64,
                     hint_on={Text("对样本求和而不是求平均的结果", "the sum over samples instead of the mean"): want * n})
    logits, labels = ctx.rng.normal(size=(4, 3)).astype(np.float32), _labels(ctx, 4, 3)
    expect_float(ctx.call(logits, labels), _torch_ce(logits, labels), Text("cross_entropy，float32 logits",
                                                                           "cross_entropy with float32 logits"),
                 ctx.case(logits=logits, labels=labels.tolist()), rtol=RTOL32, atol=ATOL32)


@check("hw2.losses.cross_entropy.large_logits", hint=HINT_CE)
def cross_entropy_large_logits(ctx: Context) -> None:
    logits = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4], [1e4, 0.0, 0.0]])
    labels = np.array([2, 0, 0])
    # Per sample: 1e4 - (-1e4) = 2e4; log(2 e^1e4) - 0 = 1e4 + ln 2; log(e^1e4 + 2) - 1e4 ~ 2e-4343 = 0.
    want = (2e4 + 1e4 + float(np.log(2.0)) + 0.0) / 3
    expect_float(ctx.call(logits, labels), want,
                 Text("cross_entropy，logits 可达 1e4", "cross_entropy with logits up to 1e4"),
                 f"logits = {logits.tolist()}, labels = {labels.tolist()}", rtol=1e-12, atol=0)


# --------------------------------------------------------------------------- cross_entropy_grad

@oracle
def _torch_ce_grad(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    z = _torch(logits)[0].requires_grad_(True)
    F.cross_entropy(z, torch.tensor(labels, dtype=torch.long)).backward()
    return z.grad.numpy()


@oracle
def _ce_numpy(logits: np.ndarray, labels: np.ndarray) -> float:
    z = logits - logits.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(labels)), labels]))


HINT_CE_GRAD = Text(
    zh="讲义第 2 部分（链式法则）：softmax 之后接交叉熵，得到 dL/dz = (softmax(z) - onehot(y)) / N，其中 1/N 来自对批量求平均，"
       "而 softmax 在 logits 很大时也要保持数值稳定。",
    en="Lecture part 2 (链式法则): softmax followed by cross-entropy gives dL/dz = (softmax(z) - onehot(y)) "
       "/ N, the 1/N coming from the mean over the batch, with a softmax that stays stable for large logits.")
NO_1_BATCH = Text("不带 1/N 的 softmax - onehot", "softmax - onehot without the 1/N")


@check("hw2.losses.cross_entropy_grad.simple_example", hint=HINT_CE_GRAD)
def cross_entropy_grad_simple_example(ctx: Context) -> None:
    logits = np.array([[0.0, np.log(2.0), np.log(3.0)], [1e4, 0.0, -1e4]])
    labels = np.array([2, 1])
    probs = np.array([[1 / 6, 2 / 6, 3 / 6], [1.0, 0.0, 0.0]])
    onehot = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    want = (probs - onehot) / 2
    case = "logits = [[0, log(2), log(3)], [1e4, 0, -1e4]], labels = [2, 1]"
    alternatives = {NO_1_BATCH: probs - onehot,
                    Text("softmax / N（没有减去 onehot）", "softmax / N (onehot not subtracted)"): probs / 2}
    expect_array(ctx.call_unchanged(logits, labels), want, "cross_entropy_grad", case, rtol=1e-12, atol=1e-12,
                 dtype=np.float64, hint_on=alternatives)
    expect_array(ctx.call(logits.astype(np.float32), labels), want, CE_GRAD_32, case,
                 rtol=RTOL32, atol=ATOL32, dtype=np.float32, hint_on=alternatives)


CE_GRAD_32 = Text("cross_entropy_grad，float32 logits", "cross_entropy_grad with float32 logits")


@check("hw2.losses.cross_entropy_grad.matches_autograd", hint=HINT_CE_GRAD)
def cross_entropy_grad_matches_autograd(ctx: Context) -> None:
    for n, c in ((5, 3), (1, 4), (6, 7)):
        logits, labels = ctx.rng.normal(scale=2.0, size=(n, c)), _labels(ctx, n, c)
        case = ctx.case(logits=logits, labels=labels.tolist())
        got = ctx.call_unchanged(logits, labels)
        want = _torch_ce_grad(logits, labels)
        got = expect_array(got, want, against("cross_entropy_grad", Text("torch 自动求导", "torch autograd")), case,
                           rtol=1e-9, atol=1e-12, dtype=np.float64, hint_on={NO_1_BATCH: want * n})
        def ce(z: np.ndarray, labels: np.ndarray = labels) -> float:
            return _ce_numpy(z, labels)

        numeric = finite_difference(ce, logits)
        expect_gradient(got, numeric, against("cross_entropy_grad", Text("交叉熵的中心差分",
                                                                         "central differences of cross-entropy")),
                        case, tol=FD_TOL, floor=FD_FLOOR)


@check("hw2.losses.cross_entropy_grad.large_and_float32", hint=HINT_CE_GRAD)
def cross_entropy_grad_large_and_float32(ctx: Context) -> None:
    logits = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4]])
    labels = np.array([2, 0])
    expect_array(ctx.call(logits, labels), _torch_ce_grad(logits, labels),
                 Text("cross_entropy_grad，logits 可达 1e4", "cross_entropy_grad with logits up to 1e4"),
                 f"logits = {logits.tolist()}, labels = {labels.tolist()}", rtol=1e-10, atol=1e-12, dtype=np.float64)
    logits32, labels = ctx.rng.normal(size=(5, 4)).astype(np.float32), _labels(ctx, 5, 4)
    expect_array(ctx.call(logits32, labels), _torch_ce_grad(logits32, labels), CE_GRAD_32,
                 ctx.case(logits=logits32, labels=labels.tolist()), rtol=RTOL32, atol=ATOL32, dtype=np.float32)


# --------------------------------------------------------------------------- binary_cross_entropy

HINT_BCE = Text(
    zh="讲义第 2 部分（交叉熵）：L = -mean(y log p + (1 - y) log(1 - p))，损失 >= 0，对所有元素求平均。",
    en="Lecture part 2 (交叉熵): L = -mean(y log p + (1 - y) log(1 - p)), a loss >= 0, averaged over all elements.")
SIGN_FLIPPED = Text("符号取反的结果", "the sign flipped")


@check("hw2.losses.binary_cross_entropy.simple_example", hint=HINT_BCE)
def binary_cross_entropy_simple_example(ctx: Context) -> None:
    p, y = np.array([[0.5, 0.9, 0.2], [0.7, 0.1, 0.6]]), np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]])
    terms = y * np.log(p) + (1 - y) * np.log(1 - p)
    want = -float(np.mean(terms))
    case = f"p = {p.tolist()}, y = {y.tolist()}"
    alternatives = {SIGN_FLIPPED: -want, SUM_NOT_MEAN: -float(np.sum(terms)),
                    Text("y 与 1 - y 对调的结果", "y and 1 - y swapped"):
                    -float(np.mean((1 - y) * np.log(p) + y * np.log(1 - p)))}
    expect_float(ctx.call_unchanged(p, y), want, "binary_cross_entropy", case, rtol=1e-12, atol=0,
                 hint_on=alternatives)
    expect_float(ctx.call(p.astype(np.float32), y.astype(np.float32)), want, with_float32("binary_cross_entropy"),
                 case, rtol=RTOL32, atol=ATOL32, hint_on=alternatives)


@check("hw2.losses.binary_cross_entropy.matches_torch", hint=HINT_BCE)
def binary_cross_entropy_matches_torch(ctx: Context) -> None:
    import torch.nn.functional as F

    for shape in SHAPES:
        p = ctx.rng.uniform(0.01, 0.99, size=shape)
        y = ctx.rng.integers(0, 2, size=shape).astype(np.float64)
        want = float(F.binary_cross_entropy(*_torch(p, y)))
        expect_float(ctx.call_unchanged(p, y), want, against("binary_cross_entropy", "torch F.binary_cross_entropy"),
                     ctx.case(p=p, y=y), rtol=RTOL64, atol=ATOL64,
                     hint_on={SIGN_FLIPPED: -want, SUM_NOT_MEAN: want * p.size})
    p32 = ctx.rng.uniform(0.05, 0.95, size=(3, 4)).astype(np.float32)
    y32 = ctx.rng.integers(0, 2, size=(3, 4)).astype(np.float32)
    expect_float(ctx.call(p32, y32), float(F.binary_cross_entropy(*_torch(p32, y32))),
                 with_float32("binary_cross_entropy"), ctx.case(p=p32, y=y32), rtol=RTOL32, atol=ATOL32)
