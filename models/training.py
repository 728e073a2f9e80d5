"""The one training loop of boltzgym: :func:`fit` trains every torch model of ``boltzgym.models``.

It reads top to bottom: check the arguments, split off a validation set, (resume from a checkpoint), then per
epoch: shuffle, step through mini-batches (forward, loss, backward, clip, optimizer step), validate, record a row
of metrics, checkpoint, stop early when asked. No framework: a model plugs in through one of three hooks.

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

Checkpoints (``run_dir/checkpoint``, via :mod:`boltzgym.utils.checkpoint`): the model's and optimizers' state
dicts (``torch.load(weights_only=True)``), the best weights when early stopping, the history and the loop's
settings as JSON. They are written atomically after each epoch; a non-finite loss stops training with
:class:`TrainingDiverged`, restores the last good weights and keeps the last good checkpoint.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from boltzgym.utils.checkpoint import is_checkpoint, load_checkpoint, save_checkpoint
from boltzgym.utils.metrics import write_csv
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

CHECKPOINT_FORMAT = "boltzgym-fit"
CHECKPOINT_VERSION = 1
OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "rprop": torch.optim.Rprop,
}
CRITERIA: dict[str, Callable[[], nn.Module]] = {"cross_entropy": nn.CrossEntropyLoss, "mse": nn.MSELoss}
# settings that a resumed run must share with the run that wrote the checkpoint
_RESUME_SETTINGS = ("batch_size", "seed", "validation_split", "monitor", "shuffle")

Callback = Callable[[int, dict[str, float], nn.Module], "bool | None"]


class TrainingDiverged(DivergenceError):
    """The loss became NaN or infinite; the model holds the last good weights (and the last checkpoint is kept).

    A ``boltzgym.utils.validation.DivergenceError``: the ``boltzgym`` command exits with status 3."""


@dataclass
class FitResult:
    """What :func:`fit` returns.

    Attributes:
        history: one dict per epoch: ``epoch``, ``train_loss`` (mean over the epoch's batches), ``losses/<name>``
            for named losses, ``val_loss``/``val_accuracy`` with validation, ``grad_norm`` with clipping, ``lr``,
            ``seconds``.
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


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; anything else as ``torch.device``."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or a torch.device, got {device!r}") from exc


@contextlib.contextmanager
def torch_threads(n_threads: int):
    """Run a block with ``n_threads`` torch intra-op threads (0: leave torch's setting), restored afterwards.

    Small models (8x8 images, the karate graph) train fastest on one thread: on a shared 2-core machine two
    threads made a ResNet epoch on digits 8x slower and the karate GNN 40x slower (measured under load)."""
    n_threads = check_int("threads", n_threads, minimum=0)
    previous = torch.get_num_threads()
    if n_threads:
        torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def make_optimizer(name: str, parameters, lr: float, **kwargs) -> torch.optim.Optimizer:
    """A torch optimizer by name (``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``, ``"rprop"``); ``lr`` > 0."""
    lr = check_positive("lr", lr)
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)} or a torch.optim.Optimizer, got {name!r}")
    return OPTIMIZERS[name](parameters, lr=lr, **kwargs)


def as_tensors(data, name: str = "data") -> tuple[torch.Tensor, ...]:
    """``data`` (a tuple of arrays/tensors with equal first axes, or a ``Dataset`` record) as CPU tensors.

    Floats become float32, integers int64. Raises ``ValueError`` naming ``name`` for empty data, unequal row
    counts or non-finite values."""
    if hasattr(data, "train") and hasattr(data, "x_train"):
        data = data.train
    if isinstance(data, (np.ndarray, torch.Tensor)):
        data = (data,)
    if not isinstance(data, Sequence) or len(data) == 0:
        raise TypeError(f"{name} must be a tuple of arrays (x, y) or (x,), got {type(data).__name__}")
    tensors = []
    for index, array in enumerate(data):
        tensor = torch.as_tensor(np.asarray(array) if not isinstance(array, torch.Tensor) else array)
        if tensor.dtype.is_floating_point:
            tensor = tensor.float()
            if not torch.isfinite(tensor).all():
                rows = (~torch.isfinite(tensor.reshape(len(tensor), -1))).any(dim=1).nonzero().flatten()
                raise ValueError(f"{name}[{index}] holds NaN or inf (first in row {int(rows[0])})")
        elif tensor.dtype != torch.bool:
            tensor = tensor.long()
        if tensor.ndim == 0 or len(tensor) == 0:
            raise ValueError(f"{name}[{index}] must have at least one row, got shape {tuple(tensor.shape)}")
        tensors.append(tensor)
    if len({len(t) for t in tensors}) > 1:
        raise ValueError(f"{name}: arrays have different row counts {[len(t) for t in tensors]}")
    return tuple(tensors)


