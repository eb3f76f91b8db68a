"""vision_transformer (hw5): every function's checks catch deliberately wrong implementations."""
from __future__ import annotations

from helpers import assert_caught, grade_inprocess, submission_with

WRONG = {
    "patchify": {
        "channel_last_flattening": """
            def patchify(images, patch_size):
                N, C, H, W = images.shape
                p = patch_size
                x = images.reshape(N, C, H // p, p, W // p, p).transpose(0, 2, 4, 3, 5, 1)
                return x.reshape(N, (H // p) * (W // p), C * p * p)
        """,
        "column_major_patches": """
            def patchify(images, patch_size):
                N, C, H, W = images.shape
                p = patch_size
                x = images.reshape(N, C, H // p, p, W // p, p).transpose(0, 4, 2, 1, 3, 5)
                return x.reshape(N, (H // p) * (W // p), C * p * p)
        """,
        "float64_always": """
            _patchify_ok = patchify

            def patchify(images, patch_size):
                return _patchify_ok(images.astype(np.float64), patch_size)
        """,
    },
    "patch_embed": {
        "no_bias": """
            def patch_embed(images, patch_size, W, b):
                return patchify(images, patch_size) @ W
        """,
        "channel_last_patches": """
            def patch_embed(images, patch_size, W, b):
                N, C, H, Wd = images.shape
                p = patch_size
                x = images.reshape(N, C, H // p, p, Wd // p, p).transpose(0, 2, 4, 3, 5, 1)
                return x.reshape(N, (H // p) * (Wd // p), C * p * p) @ W + b
        """,
        "float64_always": """
            def patch_embed(images, patch_size, W, b):
                return patchify(images, patch_size).astype(np.float64) @ W + b
        """,
    },
    "add_cls_and_position": {
        "class_token_last": """
            def add_cls_and_position(tokens, cls_token, pos_embed):
                N, _, D = tokens.shape
                cls = np.broadcast_to(cls_token, (N, 1, D))
                return np.concatenate([tokens, cls], axis=1) + pos_embed
        """,
        "no_position_on_class_token": """
            def add_cls_and_position(tokens, cls_token, pos_embed):
                N, _, D = tokens.shape
                cls = np.broadcast_to(cls_token, (N, 1, D))
                return np.concatenate([cls, tokens + pos_embed[1:]], axis=1)
        """,
        "float64_always": """
            def add_cls_and_position(tokens, cls_token, pos_embed):
                N, P, D = tokens.shape
                out = np.zeros((N, P + 1, D))
                out[:, 0] = cls_token
                out[:, 1:] = tokens
                return out + pos_embed
        """,
    },
    "window_partition": {
        "column_major_windows": """
            def window_partition(x, ws):
                N, H, W, C = x.shape
                x = x.reshape(N, H // ws, ws, W // ws, ws, C).transpose(0, 3, 1, 2, 4, 5)
                return x.reshape(-1, ws, ws, C)
        """,
        "tokens_transposed": """
            def window_partition(x, ws):
                N, H, W, C = x.shape
                x = x.reshape(N, H // ws, ws, W // ws, ws, C).transpose(0, 1, 3, 4, 2, 5)
                return x.reshape(-1, ws, ws, C)
        """,
    },
    "window_reverse": {
        "mismatched_order": """
            def window_reverse(windows, ws, H, W):
                C = windows.shape[-1]
                N = windows.shape[0] // ((H // ws) * (W // ws))
                x = windows.reshape(N, W // ws, H // ws, ws, ws, C).transpose(0, 2, 3, 1, 4, 5)
                return x.reshape(N, H, W, C)
        """,
        "plain_reshape": """
            def window_reverse(windows, ws, H, W):
                return windows.reshape(-1, H, W, windows.shape[-1])
        """,
    },
    "cyclic_shift": {
        "wrong_direction": """
            def cyclic_shift(x, shift):
                return np.roll(x, (shift, shift), axis=(1, 2))
        """,
        "only_along_H": """
            def cyclic_shift(x, shift):
                return np.roll(x, -shift, axis=1)
        """,
        "modifies_input": """
            def cyclic_shift(x, shift):
                x[...] = np.roll(x, (-shift, -shift), axis=(1, 2))
                return x
        """,
    },
    "shifted_window_mask": {
        "slices_in_wrong_place": """
            def shifted_window_mask(H, W, ws, shift):
                labels = np.zeros((1, H, W, 1), dtype=np.int64)
                rows, cols = (0, shift, ws, H), (0, shift, ws, W)
                region = 0
                for r0, r1 in zip(rows[:-1], rows[1:]):
                    for c0, c1 in zip(cols[:-1], cols[1:]):
                        labels[:, r0:r1, c0:c1] = region
                        region += 1
                labels = window_partition(labels, ws).reshape(-1, ws * ws)
                return labels[:, :, None] == labels[:, None, :]
        """,
        "all_true": """
            def shifted_window_mask(H, W, ws, shift):
                nW = (H // ws) * (W // ws)
                return np.ones((nW, ws * ws, ws * ws), dtype=bool)
        """,
        "float_mask": """
            _mask_ok = shifted_window_mask

            def shifted_window_mask(H, W, ws, shift):
                return _mask_ok(H, W, ws, shift).astype(np.float64)
        """,
    },
}


