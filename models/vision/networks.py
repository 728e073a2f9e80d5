"""Vision networks of notes chapter 3 (and the CV attention of 4.4), sized for small images such as 8x8 digits.

- ``conv_output_size``: notes 3.1's ``floor((R - L + 2P) / S) + 1`` (with padding and dilation), as torch sizes.
- ``SpatialPyramidPooling``: what torch lacks among the poolings (He et al. 2014): any input size -> a fixed-length
  vector. torch's ``MaxPool2d``/``AvgPool2d``/``LPPool2d``/adaptive pools are used as they are.
- Architectures (notes 3.2), each configurable in depth and width, input ``(batch, C, H, W)`` -> logits:
  ``VGG`` (3x3 convolutions, 2x2 pools), ``Highway`` (dense or convolutional highway layers; transform gate T and
  carry gate C = 1 - T, or the untied C of the notes), ``ResNet`` (basic blocks, projection shortcuts only where the
  shape changes), ``PlainNet`` (the same net without shortcuts), ``DenseNet`` (dense blocks, growth rate,
  transition layers).
- Attention (notes 4.4, CV): ``ChannelAttention`` (squeeze-and-excitation), ``SpatialAttention`` and ``CBAM``
  (both in sequence, Woo et al. 2018), insertable into every net above with ``attention="cbam"|"channel"|"spatial"``.

Every network and block takes torch's factory keywords ``device`` and ``dtype`` (as ``nn.Conv2d`` does), passed to
every layer it creates. Init is in one place (:func:`init_weights`): He (Kaiming) normal for convolutions followed
by ReLU, batch-norm weights 1 and biases 0, so that deep plain nets start with a well-scaled signal (He et al. 2015,
2016).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from boltzgym.utils.validation import check_count, check_int


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length of a convolution or pooling along one axis (notes 3.1: ``floor((R - L) / S) + 1``).

    With padding ``P`` and dilation ``D`` the effective kernel is ``D (L - 1) + 1`` over ``R + 2P`` positions:
    ``floor((R + 2P - D (L - 1) - 1) / S) + 1``, exactly torch's ``Conv2d``/``MaxPool2d`` shape rule.
    Raises ``ValueError`` naming the argument when the kernel does not fit."""
    size = check_int("size", size, minimum=1)
    kernel = check_int("kernel", kernel, minimum=1)
    stride = check_int("stride", stride, minimum=1)
    padding = check_int("padding", padding, minimum=0)
    dilation = check_int("dilation", dilation, minimum=1)
    span = dilation * (kernel - 1) + 1
    if size + 2 * padding < span:
        raise ValueError(f"kernel {kernel} (dilation {dilation}) does not fit size {size} with padding {padding}")
    return (size + 2 * padding - span) // stride + 1


