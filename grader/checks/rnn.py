"""Checks for rnn (hw4): vanilla RNN step/forward/BPTT, LSTM and GRU cells, sequence-to-class.

Oracles: closed forms written here in float64, torch's RNNCell / nn.RNN / LSTMCell / GRUCell with our
weights copied in, torch autograd, and central differences of the student's own rnn_forward.

Weight mapping between the course's layout (x @ W, row vectors) and torch's (W @ x, weight (out, in)):
- RNNCell / nn.RNN (tanh): weight_ih = Wx.T, weight_hh = Wh.T, bias_ih + bias_hh = b.
- LSTMCell: weight_ih = Wx.T (4H, D), weight_hh = Wh.T (4H, H), bias_ih + bias_hh = b; both use the
  gate order i, f, g, o; cell(x, (h, c)) -> (h_next, c_next).
- GRUCell: weight_ih = Wx.T, weight_hh = Wh.T, bias_ih = bx, bias_hh = bh, kept separate because
  r multiplies (h Wh_n + bh_n), hidden bias included; gate order r, z, n.
Our weights are drawn with ctx.rng and copied INTO the torch module, so a seed fixes every value.
"""
from __future__ import annotations

import numpy as np

from ..compare import as_array, as_sequence, expect_array
from ..context import Context
from ..gradients import expect_gradient, finite_difference
from ..i18n import Text
from ..oracles import oracle
from ..registry import check
from ..tolerances import ATOL32, ATOL64, RTOL32, RTOL64, by_dtype
from .common import FLOAT32_HINT, against, in_float32, with_float32

HINT_STEP = Text(
    zh="讲义第 4 部分（循环神经网络的工作原理）：h_t = f(h_{t-1}, x_t)，其中 f 是对 x_t Wx + h_{t-1} Wh + b 取 tanh；tanh 在"
       "最后，三项相加之后才取。",
    en="Lecture part 4 (循环神经网络的工作原理): h_t = f(h_{t-1}, x_t) with f = tanh of "
       "x_t Wx + h_{t-1} Wh + b; the tanh comes last, after adding all three terms.")
HINT_FORWARD = Text(
    zh="讲义第 4 部分（信息接力赛）：从 h0 开始，每个时间步都接收上一步的隐藏态，并保留每个 h_t，即第 t 步之后的状态。",
    en="Lecture part 4 (信息接力赛): start from h0, feed each time step (时间步) the previous step's hidden "
       "state (隐藏态), and keep every h_t, the state after step t.")
HINT_BACKWARD = Text(
    zh="讲义第 4 部分与第 2 部分（反向传播）：按时间展开后，到达 h_t 的梯度是它自己的上游梯度加上从第 t+1 步经 Wh 传回来的梯度；"
       "共享的权重在每个时间步各收到一份贡献。",
    en="Lecture part 4 and part 2 (反向传播): unrolled in time, the gradient reaching h_t is its own "
       "upstream gradient plus what flows back from step t+1 through Wh, and the shared weights collect "
       "one contribution per time step.")
HINT_LSTM = Text(
    zh="讲义第 4 部分（长短期记忆网络）：预激活值按 PyTorch 的顺序 i, f, g, o（输入门、遗忘门、候选值、输出门）分成四块；"
       "c_next = f*c + i*g，h_next = o*tanh(c_next)。",
    en="Lecture part 4 (长短期记忆网络): the pre-activations split into four chunks in PyTorch's order "
       "i, f, g, o (输入门, 遗忘门, candidate, 输出门); c_next = f*c + i*g, h_next = o*tanh(c_next).")
HINT_GRU = Text(
    zh="讲义第 4 部分（门控循环单元）：分块顺序为 r, z, n；重置门 r 乘的是整个 h Wh_n + bh_n（与 PyTorch 相同），"
       "h_next = (1 - z) * n + z * h（更新门 z 保留过去的信息）。",
    en="Lecture part 4 (门控循环单元): chunks in the order r, z, n; the reset gate (重置门) r multiplies "
       "the whole h Wh_n + bh_n (as in PyTorch), and h_next = (1 - z) * n + z * h (更新门 z keeps the past).")
HINT_S2C = Text(
    zh="讲义第 4 部分（序列到类别模式）：用最后一个隐藏态（a）或按时间长度进行平均（b）来概括整个序列，然后接线性层。",
    en="Lecture part 4 (序列到类别模式): summarise the sequence by its last hidden state (a) or by the "
       "average over time (b, 按时间长度进行平均), then apply the linear layer.")
AUTOGRAD = Text("torch 自动求导", "torch autograd")
RESET_BEFORE = Text("先把 r 作用在 h 上再做乘法（(r*h) Wh_n + bh_n）", "r applied to h before the product ((r*h) Wh_n + bh_n)")


def _small(what: str) -> Text:
    return Text(f"{what} 作用于一个小例子", f"{what} on a small example")


def _gate_order(order: str) -> Text:
    return Text(f"按 {', '.join(order)} 的顺序读取各门（接口约定的顺序是 i, f, g, o）",
                f"the gates read in the order {', '.join(order)} (the contract's is i, f, g, o)")