@torch.no_grad()
def check_data_fits_model(model: nn.Module, tensors: tuple[torch.Tensor, ...], loss: nn.Module) -> None:
    """Run the model on two rows and check that the data fits it: ``ValueError`` naming ``data`` otherwise
    (input width, label range of a classification, target shape of a regression)."""
    if len(tensors) < 2:
        raise ValueError("data must be (x, y) for a criterion loss; pass loss_fn(model, batch) for unlabelled data")
    x, y = tensors[0], tensors[1]
    was_training = model.training
    model.eval()
    try:
        output = model(x[:2])
    except RuntimeError as exc:
        message = str(exc).splitlines()[0]
        raise ValueError(
            f"data x has rows of shape {tuple(x.shape[1:])}, which the model cannot take: {message}"
        ) from None
    finally:
        model.train(was_training)
    if isinstance(loss, nn.CrossEntropyLoss) and not y.dtype.is_floating_point:
        if output.ndim != 2 or y.ndim != 1:
            raise ValueError(f"data y must be 1-D class labels for (batch, classes) outputs, got y {tuple(y.shape)}")
        low, high = int(y.min()), int(y.max())
        if low < 0 or high >= output.shape[1]:
            raise ValueError(f"data y holds labels in [{low}, {high}] but the model outputs {output.shape[1]} classes")
    elif isinstance(loss, nn.MSELoss) and output.shape[1:] != y.shape[1:]:
        raise ValueError(
            f"data y has rows of shape {tuple(y.shape[1:])} but the model outputs {tuple(output.shape[1:])}"
        )


def compute_loss(model: nn.Module, batch: tuple[torch.Tensor, ...], loss) -> tuple[torch.Tensor, dict[str, float]]:
    """The scalar training loss of one batch and its named parts, by hook 1 (criterion) or 2 (``loss_fn``)."""
    if isinstance(loss, nn.Module):
        if len(batch) < 2:
            raise ValueError("data must be (x, y) for a criterion loss; pass loss_fn(model, batch) for unlabelled data")
        output = model(batch[0])
        target = batch[1]
        if isinstance(loss, nn.MSELoss) and output.shape != target.shape:
            raise ValueError(f"y has shape {tuple(target.shape)} but the model outputs {tuple(output.shape)} (mse)")
        return loss(output, target), {}
    value = loss(model, batch)
    if isinstance(value, Mapping):
        parts = {f"losses/{key}": float(part.detach()) for key, part in value.items()}
        total = value["loss"] if "loss" in value else sum(value.values())
        return total, parts
    return value, {}


def train_step(
    model: nn.Module,
    batch: tuple[torch.Tensor, ...],
    loss,
    optimizers: Mapping[str, torch.optim.Optimizer],
    regularizer: Callable[[nn.Module], torch.Tensor] | None = None,
    clip_grad_norm: float | None = None,
) -> tuple[float, dict[str, float]]:
    """One update on one mini-batch; returns ``(loss value before the step, named parts)``.

    The forward/backward pass is the closure given to ``optimizer.step(closure)``, so optimizers that re-evaluate
    the loss (``torch.optim.LBFGS``, a Newton method) work unchanged. Nothing is updated when the loss is not finite
    (the caller stops). ``loss=None``: the model's own ``training_step`` (hook 3)."""
    if loss is None:
        values = _step(model, batch, optimizers)
        values = {k: float(v.detach()) if torch.is_tensor(v) else float(v) for k, v in values.items()}
        step_loss = values["loss"] if "loss" in values else sum(values.values())
        return step_loss, {f"losses/{k}": v for k, v in values.items() if k != "loss"}
    (optimizer,) = optimizers.values()
    first: dict = {}

    def closure() -> torch.Tensor:  # step(closure) evaluates it once (SGD, Adam) or several times (LBFGS, Newton)
        optimizer.zero_grad(set_to_none=True)
        total, parts = compute_loss(model, batch, loss)
        if regularizer is not None:
            total = total + regularizer(model)  # notes 2.3: L1/L2 penalties
        value = float(total.detach())
        if math.isfinite(value):  # else no gradients: the optimizer skips every parameter, the caller stops
            total.backward()
            if clip_grad_norm is not None:
                parts["grad_norm"] = float(nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm))  # notes 2.3
        if not first:
            first.update(loss=value, parts=parts)
        return total

    optimizer.step(closure)
    return first["loss"], first["parts"]


