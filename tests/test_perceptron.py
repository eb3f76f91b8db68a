"""perceptron (hw1): every function's checks catch deliberately wrong implementations."""
from __future__ import annotations

from helpers import assert_caught, grade_inprocess, statuses, submission_with

WRONG = {
    "sign": {
        "np_sign_zero_is_zero": """
            def sign(z):
                return np.sign(z).astype(np.float64)
        """,
        "zero_is_minus_one": """
            def sign(z):
                z = np.asarray(z)
                return np.where(z > 0, 1.0, -1.0).astype(_float_dtype(z))
        """,
        "float64_always": """
            def sign(z):
                return np.where(np.asarray(z) >= 0, 1.0, -1.0)
        """,
    },
    "perceptron_predict": {
        "bias_missing": """
            def perceptron_predict(X, w, b):
                return sign(X @ w)
        """,
        "np_sign": """
            def perceptron_predict(X, w, b):
                return np.sign(X @ w + b)
        """,
        "float64_always": """
            def perceptron_predict(X, w, b):
                return sign(X @ w + b).astype(np.float64)
        """,
    },
    "perceptron_train": {
        "strict_mistake_test": """
            def perceptron_train(X, y, lr=1.0, epochs=100):
                w, b, errors = np.zeros(X.shape[1], dtype=X.dtype), 0.0, []
                for _ in range(epochs):
                    mistakes = 0
                    for x_i, y_i in zip(X, y):
                        if y_i * (x_i @ w + b) < 0:
                            w = w + lr * y_i * x_i
                            b += lr * y_i
                            mistakes += 1
                    errors.append(mistakes)
                    if mistakes == 0:
                        break
                return w, float(b), errors
        """,
        "no_early_stop": """
            def perceptron_train(X, y, lr=1.0, epochs=100):
                w, b, errors = np.zeros(X.shape[1], dtype=X.dtype), 0.0, []
                for _ in range(epochs):
                    mistakes = 0
                    for x_i, y_i in zip(X, y):
                        if y_i * (x_i @ w + b) <= 0:
                            w = w + lr * y_i * x_i
                            b += lr * y_i
                            mistakes += 1
                    errors.append(mistakes)
                return w, float(b), errors
        """,
        "shuffles_samples": """
            def perceptron_train(X, y, lr=1.0, epochs=100):
                rng = np.random.default_rng(0)
                w, b, errors = np.zeros(X.shape[1], dtype=X.dtype), 0.0, []
                for _ in range(epochs):
                    mistakes = 0
                    for i in rng.permutation(len(X)):
                        if y[i] * (X[i] @ w + b) <= 0:
                            w = w + lr * y[i] * X[i]
                            b += lr * y[i]
                            mistakes += 1
                    errors.append(mistakes)
                    if mistakes == 0:
                        break
                return w, float(b), errors
        """,
        "bias_without_lr": """
            def perceptron_train(X, y, lr=1.0, epochs=100):
                w, b, errors = np.zeros(X.shape[1], dtype=X.dtype), 0.0, []
                for _ in range(epochs):
                    mistakes = 0
                    for x_i, y_i in zip(X, y):
                        if y_i * (x_i @ w + b) <= 0:
                            w = w + lr * y_i * x_i
                            b += y_i
                            mistakes += 1
                    errors.append(mistakes)
                    if mistakes == 0:
                        break
                return w, float(b), errors
        """,
        "float64_weights": """
            def perceptron_train(X, y, lr=1.0, epochs=100):
                w, b, errors = np.zeros(X.shape[1]), 0.0, []
                for _ in range(epochs):
                    mistakes = 0
                    for x_i, y_i in zip(X, y):
                        if y_i * (x_i @ w + b) <= 0:
                            w = w + lr * y_i * x_i
                            b += lr * y_i
                            mistakes += 1
                    errors.append(mistakes)
                    if mistakes == 0:
                        break
                return w, float(b), errors
        """,
    },
    "logic_gate": {
        "or_weights_for_and": """
            def logic_gate(name):
                table = {"AND": ([1.0, 1.0], -0.5), "OR": ([1.0, 1.0], -0.5), "NAND": ([-1.0, -1.0], 1.5)}
                if name not in table:
                    raise ValueError(name)
                return np.array(table[name][0]), table[name][1]
        """,
        "nand_without_boundary_margin": """
            def logic_gate(name):
                table = {"AND": ([1.0, 1.0], -1.5), "OR": ([1.0, 1.0], -0.5), "NAND": ([-1.0, -1.0], 2.0)}
                if name not in table:
                    raise ValueError(name)
                return np.array(table[name][0]), table[name][1]
        """,
        "any_capitalisation": """
            def logic_gate(name):
                table = {"AND": ([1.0, 1.0], -1.5), "OR": ([1.0, 1.0], -0.5), "NAND": ([-1.0, -1.0], 1.5)}
                if name.upper() not in table:
                    raise ValueError(name)
                w, b = table[name.upper()]
                return np.array(w), b
        """,
        "xor_gets_weights": """
            def logic_gate(name):
                table = {"AND": ([1.0, 1.0], -1.5), "OR": ([1.0, 1.0], -0.5), "NAND": ([-1.0, -1.0], 1.5)}
                w, b = table.get(name, ([1.0, 1.0], -1.0))
                return np.array(w), b
        """,
    },
}


