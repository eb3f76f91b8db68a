"""Checks for transformer (hw5): a post-norm encoder layer built from nn.Linear and nn.LayerNorm.

The child builds the student's EncoderLayer, loads the judge's weights by name and runs forward
(grader/child/drivers/transformer.py). Oracles: torch.nn.TransformerEncoderLayer in float64 on the
same weights (judge-side torch), and, where torch's answer is NaN (queries whose keys are all
masked), the layer written out here in numpy float64.
"""
from __future__ import annotations

import math

import numpy as np

from ..child.payloads import EncoderAnswer, EncoderRequest
from ..compare import expect_array, expect_true, fail
from ..context import Context
from ..i18n import Text, join
from ..oracles import oracle
from ..registry import check
from .common import against

DRIVER = "transformer.encoder_layer"
LINEARS = ("q_proj", "k_proj", "v_proj", "out_proj", "linear1", "linear2")
NORMS = ("norm1", "norm2")
LINEAR, LAYER_NORM = "torch.nn.modules.linear.Linear", "torch.nn.modules.normalization.LayerNorm"
# torch classes and functions that would do the exercise's work for the student, as the driver's
# runtime watch names them (the judge's reading of the source, ctx.findings, is the first signal)
BUILTIN = {"torch.nn.modules.activation.MultiheadAttention": "nn.MultiheadAttention",
           **{f"torch.nn.modules.transformer.{c}": f"nn.{c}" for c in (
               "TransformerEncoderLayer", "TransformerEncoder", "Transformer", "TransformerDecoderLayer",
               "TransformerDecoder")},
           "torch.nn.functional.multi_head_attention_forward": "F.multi_head_attention_forward",
           "torch.nn.functional.scaled_dot_product_attention": "F.scaled_dot_product_attention"}
# The layer runs in float32 (torch's default) and is compared with a float64 oracle. Its outputs are
# LayerNorm'd, O(1); float32 rounding through d_model <= 16 and feed-forward widths <= 24 stays
# below ~2e-6 (measured over many seeds), so 1e-4 leaves a wide margin and still catches any real error.
RTOL32, ATOL32 = 1e-4, 1e-4

HINT_LAYER = Text(
    zh="讲义第 5 部分（Transformer层：多头注意力 + 前馈网络，残差连接）：后归一化，先 x = norm1(x + attn(x))，再 x = "
       "norm2(x + linear2(relu(linear1(x))))；每个头计算 softmax(Q K^T / sqrt(d_head)) V，各头是 d_model 中连续的块。",
    en="Lecture part 5 (Transformer层: 多头注意力 + 前馈网络, 残差连接): post-norm, x = norm1(x + attn(x)) and then x = "
       "norm2(x + linear2(relu(linear1(x)))), with softmax(Q K^T / sqrt(d_head)) V per head and the heads "
       "as contiguous chunks of d_model.")
HINT_MASK = Text(
    zh="讲义第 5 部分（掩码）：掩码在查询可以关注的位置为 True，被屏蔽的分数权重恰好为 0；(T, T) 的因果掩码和 (N, 1, T) 的填充"
       "掩码都广播到 (N, T, T)，对每个头都一样。",
    en="Lecture part 5 (掩码): the mask is True where a query may attend and masked scores get weight exactly "
       "0; a (T, T) causal and an (N, 1, T) padding mask both broadcast to (N, T, T), the same for every "
       "head.")
TORCH_LAYER = "nn.TransformerEncoderLayer"


# --------------------------------------------------------------------------- inputs

def _config(rng: np.random.Generator) -> tuple[int, int, int]:
    """(d_model, nhead, dim_feedforward) with 6 <= d_model <= 16: LayerNorm over fewer features says
    little (over 2 features its output is always +-1 before the affine part)."""
    while True:
        nhead, d_head = int(rng.integers(1, 5)), int(rng.integers(2, 5))
        if 6 <= nhead * d_head <= 16:
            return nhead * d_head, nhead, int(rng.integers(8, 25))