@torch.no_grad()
def evaluate(model: nn.Module, data, loss, batch_size: int = 1024, device="auto") -> dict[str, float]:
    """Mean loss over ``data`` in eval mode, plus ``accuracy`` for a cross-entropy criterion.

    ``loss`` is as in :func:`fit` (a criterion name, module, or ``loss_fn``); returns ``{"loss": ..., ...}``."""
    loss = _criterion(loss)
    device = resolve_device(device)
    tensors = as_tensors(data)
    was_training = model.training
    model.eval()
    total, correct, count, parts_sum = 0.0, 0, 0, {}
    classify = isinstance(loss, nn.CrossEntropyLoss)
    for start in range(0, len(tensors[0]), batch_size):
        batch = tuple(t[start : start + batch_size].to(device) for t in tensors)
        if classify:  # one forward pass for the loss and the accuracy
            output = model(batch[0])
            value, parts = loss(output, batch[1]), {}
            correct += int((output.argmax(dim=1) == batch[1]).sum())
        else:
            value, parts = compute_loss(model, batch, loss)
        total += float(value) * len(batch[0])
        for key, part in parts.items():
            parts_sum[key] = parts_sum.get(key, 0.0) + part * len(batch[0])
        count += len(batch[0])
    model.train(was_training)
    result = {"loss": total / count, **{key: value / count for key, value in parts_sum.items()}}
    if classify:
        result["accuracy"] = correct / count
    return result