# --------------------------------------------------------------------------- judge-side math

@oracle
def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # exact identity, overflow-free


@oracle
def _rnn_step(x, h, Wx, Wh, b):
    return np.tanh(x @ Wx + h @ Wh + b)


@oracle
def _rnn_forward(xs, h0, Wx, Wh, b):
    h, out = h0, []
    for t in range(xs.shape[1]):
        h = _rnn_step(xs[:, t], h, Wx, Wh, b)
        out.append(h)
    return np.stack(out, axis=1)


@oracle
def _lstm(x, h, c, Wx, Wh, b, order="ifgo"):
    """The LSTM step reading the four chunks in ``order`` (the contract's is i, f, g, o)."""
    gates = dict(zip(order, np.split(x @ Wx + h @ Wh + b, 4, axis=1)))
    c_next = _sigmoid(gates["f"]) * c + _sigmoid(gates["i"]) * np.tanh(gates["g"])
    return _sigmoid(gates["o"]) * np.tanh(c_next), c_next


@oracle
def _gru(x, h, Wx, Wh, bx, bh, reset_before_product=False):
    xr, xz, xn = np.split(x @ Wx + bx, 3, axis=1)
    hr, hz, hn = np.split(h @ Wh + bh, 3, axis=1)
    r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
    if reset_before_product:  # the original paper's variant: r applied to h before Wh_n
        H = h.shape[1]
        hn = (r * h) @ Wh[:, 2 * H:] + bh[2 * H:]
        return (1 - z) * np.tanh(xn + hn) + z * h
    return (1 - z) * np.tanh(xn + r * hn) + z * h


def _rnn_params(rng, N, D, H, scale=1.0, dtype=np.float64):
    x = rng.normal(size=(N, D))
    h = rng.normal(size=(N, H))
    Wx = rng.normal(scale=scale, size=(D, H)) / np.sqrt(D)
    Wh = rng.normal(scale=scale, size=(H, H)) / np.sqrt(H)
    b = rng.normal(size=H)
    return tuple(a.astype(dtype) for a in (x, h, Wx, Wh, b))


def _gate_params(rng, N, D, H, gates, dtype=np.float64):
    """x (N,D), h (N,H), Wx (D,gates*H), Wh (H,gates*H) with O(1) pre-activations."""
    x, h = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    Wx = rng.normal(size=(D, gates * H)) / np.sqrt(D)
    Wh = rng.normal(size=(H, gates * H)) / np.sqrt(H)
    return tuple(a.astype(dtype) for a in (x, h, Wx, Wh))


def _f64(*arrays):
    return tuple(np.asarray(a, dtype=np.float64) for a in arrays)


def _tensor(a):
    import torch

    return torch.tensor(np.asarray(a, dtype=np.float64))


def _copy_into(param, value) -> None:
    import torch

    with torch.no_grad():
        param.copy_(_tensor(value))


# --------------------------------------------------------------------------- rnn_step

@check("hw4.rnn.rnn_step.small_example", hint=HINT_STEP)
def rnn_step_small_example(ctx: Context) -> None:
    x = np.array([[1.0, 2.0], [0.0, -1.0]])
    h = np.array([[0.5, -0.5, 0.0], [1.0, 0.0, -1.0]])
    Wx = np.array([[0.1, -0.2, 0.3], [0.4, 0.0, -0.6]])
    Wh = np.array([[0.2, 0.1, 0.0], [-0.3, 0.5, 0.1], [0.0, 0.2, -0.4]])
    b = np.array([0.1, -0.1, 0.2])
    pre = x @ Wx + h @ Wh + b
    case = "x = [[1,2],[0,-1]], h = [[.5,-.5,0],[1,0,-1]], Wx (2,3), Wh (3,3), b = [.1,-.1,.2]"
    alternatives = {NO_TANH: pre,
                    Text("tanh(x @ Wx + h @ Wh) + b（偏置在 tanh 外面）", "tanh(x @ Wx + h @ Wh) + b (bias outside the "
                         "tanh)"): np.tanh(x @ Wx + h @ Wh) + b}
    expect_array(ctx.call_unchanged(x, h, Wx, Wh, b), np.tanh(pre), _small("rnn_step"), case,
                 rtol=RTOL64, atol=ATOL64, dtype=np.float64, hint_on=alternatives)
    expect_array(ctx.call(*(a.astype(np.float32) for a in (x, h, Wx, Wh, b))), np.tanh(pre),
                 in_float32(_small("rnn_step")), case, rtol=RTOL32, atol=ATOL32, dtype=np.float32,
                 hint_on=alternatives)


NO_TANH = Text("没有取 tanh 的 x @ Wx + h @ Wh + b", "x @ Wx + h @ Wh + b without the tanh")


