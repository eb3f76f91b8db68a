"""Checks for vision_transformer (hw5): ViT patch embedding, class token, Swin windows and masks.

Oracles: torch (F.unfold, Conv2d, torch.roll, imported inside the checks), explicit loops written
from the contract's definitions, and Swin's region-label construction written here.
"""
from __future__ import annotations

import numpy as np

from ..compare import as_bool_array, expect_array, expect_true
from ..context import Context
from ..errors import StudentCodeStopped
from ..i18n import Text
from ..oracles import oracle
from ..registry import check
from ..tolerances import ATOL32, ATOL64, EXACT, RTOL32, RTOL64, by_dtype
from .common import FLOAT32_HINT, against, with_float32

HINT_PATCHIFY = Text(
    zh="讲义第 5 部分（图像分块，Image Patch Embedding）：图块先从左到右、再从上到下排列，每个图块按通道逐个展平为 (C, p, p)，"
       "与 kernel = stride = p 的 Conv2d 看到的一样。",
    en="Lecture part 5 (图像分块, Image Patch Embedding): patches go left to right, then top to bottom, and "
       "each patch is flattened channel by channel, (C, p, p), as a Conv2d with kernel = stride = p sees it.")
HINT_EMBED = Text(
    zh="讲义第 5 部分（图像分块）：图块嵌入是所有展平图块共享的一个线性层 patchify(images) W + b，与 kernel = stride = p 的 "
       "Conv2d 相同。",
    en="Lecture part 5 (图像分块): the patch embedding is one linear layer shared by every flattened patch, "
       "patchify(images) W + b, the same as a Conv2d with kernel = stride = p.")
HINT_CLS = Text(
    zh="讲义第 5 部分（ViT）：[CLS] 标记放在图块标记之前（位置 0），位置嵌入加到每个标记上，类别标记也不例外（pos_embed 的第 0 行）。",
    en="Lecture part 5 (ViT): the [CLS] token goes in front of the patch tokens (position 0), and the "
       "position embedding is added to every token, the class token included (pos_embed row 0).")
HINT_PARTITION = Text(
    zh="讲义第 5 部分（Swin，窗口自注意力）：每张图像的特征图被切成 ws x ws 的窗口，按图像逐张列出；同一张图像内按行、从左到右列出。",
    en="Lecture part 5 (Swin, 窗口自注意力): each image's map is cut into ws x ws windows, listed image by "
       "image and, within an image, row by row from left to right.")
HINT_REVERSE = Text(
    zh="讲义第 5 部分（Swin，窗口自注意力）：window_reverse 恰好撤销 window_partition，窗口顺序相同，N 由窗口个数推出。",
    en="Lecture part 5 (Swin, 窗口自注意力): window_reverse undoes window_partition exactly, with the same "
       "window order and N recovered from the number of windows.")
HINT_SHIFT = Text(
    zh="讲义第 5 部分（移位窗口）：特征图沿 H 和 W 都向下标较小的方向循环移动 shift，从顶部和左侧移出的部分回到底部和右侧。",
    en="Lecture part 5 (移位窗口): the map is rolled cyclically by shift toward smaller indices along H and "
       "along W, what leaves at the top and left coming back at the bottom and right.")
HINT_MASK = Text(
    zh="讲义第 5 部分（移位窗口）：移位后的特征图按行的切片 [0, H-ws)、[H-ws, H-shift)、[H-shift, H) 和列的同样切片分成最多九个区域，"
       "同一窗口中的两个标记当且仅当来自同一区域时才能相互关注。",
    en="Lecture part 5 (移位窗口): the shifted map splits into up to nine regions by the slices [0, H-ws), "
       "[H-ws, H-shift), [H-shift, H) of the rows and likewise of the columns, and two tokens of a window "
       "may attend to each other iff they come from the same region.")
CHANNEL_LAST = Text("按通道在后 (p, p, C) 而不是 (C, p, p) 展平的图块",
                    "patches flattened channel-last, (p, p, C), instead of (C, p, p)")
COLUMN_MAJOR = Text("按列优先顺序排列的窗口", "the windows in column-major order")
WRONG_WAY = Text("按 +shift（向下、向右）滚动的特征图", "the map rolled by +shift (down and right)")


# --------------------------------------------------------------------------- oracles (from the definitions)

