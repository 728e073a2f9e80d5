"""A small convolutional encoder for image observations (notes 3.1: convolution layers, shift invariance)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from boltzgym.models.supervised.mlp import activation_layer


class ConvNet(nn.Module):
    """Convolutional encoder ``(batch, C, H, W) -> (batch, out_features)``.

    A stack of ``Conv2d -> activation`` layers, flattened, then one ``Linear -> activation`` layer. The
    defaults (two 3x3 convolutions with padding 1 and stride 1) keep the spatial size, which suits the tiny
    grid images of toy-text environments; for Atari-sized frames pass e.g. ``channels=(32, 64, 64)``,
    ``kernel_sizes=(8, 4, 3)``, ``strides=(4, 2, 1)``, ``paddings=(0, 0, 0)`` (Mnih et al., Nature 2015).

    Args:
        input_shape: ``(C, H, W)`` of one image (channels first, as torch convolutions expect).
        channels: output channels of each convolution.
        kernel_sizes, strides, paddings: one entry per convolution.
        out_features: width of the final linear layer (the feature vector).
        activation: ``"relu"`` (default), ``"tanh"`` or ``"sigmoid"``.
        device, dtype: torch's factory keywords (as ``nn.Conv2d``'s).

    Example:
        >>> import torch
        >>> net = ConvNet((3, 4, 4), out_features=16)
        >>> net(torch.zeros(2, 3, 4, 4)).shape
        torch.Size([2, 16])
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        channels: Sequence[int] = (16, 32),
        kernel_sizes: Sequence[int] = (3, 3),
        strides: Sequence[int] = (1, 1),
        paddings: Sequence[int] = (1, 1),
        out_features: int = 128,
        activation: str = "relu",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        input_shape = tuple(int(v) for v in input_shape)
        if len(input_shape) != 3 or min(input_shape) < 1:
            raise ValueError(f"input_shape must be (C, H, W) with positive sizes, got {input_shape}")
        if not len(channels) == len(kernel_sizes) == len(strides) == len(paddings) >= 1:
            raise ValueError(
                "channels, kernel_sizes, strides and paddings must have the same length >= 1, got "
                f"{len(channels)}, {len(kernel_sizes)}, {len(strides)}, {len(paddings)}"
            )
        if out_features < 1:
            raise ValueError(f"out_features must be >= 1, got {out_features}")
        layers: list[nn.Module] = []
        in_channels = input_shape[0]
        for out_channels, kernel, stride, padding in zip(channels, kernel_sizes, strides, paddings):
            layers += [
                nn.Conv2d(in_channels, out_channels, kernel, stride, padding, **factory_kwargs),
                activation_layer(activation),
            ]
            in_channels = out_channels
        layers.append(nn.Flatten())
        self.convolutions = nn.Sequential(*layers)
        with torch.no_grad():
            flat = self.convolutions(torch.zeros(1, *input_shape, **factory_kwargs)).shape[1]
        if flat < 1:
            raise ValueError(f"the convolutions shrink input_shape {input_shape} to nothing")
        self.linear = nn.Sequential(nn.Linear(flat, out_features, **factory_kwargs), activation_layer(activation))
        self.input_shape = input_shape
        self.out_features = int(out_features)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Encode float images ``(batch, C, H, W)`` into ``(batch, out_features)`` features."""
        return self.linear(self.convolutions(images))
