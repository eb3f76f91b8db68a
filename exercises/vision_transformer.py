"""Vision Transformer building blocks (Lecture 4, part 5 "从语言Transformer到视觉 Transformer").

ViT's image patch embedding (图像分块) with the class token and position
embeddings, and the Swin Transformer's window partition, cyclic shift and
shifted-window attention mask (窗口自注意力, 移位窗口机制). NumPy only.
"""

import numpy as np



def patchify(images: np.ndarray, patch_size: int) -> np.ndarray:
    """Cut images into non-overlapping p x p patches and flatten each one.

    ViT treats an image as a sequence of "visual words" (tokens): the image is
    split into fixed-size patches, each of which becomes one token.

    Convention: patches are listed in row-major order (left to right, then
    top to bottom), and each patch is flattened in (C, p, p) order, i.e.
    exactly what a Conv2d with kernel_size = stride = p sees at each position.

    Args:
        images: shape (N, C, H, W); H and W must be divisible by p.
        patch_size: p.

    Returns:
        shape (N, (H/p) * (W/p), C * p * p).
    """
    raise NotImplementedError("hw5 vision_transformer.patchify")


def patch_embed(images: np.ndarray, patch_size: int, W: np.ndarray,
                b: np.ndarray) -> np.ndarray:
    """Patch embedding (Image Patch Embedding): patchify(images) @ W + b.

    A shared linear layer maps every flattened patch to a D-dimensional token;
    this equals a Conv2d with kernel_size = stride = p and D output channels.

    Args:
        images: shape (N, C, H, W).
        patch_size: p (divides H and W).
        W: shape (C * p * p, D), rows in the (C, p, p) flattening order.
        b: shape (D,).

    Returns:
        tokens of shape (N, (H/p) * (W/p), D).
    """
    raise NotImplementedError("hw5 vision_transformer.patch_embed")


def add_cls_and_position(tokens: np.ndarray, cls_token: np.ndarray,
                         pos_embed: np.ndarray) -> np.ndarray:
    """Prepend the learnable class token and add position embeddings.

    ViT puts a [CLS] token in front of the patch tokens; its final state is
    used for classification. Learned position embeddings tell the model where
    each token (including [CLS]) sits.

    Args:
        tokens: patch tokens, shape (N, P, D).
        cls_token: shape (D,), the same for every image.
        pos_embed: shape (P + 1, D), row 0 for the class token.

    Returns:
        shape (N, P + 1, D): concat([cls_token], tokens) + pos_embed, class token first.
    """
    raise NotImplementedError("hw5 vision_transformer.add_cls_and_position")


def window_partition(x: np.ndarray, ws: int) -> np.ndarray:
    """Split a feature map into non-overlapping ws x ws windows (Swin).

    Swin computes self-attention only inside each local window, so the cost
    grows linearly with the image size instead of quadratically.

    Convention: channels last; windows are listed image by image, and within
    an image in row-major order.

    Args:
        x: shape (N, H, W, C); H and W divisible by ws.
        ws: window size.

    Returns:
        shape (N * nW, ws, ws, C) with nW = (H/ws) * (W/ws).
    """
    raise NotImplementedError("hw5 vision_transformer.window_partition")


def window_reverse(windows: np.ndarray, ws: int, H: int, W: int) -> np.ndarray:
    """Inverse of window_partition: stitch windows back into feature maps.

    Args:
        windows: shape (N * nW, ws, ws, C) in window_partition's order.
        ws: window size.
        H, W: height and width of the original map (divisible by ws).

    Returns:
        shape (N, H, W, C); window_reverse(window_partition(x, ws), ws, H, W) == x.
    """
    raise NotImplementedError("hw5 vision_transformer.window_reverse")


def cyclic_shift(x: np.ndarray, shift: int) -> np.ndarray:
    """Cyclic shift used by Swin's shifted windows (移位窗口).

    Rolling the map up-left by `shift` (usually ws // 2) before partitioning
    makes the new windows straddle the old window borders, so information can
    flow between neighbouring windows; rolling by +shift undoes it.

    Args:
        x: shape (N, H, W, C).
        shift: number of positions.

    Returns:
        shape (N, H, W, C): x rolled by -shift along H and along W (like
        np.roll(x, (-shift, -shift), axis=(1, 2))).
    """
    raise NotImplementedError("hw5 vision_transformer.cyclic_shift")


def shifted_window_mask(H: int, W: int, ws: int, shift: int) -> np.ndarray:
    """Attention mask for Swin's shifted-window attention.

    After the cyclic shift a window can contain pixels that were far apart in
    the original image (wrapped around the border); they must not attend to
    each other. Swin labels regions of the (unshifted) H x W map: rows are cut
    into [0, H-ws), [H-ws, H-shift), [H-shift, H) and columns likewise into
    [0, W-ws), [W-ws, W-shift), [W-shift, W), giving up to 9 labelled
    regions; the label map is partitioned into windows like the shifted
    features, and two tokens of a window may attend iff their labels are
    equal. With shift == 0 every entry is True.

    Args:
        H, W: feature map size, divisible by ws.
        ws: window size.
        shift: shift size, 0 <= shift < ws.

    Returns:
        bool array of shape (nW, ws*ws, ws*ws), nW = (H/ws) * (W/ws), windows
        in row-major order, tokens in each window in row-major order;
        True = may attend.
    """
    raise NotImplementedError("hw5 vision_transformer.shifted_window_mask")
