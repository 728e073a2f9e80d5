"""Vision networks of notes 3.2 and the attention modules of notes 4.4 (CV), sized for small images.

Every classifier takes ``input_shape = (C, H, W)`` and ``n_classes`` and accepts either image batches
``(batch, C, H, W)`` or flattened rows ``(batch, C*H*W)`` (the digits dataset stores rows). A wrong channel count,
or an image too small for the network's depth, is a ``ValueError`` naming the layer and the sizes, raised when the
network is built (size) or called (channels).

- :class:`VGG`: stages of 3x3 convolutions (+ batch norm) followed by 2x2 max pooling, then a fully connected
  head sized with :func:`~boltzgym.models.pooling.conv_output_size` (Simonyan & Zisserman 2015).
- :class:`ResNet`: torchvision-style :class:`BasicBlock` (two 3x3 convolutions, ``relu(F(x) + shortcut(x))``),
  projection shortcut (1x1 conv + BN) only where the shape changes, stages built by ``_make_stage``, global
  average pooling and one linear layer (He et al. 2016; the CIFAR variant has depth ``2 + 2 * sum(blocks)``).
- :class:`PlainNet`: the same network with every shortcut removed (``relu(F(x))``), the twin of the degradation
  experiment. Both use batch norm and He (Kaiming) initialisation, set in one place (:func:`init_weights`).
- :class:`DenseNet`: dense blocks (each layer BN-ReLU-Conv3x3 adds ``growth_rate`` channels to the concatenation
  of all earlier ones) joined by transition layers (BN-ReLU-Conv1x1 compressing, 2x2 average pool) (Huang et al.
  2017).
- :class:`HighwayLayer`/:class:`Highway`: ``y = H(x) * T(x) + x * C(x)`` with transform gate ``T = sigmoid(W_T x
  + b_T)`` and carry gate ``C = 1 - T`` (Srivastava et al. 2015), or, with ``untied_carry=True``, an own carry gate
  ``C = sigmoid(W_C x + b_C)`` as the notes (3.2) write it. ``conv=True`` gives the convolutional variant.
- :class:`ChannelAttention` (squeeze-and-excitation, Hu et al. 2018, with CBAM's extra max-pooled descriptor),
  :class:`SpatialAttention` and :class:`CBAM` (Woo et al. 2018): ``(batch, C, H, W) -> same shape``, insertable
  after any block (``attention=True`` in VGG, ResNet and PlainNet). Each keeps its last attention map in
  ``last_attention`` for saliency pictures.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from boltzgym.models.pooling import as_images, conv_output_size


def _input_shape(input_shape: Sequence[int]) -> tuple[int, int, int]:
    shape = tuple(int(v) for v in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"input_shape must be (C, H, W) with positive sizes, got {tuple(input_shape)}")
    return shape


def _check_fits(layer: str, size: tuple[int, int], kernel: int, stride: int, padding: int = 0) -> tuple[int, int]:
    """The output size of a kernel on ``size``; ``ValueError`` naming ``layer`` when the image is too small."""
    try:
        return tuple(conv_output_size(s, kernel, stride, padding) for s in size)
    except ValueError:
        raise ValueError(
            f"{layer}: the image is too small for the depth: a {size[0]}x{size[1]} map reaches a "
            f"{kernel}x{kernel} kernel (stride {stride}, padding {padding}); use a larger image or fewer stages"
        ) from None


def init_weights(module: nn.Module) -> None:
    """He (Kaiming) normal init for convolutions and linear layers feeding ReLUs, BN to identity, biases to 0."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


# --- attention (notes 4.4, CV) -------------------------------------------------------------------------------


