"""Backpropagation by hand (Lecture 4, part 2: backpropagation, 反向传播).

Each layer is a pair of functions: forward computes the output and a cache of what the
backward pass will need; backward receives dL/d(output) ("dout") and returns dL/d(inputs)
by the chain rule (链式法则), passing the "baton" back layer by layer. Gradient descent
(梯度下降) then updates every parameter with w <- w - lr * dL/dw.
"""
from typing import Optional, Union

import numpy as np

Params = dict[str, np.ndarray]


def _float(a) -> np.ndarray:
    a = np.asarray(a)
    return a if np.issubdtype(a.dtype, np.floating) else a.astype(np.float64)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # exp(-|z|) <= 1 never overflows; each branch is the exact sigmoid for its sign of z.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _softmax_rows(scores: np.ndarray) -> np.ndarray:
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


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
    x = _float(x)
    y_hat = _sigmoid(x @ w + b).astype(x.dtype, copy=False)
    return y_hat, (x, np.asarray(w), y_hat)


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
    x, w, y_hat = cache
    dz = dy * y_hat * (1 - y_hat)
    dx = np.outer(dz, w).astype(x.dtype, copy=False)
    dw = (x.T @ dz).astype(x.dtype, copy=False)
    return dx, dw, float(np.sum(dz))


def affine_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Fully connected (affine) layer: out = x @ W + b.

    Args:
        x: (N, D) inputs.
        W: (D, M) weights.
        b: (M,) biases, added to every row.

    Returns:
        (out, cache): out (N, M); cache holds what `affine_backward` needs.
    """
    x = _float(x)
    return x @ W + b, (x, np.asarray(W))


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
    x, W = cache
    x2 = x.reshape(-1, x.shape[-1])
    dout2 = dout.reshape(-1, dout.shape[-1])
    return dout @ W.T, x2.T @ dout2, dout2.sum(axis=0)


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ReLU activation: out = max(0, x) elementwise.

    Args:
        x: any shape.

    Returns:
        (out, cache): out of x's shape and dtype; cache holds what `relu_backward` needs.
    """
    x = _float(x)
    return np.maximum(x, 0), x


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """Backward pass of ReLU: the gradient flows where x > 0 and is blocked elsewhere.

    The derivative of max(0, x) is 1 for x > 0 and 0 for x < 0; at x == 0 we use 0.

    Args:
        dout: upstream gradient, the shape of x.
        cache: from `relu_forward`.

    Returns:
        dx, the shape of x.
    """
    return np.where(cache > 0, dout, 0)


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
    return {name: (p - lr * grads[name]).astype(np.asarray(p).dtype, copy=False)
            for name, p in params.items()}


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
    hidden, cache1 = affine_forward(X, params["W1"], params["b1"])
    act, cache_relu = relu_forward(hidden)
    scores, cache2 = affine_forward(act, params["W2"], params["b2"])
    if y is None:
        return scores

    n = scores.shape[0]
    y = np.asarray(y).astype(np.intp)
    probs = _softmax_rows(scores)
    loss = float(-np.mean(np.log(probs[np.arange(n), y])))
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    dscores /= n

    dact, dW2, db2 = affine_backward(dscores, cache2)
    dhidden = relu_backward(dact, cache_relu)
    _, dW1, db1 = affine_backward(dhidden, cache1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


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
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    hidden = 16
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.normal(0.0, 1.0, (2, hidden)),
        # A small positive bias keeps the hidden units alive at the input (0, 0).
        "b1": np.full(hidden, 0.1),
        "W2": rng.normal(0.0, 0.5, (hidden, 2)),
        "b2": np.zeros(2),
    }
    for _ in range(500):
        _, grads = two_layer_net(params, X, y)
        params = sgd_step(params, grads, lr=0.5)
    return params
