"""Checks for cnn (hw3): convolution, pooling and AlexNet (lecture part 3, 卷积神经网络).

Oracles, all computed here: the lecture's worked examples; float64 numpy loops written from the
formulas (true convolution, window counting, the first-maximum tie rule of max pooling);
torch.nn.functional (conv2d, max_pool2d, avg_pool2d and autograd) in float64; for AlexNet the
torchvision layout written out below and a functional forward pass with the same seeded weights
the driver loads into the student's model.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..child.drivers.cnn import seeded_parameters
from ..child.payloads import AlexNetAnswer, AlexNetBuildAnswer, AlexNetRequest
from ..compare import as_array, as_sequence, describe, expect_array, expect_equal, expect_true, fail
from ..context import Context, check_seed
from ..errors import StudentCodeStopped
from ..gradients import expect_gradient, finite_difference, torch_vjp
from ..i18n import Text
from ..oracles import oracle
from ..registry import check
from ..tolerances import ATOL64, RTOL64
from .common import FLOAT32_HINT, against, in_float32, with_float32

# ----------------------------------------------------------------------------- lecture data
LECTURE_X = np.array([[1, 1, 1, 1, 1], [-1, 0, -3, 0, 1], [2, 1, 1, -1, 0], [0, -1, 1, 2, 1],
                      [1, 2, 1, 1, 1]], dtype=np.float64)
LECTURE_K = np.array([[1, 0, 0], [0, 0, 0], [0, 0, -1]], dtype=np.float64)
LECTURE_Y = np.array([[0, -2, -1], [2, 2, 4], [-1, 0, 0]], dtype=np.float64)
# The slide's printed output table: the minus sign of row 0, column 1 was lost.
PRINTED_Y = np.array([[0, 2, -1], [2, 2, 4], [-1, 0, 0]], dtype=np.float64)
POOL_X = np.array([[3, 6, 1, 4], [4, 7, 7, 8], [2, 2, 1, 2], [2, 4, 3, 4]], dtype=np.float64).reshape(1, 1, 4, 4)
POOL_MAX = np.array([[7, 8], [4, 4]], dtype=np.float64).reshape(1, 1, 2, 2)
POOL_AVG = np.array([[5, 5], [2.5, 2.5]], dtype=np.float64).reshape(1, 1, 2, 2)

# torchvision's AlexNet feature extractor: (name, out_channels or None for a max pool, k, stride, padding).
ALEXNET_LAYERS = [
    ("conv1", 64, 11, 4, 2), ("pool1", None, 3, 2, 0), ("conv2", 192, 5, 1, 2), ("pool2", None, 3, 2, 0),
    ("conv3", 384, 3, 1, 1), ("conv4", 256, 3, 1, 1), ("conv5", 256, 3, 1, 1), ("pool5", None, 3, 2, 0),
]
ALEXNET_224 = [("conv1", (64, 55, 55)), ("pool1", (64, 27, 27)), ("conv2", (192, 27, 27)),
               ("pool2", (192, 13, 13)), ("conv3", (384, 13, 13)), ("conv4", (256, 13, 13)),
               ("conv5", (256, 13, 13)), ("pool5", (256, 6, 6))]
ALEXNET_PARAMS = 61_100_840

# float32 results: sums of up to ~50 products of O(1) values accumulate ~50 * 6e-8 * |terms|,
# a few 1e-5 in the worst order; 1e-4 forgives any order and still catches every real mistake.
RTOL32, ATOL32 = 1e-4, 1e-4
POOL_CONFIGS = [(2, 2), (3, 2), (2, 1), (3, 1), (3, 3), (2, 3)]  # (kernel, stride): overlap, gaps, AlexNet's 3/2

HINT_CONVOLVE = Text(
    zh="讲义第 3 部分（卷积的计算原理）：Y[i,j] = sum_u sum_v w[u,v] * x[i-u+1, j-v+1]，u 增大时输入下标减小，所以卷积核在两个"
       "方向上都是翻转后作用的；只保留有效部分 (H-kh+1, W-kw+1)。",
    en="Lecture part 3 (卷积的计算原理): Y[i,j] = sum_u sum_v w[u,v] * x[i-u+1, j-v+1], so as u grows the "
       "input index falls and the kernel acts flipped in both axes, keeping the valid part (H-kh+1, W-kw+1).")
HINT_OUTPUT_SIZE = Text(
    zh="讲义第 3 部分（卷积）：数一数窗口能放的位置：填充后的这一维有 n + 2*padding 个格子，空洞卷积核覆盖其中 "
       "dilation*(k-1) + 1 个，窗口每次移动 stride，最后不完整的一步不算。",
    en="Lecture part 3 (卷积): count the window positions, where the padded axis has n + 2*padding "
       "cells, a dilated kernel covers dilation*(k-1) + 1 of them, it moves by stride, and a last "
       "partial step does not count.")
HINT_CONV2D = Text(
    zh="讲义第 3 部分（权值共享）：卷积层与 PyTorch 的 Conv2d 一样计算互相关，卷积核不翻转；每个输出等于它的滤波器的偏置加上滤波器"
       "与其覆盖窗口的乘积之和，输入在两侧都用 0 填充。",
    en="Lecture part 3 (权值共享): a convolution layer, like PyTorch's Conv2d, computes cross-correlation "
       "with the kernel not flipped, each output being its filter's bias plus the filter times the window "
       "it covers, on the input padded with zeros on both sides.")
HINT_CONV2D_BACKWARD = Text(
    zh="讲义第 3 部分（链式法则）：每个输出都用到了它的滤波器的偏置、它覆盖的窗口和滤波器，所以它们都会收到回传的 dout，并在批量、"
       "各个位置以及重叠的窗口上累加。",
    en="Lecture part 3 (链式法则): every output used its filter's bias, the window it covered and "
       "the filter, so each of them receives dout back, adding up over the batch, the positions "
       "and overlapping windows.")
HINT_MAX_POOL = Text(
    zh="讲义第 3 部分（最大池化）：取每个 kernel x kernel 窗口的最大值，窗口每次移动 stride（stride < kernel 时窗口重叠，即 "
       "AlexNet 的重叠最大池化），不做填充。",
    en="Lecture part 3 (最大池化): the maximum of each kernel x kernel window, the window moving by stride "
       "(overlapping when stride < kernel, AlexNet's 重叠最大池化), without padding.")
HINT_AVG_POOL = Text(
    zh="讲义第 3 部分（平均池化）：取每个 kernel x kernel 窗口的平均值，窗口每次移动 stride（stride < kernel 时窗口重叠），不做"
       "填充。",
    en="Lecture part 3 (平均池化): the mean of each kernel x kernel window, the window moving by stride "
       "(overlapping when stride < kernel), without padding.")
HINT_MAX_BACKWARD = Text(
    zh="讲义第 3 部分（最大池化）：只有窗口中的最大值影响了输出，所以只有它收到 dout（并列时取按行优先顺序的第一个最大值）；在多个"
       "重叠窗口中都胜出的输入会把它们全部累加。",
    en="Lecture part 3 (最大池化): only a window's maximum influenced its output, so only it receives "
       "dout (on a tie the first maximum in row-major order), and an input that wins several "
       "overlapping windows collects them all.")
HINT_AVG_BACKWARD = Text(
    zh="讲义第 3 部分（平均池化）：窗口中的每个输入都贡献了输出的 1/(kernel*kernel)，所以它收到 dout 的这一份，并在重叠的窗口上"
       "累加。",
    en="Lecture part 3 (平均池化): each input of a window contributed 1/(kernel*kernel) of its output, "
       "so it receives that share of dout, adding up over overlapping windows.")
HINT_ALEXNET_SHAPES = Text(
    zh="讲义第 3 部分（AlexNet）：每一层的输出大小按该层的 kernel、stride 和 padding 由 conv_output_size 得出；卷积把通道数变为"
       "它的滤波器个数，池化则保持通道数不变。",
    en="Lecture part 3 (AlexNet): each layer's output size follows conv_output_size with that "
       "layer's kernel, stride and padding, and a convolution sets the channels to its number of "
       "filters while a pool keeps them.")
HINT_BUILD_ALEXNET = Text(
    zh="讲义第 3 部分（AlexNet）：采用 torchvision 的结构：五个带 ReLU 的卷积层，第一、二、五层之后接重叠最大池化，一个输出 6x6 "
       "的自适应平均池化，三个 Linear 层中的前两个之前各有一个 Dropout(0.5)。",
    en="Lecture part 3 (AlexNet): torchvision's layout, five convolutions with ReLU, overlapping "
       "max pooling after the first, second and fifth, an adaptive average pool to 6x6, and "
       "Dropout(0.5) before the first two of three Linear layers.")
XCORR = Text("互相关（卷积核不翻转）：那是 conv2d 的任务；讲义公式 x[i-u+1, j-v+1] 会在两个方向上翻转卷积核",
             "the cross-correlation (kernel not flipped): that is conv2d's job; the lecture's "
             "formula x[i-u+1, j-v+1] flips the kernel in both axes")
NOT_DIVIDED = Text("没有除以 kernel*kernel 的 dout", "dout not divided by kernel*kernel")
STRIDE_IS_KERNEL = Text("stride = kernel 的结果", "stride = kernel")
AUTOGRAD = Text("torch 自动求导", "torch autograd")


# ----------------------------------------------------------------------------- oracles
@oracle
def _convolve_valid(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Y[i,j] = sum_u,v k[u,v] * x[i + kh-1-u, j + kw-1-v]: the lecture's formula, 0-based, valid part."""
    kh, kw = k.shape
    ho, wo = x.shape[0] - kh + 1, x.shape[1] - kw + 1
    out = np.zeros((ho, wo))
    for u in range(kh):
        for v in range(kw):
            out += k[u, v] * x[kh - 1 - u:kh - 1 - u + ho, kw - 1 - v:kw - 1 - v + wo]
    return out


