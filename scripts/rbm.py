"""``boltzgym rbm``: train a Bernoulli RBM on bars-and-stripes or binarized digits and measure its log-likelihood."""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from boltzgym.scripts._common import (
    add_common_arguments,
    finish,
    format_table,
    new_figure,
    positive_int,
    progress_enabled,
    run_dir,
    save_figure,
    write_metrics_csv,
)

HELP = "train a restricted Boltzmann machine (CD-k/PCD) and report its exact or AIS log-likelihood"
DESCRIPTION = (
    "Train a Bernoulli RBM by CD-k (or PCD-k with --pcd) on n x n bars-and-stripes or on the binarized 8x8 digits "
    "that scikit-learn ships, and report its mean log-likelihood per epoch: exact when a layer has at most 25 units, "
    "else by annealed importance sampling (Salakhutdinov & Murray 2008). Plots: log-likelihood per epoch, a grid of "
    "model samples and the learned filters.\n\n"
    "Defaults (chosen on 3x3 bars-and-stripes, where seeds 0-9 reach -2.76 to -2.79 nats against the optimum "
    "-ln 14 = -2.64): "
    "16 hidden units, CD-10, learning rate 0.2 decayed linearly to 0.2/epochs, momentum 0.5, batch size 10, and "
    "2000 epochs on bars-and-stripes or 20 on digits."
)
EXAMPLES = [
    "boltzgym rbm --data bars-stripes-3 --hidden 16 --seed 0",
    "boltzgym rbm --data bars-stripes-4 --hidden 32 --epochs 3000 --cd-k 10 --json",
    "boltzgym rbm --data digits --hidden 100 --epochs 20 --cd-k 1 --pcd --ais-chains 100 --ais-betas 5000",
]
DEFAULT_EPOCHS = {"bars-stripes-3": 2000, "bars-stripes-4": 2000, "digits": 20}
RBM_DATA = tuple(DEFAULT_EPOCHS)  # "digits" here is the binary digits (boltzgym.models.datasets.binary_digits)


def load_rbm_data(name: str) -> np.ndarray:
    """The binary training rows of ``--data``: every bars-and-stripes image, or all 1,797 binary digits."""
    from boltzgym.models.datasets import bars_and_stripes, binary_digits

    if name == "digits":
        return binary_digits()
    if name not in RBM_DATA:
        raise ValueError(f"data must be one of {list(RBM_DATA)}, got {name!r}")
    return bars_and_stripes(int(name.rsplit("-", 1)[1]))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", choices=RBM_DATA, default="bars-stripes-3", help="data set (default: bars-stripes-3)")
    parser.add_argument("--hidden", type=positive_int, default=16, help="hidden units (default: 16)")
    parser.add_argument(
        "--epochs", type=positive_int, default=None, help="epochs (default: 2000 on bars-and-stripes, 20 on digits)"
    )
    parser.add_argument("--cd-k", type=positive_int, default=10, help="Gibbs steps per negative phase (default: 10)")
    parser.add_argument("--pcd", action="store_true", help="persistent chains (PCD-k) instead of CD-k")
    parser.add_argument("--learning-rate", type=float, default=0.2, help="initial learning rate (default: 0.2)")
    parser.add_argument(
        "--schedule", choices=("constant", "linear"), default="linear", help="learning-rate schedule (default: linear)"
    )
    parser.add_argument("--batch-size", type=positive_int, default=10, help="minibatch size (default: 10)")
    parser.add_argument("--momentum", type=float, default=0.5, help="momentum (default: 0.5)")
    parser.add_argument("--weight-decay", type=float, default=0.0, help="L2 weight decay (default: 0)")
    parser.add_argument("--ais-chains", type=positive_int, default=100, help="AIS runs when AIS is used (default: 100)")
    parser.add_argument(
        "--ais-betas", type=positive_int, default=5000, help="AIS inverse temperatures when AIS is used (default: 5000)"
    )
    add_common_arguments(parser)


