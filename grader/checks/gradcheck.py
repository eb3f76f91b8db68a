"""Checks for gradcheck (hw2): the numerical method (数值法) that tests the analytic one (解析法).

The student's functions take callables, so every call goes through the child-side driver
``drivers/gradcheck.run``: the judge names a function from a small family (plain data), the driver
builds it, calls the student's code and reports the answer with what f saw. Expected values are
closed forms computed here in float64.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..child.payloads import FunctionSpec, GradcheckAnswer, GradcheckRequest, GradientSpec
from ..compare import as_float, as_sequence, expect_array, expect_float, expect_true
from ..context import Context
from ..gradients import expect_gradient
from ..i18n import Text
from ..oracles import oracle
from ..registry import check
from .common import FLOAT32_HINT

HINT_FORWARD = Text(
    zh="讲义第 2 部分（梯度计算方法：数值法）：dL/dw ~ (L(w + h) - L(w)) / h 是单侧（前向）差分，所以 L(w) = w^2 在 w = 1、"
       "h = 0.0001 时给出 2.0001，而不是精确的 2。",
    en="Lecture part 2 (梯度计算方法：数值法): dL/dw ~ (L(w + h) - L(w)) / h is a one-sided (forward) difference, "
       "so L(w) = w^2 at w = 1 with h = 0.0001 gives 2.0001, not the exact 2.")
HINT_NUMERICAL = Text(
    zh="讲义第 2 部分（数值法）：每次只把一个元素分别加上 +h 和 -h，每次都在与 x 形状相同的数组上计算 f，把差值除以 2h，并让 x "
       "保持原样。",
    en="Lecture part 2 (数值法): perturb one element at a time by +h and by -h, evaluate f on an array of "
       "x's shape each time, and divide the difference by 2h, leaving x as it was.")
HINT_RELATIVE = Text(
    zh="讲义第 2 部分（数值法）：relative_error 是 |a - b| / max(|a| + |b|, eps) 的最大值而不是平均值，eps 只在 a 和 b "
       "都为 0 时防止 0/0。",
    en="Lecture part 2 (数值法): relative_error is the largest, not the mean, of |a - b| / max(|a| + |b|, "
       "eps), where eps only guards 0/0 when a and b are both zero.")
HINT_CHECK = Text(
    zh="讲义第 2 部分（解析法与数值法）：gradient_check 用 relative_error 比较 grad_f(x) 与 numerical_gradient(f, x, h)，"
       "返回 (error <= tol, error)。",
    en="Lecture part 2 (解析法 and 数值法): gradient_check compares grad_f(x) with numerical_gradient(f, x, h) "
       "by relative_error and returns (error <= tol, error).")
CENTRAL = Text("中心差分 (f(x+h) - f(x-h)) / 2h", "the central difference (f(x+h) - f(x-h)) / 2h")


# --------------------------------------------------------------------------- the judge's functions

@oracle
def _value(spec: FunctionSpec, x: np.ndarray) -> float:
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
    if kind == "tanh_form":
        return float(np.sum(np.tanh(spec["A"] @ x.reshape(-1) + spec["b"])))
    if kind == "weighted":
        return float(np.sum(spec["W"] * np.sin(x)))
    if kind == "wave":
        return float(np.sum(np.sin(spec["k"] * x)) / spec["k"])
    raise ValueError(kind)


@oracle
def _gradient(spec: FunctionSpec, x: np.ndarray) -> np.ndarray:
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
    if kind == "tanh_form":
        return (spec["A"].T @ (1 - np.tanh(spec["A"] @ x.reshape(-1) + spec["b"]) ** 2)).reshape(x.shape)
    if kind == "weighted":
        return spec["W"] * np.cos(x)
    if kind == "wave":
        return np.cos(spec["k"] * x)
    raise ValueError(kind)


@oracle
def _one_sided(spec: FunctionSpec, x: np.ndarray, h: float) -> np.ndarray:
    """Forward differences (f(x + h e_i) - f(x)) / h: the classic confusion with central ones."""
    x = np.asarray(x, dtype=np.float64)
    base, out = _value(spec, x), np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        step = x.copy()
        step[i] += h
        out[i] = (_value(spec, step) - base) / h
    return out


@oracle
def _central(spec: FunctionSpec, x: np.ndarray, h: float) -> np.ndarray:
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


def _describe(spec: FunctionSpec) -> str | Text:
    kind = spec["kind"]
    if kind == "power":
        return f"f(x) = sum(x**{spec['p']})"
    if kind == "cubic":
        return "f(x) = sum({:g} x^3 + {:g} x^2 + {:g} x + {:g})".format(*spec["coef"])
    if kind == "quadratic_form":
        return Text(f"f(x) = 0.5 x.A.x + b.x（A {spec['A'].shape}，x 展平）",
                    f"f(x) = 0.5 x.A.x + b.x (A {spec['A'].shape}, x flattened)")
    if kind == "tanh_form":
        return Text(f"f(x) = sum(tanh(A x + b))（A {spec['A'].shape}，x 展平）",
                    f"f(x) = sum(tanh(A x + b)) (A {spec['A'].shape}, x flattened)")
    if kind == "weighted":
        return Text(f"f(x) = sum(W * sin(x))（W {spec['W'].shape}：f 只接受与 x 形状相同的数组）",
                    f"f(x) = sum(W * sin(x)) (W {spec['W'].shape}: f takes arrays of x's shape only)")
    if kind == "wave":
        return f"f(x) = sum(sin({spec['k']:g} x)) / {spec['k']:g}"
    return "f(x) = sum(sin(x))"


def _drive(ctx: Context, function: str, f: FunctionSpec, x: Any, **kwargs: Any) -> GradcheckAnswer:
    payload: GradcheckRequest = {"function": function, "f": f, "x": x, "kwargs": kwargs}
    return ctx.drive("gradcheck.run", payload)


def _spread(rng: np.random.Generator, shape: tuple[int, ...], low: float = 0.5, high: float = 2.0) -> np.ndarray:
    """Values with low <= |x| <= high: derivatives of the test functions stay well away from 0."""
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _points(got: Any) -> Text:
    points = got.get("points") if isinstance(got, dict) else None
    return (Text(f"；你的函数在这些点上计算了 f：{points}", f"; your function evaluated f at {points}")
            if isinstance(points, list) else Text("", ""))


def _value_of(got: Any) -> Any:
    return got.get("value") if isinstance(got, dict) else None


# Central differences of sin(100 w) / 100 with h = 1e-5 are cos(100 w) * sin(1e-3) / 1e-3, ~1.7e-7
# relative below the derivative: every gradient_check check has such a case, where an error computed
# without numerical differences (with the exact gradient, say) shows.
WAVE: FunctionSpec = {"kind": "wave", "k": 100.0}


def _wave_points(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Points where |cos(100 w)| >= 0.1, so that no relative error is a ratio of rounding noise."""
    x = rng.uniform(-1, 1, size=shape)
    while np.any(np.abs(np.cos(100 * x)) < 0.1):
        small = np.abs(np.cos(100 * x)) < 0.1
        x[small] = rng.uniform(-1, 1, size=int(np.count_nonzero(small)))
    return x