def _weights(rng: np.random.Generator, d: int, ff: int) -> dict[str, np.ndarray]:
    """Random weights keeping every activation O(1); float32 values, so both dtypes agree exactly."""
    shapes = {"q_proj": (d, d), "k_proj": (d, d), "v_proj": (d, d), "out_proj": (d, d),
              "linear1": (ff, d), "linear2": (d, ff)}
    state = {}
    for name, (out_f, in_f) in shapes.items():
        state[f"{name}.weight"] = rng.normal(size=(out_f, in_f)) / math.sqrt(in_f)
        state[f"{name}.bias"] = 0.5 * rng.normal(size=out_f)
    for name in NORMS:
        state[f"{name}.weight"] = 1.0 + 0.2 * rng.normal(size=d)
        state[f"{name}.bias"] = 0.2 * rng.normal(size=d)
    return {k: v.astype(np.float32) for k, v in state.items()}


def _x(rng: np.random.Generator, d: int, N: int | None = None, T: int | None = None) -> np.ndarray:
    N = int(rng.integers(1, 4)) if N is None else N
    T = int(rng.integers(2, 7)) if T is None else T
    return rng.normal(size=(N, T, d)).astype(np.float32)


# --------------------------------------------------------------------------- oracles

@oracle
def _torch_layer(state: dict[str, np.ndarray], x: np.ndarray, nhead: int, ff: int,
                 src_mask=None, key_padding_mask=None) -> np.ndarray:
    """torch.nn.TransformerEncoderLayer (post-norm, no dropout) in float64 with the same weights."""
    import torch

    d = x.shape[-1]
    layer = torch.nn.TransformerEncoderLayer(d, nhead, ff, dropout=0.0, batch_first=True,
                                             norm_first=False).double().eval()
    t = {k: torch.from_numpy(v.astype(np.float64)) for k, v in state.items()}
    with torch.no_grad():
        layer.self_attn.in_proj_weight.copy_(torch.cat([t["q_proj.weight"], t["k_proj.weight"],
                                                        t["v_proj.weight"]]))
        layer.self_attn.in_proj_bias.copy_(torch.cat([t["q_proj.bias"], t["k_proj.bias"], t["v_proj.bias"]]))
        layer.self_attn.out_proj.weight.copy_(t["out_proj.weight"])
        layer.self_attn.out_proj.bias.copy_(t["out_proj.bias"])
        for name in ("linear1", "linear2", "norm1", "norm2"):
            getattr(layer, name).weight.copy_(t[f"{name}.weight"])
            getattr(layer, name).bias.copy_(t[f"{name}.bias"])
    # grad mode on (parameters require grad): torch then takes its plain path, not the fused fast path
    out = layer(torch.from_numpy(x.astype(np.float64)),
                src_mask=None if src_mask is None else torch.from_numpy(src_mask),
                src_key_padding_mask=None if key_padding_mask is None else torch.from_numpy(key_padding_mask))
    return out.detach().numpy()


@oracle
def _layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)  # biased variance, as nn.LayerNorm
    return (x - mu) / np.sqrt(var + 1e-5) * g + b


