"""Checks for attention (hw5): scaled dot-product attention, masks, positional encoding, multi-head attention.

Oracles: closed forms written here in float64, torch.nn.functional.scaled_dot_product_attention and
torch.nn.MultiheadAttention, and properties (rows sum to 1, masked weights exactly 0, causality by
perturbation, invariance to permuting keys with their values).

Mapping to torch:
- F.scaled_dot_product_attention(q, k, v, attn_mask=mask): a boolean attn_mask means True = may attend,
  the course's convention too, so our mask passes unchanged. A query row with every key masked gives
  NaN in torch; the contract asks for zero weights and a zero output, checked separately.
- nn.MultiheadAttention(d, nh, batch_first=True, bias=...): in_proj_weight stacks the (out, in) matrices
  of q, k, v, so in_proj_weight = concat(Wq.T, Wk.T, Wv.T) along rows and in_proj_bias = concat(bq, bk,
  bv); out_proj.weight = Wo.T, out_proj.bias = bo. Its boolean attn_mask means True = NOT allowed and is
  (N*nh, Tq, Tk) batch-major, so we pass (~broadcast_to(mask, (N, Tq, Tk))).repeat_interleave(nh, 0);
  average_attn_weights=False returns the per-head weights (N, nh, Tq, Tk).
Our weights are drawn with ctx.rng and copied INTO the torch module, so a seed fixes every value.
"""
from __future__ import annotations

import numpy as np

from ..compare import as_array, as_bool_array, as_sequence, expect_array, expect_true, fail
from ..context import Context
from ..i18n import Text
from ..oracles import oracle
from ..registry import check
from ..tolerances import ATOL32, ATOL64, RTOL32, RTOL64
from .common import FLOAT32_HINT, against, in_float32, with_float32

HINT_SDPA = Text(
    zh="讲义第 5 部分（公式 (1)-(2)）：对每一对查询和键计算 a(q, k) = q^T k / sqrt(d)，在键（最后一维）上取 softmax，再对值"
       "加权求和。",
    en="Lecture part 5 (formulas (1)-(2)): a(q, k) = q^T k / sqrt(d) for every query-key pair, a softmax "
       "over the keys (the last axis), then the weighted sum of the values.")
HINT_MASK = Text(
    zh="讲义第 5 部分（掩码）：掩码是布尔数组，True 表示可以关注，所以被屏蔽的键权重恰好为 0，softmax 只在允许的键上归一化。",
    en="Lecture part 5 (掩码): masks are boolean with True = may attend, so a masked key gets weight exactly "
       "0 and the softmax normalises over the allowed keys only.")
HINT_MHA = Text(
    zh="讲义第 5 部分（多头注意力）：先用 x W (+ b) 做投影，把 d_model 个特征分成 num_heads 个连续的块（第 h 个头：特征 h*dh 到 "
       "(h+1)*dh），每个头分别做注意力，再按顺序拼接各头，最后用 Wo (+ bo) 投影。",
    en="Lecture part 5 (多头注意力): project with x W (+ b), split the d_model features into num_heads contiguous "
       "chunks (head h: features h*dh to (h+1)*dh), attend per head, then concatenate the heads in order and "
       "project with Wo (+ bo).")
HINT_PE = Text(
    zh="讲义第 5 部分（正弦余弦固定位置编码），公式 (3)-(4)，位置 i 对应行：PE[i, 2j] = sin(i / 10000^(2j/d))，"
       "PE[i, 2j+1] = cos(i / 10000^(2j/d))；偶数列为正弦，奇数列为余弦，一对列 (2j, 2j+1) 共用一个频率。",
    en="Lecture part 5 (正弦余弦固定位置编码), formulas (3)-(4), with the position i as the ROW: "
       "PE[i, 2j] = sin(i / 10000^(2j/d)) and PE[i, 2j+1] = cos(i / 10000^(2j/d)); even columns sine, odd "
       "columns cosine, and a pair (2j, 2j+1) shares one frequency.")
SDPA = "scaled_dot_product_attention"
MASK_IGNORED = Text("忽略了掩码的结果", "the mask ignored")
# The wrong variants the oracles compute, by key (oracles return plain data), and how messages name them.
LABELS = {
    "no_scale": Text("没有除以 1/sqrt(d) 缩放的分数", "the scores without the 1/sqrt(d) scaling"),
    "by_d": Text("分数除以 d 而不是 sqrt(d)", "the scores divided by d instead of sqrt(d)"),
    "over_queries": Text("softmax 在查询（axis -2）上而不是在键上取的结果",
                         "the softmax taken over the queries (axis -2) instead of the keys"),
    "mask_after": Text("softmax 之后才乘上掩码（各行之和不再为 1）",
                       "the mask multiplied in after the softmax (rows no longer sum to 1)"),
    "pe_swapped": Text("sin 和 cos 对调（偶数列为 cos，奇数列为 sin）",
                       "sin and cos swapped (even columns cos, odd columns sin)"),
    "pe_j": Text("指数用了 j/d 而不是 2j/d", "the exponent j/d instead of 2j/d"),
    "pe_odd": Text("奇数列的指数也直接用了列号", "the column index itself in the exponent for odd columns too"),
    "interleaved": Text("各头交错划分（第 h 个头 = 特征 h, h+num_heads, ...）而不是连续的块",
                        "heads split interleaved (head h = features h, h+num_heads, ...) instead of contiguous chunks"),
    "no_wo": Text("拼接后的各头没有经过输出投影 Wo", "the concatenated heads without the output projection Wo"),
    "one_head": Text("覆盖整个 d_model 的单个头", "a single head over all of d_model"),
}


def _labelled(alternatives: dict) -> dict:
    return {LABELS[key]: value for key, value in alternatives.items()}


# --------------------------------------------------------------------------- judge-side math