def _expect_bool(value: Any, what: str, case: str | Text) -> bool:
    expect_true(isinstance(value, (bool, np.bool_)), what, case,
                Text(f"ok 应为 bool（True 或 False），实际为 {type(value).__name__} {value!r}"[:300],
                     f"ok should be a bool (True or False), got {type(value).__name__} {value!r}"[:300]))
    return bool(value)


# --------------------------------------------------------------------------- forward_difference

@check("hw2.gradcheck.forward_difference.lecture_example", hint=HINT_FORWARD)
def forward_difference_lecture_example(ctx: Context) -> None:
    got = _drive(ctx, "forward_difference", {"kind": "power", "p": 2}, 1.0)
    case = Text("f(w) = w^2，x = 1.0，默认 h = 1e-4", "f(w) = w^2, x = 1.0, the default h = 1e-4") + _points(got)
    # ((1 + 1e-4)^2 - 1) / 1e-4 = 2.0001; float64 rounding of the difference is ~1e-12.
    expect_float(_value_of(got), 2.0001, Text("forward_difference，讲义中的例子", "forward_difference, the lecture's example"),
                 case, rtol=0, atol=1e-8,
                 hint_on={Text("中心差分 (f(x+h) - f(x-h)) / 2h，或精确导数",
                               "the central difference (f(x+h) - f(x-h)) / 2h, or the exact derivative"): 2.0})
    got = _drive(ctx, "forward_difference", {"kind": "power", "p": 2}, 1.0, h=0.5)
    case = "f(w) = w^2, x = 1.0, h = 0.5: (1.5^2 - 1) / 0.5 = 2.5" + _points(got)
    expect_float(_value_of(got), 2.5, Text("forward_difference，h = 0.5", "forward_difference with h = 0.5"), case,
                 rtol=0, atol=1e-12,
                 hint_on={Text("用了另一个步长的差分（忽略了 h）", "the difference with another step (h ignored)"): 2.0001,
                          Text("中心差分", "the central difference"): 2.0})


