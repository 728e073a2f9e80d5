"""Houdayer cluster moves: conservation, stationarity of the exact distribution, and tempering with them sampling the
exact Boltzmann distribution at every temperature of an enumerable 2D lattice."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chisquare

from boltzgym.sims.annealing import parallel_tempering
from boltzgym.sims.cluster import houdayer_move
from boltzgym.sims.enumeration import boltzmann_probabilities, states_from_codes
from boltzgym.sims.planar import planar_spin_glass


def codes_of(states: np.ndarray) -> np.ndarray:
    return ((states > 0).astype(np.int64) << np.arange(states.shape[-1])).sum(axis=-1)


def chi2_pvalue(codes: np.ndarray, probabilities: np.ndarray) -> float:
    """Pearson's test of the observed codes against the probabilities, cells with < 5 expected lumped together."""
    observed = np.bincount(codes, minlength=probabilities.size).astype(float)
    expected = probabilities * codes.size
    big = expected >= 5
    f_obs = np.r_[observed[big], observed[~big].sum()]
    f_exp = np.r_[expected[big], expected[~big].sum()]
    if f_exp[-1] == 0:
        f_obs, f_exp = f_obs[:-1], f_exp[:-1]
    return float(chisquare(f_obs, f_exp * f_obs.sum() / f_exp.sum()).pvalue)


def test_a_move_keeps_the_total_energy_and_the_overlap():
    model = planar_spin_glass(8, couplings="gaussian", seed=0).to_model()
    rng = np.random.default_rng(1)
    a, b = rng.choice([-1, 1], size=(2, 50, 64)).astype(np.int8)
    new_a, new_b, sizes = houdayer_move(model, a, b, seed=2)
    np.testing.assert_allclose(model.energy(new_a) + model.energy(new_b), model.energy(a) + model.energy(b))
    np.testing.assert_array_equal(new_a * new_b, a * b)
    np.testing.assert_array_equal((new_a != a).sum(axis=1), sizes)
    assert np.all(sizes > 0)
    # the flipped sites form one connected cluster of differing sites: re-flipping it is a valid move back
    same, _, zero = houdayer_move(model, a[:1], a[:1], seed=0)
    assert zero[0] == 0 and np.array_equal(same, a[:1])


def test_moves_keep_exact_pairs_exact():
    # pairs drawn exactly from p(a) p(b) stay distributed so after one move each (stationarity), while moving a lot
    model = planar_spin_glass(3, couplings="gaussian", seed=4).to_model()
    p = boltzmann_probabilities(model, 0.8)
    rng = np.random.default_rng(0)
    n = 40_000
    a = states_from_codes(rng.choice(p.size, size=n, p=p), 9)
    b = states_from_codes(rng.choice(p.size, size=n, p=p), 9)
    new_a, new_b, sizes = houdayer_move(model, a, b, seed=1)
    assert (sizes > 0).mean() > 0.5 and np.mean(np.any(new_a != a, axis=1)) > 0.5
    assert chi2_pvalue(codes_of(new_a), p) > 1e-3
    assert chi2_pvalue(codes_of(new_b), p) > 1e-3
    # the pairs' joint law too: p(a) p(b), on the pair codes
    joint = np.outer(p, p).ravel()
    assert chi2_pvalue(codes_of(new_a) * p.size + codes_of(new_b), joint) > 1e-3


@pytest.mark.parametrize("couplings", ["gaussian", "pm"])
def test_tempering_with_houdayer_samples_the_exact_distribution_per_temperature(couplings):
    model = planar_spin_glass(3, couplings=couplings, seed=2).to_model()
    result = parallel_tempering(model, num_sweeps=60, n_temperatures=4, n_chains=3000, beta_range=(0.3, 2.0),
                                seed=5, houdayer=True, houdayer_beta_min=0.0)  # fmt: skip
    assert np.all(result.cluster_fraction > 0)  # moves were made at every temperature
    for k, beta in enumerate(result.betas):
        assert chi2_pvalue(codes_of(result.states[:, k]), boltzmann_probabilities(model, beta)) > 1e-3, (k, beta)


def test_houdayer_options():
    model = planar_spin_glass(4, couplings="pm", seed=0).to_model()
    result = parallel_tempering(model, num_sweeps=20, n_temperatures=6, n_chains=4, seed=0, houdayer=True)
    cold_half = result.betas >= np.sqrt(result.betas[0] * result.betas[-1])
    assert np.all(result.cluster_fraction[~cold_half] == 0) and np.all(result.cluster_fraction[cold_half] > 0)
    again = parallel_tempering(model, num_sweeps=20, n_temperatures=6, n_chains=4, seed=0, houdayer=True)
    np.testing.assert_array_equal(again.states, result.states)
    plain = parallel_tempering(model, num_sweeps=20, n_temperatures=6, n_chains=4, seed=0)
    assert plain.cluster_fraction is None
    with pytest.raises(ValueError, match="n_chains must be even"):
        parallel_tempering(model, num_sweeps=5, n_chains=3, houdayer=True)
    with pytest.raises(ValueError, match="houdayer=True only"):
        parallel_tempering(model, num_sweeps=5, n_chains=2, houdayer_beta_min=1.0)
