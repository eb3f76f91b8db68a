"""Input generators and message parts shared by several check modules."""
from __future__ import annotations

import numpy as np

from ..i18n import Text, in_lang


def random_layers(rng: np.random.Generator, depth: int, dtype=np.float64):
    """(weights, biases, X) of a random MLP with ``depth`` layers and O(1) values."""
    sizes = [int(s) for s in rng.integers(2, 7, size=depth + 1)]
    n = int(rng.integers(2, 8))
    weights = [(rng.normal(size=(a, b)) / np.sqrt(a)).astype(dtype) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(size=b).astype(dtype) for b in sizes[1:]]
    X = rng.normal(size=(n, sizes[0])).astype(dtype)
    return weights, biases, X


# The hint of every float32 check (docs/hints.md): the convention, not the code that keeps it.
FLOAT32_HINT = Text(
    zh="课程约定：float32 输入，float32 输出。由 float32 输入算出的每个数组直到结果都应保持 float32，因为只要混入一个 "
       "float64 的常数数组或缓冲区，结果就会被提升为 float64。",
    en="The course's convention is float32 in, float32 out: every array computed from float32 inputs stays float32 "
       "up to the result, since one float64 constant array or buffer promotes it.")


def with_float32(what: str | Text) -> Text:
    """'conv2d with float32 inputs', the ``what`` of a float32 check."""
    return Text(f"{in_lang(what, 'zh')}（float32 输入）", f"{in_lang(what, 'en')} with float32 inputs")


def in_float32(what: str | Text) -> Text:
    """'rnn_step in float32': the ``what`` of the float32 variant of a case checked in float64 before."""
    return Text(f"{in_lang(what, 'zh')}（float32）", f"{in_lang(what, 'en')} in float32")


def against(what: str | Text, oracle: str | Text) -> Text:
    """'mse against torch': the student's answer compared with an independent oracle."""
    return Text(f"{in_lang(what, 'zh')}（对照 {in_lang(oracle, 'zh')}）",
                f"{in_lang(what, 'en')} against {in_lang(oracle, 'en')}")