@oracle
def _softmax_masked(scores: np.ndarray, mask: np.ndarray | None, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis`` over the allowed entries; an all-masked slice gives zeros."""
    allowed = np.ones(scores.shape, dtype=bool) if mask is None else np.broadcast_to(mask, scores.shape)
    s = np.where(allowed, scores, -np.inf)
    top = np.max(s, axis=axis, keepdims=True)
    e = np.where(allowed, np.exp(s - np.where(np.isfinite(top), top, 0.0)), 0.0)
    total = e.sum(axis=axis, keepdims=True)
    return e / np.where(total > 0, total, 1.0)


@oracle
def _attention(q, k, v, mask=None, scale: float | None = None, axis: int = -1):
    """(out, weights) of softmax(q k^T * scale) v in float64; scale defaults to 1/sqrt(d)."""
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    weights = _softmax_masked(q @ np.swapaxes(k, -1, -2) * scale, mask, axis)
    return weights @ v, weights


def _alternatives(q, k, v, mask=None) -> dict[Text, tuple[np.ndarray, np.ndarray]]:
    return _labelled(_alternative_values(q, k, v, mask))


@oracle
def _alternative_values(q, k, v, mask=None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    d = q.shape[-1]
    alternatives = {"no_scale": _attention(q, k, v, mask, scale=1.0),
                    "by_d": _attention(q, k, v, mask, scale=1.0 / d),
                    "over_queries": _attention(q, k, v, mask, axis=-2)}
    if mask is not None:
        weights = _attention(q, k, v)[1] * mask
        alternatives["mask_after"] = (weights @ np.asarray(v, dtype=np.float64), weights)
    return alternatives


def _expect_attention(got, want, what: str | Text, case: str | Text, *, rtol=RTOL64, atol=ATOL64, dtype=np.float64,
                      alternatives=None) -> tuple[np.ndarray, np.ndarray]:
    pair = as_sequence(got, 2, what, case)
    alternatives = alternatives or {}
    weights = expect_array(pair[1], want[1], what + ": weights", case, rtol=rtol, atol=atol, dtype=dtype,
                           hint_on={k: v[1] for k, v in alternatives.items()})
    out = expect_array(pair[0], want[0], what + ": out", case, rtol=rtol, atol=atol, dtype=dtype,
                       hint_on={k: v[0] for k, v in alternatives.items()})
    return out, weights


def _random_mask(rng, shape) -> np.ndarray:
    """A random boolean mask with at least one allowed key in every row (torch gives NaN otherwise)."""
    mask = rng.random(shape) < 0.6
    keep = rng.integers(0, shape[-1], size=shape[:-1])
    np.put_along_axis(mask, keep[..., None], True, axis=-1)
    return mask


@oracle
def _score_pairs(q: np.ndarray, k: np.ndarray, mask: np.ndarray | None) -> tuple[tuple, tuple]:
    """Index pairs (higher, lower) of allowed keys of one query whose scores q . k differ by more
    than 1e-3: their softmax weights then differ by more than 1e-3 relative (with |scores| < 30,
    weights stay above 1e-26), far beyond float64 rounding, so the order is exact to check."""
    scores = q @ np.swapaxes(k, -1, -2)
    allowed = np.ones(scores.shape, bool) if mask is None else np.broadcast_to(mask, scores.shape)
    gap = scores[..., :, None] - scores[..., None, :]
    both = allowed[..., :, None] & allowed[..., None, :]
    n, i, a, b = np.nonzero((gap > 1e-3) & both)
    return (n, i, a), (n, i, b)


@oracle
def _tril(T: int) -> np.ndarray:
    return np.arange(T)[:, None] >= np.arange(T)[None, :]


@oracle
def _pe(T: int, d: int, exponent_of=lambda c: c, swap=False) -> np.ndarray:
    """The lecture's formula column by column: column c = 2j (sin) or 2j + 1 (cos) of frequency 10000^(-2j/d)."""
    pe = np.zeros((T, d))
    for c in range(d):
        two_j = c - c % 2
        angle = np.arange(T) / 10000.0 ** (exponent_of(two_j) / d)
        pe[:, c] = (np.sin if (c % 2 == 0) != swap else np.cos)(angle)
    return pe


@oracle
def _pe_alternatives(T: int, d: int) -> dict[str, np.ndarray]:
    return {"pe_swapped": _pe(T, d, swap=True), "pe_j": _pe(T, d, exponent_of=lambda c: c // 2),
            "pe_odd": _pe_odd_column_exponent(T, d)}


@oracle
def _pe_odd_column_exponent(T, d):
    pe = np.zeros((T, d))
    for c in range(d):
        angle = np.arange(T) / 10000.0 ** (c / d)
        pe[:, c] = np.sin(angle) if c % 2 == 0 else np.cos(angle)
    return pe


@oracle
def _mha(x_q, x_kv, W, num_heads, mask=None, b=None, split="contiguous", use_wo=True):
    """Multi-head attention in float64 from the math; W = (Wq, Wk, Wv, Wo), b = (bq, bk, bv, bo) or None."""
    N, Tq, dm = x_q.shape
    Tk, dh = x_kv.shape[1], dm // num_heads
    b = b if b is not None else (np.zeros(dm),) * 4
    Q, K, V = (x @ w + bias for x, w, bias in zip((x_q, x_kv, x_kv), W[:3], b[:3]))

    def heads(Y, T):
        if split == "contiguous":
            return Y.reshape(N, T, num_heads, dh).transpose(0, 2, 1, 3)
        return Y.reshape(N, T, dh, num_heads).transpose(0, 3, 1, 2)  # head h takes features h, h+nh, ...

    m = None if mask is None else np.broadcast_to(mask, (N, Tq, Tk))[:, None]
    out, weights = _attention(heads(Q, Tq), heads(K, Tk), heads(V, Tk), m)
    if split == "contiguous":
        concat = out.transpose(0, 2, 1, 3).reshape(N, Tq, dm)
    else:
        concat = out.transpose(0, 2, 3, 1).reshape(N, Tq, dm)
    return (concat @ W[3] + b[3] if use_wo else concat), weights


def _mha_alternatives(x_q, x_kv, W, nh, mask=None, b=None) -> dict[Text, tuple[np.ndarray, np.ndarray]]:
    return _labelled(_mha_alternative_values(x_q, x_kv, W, nh, mask, b))


@oracle
def _mha_alternative_values(x_q, x_kv, W, nh, mask=None, b=None):
    return {"interleaved": _mha(x_q, x_kv, W, nh, mask, b, split="interleaved"),
            "no_wo": _mha(x_q, x_kv, W, nh, mask, b, use_wo=False),
            "one_head": _mha(x_q, x_kv, W, 1, mask, b)}


def _mha_params(rng, dm, bias: bool, dtype=np.float64):
    W = tuple((rng.normal(size=(dm, dm)) / np.sqrt(dm)).astype(dtype) for _ in range(4))
    b = tuple(rng.normal(scale=0.5, size=dm).astype(dtype) for _ in range(4)) if bias else None
    return W, b


@oracle
def _torch_mha(x_q, x_kv, W, nh, mask=None, b=None):
    """(out, weights) of torch.nn.MultiheadAttention with our weights copied in (see the module docstring)."""
    import torch

    N, Tq, dm = x_q.shape
    Tk = x_kv.shape[1]
    mha = torch.nn.MultiheadAttention(dm, nh, batch_first=True, bias=b is not None, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.tensor(np.concatenate([w.T for w in W[:3]], axis=0)))
        mha.out_proj.weight.copy_(torch.tensor(W[3].T))
        if b is not None:
            mha.in_proj_bias.copy_(torch.tensor(np.concatenate(b[:3])))
            mha.out_proj.bias.copy_(torch.tensor(b[3]))
        attn_mask = None
        if mask is not None:
            attn_mask = torch.tensor(~np.broadcast_to(mask, (N, Tq, Tk))).repeat_interleave(nh, dim=0)
        out, weights = mha(torch.tensor(x_q), torch.tensor(x_kv), torch.tensor(x_kv), attn_mask=attn_mask,
                           need_weights=True, average_attn_weights=False)
    return out.numpy(), weights.numpy()


def _call_mha(ctx: Context, x_q, x_kv, W, nh, mask=None, b=None, unchanged=False):
    kwargs = {} if mask is None else {"mask": mask}
    if b is not None:
        kwargs.update(bq=b[0], bk=b[1], bv=b[2], bo=b[3])
    call = ctx.call_unchanged if unchanged else ctx.call
    return call(x_q, x_kv, *W, nh, **kwargs)


def _expect_mha(got, want, what: str | Text, case: str | Text, alternatives, rtol=RTOL64, atol=ATOL64,
                dtype=np.float64):
    N, Tq = want[0].shape[:2]
    nh, Tk = want[1].shape[1], want[1].shape[3]
    pair = as_sequence(got, 2, what, case)
    as_array(pair[1], what + Text(": weights（形状应为 (N, num_heads, Tq, Tk)）",
                                  ": weights (expected shape (N, num_heads, Tq, Tk))"), case, shape=(N, nh, Tq, Tk))
    _expect_attention(pair, want, what, case, rtol=rtol, atol=atol, dtype=dtype, alternatives=alternatives)


# --------------------------------------------------------------------------- scaled_dot_product_attention

@check("hw5.attention.scaled_dot_product_attention.lecture_formula", hint=HINT_SDPA)
def sdpa_lecture_formula(ctx: Context) -> None:
    q = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])           # Tq = 3, d = 2
    k = np.array([[1.0, 1.0], [2.0, 0.0], [0.0, -1.0], [1.0, -1.0]])  # Tk = 4
    v = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    case = "q = [[1,0],[0,2],[1,1]], k = [[1,1],[2,0],[0,-1],[1,-1]], v (4,3)"
    got = ctx.call_unchanged(q, k, v)
    _expect_attention(got, _attention(q, k, v), SDPA, case + Text("，没有掩码", ", no mask"),
                      alternatives=_alternatives(q, k, v))
    mask = np.array([[True, False, False, False], [True, True, False, True], [False, True, True, True]])
    _expect_attention(ctx.call(q, k, v, mask), _attention(q, k, v, mask), WITH_MASK,
                      case + Text(f"，mask = {mask.astype(int).tolist()}（1 = 可以关注）",
                                  f", mask = {mask.astype(int).tolist()} (1 = may attend)"),
                      alternatives=_alternatives(q, k, v, mask))
    # Batched (2, 3, 2) queries, the second item scaled by 600: scores up to ~850, where e^score overflows.
    qb, kb, vb = np.stack([q, 600 * q]), np.stack([k, k]), np.stack([v, v])
    _expect_attention(ctx.call(qb, kb, vb), _attention(qb, kb, vb), Text(f"{SDPA}，批量，分数很大",
                                                                         f"{SDPA}, batched, large scores"),
                      case + Text("；批量为 2：(q, k, v) 与 (600 q, k, v)", "; batch of 2: (q, k, v) and (600 q, k, v)"),
                      alternatives=_alternatives(qb, kb, vb))
    _expect_attention(ctx.call(*(a.astype(np.float32) for a in (q, k, v))), _attention(q, k, v),
                      in_float32(SDPA), case + ", float32", rtol=RTOL32, atol=ATOL32,
                      dtype=np.float32)


