"""Single neurons and unit layers of notes 1.1 that torch lacks.

torch already has the linear unit (``nn.Linear``) and the smooth activations (``nn.Sigmoid``, ``nn.Tanh``,
``nn.ReLU``); this module adds what it does not have.

- :class:`RBFLayer`: radial-basis-function units ``y_j = exp(-beta * ||x - w_j||^2)`` (notes 1.1).
"""

from __future__ import annotations

import torch
from torch import nn

from boltzgym.utils.validation import check_int, check_positive


class RBFLayer(nn.Module):
    """A layer of radial-basis-function units (notes 1.1): ``y_j = exp(-beta * ||x - w_j||^2)``.

    Each unit responds to inputs near its centre ``w_j`` (a row of ``centers``); ``beta`` > 0 sets the width.

    Args:
        in_features: input width.
        n_centers: number of units.
        beta: the inverse squared width, shared by all units.
        centers: optional initial centres ``(n_centers, in_features)`` (e.g. training rows); else N(0, 1).
        trainable_beta: learn ``log beta`` along with the centres.

    Example:
        >>> layer = RBFLayer(2, 3, beta=1.0, centers=torch.zeros(3, 2))
        >>> layer(torch.zeros(1, 2))
        tensor([[1., 1., 1.]], grad_fn=<ExpBackward0>)
    """

    def __init__(
        self,
        in_features: int,
        n_centers: int,
        beta: float = 1.0,
        centers: torch.Tensor | None = None,
        trainable_beta: bool = False,
    ) -> None:
        super().__init__()
        in_features = check_int("in_features", in_features, minimum=1)
        n_centers = check_int("n_centers", n_centers, minimum=1)
        beta = check_positive("beta", beta)
        if centers is None:
            centers = torch.randn(n_centers, in_features)
        centers = torch.as_tensor(centers, dtype=torch.float32)
        if centers.shape != (n_centers, in_features):
            raise ValueError(f"centers must have shape {(n_centers, in_features)}, got {tuple(centers.shape)}")
        self.centers = nn.Parameter(centers.clone())
        self.log_beta = nn.Parameter(torch.tensor(float(beta)).log(), requires_grad=trainable_beta)

    @property
    def beta(self) -> float:
        """The current width parameter beta."""
        return float(self.log_beta.exp())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(batch, in_features)`` to ``(batch, n_centers)`` activations in (0, 1]."""
        if x.ndim != 2 or x.shape[1] != self.centers.shape[1]:
            raise ValueError(f"x must have shape (batch, {self.centers.shape[1]}), got {tuple(x.shape)}")
        squared_distance = torch.cdist(x, self.centers).pow(2)  # notes 1.1: ||x - w||^2
        return torch.exp(-self.log_beta.exp() * squared_distance)
