"""backprop (hw2): every function's checks catch deliberately wrong implementations; fair variants pass."""
from __future__ import annotations

from helpers import grade_inprocess, submission_with

WRONG = {
    "neuron_forward": {
        "no_bias": """
            def neuron_forward(x, w, b):
                y = 1 / (1 + np.exp(-(x @ w)))
                return y, (x, w, y)
        """,
        "no_sigmoid": """
            def neuron_forward(x, w, b):
                y = x @ w + b
                return y, (x, w, y)
        """,
    },
    "neuron_backward": {
        "missing_sigmoid_derivative": """
            def neuron_backward(dy, cache):
                x, w, y_hat = cache
                return np.outer(dy, w), x.T @ dy, float(np.sum(dy))
        """,
        "db_not_summed": """
            def neuron_backward(dy, cache):
                x, w, y_hat = cache
                dz = dy * y_hat * (1 - y_hat)
                return np.outer(dz, w), x.T @ dz, dz
        """,
    },
    "affine_forward": {
        "bias_missing": """
            def affine_forward(x, W, b):
                return x @ W, (x, W)
        """,
    },
    "affine_backward": {
        "db_not_summed": """
            def affine_backward(dout, cache):
                x, W = cache
                return dout @ W.T, x.T @ dout, dout
        """,
        "dW_transposed": """
            def affine_backward(dout, cache):
                x, W = cache
                return dout @ W.T, dout.T @ x, dout.sum(axis=0)
        """,
        "db_averaged": """
            def affine_backward(dout, cache):
                x, W = cache
                return dout @ W.T, x.T @ dout, dout.mean(axis=0)
        """,
    },
    "relu_forward": {
        "in_place": """
            def relu_forward(x):
                x[x < 0] = 0
                return x, x
        """,
    },
    "relu_backward": {
        "gradient_one_at_zero": """
            def relu_backward(dout, cache):
                return np.where(cache >= 0, dout, 0)
        """,
        "mask_on_dout": """
            def relu_backward(dout, cache):
                return np.where(dout > 0, dout, 0)
        """,
    },
    "sgd_step": {
        "modifies_in_place": """
            def sgd_step(params, grads, lr):
                for name in params:
                    params[name] -= lr * grads[name]
                return params
        """,
        "gradient_ascent": """
            def sgd_step(params, grads, lr):
                return {k: p + lr * grads[k] for k, p in params.items()}
        """,
    },
    "two_layer_net": {
        "softmax_shifted_by_the_row_minimum": """
            def _softmax_rows(scores):
                with np.errstate(over="ignore", invalid="ignore"):
                    e = np.exp(scores - scores.min(axis=1, keepdims=True))  # overflows for spread scores
                    return e / e.sum(axis=1, keepdims=True)
        """,
        "missing_relu_mask_in_backward": """
            def two_layer_net(params, X, y=None):
                h = X @ params["W1"] + params["b1"]
                a = np.maximum(h, 0)
                scores = a @ params["W2"] + params["b2"]
                if y is None:
                    return scores
                n = len(y)
                p = np.exp(scores - scores.max(axis=1, keepdims=True))
                p /= p.sum(axis=1, keepdims=True)
                loss = float(-np.mean(np.log(p[np.arange(n), y])))
                d = p.copy()
                d[np.arange(n), y] -= 1
                d /= n
                da = d @ params["W2"].T
                return loss, {"W1": X.T @ da, "b1": da.sum(axis=0), "W2": a.T @ d, "b2": d.sum(axis=0)}
        """,
        "softmax_scores": """
            def two_layer_net(params, X, y=None, _net=two_layer_net):
                if y is None:
                    s = _net(params, X)
                    e = np.exp(s - s.max(axis=1, keepdims=True))
                    return e / e.sum(axis=1, keepdims=True)
                return _net(params, X, y)
        """,
        "loss_summed": """
            def two_layer_net(params, X, y=None, _net=two_layer_net):
                if y is None:
                    return _net(params, X)
                loss, grads = _net(params, X, y)
                return loss * len(y), grads
        """,
    },
    "train_xor": {
        "untrained_random_params": """
            def train_xor(seed=0):
                rng = np.random.default_rng(seed)
                return {"W1": rng.normal(size=(2, 16)), "b1": np.full(16, 0.1),
                        "W2": rng.normal(0, 0.5, size=(16, 2)), "b2": np.zeros(2)}
        """,
        "unseeded_generator": """
            def train_xor(seed=0, _train=train_xor):
                return _train(int(np.random.default_rng().integers(0, 2000)))
        """,
        "seed_ignored": """
            def train_xor(seed=0, _train=train_xor):
                return _train(0)
        """,
        "default_seed_1": """
            def train_xor(seed=1, _train=train_xor):
                return _train(seed)
        """,
    },
}


def test_loop_based_layers_and_other_training_get_full_marks(tmp_path):
    # Loops instead of matrix products, a dict cache, an sgd_step on copies, and a train_xor with
    # other hyperparameters (8 hidden units, lr 1.0, 1000 steps): all within the contract.
    variants = """
        def affine_forward(x, W, b):
            out = np.zeros((x.shape[0], W.shape[1]), dtype=x.dtype)
            for n in range(x.shape[0]):
                for m in range(W.shape[1]):
                    out[n, m] = sum(x[n, d] * W[d, m] for d in range(x.shape[1])) + b[m]
            return out, {"x": x.copy(), "W": W.copy()}

        def affine_backward(dout, cache):
            x, W = cache["x"], cache["W"]
            dx, dW, db = np.zeros_like(x), np.zeros_like(W), np.zeros(W.shape[1], dtype=dout.dtype)
            for n in range(x.shape[0]):
                dx[n] = W @ dout[n]
                dW += np.outer(x[n], dout[n])
                db += dout[n]
            return dx, dW, db

        def sgd_step(params, grads, lr):
            new = {k: v.copy() for k, v in params.items()}
            for k in new:
                new[k] -= lr * grads[k]
            return new

        def train_xor(seed=0):
            X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
            y = np.array([0, 1, 1, 0])
            rng = np.random.default_rng(seed)
            params = {"W1": rng.normal(size=(2, 8)), "b1": rng.uniform(0.0, 0.2, size=8),
                      "W2": rng.normal(scale=0.5, size=(8, 2)), "b2": np.zeros(2)}
            for _ in range(1000):
                params = sgd_step(params, two_layer_net(params, X, y)[1], 1.0)
            return params
    """
    results = grade_inprocess(submission_with(tmp_path / "sub", "backprop", variants), ["backprop"])
    assert results.score == results.max_score, [c.message for c in results.checks if c.status != "passed"]
