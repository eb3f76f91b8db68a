"""Checks for gradcheck (hw2): the numerical method (数值法) that tests the analytic one (解析法).

The student's functions take callables, so every call goes through the child-side driver
``drivers/gradcheck.run``: the judge names a function from a small family (plain data), the driver
builds it, calls the student's code and reports the answer with what f saw. Expected values are
closed forms computed here in float64.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..compare import as_float, as_sequence, expect_array, expect_float, expect_true, shapes
from ..context import Context
from ..gradients import expect_gradient
from ..oracles import oracle
from ..registry import check

HINT_FORWARD = ("Lecture part 2, 梯度计算方法：数值法: dL/dw ~ (L(w + h) - L(w)) / h, a one-sided (forward) "
                "difference; L(w) = w^2 at w = 1 with h = 0.0001 gives 2.0001, not the exact 2.")
HINT_NUMERICAL = ("Lecture part 2, 数值法: perturb one element at a time by +h and -h, evaluate f on the whole "
                  "array (same shape as x), and divide the difference by 2h; restore the element afterwards.")
HINT_RELATIVE = ("relative_error is max over elements of |a - b| / max(|a| + |b|, eps): the largest, not the mean, "
                 "and eps only guards 0/0 where a and b are both zero.")
HINT_CHECK = ("gradient_check compares grad_f(x) (解析法) with numerical_gradient(f, x, h) (数值法) by "
              "relative_error and returns (error <= tol, error). It relies on your numerical_gradient.")


# --------------------------------------------------------------------------- the judge's functions

@oracle
def _value(spec: dict, x: np.ndarray) -> float:
    """The judge's own f for a function spec (the same family the driver builds)."""
    x = np.asarray(x, dtype=np.float64)
    kind = spec["kind"]
    if kind == "power":
        return float(np.sum(x ** spec["p"]))
    if kind == "cubic":
        c3, c2, c1, c0 = spec["coef"]
        return float(np.sum(c3 * x ** 3 + c2 * x ** 2 + c1 * x + c0))
    if kind == "quadratic_form":
        v = x.reshape(-1)
        return float(0.5 * v @ spec["A"] @ v + spec["b"] @ v)
    if kind == "sin_sum":
        return float(np.sum(np.sin(x)))
    raise ValueError(kind)


@oracle
def _gradient(spec: dict, x: np.ndarray) -> np.ndarray:
    """The exact gradient of ``_value``, from the math."""
    x = np.asarray(x, dtype=np.float64)
    kind = spec["kind"]
    if kind == "power":
        return spec["p"] * x ** (spec["p"] - 1)
    if kind == "cubic":
        c3, c2, c1, _ = spec["coef"]
        return 3 * c3 * x ** 2 + 2 * c2 * x + c1
    if kind == "quadratic_form":
        A = spec["A"]
        return ((A + A.T) @ x.reshape(-1) / 2 + spec["b"]).reshape(x.shape)
    if kind == "sin_sum":
        return np.cos(x)
    raise ValueError(kind)


@oracle
def _one_sided(spec: dict, x: np.ndarray, h: float) -> np.ndarray:
    """Forward differences (f(x + h e_i) - f(x)) / h: the classic confusion with central ones."""
    x = np.asarray(x, dtype=np.float64)
    base, out = _value(spec, x), np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        step = x.copy()
        step[i] += h
        out[i] = (_value(spec, step) - base) / h
    return out


@oracle
def _central(spec: dict, x: np.ndarray, h: float) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        plus, minus = x.copy(), x.copy()
        plus[i] += h
        minus[i] -= h
        out[i] = (_value(spec, plus) - _value(spec, minus)) / (2 * h)
    return out


@oracle
def _rel_error(a: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps)))