def test_reference_gets_full_marks_for_many_seeds(tmp_path):
    folder = submission_with(tmp_path / "sub", "vision_transformer")
    for seed in range(1, 21):
        results = grade_inprocess(folder, ["vision_transformer"], seed=seed)
        assert results.score == results.max_score, (seed, [c.message for c in results.checks
                                                           if c.status != "passed"])


def test_loop_based_implementations_get_full_marks(tmp_path):
    loops = """
        def patchify(images, patch_size):
            N, C, H, W = images.shape
            p = patch_size
            out = np.empty((N, (H // p) * (W // p), C * p * p), dtype=images.dtype)
            for n in range(N):
                for i in range(H // p):
                    for j in range(W // p):
                        out[n, i * (W // p) + j] = images[n, :, i*p:(i+1)*p, j*p:(j+1)*p].ravel()
            return out

        def window_partition(x, ws):
            N, H, W, C = x.shape
            return np.stack([x[n, i*ws:(i+1)*ws, j*ws:(j+1)*ws] for n in range(N)
                             for i in range(H // ws) for j in range(W // ws)])

        def window_reverse(windows, ws, H, W):
            per = (H // ws) * (W // ws)
            out = np.empty((windows.shape[0] // per, H, W, windows.shape[-1]), dtype=windows.dtype)
            for k, win in enumerate(windows):
                n, r = divmod(k, per)
                i, j = divmod(r, W // ws)
                out[n, i*ws:(i+1)*ws, j*ws:(j+1)*ws] = win
            return out

        def cyclic_shift(x, shift):
            H, W = x.shape[1:3]
            rows = (np.arange(H) + shift) % H
            cols = (np.arange(W) + shift) % W
            return x[:, rows][:, :, cols]

        def shifted_window_mask(H, W, ws, shift):
            def part(i, size):
                return 0 if i < size - ws else (1 if i < size - shift else 2)
            masks = []
            for wi in range(H // ws):
                for wj in range(W // ws):
                    lab = [(part(wi*ws + a, H), part(wj*ws + b, W)) for a in range(ws) for b in range(ws)]
                    masks.append([[s == t for t in lab] for s in lab])
            return np.array(masks, dtype=bool)
    """
    results = grade_inprocess(submission_with(tmp_path / "sub", "vision_transformer", loops),
                              ["vision_transformer"])
    assert results.score == results.max_score, [c.message for c in results.checks if c.status != "passed"]


def test_messages_name_the_classic_mistakes(tmp_path):
    results = assert_caught(tmp_path, "vision_transformer", "cyclic_shift", WRONG["cyclic_shift"]["wrong_direction"])
    message = next(c.message for c in results.checks if c.id.endswith("cyclic_shift.small_example"))
    assert "+shift" in message
    results = assert_caught(tmp_path, "vision_transformer", "patchify", WRONG["patchify"]["channel_last_flattening"])
    message = next(c.message for c in results.checks if c.id.endswith("patchify.lecture_example"))
    assert "channel-last" in message


def test_numpy_only_exercise_may_not_use_torch(tmp_path):
    uses_torch = """
        def cyclic_shift(x, shift):
            import torch
            return torch.roll(torch.from_numpy(x), (-shift, -shift), dims=(1, 2)).numpy()
    """
    results = assert_caught(tmp_path, "vision_transformer", "cyclic_shift", uses_torch)
    assert any("uses torch" in (c.message or "") for c in results.checks if c.function == "cyclic_shift")


def test_a_wrong_patchify_is_charged_once(tmp_path):
    """patch_embed = patchify(images) @ W + b on a channel-last patchify: only patchify loses points."""
    source = WRONG["patchify"]["channel_last_flattening"]
    results = grade_inprocess(submission_with(tmp_path / "sub", "vision_transformer", source), ["vision_transformer"])
    lost = {c.id for c in results.checks if c.status != "passed"}
    assert lost and all(".patchify." in i for i in lost), lost