@check("hw4.rnn.rnn_step.matches_torch", hint=HINT_STEP)
def rnn_step_matches_torch(ctx: Context) -> None:
    import torch

    for N, D, H in ((1, 3, 4), (5, 2, 3), (3, 6, 6)):
        x, h, Wx, Wh, b = _rnn_params(ctx.rng, N, D, H)
        cell = torch.nn.RNNCell(D, H, nonlinearity="tanh", dtype=torch.float64)
        split = ctx.rng.normal(size=H)  # torch's two biases only matter through their sum
        for param, value in ((cell.weight_ih, Wx.T), (cell.weight_hh, Wh.T), (cell.bias_ih, b - split),
                             (cell.bias_hh, split)):
            _copy_into(param, value)
        with torch.no_grad():
            want = cell(_tensor(x), _tensor(h)).numpy()
        got = ctx.call_unchanged(x, h, Wx, Wh, b)
        expect_array(got, want, against("rnn_step", "torch.nn.RNNCell"), ctx.case(x=x, h=h, Wx=Wx),
                     rtol=RTOL64, atol=ATOL64, dtype=np.float64,
                     hint_on={Text("没有取 tanh 的预激活值", "the pre-activation without tanh"): x @ Wx + h @ Wh + b})


@check("hw4.rnn.rnn_step.float32", hint=FLOAT32_HINT)
def rnn_step_float32(ctx: Context) -> None:
    args = _rnn_params(ctx.rng, 4, 3, 5, dtype=np.float32)
    got = ctx.call(*args)
    expect_array(got, _rnn_step(*_f64(*args)), with_float32("rnn_step"),
                 ctx.case(x=args[0], h=args[1]), rtol=RTOL32, atol=ATOL32, dtype=np.float32)


# --------------------------------------------------------------------------- rnn_forward

@check("hw4.rnn.rnn_forward.small_sequence", hint=HINT_FORWARD)
def rnn_forward_small_sequence(ctx: Context) -> None:
    xs = np.array([[[1.0], [0.0], [-1.0]], [[0.5], [0.5], [2.0]]])  # N=2, T=3, D=1
    h0 = np.array([[0.0, 0.0], [0.5, -0.5]])
    Wx = np.array([[1.0, -0.5]])
    Wh = np.array([[0.5, 0.25], [-0.25, 0.5]])
    b = np.array([0.0, 0.1])
    want = _rnn_forward(xs, h0, Wx, Wh, b)
    from_h0 = np.stack([_rnn_step(xs[:, t], h0, Wx, Wh, b) for t in range(3)], axis=1)
    case = ("xs = [[[1],[0],[-1]],[[.5],[.5],[2]]], h0 = [[0,0],[.5,-.5]], Wx = [[1,-.5]], "
            "Wh = [[.5,.25],[-.25,.5]], b = [0,.1]")
    alternatives = {Text("每一步都从 h0 开始（隐藏态没有传下去）", "every step started from h0 (the hidden state is not "
                         "carried)"): from_h0,
                    Text("错开一步的状态（hs[:, 0] = h0）", "the states shifted by one step (hs[:, 0] = h0)"):
                        np.concatenate([h0[:, None], want[:, :-1]], axis=1)}
    three = Text("rnn_forward 作用于一个 3 步的序列", "rnn_forward on a 3-step sequence")
    expect_array(ctx.call_unchanged(xs, h0, Wx, Wh, b), want, three + " (N=2, T=3, D=1, H=2)", case, rtol=RTOL64,
                 atol=ATOL64, dtype=np.float64, hint_on=alternatives)
    expect_array(ctx.call(*(a.astype(np.float32) for a in (xs, h0, Wx, Wh, b))), want,
                 in_float32(three), case, rtol=RTOL32, atol=ATOL32, dtype=np.float32, hint_on=alternatives)


@check("hw4.rnn.rnn_forward.matches_torch", hint=HINT_FORWARD)
def rnn_forward_matches_torch(ctx: Context) -> None:
    import torch

    for N, T, D, H in ((2, 5, 3, 4), (3, 1, 2, 2), (1, 7, 4, 3)):
        _, h0, Wx, Wh, b = _rnn_params(ctx.rng, N, D, H)
        xs = ctx.rng.normal(size=(N, T, D))
        rnn = torch.nn.RNN(D, H, batch_first=True, dtype=torch.float64)
        for param, value in ((rnn.weight_ih_l0, Wx.T), (rnn.weight_hh_l0, Wh.T), (rnn.bias_ih_l0, b),
                             (rnn.bias_hh_l0, np.zeros(H))):
            _copy_into(param, value)
        with torch.no_grad():
            want = rnn(_tensor(xs), _tensor(h0)[None])[0].numpy()
        got = ctx.call_unchanged(xs, h0, Wx, Wh, b)
        expect_array(got, want, against("rnn_forward", "torch.nn.RNN(batch_first=True)"),
                     ctx.case(xs=xs, h0=h0, Wx=Wx), rtol=RTOL64, atol=ATOL64, dtype=np.float64)


@check("hw4.rnn.rnn_forward.long_sequence_finite", hint=Text(
    zh="讲义第 4 部分：在权重很大的长序列上，tanh 饱和于 +-1，状态保持有限；而用指数写出的 tanh 在自变量很大时会溢出成 inf/inf。",
    en="Lecture part 4: over a long sequence with large weights tanh saturates at +-1 and the states stay finite, "
       "while a tanh written from exponentials overflows to inf/inf for large arguments."))
