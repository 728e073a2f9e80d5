"""Batch normalization's Jacobian (notes 2.1), in closed form.

Training-mode batch norm of one feature over a batch of ``B`` values (no affine part):
``y_j = (x_j - mu) / sqrt(var + eps)`` with ``mu = mean(x)`` and ``var = mean((x - mu)^2)`` (the biased variance, as
``torch.nn.BatchNorm1d`` uses in training). Every output depends on every input through ``mu`` and ``var``:

    dy_j/dx_i = ( delta_ij - 1/B - (x_i - mu)(x_j - mu) / (B (var + eps)) ) / sqrt(var + eps)

The notes write ``1/sqrt(var+eps) - 1/(B var + eps) - (x_i - mu)^2 / (B (var+eps)^(2/3))`` for ``i = j`` (and the
same without the first term for ``i != j``): the exponents are wrong. The mean term is ``1 / (B sqrt(var + eps))``
and the variance term has the power ``3/2``, ``(x_i - mu)(x_j - mu) / (B (var + eps)^(3/2))``, as the formula above
gives after multiplying out (Ioffe & Szegedy 2015 give the same backward pass in vector form).
"""

from __future__ import annotations

import torch

__all__ = ["batchnorm_jacobian"]


def batchnorm_jacobian(x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """The Jacobian ``J[f, j, i] = dy_j / dx_i`` of training-mode batch norm, per feature.

    Args:
        x: ``(B,)`` one feature over a batch, or ``(B, F)`` a batch of ``F`` features (``B >= 2``).
        eps: the variance offset of ``BatchNorm1d`` (``> 0`` keeps a constant batch finite).

    Returns:
        ``(B, B)`` for a ``(B,)`` input, else ``(F, B, B)``.
    """
    if not isinstance(x, torch.Tensor) or x.dim() not in (1, 2):
        raise ValueError(f"x must be a (batch,) or (batch, features) tensor, got {getattr(x, 'shape', type(x))}")
    if x.shape[0] < 2:
        raise ValueError(
            f"x must hold a batch of at least 2 values (batch norm of one value is undefined), got {x.shape[0]}"
        )
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    single = x.dim() == 1
    columns = (x.unsqueeze(1) if single else x).T  # (F, B)
    batch = columns.shape[1]
    centred = columns - columns.mean(dim=1, keepdim=True)
    variance = (centred**2).mean(dim=1)  # biased, as in training mode
    scale = (variance + eps).rsqrt()  # 1 / sqrt(var + eps)
    eye = torch.eye(batch, dtype=x.dtype, device=x.device)
    outer = centred.unsqueeze(2) * centred.unsqueeze(1)  # (F, B, B): (x_j - mu)(x_i - mu)
    jacobian = scale[:, None, None] * (eye - 1.0 / batch - outer * (scale**2)[:, None, None] / batch)
    return jacobian[0] if single else jacobian
