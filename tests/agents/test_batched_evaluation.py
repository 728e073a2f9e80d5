"""Batched greedy evaluation returns exactly what the one-env-at-a-time evaluation returns."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from boltzgym.agents.batched_evaluation import run_episodes_batched
from boltzgym.agents.dqn import DQN
from boltzgym.agents.evaluation import run_episodes


@pytest.mark.parametrize(("env_id", "kwargs"), [("CartPole-v1", {}), ("FrozenLake-v1", {"is_slippery": True})])
def test_batched_returns_equal_sequential_returns(env_id, kwargs):
    agent = DQN(
        env_id, seed=0, learning_starts=50, batch_size=16, net_arch=(16,), train_freq=4, gradient_steps=1
    ).learn(300)
    sequential = run_episodes(agent, gym.make(env_id, **kwargs), 6, seed=100)
    batched = run_episodes_batched(agent, lambda: gym.make(env_id, **kwargs), 6, seed=100)
    np.testing.assert_array_equal(batched, sequential)
    assert batched.shape == (6,)


def test_bad_episode_count_is_named():
    with pytest.raises(ValueError, match="n_episodes"):
        run_episodes_batched(None, lambda: gym.make("CartPole-v1"), 0)
