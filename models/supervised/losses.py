"""Losses of notes 1.3: torch's, with the notes' derivatives checked (and one corrected).

- Mean squared error, the notes' ``L = 1/2 ||f(X, W) - y||^2``: :func:`half_squared_error` (the 1/2 form, summed
  over output components and averaged over the batch). Its derivative is ``dL/df = f - y`` (per row, before the
  batch mean). **The notes write ``2f - y``, which is wrong**: ``d/df 1/2 (f - y)^2 = f - y``; ``2(f - y)`` would
  be the derivative of the un-halved ``(f - y)^2``. ``nn.MSELoss`` (``mean((f - y)^2)`` over all elements) is the
  un-halved form averaged over every element, the one ``fit(loss="mse")`` uses; both have the same minimiser.
- Cross-entropy ``L = -sum_i p(y_i) log f_i`` for predicted probabilities ``f``: ``nn.CrossEntropyLoss`` (it takes
  logits ``z`` and applies the softmax ``f = softmax(z)`` itself, for numerical stability). The notes' derivative
  ``dL/df_i = -1/N sum_n y_ni / f_ni`` is right for the probabilities; with respect to the logits it becomes
  ``(f - y) / N``, the form backpropagation meets. Label smoothing (notes 2.3) is its ``label_smoothing`` argument.
"""

from __future__ import annotations

import torch


def half_squared_error(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The notes' ``1/2 ||f - y||^2`` per row, averaged over the batch; its gradient per row is ``f - y``.

    Raises ``ValueError`` naming both shapes when they differ (broadcasting would silently average wrong pairs)."""
    if output.shape != target.shape:
        raise ValueError(f"target has shape {tuple(target.shape)} but output has {tuple(output.shape)}")
    return 0.5 * (output - target).pow(2).reshape(len(output), -1).sum(dim=1).mean()