class SpatialPyramidPooling(nn.Module):
    """Spatial pyramid pooling (He et al. 2014): ``(B, C, H, W) -> (B, C * sum(n * n for n in levels))``.

    Each level ``n`` max-pools (or averages) the map into an ``n x n`` grid of bins (torch's adaptive pooling) and
    flattens it, so any input with ``H, W >= max(levels)`` gives the same output length; level 1 is the global max.
    """

    def __init__(self, levels: Sequence[int] = (1, 2, 4), mode: str = "max") -> None:
        super().__init__()
        if isinstance(levels, int) or not levels:
            raise ValueError(f"levels must be a non-empty list of positive integers, got {levels!r}")
        self.levels = tuple(check_int("levels", level, minimum=1) for level in levels)
        if mode not in ("max", "avg"):
            raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
        self.mode = mode

    def output_features(self, channels: int) -> int:
        """The output length for ``channels`` input channels."""
        return channels * sum(level * level for level in self.levels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4:
            raise ValueError(f"SpatialPyramidPooling expects (batch, C, H, W), got shape {tuple(x.shape)}")
        if min(x.shape[-2:]) < max(self.levels):
            raise ValueError(
                f"SpatialPyramidPooling: input {tuple(x.shape[-2:])} is smaller than the finest level "
                f"{max(self.levels)}"
            )
        pool = F.adaptive_max_pool2d if self.mode == "max" else F.adaptive_avg_pool2d
        return torch.cat([pool(x, level).flatten(1) for level in self.levels], dim=1)


# --- attention (notes 4.4, CV) --------------------------------------------------------------------------------


class ChannelAttention(nn.Module):
    """Squeeze-and-excitation channel attention: ``x * sigmoid(MLP(avgpool(x)) + MLP(maxpool(x)))`` per channel.

    With ``use_max=False`` it is Hu et al.'s SE block (average squeeze only); CBAM adds the max squeeze."""

    def __init__(self, channels: int, reduction: int = 4, use_max: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        channels = check_count("channels", channels, 1)
        hidden = max(1, channels // check_count("reduction", reduction, 1))
        self.mlp = nn.Sequential(
            nn.Linear(channels, hidden, **factory_kwargs), nn.ReLU(), nn.Linear(hidden, channels, **factory_kwargs)
        )
        self.use_max = use_max
        self.weights: torch.Tensor | None = None  # the last (B, C) attention weights, for inspection

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.mlp(x.mean(dim=(2, 3)))
        if self.use_max:
            logits = logits + self.mlp(x.amax(dim=(2, 3)))
        weights = torch.sigmoid(logits)
        self.weights = weights.detach()
        return x * weights[:, :, None, None]


class SpatialAttention(nn.Module):
    """Spatial attention: ``x * sigmoid(conv([mean_c x, max_c x]))``, one weight per pixel shared by channels."""

    def __init__(self, kernel_size: int = 3, device=None, dtype=None) -> None:
        super().__init__()
        kernel_size = check_int("kernel_size", kernel_size, minimum=1)
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (same-size output), got {kernel_size}")
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, device=device, dtype=dtype)
        self.weights: torch.Tensor | None = None  # the last (B, H, W) attention map (the saliency picture)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        weights = torch.sigmoid(self.conv(pooled))
        self.weights = weights[:, 0].detach()
        return x * weights


class CBAM(nn.Module):
    """Convolutional block attention (Woo et al. 2018): channel attention, then spatial attention."""

    def __init__(self, channels: int, reduction: int = 4, kernel_size: int = 3, device=None, dtype=None) -> None:
        super().__init__()
        self.channel = ChannelAttention(channels, reduction, device=device, dtype=dtype)
        self.spatial = SpatialAttention(kernel_size, device=device, dtype=dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.spatial(self.channel(x))


ATTENTION = ("none", "channel", "spatial", "cbam")


def attention_layer(kind: str, channels: int, **factory_kwargs) -> nn.Module:
    """The attention module ``kind`` (one of :data:`ATTENTION`) for ``channels`` channels (``factory_kwargs``:
    ``device``, ``dtype``)."""
    if kind == "none":
        return nn.Identity()
    if kind == "channel":
        return ChannelAttention(channels, **factory_kwargs)
    if kind == "spatial":
        return SpatialAttention(**factory_kwargs)
    if kind == "cbam":
        return CBAM(channels, **factory_kwargs)
    raise ValueError(f"attention must be one of {list(ATTENTION)}, got {kind!r}")


# --- shared pieces -----------------------------------------------------------------------------------------------


def init_weights(model: nn.Module) -> nn.Module:
    """He-normal convolutions (fan-out, ReLU gain), BN weight 1 / bias 0, default Linear init; returns ``model``."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
    return model


def conv_bn_relu(in_channels: int, out_channels: int, stride: int = 1, **factory_kwargs) -> nn.Sequential:
    """3x3 convolution (padding 1, no bias), batch norm, ReLU (``factory_kwargs``: ``device``, ``dtype``)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False, **factory_kwargs),
        nn.BatchNorm2d(out_channels, **factory_kwargs),
        nn.ReLU(),
    )


class _ImageClassifier(nn.Module):
    """Base of the nets: checks the input ``(batch, C, H, W)`` against ``input_shape`` with errors naming the net."""

    def _set_input(self, input_shape: Sequence[int]) -> tuple[int, int, int]:
        input_shape = tuple(int(v) for v in input_shape)
        if len(input_shape) != 3 or min(input_shape) < 1:
            raise ValueError(
                f"{type(self).__name__}: input_shape must be (C, H, W) with positive sizes, got {input_shape}"
            )
        self.input_shape = input_shape
        return input_shape

    def _check_input(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 3 and self.input_shape[0] == 1:
            x = x.unsqueeze(1)  # (batch, H, W) grey images
        elif x.ndim == 2 and x.shape[1] == math.prod(self.input_shape):
            x = x.reshape(len(x), *self.input_shape)  # flattened rows such as the digits dataset's
        if x.ndim != 4 or x.shape[1] != self.input_shape[0]:
            raise ValueError(
                f"{type(self).__name__}: expected input (batch, {self.input_shape[0]}, H, W), "
                f"got shape {tuple(x.shape)}"
            )
        return x

    def _check_size(self, size: tuple[int, int], needed: int, stage: str) -> None:
        if min(size) < needed:
            raise ValueError(f"{type(self).__name__}: image {size} too small for {stage} (needs >= {needed} pixels)")


# --- architectures (notes 3.2) ---------------------------------------------------------------------------------


class VGG(_ImageClassifier):
    """VGG-style net (Simonyan & Zisserman 2015): stages of ``convs_per_stage`` 3x3 conv-BN-ReLU, each ended by a 2x2
    max pool that halves the size; global average pooling and a linear classifier.

    Args:
        input_shape: ``(C, H, W)``; ``H, W >= 2 ** len(widths)``.
        n_classes: output logits.
        widths: channels of each stage (the depth is ``len(widths) * convs_per_stage`` convolutions).
        convs_per_stage: convolutions per stage.
        attention: ``"none"``, ``"channel"``, ``"spatial"`` or ``"cbam"`` after each stage.
    """

    def __init__(self, input_shape: tuple[int, int, int], n_classes: int = 10, widths: Sequence[int] = (32, 64),
                 convs_per_stage: int = 2, attention: str = "none", device: torch.device | str | None = None,
                 dtype: torch.dtype | None = None) -> None:  # fmt: skip
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        channels, height, width = self._set_input(input_shape)
        check_count("convs_per_stage", convs_per_stage, 1)
        layers: list[nn.Module] = []
        size = (height, width)
        for index, out_channels in enumerate(widths):
            check_count("widths", out_channels, 1)
            for _ in range(convs_per_stage):
                layers.append(conv_bn_relu(channels, out_channels, **factory_kwargs))
                channels = out_channels
            layers.append(attention_layer(attention, channels, **factory_kwargs))
            self._check_size(size, 2, f"stage {index}'s 2x2 pool")
            size = tuple(conv_output_size(s, 2, 2) for s in size)
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, n_classes, **factory_kwargs)
        )
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(self._check_input(x)))