def rnn_forward_long_sequence_finite(ctx: Context) -> None:
    N, T, D, H = 2, 200, 3, 4
    # Pre-activations in the hundreds: exp(2a) overflows float64 beyond a ~ 355.
    _, h0, Wx, Wh, b = _rnn_params(ctx.rng, N, D, H, scale=40.0)
    xs = ctx.rng.normal(scale=10.0, size=(N, T, D))
    got = ctx.call(xs, h0, Wx, Wh, b)
    case = ctx.case(Text("权重的尺度约为 40，输入的尺度约为 10", "weights of scale ~40, inputs of scale ~10"),
                    xs=xs, Wx=Wx, Wh=Wh)
    what = Text("rnn_forward，共 200 步", "rnn_forward over 200 steps")
    arr = as_array(got, what, case, shape=(N, T, H), dtype=np.float64)
    # Deep in saturation, rounding differences hardly propagate; 1e-7 still forgives an amplification
    # of float64 rounding by a factor 1e8 through the occasional unsaturated unit.
    expect_array(arr, _rnn_forward(xs, h0, Wx, Wh, b), what, case, rtol=0, atol=1e-7)


@check("hw4.rnn.rnn_forward.float32", hint=FLOAT32_HINT)
def rnn_forward_float32(ctx: Context) -> None:
    _, h0, Wx, Wh, b = _rnn_params(ctx.rng, 3, 2, 4, dtype=np.float32)
    xs = ctx.rng.normal(size=(3, 5, 2)).astype(np.float32)
    got = ctx.call(xs, h0, Wx, Wh, b)
    expect_array(got, _rnn_forward(*_f64(xs, h0, Wx, Wh, b)), with_float32("rnn_forward"),
                 ctx.case(xs=xs, h0=h0), rtol=RTOL32, atol=ATOL32, dtype=np.float32)


# --------------------------------------------------------------------------- rnn_backward

@oracle
def _torch_rnn_grads(dhs, xs, h0, Wx, Wh, b):
    """(dxs, dh0, dWx, dWh, db) by torch autograd through the unrolled recurrence."""
    import torch

    from ..gradients import torch_vjp

    def unrolled(xs, h0, Wx, Wh, b):
        h, out = h0, []
        for t in range(xs.shape[1]):
            h = torch.tanh(xs[:, t] @ Wx + h @ Wh + b)
            out.append(h)
        return torch.stack(out, dim=1)

    _, grads = torch_vjp(unrolled, {"xs": xs, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b}, dhs)
    return [grads[k] for k in ("xs", "h0", "Wx", "Wh", "b")]


NAMES = ("dxs", "dh0", "dWx", "dWh", "db")


def _bptt(dhs, xs, h0, Wx, Wh, b, through_time: bool = True):
    """(dxs, dh0, dWx, dWh, db) by the judge's own BPTT; through_time=False drops the gradient that
    h_t passes back to h_{t-1} (only to name that mistake in messages)."""
    hs = _rnn_forward(xs, h0, Wx, Wh, b)
    prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)
    dxs, dWx, dWh, db = np.zeros(xs.shape), np.zeros(Wx.shape), np.zeros(Wh.shape), np.zeros(b.shape)
    dh_next = np.zeros(h0.shape)
    for t in reversed(range(xs.shape[1])):
        da = (dhs[:, t] + (dh_next if through_time else 0.0)) * (1 - hs[:, t] ** 2)
        dxs[:, t], dWx, dWh, db = da @ Wx.T, dWx + xs[:, t].T @ da, dWh + prev[:, t].T @ da, db + da.sum(axis=0)
        dh_next = da @ Wh.T
    return dxs, dh_next, dWx, dWh, db


@check("hw4.rnn.rnn_backward.small_sequence", hint=HINT_BACKWARD)
def rnn_backward_small_sequence(ctx: Context) -> None:
    # T = 3 steps: the gradient of h_t reaches h_{t-1} (through Wh) and the weights collect one
    # contribution per step; one step (T = 1) would hide both.
    xs = np.array([[[1.0, -1.0], [0.5, 0.0], [-1.0, 2.0]], [[0.5, 2.0], [0.0, -1.0], [1.0, 1.0]]])  # N=2, T=3, D=2
    h0 = np.array([[0.5, 0.0], [-1.0, 1.0]])
    Wx = np.array([[0.5, -0.5], [0.25, 0.5]])
    Wh = np.array([[0.6, 0.2], [-0.3, 0.7]])
    b = np.array([0.1, -0.2])
    dhs = np.array([[[1.0, 0.0], [0.0, 0.0], [0.5, -1.0]], [[-1.0, 2.0], [0.0, 1.0], [0.0, 0.0]]])
    case = Text("T = 3 步：xs (2, 3, 2)，h0 = [[.5,0],[-1,1]]，Wx = [[.5,-.5],[.25,.5]]，Wh = [[.6,.2],[-.3,.7]]，"
                "b = [.1,-.2]，dhs (2, 3, 2) 在某些步上为 0",
                "T = 3 steps: xs (2, 3, 2), h0 = [[.5,0],[-1,1]], Wx = [[.5,-.5],[.25,.5]], Wh = [[.6,.2],[-.3,.7]], "
                "b = [.1,-.2], dhs (2, 3, 2) with zeros at some steps")
    want = _bptt(dhs, xs, h0, Wx, Wh, b)
    cut = _bptt(dhs, xs, h0, Wx, Wh, b, through_time=False)
    no_path = Text("缺少沿时间反向传回的路径（h_t -> h_{t-1}）的梯度",
                   "the gradients without the path back through time (h_t -> h_{t-1})")
    alternatives = [{no_path: c} for c in cut]
    got = as_sequence(ctx.call_unchanged(dhs, xs, h0, Wx, Wh, b), 5, "rnn_backward", case)
    for name, g, w, alt in zip(NAMES, got, want, alternatives):
        expect_array(g, w, f"rnn_backward {name}", case, rtol=RTOL64, atol=ATOL64, dtype=np.float64, hint_on=alt)
    got = as_sequence(ctx.call(*(a.astype(np.float32) for a in (dhs, xs, h0, Wx, Wh, b))), 5, "rnn_backward", case)
    for name, g, w in zip(NAMES, got, want):
        expect_array(g, w, in_float32(f"rnn_backward {name}"), case, rtol=1e-4, atol=1e-4, dtype=np.float32)