@oracle
def _numpy_layer(state: dict[str, np.ndarray], x: np.ndarray, nhead: int, mask: np.ndarray | None = None,
                 pre_norm: bool = False, scaled: bool = True) -> np.ndarray:
    """The contract's layer in float64; a query with every key masked gets a zero attention output."""
    w = {k: v.astype(np.float64) for k, v in state.items()}
    x = x.astype(np.float64)
    N, T, d = x.shape
    dh = d // nhead

    def linear(h, name):
        return h @ w[f"{name}.weight"].T + w[f"{name}.bias"]

    def norm(h, name):
        return _layer_norm(h, w[f"{name}.weight"], w[f"{name}.bias"])

    def attention(h):
        q, k, v = (linear(h, n).reshape(N, T, nhead, dh).transpose(0, 2, 1, 3) for n in ("q_proj", "k_proj", "v_proj"))
        scores = q @ k.transpose(0, 1, 3, 2) / (math.sqrt(dh) if scaled else 1.0)
        allowed = np.ones((N, 1, T, T), bool) if mask is None else np.broadcast_to(mask, (N, T, T))[:, None]
        scores = np.where(allowed, scores, -np.inf)
        top = np.max(scores, axis=-1, keepdims=True)
        e = np.where(allowed, np.exp(scores - np.where(np.isfinite(top), top, 0.0)), 0.0)
        total = e.sum(-1, keepdims=True)
        weights = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
        return linear((weights @ v).transpose(0, 2, 1, 3).reshape(N, T, d), "out_proj")

    def feed_forward(h):
        return linear(np.maximum(linear(h, "linear1"), 0.0), "linear2")

    if pre_norm:
        h = x + attention(norm(x, "norm1"))
        return h + feed_forward(norm(h, "norm2"))
    h = norm(x + attention(x), "norm1")
    return norm(h + feed_forward(h), "norm2")


LABELS = {
    "pre_norm": Text("前归一化的层（LayerNorm 在注意力和前馈网络之前，norm_first=True）",
                     "a pre-norm layer (LayerNorm before attention and feed-forward, norm_first=True)"),
    "unscaled": Text("没有 1/sqrt(d_head) 缩放的注意力", "attention without the 1/sqrt(d_head) scale"),
    "mask_ignored": Text("忽略了掩码的层", "the layer with the mask ignored"),
}


def _alternatives(state, x, nhead, mask) -> dict[Text, np.ndarray]:
    return {LABELS[key]: value for key, value in _alternative_values(state, x, nhead, mask).items()}


@oracle
def _alternative_values(state, x, nhead, mask) -> dict[str, np.ndarray]:
    alts = {"pre_norm": _numpy_layer(state, x, nhead, mask, pre_norm=True),
            "unscaled": _numpy_layer(state, x, nhead, mask, scaled=False)}
    if mask is not None:
        alts["mask_ignored"] = _numpy_layer(state, x, nhead, None)
    return alts


# --------------------------------------------------------------------------- running the student's layer

def _builtin_used(ctx: Context, reply: EncoderAnswer | None = None) -> list[str | Text]:
    """torch's own attention, found by the judge in the source (``ctx.findings``: also a reference
    saved at import), or in the driver's description of the layer (its submodules' classes, what its
    forward pass ran): second signals, which can only take points away, since a child can hide
    what it built or ran but cannot make an output right without computing it."""
    found: list[str | Text] = [Text(f"{f.what}（第 {f.line} 行）", f"{f.what} (line {f.line})") for f in ctx.findings
                               if f.kind == "forbidden_name" and f.function in ("", ctx.spec.function)]
    seen: list = []
    if isinstance(reply, dict):
        submodules, called = reply.get("submodules"), reply.get("called")
        rows = submodules if isinstance(submodules, list) else []
        seen = [c for r in rows if isinstance(r, dict) and isinstance(r.get("bases"), list) for c in r["bases"]]
        seen += called if isinstance(called, list) else []
    return found + sorted({BUILTIN[c] for c in seen if isinstance(c, str) and c in BUILTIN})


def _raise_if_builtin(ctx: Context, reply: EncoderAnswer | None, what: str | Text) -> None:
    used = _builtin_used(ctx, reply)
    if used:
        names = join(used)
        raise fail(what, "", Text(
            f"你的 EncoderLayer 用了 torch 的 {names.zh}。这个练习的目的是用 q_proj、k_proj、v_proj 和 out_proj（nn.Linear）"
            "以及两个 LayerNorm 自己搭建多头自注意力，所以只要 nn.MultiheadAttention / nn.TransformerEncoderLayer 在"
            "替你完成工作，本项检查就不得分。",
            f"your EncoderLayer uses torch's {names.en}. The point of this "
            "exercise is to build multi-head self-attention yourself from q_proj, k_proj, v_proj "
            "and out_proj (nn.Linear) and the two LayerNorms, so this check gives no points while "
            "nn.MultiheadAttention / nn.TransformerEncoderLayer do the work."))