@oracle
def _xcorr_valid(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Y[i,j] = sum_u,v k[u,v] * x[i+u, j+v]: cross-correlation, the kernel not flipped."""
    kh, kw = k.shape
    ho, wo = x.shape[0] - kh + 1, x.shape[1] - kw + 1
    out = np.zeros((ho, wo))
    for u in range(kh):
        for v in range(kw):
            out += k[u, v] * x[u:u + ho, v:v + wo]
    return out


def _t(a: np.ndarray):
    import torch

    return torch.from_numpy(np.array(a, dtype=np.float64))


@oracle
def _torch_conv2d(x, w, b, stride: int = 1, padding: int = 0) -> np.ndarray:
    import torch.nn.functional as F

    return F.conv2d(_t(x), _t(w), _t(b), stride=stride, padding=padding).numpy()


@oracle
def _torch_pool(kind: str, x: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    import torch.nn.functional as F

    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    return pool(_t(x), kernel, stride).numpy()


@oracle
def _torch_pool_grad(kind: str, x: np.ndarray, dout: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    import torch.nn.functional as F

    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    return torch_vjp(lambda x: pool(x, kernel, stride), {"x": x}, dout)[1]["x"]


@oracle
def _max_pool_backward_loop(x: np.ndarray, dout: np.ndarray, kernel: int, stride: int,
                            rule: str = "first") -> np.ndarray:
    """dx of max pooling by the contract's tie rule ("first" maximum in row-major order).

    "last" and "every" are the classic mistakes, computed only to name them in messages.
    """
    dx = np.zeros(x.shape)
    n_, c_, ho, wo = dout.shape
    for n in range(n_):
        for c in range(c_):
            for i in range(ho):
                for j in range(wo):
                    r0, c0 = i * stride, j * stride
                    cells = [(r0 + u, c0 + v) for u in range(kernel) for v in range(kernel)]  # row-major
                    best = max(x[n, c, r, s] for r, s in cells)
                    winners = [(r, s) for r, s in cells if x[n, c, r, s] == best]
                    chosen = {"first": winners[:1], "last": winners[-1:], "every": winners}[rule]
                    for r, s in chosen:
                        dx[n, c, r, s] += dout[n, c, i, j]
    return dx


@oracle
def _avg_pool_backward_loop(x: np.ndarray, dout: np.ndarray, kernel: int, stride: int,
                            area: float | None = None) -> np.ndarray:
    area = kernel * kernel if area is None else area
    dx = np.zeros(x.shape)
    ho, wo = dout.shape[2:]
    for i in range(ho):
        for j in range(wo):
            dx[:, :, i * stride:i * stride + kernel, j * stride:j * stride + kernel] += \
                dout[:, :, i:i + 1, j:j + 1] / area
    return dx


@oracle
def _count_positions(n: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length by counting where the window may start: no formula to share a mistake with."""
    span = dilation * (k - 1) + 1
    return len(range(0, n + 2 * padding - span + 1, stride))


@oracle
def _alexnet_expected_shapes(c: int, h: int, w: int) -> list[tuple[str, tuple[int, int, int]]]:
    out = []
    for name, filters, k, stride, padding in ALEXNET_LAYERS:
        c = filters or c
        h, w = _count_positions(h, k, stride, padding), _count_positions(w, k, stride, padding)
        out.append((name, (c, h, w)))
    return out


@oracle
def _alexnet_param_shapes(num_classes: int) -> list[tuple[int, ...]]:
    """Parameter shapes of torchvision's AlexNet, in registration order."""
    shapes_, channels = [], 3
    for _, filters, k, _, _ in ALEXNET_LAYERS:
        if filters:
            shapes_ += [(filters, channels, k, k), (filters,)]
            channels = filters
    for fan_in, fan_out in ((256 * 6 * 6, 4096), (4096, 4096), (4096, num_classes)):
        shapes_ += [(fan_out, fan_in), (fan_out,)]
    return shapes_


def _alexnet_forward(x: np.ndarray, params: list, train_seed: int | None = None) -> np.ndarray:
    """AlexNet from the math, float32 like the model. Eval mode: Dropout is the identity. Training
    mode: the two Dropout(0.5) layers draw their masks from torch's generator seeded with
    ``train_seed``, in the contract's order, as the student's model does after the same seed."""
    import torch
    import torch.nn.functional as F

    p = params
    # The masks come from a generator of this call's own, seeded like the student's global one:
    # bernoulli_ draws the same numbers in the same order as F.dropout after torch.manual_seed.
    # The global generator is one per process, and another grading on a thread of this judge
    # (tests/test_determinism.py, an embedding caller) could draw from it between seed and masks.
    masks = None if train_seed is None else torch.Generator().manual_seed(int(train_seed))

    def dropout(h: torch.Tensor) -> torch.Tensor:
        return h if masks is None else h * torch.empty_like(h).bernoulli_(0.5, generator=masks).div_(0.5)

    with torch.no_grad():
        h = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
        conv = [(4, 2, True), (1, 2, True), (1, 1, False), (1, 1, False), (1, 1, True)]
        for i, (stride, padding, pool) in enumerate(conv):
            h = F.relu(F.conv2d(h, p[2 * i], p[2 * i + 1], stride=stride, padding=padding))
            if pool:
                h = F.max_pool2d(h, 3, 2)
        h = torch.flatten(F.adaptive_avg_pool2d(h, (6, 6)), 1)
        h = F.relu(F.linear(dropout(h), p[10], p[11]))
        h = F.relu(F.linear(dropout(h), p[12], p[13]))
        return F.linear(h, p[14], p[15]).numpy()


_EXPECTED: dict[tuple, list[np.ndarray]] = {}


@oracle
def _alexnet_expected(weights_seed: int, xs: list[np.ndarray], train_seeds: list[int | None],
                      xs10: Sequence[np.ndarray] = ()) -> list[np.ndarray]:
    """The judge's outputs for one plan, computed once per worker: every student of a batch gets the
    same plan (it depends on the run seed only), so from the second student on this costs nothing.
    ``xs10``: eval-mode inputs of build_alexnet(num_classes=10) with the same seed, whose weights
    are the 1000-class model's up to the last Linear layer (the same shapes draw the same numbers)."""
    import torch

    key = (weights_seed, tuple(np.ascontiguousarray(x).tobytes() for x in [*xs, *xs10]), tuple(train_seeds))
    if key not in _EXPECTED:
        shapes_, shapes10 = _alexnet_param_shapes(1000), _alexnet_param_shapes(10)
        generator = torch.Generator().manual_seed(int(weights_seed))
        shared = list(seeded_parameters(shapes_[:-2], weights_seed, generator))
        state = generator.get_state()
        params = shared + list(seeded_parameters(shapes_[-2:], weights_seed, generator))
        generator.set_state(state)
        params10 = shared + list(seeded_parameters(shapes10[-2:], weights_seed, generator))
        if len(_EXPECTED) >= 8:
            _EXPECTED.pop(next(iter(_EXPECTED)))
        _EXPECTED[key] = ([_alexnet_forward(x, params, seed) for x, seed in zip(xs, train_seeds)]
                          + [_alexnet_forward(x, params10) for x in xs10])
    return _EXPECTED[key]


# ----------------------------------------------------------------------------- inputs
def _conv_case(rng: np.random.Generator, stride: int, padding: int, n: int = 2):
    """Small random (x, w, b): a pure-Python loop conv2d handles these in milliseconds."""
    c, f = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    kh, kw = (int(v) for v in rng.integers(1, 5, size=2))
    h = int(rng.integers(max(2, kh - 2 * padding), 10))
    w_ = int(rng.integers(max(2, kw - 2 * padding), 10))
    return rng.normal(size=(n, c, h, w_)), rng.normal(size=(f, c, kh, kw)), rng.normal(size=f)


def _pool_input(rng: np.random.Generator, kernel: int) -> np.ndarray:
    n, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    h, w = (int(v) for v in rng.integers(kernel, 10, size=2))
    return rng.normal(size=(n, c, h, w))


@oracle
def _pool_out_shape(x: np.ndarray, kernel: int, stride: int) -> tuple[int, ...]:
    return (*x.shape[:2], _count_positions(x.shape[2], kernel, stride), _count_positions(x.shape[3], kernel, stride))


def _as_int(got: Any, what: str | Text, case: str | Text) -> int:
    if isinstance(got, (int, np.integer)) and not isinstance(got, (bool, np.bool_)):
        return int(got)
    extra = (Text("（真除法得到的是 float，即使结果是整数）", " (a true division gives a float, even for whole numbers)")
             if isinstance(got, (float, np.floating)) else "")
    raise fail(what, case, tr_int(got) + extra)


def tr_int(got: Any) -> Text:
    return Text(f"应为 int，实际得到 {describe(got).zh}", f"expected an int, got {describe(got).en}")


# ----------------------------------------------------------------------------- convolve2d
@check("hw3.cnn.convolve2d.lecture_example", hint=HINT_CONVOLVE)
def convolve2d_lecture_example(ctx: Context) -> None:
    got = ctx.call_unchanged(LECTURE_X, LECTURE_K)
    lecture = Text("convolve2d 作用于讲义中的 5x5 例子", "convolve2d on the lecture's 5x5 example")
    expect_array(got, LECTURE_Y, lecture,
                 Text("X = [[1,1,1,1,1],[-1,0,-3,0,1],[2,1,1,-1,0],[0,-1,1,2,1],[1,2,1,1,1]]，"
                      "K = [[1,0,0],[0,0,0],[0,0,-1]]；应为 [[0,-2,-1],[2,2,4],[-1,0,0]]",
                      "X = [[1,1,1,1,1],[-1,0,-3,0,1],[2,1,1,-1,0],[0,-1,1,2,1],[1,2,1,1,1]], "
                      "K = [[1,0,0],[0,0,0],[0,0,-1]]; expected [[0,-2,-1],[2,2,4],[-1,0,0]]"),
                 rtol=0, atol=1e-12, dtype=np.float64,
                 hint_on={Text("讲义中印出的表格，它丢掉了第 0 行第 1 列的负号：按讲义公式 Y[0,1] = 1*X[2][3] + (-1)*X[0][1] = "
                               "-1 - 1 = -2（下标从 0 开始），所以正确的表格是 [[0,-2,-1],[2,2,4],[-1,0,0]]",
                               "the table PRINTED in the lecture, which lost the minus sign at row 0, column 1: by "
                               "the lecture's formula Y[0,1] = 1*X[2][3] + (-1)*X[0][1] = -1 - 1 = -2 (0-based "
                               "indices), so the correct table is [[0,-2,-1],[2,2,4],[-1,0,0]]"): PRINTED_Y,
                          Text("互相关（卷积核不翻转），那是 conv2d 计算的；convolve2d 遵循讲义公式 x[i-u+1, j-v+1]，"
                               "它会翻转卷积核",
                               "the cross-correlation (kernel not flipped), which is what conv2d computes; "
                               "convolve2d follows the lecture's formula x[i-u+1, j-v+1], which flips the kernel"):
                              _xcorr_valid(LECTURE_X, LECTURE_K)})
    got = ctx.call(LECTURE_X.astype(np.float32), LECTURE_K.astype(np.float32))
    expect_array(got, LECTURE_Y, in_float32(lecture),
                 Text("X 和 K 为 float32 数组", "X and K as float32 arrays"), rtol=0, atol=1e-6, dtype=np.float32)


@check("hw3.cnn.convolve2d.random", hint=HINT_CONVOLVE)
def convolve2d_random(ctx: Context) -> None:
    for _ in range(4):
        kh, kw = (int(v) for v in ctx.rng.integers(1, 5, size=2))
        h, w = int(ctx.rng.integers(kh, 10)), int(ctx.rng.integers(kw, 10))
        x, k = ctx.rng.normal(size=(h, w)), ctx.rng.normal(size=(kh, kw))
        got = ctx.call_unchanged(x, k)
        expect_array(got, _convolve_valid(x, k), "convolve2d", ctx.case(x=x, k=k),
                     rtol=RTOL64, atol=ATOL64, dtype=np.float64, hint_on={XCORR: _xcorr_valid(x, k)})


@check("hw3.cnn.convolve2d.flipped_kernel_is_xcorr", hint=HINT_CONVOLVE + Text(
    "等价地说，它就是把 k 在两个方向上都翻转后的 PyTorch conv2d（互相关）。",
    " Equivalently, it is PyTorch's conv2d (cross-correlation) with k flipped in both axes."))
def convolve2d_flipped_kernel_is_xcorr(ctx: Context) -> None:
    x = ctx.rng.normal(size=(6, 7))
    delta = np.zeros((3, 3))
    delta[0, 0] = 1.0
    got = ctx.call(x, delta)
    expect_array(got, x[2:, 2:], "convolve2d, k = [[1,0,0],[0,0,0],[0,0,0]]",
                 ctx.case(Text("公式给出 Y[i,j] = x[i+2, j+2]（平移后的裁剪）",
                               "the formula gives Y[i,j] = x[i+2, j+2] (a shifted crop)"), x=x),
                 rtol=0, atol=1e-12, hint_on={Text("x[i, j]（卷积核没有翻转）", "x[i, j] (the kernel not flipped)"):
                                              x[:4, :5]})
    for _ in range(3):
        kh, kw = (int(v) for v in ctx.rng.integers(1, 5, size=2))
        x = ctx.rng.normal(size=(int(ctx.rng.integers(kh, 10)), int(ctx.rng.integers(kw, 10))))
        k = ctx.rng.normal(size=(kh, kw))
        case = ctx.case(x=x, k=k)
        xcorr = _torch_conv2d(x[None, None], k[None, None], np.zeros(1))[0, 0]
        flipped = _torch_conv2d(x[None, None], k[None, None, ::-1, ::-1], np.zeros(1))[0, 0]
        expect_array(ctx.call(x, k[::-1, ::-1]), xcorr, against("convolve2d(x, k[::-1, ::-1])", Text(
                     "torch.nn.functional.conv2d(x, k)（互相关）", "torch.nn.functional.conv2d(x, k) (cross-correlation)")),
                     case, rtol=RTOL64, atol=ATOL64)
        expect_array(ctx.call(x, k), flipped, against("convolve2d(x, k)", Text(
                     "torch.nn.functional.conv2d(x, 两个方向都翻转的 k)",
                     "torch.nn.functional.conv2d(x, k flipped in both axes)")), case, rtol=RTOL64, atol=ATOL64)


@check("hw3.cnn.convolve2d.float32", hint=FLOAT32_HINT)
def convolve2d_float32(ctx: Context) -> None:
    x, k = ctx.rng.normal(size=(7, 6)).astype(np.float32), ctx.rng.normal(size=(3, 2)).astype(np.float32)
    got = ctx.call(x, k)
    expect_array(got, _convolve_valid(x.astype(np.float64), k.astype(np.float64)), with_float32("convolve2d"),
                 ctx.case(x=x, k=k), rtol=RTOL32, atol=ATOL32, dtype=np.float32)


# ----------------------------------------------------------------------------- conv_output_size
def _expect_size(ctx: Context, want: int, n: int, k: int, note: str | Text = "", **kwargs: int) -> None:
    shown = ", ".join([str(n), str(k)] + [f"{key}={v}" for key, v in kwargs.items()])
    case = f"conv_output_size({shown})" + note
    got = _as_int(ctx.call(n, k, **kwargs), "conv_output_size", case)
    expect_equal(got, want, "conv_output_size", case)


@check("hw3.cnn.conv_output_size.lecture_layers", hint=HINT_OUTPUT_SIZE)
def conv_output_size_lecture_layers(ctx: Context) -> None:
    cases: list[tuple[int, int, int, dict, str | Text]] = [
        (3, 5, 3, {}, Text("：讲义中的 5x5 图像，3x3 卷积核", ": the lecture's 5x5 image, 3x3 kernel")),
        (2, 4, 2, {"stride": 2}, Text("：讲义中 4x4 的池化表，2x2 窗口，步长 2",
                                      ": the lecture's 4x4 pooling table, 2x2 windows, stride 2")),
        (55, 224, 11, {"stride": 4, "padding": 2}, ": AlexNet conv1"),
        (27, 55, 3, {"stride": 2}, ": AlexNet pool1"),
        (27, 27, 5, {"stride": 1, "padding": 2}, ": AlexNet conv2"),
        (13, 27, 3, {"stride": 2}, ": AlexNet pool2"),
        (13, 13, 3, {"padding": 1}, ": AlexNet conv3-5"),
        (6, 13, 3, {"stride": 2}, ": AlexNet pool5"),
    ]
    for want, n, k, kwargs, note in cases:
        _expect_size(ctx, want, n, k, note, **kwargs)


@check("hw3.cnn.conv_output_size.floor_of_partial_steps", hint=HINT_OUTPUT_SIZE)
def conv_output_size_floor_of_partial_steps(ctx: Context) -> None:
    # A last partial step is dropped: these configurations do not divide evenly.
    # With dilation too: a dilated kernel covers dilation * (k - 1) + 1 cells.
    for n, k, kwargs in ((8, 3, {"stride": 2}), (10, 3, {"stride": 3}), (227, 11, {"stride": 4}),
                         (6, 2, {"stride": 3, "padding": 1}), (5, 5, {}), (1, 3, {"padding": 1}),
                         (10, 3, {"dilation": 2}), (9, 3, {"stride": 2, "padding": 1, "dilation": 3})):
        _expect_size(ctx, _count_positions(n, k, **kwargs), n, k, "", **kwargs)


@check("hw3.cnn.conv_output_size.random_dilation", hint=HINT_OUTPUT_SIZE + Text(
    "空洞卷积核在相邻两个抽头之间跳过 dilation-1 个格子。", " A dilated kernel skips dilation-1 cells between its taps."))
def conv_output_size_random_dilation(ctx: Context) -> None:
    done = 0
    while done < 12:
        n, k = int(ctx.rng.integers(1, 40)), int(ctx.rng.integers(1, 8))
        stride, padding, dilation = (int(v) for v in ctx.rng.integers(1, 4, size=3))
        padding -= 1  # 0..2
        want = _count_positions(n, k, stride, padding, dilation)
        if want < 1:
            continue
        _expect_size(ctx, want, n, k, Text("（", " (") + ctx.case() + Text("）", ")"), stride=stride, padding=padding,
                     dilation=dilation)
        done += 1


# ----------------------------------------------------------------------------- conv2d
def _expect_conv2d(ctx: Context, x, w, b, stride: int, padding: int, unchanged: bool = False) -> None:
    call = ctx.call_unchanged if unchanged else ctx.call
    got = call(x, w, b, stride=stride, padding=padding)
    expect_array(got, _torch_conv2d(x, w, b, stride, padding), against("conv2d", "torch.nn.functional.conv2d"),
                 ctx.case(x=x, w=w, b=b, stride=stride, padding=padding), rtol=RTOL64, atol=ATOL64, dtype=np.float64,
                 hint_on={TRUE_CONVOLUTION: _torch_conv2d(x, w[:, :, ::-1, ::-1], b, stride, padding)})


TRUE_CONVOLUTION = Text("真正的卷积（卷积核在两个方向上翻转）：那是 convolve2d；conv2d 与 PyTorch 的 Conv2d 一样不翻转卷积核",
                        "the true convolution (kernel flipped in both axes): that is convolve2d; conv2d, "
                        "like PyTorch's Conv2d, does not flip the kernel")


@check("hw3.cnn.conv2d.lecture_example", hint=HINT_CONV2D)
def conv2d_lecture_example(ctx: Context) -> None:
    got = ctx.call(LECTURE_X[None, None], LECTURE_K[None, None], np.zeros(1))
    want = _xcorr_valid(LECTURE_X, LECTURE_K)[None, None]
    expect_array(got, want, Text("conv2d 作用于讲义中的 5x5 例子（一张图像、一个通道、一个滤波器）",
                                 "conv2d on the lecture's 5x5 example as one image, one channel, one filter"),
                 Text("x = X (1, 1, 5, 5)，w = K (1, 1, 3, 3)，b = [0]；互相关：out[i,j] = X[i,j] - X[i+2,j+2]",
                      "x = X (1, 1, 5, 5), w = K (1, 1, 3, 3), b = [0]; cross-correlation: "
                      "out[i,j] = X[i,j] - X[i+2,j+2]"), rtol=0, atol=1e-12,
                 hint_on={Text("讲义中的表格 [[0,-2,-1],[2,2,4],[-1,0,0]]，即真正的卷积（卷积核翻转）：conv2d 计算的是互相关，"
                               "卷积核不翻转",
                               "the lecture's table [[0,-2,-1],[2,2,4],[-1,0,0]], the TRUE convolution (kernel "
                               "flipped): conv2d computes cross-correlation, the kernel not flipped"):
                          LECTURE_Y[None, None]})


@check("hw3.cnn.conv2d.matches_torch", hint=HINT_CONV2D)
def conv2d_matches_torch(ctx: Context) -> None:
    for i, (stride, padding) in enumerate([(1, 0), (2, 1), (3, 2), (1, 2), (2, 0)]):
        x, w, b = _conv_case(ctx.rng, stride, padding)
        _expect_conv2d(ctx, x, w, b, stride, padding, unchanged=(i < 2))
    # Non-square image and kernel, several channels and filters, batch 2.
    x, w, b = ctx.rng.normal(size=(2, 3, 8, 5)), ctx.rng.normal(size=(4, 3, 3, 2)), ctx.rng.normal(size=4)
    _expect_conv2d(ctx, x, w, b, 2, 1)


@check("hw3.cnn.conv2d.stride_padding_grid", hint=HINT_CONV2D + Text(
    "输出大小遵循 conv_output_size。", " The output size follows conv_output_size."))
def conv2d_stride_padding_grid(ctx: Context) -> None:
    x, w, b = ctx.rng.normal(size=(2, 2, 7, 6)), ctx.rng.normal(size=(3, 2, 3, 2)), ctx.rng.normal(size=3)
    for stride in (1, 2, 3):
        for padding in (0, 1, 2):
            _expect_conv2d(ctx, x, w, b, stride, padding, unchanged=(stride, padding) == (2, 1))
    x32, w32, b32 = (a.astype(np.float32) for a in (x, w, b))
    expect_array(ctx.call(x32, w32, b32, stride=2, padding=1), _torch_conv2d(x32, w32, b32, 2, 1),
                 with_float32("conv2d"), ctx.case(x=x32, w=w32, b=b32, stride=2, padding=1),
                 rtol=RTOL32, atol=ATOL32, dtype=np.float32)


@check("hw3.cnn.conv2d.translation_equivariance", hint=Text(
    zh="讲义第 3 部分（权值共享，平移不变性）：同样的权重作用在每个位置上，所以把输入平移一个步长，输出就平移一个位置。",
    en="Lecture part 3 (权值共享, 平移不变性): the same weights act at every position, so shifting the input by one stride "
       "shifts the output by one position."))
def conv2d_translation_equivariance(ctx: Context) -> None:
    # Two or more filters, so that mixing up the filter and position axes shows.
    c, f = int(ctx.rng.integers(1, 4)), int(ctx.rng.integers(2, 5))
    z = ctx.rng.normal(size=(2, c, 9, 8))
    w, b = ctx.rng.normal(size=(f, c, 3, 2)), ctx.rng.normal(size=f)
    case = ctx.case(z=z, w=w, padding=0)
    # (shift rows, shift cols, stride): with stride s, a shift by s input pixels is one output pixel.
    for dr, dc, stride in ((0, 1, 1), (1, 0, 1), (2, 2, 2)):
        a = ctx.call(z[:, :, :7, :6], w, b, stride=stride)
        shifted = ctx.call(z[:, :, dr:dr + 7, dc:dc + 6], w, b, stride=stride)
        a = as_array(a, "conv2d", case, shape=_torch_conv2d(z[:, :, :7, :6], w, b, stride).shape)
        if stride == 1:
            _expect_a_layer(ctx, a, z[:, :, :7, :6], w, b, case)
        r, s = dr // stride, dc // stride
        want = a[:, :, r:, s:]  # the outputs both calls share, in the unshifted call's frame
        got = as_array(shifted, "conv2d", case, shape=a.shape)[:, :, :want.shape[2], :want.shape[3]]
        expect_array(got, want, Text(f"conv2d(x 平移 ({dr}, {dc}) 个像素)（对照 conv2d(x) 平移 ({r}, {s}) 个输出位置）",
                                     f"conv2d(x shifted by ({dr}, {dc}) pixels) against conv2d(x) shifted by "
                                     f"({r}, {s}) outputs"),
                     case + Text(f"，x = z[..., :7, :6]，平移后的 x = z[..., {dr}:{dr + 7}, {dc}:{dc + 6}]，stride={stride}",
                                 f", x = z[..., :7, :6], shifted x = z[..., {dr}:{dr + 7}, {dc}:{dc + 6}], "
                                 f"stride={stride}"), rtol=RTOL64, atol=ATOL64)


def _expect_a_layer(ctx: Context, out: np.ndarray, x: np.ndarray, w: np.ndarray, b: np.ndarray, case: Text) -> None:
    """What any convolution layer does, flipped kernel or not, and an answer that ignores its inputs
    does not: outputs that vary over the positions, and weights and bias acting linearly (doubling
    both doubles every output). Without these, zeros or a constant would be "equivariant" too."""
    spread = np.ptp(out.reshape(out.shape[0], out.shape[1], -1), axis=-1)
    expect_true(bool(np.all(spread > 1e-6)), "conv2d", case, Text(
                "对某个滤波器和图像，输出在每个位置上都相同，所以它不依赖于滤波器下方的输入窗口",
                "the output is the same at every position of some filter and image, so it does not depend on the "
                "input window under the filter"))
    doubled = ctx.call(x, 2 * w, 2 * b)
    # Doubling weights and bias doubles every product and sum: exact up to rounding (~1e-15).
    expect_array(doubled, 2 * out, against("conv2d(x, 2 w, 2 b)", "2 conv2d(x, w, b)"), case, rtol=RTOL64,
                 atol=ATOL64)


@check("hw3.cnn.conv2d.float32", hint=FLOAT32_HINT)
def conv2d_float32(ctx: Context) -> None:
    x, w, b = _conv_case(ctx.rng, 2, 1)
    x, w, b = (a.astype(np.float32) for a in (x, w, b))
    got = ctx.call(x, w, b, stride=2, padding=1)
    expect_array(got, _torch_conv2d(x, w, b, 2, 1), with_float32("conv2d"),
                 ctx.case(x=x, w=w, b=b, stride=2, padding=1), rtol=RTOL32, atol=ATOL32, dtype=np.float32)


# ----------------------------------------------------------------------------- conv2d_backward
@oracle
def _conv_grads(x, w, b, dout, stride: int, padding: int) -> dict[str, np.ndarray]:
    import torch.nn.functional as F

    return torch_vjp(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding),
                     {"x": x, "w": w, "b": b}, dout)[1]