@check("hw4.rnn.rnn_backward.matches_torch", hint=HINT_BACKWARD)
def rnn_backward_matches_torch(ctx: Context) -> None:
    for N, T, D, H in ((2, 4, 3, 5), (3, 6, 2, 3), (1, 1, 2, 2)):
        _, h0, Wx, Wh, b = _rnn_params(ctx.rng, N, D, H)
        xs, dhs = ctx.rng.normal(size=(N, T, D)), ctx.rng.normal(size=(N, T, H))
        want = _torch_rnn_grads(dhs, xs, h0, Wx, Wh, b)
        case = ctx.case(dhs=dhs, xs=xs, h0=h0, Wx=Wx)
        got = as_sequence(ctx.call_unchanged(dhs, xs, h0, Wx, Wh, b), 5, "rnn_backward", case)
        for name, g, w in zip(NAMES, got, want):
            # Exact float64 BPTT on both sides; 1e-9 forgives summation order over N*T terms.
            expect_array(g, w, against(f"rnn_backward {name}", AUTOGRAD), case, rtol=1e-9, atol=1e-10,
                         dtype=np.float64)


@oracle
def _rnn_numeric(dhs, xs, h0, Wx, Wh, b, h: float = 1e-6) -> list[np.ndarray]:
    """d sum(dhs * hs) / d (xs, h0, Wx, Wh, b) by central differences of the judge's rnn_forward."""
    args = [np.asarray(a, dtype=np.float64) for a in (xs, h0, Wx, Wh, b)]

    def along(i: int):
        return lambda value: _rnn_forward(*args[:i], value, *args[i + 1:])

    return [finite_difference(along(i), args[i], h, dhs) for i in range(5)]


@check("hw4.rnn.rnn_backward.numeric_grad", hint=HINT_BACKWARD + Text(
    "本项检查与数值法对照：对展开后的前向传播做中心差分。",
    " This check compares with the numerical method (数值法): central differences of the unrolled forward pass."))
def rnn_backward_numeric_grad(ctx: Context) -> None:
    N, T, D, H = 2, 3, 2, 3
    _, h0, Wx, Wh, b = _rnn_params(ctx.rng, N, D, H)
    xs, dhs = ctx.rng.normal(size=(N, T, D)), ctx.rng.normal(size=(N, T, H))
    # The judge differentiates its own forward: differences of the student's forward would agree
    # with a backward that is as wrong as it (a forward and a backward returning zeros, say).
    numeric = _rnn_numeric(dhs, xs, h0, Wx, Wh, b)
    case = ctx.case(Text("中心差分，h = 1e-6", "central differences with h = 1e-6"), dhs=dhs, xs=xs, h0=h0, Wx=Wx)
    got = as_sequence(ctx.call(dhs, xs, h0, Wx, Wh, b), 5, "rnn_backward", case)
    for name, g, w in zip(NAMES, got, numeric):
        # Central differences with h = 1e-6 of an O(1) sum: ~1e-9 absolute error; the floor 1e-3 keeps
        # near-zero entries from failing on that noise, 1e-5 relative is far above it elsewhere.
        expect_gradient(g, w, against(f"rnn_backward {name}", Text("h_t = tanh(x_t Wx + h_(t-1) Wh + b) 的中心差分",
                                                                   "central differences of h_t = tanh(x_t Wx + "
                                                                   "h_(t-1) Wh + b)")), case, tol=1e-5, floor=1e-3)