def _run(ctx: Context, config: tuple[int, int, int], state: dict, x: np.ndarray, mask: np.ndarray | None,
         what: str | Text, case: str | Text) -> np.ndarray:
    """The student's forward output (eval mode), after the structural and fairness conditions."""
    out = _reply(ctx, config, state, x, mask, what, case)["out"]
    assert out is not None  # _reply failed the check otherwise
    return out


def _reply(ctx: Context, config: tuple[int, int, int], state: dict, x: np.ndarray, mask: np.ndarray | None,
           what: str | Text, case: str | Text, train_passes: int = 0) -> EncoderAnswer:
    payload: EncoderRequest = {"config": list(config), "state": state, "dtype": "float32", "x": x,
                               "train_passes": train_passes}
    if mask is not None:
        payload["mask"] = mask
    _raise_if_builtin(ctx, None, what)
    reply: EncoderAnswer = ctx.drive(DRIVER, payload)
    if not isinstance(reply, dict):
        raise fail(what, case, Text("驱动程序没有返回对你的层的描述", "the driver returned no description of your layer"))
    _raise_if_builtin(ctx, reply, what)
    if reply.get("not_in_layer") or reply.get("not_in_contract"):
        missing, unexpected = reply.get("not_in_layer"), reply.get("not_in_contract")
        raise fail(what, case, Text(
            "评分程序的权重是按名称加载的（load_state_dict，strict=True），而这些名称与接口约定不一致。\n"
            f"  缺少的键（你的层缺少的约定名称）：{missing}\n  多出的键（你的层中约定没有的参数）：{unexpected}",
            "the judge's weights are loaded by name (load_state_dict, strict=True) and the names do not match "
            f"the contract.\n  missing keys (contract names your layer lacks): {missing}\n  unexpected keys "
            f"(parameters of your layer the contract does not have): {unexpected}"))
    if reply.get("load_error"):
        raise fail(what, case, Text(f"加载评分程序的权重失败（参数形状不对？）：{reply['load_error']}",
                                    f"loading the judge's weights failed (wrong parameter shapes?): "
                                    f"{reply['load_error']}"))
    expect_true(reply.get("out") is not None, what, case,
                Text(f"forward 应当返回 torch.Tensor，实际得到 {reply.get('out_type')}",
                     f"forward should return a torch.Tensor, got {reply.get('out_type')}"))
    expect_true(not reply.get("x_changed"), what, case,
                Text("forward 原地修改了它的输入 x；课程约定输入永不修改",
                     "forward modified its input x in place; "
                     "the course's convention is that inputs are never modified"))
    return reply


def _case(ctx: Context, config, x, *notes: str | Text) -> Text:
    d, nhead, ff = config
    return ctx.case(Text("随机权重按名称加载", "random weights loaded by name"), *notes, d_model=d, nhead=nhead,
                    dim_feedforward=ff, x=x)


def _against_torch(config, *extra: Text) -> Text:
    d, nhead, ff = config
    what = Text(f"EncoderLayer({d}, {nhead}, {ff})", f"EncoderLayer({d}, {nhead}, {ff})")
    for note in extra:
        what = what + note
    return against(what, TORCH_LAYER)


def _compare(ctx: Context, config, state, x, mask, want, what: str | Text, mask_note: str | Text = "") -> None:
    case = _case(ctx, config, x, mask_note)
    got = _run(ctx, config, state, x, mask, what, case)
    expect_array(got, want, what, case, rtol=RTOL32, atol=ATOL32, dtype=np.float32,
                 hint_on=_alternatives(state, x, config[1], mask))


# --------------------------------------------------------------------------- checks