def _describe(spec: dict) -> str:
    kind = spec["kind"]
    if kind == "power":
        return f"f(x) = sum(x**{spec['p']})"
    if kind == "cubic":
        return "f(x) = sum({:g} x^3 + {:g} x^2 + {:g} x + {:g})".format(*spec["coef"])
    if kind == "quadratic_form":
        return f"f(x) = 0.5 x.A.x + b.x (A {spec['A'].shape}, x flattened)"
    return "f(x) = sum(sin(x))"


def _drive(ctx: Context, function: str, f: dict, x: Any, grad_f: dict | None = None, **kwargs: Any) -> dict:
    payload = {"function": function, "f": f, "x": x, "kwargs": kwargs}
    if grad_f is not None:
        payload["grad_f"] = grad_f
    return ctx.drive("gradcheck.run", payload)


def _spread(rng: np.random.Generator, shape: tuple[int, ...], low: float = 0.5, high: float = 2.0) -> np.ndarray:
    """Values with low <= |x| <= high: derivatives of the test functions stay well away from 0."""
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _expect_bool(value: Any, what: str, case: str) -> bool:
    expect_true(isinstance(value, (bool, np.bool_)), what, case,
                f"ok should be a bool (True or False), got {type(value).__name__} {value!r}"[:300])
    return bool(value)


# --------------------------------------------------------------------------- forward_difference

@check("hw2.gradcheck.forward_difference.lecture_example", hint=HINT_FORWARD)
def forward_difference_lecture_example(ctx: Context) -> None:
    got = _drive(ctx, "forward_difference", {"kind": "power", "p": 2}, 1.0, h=1e-4)
    case = f"f(w) = w^2, x = 1.0, h = 1e-4; your function evaluated f at {got['points']}"
    # ((1 + 1e-4)^2 - 1) / 1e-4 = 2.0001; float64 rounding of the difference is ~1e-12.
    expect_float(got["value"], 2.0001, "forward_difference, the lecture's example", case, rtol=0, atol=1e-8,
                 hint_on={"the central difference (f(x+h) - f(x-h)) / 2h, or the exact derivative": 2.0})


@check("hw2.gradcheck.forward_difference.random", hint=HINT_FORWARD)
def forward_difference_random(ctx: Context) -> None:
    for h in (None, 1e-3, 1e-2, 0.5):
        coef = [float(c) for c in ctx.rng.normal(size=4)]
        spec = {"kind": "cubic", "coef": coef}
        x = float(ctx.rng.uniform(-2, 2))
        step = 1e-4 if h is None else h  # the contract's default step
        got = _drive(ctx, "forward_difference", spec, x, **({} if h is None else {"h": h}))
        want = (_value(spec, np.array(x + step)) - _value(spec, np.array(x))) / step
        central = (_value(spec, np.array(x + step)) - _value(spec, np.array(x - step))) / (2 * step)
        case = (f"{ctx.seed_note}, {_describe(spec)}, x = {x!r}, h = {'default (1e-4)' if h is None else h}; "
                f"f was evaluated at {got['points']}")
        # Rounding in f(x+h) - f(x) is ~1e-16 * |f| / h <= 1e-11 here; a different order of the
        # same formula stays far inside 1e-7, while the central difference differs by ~h*f''/2.
        expect_float(got["value"], want, "forward_difference", case, rtol=1e-7, atol=1e-7,
                     hint_on={"the central difference (f(x+h) - f(x-h)) / 2h": central})


# --------------------------------------------------------------------------- numerical_gradient

def _numerical_case(ctx: Context, spec: dict, x: np.ndarray, got: dict, h: float | None) -> str:
    return (f"{ctx.seed_note}, {_describe(spec)}, {shapes(x=x)}, h = {'default (1e-5)' if h is None else h}; "
            f"f was called {got['calls']} times with shapes {got['shapes']}")


def _expect_shapes_seen(got: dict, x: np.ndarray, case: str) -> None:
    seen = [tuple(s) for s in got["shapes"]]
    expect_true(seen == [x.shape], "numerical_gradient", case,
                f"f must be called with arrays of x's shape {x.shape}, but it received shapes {seen}")


