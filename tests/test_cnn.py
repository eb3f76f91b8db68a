"""cnn (hw3): every function's checks catch deliberately wrong implementations, and correct
implementations written differently (pure-Python loops, im2col) get full marks.

Only the checks of the function under test run (``run_checks``): grading the whole module would
build AlexNet (61M parameters) for every numpy mistake and make this file slow.
"""
from __future__ import annotations

import numpy as np
import pytest

from grader.runners.inprocess import InProcessRunner
from grader.pipeline import run_one
from grader.results import CheckResult
from helpers import SEED, course, submission_with

MODULE = "cnn"

WRONG = {
    "convolve2d": {
        "cross_correlation": """
            def convolve2d(x, k):
                kh, kw = k.shape
                out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1), dtype=x.dtype)
                for i in range(out.shape[0]):
                    for j in range(out.shape[1]):
                        out[i, j] = np.sum(x[i:i + kh, j:j + kw] * k)
                return out
        """,
        "flips_rows_only": """
            def convolve2d(x, k):
                return _xcorr(x, k[::-1, :])

            def _xcorr(x, k):
                kh, kw = k.shape
                out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1), dtype=x.dtype)
                for i in range(out.shape[0]):
                    for j in range(out.shape[1]):
                        out[i, j] = np.sum(x[i:i + kh, j:j + kw] * k)
                return out
        """,
        "float64_always": """
            _right_convolve2d = convolve2d

            def convolve2d(x, k):
                return _right_convolve2d(x, k).astype(np.float64)
        """,
    },
    "conv_output_size": {
        "no_plus_one": """
            def conv_output_size(n, k, stride=1, padding=0, dilation=1):
                return (n + 2 * padding - dilation * (k - 1) - 1) // stride
        """,
        "no_floor": """
            def conv_output_size(n, k, stride=1, padding=0, dilation=1):
                return (n + 2 * padding - dilation * (k - 1) - 1) / stride + 1
        """,
        "padding_counted_once": """
            def conv_output_size(n, k, stride=1, padding=0, dilation=1):
                return (n + padding - dilation * (k - 1) - 1) // stride + 1
        """,
        "ignores_dilation": """
            def conv_output_size(n, k, stride=1, padding=0, dilation=1):
                return (n + 2 * padding - k) // stride + 1
        """,
    },
    "conv2d": {
        "flips_kernel": """
            _right_conv2d = conv2d

            def conv2d(x, w, b, stride=1, padding=0):
                return _right_conv2d(x, w[:, :, ::-1, ::-1], b, stride, padding)
        """,
        "padding_one_side": """
            _right_conv2d = conv2d

            def conv2d(x, w, b, stride=1, padding=0):
                x = np.pad(x, ((0, 0), (0, 0), (padding, 0), (padding, 0)))
                return _right_conv2d(x, w, b, stride, 0)
        """,
        "ignores_stride": """
            _right_conv2d = conv2d

            def conv2d(x, w, b, stride=1, padding=0):
                return _right_conv2d(x, w, b, 1, padding)
        """,
        "float64_always": """
            _right_conv2d = conv2d

            def conv2d(x, w, b, stride=1, padding=0):
                return _right_conv2d(x, w, b, stride, padding).astype(np.float64)
        """,
        "im2col_output_not_transposed": """
            def conv2d(x, w, b, stride=1, padding=0):
                n_, c_, h, wd = x.shape
                f_, _, kh, kw = w.shape
                xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
                ho, wo = (h + 2 * padding - kh) // stride + 1, (wd + 2 * padding - kw) // stride + 1
                cols = np.stack([xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw].reshape(n_, -1)
                                 for i in range(ho) for j in range(wo)], axis=1)  # (N, ho*wo, C*kh*kw)
                out = cols @ w.reshape(f_, -1).T + b  # (N, ho*wo, F)
                return out.reshape(n_, f_, ho, wo)  # positions and filters mixed up
        """,
    },
    "conv2d_backward": {
        "db_not_summed_over_batch": """
            _right_backward = conv2d_backward

            def conv2d_backward(dout, x, w, b, stride=1, padding=0):
                dx, dw, db = _right_backward(dout, x, w, b, stride, padding)
                return dx, dw, dout[0].sum(axis=(1, 2))
        """,
        "db_per_example": """
            _right_backward = conv2d_backward

            def conv2d_backward(dout, x, w, b, stride=1, padding=0):
                dx, dw, db = _right_backward(dout, x, w, b, stride, padding)
                return dx, dw, dout.sum(axis=(2, 3))
        """,
        "dw_averaged_over_batch": """
            _right_backward = conv2d_backward

            def conv2d_backward(dout, x, w, b, stride=1, padding=0):
                dx, dw, db = _right_backward(dout, x, w, b, stride, padding)
                return dx, dw / x.shape[0], db
        """,
        "dw_missing_dout_factor": """
            _right_backward = conv2d_backward

            def conv2d_backward(dout, x, w, b, stride=1, padding=0):
                dx, dw, db = _right_backward(np.ones_like(dout), x, w, b, stride, padding)
                dx, _, db = _right_backward(dout, x, w, b, stride, padding)
                return dx, dw, db
        """,
        "dx_flipped_kernel": """
            _right_backward = conv2d_backward

            def conv2d_backward(dout, x, w, b, stride=1, padding=0):
                dx, _, _ = _right_backward(dout, x, w[:, :, ::-1, ::-1], b, stride, padding)
                _, dw, db = _right_backward(dout, x, w, b, stride, padding)
                return dx, dw, db
        """,
    },
    "max_pool2d": {
        "stride_ignored": """
            _right_max_pool2d = max_pool2d

            def max_pool2d(x, kernel=2, stride=2):
                return _right_max_pool2d(x, kernel, kernel)
        """,
        "float64_always": """
            _right_max_pool2d = max_pool2d

            def max_pool2d(x, kernel=2, stride=2):
                return _right_max_pool2d(x, kernel, stride).astype(np.float64)
        """,
        "stride_defaults_to_kernel": """
            _right_max_pool = max_pool2d

            def max_pool2d(x, kernel=2, stride=None):
                return _right_max_pool(x, kernel, kernel if stride is None else stride)
        """,
    },
    "avg_pool2d": {
        "stride_ignored": """
            _right_avg_pool2d = avg_pool2d

            def avg_pool2d(x, kernel=2, stride=2):
                return _right_avg_pool2d(x, kernel, kernel)
        """,
        "window_sum": """
            _right_avg_pool2d = avg_pool2d

            def avg_pool2d(x, kernel=2, stride=2):
                return _right_avg_pool2d(x, kernel, stride) * kernel * kernel
        """,
    },
    "max_pool2d_backward": {
        "last_max_on_ties": """
            def max_pool2d_backward(dout, x, kernel=2, stride=2):
                return _pick(dout, x, kernel, stride, "last")

            def _pick(dout, x, kernel, stride, rule):
                dx = np.zeros_like(x)
                for n, c, i, j in np.ndindex(*dout.shape):
                    win = x[n, c, i * stride:i * stride + kernel, j * stride:j * stride + kernel]
                    hits = np.argwhere(win == win.max())
                    for u, v in (hits[-1:] if rule == "last" else hits):
                        dx[n, c, i * stride + u, j * stride + v] += dout[n, c, i, j]
                return dx
        """,
        "every_max_on_ties": """
            def max_pool2d_backward(dout, x, kernel=2, stride=2):
                dx = np.zeros_like(x)
                for n, c, i, j in np.ndindex(*dout.shape):
                    win = x[n, c, i * stride:i * stride + kernel, j * stride:j * stride + kernel]
                    dx[n, c, i * stride:i * stride + kernel, j * stride:j * stride + kernel] += \\
                        (win == win.max()) * dout[n, c, i, j]
                return dx
        """,
        "overlap_overwrites": """
            def max_pool2d_backward(dout, x, kernel=2, stride=2):
                dx = np.zeros_like(x)
                for n, c, i, j in np.ndindex(*dout.shape):
                    win = x[n, c, i * stride:i * stride + kernel, j * stride:j * stride + kernel]
                    u, v = np.unravel_index(np.argmax(win), win.shape)
                    dx[n, c, i * stride + u, j * stride + v] = dout[n, c, i, j]
                return dx
        """,
    },
    "avg_pool2d_backward": {
        "not_divided_by_area": """
            _right_avg_backward = avg_pool2d_backward

            def avg_pool2d_backward(dout, x, kernel=2, stride=2):
                return _right_avg_backward(dout, x, kernel, stride) * kernel * kernel
        """,
        "divided_by_kernel_only": """
            _right_avg_backward = avg_pool2d_backward

            def avg_pool2d_backward(dout, x, kernel=2, stride=2):
                return _right_avg_backward(dout, x, kernel, stride) * kernel
        """,
        "stride_ignored": """
            _right_avg_backward = avg_pool2d_backward

            def avg_pool2d_backward(dout, x, kernel=2, stride=2):
                return _right_avg_backward(dout, x, kernel, kernel)
        """,
        "stride_defaults_to_kernel": """
            _right_avg_back = avg_pool2d_backward

            def avg_pool2d_backward(dout, x, kernel=2, stride=None):
                return _right_avg_back(dout, x, kernel, kernel if stride is None else stride)
        """,
    },
    "alexnet_shapes": {
        "conv1_padding_0": """
            def alexnet_shapes(input_shape=(3, 224, 224)):
                layers = [("conv1", 64, 11, 4, 0)] + _ALEXNET_FEATURES[1:]
                c, h, w = input_shape
                out = []
                for name, filters, k, s, p in layers:
                    c = filters or c
                    h, w = conv_output_size(h, k, s, p), conv_output_size(w, k, s, p)
                    out.append((name, (c, h, w)))
                return out
        """,
        "always_224": """
            _right_shapes = alexnet_shapes

            def alexnet_shapes(input_shape=(3, 224, 224)):
                return _right_shapes((3, 224, 224))
        """,
    },
    "build_alexnet": {
        "classifier_missing_a_layer": """
            _right_build = build_alexnet

            def build_alexnet(num_classes=1000):
                from torch import nn

                model = _right_build(num_classes)
                model.classifier = nn.Sequential(nn.Dropout(0.5), nn.Linear(9216, 4096), nn.ReLU(inplace=True),
                                                 nn.Dropout(0.5), nn.Linear(4096, num_classes))
                return model
        """,
        "ignores_num_classes": """
            _right_build = build_alexnet

            def build_alexnet(num_classes=1000):
                return _right_build(1000)
        """,
        "no_dropout": """
            _right_build = build_alexnet

            def build_alexnet(num_classes=1000):
                from torch import nn

                model = _right_build(num_classes)
                for i, layer in enumerate(model.classifier):
                    if isinstance(layer, nn.Dropout):
                        model.classifier[i] = nn.Identity()
                return model
        """,
        "first_dropout_drops_everything": """
            _right_build = build_alexnet

            def build_alexnet(num_classes=1000):
                from torch import nn

                model = _right_build(num_classes)
                model.classifier[0] = nn.Dropout(p=1.0)  # the second Dropout still makes passes differ
                return model
        """,
        "no_adaptive_pool": """
            _right_build = build_alexnet

            def build_alexnet(num_classes=1000):
                from torch import nn

                model = _right_build(num_classes)
                model.avgpool = nn.Identity()  # right at 224x224 only, where pool5 is already 6x6
                return model
        """,
        "adaptive_max_pool": """
            _right_build = build_alexnet

            def build_alexnet(num_classes=1000):
                from torch import nn

                model = _right_build(num_classes)
                model.avgpool = nn.AdaptiveMaxPool2d((6, 6))  # the identity at 224x224 too
                return model
        """,
        "average_pooling": """
            _right_build = build_alexnet

            def build_alexnet(num_classes=1000):
                from torch import nn

                model = _right_build(num_classes)
                for i, layer in enumerate(model.features):
                    if isinstance(layer, nn.MaxPool2d):
                        model.features[i] = nn.AvgPool2d(3, 2)
                return model
        """,
    },
}