@check("hw5.transformer.EncoderLayer.submodules", hint=Text(
    zh="接口约定规定了子模块的名称：q_proj、k_proj、v_proj、out_proj 以及 linear1、linear2（带偏置的 nn.Linear，大小按约定），"
       "norm1、norm2（eps 为 1e-5 的 nn.LayerNorm(d_model)），都在构造层时创建。",
    en="The contract names the submodules: q_proj, k_proj, v_proj, out_proj and linear1, linear2 (nn.Linear with "
       "bias, of the contract's sizes) and norm1, norm2 (nn.LayerNorm(d_model) with eps 1e-5), created with the "
       "layer."))
def encoder_submodules(ctx: Context) -> None:
    names_case = Text("子模块的名称", "submodule names")
    for config, seed in (((8, 2, 16), 5), ((12, 3, 20), 6)):
        d, nhead, ff = config
        what = f"EncoderLayer({d}, {nhead}, {ff})"
        request: EncoderRequest = {"config": list(config)}
        reply: EncoderAnswer = ctx.drive(DRIVER, request)
        described = reply.get("submodules") if isinstance(reply, dict) else None
        # if/raise, not expect_true: the type checker then knows described is a list below.
        if not (isinstance(described, list) and all(isinstance(r, dict) and isinstance(r.get("name"), str)
                                                    for r in described)):
            raise fail(what, names_case, Text("驱动程序没有返回对你的层的子模块的描述",
                                              "the driver returned no description of your layer's submodules"))
        rows = {r["name"]: r for r in described}
        sizes = {"linear1": (ff, d), "linear2": (d, ff)}
        for name in LINEARS:
            out_f, in_f = sizes.get(name, (d, d))
            row = rows.get(name)
            found = sorted(n for n in rows if "." not in n)
            if row is None:
                raise fail(what, names_case, Text(f"没有子模块 {name!r}（找到的有：{found}）",
                                                  f"has no submodule {name!r} (found: {found})"))
            expect_true(LINEAR in (row.get("bases") or ()), what, name,
                        Text(f"{name} 应为 nn.Linear，实际为 {row.get('type')}",
                             f"{name} should be an nn.Linear, got {row.get('type')}"))
            want = {"weight": [out_f, in_f], "bias": [out_f]}
            expect_true(row.get("params") == want, what, name,
                        Text(f"{name} 应为带偏置的 nn.Linear({in_f}, {out_f})：参数 {want}，实际为 {row.get('params')}",
                             f"{name} should be nn.Linear({in_f}, {out_f}) with bias: parameters {want}, "
                             f"got {row.get('params')}"))
        for name in NORMS:
            row = rows.get(name)
            if row is None:
                raise fail(what, names_case, Text(f"没有子模块 {name!r}", f"has no submodule {name!r}"))
            expect_true(LAYER_NORM in (row.get("bases") or ()), what, name,
                        Text(f"{name} 应为 nn.LayerNorm，实际为 {row.get('type')}",
                             f"{name} should be an nn.LayerNorm, got {row.get('type')}"))
            expect_true(row.get("params") == {"weight": [d], "bias": [d]}, what, name,
                        Text(f"{name} 应为带 weight 和 bias 的 nn.LayerNorm({d})，实际参数为 {row.get('params')}",
                             f"{name} should be nn.LayerNorm({d}) with weight and bias, got parameters "
                             f"{row.get('params')}"))
            eps = row.get("eps")
            expect_true(isinstance(eps, float) and abs(eps - 1e-5) < 1e-12, what, name,
                        Text(f"{name}.eps 应为 1e-5，实际为 {eps}", f"{name}.eps should be 1e-5, got {eps}"))
        # The description comes from the student's process and is easy to write without a layer:
        # the submodules count as built when the judge's weights, loaded by these names, make the
        # layer compute what nn.TransformerEncoderLayer computes with them.
        rng = np.random.default_rng(seed)  # a fixed case: the same for every student and every run
        state, x = _weights(rng, d, ff), _x(rng, d, 2, 4)
        _compare(ctx, config, state, x, None, _torch_layer(state, x, nhead, ff),
                 _against_torch(config, Text("，按这些名称加载评分程序的权重",
                                             " with the judge's weights loaded by these names,")))