@oracle
def _patches(images: np.ndarray, p: int, channel_last: bool = False) -> np.ndarray:
    """Row-major patches, each flattened in (C, p, p) order (or (p, p, C) for the classic mistake)."""
    N, C, H, W = images.shape
    rows = []
    for n in range(N):
        tokens = []
        for i in range(H // p):
            for j in range(W // p):
                patch = images[n, :, i * p:(i + 1) * p, j * p:(j + 1) * p]
                tokens.append((patch.transpose(1, 2, 0) if channel_last else patch).ravel())
        rows.append(tokens)
    return np.array(rows, dtype=images.dtype)


@oracle
def _windows(x: np.ndarray, ws: int, column_major: bool = False) -> np.ndarray:
    """All ws x ws windows, image by image, row-major within an image (or column-major)."""
    N, H, W, _ = x.shape
    order = [(i, j) for i in range(H // ws) for j in range(W // ws)]
    if column_major:
        order = [(i, j) for j in range(W // ws) for i in range(H // ws)]
    return np.array([x[n, i * ws:(i + 1) * ws, j * ws:(j + 1) * ws] for n in range(N) for i, j in order])


def _region(index: int, size: int, ws: int, shift: int) -> int:
    # Swin's three slices of one axis: [0, size-ws), [size-ws, size-shift), [size-shift, size)
    if index < size - ws:
        return 0
    return 1 if index < size - shift else 2


@oracle
def _region_mask(H: int, W: int, ws: int, shift: int) -> np.ndarray:
    labels = np.array([[3 * _region(r, H, ws, shift) + _region(c, W, ws, shift) for c in range(W)]
                       for r in range(H)])
    tokens = _windows(labels[None, :, :, None], ws).reshape(-1, ws * ws)
    return tokens[:, :, None] == tokens[:, None, :]


def _sizes(ctx: Context, general: bool) -> tuple[int, int, int, int, int]:
    """(N, C, h, w, p): h x w patches (or windows) of size p. A general case has every size >= 2,
    so layout mistakes (channel order, window order, N) cannot hide behind a size of 1."""
    low = 2 if general else 1
    N, C, h, w = (int(v) for v in ctx.rng.integers(low, 4, size=4))
    return N, C, h, w, int(ctx.rng.integers(low, 4))


def _random_images(ctx: Context, dtype=np.float64, general: bool = False) -> tuple[np.ndarray, int]:
    N, C, h, w, p = _sizes(ctx, general)
    return ctx.rng.normal(size=(N, C, h * p, w * p)).astype(dtype), p


def _random_map(ctx: Context, dtype=np.float64, general: bool = False) -> tuple[np.ndarray, int]:
    N, C, h, w, ws = _sizes(ctx, general)
    return ctx.rng.normal(size=(N, h * ws, w * ws, C)).astype(dtype), ws


# --------------------------------------------------------------------------- patchify

@check("hw5.vision_transformer.patchify.lecture_example", hint=HINT_PATCHIFY)
def patchify_lecture_example(ctx: Context) -> None:
    images = np.arange(32, dtype=np.float64).reshape(1, 2, 4, 4)  # channel 0 holds 0..15, channel 1 16..31
    want = np.array([[[0, 1, 4, 5, 16, 17, 20, 21],        # top-left patch: channel 0, then channel 1
                      [2, 3, 6, 7, 18, 19, 22, 23],        # top-right
                      [8, 9, 12, 13, 24, 25, 28, 29],      # bottom-left
                      [10, 11, 14, 15, 26, 27, 30, 31]]],  # bottom-right
                    dtype=np.float64)
    alternatives = {CHANNEL_LAST: _patches(images, 2, channel_last=True)}
    for dtype in (np.float64, np.float32):
        got = ctx.call_unchanged(images.astype(dtype), 2)
        expect_array(got, want, f"patchify(np.arange(32.).reshape(1, 2, 4, 4), 2), {np.dtype(dtype).name}",
                     Text("一张 4x4、2 个通道的图像，切成四个 2x2 的图块",
                          "a 4x4 image with 2 channels cut into four 2x2 patches"), **EXACT, dtype=dtype,
                     hint_on=alternatives)


@check("hw5.vision_transformer.patchify.matches_unfold", hint=HINT_PATCHIFY)
def patchify_matches_unfold(ctx: Context) -> None:
    import torch
    import torch.nn.functional as F

    for i, dtype in enumerate((np.float64, np.float64, np.float32)):
        images, p = _random_images(ctx, dtype, general=i == 0)
        # unfold lists each kernel position's values as (C, kh, kw): the Conv2d view of a patch
        want = F.unfold(torch.from_numpy(images), p, stride=p).transpose(1, 2).numpy()
        got = ctx.call_unchanged(images, p)
        expect_array(got, want, against("patchify", "torch F.unfold(x, p, stride=p).transpose(1, 2)"),
                     ctx.case(images=images, patch_size=p), **EXACT, dtype=images.dtype,
                     hint_on={CHANNEL_LAST: _patches(images, p, channel_last=True)})


# --------------------------------------------------------------------------- patch_embed

@oracle
def _conv_tokens(images: np.ndarray, p: int, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tokens of a Conv2d(C, D, p, stride=p) carrying the same weights, in float64."""
    import torch

    C, D = images.shape[1], W.shape[1]
    conv = torch.nn.Conv2d(C, D, p, stride=p).double()
    assert conv.bias is not None  # Conv2d has a bias unless bias=False
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(W.T.astype(np.float64).reshape(D, C, p, p)))
        conv.bias.copy_(torch.from_numpy(b.astype(np.float64)))
        out = conv(torch.from_numpy(images.astype(np.float64)))
    return out.flatten(2).transpose(1, 2).numpy()


def _embed_inputs(ctx: Context, dtype=np.float64, general: bool = True):
    images, p = _random_images(ctx, dtype, general)
    C, D = images.shape[1], int(ctx.rng.integers(2, 7))
    W = (ctx.rng.normal(size=(C * p * p, D)) / np.sqrt(C * p * p)).astype(dtype)
    b = ctx.rng.normal(size=D).astype(dtype)
    return images, p, W, b


def _expect_tokens(ctx: Context, got, images: np.ndarray, p: int, W: np.ndarray, b: np.ndarray, what: str | Text,
                   case: str | Text, rtol: float, atol: float, dtype) -> None:
    """patch_embed's tokens against the Conv2d view, or against the student's own patchify.

    The contract defines patch_embed as patchify(images) @ W + b: a patchify bug is charged by
    patchify's checks, so a patch_embed built on that patchify is judged with it (charged once).
    """
    want = _conv_tokens(images, p, W, b)
    if not _matches(got, want, rtol, atol):
        own, patches = _own_patchify(ctx, images, p), _patches(images, p)
        # Only a patchify that rearranges the image's own pixels (every patchify bug does: another
        # order, another flattening) counts: one that computes nothing (zeros, say) would make a
        # patch_embed returning b look "consistent" with it.
        if (own is not None and own.shape == patches.shape and not _matches(own, patches, 0.0, 0.0)
                and np.array_equal(np.sort(own.ravel()), np.sort(patches.ravel()))):
            with_own = own.astype(np.float64) @ W.astype(np.float64) + b
            if _matches(got, with_own, rtol, atol):
                want = with_own
    expect_array(got, want, what, case, rtol=rtol, atol=atol, dtype=dtype,
                 hint_on={Text("没有加偏置 b 的标记", "the tokens without the bias b"): want - b,
                          Text("按通道在后 (p, p, C) 展平的图块", "patches flattened channel-last, (p, p, C)"):
                              _patches(images, p, True).astype(np.float64) @ W + b})


def _matches(got, want: np.ndarray, rtol: float, atol: float) -> bool:
    return (isinstance(got, np.ndarray) and got.shape == want.shape and got.dtype.kind == "f"
            and bool(np.all(np.abs(got.astype(np.float64) - want) <= atol + rtol * np.abs(want))))


def _own_patchify(ctx: Context, images: np.ndarray, p: int) -> np.ndarray | None:
    try:
        own = ctx.call_named("patchify", images, p)
    except StudentCodeStopped:  # not attempted or broken: patch_embed is judged on its own
        return None
    return own if isinstance(own, np.ndarray) else None


@check("hw5.vision_transformer.patch_embed.small_example", hint=HINT_EMBED)
def patch_embed_small_example(ctx: Context) -> None:
    images = np.arange(32, dtype=np.float64).reshape(1, 2, 4, 4) / 8  # the patchify example, scaled
    W = np.array([[1.0, 0.0, -1.0], [0.5, 1.0, 0.0], [0.0, -0.5, 1.0], [1.0, 1.0, 0.0],
                  [0.0, 0.0, 0.5], [-1.0, 0.5, 0.0], [0.25, 0.0, 1.0], [0.0, 2.0, -0.5]])
    b = np.array([0.5, -1.0, 0.25])
    case = "images = np.arange(32.).reshape(1, 2, 4, 4) / 8, patch_size = 2, W (8, 3), b = [0.5, -1, 0.25]"
    for dtype in (np.float64, np.float32):
        images_d, W_d, b_d = (a.astype(dtype) for a in (images, W, b))
        call = ctx.call_unchanged if dtype == np.float64 else ctx.call
        tol = by_dtype(dtype)
        _expect_tokens(ctx, call(images_d, 2, W_d, b_d), images_d, 2, W_d, b_d,
                       f"patch_embed ({np.dtype(dtype).name})", case, tol["rtol"], tol["atol"], dtype)


@check("hw5.vision_transformer.patch_embed.matches_conv2d", hint=HINT_EMBED)
def patch_embed_matches_conv2d(ctx: Context) -> None:
    for i in range(3):
        images, p, W, b = _embed_inputs(ctx, general=i == 0)
        got = ctx.call_unchanged(images, p, W, b)
        _expect_tokens(ctx, got, images, p, W, b, against("patch_embed", Text(
                       "权重相同的 Conv2d(C, D, p, stride=p)", "a Conv2d(C, D, p, stride=p) with the same weights")),
                       ctx.case(images=images, W=W, b=b, patch_size=p), RTOL64, ATOL64, np.float64)


@check("hw5.vision_transformer.patch_embed.float32", hint=FLOAT32_HINT)
def patch_embed_float32(ctx: Context) -> None:
    images, p, W, b = _embed_inputs(ctx, np.float32)
    _expect_tokens(ctx, ctx.call(images, p, W, b), images, p, W, b, with_float32("patch_embed"),
                   ctx.case(images=images, W=W, b=b, patch_size=p), RTOL32, ATOL32, np.float32)


# --------------------------------------------------------------------------- add_cls_and_position

@oracle
def _with_cls(tokens: np.ndarray, cls: np.ndarray, pos: np.ndarray) -> np.ndarray:
    N, P, D = tokens.shape
    out = np.empty((N, P + 1, D), dtype=np.float64)
    out[:, 0] = cls
    out[:, 1:] = tokens
    return out + pos


CLS_LABELS = {"last": Text("类别标记放在最后而不是最前", "the class token appended last instead of first"),
              "no_pos": Text("位置嵌入没有加到类别标记上", "the position embedding not added to the class token")}


def _cls_alternatives(tokens: np.ndarray, cls: np.ndarray, pos: np.ndarray) -> dict[Text, np.ndarray]:
    return {CLS_LABELS[key]: value for key, value in _cls_alternative_values(tokens, cls, pos).items()}


@oracle
def _cls_alternative_values(tokens: np.ndarray, cls: np.ndarray, pos: np.ndarray) -> dict[str, np.ndarray]:
    last = np.concatenate([tokens, np.broadcast_to(cls, (tokens.shape[0], 1, cls.size))], axis=1) + pos
    no_pos_on_cls = _with_cls(tokens, cls, pos)
    no_pos_on_cls[:, 0] -= pos[0]
    return {"last": last, "no_pos": no_pos_on_cls}


def _cls_inputs(ctx: Context, dtype=np.float64):
    N, P, D = (int(v) for v in ctx.rng.integers(1, 6, size=3))
    tokens = ctx.rng.normal(size=(N, P, D)).astype(dtype)
    return tokens, ctx.rng.normal(size=D).astype(dtype), ctx.rng.normal(size=(P + 1, D)).astype(dtype)


@check("hw5.vision_transformer.add_cls_and_position.class_token_first", hint=HINT_CLS)
def add_cls_class_token_first(ctx: Context) -> None:
    tokens = np.array([[[1.0, 2.0], [3.0, 4.0]]])           # one image, two patch tokens, D = 2
    cls = np.array([10.0, 20.0])
    pos = np.array([[0.5, 0.5], [0.25, 0.25], [0.125, 0.125]])
    want = np.array([[[10.5, 20.5], [1.25, 2.25], [3.125, 4.125]]])
    case = "tokens [[[1,2],[3,4]]], cls_token [10,20], pos_embed [[.5,.5],[.25,.25],[.125,.125]]"
    for dtype in (np.float64, np.float32):  # every value is exact in both dtypes
        got = ctx.call_unchanged(*(a.astype(dtype) for a in (tokens, cls, pos)))
        expect_array(got, want, f"add_cls_and_position ({np.dtype(dtype).name})", case, rtol=0, atol=1e-12,
                     dtype=dtype, hint_on=_cls_alternatives(tokens, cls, pos))


@check("hw5.vision_transformer.add_cls_and_position.random", hint=HINT_CLS)
def add_cls_random(ctx: Context) -> None:
    for _ in range(3):
        tokens, cls, pos = _cls_inputs(ctx)
        got = ctx.call_unchanged(tokens, cls, pos)
        expect_array(got, _with_cls(tokens, cls, pos), "add_cls_and_position",
                     ctx.case(tokens=tokens, cls_token=cls, pos_embed=pos),
                     rtol=RTOL64, atol=ATOL64, dtype=np.float64, hint_on=_cls_alternatives(tokens, cls, pos))


@check("hw5.vision_transformer.add_cls_and_position.float32", hint=FLOAT32_HINT)
def add_cls_float32(ctx: Context) -> None:
    tokens, cls, pos = _cls_inputs(ctx, np.float32)
    got = ctx.call(tokens, cls, pos)
    want = _with_cls(*(a.astype(np.float64) for a in (tokens, cls, pos)))
    expect_array(got, want, with_float32("add_cls_and_position"), ctx.case(tokens=tokens, cls_token=cls, pos_embed=pos),
                 rtol=RTOL32, atol=ATOL32, dtype=np.float32)


# --------------------------------------------------------------------------- window_partition / reverse

@check("hw5.vision_transformer.window_partition.layout", hint=HINT_PARTITION)
def window_partition_layout(ctx: Context) -> None:
    x = np.arange(16, dtype=np.float64).reshape(1, 4, 4, 1)
    want = np.array([[[0, 1], [4, 5]], [[2, 3], [6, 7]],          # top row of windows, left to right
                     [[8, 9], [12, 13]], [[10, 11], [14, 15]]],   # then the bottom row
                    dtype=np.float64)[..., None]
    got = ctx.call(x, 2)
    expect_array(got, want, "window_partition(np.arange(16.).reshape(1, 4, 4, 1), 2)",
                 Text("一张 4x4 的特征图，切成四个 2x2 的窗口", "a 4x4 map cut into four 2x2 windows"), **EXACT,
                 hint_on={COLUMN_MAJOR: _windows(x, 2, column_major=True)})
    # two images of a non-square 2x4 map: image 0's windows come first
    x = np.arange(16, dtype=np.float64).reshape(2, 2, 4, 1)
    want = np.array([[[0, 1], [4, 5]], [[2, 3], [6, 7]],
                     [[8, 9], [12, 13]], [[10, 11], [14, 15]]], dtype=np.float64)[..., None]
    got = ctx.call_unchanged(x.astype(np.float32), 2)
    expect_array(got, want, "window_partition(np.arange(16.).reshape(2, 2, 4, 1), 2), float32",
                 Text("两张 2x4 的特征图，各有两个窗口", "two 2x4 maps, two windows each"), **EXACT, dtype=np.float32)


@check("hw5.vision_transformer.window_partition.random", hint=HINT_PARTITION)
def window_partition_random(ctx: Context) -> None:
    for i, dtype in enumerate((np.float64, np.float64, np.float32)):
        x, ws = _random_map(ctx, dtype, general=i == 0)
        got = ctx.call_unchanged(x, ws)
        expect_array(got, _windows(x, ws), "window_partition", ctx.case(x=x, ws=ws),
                     **EXACT, dtype=x.dtype, hint_on={COLUMN_MAJOR: _windows(x, ws, column_major=True)})


@check("hw5.vision_transformer.window_reverse.round_trip", hint=HINT_REVERSE)
def window_reverse_round_trip(ctx: Context) -> None:
    x = np.arange(48, dtype=np.float64).reshape(2, 2, 4, 3)  # two non-square maps, 3 channels
    got = ctx.call(_windows(x, 2), 2, 2, 4)
    expect_array(got, x, "window_reverse(window_partition(x, 2), 2, 2, 4)",
                 Text("x = np.arange(48.).reshape(2, 2, 4, 3)；窗口由评分程序生成",
                      "x = np.arange(48.).reshape(2, 2, 4, 3); the windows are made by the judge"), **EXACT)
    x32 = np.arange(36, dtype=np.float32).reshape(1, 6, 6, 1)
    got = ctx.call_unchanged(_windows(x32, 3), 3, 6, 6)
    expect_array(got, x32, "window_reverse(window_partition(x, 3), 3, 6, 6), float32",
                 Text("x = np.arange(36.).reshape(1, 6, 6, 1) float32；窗口由评分程序生成",
                      "x = np.arange(36.).reshape(1, 6, 6, 1) float32; the windows are made by the judge"), **EXACT,
                 dtype=np.float32)


@check("hw5.vision_transformer.window_reverse.random", hint=HINT_REVERSE)
def window_reverse_random(ctx: Context) -> None:
    for i, dtype in enumerate((np.float64, np.float64, np.float32)):
        x, ws = _random_map(ctx, dtype, general=i == 0)
        windows = _windows(x, ws)
        got = ctx.call_unchanged(windows, ws, x.shape[1], x.shape[2])
        expect_array(got, x, "window_reverse", ctx.case(windows=windows, ws=ws, H=x.shape[1], W=x.shape[2]),
                     **EXACT, dtype=x.dtype)


# --------------------------------------------------------------------------- cyclic_shift

@check("hw5.vision_transformer.cyclic_shift.small_example", hint=HINT_SHIFT)
def cyclic_shift_small_example(ctx: Context) -> None:
    x = np.arange(9, dtype=np.float64).reshape(1, 3, 3, 1)
    want = np.array([[4, 5, 3], [7, 8, 6], [1, 2, 0]], dtype=np.float64).reshape(1, 3, 3, 1)
    wrong_way = np.array([[8, 6, 7], [2, 0, 1], [5, 3, 4]], dtype=np.float64).reshape(1, 3, 3, 1)
    for dtype in (np.float64, np.float32):
        got = ctx.call_unchanged(x.astype(dtype), 1)
        expect_array(got, want, f"cyclic_shift(np.arange(9.).reshape(1, 3, 3, 1), 1), {np.dtype(dtype).name}",
                     Text("特征图 [[0,1,2],[3,4,5],[6,7,8]]", "map [[0,1,2],[3,4,5],[6,7,8]]"), **EXACT, dtype=dtype,
                     hint_on={WRONG_WAY: wrong_way})


@check("hw5.vision_transformer.cyclic_shift.matches_torch_roll", hint=HINT_SHIFT)
def cyclic_shift_matches_torch_roll(ctx: Context) -> None:
    import torch

    for i, dtype in enumerate((np.float64, np.float64, np.float32)):
        x, ws = _random_map(ctx, dtype, general=i == 0)
        shift = int(ctx.rng.integers(i == 0, ws + 1))  # 0 and a full window too, but not in the first case
        want = torch.roll(torch.from_numpy(x), (-shift, -shift), dims=(1, 2)).numpy()
        got = ctx.call_unchanged(x, shift)
        expect_array(got, want, against("cyclic_shift", "torch.roll(x, (-shift, -shift), dims=(1, 2))"),
                     ctx.case(x=x, shift=shift), **EXACT, dtype=x.dtype,
                     hint_on={WRONG_WAY: torch.roll(torch.from_numpy(x), (shift, shift), dims=(1, 2)).numpy()})


# --------------------------------------------------------------------------- shifted_window_mask

def _expect_mask(got, want: np.ndarray, H: int, W: int, ws: int, shift: int, case: str | Text) -> None:
    what = f"shifted_window_mask(H={H}, W={W}, ws={ws}, shift={shift})"
    arr = as_bool_array(got, what, case, shape=want.shape)
    bad = np.argwhere(arr != want)
    if len(bad) == 0:
        return
    w, i, j = (int(v) for v in bad[0])
    problem = Text(f"{len(bad)} / {want.size} 个元素不同；第一个在窗口 {w}、查询标记 {i}、键标记 {j}：实际 "
                   f"{bool(arr[w, i, j])}，期望 {bool(want[w, i, j])}",
                   f"{len(bad)} / {want.size} entries differ; first at window {w}, query token {i}, key token {j}: "
                   f"got {bool(arr[w, i, j])}, expected {bool(want[w, i, j])}")
    if np.all(arr):
        problem += Text("（你的掩码全为 True：shift > 0 时，循环移位回来的区域之间不能相互关注）",
                        " (your mask is all True: with shift > 0 wrapped-around regions must not attend)")
    expect_true(False, what, case, problem)


@check("hw5.vision_transformer.shifted_window_mask.no_shift_all_true", hint=Text(
    zh="讲义第 5 部分（移位窗口）：shift = 0 时没有任何部分被循环移回，所以每个窗口只含一个区域，每个元素都为 True，形状为 "
       "(nW, ws*ws, ws*ws)。",
    en="Lecture part 5 (移位窗口): with shift = 0 nothing wraps around, so every window holds one region and every entry "
       "is True, in shape (nW, ws*ws, ws*ws)."))
def mask_no_shift_all_true(ctx: Context) -> None:
    for H, W, ws in ((4, 4, 2), (6, 3, 3), (2, 8, 2)):
        want = np.ones(((H // ws) * (W // ws), ws * ws, ws * ws), dtype=bool)
        _expect_mask(ctx.call(H, W, ws, 0), want, H, W, ws, 0, "shift = 0")
    # All True is right here because the shift is 0: the same map shifted by 1 has windows that
    # mix regions (a mask that is all True whatever the shift says nothing about shift = 0).
    what = "shifted_window_mask(H=4, W=4, ws=2, shift=1)"
    contrast = Text("与 shift = 1 对照", "the contrast with shift = 1")
    mixed = as_bool_array(ctx.call(4, 4, 2, 1), what, contrast, shape=(4, 4, 4))
    expect_true(not np.all(mixed), what, contrast,
                Text("每个元素都是 True，但 shift > 0 时，位于循环移位边界的窗口含有多个区域的标记，它们之间不能相互关注",
                     "every entry is True, but with shift > 0 the windows at the wrapped-around border hold tokens of "
                     "several regions, which must not attend to each other"))


@check("hw5.vision_transformer.shifted_window_mask.small_example", hint=HINT_MASK)
def mask_small_example(ctx: Context) -> None:
    # H = W = 4, ws = 2, shift = 1: rows and columns are cut into [0,2), [2,3), [3,4), so the
    # labels (3 * row slice + column slice) of the four windows' tokens, each in row-major order, are:
    labels = np.array([[0, 0, 0, 0],   # top-left window: one region, all True
                       [1, 2, 1, 2],   # top-right: the columns split
                       [3, 3, 6, 6],   # bottom-left: the rows split
                       [4, 5, 7, 8]])  # bottom-right: four regions, only the diagonal is True
    want = labels[:, :, None] == labels[:, None, :]
    _expect_mask(ctx.call(4, 4, 2, 1), want, 4, 4, 2, 1, Text("4x4 的特征图，2x2 窗口，移位 1",
                                                              "the 4x4 map with 2x2 windows shifted by 1"))


@check("hw5.vision_transformer.shifted_window_mask.matches_swin_regions", hint=HINT_MASK)
def mask_matches_swin_regions(ctx: Context) -> None:
    cases = [(8, 8, 4, 2), (6, 9, 3, 1), (4, 6, 2, 1), (6, 4, 2, 1), (9, 6, 3, 2), (4, 4, 4, 2)]
    for _ in range(3):
        ws = int(ctx.rng.integers(2, 5))
        h, w = (int(v) for v in ctx.rng.integers(1, 4, size=2))
        cases.append((h * ws, w * ws, ws, int(ctx.rng.integers(0, ws))))
    for H, W, ws, shift in cases:
        _expect_mask(ctx.call(H, W, ws, shift), _region_mask(H, W, ws, shift), H, W, ws, shift,
                     ctx.case(Text("Swin 的区域标签", "Swin's region labels")))