LOOP_CONV = """
    def conv2d(x, w, b, stride=1, padding=0):
        xp, ho, wo = _padded(x, w, stride, padding)
        out = np.zeros((x.shape[0], w.shape[0], ho, wo), dtype=x.dtype)
        for n in range(x.shape[0]):
            for f in range(w.shape[0]):
                for i in range(ho):
                    for j in range(wo):
                        total = float(b[f])
                        for c in range(w.shape[1]):
                            for u in range(w.shape[2]):
                                for v in range(w.shape[3]):
                                    total += float(w[f, c, u, v]) * float(xp[n, c, i * stride + u, j * stride + v])
                        out[n, f, i, j] = total
        return out

    def conv2d_backward(dout, x, w, b, stride=1, padding=0):
        xp, ho, wo = _padded(x, w, stride, padding)
        dxp, dw, db = np.zeros(xp.shape), np.zeros(w.shape), np.zeros(w.shape[0])
        for n in range(x.shape[0]):
            for f in range(w.shape[0]):
                for i in range(ho):
                    for j in range(wo):
                        g = float(dout[n, f, i, j])
                        db[f] += g
                        for c in range(w.shape[1]):
                            for u in range(w.shape[2]):
                                for v in range(w.shape[3]):
                                    dw[f, c, u, v] += g * xp[n, c, i * stride + u, j * stride + v]
                                    dxp[n, c, i * stride + u, j * stride + v] += g * w[f, c, u, v]
        dx = dxp[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]]
        return dx.astype(x.dtype), dw.astype(x.dtype), db.astype(x.dtype)

    def _padded(x, w, stride, padding):
        h, wd = x.shape[2] + 2 * padding, x.shape[3] + 2 * padding
        xp = np.zeros((*x.shape[:2], h, wd), dtype=x.dtype)
        xp[:, :, padding:h - padding, padding:wd - padding] = x
        return xp, (h - w.shape[2]) // stride + 1, (wd - w.shape[3]) // stride + 1
"""

