"""The Gray-code enumeration kernels against plain NumPy over every state."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp

from boltzgym.sims.enumeration import (
    boltzmann_probabilities,
    brute_force_ground_state,
    enumerate_energies,
    exact_log_partition,
    states_from_codes,
)
from boltzgym.sims.ising import IsingModel


def random_model(n: int, seed: int, field: bool) -> IsingModel:
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.standard_normal((n, n)), k=1) * (rng.random((n, n)) < 0.6)
    return IsingModel(upper + upper.T, rng.standard_normal(n) if field else None)


@pytest.mark.parametrize("field", [False, True])
def test_energies_equal_the_numpy_reference(field):
    model = random_model(9, seed=3, field=field)
    states = states_from_codes(np.arange(2**9), 9)
    np.testing.assert_allclose(enumerate_energies(model), model.energy(states), atol=1e-10)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("field", [False, True])
def test_brute_force_finds_the_numpy_minimum(seed, field):
    model = random_model(10, seed=seed, field=field)
    energies = model.energy(states_from_codes(np.arange(2**10), 10))
    state, energy = brute_force_ground_state(model)
    assert energy == pytest.approx(energies.min(), abs=1e-10)
    assert float(model.energy(state)) == energy


def test_partition_function_and_probabilities():
    model = random_model(8, seed=1, field=True)
    energies = model.energy(states_from_codes(np.arange(2**8), 8))
    assert exact_log_partition(model, 0.7) == pytest.approx(float(logsumexp(-0.7 * energies)), rel=1e-12)
    p = boltzmann_probabilities(model, 0.7)
    assert p.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(p, np.exp(-0.7 * energies - logsumexp(-0.7 * energies)), rtol=1e-9)


def test_refuses_large_models():
    model = IsingModel(np.zeros((31, 31)))
    with pytest.raises(ValueError, match="at most 30 spins"):
        brute_force_ground_state(model)
    with pytest.raises(ValueError, match="at most 24 spins"):
        enumerate_energies(IsingModel(np.zeros((25, 25))))
