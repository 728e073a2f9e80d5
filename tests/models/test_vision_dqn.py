"""The vision nets as DQN torsos: q_network="resnet" / "attention" by name, and a custom nn.Module factory."""

import gymnasium as gym
import pytest
import torch

import boltzgym.envs  # noqa: F401  (registers the envs)
from boltzgym.agents.dqn import DQN
from boltzgym.models.q_networks.vision import ImageQNetwork
from boltzgym.models.vision.networks import CNN, ResNet


@pytest.mark.parametrize("name,kwargs,net", [("resnet", {"widths": [8]}, ResNet), ("attention", {"widths": [8]}, CNN)])
def test_dqn_trains_with_a_registered_vision_torso(tmp_path, name, kwargs, net):
    env = gym.make("boltzgym/PixelGridWorld-v0")
    agent = DQN(
        env,
        q_network=name,
        q_network_kwargs=kwargs,
        learning_starts=8,
        batch_size=8,
        train_freq=4,
        gradient_steps=1,
        seed=0,
    )
    assert isinstance(agent.q_net.net, net)
    before = [p.detach().clone() for p in agent.q_net.parameters()]
    agent.learn(total_timesteps=24)
    assert any(not torch.equal(a, b) for a, b in zip(before, agent.q_net.parameters()))
    agent.save(tmp_path / "agent")
    loaded = DQN.load(tmp_path / "agent")
    observation, _ = env.reset(seed=1)
    assert loaded.predict(observation, deterministic=True)[0] == agent.predict(observation, deterministic=True)[0]


def test_dqn_takes_a_custom_module_factory():
    def my_q_network(observation_space, n_actions):
        height, width, channels = observation_space.shape
        return ImageQNetwork(CNN((channels, height, width), n_actions, widths=(4,)))

    agent = DQN(gym.make("boltzgym/PixelGridWorld-v0"), q_network=my_q_network, seed=0)
    assert isinstance(agent.q_net.net, CNN)
