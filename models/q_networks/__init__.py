"""Q-network torsos and heads that DQN builds by name (``boltzgym.agents.networks`` registers them): the dueling
head, VAE/autoencoder encoders, and ResNet/CBAM image torsos.

Public names load on first use (``from boltzgym.models.q_networks import ...``).
"""

from __future__ import annotations

from boltzgym.utils.imports import lazy_namespace

# Public name -> defining module, imported on first use.
_EXPORTS: dict[str, str] = {
    "collect_observations": "boltzgym.models.q_networks.encoders",
    "flatten_observations": "boltzgym.models.q_networks.encoders",
    "make_autoencoder": "boltzgym.models.q_networks.encoders",
    "pretrain_autoencoder": "boltzgym.models.q_networks.encoders",
    "EncoderQNetwork": "boltzgym.models.q_networks.encoders",
    "encoder_q_network": "boltzgym.models.q_networks.encoders",
    "vae_encoder_q_network": "boltzgym.models.q_networks.encoders",
    "ae_encoder_q_network": "boltzgym.models.q_networks.encoders",
    "DuelingHead": "boltzgym.models.q_networks.heads",
    "ImageQNetwork": "boltzgym.models.q_networks.vision",
    "resnet_q_network": "boltzgym.models.q_networks.vision",
    "attention_q_network": "boltzgym.models.q_networks.vision",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS)
