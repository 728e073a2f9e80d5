"""Schedules, problem generators, simulated annealing, parallel tempering and the neal-compatible API."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from boltzgym.sims.annealing import anneal, parallel_tempering
from boltzgym.sims.dimod_compat import ising_model_from_dimod, sample_ising
from boltzgym.sims.ising import IsingModel
from boltzgym.sims.problems import (
    ferromagnet_2d,
    lattice_spin_glass,
    maxcut,
    random_maxcut,
    sherrington_kirkpatrick,
)
from boltzgym.sims.schedules import beta_schedule, default_beta_range


def brute_force_ground_energy(model: IsingModel) -> float:
    states = np.array(list(itertools.product([-1, 1], repeat=model.n_spins)), dtype=np.int8)
    return float(model.energy(states).min())


def test_schedules_have_the_stated_shape():
    np.testing.assert_allclose(beta_schedule(3, (0.1, 10.0), "geometric"), [0.1, 1.0, 10.0])
    np.testing.assert_allclose(beta_schedule(3, (0.0, 1.0), "linear"), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(beta_schedule(2, (0.2, 0.7), "constant"), [0.7, 0.7])
    with pytest.raises(ValueError, match="beta_min <= beta_max, got min 2.0 > max 1.0"):
        beta_schedule(5, (2.0, 1.0))
    with pytest.raises(ValueError, match="beta_min > 0 for a geometric schedule"):
        beta_schedule(5, (0.0, 1.0))
    with pytest.raises(ValueError, match="kind must be one of"):
        beta_schedule(5, (0.1, 1.0), "cosine")


def test_default_beta_range_follows_couplings():
    model = lattice_spin_glass(4, seed=0)  # +-1 bonds, 4 neighbours: dE_max = 8, dE_min = 2
    hot, cold = default_beta_range(model)
    assert hot == pytest.approx(np.log(2) / 8)
    assert cold == pytest.approx(np.log(100) / 2)


def test_generators_are_seeded_and_well_formed():
    sk = sherrington_kirkpatrick(50, seed=3)
    assert np.array_equal(sk.J, sherrington_kirkpatrick(50, seed=3).J)
    assert not np.array_equal(sk.J, sherrington_kirkpatrick(50, seed=4).J)
    assert np.std(sk.J[np.triu_indices(50, 1)]) * np.sqrt(50) == pytest.approx(1.0, rel=0.1)
    glass3d = lattice_spin_glass(4, dimension=3, couplings="gaussian", seed=1)
    degrees = np.diff(glass3d.J.indptr)
    assert glass3d.n_spins == 64 and np.all(degrees == 6)
    pm = lattice_spin_glass(5, seed=2)
    assert set(np.unique(pm.J.data)) <= {-1.0, 1.0} and np.all(np.diff(pm.J.indptr) == 4)
    ferro = ferromagnet_2d(6)
    assert float(ferro.energy(np.ones(36, dtype=np.int8))) == pytest.approx(-2.0 * 36)
    with pytest.raises(ValueError, match="side must be >= 3"):
        lattice_spin_glass(2)


def test_maxcut_values_and_energy_map():
    # a 4-cycle with a heavy chord 0-2: {0,2} | {1,3} cuts the 4 cycle edges (4.0); {0} | {1,2,3} cuts
    # 0-1, 3-0 and the chord (4.5), the maximum
    problem = maxcut([(0, 1), (1, 2), (2, 3), (3, 0), (0, 2)], weights=[1, 1, 1, 1, 2.5])
    states = np.array(list(itertools.product([-1, 1], repeat=4)), dtype=np.int8)
    cuts = problem.cut_value(states)
    brute = [sum(w for (i, j), w in zip(problem.edges, problem.weights) if s[i] != s[j]) for s in states]
    np.testing.assert_allclose(cuts, brute)
    np.testing.assert_allclose(problem.cut_from_energy(problem.model.energy(states)), cuts)
    assert cuts.max() == pytest.approx(4.5)
    assert float(problem.cut_value([1, -1, 1, -1])) == pytest.approx(4.0)
    result = anneal(problem.model, num_sweeps=200, num_reads=4, seed=0)
    assert problem.cut_value(result.best_state) == pytest.approx(4.5)
    with pytest.raises(ValueError, match="self-loops"):
        maxcut([(0, 0)])
    graph = random_maxcut(400, seed=1)
    np.testing.assert_array_equal(graph.edges, random_maxcut(400, seed=1).edges)
    assert 2 * len(graph.edges) / 400 == pytest.approx(10.0, rel=0.1)  # mean degree about 10
    assert np.all(graph.edges[:, 0] < graph.edges[:, 1]) and len(np.unique(graph.edges, axis=0)) == len(graph.edges)


@pytest.mark.parametrize(
    "make", [lambda s: sherrington_kirkpatrick(10, seed=s), lambda s: lattice_spin_glass(3, seed=s)]
)
def test_annealing_finds_brute_force_ground_state(make):
    for seed in range(3):
        model = make(seed)
        result = anneal(model, num_sweeps=300, num_reads=8, seed=seed)
        assert result.best_energy == pytest.approx(brute_force_ground_energy(model))
        np.testing.assert_allclose(result.energies, model.energy(result.states))


def test_anneal_is_reproducible_and_traces_energy():
    model = lattice_spin_glass(6, seed=0)
    first = anneal(model, num_sweeps=50, num_reads=4, seed=9, record_energy=True, parallel=True)
    serial = anneal(model, num_sweeps=50, num_reads=4, seed=9, record_energy=True, parallel=False, progress=True)
    np.testing.assert_array_equal(first.states, serial.states)
    np.testing.assert_allclose(first.energy_trace, serial.energy_trace)
    np.testing.assert_allclose(first.energy_trace[:, -1], first.energies)
    assert first.n_attempts == 4 * 50 * 36 and first.attempts_per_second > 0
    assert not np.array_equal(first.states, anneal(model, num_sweeps=50, num_reads=4, seed=10).states)
    custom = anneal(model, betas=[0.1, 1.0, np.inf], num_reads=2, seed=0)
    assert custom.betas.tolist() == [0.1, 1.0, np.inf]


def test_parallel_tempering_finds_ground_state_and_reports_swaps():
    model = sherrington_kirkpatrick(10, seed=7)
    result = parallel_tempering(model, num_sweeps=200, n_temperatures=6, n_chains=2, seed=0, parallel=True)
    assert result.best_energies.min() == pytest.approx(brute_force_ground_energy(model))
    assert result.states.shape == (2, 6, 10) and result.swap_acceptance.shape == (5,)
    assert np.all((result.swap_acceptance > 0) & (result.swap_acceptance <= 1))
    assert np.all(np.diff(result.betas) > 0)
    np.testing.assert_allclose(result.energies, model.energy(result.states.reshape(12, 10)).reshape(2, 6))
    assert np.all(np.diff(result.energy_trace, axis=1) <= 0)
    again = parallel_tempering(model, num_sweeps=200, n_temperatures=6, n_chains=2, seed=0, parallel=False)
    np.testing.assert_array_equal(result.states, again.states)


def test_parallel_tempering_samples_each_temperature_exactly():
    # 4000 independent ladders of 3 temperatures on a frustrated 5-spin model: the states found at each
    # ladder beta follow exp(-beta E) (a wrong swap rule skews them); TV tolerance as in test_sampling.
    model = sherrington_kirkpatrick(5, seed=11)
    result = parallel_tempering(model, num_sweeps=30, n_temperatures=3, n_chains=4000, beta_range=(0.3, 1.5), seed=1)
    states = np.array(list(itertools.product([-1, 1], repeat=5)), dtype=np.int8)
    codes = ((result.states > 0) * (1 << np.arange(4, -1, -1))).sum(axis=2)
    for k, beta in enumerate(result.betas):
        exact = np.exp(-beta * model.energy(states))
        exact /= exact.sum()
        empirical = np.bincount(codes[:, k], minlength=32) / codes.shape[0]
        assert 0.5 * np.abs(empirical - exact).sum() < 0.05


def test_sample_ising_uses_dimod_convention_and_labels():
    h = {"a": 1.0, "b": 0.0}
    J = {("a", "b"): -1.0, ("b", "c"): 2.0}  # dimod: E = h.s + sum J s s
    result = sample_ising(h, J, num_reads=5, num_sweeps=100, seed=0)
    assert list(result.variables) == ["a", "b", "c"] and result.record.sample.shape == (5, 3)
    for sample, energy in zip(result.record.sample, result.record.energy):
        a, b, c = sample
        assert energy == pytest.approx(1.0 * a - a * b + 2.0 * b * c)
    # dimod ground state: a = b = -1, c = +1 with E = -1 - 1 - 2 = -4
    assert result.first.energy == pytest.approx(-4.0)
    assert result.first.sample == {"a": -1, "b": -1, "c": 1}
    again = sample_ising(h, J, num_reads=5, num_sweeps=100, seed=0)
    np.testing.assert_array_equal(result.record.sample, again.record.sample)
    model, variables = ising_model_from_dimod([0.5, 0.0], {(0, 1): 1.0, (1, 0): 1.0})
    assert variables == [0, 1] and model.J[0, 1] == -2.0 and model.h[0] == -0.5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"beta_range": (3.0, 1.0)}, "beta_range must have beta_min <= beta_max"),
        ({"num_sweeps": -1}, "num_sweeps must be >= 0"),
        ({"num_sweeps": 10, "num_sweeps_per_beta": 3}, "num_sweeps must be divisible by num_sweeps_per_beta"),
        ({"beta_schedule_type": "custom"}, "beta_schedule must be given"),
        ({"beta_schedule_type": "custom", "beta_schedule": [1.0, 2.0], "num_sweeps": 3}, "len\\(beta_schedule\\)"),
        ({"beta_schedule_type": "cosine"}, "beta_schedule_type must be"),
        ({"beta_range": (1.0, 2.0, 3.0)}, "beta_range must be a \\(hot, cold\\) pair"),
        ({"initial_states_generator": "none"}, "initial_states_generator='none' needs initial_states"),
    ],
)
def test_sample_ising_rejects_bad_input(kwargs, message):
    arguments = {"h": [0.0, 0.0], "J": {(0, 1): 1.0}}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        sample_ising(**arguments)


def test_anneal_rejects_bad_input():
    model = sherrington_kirkpatrick(5, seed=0)
    with pytest.raises(ValueError, match="num_sweeps must be >= 1, got 0"):
        anneal(model, num_sweeps=0)
    with pytest.raises(ValueError, match=r"initial_states must have 3 rows"):
        anneal(model, num_reads=3, initial_states=np.ones((2, 5), dtype=np.int8))
    with pytest.raises(ValueError, match="betas must hold betas >= 0"):
        anneal(model, betas=[1.0, -1.0])
    with pytest.raises(ValueError, match="n_temperatures must be >= 2"):
        parallel_tempering(model, n_temperatures=1)


def test_sampler_is_a_dimod_sampler_that_runs_neals_calling_patterns():
    import dimod
    from dimod.testing import assert_sampleset_energies

    from boltzgym.sims.dimod_compat import SimulatedAnnealingSampler

    sampler = SimulatedAnnealingSampler()
    assert isinstance(sampler, dimod.Sampler)
    assert sampler.properties["beta_schedule_options"] == ("linear", "geometric", "custom")
    assert {"num_reads", "num_sweeps", "num_sweeps_per_beta", "beta_range", "initial_states"} <= set(sampler.parameters)
    glass = lattice_spin_glass(8, seed=0)  # +-1 couplings: 64 reads take the multi-spin kernel
    J = {(int(i), int(j)): -float(glass.J[i, j]) for i, j in zip(*sp_triu_nonzero(glass))}
    bqm = dimod.BinaryQuadraticModel.from_ising({}, J)
    sampleset = sampler.sample(bqm, num_reads=64, num_sweeps=200, beta_range=(0.1, 3.0), seed=1)
    assert sampleset.info["method"] == "multispin" and len(sampleset) == 64
    assert_sampleset_energies(sampleset, bqm)
    linear = sampler.sample_ising({0: 0.5}, J, num_reads=3, beta_schedule_type="linear", seed=2)
    assert linear.info["method"] == "metropolis"
    assert_sampleset_energies(linear, dimod.BinaryQuadraticModel.from_ising({0: 0.5}, J))
    qubo = {(0, 0): -1.0, (1, 1): -1.0, (0, 1): 2.0}  # best: exactly one of x0, x1 is 1
    binary = sampler.sample_qubo(qubo, num_reads=4, num_sweeps=50, seed=3)
    assert binary.vartype is dimod.BINARY and binary.first.energy == -1.0
    assert_sampleset_energies(binary, dimod.BinaryQuadraticModel.from_qubo(qubo))
    start = {v: 1 for v in bqm.variables}
    warm = sampler.sample(bqm, num_reads=2, initial_states=start, initial_states_generator="tile",
                          beta_schedule_type="custom", beta_schedule=[np.inf], seed=4)  # fmt: skip
    np.testing.assert_array_equal(warm.record.sample[0], warm.record.sample[1])  # both start at +1; beta = inf
    with pytest.raises(ValueError, match="fewer than num_reads=3"):
        sampler.sample(bqm, num_reads=3, initial_states=start, initial_states_generator="none")


def test_interrupt_function_stops_after_the_read_it_returns_true_on():
    from boltzgym.sims.dimod_compat import SimulatedAnnealingSampler

    J = {(0, 1): -1.0, (1, 2): 1.0, (2, 0): -1.0}
    calls = []

    def stop_after_three() -> bool:
        calls.append(1)
        return len(calls) == 3

    sampler = SimulatedAnnealingSampler()
    stopped = sampler.sample_ising({}, J, num_reads=10, num_sweeps=20, seed=5, interrupt_function=stop_after_three)
    assert len(stopped) == 3 and len(calls) == 3  # as neal: the samples found so far
    again = sampler.sample_ising({}, J, num_reads=3, num_sweeps=20, seed=5, interrupt_function=lambda: False)
    np.testing.assert_array_equal(stopped.record.sample, again.record.sample)  # same seed, same batches
    first = sampler.sample_ising({}, J, num_reads=1, num_sweeps=20, seed=5, interrupt_function=lambda: False)
    np.testing.assert_array_equal(first.record.sample[0], stopped.record.sample[0])
    assert "interrupt_function" in sampler.parameters
    with pytest.raises(TypeError, match="interrupt_function must be callable"):
        sampler.sample_ising({}, J, num_reads=2, interrupt_function=True)


def sp_triu_nonzero(model: IsingModel):
    import scipy.sparse as sp

    upper = sp.triu(model.J, k=1).tocoo()
    return upper.row, upper.col


def test_the_old_sweep_and_read_keywords_still_work_with_a_warning():
    from boltzgym.sims import anneal, lattice_spin_glass

    model = lattice_spin_glass(4, seed=0)
    new = anneal(model, num_sweeps=20, num_reads=3, seed=1)
    with pytest.warns(DeprecationWarning, match="anneal: n_sweeps is deprecated; use num_sweeps"):
        old = anneal(model, n_sweeps=20, n_reads=3, seed=1)
    np.testing.assert_array_equal(old.states, new.states)
