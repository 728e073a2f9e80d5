"""The one training loop of boltzgym: :func:`fit` trains every torch model of ``boltzgym.models``.

It reads top to bottom: check the arguments, split off a validation set, (resume from a checkpoint), then per
epoch: shuffle, step through mini-batches (:func:`_train_epoch`: forward, loss, backward, clip, optimizer step,
in :func:`boltzgym.models.steps.train_step`), validate, record a row of metrics, checkpoint, stop early when asked.
No framework: a model plugs in through one of three hooks.

1. A plain ``input -> output`` model and a criterion, ``loss="cross_entropy"``, ``"mse"`` or an ``nn.Module``
   such as ``nn.CrossEntropyLoss(label_smoothing=0.1)``: the loss is ``criterion(model(x), y)``::

       fit(model, (x, y), loss="cross_entropy", optimizer="adam", epochs=20, batch_size=64)

2. Any other single-optimizer model: ``loss`` is a plain function ``loss_fn(model, batch)`` returning a scalar
   tensor or a dict of named scalar tensors (logged as ``losses/<name>``; the total is ``"loss"`` when present,
   else their sum), where ``batch`` is the tuple of tensors of one mini-batch::

       def vae_loss(model, batch):
           recon, kl = model.losses(batch[0])
           return {"reconstruction": recon, "kl": kl}

       fit(vae, (x,), loss=vae_loss, optimizer="adam", epochs=10, batch_size=128)

3. Models with their own update (several optimizers, as a GAN): the model defines
   ``training_step(batch, optimizers) -> dict of floats/tensors`` doing its own ``zero_grad``/``backward``/``step``,
   and ``optimizer`` is a dict of named optimizers (all checkpointed)::

       class GAN(nn.Module):
           def training_step(self, batch, optimizers):
               d_opt, g_opt = optimizers["discriminator"], optimizers["generator"]
               d_loss = ...; d_opt.zero_grad(); d_loss.backward(); d_opt.step()
               g_loss = ...; g_opt.zero_grad(); g_loss.backward(); g_opt.step()
               return {"d_loss": d_loss, "g_loss": g_loss}

       fit(gan, (x,), loss=None, optimizer={"generator": g_opt, "discriminator": d_opt}, epochs=50, batch_size=64)

   Validation then uses ``loss`` when given (hooks 1-2) or the model's ``validation_step(batch) -> dict`` if it has
   one; otherwise there is no validation.

Reproducibility: the shuffle of epoch ``e`` and the torch random numbers drawn during it (dropout, noise) come
from ``(seed, e)`` alone (inside ``torch.random.fork_rng``, so the caller's global RNG is untouched). A run resumed
from the checkpoint of epoch ``e`` therefore continues exactly as the uninterrupted run would (on CPU).

Checkpoints (``run_dir/checkpoint``, :mod:`boltzgym.models.fit_checkpoint`): the model's and optimizers' state
dicts (``torch.load(weights_only=True)``), the best weights when early stopping, the history and the loop's
settings as JSON. They are written atomically after each epoch; a non-finite loss stops training with
:class:`TrainingDiverged`, restores the last good weights and keeps the last good checkpoint.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from boltzgym.models.fit_checkpoint import (  # noqa: F401  (the checkpoint format is part of fit's interface)
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    has_checkpoint,
    load_state,
    save_state,
)
from boltzgym.models.steps import (  # noqa: F401  (re-exported: the pieces fit calls, usable on their own)
    CRITERIA,
    OPTIMIZERS,
    as_tensors,
    check_data_fits_model,
    compute_loss,
    criterion,
    evaluate,
    make_optimizer,
    named_optimizers,
    resolve_device,
    torch_threads,
    train_step,
)
from boltzgym.utils.deprecation import renamed_kwargs
from boltzgym.utils.metrics import write_metrics
from boltzgym.utils.progress import progress_bar
from boltzgym.utils.reporting import report
from boltzgym.utils.validation import (
    DivergenceError,
    check_count,
    check_int,
    check_positive,
    check_probability,
    check_seed,
)

Callback = Callable[[int, dict[str, float], nn.Module], "bool | None"]


class TrainingDiverged(DivergenceError):
    """The loss became NaN or infinite; the model holds the last good weights (and the last checkpoint is kept).

    A ``boltzgym.utils.validation.DivergenceError``: the ``boltzgym`` command exits with status 3."""


@dataclass
class FitResult:
    """What :func:`fit` returns.

    Attributes:
        history: one dict per epoch: ``epoch``, ``train_loss`` (mean over the epoch's batches), ``losses/<name>``
            for named losses, ``val_loss``/``val_accuracy`` with validation, ``grad_norm`` with clipping,
            ``learning_rate``, ``seconds``.
        epochs: epochs completed (counting those before a resume).
        stop_reason: ``"epochs"``, ``"early_stopping"`` or ``"callback"``.
        best_epoch: the epoch whose weights the model holds after early stopping (else the last one).
        checkpoint: the checkpoint folder, when ``run_dir`` was given.
        seconds: wall time of this call.
    """

    history: list[dict[str, float]] = field(default_factory=list)
    epochs: int = 0
    stop_reason: str = "epochs"
    best_epoch: int = 0
    checkpoint: Path | None = None
    seconds: float = 0.0

    def last(self, key: str) -> float | None:
        """The last recorded value of metric ``key`` (``None`` when never recorded)."""
        for row in reversed(self.history):
            if key in row:
                return row[key]
        return None


@renamed_kwargs(lr="learning_rate")
def fit(
    model: nn.Module,
    data,
    loss: str | nn.Module | Callable | None = "cross_entropy",
    optimizer: str | torch.optim.Optimizer | Mapping[str, torch.optim.Optimizer] = "adam",
    epochs: int = 10,
    batch_size: int = 64,
    *,
    learning_rate: float = 1e-3,
    validation_split: float = 0.0,
    validation_data=None,
    early_stopping_patience: int | None = None,
    monitor: str | None = None,
    clip_grad_norm: float | None = None,
    regularizer: Callable[[nn.Module], torch.Tensor] | None = None,
    input_noise: float = 0.0,
    callbacks: Sequence[Callback] = (),
    seed: int = 0,
    device: str | torch.device = "auto",
    run_dir: str | Path | None = None,
    resume: bool = False,
    checkpoint_every: int = 1,
    shuffle: bool = True,
    progress: bool = False,
) -> FitResult:
    """Train ``model`` on ``data`` with mini-batch gradient descent; see the module docstring for the hooks.

    Args:
        model: an ``nn.Module`` (trained in place, left on ``device`` and in eval mode).
        data: a tuple ``(x, y)`` / ``(x,)`` of arrays or tensors, or a ``boltzgym.models.datasets.Dataset`` (its
            training arrays; its test set is never used here).
        loss: ``"cross_entropy"``, ``"mse"``, a criterion ``nn.Module``, a ``loss_fn(model, batch)``, or ``None``
            for a model with ``training_step``.
        optimizer: a name of :data:`OPTIMIZERS` (built with ``learning_rate``), an optimizer, or a dict of named
            optimizers (for ``training_step``).
        epochs: total epochs (a resumed run continues up to this count).
        batch_size: rows per mini-batch (the last batch of an epoch may be smaller).
        validation_split: fraction of ``data`` held out (a fixed, seed-drawn subset) to validate on each epoch.
        validation_data: explicit validation arrays instead of a split.
        early_stopping_patience: stop after this many epochs without improvement of ``monitor`` (notes 2.3) and
            restore the best weights; ``None`` trains all epochs.
        monitor: the metric early stopping watches, ``"val_loss"`` (default with validation) or ``"train_loss"``.
        clip_grad_norm: rescale the gradient to at most this 2-norm before each step (the notes suggest 5).
        regularizer: ``penalty(model) -> scalar tensor`` added to the training loss (L1/L2, see
            ``boltzgym.models.optim.regularization``).
        input_noise: standard deviation of Gaussian noise added to float inputs ``x`` while training (notes 2.3).
        callbacks: ``callback(epoch, row, model)`` called after each epoch; returning ``False`` stops training.
        seed: drives the validation split, the shuffles and torch's random numbers during training.
        device: ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``.
        run_dir: folder for ``metrics.csv`` and ``checkpoint/`` (written each epoch); ``None`` writes nothing.
        resume: continue from ``run_dir/checkpoint`` when it exists (the settings must match).
        checkpoint_every: write the checkpoint every this many epochs (and at the last epoch or a stop).
        shuffle: reshuffle the rows each epoch.
        progress: a tqdm bar over epochs on stderr.

    Raises:
        ValueError/TypeError naming the argument on bad input; :class:`TrainingDiverged` on a non-finite loss.
    """
    start_time = time.perf_counter()
    # --- check the arguments -------------------------------------------------------------------------------
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    epochs = check_count("epochs", epochs, minimum=1)
    batch_size = check_count("batch_size", batch_size, minimum=1)
    seed = check_seed("seed", seed) or 0
    validation_split = check_probability("validation_split", validation_split)
    if validation_split >= 1.0:
        raise ValueError(f"validation_split must be < 1, got {validation_split}")
    if early_stopping_patience is not None:
        early_stopping_patience = check_int("early_stopping_patience", early_stopping_patience, minimum=1)
    if clip_grad_norm is not None:
        clip_grad_norm = check_positive("clip_grad_norm", clip_grad_norm)
    learning_rate = check_positive("learning_rate", learning_rate)
    input_noise = check_positive("input_noise", input_noise, allow_zero=True)
    checkpoint_every = check_int("checkpoint_every", checkpoint_every, minimum=1)
    if resume and run_dir is None:
        raise ValueError("resume=True needs run_dir (the folder holding checkpoint/)")
    custom_step = loss is None
    if custom_step and not callable(getattr(model, "training_step", None)):
        raise ValueError("loss is None: the model must define training_step(batch, optimizers)")
    loss = None if custom_step else criterion(loss)
    device = resolve_device(device)
    model.to(device)
    optimizers = named_optimizers(optimizer, model, learning_rate)

    # --- data: tensors on the device, a fixed validation subset ------------------------------------------------
    tensors, validation = _split_validation(data, validation_data, validation_split, seed)
    tensors = tuple(t.to(device) for t in tensors)
    if isinstance(loss, nn.Module):
        check_data_fits_model(model, tensors, loss)
    validation_loss = loss if loss is not None else _validation_step_loss(model)
    if validation_loss is None:
        validation = None
    monitor = monitor or ("val_loss" if validation is not None else "train_loss")
    if monitor not in ("val_loss", "train_loss"):
        raise ValueError(f"monitor must be 'val_loss' or 'train_loss', got {monitor!r}")
    if monitor == "val_loss" and validation is None:
        raise ValueError("monitor='val_loss' needs validation_split > 0 or validation_data")

    # --- state, possibly resumed -----------------------------------------------------------------------------
    settings = {"batch_size": batch_size, "seed": seed, "validation_split": validation_split, "monitor": monitor}
    settings["shuffle"] = shuffle
    # the optimizer that fit builds from a name, and its step size (a given optimizer object is the caller's)
    settings["optimizer"] = optimizer if isinstance(optimizer, str) else "given"
    settings["learning_rate"] = learning_rate if isinstance(optimizer, str) else None
    result = FitResult()
    best = {"value": math.inf, "epoch": 0, "state": None, "bad_epochs": 0}
    checkpoint_dir = None if run_dir is None else Path(run_dir) / "checkpoint"
    if resume and checkpoint_dir is not None and has_checkpoint(checkpoint_dir):
        result.history, best, result.stop_reason = load_state(checkpoint_dir, model, optimizers, settings, device)
        result.best_epoch = best["epoch"]
    first_epoch = len(result.history) + 1 if result.stop_reason == "epochs" else epochs + 1  # stopped runs stay so
    guard = _DivergenceGuard(model, run_dir, checkpoint_dir, len(result.history) if result.history else None)

    # --- the loop: train an epoch, validate, record, stop early, checkpoint ------------------------------------
    bar = progress_bar(total=epochs, initial=min(first_epoch - 1, epochs), desc="fit", unit="epoch", enabled=progress)
    for epoch in range(first_epoch, epochs + 1):
        epoch_start = time.perf_counter()
        row = {"epoch": epoch}
        row |= _train_epoch(model, tensors, loss, optimizers, epoch, seed, device, batch_size, shuffle, input_noise,
                            regularizer, clip_grad_norm, guard, result)  # fmt: skip
        if validation is not None:
            scores = evaluate(model, validation, validation_loss, batch_size=max(batch_size, 1024), device=device)
            row.update({f"val_{key.replace('losses/', '')}": value for key, value in scores.items()})
        row["learning_rate"] = float(next(iter(optimizers.values())).param_groups[0]["lr"])
        row["seconds"] = time.perf_counter() - epoch_start
        result.history.append(row)
        report(**row)  # for a sweep's early-stopping scheduler (a no-op unless one listens)
        guard.epoch_done(epoch)
        stop_reason = _early_stopping(best, row, monitor, early_stopping_patience, model, epoch)
        for callback in callbacks:
            if callback(epoch, dict(row), model) is False:
                stop_reason = stop_reason or "callback"
        if checkpoint_dir is not None and (epoch % checkpoint_every == 0 or epoch == epochs or stop_reason):
            save_state(checkpoint_dir, model, optimizers, settings, result.history, best, stop_reason or "epochs")
            guard.last_checkpoint = epoch
        _write_metrics(run_dir, result.history)
        bar.update(1)
        bar.set_postfix({key: f"{row[key]:.4g}" for key in ("train_loss", "val_loss", "val_accuracy") if key in row})
        if stop_reason:
            result.stop_reason = stop_reason
            break
    bar.close()

    if early_stopping_patience is not None and best["state"] is not None:
        model.load_state_dict(best["state"])
    result.best_epoch = best["epoch"] if early_stopping_patience is not None else len(result.history)
    result.epochs = len(result.history)
    result.checkpoint = checkpoint_dir
    result.seconds = time.perf_counter() - start_time
    model.eval()
    return result


# --- the parts of the loop -------------------------------------------------------------------------------------


def _split_validation(data, validation_data, validation_split: float, seed: int):
    """``(training tensors, validation tensors or None)``: ``validation_data``, or a fixed seed-drawn subset."""
    tensors = as_tensors(data, "data")
    if validation_data is not None:
        return tensors, as_tensors(validation_data, "validation_data")
    if validation_split == 0:
        return tensors, None
    order = torch.from_numpy(np.random.default_rng([seed, 1]).permutation(len(tensors[0])))
    n_validation = max(1, int(round(validation_split * len(order))))
    if n_validation >= len(order):
        raise ValueError(f"validation_split={validation_split} leaves no training rows of {len(order)}")
    return tuple(t[order[n_validation:]] for t in tensors), tuple(t[order[:n_validation]] for t in tensors)


def _train_epoch(model, tensors, loss, optimizers, epoch, seed, device, batch_size, shuffle, input_noise,
                 regularizer, clip_grad_norm, guard, result) -> dict[str, float]:  # fmt: skip
    """One pass over the shuffled mini-batches; the epoch's mean training loss (and named parts)."""
    model.train()
    sums: dict[str, float] = {}
    n_batches = 0
    n_rows = len(tensors[0])
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed * 1_000_003 + epoch)  # epoch e's randomness depends on (seed, e) only
        if shuffle:
            order = torch.from_numpy(np.random.default_rng([seed, 2, epoch]).permutation(n_rows)).to(device)
        else:
            order = torch.arange(n_rows, device=device)
        for batch_start in range(0, n_rows, batch_size):
            batch = tuple(t[order[batch_start : batch_start + batch_size]] for t in tensors)
            if input_noise > 0 and batch[0].dtype.is_floating_point:
                batch = (batch[0] + input_noise * torch.randn_like(batch[0]), *batch[1:])  # notes 2.3
            try:
                step_loss, parts = train_step(model, batch, loss, optimizers, regularizer, clip_grad_norm)
            except KeyboardInterrupt:
                guard.interrupted(epoch, result.history)
            guard.check(step_loss, epoch, n_batches + 1, result.history)
            sums["train_loss"] = sums.get("train_loss", 0.0) + step_loss
            for key, value in parts.items():
                sums[key] = sums.get(key, 0.0) + value
            n_batches += 1
    return {key: value / n_batches for key, value in sums.items()}


