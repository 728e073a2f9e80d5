"""A Transformer encoder-decoder (notes 4.4; Vaswani et al. 2017), readable in one file.

Encoder layer: self-attention then a position-wise MLP, each wrapped in a residual connection and layer norm;
decoder layer: causal self-attention, attention over the encoder's output ("memory"), MLP. ``norm_first=False`` is
the paper's post-norm ``x = norm(x + f(x))``; ``norm_first=True`` the pre-norm ``x = x + f(norm(x))`` that trains
more stably when deep. Layers carry ``nn.TransformerEncoderLayer``/``nn.TransformerDecoderLayer``'s parameter names,
so ``from_torch`` copies one.

:class:`Seq2SeqTransformer` embeds tokens, adds :func:`~boltzgym.models.sequence.attention.positional_encoding`, runs
the
stack and predicts the next target token; :meth:`Seq2SeqTransformer.greedy_decode` and
:meth:`Seq2SeqTransformer.beam_decode` generate.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from boltzgym.models.sequence.attention import MultiHeadAttention, positional_encoding
from boltzgym.utils.validation import check_int


def causal_mask(length: int, device=None) -> torch.Tensor:
    """``(length, length)`` boolean mask, ``True`` above the diagonal: position t may not see t' > t."""
    return torch.triu(torch.ones(length, length, dtype=torch.bool, device=device), diagonal=1)


class _Block(nn.Module):
    def _residual(self, x, index: int, sublayer):
        norm, drop = getattr(self, f"norm{index}"), getattr(self, f"dropout{index}")
        if self.norm_first:
            return x + drop(sublayer(norm(x)))  # pre-norm
        return norm(x + drop(sublayer(x)))  # post-norm (Vaswani et al. 2017)

    def _mlp(self, x):
        return self.linear2(self.dropout(F.relu(self.linear1(x))))

    @classmethod
    def from_torch(cls, module: nn.Module):
        """A copy of a batch-first, ReLU ``nn.TransformerEncoderLayer``/``DecoderLayer`` with the same weights."""
        if type(module) is not cls._torch_class:
            raise TypeError(f"module must be a torch.nn.{cls._torch_class.__name__}, got {type(module).__name__}")
        if not module.self_attn.batch_first or module.activation is not F.relu:
            raise ValueError("module must have batch_first=True and activation='relu'")
        weight = module.linear1.weight
        ours = cls(module.self_attn.embed_dim, module.self_attn.num_heads, module.linear1.out_features,
                   module.dropout.p, module.norm_first, device=weight.device, dtype=weight.dtype)  # fmt: skip
        ours.load_state_dict(module.state_dict())
        return ours


def check_heads(d_model: int, nhead: int) -> None:
    """Raise ``ValueError`` naming ``d_model`` and ``nhead`` (this module's names, not the attention's ``embed_dim``
    and ``num_heads``) unless both are positive and ``nhead`` divides ``d_model``."""
    check_int("d_model", d_model, minimum=1)
    check_int("nhead", nhead, minimum=1)
    if d_model % nhead:
        divisors = [h for h in range(1, d_model + 1) if d_model % h == 0 and h <= 64]
        raise ValueError(f"nhead ({nhead}) must divide d_model ({d_model}): use nhead in {divisors} or change d_model")


class TransformerEncoderLayer(_Block):
    """Self-attention + MLP with residuals and layer norm (post- or pre-norm)."""

    _torch_class = nn.TransformerEncoderLayer

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 256, dropout: float = 0.1,
                 norm_first: bool = False, device=None, dtype=None) -> None:  # fmt: skip
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        check_heads(d_model, nhead)
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, nhead, dropout, **factory_kwargs)
        self.linear1 = nn.Linear(d_model, dim_feedforward, **factory_kwargs)
        self.linear2 = nn.Linear(dim_feedforward, d_model, **factory_kwargs)
        self.dropout, self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout), nn.Dropout(dropout)
        self.norm1, self.norm2 = nn.LayerNorm(d_model, **factory_kwargs), nn.LayerNorm(d_model, **factory_kwargs)

    def forward(self, x, src_mask=None, src_key_padding_mask=None):
        x = self._residual(x, 1, lambda h: self.self_attn(h, h, h, src_key_padding_mask, src_mask)[0])
        return self._residual(x, 2, self._mlp)


class TransformerDecoderLayer(_Block):
    """Causal self-attention, attention over the memory, MLP; residuals and layer norm."""

    _torch_class = nn.TransformerDecoderLayer

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 256, dropout: float = 0.1,
                 norm_first: bool = False, device=None, dtype=None) -> None:  # fmt: skip
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        check_heads(d_model, nhead)
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, nhead, dropout, **factory_kwargs)
        self.multihead_attn = MultiHeadAttention(d_model, nhead, dropout, **factory_kwargs)
        self.linear1 = nn.Linear(d_model, dim_feedforward, **factory_kwargs)
        self.linear2 = nn.Linear(dim_feedforward, d_model, **factory_kwargs)
        self.dropout = nn.Dropout(dropout)
        self.dropout1, self.dropout2, self.dropout3 = nn.Dropout(dropout), nn.Dropout(dropout), nn.Dropout(dropout)
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(d_model, **factory_kwargs) for _ in range(3))

    def forward(self, x, memory, tgt_mask=None, memory_key_padding_mask=None, tgt_key_padding_mask=None):
        x = self._residual(x, 1, lambda h: self.self_attn(h, h, h, tgt_key_padding_mask, tgt_mask)[0])
        x = self._residual(x, 2, lambda h: self.multihead_attn(h, memory, memory, memory_key_padding_mask)[0])
        return self._residual(x, 3, self._mlp)


