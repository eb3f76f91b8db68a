"""Trivial submissions: every contract function answers with the right structure and no work.

A trivial function calls the reference only to learn the SHAPE of an answer (the structure a
check looks at first), then fills it without computing anything: zeros, ones (all True for a
mask), a constant 1/n along the last axis ("uniform" probabilities), or the function's own input wherever an input of that shape and dtype exists ("returns
the input"). Classes and functions that drive torch objects get hand-written trivial versions
(a Scalar whose nodes hold 0, an EncoderLayer that returns zeros or its input, an AlexNet that
outputs zeros, a GAN step that steps without gradients). No check may give such a submission a
point: it implements nothing.

Test infrastructure only, never imported by the product.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

VARIANTS = ("zeros", "ones", "uniform", "input")

_FILL = '''

# ---------------------------------------------------------------- trivial answers (tests/trivial.py)
import numpy as _tnp

_TRIVIAL = {how!r}


def _t_inputs(args, kwargs):
    found = []
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, _tnp.ndarray):
            found.append(a)
        elif isinstance(a, (list, tuple)):
            found += [b for b in a if isinstance(b, _tnp.ndarray)]
    return found


def _t_fill(value, inputs):
    # (No torch here: numpy exercises may not touch it; the torch functions have special versions.)
    if isinstance(value, _tnp.ndarray):
        if _TRIVIAL == "input":
            same = [a for a in inputs if a.shape == value.shape and a.dtype == value.dtype]
            return same[0].copy() if same else _tnp.zeros_like(value)
        if _TRIVIAL == "uniform" and value.dtype.kind == "f" and value.ndim:
            return _tnp.full_like(value, 1.0 / value.shape[-1])  # "probabilities" that sum to one
        return _tnp.ones_like(value) if _TRIVIAL in ("ones", "uniform") else _tnp.zeros_like(value)
    if isinstance(value, (bool, _tnp.bool_)):
        return _TRIVIAL in ("ones", "uniform")
    if isinstance(value, (int, _tnp.integer)):
        return type(value)(1 if _TRIVIAL in ("ones", "uniform") else 0)
    if isinstance(value, (float, _tnp.floating)):
        if _TRIVIAL == "input":
            scalars = [a for a in inputs if a.size == 1]
            return type(value)(scalars[0].reshape(-1)[0]) if scalars else type(value)(0.0)
        return type(value)({{"ones": 1.0, "uniform": 0.5}}.get(_TRIVIAL, 0.0))
    if isinstance(value, tuple):
        return tuple(_t_fill(v, inputs) for v in value)
    if isinstance(value, list):
        return [_t_fill(v, inputs) for v in value]
    if isinstance(value, dict):
        return {{k: _t_fill(v, inputs) for k, v in value.items()}}
    return value


def _t_wrap(real):
    def trivial(*args, **kwargs):
        try:
            shape_of_answer = real(*args, **kwargs)
        except Exception:  # a trivial function validates nothing: it answers None where the reference raises
            return None
        return _t_fill(shape_of_answer, _t_inputs(args, kwargs))
    trivial.__name__ = real.__name__
    return trivial


for _t_name in {functions!r}:
    globals()[_t_name] = _t_wrap(globals()[_t_name])
'''

# Hand-written trivial versions of what the generic filling cannot express.
_SPECIAL = {
    ("autograd", "Scalar"): {
        "zeros": '''
            class Scalar:
                """Every node holds 0 and backward() does nothing."""
                def __init__(self, data, _parents=()):
                    self.data, self.grad = 0.0, 0.0
                def _op(self, *other):
                    return Scalar(0.0)
                __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _op
                __truediv__ = __rtruediv__ = __pow__ = _op
                def __neg__(self):
                    return Scalar(0.0)
                def relu(self): return Scalar(0.0)
                def tanh(self): return Scalar(0.0)
                def sigmoid(self): return Scalar(0.0)
                def exp(self): return Scalar(0.0)
                def log(self): return Scalar(0.0)
                def backward(self):
                    pass
        ''',
        "ones": '''
            class Scalar:
                """Every node keeps the first operand's value, every gradient is 1."""
                def __init__(self, data, _parents=()):
                    self.data, self.grad = float(data), 0.0
                    self._parents = _parents
                def _op(self, *other):
                    return Scalar(self.data, (self,) + tuple(o for o in other if isinstance(o, Scalar)))
                __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _op
                __truediv__ = __rtruediv__ = __pow__ = _op
                def __neg__(self): return self._op()
                def relu(self): return self._op()
                def tanh(self): return self._op()
                def sigmoid(self): return self._op()
                def exp(self): return self._op()
                def log(self): return self._op()
                def backward(self):
                    seen, todo = set(), [self]
                    while todo:
                        node = todo.pop()
                        if id(node) in seen:
                            continue
                        seen.add(id(node))
                        node.grad = 1.0
                        todo += list(node._parents)
        ''',
        "input": '''
            class Scalar:
                """Operations return their first operand itself; backward() does nothing."""
                def __init__(self, data, _parents=()):
                    self.data, self.grad = float(data), 0.0
                def _op(self, *other):
                    return self
                __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _op
                __truediv__ = __rtruediv__ = __pow__ = _op
                def __neg__(self): return self
                def relu(self): return self
                def tanh(self): return self
                def sigmoid(self): return self
                def exp(self): return self
                def log(self): return self
                def backward(self):
                    pass
        ''',
    },
    ("transformer", "EncoderLayer"): {
        how: f'''
            _RealEncoderLayer = EncoderLayer


            class EncoderLayer(_RealEncoderLayer):
                """The contract's submodules, and a forward that computes nothing."""
                def forward(self, x, mask=None):
                    return {expr}
        ''' for how, expr in (("zeros", "torch.zeros_like(x)"), ("ones", "torch.ones_like(x)"), ("input", "x"))
    },
    ("cnn", "build_alexnet"): {
        how: f'''
            _real_build_alexnet = build_alexnet


            def build_alexnet(num_classes=1000):
                """torchvision's layout (every parameter), and an output that computes nothing."""
                import torch
                from torch import nn

                class TrivialAlexNet(nn.Module):
                    def __init__(self):
                        super().__init__()
                        self.net = _real_build_alexnet(num_classes)
                        self.num_classes = num_classes

                    def forward(self, x):
                        return {expr}

                return TrivialAlexNet()
        ''' for how, expr in (("zeros", "torch.zeros(x.shape[0], self.num_classes)"),
                              ("ones", "torch.ones(x.shape[0], self.num_classes)"),
                              ("uniform", "torch.full((x.shape[0], self.num_classes), 1.0 / self.num_classes)"),
                              ("input", "x.reshape(x.shape[0], -1)[:, :self.num_classes].clone()"))
    },
    ("generative", "gan_train_step"): {
        "zeros": '''
            def gan_train_step(G, D, opt_G, opt_D, real, z):
                return 0.0, 0.0
        ''',
        "ones": '''
            def gan_train_step(G, D, opt_G, opt_D, real, z):
                """Both optimisers step once, in the lecture's order, with no gradient computed."""
                opt_D.zero_grad()
                opt_D.step()
                opt_G.zero_grad()
                opt_G.step()
                return 1.0, 1.0
        ''',
        "uniform": '''
            def gan_train_step(G, D, opt_G, opt_D, real, z):
                """The losses of a discriminator that says 1/2 to everything; no step."""
                import math
                return 2 * math.log(2.0), math.log(2.0)
        ''',
        "input": '''
            def gan_train_step(G, D, opt_G, opt_D, real, z):
                """Losses computed (so they look right at the start) but no step taken."""
                import torch
                import torch.nn.functional as F
                with torch.no_grad():
                    real_logits, fake_logits = D(real), D(G(z))
                    loss_d = F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
                    loss_g = F.softplus(-fake_logits).mean()
                opt_D.step()
                opt_G.step()
                return float(loss_d), float(loss_g)
        ''',
    },
    ("backprop", "train_xor"): {
        "input": '''
            def train_xor(seed=0):
                """The contract's start, drawn from the seed, and no training at all."""
                rng = np.random.default_rng(seed)
                return {"W1": rng.normal(0.0, 1.0, (2, 16)), "b1": np.full(16, 0.1),
                        "W2": rng.normal(0.0, 0.5, (16, 2)), "b2": np.zeros(2)}
        ''',
    },
}


def trivial_source(root: Path, module: str, functions: list[str], how: str) -> str:
    """The reference ``module`` with every contract function made trivial in the ``how`` way."""
    source = (root / "reference" / f"{module}.py").read_text(encoding="utf-8")
    special = {f: _SPECIAL[(module, f)].get(how) for f in functions if (module, f) in _SPECIAL}
    generic = [f for f in functions if not special.get(f) and (module, f) not in _SPECIAL_ONLY]
    source += _FILL.format(how=how, functions=generic)
    for function, body in special.items():
        if body:
            source += "\n\n" + textwrap.dedent(body)
    return source


# Functions whose generic filling means nothing (a class, a model, a step that works on torch
# objects in place); without a special version for a
# variant they keep the reference (the variant then says nothing about them).
_SPECIAL_ONLY = {("autograd", "Scalar"), ("transformer", "EncoderLayer"), ("cnn", "build_alexnet"),
                 ("generative", "gan_train_step")}


def covered(module: str, function: str, how: str) -> bool:
    """Does the ``how`` submission make ``function`` trivial (rather than keep the reference)?"""
    if (module, function) in _SPECIAL:
        return how in _SPECIAL[(module, function)] or (module, function) not in _SPECIAL_ONLY
    return True


def trivial_submission(root: Path, folder: Path, module: str, functions: list[str], how: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module}.py").write_text(trivial_source(root, module, functions, how), encoding="utf-8")
    return folder
