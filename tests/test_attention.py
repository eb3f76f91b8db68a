"""attention (hw5): every function's checks catch deliberately wrong implementations; fair variants pass."""
from __future__ import annotations

import pytest

from helpers import assert_caught, grade_inprocess, submission_with

WRONG = {
    "scaled_dot_product_attention": {
        "softmax_without_the_max_shift": """
            def scaled_dot_product_attention(q, k, v, mask=None):
                scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
                with np.errstate(over="ignore"):
                    e = np.exp(scores)  # inf for scores above ~709
                if mask is not None:
                    e = np.where(mask, e, 0.0)
                total = e.sum(axis=-1, keepdims=True)
                with np.errstate(invalid="ignore"):
                    w = e / np.where(total == 0, 1, total)
                return w @ v, w
        """,
        "missing_sqrt_d_scale": """
            def scaled_dot_product_attention(q, k, v, mask=None):
                scores = q @ np.swapaxes(k, -1, -2)
                if mask is not None:
                    scores = np.where(mask, scores, -np.inf)
                top = scores.max(axis=-1, keepdims=True)
                e = np.exp(scores - np.where(np.isneginf(top), 0, top))
                total = e.sum(axis=-1, keepdims=True)
                w = e / np.where(total == 0, 1, total)
                return w @ v, w
        """,
        "softmax_over_queries": """
            def scaled_dot_product_attention(q, k, v, mask=None):
                scores = q @ np.swapaxes(k, -1, -2) / q.shape[-1] ** 0.5
                if mask is not None:
                    scores = np.where(mask, scores, -np.inf)
                top = scores.max(axis=-2, keepdims=True)
                e = np.exp(scores - np.where(np.isneginf(top), 0, top))
                total = e.sum(axis=-2, keepdims=True)
                w = e / np.where(total == 0, 1, total)
                return w @ v, w
        """,
        "mask_multiplied_after_softmax": """
            def scaled_dot_product_attention(q, k, v, mask=None):
                scores = q @ np.swapaxes(k, -1, -2) / q.shape[-1] ** 0.5
                e = np.exp(scores - scores.max(axis=-1, keepdims=True))
                w = e / e.sum(axis=-1, keepdims=True)
                if mask is not None:
                    w = w * mask
                return w @ v, w
        """,
        "fully_masked_row_gives_nan": """
            def scaled_dot_product_attention(q, k, v, mask=None):
                scores = q @ np.swapaxes(k, -1, -2) / q.shape[-1] ** 0.5
                if mask is not None:
                    scores = np.where(mask, scores, -np.inf)
                with np.errstate(invalid="ignore"):
                    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
                    w = e / e.sum(axis=-1, keepdims=True)
                return w @ v, w
        """,
        "float64_scale_array": """
            def scaled_dot_product_attention(q, k, v, mask=None):
                scores = (q @ np.swapaxes(k, -1, -2)) / np.sqrt(np.float64(q.shape[-1])) * np.ones(1)
                if mask is not None:
                    scores = np.where(mask, scores, -np.inf)
                top = scores.max(axis=-1, keepdims=True)
                e = np.exp(scores - np.where(np.isneginf(top), 0, top))
                total = e.sum(axis=-1, keepdims=True)
                w = e / np.where(total == 0, 1, total)
                return w @ v, w
        """,
    },
    "causal_mask": {
        "inverted_true_above_diagonal": """
            def causal_mask(T):
                return np.triu(np.ones((T, T), dtype=bool), k=1)
        """,
        "diagonal_excluded": """
            def causal_mask(T):
                return np.tril(np.ones((T, T), dtype=bool), k=-1)
        """,
        "float_not_bool": """
            def causal_mask(T):
                return np.tril(np.ones((T, T)))
        """,
    },
    "padding_mask": {
        "off_by_one_less_equal": """
            def padding_mask(lengths, T):
                return (np.arange(T)[None, :] <= np.asarray(lengths)[:, None])[:, None, :]
        """,
        "missing_query_axis": """
            def padding_mask(lengths, T):
                return np.arange(T)[None, :] < np.asarray(lengths)[:, None]
        """,
    },
    "sinusoidal_positional_encoding": {
        "sin_cos_swapped": """
            def sinusoidal_positional_encoding(T, d):
                pos = np.arange(T, dtype=np.float64)[:, None]
                angles = pos / 10000.0 ** (np.arange(0, d, 2) / d)
                pe = np.zeros((T, d))
                pe[:, 0::2] = np.cos(angles)
                pe[:, 1::2] = np.sin(angles)
                return pe
        """,
        "exponent_j_not_2j": """
            def sinusoidal_positional_encoding(T, d):
                pos = np.arange(T, dtype=np.float64)[:, None]
                angles = pos / 10000.0 ** (np.arange(d // 2) / d)
                pe = np.zeros((T, d))
                pe[:, 0::2] = np.sin(angles)
                pe[:, 1::2] = np.cos(angles)
                return pe
        """,
        "transposed_layout": """
            def sinusoidal_positional_encoding(T, d):
                pos = np.arange(T, dtype=np.float64)[None, :]
                angles = pos / 10000.0 ** (np.arange(0, d, 2) / d)[:, None]
                pe = np.zeros((d, T))
                pe[0::2] = np.sin(angles)
                pe[1::2] = np.cos(angles)
                return pe
        """,
    },
    "multi_head_attention": {
        "heads_interleaved": """
            def multi_head_attention(x_q, x_kv, Wq, Wk, Wv, Wo, num_heads, mask=None, bq=None, bk=None, bv=None,
                                     bo=None):
                N, Tq, dm = x_q.shape
                Tk, dh = x_kv.shape[1], dm // num_heads
                def heads(x, W, b, T):
                    y = x @ W if b is None else x @ W + b
                    return y.reshape(N, T, dh, num_heads).transpose(0, 3, 1, 2)
                if mask is not None:
                    mask = np.broadcast_to(mask, (N, Tq, Tk))[:, None]
                out, w = scaled_dot_product_attention(heads(x_q, Wq, bq, Tq), heads(x_kv, Wk, bk, Tk),
                                                      heads(x_kv, Wv, bv, Tk), mask)
                out = out.transpose(0, 2, 3, 1).reshape(N, Tq, dm) @ Wo
                return (out if bo is None else out + bo), w
        """,
        "forgets_Wo": """
            def multi_head_attention(x_q, x_kv, Wq, Wk, Wv, Wo, num_heads, mask=None, bq=None, bk=None, bv=None,
                                     bo=None):
                N, Tq, dm = x_q.shape
                Tk, dh = x_kv.shape[1], dm // num_heads
                def heads(x, W, b, T):
                    y = x @ W if b is None else x @ W + b
                    return y.reshape(N, T, num_heads, dh).transpose(0, 2, 1, 3)
                if mask is not None:
                    mask = np.broadcast_to(mask, (N, Tq, Tk))[:, None]
                out, w = scaled_dot_product_attention(heads(x_q, Wq, bq, Tq), heads(x_kv, Wk, bk, Tk),
                                                      heads(x_kv, Wv, bv, Tk), mask)
                out = out.transpose(0, 2, 1, 3).reshape(N, Tq, dm)
                return (out if bo is None else out + bo), w
        """,
        "mask_ignored": """
            _reference_mha = multi_head_attention

            def multi_head_attention(x_q, x_kv, Wq, Wk, Wv, Wo, num_heads, mask=None, bq=None, bk=None, bv=None,
                                     bo=None):
                return _reference_mha(x_q, x_kv, Wq, Wk, Wv, Wo, num_heads, None, bq, bk, bv, bo)
        """,
        "averaged_weights": """
            _reference_mha = multi_head_attention

            def multi_head_attention(x_q, x_kv, Wq, Wk, Wv, Wo, num_heads, mask=None, bq=None, bk=None, bv=None,
                                     bo=None):
                out, w = _reference_mha(x_q, x_kv, Wq, Wk, Wv, Wo, num_heads, mask, bq, bk, bv, bo)
                return out, w.mean(axis=1)
        """,
        "biases_all_or_nothing": """
            _right_mha = multi_head_attention

            def multi_head_attention(x_q, x_kv, Wq, Wk, Wv, Wo, num_heads, mask=None, bq=None, bk=None, bv=None,
                                     bo=None):
                if bq is None:  # the other biases are dropped with it
                    return _right_mha(x_q, x_kv, Wq, Wk, Wv, Wo, num_heads, mask)
                return _right_mha(x_q, x_kv, Wq, Wk, Wv, Wo, num_heads, mask, bq, bk, bv, bo)
        """,
    },
}