WITH_MASK = Text(f"{SDPA}，带掩码", f"{SDPA} with a mask")


@check("hw5.attention.scaled_dot_product_attention.matches_torch", hint=HINT_SDPA)
def sdpa_matches_torch(ctx: Context) -> None:
    import torch
    import torch.nn.functional as F

    cases = [((5, 4), (6, 4), (6, 3), None),
             ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 2), None),
             ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 2), (4, 6)),
             ((2, 3, 5, 4), (2, 3, 5, 4), (2, 3, 5, 3), (2, 1, 5, 5)),
             ((3, 4, 2), (3, 7, 2), (3, 7, 4), (3, 4, 7))]
    for qs, ks, vs, ms in cases:
        q, k, v = (ctx.rng.normal(size=s) for s in (qs, ks, vs))
        mask = None if ms is None else _random_mask(ctx.rng, ms)
        with torch.no_grad():
            want_out = F.scaled_dot_product_attention(
                torch.tensor(q), torch.tensor(k), torch.tensor(v),
                attn_mask=None if mask is None else torch.tensor(mask)).numpy()
        want = (want_out, _attention(q, k, v, mask)[1])
        args = (q, k, v) if mask is None else (q, k, v, mask)
        got = ctx.call_unchanged(*args)
        case = ctx.case(q=q, k=k, v=v, mask=mask)
        _expect_attention(got, want, against(SDPA, Text("torch 的实现", "torch's")), case,
                          alternatives=_alternatives(q, k, v, mask))