@check("hw2.gradcheck.forward_difference.random", hint=HINT_FORWARD)
def forward_difference_random(ctx: Context) -> None:
    for h in (None, 1e-3, 1e-2, 0.5):
        coef = [float(c) for c in ctx.rng.normal(size=4)]
        spec: FunctionSpec = {"kind": "cubic", "coef": coef}
        x = float(ctx.rng.uniform(-2, 2))
        step = 1e-4 if h is None else h  # the contract's default step
        got = _drive(ctx, "forward_difference", spec, x, **({} if h is None else {"h": h}))
        want = (_value(spec, np.array(x + step)) - _value(spec, np.array(x))) / step
        central = (_value(spec, np.array(x + step)) - _value(spec, np.array(x - step))) / (2 * step)
        case = ctx.case(_describe(spec), f"x = {x!r}", _step(h, "1e-4")) + _points(got)
        # Rounding in f(x+h) - f(x) is ~1e-16 * |f| / h <= 1e-11 here; a different order of the
        # same formula stays far inside 1e-7, while the central difference differs by ~h*f''/2.
        expect_float(_value_of(got), want, "forward_difference", case, rtol=1e-7, atol=1e-7,
                     hint_on={CENTRAL: central})


def _step(h: float | None, default: str) -> str | Text:
    return f"h = {h}" if h is not None else Text(f"h = 默认值（{default}）", f"h = default ({default})")


# --------------------------------------------------------------------------- numerical_gradient

# What the driver saw (how often f was called, with which shapes, whether x came back unchanged) is
# reported from the student's process: it goes into messages and can fail a check, never pass one.
# Each check's points rest on the numbers, with f and h chosen so that the property shows in them.

def _seen(got: Any) -> Text:
    calls, seen = (got.get("calls"), got.get("shapes")) if isinstance(got, dict) else (None, None)
    if not isinstance(calls, int):
        return Text("", "")
    return Text(f"；f 被调用了 {calls} 次，收到的形状为 {seen}", f"; f was called {calls} times with shapes {seen}")


def _numerical_case(ctx: Context, spec: FunctionSpec, x: np.ndarray, got: GradcheckAnswer, h: float | None) -> Text:
    return ctx.case(_describe(spec), _step(h, "1e-5"), x=x) + _seen(got)


def _expect_shapes_seen(got: GradcheckAnswer, x: np.ndarray, case: str | Text) -> None:
    reported = got.get("shapes") if isinstance(got, dict) else None
    seen = [tuple(s) for s in reported] if isinstance(reported, list) else []
    expect_true(not seen or seen == [x.shape], "numerical_gradient", case,
                Text(f"调用 f 时必须传入与 x 形状相同（{x.shape}）的数组，但它收到的形状为 {seen}",
                     f"f must be called with arrays of x's shape {x.shape}, but it received shapes {seen}"))


def _expect_x_unchanged(got: GradcheckAnswer, case: str | Text) -> None:
    expect_true(not isinstance(got, dict) or got.get("x_unchanged") is not False, "numerical_gradient", case,
                Text("x 被修改了：调用之后它与传入的数组不同（某个元素扰动之后没有恢复？）",
                     "x was modified: after the call it differs from the array passed in (an element was perturbed "
                     "and not restored?)"))


EXACT_3X2 = Text("精确导数 3x^2", "the exact derivative 3x^2")


