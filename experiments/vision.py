"""Experiments of notes 3: ``degradation`` (plain vs residual depth), ``pooling`` and ``attention-maps``."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import torch

from boltzgym.models.datasets import Dataset, load_dataset
from boltzgym.models.vision.trainers import VISION_TRAINERS, CNNConfig, ResNetConfig, train_cnn
from boltzgym.utils.deprecation import renamed_kwargs
from boltzgym.utils.parts import PartStore
from boltzgym.utils.validation import check_int, setting_ranges


@renamed_kwargs(lr="learning_rate")
@setting_ranges(blocks=(1, 100), width=(1, 512), epochs=(1, 10_000), n_train=(1, 1437), learning_rate=(1e-6, 10.0))
def degradation(
    out_dir: str | Path,
    seed: int = 0,
    progress: bool = False,
    blocks: tuple = (1, 4, 8, 12),
    width: int = 16,
    epochs: int = 4,
    n_train: int | None = None,
    learning_rate: float = 1e-3,
    resume: bool = False,
) -> dict:
    """Notes 3.2's claim (He et al. 2016, fig. 1, at CPU scale): a deeper plain net trains *worse* than a shallower
    one, while the residual twin does not. PlainNet and ResNet with the same layers, He init and batch norm, the same
    data (digits, fixed split), optimiser (Adam at ``learning_rate``, no weight decay) and epochs, at depths
    ``4 * blocks + 2`` (2 stages).
    With learning rate 1e-3 the residual net's training loss falls with depth up to 50 layers on seeds 0-2; with 3e-3
    the deepest residual nets end a little above the 18-layer one (noisier last steps), the plain nets degrade either
    way.

    ``plain_train_loss``/``residual_train_loss`` are the mean training loss over the last epoch (the end of He et
    al.'s training curves, in training mode); ``*_eval_train_loss`` score the training set again in eval mode (batch
    norm's running statistics), which after a few epochs is noisier for the deep nets. ``*_curves`` hold the
    per-epoch training loss of every depth. ``n_train`` trains on the first rows of the training split only (all by
    default). About 30 s of CPU on one thread (60-90 s wall on a shared, loaded 2-core machine). Each (depth, net)
    training is one part kept in ``out_dir/parts``: ``resume=True`` (``--out OUT --resume``) skips finished ones."""
    from boltzgym.utils.plotting import new_figure, save_figure

    dataset = load_dataset("digits", seed)
    if n_train is not None:
        n_train = check_int("n_train", n_train, minimum=1)
        dataset = dataclasses.replace(dataset, x_train=dataset.x_train[:n_train], y_train=dataset.y_train[:n_train])
    result: dict = {"depths": []}
    for key in ("plain", "residual"):
        result.update({f"{key}_train_loss": [], f"{key}_eval_train_loss": [], f"{key}_test_accuracy": []})
        result[f"{key}_curves"] = []
    settings = {"seed": seed, "blocks": list(blocks), "width": width, "epochs": epochs, "n_train": n_train,
                "learning_rate": learning_rate}  # fmt: skip
    parts = PartStore(out_dir, settings, resume=resume)

    def train(name: str, config) -> dict:
        summary = VISION_TRAINERS[name](config, dataset, seed=seed, progress=progress)
        curve = [row["train_loss"] for row in summary["history"]]
        return {"curve": curve, "train_loss": summary["train_loss"], "test_accuracy": summary["test_accuracy"]}

    start = time.perf_counter()
    for n_blocks in blocks:
        config = ResNetConfig(
            widths=(width, 2 * width), blocks_per_stage=int(n_blocks), epochs=epochs, validation_split=0.0,
            patience=None, weight_decay=0.0, learning_rate=learning_rate, label_smoothing=0.0,
        )  # fmt: skip
        result["depths"].append(4 * int(n_blocks) + 2)
        for name, key in (("plainnet", "plain"), ("resnet", "residual")):
            part = parts.run(f"{name}-blocks{int(n_blocks)}", lambda name=name, config=config: train(name, config))
            result[f"{key}_curves"].append(part["curve"])
            result[f"{key}_train_loss"].append(part["curve"][-1])
            result[f"{key}_eval_train_loss"].append(part["train_loss"])
            result[f"{key}_test_accuracy"].append(part["test_accuracy"])
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
        f"Adam learning rate {learning_rate:g}, {epochs} epochs, widths {width},{2 * width}, seed {seed}",
        fontsize=9,
    )
    fig.tight_layout()
    save_figure(fig, Path(out_dir) / "degradation.png", dpi=120)
    return result


@setting_ranges(epochs=(1, 10_000), shift=(-1, 1))
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
        config = CNNConfig(widths=(32, 64), pooling=head, epochs=epochs, image_size=10, validation_split=0.0,
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


@setting_ranges(epochs=(1, 10_000))
def attention_maps(
    out_dir: str | Path, seed: int = 0, progress: bool = False, epochs: int = 10, attention: str = "cbam"
) -> dict:
    """Notes 4.4 (CV attention): what the spatial and channel attention of a CNN look at on digits.

    Trains the 2-layer :class:`CNN` (32, 64 channels, a 2x2 pool between) with ``attention`` after each layer, then
    draws, for one test image of every class, the image and the spatial attention maps of both layers (8x8 and
    4x4), and the mean channel weights of the last layer per class (``attention_maps.png``). Returns
    ``test_accuracy``, the mean first-layer spatial weight on ink pixels (raw value > 4 of 16) and on background,
    their ratio, and the spread (std over classes, averaged over channels) of the last layer's channel weights."""
    from boltzgym.models.datasets import digits_split
    from boltzgym.models.vision.networks import ChannelAttention, SpatialAttention
    from boltzgym.utils.plotting import new_figure, save_figure

    if attention not in ("cbam", "spatial", "channel"):
        raise ValueError(f"attention must be 'cbam', 'spatial' or 'channel', got {attention!r}")
    dataset = load_dataset("digits", seed)
    raw_test = digits_split()[1].reshape(-1, 8, 8)  # the same test rows, unscaled (0-16), for ink and display
    config = CNNConfig(widths=(32, 64), attention=attention, epochs=epochs, validation_split=0.0, patience=None)
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