@check("hw5.transformer.EncoderLayer.no_builtin_attention", hint=Text(
    zh="接口约定：注意力由 q_proj、k_proj、v_proj 和 out_proj 搭建，所以不能让 nn.MultiheadAttention 和 "
       "nn.TransformerEncoderLayer（或 torch 的函数式多头注意力）来完成这项工作。",
    en="The contract: the attention is built from q_proj, k_proj, v_proj and out_proj, so nn.MultiheadAttention and "
       "nn.TransformerEncoderLayer (or torch's functional multi-head attention) may not do the work."))
def encoder_no_builtin_attention(ctx: Context) -> None:
    rng = np.random.default_rng(3)
    config = (8, 2, 16)
    state, x = _weights(rng, 8, 16), _x(rng, 8, 2, 4)
    # torch's attention in the source (ctx.findings) or seen running fails it (in _run); and, as a
    # layer that does nothing uses no builtin either, the attention built by hand must be right.
    _compare(ctx, config, state, x, None, _torch_layer(state, x, 2, 16),
             Text("EncoderLayer(8, 2, 16)，注意力由 q_proj、k_proj、v_proj 和 out_proj 搭建",
                  "EncoderLayer(8, 2, 16), attention built from q_proj, k_proj, v_proj and out_proj"))


@check("hw5.transformer.EncoderLayer.matches_torch_small", hint=HINT_LAYER)
def encoder_matches_torch_small(ctx: Context) -> None:
    rng = np.random.default_rng(2024)  # a fixed case: the same for every student and every run
    config = (8, 2, 16)
    state, x = _weights(rng, 8, 16), _x(rng, 8, 2, 4)
    want = _torch_layer(state, x, 2, 16)
    _compare(ctx, config, state, x, None, want, _against_torch(config))


@check("hw5.transformer.EncoderLayer.train_and_eval_agree", hint=Text(
    zh="接口约定中的层没有 dropout：model.train() 之后的计算结果与 model.eval() 之后完全相同。讲义第 5 部分的层由注意力、"
       "前馈网络、残差连接和 LayerNorm 组成，没有任何随机的部分。",
    en="The contract's layer has no dropout: after model.train() it computes exactly what it computes after "
       "model.eval(). Lecture part 5's layer is attention, feed-forward, residuals and LayerNorm, nothing random."))
def encoder_train_and_eval_agree(ctx: Context) -> None:
    rng = np.random.default_rng(2025)  # a fixed case: the same for every student and every run
    config = (8, 2, 16)
    state, x = _weights(rng, 8, 16), _x(rng, 8, 3, 5)
    want = _torch_layer(state, x, 2, 16)
    case = _case(ctx, config, x, Text("先在 model.eval() 之后做一次前向传播，再在 model.train() 之后做两次",
                                      "forward after model.eval(), then twice after model.train()"))
    reply = _reply(ctx, config, state, x, None, "EncoderLayer(8, 2, 16)", case, train_passes=2)
    expect_array(reply["out"], want, _against_torch(config, Text("，model.eval() 之后", " after model.eval()")),
                 case, rtol=RTOL32, atol=ATOL32, dtype=np.float32, hint_on=_alternatives(state, x, 2, None))
    for i, out in enumerate(reply.get("train_out") or [None, None]):
        expect_true(out is not None, Text("model.train() 之后的 EncoderLayer", "EncoderLayer after model.train()"), case,
                    Text("forward 应当返回 torch.Tensor", "forward should return a torch.Tensor"))
        expect_array(out, want, Text(f"EncoderLayer(8, 2, 16)，model.train() 之后，第 {i + 1} 次（共 2 次）（没有 dropout："
                                     "输出与 eval 模式相同）", f"EncoderLayer(8, 2, 16) after model.train(), pass "
                                     f"{i + 1} of 2 (no dropout: the same output as in eval mode)"), case,
                     rtol=RTOL32, atol=ATOL32, dtype=np.float32)