@check("hw2.gradcheck.numerical_gradient.simple_example", hint=HINT_NUMERICAL)
def numerical_gradient_simple_example(ctx: Context) -> None:
    x = np.array([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]])
    for p, dtype, h in ((2, np.float64, None), (2, np.float32, 1e-2), (3, np.float64, 0.5)):
        spec: FunctionSpec = {"kind": "power", "p": p}
        xd = x.astype(dtype)
        got = _drive(ctx, "numerical_gradient", spec, xd, **({} if h is None else {"h": h}))
        case = (Text(f"f(x) = sum(x**{p})，x = {x.tolist()} {np.dtype(dtype).name}，",
                     f"f(x) = sum(x**{p}), x = {x.tolist()} {np.dtype(dtype).name}, ")
                + (Text("默认 h", "default h") if h is None else f"h = {h}") + _seen(got))
        _expect_shapes_seen(got, xd, case)
        _expect_x_unchanged(got, case)
        if p == 2:
            # Central differences of a quadratic are exact up to rounding ~1e-16 * |f| / h ~ 1e-10 in float64;
            # in float32 x[i] +- h is rounded (see the float32 check), 1e-3 relative allows for it.
            tol = 1e-6 if dtype == np.float64 else 1e-3
            expect_array(_value_of(got), 2 * x, Text("numerical_gradient 作用于 sum(x**2)",
                                                     "numerical_gradient of sum(x**2)"), case, rtol=tol, atol=tol,
                         dtype=dtype)
        else:
            assert h is not None  # the x^3 case is given h = 0.5
            # For x^3 the central difference is exactly 3x^2 + h^2 (here + 0.25), which tells the numerical
            # method from the exact derivative; float64 rounding stays below 1e-13.
            expect_array(_value_of(got), 3 * x**2 + h**2, Text("numerical_gradient 作用于 sum(x**3)，h = 0.5",
                                                               "numerical_gradient of sum(x**3) with h = 0.5"), case,
                         rtol=1e-9, atol=1e-9, dtype=dtype, hint_on={EXACT_3X2: 3 * x**2})


@check("hw2.gradcheck.numerical_gradient.known_gradients", hint=HINT_NUMERICAL)
def numerical_gradient_known_gradients(ctx: Context) -> None:
    n = 6
    A = ctx.rng.normal(size=(n, n))
    cases: list[tuple[FunctionSpec, np.ndarray, float | None]] = [
        ({"kind": "sin_sum"}, ctx.rng.uniform(-3, 3, size=7), None),
        ({"kind": "quadratic_form", "A": A, "b": ctx.rng.normal(size=n)}, ctx.rng.normal(size=(2, 3)), None),
        ({"kind": "cubic", "coef": [float(c) for c in ctx.rng.normal(size=4)]}, ctx.rng.normal(size=(2, 3, 2)), 1e-6),
        ({"kind": "power", "p": 4}, ctx.rng.normal(size=(3, 1, 2)), 1e-4),
        # f defined on x's shape only, and a step large enough that central differences of sin differ
        # from the exact cos (by the factor sin(h)/h, 0.7% here): numbers only the numerical method gives.
        ({"kind": "weighted", "W": ctx.rng.normal(size=(2, 3))}, ctx.rng.uniform(-3, 3, size=(2, 3)), 0.2),
    ]
    for spec, x, h in cases:
        got = _drive(ctx, "numerical_gradient", spec, x, **({} if h is None else {"h": h}))
        case = _numerical_case(ctx, spec, x, got, h)
        _expect_shapes_seen(got, x, case)
        # The judge's own central differences with the same step: the same formula in another order
        # differs by rounding ~1e-16 |f| / h <= 1e-9 (and, for the small steps, from the exact gradient
        # by ~1e-7 at most). The floor 1e-2 turns tol 2e-6 into an absolute 2e-8 near zero.
        expect_gradient(_value_of(got), _central(spec, x, 1e-5 if h is None else h), "numerical_gradient", case,
                        tol=2e-6, floor=1e-2, dtype=np.float64)


@check("hw2.gradcheck.numerical_gradient.central", hint=Text(
    zh="讲义第 2 部分（数值法，计算量大，不精确）：中心差分 (f(x + h) - f(x - h)) / 2h 的误差是 h^2 量级，单侧差分 "
       "(f(x + h) - f(x)) / h 的误差是 h 量级。",
    en="Lecture part 2 (数值法, 计算量大，不精确): the central difference (f(x + h) - f(x - h)) / 2h has an error of order "
       "h^2, the one-sided (f(x + h) - f(x)) / h one of order h."))
def numerical_gradient_central(ctx: Context) -> None:
    spec: FunctionSpec = {"kind": "power", "p": 3}
    h = 1e-3
    x = _spread(ctx.rng, (3, 4))
    got = _drive(ctx, "numerical_gradient", spec, x, h=h)
    case = _numerical_case(ctx, spec, x, got, h)
    # For x^3 the central difference is exactly 3x^2 + h^2, 1e-6 above the derivative; the forward
    # one is 3x^2 + 3xh + h^2, off by >= 1.5e-3 since |x| >= 0.5. Rounding of (f(x+h) - f(x-h)) / 2h
    # stays near 1e-11 (|f| < 100), so 1e-9 tells all three apart.
    expect_array(_value_of(got), _central(spec, x, h), Text("numerical_gradient 作用于 sum(x**3)，h = 1e-3",
                                                            "numerical_gradient of sum(x**3) with h = 1e-3"), case,
                 rtol=1e-9, atol=1e-9,
                 hint_on={Text("前向差分 (f(x + h) - f(x)) / h", "the forward difference (f(x + h) - f(x)) / h"):
                          _one_sided(spec, x, h),
                          Text("精确导数 3x^2，而不是数值导数", "the exact derivative 3x^2, not a numerical one"):
                          _gradient(spec, x)})


