"""``boltzgym fit vgg|highway|resnet|plainnet|densenet|cnn|gnn`` and the experiments ``degradation``, ``pooling`` and
``attention-maps``.

The nets of :mod:`boltzgym.models.vision` and :mod:`boltzgym.models.graph` train through the shared
``train_supervised`` (``boltzgym.models.training.fit``) and return its summary keys (``test_accuracy``, ...).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from boltzgym.models.datasets import Dataset, load_dataset
from boltzgym.models.supervised import TrainConfig, train_supervised
from boltzgym.models.training import torch_threads
from boltzgym.models.vision import ATTENTION, CNN, VGG, DenseNet, Highway, PlainNet, ResNet
from boltzgym.utils.validation import check_int, check_probability


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


@dataclass
class GNNConfig(TrainConfig):
    """The message-passing GNN of ``boltzgym fit gnn`` (``--data karate|karate-communities|digits-graph``).

    The defaults are Kipf & Welling's (2017) semi-supervised setting: one graph layer of 16 units with the
    symmetric ``gcn`` aggregate, dropout 0.5, Adam with learning rate 0.01 and L2 weight decay 5e-4, 200 full-batch
    epochs."""

    epochs: int = 200
    lr: float = 1e-2
    optimizer: str = "adam"
    weight_decay: float = 5e-4  # L2 (torch's Adam), as Kipf & Welling
    validation_split: float = 0.0
    patience: int | None = None
    hidden_sizes: tuple[int, ...] = (16,)  # GraphLayer widths
    aggregate: str = "gcn"  # gcn (symmetric-normalised) | sum | mean | max
    activation: str = "tanh"  # tanh (the notes') | relu
    readout: str = "mean"  # graph readout for graph classification: mean | sum | max
    dropout: float = 0.5  # on every layer's input while training
    threads: int = 1  # torch threads while training (0: torch's default); small graphs run fastest on one
    checkpoint_every: int = 50  # epochs between checkpoints with --out (a karate epoch is ~5 ms, a checkpoint ~80)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.dropout = check_probability("dropout", self.dropout)
        if self.dropout >= 1:
            raise ValueError(f"dropout must be < 1, got {self.dropout}")
        self.threads = check_int("threads", self.threads, minimum=0)
        self.checkpoint_every = check_int("checkpoint_every", self.checkpoint_every, minimum=1)


def train_gnn(config: GNNConfig, dataset: Dataset, *, seed: int = 0, **kwargs) -> dict:
    """``boltzgym fit gnn``: node classification on one graph (x = node indices) or graph classification
    (x = (n, N, F) node features on a shared graph), the graph from ``dataset.metadata["edge_index"]``."""
    from boltzgym.models.graph import GNN

    edge_index = dataset.metadata.get("edge_index")
    if edge_index is None:
        raise ValueError(f"data {dataset.name!r} is not a graph dataset; use karate, karate-communities, digits-graph")
    node_features = dataset.metadata.get("node_features")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if node_features is not None:  # node classification
            model = GNN(
                node_features.shape[1], config.hidden_sizes, dataset.n_classes, config.aggregate,
                config.activation, "node", edge_index=edge_index, node_features=node_features,
                dropout=config.dropout,
            )  # fmt: skip
        else:
            model = GNN(
                dataset.x_train.shape[-1], config.hidden_sizes, dataset.n_classes, config.aggregate,
                config.activation, config.readout, edge_index=edge_index, dropout=config.dropout,
            )  # fmt: skip
    with torch_threads(config.threads):
        return train_supervised(model, config, dataset, seed=seed, checkpoint_every=config.checkpoint_every, **kwargs)


# --- experiments ------------------------------------------------------------------------------------------------


def degradation(
    out_dir: str | Path,
    seed: int = 0,
    progress: bool = False,
    blocks: tuple = (1, 4, 8, 12),
    width: int = 16,
    epochs: int = 4,
    n_train: int | None = None,
    lr: float = 1e-3,
) -> dict:
    """Notes 3.2's claim (He et al. 2016, fig. 1, at CPU scale): a deeper plain net trains *worse* than a shallower
    one, while the residual twin does not. PlainNet and ResNet with the same layers, He init and batch norm, the same
    data (digits, fixed split), optimiser (Adam at ``lr``, no weight decay) and epochs, at depths ``4 * blocks + 2``
    (2 stages).
    With lr 1e-3 the residual net's training loss falls with depth up to 50 layers on seeds 0-2; with 3e-3 the
    deepest residual nets end a little above the 18-layer one (noisier last steps), the plain nets degrade either way.

    ``plain_train_loss``/``residual_train_loss`` are the mean training loss over the last epoch (the end of He et
    al.'s training curves, in training mode); ``*_eval_train_loss`` score the training set again in eval mode (batch
    norm's running statistics), which after a few epochs is noisier for the deep nets. ``*_curves`` hold the
    per-epoch training loss of every depth. ``n_train`` trains on the first rows of the training split only (all by
    default). About 30 s of CPU on one thread (60-90 s wall on a shared, loaded 2-core machine)."""
    from boltzgym.utils.plotting import new_figure, save_figure

    dataset = load_dataset("digits", seed)
    if n_train is not None:
        n_train = check_int("n_train", n_train, minimum=1)
        dataset = dataclasses.replace(dataset, x_train=dataset.x_train[:n_train], y_train=dataset.y_train[:n_train])
    result: dict = {"depths": []}
    for key in ("plain", "residual"):
        result.update({f"{key}_train_loss": [], f"{key}_eval_train_loss": [], f"{key}_test_accuracy": []})
        result[f"{key}_curves"] = []
    start = time.perf_counter()
    for n_blocks in blocks:
        config = VisionConfig(
            widths=(width, 2 * width), blocks_per_stage=int(n_blocks), epochs=epochs, validation_split=0.0,
            patience=None, weight_decay=0.0, lr=lr,
        )  # fmt: skip
        result["depths"].append(4 * int(n_blocks) + 2)
        for name, key in (("plainnet", "plain"), ("resnet", "residual")):
            summary = _trainer(name)(config, dataset, seed=seed, progress=progress)
            curve = [row["train_loss"] for row in summary["history"]]
            result[f"{key}_curves"].append(curve)
            result[f"{key}_train_loss"].append(curve[-1])
            result[f"{key}_eval_train_loss"].append(summary["train_loss"])
            result[f"{key}_test_accuracy"].append(summary["test_accuracy"])
    result["seconds"] = time.perf_counter() - start
    fig, axes = new_figure(1, 3, figsize=(14, 4))
    for key, label, color in (("plain", "PlainNet", "C0"), ("residual", "ResNet", "C1")):
        axes[0].plot(result["depths"], result[f"{key}_train_loss"], "o-", color=color, label=label)
        axes[1].plot(result["depths"], result[f"{key}_test_accuracy"], "o-", color=color, label=label)
        for index, style in ((0, ":"), (-1, "-")):
            epochs_axis = range(1, len(result[f"{key}_curves"][index]) + 1)
            axes[2].plot(
                epochs_axis, result[f"{key}_curves"][index], style, color=color,
                label=f"{label}-{result['depths'][index]}",
            )  # fmt: skip
    axes[0].set(xlabel="depth (weighted layers)", ylabel="training loss (last epoch)", yscale="log")
    axes[1].set(xlabel="depth (weighted layers)", ylabel="test accuracy")
    axes[2].set(xlabel="epoch", ylabel="training loss", yscale="log", title="shallowest (dotted) and deepest")
    for ax in axes:
        ax.legend(fontsize=8)
    fig.suptitle(
        f"Degradation on digits: PlainNet vs ResNet, both He-initialised with batch norm (so no vanishing signal), "
        f"Adam lr {lr:g}, {epochs} epochs, widths {width},{2 * width}, seed {seed}",
        fontsize=9,
    )
    fig.tight_layout()
    save_figure(fig, Path(out_dir) / "degradation.png", dpi=120)
    return result


def pooling(out_dir: str | Path, seed: int = 0, progress: bool = False, epochs: int = 15, shift: int = 1) -> dict:
    """Notes 3.1: pooling heads (global max, mean, p-norm, spatial pyramid) on digits: test accuracy, and the
    accuracy on test images translated by ``shift`` pixels (padded to 10x10 so the shift keeps the digit)."""
    from boltzgym.utils.plotting import new_figure, save_figure

    dataset = load_dataset("digits", seed)

    def pad(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
        images = np.zeros((len(x), 10, 10), dtype=np.float32)
        images[:, 1 + dy : 9 + dy, 1 + dx : 9 + dx] = x.reshape(-1, 8, 8)
        return images.reshape(len(x), 100)

    padded = Dataset("digits-10", "classification", pad(dataset.x_train, 0, 0), dataset.y_train,
                     pad(dataset.x_test, 0, 0), dataset.y_test, 10)  # fmt: skip
    shifted = pad(dataset.x_test, shift, shift)
    result: dict = {"heads": ["max", "avg", "lp", "spp"], "test_accuracy": [], "shifted_test_accuracy": []}
    for head in result["heads"]:
        config = VisionConfig(widths=(32, 64), pooling=head, epochs=epochs, image_size=10, validation_split=0.0,
                              patience=None)  # fmt: skip
        summary = train_cnn(config, padded, seed=seed, progress=progress)
        model = summary["model"].eval()
        with torch.no_grad():
            predictions = model(torch.from_numpy(shifted)).argmax(1).numpy()
        result["test_accuracy"].append(summary["test_accuracy"])
        result["shifted_test_accuracy"].append(float((predictions == dataset.y_test).mean()))
    fig, ax = new_figure(figsize=(6, 4))
    positions = np.arange(4)
    ax.bar(positions - 0.2, result["test_accuracy"], 0.4, label="test")
    ax.bar(positions + 0.2, result["shifted_test_accuracy"], 0.4, label=f"test shifted by ({shift}, {shift})")
    ax.set_xticks(positions, result["heads"])
    ax.set(ylabel="accuracy", ylim=(0.5, 1.0), title=f"Pooling heads of a 2-layer CNN on digits, {epochs} epochs")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, Path(out_dir) / "pooling.png", dpi=120)
    return result


def attention_maps(
    out_dir: str | Path, seed: int = 0, progress: bool = False, epochs: int = 10, attention: str = "cbam"
) -> dict:
    """Notes 4.4 (CV attention): what the spatial and channel attention of a CNN look at on digits.

    Trains the 2-layer :class:`CNN` (32, 64 channels, a 2x2 pool between) with ``attention`` after each layer, then
    draws, for one test image of every class, the image and the spatial attention maps of both layers (8x8 and
    4x4), and the mean channel weights of the last layer per class (``attention_maps.png``). Returns
    ``test_accuracy``, the mean first-layer spatial weight on ink pixels (raw value > 4 of 16) and on background,
    their ratio, and the spread (std over classes, averaged over channels) of the last layer's channel weights."""
    from boltzgym.models.datasets import _digits_split
    from boltzgym.models.vision import ChannelAttention, SpatialAttention
    from boltzgym.utils.plotting import new_figure, save_figure

    if attention not in ("cbam", "spatial", "channel"):
        raise ValueError(f"attention must be 'cbam', 'spatial' or 'channel', got {attention!r}")
    dataset = load_dataset("digits", seed)
    raw_test = _digits_split()[1].reshape(-1, 8, 8)  # the same test rows, unscaled (0-16), for ink and display
    config = VisionConfig(widths=(32, 64), attention=attention, epochs=epochs, validation_split=0.0, patience=None)
    summary = train_cnn(config, dataset, seed=seed, progress=progress)
    model = summary["model"].eval()
    with torch.no_grad():
        model(torch.from_numpy(dataset.x_test))  # every attention module keeps its last weights
    spatial = [m.weights.numpy() for m in model.modules() if isinstance(m, SpatialAttention)]
    channel = [m.weights.numpy() for m in model.modules() if isinstance(m, ChannelAttention)]
    result: dict = {"attention": attention, "epochs": epochs, "test_accuracy": summary["test_accuracy"]}
    labels = dataset.y_test
    if spatial:
        ink = raw_test > 4
        result["ink_attention"] = float(spatial[0][ink].mean())
        result["background_attention"] = float(spatial[0][~ink].mean())
        result["ink_to_background_ratio"] = result["ink_attention"] / result["background_attention"]
    if channel:
        per_class = np.stack([channel[-1][labels == c].mean(axis=0) for c in range(10)])  # (10, C)
        result["channel_weight_class_spread"] = float(per_class.std(axis=0).mean())
    examples = [int(np.flatnonzero(labels == c)[0]) for c in range(10)]
    rows = 1 + len(spatial) + bool(channel)
    fig, axes = new_figure(rows, 10, figsize=(14, 1.5 * rows + 0.6), squeeze=False)
    for column, index in enumerate(examples):
        axes[0, column].imshow(raw_test[index], cmap="gray_r")
        axes[0, column].set_title(f"digit {labels[index]}", fontsize=8)
        for row, maps in enumerate(spatial, start=1):  # one colour scale per layer: its range over the examples
            shown = maps[examples]
            axes[row, column].imshow(maps[index], cmap="magma", vmin=shown.min(), vmax=shown.max())
    for row in range(1 + len(spatial)):
        for ax in axes[row]:
            ax.set_xticks([])
            ax.set_yticks([])
    for row, maps in enumerate(spatial, start=1):
        size, shown = maps.shape[-1], maps[examples]
        axes[row, 0].set_ylabel(f"spatial {row}, {size}x{size}\n{shown.min():.2f}-{shown.max():.2f}", fontsize=8)
    if channel:
        for ax in axes[-1, 1:]:
            ax.remove()
        bottom = fig.add_subplot(rows, 1, rows)
        axes[-1, 0].remove()
        image = bottom.imshow(per_class, aspect="auto", cmap="viridis")
        bottom.set(xlabel=f"channel of layer {len(channel)}", ylabel="class", yticks=range(10))
        fig.colorbar(image, ax=bottom, label="mean channel weight")
    fig.suptitle(
        f"{attention.upper()} attention of a 2-layer CNN on digits (test accuracy {summary['test_accuracy']:.3f}, "
        f"{epochs} epochs, seed {seed}): spatial weights (bright = kept; range at left), channel weights by class",
        fontsize=9,
    )
    fig.tight_layout()
    save_figure(fig, Path(out_dir) / "attention_maps.png", dpi=120)
    return result


# --- DQN torsos (agents/networks.py registers these names) ------------------------------------------------------


class ImageQNetwork(nn.Module):
    """Q-values from ``(batch, H, W, C)`` uint8 observations: scale to [0, 1], channels first, then ``net``
    (any module mapping ``(batch, C, H, W)`` floats to ``(batch, n_actions)``, such as a :class:`ResNet`).

    Plugging a custom ``nn.Module`` into DQN works the same way: write a factory
    ``factory(observation_space, n_actions, **kwargs) -> nn.Module`` and pass it (``DQN(env, q_network=factory)``)
    or register it (``boltzgym.agents.networks.register_q_network("mine", factory)``)::

        def my_q_network(observation_space, n_actions, width=16):
            height, width_px, channels = observation_space.shape
            return ImageQNetwork(CNN((channels, height, width_px), n_actions, widths=(width, width)))
    """

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        return self.net(observations.permute(0, 3, 1, 2).float() / 255.0)


def _image_shape(observation_space, name: str) -> tuple[int, int, int]:
    shape = getattr(observation_space, "shape", None)
    if shape is None or len(shape) != 3:
        raise ValueError(f"q_network {name!r} needs (H, W, C) image observations, got {observation_space}")
    height, width, channels = shape
    return channels, height, width


def resnet_q_network(observation_space, n_actions: int, widths=(16, 32), blocks_per_stage=1, attention="none"):
    """``q_network="resnet"``: a :class:`ResNet` torso for image observations (``q_network_kwargs`` widths,
    blocks_per_stage, attention)."""
    shape = _image_shape(observation_space, "resnet")
    return ImageQNetwork(ResNet(shape, n_actions, tuple(widths), blocks_per_stage, attention))


def attention_q_network(observation_space, n_actions: int, widths=(16, 32), attention="cbam"):
    """``q_network="attention"``: a small CNN with CBAM attention (or ``channel``/``spatial``) after each layer."""
    shape = _image_shape(observation_space, "attention")
    return ImageQNetwork(CNN(shape, n_actions, tuple(widths), "avg", attention))
