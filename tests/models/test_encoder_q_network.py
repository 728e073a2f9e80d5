"""A pretrained (frozen or fine-tuned) VAE/autoencoder encoder as DQN's torso on PixelGridWorld (notes 5.1, 6)."""

import gymnasium as gym
import numpy as np
import pytest
import torch

import boltzgym.envs  # noqa: F401  (registers the envs)
from boltzgym.agents.dqn import DQN
from boltzgym.models.generative.autoencoder import DeepAutoencoder
from boltzgym.models.generative.vae import VAE
from boltzgym.models.q_networks.encoders import EncoderQNetwork, collect_observations, flatten_observations

ENV = "boltzgym/PixelGridWorld-v0"


def make_agent(name: str, freeze: bool) -> DQN:
    kwargs = {"pretrain_env": ENV, "pretrain_observations": 300, "pretrain_epochs": 15, "latent_size": 4,
              "hidden_sizes": [32], "net_arch": [16], "freeze": freeze}  # fmt: skip
    return DQN(gym.make(ENV), q_network=name, q_network_kwargs=kwargs, learning_starts=8, batch_size=8,
               train_freq=4, gradient_steps=1, seed=0)  # fmt: skip


@pytest.mark.parametrize("name,freeze,kind", [("vae-encoder", True, VAE), ("ae-encoder", False, DeepAutoencoder)])
def test_dqn_trains_on_a_pretrained_encoder_and_the_checkpoint_restores_it(tmp_path, name, freeze, kind):
    agent = make_agent(name, freeze)
    net = agent.q_net
    assert isinstance(net, EncoderQNetwork) and isinstance(net.autoencoder, kind)
    # the encoder was pretrained: it reconstructs the env's observations better than a fresh one
    x = flatten_observations(collect_observations(ENV, 200, seed=5))
    torch.manual_seed(0)
    untrained = VAE(x.shape[1], 4, (32,)) if kind is VAE else DeepAutoencoder(x.shape[1], 4, (32,))
    with torch.no_grad():
        if kind is VAE:
            assert net.autoencoder.elbo(x).mean() > untrained.elbo(x).mean() + 10
        else:
            assert net.autoencoder.loss(x) < 0.5 * untrained.loss(x)
    encoder_before = [p.detach().clone() for p in net.autoencoder.parameters()]
    head_before = [p.detach().clone() for p in net.head.parameters()]
    agent.learn(total_timesteps=40)
    assert any(not torch.equal(a, b) for a, b in zip(head_before, net.head.parameters()))
    encoder_moved = any(not torch.equal(a, b) for a, b in zip(encoder_before, net.autoencoder.parameters()))
    assert encoder_moved is not freeze  # frozen: untouched; fine-tuned: trained with the head
    agent.save(tmp_path / "agent")
    loaded = DQN.load(tmp_path / "agent")
    for key, value in agent.q_net.state_dict().items():
        assert torch.equal(value, loaded.q_net.state_dict()[key]), key
    observations = collect_observations(ENV, 10, seed=2)
    with torch.no_grad():
        assert np.allclose(agent.q_net(torch.as_tensor(observations)), loaded.q_net(torch.as_tensor(observations)))


def test_bad_q_network_kwargs_name_the_argument():
    with pytest.raises(ValueError, match="encoder"):
        DQN(gym.make(ENV), q_network="vae-encoder", q_network_kwargs={"encoder": "pca"}, seed=0)
    with pytest.raises(ValueError, match="pretrain_env"):
        DQN(gym.make(ENV), q_network="ae-encoder", q_network_kwargs={"pretrain_env": "CartPole-v1"}, seed=0)