@check("hw2.gradcheck.numerical_gradient.uses_h", hint=HINT_NUMERICAL + Text(
    "步长 h 由调用者决定（默认 1e-5）。", " The step h is the caller's choice (default 1e-5)."))
def numerical_gradient_uses_h(ctx: Context) -> None:
    spec: FunctionSpec = {"kind": "power", "p": 3}
    for h in (0.5, 0.1, 1e-2):
        x = _spread(ctx.rng, (3, 2))
        got = _drive(ctx, "numerical_gradient", spec, x, h=h)
        case = _numerical_case(ctx, spec, x, got, h)
        # The central difference of x^3 is exactly 3x^2 + h^2: the step shows by h^2 >= 1e-4, while
        # float64 rounding of (f(x+h) - f(x-h)) / 2h stays below 1e-12.
        expect_array(_value_of(got), 3 * x**2 + h**2, Text(f"numerical_gradient 作用于 sum(x**3)，h = {h:g}",
                                                           f"numerical_gradient of sum(x**3) with h = {h:g}"), case,
                     rtol=1e-9, atol=1e-9, hint_on={Text("用另一个（固定的、很小的）步长得到的导数",
                                                         "the derivative with another (fixed, small) step"): 3 * x**2})


@check("hw2.gradcheck.numerical_gradient.x_unchanged", hint=Text(
    zh="课程约定：输入永不修改，所以扰动之后 x 必须重新恰好是原来的值。",
    en="The course's convention: inputs are never modified, so after the perturbations x must hold exactly its old "
       "values again."))
def numerical_gradient_x_unchanged(ctx: Context) -> None:
    # f couples the elements (every slope depends on all of x) and h is large: an element left
    # perturbed (by +-h, or not put back where it was) moves every later slope by ~h, far beyond the
    # tolerance. So whether x is restored shows in the numbers, not only in what the child reports
    # about x after the call.
    h = 0.1
    for shape in ((5,), (3, 4)):
        x = ctx.rng.normal(size=shape)
        spec: FunctionSpec = {"kind": "tanh_form", "A": ctx.rng.normal(size=(4, x.size)) / np.sqrt(x.size),
                              "b": ctx.rng.normal(size=4)}
        got = _drive(ctx, "numerical_gradient", spec, x, h=h)
        case = _numerical_case(ctx, spec, x, got, h)
        _expect_x_unchanged(got, case)
        # The same central differences in another order differ by rounding ~1e-16 |f| / h ~ 1e-14.
        expect_gradient(_value_of(got), _central(spec, x, h), Text("numerical_gradient 作用于 sum(tanh(A x + b))",
                                                                   "numerical_gradient of sum(tanh(A x + b))"), case,
                        tol=1e-8, floor=1e-2, dtype=np.float64)


@check("hw2.gradcheck.numerical_gradient.float32", hint=FLOAT32_HINT + Text(
    "在 float32 中 1e-5 的步长会被舍入误差淹没，所以本项检查传入了更大的 h。",
    " In float32 a step of 1e-5 is lost to rounding, so this check passes a larger h."))
def numerical_gradient_float32(ctx: Context) -> None:
    spec: FunctionSpec = {"kind": "power", "p": 3}
    h = 0.2
    x = _spread(ctx.rng, (4, 3)).astype(np.float32)
    got = _drive(ctx, "numerical_gradient", spec, x, h=h)
    case = _numerical_case(ctx, spec, x, got, h)
    # The central difference of x^3 is 3x^2 + h^2 (0.04 above the derivative, which it must not be).
    # f is exact in float64, but x[i] +- h rounds to float32 (a step error ~1e-6 of h): 1e-3
    # relative tolerates that whether one divides by 2h or by the step actually taken.
    x64 = x.astype(np.float64)
    expect_array(_value_of(got), _central(spec, x64, h), Text("numerical_gradient，float32 的 x",
                                                              "numerical_gradient with float32 x"), case,
                 rtol=1e-3, atol=1e-4, dtype=np.float32, hint_on={EXACT_3X2: _gradient(spec, x64)})


