"""Judge-side comparisons: structure before numbers, then a message that teaches.

Every helper raises ``CheckFailed`` with a message naming what was checked (``what``), the case
(``case``: seed, shapes), and for numbers: how many elements differ, the max abs and rel error,
the worst index with both values, and the tolerance. Tolerances are chosen by each check and the
check says why next to the number.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
from numpy.typing import DTypeLike

from .child.wire import ArraySubclass, Opaque, Tensor
from .errors import CheckFailed
from .i18n import Text, in_lang, tr

# The label of an alternative answer (``hint_on``): a plain string or a Text. A TypeVar, not the
# union itself, because a mapping's key type is invariant: a dict keyed by Text alone is accepted.
Label = TypeVar("Label", bound="str | Text")

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def describe(value: Any) -> Text:
    """A short, safe description of a returned value for messages."""
    if isinstance(value, np.ndarray):
        return tr("desc_ndarray", shape=value.shape, dtype=value.dtype)
    if isinstance(value, Tensor):
        return tr("desc_tensor", shape=tuple(value.shape), dtype=value.torch_dtype)
    if isinstance(value, ArraySubclass):
        return tr("desc_subclass", type=value.type_name, shape=value.array.shape)
    if isinstance(value, Opaque):
        return tr("desc_object", type=value.type_name)
    if isinstance(value, (list, tuple)):
        return tr("desc_sequence", type=type(value).__name__, n=len(value))
    if isinstance(value, np.generic):
        return tr("desc_scalar", dtype=value.dtype)
    name = type(value).__name__
    return tr("desc_value", type=name, value=repr(value)[:max(0, 119 - len(name))])


def case_text(seed: int | None, *notes: Any, **values: Any) -> Text:
    """The case part of a message, in both languages: the seed, then ``name=shape dtype`` for each
    array, ``name=value`` for small values, then any notes (str or Text), e.g.
    'seed 7, X=(4, 2) float64, lr=0.5' and '随机种子 7，X=(4, 2) float64，lr=0.5'."""
    parts: list[Any] = [] if seed is None else [tr("case_seed", seed=seed)]
    parts += [_value_note(name, value) for name, value in values.items()]
    parts += [n for n in notes if n not in (None, "")]
    return Text("，".join(in_lang(p, "zh") for p in parts), ", ".join(in_lang(p, "en") for p in parts))


def _value_note(name: str, value: Any) -> Any:
    if isinstance(value, Text):
        return Text(f"{name}={value.zh}", f"{name}={value.en}")
    return f"{name}={_short(value)}"


def _short(value: Any, limit: int = 80) -> str:
    """An array as its shape and dtype, a list of arrays as their shapes, anything else as it reads."""
    if isinstance(value, np.ndarray):
        return f"{value.shape} {value.dtype}"
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, np.ndarray) for v in value):
        dtypes = {str(v.dtype) for v in value}
        shown = "[" + ", ".join(str(v.shape) for v in value) + "]"
        return f"{shown} {dtypes.pop()}" if len(dtypes) == 1 else shown
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, np.integer):
        return str(int(value))
    shown = repr(value)
    return shown if len(shown) <= limit else shown[:limit - 3] + "..."


def fail(what: str | Text, case: str | Text, problem: str | Text) -> CheckFailed:
    """The failure 'what: problem' with its case on the next line, in both languages; a check
    raises it: ``raise fail("xor_params()", case, Text(zh=..., en=...))``."""
    head = tr("fail_head", what=what, problem=problem)
    return CheckFailed(head + tr("case_line", case=case) if case else head)



# --------------------------------------------------------------------------- structure

def as_array(got: Any, what: str | Text, case: str | Text = "", *, dtype: DTypeLike | None = None,
             shape: Sequence[int] | None = None, finite: bool = True) -> np.ndarray:
    """Type, shape, dtype and finiteness of a returned array, in that order."""
    if isinstance(got, ArraySubclass):
        raise fail(what, case, tr("returned_subclass", got=describe(got)))
    if not isinstance(got, np.ndarray):
        raise fail(what, case, tr("expected_ndarray", got=describe(got)))
    if shape is not None and tuple(got.shape) != tuple(shape):
        raise fail(what, case, tr("expected_shape", want=tuple(shape), got=got.shape))
    if dtype is not None and got.dtype != np.dtype(dtype):
        raise fail(what, case, tr("expected_dtype", want=np.dtype(dtype), got=got.dtype))
    if finite and got.dtype.kind in "fc" and not np.all(np.isfinite(got)):
        bad = np.argwhere(~np.isfinite(got))
        idx = tuple(int(i) for i in bad[0])
        raise fail(what, case, tr("not_finite", n=len(bad), index=idx if got.ndim else "()",
                                   value=got[idx] if got.ndim else got))
    return got


def as_float(got: Any, what: str | Text, case: str | Text = "", *, finite: bool = True) -> float:
    """A Python float, a numpy floating scalar or a 0-d/size-1 array: all are fair for a scalar."""
    if isinstance(got, bool) or isinstance(got, (Opaque, Tensor, ArraySubclass)):
        raise fail(what, case, tr("expected_float", got=describe(got)))
    if isinstance(got, np.ndarray):
        if got.size != 1 or got.ndim > 1:
            raise fail(what, case, tr("expected_float_or_0d", got=describe(got)))
        got = got.reshape(())[()]
    if not isinstance(got, (int, float, np.integer, np.floating)):
        raise fail(what, case, tr("expected_float", got=describe(got)))
    value = float(got)
    if finite and not math.isfinite(value):
        raise fail(what, case, tr("expected_finite_float", got=value))
    return value


def as_sequence(got: Any, length: int, what: str | Text, case: str | Text = "") -> Sequence[Any]:
    """A tuple (or list) of the documented length: ``(w, b, errors)`` and the like."""
    if not isinstance(got, (tuple, list)):
        raise fail(what, case, tr("expected_tuple", n=length, got=describe(got)))
    if len(got) != length:
        raise fail(what, case, tr("expected_tuple_len", n=length, got=len(got)))
    return got


def as_bool_array(got: Any, what: str | Text, case: str | Text = "", *,
                  shape: Sequence[int] | None = None) -> np.ndarray:
    arr = as_array(got, what, case, shape=shape, finite=False)
    if arr.dtype != np.bool_:
        raise fail(what, case, tr("expected_bool_array", dtype=arr.dtype))
    return arr


def dtype_like(*inputs: np.ndarray) -> np.dtype:
    """The float dtype a function must return for these inputs (float32 in, float32 out)."""
    for a in inputs:
        if isinstance(a, np.ndarray) and a.dtype in FLOAT_DTYPES:
            return a.dtype
    return np.dtype(np.float64)


# --------------------------------------------------------------------------- numbers

def expect_array(got: Any, want: np.ndarray, what: str | Text, case: str | Text = "", *, rtol: float, atol: float,
                 dtype: DTypeLike | None = None, hint_on: Mapping[Label, Any] | None = None) -> np.ndarray:
    """Structure first, then values within ``atol + rtol * |want|`` elementwise.

    ``hint_on`` maps a label to an alternative answer (e.g. the cross-correlation when true
    convolution was asked): when the student's answer matches one, the message says so.
    """
    want = np.asarray(want)
    arr = as_array(got, what, case, dtype=dtype, shape=want.shape, finite=bool(np.all(np.isfinite(want))))
    a = arr.astype(np.float64) if arr.dtype.kind != "c" else arr
    w = want.astype(np.float64) if want.dtype.kind != "c" else want
    with np.errstate(invalid="ignore"):  # inf - inf: NaN, settled by ``same`` below
        err = np.abs(a - w)
    # NaN where NaN is expected, and the same infinity, are equal (their difference is NaN).
    same = (a == w) | (np.isnan(a) & np.isnan(w))
    bad = ~(same | (err <= atol + rtol * np.abs(w)))
    if not np.any(bad):
        return arr
    raise fail(what, case, mismatch_report(a, w, bad, err, rtol, atol) + _alternatives(a, hint_on, rtol, atol))


def expect_float(got: Any, want: float, what: str | Text, case: str | Text = "", *, rtol: float, atol: float,
                 hint_on: Mapping[Label, float] | None = None) -> float:
    value = as_float(got, what, case, finite=math.isfinite(want))
    if abs(value - want) <= atol + rtol * abs(want) or (math.isnan(want) and math.isnan(value)):
        return value
    alt = _alternatives(np.asarray(value), {k: np.asarray(v) for k, v in (hint_on or {}).items()}, rtol, atol)
    raise fail(what, case, tr("float_mismatch", want=repr(want), got=repr(value), err=f"{abs(value - want):.3g}",
                               atol=f"{atol:g}", rtol=f"{rtol:g}") + alt)


def expect_equal(got: Any, want: Any, what: str | Text, case: str | Text = "") -> None:
    """Exact equality for ints, lists of ints, strings, shapes."""
    if got != want:
        problem = tr("not_equal", want=repr(want), got=repr(got))
        raise fail(what, case, Text(problem.zh[:600], problem.en[:600]))


def expect_true(condition: bool, what: str | Text, case: str | Text, problem: str | Text) -> None:
    if not condition:
        raise fail(what, case, problem)


def expect_fields(reply: Any, fields: Mapping[str, type | tuple[type, ...]], what: str | Text,
                  case: str | Text = "") -> dict:
    """A driver's answer (a dict) with these fields of these types, else the check fails. The
    drivers run in the student's process: what comes back is data to check, like any answer."""
    if not isinstance(reply, dict):
        raise fail(what, case, tr("driver_not_a_dict", got=describe(reply)))
    for name, kind in fields.items():
        if not isinstance(reply.get(name), kind):
            raise fail(what, case, tr("driver_field_missing", name=repr(name), got=describe(reply.get(name))))
    return reply


