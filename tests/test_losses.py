"""losses (hw2): every function's checks catch deliberately wrong implementations; fair variants pass."""
from __future__ import annotations

from helpers import assert_caught, grade_inprocess, submission_with

WRONG = {
    "mse": {
        "sum_not_mean": """
            def mse(pred, target):
                return float(np.sum((pred - target) ** 2))
        """,
        "root_mean_square": """
            def mse(pred, target):
                return float(np.sqrt(np.mean((pred - target) ** 2)))
        """,
    },
    "mae": {
        "no_absolute_value": """
            def mae(pred, target):
                return float(np.mean(pred - target))
        """,
        "mean_over_batch_axis_only": """
            def mae(pred, target):
                return float(np.sum(np.abs(pred - target)) / len(pred))
        """,
    },
    "mse_grad": {
        "missing_1_over_n": """
            def mse_grad(pred, target):
                return 2 * (pred - target)
        """,
        "batch_axis_only": """
            def mse_grad(pred, target):
                return 2 * (pred - target) / pred.shape[0]
        """,
        "float64_always": """
            def mse_grad(pred, target):
                return 2 * (pred.astype(np.float64) - target) / pred.size
        """,
    },
    "mae_grad": {
        "sign_of_zero_is_one": """
            def mae_grad(pred, target):
                return np.where(pred - target >= 0, 1.0, -1.0).astype(pred.dtype) / pred.size
        """,
        "missing_1_over_n": """
            def mae_grad(pred, target):
                return np.sign(pred - target)
        """,
    },
    "softmax": {
        "no_max_subtraction": """
            def softmax(logits, axis=-1):
                e = np.exp(logits)
                return e / np.sum(e, axis=axis, keepdims=True)
        """,
        "ignores_axis": """
            def softmax(logits, axis=-1):
                e = np.exp(logits - logits.max(axis=-1, keepdims=True))
                return e / e.sum(axis=-1, keepdims=True)
        """,
        "global_max_subtracted": """
            def softmax(logits, axis=-1):
                e = np.exp(logits - logits.max())
                return e / e.sum(axis=axis, keepdims=True)
        """,
    },
    "cross_entropy": {
        "sum_not_mean": """
            def cross_entropy(logits, labels):
                z = logits - logits.max(axis=1, keepdims=True)
                return float(np.sum(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(labels)), labels]))
        """,
        "log_of_softmax": """
            def cross_entropy(logits, labels):
                p = softmax(logits, axis=1)
                with np.errstate(divide="ignore"):
                    return float(-np.mean(np.log(p[np.arange(len(labels)), labels])))
        """,
    },
    "cross_entropy_grad": {
        "missing_1_over_n": """
            def cross_entropy_grad(logits, labels):
                g = softmax(logits, axis=1)
                g[np.arange(len(labels)), labels] -= 1
                return g
        """,
        "onehot_not_subtracted": """
            def cross_entropy_grad(logits, labels):
                return softmax(logits, axis=1) / logits.shape[0]
        """,
        "float64_always": """
            def cross_entropy_grad(logits, labels):
                g = softmax(logits.astype(np.float64), axis=1)
                g[np.arange(len(labels)), labels] -= 1
                return g / len(labels)
        """,
    },
    "binary_cross_entropy": {
        "sign_error": """
            def binary_cross_entropy(p, y):
                return float(np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        """,
        "labels_swapped": """
            def binary_cross_entropy(p, y):
                return float(-np.mean((1 - y) * np.log(p) + y * np.log(1 - p)))
        """,
    },
}


def test_softmax_through_torch_is_flagged(tmp_path):
    uses_torch = """
        def softmax(logits, axis=-1):
            import torch
            return torch.softmax(torch.as_tensor(logits), dim=axis).numpy()
    """
    results = assert_caught(tmp_path, "losses", "softmax", uses_torch)
    messages = [c.message for c in results.checks if c.function == "softmax"]
    assert all("uses torch" in m for m in messages), messages


def test_loop_based_float32_friendly_losses_get_full_marks(tmp_path):
    # Row-by-row loops, math.log/exp on Python floats for the losses, np.where masks for the
    # gradients, integer labels converted: different from the reference, equally correct.
    loops = """
        import math

        def mse(pred, target):
            diff = (np.asarray(pred, np.float64) - target).ravel()
            return sum(d * d for d in diff) / diff.size

        def mae_grad(pred, target):
            d = pred - target
            return np.where(d > 0, 1, np.where(d < 0, -1, 0)).astype(pred.dtype) / d.size

        def softmax(logits, axis=-1):
            z = np.moveaxis(logits, axis, -1)
            out = np.empty_like(z)
            for idx in np.ndindex(*z.shape[:-1]):
                row = z[idx] - z[idx].max()
                e = np.exp(row)
                out[idx] = e / e.sum()
            return np.moveaxis(out, -1, axis)

        def cross_entropy(logits, labels):
            total = 0.0
            for row, y in zip(logits.astype(np.float64), labels):
                m = max(row)
                total += m + math.log(sum(math.exp(v - m) for v in row)) - row[int(y)]
            return total / len(labels)

        def binary_cross_entropy(p, y):
            return float(np.mean(-np.where(y == 1, np.log(p), np.log(1 - p))))
    """
    results = grade_inprocess(submission_with(tmp_path / "sub", "losses", loops), ["losses"])
    assert results.score == results.max_score, [c.message for c in results.checks if c.status != "passed"]
