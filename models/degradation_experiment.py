"""``boltzgym experiment degradation``: notes 3.2's degradation claim (He et al. 2016, fig. 1) at CPU scale.

Claim: stacking more layers onto a plain network eventually raises its *training* error (degradation, not
overfitting), while the same network with identity shortcuts (ResNet) does not get worse with depth.

Setting: :class:`~boltzgym.models.vision.PlainNet` and :class:`~boltzgym.models.vision.ResNet` of equal depth
``2 + 6 n`` (three stages of ``n`` basic blocks, widths ``widths``) on the digits split, trained with the same
optimiser, epochs and seed through ``fit``. Both use batch norm and He initialisation, so a deep plain net does not
fail from vanishing signal at initialisation: the comparison is the one He et al. made (the caption says so).
"""

from __future__ import annotations

from pathlib import Path

from boltzgym.models.datasets import load_dataset
from boltzgym.models.zoo import ResNetConfig, train_plainnet, train_resnet


def degradation_experiment(
    out_dir: str | Path,
    seed: int = 0,
    progress: bool = False,
    depths: tuple[int, ...] = (8, 20, 56),
    widths: tuple[int, ...] = (8, 16, 32),
    epochs: int = 8,
    lr: float = 3e-3,
    n_train: int = 0,
) -> dict:
    """Train PlainNet and ResNet at each depth (``2 + 6 n``); return losses/accuracies by depth; plot them.

    ``n_train > 0`` trains on the first ``n_train`` training images only (for quick runs)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for depth in depths:
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f"depths must be 2 + 6 n with n >= 1 (8, 14, 20, ..., 56), got {depth}")
    dataset = load_dataset("digits")
    if n_train:
        dataset.x_train, dataset.y_train = dataset.x_train[:n_train], dataset.y_train[:n_train]
    results = {"plain": ([], []), "residual": ([], [])}
    for depth in depths:
        n = (depth - 2) // 6
        config = ResNetConfig(epochs=epochs, lr=lr, widths=tuple(widths), blocks=(n,) * len(widths), weight_decay=0.0)
        for key, train in (("plain", train_plainnet), ("residual", train_resnet)):
            summary = train(config, dataset, seed=seed, progress=progress)
            results[key][0].append(summary["train_loss"])  # scored on the training set after training
            results[key][1].append(summary["test_accuracy"])
    summary = {
        "depths": list(depths),
        "plain_train_loss": results["plain"][0],
        "residual_train_loss": results["residual"][0],
        "plain_test_accuracy": results["plain"][1],
        "residual_test_accuracy": results["residual"][1],
    }
    _plot(summary, out_dir / "degradation.png", epochs)
    return summary


def _plot(summary: dict, path: Path, epochs: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(9, 3.8))
    for key, label in (("plain", "PlainNet"), ("residual", "ResNet")):
        loss_axis.plot(summary["depths"], summary[f"{key}_train_loss"], "o-", label=label)
        accuracy_axis.plot(summary["depths"], summary[f"{key}_test_accuracy"], "o-", label=label)
    loss_axis.set(xlabel="depth (weighted layers)", ylabel="final training loss", yscale="log")
    accuracy_axis.set(xlabel="depth (weighted layers)", ylabel="test accuracy")
    loss_axis.legend()
    figure.suptitle(
        f"Degradation on digits: plain vs residual nets, same data, {epochs} epochs, AdamW without weight decay;\n"
        "both with batch norm and He init, so the plain net's failure is not vanishing signal",
        fontsize=8,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