IM2COL_CONV = """
    def conv2d(x, w, b, stride=1, padding=0):
        cols, ho, wo = _im2col(x, w, stride, padding)
        out = cols @ w.reshape(w.shape[0], -1).T + b  # (N*ho*wo, F)
        return np.ascontiguousarray(out.reshape(x.shape[0], ho, wo, -1).transpose(0, 3, 1, 2))

    def conv2d_backward(dout, x, w, b, stride=1, padding=0):
        n_, c_ = x.shape[:2]
        f_, _, kh, kw = w.shape
        cols, ho, wo = _im2col(x, w, stride, padding)
        d = dout.transpose(0, 2, 3, 1).reshape(-1, f_)
        db, dw = d.sum(axis=0), (d.T @ cols).reshape(w.shape)
        dcols = (d @ w.reshape(f_, -1)).reshape(n_, ho, wo, c_, kh, kw)
        dxp = np.zeros((n_, c_, x.shape[2] + 2 * padding, x.shape[3] + 2 * padding), dtype=dcols.dtype)
        for u in range(kh):  # col2im: windows that overlap add up
            for v in range(kw):
                dxp[:, :, u:u + stride * ho:stride, v:v + stride * wo:stride] += \\
                    dcols[:, :, :, :, u, v].transpose(0, 3, 1, 2)
        dx = dxp[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]]
        return np.ascontiguousarray(dx), dw, db

    def _im2col(x, w, stride, padding):
        xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        kh, kw = w.shape[2:]
        ho, wo = (xp.shape[2] - kh) // stride + 1, (xp.shape[3] - kw) // stride + 1
        cols = np.empty((x.shape[0], ho, wo, x.shape[1], kh, kw), dtype=x.dtype)
        for u in range(kh):
            for v in range(kw):
                cols[..., u, v] = xp[:, :, u:u + stride * ho:stride, v:v + stride * wo:stride].transpose(0, 2, 3, 1)
        return cols.reshape(x.shape[0] * ho * wo, -1), ho, wo
"""

