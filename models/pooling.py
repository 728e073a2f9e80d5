"""Convolution arithmetic and pooling that torch lacks (notes 3.1).

torch already has the layers the notes describe: ``nn.Conv2d``, ``nn.MaxPool2d``, ``nn.AvgPool2d`` (mean pool),
``nn.LPPool2d`` (p-norm pool), ``nn.AdaptiveAvgPool2d``/``nn.AdaptiveMaxPool2d`` (global pooling with output size
1). This module adds

- :func:`conv_output_size`: the notes' ``floor((R - L) / S) + 1`` for an input of side ``R``, kernel ``L`` and
  stride ``S``, extended by padding and dilation exactly as torch computes it, so models size their heads with it;
- :class:`SpatialPyramidPooling` (He et al. 2014): max-pools a feature map on grids of ``l x l`` cells for each
  level ``l`` and concatenates them, so an image of any size (at least the finest level) becomes a vector of fixed
  length ``channels * sum(l^2)``;
- :func:`as_images`: the input check every vision model shares (flattened rows are reshaped; a wrong channel count
  or too small an image is an error naming the layer and the sizes).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Side of a convolution's (or pooling's) output, as torch computes it:
    ``floor((size + 2 padding - dilation (kernel - 1) - 1) / stride) + 1``.

    With ``padding=0, dilation=1`` this is the notes' ``floor((R - L) / S) + 1`` (notes 3.1). Raises ``ValueError``
    naming the argument on a non-positive size, kernel, stride or dilation, a negative padding, or a kernel wider
    than the padded input.
    """
    checks = (("size", size, 1), ("kernel", kernel, 1), ("stride", stride, 1), ("dilation", dilation, 1))
    for name, value, minimum in (*checks, ("padding", padding, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    span = dilation * (kernel - 1) + 1  # the receptive field of one output cell
    if size + 2 * padding < span:
        raise ValueError(f"kernel: a kernel spanning {span} pixels does not fit an input of size {size} + 2*{padding}")
    return (size + 2 * padding - span) // stride + 1  # notes 3.1: floor((R - L) / S) + 1


def as_images(x: torch.Tensor, input_shape: Sequence[int], layer: str) -> torch.Tensor:
    """``x`` as a ``(batch, C, H, W)`` batch of ``input_shape = (C, H, W)`` images; flattened rows are reshaped.

    Raises ``ValueError`` naming ``layer`` and the sizes when ``x`` holds the wrong channel count or size."""
    channels, height, width = input_shape
    if x.dim() == 2 and x.shape[1] == channels * height * width:
        return x.reshape(len(x), channels, height, width)
    if x.dim() != 4:
        raise ValueError(
            f"{layer}: expected images (batch, {channels}, {height}, {width}) or rows of {channels * height * width}"
            f" values, got shape {tuple(x.shape)}"
        )
    if x.shape[1] != channels:
        raise ValueError(
            f"{layer}: expected {channels} input channels, got {x.shape[1]} (input shape {tuple(x.shape)})"
        )
    return x


class SpatialPyramidPooling(nn.Module):
    """Spatial pyramid pooling (He et al. 2014): ``(batch, C, H, W) -> (batch, C * sum(l^2 for l in levels))``.

    For each level ``l`` the map is divided into an ``l x l`` grid of (nearly) equal cells and each cell is
    max-pooled (``mode="max"``, the paper's choice) or averaged (``mode="avg"``); the pooled grids are flattened
    and concatenated, coarsest level first. Level 1 is global max pooling. The output length does not depend on
    ``H, W``, so a fully connected head can follow convolutions applied to images of any size >= ``max(levels)``.

    Args:
        levels: the grid sides, for example ``(1, 2, 4)``.
        mode: ``"max"`` or ``"avg"``.
    """

    def __init__(self, levels: Sequence[int] = (1, 2, 4), mode: str = "max") -> None:
        super().__init__()
        levels = tuple(levels)
        if not levels or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in levels):
            raise ValueError(f"levels must be a non-empty sequence of ints >= 1, got {levels!r}")
        if mode not in ("max", "avg"):
            raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
        self.levels = levels
        self.mode = mode

    def output_size(self, channels: int) -> int:
        """The length of the pooled vector for ``channels`` feature maps."""
        return channels * sum(level * level for level in self.levels)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Pool ``(batch, C, H, W)`` feature maps into ``(batch, self.output_size(C))`` vectors."""
        if features.dim() != 4:
            raise ValueError(f"SpatialPyramidPooling: expected (batch, C, H, W), got shape {tuple(features.shape)}")
        finest = max(self.levels)
        if min(features.shape[-2:]) < finest:
            raise ValueError(
                f"SpatialPyramidPooling: input {tuple(features.shape[-2:])} is smaller than the finest level {finest}"
            )
        pool = F.adaptive_max_pool2d if self.mode == "max" else F.adaptive_avg_pool2d
        return torch.cat([pool(features, level).flatten(1) for level in self.levels], dim=1)

    def extra_repr(self) -> str:
        return f"levels={self.levels}, mode={self.mode!r}"
