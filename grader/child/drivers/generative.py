"""Child-side driver for generative.gan_train_step: builds tiny G and D, runs the student's steps.

The judge sends both architectures (a list of layers), their weights as numpy arrays, the optimiser
settings and one or more batches. Every call is watched through the optimisers' step hooks:
G's gradients right after the first ``opt_D.step()`` next to G's gradients at the call's start (or
after an ``opt_G.step()`` that came earlier), so the judge sees whether the D step put gradient into
G; and D's parameters after that first D step (does anything change D later in the call?). Only
numbers come back; the judge decides what they mean.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..payloads import GanAnswer, GanCall, GanRequest


def gan_train_step(module: Any, payload: GanRequest) -> GanAnswer:
    import torch

    dtype = {"float32": torch.float32, "float64": torch.float64}[payload["dtype"]]
    G = _build(payload["G"]["layers"], payload["G"]["state"], dtype)
    D = _build(payload["D"]["layers"], payload["D"]["state"], dtype)
    opt = payload["optimizer"]
    opt_G = torch.optim.SGD(G.parameters(), lr=float(opt["lr"]), momentum=float(opt["momentum"]))
    opt_D = torch.optim.SGD(D.parameters(), lr=float(opt["lr"]), momentum=float(opt["momentum"]))

    watch: dict = {}

    def after_d_step(optimizer, args, kwargs) -> None:
        watch["d_steps"] += 1
        if watch["d_steps"] == 1:
            watch["g_grad_at_d_step"] = _grads(G)
            watch["g_steps_before_d_step"] = watch["g_steps"]
            watch["d_after_d_step"] = _values(D)

    def after_g_step(optimizer, args, kwargs) -> None:
        watch["g_steps"] += 1
        if watch["d_steps"] == 0:  # a G step before the D step: its gradient is not a leak
            watch["g_grad_ref"] = _grads(G)

    opt_D.register_step_post_hook(after_d_step)
    opt_G.register_step_post_hook(after_g_step)

    calls: list[GanCall] = []
    for batch in payload["batches"]:
        real = torch.tensor(np.asarray(batch["real"]), dtype=dtype)
        z = torch.tensor(np.asarray(batch["z"]), dtype=dtype)
        watch.clear()
        watch.update(d_steps=0, g_steps=0, g_grad_ref=_grads(G), g_grad_at_d_step=None,
                     g_steps_before_d_step=0, d_after_d_step=None)
        result = module.gan_train_step(G, D, opt_G, opt_D, real, z)
        calls.append({"result": result, "d_steps": watch["d_steps"], "g_steps": watch["g_steps"],
                      "g_steps_before_d_step": watch["g_steps_before_d_step"],
                      "g_grad_ref": watch["g_grad_ref"], "g_grad_at_d_step": watch["g_grad_at_d_step"],
                      "d_after_d_step": watch["d_after_d_step"], "d_end": _values(D),
                      "real_after": real.detach().numpy().copy(), "z_after": z.detach().numpy().copy()})
    return {"calls": calls, "G": _named(G), "D": _named(D)}


def _build(layers: list, state: dict, dtype: Any) -> Any:
    import torch
    import torch.nn as nn

    modules: list[nn.Module] = []
    for layer in layers:
        if layer[0] == "linear":
            modules.append(nn.Linear(int(layer[1]), int(layer[2])))
        elif layer[0] == "tanh":
            modules.append(nn.Tanh())
        elif layer[0] == "relu":
            modules.append(nn.ReLU())
        else:
            raise ValueError(f"unknown layer {layer[0]!r}")
    net = nn.Sequential(*modules).to(dtype)
    net.load_state_dict({k: torch.tensor(np.asarray(v), dtype=dtype) for k, v in state.items()})
    return net


def _grads(net: Any) -> list:
    return [None if p.grad is None else p.grad.detach().clone().numpy() for p in net.parameters()]


def _values(net: Any) -> list:
    return [p.detach().clone().numpy() for p in net.parameters()]


def _named(net: Any) -> dict:
    return {name: p.detach().clone().numpy() for name, p in net.named_parameters()}