# --------------------------------------------------------------------------- relative_error

@check("hw2.gradcheck.relative_error.simple_example", hint=HINT_RELATIVE)
def relative_error_simple_example(ctx: Context) -> None:
    a = np.array([1.0, 2.0, 0.0, -3.0])
    b = np.array([1.0, 2.5, 0.0, -3.0])
    case = Text(f"a = {a.tolist()}，b = {b.tolist()}（下标 2 处 a == b == 0，必须算作 0）",
                f"a = {a.tolist()}, b = {b.tolist()} (a == b == 0 at index 2 must count as 0)")
    got = ctx.call_unchanged(a, b)
    # |2 - 2.5| / 4.5 = 1/9 is the largest; elements equal to each other give 0, including 0 vs 0.
    expect_float(got, 1 / 9, "relative_error", case, rtol=1e-12, atol=0,
                 hint_on={Text("对元素求平均而不是取最大值的结果", "the mean over elements instead of the max"): (1 / 9) / 4})
    # eps as a floor that matters: |a| + |b| = 3e-3 < eps = 1, so the error is 1e-3 / 1.
    a, b = np.array([1e-3, 0.0]), np.array([2e-3, 0.0])
    expect_float(ctx.call(a, b, eps=1.0), 1e-3, Text("relative_error，eps = 1", "relative_error with eps = 1"),
                 f"a = {a.tolist()}, b = {b.tolist()}, eps = 1.0", rtol=1e-12, atol=0,
                 hint_on={Text("默认 eps 的结果（忽略了 eps）", "the default eps (eps ignored)"): 1 / 3})


@check("hw2.gradcheck.relative_error.random", hint=HINT_RELATIVE)
def relative_error_random(ctx: Context) -> None:
    for shape, scale, eps in (((7,), 1.0, None), ((3, 4), 1.0, 1e-12), ((2, 3, 2), 1e-3, 1.0), ((5,), 1e-3, 1e-2)):
        a = ctx.rng.normal(scale=scale, size=shape)
        b = a + ctx.rng.normal(scale=scale * 1e-3, size=shape)
        b.reshape(-1)[0] = a.reshape(-1)[0] = 0.0  # an exact 0 vs 0 pair
        kwargs = {} if eps is None else {"eps": eps}
        want = _rel_error(a, b, 1e-12 if eps is None else eps)
        got = ctx.call(a, b, **kwargs)
        case = ctx.case(a=a, b=b, eps=eps if eps is not None else Text("默认值（1e-12）", "default (1e-12)"))
        # A handful of float64 operations: rounding ~1e-16 relative; 1e-9 forgives any order.
        expect_float(got, want, "relative_error", case, rtol=1e-9, atol=0)


# --------------------------------------------------------------------------- gradient_check

@oracle
def _numerical_variants(spec: FunctionSpec, x: np.ndarray, h: float) -> list[np.ndarray]:
    """What a numerical_gradient with a classic bug returns: central differences with the step it was
    given or with the default 1e-5 (h ignored), forward differences with either step."""
    return [_central(spec, x, h), _central(spec, x, 1e-5), _one_sided(spec, x, h), _one_sided(spec, x, 1e-5)]