@check("hw5.attention.scaled_dot_product_attention.rows_sum_to_one", hint=Text(
    zh="讲义第 5 部分（softmax）：每个查询的权重非负且和为 1，有掩码时也是如此，因为 softmax 只在允许的键上计算。",
    en="Lecture part 5 (softmax): each query's weights are non-negative and sum to 1, also with a mask, because the "
       "softmax runs over the allowed keys only."))
def sdpa_rows_sum_to_one(ctx: Context) -> None:
    for mask_shape in (None, (3, 6, 7), (6, 7)):
        q, k, v = ctx.rng.normal(size=(3, 6, 4)), ctx.rng.normal(size=(3, 7, 4)), ctx.rng.normal(size=(3, 7, 2))
        mask = None if mask_shape is None else _random_mask(ctx.rng, mask_shape)
        case = ctx.case(q=q, k=k, v=v, mask=mask)
        pair = as_sequence(ctx.call(q, k, v) if mask is None else ctx.call(q, k, v, mask), 2, SDPA, case)
        weights = as_array(pair[1], f"{SDPA} weights", case, shape=(3, 6, 7))
        expect_true(bool(np.all(weights >= 0)), f"{SDPA} weights", case,
                    Text("有些权重是负数；softmax 永远不会是负的", "some weights are negative; a softmax is never negative"))
        # Sums of 7 numbers in [0, 1]: float64 rounding ~1e-16 each.
        expect_array(weights.sum(axis=-1), np.ones((3, 6)), Text(f"{SDPA} weights 在键（最后一维）上的和",
                                                                 f"{SDPA} weights summed over the keys (last axis)"),
                     case, rtol=0, atol=1e-12)
        # Uniform weights sum to one too. A softmax is strictly increasing in the scores: among the
        # keys a query may see, the higher score gets the larger weight.
        higher, lower = _score_pairs(q, k, mask)
        wrong = weights[higher] <= weights[lower]
        n_wrong = int(np.count_nonzero(wrong))
        expect_true(not np.any(wrong), f"{SDPA} weights", case,
                    Text(f"在 {wrong.size} 对允许的键中，有 {n_wrong} 对没有让分数 q . k 更大的那个得到更大的权重：softmax 的"
                         "权重顺序与分数顺序一致",
                         f"{n_wrong} of {wrong.size} pairs of allowed keys do not get the larger weight "
                         "for the larger score q . k: a softmax orders the weights as the scores"))


@check("hw5.attention.scaled_dot_product_attention.masked_weights_exactly_zero", hint=HINT_MASK)
def sdpa_masked_weights_exactly_zero(ctx: Context) -> None:
    for mask_shape in ((2, 5, 6), (5, 6), (2, 1, 6)):
        q, k, v = ctx.rng.normal(size=(2, 5, 3)), ctx.rng.normal(size=(2, 6, 3)), ctx.rng.normal(size=(2, 6, 3))
        # Large masked scores would dominate a softmax that ignored the mask or used a finite penalty too small.
        k = k * 3.0
        mask = _random_mask(ctx.rng, mask_shape)
        case = ctx.case(q=q, k=k, v=v, mask=mask)
        pair = as_sequence(ctx.call_unchanged(q, k, v, mask), 2, SDPA, case)
        weights = as_array(pair[1], f"{SDPA} weights", case, shape=(2, 5, 6))
        masked = ~np.broadcast_to(mask, weights.shape)
        nonzero = np.argwhere(masked & (weights != 0))
        if len(nonzero):
            idx = tuple(int(i) for i in nonzero[0])
            raise fail(f"{SDPA} weights", case, Text(f"有 {len(nonzero)} 个被屏蔽的元素不恰好为 0，第一个在下标 {idx}："
                                                     f"{weights[idx]!r}", f"{len(nonzero)} masked entries are not "
                                                     f"exactly 0, first at index {idx}: {weights[idx]!r}"))
        _expect_attention(pair, _attention(q, k, v, mask), WITH_MASK, case, alternatives=_alternatives(q, k, v, mask))


@check("hw5.attention.scaled_dot_product_attention.causal_by_perturbation", hint=Text(
    zh="讲义第 5 部分（掩码）：有因果掩码时，查询 t 只看键 0..t，所以改变之后的键和值不会改变位置 <= t 处的任何结果。",
    en="Lecture part 5 (掩码): with a causal mask query t only looks at keys 0..t, so changing later keys and values "
       "changes nothing at positions <= t."))
def sdpa_causal_by_perturbation(ctx: Context) -> None:
    N, T, d = 2, 7, 4
    q, k, v = ctx.rng.normal(size=(N, T, d)), ctx.rng.normal(size=(N, T, d)), ctx.rng.normal(size=(N, T, 3))
    mask = _tril(T)
    for t in (0, int(ctx.rng.integers(1, T - 2)), T - 2):
        k2, v2 = k.copy(), v.copy()
        k2[:, t + 1:] = ctx.rng.normal(scale=2.0, size=k2[:, t + 1:].shape)
        v2[:, t + 1:] = ctx.rng.normal(scale=2.0, size=v2[:, t + 1:].shape)
        case = ctx.case(Text(f"因果掩码 (T, T)，t = {t} 之后的键和值被改变",
                             f"causal mask (T, T), keys/values after t = {t} changed"), q=q, k=k, v=v)
        first = as_sequence(ctx.call(q, k, v, mask), 2, SDPA, case)
        second = as_sequence(ctx.call(q, k2, v2, mask), 2, SDPA, case)
        a = as_array(first[0], f"{SDPA} out", case, shape=(N, T, 3))
        # The same arithmetic on the same allowed entries: equal up to at most rounding (1e-12).
        expect_array(second[0][:, :t + 1], a[:, :t + 1], Text(f"改变之后的键和值后，位置 <= {t} 处的输出",
                                                              f"outputs at positions <= {t} after changing later keys "
                                                              "and values"), case, rtol=0, atol=1e-12)
        expect_array(first[0], _attention(q, k, v, mask)[0], Text(f"{SDPA} out，因果掩码",
                                                                  f"{SDPA} out with a causal mask"),
                     case, rtol=RTOL64, atol=ATOL64)


