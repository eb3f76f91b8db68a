"""rnn (hw4): every function's checks catch deliberately wrong implementations; fair variants pass."""
from __future__ import annotations

import pytest

from helpers import assert_caught, grade_inprocess, submission_with

WRONG = {
    "rnn_step": {
        "missing_tanh": """
            def rnn_step(x, h, Wx, Wh, b):
                return x @ Wx + h @ Wh + b
        """,
        "bias_outside_tanh": """
            def rnn_step(x, h, Wx, Wh, b):
                return np.tanh(x @ Wx + h @ Wh) + b
        """,
        "float64_always": """
            def rnn_step(x, h, Wx, Wh, b):
                return np.tanh(x.astype(np.float64) @ Wx + h @ Wh + b)
        """,
    },
    "rnn_forward": {
        "only_last_state": """
            def rnn_forward(xs, h0, Wx, Wh, b):
                h = h0
                for t in range(xs.shape[1]):
                    h = np.tanh(xs[:, t] @ Wx + h @ Wh + b)
                return h
        """,
        "h_not_carried": """
            def rnn_forward(xs, h0, Wx, Wh, b):
                return np.stack([np.tanh(xs[:, t] @ Wx + h0 @ Wh + b) for t in range(xs.shape[1])], axis=1)
        """,
        "tanh_by_exponentials_overflows": """
            def rnn_forward(xs, h0, Wx, Wh, b):
                h, out = h0, []
                for t in range(xs.shape[1]):
                    a = xs[:, t] @ Wx + h @ Wh + b
                    with np.errstate(over="ignore", invalid="ignore"):
                        h = (np.exp(a) - np.exp(-a)) / (np.exp(a) + np.exp(-a))
                    out.append(h)
                return np.stack(out, axis=1)
        """,
        "float64_hs_buffer": """
            def rnn_forward(xs, h0, Wx, Wh, b):
                hs = np.zeros((xs.shape[0], xs.shape[1], Wh.shape[0]))
                h = h0
                for t in range(xs.shape[1]):
                    h = np.tanh(xs[:, t] @ Wx + h @ Wh + b)
                    hs[:, t] = h
                return hs
        """,
    },
    "rnn_backward": {
        "dWh_not_accumulated": """
            def rnn_backward(dhs, xs, h0, Wx, Wh, b):
                hs = rnn_forward(xs, h0, Wx, Wh, b)
                N, T, D = xs.shape
                dxs = np.zeros_like(xs)
                dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
                dh_next = np.zeros_like(h0)
                for t in reversed(range(T)):
                    h_prev = hs[:, t - 1] if t > 0 else h0
                    da = (dhs[:, t] + dh_next) * (1 - hs[:, t] ** 2)
                    dxs[:, t] = da @ Wx.T
                    dWx += xs[:, t].T @ da
                    dWh = h_prev.T @ da
                    db += da.sum(axis=0)
                    dh_next = da @ Wh.T
                return dxs, dh_next, dWx, dWh, db
        """,
        "missing_tanh_derivative": """
            def rnn_backward(dhs, xs, h0, Wx, Wh, b):
                hs = rnn_forward(xs, h0, Wx, Wh, b)
                N, T, D = xs.shape
                dxs = np.zeros_like(xs)
                dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
                dh_next = np.zeros_like(h0)
                for t in reversed(range(T)):
                    h_prev = hs[:, t - 1] if t > 0 else h0
                    da = dhs[:, t] + dh_next
                    dxs[:, t] = da @ Wx.T
                    dWx += xs[:, t].T @ da
                    dWh += h_prev.T @ da
                    db += da.sum(axis=0)
                    dh_next = da @ Wh.T
                return dxs, dh_next, dWx, dWh, db
        """,
        "no_gradient_through_time": """
            def rnn_backward(dhs, xs, h0, Wx, Wh, b):
                hs = rnn_forward(xs, h0, Wx, Wh, b)
                N, T, D = xs.shape
                dxs = np.zeros_like(xs)
                dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
                dh0 = np.zeros_like(h0)
                for t in reversed(range(T)):
                    h_prev = hs[:, t - 1] if t > 0 else h0
                    da = dhs[:, t] * (1 - hs[:, t] ** 2)
                    dxs[:, t] = da @ Wx.T
                    dWx += xs[:, t].T @ da
                    dWh += h_prev.T @ da
                    db += da.sum(axis=0)
                    dh0 = da @ Wh.T
                return dxs, dh0, dWx, dWh, db
        """,
    },
    "lstm_step": {
        "gate_order_ifog": """
            def lstm_step(x, h, c, Wx, Wh, b):
                i, f, o, g = np.split(x @ Wx + h @ Wh + b, 4, axis=1)
                c_next = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
                return _sigmoid(o) * np.tanh(c_next), c_next
        """,
        "gate_order_figo": """
            def lstm_step(x, h, c, Wx, Wh, b):
                f, i, g, o = np.split(x @ Wx + h @ Wh + b, 4, axis=1)
                c_next = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
                return _sigmoid(o) * np.tanh(c_next), c_next
        """,
        "h_from_old_cell": """
            def lstm_step(x, h, c, Wx, Wh, b):
                i, f, g, o = np.split(x @ Wx + h @ Wh + b, 4, axis=1)
                c_next = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
                return _sigmoid(o) * np.tanh(c), c_next
        """,
    },
    "gru_step": {
        "reset_applied_before_product": """
            def gru_step(x, h, Wx, Wh, bx, bh):
                H = h.shape[1]
                xr, xz, xn = np.split(x @ Wx + bx, 3, axis=1)
                hr, hz, _ = np.split(h @ Wh + bh, 3, axis=1)
                r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
                n = np.tanh(xn + (r * h) @ Wh[:, 2 * H:] + bh[2 * H:])
                return (1 - z) * n + z * h
        """,
        "update_gate_swapped": """
            def gru_step(x, h, Wx, Wh, bx, bh):
                xr, xz, xn = np.split(x @ Wx + bx, 3, axis=1)
                hr, hz, hn = np.split(h @ Wh + bh, 3, axis=1)
                r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
                return z * np.tanh(xn + r * hn) + (1 - z) * h
        """,
    },
    "sequence_to_class": {
        "mean_uses_last_state": """
            def sequence_to_class(hs, W, b, pooling="last"):
                return hs[:, -1] @ W + b
        """,
        "mean_is_a_sum": """
            def sequence_to_class(hs, W, b, pooling="last"):
                summary = hs[:, -1] if pooling == "last" else hs.sum(axis=1)
                return summary @ W + b
        """,
    },
}