@check("hw4.rnn.rnn_backward.float32", hint=FLOAT32_HINT)
def rnn_backward_float32(ctx: Context) -> None:
    N, T, D, H = 2, 4, 3, 3
    _, h0, Wx, Wh, b = _rnn_params(ctx.rng, N, D, H, dtype=np.float32)
    xs = ctx.rng.normal(size=(N, T, D)).astype(np.float32)
    dhs = ctx.rng.normal(size=(N, T, H)).astype(np.float32)
    want = _torch_rnn_grads(*_f64(dhs, xs, h0, Wx, Wh, b))
    case = ctx.case(dhs=dhs, xs=xs, h0=h0)
    got = as_sequence(ctx.call(dhs, xs, h0, Wx, Wh, b), 5, with_float32("rnn_backward"), case)
    for name, g, w in zip(NAMES, got, want):
        # float32 BPTT over 4 steps: a few hundred ulp at most.
        expect_array(g, w, with_float32(f"rnn_backward {name}"), case, rtol=1e-4, atol=1e-4, dtype=np.float32)


# --------------------------------------------------------------------------- lstm_step

@check("hw4.rnn.lstm_step.small_example", hint=HINT_LSTM)
def lstm_step_small_example(ctx: Context) -> None:
    # Four different gate biases, so that reading the chunks in another order changes the answer.
    x, h = np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([[0.5, -0.5], [0.0, 1.0]])
    c = np.array([[1.0, -2.0], [0.5, 0.0]])
    Wx = np.array([[0.5, -0.25, 0.1, 0.3, -0.5, 0.2, 0.4, 0.0], [0.0, 0.5, -0.3, 0.1, 0.25, -0.4, 0.0, 0.6]])
    Wh = np.array([[0.2, 0.0, 0.5, -0.1, 0.3, 0.1, -0.2, 0.4], [-0.4, 0.3, 0.0, 0.2, 0.1, 0.5, 0.3, -0.1]])
    b = np.array([1.0, 0.5, -1.5, -0.5, 0.25, -0.25, 2.0, 0.0])
    case = Text("x (2, 2)，h (2, 2)，c = [[1,-2],[.5,0]]，H = 2，Wx (2, 8)，Wh (2, 8)，b (8,)：分块 i, f, g, o",
                "x (2, 2), h (2, 2), c = [[1,-2],[.5,0]], H = 2, Wx (2, 8), Wh (2, 8), b (8,): chunks i, f, g, o")
    want = _lstm(x, h, c, Wx, Wh, b)
    others = {order: _lstm(x, h, c, Wx, Wh, b, order) for order in ("ifog", "figo", "fiog", "igfo")}
    sigma_o = _sigmoid((x @ Wx + h @ Wh + b)[:, 6:])
    for dtype in (np.float64, np.float32):
        args = [a.astype(dtype) for a in (x, h, c, Wx, Wh, b)]
        call = ctx.call_unchanged if dtype == np.float64 else ctx.call
        got = as_sequence(call(*args), 2, "lstm_step", case)
        for k, name in enumerate(("h_next", "c_next")):
            alternatives = {_gate_order(o): v[k] for o, v in others.items()}
            if k == 0:
                alternatives[Text("o * tanh(c)，用了旧的单元状态", "o * tanh(c), the old cell state")] = \
                    sigma_o * np.tanh(c)
            expect_array(got[k], want[k], f"lstm_step {name} ({np.dtype(dtype).name})", case, **by_dtype(dtype),
                         dtype=dtype, hint_on=alternatives)


@check("hw4.rnn.lstm_step.matches_torch", hint=HINT_LSTM)
def lstm_step_matches_torch(ctx: Context) -> None:
    import torch

    for N, D, H in ((3, 4, 2), (1, 2, 5), (4, 3, 3)):
        x, h, Wx, Wh = _gate_params(ctx.rng, N, D, H, 4)
        c, b = ctx.rng.normal(size=(N, H)), ctx.rng.normal(size=4 * H)
        cell = torch.nn.LSTMCell(D, H, dtype=torch.float64)
        split = ctx.rng.normal(size=4 * H)
        for param, value in ((cell.weight_ih, Wx.T), (cell.weight_hh, Wh.T), (cell.bias_ih, b - split),
                             (cell.bias_hh, split)):
            _copy_into(param, value)
        with torch.no_grad():
            want = [t.numpy() for t in cell(_tensor(x), (_tensor(h), _tensor(c)))]
        case = ctx.case(x=x, h=h, c=c, Wx=Wx)
        got = as_sequence(ctx.call_unchanged(x, h, c, Wx, Wh, b), 2, "lstm_step", case)
        others = {order: _lstm(x, h, c, Wx, Wh, b, order) for order in ("ifog", "figo", "fiog", "igfo")}
        for k, name in enumerate(("h_next", "c_next")):
            expect_array(got[k], want[k], against(f"lstm_step {name}", "torch.nn.LSTMCell"), case,
                         rtol=RTOL64, atol=ATOL64, dtype=np.float64,
                         hint_on={_gate_order(o): v[k] for o, v in others.items()})


@check("hw4.rnn.lstm_step.forget_gate_keeps_cell", hint=Text(
    zh="讲义第 4 部分（遗忘门，单元状态）：遗忘门完全打开、输入门关闭时，c_next = f*c + i*g 等于 c，单元状态原样携带长期记忆；"
       "分块顺序为 i, f, g, o。",
    en="Lecture part 4 (遗忘门, 单元状态): with the forget gate fully open and the input gate shut, c_next = f*c + i*g "
       "equals c, the cell state carrying long-term memory unchanged; the chunks come in the order i, f, g, o."))