# Correct variants (the acceptance criterion): one vectorised with einsum, one with Python loops.
EINSUM = """
    def scaled_dot_product_attention(q, k, v, mask=None):
        scores = np.einsum("...qd,...kd->...qk", q, k) / np.sqrt(q.shape[-1]).astype(q.dtype)
        if mask is not None:
            scores = np.where(mask, scores, np.finfo(scores.dtype).min)
        scores = scores - scores.max(axis=-1, keepdims=True)
        e = np.exp(scores)
        if mask is not None:
            e = e * mask
        total = e.sum(axis=-1, keepdims=True)
        w = e / np.maximum(total, np.finfo(e.dtype).tiny)
        return np.einsum("...qk,...kv->...qv", w, v), w

    def multi_head_attention(x_q, x_kv, Wq, Wk, Wv, Wo, num_heads, mask=None, bq=None, bk=None, bv=None, bo=None):
        N, Tq, dm = x_q.shape
        dh = dm // num_heads
        def proj(x, W, b):
            y = np.einsum("ntd,de->nte", x, W)
            y = y if b is None else y + b
            return y.reshape(x.shape[0], x.shape[1], num_heads, dh)
        q, k, v = proj(x_q, Wq, bq), proj(x_kv, Wk, bk), proj(x_kv, Wv, bv)
        scores = np.einsum("nqhd,nkhd->nhqk", q, k) / np.sqrt(dh).astype(x_q.dtype)
        allowed = np.ones(scores.shape, dtype=bool)
        if mask is not None:
            allowed = np.broadcast_to(np.asarray(mask)[..., None, :, :] if np.ndim(mask) == 3 else mask, scores.shape)
        scores = np.where(allowed, scores, -np.inf)
        top = scores.max(axis=-1, keepdims=True)
        e = np.exp(scores - np.where(np.isfinite(top), top, 0))
        total = e.sum(axis=-1, keepdims=True)
        w = e / np.where(total > 0, total, 1)
        heads = np.einsum("nhqk,nkhd->nqhd", w, v).reshape(N, Tq, dm)
        out = np.einsum("nqd,de->nqe", heads, Wo)
        return (out if bo is None else out + bo), w
"""