def test_reference_gets_full_marks(tmp_path):
    results = grade_inprocess(submission_with(tmp_path / "sub", "rnn"), ["rnn"])
    assert results.score == results.max_score > 0, [c.message for c in results.checks if c.status != "passed"]


def test_loop_based_float32_friendly_cells_get_full_marks(tmp_path):
    """Per-sample loops, sigmoid as 1/(1+exp(-a)), concatenated gate weights: all fair."""
    loops = """
        def _sig(a):
            with np.errstate(over="ignore"):
                return 1 / (1 + np.exp(-a))

        def rnn_step(x, h, Wx, Wh, b):
            out = np.empty((x.shape[0], Wh.shape[1]), dtype=x.dtype)
            for n in range(x.shape[0]):
                out[n] = np.tanh(x[n] @ Wx + h[n] @ Wh + b)
            return out

        def rnn_forward(xs, h0, Wx, Wh, b):
            hs, h = [], h0
            for t in range(xs.shape[1]):
                h = rnn_step(xs[:, t], h, Wx, Wh, b)
                hs.append(h)
            return np.stack(hs, axis=1)

        def lstm_step(x, h, c, Wx, Wh, b):
            H = h.shape[1]
            a = np.concatenate([x, h], axis=1) @ np.concatenate([Wx, Wh], axis=0) + b
            i, f, g, o = _sig(a[:, :H]), _sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), _sig(a[:, 3 * H:])
            c_next = f * c + i * g
            return o * np.tanh(c_next), c_next

        def gru_step(x, h, Wx, Wh, bx, bh):
            H = h.shape[1]
            gx, gh = x @ Wx + bx, h @ Wh + bh
            r, z = _sig(gx[:, :H] + gh[:, :H]), _sig(gx[:, H:2 * H] + gh[:, H:2 * H])
            n = np.tanh(gx[:, 2 * H:] + r * gh[:, 2 * H:])
            return n + z * (h - n)

        def sequence_to_class(hs, W, b, pooling="last"):
            if pooling not in ("last", "mean"):
                raise ValueError(pooling)
            s = hs[:, -1] if pooling == "last" else np.sum(hs, axis=1) / hs.shape[1]
            return s @ W + b
    """
    results = grade_inprocess(submission_with(tmp_path / "sub", "rnn", loops), ["rnn"])
    assert results.score == results.max_score, [c.message for c in results.checks if c.status != "passed"]


def test_messages_name_the_classic_confusions(tmp_path):
    results = assert_caught(tmp_path, "rnn", "gru_step", WRONG["gru_step"]["reset_applied_before_product"])
    messages = " ".join(c.message or "" for c in results.checks if c.function == "gru_step")
    assert "r applied to h before the product" in messages
    results = assert_caught(tmp_path, "rnn", "lstm_step", WRONG["lstm_step"]["gate_order_ifog"])
    messages = " ".join(c.message or "" for c in results.checks if c.function == "lstm_step")
    assert "the order i, f, o, g" in messages


@pytest.mark.parametrize("seed", range(1, 21))
def test_reference_full_marks_for_every_seed(tmp_path, seed):
    results = grade_inprocess(submission_with(tmp_path / "sub", "rnn"), ["rnn"], seed=seed)
    assert results.score == results.max_score, [c.message for c in results.checks if c.status != "passed"]
