"""mlp (hw1): every function's checks catch deliberately wrong implementations."""
from __future__ import annotations

from helpers import assert_caught, grade_inprocess, submission_with

WRONG = {
    "two_layer_forward": {
        "relu_before_bias": """
            def two_layer_forward(X, W, c, w, b):
                return np.maximum(X @ W, 0) @ w + c @ w + b
        """,
        "no_relu": """
            def two_layer_forward(X, W, c, w, b):
                return (X @ W + c) @ w + b
        """,
        "float64_always": """
            def two_layer_forward(X, W, c, w, b):
                return np.maximum(np.asarray(X, np.float64) @ W + c, 0) @ w + b
        """,
    },
    "xor_params": {
        "sign_of_w_flipped": """
            def xor_params():
                return np.ones((2, 2)), np.array([0.0, -1.0]), np.array([1.0, 2.0]), 0.0
        """,
    },
    "mlp_forward": {
        "activation_after_last_layer": """
            def mlp_forward(X, weights, biases, activation="relu"):
                h = X
                for W, b in zip(weights, biases):
                    h = _act(h @ W + b, activation)
                return h

            def _act(z, name):
                return {"relu": lambda z: np.maximum(z, 0), "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
                        "tanh": np.tanh, "identity": lambda z: z}[name](z)
        """,
        "ignores_activation_argument": """
            def mlp_forward(X, weights, biases, activation="relu"):
                h = X
                for i, (W, b) in enumerate(zip(weights, biases)):
                    h = h @ W + b
                    if i < len(weights) - 1:
                        h = np.maximum(h, 0)
                return h
        """,
    },
    "collapse_linear": {
        "biases_just_summed": """
            def collapse_linear(weights, biases):
                W = weights[0]
                for M in weights[1:]:
                    W = W @ M
                return W, sum(biases)
        """,
        "bias_as_a_column": """
            def collapse_linear(weights, biases):
                W, B = weights[0], biases[0]
                for M, c in zip(weights[1:], biases[1:]):
                    W, B = W @ M, B @ M + c
                return W, B[:, None]
        """,
    },
}


def test_another_exact_xor_solution_gets_full_marks(tmp_path):
    other = """
        def xor_params():
            W = np.array([[1.0, -1.0, 0.5], [-1.0, 1.0, 0.5]])
            return W, np.zeros(3), np.array([1.0, 1.0, 0.0]), 0.0
    """
    results = grade_inprocess(submission_with(tmp_path / "sub", "mlp", other), ["mlp"])
    assert results.score == results.max_score


def test_loop_based_float32_forward_gets_full_marks(tmp_path):
    loops = """
        def two_layer_forward(X, W, c, w, b):
            out = np.empty(X.shape[0], dtype=X.dtype)
            for n in range(X.shape[0]):
                h = [max(0.0, sum(X[n, d] * W[d, j] for d in range(X.shape[1])) + c[j]) for j in range(W.shape[1])]
                out[n] = sum(h[j] * w[j] for j in range(len(h))) + b
            return out
    """
    results = grade_inprocess(submission_with(tmp_path / "sub", "mlp", loops), ["mlp"])
    assert results.score == results.max_score, [c.message for c in results.checks if c.status != "passed"]


def test_torch_inside_a_numpy_exercise_is_flagged(tmp_path):
    uses_torch = """
        def two_layer_forward(X, W, c, w, b):
            import torch
            t = torch.relu(torch.as_tensor(X) @ torch.as_tensor(W) + torch.as_tensor(c))
            return (t @ torch.as_tensor(w) + b).numpy()
    """
    results = assert_caught(tmp_path, "mlp", "two_layer_forward", uses_torch)
    message = next(c.message for c in results.checks if c.function == "two_layer_forward")
    assert "uses torch" in message


def test_xor_params_with_a_string_bias_fails_not_crashes(tmp_path):
    odd = """
        def xor_params():
            return np.ones((2, 2)), np.zeros(2), np.ones(2), "abc"
    """
    results = assert_caught(tmp_path, "mlp", "xor_params", odd)
    check = next(c for c in results.checks if c.function == "xor_params")
    assert check.status == "failed" and "expected a float" in check.message


def test_collapse_linear_with_a_row_bias_gets_full_marks(tmp_path):
    """The contract's clarification: B may be a (1, D_L) row (X @ W + B is the same)."""
    row = """
        def collapse_linear(weights, biases):
            W, B = weights[0], biases[0][None, :]
            for M, c in zip(weights[1:], biases[1:]):
                W, B = W @ M, B @ M + c
            return W, B
    """
    results = grade_inprocess(submission_with(tmp_path / "sub", "mlp", row), ["mlp"])
    assert results.score == results.max_score, [c.message for c in results.checks if c.status != "passed"]