LOOP_POOLING = """
    def max_pool2d(x, kernel=2, stride=2):
        return _pool(x, kernel, stride, np.max)

    def avg_pool2d(x, kernel=2, stride=2):
        return _pool(x, kernel, stride, np.mean)

    def _pool(x, kernel, stride, reduce):
        ho, wo = (x.shape[2] - kernel) // stride + 1, (x.shape[3] - kernel) // stride + 1
        out = np.empty((*x.shape[:2], ho, wo), dtype=x.dtype)
        for n, c, i, j in np.ndindex(*out.shape):
            out[n, c, i, j] = reduce(x[n, c, i * stride:i * stride + kernel, j * stride:j * stride + kernel])
        return out

    def max_pool2d_backward(dout, x, kernel=2, stride=2):
        dx = np.zeros_like(x)
        for n, c, i, j in np.ndindex(*dout.shape):
            best, at = None, None
            for u in range(kernel):  # row-major; strict > keeps the first of equal maxima
                for v in range(kernel):
                    value = x[n, c, i * stride + u, j * stride + v]
                    if best is None or value > best:
                        best, at = value, (i * stride + u, j * stride + v)
            dx[n, c, at[0], at[1]] += dout[n, c, i, j]
        return dx

    def avg_pool2d_backward(dout, x, kernel=2, stride=2):
        dx = np.zeros_like(x)
        for n, c, i, j in np.ndindex(*dout.shape):
            dx[n, c, i * stride:i * stride + kernel, j * stride:j * stride + kernel] += dout[n, c, i, j] / kernel ** 2
        return dx
"""


