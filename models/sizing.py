"""How much memory training a model will take, estimated before it is built (notes: "refuse oversized work").

A model is built on PyTorch's ``meta`` device, where tensors have shapes and dtypes but no storage, so a
``MLP(4, [10**12], 2)`` is sized in microseconds without allocating a byte. Training holds:

- the parameters, and a gradient for each trainable one;
- the optimizer's state: per trainable parameter, Adam/AdamW keep two moments, RMSprop one square average (and a
  momentum buffer with ``momentum > 0``), Rprop a previous gradient and a step size, SGD a momentum buffer when
  ``momentum > 0`` (torch's ``torch.optim`` state, as :func:`optimizer_state_copies` lists);
- the activations autograd saves for the backward pass: one forward pass of a mini-batch on the meta device counts
  exactly the tensors it saves (:func:`activation_bytes`), plus the output.

:func:`check_training_memory` refuses work above the share of available memory that
:func:`boltzgym.utils.resources.check_memory` allows, naming the setting to reduce.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn

from boltzgym.utils.resources import MemoryBudgetError, available_memory, format_bytes

# Per trainable parameter: how many tensors of its size the optimizer keeps (torch.optim's state).
_STATE_COPIES = {"adam": 2, "adamw": 2, "rprop": 2, "rmsprop": 1, "sgd": 0}


def optimizer_state_copies(optimizer: str, momentum: float = 0.0) -> int:
    """Tensors of a parameter's size that ``torch.optim``'s ``optimizer`` keeps per trainable parameter."""
    if optimizer not in _STATE_COPIES:
        raise ValueError(f"optimizer must be one of {sorted(_STATE_COPIES)}, got {optimizer!r}")
    return _STATE_COPIES[optimizer] + (1 if momentum and optimizer in ("sgd", "rmsprop") else 0)


@dataclass(frozen=True)
class TrainingMemory:
    """Bytes that training a model holds, by kind (see the module docstring)."""

    n_parameters: int
    parameters: int
    gradients: int
    optimizer_state: int
    activations: int

    @property
    def total(self) -> int:
        return self.parameters + self.gradients + self.optimizer_state + self.activations

    def describe(self) -> str:
        return (
            f"{self.n_parameters:,} parameters: {format_bytes(self.parameters)} of weights, "
            f"{format_bytes(self.gradients)} of gradients, {format_bytes(self.optimizer_state)} of optimizer state "
            f"and {format_bytes(self.activations)} of activations per batch"
        )


def _tensor_bytes(value) -> int:
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    if isinstance(value, (tuple, list)):
        return sum(_tensor_bytes(item) for item in value)
    if isinstance(value, dict):
        return sum(_tensor_bytes(item) for item in value.values())
    return 0


def activation_bytes(model: nn.Module, inputs: Iterable[torch.Tensor]) -> int:
    """Bytes that autograd saves for the backward pass in one training-mode forward pass of ``model`` on
    ``inputs`` (each tensor once; the parameters, counted apart, excluded), plus the output's bytes.

    Run on the meta device this allocates nothing and counts exactly the tensors a real forward pass saves
    (``torch.autograd.graph.saved_tensors_hooks`` sees each one)."""
    saved: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        base = tensor if tensor._base is None else tensor._base
        saved[id(base)] = base.numel() * base.element_size()
        return tensor

    parameters = {id(p) for p in model.parameters()}
    was_training = model.training
    model.train()
    try:
        with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
            output = model(*inputs)
    finally:
        model.train(was_training)
    return sum(n for key, n in saved.items() if key not in parameters) + _tensor_bytes(output)


def estimate_training_memory(
    build: Callable[[], nn.Module],
    example_inputs: Iterable[torch.Tensor] | None = None,
    optimizer: str = "adam",
    momentum: float = 0.0,
) -> TrainingMemory:
    """What training ``build()`` holds, measured on the meta device (nothing is allocated).

    ``example_inputs``: one mini-batch of inputs (shapes and dtypes; any device), or ``None`` to count the
    parameters and optimizer state only (a model whose forward pass the meta device cannot run, such as one that
    reads tensor values, is sized without activations too)."""
    with torch.device("meta"):
        model = build()
    sizes = [(p.numel() * p.element_size(), p.requires_grad) for p in model.parameters()]
    n_parameters = sum(p.numel() for p in model.parameters())
    parameters = sum(size for size, _ in sizes)
    trainable = sum(size for size, grad in sizes if grad)
    activations = 0
    if example_inputs is not None:
        meta_inputs = [x.to("meta") for x in example_inputs]
        try:
            activations = activation_bytes(model, meta_inputs)
        except Exception:  # noqa: BLE001  an op without a meta kernel, a data-dependent shape, another input form
            activations = 0
    copies = optimizer_state_copies(optimizer, momentum)
    return TrainingMemory(n_parameters, parameters, trainable, copies * trainable, activations)


def check_training_memory(memory: TrainingMemory, argument: str, what: str = "training this model") -> TrainingMemory:
    """Raise :class:`~boltzgym.utils.resources.MemoryBudgetError` naming ``argument`` when ``memory`` exceeds the
    share of available memory that ``check_memory`` allows; return ``memory`` otherwise."""
    from boltzgym.utils.resources import DEFAULT_FRACTION

    available = available_memory()
    if memory.total > DEFAULT_FRACTION * available:
        raise MemoryBudgetError(
            f"{argument}: {what} would need about {format_bytes(memory.total)} ({memory.describe()}), more than "
            f"the {format_bytes(available)} available; reduce {argument}"
        )
    return memory


def check_model_fits(
    build: Callable[[], nn.Module], example_inputs, config, changed_keys: Iterable[str]
) -> TrainingMemory:
    """Size ``build()`` (one of the registry's ``build`` steps) on the meta device and refuse it before it is built
    when training it would not fit, naming the ``--set`` keys that were changed from their defaults (the likely
    cause) or ``--set batch_size``; returns the estimate. ``example_inputs``: one mini-batch, or ``None``."""
    changed = list(changed_keys)
    argument = "--set " + ", ".join(changed) if changed else "--set batch_size"
    try:
        memory = estimate_training_memory(
            build, example_inputs, optimizer=getattr(config, "optimizer", "adam"), momentum=0.0
        )
    except MemoryBudgetError:
        raise
    except (RuntimeError, TypeError, ValueError, NotImplementedError) as exc:  # a build the meta device can't run
        if isinstance(exc, ValueError) and "--set" in str(exc):
            raise
        return TrainingMemory(0, 0, 0, 0, 0)
    return check_training_memory(memory, argument)
