"""Transformer encoder layer in PyTorch (Lecture 4, part 5 "注意力即一切——Transformer").

One encoder layer (编码器层) built from its two parts, multi-head
self-attention (多头注意力) and a position-wise feed-forward network (前馈网络),
each wrapped in a residual connection (残差连接, the ResNet idea) and LayerNorm.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn


class EncoderLayer(nn.Module):
    """A post-norm Transformer encoder layer, written from nn.Linear and nn.LayerNorm.

    Submodules (names are part of the contract):
        q_proj, k_proj, v_proj, out_proj: nn.Linear(d_model, d_model), with bias.
        linear1: nn.Linear(d_model, dim_feedforward); linear2: nn.Linear(dim_feedforward, d_model).
        norm1, norm2: nn.LayerNorm(d_model, eps=1e-5).
    No dropout: train() and eval() give the same output. nn.MultiheadAttention and
    nn.TransformerEncoderLayer may not be used.

    Computation (post-norm, as in the original Transformer):
        x = norm1(x + attn(x))
        x = norm2(x + linear2(relu(linear1(x))))
    With copied weights it matches torch.nn.TransformerEncoderLayer(d_model, nhead,
    dim_feedforward, dropout=0.0, batch_first=True, norm_first=False).
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int) -> None:
        """Create the layer's submodules.

        Args:
            d_model: token dimension; must be divisible by nhead.
            nhead: number of attention heads; head h uses the contiguous features
                h*dh:(h+1)*dh of the projections, dh = d_model // nhead.
            dim_feedforward: hidden width of the feed-forward network.

        Creates q_proj, k_proj, v_proj, out_proj (nn.Linear(d_model, d_model)),
        linear1 (nn.Linear(d_model, dim_feedforward)), linear2
        (nn.Linear(dim_feedforward, d_model)) and norm1, norm2
        (nn.LayerNorm(d_model, eps=1e-5)); all linears have a bias.
        """
        super().__init__()
        if d_model % nhead:
            raise ValueError(f"nhead={nhead} does not divide d_model={d_model}")
        self.nhead = nhead
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model, eps=1e-5)
        self.norm2 = nn.LayerNorm(d_model, eps=1e-5)

    def _self_attention(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        N, T, d_model = x.shape
        dh = d_model // self.nhead

        def heads(y: torch.Tensor) -> torch.Tensor:
            return y.view(N, T, self.nhead, dh).transpose(1, 2)

        q, k, v = heads(self.q_proj(x)), heads(self.k_proj(x)), heads(self.v_proj(x))
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        if mask is None:
            weights = torch.softmax(scores, dim=-1)
        else:
            mask = torch.as_tensor(mask, dtype=torch.bool, device=x.device)
            mask = mask.expand(N, T, T).unsqueeze(1)
            any_key = mask.any(dim=-1, keepdim=True)
            # fully masked rows get finite scores (no NaN in forward or backward), then weight 0
            scores = scores.masked_fill(~mask, float("-inf")).masked_fill(~any_key, 0.0)
            weights = torch.softmax(scores, dim=-1) * any_key
        out = (weights @ v).transpose(1, 2).reshape(N, T, d_model)
        return self.out_proj(out)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Apply self-attention and the feed-forward network, each with residual + LayerNorm.

        Self-attention: Q, K, V = q_proj(x), k_proj(x), v_proj(x); split the
        d_model features into nhead contiguous chunks of size dh; per head
        softmax(Q K^T / sqrt(dh)) V; concatenate the heads and apply out_proj.
        Then x = norm1(x + attn(x)); x = norm2(x + linear2(relu(linear1(x)))).

        Args:
            x: tokens, shape (N, T, d_model).
            mask: optional bool tensor broadcastable to (N, T, T), True = the
                query may attend to that key (e.g. a causal (T, T) mask or a
                padding mask (N, 1, T)); the same mask applies to every head.
                A query whose keys are all masked gets all-zero attention
                weights, so its concatenated head output is zero and
                attn(x) for it equals out_proj's bias.

        Returns:
            shape (N, T, d_model).
        """
        x = self.norm1(x + self._self_attention(x, mask))
        return self.norm2(x + self.linear2(F.relu(self.linear1(x))))
