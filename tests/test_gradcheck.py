"""gradcheck (hw2): every function's checks catch deliberately wrong implementations; fair variants pass."""
from __future__ import annotations

from helpers import assert_caught, grade_inprocess, submission_with

WRONG = {
    "forward_difference": {
        "central_difference": """
            def forward_difference(f, x, h=1e-4):
                return float((f(x + h) - f(x - h)) / (2 * h))
        """,
        "wrong_default_step": """
            def forward_difference(f, x, h=1e-2):
                return float((f(x + h) - f(x)) / h)
        """,
    },
    "numerical_gradient": {
        "forward_difference": """
            def numerical_gradient(f, x, h=1e-5):
                x = np.array(x, dtype=float)
                base, grad = f(x), np.zeros_like(x)
                for i in np.ndindex(x.shape):
                    old = x[i]
                    x[i] = old + h
                    grad[i] = (f(x) - base) / h
                    x[i] = old
                return grad
        """,
        "mutates_x": """
            def numerical_gradient(f, x, h=1e-5):
                grad = np.zeros_like(x)
                for i in np.ndindex(x.shape):
                    old = x[i]
                    x[i] = old + h
                    plus = f(x)
                    x[i] = old - h
                    grad[i] = (plus - f(x)) / (2 * h)
                return grad
        """,
        "float64_always": """
            def numerical_gradient(f, x, h=1e-5):
                x = np.array(x, dtype=np.float64)
                grad = np.zeros_like(x)
                for i in np.ndindex(x.shape):
                    old = x[i]
                    x[i] = old + h
                    plus = f(x)
                    x[i] = old - h
                    grad[i] = (plus - f(x)) / (2 * h)
                    x[i] = old
                return grad
        """,
        "fixed_step": """
            def numerical_gradient(f, x, h=1e-5):
                x = np.array(x, copy=True)
                grad = np.zeros_like(x)
                for i in np.ndindex(x.shape):
                    old = x[i]
                    x[i] = old + 1e-5
                    plus = f(x)
                    x[i] = old - 1e-5
                    grad[i] = (plus - f(x)) / 2e-5
                    x[i] = old
                return grad
        """,
        "f_sees_flat_x": """
            def numerical_gradient(f, x, h=1e-5):
                flat = np.array(x, dtype=x.dtype).ravel()
                grad = np.zeros_like(flat)
                for i in range(flat.size):
                    old = flat[i]
                    flat[i] = old + h
                    plus = f(flat)
                    flat[i] = old - h
                    grad[i] = (plus - f(flat)) / (2 * h)
                    flat[i] = old
                return grad.reshape(x.shape)
        """,
    },
    "relative_error": {
        "no_eps_floor": """
            def relative_error(a, b, eps=1e-12):
                a, b = np.asarray(a, float), np.asarray(b, float)
                with np.errstate(invalid="ignore"):
                    return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))
        """,
        "mean_not_max": """
            def relative_error(a, b, eps=1e-12):
                a, b = np.asarray(a, float), np.asarray(b, float)
                return float(np.mean(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps)))
        """,
        "eps_ignored": """
            def relative_error(a, b, eps=1e-12):
                a, b = np.asarray(a, float), np.asarray(b, float)
                return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)))
        """,
    },
    "gradient_check": {
        "comparison_reversed": """
            def gradient_check(f, grad_f, x, h=1e-5, tol=1e-6):
                err = relative_error(grad_f(x.copy()), numerical_gradient(f, x, h))
                return err >= tol, err
        """,
        "tol_ignored": """
            def gradient_check(f, grad_f, x, h=1e-5, tol=1e-6):
                err = relative_error(grad_f(x.copy()), numerical_gradient(f, x, h))
                return err <= 1e-6, err
        """,
        "strict_comparison": """
            def gradient_check(f, grad_f, x, h=1e-5, tol=1e-6):
                err = relative_error(grad_f(x.copy()), numerical_gradient(f, x, h))
                return err < tol, err
        """,
        "h_not_passed_on": """
            def gradient_check(f, grad_f, x, h=1e-5, tol=1e-6):
                err = relative_error(grad_f(x.copy()), numerical_gradient(f, x))
                return err <= tol, err
        """,
        "returns_only_ok": """
            def gradient_check(f, grad_f, x, h=1e-5, tol=1e-6):
                return relative_error(grad_f(x.copy()), numerical_gradient(f, x, h)) <= tol
        """,
    },
}


# tests/test_wrong_implementations.py grades every WRONG entry; these flaws must fail their own check:
# the contract's clarification "numerical_gradient uses the step h it is given" has one.
CAUGHT_BY = {"numerical_gradient": {"fixed_step": "hw2.gradcheck.numerical_gradient.uses_h"},
             "gradient_check": {"h_not_passed_on": "hw2.gradcheck.gradient_check.uses_h"}}


def test_a_wrong_numerical_gradient_is_charged_once(tmp_path):
    """gradient_check built on a numerical_gradient that ignores h: only numerical_gradient loses points."""
    results = grade_inprocess(submission_with(tmp_path / "sub", "gradcheck",
                                              WRONG["numerical_gradient"]["fixed_step"]), ["gradcheck"])
    lost = {c.id for c in results.checks if c.status != "passed"}
    assert lost and all(".numerical_gradient." in i for i in lost), lost


def test_in_place_restoring_and_other_fair_variants_get_full_marks(tmp_path):
    # Perturbs the caller's x in place but restores it, evaluates f(x) once more than needed,
    # divides by 2h even in float32, returns a 0-d array and a numpy bool in a list.
    variants = """
        def forward_difference(f, x, h=1e-4):
            fx = f(x)
            return (f(x + h) - fx) * (1.0 / h)

        def numerical_gradient(f, x, h=1e-5):
            f(x)
            grad = np.zeros_like(x)
            for i in np.ndindex(x.shape):
                old = x[i]
                x[i] = old + h
                plus = f(x)
                x[i] = old - h
                minus = f(x)
                x[i] = old
                grad[i] = (plus - minus) / (2 * h)
            return grad

        def relative_error(a, b, eps=1e-12):
            num = np.abs(np.subtract(a, b, dtype=np.float64))
            return np.max(num / np.maximum(np.abs(a) + np.abs(b), eps))

        def gradient_check(f, grad_f, x, h=1e-5, tol=1e-6):
            err = relative_error(grad_f(x.copy()), numerical_gradient(f, x.copy(), h))
            return [np.bool_(err <= tol), np.float64(err)]
    """
    results = grade_inprocess(submission_with(tmp_path / "sub", "gradcheck", variants), ["gradcheck"])
    assert results.score == results.max_score, [c.message for c in results.checks if c.status != "passed"]


def test_lecture_example_message_names_the_central_difference(tmp_path):
    results = assert_caught(tmp_path, "gradcheck", "forward_difference",
                            WRONG["forward_difference"]["central_difference"])
    check = next(c for c in results.checks if c.id.endswith("forward_difference.lecture_example"))
    assert "central difference" in check.message and "0.9999" in check.message
