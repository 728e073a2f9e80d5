"""The pieces that :func:`boltzgym.models.training.fit` calls for one step: data as tensors, the loss (a criterion
or a ``loss_fn``), optimizers by name, the device, one update (:func:`train_step`) and one evaluation
(:func:`evaluate`). ``fit`` holds the loop; everything here also works on its own (``boltzgym.models.training``
re-exports these names).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from boltzgym.utils.validation import check_int, check_positive

OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "rprop": torch.optim.Rprop,
}
CRITERIA: dict[str, Callable[[], nn.Module]] = {"cross_entropy": nn.CrossEntropyLoss, "mse": nn.MSELoss}


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; anything else as ``torch.device``, refused (``ValueError``
    naming ``--device``) when it is not on this machine, never replaced silently by the CPU."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"--device must be 'auto', 'cpu', 'cuda' or a torch device, got {device!r}") from exc
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"--device {device}: CUDA is not available on this machine (use cpu or auto)")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(f"--device {device}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    elif device.type not in ("cpu", "meta"):
        backend = getattr(torch.backends, device.type, None)
        if backend is None or not getattr(backend, "is_available", lambda: False)():
            raise ValueError(f"--device {device}: {device.type} is not available on this machine")
    return device


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


def named_optimizers(optimizer, model: nn.Module, lr: float) -> dict[str, torch.optim.Optimizer]:
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


def criterion(loss) -> nn.Module | Callable:
    """A criterion module from a name of :data:`CRITERIA`, or ``loss`` itself (a module or ``loss_fn``)."""
    if isinstance(loss, str):
        if loss not in CRITERIA:
            raise ValueError(
                f"loss must be one of {sorted(CRITERIA)}, an nn.Module or loss_fn(model, batch), got {loss!r}"
            )
        return CRITERIA[loss]()
    if isinstance(loss, nn.Module) or callable(loss):
        return loss
    raise TypeError(f"loss must be a name, an nn.Module or a callable loss_fn(model, batch), got {type(loss).__name__}")


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
        values = _own_training_step(model, batch, optimizers)
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


def _own_training_step(model: nn.Module, batch, optimizers) -> dict:
    values = model.training_step(batch, optimizers if len(optimizers) > 1 else next(iter(optimizers.values())))
    if not isinstance(values, Mapping) or not values:
        raise TypeError(f"training_step must return a non-empty dict of named losses, got {type(values).__name__}")
    return values


@torch.no_grad()
def evaluate(model: nn.Module, data, loss, batch_size: int = 1024, device="auto") -> dict[str, float]:
    """Mean loss over ``data`` in eval mode, plus ``accuracy`` for a cross-entropy criterion.

    ``loss`` is as in :func:`fit` (a criterion name, module, or ``loss_fn``); returns ``{"loss": ..., ...}``."""
    loss = criterion(loss)
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