def _expect_conv_grads(got: Any, want: dict[str, np.ndarray], dout: np.ndarray, case: str | Text, *, rtol: float,
                       atol: float, dtype: Any) -> None:
    batch = dout.shape[0]
    dx, dw, db = as_sequence(got, 3, "conv2d_backward (dx, dw, db)", case)
    expect_array(dx, want["x"], "conv2d_backward dx", case, rtol=rtol, atol=atol, dtype=dtype)
    expect_array(dw, want["w"], "conv2d_backward dw", case, rtol=rtol, atol=atol, dtype=dtype,
                 hint_on={Text("对批量求平均的 dw：每个样本的输出都要累加，所以 dw 是求和",
                               "dw averaged over the batch: the outputs of every example add up, so dw sums"):
                          want["w"] / batch})
    expect_array(db, want["b"], "conv2d_backward db", case, rtol=rtol, atol=atol, dtype=dtype,
                 hint_on={Text("只取第一个样本的 db：dout 也要在批量上求和",
                               "db of the first example only: sum dout over the batch too"):
                          np.asarray(dout, dtype=np.float64)[0].sum(axis=(1, 2)),
                          Text("对批量求平均的 db：dout 要在批量上求和，而不是求平均",
                               "db averaged over the batch: sum dout over the batch, do not average"):
                          want["b"] / batch})


