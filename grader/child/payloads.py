"""What each driver (grader/child/drivers) is asked and what it answers: one TypedDict per request
and per answer, imported by the driver in the child and by its check in the judge.

Everything here crosses the wire (child/wire.py), so it is plain data: numbers, strings, numpy
arrays, and lists and str-keyed dicts of them. An answer comes from the student's process and may
be anything at all: the types say what a driver that was not replaced sends, and the check still
verifies every field it reads (compare.expect_fields and the like) before trusting it.

This module is copied into the sandbox with the rest of grader/child/: standard library and numpy only.
"""
from __future__ import annotations

from typing import Any, TypedDict

import numpy as np

# --------------------------------------------------------------------------- activations.warnings


class _WarningsRequired(TypedDict):
    function: str  # a function of the student's module, e.g. "sigmoid"
    args: list[Any]


class WarningsRequest(_WarningsRequired, total=False):
    kwargs: dict[str, Any]


class WarningsAnswer(TypedDict):
    value: Any  # what the function returned
    warnings: list[str]  # "Category: message" of every warning the call emitted


# --------------------------------------------------------------------------- autograd.graph / chain


class _NodeRequired(TypedDict):
    op: str  # leaf, const, add, sub, mul, div, neg, pow, relu, tanh, sigmoid, exp, log


class GraphNode(_NodeRequired, total=False):
    value: float  # leaf and const
    a: int  # the operand's index (every operation)
    b: int  # the second operand's index (add, sub, mul, div)
    p: float  # the exponent of pow


class GraphRequest(TypedDict):
    nodes: list[GraphNode]  # in topological order: an operation's operands come before it
    root: int  # the index of the node whose backward() runs


class GraphAnswer(TypedDict):
    index: list[int]  # the nodes that are Scalars (every node but the consts), in order
    data: list[float]  # their .data
    grad_before: list[float]  # their .grad before backward()
    grad: list[float]  # their .grad after one backward()


class ChainRequest(TypedDict):
    start: float  # x: the chain starts at Scalar(start)
    scales: np.ndarray  # v <- v * scales[i], then v <- shifts[i] + v
    shifts: np.ndarray


class ChainAnswer(TypedDict):
    data: np.ndarray  # every node's .data, the leaf first
    grad: np.ndarray  # every node's .grad after one backward() of the last node


# --------------------------------------------------------------------------- cnn.alexnet


class _AlexNetBuildRequired(TypedDict):
    kwargs: dict[str, Any]  # build_alexnet(**kwargs)
    weights_seed: int | None  # seeded_parameters(shapes, seed) fill the weights; None: zeros
    evals: list[np.ndarray]  # inputs run in eval mode


class AlexNetBuild(_AlexNetBuildRequired, total=False):
    trains: list[list[Any]]  # [x, torch seed] pairs run in training mode


class AlexNetRequest(TypedDict):
    builds: list[AlexNetBuild]


class AlexNetBuildAnswer(TypedDict, total=False):
    is_module: bool  # a torch.nn.Module came back (else only its type)
    type: str
    param_shapes: list[list[int]]  # in registration order
    module_types: list[str]  # class names of the leaf modules, for messages
    # per input: the output array, or {"raised": "..."} / {"not_a_tensor": "type"}
    outputs: list[Any]
    train_outputs: list[Any]


class AlexNetAnswer(TypedDict):
    builds: list[AlexNetBuildAnswer]


# --------------------------------------------------------------------------- generative.gan_train_step


class GanNet(TypedDict):
    layers: list[list[Any]]  # ["linear", n_in, n_out], ["tanh"] or ["relu"]
    state: dict[str, np.ndarray]  # the nn.Sequential's state dict


class GanOptimizer(TypedDict):
    lr: float
    momentum: float  # both networks get torch.optim.SGD with these


class GanBatch(TypedDict):
    real: np.ndarray
    z: np.ndarray


