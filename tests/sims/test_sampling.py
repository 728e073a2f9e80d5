"""The jitted sampling core against a plain reference, exact Boltzmann statistics and its invariants."""

from __future__ import annotations

import itertools

import numba
import numpy as np
import pytest
import scipy.sparse as sp

from boltzgym.sims._engine import integer_energy_bound
from boltzgym.sims.ising import IsingModel
from boltzgym.sims.sampling import gibbs_sample
from boltzgym.utils.rng import make_streams, next_below, next_double


def random_model(n: int, seed: int, field_scale: float = 0.5) -> IsingModel:
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(size=(n, n)), k=1)
    return IsingModel(J + J.T, field_scale * rng.normal(size=n))


def random_states(n_replicas: int, n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).choice(np.array([-1, 1], dtype=np.int8), size=(n_replicas, n))


def reference_sweeps(model, states, beta, num_sweeps, method, order, seed, clamped=None):
    """Plain NumPy single-site updates that draw the same random numbers in the same order as the kernel."""
    # random order: the site's draw comes first, then the rule's
    states = states.astype(np.int64).copy()
    J, h = model.dense_couplings(), model.h
    rng = make_streams(seed, states.shape[0])
    n = states.shape[1]
    for r in range(states.shape[0]):
        s = states[r]
        for _ in range(num_sweeps):
            for step in range(n):
                i = next_below(rng, r, n) if order == "random" else step
                if clamped is not None and clamped[i]:
                    continue
                field = J[i] @ s + h[i]
                if method == "metropolis":  # one uniform per attempt, accept with min(1, exp(-beta dE))
                    u = next_double(rng, r)
                    dE = 2 * s[i] * field
                    if dE <= 0 or (beta * dE < 44.3614195558365 and u < np.exp(-beta * dE)):
                        s[i] = -s[i]
                else:
                    s[i] = 1 if next_double(rng, r) < 1 / (1 + np.exp(-2 * beta * field)) else -1
    return states


# without clamped sites, sequential Metropolis runs the annealing fast path (_metropolis_in_order)
@pytest.mark.parametrize("with_clamped", [True, False])
@pytest.mark.parametrize(("method", "order"), [("metropolis", "sequential"), ("glauber", "random")])
@pytest.mark.parametrize("kind", ["dense", "sparse", "dense-integer", "sparse-integer"])
def test_kernel_matches_numpy_reference(method, order, kind, with_clamped):
    model = random_model(7, 3)
    if kind.endswith("integer"):  # integer couplings: Metropolis reads exp(-beta dE) from a table
        model = IsingModel(np.sign(model.J) * 2, np.round(model.h))
        assert integer_energy_bound(model) >= 0
    if kind.startswith("sparse"):
        model = IsingModel(sp.csr_matrix(model.J), model.h)
    start = random_states(3, 7, 0)
    clamped = np.zeros(7, dtype=bool)
    clamped[[1, 4]] = with_clamped
    result = gibbs_sample(model, start, 0.8, 5, clamped=clamped, method=method, order=order, seed=11)
    expected = reference_sweeps(model, start, 0.8, 5, method, order, 11, clamped)
    np.testing.assert_array_equal(result.states, expected)
    np.testing.assert_allclose(result.energies, model.energy(expected))
    if with_clamped:
        np.testing.assert_array_equal(result.states[:, [1, 4]], start[:, [1, 4]])
    else:
        assert not np.array_equal(result.states, start)


def exact_boltzmann(model: IsingModel, beta: float) -> tuple[np.ndarray, np.ndarray]:
    states = np.array(list(itertools.product([-1, 1], repeat=model.n_spins)), dtype=np.int8)
    weights = np.exp(-beta * (model.energy(states) - model.energy(states).min()))
    return states, weights / weights.sum()


def empirical_distribution(samples: np.ndarray) -> np.ndarray:
    n = samples.shape[1]
    codes = ((samples > 0).astype(np.int64) * (1 << np.arange(n - 1, -1, -1))).sum(axis=1)
    return np.bincount(codes, minlength=2**n) / samples.shape[0]


# 20000 independent chains of 30 sweeps over 2**6 states: the total-variation distance of the empirical
# distribution from the exact one has mean about 0.02; 0.05 leaves a wide margin while catching a wrong
# acceptance rule (e.g. Glauber with beta instead of 2 beta moves it by about 0.26 here).
TV_TOLERANCE = 0.05


@pytest.mark.parametrize(
    ("method", "order"), [("metropolis", "sequential"), ("glauber", "sequential"), ("metropolis", "random")]
)
def test_samples_follow_exact_boltzmann_distribution(method, order):
    model = random_model(6, 5)
    beta = 0.6
    _, exact = exact_boltzmann(model, beta)
    result = gibbs_sample(model, random_states(20000, 6, 1), beta, 30, method=method, order=order, seed=2)
    total_variation = 0.5 * np.abs(empirical_distribution(result.states) - exact).sum()
    assert total_variation < TV_TOLERANCE