@check("hw5.attention.scaled_dot_product_attention.padding_per_item", hint=HINT_MASK + Text(
    "填充掩码 (N, 1, Tk) 让批量中的每一项都有自己的真实键个数。",
    " A padding mask (N, 1, Tk) gives each batch item its own number of real keys."))
def sdpa_padding_per_item(ctx: Context) -> None:
    N, Tq, Tk, d = 4, 3, 6, 4
    lengths = np.array([6, 1, 4, int(ctx.rng.integers(2, 6))])
    mask = (np.arange(Tk)[None, :] < lengths[:, None])[:, None, :]
    q, k, v = ctx.rng.normal(size=(N, Tq, d)), ctx.rng.normal(size=(N, Tk, d)), ctx.rng.normal(size=(N, Tk, 2))
    case = ctx.case(_padding_note("(N, 1, Tk)", lengths), q=q, k=k, v=v)
    got = ctx.call(q, k, v, mask)
    _expect_attention(got, _attention(q, k, v, mask), Text(f"{SDPA}，带填充掩码", f"{SDPA} with a padding mask"), case,
                      alternatives={MASK_IGNORED: _attention(q, k, v), **_alternatives(q, k, v, mask)})


def _padding_note(shape: str, lengths: np.ndarray) -> Text:
    return Text(f"填充掩码 {shape}，lengths = {lengths.tolist()}", f"padding mask {shape} for lengths {lengths.tolist()}")


@check("hw5.attention.scaled_dot_product_attention.fully_masked_row", hint=Text(
    zh="接口约定：所有键都被屏蔽的查询得到全 0 的权重和全 0 的输出，而不是对空集合取 softmax 得到的 NaN。",
    en="The contract: a query whose keys are all masked gets all-zero weights and a zero output, never the NaN of a "
       "softmax over nothing."))
def sdpa_fully_masked_row(ctx: Context) -> None:
    q = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    k = np.array([[1.0, 0.0], [0.0, 1.0]])
    v = np.array([[1.0, 2.0], [3.0, 4.0]])
    mask = np.array([[True, False], [False, False], [True, True]])
    case = "q = [[1,0],[0,1],[1,1]], k = [[1,0],[0,1]], v = [[1,2],[3,4]], mask = [[T,F],[F,F],[T,T]]"
    got = ctx.call_unchanged(q, k, v, mask)
    want = _attention(q, k, v, mask)
    _expect_attention(got, want, Text(f"{SDPA}，有一行查询被完全屏蔽（第 1 行）",
                                      f"{SDPA} with a fully masked query row (row 1)"), case, rtol=0, atol=1e-12)


@check("hw5.attention.scaled_dot_product_attention.permutation_invariance", hint=Text(
    zh="讲义第 5 部分：注意力把键当作一个集合，所以把键和对应的值（以及掩码的列）一起打乱，输出不变，权重也按同样的方式打乱。",
    en="Lecture part 5: attention treats the keys as a set, so shuffling the keys together with their values (and "
       "the mask's columns) leaves the outputs unchanged and shuffles the weights alike."))
def sdpa_permutation_invariance(ctx: Context) -> None:
    N, Tq, Tk, d = 2, 4, 6, 3
    q, k, v = ctx.rng.normal(size=(N, Tq, d)), ctx.rng.normal(size=(N, Tk, d)), ctx.rng.normal(size=(N, Tk, 2))
    mask = _random_mask(ctx.rng, (N, Tq, Tk))
    perm = ctx.rng.permutation(Tk)
    case = ctx.case(Text(f"键的排列 {perm.tolist()}", f"key permutation {perm.tolist()}"), q=q, k=k, v=v, mask=mask)
    first = as_sequence(ctx.call(q, k, v, mask), 2, SDPA, case)
    second = as_sequence(ctx.call(q, k[:, perm], v[:, perm], mask[..., perm]), 2, SDPA, case)
    out = as_array(first[0], f"{SDPA} out", case, shape=(N, Tq, 2))
    weights = as_array(first[1], f"{SDPA} weights", case, shape=(N, Tq, Tk))
    # Only the summation order changes: 1e-12 is far above float64 rounding of these O(1) sums.
    expect_array(second[0], out, Text("键和值一起打乱后的 out", "out with keys and values permuted together"), case,
                 rtol=0, atol=1e-12)
    expect_array(second[1], weights[..., perm], Text("键和值一起打乱后的 weights",
                                                     "weights with keys and values permuted together"), case,
                 rtol=0, atol=1e-12)
    expect_array(out, _attention(q, k, v, mask)[0], f"{SDPA} out", case, rtol=RTOL64, atol=ATOL64)


@check("hw5.attention.scaled_dot_product_attention.scale_large_d", hint=Text(
    zh="讲义第 5 部分（公式 (1)）：点积要除以 sqrt(d)，d 是 q 最后一维的大小；不除的话，d = 256 会让它们大约大 16 倍，softmax "
       "就饱和了。",
    en="Lecture part 5 (formula (1)): the dot products are divided by sqrt(d), d the size of q's last axis; without "
       "it d = 256 makes them about 16 times too large and the softmax saturates."))
