"""Loss functions and their gradients (Lecture 4, part 2: backpropagation, 反向传播).

A loss function (损失函数) measures the error between the prediction y_hat = f(x, W)
and the label y, averaged over the samples: L = (1/N) sum_n L_n. Backpropagation
starts from dL/d(prediction), so each loss comes with its gradient.
"""

import numpy as np



def mse(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error (均方误差, MSE).

    MSE = (1/n) sum (pred - target)^2, the mean over *all* n elements, so the loss
    does not grow with the batch size.

    Args:
        pred: predictions, any shape.
        target: labels, same shape as pred.

    Returns:
        The loss as a Python float.
    """
    raise NotImplementedError("hw2 losses.mse")


def mae(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean absolute error (平均绝对误差, MAE).

    MAE = (1/n) sum |pred - target| over all n elements. It punishes large errors less
    than MSE and is therefore more robust to outliers.

    Args:
        pred: predictions, any shape.
        target: labels, same shape as pred.

    Returns:
        The loss as a Python float.
    """
    raise NotImplementedError("hw2 losses.mae")


def mse_grad(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Gradient of `mse` with respect to pred.

    d/d pred of (1/n) sum (pred - target)^2 is 2 (pred - target) / n, with n the total
    number of elements (not the batch size).

    Args:
        pred: predictions, any shape.
        target: labels, same shape as pred.

    Returns:
        Array of pred's shape and float dtype.
    """
    raise NotImplementedError("hw2 losses.mse_grad")


def mae_grad(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Gradient of `mae` with respect to pred.

    |d| is not differentiable at d = 0; we use the subgradient sign(pred - target) / n
    with sign(0) = 0, n the total number of elements.

    Args:
        pred: predictions, any shape.
        target: labels, same shape as pred.

    Returns:
        Array of pred's shape and float dtype with entries in {-1/n, 0, 1/n}.
    """
    raise NotImplementedError("hw2 losses.mae_grad")


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax: turns scores into probabilities, p_c = exp(z_c) / sum_k exp(z_k).

    Subtracting the maximum along `axis` first leaves the result unchanged but keeps
    exp from overflowing, so logits up to +-1e4 give no NaN or inf.

    Args:
        logits: scores, any shape.
        axis: the class axis to normalise over.

    Returns:
        Array of logits' shape and float dtype; entries in [0, 1] summing to 1 along axis.
    """
    raise NotImplementedError("hw2 losses.softmax")


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean softmax cross-entropy (交叉熵), the classification loss.

    L_n = -log softmax(z_n)[y_n] = log sum_k exp(z_nk) - z_n,y_n. Computing it with the
    log-sum-exp trick (subtract the row maximum) keeps it finite for large logits,
    where taking the log of a softmax that underflowed to 0 would give inf.

    Args:
        logits: (N, C) unnormalised class scores.
        labels: (N,) integer class indices in [0, C).

    Returns:
        The mean over the N samples as a Python float.
    """
    raise NotImplementedError("hw2 losses.cross_entropy")


def cross_entropy_grad(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Gradient of `cross_entropy` with respect to the logits.

    For softmax followed by cross-entropy the chain rule (链式法则) collapses to a simple
    form: dL/dz = (softmax(z) - onehot(y)) / N, the 1/N coming from the mean.

    Args:
        logits: (N, C) unnormalised class scores.
        labels: (N,) integer class indices in [0, C).

    Returns:
        (N, C) array of logits' float dtype.
    """
    raise NotImplementedError("hw2 losses.cross_entropy_grad")


def binary_cross_entropy(p: np.ndarray, y: np.ndarray) -> float:
    """Binary cross-entropy for a probability output such as a sigmoid neuron.

    L = -mean(y log p + (1 - y) log(1 - p)): the negative log-likelihood of the label
    when p is the predicted probability of class 1.

    Args:
        p: predicted probabilities in (0, 1), any shape.
        y: labels in {0, 1}, same shape as p.

    Returns:
        The mean over all elements as a Python float.
    """
    raise NotImplementedError("hw2 losses.binary_cross_entropy")
