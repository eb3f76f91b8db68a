"""Backpropagation by hand (Lecture 4, part 2: backpropagation, 反向传播).

Each layer is a pair of functions: forward computes the output and a cache of what the
backward pass will need; backward receives dL/d(output) ("dout") and returns dL/d(inputs)
by the chain rule (链式法则), passing the "baton" back layer by layer. Gradient descent
(梯度下降) then updates every parameter with w <- w - lr * dL/dw.
"""

from typing import Optional, Union

import numpy as np

Params = dict[str, np.ndarray]



def neuron_forward(x: np.ndarray, w: np.ndarray, b: float) -> tuple[np.ndarray, tuple]:
    """Forward pass of one sigmoid neuron, the lecture's example network.

    The lecture splits it into elementary steps: z1 = w x, z2 = z1 + b, y_hat = sigma(z2),
    with sigma(z) = 1 / (1 + exp(-z)). Every step is simple to differentiate, which is
    what makes the backward pass mechanical.

    Args:
        x: (N, D) inputs, one sample per row.
        w: (D,) weights.
        b: scalar bias.

    Returns:
        (y_hat, cache): y_hat (N,) in x's float dtype; cache holds what
        `neuron_backward` needs.
    """
    raise NotImplementedError("hw2 backprop.neuron_forward")


def neuron_backward(dy: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, float]:
    """Backward pass of the sigmoid neuron by the chain rule (链式法则).

    dL/dz2 = dL/dy_hat * sigma'(z2) with sigma' = y_hat (1 - y_hat); then dz2/dz1 = 1 and
    dz2/db = 1, and z1 = x . w gives dL/dw = x^T dL/dz1, dL/dx = dL/dz1 w^T. The bias and
    weights are shared by all samples, so their gradients are summed over the batch.

    Args:
        dy: (N,) upstream gradient dL/dy_hat.
        cache: from `neuron_forward`.

    Returns:
        (dx, dw, db): dx (N, D), dw (D,), db a Python float.
    """
    raise NotImplementedError("hw2 backprop.neuron_backward")


def affine_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Fully connected (affine) layer: out = x @ W + b.

    Args:
        x: (N, D) inputs.
        W: (D, M) weights.
        b: (M,) biases, added to every row.

    Returns:
        (out, cache): out (N, M); cache holds what `affine_backward` needs.
    """
    raise NotImplementedError("hw2 backprop.affine_forward")


def affine_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of the affine layer.

    With out = x W + b: dL/dx = dout W^T, dL/dW = x^T dout, and dL/db = dout summed over
    the batch (b is added to every sample, so every sample contributes).

    Args:
        dout: (N, M) upstream gradient.
        cache: from `affine_forward`.

    Returns:
        (dx, dW, db): dx (N, D), dW (D, M), db (M,).
    """
    raise NotImplementedError("hw2 backprop.affine_backward")


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ReLU activation: out = max(0, x) elementwise.

    Args:
        x: any shape.

    Returns:
        (out, cache): out of x's shape and dtype; cache holds what `relu_backward` needs.
    """
    raise NotImplementedError("hw2 backprop.relu_forward")


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """Backward pass of ReLU: the gradient flows where x > 0 and is blocked elsewhere.

    The derivative of max(0, x) is 1 for x > 0 and 0 for x < 0; at x == 0 we use 0.

    Args:
        dout: upstream gradient, the shape of x.
        cache: from `relu_forward`.

    Returns:
        dx, the shape of x.
    """
    raise NotImplementedError("hw2 backprop.relu_backward")


def sgd_step(params: Params, grads: Params, lr: float) -> Params:
    """One step of gradient descent (梯度下降): w <- w - lr * dL/dw.

    The lecture's "optimum = start + (-gradient x step size)": the negative gradient
    gives the direction, the learning rate lr the length of the step.

    Args:
        params: name -> parameter array.
        grads: name -> gradient, same shapes, for every name in params.
        lr: learning rate.

    Returns:
        A new dict name -> p - lr * grad; params and grads are not modified.
    """
    raise NotImplementedError("hw2 backprop.sgd_step")


def two_layer_net(params: Params, X: np.ndarray,
                  y: Optional[np.ndarray] = None) -> Union[np.ndarray, tuple[float, Params]]:
    """Two-layer network affine - relu - affine with a softmax cross-entropy loss.

    scores = relu(X @ W1 + b1) @ W2 + b2. The loss is the mean softmax cross-entropy
    over the batch; its gradient with respect to the scores is (softmax - onehot) / N,
    and the backward passes of the layers carry it back to every parameter.

    Args:
        params: "W1" (D, H), "b1" (H,), "W2" (H, C), "b2" (C,).
        X: (N, D) inputs.
        y: (N,) integer labels in [0, C), or None.

    Returns:
        If y is None, the scores (N, C). Otherwise (loss, grads): loss a Python float,
        grads a dict with keys "W1", "b1", "W2", "b2" and the parameters' shapes.
    """
    raise NotImplementedError("hw2 backprop.two_layer_net")


def train_xor(seed: int = 0) -> Params:
    """Learn XOR with `two_layer_net` by full-batch gradient descent.

    XOR is not linearly separable, so a single neuron cannot solve it but one hidden
    ReLU layer can. Starting from random weights drawn from
    numpy.random.default_rng(seed), repeat: loss and gradients from `two_layer_net`
    on the four points, then `sgd_step`.

    Args:
        seed: seed of the random initialisation; the same seed gives the same result.

    Returns:
        Params dict for `two_layer_net` (C = 2) whose argmax of scores maps
        [[0,0],[0,1],[1,0],[1,1]] to [0, 1, 1, 0].
    """
    raise NotImplementedError("hw2 backprop.train_xor")