class Seq2SeqTransformer(nn.Module):
    """Token-to-token encoder-decoder.

    Args:
        vocab_size: number of token ids shared by source and target, including ``bos_token`` and ``pad_token``.
        d_model, nhead, num_layers, dim_feedforward, dropout, norm_first: the usual Transformer sizes.
        max_length: longest sequence the positional encoding covers.
        bos_token: id that starts every decoder input. pad_token: id ignored by attention (``None``: no padding).
        device, dtype: torch's factory keywords (as ``nn.Linear``'s), for the parameters and the positional buffer.

    ``forward(src, tgt_in)`` returns next-token logits ``(batch, len(tgt_in), vocab_size)``.
    """

    def __init__(self, vocab_size: int, d_model: int = 64, nhead: int = 4, num_layers: int = 2,
                 dim_feedforward: int = 128, dropout: float = 0.0, norm_first: bool = True, max_length: int = 128,
                 bos_token: int = 0, pad_token: int | None = None, device: torch.device | str | None = None,
                 dtype: torch.dtype | None = None) -> None:  # fmt: skip
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        check_heads(d_model, nhead)
        self.vocab_size = check_int("vocab_size", vocab_size, minimum=2)
        self.bos_token = check_int("bos_token", bos_token, minimum=0, maximum=vocab_size - 1)
        self.pad_token = pad_token
        self.embedding = nn.Embedding(vocab_size, d_model, **factory_kwargs)
        # std d^-1/2, so that the sqrt(d)-scaled embedding has unit scale like the positional encoding (Vaswani et al.
        # 2017 share this scaling); nn.Embedding's N(0, 1) would make tokens 8x louder than positions at d = 64
        nn.init.normal_(self.embedding.weight, std=d_model**-0.5)
        positions = positional_encoding(max_length, d_model).to(**factory_kwargs)
        self.register_buffer("positions", positions, persistent=False)
        args = (d_model, nhead, dim_feedforward, dropout, norm_first)
        self.encoder = nn.ModuleList(TransformerEncoderLayer(*args, **factory_kwargs) for _ in range(num_layers))
        self.decoder = nn.ModuleList(TransformerDecoderLayer(*args, **factory_kwargs) for _ in range(num_layers))
        self.final_norm = nn.LayerNorm(d_model, **factory_kwargs) if norm_first else nn.Identity()
        self.output = nn.Linear(d_model, vocab_size, **factory_kwargs)
        self.scale = math.sqrt(d_model)

    def _embed(self, tokens):
        if tokens.shape[1] > self.positions.shape[0]:
            raise ValueError(f"sequence length {tokens.shape[1]} exceeds max_length={self.positions.shape[0]}")
        return self.embedding(tokens) * self.scale + self.positions[: tokens.shape[1]]

    def _padding(self, tokens):
        return None if self.pad_token is None else tokens == self.pad_token

    def encode(self, src: torch.Tensor) -> torch.Tensor:
        x = self._embed(src)
        for layer in self.encoder:
            x = layer(x, src_key_padding_mask=self._padding(src))
        return self.final_norm(x)

    def decode(self, tgt_in: torch.Tensor, memory: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
        x, mask = self._embed(tgt_in), causal_mask(tgt_in.shape[1], tgt_in.device)
        for layer in self.decoder:
            x = layer(x, memory, tgt_mask=mask, memory_key_padding_mask=self._padding(src))
        return self.output(self.final_norm(x))

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        return self.decode(tgt_in, self.encode(src), src)

    @torch.no_grad()
    def greedy_decode(self, src: torch.Tensor, length: int) -> torch.Tensor:
        """The ``length`` most probable next tokens one at a time (no BOS in the result)."""
        memory = self.encode(src)
        tokens = torch.full((src.shape[0], 1), self.bos_token, dtype=torch.long, device=src.device)
        for _ in range(length):
            next_token = self.decode(tokens, memory, src)[:, -1].argmax(-1, keepdim=True)
            tokens = torch.cat([tokens, next_token], dim=1)
        return tokens[:, 1:]

    @torch.no_grad()
    def beam_decode(self, src: torch.Tensor, length: int, beam_width: int = 4) -> torch.Tensor:
        """Beam search over fixed-length outputs for each sequence of ``src``: the highest total log probability."""
        beam_width = check_int("beam_width", beam_width, minimum=1)
        results = []
        for row in src:
            row = row[None]
            memory = self.encode(row)
            beams = torch.full((1, 1), self.bos_token, dtype=torch.long, device=src.device)
            scores = torch.zeros(1, device=src.device)
            for _ in range(length):
                n = beams.shape[0]
                log_probs = self.decode(beams, memory.expand(n, -1, -1), row.expand(n, -1))[:, -1].log_softmax(-1)
                total = (scores[:, None] + log_probs).flatten()
                scores, index = total.topk(min(beam_width, total.numel()))
                beams = torch.cat([beams[index // self.vocab_size], (index % self.vocab_size)[:, None]], dim=1)
            results.append(beams[0, 1:])
        return torch.stack(results)