class ChannelAttention(nn.Module):
    """Channel attention: rescale each channel by ``sigmoid(MLP(avgpool(x)) [+ MLP(maxpool(x))])``.

    ``use_max=False`` is squeeze-and-excitation exactly (Hu et al. 2018); ``True`` (default) adds CBAM's max-pooled
    descriptor through the same MLP. ``reduction`` is the bottleneck ratio of the MLP."""

    def __init__(self, channels: int, reduction: int = 4, use_max: bool = True) -> None:
        super().__init__()
        if channels < 1 or reduction < 1:
            raise ValueError(f"channels and reduction must be >= 1, got {channels}, {reduction}")
        hidden = max(1, channels // reduction)
        self.mlp = nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(), nn.Linear(hidden, channels))
        self.channels = channels
        self.use_max = use_max
        self.last_attention: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(f"ChannelAttention: expected (batch, {self.channels}, H, W), got {tuple(x.shape)}")
        logits = self.mlp(x.mean(dim=(2, 3)))  # squeeze
        if self.use_max:
            logits = logits + self.mlp(x.amax(dim=(2, 3)))
        weights = torch.sigmoid(logits)  # excite
        self.last_attention = weights.detach()
        return x * weights[:, :, None, None]


class SpatialAttention(nn.Module):
    """Spatial attention (CBAM): rescale each pixel by ``sigmoid(conv([mean_c(x), max_c(x)]))``."""

    def __init__(self, kernel_size: int = 7) -> None:
        super().__init__()
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be an odd int >= 1, got {kernel_size}")
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2)
        self.last_attention: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f"SpatialAttention: expected (batch, C, H, W), got {tuple(x.shape)}")
        descriptor = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        weights = torch.sigmoid(self.conv(descriptor))  # (batch, 1, H, W)
        self.last_attention = weights.detach()
        return x * weights