@check("hw2.gradcheck.numerical_gradient.simple_example", hint=HINT_NUMERICAL)
def numerical_gradient_simple_example(ctx: Context) -> None:
    x = np.array([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]])
    spec = {"kind": "power", "p": 2}
    got = _drive(ctx, "numerical_gradient", spec, x)
    case = (f"f(x) = sum(x**2), x = {x.tolist()}, default h; f was called {got['calls']} times "
            f"with shapes {got['shapes']}")
    _expect_shapes_seen(got, x, case)
    # Central differences of a quadratic are exact up to rounding ~1e-16 * |f| / h ~ 1e-10.
    expect_array(got["value"], 2 * x, "numerical_gradient of sum(x**2)", case, rtol=1e-6, atol=1e-6,
                 dtype=np.float64)


@check("hw2.gradcheck.numerical_gradient.known_gradients", hint=HINT_NUMERICAL)
def numerical_gradient_known_gradients(ctx: Context) -> None:
    n = 6
    A = ctx.rng.normal(size=(n, n))
    cases = [
        ({"kind": "sin_sum"}, ctx.rng.uniform(-3, 3, size=7), None),
        ({"kind": "quadratic_form", "A": A, "b": ctx.rng.normal(size=n)}, ctx.rng.normal(size=(2, 3)), None),
        ({"kind": "cubic", "coef": [float(c) for c in ctx.rng.normal(size=4)]}, ctx.rng.normal(size=(2, 3, 2)), 1e-6),
        ({"kind": "power", "p": 4}, ctx.rng.normal(size=(3, 1, 2)), 1e-4),
    ]
    for spec, x, h in cases:
        got = _drive(ctx, "numerical_gradient", spec, x, **({} if h is None else {"h": h}))
        case = _numerical_case(ctx, spec, x, got, h)
        _expect_shapes_seen(got, x, case)
        # Central differences: truncation ~h^2 |f'''| <= 1e-7 (h = 1e-4, x^4) and rounding
        # ~1e-16 |f| / h <= 1e-9. The floor 1e-2 turns tol 1e-6 into an absolute 1e-8 near zero.
        expect_gradient(got["value"], _gradient(spec, x), "numerical_gradient", case, tol=2e-6, floor=1e-2,
                        dtype=np.float64)


@check("hw2.gradcheck.numerical_gradient.central", hint=(
    "Use the central difference (f(x + h) - f(x - h)) / 2h: its error is of order h^2, the one-sided "
    "(f(x + h) - f(x)) / h has error of order h (lecture part 2: 计算量大，不精确)."))
def numerical_gradient_central(ctx: Context) -> None:
    spec, h = {"kind": "power", "p": 3}, 1e-3
    x = _spread(ctx.rng, (3, 4))
    got = _drive(ctx, "numerical_gradient", spec, x, h=h)
    case = _numerical_case(ctx, spec, x, got, h)
    # For x^3 the central difference is exactly 3x^2 + h^2 (error 1e-6); the forward one is
    # 3x^2 + 3xh + h^2, off by >= 1.5e-3 since |x| >= 0.5. atol 1e-5 sits in between.
    expect_array(got["value"], _gradient(spec, x), "numerical_gradient of sum(x**3) with h = 1e-3", case,
                 rtol=1e-6, atol=1e-5, hint_on={"the forward difference (f(x + h) - f(x)) / h": _one_sided(spec, x, h)})


@check("hw2.gradcheck.numerical_gradient.x_unchanged", hint=(
    "Perturb a copy of x (or restore x[i] to its old value after both evaluations); the caller's x must "
    "be exactly as it was."))