def _gradient_check(ctx: Context, spec: FunctionSpec, x: np.ndarray, scale: float, offset: float = 0.0,
                    **kwargs: Any) -> tuple[bool, float, Text, float]:
    """The student's (ok, max_rel_error) and the error the judge expects.

    gradient_check is defined through numerical_gradient. When the student's own numerical_gradient
    is one of the classic wrong ones (a bug charged by its own checks) and gradient_check reports the
    error that follows from it, that error is taken as right, so one root cause costs points once.
    The error taken is the judge's, computed from the judge's copy of that wrong numerical gradient:
    the student's own numerical_gradient only says which one it is (reported from the student's
    process, it could say anything, and anything else gains nothing).
    """
    grad_f: GradientSpec = {"kind": "grad", "of": spec, "scale": scale, "offset": offset}
    payload: GradcheckRequest = {"function": "gradient_check", "f": spec, "x": x, "kwargs": kwargs, "grad_f": grad_f,
                                 "own_numerical": True}
    h = kwargs.get("h", 1e-5)
    analytic = scale * _gradient(spec, x) + offset
    variants = _numerical_variants(spec, x, h)  # always, so that the bundle's recording has them all
    errors = [_rel_error(analytic, v) for v in variants]
    want = errors[0]
    reply = ctx.drive("gradcheck.run", payload)
    got: GradcheckAnswer | dict = reply if isinstance(reply, dict) else {}
    shown = ", ".join(f"{k}={v:g}" for k, v in kwargs.items()) or Text("h 和 tol 取默认值", "default h and tol")
    calls = (Text(f"；grad_f 被调用了 {got['grad_calls']} 次，f 被调用了 {got['calls']} 次",
                  f"; grad_f was called {got['grad_calls']} times, f {got['calls']} times")
             if isinstance(got.get("grad_calls"), int) and isinstance(got.get("calls"), int) else "")
    offset_note = f" + {offset:g}" if offset else ""
    case = ctx.case(_describe(spec), Text(f"grad_f = {scale:g} * （精确梯度）{offset_note}",
                                          f"grad_f = {scale:g} * (exact gradient){offset_note}"), shown, x=x) + calls
    expect_true(got.get("x_unchanged") is not False, "gradient_check", case,
                Text("x 被修改了：输入永不修改（你的 numerical_gradient 恢复 x 了吗？）",
                     "x was modified: inputs are never modified (does your numerical_gradient restore x?)"))
    pair = as_sequence(got.get("value"), 2, "gradient_check", case)
    ok = _expect_bool(pair[0], "gradient_check", case)
    err = as_float(pair[1], "gradient_check max_rel_error", case)
    own = got.get("own_numerical")
    if isinstance(own, np.ndarray) and own.shape == x.shape and np.all(np.isfinite(own)) and not _close(err, want):
        for variant, variant_err in zip(variants[1:], errors[1:]):
            # Both are numerical gradients of the same f with the same step, in another order: rounding
            # ~1e-16 |f| / h <= 1e-9, while the variants differ from each other by ~h |f''| >= 1e-6.
            if np.allclose(own, variant, rtol=1e-8, atol=1e-8) and _close(err, variant_err):
                want = variant_err
                break
    return ok, err, case, want


def _close(err: float, want: float) -> bool:
    # Both errors come from rounding-level numeric gradients: 1e-6 relative, and 1e-8 absolute
    # where the error itself is rounding noise (an exact gradient gives ~1e-11).
    return abs(err - want) <= max(1e-6 * abs(want), 1e-8)


def _expect_result(ok: bool, err: float, want: float, tol: float, what: Text, case: Text) -> None:
    """max_rel_error as expected, and ok exactly max_rel_error <= tol (the boundary passes)."""
    expect_true(_close(err, want), what, case, Text(f"max_rel_error：应为 {want!r}，实际为 {err!r}（容差：相对误差 1e-6，"
                                                    "绝对误差 1e-8）", f"max_rel_error: expected {want!r}, got {err!r} "
                                                    "(tolerance 1e-6 relative, 1e-8 absolute)"))
    expect_true(ok == (err <= tol), what, case, Text(f"误差 {err!r}，tol {tol!r}：ok 必须是 max_rel_error <= tol，即 "
                                                     f"{err <= tol}，实际为 {ok}", f"error {err!r} against tol {tol!r}: "
                                                     f"ok must be max_rel_error <= tol, i.e. {err <= tol}, got {ok}"))


def _expect_boundary(ok: bool, again: float, err: float, case: Text) -> None:
    """tol equal to the error itself: ok is max_rel_error <= tol, so the boundary passes."""
    expect_true(ok or again != err, Text("gradient_check，tol 等于误差本身", "gradient_check with tol equal to the error"),
                case, Text(f"误差 {again!r}，tol = {err!r}：ok 必须为 True（error <= tol），实际为 {ok}",
                           f"error {again!r} with tol = {err!r}: ok must be True (error <= tol), got {ok}"))


RIGHT = Text("gradient_check，给出正确的梯度", "gradient_check with the right gradient")