@check("hw3.cnn.conv2d_backward.window_counts", hint=HINT_CONV2D_BACKWARD)
def conv2d_backward_window_counts(ctx: Context) -> None:
    x = np.stack([np.arange(9.0).reshape(1, 3, 3), np.ones((1, 3, 3))])  # (2, 1, 3, 3)
    w, b, dout = np.ones((1, 1, 2, 2)), np.zeros(1), np.ones((2, 1, 2, 2))
    # With all-ones w and dout: dx counts the windows covering each input; dw[u,v] sums the inputs
    # each kernel tap saw (over both examples); db counts the outputs, 2 examples x 4 positions.
    dx = np.broadcast_to(np.array([[1.0, 2, 1], [2, 4, 2], [1, 2, 1]]), (2, 1, 3, 3))
    dw = np.zeros((1, 1, 2, 2))
    for u in range(2):
        for v in range(2):
            dw[0, 0, u, v] = x[:, 0, u:u + 2, v:v + 2].sum()
    case = ("x = [arange(9).reshape(3,3), ones((3,3))] -> (2, 1, 3, 3), w = ones((1, 1, 2, 2)), b = [0], "
            "dout = ones((2, 1, 2, 2)), stride=1, padding=0")
    for dtype in (np.float64, np.float32):  # small integers: exact in both dtypes
        got = ctx.call(*(a.astype(dtype) for a in (dout, x, w, b)))
        _expect_conv_grads(got, {"x": dx, "w": dw, "b": np.array([8.0])}, dout, f"{case}, {np.dtype(dtype).name}",
                           rtol=0, atol=1e-6, dtype=dtype)


