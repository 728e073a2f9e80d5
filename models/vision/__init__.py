"""Notes chapter 3.1-3.2, computer vision: CNN, VGG, Highway, ResNet, PlainNet, DenseNet, CBAM attention and their
``fit`` trainers.

Public names load on first use (``from boltzgym.models.vision import ...``).
"""

from __future__ import annotations

from boltzgym.utils.imports import lazy_namespace

# Public name -> defining module, imported on first use.
_EXPORTS: dict[str, str] = {
    "ConvNet": "boltzgym.models.vision.conv",
    "conv_output_size": "boltzgym.models.vision.networks",
    "SpatialPyramidPooling": "boltzgym.models.vision.networks",
    "ChannelAttention": "boltzgym.models.vision.networks",
    "SpatialAttention": "boltzgym.models.vision.networks",
    "CBAM": "boltzgym.models.vision.networks",
    "attention_layer": "boltzgym.models.vision.networks",
    "init_weights": "boltzgym.models.vision.networks",
    "conv_bn_relu": "boltzgym.models.vision.networks",
    "VGG": "boltzgym.models.vision.networks",
    "HighwayLayer": "boltzgym.models.vision.networks",
    "Highway": "boltzgym.models.vision.networks",
    "BasicBlock": "boltzgym.models.vision.networks",
    "ResNet": "boltzgym.models.vision.networks",
    "PlainNet": "boltzgym.models.vision.networks",
    "DenseLayer": "boltzgym.models.vision.networks",
    "DenseNet": "boltzgym.models.vision.networks",
    "CNN": "boltzgym.models.vision.networks",
    "VGGConfig": "boltzgym.models.vision.trainers",
    "HighwayConfig": "boltzgym.models.vision.trainers",
    "PlainNetConfig": "boltzgym.models.vision.trainers",
    "DenseNetConfig": "boltzgym.models.vision.trainers",
    "CNNConfig": "boltzgym.models.vision.trainers",
    "VISION_CONFIGS": "boltzgym.models.vision.trainers",
    "ResNetConfig": "boltzgym.models.vision.trainers",
    "build_vision_model": "boltzgym.models.vision.trainers",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS)
