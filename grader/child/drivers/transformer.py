"""Child-side driver for transformer.EncoderLayer: build it, describe it, load weights, run forward.

The judge sends the constructor arguments, and optionally a state dict (name -> array), the
input ``x``, a boolean ``mask`` and a number of forward passes to repeat in training mode. Only
plain data comes back: the submodules' names, classes (with their bases) and parameter shapes,
the torch classes and functions the forward pass ran, any weight-name mismatch, and the outputs
as numpy arrays. The judge decides what is right, and no point rests on the description alone:
every check also compares outputs with the judge's layer on the judge's weights.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..payloads import EncoderAnswer, EncoderRequest, Submodule

_DTYPES = {"float32": "float32", "float64": "float64"}


def encoder_layer(module: Any, payload: EncoderRequest) -> EncoderAnswer:
    import torch

    d_model, nhead, dim_feedforward = (int(v) for v in payload["config"])
    torch.manual_seed(0)
    model = module.EncoderLayer(d_model, nhead, dim_feedforward)
    result: EncoderAnswer = {"submodules": _describe(model)}
    state = payload.get("state")
    if state is None:
        return result
    dtype = getattr(torch, _DTYPES[str(payload.get("dtype", "float32"))])
    model = model.to(dtype)
    problem = _load(model, {k: torch.from_numpy(np.asarray(v)) for k, v in state.items()})
    if problem:
        result.update(problem)
        return result
    model.eval()
    x = torch.from_numpy(np.asarray(payload["x"]))
    x_before = x.clone()
    mask = payload.get("mask")
    called: list[str] = []
    with torch.no_grad(), _watch(called):
        out = model(x) if mask is None else model(x, torch.from_numpy(np.asarray(mask, dtype=bool)))
    result["called"] = sorted(set(called))
    result["x_changed"] = not torch.equal(x, x_before)
    result["out_type"] = type(out).__module__ + "." + type(out).__qualname__
    result["out"] = out.detach().cpu().numpy() if isinstance(out, torch.Tensor) else None
    # The same forward after model.train() (payload train_passes): dropout would show here.
    passes = int(payload.get("train_passes") or 0)
    if passes:
        model.train()
        with torch.no_grad():
            outs = [model(x.clone()) if mask is None else model(x.clone(), torch.from_numpy(
                np.asarray(mask, dtype=bool))) for _ in range(passes)]
        result["train_out"] = [o.detach().cpu().numpy() if isinstance(o, torch.Tensor) else None for o in outs]
    return result


def _describe(model: Any) -> list[Submodule]:
    """One entry per named submodule: its class and bases, the shapes of its own parameters, and
    its ``eps`` when it has one (a LayerNorm's)."""
    rows = []
    for name, m in model.named_modules():
        if not name:
            continue
        row: Submodule = {"name": name, "type": type(m).__qualname__, "bases": _classes(m),
               "params": {k: list(p.shape) for k, p in m.named_parameters(recurse=False)}}
        eps = getattr(m, "eps", None)
        if isinstance(eps, (int, float)) and not isinstance(eps, bool):
            row["eps"] = float(eps)
        rows.append(row)
    return rows


def _classes(m: Any) -> list[str]:
    """Dotted names of the classes this object is an instance of: its own and every base."""
    return [f"{c.__module__}.{c.__qualname__}" for c in type(m).__mro__]


def _load(model: Any, state: dict) -> EncoderAnswer | None:
    """Load by name, strictly; report mismatched names (or shapes) instead of raising."""
    own = model.state_dict()
    buffers = {name for name, _ in model.named_buffers()}
    not_in_contract = sorted(k for k in own if k not in state and k not in buffers)
    not_in_layer = sorted(k for k in state if k not in own)
    if not_in_contract or not_in_layer:
        return {"not_in_layer": not_in_layer, "not_in_contract": not_in_contract}
    # the student's own persistent buffers (not part of the contract) keep their values
    full = {**{k: v for k, v in own.items() if k not in state}, **state}
    try:
        model.load_state_dict(full, strict=True)
    except RuntimeError as exc:
        return {"load_error": str(exc)[:1500]}
    return None


# torch's attention functions, watched by name during the forward pass (a reference to one saved at
# import bypasses the watch: the judge's reading of the source, ctx.findings, sees those).
_FUNCTIONS = ("multi_head_attention_forward", "scaled_dot_product_attention")


class _watch:
    """Record the classes (with their bases) of modules whose forward runs, and calls of torch's
    attention functions."""

    def __init__(self, called: list[str]) -> None:
        self.called = called

    def __enter__(self) -> _watch:
        import torch.nn.functional as F
        from torch.nn.modules import module as nn_module

        called = self.called
        self._handle = nn_module.register_module_forward_pre_hook(lambda m, args: called.extend(_classes(m)))
        self._saved = {name: getattr(F, name) for name in _FUNCTIONS if hasattr(F, name)}

        def spy(name: str, real: Any) -> Any:
            def watched(*args: Any, **kwargs: Any) -> Any:
                called.append(f"torch.nn.functional.{name}")
                return real(*args, **kwargs)
            return watched

        for name, real in self._saved.items():
            setattr(F, name, spy(name, real))
        return self

    def __exit__(self, *exc: Any) -> None:
        import torch.nn.functional as F

        for name, real in self._saved.items():
            setattr(F, name, real)
        self._handle.remove()
