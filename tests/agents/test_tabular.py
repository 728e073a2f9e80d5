"""Tabular TD agents: the fast path equals the step loop, convergence to Q*, the textbook examples, checkpoints."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import boltzgym.envs  # noqa: F401  (registers the ids)
from boltzgym.agents.callbacks import Callback, CheckpointCallback
from boltzgym.agents.planning import expected_return, success_probability, value_iteration
from boltzgym.agents.tabular import AGENT_CLASSES, SARSA, DoubleQLearning, QLearning, TabularAgent
from boltzgym.envs.tabular_mdp import random_mdp


def _train(cls, env_id, fast, steps=3000, env_kwargs=None, **hyperparameters):
    env = gym.make(env_id, **(env_kwargs or {}))
    agent = cls(env, seed=11, use_fast_path=fast, **hyperparameters)
    agent.learn(steps)
    agent.learn(steps // 3)  # a second call continues the env's random stream
    return agent


@pytest.mark.parametrize("name", sorted(AGENT_CLASSES))
@pytest.mark.parametrize("exploration", ["epsilon-greedy", "boltzmann", "ucb"])
def test_fast_path_equals_the_gymnasium_step_loop(name, exploration):
    cls = AGENT_CLASSES[name]
    kwargs = {"exploration": exploration, "exploration_steps": 2000, "step_size_exponent": 0.8}
    fast = _train(cls, "FrozenLake-v1", True, **kwargs)
    slow = _train(cls, "FrozenLake-v1", False, **kwargs)
    assert fast.uses_fast_path and not slow.uses_fast_path
    np.testing.assert_array_equal(fast.q_table, slow.q_table)
    assert fast.episode_returns == slow.episode_returns and fast.episode_end_steps == slow.episode_end_steps
    assert fast.num_timesteps == slow.num_timesteps == 4000
    assert fast.rng.bit_generator.state == slow.rng.bit_generator.state


@pytest.mark.parametrize(
    ("env_id", "env_kwargs"),
    [
        ("boltzgym/GridWorld-v0", {"map_name": "windy", "slip": 0.2}),
        ("boltzgym/TabularMDP-v0", {"n_states": 6, "mdp_seed": 2}),
        ("Taxi-v4", {}),
    ],
)
def test_fast_path_equals_step_loop_on_other_envs(env_id, env_kwargs):
    fast = _train(SARSA, env_id, True, env_kwargs=env_kwargs, exploration_steps=1000)
    slow = _train(SARSA, env_id, False, env_kwargs=env_kwargs, exploration_steps=1000)
    np.testing.assert_array_equal(fast.q_table, slow.q_table)
    assert fast.episode_returns == slow.episode_returns


def test_same_seed_same_result_and_different_seed_differs():
    def run(seed):
        return QLearning(gym.make("FrozenLake-v1"), seed=seed).learn(5000).q_table

    np.testing.assert_array_equal(run(1), run(1))
    assert not np.array_equal(run(1), run(2))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_q_learning_converges_to_value_iterations_q_star(seed):
    # Uniformly random behaviour and step sizes 1/n(s,a)^0.6 (Robbins-Monro): after 1e6 steps on a 6-state MDP
    # the largest error is about 1% of max|Q*| (measured 0.3%-1.1% over seeds 0-4); tolerance 3%.
    env = gym.make("boltzgym/TabularMDP-v0", **random_mdp(6, 2, seed=seed))
    q_star = value_iteration(env, gamma=0.9, tol=1e-12).q_values
    agent = QLearning(env, seed=0, gamma=0.9, epsilon_start=1.0, epsilon_end=1.0, step_size_exponent=0.6)
    agent.learn(1_000_000)
    assert np.abs(agent.q_table - q_star).max() < 0.03 * np.abs(q_star).max()


def _greedy_path(env, q_table, max_steps=50):
    state, _ = env.reset(seed=0)
    path = [state]
    for _ in range(max_steps):
        state, _, terminated, _, _ = env.step(int(q_table[state].argmax()))
        path.append(state)
        if terminated:
            break
    return path


def test_cliff_sarsa_learns_the_safe_path_q_learning_the_optimal_one():
    # Sutton & Barto (2018), example 6.6: epsilon = 0.1, alpha = 0.5, undiscounted.
    kwargs = {"learning_rate": 0.5, "epsilon_start": 0.1, "epsilon_end": 0.1, "gamma": 1.0}
    env = gym.make("boltzgym/GridWorld-v0", map_name="cliff")
    q_agent = QLearning(env, seed=0, **kwargs).learn(20_000)
    sarsa = SARSA(gym.make("boltzgym/GridWorld-v0", map_name="cliff"), seed=0, **kwargs).learn(20_000)
    q_path, sarsa_path = _greedy_path(env, q_agent.q_table), _greedy_path(env, sarsa.q_table)
    assert len(q_path) - 1 == 13 and all(s // 12 >= 2 for s in q_path)  # along the cliff edge
    assert len(sarsa_path) - 1 > 13 and min(s // 12 for s in sarsa_path) == 0  # by the top row, away from it
    assert expected_return(env, q_agent.q_table.argmax(axis=1)) == -13.0
    # ... yet SARSA earns more online, while exploring (the figure of the example).
    assert np.mean(sarsa.episode_returns[-200:]) > np.mean(q_agent.episode_returns[-200:]) + 5


def _maximization_bias_env():
    # Sutton & Barto (2018), example 6.7, with B's N(-0.1, 1) reward as -0.1 then +-1 with probability 1/2.
    # States: 0 = A (start), 1 = B, 2 / 3 = the +1 / -1 outcomes, 4 = terminal. B has 10 actions; A has one "left"
    # action (1) as in the book, and its other actions all go "right" (TabularMDP gives every state 10 actions).
    n_states, n_actions = 5, 10
    probabilities = np.zeros((n_states, n_actions, n_states))
    rewards = np.zeros((n_states, n_actions))
    probabilities[0, :, 4] = 1.0
    probabilities[0, 1] = np.eye(n_states)[1]
    probabilities[1, :, 2] = probabilities[1, :, 3] = 0.5
    rewards[1] = -0.1
    probabilities[2:, :, 4] = 1.0
    rewards[2], rewards[3] = 1.0, -1.0
    return gym.make(
        "boltzgym/TabularMDP-v0",
        transition_probabilities=probabilities,
        rewards=rewards,
        terminal_states=[4],
        initial_distribution=np.eye(n_states)[0],
    )


def test_double_q_removes_the_maximization_bias():
    # Fraction of "left" episodes (3 steps long) among the first 150, averaged over 100 runs. With epsilon = 0.1
    # and 1 of A's 10 actions going left, an unbiased learner goes left about 1% of the time once its estimate of
    # "left" is negative (ties at the start are broken at random).
    def left_fraction(cls):
        fractions = []
        for seed in range(100):
            agent = cls(_maximization_bias_env(), seed=seed, gamma=1.0, epsilon_start=0.1, epsilon_end=0.1)
            agent.learn(600)
            lengths = np.diff([0, *agent.episode_end_steps])[:150]
            fractions.append(np.mean(lengths == 3))
        return np.mean(fractions)

    q_learning, double_q = left_fraction(QLearning), left_fraction(DoubleQLearning)
    assert q_learning > 0.35  # measured 0.51
    assert double_q < 0.15  # measured 0.075


@pytest.mark.parametrize(
    ("map_name", "steps", "hyperparameters", "tolerance"),
    [
        ("4x4", 300_000, {"step_size_exponent": 0.7}, 0.01),
        ("8x8", 5_000_000, {"step_size_exponent": 0.6}, 0.03),
    ],
)
def test_frozenlake_greedy_policy_is_near_optimal(map_name, steps, hyperparameters, tolerance):
    # Exact success probability of the learned greedy policy within the time limit, against the best any policy
    # reaches (backward induction): 0.744 (4x4, 100 steps) and 0.641 (8x8, 200 steps).
    env = gym.make("FrozenLake-v1", map_name=map_name)
    agent = QLearning(env, seed=0, gamma=0.99, exploration_steps=steps // 2, **hyperparameters).learn(steps)
    assert success_probability(env, agent.q_table.argmax(axis=1)) > success_probability(env) - tolerance


@pytest.mark.parametrize("name", sorted(AGENT_CLASSES))
def test_taxi_reaches_the_optimal_return(name):
    # The exact 200-step expected return of the learned greedy policy equals the optimum (7.93 from Taxi's start
    # distribution; checked against simulation in test_planning.py).
    env = gym.make("Taxi-v4")
    agent = AGENT_CLASSES[name](env, seed=0, gamma=0.99, learning_rate=0.1, exploration_steps=1_000_000)
    agent.learn(2_000_000)
    assert expected_return(env, agent.q_table.argmax(axis=1)) == pytest.approx(expected_return(env), abs=1e-9)


def test_unknown_wrapper_falls_back_to_the_step_loop():
    env = gym.wrappers.TransformReward(gym.make("FrozenLake-v1"), lambda r: 2 * r)
    assert not QLearning(env, seed=0).uses_fast_path
    with pytest.raises(ValueError, match="use_fast_path=True but the fast path cannot replay this env: wrapper"):
        QLearning(env, seed=0, use_fast_path=True)


def test_save_load_round_trip_continues_identically(tmp_path):
    agent = DoubleQLearning(gym.make("FrozenLake-v1"), seed=5, exploration="boltzmann").learn(3000)
    agent.save(tmp_path / "ckpt")
    loaded = TabularAgent.load(tmp_path / "ckpt", env=gym.make("FrozenLake-v1"))
    assert type(loaded) is DoubleQLearning and loaded.config == agent.config
    np.testing.assert_array_equal(loaded.q_table, agent.q_table)
    assert loaded.num_timesteps == 3000 and loaded.episode_returns == agent.episode_returns
    assert loaded.predict(np.arange(16))[0].tolist() == agent.predict(np.arange(16))[0].tolist()
    agent.set_env(gym.make("FrozenLake-v1"))  # a fresh env, seeded like the loaded one's
    np.testing.assert_array_equal(agent.learn(2000).q_table, loaded.learn(2000).q_table)
    with pytest.raises(ValueError, match="holds a .DoubleQLearning., not a QLearning"):
        QLearning.load(tmp_path / "ckpt")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        QLearning.load(tmp_path / "missing")


def test_callbacks_run_and_can_stop_training(tmp_path):
    class StopAt(Callback):
        def on_step(self):
            return self.agent.num_timesteps < 25_000

    agent = QLearning(gym.make("FrozenLake-v1"), seed=0)
    checkpoints = CheckpointCallback(save_freq=20_000, save_path=tmp_path)
    agent.learn(100_000, callback=[StopAt(), checkpoints])
    assert agent.num_timesteps == 30_000  # stopped after the chunk that crossed 25 000
    assert [p.name for p in checkpoints.saved] == ["model_20000_steps"]
    assert QLearning.load(checkpoints.saved[0]).num_timesteps == 20_000


def test_predict():
    agent = QLearning(gym.make("FrozenLake-v1"), seed=0)
    agent.q_table[3] = [0.0, 2.0, 2.0, 1.0]
    assert agent.predict(3) == (1, None)  # ties go to the lowest action
    actions, _ = agent.predict(np.array([3, 3]), deterministic=False)
    assert actions.shape == (2,)
    with pytest.raises(ValueError, match="observation must be state indices in \\[0, 16\\), got 16"):
        agent.predict(16)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"gamma": 1.5}, ValueError, "gamma must be in \\[0.0, 1.0\\], got 1.5"),
        ({"gamma": -0.5}, ValueError, "gamma must be in \\[0.0, 1.0\\], got -0.5"),
        ({"learning_rate": 0.0}, ValueError, "learning_rate must be in \\(0, 1\\], got 0.0"),
        ({"exploration": "greedy"}, ValueError, "exploration must be one of"),
        ({"temperature_end": 0.0}, ValueError, "temperature_end must be > 0, got 0.0"),
        ({"step_size_exponent": 2.0}, ValueError, "step_size_exponent must be in \\[0.0, 1.0\\], got 2.0"),
        ({"epsilon": 0.1}, TypeError, "unknown hyperparameter\\(s\\) \\['epsilon'\\]"),
        ({"seed": -1}, ValueError, "seed must be >= 0, got -1"),
    ],
)
def test_bad_hyperparameters_name_the_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        QLearning(gym.make("FrozenLake-v1"), **kwargs)


def test_continuous_observation_space_is_rejected():
    with pytest.raises(TypeError, match="env.observation_space must be gymnasium.spaces.Discrete .*got Box"):
        QLearning(gym.make("CartPole-v1"))
    with pytest.raises(ValueError, match="total_timesteps must be >= 1, got 0"):
        QLearning(gym.make("FrozenLake-v1")).learn(0)


def test_tabular_agents_do_not_import_torch():
    code = "import sys, boltzgym.agents.tabular, boltzgym.agents.planning; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_docstring_examples_run():
    import doctest

    import boltzgym.agents.tabular as module

    assert doctest.testmod(module).failed == 0