def numerical_gradient_x_unchanged(ctx: Context) -> None:
    spec = {"kind": "sin_sum"}
    for shape in ((5,), (3, 4)):
        x = ctx.rng.normal(size=shape)
        got = _drive(ctx, "numerical_gradient", spec, x)
        case = _numerical_case(ctx, spec, x, got, None)
        expect_true(got["x_unchanged"], "numerical_gradient", case,
                    "x was modified: after the call it differs from the array passed in (an element was "
                    "perturbed and not restored?)")
        expect_gradient(got["value"], np.cos(x), "numerical_gradient of sum(sin(x))", case, tol=2e-6,
                        floor=1e-2, dtype=np.float64)


@check("hw2.gradcheck.numerical_gradient.float32", hint=(
    "float32 in, float32 out: return an array like x (np.zeros_like(x) keeps its dtype). In float32, "
    "x[i] + h is rounded, so a larger h (the check uses 1e-2) is needed."))
def numerical_gradient_float32(ctx: Context) -> None:
    spec, h = {"kind": "power", "p": 2}, 1e-2
    x = ctx.rng.normal(size=(4, 3)).astype(np.float32)
    got = _drive(ctx, "numerical_gradient", spec, x, h=h)
    case = _numerical_case(ctx, spec, x, got, h)
    # f is exact in float64, but x[i] +- h rounds to float32 (relative step error ~1e-5 of h):
    # 1e-3 relative tolerates that whether one divides by 2h or by the step actually taken.
    expect_array(got["value"], 2 * x.astype(np.float64), "numerical_gradient with float32 x", case,
                 rtol=1e-3, atol=1e-4, dtype=np.float32)


# --------------------------------------------------------------------------- relative_error

@check("hw2.gradcheck.relative_error.simple_example", hint=HINT_RELATIVE)
def relative_error_simple_example(ctx: Context) -> None:
    a = np.array([1.0, 2.0, 0.0, -3.0])
    b = np.array([1.0, 2.5, 0.0, -3.0])
    case = f"a = {a.tolist()}, b = {b.tolist()} (a == b == 0 at index 2 must count as 0)"
    got = ctx.call_unchanged(a, b)
    # |2 - 2.5| / 4.5 = 1/9 is the largest; elements equal to each other give 0, including 0 vs 0.
    expect_float(got, 1 / 9, "relative_error", case, rtol=1e-12, atol=0,
                 hint_on={"the mean over elements instead of the max": (1 / 9) / 4})


@check("hw2.gradcheck.relative_error.random", hint=HINT_RELATIVE)
def relative_error_random(ctx: Context) -> None:
    for shape, scale, eps in (((7,), 1.0, None), ((3, 4), 1.0, 1e-12), ((2, 3, 2), 1e-3, 1.0), ((5,), 1e-3, 1e-2)):
        a = ctx.rng.normal(scale=scale, size=shape)
        b = a + ctx.rng.normal(scale=scale * 1e-3, size=shape)
        b.reshape(-1)[0] = a.reshape(-1)[0] = 0.0  # an exact 0 vs 0 pair
        kwargs = {} if eps is None else {"eps": eps}
        want = _rel_error(a, b, 1e-12 if eps is None else eps)
        got = ctx.call(a, b, **kwargs)
        case = f"{ctx.seed_note}, {shapes(a=a, b=b)}, eps = {'default (1e-12)' if eps is None else eps}"
        # A handful of float64 operations: rounding ~1e-16 relative; 1e-9 forgives any order.
        expect_float(got, want, "relative_error", case, rtol=1e-9, atol=0)


# --------------------------------------------------------------------------- gradient_check

