"""DQN torsos for image observations: a ResNet or a CBAM CNN behind :class:`ImageQNetwork` (registered by name in
``boltzgym.agents.networks``)."""

from __future__ import annotations

import torch
from torch import nn

from boltzgym.models.vision.networks import CNN, ResNet


class ImageQNetwork(nn.Module):
    """Q-values from ``(batch, H, W, C)`` uint8 observations: scale to [0, 1], channels first, then ``net``
    (any module mapping ``(batch, C, H, W)`` floats to ``(batch, n_actions)``, such as a :class:`ResNet`).

    Plugging a custom ``nn.Module`` into DQN works the same way: write a factory
    ``factory(observation_space, n_actions, **kwargs) -> nn.Module`` and pass it (``DQN(env, q_network=factory)``)
    or register it (``boltzgym.agents.networks.register_q_network("mine", factory)``)::

        def my_q_network(observation_space, n_actions, width=16):
            height, width_px, channels = observation_space.shape
            return ImageQNetwork(CNN((channels, height, width_px), n_actions, widths=(width, width)))
    """

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        """Q-values of uint8 ``(batch, H, W, C)`` observations, scaled in the dtype of ``net``'s parameters."""
        dtype = next(self.net.parameters()).dtype
        return self.net(observations.permute(0, 3, 1, 2).to(dtype) / 255.0)


def _image_shape(observation_space, name: str) -> tuple[int, int, int]:
    shape = getattr(observation_space, "shape", None)
    if shape is None or len(shape) != 3:
        raise ValueError(f"q_network {name!r} needs (H, W, C) image observations, got {observation_space}")
    height, width, channels = shape
    return channels, height, width


def resnet_q_network(observation_space, n_actions: int, widths=(16, 32), blocks_per_stage=1, attention="none"):
    """``q_network="resnet"``: a :class:`ResNet` torso for image observations (``q_network_kwargs`` widths,
    blocks_per_stage, attention)."""
    shape = _image_shape(observation_space, "resnet")
    return ImageQNetwork(ResNet(shape, n_actions, tuple(widths), blocks_per_stage, attention))


def attention_q_network(observation_space, n_actions: int, widths=(16, 32), attention="cbam"):
    """``q_network="attention"``: a small CNN with CBAM attention (or ``channel``/``spatial``) after each layer."""
    shape = _image_shape(observation_space, "attention")
    return ImageQNetwork(CNN(shape, n_actions, tuple(widths), "avg", attention))
