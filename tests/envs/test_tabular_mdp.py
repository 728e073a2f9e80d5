"""TabularMDP: toy-text P built from the arrays, random MDPs, check_env, bad input."""

from __future__ import annotations

import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import boltzgym.envs  # noqa: F401  (registers the ids)
from boltzgym.envs.tabular_mdp import TabularMDPEnv, random_mdp


def test_registered_default_passes_check_env_and_is_listed():
    env = gym.make("boltzgym/TabularMDP-v0")
    check_env(env.unwrapped)
    assert env.spec.max_episode_steps == 100
    assert "boltzgym/TabularMDP-v0" in boltzgym.envs.ENV_DESCRIPTIONS


def test_random_mdp_is_seeded_and_stochastic():
    first, second, other = random_mdp(5, 3, seed=1), random_mdp(5, 3, seed=1), random_mdp(5, 3, seed=2)
    np.testing.assert_array_equal(first["transition_probabilities"], second["transition_probabilities"])
    assert not np.array_equal(first["transition_probabilities"], other["transition_probabilities"])
    np.testing.assert_allclose(first["transition_probabilities"].sum(axis=2), 1.0)
    sparse = random_mdp(6, 2, seed=0, branching=2, n_terminal=1)
    assert ((sparse["transition_probabilities"] > 0).sum(axis=2) <= 2).all()
    assert sparse["terminal_states"].tolist() == [5]


def test_toy_text_table_matches_the_arrays():
    mdp = random_mdp(4, 2, seed=0, n_terminal=1)
    env = TabularMDPEnv(**mdp)
    for s in range(3):
        for a in range(2):
            dense = np.zeros(4)
            for probability, next_state, reward, terminated in env.P[s][a]:
                dense[next_state] += probability
                assert reward == mdp["rewards"][s, a]
                assert terminated == (next_state == 3)
            np.testing.assert_allclose(dense, mdp["transition_probabilities"][s, a])
    assert env.P[3][0] == [(1.0, 3, 0.0, True)]
    np.testing.assert_allclose(env.initial_state_distrib, [1 / 3, 1 / 3, 1 / 3, 0.0])


def test_empirical_transition_frequencies_match_p():
    mdp = random_mdp(3, 1, seed=4)
    env = TabularMDPEnv(**mdp, initial_distribution=[1.0, 0.0, 0.0])
    env.reset(seed=0)
    counts = np.zeros(3)
    for _ in range(20_000):
        env.s = 0
        counts[env.step(0)[0]] += 1
    # 20000 draws: the standard error of each frequency is below 0.0036; 5 standard errors.
    np.testing.assert_allclose(counts / counts.sum(), mdp["transition_probabilities"][0, 0], atol=0.018)


def test_same_seed_same_rollout_and_pickle():
    env = gym.make("boltzgym/TabularMDP-v0", n_states=5, mdp_seed=3)

    def rollout(seed):
        observed = [env.reset(seed=seed)[0]]
        observed += [env.step(i % 3)[0] for i in range(30)]
        return observed

    assert rollout(7) == rollout(7)
    clone = pickle.loads(pickle.dumps(env))
    assert [clone.step(1)[0] for _ in range(5)] == [env.step(1)[0] for _ in range(5)]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"transition_probabilities": [[[0.5, 0.4]], [[0.0, 1.0]]], "rewards": [[0.0], [0.0]]},
            "transition_probabilities\\[0, 0\\] must sum to 1, got 0.9",
        ),
        (
            {"transition_probabilities": [[[-0.5, 1.5]], [[0.0, 1.0]]], "rewards": [[0.0], [0.0]]},
            "transition_probabilities must be finite and >= 0",
        ),
        (
            {"transition_probabilities": np.ones((2, 1, 3)) / 3, "rewards": [[0.0], [0.0]]},
            "transition_probabilities must have shape \\(n_states, n_actions, n_states\\), got \\(2, 1, 3\\)",
        ),
        (
            {"transition_probabilities": np.ones((2, 1, 2)) / 2, "rewards": [[0.0, 1.0]]},
            "rewards must have shape \\(2, 1\\), got \\(1, 2\\)",
        ),
        (
            {"transition_probabilities": np.ones((2, 1, 2)) / 2, "rewards": [[0.0], [0.0]], "terminal_states": [2]},
            "terminal_states must be state indices in \\[0, 2\\), got \\[2\\]",
        ),
        (
            {
                "transition_probabilities": np.ones((2, 1, 2)) / 2,
                "rewards": [[0.0], [0.0]],
                "initial_distribution": [0.5, 0.6],
            },
            "initial_distribution must be 2 non-negative numbers summing to 1",
        ),
        ({"rewards": [[0.0]]}, "rewards given without transition_probabilities"),
    ],
)
def test_bad_arrays_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TabularMDPEnv(**kwargs)


def test_random_mdp_bad_sizes():
    with pytest.raises(ValueError, match="n_states must be >= 1, got 0"):
        random_mdp(0, 2)
    with pytest.raises(ValueError, match="branching must be <= 3, got 4"):
        random_mdp(3, 2, branching=4)


def test_docstring_example_runs():
    import doctest

    import boltzgym.envs.tabular_mdp as module

    assert doctest.testmod(module).failed == 0
