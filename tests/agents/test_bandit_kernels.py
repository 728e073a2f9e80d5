"""The jitted bandit kernels against plain NumPy references on small inputs."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from scipy.special import xlogy

from boltzgym.agents import _bandit_kernels as kernels
from boltzgym.agents import bandits
from boltzgym.agents.bandit_simulation import simulate


def reference_kl(p, q):
    p, q = np.clip(p, 1e-15, 1 - 1e-15), np.clip(q, 1e-15, 1 - 1e-15)
    return p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))


def reference_kl_index(p, level):
    """Bisection (elementwise, to machine precision): the largest q in [p, 1] with kl(p, q) <= level."""
    p, level = np.broadcast_arrays(np.asarray(p, dtype=float), np.asarray(level, dtype=float))
    low, high = p.copy(), np.ones_like(p)
    for _ in range(64):
        middle = 0.5 * (low + high)
        above = reference_kl(p, middle) > level
        high = np.where(above, middle, high)
        low = np.where(above, low, middle)
    return low


def test_update_means_matches_the_incremental_mean():
    rng = np.random.default_rng(0)
    counts, means = np.zeros((4, 3), dtype=np.int64), np.zeros((4, 3))
    history = [[[] for _ in range(3)] for _ in range(4)]
    for _ in range(50):
        arms = rng.integers(0, 3, size=4)
        rewards = rng.normal(size=4)
        kernels.update_means(counts, means, arms, rewards)
        for run in range(4):
            history[run][arms[run]].append(rewards[run])
    for run in range(4):
        for arm in range(3):
            assert counts[run, arm] == len(history[run][arm])
            expected = np.mean(history[run][arm]) if history[run][arm] else 0.0
            assert means[run, arm] == pytest.approx(expected, abs=1e-12)


def test_ucb1_select_matches_numpy_and_tries_untried_arms_first():
    rng = np.random.default_rng(1)
    counts = rng.integers(1, 40, size=(200, 5))
    means = rng.random((200, 5))
    out = np.empty(200, dtype=np.int64)
    log_t = np.log(counts.sum(axis=1).max())
    kernels.ucb1_select(counts, means, log_t, 0.7, out)
    expected = np.argmax(means + 0.7 * np.sqrt(2 * log_t / counts), axis=1)  # notes 6.2
    np.testing.assert_array_equal(out, expected)
    counts[:, 3] = 0
    counts[:50, 1] = 0
    kernels.ucb1_select(counts, means, log_t, 0.7, out)
    assert np.all(out[:50] == 1) and np.all(out[50:] == 3)


def test_kl_ucb_index_matches_bisection():
    rng = np.random.default_rng(2)
    cases = [(0.0, 0.3), (1.0, 0.3), (0.5, 0.0), (0.999, 5.0), (1e-9, 1e-9), (0.3, 40.0)]
    cases += [(float(p), float(level)) for p, level in zip(rng.random(300), rng.exponential(1.0, 300))]
    p, level = np.array(cases).T
    indices = np.array([kernels.kl_ucb_index(*case) for case in cases])
    np.testing.assert_allclose(indices, reference_kl_index(p, level), atol=1e-8)
    assert np.all((p <= indices) & (indices <= 1.0))


def test_kl_ucb_index_is_tighter_than_pinsker_and_grows_with_the_level():
    for p in (0.05, 0.5, 0.95):
        levels = np.linspace(0.01, 2.0, 30)
        indices = [kernels.kl_ucb_index(p, level) for level in levels]
        assert np.all(np.diff(indices) >= 0) and indices[-1] > indices[0]
        assert all(i <= p + np.sqrt(level / 2) + 1e-12 for i, level in zip(indices, levels))


def test_kl_ucb_select_picks_the_largest_index():
    rng = np.random.default_rng(3)
    counts = rng.integers(1, 30, size=(300, 6))
    means = np.round(rng.random((300, 6)), 1)  # repeated values, as Bernoulli sample means have
    neg_entropy = np.empty_like(means)
    for arm in range(6):
        kernels.update_neg_entropy(means, np.full(300, arm, dtype=np.int64), neg_entropy)
    np.testing.assert_allclose(neg_entropy, xlogy(means, means) + xlogy(1 - means, 1 - means), atol=1e-12)
    out = np.empty(300, dtype=np.int64)
    kernels.kl_ucb_select(counts, means, neg_entropy, 4.0, out)
    indices = reference_kl_index(means, 4.0 / counts)
    chosen = indices[np.arange(300), out]
    np.testing.assert_allclose(chosen, indices.max(axis=1), atol=1e-8)
    counts[7, 4] = 0
    kernels.kl_ucb_select(counts, means, neg_entropy, 4.0, out)
    assert out[7] == 4


# The simulator's one-call paths (ucb1_steps, kl_ucb_steps) against the per-step path on the same seeds.


def per_step(policy):
    """The policy with its fused path switched off: simulate then asks select/update at every step."""
    policy._fused_steps = lambda: None
    return policy


def assert_same_result(first, second):
    for field in ("regret_mean", "regret_stderr", "final_regret", "pulls"):
        np.testing.assert_array_equal(getattr(first, field), getattr(second, field), err_msg=field)


@pytest.mark.parametrize(
    "name, kind, means, hyperparameters",
    [
        ("ucb1", "bernoulli", np.linspace(0.9, 0.1, 10), {}),
        ("ucb1", "bernoulli", [0.5, 0.5, 0.5, 0.3], {}),  # equal arms: many exact ties, lowest arm wins
        ("ucb1", "bernoulli", [0.7, 0.6, 0.2], {"alpha": 0.0}),  # greedy
        ("ucb1", "gaussian", [1.0, 0.8, 0.8, -0.5], {"alpha": 2.5}),
        ("ucb1", "bernoulli", [0.0, 0.0, 0.0, 0.2], {"alpha": 1e-310}),  # a subnormal alpha: no pruning
        ("kl-ucb", "bernoulli", np.linspace(0.9, 0.1, 10), {}),
        ("kl-ucb", "bernoulli", [0.5, 0.5, 0.5, 0.3], {"c": 3.0}),
    ],
)
def test_the_fused_path_equals_the_per_step_path_bit_for_bit(name, kind, means, hyperparameters):
    for seed in range(3):
        fused = bandits.make_policy(name, **hyperparameters)
        plain = per_step(bandits.make_policy(name, **hyperparameters))
        first = simulate(fused, means, horizon=523, runs=37, kind=kind, seed=seed)  # 523: chunks of 6, one of 1
        second = simulate(plain, means, horizon=523, runs=37, kind=kind, seed=seed)
        assert_same_result(first, second)
        np.testing.assert_array_equal(fused.means, plain.means)
        assert fused.t == plain.t == 523
        if name == "kl-ucb":
            np.testing.assert_array_equal(fused.neg_entropy, plain.neg_entropy)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="numba has one thread on this machine")
def test_the_fused_path_does_not_depend_on_the_number_of_threads():
    threads = numba.get_num_threads()
    runs = {}
    try:
        for count in (1, 2):
            numba.set_num_threads(count)
            runs[count] = [simulate(name, np.linspace(0.8, 0.2, 6), 400, 101, seed=4) for name in ("ucb1", "kl-ucb")]
    finally:
        numba.set_num_threads(threads)
    serial, parallel = runs[1], runs[2]
    for first, second in zip(serial, parallel, strict=True):
        assert_same_result(first, second)


def test_a_subclass_that_changes_select_or_update_loses_the_fused_path():
    class Plain(bandits.UCB1):
        pass

    class OwnSelect(bandits.UCB1):
        def select(self):
            return super().select()

    class OwnUpdate(bandits.KLUCB):
        def update(self, arms, rewards):
            super().update(arms, rewards)

    assert Plain()._fused_steps() is not None and bandits.KLUCB()._fused_steps() is not None
    assert OwnSelect()._fused_steps() is None and OwnUpdate()._fused_steps() is None
    assert bandits.ThompsonSampling()._fused_steps() is None
    # and the overriding subclass still simulates, step by step, to the same numbers
    assert_same_result(
        simulate(OwnSelect(), [0.6, 0.4], 200, runs=9, seed=1), simulate("ucb1", [0.6, 0.4], 200, 9, seed=1)
    )