@check("hw3.cnn.conv2d_backward.matches_torch", hint=HINT_CONV2D_BACKWARD)
def conv2d_backward_matches_torch(ctx: Context) -> None:
    for i, (stride, padding) in enumerate([(1, 0), (2, 1), (1, 2), (3, 1), (2, 2)]):
        x, w, b = _conv_case(ctx.rng, stride, padding)
        dout = ctx.rng.normal(size=_torch_conv2d(x, w, b, stride, padding).shape)
        case = ctx.case(x=x, w=w, dout=dout, stride=stride, padding=padding)
        call = ctx.call_unchanged if i < 2 else ctx.call
        got = call(dout, x, w, b, stride=stride, padding=padding)
        _expect_conv_grads(got, _conv_grads(x, w, b, dout, stride, padding), dout, case,
                           rtol=RTOL64, atol=ATOL64, dtype=np.float64)


@oracle
def _conv_numeric(x, w, b, dout, stride: int, padding: int, h: float = 1e-5) -> list[np.ndarray]:
    """d sum(dout * conv2d(x, w, b)) / d x, w, b by central differences of torch's conv2d (float64)."""
    args = [np.asarray(a, dtype=np.float64) for a in (x, w, b)]

    def along(i: int):
        return lambda value: _torch_conv2d(*args[:i], value, *args[i + 1:], stride, padding)

    return [finite_difference(along(i), args[i], h, dout) for i in range(3)]


@check("hw3.cnn.conv2d_backward.numeric_grad", hint=HINT_CONV2D_BACKWARD + Text(
    "本项检查与数值法对照：对该层的前向传播做中心差分。",
    " This check compares with the numerical method (数值法): central differences of the layer's forward pass."))
def conv2d_backward_numeric_grad(ctx: Context) -> None:
    for stride, padding in ((1, 1), (2, 1)):
        x, w, b = ctx.rng.normal(size=(2, 2, 4, 5)), ctx.rng.normal(size=(2, 2, 2, 3)), ctx.rng.normal(size=2)
        dout = ctx.rng.normal(size=_torch_conv2d(x, w, b, stride, padding).shape)
        case = ctx.case(x=x, w=w, dout=dout, stride=stride, padding=padding)
        got = as_sequence(ctx.call(dout, x, w, b, stride=stride, padding=padding), 3,
                          "conv2d_backward (dx, dw, db)", case)
        # The judge differentiates its own conv2d: differences of the student's conv2d would agree
        # with a backward that is as wrong as it (a forward and a backward returning zeros, say).
        numeric = _conv_numeric(x, w, b, dout, stride, padding)
        # conv2d is linear in each argument, so central differences have no truncation error, only
        # rounding ~ eps * |sum(dout * out)| / h ~ 1e-9; relative 1e-5 with a 1e-3 floor is ample.
        for name, g, n in zip(("dx", "dw", "db"), got, numeric):
            expect_gradient(g, n, against(f"conv2d_backward {name}", Text("conv2d 的中心差分（h = 1e-5）",
                                                                          "central differences of conv2d (h = 1e-5)")),
                            case, tol=1e-5, floor=1e-3)


@check("hw3.cnn.conv2d_backward.float32", hint=FLOAT32_HINT)
def conv2d_backward_float32(ctx: Context) -> None:
    x, w, b = (a.astype(np.float32) for a in _conv_case(ctx.rng, 1, 1))
    dout = ctx.rng.normal(size=_torch_conv2d(x, w, b, 1, 1).shape).astype(np.float32)
    case = ctx.case(x=x, w=w, dout=dout, stride=1, padding=1)
    got = ctx.call(dout, x, w, b, stride=1, padding=1)
    _expect_conv_grads(got, _conv_grads(x, w, b, dout, 1, 1), dout, case, rtol=RTOL32, atol=ATOL32,
                       dtype=np.float32)


# ----------------------------------------------------------------------------- pooling forward
def _pool_matches_torch(ctx: Context, kind: str) -> None:
    for i, (kernel, stride) in enumerate(POOL_CONFIGS):
        x = _pool_input(ctx.rng, kernel)
        call = ctx.call_unchanged if i < 2 else ctx.call
        got = call(x, kernel=kernel, stride=stride)
        # Max pooling copies values (exact); a mean of <= 9 values rounds at ~1e-16.
        expect_array(got, _torch_pool(kind, x, kernel, stride), against(f"{kind}_pool2d", f"torch {kind}_pool2d"),
                     ctx.case(x=x, kernel=kernel, stride=stride), rtol=1e-12, atol=1e-12, dtype=np.float64)
    x = _pool_input(ctx.rng, 3).astype(np.float32)
    got = ctx.call(x, kernel=3, stride=2)
    expect_array(got, _torch_pool(kind, x, 3, 2), with_float32(f"{kind}_pool2d"),
                 ctx.case(x=x, kernel=3, stride=2), rtol=1e-6, atol=1e-6, dtype=np.float32)
    # kernel alone: stride keeps its default 2 (not the kernel size).
    x = ctx.rng.normal(size=(1, 2, 7, 6))
    expect_array(ctx.call(x, kernel=3), _torch_pool(kind, x, 3, 2), _default_stride(f"{kind}_pool2d(x, kernel=3)"),
                 ctx.case(x=x), rtol=1e-12, atol=1e-12, dtype=np.float64,
                 hint_on={STRIDE_IS_KERNEL: _torch_pool(kind, x, 3, 3)})


def _default_stride(call: str) -> Text:
    return Text(f"{call}，默认 stride=2", f"{call}, the default stride=2")


POOL_CASE = "x = [[3,6,1,4],[4,7,7,8],[2,2,1,2],[2,4,3,4]] -> (1, 1, 4, 4)"


def _pool_table(ctx: Context, kind: str, want: np.ndarray, other: np.ndarray) -> None:
    """The lecture's table with the defaults, then overlapping 3x3 windows with stride 1, then float32."""
    shown = want.reshape(2, 2).tolist()
    on_table = Text(f"{kind}_pool2d 作用于讲义中的表格", f"{kind}_pool2d on the lecture's table")
    other_name = Text("平均池化的结果", "the average pooling") if kind == "max" else Text("最大池化的结果", "the max pooling")
    expect_array(ctx.call_unchanged(POOL_X), want, on_table + Text("（默认 kernel=2，stride=2）",
                                                                  " (defaults kernel=2, stride=2)"),
                 POOL_CASE + Text(f"；应为 {shown}", f"; expected {shown}"), rtol=0, atol=1e-12, dtype=np.float64,
                 hint_on={other_name: other,
                          Text("窗口之和（没有除以 kernel*kernel）", "the window sums (not divided by kernel*kernel)"):
                          4 * POOL_AVG})
    expect_array(ctx.call(POOL_X, kernel=3, stride=1), _torch_pool(kind, POOL_X, 3, 1),
                 Text(f"{kind}_pool2d(x, kernel=3, stride=1)，窗口重叠", f"{kind}_pool2d(x, kernel=3, stride=1), "
                      "overlapping windows"), POOL_CASE, rtol=0, atol=1e-12, dtype=np.float64,
                 hint_on={Text("窗口每次移动 kernel 大小的结果（忽略了 stride）",
                               "the windows moved by the kernel size (stride ignored)"):
                          _torch_pool(kind, POOL_X, 3, 3)})
    expect_array(ctx.call(POOL_X.astype(np.float32)), want, in_float32(on_table),
                 POOL_CASE + " float32", rtol=0, atol=1e-6, dtype=np.float32)
    # kernel alone: stride keeps its default 2, so a 5x5 map gives 2x2 outputs (stride 3 would give 1x1).
    grid = np.arange(25, dtype=np.float64).reshape(1, 1, 5, 5)
    expect_array(ctx.call(grid, kernel=3), _torch_pool(kind, grid, 3, 2),
                 _default_stride(f"{kind}_pool2d(x, kernel=3)"), "x = np.arange(25.).reshape(1, 1, 5, 5)",
                 rtol=0, atol=1e-12, dtype=np.float64,
                 hint_on={STRIDE_IS_KERNEL: _torch_pool(kind, grid, 3, 3)})


