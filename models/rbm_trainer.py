"""The RBM of ``boltzgym fit rbm``: :class:`boltzgym.sims.rbm.RBM` trained on a binary dataset (notes 5.3), with
its log-likelihood per epoch (exact when a layer has at most 25 units, else by annealed importance sampling,
Salakhutdinov & Murray 2008) and plots of that curve, model samples and the learned filters.

The ``--set`` keys are the RBM's constructor parameters with the constructor's defaults (scikit-learn's
``BernoulliRBM`` names: ``n_components``, ``learning_rate``, ``n_iter`` = the epochs, which ``--epochs``
overrides), plus the evaluation settings of :func:`boltzgym.sims.rbm.fit_with_log_likelihood` with its defaults:
one source of defaults, the Python API's. ``fit --seed`` is the RBM's ``random_state``.

The RBM trains in one call and saves its checkpoint at the end: ``resume`` reuses a finished checkpoint of the same
settings (the run is reported again, not retrained); a run without one trains from the start.
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import numpy as np

from boltzgym.models.config import model_config, model_kwargs
from boltzgym.sims.rbm import RBM, fit_with_log_likelihood
from boltzgym.utils.metrics import write_metrics
from boltzgym.utils.plotting import new_figure, save_figure


@dataclasses.dataclass
class RBMReport:
    """What ``fit rbm`` adds to the RBM's own keys."""

    eval_every: int | None = None  # epochs between log-likelihood evaluations (none: ~100 exact or 5 AIS per run)


RBMConfig = model_config(
    "RBMConfig",
    RBM,
    exclude=("random_state", "verbose"),  # fit's --seed is random_state; the log is fit's progress bar
    extra=((fit_with_log_likelihood, ("ais_chains", "ais_betas")),),
    bases=(RBMReport,),
    doc="The ``--set`` keys of ``boltzgym fit rbm``: RBM's constructor parameters (its defaults), ``ais_chains`` and "
    "``ais_betas`` (fit_with_log_likelihood's defaults), and ``eval_every``.",
)
"""The ``--set`` keys of ``boltzgym fit rbm``: RBM's constructor parameters (its defaults), ``ais_chains`` and
``ais_betas`` (fit_with_log_likelihood's defaults), and ``eval_every``."""


def rbm_parameters(config) -> dict:
    """The keyword arguments of ``RBM(...)`` in ``config``."""
    return model_kwargs(config)


def build_rbm(config, dataset, seed: int = 0) -> RBM:
    """The untrained RBM of ``config`` (``fit --seed`` is its ``random_state``)."""
    return RBM(random_state=seed, **rbm_parameters(config))


