"""Bandit policies and the simulator: regret bounds, rankings, env/simulator agreement, seeds, errors."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from scipy import stats

import boltzgym.envs  # noqa: F401  (registers the ids)
from boltzgym.agents.bandit_simulation import (
    auer_ucb1_bound,
    bandit_means,
    compare_policies,
    lai_robbins_bound,
    run_env_loop,
    simulate,
)
from boltzgym.agents.bandits import (
    POLICY_NAMES,
    UCB1,
    EpsilonGreedy,
    Softmax,
    ThompsonSampling,
    make_policy,
)

WELL_SEPARATED = [0.9, 0.2]  # Auer's bound is tighter than random play from t ~ 100 on
THREE_ARMS = [0.9, 0.5, 0.2]


@pytest.mark.parametrize("means", [WELL_SEPARATED, THREE_ARMS, [0.8, 0.7, 0.6, 0.5, 0.4]])
def test_ucb1_mean_regret_stays_under_auers_bound(means):
    horizons = np.array([10, 100, 1000, 5000])
    result = simulate("ucb1", means, horizon=int(horizons[-1]), runs=300, seed=0)
    bound = auer_ucb1_bound(means, horizons)
    assert np.all(result.regret_mean[horizons - 1] <= bound)
    # the bound is not vacuous here: uniformly random play would exceed it at the last horizon
    gaps = np.max(means) - np.asarray(means)
    if len(means) <= 3:
        assert gaps.mean() * horizons[-1] > bound[-1]


def test_ucb1_regret_grows_logarithmically():
    result = simulate("ucb1", THREE_ARMS, horizon=8000, runs=300, seed=1)
    regret = result.regret_mean
    increments = [regret[2 * n - 1] - regret[n - 1] for n in (1000, 2000, 4000)]  # one per doubling of t
    # logarithmic growth adds the same amount per doubling; sqrt(t) growth would multiply it by 2 twice
    assert all(i > 0 for i in increments)
    assert 0.65 < increments[2] / increments[0] < 1.5
    slope = np.polyfit(np.log([1000, 2000, 4000, 8000]), regret[[999, 1999, 3999, 7999]], 1)[0]
    lower_constant = lai_robbins_bound(THREE_ARMS, np.e)  # regret / ln t of the best possible policy
    assert lower_constant < slope < auer_ucb1_bound(THREE_ARMS, np.e) - auer_ucb1_bound(THREE_ARMS, 1.0)


def test_thompson_and_kl_ucb_beat_ucb1_on_bernoulli_arms():
    results = compare_policies(["ucb1", "kl-ucb", "thompson"], [0.9, 0.8, 0.7, 0.6, 0.5], 2000, runs=200, seed=2)
    ucb1 = results["ucb1"].final_regret_mean
    for name in ("kl-ucb", "thompson"):
        result = results[name]
        assert result.final_regret_mean + 4 * result.final_regret_stderr < 0.7 * ucb1, name


def test_simulator_agrees_with_the_env_loop():
    means, horizon = [0.7, 0.5, 0.3], 200
    for name in ("ucb1", "thompson"):
        env = gym.make("boltzgym/BernoulliBandit-v0", means=means, max_episode_steps=horizon)
        env_final = np.array([run_env_loop(name, env, horizon, seed=s)[-1] for s in range(80)])
        sim = simulate(name, means, horizon, runs=2000, seed=123)
        z = (env_final.mean() - sim.final_regret_mean) / np.hypot(
            env_final.std(ddof=1) / np.sqrt(env_final.size), sim.final_regret_stderr
        )
        assert abs(z) < 4, (name, env_final.mean(), sim.final_regret_mean)
        assert stats.ks_2samp(env_final, sim.final_regret).pvalue > 1e-3, name


def test_env_loop_ucb1_pulls_each_arm_once_first_and_returns_cumulative_regret():
    env = gym.make("boltzgym/GaussianBandit-v0", means=[0.0, 1.0, 0.5], max_episode_steps=50)
    regret = run_env_loop(UCB1(), env, 50, seed=0)
    np.testing.assert_allclose(regret[:3], [1.0, 1.0, 1.5])  # arms 0, 1, 2: gaps 1, 0, 0.5
    assert regret.shape == (50,) and np.all(np.diff(regret) >= 0)
    for name in ("ucb1", "softmax"):  # the same seed replays the same run; another seed does not
        runs = [run_env_loop(name, env, 50, seed=seed) for seed in (1, 1, 2)]
        np.testing.assert_array_equal(runs[0], runs[1])
        assert not np.array_equal(runs[0], runs[2])
    with pytest.raises(ValueError, match="horizon=60 exceeds the env's episode length"):
        run_env_loop(UCB1(), env, 60, seed=0)


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_same_seed_same_numbers_and_other_seeds_differ(name):
    kind = "gaussian" if name == "thompson-gaussian" else "bernoulli"
    first = simulate(name, [0.6, 0.5, 0.4], horizon=300, runs=20, kind=kind, seed=7)
    second = simulate(name, [0.6, 0.5, 0.4], horizon=300, runs=20, kind=kind, seed=7)
    other = simulate(name, [0.6, 0.5, 0.4], horizon=300, runs=20, kind=kind, seed=8)
    np.testing.assert_array_equal(first.final_regret, second.final_regret)
    np.testing.assert_array_equal(first.regret_mean, second.regret_mean)
    np.testing.assert_array_equal(first.pulls, second.pulls)
    assert not np.array_equal(first.final_regret, other.final_regret)
    assert np.all(first.pulls.sum(axis=1) == 300)


def test_regret_statistics_match_the_runs():
    result = simulate("eps-greedy", THREE_ARMS, horizon=100, runs=50, seed=3)
    gaps = np.max(THREE_ARMS) - np.asarray(THREE_ARMS)
    np.testing.assert_allclose(result.final_regret, result.pulls @ gaps)
    assert result.regret_mean[-1] == pytest.approx(result.final_regret.mean())
    assert result.final_regret_stderr == pytest.approx(stats.sem(result.final_regret))


def test_epsilon_greedy_explores_at_the_given_rate():
    policy = EpsilonGreedy(epsilon=0.3).reset(n_arms=4, n_runs=20_000, seed=0)
    policy.update(np.zeros(20_000, dtype=np.int64), np.ones(20_000))
    policy.t = 10  # past the initial round; arm 0 is the only tried arm and has the best mean
    policy.counts[:, 1:] = 1
    chosen = policy.select()
    # arm 0 is chosen greedily (0.7) or at random (0.3 / 4)
    assert abs(np.mean(chosen == 0) - (0.7 + 0.3 / 4)) < 0.015
    decaying = make_policy("eps-decay").reset(n_arms=10, seed=0)
    decaying.t = 10_000
    assert decaying.current_epsilon() == pytest.approx(0.1 * 10 / (0.01 * 10_000))


def test_softmax_samples_the_boltzmann_distribution():
    policy = Softmax(temperature=0.5).reset(n_arms=3, n_runs=30_000, seed=1)
    policy.means[:] = [1.0, 0.5, 0.0]
    frequencies = np.bincount(policy.select(), minlength=3) / 30_000
    expected = np.exp(np.array([1.0, 0.5, 0.0]) / 0.5)
    np.testing.assert_allclose(frequencies, expected / expected.sum(), atol=0.015)


def test_beta_thompson_picks_each_arm_with_its_posterior_probability():
    policy = ThompsonSampling().reset(n_arms=2, n_runs=30_000, seed=2)
    # arm 0: 3 successes in 4 pulls -> Beta(4, 2); arm 1: 1 in 2 -> Beta(2, 2)
    policy.counts[:] = [4, 2]
    policy.means[:] = [0.75, 0.5]
    grid = np.linspace(0, 1, 20_001)
    p_arm0 = np.trapezoid(stats.beta(4, 2).pdf(grid) * stats.beta(2, 2).cdf(grid), grid)
    assert abs(np.mean(policy.select() == 0) - p_arm0) < 0.015


def test_ucb1_alpha_zero_is_greedy_and_every_policy_returns_valid_arms():
    policy = UCB1(alpha=0.0).reset(n_arms=3, n_runs=2, seed=0)
    policy.counts[:] = 5
    policy.means[:] = [[0.1, 0.9, 0.5], [0.8, 0.2, 0.3]]
    policy.t = 15
    np.testing.assert_array_equal(policy.select(), [1, 0])
    for name in POLICY_NAMES:
        chosen = make_policy(name).reset(n_arms=5, n_runs=7, seed=0).select()
        assert chosen.shape == (7,) and chosen.dtype.kind == "i" and np.all((chosen >= 0) & (chosen < 5))


def test_bounds_have_their_published_form():
    means = [0.9, 0.6, 0.5]
    gaps = np.array([0.3, 0.4])
    t = np.array([10.0, 1000.0])
    expected = 8 * np.log(t) * np.sum(1 / gaps) + (1 + np.pi**2 / 3) * (0.3 + 0.4)
    np.testing.assert_allclose(auer_ucb1_bound(means, t), expected)
    kl = [0.6 * np.log(0.6 / 0.9) + 0.4 * np.log(0.4 / 0.1), 0.5 * np.log(0.5 / 0.9) + 0.5 * np.log(0.5 / 0.1)]
    np.testing.assert_allclose(lai_robbins_bound(means, t), np.log(t) * (0.3 / kl[0] + 0.4 / kl[1]))
    np.testing.assert_allclose(lai_robbins_bound([1.0, 0.0], t, kind="gaussian", reward_std=2.0), np.log(t) * 8.0)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: simulate("ucb1", [0.5], 10), ValueError, r"means must list at least 2 arms"),
        (lambda: simulate("ucb1", [0.5, 1.5], 10), ValueError, r"means must be in \[0, 1\] for Bernoulli arms"),
        (lambda: simulate("ucb1", [0.5, 0.4], -5), ValueError, r"horizon must be >= 1, got -5"),
        (lambda: simulate("ucb1", [0.5, 0.4], 10, runs=0), ValueError, r"runs must be >= 1, got 0"),
        (lambda: simulate("ucb1", [0.5, 0.4], 10, kind="poisson"), ValueError, r"kind must be one of"),
        (lambda: simulate("ucb1", [0.5, 0.4], 10, seed=-1), ValueError, r"seed must be >= 0, got -1"),
        (lambda: simulate("kl-ucb", [3.0, 0.4], 10, kind="gaussian"), ValueError, r"'kl-ucb' models rewards in"),
        (lambda: make_policy("ucb2"), ValueError, r"unknown policy 'ucb2'; expected one of \['ucb1', 'kl-ucb'"),
        (lambda: compare_policies(["ucb1", "nope"], [0.5, 0.4], 10), ValueError, r"policies: unknown policy 'nope'"),
        (lambda: bandit_means(arms=1), ValueError, r"arms must be >= 2, got 1"),
        (lambda: bandit_means(arms=3, means=[0.1, 0.2]), ValueError, r"arms=3 disagrees with the 2 values of means"),
        (lambda: UCB1(alpha=-1), ValueError, r"alpha must be >= 0, got -1.0"),
        (lambda: EpsilonGreedy(epsilon=1.5), ValueError, r"epsilon must be in \[0.0, 1.0\], got 1.5"),
        (lambda: Softmax(temperature=0), ValueError, r"temperature must be > 0, got 0.0"),
        (lambda: ThompsonSampling(prior="flat"), ValueError, r"prior must be one of \['beta', 'gaussian'\]"),
        (lambda: UCB1().reset(n_arms=1), ValueError, r"n_arms must be >= 2, got 1"),
        (lambda: UCB1().select(), RuntimeError, r"call reset"),
    ],
)
def test_bad_input_names_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_update_rejects_bad_arms_and_rewards():
    policy = make_policy("kl-ucb").reset(n_arms=3, n_runs=2, seed=0)
    with pytest.raises(ValueError, match=r"arms and rewards must have shape \(2,\), got \(3,\) and \(2,\)"):
        policy.update([0, 1, 2], [1.0, 0.0])
    with pytest.raises(ValueError, match=r"arms must be in \[0, 2\], got values 0..3"):
        policy.update([0, 3], [1.0, 0.0])
    with pytest.raises(ValueError, match=r"rewards must be in \[0, 1\] for kl-ucb"):
        policy.update([0, 1], [1.0, 2.0])
    assert policy.t == 0 and policy.counts.sum() == 0