LOOPS = """
    import math

    def scaled_dot_product_attention(q, k, v, mask=None):
        lead = q.shape[:-2]
        Tq, d = q.shape[-2:]
        Tk, dv = k.shape[-2], v.shape[-1]
        allowed = np.broadcast_to(np.ones((Tq, Tk), dtype=bool) if mask is None else mask, lead + (Tq, Tk))
        kk = np.broadcast_to(k, lead + k.shape[-2:])
        vv = np.broadcast_to(v, lead + v.shape[-2:])
        out = np.zeros(lead + (Tq, dv), dtype=q.dtype)
        w = np.zeros(lead + (Tq, Tk), dtype=q.dtype)
        for idx in np.ndindex(*lead):
            for i in range(Tq):
                keys = [j for j in range(Tk) if allowed[idx + (i, j)]]
                if not keys:
                    continue
                s = [float(np.dot(q[idx + (i,)], kk[idx + (j,)])) / math.sqrt(d) for j in keys]
                top = max(s)
                e = [math.exp(x - top) for x in s]
                total = sum(e)
                row = np.zeros(dv)
                for j, ej in zip(keys, e):
                    w[idx + (i, j)] = ej / total
                    row = row + (ej / total) * vv[idx + (j,)]
                out[idx + (i,)] = row
        return out, w

    def causal_mask(T):
        m = np.zeros((T, T), dtype=bool)
        for i in range(T):
            for j in range(i + 1):
                m[i, j] = True
        return m

    def padding_mask(lengths, T):
        m = np.zeros((len(lengths), 1, T), dtype=bool)
        for n, length in enumerate(lengths):
            m[n, 0, :length] = True
        return m

    def sinusoidal_positional_encoding(T, d):
        pe = np.zeros((T, d))
        for i in range(T):
            for j in range(d // 2):
                freq = math.exp(-math.log(10000.0) * 2 * j / d)
                pe[i, 2 * j] = math.sin(i * freq)
                pe[i, 2 * j + 1] = math.cos(i * freq)
        return pe

    def multi_head_attention(x_q, x_kv, Wq, Wk, Wv, Wo, num_heads, mask=None, bq=None, bk=None, bv=None, bo=None):
        N, Tq, dm = x_q.shape
        Tk, dh = x_kv.shape[1], dm // num_heads
        zero = np.zeros(dm, dtype=x_q.dtype)
        Q = x_q @ Wq + (zero if bq is None else bq)
        K = x_kv @ Wk + (zero if bk is None else bk)
        V = x_kv @ Wv + (zero if bv is None else bv)
        m = None if mask is None else np.broadcast_to(mask, (N, Tq, Tk))
        concat = np.zeros((N, Tq, dm), dtype=x_q.dtype)
        weights = np.zeros((N, num_heads, Tq, Tk), dtype=x_q.dtype)
        for n in range(N):
            for h in range(num_heads):
                cols = slice(h * dh, (h + 1) * dh)
                out, w = scaled_dot_product_attention(Q[n, :, cols], K[n, :, cols], V[n, :, cols],
                                                      None if m is None else m[n])
                concat[n, :, cols] = out
                weights[n, h] = w
        out = concat @ Wo
        return (out if bo is None else out + bo), weights
"""