class GanRequest(TypedDict):
    dtype: str  # "float32" or "float64"
    G: GanNet
    D: GanNet
    optimizer: GanOptimizer
    batches: list[GanBatch]  # one gan_train_step call per batch, on the same G, D and optimisers


class GanCall(TypedDict):
    result: Any  # what gan_train_step returned
    d_steps: int  # opt_D.step() calls during the call
    g_steps: int
    g_steps_before_d_step: int
    g_grad_ref: list[np.ndarray | None]  # G's grads at the call's start (or after an earlier G step)
    g_grad_at_d_step: list[np.ndarray | None] | None  # G's grads right after the first D step
    d_after_d_step: list[np.ndarray] | None  # D's parameters right after the first D step
    d_end: list[np.ndarray]  # D's parameters at the end of the call
    real_after: np.ndarray  # the inputs after the call (a step must not change them)
    z_after: np.ndarray


class GanAnswer(TypedDict):
    calls: list[GanCall]
    G: dict[str, np.ndarray]  # named parameters after the last call
    D: dict[str, np.ndarray]


# --------------------------------------------------------------------------- gradcheck.run


class _FunctionRequired(TypedDict):
    kind: str  # power, cubic, quadratic_form, sin_sum, tanh_form, weighted, wave (see drivers/gradcheck.py)


class FunctionSpec(_FunctionRequired, total=False):
    p: float  # power
    coef: list[float]  # cubic: [c3, c2, c1, c0]
    A: np.ndarray  # quadratic_form, tanh_form
    b: np.ndarray
    W: np.ndarray  # weighted
    k: float  # wave


class _GradientRequired(TypedDict):
    kind: str  # "grad"
    of: FunctionSpec


class GradientSpec(_GradientRequired, total=False):
    scale: float  # grad_f(x) = scale * (the exact gradient) + offset
    offset: float


class _GradcheckRequired(TypedDict):
    function: str  # forward_difference, numerical_gradient or gradient_check
    f: FunctionSpec
    x: Any  # an array, or a float for forward_difference


class GradcheckRequest(_GradcheckRequired, total=False):
    grad_f: GradientSpec  # gradient_check only
    kwargs: dict[str, Any]  # h, tol, eps
    own_numerical: bool  # gradient_check: also the student's numerical_gradient at the same point


class _GradcheckAnswerRequired(TypedDict):
    value: Any  # what the student's function returned
    calls: int  # calls of f
    shapes: list[list[int]]  # the shapes f was given (each once)
    dtypes: list[str]
    points: list[float]  # the points a scalar f was evaluated at (the first 20)
    grad_calls: int
    x_unchanged: bool


class GradcheckAnswer(_GradcheckAnswerRequired, total=False):
    own_numerical: Any  # the student's numerical_gradient, or None when it failed


# --------------------------------------------------------------------------- transformer.encoder_layer


class _EncoderRequired(TypedDict):
    config: list[int]  # d_model, nhead, dim_feedforward


class EncoderRequest(_EncoderRequired, total=False):
    # Without a state the driver only builds the layer and describes it.
    state: dict[str, np.ndarray]  # the contract's parameter names -> values
    dtype: str  # "float32" (default) or "float64"
    x: np.ndarray
    mask: np.ndarray | None  # boolean, broadcastable to (N, T, T)
    train_passes: int  # forward passes repeated after model.train()


class Submodule(TypedDict, total=False):
    name: str
    type: str
    bases: list[str]  # dotted names of its class and every base class
    params: dict[str, list[int]]  # its own parameters' shapes
    eps: float  # a LayerNorm's


class EncoderAnswer(TypedDict, total=False):
    submodules: list[Submodule]
    not_in_layer: list[str]  # state names the layer does not have
    not_in_contract: list[str]  # the layer's parameter names the state does not give
    load_error: str
    called: list[str]  # the torch classes (with bases) and attention functions the forward ran
    x_changed: bool
    out_type: str
    out: np.ndarray | None
    train_out: list[np.ndarray | None]