def fit(
    model: nn.Module,
    data,
    loss: str | nn.Module | Callable | None = "cross_entropy",
    optimizer: str | torch.optim.Optimizer | Mapping[str, torch.optim.Optimizer] = "adam",
    epochs: int = 10,
    batch_size: int = 64,
    *,
    lr: float = 1e-3,
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
        optimizer: a name of :data:`OPTIMIZERS` (built with ``lr``), an optimizer, or a dict of named optimizers
            (for ``training_step``).
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
    input_noise = check_positive("input_noise", input_noise, allow_zero=True)
    checkpoint_every = check_int("checkpoint_every", checkpoint_every, minimum=1)
    if resume and run_dir is None:
        raise ValueError("resume=True needs run_dir (the folder holding checkpoint/)")
    custom_step = loss is None
    if custom_step and not callable(getattr(model, "training_step", None)):
        raise ValueError("loss is None: the model must define training_step(batch, optimizers)")
    loss = None if custom_step else _criterion(loss)
    device = resolve_device(device)
    model.to(device)
    optimizers = _optimizers(optimizer, model, lr)

    # --- data: tensors on the device, a fixed validation subset ------------------------------------------------
    tensors = as_tensors(data, "data")
    if validation_data is not None:
        validation = as_tensors(validation_data, "validation_data")
    elif validation_split > 0:
        order = torch.from_numpy(np.random.default_rng([seed, 1]).permutation(len(tensors[0])))
        n_validation = max(1, int(round(validation_split * len(order))))
        if n_validation >= len(order):
            raise ValueError(f"validation_split={validation_split} leaves no training rows of {len(order)}")
        validation = tuple(t[order[:n_validation]] for t in tensors)
        tensors = tuple(t[order[n_validation:]] for t in tensors)
    else:
        validation = None
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
    result = FitResult()
    best = {"value": math.inf, "epoch": 0, "state": None, "bad_epochs": 0}
    checkpoint_dir = None if run_dir is None else Path(run_dir) / "checkpoint"
    if resume and checkpoint_dir is not None and is_checkpoint(checkpoint_dir, CHECKPOINT_FORMAT):
        result.history, best, result.stop_reason = _load_state(checkpoint_dir, model, optimizers, settings, device)
        result.best_epoch = best["epoch"]
    first_epoch = len(result.history) + 1 if result.stop_reason == "epochs" else epochs + 1  # stopped runs stay so
    last_good_state = copy.deepcopy(model.state_dict())
    last_checkpoint = len(result.history) if result.history else None

    # --- the loop ----------------------------------------------------------------------------------------------
    bar = progress_bar(total=epochs, initial=min(first_epoch - 1, epochs), desc="fit", unit="epoch", enabled=progress)
    n_rows = len(tensors[0])
    for epoch in range(first_epoch, epochs + 1):
        epoch_start = time.perf_counter()
        model.train()
        sums: dict[str, float] = {}
        n_batches = 0
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed * 1_000_003 + epoch)  # epoch e's randomness depends on (seed, e) only
            if shuffle:
                order = torch.from_numpy(np.random.default_rng([seed, 2, epoch]).permutation(n_rows)).to(device)
            else:
                order = torch.arange(n_rows, device=device)
            for batch_start in range(0, n_rows, batch_size):
                index = order[batch_start : batch_start + batch_size]
                batch = tuple(t[index] for t in tensors)
                if input_noise > 0 and batch[0].dtype.is_floating_point:
                    batch = (batch[0] + input_noise * torch.randn_like(batch[0]), *batch[1:])  # notes 2.3
                try:
                    step_loss, parts = train_step(model, batch, loss, optimizers, regularizer, clip_grad_norm)
                except KeyboardInterrupt:
                    _write_metrics(run_dir, result.history)
                    where = "" if last_checkpoint is None else f"; the checkpoint of epoch {last_checkpoint} is kept"
                    raise KeyboardInterrupt(f"interrupted in epoch {epoch}{where} (resume=True continues)") from None
                if not math.isfinite(step_loss):
                    model.load_state_dict(last_good_state)
                    _write_metrics(run_dir, result.history)
                    kept = (
                        f"; the last good checkpoint (epoch {last_checkpoint}) is kept in {checkpoint_dir}"
                        if (checkpoint_dir is not None and last_checkpoint is not None)
                        else ""
                    )
                    raise TrainingDiverged(
                        f"training diverged at epoch {epoch}, batch {n_batches + 1}: the loss is {step_loss}; the "
                        f"model holds the weights of epoch {epoch - 1}{kept}. Lower lr or set clip_grad_norm."
                    )
                sums["train_loss"] = sums.get("train_loss", 0.0) + step_loss
                for key, value in parts.items():
                    sums[key] = sums.get(key, 0.0) + value
                n_batches += 1
        row: dict[str, float] = {"epoch": epoch, **{key: value / n_batches for key, value in sums.items()}}
        if validation is not None:
            scores = evaluate(model, validation, validation_loss, batch_size=max(batch_size, 1024), device=device)
            row.update({f"val_{key.replace('losses/', '')}": value for key, value in scores.items()})
        row["lr"] = float(next(iter(optimizers.values())).param_groups[0]["lr"])
        row["seconds"] = time.perf_counter() - epoch_start
        result.history.append(row)
        report(**row)  # for a sweep's early-stopping scheduler (a no-op unless one listens)
        last_good_state = copy.deepcopy(model.state_dict())

        # early stopping (notes 2.3): remember the best weights, stop after `patience` epochs without improvement
        stop_reason = None
        if row[monitor] < best["value"]:
            best = {"value": row[monitor], "epoch": epoch, "state": None, "bad_epochs": 0}
            if early_stopping_patience is not None:
                best["state"] = copy.deepcopy(model.state_dict())
        else:
            best["bad_epochs"] += 1
            if early_stopping_patience is not None and best["bad_epochs"] >= early_stopping_patience:
                stop_reason = "early_stopping"
        for callback in callbacks:
            if callback(epoch, dict(row), model) is False:
                stop_reason = stop_reason or "callback"
        if checkpoint_dir is not None and (epoch % checkpoint_every == 0 or epoch == epochs or stop_reason):
            _save_state(checkpoint_dir, model, optimizers, settings, result.history, best, stop_reason or "epochs")
            last_checkpoint = epoch
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