@check("hw3.cnn.max_pool2d.lecture_table", hint=HINT_MAX_POOL)
def max_pool2d_lecture_table(ctx: Context) -> None:
    _pool_table(ctx, "max", POOL_MAX, POOL_AVG)


@check("hw3.cnn.max_pool2d.matches_torch", hint=HINT_MAX_POOL)
def max_pool2d_matches_torch(ctx: Context) -> None:
    _pool_matches_torch(ctx, "max")


@check("hw3.cnn.avg_pool2d.lecture_table", hint=HINT_AVG_POOL)
def avg_pool2d_lecture_table(ctx: Context) -> None:
    _pool_table(ctx, "avg", POOL_AVG, POOL_MAX)


@check("hw3.cnn.avg_pool2d.matches_torch", hint=HINT_AVG_POOL)
def avg_pool2d_matches_torch(ctx: Context) -> None:
    _pool_matches_torch(ctx, "avg")


# ----------------------------------------------------------------------------- pooling backward
TIE_LABELS = {
    "last": Text("把梯度发给并列最大值中的最后一个（接口约定是按行优先顺序的第一个）",
                 "the gradient sent to the LAST maximum of a tie (the contract says the first, in row-major order)"),
    "every": Text("把梯度复制给每一个并列的最大值（接口约定只发给第一个）",
                  "the gradient copied to EVERY maximum of a tie (the contract sends it to the first only)"),
}


def _max_tie_alternatives(x, dout, kernel, stride) -> dict[Text, np.ndarray]:
    return {TIE_LABELS[rule]: _max_pool_backward_loop(x, dout, kernel, stride, rule) for rule in TIE_LABELS}


WITH_TIES = Text("max_pool2d_backward，有并列最大值", "max_pool2d_backward with ties")


@check("hw3.cnn.max_pool2d_backward.tie_rule", hint=HINT_MAX_BACKWARD)
def max_pool2d_backward_tie_rule(ctx: Context) -> None:
    x = np.array([[1, 1, 0, 2], [1, 0, 2, 2], [3, 0, 5, 5], [0, 3, 5, 5]], dtype=np.float64).reshape(1, 1, 4, 4)
    dout = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    want = _max_pool_backward_loop(x, dout, 2, 2)  # [[1,0,0,2],[0,0,0,0],[3,0,4,0],[0,0,0,0]]
    got = ctx.call_unchanged(dout, x)
    expect_array(got, want, WITH_TIES + Text("（默认 kernel=2，stride=2）", " (defaults kernel=2, stride=2)"),
                 Text("x = [[1,1,0,2],[1,0,2,2],[3,0,5,5],[0,3,5,5]] -> (1, 1, 4, 4)，dout = [[1,2],[3,4]]；"
                      "应为 [[1,0,0,2],[0,0,0,0],[3,0,4,0],[0,0,0,0]]",
                      "x = [[1,1,0,2],[1,0,2,2],[3,0,5,5],[0,3,5,5]] -> (1, 1, 4, 4), dout = [[1,2],[3,4]]; "
                      "expected [[1,0,0,2],[0,0,0,0],[3,0,4,0],[0,0,0,0]]"), rtol=0, atol=1e-12, dtype=np.float64,
                 hint_on=_max_tie_alternatives(x, dout, 2, 2))
    expect_array(ctx.call(dout.astype(np.float32), x.astype(np.float32)), want, WITH_TIES + Text("（float32）",
                 ", float32"), Text("同样的 x 和 dout，作为 float32 数组", "the same x and dout as float32 arrays"),
                 rtol=0, atol=1e-6, dtype=np.float32, hint_on=_max_tie_alternatives(x, dout, 2, 2))


@check("hw3.cnn.max_pool2d_backward.matches_torch", hint=HINT_MAX_BACKWARD)
def max_pool2d_backward_matches_torch(ctx: Context) -> None:
    # Continuous random values: no ties, so torch's own tie behaviour never matters here.
    for i, (kernel, stride) in enumerate(POOL_CONFIGS):
        x = _pool_input(ctx.rng, kernel)
        dout = ctx.rng.normal(size=_pool_out_shape(x, kernel, stride))
        call = ctx.call_unchanged if i < 2 else ctx.call
        got = call(dout, x, kernel=kernel, stride=stride)
        # Each dx entry sums at most 9 upstream values: rounding ~1e-16.
        expect_array(got, _torch_pool_grad("max", x, dout, kernel, stride), against("max_pool2d_backward", AUTOGRAD),
                     ctx.case(x=x, dout=dout, kernel=kernel, stride=stride), rtol=1e-12, atol=1e-12, dtype=np.float64)
    x = _pool_input(ctx.rng, 3).astype(np.float32)
    dout = ctx.rng.normal(size=_pool_out_shape(x, 3, 2)).astype(np.float32)
    expect_array(ctx.call(dout, x, kernel=3, stride=2), _torch_pool_grad("max", x, dout, 3, 2),
                 with_float32("max_pool2d_backward"), ctx.case(x=x, dout=dout, kernel=3, stride=2),
                 rtol=1e-6, atol=1e-6, dtype=np.float32)
    _pool_backward_default_stride(ctx, "max")


def _pool_backward_default_stride(ctx: Context, kind: str) -> None:
    """kernel alone: stride keeps its default 2 (not the kernel size)."""
    x = ctx.rng.normal(size=(1, 2, 7, 6))
    dout = ctx.rng.normal(size=_pool_out_shape(x, 3, 2))
    expect_array(ctx.call(dout, x, kernel=3), _torch_pool_grad(kind, x, dout, 3, 2),
                 _default_stride(f"{kind}_pool2d_backward(dout, x, kernel=3)"), ctx.case(x=x, dout=dout), rtol=1e-12,
                 atol=1e-12, dtype=np.float64)


@check("hw3.cnn.max_pool2d_backward.ties_random", hint=HINT_MAX_BACKWARD)
def max_pool2d_backward_ties_random(ctx: Context) -> None:
    _pool_backward_default_stride(ctx, "max")
    for kernel, stride in POOL_CONFIGS:
        x = ctx.rng.integers(0, 3, size=_pool_input(ctx.rng, kernel).shape).astype(np.float64)  # many ties
        dout = ctx.rng.normal(size=_pool_out_shape(x, kernel, stride))
        got = ctx.call(dout, x, kernel=kernel, stride=stride)
        expect_array(got, _max_pool_backward_loop(x, dout, kernel, stride), WITH_TIES,
                     ctx.case(Text("x 的取值在 {0, 1, 2} 中", "x with values in {0, 1, 2}"), x=x, kernel=kernel,
                              stride=stride), rtol=1e-12, atol=1e-12, dtype=np.float64,
                     hint_on=_max_tie_alternatives(x, dout, kernel, stride))


@check("hw3.cnn.avg_pool2d_backward.lecture_table", hint=HINT_AVG_BACKWARD)
def avg_pool2d_backward_lecture_table(ctx: Context) -> None:
    dout = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    got = ctx.call_unchanged(dout, POOL_X)
    expect_array(got, _avg_pool_backward_loop(POOL_X, dout, 2, 2), Text("avg_pool2d_backward 作用于讲义中的表格",
                                                                        "avg_pool2d_backward on the lecture's table"),
                 POOL_CASE + Text("，dout = [[1,2],[3,4]]，默认 kernel=2，stride=2：每个输入得到它所在窗口的 dout / 4",
                                  ", dout = [[1,2],[3,4]], the defaults kernel=2, stride=2: each input gets its "
                                  "window's dout / 4"), rtol=0, atol=1e-12,
                 dtype=np.float64, hint_on={NOT_DIVIDED: _avg_pool_backward_loop(POOL_X, dout, 2, 2, area=1.0)})
    # Overlapping 3x3 windows with stride 1: the inner inputs collect the share of several windows.
    expect_array(ctx.call(dout, POOL_X, kernel=3, stride=1), _avg_pool_backward_loop(POOL_X, dout, 3, 1),
                 "avg_pool2d_backward(dout, x, kernel=3, stride=1)", f"{POOL_CASE}, dout = [[1,2],[3,4]]",
                 rtol=0, atol=1e-12, dtype=np.float64,
                 hint_on={NOT_DIVIDED: _avg_pool_backward_loop(POOL_X, dout, 3, 1, area=1.0)})
    expect_array(ctx.call(dout.astype(np.float32), POOL_X.astype(np.float32)),
                 _avg_pool_backward_loop(POOL_X, dout, 2, 2), in_float32("avg_pool2d_backward"),
                 f"{POOL_CASE} float32, dout = [[1,2],[3,4]] float32", rtol=0, atol=1e-6, dtype=np.float32)
    grid = np.arange(25, dtype=np.float64).reshape(1, 1, 5, 5)  # kernel alone: the default stride is 2
    expect_array(ctx.call(dout, grid, kernel=3), _avg_pool_backward_loop(grid, dout, 3, 2),
                 _default_stride("avg_pool2d_backward(dout, x, kernel=3)"), "x = np.arange(25.).reshape(1, 1, 5, 5), "
                 "dout = [[1,2],[3,4]]", rtol=0, atol=1e-12, dtype=np.float64)