def _early_stopping(best: dict, row: dict, monitor: str, patience: int | None, model: nn.Module, epoch: int):
    """Notes 2.3: remember the best epoch (and its weights when early stopping); ``"early_stopping"`` after
    ``patience`` epochs without improvement of ``monitor``, else ``None``."""
    if row[monitor] < best["value"]:
        best.update(value=row[monitor], epoch=epoch, state=None, bad_epochs=0)
        if patience is not None:
            best["state"] = copy.deepcopy(model.state_dict())
        return None
    best["bad_epochs"] += 1
    return "early_stopping" if patience is not None and best["bad_epochs"] >= patience else None


class _DivergenceGuard:
    """Keeps the last good weights; on a non-finite loss restores them and raises :class:`TrainingDiverged`, on
    Ctrl-C writes the metrics and says which checkpoint is kept."""

    def __init__(self, model: nn.Module, run_dir, checkpoint_dir: Path | None, last_checkpoint: int | None) -> None:
        self.model, self.run_dir, self.checkpoint_dir = model, run_dir, checkpoint_dir
        self.last_checkpoint = last_checkpoint
        self.last_good_state = copy.deepcopy(model.state_dict())

    def epoch_done(self, epoch: int) -> None:
        self.last_good_state = copy.deepcopy(self.model.state_dict())

    def check(self, step_loss: float, epoch: int, batch: int, history: list[dict]) -> None:
        if math.isfinite(step_loss):
            return
        self.model.load_state_dict(self.last_good_state)
        _write_metrics(self.run_dir, history)
        kept = (
            f"; the last good checkpoint (epoch {self.last_checkpoint}) is kept in {self.checkpoint_dir}"
            if (self.checkpoint_dir is not None and self.last_checkpoint is not None)
            else ""
        )
        raise TrainingDiverged(
            f"training diverged at epoch {epoch}, batch {batch}: the loss is {step_loss}; the "
            f"model holds the weights of epoch {epoch - 1}{kept}. Lower learning_rate or set clip_grad_norm."
        )

    def interrupted(self, epoch: int, history: list[dict]):
        _write_metrics(self.run_dir, history)
        where = "" if self.last_checkpoint is None else f"; the checkpoint of epoch {self.last_checkpoint} is kept"
        raise KeyboardInterrupt(f"interrupted in epoch {epoch}{where} (resume=True continues)") from None


def _validation_step_loss(model: nn.Module):
    step = getattr(model, "validation_step", None)
    return None if not callable(step) else (lambda m, batch: step(batch))


def _write_metrics(run_dir, history) -> None:
    if run_dir is not None and history:
        write_metrics(run_dir, history, step="epoch")