# tests/test_wrong_implementations.py grades every WRONG entry; these flaws must fail their own check:
# the contract's clarification (only the four names, exactly) has one.
CAUGHT_BY = {"logic_gate": {"any_capitalisation": "hw1.perceptron.logic_gate.unknown_name_raises"}}


def test_no_early_stop_is_caught_by_the_rosenblatt_check(tmp_path):
    results = assert_caught(tmp_path, "perceptron", "perceptron_train", WRONG["perceptron_train"]["no_early_stop"])
    assert statuses(results)["hw1.perceptron.perceptron_train.rosenblatt_separable"] == "failed"
    message = next(c.message for c in results.checks if c.id.endswith("rosenblatt_separable"))
    assert "stop right after it" in message


def test_other_valid_gate_weights_get_full_marks(tmp_path):
    # Scaled weights, and weights whose score is exactly 0 on a True input (sgn(0) = +1 makes them valid).
    other = """
        def logic_gate(name):
            table = {"AND": ([1.0, 1.0], -2.0), "OR": ([3.0, 3.0], -1.0), "NAND": ([-0.5, -0.5], 0.5)}
            if name not in table:
                raise ValueError("no perceptron computes " + name)
            return np.array(table[name][0]), table[name][1]
    """
    results = grade_inprocess(submission_with(tmp_path / "sub", "perceptron", other), ["perceptron"])
    assert results.score == results.max_score, [c.message for c in results.checks if c.status != "passed"]


def test_float64_loop_cast_back_gets_full_marks(tmp_path):
    # Computing in float64 and returning w in X's dtype is a fair way to meet the float32 convention.
    other = """
        def perceptron_train(X, y, lr=1.0, epochs=100):
            X64 = np.asarray(X, dtype=np.float64)
            w, b, errors = [0.0] * X64.shape[1], 0.0, []
            for _ in range(epochs):
                mistakes = 0
                for i in range(len(X64)):
                    score = sum(w[d] * X64[i, d] for d in range(len(w))) + b
                    if y[i] * score <= 0:
                        w = [w[d] + lr * y[i] * X64[i, d] for d in range(len(w))]
                        b = b + lr * y[i]
                        mistakes += 1
                errors.append(mistakes)
                if mistakes == 0:
                    break
            return np.array(w, dtype=X.dtype), float(b), errors
    """
    results = grade_inprocess(submission_with(tmp_path / "sub", "perceptron", other), ["perceptron"])
    assert results.score == results.max_score, [c.message for c in results.checks if c.status != "passed"]