def train_rbm_experiment(
    data: str = "bars-stripes-3",
    hidden: int = 16,
    epochs: int | None = None,
    cd_k: int = 10,
    persistent: bool = False,
    learning_rate: float = 0.2,
    schedule: str = "linear",
    batch_size: int = 10,
    momentum: float = 0.5,
    weight_decay: float = 0.0,
    ais_chains: int = 100,
    ais_betas: int = 5000,
    seed: int = 0,
    progress: bool = False,
) -> tuple[dict, list[dict], object, np.ndarray]:
    """Train an RBM with the CLI's defaults; returns ``(summary, history, rbm, X)``."""
    from boltzgym.models.datasets import bars_and_stripes_optimum
    from boltzgym.sims import rbm_eval
    from boltzgym.sims.rbm import RBM, fit_with_log_likelihood

    X = load_rbm_data(data)
    epochs = DEFAULT_EPOCHS[data] if epochs is None else epochs
    exact = min(hidden, X.shape[1]) <= rbm_eval.MAX_EXACT_UNITS
    method = "exact" if exact else "ais"
    rbm = RBM(
        n_components=hidden,
        learning_rate=learning_rate,
        batch_size=batch_size,
        n_iter=epochs,
        random_state=seed,
        cd_k=cd_k,
        persistent=persistent,
        momentum=momentum,
        weight_decay=weight_decay,
        learning_rate_schedule=schedule,
    )
    eval_every = max(1, epochs // (100 if exact else 5))
    start = time.perf_counter()
    history = fit_with_log_likelihood(
        rbm, X, method=method, eval_every=eval_every, ais_chains=ais_chains, ais_betas=ais_betas, progress=progress
    )
    seconds = time.perf_counter() - start
    final = history[-1]
    optimum = bars_and_stripes_optimum(int(data.rsplit("-", 1)[1])) if data.startswith("bars-stripes") else None
    summary = {
        "data": data,
        "hidden": hidden,
        "epochs": epochs,
        "method": f"{'pcd' if persistent else 'cd'}-{cd_k}",
        "final_log_likelihood": final["log_likelihood"],
        "log_likelihood_method": method,
        "log_likelihood_stderr": final["log_likelihood_stderr"],
        "optimum_log_likelihood": optimum,
        "learning_rate": learning_rate,
        "batch_size": batch_size,
        "momentum": momentum,
        "seed": seed,
        "seconds": round(seconds, 3),
    }
    return summary, history, rbm, X


def _image_grid(ax, images: np.ndarray, side: int, cmap: str, symmetric: bool = False) -> None:
    """Tile ``images`` (n, side*side) into one picture with one-pixel gaps."""
    n = images.shape[0]
    columns = math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    canvas = np.full((rows * (side + 1) + 1, columns * (side + 1) + 1), np.nan)
    for index, image in enumerate(images):
        r, c = divmod(index, columns)
        canvas[1 + r * (side + 1) : 1 + r * (side + 1) + side, 1 + c * (side + 1) : 1 + c * (side + 1) + side] = (
            image.reshape(side, side)
        )
    limit = np.nanmax(np.abs(canvas)) if symmetric else None
    ax.imshow(canvas, cmap=cmap, vmin=-limit if symmetric else 0, vmax=limit if symmetric else 1)
    ax.set_xticks([])
    ax.set_yticks([])


def write_plots(out_dir: Path, summary: dict, history: list[dict], rbm, X: np.ndarray, n_samples: int = 36) -> None:
    """log_likelihood.png, samples.png and filters.png in ``out_dir``."""
    side = int(round(math.sqrt(X.shape[1])))
    fig, ax = new_figure(figsize=(6, 4))
    epochs = [row["epoch"] for row in history]
    values = np.array([row["log_likelihood"] for row in history])
    errors = np.array([row["log_likelihood_stderr"] for row in history])
    ax.plot(epochs, values, marker="." if len(epochs) < 30 else None, label=f"RBM ({summary['method']})")
    if np.any(errors > 0):
        ax.fill_between(epochs, values - 3 * errors, values + 3 * errors, alpha=0.3, label="AIS ±3 s.e.")
    if summary["optimum_log_likelihood"] is not None:
        ax.axhline(summary["optimum_log_likelihood"], color="k", linestyle="--", label="optimum")
    ax.set_xlabel("epoch")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel(f"mean log-likelihood (nats, {summary['log_likelihood_method']})")
    ax.set_title(f"{summary['data']}, {summary['hidden']} hidden units")
    ax.legend(loc="lower right")
    save_figure(fig, out_dir / "log_likelihood.png")

    samples = rbm.sample(n_samples, n_steps=1000)
    fig, ax = new_figure(figsize=(4, 4))
    _image_grid(ax, samples, side, "gray_r")
    ax.set_title("model samples (1000 Gibbs steps)")
    save_figure(fig, out_dir / "samples.png")

    fig, ax = new_figure(figsize=(4, 4))
    _image_grid(ax, rbm.components_[:64], side, "RdBu_r", symmetric=True)
    shown = min(64, rbm.components_.shape[0])
    ax.set_title(f"learned filters (rows of W, {shown} of {rbm.components_.shape[0]})")
    save_figure(fig, out_dir / "filters.png")


def run(args: argparse.Namespace) -> dict:
    if not math.isfinite(args.learning_rate) or args.learning_rate <= 0:
        raise ValueError(f"--learning-rate must be a finite number > 0, got {args.learning_rate}")
    for name in ("momentum", "weight_decay"):
        value = getattr(args, name)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"--{name.replace('_', '-')} must be a finite number >= 0, got {value}")
    from boltzgym.utils.resources import array_bytes, check_memory

    n_features = load_rbm_data(args.data).shape[1]
    weights = 4 * array_bytes((args.hidden, n_features), np.float64, "--hidden")  # W, velocity, epoch copies
    check_memory(weights, "--hidden", f"an RBM of {args.hidden} x {n_features} weights")
    out_dir = run_dir(args, "rbm")  # checked and locked before any work
    summary, history, rbm, X = train_rbm_experiment(
        data=args.data,
        hidden=args.hidden,
        epochs=args.epochs,
        cd_k=args.cd_k,
        persistent=args.pcd,
        learning_rate=args.learning_rate,
        schedule=args.schedule,
        batch_size=args.batch_size,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        ais_chains=args.ais_chains,
        ais_betas=args.ais_betas,
        seed=args.seed,
        progress=progress_enabled(args),
    )
    write_metrics_csv(out_dir / "metrics.csv", history)
    write_plots(out_dir, summary, history, rbm, X)
    summary["checkpoint"] = str(rbm.save(out_dir / "checkpoint"))
    rows = [(key, value) for key, value in summary.items() if value is not None]
    return finish(args, out_dir, summary, format_table(["quantity", "value"], rows))


def demo_part(out_dir: Path, seed: int, progress: bool) -> dict:
    """The demo's RBM run: 16 hidden units on 3x3 bars-and-stripes with the CLI's defaults."""
    summary, history, rbm, X = train_rbm_experiment("bars-stripes-3", hidden=16, seed=seed, progress=progress)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_metrics_csv(out_dir / "metrics.csv", history)
    write_plots(out_dir, summary, history, rbm, X)
    return {
        "result": (
            f"RBM log-likelihood {summary['final_log_likelihood']:.3f} nats on 3x3 bars-and-stripes "
            f"(optimum {summary['optimum_log_likelihood']:.3f}) after {summary['epochs']} epochs"
        ),
        "final_log_likelihood": summary["final_log_likelihood"],
    }
