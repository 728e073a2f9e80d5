"""Regularization of notes 2.3, as small pieces that plug into ``boltzgym.models.training.fit``.

| notes 2.3                             | here                                                                      |
| ------------------------------------- | ------------------------------------------------------------------------- |
| l1 (Lasso) ``lambda sum |w|``         | ``fit(..., regularizer=l1_penalty(lambda))``                              |
| l2 (Ridge) ``lambda/2 sum w^2``       | ``fit(..., regularizer=l2_penalty(lambda))`` (for SGD the same step as    |
|                                       | ``torch.optim.SGD(weight_decay=lambda)``)                                 |
| input noise                           | ``fit(..., input_noise=std)``                                             |
| label smoothing                       | ``nn.CrossEntropyLoss(label_smoothing=eps)`` (torch's)                    |
| dropout, test-time weights times α    | ``nn.Dropout`` (torch's inverted dropout); :class:`NotesDropout` is the   |
|                                       | notes' form, equal to it up to rescaling the next layer's weights by α    |
| weight sharing                        | assign one ``nn.Parameter`` to several modules (torch ties them)          |
| delete connections                    | :func:`prune_connections` (``torch.nn.utils.prune``, by magnitude)        |
| noise on connections                  | :func:`add_weight_noise` (a ``torch.nn.utils.parametrize`` noise)         |
| early stopping on validation data     | ``fit(..., validation_split=..., early_stopping_patience=...)``           |
| gradient clipping (usually 5)         | ``fit(..., clip_grad_norm=NOTES_CLIP_NORM)``                              |

Dropout, the notes' way and torch's. The notes keep each unit with probability α during training and, after
training, switch every unit on and multiply its outgoing weights by α, so that the next layer sees at test time the
*expected* input it saw during training (``E[m h] = α h`` for a mask ``m ~ Bernoulli(α)``). torch's ``nn.Dropout``
("inverted dropout") divides by α during training instead (``m h / α``, expectation ``h``) and leaves the test
network alone. The two are the same model: with the same mask, a notes network whose next layer has weights ``W``
computes ``W (m h) = (α W) (m h / α)``, the output of a torch network whose next layer has weights ``α W``; and the
notes' test-time network (all units on, weights ``α W``) is exactly that torch network in eval mode. Inverted
dropout is preferred because the deployed network needs no rescaling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn
from torch.nn.utils import parametrize, prune

from boltzgym.utils.validation import check_in_range, check_positive, check_probability

NOTES_CLIP_NORM = 5.0  # notes 2.3: "usually the upper limit is 5"


def _weights(model: nn.Module) -> Iterable[torch.Tensor]:
    """The weight matrices/kernels of ``model`` (parameters with two or more axes; biases are not penalised)."""
    return (p for p in model.parameters() if p.requires_grad and p.ndim >= 2)


def l1_penalty(coefficient: float) -> Callable[[nn.Module], torch.Tensor]:
    """``penalty(model) = coefficient * sum |w|`` over the weights (notes 2.3, Lasso: drives weights to 0)."""
    coefficient = check_positive("coefficient", coefficient, allow_zero=True)
    return lambda model: coefficient * sum(w.abs().sum() for w in _weights(model))


def l2_penalty(coefficient: float) -> Callable[[nn.Module], torch.Tensor]:
    """``penalty(model) = coefficient / 2 * sum w^2`` over the weights (notes 2.3, Ridge: shrinks weights).

    Its gradient is ``coefficient * w``: with plain SGD it is ``weight_decay=coefficient`` applied to the weights."""
    coefficient = check_positive("coefficient", coefficient, allow_zero=True)
    return lambda model: 0.5 * coefficient * sum(w.pow(2).sum() for w in _weights(model))


class NotesDropout(nn.Module):
    """The notes' dropout: keep each unit with probability ``keep`` while training (no rescaling), and multiply by
    ``keep`` at test time (the same as multiplying the next layer's weights by α = ``keep``).

    Equivalent to ``nn.Dropout(p=1 - keep)`` up to the scale of the next layer (see the module docstring); kept to
    show that equivalence, not as a replacement of torch's.
    """

    def __init__(self, keep: float = 0.5) -> None:
        super().__init__()
        self.keep = check_probability("keep", keep)
        if self.keep == 0:
            raise ValueError("keep must be > 0, got 0.0")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``m * x`` with ``m ~ Bernoulli(keep)`` in training mode, ``keep * x`` in eval mode."""
        if not self.training:
            return self.keep * x  # notes 2.3: after training, all units on and scaled by alpha
        return x * torch.empty_like(x).bernoulli_(self.keep)


def prune_connections(model: nn.Module, amount: float, permanent: bool = False) -> int:
    """Delete the fraction ``amount`` of smallest-magnitude connections of every ``nn.Linear`` (notes 2.3).

    Uses ``torch.nn.utils.prune.l1_unstructured``: each weight becomes ``weight_orig * weight_mask``, so pruned
    connections stay 0 while training goes on (``fit`` works unchanged). ``permanent=True`` folds the mask into
    the weight (``prune.remove``). Returns the number of connections removed."""
    amount = check_in_range("amount", amount, 0.0, 1.0)
    removed = 0
    for module in model.modules():
        if isinstance(module, nn.Linear):
            prune.l1_unstructured(module, name="weight", amount=amount)
            removed += int((module.weight_mask == 0).sum())
            if permanent:
                prune.remove(module, "weight")
    if removed == 0 and not any(isinstance(m, nn.Linear) for m in model.modules()):
        raise ValueError("model has no nn.Linear layers to prune")
    return removed


class _GaussianWeightNoise(nn.Module):
    """Parametrization ``w -> w + std * N(0, 1)`` in training mode, ``w`` in eval mode."""

    def __init__(self, std: float) -> None:
        super().__init__()
        self.std = std

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight + self.std * torch.randn_like(weight) if self.training else weight


def add_weight_noise(model: nn.Module, std: float) -> nn.Module:
    """Add Gaussian noise of ``std`` to every ``nn.Linear`` weight at each training forward pass (notes 2.3:
    "add noise to the connections"; Graves 2011). The noise is drawn anew per forward call and is off in eval
    mode; the stored weights stay clean. Returns ``model``."""
    std = check_positive("std", std)
    for module in model.modules():
        if isinstance(module, nn.Linear):
            parametrize.register_parametrization(module, "weight", _GaussianWeightNoise(std))
    return model
