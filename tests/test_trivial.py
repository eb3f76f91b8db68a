"""A submission that implements nothing earns nothing: every function of every module, made trivial.

tests/trivial.py builds each module with every contract function answering in the right structure
(shapes, dtypes, tuples, dicts, a model with torchvision's layout, an EncoderLayer with the
contract's submodules) and no work: zeros, ones, uniform "probabilities", or its own input. Such
answers pass every structural test, so only checks whose points rest on judge-computed values
fail them; property checks (equivariance, rows summing to one, reproducible seeds, no gradient
leaks, ...) must fail them too.
"""
from __future__ import annotations

import pytest

import trivial
from helpers import ROOT, course, grade_inprocess

MODULES = [m for _, m in course().manifest.modules]


@pytest.mark.parametrize("how", trivial.VARIANTS)
@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_a_trivial_submission_earns_nothing(tmp_path, module, how):
    folder = trivial.trivial_submission(ROOT, tmp_path / "sub", module.name, list(module.functions), how)
    results = grade_inprocess(folder, [module.name])
    assert not any("could not be imported" in c.message for c in results.checks), results.checks[0].message
    earned = {c.id: c.message for c in results.checks
              if c.score > 0 and trivial.covered(module.name, c.function, how)}
    assert not earned, f"{module.name} answering {how!r} earned points: {sorted(earned)}"
    assert not [c.id for c in results.checks if c.status == "internal_error"]


def test_the_trivial_submissions_keep_the_structure(tmp_path):
    """The test above must be able to fail: a trivial answer has the reference's structure, so it
    gets past every structural test (here AlexNet's output shape and parameter count) and fails
    only where the judge's own outputs come in."""
    folder = trivial.trivial_submission(ROOT, tmp_path / "sub", "cnn", ["build_alexnet"], "zeros")
    results = grade_inprocess(folder, ["cnn"])
    check = next(c for c in results.checks if c.id == "hw3.cnn.build_alexnet.params_and_output")
    assert check.status == "failed" and "output at the smallest input" in check.message, check.message
    # the other functions of cnn kept the reference: they pass
    assert all(c.status == "passed" for c in results.checks if c.function != "build_alexnet")


# A trivial building block and a dependent function written consistently on top of it. "Charged
# once" forgives a dependent built on a building block with a real bug; it must never forgive one
# built on a block that computes nothing (the pair would earn the dependent's points for nothing).
TRIVIAL_PAIRS = {
    "vision_transformer": ("patch_embed", """
        def patchify(images, patch_size):
            N, C, H, W = images.shape
            return np.zeros((N, (H // patch_size) * (W // patch_size), C * patch_size ** 2), images.dtype)

        def patch_embed(images, patch_size, W, b):
            return (patchify(images, patch_size) @ W + b).astype(images.dtype)
    """),
    "gradcheck": ("gradient_check", """
        def numerical_gradient(f, x, h=1e-5):
            return np.zeros_like(x)

        def gradient_check(f, grad_f, x, h=1e-5, tol=1e-6):
            err = relative_error(grad_f(x.copy()), numerical_gradient(f, x, h))
            return err <= tol, err
    """),
    "autograd": ("square_of_sum", """
        class Scalar:
            def __init__(self, data, _parents=()):
                self.data, self.grad = 0.0, 0.0
            def __add__(self, other):
                return Scalar(0.0)
            def __pow__(self, p):
                return Scalar(0.0)
            def backward(self):
                pass

        def square_of_sum(x, y):
            a, b = Scalar(x), Scalar(y)
            f = (a + b) ** 2
            f.backward()
            return f.data, a.grad, b.grad
    """),
}


@pytest.mark.parametrize("module", sorted(TRIVIAL_PAIRS))
def test_a_dependent_built_on_a_trivial_block_earns_nothing(tmp_path, module):
    from helpers import submission_with

    dependent, source = TRIVIAL_PAIRS[module]
    results = grade_inprocess(submission_with(tmp_path / "sub", module, source), [module])
    earned = [c.id for c in results.checks if c.function == dependent and c.score > 0]
    assert not earned, earned