def lstm_step_forget_gate_keeps_cell(ctx: Context) -> None:
    N, D, H = 3, 2, 4
    x, h, Wx, Wh = _gate_params(ctx.rng, N, D, H, 4)
    c = ctx.rng.normal(scale=2.0, size=(N, H))
    # Chunk biases: i = -40 (shut), f = +40 (open), g and o random. sigmoid(+-40) is 1 or 0 within 5e-18.
    b = np.concatenate([np.full(H, -40.0), np.full(H, 40.0), ctx.rng.normal(size=2 * H)])
    case = ctx.case(Text("b = [-40 (i) ..., +40 (f) ..., 随机 (g, o)]", "b = [-40 (i) ..., +40 (f) ..., random (g, o)]"),
                    x=x, h=h, c=c)
    got = as_sequence(ctx.call(x, h, c, Wx, Wh, b), 2, "lstm_step", case)
    as_array(got[0], "lstm_step h_next", case, shape=(N, H))
    expect_array(got[1], c, Text("lstm_step c_next，遗忘门打开、输入门关闭",
                                 "lstm_step c_next with the forget gate open and the input gate shut"), case,
                 rtol=0, atol=1e-6, hint_on={Text("候选值 g（f 与 i 对调）", "the candidate g (f and i swapped)"):
                                             _lstm(x, h, c, Wx, Wh, b, "figo")[1]})


@check("hw4.rnn.lstm_step.float32", hint=FLOAT32_HINT)
def lstm_step_float32(ctx: Context) -> None:
    x, h, Wx, Wh = _gate_params(ctx.rng, 3, 2, 3, 4, dtype=np.float32)
    c, b = (ctx.rng.normal(size=s).astype(np.float32) for s in ((3, 3), 12))
    want = _lstm(*_f64(x, h, c, Wx, Wh, b))
    case = ctx.case(x=x, h=h, c=c)
    got = as_sequence(ctx.call(x, h, c, Wx, Wh, b), 2, with_float32("lstm_step"), case)
    for k, name in enumerate(("h_next", "c_next")):
        expect_array(got[k], want[k], with_float32(f"lstm_step {name}"), case, rtol=RTOL32, atol=ATOL32,
                     dtype=np.float32)


# --------------------------------------------------------------------------- gru_step

@check("hw4.rnn.gru_step.small_example", hint=HINT_GRU)
def gru_step_small_example(ctx: Context) -> None:
    x = np.array([[1.0, -1.0]])
    h = np.array([[0.5, -0.5]])
    Wx = np.array([[0.5, 0.0, 0.25, -0.5, 1.0, 0.5], [0.0, 0.5, -0.25, 0.5, 0.5, -1.0]])
    Wh = np.array([[1.0, 0.5, 0.0, 0.25, -0.5, 1.0], [0.5, -1.0, 0.5, 0.0, 1.0, 0.5]])
    bx = np.array([0.1, 0.0, -0.1, 0.2, 0.0, 0.3])
    bh = np.array([0.0, 0.2, 0.1, 0.0, 0.5, -0.5])
    case = Text("x = [[1,-1]]，h = [[.5,-.5]]，H = 2，Wx (2,6)，Wh (2,6)，bx、bh (6,)，其中 bh_n 不为 0",
                "x = [[1,-1]], h = [[.5,-.5]], H = 2, Wx (2,6), Wh (2,6), bx, bh (6,) with a nonzero bh_n")
    alternatives = {Text("先把 r 作用在 h 上再做乘法（(r*h) Wh_n + bh_n；PyTorch 和接口约定用的是 r * (h Wh_n + bh_n)）",
                         "r applied to h before the product ((r*h) Wh_n + bh_n; PyTorch and the contract use "
                         "r * (h Wh_n + bh_n))"): _gru(x, h, Wx, Wh, bx, bh, reset_before_product=True),
                    Text("z * n + (1 - z) * h（更新门的两个角色对调了）",
                         "z * n + (1 - z) * h (the update gate's roles swapped)"): _swapped_z(x, h, Wx, Wh, bx, bh)}
    want = _gru(x, h, Wx, Wh, bx, bh)
    expect_array(ctx.call_unchanged(x, h, Wx, Wh, bx, bh), want, _small("gru_step"), case, rtol=RTOL64,
                 atol=ATOL64, dtype=np.float64, hint_on=alternatives)
    expect_array(ctx.call(*(a.astype(np.float32) for a in (x, h, Wx, Wh, bx, bh))), want,
                 in_float32(_small("gru_step")), case, rtol=RTOL32, atol=ATOL32, dtype=np.float32,
                 hint_on=alternatives)


@oracle
def _swapped_z(x, h, Wx, Wh, bx, bh):
    xr, xz, xn = np.split(x @ Wx + bx, 3, axis=1)
    hr, hz, hn = np.split(h @ Wh + bh, 3, axis=1)
    r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
    return z * np.tanh(xn + r * hn) + (1 - z) * h


