"""The LSTM encoder-decoder of Sutskever, Vinyals & Le (2014), "Sequence to sequence learning with neural networks".

An encoder LSTM reads the source tokens; its final state ``(h, c)`` starts a decoder LSTM that reads ``BOS y_1 ...
y_{t-1}`` (teacher forcing while training) and predicts ``y_t``. Everything the decoder knows about the source passes
through that one state, which is why the paper's trick helps: feeding the source *reversed* puts its first tokens
next to the first target tokens, introducing short-term dependencies (notes 4.1's reversed input; measured in the
README with ``boltzgym fit seq2seq --data copy-T --set reverse_input=true``). Interface as
:class:`~boltzgym.models.sequence.transformer.Seq2SeqTransformer`: ``forward(src, tgt_in)`` gives next-token logits and
:meth:`Seq2SeqLSTM.greedy_decode` generates.
"""

from __future__ import annotations

import torch
from torch import nn

from boltzgym.models.sequence.recurrent import LSTM
from boltzgym.utils.validation import check_int


class Seq2SeqLSTM(nn.Module):
    """Token-to-token LSTM encoder-decoder (``num_layers`` stacked layers each).

    Args:
        vocab_size: token ids shared by source and target, including ``bos_token``.
        embedding_dim, hidden_size, num_layers: sizes.
        bos_token: the id that starts every decoder input.
        device, dtype: torch's factory keywords (as ``nn.Linear``'s).
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 32, hidden_size: int = 128, num_layers: int = 1,
                 bos_token: int = 0, device: torch.device | str | None = None,
                 dtype: torch.dtype | None = None) -> None:  # fmt: skip
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.vocab_size = check_int("vocab_size", vocab_size, minimum=2)
        self.bos_token = check_int("bos_token", bos_token, minimum=0, maximum=vocab_size - 1)
        self.embedding = nn.Embedding(vocab_size, embedding_dim, **factory_kwargs)
        # the gate-by-gate cells of boltzgym.models.sequence.recurrent, run on torch's fused kernel (same weights)
        self.encoder = LSTM(embedding_dim, hidden_size, num_layers, **factory_kwargs).to_torch()
        self.decoder = LSTM(embedding_dim, hidden_size, num_layers, **factory_kwargs).to_torch()
        self.output = nn.Linear(hidden_size, vocab_size, **factory_kwargs)

    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoder's final state ``(h, c)``: all the decoder gets to see of ``src``."""
        return self.encoder(self.embedding(src))[1]

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        output, _ = self.decoder(self.embedding(tgt_in), self.encode(src))
        return self.output(output)

    @torch.no_grad()
    def greedy_decode(self, src: torch.Tensor, length: int) -> torch.Tensor:
        """The ``length`` most probable next tokens one at a time, carrying the decoder state (no BOS in the result)."""
        state = self.encode(src)
        token = torch.full((src.shape[0], 1), self.bos_token, dtype=torch.long, device=src.device)
        tokens = []
        for _ in range(length):
            output, state = self.decoder(self.embedding(token), state)
            token = self.output(output[:, -1]).argmax(-1, keepdim=True)
            tokens.append(token)
        return torch.cat(tokens, dim=1)