@check("hw5.transformer.EncoderLayer.matches_torch", hint=HINT_LAYER)
def encoder_matches_torch(ctx: Context) -> None:
    for _ in range(3):
        config = _config(ctx.rng)
        d, nhead, ff = config
        state, x = _weights(ctx.rng, d, ff), _x(ctx.rng, d)
        _compare(ctx, config, state, x, None, _torch_layer(state, x, nhead, ff),
                 _against_torch(config) + Text("，没有掩码", ", no mask"))


@check("hw5.transformer.EncoderLayer.causal_mask", hint=HINT_MASK)
def encoder_causal_mask(ctx: Context) -> None:
    for _ in range(2):
        config = _config(ctx.rng)
        d, nhead, ff = config
        state, x = _weights(ctx.rng, d, ff), _x(ctx.rng, d)
        T = x.shape[1]
        causal = np.tril(np.ones((T, T), dtype=bool))
        want = _torch_layer(state, x, nhead, ff, src_mask=~causal)
        _compare(ctx, config, state, x, causal, want,
                 _against_torch(config, Text("，带因果掩码 (T, T)", " with a causal (T, T) mask")),
                 Text("mask = 因果掩码 (T, T)，对角线及其下方为 True", "mask = causal (T, T), True on and below the diagonal"))


@check("hw5.transformer.EncoderLayer.padding_mask", hint=HINT_MASK)
def encoder_padding_mask(ctx: Context) -> None:
    for _ in range(2):
        config = _config(ctx.rng)
        d, nhead, ff = config
        state = _weights(ctx.rng, d, ff)
        x = _x(ctx.rng, d, N=int(ctx.rng.integers(2, 4)), T=int(ctx.rng.integers(3, 7)))
        N, T, _ = x.shape
        lengths = ctx.rng.integers(1, T + 1, size=N)
        lengths[0] = T - 1  # at least one sequence is really padded
        pad = np.arange(T)[None, None, :] < lengths[:, None, None]  # (N, 1, T), True for real keys
        want = _torch_layer(state, x, nhead, ff, key_padding_mask=~pad[:, 0])
        _compare(ctx, config, state, x, pad, want,
                 _against_torch(config, Text("，带填充掩码 (N, 1, T)", " with a padding (N, 1, T) mask")),
                 Text(f"填充掩码 (N, 1, T)，lengths = {lengths.tolist()}",
                      f"padding mask (N, 1, T) for lengths {lengths.tolist()}"))


@check("hw5.transformer.EncoderLayer.fully_masked_rows", hint=Text(
    zh="接口约定：所有键都被屏蔽的查询得到全 0 的注意力权重而不是 NaN，所以它的注意力输出就是 out_proj 的偏置，之后照常经过残差"
       "连接和 norm1。",
    en="The contract: a query whose keys are all masked gets all-zero attention weights, not NaN, so its attention "
       "output is out_proj's bias, followed as usual by the residual and norm1."))
def encoder_fully_masked_rows(ctx: Context) -> None:
    for _ in range(2):
        config = _config(ctx.rng)
        d, nhead, ff = config
        state = _weights(ctx.rng, d, ff)
        x = _x(ctx.rng, d, N=2, T=int(ctx.rng.integers(3, 7)))
        N, T, _ = x.shape
        mask = ctx.rng.random((N, T, T)) < 0.6
        mask[0, 1] = False  # one query of the first sequence may attend to nothing
        mask[1, 0] = True   # and one query of the second to everything
        # torch returns NaN for a query with no key left, so this oracle is the judge's own float64 layer
        want = _numpy_layer(state, x, nhead, mask)
        _compare(ctx, config, state, x, mask, want,
                 Text(f"EncoderLayer({d}, {nhead}, {ff})，一般的 (N, T, T) 掩码，部分查询被完全屏蔽",
                      f"EncoderLayer({d}, {nhead}, {ff}) with a general (N, T, T) mask, some queries fully masked"),
                 Text("随机的 (N, T, T) 掩码；序列 0 的查询 1 被完全屏蔽",
                      "random (N, T, T) mask; query 1 of sequence 0 is fully masked"))
