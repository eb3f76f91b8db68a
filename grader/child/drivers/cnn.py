"""Child-side driver for cnn.build_alexnet: build the student's model, describe it, run it.

The judge sends plain data (num_classes, an input batch, optionally a weights seed); the driver
answers with plain data only: the parameter count and shapes in registration order, the leaf
module types, and the output of a forward pass as a numpy array. It never judges.
``seeded_parameters`` is shared with the judge so that both sides fill the same weights.
"""
from __future__ import annotations

from typing import Any, Iterator, Sequence

import numpy as np


def seeded_parameters(shapes: Sequence[Sequence[int]], seed: int) -> Iterator[np.ndarray]:
    """float32 weights for these parameter shapes, the same on both sides for the same seed.

    He-scaled (std sqrt(2 / fan_in)) so activations stay O(1) through the ReLU layers; biases
    (1-D) get std 0.1. One array at a time, so a 61M-parameter model is never held twice.
    """
    rng = np.random.default_rng(seed)
    for shape in shapes:
        shape = tuple(int(s) for s in shape)
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 0
        scale = np.float32(np.sqrt(2.0 / fan_in) if fan_in else 0.1)
        yield rng.standard_normal(shape, dtype=np.float32) * scale


def alexnet(module: Any, payload: dict) -> dict:
    """payload: kwargs for build_alexnet, input (N,3,H,W) or None, inputs (more batches of other
    sizes, run in eval mode after input), weights_seed or None, train_passes (forward passes in
    training mode, for Dropout), seed for torch.manual_seed."""
    import torch

    torch.manual_seed(int(payload.get("seed", 0)))
    model = module.build_alexnet(**(payload.get("kwargs") or {}))
    if not isinstance(model, torch.nn.Module):
        return {"is_module": False, "type": type(model).__name__}
    params = list(model.parameters())
    shapes = [[int(s) for s in p.shape] for p in params]
    result: dict = {
        "is_module": True,
        "type": type(model).__name__,
        "param_count": int(sum(p.numel() for p in params)),
        "param_shapes": shapes,
        "module_types": [type(m).__name__ for m in model.modules() if not list(m.children())],
        # the drop probability of every dropout layer, in registration order
        "dropout_p": [float(m.p) for m in model.modules() if isinstance(m, torch.nn.Dropout)],
    }
    if payload.get("weights_seed") is not None:
        with torch.no_grad():
            for p, values in zip(params, seeded_parameters(shapes, int(payload["weights_seed"]))):
                p.copy_(torch.from_numpy(values))
    if payload.get("input") is None:
        return result
    x = torch.from_numpy(np.ascontiguousarray(payload["input"], dtype=np.float32))
    model.eval()
    result["output"] = _forward(model, x)
    # Other input sizes on the same model: an exception there is an answer, reported as data.
    result["outputs"] = []
    for other in payload.get("inputs") or []:
        try:
            result["outputs"].append(_forward(model, torch.from_numpy(np.ascontiguousarray(other, dtype=np.float32))))
        except Exception as exc:  # e.g. a Linear(9216, ...) fed another size without the adaptive pool
            result["outputs"].append({"raised": f"{type(exc).__name__}: {exc}"[:500]})
    passes = int(payload.get("train_passes") or 0)
    if passes:
        model.train()
        result["train_outputs"] = [_forward(model, x) for _ in range(passes)]
        model.eval()
    return result


def _forward(model: Any, x: Any) -> Any:
    """The output as a numpy array, or a note of what came back instead of a tensor."""
    import torch

    with torch.no_grad():
        out = model(x.clone())
    if isinstance(out, torch.Tensor):
        return out.detach().cpu().numpy()
    return {"not_a_tensor": type(out).__name__}
