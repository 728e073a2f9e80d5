"""The bandit envs: rewards, regret bookkeeping, drawn means, drift, and errors that name the argument."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import boltzgym.envs  # noqa: F401  (registers the ids)
from boltzgym.envs.bandits import BernoulliBanditEnv, DriftingBanditEnv, GaussianBanditEnv


def test_bernoulli_rewards_follow_the_means_and_info_reports_the_regret():
    env = gym.make("boltzgym/BernoulliBandit-v0", means=[0.2, 0.7, 0.5], max_episode_steps=10_000)
    obs, info = env.reset(seed=3)
    assert obs == 0 and info == {"optimal_arm": 1}
    for arm, mean in enumerate([0.2, 0.7, 0.5]):
        rewards, regrets = [], set()
        for _ in range(2000):
            obs, reward, terminated, truncated, info = env.step(arm)
            rewards.append(reward)
            regrets.add(info["instant_regret"])
            assert obs == 0 and not terminated and info["optimal_arm"] == 1
        assert set(rewards) <= {0.0, 1.0}
        # 2000 Bernoulli draws: standard error <= 0.0112, so 5 standard errors is 0.056
        assert abs(np.mean(rewards) - mean) < 0.056
        assert len(regrets) == 1 and regrets.pop() == pytest.approx(0.7 - mean)


def test_gaussian_rewards_have_the_given_mean_and_stddev():
    env = GaussianBanditEnv(means=[1.0, -2.0], stddev=0.5)
    env.reset(seed=0)
    rewards = np.array([env.step(1)[1] for _ in range(4000)])
    assert abs(rewards.mean() + 2.0) < 5 * 0.5 / np.sqrt(4000)
    assert abs(rewards.std() - 0.5) < 0.03
    assert env.step(1)[4]["instant_regret"] == pytest.approx(3.0)


@pytest.mark.parametrize("env_class", [BernoulliBanditEnv, GaussianBanditEnv, DriftingBanditEnv])
def test_drawn_means_come_from_the_seed(env_class):
    env = env_class(n_arms=6)
    env.reset(seed=11)
    first = env.means.copy()
    env.reset(seed=11)
    np.testing.assert_array_equal(env.means, first)
    env.reset(seed=12)
    assert not np.array_equal(env.means, first)
    assert first.shape == (6,) and env.action_space.n == 6
    if env_class is BernoulliBanditEnv:
        assert np.all((first >= 0) & (first <= 1))


def test_given_means_are_restored_at_reset_even_after_drift():
    env = DriftingBanditEnv(means=[0.0, 1.0], drift_std=0.5)
    env.reset(seed=0)
    for _ in range(10):
        env.step(0)
    assert not np.array_equal(env.means, [0.0, 1.0])
    env.reset(seed=1)
    np.testing.assert_array_equal(env.means, [0.0, 1.0])


def test_random_walk_steps_have_the_drift_std():
    env = DriftingBanditEnv(means=np.zeros(4), drift_std=0.2)
    env.reset(seed=5)
    trajectory = [env.means.copy()]
    for _ in range(1000):
        env.step(0)
        trajectory.append(env.means.copy())
    steps = np.diff(np.array(trajectory), axis=0)
    assert abs(steps.std() - 0.2) < 0.01
    assert abs(steps.mean()) < 0.01


def test_abrupt_changes_happen_at_the_given_rate_and_regret_uses_the_means_at_the_pull():
    env = DriftingBanditEnv(n_arms=3, drift="abrupt", change_probability=0.05)
    env.reset(seed=2)
    changes = 0
    for _ in range(2000):
        before = env.means.copy()
        _, _, _, _, info = env.step(0)
        assert info["instant_regret"] == pytest.approx(before.max() - before[0])
        assert info["optimal_arm"] == int(np.argmax(before))
        changes += not np.array_equal(before, env.means)
    # Binomial(2000, 0.05): mean 100, standard deviation 9.7
    assert 60 < changes < 140


def test_render_ansi_describes_the_state():
    env = BernoulliBanditEnv(means=[0.25, 0.5], render_mode="ansi")
    env.reset(seed=0)
    env.step(1)
    text = env.render()
    assert "0.25" in text and "last pulled arm 1" in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_arms": 1}, r"n_arms must be >= 2, got 1"),
        ({"means": [0.5]}, r"means must hold at least 2 arms, got 1"),
        ({"means": [0.5, 1.5]}, r"means\[1\] \(Bernoulli arm means\) must be in \[0.0, 1.0\], got 1.5"),
        ({"means": [0.5, -0.1]}, r"means\[1\].*got -0.1"),
        ({"n_arms": 3, "means": [0.1, 0.2]}, r"n_arms=3 disagrees with len\(means\)=2"),
        ({"n_arms": 2.5}, r"n_arms must be an integer, got 2.5"),
        ({"render_mode": "human"}, r"render_mode must be one of \['ansi', 'rgb_array'\] or None, got 'human'"),
    ],
)
def test_bernoulli_bad_arguments_name_the_argument(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        BernoulliBanditEnv(**kwargs)


def test_other_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match=r"stddev must be > 0, got -1.0"):
        GaussianBanditEnv(stddev=-1.0)
    with pytest.raises(ValueError, match=r"means must be finite"):
        GaussianBanditEnv(means=[0.0, np.inf])
    with pytest.raises(ValueError, match=r"drift must be one of \['random-walk', 'abrupt'\], got 'sideways'"):
        DriftingBanditEnv(drift="sideways")
    with pytest.raises(ValueError, match=r"change_probability must be in \[0.0, 1.0\], got 2.0"):
        DriftingBanditEnv(change_probability=2.0)


def test_step_rejects_a_bad_action_and_requires_reset():
    env = BernoulliBanditEnv(means=[0.1, 0.9])
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action must be an arm index in \[0, 1\], got 2"):
        env.step(2)