def run_checks(folder, functions: tuple[str, ...], seed: int = SEED, stop_at_first_loss: bool = False,
               only: str | None = None) -> dict[str, CheckResult]:
    """Run the checks of these cnn functions only (or the ``only`` check), in manifest order."""
    c = course()
    _, module = c.manifest.module(MODULE)
    runner = InProcessRunner(folder)
    assert runner.load(MODULE, 60).status == "ok"
    results = {}
    for spec in module.checks:
        if spec.function in functions and only in (None, spec.id):
            results[spec.id] = run_one(c.checks[spec.id], spec, runner, seed)
            if stop_at_first_loss and results[spec.id].status != "passed":
                break
    return results


# AlexNet checks build a 61M-parameter model each: tests/test_wrong_implementations.py runs only the
# check meant to catch the flaw (and tests/test_visible_checks.py sees that it is visible).
CATCHER = {
    "classifier_missing_a_layer": "hw3.cnn.build_alexnet.params_and_output",
    "ignores_num_classes": "hw3.cnn.build_alexnet.num_classes",
    "no_dropout": "hw3.cnn.build_alexnet.layout",
    "first_dropout_drops_everything": "hw3.cnn.build_alexnet.layout",
    "average_pooling": "hw3.cnn.build_alexnet.forward_matches",
    "no_adaptive_pool": "hw3.cnn.build_alexnet.params_and_output",  # the contract's any H, W >= 63
    "adaptive_max_pool": "hw3.cnn.build_alexnet.forward_matches",
}
CAUGHT_BY = {"build_alexnet": CATCHER}
ONE_CHECK_ONLY = {"build_alexnet"}


def caught(tmp_path, function: str, source: str, only: str | None = None) -> dict[str, CheckResult]:
    """The wrong implementation loses points on a check of ``function`` (failed or error, never
    an internal error). Stops at the first lost check, or runs the ``only`` check."""
    results = run_checks(submission_with(tmp_path / "sub", MODULE, source), (function,), stop_at_first_loss=True,
                         only=only)
    assert results, f"no checks of {MODULE}.{function} ran"
    lost = {i: r.status for i, r in results.items() if r.status != "passed"}
    assert lost, f"every check of {MODULE}.{function} passed a wrong implementation"
    assert all(s in ("failed", "error") for s in lost.values()), {i: results[i].message for i in lost}
    return results


def message_of(results: dict[str, CheckResult], name: str) -> str:
    return next(r.message for i, r in results.items() if i.endswith(name))


def test_reference_gets_full_marks(tmp_path):
    _, module = course().manifest.module(MODULE)
    results = run_checks(submission_with(tmp_path / "sub", MODULE), module.functions)
    assert len(results) == len(module.checks)
    assert all(r.status == "passed" for r in results.values()), \
        {i: r.message for i, r in results.items() if r.status != "passed"}


def test_reference_numpy_parts_pass_other_seeds(tmp_path):
    folder = submission_with(tmp_path / "sub", MODULE)
    numpy_functions = tuple(f for f in WRONG if f != "build_alexnet")
    for seed in (1, 2, 3):
        results = run_checks(folder, numpy_functions, seed=seed)
        assert all(r.status == "passed" for r in results.values()), \
            (seed, {i: r.message for i, r in results.items() if r.status != "passed"})


