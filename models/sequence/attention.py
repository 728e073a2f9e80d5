"""Attention (notes 4.4): dot-product and additive attention, multi-head attention, sinusoidal positions.

Shapes are batch-first throughout: queries ``(batch, n_queries, d)``, keys/values ``(batch, n_keys, d)``. Masks follow
torch's convention: a boolean ``True`` marks a position that may NOT be attended to (padding, future tokens).

The notes' steps: score each key against the query, softmax the scores into weights, return the weighted sum of the
values. :class:`MultiHeadAttention` carries ``nn.MultiheadAttention``'s parameter names, so :meth:`from_torch` is a
weight copy that gives the same outputs.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from boltzgym.utils.validation import check_int


def _masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf"))
    return torch.softmax(scores, dim=-1)


def dot_product_attention(query, key, value, mask=None, scaled: bool = True):
    """``softmax(q k^T / sqrt(d)) v`` (notes 4.4; Vaswani et al. 2017 add the ``1/sqrt(d)`` scale).

    Returns ``(context, weights)`` with weights ``(..., n_queries, n_keys)`` summing to 1 over the keys.
    """
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"query and key must have the same last dimension, got {query.shape[-1]} and {key.shape[-1]}")
    scores = query @ key.transpose(-2, -1)  # notes 4.4: score(q, k_i) = q . k_i
    if scaled:
        scores = scores / math.sqrt(query.shape[-1])
    weights = _masked_softmax(scores, mask)
    return weights @ value, weights


class AdditiveAttention(nn.Module):
    """Bahdanau et al. 2015: ``score(q, k) = v^T tanh(W_q q + W_k k)``; ``forward(query, key, value, mask)``."""

    def __init__(self, query_size: int, key_size: int, hidden_size: int, device=None, dtype=None) -> None:
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.query_proj = nn.Linear(check_int("query_size", query_size, 1), hidden_size, bias=False, **factory_kwargs)
        self.key_proj = nn.Linear(check_int("key_size", key_size, 1), hidden_size, bias=False, **factory_kwargs)
        self.score = nn.Linear(check_int("hidden_size", hidden_size, 1), 1, bias=False, **factory_kwargs)

    def forward(self, query, key, value, mask=None):
        features = torch.tanh(self.query_proj(query)[..., :, None, :] + self.key_proj(key)[..., None, :, :])
        weights = _masked_softmax(self.score(features).squeeze(-1), mask)
        return weights @ value, weights


class MultiHeadAttention(nn.Module):
    """Multi-head scaled dot-product attention with ``nn.MultiheadAttention``'s parameters (batch-first).

    Each head projects q, k, v to ``embed_dim / num_heads`` dimensions, attends, and the heads' contexts are
    concatenated and projected by ``out_proj``.

    ``forward(query, key, value, key_padding_mask=None, attn_mask=None)`` returns ``(output, weights)`` with the
    weights averaged over heads, as torch does by default.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True, device=None,
                 dtype=None) -> None:  # fmt: skip
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.embed_dim = check_int("embed_dim", embed_dim, minimum=1)
        self.num_heads = check_int("num_heads", num_heads, minimum=1)
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        self.dropout = float(dropout)
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim, **factory_kwargs))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim, **factory_kwargs)) if bias else None
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias, **factory_kwargs)
        nn.init.xavier_uniform_(self.in_proj_weight)
        if bias:
            nn.init.zeros_(self.out_proj.bias)

    def forward(self, query, key, value, key_padding_mask=None, attn_mask=None):
        batch, n_queries, _ = query.shape
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = self.in_proj_bias.chunk(3) if self.in_proj_bias is not None else (None, None, None)
        head_dim = self.embed_dim // self.num_heads

        def heads(x, weight, bias):  # (batch, n, embed) -> (batch, heads, n, head_dim)
            return F.linear(x, weight, bias).view(batch, -1, self.num_heads, head_dim).transpose(1, 2)

        q, k, v = heads(query, w_q, b_q), heads(key, w_k, b_k), heads(value, w_v, b_v)
        mask = None
        if attn_mask is not None:
            mask = attn_mask.bool()[None, None] if attn_mask.dim() == 2 else attn_mask.bool()
        if key_padding_mask is not None:
            padding = key_padding_mask.bool()[:, None, None, :]
            mask = padding if mask is None else (mask | padding)
        context, weights = dot_product_attention(q, k, v, mask)
        if self.training and self.dropout > 0:  # dropout on the weights, as torch does
            context = F.dropout(weights, self.dropout) @ v
        output = self.out_proj(context.transpose(1, 2).reshape(batch, n_queries, self.embed_dim))
        return output, weights.mean(dim=1)

    @classmethod
    def from_torch(cls, module: nn.MultiheadAttention) -> MultiHeadAttention:
        """A copy of a batch-first ``nn.MultiheadAttention`` (same q/k/v dimension) with equal outputs."""
        if not isinstance(module, nn.MultiheadAttention):
            raise TypeError(f"module must be a torch.nn.MultiheadAttention, got {type(module).__name__}")
        if not module.batch_first or not module._qkv_same_embed_dim or module.bias_k is not None:
            raise ValueError("module must have batch_first=True, kdim = vdim = embed_dim and no add_bias_kv")
        weight = module.in_proj_weight
        ours = cls(module.embed_dim, module.num_heads, module.dropout, bias=module.in_proj_bias is not None,
                   device=weight.device, dtype=weight.dtype)  # fmt: skip
        ours.load_state_dict(module.state_dict())
        return ours


def positional_encoding(length: int, d: int) -> torch.Tensor:
    """Sinusoidal positions ``P_t`` (notes 4.4) as rows of a ``(length, d)`` tensor, ``t = 0 .. length-1``.

    Interleaved as the notes write it: ``P_t = [sin w_1 t, cos w_1 t, ..., sin w_{d/2} t, cos w_{d/2} t]``. The
    frequencies follow Vaswani et al. 2017, ``w_l = 1 / 10000^{2(l-1)/d}`` for ``l = 1 .. d/2``; the notes write
    ``10000^{2l/d}`` with ``l`` from 1, which drops the fastest frequency 1 (a one-off indexing slip). Shifting by
    ``D`` is a rotation: ``P_{t+D} = diag(R(w_l D)) P_t`` with ``R(a) = [[cos a, sin a], [-sin a, cos a]]``.
    """
    length = check_int("length", length, minimum=1)
    d = check_int("d", d, minimum=2)
    if d % 2:
        raise ValueError(f"d must be even (sin/cos pairs), got {d}")
    t = torch.arange(length, dtype=torch.float64)[:, None]
    omega = 1.0 / 10000 ** (torch.arange(0, d, 2, dtype=torch.float64) / d)  # notes 4.4: w_l
    encoding = torch.empty(length, d, dtype=torch.float64)
    encoding[:, 0::2] = torch.sin(omega * t)
    encoding[:, 1::2] = torch.cos(omega * t)
    return encoding.float()


def rotation_matrix(delta: float, d: int) -> torch.Tensor:
    """The block-diagonal ``R(D)`` of notes 4.4 with ``P_{t+D} = R(D) P_t`` (float64, ``(d, d)``)."""
    omega = 1.0 / 10000 ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    blocks = [torch.tensor([[math.cos(w * delta), math.sin(w * delta)], [-math.sin(w * delta), math.cos(w * delta)]])
              for w in omega.tolist()]  # fmt: skip
    return torch.block_diag(*blocks).double()