def sdpa_scale_large_d(ctx: Context) -> None:
    q, k, v = ctx.rng.normal(size=(2, 3, 256)), ctx.rng.normal(size=(2, 5, 256)), ctx.rng.normal(size=(2, 5, 4))
    case = ctx.case(Text("各元素为 O(1)", "entries O(1)"), q=q, k=k, v=v)
    got = ctx.call(q, k, v)
    _expect_attention(got, _attention(q, k, v), Text(f"{SDPA}，d = 256", f"{SDPA} with d = 256"), case,
                      alternatives=_alternatives(q, k, v))


@check("hw5.attention.scaled_dot_product_attention.large_scores", hint=Text(
    zh="讲义第 5 部分与接口约定：分数达到几百时 softmax 也必须保持有限，对每个查询平移一个常数就能做到，而且不改变权重。",
    en="Lecture part 5 and the contract: the softmax must stay finite for scores of several hundred, which one "
       "constant shift per query achieves without changing the weights."))
def sdpa_large_scores(ctx: Context) -> None:
    # d = 1, so the scores are the products q * k themselves: up to +-800 in one row (e^800 and
    # e^(800 + 800) overflow float64), with a few keys close to the maximum so the weights are not one-hot.
    q = np.array([[1.0], [-1.0], [0.5]])
    k = np.array([[800.0], [-800.0], [797.0], [0.0], [799.5]])
    v = ctx.rng.normal(size=(5, 3))
    case = ctx.case(f"q = {q.ravel().tolist()}, k = {k.ravel().tolist()}", Text("（d = 1：分数可达 +-800）",
                                                                                "(d = 1: scores up to +-800)"))
    large = Text(f"{SDPA}，分数很大", f"{SDPA} with large scores")
    _expect_attention(ctx.call(q, k, v), _attention(q, k, v), large, case)
    q, k = ctx.rng.normal(size=(2, 4, 2)) * 20, ctx.rng.normal(size=(2, 6, 2)) * 20
    v = ctx.rng.normal(size=(2, 6, 3))
    case = ctx.case(Text("各元素约为 20（分数达到几百）", "entries ~20 (scores of several hundred)"), q=q, k=k, v=v)
    _expect_attention(ctx.call(q, k, v), _attention(q, k, v), large, case)


@check("hw5.attention.scaled_dot_product_attention.float32", hint=FLOAT32_HINT)
def sdpa_float32(ctx: Context) -> None:
    q, k, v = (ctx.rng.normal(size=s).astype(np.float32) for s in ((2, 4, 8), (2, 5, 8), (2, 5, 3)))
    mask = _random_mask(ctx.rng, (2, 4, 5))
    case = ctx.case(q=q, k=k, v=v, mask=mask)
    got = ctx.call(q, k, v, mask)
    _expect_attention(got, _attention(q, k, v, mask), with_float32(SDPA), case,
                      rtol=RTOL32, atol=ATOL32, dtype=np.float32)


# --------------------------------------------------------------------------- masks

def _expect_mask(got, want: np.ndarray, what: str, case: str | Text, hint_on: dict[Text, np.ndarray]) -> None:
    arr = as_bool_array(got, what, case, shape=want.shape)
    if np.array_equal(arr, want):
        return
    bad = np.argwhere(arr != want)
    idx = tuple(int(i) for i in bad[0])
    alt = next((Text(f"\n  你的掩码等于{label.zh}", f"\n  your mask equals {label.en}") for label, m in hint_on.items()
                if m.shape == arr.shape and np.array_equal(arr, m)), "")
    raise fail(what, case, Text(f"{len(bad)} / {want.size} 个元素不同，第一个在下标 {idx}：实际 {arr[idx]}，期望 "
                                f"{want[idx]}", f"{len(bad)} / {want.size} entries differ, first at index {idx}: got "
                                f"{arr[idx]}, expected {want[idx]}") + alt)


HINT_CAUSAL = Text(
    zh="讲义第 5 部分（掩码）：在因果掩码中，查询 i 可以关注键 j <= i，所以它在对角线及其下方为 True，是一个 (T, T) 的布尔数组。",
    en="Lecture part 5 (掩码): in a causal mask query i may attend to keys j <= i, so it is True on and "
       "below the diagonal, a (T, T) boolean array.")
HINT_PADDING = Text(
    zh="讲义第 5 部分（掩码）：当 t < lengths[n] 时，序列 n 的键位置 t 是真实的；(N, 1, T) 的布尔掩码在查询上广播。",
    en="Lecture part 5 (掩码): key position t of sequence n is real when t < lengths[n], and the (N, 1, T) "
       "boolean mask broadcasts over the queries.")
INVERTED = Text("取反的掩码（对角线上方为 True）", "the inverted mask (True above the diagonal)")
STRICT = Text("严格下三角（不含对角线）", "the strictly lower triangle (diagonal excluded)")
ONE_TOO_MANY = Text("位置 <= lengths[n]（多了一个）", "positions <= lengths[n] (one too many)")


@check("hw5.attention.causal_mask.exact", hint=HINT_CAUSAL)
def causal_mask_exact(ctx: Context) -> None:
    for T in (1, 2, 4):
        want = _tril(T)
        _expect_mask(ctx.call(T), want, f"causal_mask({T})", "", {
            INVERTED: ~want, STRICT: want & ~np.eye(T, dtype=bool),
            Text("上三角（对角线及其上方为 True）", "the upper triangle (True on and above the diagonal)"): want.T})


@check("hw5.attention.causal_mask.sizes", hint=HINT_CAUSAL)
def causal_mask_sizes(ctx: Context) -> None:
    for T in (int(ctx.rng.integers(5, 12)), 16, 33):
        want = _tril(T)
        _expect_mask(ctx.call(T), want, f"causal_mask({T})", ctx.case(), {
            INVERTED: ~want, STRICT: want & ~np.eye(T, dtype=bool)})


@oracle
def _padding(lengths, T):
    return (np.arange(T)[None, :] < np.asarray(lengths)[:, None])[:, None, :]