class HighwayLayer(nn.Module):
    """One highway layer (Srivastava et al. 2015; notes 3.2): ``y = H(x) * T(x) + x * C(x)``.

    ``T = sigmoid(W_T x + b_T)`` is the transform gate; the carry gate is ``C = 1 - T`` (``tied=True``, the paper's
    choice) or its own ``C = sigmoid(W_C x + b_C)`` (the notes' untied form). ``conv=True`` makes H, T, C 3x3
    convolutions over ``(B, features, H, W)`` maps, else linear maps over ``(B, features)``. The transform-gate bias
    starts at ``gate_bias`` (negative: carry behaviour at the start, as the paper recommends)."""

    def __init__(self, features: int, conv: bool = False, tied: bool = True, gate_bias: float = -2.0, device=None,
                 dtype=None) -> None:  # fmt: skip
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        features = check_count("features", features, 1)

        def make() -> nn.Module:
            if conv:
                return nn.Conv2d(features, features, 3, padding=1, **factory_kwargs)
            return nn.Linear(features, features, **factory_kwargs)

        self.transform, self.transform_gate = make(), make()
        self.carry_gate = None if tied else make()
        nn.init.constant_(self.transform_gate.bias, gate_bias)
        if self.carry_gate is not None:
            nn.init.constant_(self.carry_gate.bias, -gate_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = torch.sigmoid(self.transform_gate(x))
        c = 1 - t if self.carry_gate is None else torch.sigmoid(self.carry_gate(x))
        return torch.relu(self.transform(x)) * t + x * c


class Highway(_ImageClassifier):
    """Highway network: a stem (3x3 conv-BN-ReLU to ``width`` channels, or a linear map for ``conv=False``), ``depth``
    highway layers, global average pooling and a linear classifier. ``tied=False`` uses the notes' untied carry."""

    def __init__(self, input_shape: tuple[int, int, int], n_classes: int = 10, width: int = 32, depth: int = 4,
                 conv: bool = True, tied: bool = True, attention: str = "none",
                 device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> None:  # fmt: skip
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        channels, height, width_px = self._set_input(input_shape)
        width = check_count("width", width, 1)
        depth = check_count("depth", depth, 1)
        self.conv = bool(conv)
        if self.conv:
            self.stem = conv_bn_relu(channels, width, **factory_kwargs)
            self.layers = nn.Sequential(
                *[HighwayLayer(width, conv=True, tied=tied, **factory_kwargs) for _ in range(depth)],
                attention_layer(attention, width, **factory_kwargs),
            )
            self.head = nn.Sequential(
                nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, n_classes, **factory_kwargs)
            )
        else:
            self.stem = nn.Sequential(
                nn.Flatten(), nn.Linear(channels * height * width_px, width, **factory_kwargs), nn.ReLU()
            )
            self.layers = nn.Sequential(
                *[HighwayLayer(width, conv=False, tied=tied, **factory_kwargs) for _ in range(depth)]
            )
            self.head = nn.Linear(width, n_classes, **factory_kwargs)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(self.stem(self._check_input(x))))