def train_rbm(config, dataset, *, epochs=None, seed=0, run_dir=None, resume=False, progress=False, device="auto"):
    """Train an RBM on ``dataset``'s (binary) training rows; returns the ``fit`` summary (see the module docstring)
    with ``final_log_likelihood``, ``log_likelihood_method``/``_stderr``, ``optimum_log_likelihood`` (where the
    dataset knows it), ``pseudo_log_likelihood`` and ``gradient_estimator`` (``cd-k``/``pcd-k``)."""
    from boltzgym.sims import rbm_eval
    from boltzgym.utils.checkpoint import is_checkpoint

    if device not in ("auto", "cpu"):
        raise ValueError(f"device: the RBM runs on the CPU (Numba kernels), got {device!r}")
    from boltzgym.utils.resources import array_bytes, check_memory

    X = rbm_eval.check_binary("data", dataset.x_train)
    parameters = rbm_parameters(config)
    shape = (parameters["n_components"], X.shape[1])  # W, its velocity and the copies an epoch keeps
    check_memory(4 * array_bytes(shape, np.float64, "n_components"), "n_components", f"an RBM of {shape} weights")
    if epochs is not None:
        parameters["n_iter"] = epochs
    rbm = RBM(random_state=seed, **parameters)  # build_rbm, with --epochs as n_iter
    exact = min(rbm.n_components, X.shape[1]) <= rbm_eval.MAX_EXACT_UNITS
    method = "exact" if exact else "ais"
    eval_every = config.eval_every or max(1, rbm.n_iter // (100 if exact else 5))
    checkpoint = None if run_dir is None else Path(run_dir) / "checkpoint"
    start = time.perf_counter()
    resumed = resume and checkpoint is not None and is_checkpoint(checkpoint)
    if resumed:
        rbm = _finished_run(checkpoint, rbm)
        history = _read_history(Path(run_dir) / "metrics.csv")
    else:
        history = fit_with_log_likelihood(
            rbm, X, method=method, eval_every=eval_every, ais_chains=config.ais_chains, ais_betas=config.ais_betas,
            progress=progress,
        )  # fmt: skip
    seconds = time.perf_counter() - start
    final = history[-1]
    summary = {
        "n_parameters": int(rbm.components_.size + rbm.intercept_visible_.size + rbm.intercept_hidden_.size),
        "epochs": rbm.n_iter,
        "train_loss": None,
        "test_loss": -final["log_likelihood"],  # the negative log-likelihood (nats per row)
        "test_accuracy": None,
        "final_log_likelihood": final["log_likelihood"],
        "log_likelihood_method": method,
        "log_likelihood_stderr": final["log_likelihood_stderr"],
        "optimum_log_likelihood": dataset.metadata.get("optimum_log_likelihood"),
        "gradient_estimator": f"{'pcd' if rbm.persistent else 'cd'}-{rbm.cd_k}",
        "seconds": round(seconds, 3),
        "history": history,
        "checkpoint": None,
        "model": rbm,
    }
    if resumed:  # the finished run's files stay; its generator continues where the checkpoint left it
        summary["checkpoint"] = str(checkpoint)
    elif run_dir is not None:
        write_metrics(run_dir, history, step="epoch")
        write_plots(Path(run_dir), summary, dataset.name, history, rbm, X)
        summary["checkpoint"] = str(rbm.save(checkpoint))
    if rbm.visible_units == "bernoulli":  # drawn last: its random flips must not shift the plotted samples
        summary["pseudo_log_likelihood"] = float(rbm.score_samples(X).mean())
    return summary


def _finished_run(checkpoint: Path, rbm: RBM) -> RBM:
    """The RBM of a finished run in ``checkpoint``, refused (naming ``resume``) when its settings differ."""
    loaded = RBM.load(checkpoint)
    if loaded.get_params() != rbm.get_params():
        changed = sorted(k for k, v in rbm.get_params().items() if loaded.get_params().get(k) != v)
        raise ValueError(f"resume: the checkpoint in {checkpoint} was trained with other settings ({changed})")
    return loaded


def _read_history(path: Path) -> list[dict]:
    import csv

    if not path.is_file():
        raise ValueError(f"resume: {path} is missing; the run's log-likelihood history cannot be reported")
    with open(path, newline="") as handle:
        return [{key: float(value) if key != "epoch" else int(value) for key, value in row.items()} for row in
                csv.DictReader(handle)]  # fmt: skip


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


def write_plots(out_dir: Path, summary: dict, data: str, history: list[dict], rbm, X, n_samples: int = 36) -> None:
    """log_likelihood.png, samples.png and filters.png in ``out_dir``."""
    side = int(round(math.sqrt(X.shape[1])))
    fig, ax = new_figure(figsize=(6, 4))
    epochs = [row["epoch"] for row in history]
    values = np.array([row["log_likelihood"] for row in history])
    errors = np.array([row["log_likelihood_stderr"] for row in history])
    ax.plot(epochs, values, marker="." if len(epochs) < 30 else None, label=f"RBM ({summary['gradient_estimator']})")
    if np.any(errors > 0):
        ax.fill_between(epochs, values - 3 * errors, values + 3 * errors, alpha=0.3, label="AIS ±3 s.e.")
    if summary["optimum_log_likelihood"] is not None:
        ax.axhline(summary["optimum_log_likelihood"], color="k", linestyle="--", label="optimum")
    ax.set_xlabel("epoch")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel(f"mean log-likelihood (nats, {summary['log_likelihood_method']})")
    ax.set_title(f"{data}, {rbm.n_components} hidden units")
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
