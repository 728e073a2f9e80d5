"""``boltzgym fit vgg|highway|resnet|plainnet|densenet|cnn|gnn`` and the experiments ``degradation``, ``pooling`` and
``attention-maps``.

The nets of :mod:`boltzgym.models.vision.networks` and :mod:`boltzgym.models.graph.gnn` train through the shared
``train_supervised`` (``boltzgym.models.training.fit``) and return its summary keys (``test_accuracy``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from boltzgym.models.datasets import Dataset
from boltzgym.models.supervised.trainers import TrainConfig, train_supervised
from boltzgym.models.training import torch_threads
from boltzgym.models.vision.networks import ATTENTION, CNN, VGG, DenseNet, Highway, PlainNet, ResNet
from boltzgym.utils.validation import check_int


@dataclass
class VisionConfig(TrainConfig):
    """The image classifiers of ``boltzgym fit``: training settings plus the architecture (``--set`` keys)."""

    epochs: int = 30
    lr: float = 3e-3
    widths: tuple[int, ...] = (32, 64)  # channels per stage / layer (vgg, resnet, plainnet, cnn)
    blocks_per_stage: int = 2  # resnet / plainnet basic blocks per stage
    convs_per_stage: int = 2  # vgg convolutions per stage
    depth: int = 4  # highway layers
    width: int = 32  # highway width
    conv: bool = True  # highway: convolutional (else dense) layers
    tied: bool = True  # highway: carry gate C = 1 - T (false: the notes' untied C)
    growth_rate: int = 12  # densenet
    blocks: tuple[int, ...] = (4, 4)  # densenet layers per dense block
    pooling: str = "avg"  # cnn head: avg | max | lp | spp
    attention: str = "none"  # none | channel | spatial | cbam after each stage
    image_size: int = 8  # side of the square grey images (8 for digits)
    threads: int = 1  # torch threads while training (0: torch's default); small nets run fastest on one

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.attention not in ATTENTION:
            raise ValueError(f"attention must be one of {list(ATTENTION)}, got {self.attention!r}")
        self.threads = check_int("threads", self.threads, minimum=0)


@dataclass
class ResNetConfig(VisionConfig):
    """``boltzgym fit resnet|plainnet``: three stages of one basic block (16, 32, 64 channels; 8x8 -> 2x2), all
    training rows for 15 epochs, label smoothing 0.1. On digits' fixed split the ResNet reaches test accuracy
    0.981-0.989 over seeds 0-5 in about 15 s each on one thread (measured on a shared machine)."""

    epochs: int = 15
    widths: tuple[int, ...] = (16, 32, 64)
    blocks_per_stage: int = 1
    validation_split: float = 0.0
    patience: int | None = None
    label_smoothing: float = 0.1


def build_vision_model(name: str, config: VisionConfig, n_classes: int, channels: int = 1) -> nn.Module:
    """The net ``name`` (vgg, highway, resnet, plainnet, densenet, cnn) for ``(channels, size, size)`` images."""
    shape = (channels, config.image_size, config.image_size)
    attention = config.attention
    if name == "vgg":
        return VGG(shape, n_classes, config.widths, config.convs_per_stage, attention)
    if name == "highway":
        return Highway(shape, n_classes, config.width, config.depth, config.conv, config.tied, attention)
    if name in ("resnet", "plainnet"):
        net = ResNet if name == "resnet" else PlainNet
        return net(shape, n_classes, config.widths, config.blocks_per_stage, attention)
    if name == "densenet":
        return DenseNet(shape, n_classes, config.growth_rate, config.blocks, attention=attention)
    if name == "cnn":
        return CNN(shape, n_classes, config.widths, config.pooling, attention)
    raise ValueError(f"model must be one of ['vgg', 'highway', 'resnet', 'plainnet', 'densenet', 'cnn'], got {name!r}")


def _image_dataset(dataset: Dataset, config: VisionConfig) -> None:
    if dataset.kind != "classification" or dataset.n_features != config.image_size**2:
        raise ValueError(
            f"data {dataset.name!r}: the vision nets need a classification set of {config.image_size}x"
            f"{config.image_size} grey images (set image_size), got {dataset.kind} with {dataset.n_features} features"
        )


def _trainer(name: str):
    def train(config: VisionConfig, dataset: Dataset, *, seed: int = 0, **kwargs) -> dict:
        _image_dataset(dataset, config)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = build_vision_model(name, config, dataset.n_classes)
        with torch_threads(config.threads):
            return train_supervised(model, config, dataset, seed=seed, **kwargs)

    train.__name__ = f"train_{name}"
    train.__doc__ = f"``boltzgym fit {name}``: the net trained by ``train_supervised`` (``fit``) on 8x8 images."
    return train


train_vgg = _trainer("vgg")
train_highway = _trainer("highway")
train_resnet = _trainer("resnet")
train_plainnet = _trainer("plainnet")
train_densenet = _trainer("densenet")
train_cnn = _trainer("cnn")

# Name -> trainer of every image classifier above (``boltzgym fit NAME``; experiments pick nets by name).
VISION_TRAINERS = {name: _trainer(name) for name in ("vgg", "highway", "resnet", "plainnet", "densenet", "cnn")}
