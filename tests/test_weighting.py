"""docs/weighting.md, the mechanical part: 1 to 3 points a check, 3 only for a central algorithm's full
oracle, at least 2 for what the lecture stresses, and hw1 worth 72 as announced."""
from __future__ import annotations

from helpers import course

STRESSED = ("hw1.perceptron.sign.zero_is_plus_one", "hw1.activations.relu_grad.at_zero",
            "hw2.backprop.relu_backward.zero_at_kink", "hw1.activations.sigmoid.warning_free",
            "hw1.activations.sigmoid.exact_in_the_tails", "hw2.losses.softmax.simple_example",
            "hw2.losses.softmax.large_logits", "hw2.losses.cross_entropy.large_logits",
            "hw4.rnn.rnn_backward.small_sequence", "hw1.autograd.Scalar.deep_chain",
            "hw1.autograd.Scalar.accumulates_over_paths",
            "hw5.attention.scaled_dot_product_attention.fully_masked_row",
            "hw5.transformer.EncoderLayer.fully_masked_rows")
CENTRAL = ("hw3.cnn.conv2d.matches_torch", "hw3.cnn.conv2d_backward.matches_torch", "hw4.rnn.rnn_backward.matches_torch",
           "hw5.attention.multi_head_attention.matches_torch", "hw5.transformer.EncoderLayer.matches_torch",
           "hw2.backprop.two_layer_net.loss_and_grads", "hw6.generative.gan_train_step.matches_trusted_step",
           "hw5.vision_transformer.shifted_window_mask.matches_swin_regions")


def _points() -> dict[str, float]:
    return {c.id: c.points for _, m in course().manifest.modules for c in m.checks}


def test_every_check_is_worth_one_to_three_points_and_three_only_when_central():
    points = _points()
    assert all(p in (1, 2, 3) for p in points.values()), {i: p for i, p in points.items() if p not in (1, 2, 3)}
    assert {i for i, p in points.items() if p == 3} == set(CENTRAL)


def test_what_the_lecture_stresses_is_never_worth_a_mere_point():
    points = _points()
    assert all(points[i] >= 2 for i in STRESSED), {i: points[i] for i in STRESSED if points[i] < 2}


def test_hw1_is_worth_72_points():
    assert course().manifest.assignment("hw1").max_score == 72
