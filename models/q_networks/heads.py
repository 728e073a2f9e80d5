"""Output heads for value-based agents: the dueling Q head (Wang et al., 2016)."""

from __future__ import annotations

import torch
from torch import nn


class DuelingHead(nn.Module):
    """Dueling Q head: ``Q(s, a) = V(s) + A(s, a) - mean_a' A(s, a')``.

    Wang et al., "Dueling Network Architectures for Deep Reinforcement Learning" (ICML 2016), eq. (9): the
    mean-subtracted form, which keeps V and A identifiable and trains more stably than the max form.

    Args:
        in_features: width of the feature vector coming from the torso.
        n_actions: number of discrete actions.
        hidden_size: width of the one hidden layer of each stream; 0 makes each stream a single linear layer.
        device, dtype: torch's factory keywords (as ``nn.Linear``'s).

    Example:
        >>> import torch
        >>> head = DuelingHead(8, 3)
        >>> head(torch.zeros(5, 8)).shape
        torch.Size([5, 3])
    """

    def __init__(self, in_features: int, n_actions: int, hidden_size: int = 0, device=None, dtype=None) -> None:
        super().__init__()
        if n_actions < 1:
            raise ValueError(f"n_actions must be >= 1, got {n_actions}")
        if hidden_size < 0:
            raise ValueError(f"hidden_size must be >= 0, got {hidden_size}")
        factory_kwargs = {"device": device, "dtype": dtype}
        self.value = _stream(in_features, 1, hidden_size, **factory_kwargs)
        self.advantage = _stream(in_features, n_actions, hidden_size, **factory_kwargs)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Map ``(batch, in_features)`` features to ``(batch, n_actions)`` Q-values."""
        advantage = self.advantage(features)
        return self.value(features) + advantage - advantage.mean(dim=1, keepdim=True)


def _stream(in_features: int, out_features: int, hidden_size: int, **factory_kwargs) -> nn.Module:
    if hidden_size == 0:
        return nn.Linear(in_features, out_features, **factory_kwargs)
    return nn.Sequential(
        nn.Linear(in_features, hidden_size, **factory_kwargs),
        nn.ReLU(),
        nn.Linear(hidden_size, out_features, **factory_kwargs),
    )
