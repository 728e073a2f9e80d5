"""Autoencoders of notes 5.1: a tied (shared-weight) autoencoder, deep autoencoders and the denoising option.

``TiedAutoencoder(n_features, n_components)`` encodes ``h = act(W x + b)`` and decodes with the transposed weights
``x' = W^T h + c`` (notes 5.1: the decoder shares the encoder's weights). With ``activation=None`` and a squared
error it learns the principal subspace: the minima of ``||X - X W^T W||^2`` are the projections onto the span of the
top ``n_components`` principal directions (Baldi & Hornik 1989); the rows of ``W`` span that subspace, though they
need not be the principal directions themselves. ``DeepAutoencoder`` stacks MLP encoders and decoders.
``noise > 0`` trains the denoising variant (Vincent et al. 2008): Gaussian noise is added to the input and the
clean input is reconstructed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from boltzgym.models.supervised.mlp import MLP, activation_layer
from boltzgym.utils.validation import check_int, check_positive


class TiedAutoencoder(nn.Module):
    """One-hidden-layer autoencoder whose decoder weight is the encoder weight transposed.

    Args:
        n_features: input width.
        n_components: code width (> 0).
        activation: ``None`` (linear: the PCA subspace), ``"sigmoid"``, ``"tanh"`` or ``"relu"`` on the code.
        noise: standard deviation of the Gaussian input corruption used in training (denoising AE); 0 disables it.
        seed: initialises the weights (drawn on the CPU in ``dtype``, then moved to ``device``).
        device, dtype: torch's factory keywords (as ``nn.Linear``'s).
    """

    def __init__(
        self,
        n_features: int,
        n_components: int = 16,
        activation: str | None = None,
        noise: float = 0.0,
        seed: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ):
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.n_features = check_int("n_features", n_features, minimum=1)
        self.n_components = check_int("n_components", n_components, minimum=1)
        self.noise = check_positive("noise", noise, allow_zero=True)
        generator = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
        bound = 1.0 / np.sqrt(n_features)
        weight = (torch.rand(n_components, n_features, generator=generator, dtype=dtype) * 2 - 1) * bound
        self.weight = nn.Parameter(weight.to(device=device))
        self.encoder_bias = nn.Parameter(torch.zeros(n_components, **factory_kwargs))
        self.decoder_bias = nn.Parameter(torch.zeros(n_features, **factory_kwargs))
        self.activation = nn.Identity() if activation is None else activation_layer(activation)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code ``act(W x + b)``."""
        return self.activation(x @ self.weight.T + self.encoder_bias)

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        """The reconstruction ``W^T h + c`` (notes 5.1: shared weights)."""
        return h @ self.weight + self.decoder_bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Mean squared reconstruction error of the clean ``x`` from a (noisy, in training) input."""
        noisy = x + self.noise * torch.randn_like(x) if self.training and self.noise > 0 else x
        return ((self(noisy) - x) ** 2).sum(dim=1).mean()


class DeepAutoencoder(nn.Module):
    """``n_features -> hidden_sizes -> n_components -> reversed(hidden_sizes) -> n_features`` with untied MLPs.

    Args:
        n_features: input width.
        n_components: code width (> 0).
        hidden_sizes: widths between the input and the code (mirrored in the decoder).
        activation: hidden activation name.
        noise: Gaussian input corruption during training (denoising); 0 disables it.
        device, dtype: torch's factory keywords (as ``nn.Linear``'s).
    """

    def __init__(
        self,
        n_features: int,
        n_components: int = 16,
        hidden_sizes: Sequence[int] = (64,),
        activation: str = "relu",
        noise: float = 0.0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ):
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.n_features = check_int("n_features", n_features, minimum=1)
        self.n_components = check_int("n_components", n_components, minimum=1)
        self.noise = check_positive("noise", noise, allow_zero=True)
        self.encoder = MLP(n_features, list(hidden_sizes), n_components, activation=activation, **factory_kwargs)
        self.decoder = MLP(n_components, list(hidden_sizes)[::-1], n_features, activation=activation, **factory_kwargs)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        return self.decoder(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Mean squared reconstruction error (per sample, summed over features)."""
        noisy = x + self.noise * torch.randn_like(x) if self.training and self.noise > 0 else x
        return ((self(noisy) - x) ** 2).sum(dim=1).mean()


def autoencoder_loss(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """``fit``'s loss hook for the autoencoders: ``model.loss(batch[0])``."""
    return model.loss(batch[0])
