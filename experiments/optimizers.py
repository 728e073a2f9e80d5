"""Notes 2.1-2.2 as a race: torch's optimizers against Quickprop, Newton and averaged SGD on three problems.

(a) Rosenbrock's function from (-1.2, 1); (b) Fahlman's 10-5-10 encoder with sigmoid units (Fahlman 1988: epochs
until every output is within 0.4 of its target, full batch, sum-of-squares error); (c) logistic regression on the
digits (full batch). Every optimizer gets the best learning rate of a small grid (chosen on the first seed of
(b), on the problem itself for (a) and (c)), so the comparison is between tuned methods. The figure is the notes'
convergence-rate table as a picture: log loss against step.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel

from boltzgym.models.datasets import digits
from boltzgym.models.optim.optimizers import Newton, Quickprop, polynomial_averaging
from boltzgym.utils.plotting import new_figure, save_figure
from boltzgym.utils.validation import setting_ranges

# name -> (constructor(params, lr), learning-rate grid)
OPTIMIZERS: dict[str, tuple[Callable, tuple[float, ...]]] = {
    "sgd": (lambda p, lr: torch.optim.SGD(p, lr=lr), (1e-4, 1e-3, 1e-2, 0.1, 1.0)),
    "momentum": (lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9), (1e-4, 1e-3, 1e-2, 0.03, 0.1, 0.3, 1.0, 3.0)),
    "nesterov": (lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True), (1e-4, 1e-3, 1e-2, 0.1, 1.0)),
    "rmsprop": (lambda p, lr: torch.optim.RMSprop(p, lr=lr, alpha=0.9), (1e-4, 1e-3, 1e-2, 0.1)),
    "rprop": (lambda p, lr: torch.optim.Rprop(p, lr=lr), (1e-3, 1e-2, 0.1)),
    "adam": (lambda p, lr: torch.optim.Adam(p, lr=lr), (1e-3, 1e-2, 0.1)),
    "quickprop": (lambda p, lr: Quickprop(p, lr=lr), (1e-4, 1e-3, 1e-2, 0.1, 1.0, 4.0)),
    "newton": (lambda p, lr: Newton(p, lr=lr, damping=1e-3), (1.0,)),
    "averaged-sgd": (lambda p, lr: torch.optim.SGD(p, lr=lr), (1e-4, 1e-3, 1e-2, 0.1, 1.0)),
}


def _run(name: str, lr: float, params: list[torch.Tensor], loss_fn: Callable[[], torch.Tensor], steps: int,
         done: Callable[[], bool]) -> tuple[list[float], int | None, float]:  # fmt: skip
    """Minimise ``loss_fn`` over ``params`` for up to ``steps`` steps; returns (losses, steps to done, seconds).

    For averaged SGD the reported loss (and ``done``) is that of the polynomial average of the iterates.
    """
    optimizer = OPTIMIZERS[name][0](params, lr)
    averaged = (
        AveragedModel(nn.ParameterList(params), avg_fn=polynomial_averaging(3.0)) if name == "averaged-sgd" else None
    )
    losses, reached = [], None
    tick = time.perf_counter()
    for step in range(1, steps + 1):
        if name == "newton":
            optimizer.step(loss_fn)
        else:
            optimizer.zero_grad()
            loss_fn().backward()
            optimizer.step()
        if averaged is not None:
            averaged.update_parameters(nn.ParameterList(params))
            saved = [p.detach().clone() for p in params]
            with torch.no_grad():
                for p, a in zip(params, averaged.module):
                    p.copy_(a)
        with torch.no_grad():
            loss = float(loss_fn())
            finished = done()
        if averaged is not None:
            with torch.no_grad():
                for p, s in zip(params, saved):
                    p.copy_(s)
        losses.append(loss)
        if not math.isfinite(loss):
            break
        if finished:
            reached = step
            break
    return losses, reached, time.perf_counter() - tick


def _best(results: list[tuple[float, list[float], int | None, float]]) -> tuple[float, list[float], int | None, float]:
    """The learning rate that reached the target first, else the lowest final finite loss."""

    def key(item):
        lr, losses, reached, _ = item
        final = losses[-1] if losses and math.isfinite(losses[-1]) else math.inf
        return (0, reached, final) if reached is not None else (1, math.inf, final)

    return min(results, key=key)


def _rosenbrock(w: torch.Tensor) -> Callable[[], torch.Tensor]:
    return lambda: (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2


def rosenbrock_race(steps: int = 3000, target: float = 1e-6) -> dict:
    """(a) Rosenbrock from (-1.2, 1): steps until f < ``target``, per optimizer at its best learning rate."""
    out = {}
    for name, (_, grid) in OPTIMIZERS.items():
        results = []
        for lr in grid:
            w = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
            loss_fn = _rosenbrock(w)
            losses, reached, seconds = _run(name, lr, [w], loss_fn, steps, lambda f=loss_fn: float(f()) < target)
            results.append((lr, losses, reached, seconds))
        lr, losses, reached, seconds = _best(results)
        out[name] = {"lr": lr, "steps_to_target": reached, "final_loss": losses[-1], "seconds": seconds,
                     "losses": losses}  # fmt: skip
    return out


def _encoder_problem(seed: int):
    """Fahlman's 10-5-10 encoder: 10 one-hot patterns through 5 sigmoid hidden units to 10 sigmoid outputs."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.eye(10, dtype=torch.float64)
    model = nn.Sequential(nn.Linear(10, 5), nn.Sigmoid(), nn.Linear(5, 10), nn.Sigmoid()).double()
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-1.0, 1.0, generator=generator)  # Fahlman: random weights in [-1, 1]
    params = list(model.parameters())
    loss_fn = lambda: 0.5 * ((model(x) - x) ** 2).sum()  # noqa: E731  (sum-of-squares error)
    done = lambda: bool(((model(x) - x).abs() < 0.4).all())  # noqa: E731
    return params, loss_fn, done