@check("hw5.attention.padding_mask.exact", hint=HINT_PADDING)
def padding_mask_exact(ctx: Context) -> None:
    lengths, T = np.array([3, 1, 5, 0]), 5
    want = _padding(lengths, T)
    _expect_mask(ctx.call_unchanged(lengths, T), want, "padding_mask(lengths=[3, 1, 5, 0], T=5)", "", {
        ONE_TOO_MANY: (np.arange(T)[None, :] <= lengths[:, None])[:, None, :],
        Text("取反的掩码（填充处为 True）", "the inverted mask (True on the padding)"): ~want})


@check("hw5.attention.padding_mask.random", hint=HINT_PADDING)
def padding_mask_random(ctx: Context) -> None:
    for _ in range(3):
        N, T = int(ctx.rng.integers(1, 7)), int(ctx.rng.integers(1, 12))
        lengths = ctx.rng.integers(0, T + 1, size=N)
        want = _padding(lengths, T)
        _expect_mask(ctx.call_unchanged(lengths, T), want, f"padding_mask(lengths={lengths.tolist()}, T={T})",
                     ctx.case(), {ONE_TOO_MANY: (np.arange(T)[None, :] <= lengths[:, None])[:, None, :]})


# --------------------------------------------------------------------------- positional encoding

def _expect_pe(got, T: int, d: int, case: str | Text) -> None:
    what = f"sinusoidal_positional_encoding({T}, {d})"
    arr = as_array(got, what, case, shape=(T, d))
    expect_true(arr.dtype.kind == "f", what, case, Text(f"应为浮点数组，实际 dtype 为 {arr.dtype}",
                                                        f"expected a float array, got dtype {arr.dtype}"))
    # float64: sines of angles up to T computed by pow or exp/log differ by ~T*1e-16; float32 by ~1e-7.
    tol = 1e-10 if arr.dtype == np.float64 else 1e-6
    expect_array(arr, _pe(T, d), what, case, rtol=0, atol=tol, hint_on=_labelled(_pe_alternatives(T, d)))


@check("hw5.attention.sinusoidal_positional_encoding.lecture_formula", hint=HINT_PE)
def pe_lecture_formula(ctx: Context) -> None:
    _expect_pe(ctx.call(4, 6), 4, 6, Text("T = 4 个位置，d = 6：列 (0,1)、(2,3)、(4,5) 分别共用频率 1、10000^(-2/6)、"
                                          "10000^(-4/6)", "T = 4 positions, d = 6: columns (0,1), (2,3), (4,5) share "
                                          "the frequencies 1, 10000^(-2/6), 10000^(-4/6)"))


@check("hw5.attention.sinusoidal_positional_encoding.several_sizes", hint=HINT_PE)
def pe_several_sizes(ctx: Context) -> None:
    sizes = [(1, 2), (7, 8), (50, 16), (20, 64), (int(ctx.rng.integers(2, 30)), 2 * int(ctx.rng.integers(1, 20)))]
    for T, d in sizes:
        _expect_pe(ctx.call(T, d), T, d, ctx.case())


# --------------------------------------------------------------------------- multi_head_attention

@check("hw5.attention.multi_head_attention.small_example", hint=HINT_MHA)
def mha_small_example(ctx: Context) -> None:
    x = np.array([[[1.0, 0.0, 0.5, -1.0], [0.0, 1.0, 1.0, 0.0], [1.0, 1.0, -1.0, 0.5]]])  # N=1, T=3, d_model=4
    eye = np.eye(4)
    Wo = np.array([[1.0, 0.0, 0.0, 0.5], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, -1.0, 0.0], [0.5, 0.0, 0.0, 1.0]])
    W = (eye, eye, eye, Wo)
    case = Text("自注意力，x (1,3,4)，Wq = Wk = Wv = I，Wo (4,4)，num_heads = 2（特征 0:2 与 2:4）",
                "self-attention, x (1,3,4), Wq = Wk = Wv = I, Wo (4,4), num_heads = 2 (features 0:2 and 2:4)")
    got = _call_mha(ctx, x, x, W, 2, unchanged=True)
    _expect_mha(got, _mha(x, x, W, 2), MHA, case + Text("，没有偏置", ", no biases"), _mha_alternatives(x, x, W, 2))
    b = (np.array([0.5, 0.0, 0.0, -0.5]), np.array([0.0, 1.0, 0.0, 0.0]), np.array([1.0, 0.0, -1.0, 0.0]),
         np.array([0.0, 0.0, 0.0, 2.0]))
    mask = _tril(3)
    case += Text("，bq = [.5,0,0,-.5]，bk = [0,1,0,0]，bv = [1,0,-1,0]，bo = [0,0,0,2]，因果掩码 (3, 3)",
                 ", bq = [.5,0,0,-.5], bk = [0,1,0,0], bv = [1,0,-1,0], bo = [0,0,0,2], causal mask (3, 3)")
    alternatives = {MASK_IGNORED: _mha(x, x, W, 2, b=b), **_mha_alternatives(x, x, W, 2, mask, b)}
    _expect_mha(_call_mha(ctx, x, x, W, 2, mask=mask, b=b), _mha(x, x, W, 2, mask, b),
                Text(f"{MHA}，带偏置和因果掩码", f"{MHA} with biases and a causal mask"), case, alternatives)
    got = _call_mha(ctx, x.astype(np.float32), x.astype(np.float32), tuple(w.astype(np.float32) for w in W), 2,
                    mask=mask, b=tuple(v.astype(np.float32) for v in b))
    _expect_mha(got, _mha(x, x, W, 2, mask, b), in_float32(MHA), case + ", float32", {},
                rtol=RTOL32, atol=ATOL32, dtype=np.float32)


MHA = "multi_head_attention"
AGAINST_TORCH_MHA = against(MHA, "torch.nn.MultiheadAttention")


SELF = Text("自注意力", "self-attention")
CROSS = Text("交叉注意力", "cross-attention")
WITH_BIASES = Text("带偏置", "with biases")


