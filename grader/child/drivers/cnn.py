"""Child-side driver for cnn.build_alexnet: build the student's model once, run it, report raw data.

One request answers every AlexNet check (a 61M-parameter model costs a second to build and fill).
The judge sends plain data: for each build, the constructor's arguments, a weights seed or None,
inputs to run in eval mode, and (input, torch seed) pairs to run in training mode. The driver
answers with what the student's model produced and nothing it judged: parameter shapes in
registration order, the leaf module types (for messages), and the outputs. The judge derives
counts, checks the layout and recomputes every output itself (``seeded_parameters`` fills the same
weights on both sides, from a torch generator): every AlexNet point needs outputs that match the
judge's, since shapes alone are easy to report without a model.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ..payloads import AlexNetAnswer, AlexNetBuild, AlexNetBuildAnswer, AlexNetRequest

HANKEL_ABOVE = 1 << 20  # elements: a matrix this large is filled from a few thousand numbers


def seeded_parameters(shapes: Sequence[Sequence[int]], seed: int, generator: Any = None) -> Iterator[Any]:
    """float32 torch tensors for these parameter shapes, the same on both sides for the same seed.

    He-scaled (std sqrt(2 / fan_in)) so activations stay O(1) through the ReLU layers; biases
    (1-D) get std 0.1. The classifier's large matrices (37.7M and 16.8M values) are Hankel
    matrices, W[i, j] = r[i + j] for one random vector r (a view, no copy): drawing 61M normal
    numbers cost half a second per student, while a random Hankel matrix is as good a test of the
    layout (any layer missing, reordered or flattened the other way changes the logits) and costs
    nothing. One tensor at a time, so a 61M-parameter model is never held twice.
    ``generator`` (seeded with ``seed`` by the caller) continues a sequence: the judge draws the
    layers two models share once, then each model's last layer from the same generator state.
    """
    import torch

    if generator is None:
        generator = torch.Generator().manual_seed(int(seed))
    for shape in shapes:
        shape = tuple(int(s) for s in shape)
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 0
        scale = float(np.sqrt(2.0 / fan_in)) if fan_in else 0.1
        if len(shape) == 2 and shape[0] * shape[1] > HANKEL_ABOVE:
            r = torch.randn(shape[0] + shape[1] - 1, generator=generator, dtype=torch.float32).mul_(scale)
            yield r.as_strided(shape, (1, 1))
        else:
            yield torch.randn(shape, generator=generator, dtype=torch.float32).mul_(scale)


def alexnet(module: Any, payload: AlexNetRequest) -> AlexNetAnswer:
    """Per build: what the student's model produced (see ``payloads.AlexNetBuildAnswer``)."""
    return {"builds": [_build(module, b) for b in payload["builds"]]}


class _SkipInit:
    """While the student's model is built, torch.nn.init's in-place initialisers do nothing: the
    judge's seeded weights replace them anyway, and filling 61M parameters at random costs 0.35 s
    per build. (Only the weights' values are skipped: shapes, buffers and the layout are untouched.)"""

    def __enter__(self) -> _SkipInit:
        import torch.nn.init as init

        self.saved = {name: getattr(init, name) for name in dir(init)
                      if name.endswith("_") and not name.startswith("_") and callable(getattr(init, name))}
        for name in self.saved:
            setattr(init, name, lambda tensor, *args, **kwargs: tensor)
        return self

    def __exit__(self, *exc: Any) -> None:
        import torch.nn.init as init

        for name, value in self.saved.items():
            setattr(init, name, value)


def _build(module: Any, build: AlexNetBuild) -> AlexNetBuildAnswer:
    import torch

    torch.manual_seed(0)
    with _SkipInit():
        model = module.build_alexnet(**(build.get("kwargs") or {}))
    if not isinstance(model, torch.nn.Module):
        return {"is_module": False, "type": type(model).__name__}
    params = list(model.parameters())
    shapes = [[int(s) for s in p.shape] for p in params]
    result: AlexNetBuildAnswer = {"is_module": True, "type": type(model).__name__, "param_shapes": shapes,
                    "module_types": [type(m).__name__ for m in model.modules() if not list(m.children())]}
    with torch.no_grad():  # the initialisers were skipped: every value is the judge's (or zero)
        weights_seed = build.get("weights_seed")
        if weights_seed is not None:
            for p, values in zip(params, seeded_parameters(shapes, int(weights_seed))):
                if tuple(p.shape) == tuple(values.shape):
                    p.copy_(values)
                else:
                    p.zero_()
        else:
            for p in params:
                p.zero_()
    model.eval()
    result["outputs"] = [_forward(model, x) for x in build.get("evals") or []]
    result["train_outputs"] = []
    for x, seed in build.get("trains") or []:
        model.train()
        torch.manual_seed(int(seed))
        result["train_outputs"].append(_forward(model, x))
    model.eval()
    return result


def _forward(model: Any, x: Any) -> Any:
    """The output as a numpy array, or a note of what came back instead (an exception is an answer)."""
    import torch

    try:
        with torch.no_grad():
            out = model(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)))
    except Exception as exc:  # e.g. a Linear(9216, ...) fed another size without the adaptive pool
        return {"raised": f"{type(exc).__name__}: {exc}"[:500]}
    if isinstance(out, torch.Tensor):
        return out.detach().cpu().numpy()
    return {"not_a_tensor": type(out).__name__}
