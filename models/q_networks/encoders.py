"""A VAE or autoencoder encoder as the torso of DQN's Q-network for image observations (notes 5.1 used by notes 6).

``DQN(env, q_network="vae-encoder", q_network_kwargs={...})`` (or ``"ae-encoder"``) builds :class:`EncoderQNetwork`:
observations (uint8 images scaled to [0, 1], or float vectors) are flattened, encoded by the encoder of a
:class:`~boltzgym.models.generative.vae.VAE` (its mean ``mu(x)``) or of a
:class:`~boltzgym.models.generative.autoencoder.DeepAutoencoder`
(its code), and an MLP head maps the code to Q-values. With ``pretrain_env`` the autoencoder is first trained
(through ``boltzgym.models.training.fit``) on observations of that env collected by a uniformly random policy, and
``freeze=True`` (default) keeps the encoder fixed while DQN trains the head; ``freeze=False`` fine-tunes it too.

Example (PixelGridWorld, the 5x5 grid seen as a 6-channel image)::

    agent = DQN(gym.make("boltzgym/PixelGridWorld-v0"), q_network="vae-encoder",
                q_network_kwargs={"pretrain_env": "boltzgym/PixelGridWorld-v0", "latent_size": 8}, seed=0)
    agent.learn(20_000)

Checkpoints hold the whole network (encoder included), so ``DQN.load`` restores it exactly; rebuilding the
network at load pretrains once more from the same seed (a few seconds, cached within a process) before the saved
weights replace it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from boltzgym.models.supervised.mlp import MLP
from boltzgym.utils.validation import check_bool, check_int, check_widths

ENCODERS = ("vae", "ae")
_PRETRAINED: dict[str, dict] = {}  # JSON of the pretraining arguments -> the trained autoencoder's state dict


def collect_observations(env_id: str, n_observations: int, seed: int = 0, env_kwargs: dict | None = None):
    """``n_observations`` observations of ``gym.make(env_id, **env_kwargs)`` under a uniformly random policy."""
    n_observations = check_int("n_observations", n_observations, minimum=1)
    env = gym.make(env_id, **(env_kwargs or {}))
    env.action_space.seed(seed)
    observation, _ = env.reset(seed=seed)
    observations = [observation]
    while len(observations) < n_observations:
        observation, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            observation, _ = env.reset()
        observations.append(observation)
    env.close()
    return np.stack(observations)


def flatten_observations(observations, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A batch of observations as (n, features) floats of ``dtype``: uint8 images scaled to [0, 1], anything else
    as is."""
    observations = torch.as_tensor(observations)
    scale = 255.0 if observations.dtype == torch.uint8 else 1.0
    return observations.to(dtype).reshape(len(observations), -1) / scale


def make_autoencoder(kind: str, n_features: int, latent_size: int, hidden_sizes: Sequence[int], binary: bool):
    """A VAE (Bernoulli decoder for binary inputs, else Gaussian) or a deep autoencoder."""
    from boltzgym.models.generative.autoencoder import DeepAutoencoder
    from boltzgym.models.generative.vae import VAE

    if kind not in ENCODERS:
        raise ValueError(f"encoder must be one of {list(ENCODERS)}, got {kind!r}")
    if kind == "vae":
        return VAE(n_features, latent_size, tuple(hidden_sizes), "bernoulli" if binary else "gaussian")
    return DeepAutoencoder(n_features, latent_size, tuple(hidden_sizes))


def pretrain_autoencoder(model: nn.Module, observations, epochs: int = 30, seed: int = 0) -> nn.Module:
    """Train ``model`` (a VAE or autoencoder) on ``observations`` through ``boltzgym.models.training.fit``."""
    from boltzgym.models.generative.autoencoder import autoencoder_loss
    from boltzgym.models.generative.vae import VAE, vae_loss
    from boltzgym.models.training import fit

    x = flatten_observations(observations)
    loss = vae_loss if isinstance(model, VAE) else autoencoder_loss
    fit(
        model,
        (x,),
        loss=loss,
        optimizer="adam",
        learning_rate=3e-3,
        epochs=epochs,
        batch_size=128,
        seed=seed,
        device="cpu",
    )
    return model


