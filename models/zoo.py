"""``boltzgym fit`` entries of the vision and graph networks (notes 3): configs (the ``--set`` keys) and trainers.

Each ``train_*`` builds its network from the config and the dataset's shape, then trains and scores it with
:func:`boltzgym.models.supervised.train_supervised` (the one path through ``boltzgym.models.training.fit``), so
the summary keys are those of every supervised model (``test_accuracy``, ...).

Images: a dataset of flattened square rows (digits: 64 values) is read as one-channel ``s x s`` images; 4-D
data keep their ``(C, H, W)``. Graphs: a dataset with ``metadata["graph"]`` is node classification when its
inputs are node ids (``karate``: a :class:`~boltzgym.models.graph.NodeClassifier` over the whole graph) and graph
classification when they are per-node features (``digits-graph``: a
:class:`~boltzgym.models.graph.GraphClassifier`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from boltzgym.models.conv import ConvNet
from boltzgym.models.datasets import Dataset
from boltzgym.models.graph import AGGREGATES, GNN, GraphClassifier, NodeClassifier
from boltzgym.models.supervised import TrainConfig, train_supervised
from boltzgym.models.vision import VGG, DenseNet, Highway, PlainNet, ResNet
from boltzgym.utils.validation import check_int, check_widths


def image_shape(dataset: Dataset) -> tuple[int, int, int]:
    """``(C, H, W)`` of the dataset's images (square flattened rows are one-channel images)."""
    shape = dataset.x_train.shape[1:]
    if len(shape) == 3:
        return tuple(int(v) for v in shape)
    side = math.isqrt(dataset.n_features)
    if len(shape) == 1 and side * side == dataset.n_features:
        return (1, side, side)
    raise ValueError(f"data {dataset.name!r}: expected images or square rows, got samples of shape {shape}")


def _build(seed: int, make) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return make()


@dataclass
class VisionConfig(TrainConfig):
    """Training settings of the vision nets (tuned for 8x8 digits: a few epochs, no weight decay surprises)."""

    epochs: int = 15
    lr: float = 3e-3
    validation_split: float = 0.0
    patience: int | None = None


@dataclass
class CNNConfig(VisionConfig):
    """``boltzgym fit cnn``: the plain ConvNet encoder (3x3 convs) and a linear classifier."""

    channels: tuple[int, ...] = (32, 64)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.channels = tuple(check_widths("channels", list(self.channels)))


@dataclass
class VGGConfig(VisionConfig):
    """``boltzgym fit vgg``: stages of 3x3 convs + 2x2 max pool; ``stage_width`` doubles per stage."""

    n_stages: int = 2
    convs_per_stage: int = 2
    stage_width: int = 32
    hidden: int = 128
    attention: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("n_stages", "convs_per_stage", "stage_width"):
            setattr(self, name, check_int(name, getattr(self, name), minimum=1))


@dataclass
class ResNetConfig(VisionConfig):
    """``boltzgym fit resnet|plainnet``: stage widths and basic blocks per stage (depth = 2 + 2 * sum(blocks))."""

    widths: tuple[int, ...] = (16, 32, 64)
    blocks: tuple[int, ...] = (1, 1, 1)
    attention: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        self.widths = tuple(check_widths("widths", list(self.widths)))
        self.blocks = tuple(check_widths("blocks", list(self.blocks)))
        if len(self.widths) != len(self.blocks):
            raise ValueError(f"widths and blocks must have the same length, got {self.widths}, {self.blocks}")


@dataclass
class DenseNetConfig(VisionConfig):
    """``boltzgym fit densenet``."""

    growth_rate: int = 12
    block_layers: tuple[int, ...] = (3, 3)
    initial_channels: int = 24


@dataclass
class HighwayConfig(VisionConfig):
    """``boltzgym fit highway``: dense (or ``conv``) highway layers; ``untied_carry`` is the notes' separate C."""

    width: int = 64
    depth: int = 10
    untied_carry: bool = False
    conv: bool = False


@dataclass
class GNNConfig(TrainConfig):
    """``boltzgym fit gnn``: GraphLayer widths, aggregate and readout (graph data only)."""

    hidden_sizes: tuple[int, ...] = (16, 16)
    aggregate: str = "sum"
    activation: str = "tanh"
    readout: str = "sum"  # graph-level pooling for graph classification (node tasks ignore it)
    dropout: float = 0.0
    epochs: int = 100
    lr: float = 1e-2
    weight_decay: float = 5e-4
    validation_split: float = 0.0  # karate has one labelled node per class: nothing to hold out
    patience: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.hidden_sizes = tuple(check_widths("hidden_sizes", list(self.hidden_sizes)))
        if self.aggregate not in AGGREGATES:
            raise ValueError(f"aggregate must be one of {list(AGGREGATES)}, got {self.aggregate!r}")


def train_cnn(config: CNNConfig, dataset: Dataset, *, seed: int = 0, **kwargs) -> dict:
    """Train a ConvNet classifier on image data through ``fit``."""
    shape = image_shape(dataset)
    k = len(config.channels)
    model = _build(
        seed,
        lambda: nn.Sequential(
            nn.Unflatten(1, shape) if dataset.x_train.ndim == 2 else nn.Identity(),
            ConvNet(shape, config.channels, (3,) * k, (1,) * k, (1,) * k, out_features=128),
            nn.Linear(128, dataset.n_outputs),
        ),
    )
    return train_supervised(model, config, dataset, seed=seed, **kwargs)


