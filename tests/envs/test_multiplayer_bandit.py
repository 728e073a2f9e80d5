"""The multi-player bandit with collisions: PettingZoo's API and seed tests, collision payoffs, independent learners."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test, parallel_seed_test

from boltzgym.agents.independent import IndependentQLearning
from boltzgym.envs.multiplayer_bandit import MultiPlayerBandit, parallel_env


def test_pettingzoo_api_and_seed_tests():
    parallel_api_test(parallel_env(n_players=3, horizon=30), num_cycles=60)
    parallel_seed_test(lambda: parallel_env(n_players=2, horizon=30), num_cycles=60)


def test_colliding_players_get_nothing_and_a_lone_player_its_arms_draw():
    env = parallel_env(means=[1.0, 1.0, 0.0], n_players=3, horizon=3)
    observations, _ = env.reset(seed=0)
    assert observations == {"player_0": 2, "player_1": 2, "player_2": 2}
    observations, rewards, _, truncations, infos = env.step({"player_0": 0, "player_1": 0, "player_2": 1})
    assert rewards == {"player_0": 0.0, "player_1": 0.0, "player_2": 1.0}
    assert observations == {"player_0": 1, "player_1": 1, "player_2": 0}
    assert infos["player_2"]["system_regret"] == pytest.approx(2.0 - 1.0)  # best total 1 + 1 + 0, got 1
    _, rewards, _, truncations, infos = env.step({"player_0": 0, "player_1": 1, "player_2": 2})
    assert rewards == {"player_0": 1.0, "player_1": 1.0, "player_2": 0.0}
    assert infos["player_0"]["system_regret"] == pytest.approx(0.0) and not any(truncations.values())


def test_lone_rewards_have_the_arms_means():
    env = parallel_env(means=[0.3, 0.7], n_players=2, horizon=20_000)
    env.reset(seed=1)
    totals = np.zeros(2)
    for _ in range(20_000):
        _, rewards, _, _, _ = env.step({"player_0": 0, "player_1": 1})
        totals += [rewards["player_0"], rewards["player_1"]]
    np.testing.assert_allclose(totals / 20_000, [0.3, 0.7], atol=0.015)  # > 4 standard errors


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_independent_learners_spread_over_distinct_good_arms(seed):
    """Without communicating, independent Q-learners learn an orthogonal allocation (no collisions)."""
    env = parallel_env(means=[0.9, 0.8, 0.1], n_players=2, horizon=50)
    learners = IndependentQLearning(env, memoryless=True, seed=seed, gamma=0.0, learning_rate=0.1,
                                    exploration_steps=4000, epsilon_end=0.02).learn(8000)  # fmt: skip
    actions, _ = learners.predict({"player_0": 2, "player_1": 2})
    assert actions["player_0"] != actions["player_1"]
    assert set(actions.values()) <= {0, 1}  # the two best arms


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"means": [0.5, 1.5]}, "means must be"),
        ({"means": []}, "means must be"),
        ({"n_players": 5}, "n_players"),
        ({"horizon": 0}, "horizon"),
        ({"render_mode": "human"}, "render_mode"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MultiPlayerBandit(**kwargs)