@check("hw3.cnn.avg_pool2d_backward.matches_torch", hint=HINT_AVG_BACKWARD)
def avg_pool2d_backward_matches_torch(ctx: Context) -> None:
    for i, (kernel, stride) in enumerate(POOL_CONFIGS):
        x = _pool_input(ctx.rng, kernel)
        dout = ctx.rng.normal(size=_pool_out_shape(x, kernel, stride))
        call = ctx.call_unchanged if i < 2 else ctx.call
        got = call(dout, x, kernel=kernel, stride=stride)
        expect_array(got, _torch_pool_grad("avg", x, dout, kernel, stride), against("avg_pool2d_backward", AUTOGRAD),
                     ctx.case(x=x, dout=dout, kernel=kernel, stride=stride), rtol=1e-12, atol=1e-12, dtype=np.float64,
                     hint_on={NOT_DIVIDED: _avg_pool_backward_loop(x, dout, kernel, stride, 1.0),
                              Text("除以 kernel 而不是 kernel*kernel 的 dout", "dout divided by kernel instead of "
                                   "kernel*kernel"): _avg_pool_backward_loop(x, dout, kernel, stride, float(kernel))})
    x = _pool_input(ctx.rng, 3).astype(np.float32)
    dout = ctx.rng.normal(size=_pool_out_shape(x, 3, 2)).astype(np.float32)
    expect_array(ctx.call(dout, x, kernel=3, stride=2), _torch_pool_grad("avg", x, dout, 3, 2),
                 with_float32("avg_pool2d_backward"), ctx.case(x=x, dout=dout, kernel=3, stride=2),
                 rtol=1e-6, atol=1e-6, dtype=np.float32)
    _pool_backward_default_stride(ctx, "avg")


# ----------------------------------------------------------------------------- alexnet_shapes
def _as_layers(got: Any, what: str, case: str | Text) -> list[tuple[str, tuple[int, ...]]]:
    """[(name, (C, H, W)), ...] with tuples or lists and int-like sizes."""
    layers = []
    for i, item in enumerate(as_sequence(got, len(ALEXNET_LAYERS), what, case)):
        name, shape = as_sequence(item, 2, f"{what}[{i}] (name, (C, H, W))", case)
        sizes = as_sequence(shape, 3, Text(f"{what}[{i}] 的形状 (C, H, W)", f"{what}[{i}] shape (C, H, W)"), case)
        layers.append((name, tuple(_as_int(s, Text(f"{what}[{i}] 形状中的各项", f"{what}[{i}] shape entries"), case)
                                   for s in sizes)))
    return layers


def _own_shapes(ctx: Context, c: int, h: int, w: int) -> list | None:
    """The layer shapes that the student's own conv_output_size gives, or None when it cannot."""
    out = []
    try:
        for name, filters, k, stride, padding in ALEXNET_LAYERS:
            c = filters or c
            h, w = (ctx.call_named("conv_output_size", n, k, stride, padding) for n in (h, w))
            if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (h, w)):
                return None
            h, w = int(h), int(w)
            out.append((name, (c, h, w)))
    except StudentCodeStopped:  # not attempted or broken: alexnet_shapes is judged on its own
        return None
    return out


def _expect_layers(ctx: Context, got: Any, input_shape: tuple[int, int, int], what: str, case: str | Text) -> None:
    """The layer list against the layout; a conv_output_size bug is charged by its own checks.

    When the student's conv_output_size is wrong and alexnet_shapes reports exactly the shapes it
    gives, the layout is right and the size arithmetic was already charged once: accepted.
    """
    want = _alexnet_expected_shapes(*input_shape)
    layers = _as_layers(got, what, case)
    if layers != want:
        own = _own_shapes(ctx, *input_shape)
        if own is not None and own != want and layers == own:
            return
    for (name, shape), (want_name, want_shape) in zip(layers, want):
        if name != want_name or shape != want_shape:
            note = Text("", "")
            if want_name == "conv1" and shape[1:] != want_shape[1:]:
                note = Text("（conv1 为 11x11，stride 4，padding 2：两侧都要算上填充）",
                            " (conv1 is 11x11, stride 4, padding 2: the padding counts on both sides)")
            raise fail(what, case, Text(f"第一处不同在层 {want_name!r}：应为 ({want_name!r}, {want_shape})，实际为 "
                                        f"({name!r}, {shape})", f"first difference at layer {want_name!r}: expected "
                                        f"({want_name!r}, {want_shape}), got ({name!r}, {shape})") + note
                       + Text(f"\n  应为 {want}\n  实际 {layers}", f"\n  expected {want}\n  got      {layers}"))


@check("hw3.cnn.alexnet_shapes.lecture_224", hint=HINT_ALEXNET_SHAPES)
def alexnet_shapes_lecture_224(ctx: Context) -> None:
    _expect_layers(ctx, ctx.call(), (3, 224, 224), "alexnet_shapes()", Text("默认输入 (3, 224, 224)",
                                                                            "the default input (3, 224, 224)"))


@check("hw3.cnn.alexnet_shapes.other_sizes", hint=HINT_ALEXNET_SHAPES + Text(
    "输入形状是一个参数，所有大小都由它推出。", " The input shape is an argument, and every size follows from it."))
def alexnet_shapes_other_sizes(ctx: Context) -> None:
    sizes: list[tuple[int, ...]] = [(3, 227, 227), (1, 256, 320)]  # 227: the size the original paper's numbers fit
    for _ in range(2):
        sizes.append((int(ctx.rng.integers(1, 5)), *(int(v) for v in ctx.rng.integers(63, 321, size=2))))
    for c, h, w in sizes:
        _expect_layers(ctx, ctx.call((c, h, w)), (c, h, w), f"alexnet_shapes(({c}, {h}, {w}))", ctx.case())


# ----------------------------------------------------------------------------- build_alexnet
# Every AlexNet check answers from one request that builds the student's model once (and once more
# with num_classes=10): the plan depends on the run seed only, so all four checks send the same.
SMALL = (1, 3, 63, 97)  # the contract's smallest height: any H, W >= 63 works


@dataclass(frozen=True)
class AlexNetPlan:
    x: np.ndarray          # (1, 3, 224, 224)
    other: np.ndarray      # H <= 100, W >= 230: the adaptive pool both pads rows up and pools columns down
    small: np.ndarray      # (1, 3, 63, 97)
    weights_seed: int
    train_seeds: tuple[int, int]

    def payload(self) -> AlexNetRequest:
        return {"builds": [
            {"kwargs": {}, "weights_seed": self.weights_seed, "evals": [self.x, self.other, self.small],
             "trains": [[self.small, s] for s in self.train_seeds]},
            {"kwargs": {"num_classes": 10}, "weights_seed": self.weights_seed, "evals": [self.small]},
        ]}

    def expected(self) -> list[np.ndarray]:
        """The judge's outputs: eval at x, other, small; training mode at small with each seed; then
        build_alexnet(num_classes=10) in eval mode at small."""
        return _alexnet_expected(self.weights_seed, [self.x, self.other, self.small, self.small, self.small],
                                 [None, None, None, *self.train_seeds], [self.small])


def _alexnet_plan(ctx: Context) -> AlexNetPlan:
    rng = np.random.default_rng(check_seed(ctx.run_seed, "hw3.cnn.build_alexnet"))
    x = rng.normal(size=(1, 3, 224, 224)).astype(np.float32)
    other = rng.normal(size=(1, 3, int(rng.integers(63, 101)), int(rng.integers(230, 321)))).astype(np.float32)
    small = rng.normal(size=SMALL).astype(np.float32)
    seeds = rng.integers(2**31, size=3)
    return AlexNetPlan(x, other, small, int(seeds[0]), (int(seeds[1]), int(seeds[2])))


def _alexnet_build(ctx: Context, plan: AlexNetPlan, index: int) -> AlexNetBuildAnswer:
    report: AlexNetAnswer = ctx.drive("cnn.alexnet", plan.payload(), shared=True)
    shown = "build_alexnet(num_classes=10)" if index else "build_alexnet()"
    builds = report.get("builds") if isinstance(report, dict) else None
    build = builds[index] if isinstance(builds, list) and len(builds) > index else None
    if not isinstance(build, dict):
        raise fail(shown, "", Text("驱动程序没有返回结果", "the driver returned no result"))
    expect_true(build.get("is_module") is True, shown, "",
                Text(f"应为 torch.nn.Module，实际得到 {build.get('type', '?')}",
                     f"expected a torch.nn.Module, got a {build.get('type', '?')}"))
    return build