@check("hw5.attention.multi_head_attention.matches_torch", hint=HINT_MHA)
def mha_matches_torch(ctx: Context) -> None:
    for N, T, dm, nh in ((2, 5, 8, 2), (1, 3, 6, 3), (3, 4, 8, 4), (2, 3, 4, 1)):
        x = ctx.rng.normal(size=(N, T, dm))
        W, b = _mha_params(ctx.rng, dm, bias=True)
        case = ctx.case(SELF, WITH_BIASES, Text("没有掩码", "no mask"), x=x, num_heads=nh)
        got = _call_mha(ctx, x, x, W, nh, b=b, unchanged=True)
        _expect_mha(got, _torch_mha(x, x, W, nh, b=b), AGAINST_TORCH_MHA, case, _mha_alternatives(x, x, W, nh, b=b))


@check("hw5.attention.multi_head_attention.cross_attention_no_bias", hint=HINT_MHA + Text(
    "查询来自 x_q，键和值来自 x_kv，没有给出的偏置为 0。",
    " Queries come from x_q, keys and values from x_kv, and missing biases are zero."))
def mha_cross_attention_no_bias(ctx: Context) -> None:
    for N, Tq, Tk, dm, nh in ((2, 3, 5, 6, 2), (1, 4, 2, 8, 4)):
        x_q, x_kv = ctx.rng.normal(size=(N, Tq, dm)), ctx.rng.normal(size=(N, Tk, dm))
        W, _ = _mha_params(ctx.rng, dm, bias=False)
        case = ctx.case(CROSS, Text("没有偏置", "no biases"), x_q=x_q, x_kv=x_kv, num_heads=nh)
        got = _call_mha(ctx, x_q, x_kv, W, nh)
        _expect_mha(got, _torch_mha(x_q, x_kv, W, nh), AGAINST_TORCH_MHA, case, _mha_alternatives(x_q, x_kv, W, nh))


@check("hw5.attention.multi_head_attention.each_bias", hint=HINT_MHA + Text(
    "每个偏置都是一个独立的可选参数，没有给出时为 0。", " Each bias is its own optional argument, zero when not given."))
def mha_each_bias(ctx: Context) -> None:
    N, T, dm, nh = 2, 3, 6, 2
    x = ctx.rng.normal(size=(N, T, dm))
    W, b = _mha_params(ctx.rng, dm, bias=True)
    for given in ("bq", "bk", "bv", "bo"):
        only = tuple(v if name == given else np.zeros(dm) for name, v in zip(("bq", "bk", "bv", "bo"), b))
        case = ctx.case(SELF, Text(f"只给出 {given}", f"only {given} given"), x=x, num_heads=nh)
        got = ctx.call(x, x, *W, nh, **{given: only[("bq", "bk", "bv", "bo").index(given)]})
        _expect_mha(got, _torch_mha(x, x, W, nh, b=only), Text(f"{MHA}，只有 {given}", f"{MHA} with {given} only"), case,
                    {Text(f"忽略了 {given} 的结果", f"{given} ignored"): _mha(x, x, W, nh),
                     **_mha_alternatives(x, x, W, nh, b=only)})


@check("hw5.attention.multi_head_attention.masks", hint=HINT_MHA + Text(
    "掩码（因果掩码或填充掩码）同样作用于每一个头。", " The mask, causal or padding, applies to every head alike."))
def mha_masks(ctx: Context) -> None:
    N, T, dm, nh = 2, 5, 8, 2
    x = ctx.rng.normal(size=(N, T, dm))
    W, b = _mha_params(ctx.rng, dm, bias=True)
    mask = _tril(T)
    case = ctx.case(SELF, Text("因果掩码 (5, 5)", "causal mask (5, 5)"), WITH_BIASES, x=x, num_heads=nh)
    got = _call_mha(ctx, x, x, W, nh, mask=mask, b=b)
    _expect_mha(got, _torch_mha(x, x, W, nh, mask=mask, b=b), Text(f"{MHA}，带因果掩码", f"{MHA} with a causal mask"),
                case, {MASK_IGNORED: _mha(x, x, W, nh, b=b), **_mha_alternatives(x, x, W, nh, mask, b)})

    N, Tq, Tk = 3, 4, 6
    x_q, x_kv = ctx.rng.normal(size=(N, Tq, dm)), ctx.rng.normal(size=(N, Tk, dm))
    lengths = np.array([6, 2, int(ctx.rng.integers(1, 6))])
    mask = _padding(lengths, Tk)
    case = ctx.case(CROSS, _padding_note("(3, 1, 6)", lengths), WITH_BIASES, x_q=x_q, x_kv=x_kv, num_heads=nh)
    got = _call_mha(ctx, x_q, x_kv, W, nh, mask=mask, b=b)
    _expect_mha(got, _torch_mha(x_q, x_kv, W, nh, mask=mask, b=b), Text(f"{MHA}，带填充掩码",
                                                                        f"{MHA} with a padding mask"),
                case, {MASK_IGNORED: _mha(x_q, x_kv, W, nh, b=b), **_mha_alternatives(x_q, x_kv, W, nh, mask, b)})


@check("hw5.attention.multi_head_attention.float32", hint=FLOAT32_HINT)
def mha_float32(ctx: Context) -> None:
    N, T, dm, nh = 2, 4, 6, 3
    x = ctx.rng.normal(size=(N, T, dm)).astype(np.float32)
    W, b = _mha_params(ctx.rng, dm, bias=True, dtype=np.float32)
    case = ctx.case(SELF, Text("float32 的权重和偏置", "float32 weights and biases"), x=x, num_heads=nh)
    got = _call_mha(ctx, x, x, W, nh, b=b)
    W64 = tuple(w.astype(np.float64) for w in W)
    b64 = tuple(v.astype(np.float64) for v in b)
    x64 = x.astype(np.float64)
    _expect_mha(got, _mha(x64, x64, W64, nh, b=b64), with_float32(MHA), case,
                {}, rtol=RTOL32, atol=ATOL32, dtype=np.float32)
