"""The judge's comparisons (grader/compare.py): structure before numbers, and messages that name the
worst element; a correct answer in another float type or within tolerance always passes."""
from __future__ import annotations

import numpy as np
import pytest

from grader.child.wire import ArraySubclass, Opaque, Tensor
from grader.compare import (
    as_array,
    as_bool_array,
    as_float,
    as_sequence,
    case_text,
    dtype_like,
    expect_array,
    expect_equal,
    expect_fields,
    expect_float,
    fail,
    number,
)
from grader.errors import CheckFailed

WANT = np.array([[0.0, 1.0], [2.0, -3.0]])


def message(call, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as raised:
        call(*args, **kwargs)
    return raised.value.message


def test_failure_puts_what_and_problem_first_then_the_case():
    exc = fail("relu(x)", "seed 7, x (2, 2) float64", "wrong sign")
    assert isinstance(exc, CheckFailed)
    assert exc.message.index("relu(x)") < exc.message.index("wrong sign") < exc.message.index("seed 7")
    assert "seed 7" in exc.text.zh and "情形" in exc.text.zh
    assert "case" not in fail("relu(x)", "", "wrong sign").message  # no case, no case line


@pytest.mark.parametrize("got, words", [
    ([[0.0, 1.0], [2.0, -3.0]], "expected a numpy.ndarray"),  # a list is not an array
    (np.zeros((2, 3), dtype=np.int64), "shape (2, 2)"),      # shape before dtype
    (np.full((2, 2), np.nan, dtype=np.float32), "dtype float64"),  # dtype before finiteness
    (np.array([[0.0, np.nan], [2.0, -3.0]]), "NaN or inf"),    # finiteness before values
])
def test_as_array_checks_structure_in_order(got, words):
    assert words in message(as_array, got, "f(x)", "seed 1", dtype=np.float64, shape=(2, 2))


def test_as_array_refuses_what_only_looks_like_an_array():
    sub = ArraySubclass(type_name="matrix", array=np.zeros((2, 2)))
    assert "ndarray subclass" in message(as_array, sub, "f(x)")
    assert "torch.Tensor" in message(as_array, Tensor(np.zeros((2, 2)), "float64", False), "f(x)")
    inf = np.array([1.0, np.inf])
    assert as_array(inf, "f(x)", finite=False) is inf  # where the contract allows inf, it passes


def test_expect_array_passes_within_tolerance_and_in_float32():
    noisy = WANT + 1e-9
    assert expect_array(noisy, WANT, "f(x)", rtol=1e-7, atol=1e-7) is noisy
    expect_array(WANT.astype(np.float32), WANT, "f(x)", rtol=1e-6, atol=1e-6)  # float32 is fair here


def test_expect_array_names_the_worst_element_and_counts():
    got = WANT.copy()
    got[1, 1] = -2.5  # the worst
    got[0, 1] = 1.1
    text = message(expect_array, got, WANT, "f(x)", "seed 3", rtol=1e-6, atol=1e-6)
    assert "2 / 4 elements" in text and "(1, 1)" in text and "-2.5" in text and "-3.0" in text
    assert "seed 3" in text


def test_expect_array_treats_nan_where_nan_is_expected_as_equal():
    want = np.array([np.nan, 1.0])
    expect_array(np.array([np.nan, 1.0]), want, "f(x)", rtol=0, atol=0)
    expect_array(np.array([-np.inf, 1.0]), np.array([-np.inf, 1.0]), "f(x)", rtol=1e-6, atol=1e-6)
    assert "1 / 2 elements" in message(expect_array, np.array([0.0, 1.0]), want, "f(x)", rtol=0, atol=0)
    assert "NaN or inf" in message(expect_array, np.array([np.nan, 1.0]), np.array([0.0, 1.0]), "f(x)",
                                   rtol=1e-6, atol=1e-6)  # a finite expectation: finiteness is structure


def test_expect_array_names_a_known_wrong_variant():
    flipped = WANT[:, ::-1]
    text = message(expect_array, flipped, WANT, "conv(x)", rtol=1e-6, atol=1e-6,
                   hint_on={"the cross-correlation": flipped})
    assert "the cross-correlation" in text


def test_expect_float_accepts_scalars_of_every_fair_kind():
    for got in (0.5, np.float32(0.5), np.float64(0.5), np.array(0.5), np.array([0.5]), 1):
        expect_float(got, 0.5 if got != 1 else 1.0, "loss", rtol=1e-6, atol=1e-6)
    assert "True" in message(as_float, True, "loss")  # a bool is not a number here
    assert "0-d" in message(as_float, np.zeros(2), "loss")
    assert "finite" in message(as_float, float("inf"), "loss")
    assert "0.75" in message(expect_float, 0.75, 0.5, "loss", rtol=1e-6, atol=1e-6)


def test_sequences_bools_fields_and_equality():
    assert as_sequence((1, 2), 2, "f") == (1, 2)
    assert "tuple of 3 values" in message(as_sequence, (1, 2), 3, "f")
    assert "dtype bool" in message(as_bool_array, np.zeros(2), "mask")
    assert expect_fields({"w": 1}, {"w": int}, "driver") == {"w": 1}
    assert "'w'" in message(expect_fields, {"w": "1"}, {"w": int}, "driver")
    assert "not the description" in message(expect_fields, Opaque(type_name="X", text="x"), {"w": int}, "driver")
    expect_equal((2, 3), (2, 3), "shape")
    assert "(3, 2)" in message(expect_equal, (3, 2), (2, 3), "shape")


def test_dtype_like_case_and_number():
    assert dtype_like(np.zeros(2, np.float32), np.zeros(2)) == np.float32
    assert dtype_like(np.zeros(2, np.int64)) == np.float64
    case = case_text(7, x=np.zeros((4, 2)), lr=0.1)
    assert case.en == "seed 7, x=(4, 2) float64, lr=0.1" and case.zh.startswith("随机种子 7，x=(4, 2) float64")
    assert number(np.float64(0.5)) == "0.5" and number(np.array(3)) == "3"