def _gradient_check(ctx: Context, spec: dict, x: np.ndarray, scale: float, offset: float = 0.0,
                    **kwargs: Any) -> tuple[bool, float, str, float]:
    grad_f = {"kind": "grad", "of": spec, "scale": scale, "offset": offset}
    got = _drive(ctx, "gradient_check", spec, x, grad_f, **kwargs)
    h = kwargs.get("h", 1e-5)
    want = _rel_error(scale * _gradient(spec, x) + offset, _central(spec, x, h))
    case = (f"{ctx.seed_note}, {_describe(spec)}, {shapes(x=x)}, grad_f = {scale:g} * (exact gradient)"
            f"{f' + {offset:g}' if offset else ''}, {kwargs or 'default h and tol'}; grad_f was called "
            f"{got['grad_calls']} times, f {got['calls']} times")
    expect_true(got["x_unchanged"], "gradient_check", case,
                "x was modified: inputs are never modified (does your numerical_gradient restore x?)")
    pair = as_sequence(got["value"], 2, "gradient_check", case)
    ok = _expect_bool(pair[0], "gradient_check", case)
    err = as_float(pair[1], "gradient_check max_rel_error", case)
    return ok, err, case, want


@check("hw2.gradcheck.gradient_check.lecture_example", hint=HINT_CHECK)
def gradient_check_lecture_example(ctx: Context) -> None:
    spec = {"kind": "power", "p": 2}
    x = np.array([1.0, -0.5, 2.0])
    ok, err, case, _ = _gradient_check(ctx, spec, x, scale=1.0)
    expect_true(ok and err <= 1e-8, "gradient_check with the right gradient 2w of w^2", case,
                f"expected (True, a tiny error), got ({ok}, {err!r})")
    ok, err, case, want = _gradient_check(ctx, spec, x, scale=0.5)
    # grad_f = w instead of 2w: the relative error is |w - 2w| / (|w| + |2w|) = 1/3 everywhere.
    expect_true(not ok, "gradient_check with a wrong gradient w (the factor 2 forgotten)", case,
                f"expected ok = False, got ({ok}, {err!r})")
    expect_float(err, want, "gradient_check max_rel_error for the wrong gradient", case, rtol=1e-6, atol=0)


@check("hw2.gradcheck.gradient_check.respects_tol", hint=HINT_CHECK)
def gradient_check_respects_tol(ctx: Context) -> None:
    # Functions whose derivatives stay >= 0.5 in size, so a right gradient's relative error is
    # rounding-level (~1e-10), far below the default tol 1e-6.
    cases = [({"kind": "sin_sum"}, ctx.rng.uniform(-1, 1, size=(3, 4))),
             ({"kind": "cubic", "coef": [1.0, 0.0, 1.0, 0.0]}, ctx.rng.normal(size=(2, 2, 3))),
             ({"kind": "power", "p": 2}, _spread(ctx.rng, (6,)))]
    for spec, x in cases:
        ok, err, case, _ = _gradient_check(ctx, spec, x, scale=1.0)
        expect_true(ok and err <= 1e-7, "gradient_check with the exact gradient", case,
                    f"expected (True, an error below 1e-7), got ({ok}, {err!r})")
        scale = 1.0 + float(ctx.rng.uniform(0.01, 0.03))  # error = (s - 1) / (s + 1), about 0.5% to 1.5%
        for tol, want_ok in ((None, False), (1e-3, False), (0.05, True)):
            kwargs = {} if tol is None else {"tol": tol}
            ok, err, case, want = _gradient_check(ctx, spec, x, scale=scale, **kwargs)
            expect_true(ok == want_ok, "gradient_check with a slightly wrong gradient", case,
                        f"error {err:.4g} against tol {tol if tol is not None else 'default 1e-6'}: expected "
                        f"ok = {want_ok}, got {ok}")
            # Both sides hold rounding-level numeric gradients: 1e-6 relative is ample.
            expect_float(err, want, "gradient_check max_rel_error", case, rtol=1e-6, atol=1e-12)
        # tol equal to the error itself: ok is max_rel_error <= tol, so the boundary passes.
        ok, again, case, _ = _gradient_check(ctx, spec, x, scale=scale, tol=err)
        expect_true(ok or again != err, "gradient_check with tol equal to the error", case,
                    f"error {again!r} with tol = {err!r}: ok must be True (error <= tol), got {ok}")
