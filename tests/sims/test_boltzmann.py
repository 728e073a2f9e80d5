"""The general Boltzmann machine: sampled statistics against enumeration, learning, seeding, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from boltzgym.sims.boltzmann import BoltzmannMachine


def machine(temperature: float = 1.0, seed: int = 1) -> BoltzmannMachine:
    bm = BoltzmannMachine(3, 2, temperature=temperature, random_state=0)
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.normal(0.0, 1.0, (5, 5)), k=1)
    bm.weights = upper + upper.T
    bm.bias = rng.normal(0.0, 1.0, 5)
    return bm


def test_exact_distribution_is_the_normalized_boltzmann_weight():
    bm = machine(temperature=2.0)
    states, probabilities = bm.exact_distribution()
    assert states.shape == (32, 5) and probabilities.sum() == pytest.approx(1.0)
    energies = np.array([-0.5 * x @ bm.weights @ x - bm.bias @ x for x in states])
    ratio = probabilities[3] / probabilities[17]
    assert ratio == pytest.approx(np.exp(-(energies[3] - energies[17]) / 2.0))
    _, marginal = bm.exact_visible_distribution()
    assert marginal[0b101] == pytest.approx(probabilities[np.all(states[:, :3] == [1, 0, 1], axis=1)].sum())


def test_free_and_clamped_sampled_statistics_match_enumeration():
    bm = machine(temperature=1.5)
    n = 4000
    free = bm.sample(n, num_sweeps=30, seed=0)
    np.testing.assert_allclose(free.T @ free / n, bm.exact_statistics(), atol=0.04)
    patterns = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    clamped = bm.sample(n, num_sweeps=30, visible=np.repeat(patterns, n // 2, axis=0), seed=1)
    np.testing.assert_array_equal(clamped[:, :3], np.repeat(patterns, n // 2, axis=0))
    np.testing.assert_allclose(clamped.T @ clamped / n, bm.exact_statistics(patterns), atol=0.04)


def test_learning_raises_the_exact_log_likelihood():
    X = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    bm = BoltzmannMachine(3, 2, learning_rate=0.5, n_iter=60, n_chains=200, random_state=0)
    before = bm.exact_log_likelihood(X)
    bm.fit(X)
    after = bm.exact_log_likelihood(X)
    assert after > before + 0.5 and after <= -np.log(3) + 1e-9
    np.testing.assert_array_equal(bm.weights, bm.weights.T)
    assert np.all(np.diag(bm.weights) == 0)


def test_same_seed_same_machine():
    X = np.array(list(itertools.product((0.0, 1.0), repeat=2)))[[0, 3]]
    first = BoltzmannMachine(2, 1, n_iter=3, n_chains=20, random_state=5).fit(X)
    second = BoltzmannMachine(2, 1, n_iter=3, n_chains=20, random_state=5).fit(X)
    np.testing.assert_array_equal(first.weights, second.weights)
    np.testing.assert_array_equal(first.bias, second.bias)


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="temperature must be > 0"):
        BoltzmannMachine(3, temperature=0.0)
    bm = BoltzmannMachine(3, 1, random_state=0)
    with pytest.raises(ValueError, match="X must be binary"):
        bm.fit([[0.0, 0.5, 1.0]])
    with pytest.raises(ValueError, match="X must have 3 features"):
        bm.exact_log_likelihood([[0.0, 1.0]])
    with pytest.raises(ValueError, match="exact enumeration needs"):
        BoltzmannMachine(15, 10).exact_distribution()