@check("hw2.gradcheck.gradient_check.lecture_example", hint=HINT_CHECK)
def gradient_check_lecture_example(ctx: Context) -> None:
    spec: FunctionSpec = {"kind": "power", "p": 2}
    x = np.array([1.0, -0.5, 2.0])
    ok, err, case, want = _gradient_check(ctx, spec, x, scale=1.0)
    _expect_result(ok, err, want, 1e-6, RIGHT + Text("：w^2 的梯度 2w", " 2w of w^2"), case)
    # grad_f = w instead of 2w: the relative error is |w - 2w| / (|w| + |2w|) = 1/3 everywhere.
    ok, err, case, want = _gradient_check(ctx, spec, x, scale=0.5)
    _expect_result(ok, err, want, 1e-6, Text("gradient_check，给出错误的梯度 w（漏了因子 2）",
                                             "gradient_check with a wrong gradient w (the factor 2 forgotten)"), case)
    ok, again, case, _ = _gradient_check(ctx, spec, x, scale=0.5, tol=err)
    _expect_boundary(ok, again, err, case)
    # A right gradient's error is the numerical method's own: for sin(100 w) / 100 and the default h
    # it is ~8e-8 (the exact derivative would say 0), still below the default tol.
    ok, err, case, want = _gradient_check(ctx, WAVE, _wave_points(ctx.rng, (3,)), scale=1.0)
    _expect_result(ok, err, want, 1e-6, RIGHT + Text("：sum(sin(100 w)) / 100 的梯度", " of sum(sin(100 w)) / 100"), case)


@check("hw2.gradcheck.gradient_check.respects_tol", hint=HINT_CHECK)
def gradient_check_respects_tol(ctx: Context) -> None:
    # Functions whose derivatives stay >= 0.1 in size, so a right gradient's relative error is
    # rounding-level (~1e-10) or the wave's truncation (~8e-8), below the default tol 1e-6.
    cases: list[tuple[FunctionSpec, np.ndarray]] = [
             ({"kind": "sin_sum"}, ctx.rng.uniform(-1, 1, size=(3, 4))),
             ({"kind": "cubic", "coef": [1.0, 0.0, 1.0, 0.0]}, ctx.rng.normal(size=(2, 2, 3))),
             ({"kind": "power", "p": 2}, _spread(ctx.rng, (6,))),
             (WAVE, _wave_points(ctx.rng, (2, 3)))]  # a right gradient's error ~8e-8 here, still <= 1e-6
    for spec, x in cases:
        ok, err, case, want = _gradient_check(ctx, spec, x, scale=1.0)
        _expect_result(ok, err, want, 1e-6, Text("gradient_check，给出精确梯度", "gradient_check with the exact gradient"),
                       case)
        scale = 1.0 + float(ctx.rng.uniform(0.01, 0.03))  # error = (s - 1) / (s + 1), about 0.5% to 1.5%
        for tol in (None, 1e-3, 0.05):
            kwargs = {} if tol is None else {"tol": tol}
            ok, err, case, want = _gradient_check(ctx, spec, x, scale=scale, **kwargs)
            _expect_result(ok, err, want, 1e-6 if tol is None else tol, Text(
                "gradient_check，给出略有偏差的梯度", "gradient_check with a slightly wrong gradient"), case)
        ok, again, case, _ = _gradient_check(ctx, spec, x, scale=scale, tol=err)
        _expect_boundary(ok, again, err, case)


@check("hw2.gradcheck.gradient_check.uses_h", hint=HINT_CHECK + Text(
    "步长 h 和容差 tol 由调用者决定。", " The step h and the tolerance tol are the caller's choice."))
def gradient_check_uses_h(ctx: Context) -> None:
    # For sum(x^3) the central difference is exactly 3x^2 + h^2: with h = 0.1 or 0.3 the exact
    # gradient's relative error is 1e-3..4e-2 (|x| in [0.5, 2]), far from the ~1e-10 of a small step.
    spec: FunctionSpec = {"kind": "power", "p": 3}
    for h, tol in ((0.1, None), (0.3, 0.05), (1e-3, None)):
        x = _spread(ctx.rng, (2, 3))
        kwargs = {"h": h} if tol is None else {"h": h, "tol": tol}
        ok, err, case, want = _gradient_check(ctx, spec, x, scale=1.0, **kwargs)
        _expect_result(ok, err, want, 1e-6 if tol is None else tol,
                       Text(f"gradient_check，sum(x**3) 的精确梯度，h = {h:g}",
                            f"gradient_check of the exact gradient of sum(x**3) with h = {h:g}"), case)
    # sin(100 x) / 100 with h = 1e-3: central differences are off by 1 - sin(0.1) / 0.1 = 0.17%, so the
    # error is ~8e-4, which neither the default step nor the exact derivative gives.
    ok, err, case, want = _gradient_check(ctx, WAVE, _wave_points(ctx.rng, (2, 3)), scale=1.0, h=1e-3, tol=1e-2)
    _expect_result(ok, err, want, 1e-2, Text("gradient_check，sum(sin(100 x)) / 100 的精确梯度，h = 0.001",
                                             "gradient_check of the exact gradient of sum(sin(100 x)) / 100 with "
                                             "h = 0.001"), case)
