"""Experiments for notes chapters 1 and 2: depth and parity, the bias-variance decomposition, and optimizers.

Each is ``experiment(out_dir, seed=0, progress=False, ...) -> summary`` (see ``boltzgym.models.registry``), runs at
CPU scale in about a minute, writes a PNG whose title states the setting, and returns its figures as keys.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from boltzgym.models.datasets import parity
from boltzgym.models.supervised.logic import parity_network
from boltzgym.models.training import fit
from boltzgym.utils.plotting import new_figure, save_figure
from boltzgym.utils.validation import check_int, setting_ranges


def _mlp(n_inputs: int, width: int, depth: int, n_outputs: int) -> nn.Sequential:
    layers, size = [], n_inputs
    for _ in range(depth):
        layers += [nn.Linear(size, width), nn.Tanh()]
        size = width
    return nn.Sequential(*layers, nn.Linear(size, n_outputs))


def _parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# --- notes 1.2: depth ----------------------------------------------------------------------------------------


@setting_ranges(n=(2, 16), epochs=(1, 100_000), deep_depth=(1, 32))
def parity_experiment(
    out_dir, seed: int = 0, progress: bool = False, n: int = 8, epochs: int = 400, deep_depth: int = 3
) -> dict:
    """Notes 1.2: parity of n bits with one wide hidden layer versus several narrow ones.

    Constructed (exact) networks: the notes' one-layer AND/OR network (DNF) needs 2^(n-1) hidden units, a tree of
    XOR gates 3(n-1)-1, and one layer of n threshold units ("count") also suffices. Trained: tanh MLPs with one
    hidden layer of growing width against ``deep_depth`` hidden layers of growing width, each trained with Adam on
    all 2^n inputs (the task is to represent parity, so the test set is the training set); accuracy against the
    parameter count. ``shallow_accuracy``/``deep_accuracy`` compare the two families at the deep family's
    smallest budget that represents parity exactly (or its largest one).
    """
    n = check_int("n", n, minimum=2, maximum=12)
    data = parity(n)
    x_all, y_all = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    constructed = {}
    for construction in ("dnf", "count", "tree"):
        network = parity_network(n, construction)
        accuracy = float((network(x_all).squeeze(1).long() == y_all).float().mean())
        constructed[construction] = {"hidden_units": network.hidden_units, "accuracy": accuracy}

    def train(width: int, depth: int) -> tuple[int, float]:
        torch.manual_seed(seed)
        model = _mlp(n, width, depth, 2)
        fit(model, data.train, loss="cross_entropy", optimizer="adam", learning_rate=1e-2, epochs=epochs, batch_size=64,
            seed=seed)  # fmt: skip
        with torch.no_grad():
            accuracy = float((model(x_all).argmax(1) == y_all).float().mean())
        return _parameters(model), accuracy

    shallow = [train(width, 1) for width in (2, 4, 8, 16, 32, 64)]
    deep = [train(width, deep_depth) for width in (2, 3, 4, 6, 8)]
    exact = [params for params, accuracy in deep if accuracy == 1.0]
    budget = min(exact) if exact else max(params for params, _ in deep)
    deep_accuracy = max(accuracy for params, accuracy in deep if params == budget)
    shallow_at_budget = [accuracy for params, accuracy in shallow if params <= budget]
    shallow_accuracy = max(shallow_at_budget) if shallow_at_budget else shallow[0][1]

    fig, ax = new_figure(figsize=(6.4, 4.2))
    ax.plot(*zip(*shallow), "o-", label="1 hidden layer (wide)")
    ax.plot(*zip(*deep), "s-", label=f"{deep_depth} hidden layers (narrow)")
    ax.axvline(budget, color="grey", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlabel("trainable parameters")
    ax.set_ylabel(f"accuracy on all {2**n} inputs")
    ax.set_title(
        f"{n}-bit parity, tanh MLPs, Adam lr 1e-2, {epochs} epochs, seed {seed}\n"
        f"constructed: DNF {constructed['dnf']['hidden_units']} units, count {n}, XOR tree "
        f"{constructed['tree']['hidden_units']}",
        fontsize=9,
    )
    ax.legend()
    ax.grid(True, alpha=0.3)
    save_figure(fig, Path(out_dir) / "parity.png")
    return {
        "n": n,
        "shallow_units": constructed["dnf"]["hidden_units"],
        "deep_units": constructed["tree"]["hidden_units"],
        "count_units": constructed["count"]["hidden_units"],
        "constructed_accuracy": {name: c["accuracy"] for name, c in constructed.items()},
        "parameter_budget": budget,
        "shallow_accuracy": shallow_accuracy,
        "deep_accuracy": deep_accuracy,
        "trained_shallow": [{"parameters": p, "accuracy": a} for p, a in shallow],
        "trained_deep": [{"parameters": p, "accuracy": a} for p, a in deep],
    }


# --- notes 1.3: bias and variance ----------------------------------------------------------------------------


def bias_variance_decomposition(
    degree: int, n_models: int, n_train: int, noise: float, rng: np.random.Generator, n_test: int = 200
) -> dict:
    """Monte-Carlo bias-variance decomposition of least-squares polynomials of ``degree`` on ``sin(pi x)`` + noise,
    with its exact value beside it.

    Fixed design (the setting in which the decomposition's expectations exist for every degree the sample
    supports): the ``n_train`` training inputs are evenly spaced on [-1, 1] and stay fixed; each of the
    ``n_models`` models is fitted to fresh Gaussian noise (standard deviation ``noise``) on them and evaluated on a
    fixed test grid against fresh noisy targets. A least-squares prediction is then linear in the targets,
    ``f_m = H y`` (``H`` maps training targets to test predictions), so it is Gaussian with mean ``H f`` and
    covariance ``noise^2 H H^T``: ``bias_squared_exact = mean_x (H f - f)^2`` and
    ``variance_exact = noise^2 mean_x (H H^T)_xx``.

    The Monte-Carlo estimates are unbiased: ``variance = mean_x var_m f_m(x)`` with the ``n_models - 1`` divisor,
    and ``bias_squared = mean_x (mean_m f_m(x) - f(x))^2 - variance / n_models``, since the squared deviation of
    the sample mean carries ``variance / n_models`` of the models' spread (without that term the high-degree
    fits showed a "bias" made of their variance). ``expected_error`` is the measured test MSE over models and
    noise draws (with its standard error over models); in expectation ``expected_error = bias_squared +
    variance + noise`` (notes 1.3). ``degree`` must be below ``n_train``.
    """
    if not 0 <= degree < n_train:
        raise ValueError(f"degree must be in [0, n_train) = [0, {n_train}), got {degree}")
    if n_models < 2:
        raise ValueError(f"n_models must be >= 2 (the variance needs two fits), got {n_models}")
    x = np.linspace(-1, 1, n_train)
    f_train = np.sin(np.pi * x)
    x_test = np.linspace(-1, 1, n_test)
    f_test = np.sin(np.pi * x_test)
    design = np.polynomial.legendre.legvander(x, degree)
    hat = np.polynomial.legendre.legvander(x_test, degree) @ np.linalg.pinv(design)  # test predictions = hat @ y
    bias_squared_exact = float(np.mean((hat @ f_train - f_test) ** 2))
    variance_exact = float(noise**2 * np.mean(np.sum(hat**2, axis=1)))
    targets = f_train + noise * rng.standard_normal((n_models, n_train))
    predictions = targets @ hat.T
    y_test = f_test + noise * rng.standard_normal((n_models, n_test))
    errors = np.mean((predictions - y_test) ** 2, axis=1)
    variance = float(np.mean(predictions.var(axis=0, ddof=1)))
    bias_squared = float(np.mean((predictions.mean(axis=0) - f_test) ** 2)) - variance / n_models
    return {
        "degree": degree,
        "bias_squared": bias_squared,
        "variance": variance,
        "noise": noise**2,
        "total": bias_squared + variance + noise**2,
        "bias_squared_exact": bias_squared_exact,
        "variance_exact": variance_exact,
        "expected_error": float(errors.mean()),
        "expected_error_stderr": float(errors.std(ddof=1) / math.sqrt(n_models)),
    }


_FLOOR = 1e-4  # the plot's lowest error; a bias^2 below it is drawn there


@setting_ranges(n_models=(1, 100_000), n_train=(2, 100_000), noise=(0.0, 100.0))
def bias_variance_experiment(
    out_dir, seed: int = 0, progress: bool = False, n_models: int = 400, n_train: int = 30, noise: float = 0.3
) -> dict:
    """Notes 1.3: generalisation error = bias^2 + variance + noise, swept over model capacity (the U curve).

    Fixed-design least squares (see :func:`bias_variance_decomposition`): unbiased Monte-Carlo estimates over
    ``n_models`` noise draws, plotted with the exact bias^2 and variance as lines."""
    rng = np.random.default_rng(seed)
    degrees = (1, 2, 3, 4, 5, 6, 8, 10, 12)
    rows = [bias_variance_decomposition(d, n_models, n_train, noise, rng) for d in degrees]
    fig, ax = new_figure(figsize=(6.4, 4.2))
    for key, label, colour in (("bias_squared", "bias²", "C0"), ("variance", "variance", "C1")):
        ax.plot(degrees, [r[f"{key}_exact"] for r in rows], "-", color=colour, label=f"{label} (exact)")
        shown = [max(r[key], 1.2 * _FLOOR) for r in rows]  # estimates of ~0 (possibly negative) sit on the floor
        ax.plot(degrees, shown, "o", color=colour, label=f"{label} (unbiased estimate)")
    ax.plot(degrees, [r["total"] for r in rows], "s--", color="C2", label="bias² + variance + noise")
    ax.errorbar(degrees, [r["expected_error"] for r in rows], yerr=[2 * r["expected_error_stderr"] for r in rows],
                fmt="k.", capsize=3, label="measured test MSE (±2 s.e.)")  # fmt: skip
    ax.axhline(noise**2, color="grey", linestyle=":", label="noise σ²")
    ax.set_yscale("log")
    ax.set_ylim(_FLOOR, 1.0)
    ax.set_xlabel("polynomial degree (capacity)")
    ax.set_ylabel("mean squared error")
    ax.set_title(f"sin(πx) + N(0, {noise}²) at {n_train} fixed points; {n_models} noise draws per degree "
                 "(unbiased estimates)", fontsize=9)  # fmt: skip
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    save_figure(fig, Path(out_dir) / "bias_variance.png")
    best = min(rows, key=lambda r: r["expected_error"])
    return {
        "capacities": list(degrees),
        "bias_squared": [r["bias_squared"] for r in rows],
        "variance": [r["variance"] for r in rows],
        "bias_squared_exact": [r["bias_squared_exact"] for r in rows],
        "variance_exact": [r["variance_exact"] for r in rows],
        "noise": [r["noise"] for r in rows],
        "expected_error": [r["expected_error"] for r in rows],
        "total": [r["total"] for r in rows],
        "rows": rows,
        "best_degree": best["degree"],
    }
