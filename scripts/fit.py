"""``boltzgym fit MODEL``: train a registered model on a named dataset through the one training loop."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from boltzgym.scripts._common import (
    add_common_arguments,
    finish,
    format_table,
    new_figure,
    positive_int,
    progress_enabled,
    run_dir,
    save_figure,
)

HELP = "train a registered model (mlp, rbf, logistic, ...) on a dataset"
DESCRIPTION = (
    "Train a model of boltzgym.models.registry.MODELS on a dataset of boltzgym.models.datasets through "
    "boltzgym.models.training.fit: mini-batches, a validation split with early stopping, per-epoch metrics and a "
    "checkpoint after every epoch. Writes summary.json, metrics.csv, learning_curve.png and checkpoint/ into --out; "
    "an interrupted run continues with --resume and the same --out.\n\n"
    "Hyperparameters are the fields of the model's config dataclass, set with --set key=value (repeatable); "
    "'boltzgym fit MODEL --list-keys' prints them with their defaults."
)
EXAMPLES = [
    "boltzgym fit mlp --data digits",
    "boltzgym fit mlp --data digits --set hidden_sizes=128,128 --set dropout=0.1 --epochs 20 --json",
    "boltzgym fit rbf --data sine --set n_centers=20",
    "boltzgym fit mlp --data digits --out runs/mlp --resume",
]
SUMMARY_KEYS = (
    "model",
    "data",
    "seed",
    "epochs",
    "n_parameters",
    "train_loss",
    "test_loss",
    "test_accuracy",
    "seconds",
    "checkpoint",
)
# keys a model adds only where they mean something (generative models, notes 5.1-5.2)
OPTIONAL_SUMMARY_KEYS = (
    "test_elbo",
    "test_log_likelihood",
    "modes_covered",
    "n_modes",
    "high_quality_fraction",
    "frechet_distance",
    "conditional_accuracy",
    "probe_accuracy",
    "random_probe_accuracy",
    "domain",
    "class_retention",
    "class_retention_ab",
    "class_retention_ba",
    "greedy_label_error_rate",  # CTC (ctc-digits)
    "beam_label_error_rate",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from boltzgym.models.registry import MODELS

    parser.add_argument("model", help=f"model name: {', '.join(sorted(MODELS))}")
    parser.add_argument("--data", default=None, help="dataset name (default: the model's, e.g. digits)")
    parser.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE", help="override a config field"
    )
    parser.add_argument("--epochs", type=positive_int, default=None, help="epochs (default: the config's)")
    parser.add_argument(
        "--resume",
        action="store_const",
        const=True,
        default=None,
        help="continue the run in --out from its checkpoint (same model, data, --set and seed; fresh if none yet)",
    )
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda (default: auto)")
    parser.add_argument("--list-keys", action="store_true", help="print the model's --set keys and defaults, then exit")
    add_common_arguments(parser, out_default="runs/fit-<model>-<timestamp>")


def fit_model(
    model: str,
    data: str | None = None,
    assignments: list[str] | None = None,
    epochs: int | None = None,
    seed: int = 0,
    out_dir: Path | None = None,
    resume: bool = False,
    progress: bool = False,
    device: str = "auto",
) -> tuple[dict, list[dict]]:
    """Train registered ``model`` on ``data``; returns ``(summary with SUMMARY_KEYS, per-epoch history)``."""
    from boltzgym.models.datasets import load_dataset
    from boltzgym.models.registry import make_config, model_entry
    from boltzgym.utils.imports import import_object

    entry = model_entry(model)
    config = make_config(model, assignments)
    dataset = load_dataset(data or entry.data, seed=seed)
    start = time.perf_counter()
    result = import_object(entry.train)(
        config, dataset, epochs=epochs, seed=seed, run_dir=out_dir, resume=resume, progress=progress, device=device
    )
    result["seconds"] = round(time.perf_counter() - start, 3)
    result.update(model=model, data=dataset.name, seed=seed)
    summary = {key: result.get(key) for key in SUMMARY_KEYS}
    summary.update({key: result[key] for key in OPTIONAL_SUMMARY_KEYS if key in result})
    return summary, result.get("history", [])


def plot_learning_curve(history: list[dict], path: Path, title: str) -> None:
    """Training and validation loss per epoch (log scale), validation accuracy on a second axis."""
    fig, ax = new_figure(figsize=(6, 4))
    epochs = [row["epoch"] for row in history]
    for key, label in (("train_loss", "training loss"), ("val_loss", "validation loss")):
        if any(key in row for row in history):
            ax.plot(epochs, [row.get(key) for row in history], label=label)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.xaxis.get_major_locator().set_params(integer=True)
    lines, labels = ax.get_legend_handles_labels()
    if any("val_accuracy" in row for row in history):
        right = ax.twinx()
        right.plot(epochs, [row.get("val_accuracy") for row in history], color="tab:green", label="validation accuracy")
        right.set_ylabel("accuracy")
        more_lines, more_labels = right.get_legend_handles_labels()
        lines, labels = lines + more_lines, labels + more_labels
    ax.legend(lines, labels, loc="center right")
    ax.set_title(title)
    save_figure(fig, path)


def run(args: argparse.Namespace) -> dict:
    from boltzgym.models.datasets import parse_dataset_name
    from boltzgym.models.registry import make_config, model_entry
    from boltzgym.utils.imports import import_object

    entry = model_entry(args.model)
    if args.list_keys:
        import dataclasses

        config = import_object(entry.config)()
        rows = [(f.name, repr(getattr(config, f.name))) for f in dataclasses.fields(config)]
        print(format_table(["key", "default"], rows))
        return {}
    if args.resume and args.out is None:
        raise ValueError("--resume needs --out, the folder of the run to continue")
    make_config(args.model, args.assignments)  # bad --set values fail before any folder is made
    from boltzgym.models.training import resolve_device

    resolve_device(args.device)  # so does a device that is not there (one line naming --device)
    parse_dataset_name(args.data or entry.data)
    out_dir = run_dir(args, f"fit-{args.model}")
    summary, history = fit_model(
        args.model,
        args.data,
        args.assignments,
        epochs=args.epochs,
        seed=args.seed,
        out_dir=out_dir,
        resume=bool(args.resume),
        progress=progress_enabled(args),
        device=args.device,
    )
    if history:
        plot_learning_curve(history, out_dir / "learning_curve.png", f"{summary['model']} on {summary['data']}")
    rows = [(key, value) for key, value in summary.items() if value is not None]
    return finish(args, out_dir, summary, format_table(["quantity", "value"], rows))


def demo_part(out_dir, seed: int = 0, progress: bool = False) -> dict:
    """Demo: the MLP on sklearn's digits through the one training loop (``boltzgym fit mlp --data digits``)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary, history = fit_model("mlp", "digits", seed=seed, out_dir=out_dir, progress=progress, device="cpu")
    plot_learning_curve(history, out_dir / "learning_curve.png", "mlp on digits")
    summary["result"] = (
        f"MLP on 8x8 digits: test accuracy {summary['test_accuracy']:.3f} after {summary['epochs']} epochs "
        f"({summary['n_parameters']} parameters)"
    )
    return summary