def _shapes_of(build: AlexNetBuildAnswer) -> list[tuple[int, ...]]:
    shapes_ = build.get("param_shapes")
    if not isinstance(shapes_, list) or not all(isinstance(s, list) for s in shapes_):
        raise fail("build_alexnet()", "", Text("模型的参数形状没有以尺寸列表的形式返回",
                                               "the model's parameter shapes did not come back as lists of sizes"))
    return [tuple(int(v) for v in s) for s in shapes_]


def _expect_output(out: Any, shape: tuple[int, ...], what: str | Text, case: str | Text) -> np.ndarray:
    if isinstance(out, dict) and "raised" in out:
        exc, _, message = str(out["raised"]).partition(": ")  # "Type: message", Python's or torch's words
        raise fail(what, case, Text(f"前向传播抛出了 {exc}：{message}", f"the forward pass raised {out['raised']}"))
    if isinstance(out, dict):
        raise fail(what, case, Text(f"前向传播返回了 {out.get('not_a_tensor')}，应为形状为 {shape} 的 torch.Tensor",
                                    f"the forward pass returned a {out.get('not_a_tensor')}, expected a "
                                    f"torch.Tensor of shape {shape}"))
    return as_array(out, what, case, shape=shape)


def _output(build: AlexNetBuildAnswer, key: str, index: int, shape: tuple[int, ...], what: str | Text,
            case: str | Text) -> np.ndarray:
    outs = build.get(key)
    if not isinstance(outs, list) or len(outs) <= index:
        raise fail(what, case, Text("没有返回输出", "no output came back"))
    return _expect_output(outs[index], shape, what, case)


def _small_case(x: np.ndarray) -> Text:
    return Text(f"输入 {x.shape}：接口约定任何 H, W >= 63 都可以，因为自适应平均池化会把任何特征图变成 6x6",
                f"input {x.shape}: the contract says any H, W >= 63 works, because the adaptive average pool "
                "turns any feature map into 6x6")


def _seeded(ctx: Context, plan: AlexNetPlan, *notes: str | Text) -> Text:
    return ctx.case(Text(f"权重用种子 {plan.weights_seed} 生成", f"weights seeded {plan.weights_seed}"), *notes)


EVAL_OUT = Text("build_alexnet() 在 eval 模式下的输出", "build_alexnet() output in eval mode")
PARAM_COUNT_CASE = Text("model.parameters() 各项大小之和", "the sum of the sizes of model.parameters()")


@check("hw3.cnn.build_alexnet.params_and_output", hint=HINT_BUILD_ALEXNET + Text(
    "1000 个类别时共有 61,100,840 个参数，任何至少 63x63 的输入都可以。",
    " That is 61,100,840 parameters for 1000 classes, and any input of at least 63x63 works."))
def build_alexnet_params_and_output(ctx: Context) -> None:
    plan = _alexnet_plan(ctx)
    build = _alexnet_build(ctx, plan, 0)
    _output(build, "outputs", 0, (1, 1000), EVAL_OUT, Text("输入 (1, 3, 224, 224)", "input (1, 3, 224, 224)"))
    small = _output(build, "outputs", 2, (1, 1000), EVAL_OUT, _small_case(plan.small))
    count = sum(int(np.prod(s)) for s in _shapes_of(build))  # counted by the judge from the shapes
    expect_equal(count, ALEXNET_PARAMS, Text("build_alexnet() 的参数个数", "build_alexnet() parameter count"),
                 PARAM_COUNT_CASE)
    # Shapes and a count are easy to report without a model: the output at the smallest input
    # must also be the judge's AlexNet's on the same weights (tolerance: see forward_matches).
    _expect_logits(small, plan.expected()[2], Text("build_alexnet() 在最小输入上的 eval 模式输出",
                                                   "build_alexnet() eval-mode output at the smallest input"),
                   _seeded(ctx, plan, _small_case(plan.small)))


@check("hw3.cnn.build_alexnet.num_classes", hint=HINT_BUILD_ALEXNET + Text(
    "num_classes 只决定最后一个 Linear 层。", " num_classes sets the last Linear layer only."))
def build_alexnet_num_classes(ctx: Context) -> None:
    plan = _alexnet_plan(ctx)
    build = _alexnet_build(ctx, plan, 1)
    out = _output(build, "outputs", 0, (1, 10), Text("build_alexnet(num_classes=10) 的输出",
                                                     "build_alexnet(num_classes=10) output"), _small_case(plan.small))
    want = sum(int(np.prod(s)) for s in _alexnet_param_shapes(10))  # 57,044,810
    expect_equal(sum(int(np.prod(s)) for s in _shapes_of(build)), want,
                 Text("build_alexnet(num_classes=10) 的参数个数", "build_alexnet(num_classes=10) parameter count"),
                 PARAM_COUNT_CASE)
    expect_equal(_shapes_of(build), _alexnet_param_shapes(10),
                 Text("build_alexnet(num_classes=10) 的参数形状（加载同样的权重时需要）",
                      "build_alexnet(num_classes=10) parameter shapes (needed to load the same weights)"), "")
    _expect_logits(out, plan.expected()[5], against(Text("build_alexnet(num_classes=10) 的 eval 模式输出",
                                                         "build_alexnet(num_classes=10) eval-mode output"),
                                                    Text("评分程序用同样权重搭建的 10 类 AlexNet",
                                                         "the judge's 10-class AlexNet with the same weights")),
                   _seeded(ctx, plan, _small_case(plan.small)))


@check("hw3.cnn.build_alexnet.layout", hint=HINT_BUILD_ALEXNET)
def build_alexnet_layout(ctx: Context) -> None:
    plan = _alexnet_plan(ctx)
    build = _alexnet_build(ctx, plan, 0)
    got, want = _shapes_of(build), _alexnet_param_shapes(1000)
    leaves = build.get("module_types")
    if got != want:
        raise fail("build_alexnet()", "", Text(
            f"按注册顺序排列的参数形状与 torchvision 的 AlexNet 不同\n  应为 {want}\n  实际 {got}\n  你的叶子模块：{leaves}",
            f"the parameter shapes, in registration order, differ from torchvision's AlexNet\n  expected {want}\n"
            f"  got      {got}\n  your leaf modules: {leaves}"))
    expected = plan.expected()
    for i, seed in enumerate(plan.train_seeds):
        case = _seeded(ctx, plan, Text(f"输入 {plan.small.shape}，model.train()，前向传播之前 torch.manual_seed({seed})；"
                                       f"你的叶子模块：{leaves}",
                                       f"input {plan.small.shape}, model.train(), torch.manual_seed({seed}) before the "
                                       f"forward pass; your leaf modules: {leaves}"))
        out = _output(build, "train_outputs", i, (1, 1000), Text("build_alexnet() 在训练模式下的输出",
                                                                 "build_alexnet() output in training mode"), case)
        # The judge replays the contract's two Dropout(0.5) layers with the same seed: the masks are
        # the same bits, so only float32 summation order differs (see forward_matches).
        scale = float(np.max(np.abs(expected[3 + i]))) or 1.0
        expect_array(out, expected[3 + i], against(Text("训练模式下的 build_alexnet()", "build_alexnet() in training mode"),
                                                   Text("评分程序的 AlexNet（前两个 Linear 层之前各有 Dropout(0.5)）",
                                                        "the judge's AlexNet with Dropout(0.5) before the first two "
                                                        "Linear layers")), case, rtol=1e-3, atol=1e-3 * scale)


@check("hw3.cnn.build_alexnet.forward_matches", hint=HINT_BUILD_ALEXNET + Text(
    "评分程序用同样的权重在 224x224 和另一个尺寸上运行它自己的 AlexNet。",
    " The judge runs its own AlexNet on the same weights at 224x224 and at another size."))
def build_alexnet_forward_matches(ctx: Context) -> None:
    plan = _alexnet_plan(ctx)
    build = _alexnet_build(ctx, plan, 0)
    expect_equal(_shapes_of(build), _alexnet_param_shapes(1000),
                 Text("build_alexnet() 的参数形状（加载同样的权重时需要）",
                      "build_alexnet() parameter shapes (needed to load the same weights)"), "")
    expected = plan.expected()
    for i, x in enumerate((plan.x, plan.other)):
        case = _seeded(ctx, plan, Text(f"He 缩放的正态分布；输入 {x.shape}", f"He-scaled normal; input {x.shape}"),
                       *([] if i == 0 else [_small_case(x)]))
        got = _output(build, "outputs", i, (1, 1000), Text("build_alexnet() 的输出", "build_alexnet() output"), case)
        _expect_logits(got, expected[i],
                       against(Text("build_alexnet() 的 eval 模式输出", "build_alexnet() eval-mode output"),
                               Text("评分程序用同样权重搭建的 AlexNet", "the judge's AlexNet with the same weights")),
                       case)


def _expect_logits(got: np.ndarray, want: np.ndarray, what: str | Text, case: str | Text) -> None:
    # Both sides compute in float32 with different summation orders over up to 9216 terms per
    # layer: ~1e-5 relative per layer. 1e-3 of the output scale leaves a wide margin, while a
    # wrong layer (average pooling, a missing or extra ReLU) changes the logits by O(scale).
    scale = float(np.max(np.abs(want))) or 1.0
    expect_array(got, want, what, case, rtol=1e-3, atol=1e-3 * scale)