def train_vgg(config: VGGConfig, dataset: Dataset, *, seed: int = 0, **kwargs) -> dict:
    """Train a VGG on image data through ``fit``."""
    stages = [(config.stage_width * 2**i,) * config.convs_per_stage for i in range(config.n_stages)]
    model = _build(
        seed, lambda: VGG(image_shape(dataset), dataset.n_outputs, stages, config.hidden, attention=config.attention)
    )
    return train_supervised(model, config, dataset, seed=seed, **kwargs)


def _train_resnet(net_class, config: ResNetConfig, dataset: Dataset, seed: int, **kwargs) -> dict:
    shape = image_shape(dataset)
    model = _build(seed, lambda: net_class(shape, dataset.n_outputs, config.widths, config.blocks, config.attention))
    summary = train_supervised(model, config, dataset, seed=seed, **kwargs)
    summary["depth"] = model.depth
    return summary


def train_resnet(config: ResNetConfig, dataset: Dataset, *, seed: int = 0, **kwargs) -> dict:
    """Train a ResNet on image data through ``fit``."""
    return _train_resnet(ResNet, config, dataset, seed, **kwargs)


def train_plainnet(config: ResNetConfig, dataset: Dataset, *, seed: int = 0, **kwargs) -> dict:
    """Train the ResNet's plain twin (no shortcuts) through ``fit``."""
    return _train_resnet(PlainNet, config, dataset, seed, **kwargs)


def train_densenet(config: DenseNetConfig, dataset: Dataset, *, seed: int = 0, **kwargs) -> dict:
    """Train a DenseNet on image data through ``fit``."""
    shape = image_shape(dataset)
    model = _build(
        seed,
        lambda: DenseNet(shape, dataset.n_outputs, config.growth_rate, config.block_layers, config.initial_channels),
    )
    return train_supervised(model, config, dataset, seed=seed, **kwargs)


def train_highway(config: HighwayConfig, dataset: Dataset, *, seed: int = 0, **kwargs) -> dict:
    """Train a Highway network through ``fit``."""
    shape = image_shape(dataset)
    model = _build(
        seed,
        lambda: Highway(shape, dataset.n_outputs, config.width, config.depth, config.untied_carry, conv=config.conv),
    )
    return train_supervised(model, config, dataset, seed=seed, **kwargs)


def train_gnn(config: GNNConfig, dataset: Dataset, *, seed: int = 0, **kwargs) -> dict:
    """Train a GNN on a graph dataset through ``fit``: node classification (karate) or graph classification."""
    if not dataset.metadata.get("graph"):
        raise ValueError(f"data {dataset.name!r} is not a graph dataset; use karate, karate-communities, digits-graph")
    edge_index = torch.as_tensor(dataset.metadata["edge_index"], dtype=torch.long)
    node_task = dataset.x_train.ndim == 1  # inputs are node ids

    def make() -> nn.Module:
        if node_task:
            features = torch.as_tensor(dataset.metadata["node_features"])
            gnn = GNN(features.shape[1], config.hidden_sizes, dataset.n_outputs, config.aggregate,
                      config.activation, "node", config.dropout)  # fmt: skip
            return NodeClassifier(gnn, features, edge_index)
        n_nodes, n_features = dataset.x_train.shape[1], dataset.x_train.shape[2]
        gnn = GNN(n_features, config.hidden_sizes, dataset.n_outputs, config.aggregate, config.activation,
                  config.readout, config.dropout)  # fmt: skip
        return GraphClassifier(gnn, edge_index, n_nodes)

    return train_supervised(_build(seed, make), config, dataset, seed=seed, **kwargs)


class ResNetQNetwork(nn.Module):
    """DQN's ``q_network="resnet"``: uint8 ``(batch, H, W, C)`` images scaled to [0, 1], a :class:`ResNet` torso
    (its pooled features), a linear Q-value head ``(batch, n_actions)``.

    The torso uses batch norm: DQN evaluates its target network on whole replay batches, and acting on a single
    observation works in eval or train mode (BatchNorm2d normalises over the pixels too)."""

    def __init__(
        self,
        observation_space,
        n_actions: int,
        widths: tuple[int, ...] = (16, 32),
        blocks: tuple[int, ...] = (1, 1),
        attention: bool = False,
    ) -> None:
        super().__init__()
        shape = getattr(observation_space, "shape", None)
        if shape is None or len(shape) != 3:
            raise ValueError(f"q_network 'resnet' needs (H, W, C) image observations, got {observation_space}")
        height, width, channels = shape
        self.torso = ResNet((channels, height, width), n_actions, tuple(widths), tuple(blocks), attention)
        self.head = nn.Linear(self.torso.out_features, n_actions)

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        images = observations.permute(0, 3, 1, 2).float().div(255.0)
        return self.head(self.torso.features(images))


def resnet_q_network(observation_space, n_actions: int, **kwargs) -> nn.Module:
    """Factory of :class:`ResNetQNetwork` (keyword arguments ``widths``, ``blocks``, ``attention``)."""
    unknown = sorted(set(kwargs) - {"widths", "blocks", "attention"})
    if unknown:
        raise ValueError(
            f"q_network_kwargs: unknown argument(s) {unknown} for 'resnet'; expected widths, blocks, attention"
        )
    return ResNetQNetwork(observation_space, n_actions, **kwargs)
