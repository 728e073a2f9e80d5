"""``boltzgym fit MODEL``: train a registered model on a named dataset (the run is
``boltzgym.experiments.fitting.fit_model``)."""

from __future__ import annotations

import argparse

from boltzgym.scripts._common import (
    add_common_arguments,
    add_device_argument,
    add_list_keys_argument,
    add_resume_argument,
    add_set_argument,
    finish,
    format_table,
    positive_int,
    print_keys,
    progress_enabled,
    run_dir,
)

HELP = "train a registered model (mlp, resnet, gnn, lstm, vae, gan, rbm, word2vec, ...) on a dataset"
DESCRIPTION = (
    "Train a model of boltzgym.models.registry.MODELS on a dataset of boltzgym.models.datasets: the torch models "
    "through boltzgym.models.training.fit (mini-batches, a validation split with early stopping, per-epoch metrics "
    "and a checkpoint after every epoch), rbm and word2vec through their own Numba trainers. Writes summary.json, "
    "metrics.csv, plots and checkpoint/ into --out; an interrupted run continues with --resume and the same --out.\n\n"
    "Hyperparameters are the fields of the model's config dataclass, set with --set key=value (repeatable); "
    "'boltzgym fit MODEL --list-keys' prints them with their defaults. word2vec also takes a text file as --data."
)
EXAMPLES = [
    "boltzgym fit mlp --data digits",
    "boltzgym fit mlp --data digits --set hidden_sizes=128,128 --set dropout=0.1 --epochs 20 --json",
    "boltzgym fit rbf --data sine --set n_centers=20",
    "boltzgym fit mlp --data digits --out runs/mlp --resume",
    "boltzgym fit rbm --data bars-stripes-3 --set n_components=16 --set cd_k=10 --set learning_rate=0.2 --epochs 200",
    "boltzgym fit word2vec --data lee --set min_count=2 --epochs 30",
    "boltzgym fit word2vec --data my_text.txt --set vector_size=50 --set alpha=0.05",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from boltzgym.models.registry import MODELS

    parser.add_argument("model", help=f"model name: {', '.join(sorted(MODELS))}")
    parser.add_argument("--data", default=None, help="dataset name (default: the model's, e.g. digits)")
    add_set_argument(parser, "override a config field")
    parser.add_argument("--epochs", type=positive_int, default=None, help="epochs (default: the config's)")
    add_resume_argument(parser)
    add_device_argument(parser)
    add_list_keys_argument(parser)
    add_common_arguments(parser, out_default="runs/fit-<model>-<timestamp>")


def run(args: argparse.Namespace) -> dict:
    import dataclasses

    from boltzgym.experiments.fitting import check_data, fit_model, plot_learning_curve
    from boltzgym.models.registry import make_config, model_entry
    from boltzgym.utils.imports import import_object

    entry = model_entry(args.model)
    if args.list_keys:
        config = import_object(entry.config)()
        return print_keys([(f.name, getattr(config, f.name)) for f in dataclasses.fields(config)])
    if args.resume and args.out is None:
        raise ValueError("--resume needs --out, the folder of the run to continue")
    config = make_config(args.model, args.assignments)  # bad --set values fail before any folder is made
    import torch

    from boltzgym.models.training import resolve_device

    if not issubclass(type(config).model_class, torch.nn.Module):  # the RBM and Word2Vec: NumPy and Numba
        if args.device not in ("auto", "cpu"):
            raise ValueError(f"--device {args.device}: {args.model} runs on the CPU (NumPy and Numba, no torch)")
    else:
        resolve_device(args.device)  # so does a device that is not there (one line naming --device)
    check_data(args.data or entry.data)
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
    plot_learning_curve(history, out_dir / "learning_curve.png", f"{summary['model']} on {summary['data']}")
    rows = [(key, value) for key, value in summary.items() if value is not None and not isinstance(value, dict)]
    if "neighbours" in summary:
        rows.append(("neighbours", "; ".join(f"{w}: {', '.join(n for n, _ in near)}" for w, near in
                                             summary["neighbours"].items())))  # fmt: skip
    return finish(args, out_dir, summary, format_table(["quantity", "value"], rows))