@check("hw4.rnn.gru_step.matches_torch", hint=HINT_GRU)
def gru_step_matches_torch(ctx: Context) -> None:
    import torch

    for N, D, H in ((3, 4, 2), (1, 2, 5), (4, 3, 3)):
        x, h, Wx, Wh = _gate_params(ctx.rng, N, D, H, 3)
        bx, bh = ctx.rng.normal(size=3 * H), ctx.rng.normal(size=3 * H)
        cell = torch.nn.GRUCell(D, H, dtype=torch.float64)
        for param, value in ((cell.weight_ih, Wx.T), (cell.weight_hh, Wh.T), (cell.bias_ih, bx),
                             (cell.bias_hh, bh)):
            _copy_into(param, value)
        with torch.no_grad():
            want = cell(_tensor(x), _tensor(h)).numpy()
        got = ctx.call_unchanged(x, h, Wx, Wh, bx, bh)
        expect_array(got, want, against("gru_step", "torch.nn.GRUCell"), ctx.case(x=x, h=h, Wx=Wx),
                     rtol=RTOL64, atol=ATOL64, dtype=np.float64,
                     hint_on={RESET_BEFORE: _gru(x, h, Wx, Wh, bx, bh, reset_before_product=True)})


@check("hw4.rnn.gru_step.float32", hint=FLOAT32_HINT)
def gru_step_float32(ctx: Context) -> None:
    x, h, Wx, Wh = _gate_params(ctx.rng, 2, 3, 4, 3, dtype=np.float32)
    bx, bh = (ctx.rng.normal(size=12).astype(np.float32) for _ in range(2))
    got = ctx.call(x, h, Wx, Wh, bx, bh)
    expect_array(got, _gru(*_f64(x, h, Wx, Wh, bx, bh)), with_float32("gru_step"),
                 ctx.case(x=x, h=h), rtol=RTOL32, atol=ATOL32, dtype=np.float32)


# --------------------------------------------------------------------------- sequence_to_class

@check("hw4.rnn.sequence_to_class.both_poolings", hint=HINT_S2C)
def sequence_to_class_both_poolings(ctx: Context) -> None:
    hs = np.array([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[-1.0, 2.0], [0.5, 0.5], [0.0, -1.0]]])  # (2, 3, 2)
    W = np.array([[1.0, -1.0, 0.5], [2.0, 0.0, -0.5]])
    b = np.array([0.0, 0.5, -0.5])
    case = "hs = [[[1,0],[0,1],[1,1]],[[-1,2],[.5,.5],[0,-1]]], W = [[1,-1,.5],[2,0,-.5]], b = [0,.5,-.5]"
    last, mean, first = hs[:, -1] @ W + b, hs.mean(axis=1) @ W + b, hs[:, 0] @ W + b
    alternatives = {LAST: last, MEAN: mean, Text("第一个时间步的结果", "the first time step"): first,
                    Text("对时间求和（而不是求平均）的结果", "the sum over time (not the mean)"): hs.sum(axis=1) @ W + b}
    for pooling, want in (("last", last), ("mean", mean)):
        got = ctx.call_unchanged(hs, W, b, pooling=pooling)
        expect_array(got, want, f"sequence_to_class(pooling={pooling!r})", case, rtol=RTOL64, atol=ATOL64,
                     dtype=np.float64, hint_on=alternatives)
        got = ctx.call(*(a.astype(np.float32) for a in (hs, W, b)), pooling=pooling)
        expect_array(got, want, in_float32(f"sequence_to_class(pooling={pooling!r})"), case, rtol=RTOL32,
                     atol=ATOL32, dtype=np.float32, hint_on=alternatives)
    got = ctx.call(hs, W, b)
    expect_array(got, last, Text("sequence_to_class，默认 pooling（'last'）", "sequence_to_class with the default "
                                 "pooling ('last')"), case, rtol=RTOL64, atol=ATOL64, hint_on={MEAN: mean})


LAST = Text("'last' 读出方式的结果", "the 'last' read-out")
MEAN = Text("'mean' 读出方式的结果", "the 'mean' read-out")


@check("hw4.rnn.sequence_to_class.random", hint=HINT_S2C)
def sequence_to_class_random(ctx: Context) -> None:
    for dtype in (np.float64, np.float32):
        N, T, H, C = (int(v) for v in ctx.rng.integers(2, 7, size=4))
        hs = ctx.rng.uniform(-1, 1, size=(N, T, H)).astype(dtype)
        W, b = ctx.rng.normal(size=(H, C)).astype(dtype), ctx.rng.normal(size=C).astype(dtype)
        h64, W64, b64 = _f64(hs, W, b)
        for pooling, summary in (("last", h64[:, -1]), ("mean", h64.mean(axis=1))):
            got = ctx.call_unchanged(hs, W, b, pooling=pooling)
            expect_array(got, summary @ W64 + b64, f"sequence_to_class(pooling={pooling!r})",
                         ctx.case(hs=hs, W=W, b=b), **by_dtype(dtype), dtype=dtype)
