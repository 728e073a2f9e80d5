"""``boltzgym fit vgg|highway|resnet|plainnet|densenet|cnn|gnn`` and the experiments ``degradation``, ``pooling`` and
``attention-maps``.

The nets of :mod:`boltzgym.models.vision.networks` and :mod:`boltzgym.models.graph.gnn` train through the shared
``train_supervised`` (``boltzgym.models.training.fit``) and return its summary keys (``test_accuracy``, ...).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from torch import nn

from boltzgym.models.config import TrainSettings, honours_device, model_config, model_kwargs, seeded
from boltzgym.models.datasets import Dataset
from boltzgym.models.supervised.trainers import SUPERVISED_TRAINING, train_supervised
from boltzgym.models.training import torch_threads
from boltzgym.models.vision.networks import ATTENTION, CNN, VGG, DenseNet, Highway, PlainNet, ResNet
from boltzgym.utils.validation import check_int


@dataclass
class ImageSettings:
    """The trainer-only keys of the image classifiers (besides the training keys and the net's parameters)."""

    image_size: int = 8  # side of the square grey images (8 for digits)
    threads: int = 1  # torch threads while training (0: torch's default); small nets run fastest on one

    def check(self) -> None:
        self.image_size = check_int("image_size", self.image_size, minimum=1)
        self.threads = check_int("threads", self.threads, minimum=0)
        if self.attention not in ATTENTION:
            raise ValueError(f"attention must be one of {list(ATTENTION)}, got {self.attention!r}")


# the image classifiers' training defaults: the supervised ones, 30 epochs at lr 3e-3
VISION_TRAINING = dataclasses.replace(SUPERVISED_TRAINING, epochs=30, learning_rate=3e-3)
# ResNet / PlainNet: all training rows for 15 epochs with label smoothing 0.1; on digits' fixed split the ResNet
# reaches test accuracy 0.981-0.989 over seeds 0-5 in about 15 s each on one thread (measured on a shared machine)
RESNET_TRAINING = dataclasses.replace(VISION_TRAINING, epochs=15, validation_split=0.0, patience=None,
                                      label_smoothing=0.1)  # fmt: skip
NETWORKS = {"vgg": VGG, "highway": Highway, "resnet": ResNet, "plainnet": PlainNet, "densenet": DenseNet, "cnn": CNN}


def _config(name: str, training: TrainSettings) -> type:
    network = NETWORKS[name]
    return model_config(
        f"{network.__name__}Config", network, training=training, exclude=("input_shape", "n_classes"),
        bases=(ImageSettings,), doc=f"``boltzgym fit {name}``: the training keys, {network.__name__}'s parameters, "
        "image_size and threads.",
    )  # fmt: skip


VGGConfig = _config("vgg", VISION_TRAINING)
"""The ``--set`` keys of ``boltzgym fit vgg``: the training settings (defaults from VISION_TRAINING) and
VGG's constructor parameters, with their defaults."""
HighwayConfig = _config("highway", VISION_TRAINING)
"""The ``--set`` keys of ``boltzgym fit highway``: the training settings (defaults from VISION_TRAINING) and
Highway's constructor parameters, with their defaults."""
ResNetConfig = _config("resnet", RESNET_TRAINING)
"""The ``--set`` keys of ``boltzgym fit resnet``: the training settings (defaults from RESNET_TRAINING) and
ResNet's constructor parameters, with their defaults."""
PlainNetConfig = _config("plainnet", RESNET_TRAINING)
"""The ``--set`` keys of ``boltzgym fit plainnet``: the training settings (defaults from RESNET_TRAINING) and
PlainNet's constructor parameters, with their defaults."""
DenseNetConfig = _config("densenet", VISION_TRAINING)
"""The ``--set`` keys of ``boltzgym fit densenet``: the training settings (defaults from VISION_TRAINING) and
DenseNet's constructor parameters, with their defaults."""
CNNConfig = _config("cnn", VISION_TRAINING)
"""The ``--set`` keys of ``boltzgym fit cnn``: the training settings (defaults from VISION_TRAINING) and
CNN's constructor parameters, with their defaults."""
VISION_CONFIGS = {"vgg": VGGConfig, "highway": HighwayConfig, "resnet": ResNetConfig, "plainnet": PlainNetConfig,
                  "densenet": DenseNetConfig, "cnn": CNNConfig}  # fmt: skip
"""Name -> config class of every image classifier of ``boltzgym fit``."""


def build_vision_model(name: str, config, n_classes: int, channels: int = 1, *, device=None, dtype=None) -> nn.Module:
    """The net ``name`` (vgg, highway, resnet, plainnet, densenet, cnn) for ``(channels, size, size)`` images, from
    its config (:data:`VISION_CONFIGS`); ``device``, ``dtype``: torch's factory keywords."""
    if name not in NETWORKS:
        raise ValueError(f"model must be one of {list(NETWORKS)}, got {name!r}")
    shape = (channels, config.image_size, config.image_size)
    return NETWORKS[name](shape, n_classes, **model_kwargs(config), device=device, dtype=dtype)


def _image_dataset(dataset: Dataset, config) -> None:
    if dataset.kind != "classification" or dataset.n_features != config.image_size**2:
        raise ValueError(
            f"data {dataset.name!r}: the vision nets need a classification set of {config.image_size}x"
            f"{config.image_size} grey images (set image_size), got {dataset.kind} with {dataset.n_features} features"
        )


def _trainer(name: str):
    def build(config, dataset: Dataset, seed: int = 0, *, device=None, dtype=None) -> nn.Module:
        _image_dataset(dataset, config)
        with seeded(seed):
            return build_vision_model(name, config, dataset.n_classes, device=device, dtype=dtype)

    @honours_device
    def train(config, dataset: Dataset, *, seed: int = 0, **kwargs) -> dict:
        model = build(config, dataset, seed)
        with torch_threads(config.threads):
            return train_supervised(model, config, dataset, seed=seed, **kwargs)

    build.__name__ = build.__qualname__ = f"build_{name}"
    build.__doc__ = f"``boltzgym fit {name}``'s net for an image dataset, initialised from ``seed``."
    train.__name__ = train.__qualname__ = f"train_{name}"
    train.__doc__ = f"``boltzgym fit {name}``: the net trained by ``train_supervised`` (``fit``) on 8x8 images."
    return build, train


build_vgg, train_vgg = _trainer("vgg")
build_highway, train_highway = _trainer("highway")
build_resnet, train_resnet = _trainer("resnet")
build_plainnet, train_plainnet = _trainer("plainnet")
build_densenet, train_densenet = _trainer("densenet")
build_cnn, train_cnn = _trainer("cnn")

# Name -> trainer of every image classifier above (``boltzgym fit NAME``; experiments pick nets by name).
VISION_TRAINERS = {"vgg": train_vgg, "highway": train_highway, "resnet": train_resnet, "plainnet": train_plainnet,
                   "densenet": train_densenet, "cnn": train_cnn}  # fmt: skip