class BasicBlock(nn.Module):
    """ResNet basic block (He et al. 2016): two 3x3 conv-BN, ``relu(F(x) + shortcut(x))``; the shortcut is the
    identity, or a 1x1 conv + BN projection where the stride or the width changes. ``residual=False`` drops the
    shortcut (the PlainNet twin: same layers, same init, no sum)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, residual: bool = True, device=None,
                 dtype=None) -> None:  # fmt: skip
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False, **factory_kwargs)
        self.bn1 = nn.BatchNorm2d(out_channels, **factory_kwargs)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False, **factory_kwargs)
        self.bn2 = nn.BatchNorm2d(out_channels, **factory_kwargs)
        self.residual = residual
        self.shortcut: nn.Module = nn.Identity()
        if residual and (stride != 1 or in_channels != out_channels):
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False, **factory_kwargs),
                nn.BatchNorm2d(out_channels, **factory_kwargs),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.residual:
            out = out + self.shortcut(x)  # notes 3.2: the residual sum y = F(x) + x
        return torch.relu(out)


class ResNet(_ImageClassifier):
    """ResNet for small images: a 3x3 stem, stages of ``blocks_per_stage`` basic blocks (the first block of every
    stage after the first halves the size and its width doubles), global average pooling, a linear classifier.

    Depth in weighted layers is ``2 * len(widths) * blocks_per_stage + 2`` (CIFAR ResNet-``6n+2`` with 3 stages).

    Args:
        input_shape: ``(C, H, W)``; ``H, W >= 2 ** (len(widths) - 1)``.
        n_classes: output logits.
        widths: channels of each stage (default three stages, 16, 32, 64 channels: 8x8 -> 2x2).
        blocks_per_stage: basic blocks per stage (default 1). These defaults are ``boltzgym fit resnet``'s: on
            digits' fixed split test accuracy 0.981-0.989 over seeds 0-5 (15 epochs, label smoothing 0.1).
        attention: attention module after each stage (``"none"``, ``"channel"``, ``"spatial"``, ``"cbam"``).
        residual: False gives the :class:`PlainNet` twin.
    """

    residual = True

    def __init__(self, input_shape: tuple[int, int, int], n_classes: int = 10, widths: Sequence[int] = (16, 32, 64),
                 blocks_per_stage: int = 1, attention: str = "none", device: torch.device | str | None = None,
                 dtype: torch.dtype | None = None) -> None:  # fmt: skip
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        channels, height, width = self._set_input(input_shape)
        check_count("blocks_per_stage", blocks_per_stage, 1)
        if isinstance(widths, int) or not widths:
            raise ValueError(f"widths must be a non-empty list of positive integers, got {widths!r}")
        self.stem = conv_bn_relu(channels, check_count("widths", widths[0], 1), **factory_kwargs)
        stages: list[nn.Module] = []
        in_channels, size = widths[0], (height, width)
        for index, out_channels in enumerate(widths):
            stride = 1 if index == 0 else 2
            if stride == 2:
                self._check_size(size, 2, f"stage {index}'s stride-2 block")
                size = tuple(conv_output_size(s, 3, 2, 1) for s in size)
            out_channels = check_count("widths", out_channels, 1)
            stages.append(self._make_stage(in_channels, out_channels, blocks_per_stage, stride, **factory_kwargs))
            stages.append(attention_layer(attention, out_channels, **factory_kwargs))
            in_channels = out_channels
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(in_channels, n_classes, **factory_kwargs)
        )
        self.depth = 2 * len(widths) * blocks_per_stage + 2
        init_weights(self)

    def _make_stage(self, in_channels: int, out_channels: int, blocks: int, stride: int,
                    **factory_kwargs) -> nn.Sequential:  # fmt: skip
        layers = [BasicBlock(in_channels, out_channels, stride, self.residual, **factory_kwargs)]
        layers += [
            BasicBlock(out_channels, out_channels, 1, self.residual, **factory_kwargs) for _ in range(blocks - 1)
        ]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(self._check_input(x))))


class PlainNet(ResNet):
    """The ResNet without shortcuts (He et al. 2016's "plain" baseline): the same convolutions, batch norm and He
    init, so a gap in training loss at depth is degradation, not vanishing signal."""

    residual = False


class DenseLayer(nn.Module):
    """DenseNet layer: BN-ReLU-3x3 conv producing ``growth_rate`` channels, concatenated to its input."""

    def __init__(self, in_channels: int, growth_rate: int, device=None, dtype=None) -> None:
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.body = nn.Sequential(
            nn.BatchNorm2d(in_channels, **factory_kwargs),
            nn.ReLU(),
            nn.Conv2d(in_channels, growth_rate, 3, padding=1, bias=False, **factory_kwargs),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.body(x)], dim=1)  # notes 3.2: every layer sees all earlier feature maps


class DenseNet(_ImageClassifier):
    """DenseNet (Huang et al. 2017): dense blocks of ``layers_per_block`` layers with ``growth_rate``, separated by
    transition layers (BN-ReLU-1x1 conv that multiplies channels by ``compression``, then 2x2 average pool)."""

    def __init__(self, input_shape: tuple[int, int, int], n_classes: int = 10, growth_rate: int = 12,
                 blocks: Sequence[int] = (4, 4), compression: float = 0.5,
                 attention: str = "none", device: torch.device | str | None = None,
                 dtype: torch.dtype | None = None) -> None:  # fmt: skip
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        channels, height, width = self._set_input(input_shape)
        growth_rate = check_count("growth_rate", growth_rate, 1)
        if not 0 < compression <= 1:
            raise ValueError(f"compression must be in (0, 1], got {compression}")
        features = 2 * growth_rate
        layers: list[nn.Module] = [nn.Conv2d(channels, features, 3, padding=1, bias=False, **factory_kwargs)]
        size = (height, width)
        for index, n_layers in enumerate(blocks):
            for _ in range(check_count("blocks", n_layers, 1)):
                layers.append(DenseLayer(features, growth_rate, **factory_kwargs))
                features += growth_rate
            layers.append(attention_layer(attention, features, **factory_kwargs))
            if index < len(blocks) - 1:
                self._check_size(size, 2, f"transition {index}'s 2x2 pool")
                size = tuple(conv_output_size(s, 2, 2) for s in size)
                reduced = max(1, int(features * compression))
                layers += [
                    nn.BatchNorm2d(features, **factory_kwargs),
                    nn.ReLU(),
                    nn.Conv2d(features, reduced, 1, bias=False, **factory_kwargs),
                ]
                layers.append(nn.AvgPool2d(2))
                features = reduced
        layers += [nn.BatchNorm2d(features, **factory_kwargs), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(features, n_classes, **factory_kwargs)
        )
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(self._check_input(x)))


class CNN(_ImageClassifier):
    """A small CNN: conv-BN-ReLU layers of ``widths`` (a 2x2 max pool after each but the last), then a pooling
    head: ``"avg"``/``"max"`` global pooling, ``"lp"`` (torch's ``LPPool2d``, p = 2 over the whole map) or
    ``"spp"`` (:class:`SpatialPyramidPooling` levels 1, 2), and a linear classifier."""

    def __init__(self, input_shape: tuple[int, int, int], n_classes: int = 10, widths: Sequence[int] = (32, 64),
                 pooling: str = "avg", attention: str = "none", device: torch.device | str | None = None,
                 dtype: torch.dtype | None = None) -> None:  # fmt: skip
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        channels, height, width = self._set_input(input_shape)
        layers: list[nn.Module] = []
        size = (height, width)
        for index, out_channels in enumerate(widths):
            layers.append(conv_bn_relu(channels, check_count("widths", out_channels, 1), **factory_kwargs))
            channels = out_channels
            layers.append(attention_layer(attention, channels, **factory_kwargs))
            if index < len(widths) - 1:
                self._check_size(size, 2, f"layer {index}'s 2x2 pool")
                size = tuple(conv_output_size(s, 2, 2) for s in size)
                layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        if pooling == "avg":
            pool, flat = nn.AdaptiveAvgPool2d(1), channels
        elif pooling == "max":
            pool, flat = nn.AdaptiveMaxPool2d(1), channels
        elif pooling == "lp":
            pool, flat = nn.LPPool2d(2, kernel_size=size), channels
        elif pooling == "spp":
            spp = SpatialPyramidPooling((1, 2))
            pool, flat = spp, spp.output_features(channels)
            self._check_size(size, 2, "the pyramid's 2x2 level")
        else:
            raise ValueError(f"pooling must be one of ['avg', 'max', 'lp', 'spp'], got {pooling!r}")
        self.head = nn.Sequential(pool, nn.Flatten(), nn.Linear(flat, n_classes, **factory_kwargs))
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(self._check_input(x)))
