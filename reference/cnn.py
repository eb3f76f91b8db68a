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


def _float(a) -> np.ndarray:
    a = np.asarray(a)
    return a if np.issubdtype(a.dtype, np.floating) else a.astype(np.float64)


def _windows(x: np.ndarray, kh: int, kw: int, stride: int) -> np.ndarray:
    """Strided view (..., H', W', kh, kw) of every window the kernel visits."""
    return sliding_window_view(x, (kh, kw), axis=(-2, -1))[..., ::stride, ::stride, :, :]


def _pad(x: np.ndarray, padding: int) -> np.ndarray:
    if padding == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


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
    x, k = _float(x), np.asarray(k)
    out = np.einsum("ijuv,uv->ij", _windows(x, *k.shape, 1), k[::-1, ::-1])
    return out.astype(x.dtype, copy=False)


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
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1


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
    x, w = _float(x), np.asarray(w)
    win = _windows(_pad(x, padding), w.shape[2], w.shape[3], stride)  # (N,C,H',W',kh,kw)
    out = np.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3]))  # (N,H',W',F)
    out = out.transpose(0, 3, 1, 2) + np.asarray(b)[:, None, None]
    return np.ascontiguousarray(out, dtype=x.dtype)


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
    x, w, dout = _float(x), np.asarray(w), np.asarray(dout)
    kh, kw = w.shape[2:]
    xpad = _pad(x, padding)
    win = _windows(xpad, kh, kw, stride)  # (N,C,H',W',kh,kw)
    h_out, w_out = dout.shape[2:]

    db = dout.sum(axis=(0, 2, 3))
    dw = np.tensordot(dout, win, axes=([0, 2, 3], [0, 2, 3]))  # (F,C,kh,kw)
    dwin = np.tensordot(dout, w, axes=([1], [0]))  # (N,H',W',C,kh,kw)
    dxpad = np.zeros_like(xpad, dtype=dwin.dtype)
    for u in range(kh):
        for v in range(kw):
            dxpad[:, :, u:u + stride * h_out:stride, v:v + stride * w_out:stride] += \
                dwin[..., u, v].transpose(0, 3, 1, 2)
    dx = dxpad[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]]
    dtype = x.dtype
    return (np.ascontiguousarray(dx, dtype=dtype), dw.astype(dtype, copy=False),
            db.astype(dtype, copy=False))


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
    x = _float(x)
    return _windows(x, kernel, kernel, stride).max(axis=(-2, -1))


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
    x = _float(x)
    return _windows(x, kernel, kernel, stride).mean(axis=(-2, -1))


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
    x, dout = _float(x), np.asarray(dout)
    height, width = x.shape[-2:]
    win = _windows(x, kernel, kernel, stride)
    h_out, w_out = win.shape[-4:-2]
    first_max = win.reshape(*win.shape[:-2], kernel * kernel).argmax(axis=-1)  # first of ties
    rows = np.arange(h_out)[:, None] * stride + first_max // kernel
    cols = np.arange(w_out)[None, :] * stride + first_max % kernel
    planes = int(np.prod(x.shape[:-2]))
    target = (np.arange(planes).reshape(-1, 1) * (height * width)
              + (rows * width + cols).reshape(planes, -1))
    # bincount adds repeated indices, which is the accumulation over overlapping windows.
    dx = np.bincount(target.ravel(), weights=dout.ravel(), minlength=x.size)
    return dx.reshape(x.shape).astype(x.dtype, copy=False)


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
    x, dout = _float(x), np.asarray(dout)
    h_out, w_out = dout.shape[-2:]
    share = dout / (kernel * kernel)
    dx = np.zeros_like(x)
    for u in range(kernel):
        for v in range(kernel):
            dx[..., u:u + stride * h_out:stride, v:v + stride * w_out:stride] += share
    return dx


# (name, out_channels, kernel, stride, padding); out_channels None for a max pool.
_ALEXNET_FEATURES = [
    ("conv1", 64, 11, 4, 2), ("pool1", None, 3, 2, 0),
    ("conv2", 192, 5, 1, 2), ("pool2", None, 3, 2, 0),
    ("conv3", 384, 3, 1, 1), ("conv4", 256, 3, 1, 1), ("conv5", 256, 3, 1, 1),
    ("pool5", None, 3, 2, 0),
]


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
    channels, height, width = input_shape
    shapes = []
    for name, out_channels, k, stride, padding in _ALEXNET_FEATURES:
        channels = out_channels or channels
        height = conv_output_size(height, k, stride, padding)
        width = conv_output_size(width, k, stride, padding)
        shapes.append((name, (channels, height, width)))
    return shapes


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
    from torch import nn

    layers = []
    in_channels = 3
    for _, out_channels, k, stride, padding in _ALEXNET_FEATURES:
        if out_channels is None:
            layers.append(nn.MaxPool2d(kernel_size=k, stride=stride))
        else:
            layers += [nn.Conv2d(in_channels, out_channels, k, stride, padding),
                       nn.ReLU(inplace=True)]
            in_channels = out_channels

    # Named like torchvision's AlexNet, so state_dict keys match ("features.0.weight", ...).
    return nn.Sequential(OrderedDict(
        features=nn.Sequential(*layers),
        avgpool=nn.AdaptiveAvgPool2d((6, 6)),
        flatten=nn.Flatten(),
        classifier=nn.Sequential(
            nn.Dropout(p=0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        ),
    ))