def test_clamped_sampling_follows_conditional_distribution():
    model = random_model(6, 8)
    beta = 0.7
    states, exact = exact_boltzmann(model, beta)
    clamped = np.array([True, False, False, True, False, False])
    fixed = np.array([1, 0, 0, -1, 0, 0])
    match = np.all(states[:, clamped] == fixed[clamped], axis=1)
    conditional = np.where(match, exact, 0.0) / exact[match].sum()
    start = random_states(20000, 6, 3)
    start[:, clamped] = fixed[clamped]
    result = gibbs_sample(model, start, beta, 30, clamped=clamped, seed=4)
    assert 0.5 * np.abs(empirical_distribution(result.states) - conditional).sum() < TV_TOLERANCE


@pytest.mark.parametrize("method", ["metropolis", "glauber"])
def test_zero_temperature_single_site_updates_never_raise_energy(method):
    model = random_model(40, 9)
    result = gibbs_sample(
        model, random_states(8, 40, 2), np.inf, 12, method=method, order="random", seed=0, record_energy=True
    )
    trace = np.concatenate([model.energy(random_states(8, 40, 2))[:, None], result.energy_trace], axis=1)
    assert np.all(np.diff(trace, axis=1) <= 1e-9)
    np.testing.assert_allclose(result.energy_trace[:, -1], model.energy(result.states))
    # a fixed point of sign(f): every spin agrees with its local field
    settled = gibbs_sample(model, result.states, np.inf, 50, seed=0)
    fields = model.local_fields(settled.states)
    assert np.all(settled.states * fields >= 0)


def test_synchronous_update_is_sign_of_field_and_tracks_energy():
    model = random_model(12, 4)
    start = random_states(5, 12, 7)
    result = gibbs_sample(model, start, np.inf, 1, order="synchronous", seed=0)
    fields = model.local_fields(start)
    expected = np.where(fields > 0, 1, np.where(fields < 0, -1, start))
    np.testing.assert_array_equal(result.states, expected)
    finite = gibbs_sample(model, start, 0.5, 3, order="synchronous", seed=0, record_energy=True)
    np.testing.assert_allclose(finite.energy_trace[:, -1], model.energy(finite.states))


def test_same_seed_same_result_and_independent_of_threads():
    model = random_model(30, 6)
    start = random_states(6, 30, 0)
    first = gibbs_sample(model, start, 0.5, 20, seed=42, parallel=True)
    again = gibbs_sample(model, start, 0.5, 20, seed=42, parallel=True)
    serial = gibbs_sample(model, start, 0.5, 20, seed=42, parallel=False)
    automatic = gibbs_sample(model, start, 0.5, 20, seed=42)
    np.testing.assert_array_equal(first.states, again.states)
    np.testing.assert_array_equal(first.states, serial.states)
    np.testing.assert_array_equal(first.states, automatic.states)
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one_thread = gibbs_sample(model, start, 0.5, 20, seed=42, parallel=True)
    finally:
        numba.set_num_threads(previous)
    np.testing.assert_array_equal(first.states, one_thread.states)
    assert not np.array_equal(first.states, gibbs_sample(model, start, 0.5, 20, seed=43).states)
    single = gibbs_sample(model, start[2], 0.5, 20, seed=0)
    assert single.states.shape == (30,) and single.energies.shape == ()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"beta": -1.0}, ValueError, "beta must be >= 0"),
        ({"beta": "hot"}, TypeError, "beta must be a real number"),
        ({"num_sweeps": 0}, ValueError, "num_sweeps must be >= 1, got 0"),
        ({"method": "gibbs"}, ValueError, "method must be one of"),
        ({"order": "backwards"}, ValueError, "order must be one of"),
        ({"order": "synchronous", "method": "metropolis"}, ValueError, "method must be 'glauber'"),
        ({"clamped": [1, 0, 0]}, ValueError, "clamped must be a boolean mask"),
        ({"initial_states": [[1, 0, 1]]}, ValueError, "initial_states must contain only"),
        ({"initial_states": [1, 1]}, ValueError, "initial_states must have shape"),
        ({"seed": -3}, ValueError, "seed must be >= 0"),
        ({"model": np.zeros((3, 3))}, TypeError, "model must be an IsingModel"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, error, message):
    arguments = {"model": random_model(3, 0), "initial_states": [1, -1, 1], "beta": 1.0, "num_sweeps": 2}
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        gibbs_sample(**arguments)


def test_markov_chains_carry_their_state_between_calls_exactly_as_one_gibbs_sample_call():
    from boltzgym.sims import MarkovChains

    model, states = random_model(7, seed=2), random_states(3, 7, seed=5)
    chains = MarkovChains(model, states, method="metropolis", seed=9)
    chains.sweep([0.7, 0.7]), chains.sweep(0.7)
    once = gibbs_sample(model, states, beta=0.7, num_sweeps=3, method="metropolis", seed=9)
    np.testing.assert_array_equal(chains.states, once.states)
    np.testing.assert_allclose(chains.energies, once.energies)
    np.testing.assert_allclose(chains.exact_energies(), model.energy(chains.states))
    with pytest.raises(ValueError, match="betas"):
        chains.sweep([0.5, -1.0])
    with pytest.raises(ValueError, match="initial_states"):
        MarkovChains(model, states[0])