class CBAM(nn.Module):
    """Convolutional block attention module (Woo et al. 2018): channel attention, then spatial attention."""

    def __init__(self, channels: int, reduction: int = 4, kernel_size: int = 7) -> None:
        super().__init__()
        self.channel = ChannelAttention(channels, reduction)
        self.spatial = SpatialAttention(kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.spatial(self.channel(x))


# --- VGG ------------------------------------------------------------------------------------------------------


class VGG(nn.Module):
    """VGG-style classifier: per stage, ``3x3 conv -> [BN] -> ReLU`` layers then a 2x2 max pool; FC head.

    Args:
        input_shape: ``(C, H, W)``.
        n_classes: outputs of the last layer (logits).
        stages: channel widths of the convolutions, one tuple per stage (``((32, 32), (64, 64))``).
        hidden: width of the hidden fully connected layer of the head (0: none).
        batch_norm: batch norm after each convolution.
        attention: a :class:`CBAM` module after each stage.
        dropout: dropout before the head's layers.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        n_classes: int,
        stages: Sequence[Sequence[int]] = ((32, 32), (64, 64)),
        hidden: int = 128,
        batch_norm: bool = True,
        attention: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.input_shape = _input_shape(input_shape)
        layers: list[nn.Module] = []
        channels, size = self.input_shape[0], self.input_shape[1:]
        for index, widths in enumerate(stages):
            for width in widths:
                layers += [nn.Conv2d(channels, width, 3, padding=1, bias=not batch_norm)]
                layers += [nn.BatchNorm2d(width)] if batch_norm else []
                layers += [nn.ReLU(inplace=True)]
                channels = width
            if attention:
                layers.append(CBAM(channels))
            size = _check_fits(f"VGG stage {index} pool", size, kernel=2, stride=2)
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        flat = channels * size[0] * size[1]
        head: list[nn.Module] = [nn.Flatten(), nn.Dropout(dropout)]
        if hidden:
            head += [nn.Linear(flat, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout)]
        head.append(nn.Linear(hidden or flat, n_classes))
        self.classifier = nn.Sequential(*head)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(as_images(x, self.input_shape, "VGG input")))


# --- ResNet and its plain twin -------------------------------------------------------------------------------


class BasicBlock(nn.Module):
    """Two 3x3 conv + BN layers; ``relu(F(x) + shortcut(x))`` with a projection shortcut where shapes change.

    ``residual=False`` drops the shortcut (``relu(F(x))``): the plain block of the degradation experiment."""

    def __init__(
        self, in_channels: int, out_channels: int, stride: int = 1, residual: bool = True, attention: bool = False
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.attention = CBAM(out_channels) if attention else None
        self.residual = residual
        self.shortcut: nn.Module = nn.Identity()
        if residual and (stride != 1 or in_channels != out_channels):  # projection only where shapes change
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.attention is not None:
            out = self.attention(out)
        if self.residual:
            out = out + self.shortcut(x)  # notes 3.2: the block learns the residual F(x) = H(x) - x
        return self.relu(out)


class ResNet(nn.Module):
    """ResNet for small images: 3x3 stem, stages of :class:`BasicBlock` (stride 2 from the second stage), global
    average pool, linear layer. Depth (weighted layers) = ``2 + 2 * sum(blocks)``.

    Args:
        input_shape: ``(C, H, W)``.
        n_classes: logits produced.
        widths: channels of each stage (``(16, 32, 64)`` as in He et al.'s CIFAR nets).
        blocks: basic blocks per stage (``(3, 3, 3)`` is ResNet-20, ``(9, 9, 9)`` ResNet-56).
        attention: a :class:`CBAM` module in every block (before the sum).
    """

    residual = True

    def __init__(
        self,
        input_shape: Sequence[int],
        n_classes: int,
        widths: Sequence[int] = (16, 32, 64),
        blocks: Sequence[int] = (2, 2, 2),
        attention: bool = False,
    ) -> None:
        super().__init__()
        self.input_shape = _input_shape(input_shape)
        if len(widths) != len(blocks) or not widths or min(blocks) < 1 or min(widths) < 1:
            raise ValueError(f"widths and blocks must be equally long, non-empty, >= 1; got {widths}, {blocks}")
        self.depth = 2 + 2 * sum(blocks)
        name = type(self).__name__
        self.stem = nn.Sequential(
            nn.Conv2d(self.input_shape[0], widths[0], 3, padding=1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        )
        size = self.input_shape[1:]
        stages, channels = [], widths[0]
        for index, (width, count) in enumerate(zip(widths, blocks)):
            stride = 1 if index == 0 else 2
            if stride == 2 and min(size) < 2:  # a stride-2 stage must still halve something
                raise ValueError(
                    f"{name} stage {index}: the image is too small for the depth: a {size[0]}x{size[1]} map "
                    f"cannot be downsampled again; use a larger image or fewer stages"
                )
            size = _check_fits(f"{name} stage {index}", size, kernel=3, stride=stride, padding=1)
            stages.append(self._make_stage(channels, width, count, stride, attention))
            channels = width
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, n_classes)
        self.out_features = channels
        init_weights(self)

    def _make_stage(self, in_channels: int, out_channels: int, count: int, stride: int, attention: bool):
        blocks = [BasicBlock(in_channels, out_channels, stride, self.residual, attention)]
        blocks += [BasicBlock(out_channels, out_channels, 1, self.residual, attention) for _ in range(count - 1)]
        return nn.Sequential(*blocks)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled feature vector ``(batch, widths[-1])`` (the torso DQN uses)."""
        x = as_images(x, self.input_shape, f"{type(self).__name__} input")
        return self.pool(self.stages(self.stem(x))).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


class PlainNet(ResNet):
    """:class:`ResNet` without shortcuts: same layers, batch norm and init, ``relu(F(x))`` in every block."""

    residual = False


# --- DenseNet -------------------------------------------------------------------------------------------------


class DenseLayer(nn.Module):
    """BN-ReLU-Conv3x3 producing ``growth_rate`` new channels, concatenated to its input."""

    def __init__(self, in_channels: int, growth_rate: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.BatchNorm2d(in_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(in_channels, growth_rate, 3, padding=1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.body(x)], dim=1)  # every later layer sees all earlier feature maps


class DenseNet(nn.Module):
    """DenseNet for small images: stem conv, dense blocks joined by transitions (BN-ReLU-Conv1x1 with
    ``compression``, 2x2 average pool), BN-ReLU, global average pool, linear layer.

    Args:
        input_shape: ``(C, H, W)``; n_classes: logits produced.
        growth_rate: channels each dense layer adds.
        block_layers: dense layers per block.
        initial_channels: channels of the stem convolution.
        compression: fraction of channels a transition keeps (DenseNet-BC uses 0.5).
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        n_classes: int,
        growth_rate: int = 12,
        block_layers: Sequence[int] = (4, 4),
        initial_channels: int = 24,
        compression: float = 0.5,
    ) -> None:
        super().__init__()
        self.input_shape = _input_shape(input_shape)
        if not 0 < compression <= 1:
            raise ValueError(f"compression must be in (0, 1], got {compression}")
        layers: list[nn.Module] = [nn.Conv2d(self.input_shape[0], initial_channels, 3, padding=1, bias=False)]
        channels, size = initial_channels, self.input_shape[1:]
        for index, count in enumerate(block_layers):
            for _ in range(count):
                layers.append(DenseLayer(channels, growth_rate))
                channels += growth_rate
            if index < len(block_layers) - 1:
                out_channels = max(1, int(channels * compression))
                size = _check_fits(f"DenseNet transition {index}", size, kernel=2, stride=2)
                layers += [
                    nn.BatchNorm2d(channels),
                    nn.ReLU(inplace=True),
                    nn.Conv2d(channels, out_channels, 1, bias=False),
                    nn.AvgPool2d(2),
                ]
                channels = out_channels
        layers += [nn.BatchNorm2d(channels), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(channels, n_classes)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(as_images(x, self.input_shape, "DenseNet input")))


# --- Highway --------------------------------------------------------------------------------------------------


class HighwayLayer(nn.Module):
    """``y = H(x) * T(x) + x * C(x)`` (notes 3.2; Srivastava et al. 2015), same width in and out.

    ``H = relu(W_H x + b_H)``, ``T = sigmoid(W_T x + b_T)``; the carry gate is ``C = 1 - T`` (the paper's coupled
    gate) or, with ``untied_carry=True``, ``C = sigmoid(W_C x + b_C)`` (the notes' separate C). ``gate_bias``
    initialises ``b_T`` negative so that a fresh layer mostly carries its input. ``conv=True`` makes W_H, W_T,
    W_C 3x3 convolutions over ``features`` channels (padding keeps the size)."""

    def __init__(self, features: int, untied_carry: bool = False, gate_bias: float = -2.0, conv: bool = False) -> None:
        super().__init__()

        def make() -> nn.Module:
            return nn.Conv2d(features, features, 3, padding=1) if conv else nn.Linear(features, features)

        self.transform, self.transform_gate = make(), make()
        self.carry_gate = make() if untied_carry else None
        nn.init.constant_(self.transform_gate.bias, gate_bias)
        if self.carry_gate is not None:
            nn.init.constant_(self.carry_gate.bias, -gate_bias)
        self.features = features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.transform(x))
        t = torch.sigmoid(self.transform_gate(x))
        c = 1 - t if self.carry_gate is None else torch.sigmoid(self.carry_gate(x))
        return h * t + x * c  # notes 3.2: y = H(x) T(x) + x C(x)


class Highway(nn.Module):
    """Highway network classifier: input projection to ``width``, ``depth`` :class:`HighwayLayer`, linear readout.

    Dense (default) on flattened inputs of ``in_features``; with ``conv=True`` it takes ``input_shape`` images,
    projects them to ``width`` channels with a 3x3 convolution and uses convolutional highway layers, then global
    average pooling."""

    def __init__(
        self,
        input_shape: Sequence[int],
        n_classes: int,
        width: int = 64,
        depth: int = 10,
        untied_carry: bool = False,
        gate_bias: float = -2.0,
        conv: bool = False,
    ) -> None:
        super().__init__()
        self.input_shape = _input_shape(input_shape)
        self.conv = conv
        if conv:
            self.project = nn.Sequential(nn.Conv2d(self.input_shape[0], width, 3, padding=1), nn.ReLU())
            self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        else:
            in_features = self.input_shape[0] * self.input_shape[1] * self.input_shape[2]
            self.project = nn.Sequential(nn.Flatten(), nn.Linear(in_features, width), nn.ReLU())
            self.pool = nn.Identity()
        self.layers = nn.Sequential(*[HighwayLayer(width, untied_carry, gate_bias, conv) for _ in range(depth)])
        self.fc = nn.Linear(width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = as_images(x, self.input_shape, "Highway input")
        return self.fc(self.pool(self.layers(self.project(x))))
