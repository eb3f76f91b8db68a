"""Convolution, pooling and AlexNet (Lecture 4, part 3: convolutional networks, 卷积神经网络).

A convolution kernel (卷积核) slides over the image and extracts local features with the
same weights everywhere (局部连接, 权值共享); pooling (池化) summarises each region by its
maximum or mean. AlexNet stacks both into a deep image classifier. All tensors are NCHW.
"""

from __future__ import annotations
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from numpy.lib.stride_tricks import sliding_window_view

if TYPE_CHECKING:
    from torch import nn



def convolve2d(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """True 2-D convolution of one channel, the valid part, by the lecture's formula.

    Y[i, j] = sum_u sum_v w[u, v] * x[i - u + 1, j - v + 1] (indices from 1): as u grows
    the input index decreases, so the kernel is applied flipped in both directions.
    Keeping only outputs whose window lies inside x (the valid part), with 0-based
    indices, Y[i, j] = sum_u sum_v k[u, v] * x[i + kh - 1 - u, j + kw - 1 - v]. The
    lecture's 5x5 example with K = [[1,0,0],[0,0,0],[0,0,-1]] gives
    [[0,-2,-1],[2,2,4],[-1,0,0]].

    Args:
        x: (H, W) image.
        k: (kh, kw) kernel.

    Returns:
        (H - kh + 1, W - kw + 1) array in x's float dtype.
    """
    raise NotImplementedError("hw3 cnn.convolve2d")


def conv_output_size(n: int, k: int, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> int:
    """Output length of a convolution or pooling along one axis.

    floor((n + 2*padding - dilation*(k - 1) - 1) / stride) + 1: the padded input has
    n + 2*padding positions, the (dilated) kernel spans dilation*(k - 1) + 1 of them, and
    the window moves by stride, dropping a last partial step.

    Args:
        n: input length; k: kernel size; stride, padding, dilation as in PyTorch.

    Returns:
        The output length as an int.
    """
    raise NotImplementedError("hw3 cnn.conv_output_size")


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1,
           padding: int = 0) -> np.ndarray:
    """Convolution layer as in deep learning: cross-correlation (the kernel not flipped).

    out[n, f, i, j] = b[f] + sum_c sum_u sum_v w[f, c, u, v] * xpad[n, c, i*stride + u,
    j*stride + v], where xpad is x with `padding` zeros on each side of H and W. Each
    filter sees every input channel, and the same weights are used at every position
    (权值共享). This equals `convolve2d` with a flipped kernel, and matches
    torch.nn.functional.conv2d.

    Args:
        x: (N, C, H, W) inputs.
        w: (F, C, kh, kw) filters.
        b: (F,) biases.
        stride: step of the window.
        padding: zeros added on each side of H and W.

    Returns:
        (N, F, H', W') with H' = conv_output_size(H, kh, stride, padding) (W' likewise),
        in x's float dtype.
    """
    raise NotImplementedError("hw3 cnn.conv2d")


def conv2d_backward(dout: np.ndarray, x: np.ndarray, w: np.ndarray, b: np.ndarray,
                    stride: int = 1, padding: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of `conv2d` by the chain rule (链式法则).

    Each output is a sum of products w * xpad over one window, so: db[f] sums dout over
    n, i, j; dw[f] sums dout[n, f, i, j] times the window at (i, j); and every window
    sends dout[n, f, i, j] * w[f] back onto the input positions it covered, adding up
    where windows overlap. The padding is cut off at the end.

    Args:
        dout: (N, F, H', W') upstream gradient.
        x, w, b, stride, padding: the arguments of the forward call.

    Returns:
        (dx, dw, db) with the shapes of x (N, C, H, W), w (F, C, kh, kw) and b (F,).
    """
    raise NotImplementedError("hw3 cnn.conv2d_backward")


def max_pool2d(x: np.ndarray, kernel: int = 2, stride: int = 2) -> np.ndarray:
    """Max pooling (最大池化): each kernel x kernel window is replaced by its maximum.

    The window moves by stride with no padding (a last partial window is dropped).
    In the lecture's table, [[3,6,1,4],[4,7,7,8],[2,2,1,2],[2,4,3,4]] with kernel 2,
    stride 2 gives [[7,8],[4,4]].

    Args:
        x: (N, C, H, W) inputs.
        kernel: window size; stride: window step.

    Returns:
        (N, C, H', W') with H' = conv_output_size(H, kernel, stride), in x's dtype.
    """
    raise NotImplementedError("hw3 cnn.max_pool2d")


def avg_pool2d(x: np.ndarray, kernel: int = 2, stride: int = 2) -> np.ndarray:
    """Average pooling (平均池化): each kernel x kernel window is replaced by its mean.

    The window moves by stride with no padding. In the lecture's table,
    [[3,6,1,4],[4,7,7,8],[2,2,1,2],[2,4,3,4]] gives [[5,5],[2.5,2.5]].

    Args:
        x: (N, C, H, W) inputs.
        kernel: window size; stride: window step.

    Returns:
        (N, C, H', W') with H' = conv_output_size(H, kernel, stride), in x's dtype.
    """
    raise NotImplementedError("hw3 cnn.avg_pool2d")


def max_pool2d_backward(dout: np.ndarray, x: np.ndarray, kernel: int = 2,
                        stride: int = 2) -> np.ndarray:
    """Backward pass of `max_pool2d`: the gradient goes to the maximum only.

    Only the winning input influenced the output, so it receives dout and the rest of
    the window gets 0. Ties: the whole gradient goes to the first maximum in row-major
    order within the window. When windows overlap (stride < kernel) an input can win
    several windows and its gradients add up.

    Args:
        dout: (N, C, H', W') upstream gradient.
        x: (N, C, H, W) the forward input; kernel, stride as in the forward call.

    Returns:
        dx, (N, C, H, W) in x's dtype.
    """
    raise NotImplementedError("hw3 cnn.max_pool2d_backward")


def avg_pool2d_backward(dout: np.ndarray, x: np.ndarray, kernel: int = 2,
                        stride: int = 2) -> np.ndarray:
    """Backward pass of `avg_pool2d`: each output spreads its gradient evenly.

    out = mean of kernel*kernel inputs, so each input of the window receives
    dout / (kernel*kernel); overlapping windows (stride < kernel) add up.

    Args:
        dout: (N, C, H', W') upstream gradient.
        x: (N, C, H, W) the forward input; kernel, stride as in the forward call.

    Returns:
        dx, (N, C, H, W) in x's dtype.
    """
    raise NotImplementedError("hw3 cnn.avg_pool2d_backward")



def alexnet_shapes(
        input_shape: tuple[int, int, int] = (3, 224, 224),
) -> list[tuple[str, tuple[int, int, int]]]:
    """Feature-map shape after each layer of AlexNet's feature extractor.

    torchvision layout: conv1 64 filters 11x11 stride 4 padding 2, max pool 3x3 stride 2
    (overlapping pooling, 重叠最大池化), conv2 192 5x5 padding 2, pool, conv3 384 3x3,
    conv4 256 3x3, conv5 256 3x3 (padding 1), pool. Each spatial size follows
    conv_output_size; a convolution sets the channels to its number of filters, a pool
    keeps them. For 224x224 the maps shrink 55, 27, 27, 13, 13, 13, 13, 6.

    Args:
        input_shape: (C, H, W) of one image.

    Returns:
        List of (name, (C, H, W)) for "conv1", "pool1", "conv2", "pool2", "conv3",
        "conv4", "conv5", "pool5" (ReLUs omitted).
    """
    raise NotImplementedError("hw3 cnn.alexnet_shapes")


def build_alexnet(num_classes: int = 1000) -> nn.Module:
    """AlexNet in PyTorch (torchvision's layout), the lecture's example CNN.

    `features`: the five convolutions of `alexnet_shapes`, each followed by ReLU, with
    MaxPool2d(3, stride 2) after conv1, conv2 and conv5; `avgpool`:
    AdaptiveAvgPool2d((6, 6)); `classifier`: Dropout, Linear(9216, 4096), ReLU, Dropout,
    Linear(4096, 4096), ReLU, Linear(4096, num_classes). ReLU and Dropout were the
    novelties of AlexNet; 61,100,840 parameters for 1000 classes (the lecture's "60M").

    Args:
        num_classes: number of output classes.

    Returns:
        An nn.Module mapping (N, 3, 224, 224) images to (N, num_classes) logits.
        Thanks to the adaptive average pool, other sizes work too: (N, 3, H, W)
        for any H, W >= 63 gives (N, num_classes).
    """
    raise NotImplementedError("hw3 cnn.build_alexnet")
