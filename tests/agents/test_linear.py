"""LinearQLearning: the tabular rule with one-hot features, tile coding's structure, RBM features, save/load."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import boltzgym.envs  # noqa: F401
from boltzgym.agents.linear import LinearQLearning, OneHotFeatures, RBMFeatures, TileCoding


def test_one_hot_update_is_the_tabular_q_learning_update():
    env = gym.make("boltzgym/GridWorld-v0")
    agent = LinearQLearning(env, learning_rate=0.5, gamma=0.9, seed=0)
    agent.weights[1, 7] = 2.0
    agent.weights[3, 7] = 4.0
    phi = OneHotFeatures(agent.weights.shape[1])
    delta = agent.update(phi(3), 2, 1.0, phi(7), terminated=False)
    assert delta == pytest.approx(1.0 + 0.9 * 4.0)  # notes 6.1: max_a' Q(s', a'), Q(s, a) = 0
    assert agent.weights[2, 3] == pytest.approx(0.5 * delta)
    assert agent.update(phi(3), 2, 1.0, phi(7), terminated=True) == pytest.approx(1.0 - 0.5 * delta)


def test_learns_the_gridworld():
    env = gym.make("boltzgym/GridWorld-v0")
    agent = LinearQLearning(env, learning_rate=0.5, gamma=0.95, epsilon=0.2, seed=1).learn(6000)
    observation, _ = env.reset(seed=0)
    total, done = 0.0, False
    while not done:
        action, _ = agent.predict(observation)
        observation, reward, terminated, truncated, _ = env.step(action)
        total, done = total + reward, terminated or truncated
    assert terminated and total > 0  # reached the goal greedily


def test_tile_coding_has_one_active_tile_per_tiling_and_generalises_locally():
    tiles = TileCoding([-1.0, 0.0], [1.0, 2.0], n_tilings=4, n_tiles=5)
    a, b, far = tiles([0.1, 1.0]), tiles([0.12, 1.01]), tiles([-0.9, 0.1])
    assert a.sum() == 4 and a.size == tiles.n_features
    assert a @ b >= 3 and a @ far == 0
    assert tiles([5.0, -5.0]).sum() == 4  # clipped into the box
    with pytest.raises(ValueError, match="low and high"):
        TileCoding([0.0], [0.0])


def test_rbm_features_are_hidden_probabilities():
    class TinyRBM:
        components_ = np.array([[1.0, -1.0], [0.0, 2.0], [0.5, 0.5]])
        intercept_hidden_ = np.zeros(3)

        def transform(self, visible):
            return 1 / (1 + np.exp(-(visible @ self.components_.T)))

    features = RBMFeatures(TinyRBM())
    np.testing.assert_allclose(features([1.0, 0.0]), 1 / (1 + np.exp(-np.array([1.0, 0.0, 0.5]))))
    with pytest.raises(TypeError, match="rbm"):
        RBMFeatures(object())


def test_save_load_round_trip_and_errors(tmp_path):
    env = gym.make("boltzgym/GridWorld-v0")
    agent = LinearQLearning(env, seed=3).learn(300)
    agent.save(tmp_path / "linear")
    loaded = LinearQLearning.load(tmp_path / "linear", env)
    np.testing.assert_array_equal(loaded.weights, agent.weights)
    assert loaded.num_timesteps == 300 and loaded.gamma == agent.gamma
    with pytest.raises(ValueError, match="feature_map"):
        LinearQLearning.load(tmp_path / "linear", env, feature_map=TileCoding([0.0], [1.0]))
    with pytest.raises(ValueError, match="feature_map"):
        LinearQLearning(gym.make("CartPole-v1"))
    with pytest.raises(ValueError, match="gamma"):
        LinearQLearning(env, gamma=2.0)