def encoder_race(seeds: int = 8, max_epochs: int = 3000, names=("momentum", "adam", "rprop", "quickprop")) -> dict:
    """(b) The 10-5-10 encoder: mean epochs to solve over ``seeds`` (a failure counts ``max_epochs``)."""
    out = {}
    for name in names:
        grid = OPTIMIZERS[name][1]
        tuning = []
        for lr in grid:
            params, loss_fn, done = _encoder_problem(0)
            tuning.append((lr, *_run(name, lr, params, loss_fn, max_epochs, done)))
        lr = _best(tuning)[0]
        epochs, seconds = [], 0.0
        for seed in range(1, seeds + 1):  # held-out seeds, not the one the rate was chosen on
            params, loss_fn, done = _encoder_problem(seed)
            losses, reached, elapsed = _run(name, lr, params, loss_fn, max_epochs, done)
            epochs.append(reached if reached is not None else max_epochs)
            seconds += elapsed
        out[name] = {"lr": lr, "mean_epochs": float(np.mean(epochs)), "solved": sum(e < max_epochs for e in epochs),
                     "seeds": seeds, "epochs": epochs, "seconds": seconds, "losses": losses}  # fmt: skip
    return out


def logistic_race(steps: int = 150, names=None) -> dict:
    """(c) Softmax regression on the digits, full batch: the loss after ``steps`` steps per optimizer."""
    data = digits()
    x, y = torch.from_numpy(data.x_train).double(), torch.from_numpy(data.y_train)
    out = {}
    for name in names or OPTIMIZERS:
        grid = OPTIMIZERS[name][1]
        results = []
        for lr in grid:
            model = nn.Linear(x.shape[1], 10).double()
            nn.init.zeros_(model.weight), nn.init.zeros_(model.bias)
            loss_fn = lambda model=model: nn.functional.cross_entropy(model(x), y) + 1e-3 * (model.weight**2).sum()  # noqa: E731
            n_steps = min(steps, 5) if name == "newton" else steps  # a Newton step costs 650 gradient passes
            results.append((lr, *_run(name, lr, list(model.parameters()), loss_fn, n_steps, lambda: False)))
        lr, losses, _, seconds = min(results, key=lambda r: r[1][-1] if math.isfinite(r[1][-1]) else math.inf)
        out[name] = {"lr": lr, "final_loss": losses[-1], "seconds": seconds, "steps": len(losses), "losses": losses}
    return out


@setting_ranges(encoder_seeds=(1, 1000))
def optimizers_experiment(out_dir, seed: int = 0, progress: bool = False, encoder_seeds: int = 8) -> dict:
    """Run the three races, write ``optimizers.png`` (log loss vs step) and return the figures."""
    torch.manual_seed(seed)
    tick = time.perf_counter()
    rosenbrock = rosenbrock_race()
    encoder = encoder_race(seeds=encoder_seeds)
    logistic = logistic_race()
    fig, axes = new_figure(1, 3, figsize=(15, 4.2))
    for ax, (title, race) in zip(
        axes,
        [("(a) Rosenbrock from (-1.2, 1)", rosenbrock), ("(b) 10-5-10 encoder, last seed", encoder),
         ("(c) logistic regression, digits", logistic)],
    ):  # fmt: skip
        for name, row in race.items():
            losses = np.maximum(np.asarray(row["losses"], dtype=float), 1e-16)
            ax.plot(np.arange(1, len(losses) + 1), losses, label=f"{name} (lr {row['lr']:g})", linewidth=1.2)
        ax.set_yscale("log")
        ax.set_xscale("log")
        ax.set_xlabel("step (epoch)")
        ax.set_ylabel("loss")
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("notes 2.1-2.2: each optimizer at the best learning rate of its grid", fontsize=10)
    save_figure(fig, Path(out_dir) / "optimizers.png")
    strip = lambda race: {k: {kk: vv for kk, vv in v.items() if kk != "losses"} for k, v in race.items()}  # noqa: E731
    ratio = encoder["quickprop"]["mean_epochs"] / encoder["momentum"]["mean_epochs"]
    return {
        "rosenbrock": strip(rosenbrock),
        "encoder": strip(encoder),
        "logistic": strip(logistic),
        "quickprop_over_momentum_epochs": ratio,
        "seconds": time.perf_counter() - tick,
    }
