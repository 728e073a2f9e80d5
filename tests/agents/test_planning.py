"""Dynamics extraction and exact solvers: Bellman optimality, VI == PI, published optima, simulation checks."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import boltzgym.envs  # noqa: F401  (registers the ids)
from boltzgym.agents.dynamics import extract_dynamics, replay_blocker
from boltzgym.agents.planning import (
    evaluate_policy_exactly,
    expected_return,
    policy_iteration,
    success_probability,
    value_iteration,
)
from boltzgym.envs.tabular_mdp import random_mdp


@pytest.mark.parametrize(
    ("env_id", "shape", "max_steps"),
    [
        ("FrozenLake-v1", (16, 4, 3), 100),
        ("CliffWalking-v1", (48, 4, 1), None),
        ("Taxi-v4", (500, 6, 1), 200),
        ("boltzgym/GridWorld-v0", (25, 4, 1), 200),
    ],
)
def test_extract_dynamics_from_toy_text_envs(env_id, shape, max_steps):
    env = gym.make(env_id)
    dynamics = extract_dynamics(env)
    assert dynamics.probabilities.shape == shape
    assert dynamics.max_episode_steps == max_steps
    np.testing.assert_allclose(dynamics.transition_matrix().sum(axis=2), 1.0)
    assert replay_blocker(env) is None


def test_extract_dynamics_rejects_continuous_and_opaque_envs():
    with pytest.raises(TypeError, match="env.observation_space must be gymnasium.spaces.Discrete.*Box"):
        extract_dynamics(gym.make("CartPole-v1"))
    assert "wrapper" in replay_blocker(gym.wrappers.TransformReward(gym.make("FrozenLake-v1"), lambda r: 2 * r))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_value_and_policy_iteration_agree_and_satisfy_bellman(seed):
    env = gym.make("boltzgym/TabularMDP-v0", **random_mdp(7, 3, seed=seed, n_terminal=1))
    vi = value_iteration(env, gamma=0.95, tol=1e-12)
    pi = policy_iteration(env, gamma=0.95)
    np.testing.assert_allclose(vi.values, pi.values, atol=1e-9)
    np.testing.assert_array_equal(vi.policy, pi.policy)
    dynamics = extract_dynamics(env)
    np.testing.assert_allclose(dynamics.backup(vi.values, 0.95).max(axis=1), vi.values, atol=1e-10)
    np.testing.assert_allclose(evaluate_policy_exactly(env, vi.policy, 0.95), vi.values, atol=1e-9)
    assert vi.values[6] == 0.0  # nothing is earned after the terminal state


def test_frozenlake_optimal_success_matches_gymnasium_registry():
    # Gymnasium's registry notes "optimum = 0.74" for FrozenLake-v1 (4x4, slippery, 100 steps).
    env = gym.make("FrozenLake-v1")
    assert round(success_probability(env), 2) == 0.74
    policy = value_iteration(env, gamma=1.0).policy
    assert success_probability(env, policy) <= success_probability(env) + 1e-12
    assert success_probability(env, policy) == pytest.approx(0.7402, abs=1e-4)


def test_exact_expected_return_matches_simulation_on_taxi():
    env = gym.make("Taxi-v4")
    policy = value_iteration(env, gamma=0.99).policy
    exact = expected_return(env, policy)
    assert exact == pytest.approx(expected_return(env), abs=1e-9)  # the discounted optimum is also the 200-step one
    returns = []
    for episode in range(400):
        state, _ = env.reset(seed=episode)
        total, done = 0.0, False
        while not done:
            state, reward, terminated, truncated, _ = env.step(int(policy[state]))
            total += reward
            done = terminated or truncated
        returns.append(total)
    standard_error = np.std(returns) / np.sqrt(len(returns))
    assert abs(np.mean(returns) - exact) < 4 * standard_error


def test_cliff_walking_optimal_return_is_minus_13():
    env = gym.make("CliffWalking-v1")
    assert expected_return(env, horizon=1000) == -13.0
    assert expected_return(env, value_iteration(env, gamma=1.0).policy, horizon=1000) == -13.0


def test_solver_bad_input():
    env = gym.make("FrozenLake-v1")
    with pytest.raises(ValueError, match="gamma must be in \\[0.0, 1.0\\], got 1.5"):
        value_iteration(env, gamma=1.5)
    with pytest.raises(ValueError, match="gamma must be in \\[0.0, 1.0\\], got -0.1"):
        policy_iteration(env, gamma=-0.1)
    with pytest.raises(ValueError, match="gamma must be < 1 for exact policy evaluation"):
        policy_iteration(env, gamma=1.0)
    with pytest.raises(ValueError, match="policy must be 16 integer actions"):
        success_probability(env, np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="horizon must be given"):
        expected_return(gym.make("CliffWalking-v1"))
    with pytest.raises(TypeError, match="dynamics must be a TabularDynamics or a gymnasium.Env, got list"):
        value_iteration([1, 2])