# --- helpers the loop calls ----------------------------------------------------------------------------------


def _criterion(loss) -> nn.Module | Callable:
    if isinstance(loss, str):
        if loss not in CRITERIA:
            raise ValueError(
                f"loss must be one of {sorted(CRITERIA)}, an nn.Module or loss_fn(model, batch), got {loss!r}"
            )
        return CRITERIA[loss]()
    if isinstance(loss, nn.Module) or callable(loss):
        return loss
    raise TypeError(f"loss must be a name, an nn.Module or a callable loss_fn(model, batch), got {type(loss).__name__}")


def _optimizers(optimizer, model: nn.Module, lr: float) -> dict[str, torch.optim.Optimizer]:
    """Named optimizers: ``{"optimizer": opt}`` for one, the dict as given for several."""
    if isinstance(optimizer, str):
        parameters = [p for p in model.parameters() if p.requires_grad]
        if not parameters:
            raise ValueError("model has no trainable parameters")
        return {"optimizer": make_optimizer(optimizer, parameters, lr)}
    if isinstance(optimizer, torch.optim.Optimizer):
        return {"optimizer": optimizer}
    if (
        isinstance(optimizer, Mapping)
        and optimizer
        and all(isinstance(o, torch.optim.Optimizer) for o in optimizer.values())
    ):
        return dict(optimizer)
    raise TypeError(f"optimizer must be a name, a torch.optim.Optimizer or a dict of them, got {optimizer!r}")


def _step(model: nn.Module, batch, optimizers) -> dict:
    values = model.training_step(batch, optimizers if len(optimizers) > 1 else next(iter(optimizers.values())))
    if not isinstance(values, Mapping) or not values:
        raise TypeError(f"training_step must return a non-empty dict of named losses, got {type(values).__name__}")
    return values


def _validation_step_loss(model: nn.Module):
    step = getattr(model, "validation_step", None)
    return None if not callable(step) else (lambda m, batch: step(batch))


def _write_metrics(run_dir, history) -> None:
    if run_dir is not None and history:
        write_csv(Path(run_dir) / "metrics.csv", history)


def _save_state(path: Path, model, optimizers, settings, history, best, stop_reason: str) -> None:
    """The one place fit writes a checkpoint (through the shared checkpoint-folder writer)."""
    states = {"model.pt": model.state_dict(), "optimizers.pt": {k: o.state_dict() for k, o in optimizers.items()}}
    if best["state"] is not None:
        states["best.pt"] = best["state"]
    config = {
        "settings": settings,
        "history": history,
        "best": {"value": best["value"], "epoch": best["epoch"], "bad_epochs": best["bad_epochs"]},
        "optimizers": sorted(optimizers),
        "stop_reason": stop_reason,
    }
    save_checkpoint(
        path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, config, states=states, counters={"epoch": len(history)}
    )


def _load_state(path: Path, model, optimizers, settings, device) -> tuple[list[dict], dict, str]:
    """The one place fit reads a checkpoint; restores model and optimizers in place and returns
    ``(history, best, stop_reason)`` (a run that stopped early or by a callback is not continued)."""
    checkpoint = load_checkpoint(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, map_location=device)
    saved = checkpoint.config.get("settings", {})
    for key in _RESUME_SETTINGS:
        if saved.get(key) != settings[key]:
            raise ValueError(
                f"resume: {key} is {settings[key]!r} but the checkpoint in {path} was written with {saved.get(key)!r}"
            )
    if sorted(optimizers) != checkpoint.config.get("optimizers"):
        raise ValueError(f"resume: optimizers {sorted(optimizers)} differ from the checkpoint's")
    try:
        model.load_state_dict(checkpoint.states["model.pt"])
        for name, state in checkpoint.states["optimizers.pt"].items():
            optimizers[name].load_state_dict(state)
    except (RuntimeError, KeyError, ValueError) as exc:
        raise checkpoint.error("model.pt", f"does not fit this model: {str(exc).splitlines()[0]}") from exc
    best = dict(checkpoint.config["best"])
    best["value"] = float(best["value"])
    best["state"] = checkpoint.states.get("best.pt")
    return list(checkpoint.config["history"]), best, str(checkpoint.config.get("stop_reason", "epochs"))