@pytest.mark.parametrize("variant", ["einsum", "loops"])
def test_correct_variants_get_full_marks(tmp_path, variant):
    source = {"einsum": EINSUM, "loops": LOOPS}[variant]
    results = grade_inprocess(submission_with(tmp_path / "sub", "attention", source), ["attention"])
    assert results.score == results.max_score, [c.message for c in results.checks if c.status != "passed"]


def test_messages_name_the_classic_confusions(tmp_path):
    expected = {("scaled_dot_product_attention", "missing_sqrt_d_scale"): "without the 1/sqrt(d) scaling",
                ("scaled_dot_product_attention", "softmax_over_queries"): "taken over the queries",
                ("causal_mask", "inverted_true_above_diagonal"): "inverted mask",
                ("padding_mask", "off_by_one_less_equal"): "one too many",
                ("sinusoidal_positional_encoding", "sin_cos_swapped"): "sin and cos swapped",
                ("sinusoidal_positional_encoding", "exponent_j_not_2j"): "j/d instead of 2j/d",
                ("multi_head_attention", "heads_interleaved"): "interleaved",
                ("multi_head_attention", "forgets_Wo"): "without the output projection Wo"}
    for (function, flaw), phrase in expected.items():
        results = assert_caught(tmp_path / flaw, "attention", function, WRONG[function][flaw])
        messages = " ".join(c.message or "" for c in results.checks if c.function == function)
        assert phrase in messages, (function, flaw, messages)


# Seeds 1..120 were checked once by hand (reference, einsum and loop variants); ten keep this file fast.
@pytest.mark.parametrize("seed", range(1, 11))
def test_reference_full_marks_for_every_seed(tmp_path, seed):
    results = grade_inprocess(submission_with(tmp_path / "sub", "attention"), ["attention"], seed=seed)
    assert results.score == results.max_score, [c.message for c in results.checks if c.status != "passed"]