@pytest.mark.parametrize("style", ["loops", "im2col"])
def test_loop_and_im2col_convolutions_get_full_marks(tmp_path, style):
    source = LOOP_CONV if style == "loops" else IM2COL_CONV
    results = run_checks(submission_with(tmp_path / "sub", MODULE, source), ("conv2d", "conv2d_backward"))
    assert len(results) == 9
    assert all(r.status == "passed" for r in results.values()), \
        {i: r.message for i, r in results.items() if r.status != "passed"}


def test_loop_pooling_gets_full_marks(tmp_path):
    functions = ("max_pool2d", "avg_pool2d", "max_pool2d_backward", "avg_pool2d_backward")
    results = run_checks(submission_with(tmp_path / "sub", MODULE, LOOP_POOLING), functions)
    assert all(r.status == "passed" for r in results.values()), \
        {i: r.message for i, r in results.items() if r.status != "passed"}


def test_printed_lecture_table_is_named(tmp_path):
    printed = """
        _right_convolve2d = convolve2d

        def convolve2d(x, k):
            out = _right_convolve2d(x, k)
            if out.shape == (3, 3) and out[0, 1] == -2 and out[1, 2] == 4:
                out = out.copy()
                out[0, 1] = 2  # copied from the slide
            return out
    """
    results = caught(tmp_path, "convolve2d", printed)
    message = message_of(results, "convolve2d.lecture_example")
    assert "PRINTED in the lecture" in message and "lost the minus sign at row 0, column 1" in message


def test_cross_correlation_as_convolve2d_is_named(tmp_path):
    results = caught(tmp_path, "convolve2d", WRONG["convolve2d"]["cross_correlation"])
    assert "the cross-correlation (kernel not flipped)" in message_of(results, "convolve2d.lecture_example")


def test_flipping_conv2d_is_named(tmp_path):
    results = caught(tmp_path, "conv2d", WRONG["conv2d"]["flips_kernel"])
    assert "the TRUE convolution (kernel flipped)" in message_of(results, "conv2d.lecture_example")
    results = run_checks(submission_with(tmp_path / "sub2", MODULE, WRONG["conv2d"]["flips_kernel"]), ("conv2d",))
    assert "true convolution (kernel flipped in both axes)" in message_of(results, "conv2d.matches_torch")


def test_scrambled_positions_break_translation_equivariance(tmp_path):
    results = run_checks(submission_with(tmp_path / "sub", MODULE, WRONG["conv2d"]["im2col_output_not_transposed"]),
                         ("conv2d",))
    assert results["hw3.cnn.conv2d.translation_equivariance"].status == "failed"


def test_tie_mistakes_are_named(tmp_path):
    for flaw, label in (("last_max_on_ties", "LAST maximum"), ("every_max_on_ties", "EVERY maximum")):
        results = caught(tmp_path / flaw, "max_pool2d_backward", WRONG["max_pool2d_backward"][flaw])
        assert label in message_of(results, "max_pool2d_backward.tie_rule")


def test_lecture_constants_follow_the_formula():
    from grader.checks import cnn as checks

    assert np.array_equal(checks._convolve_valid(checks.LECTURE_X, checks.LECTURE_K), checks.LECTURE_Y)
    assert sum(int(np.prod(s)) for s in checks._alexnet_param_shapes(1000)) == checks.ALEXNET_PARAMS
    assert checks._alexnet_expected_shapes(3, 224, 224) == checks.ALEXNET_224


def test_a_wrong_conv_output_size_is_charged_once(tmp_path):
    """alexnet_shapes built on a conv_output_size without the +1: only conv_output_size loses points."""
    folder = submission_with(tmp_path / "sub", MODULE, WRONG["conv_output_size"]["no_plus_one"])
    results = run_checks(folder, ("conv_output_size", "alexnet_shapes"))
    lost = {i for i, r in results.items() if r.status != "passed"}
    assert lost and all(".conv_output_size." in i for i in lost), lost
    # ... while an alexnet_shapes with its own wrong arithmetic still fails
    caught(tmp_path / "own", "alexnet_shapes", WRONG["alexnet_shapes"]["conv1_padding_0"])