class EncoderQNetwork(nn.Module):
    """Q-values from observations: ``head(code(x))`` with ``code`` a VAE's mean or an autoencoder's code.

    Args:
        autoencoder: a :class:`~boltzgym.models.generative.vae.VAE` or an autoencoder with ``encode``.
        n_actions: width of the Q-value output.
        net_arch: hidden widths of the MLP head.
        freeze: keep the encoder's weights fixed (they get no gradient).
        device, dtype: torch's factory keywords of the head it creates (as ``nn.Linear``'s); the given autoencoder
            stays where it is.
    """

    def __init__(self, autoencoder: nn.Module, n_actions: int, net_arch: Sequence[int] = (64,), freeze: bool = True,
                 device=None, dtype=None):  # fmt: skip
        super().__init__()
        self.autoencoder = autoencoder
        self.freeze = check_bool("freeze", freeze)
        self.autoencoder.requires_grad_(not self.freeze)
        self.head = MLP(autoencoder.latent_size if hasattr(autoencoder, "latent_size") else autoencoder.n_components,
                        list(net_arch), n_actions, device=device, dtype=dtype)  # fmt: skip

    def code(self, observations: torch.Tensor) -> torch.Tensor:
        """The encoder's features of a batch of observations."""
        x = flatten_observations(observations, next(self.autoencoder.parameters()).dtype)
        if hasattr(self.autoencoder, "latent_size"):  # VAE: the posterior mean mu(x)
            return self.autoencoder.encode(x)[0]
        return self.autoencoder.encode(x)

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        return self.head(self.code(observations))


def encoder_q_network(
    observation_space: gym.Space,
    n_actions: int,
    encoder: str = "vae",
    latent_size: int = 8,
    hidden_sizes: Sequence[int] = (64,),
    net_arch: Sequence[int] = (64,),
    freeze: bool = True,
    pretrain_env: str | None = None,
    pretrain_env_kwargs: dict | None = None,
    pretrain_observations: int = 2000,
    pretrain_epochs: int = 30,
    seed: int = 0,
) -> EncoderQNetwork:
    """``q_network="vae-encoder"``/``"ae-encoder"``: see the module docstring; ``q_network_kwargs`` are these
    keyword arguments (``pretrain_env=None`` leaves the encoder randomly initialised: then use ``freeze=False``)."""
    if encoder not in ENCODERS:
        raise ValueError(f"q_network_kwargs encoder must be one of {list(ENCODERS)}, got {encoder!r}")
    if not isinstance(observation_space, gym.spaces.Box):
        raise ValueError(
            f"q_network '{encoder}-encoder' needs Box (image or vector) observations, got {observation_space}"
        )
    latent_size = check_int("latent_size", latent_size, minimum=1)
    hidden_sizes = check_widths("hidden_sizes", hidden_sizes, allow_empty=True)
    net_arch = check_widths("net_arch", net_arch, allow_empty=True)
    n_features = int(np.prod(observation_space.shape))
    binary = observation_space.dtype == np.uint8
    seed = check_int("seed", seed, minimum=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if pretrain_env is None:
            autoencoder = make_autoencoder(encoder, n_features, latent_size, hidden_sizes, binary)
        else:
            key = json.dumps([encoder, n_features, latent_size, hidden_sizes, pretrain_env, pretrain_env_kwargs,
                              pretrain_observations, pretrain_epochs, seed], sort_keys=True, default=str)  # fmt: skip
            if key not in _PRETRAINED:
                observations = collect_observations(pretrain_env, pretrain_observations, seed, pretrain_env_kwargs)
                if observations.shape[1:] != observation_space.shape:
                    raise ValueError(
                        f"pretrain_env {pretrain_env!r} gives observations of shape {observations.shape[1:]}, "
                        f"but the agent's are {observation_space.shape}"
                    )
                binary = binary and bool(np.isin(observations, (0, 255)).all())  # Bernoulli only for 0/255 pixels
                autoencoder = make_autoencoder(encoder, n_features, latent_size, hidden_sizes, binary)
                pretrain_autoencoder(autoencoder, observations, pretrain_epochs, seed)
                _PRETRAINED[key] = {
                    "binary": binary,
                    "state": {k: v.clone() for k, v in autoencoder.state_dict().items()},
                }
            saved = _PRETRAINED[key]
            autoencoder = make_autoencoder(encoder, n_features, latent_size, hidden_sizes, saved["binary"])
            autoencoder.load_state_dict(saved["state"])
        autoencoder.eval()
        return EncoderQNetwork(autoencoder, n_actions, net_arch, freeze)


def vae_encoder_q_network(observation_space: gym.Space, n_actions: int, **kwargs) -> EncoderQNetwork:
    """``q_network="vae-encoder"``: :func:`encoder_q_network` with a VAE."""
    return encoder_q_network(observation_space, n_actions, **{"encoder": "vae", **kwargs})


def ae_encoder_q_network(observation_space: gym.Space, n_actions: int, **kwargs) -> EncoderQNetwork:
    """``q_network="ae-encoder"``: :func:`encoder_q_network` with a deep autoencoder."""
    return encoder_q_network(observation_space, n_actions, **{"encoder": "ae", **kwargs})