def mismatch_report(got: np.ndarray, want: np.ndarray, bad: np.ndarray, err: np.ndarray,
                    rtol: float, atol: float) -> Text:
    n_bad, n = int(np.count_nonzero(bad)), int(bad.size)
    # Relative error only where the expected value is not zero: elsewhere it means nothing.
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        rel = np.where(want != 0, err / np.abs(want), np.nan)
    err_safe = np.where(np.isnan(err), np.inf, err)
    worst = np.unravel_index(int(np.argmax(np.where(bad, err_safe, -1))), bad.shape) if bad.ndim else ()
    idx = tuple(int(i) for i in worst)
    g, w = got[idx] if got.ndim else got, want[idx] if want.ndim else want
    rel_bad = rel[bad] if bad.ndim else np.atleast_1d(rel)
    rel_text = f"{np.nanmax(rel_bad):.3g}" if np.any(~np.isnan(rel_bad)) else tr("rel_na")
    return tr("mismatch", bad=n_bad, n=n, atol=f"{atol:g}", rtol=f"{rtol:g}", abs_err=f"{np.nanmax(err_safe[bad]):.3g}",
              rel_err=rel_text, index=idx if idx else "()", got=number(g), want=number(w))


def number(value: Any) -> str:
    """A value as a person reads it: 0.5, not np.float64(0.5)."""
    if isinstance(value, (np.generic, np.ndarray)) and np.ndim(value) == 0:
        value = value.item()
    return repr(value)


def _alternatives(got: np.ndarray, hint_on: Mapping[Any, Any] | None, rtol: float, atol: float) -> Text | str:
    """The line naming the wrong variant the answer equals. A label is a string or a Text (a dict
    cannot key a dict, so a translated label is given as a Text)."""
    for label, alt in (hint_on or {}).items():
        alt = np.asarray(alt, dtype=np.float64)
        if alt.shape == got.shape and np.allclose(got, alt, rtol=rtol, atol=atol):
            return "\n  " + tr("equals_alternative", label=label)
    return ""
