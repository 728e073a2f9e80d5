"""The multi-spin coded Metropolis kernel: exact Boltzmann sampling, Onsager's energy, agreement with the
single-spin kernel, packing, reproducibility and refusals."""

from __future__ import annotations

import itertools

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import ellipk

from boltzgym.sims import _multispin_kernels
from boltzgym.sims.annealing import anneal
from boltzgym.sims.ising import IsingModel
from boltzgym.sims.multispin import multispin_couplings, multispin_reason, pack_spins, unpack_spins
from boltzgym.sims.problems import ferromagnet_2d, lattice_spin_glass, sherrington_kirkpatrick
from boltzgym.utils.rng import make_streams


def ring_model(fields=(1.0, 0.0, -2.0, 0.0, 1.0, -1.0)) -> IsingModel:
    """A 6-spin ring with +-1 bonds, a chord, and integer fields (by default up to |h| = 2: sites of 2 to 4
    terms; ``STRONG_FIELDS`` give sites of 5 and 7 terms: three and four uphill levels, the per-site paths)."""
    edges = [(0, 1, 1), (1, 2, -1), (2, 3, 1), (3, 4, 1), (4, 5, -1), (5, 0, -1), (0, 3, 1)]
    rows = [u for u, v, _ in edges] + [v for u, v, _ in edges]
    cols = [v for u, v, _ in edges] + [u for u, v, _ in edges]
    values = [float(w) for *_, w in edges] * 2
    return IsingModel(sp.csr_matrix((values, (rows, cols)), shape=(6, 6)), list(fields))


STRONG_FIELDS = (4.0, 0.0, -3.0, 2.0, 1.0, -2.0)


def test_pack_and_unpack_are_inverse():
    states = np.random.default_rng(0).choice(np.array([-1, 1], dtype=np.int8), size=(130, 7))
    words = pack_spins(states)
    assert words.shape == (3, 7) and words.dtype == np.uint64
    assert int(words[0, 0]) & 1 == (states[0, 0] > 0) and (int(words[1, 2]) >> 5) & 1 == (states[69, 2] > 0)
    np.testing.assert_array_equal(unpack_spins(words, 130), states)


@pytest.mark.parametrize(("beta", "fields"), [(0.3, None), (1.2, None), (0.15, STRONG_FIELDS)])
def test_samples_the_exact_boltzmann_distribution(beta, fields):
    model = ring_model() if fields is None else ring_model(fields)
    num_reads = 64 * 1024
    result = anneal(model, betas=np.full(20, beta), num_reads=num_reads, method="multispin", seed=1)
    states = np.array(list(itertools.product([-1, 1], repeat=6)), dtype=np.int8)
    exact = np.exp(-beta * model.energy(states))
    exact /= exact.sum()
    codes = ((result.states > 0).astype(np.int64) * (1 << np.arange(5, -1, -1))).sum(axis=1)
    empirical = np.bincount(codes, minlength=64) / num_reads
    assert 0.5 * np.abs(empirical - exact).sum() < 0.03  # sampling noise alone: about 0.012 at beta = 0.3


def test_reproduces_onsagers_energy_of_the_2d_ferromagnet():
    beta = 1 / 2.0  # below T_c = 2.269: the ordered phase, started from the ordered state
    model = ferromagnet_2d(32)
    result = anneal(model, betas=np.full(300, beta), num_reads=64, method="multispin",
                    initial_states=np.ones((64, 1024), dtype=np.int8), seed=2)  # fmt: skip
    k = 2 * np.sinh(2 * beta) / np.cosh(2 * beta) ** 2
    onsager = -1 / np.tanh(2 * beta) * (1 + 2 / np.pi * (2 * np.tanh(2 * beta) ** 2 - 1) * ellipk(k**2))
    assert result.energies.mean() / model.n_spins == pytest.approx(onsager, abs=0.005)  # onsager = -1.7455


def test_agrees_with_the_single_spin_kernel_and_is_reproducible():
    model = lattice_spin_glass(16, seed=3)
    betas = np.geomspace(0.1, 3.0, 200)
    multi = anneal(model, betas=betas, num_reads=128, method="multispin", seed=4, parallel=True)
    single = anneal(model, betas=betas, num_reads=128, method="metropolis", seed=4)
    assert abs(multi.energies.mean() - single.energies.mean()) / model.n_spins < 0.01
    again = anneal(model, betas=betas, num_reads=128, method="multispin", seed=4, parallel=False)
    np.testing.assert_array_equal(again.states, multi.states)
    np.testing.assert_array_equal(again.energies, model.energy(again.states))
    start = np.random.default_rng(5).choice(np.array([-1, 1], dtype=np.int8), size=(64, model.n_spins))
    frozen = anneal(model, betas=np.full(1, np.inf), num_reads=64, method="multispin", initial_states=start, seed=5)
    reference = start.astype(np.float64)  # zero temperature is deterministic: a NumPy sweep, all reads at once
    sites = multispin_couplings(model)[1][0]  # the sweep's order: the checkerboard's colours, each in site order
    assert sorted(sites) == list(range(model.n_spins)) and np.all((sites % 16 + sites // 16)[:128] % 2 == 0)
    for i in sites:
        delta_energy = 2 * reference[:, i] * (model.J[i] @ reference.T + model.h[i]).ravel()
        reference[:, i] *= np.where(delta_energy < 0, -1, 1)
    np.testing.assert_array_equal(frozen.states, reference.astype(np.int8))


def test_refuses_models_and_options_it_cannot_run():
    assert "dense" in multispin_reason(sherrington_kirkpatrick(8, seed=0))
    assert "{-1, 0, +1}" in multispin_reason(lattice_spin_glass(4, couplings="gaussian", seed=0))
    assert multispin_reason(lattice_spin_glass(4, seed=0)) is None
    with pytest.raises(ValueError, match="method='multispin' needs couplings in"):
        anneal(sherrington_kirkpatrick(8, seed=0), num_sweeps=5, method="multispin")
    with pytest.raises(ValueError, match="order must be 'sequential' with method='multispin'"):
        anneal(lattice_spin_glass(4, seed=0), num_sweeps=5, method="multispin", order="random")


def test_anneal_command_runs_multispin():
    from boltzgym.experiments.annealing import anneal_problem

    summary, traces = anneal_problem("ferro2d", 64, 50, 64, "sa", "multispin", seed=0)
    assert summary["method"] == "multispin" and summary["best_energy_per_spin"] == pytest.approx(-2.0)
    assert traces["mean_energy_per_spin"].shape == (50,)
    assert traces["min_energy_per_spin"][-1] == pytest.approx(traces["final_energy_per_spin"].min())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: anneal(lattice_spin_glass(4, seed=0), num_sweeps=1, num_reads=10**12),
            "num_reads: anneal would need",
        ),
        (lambda: anneal(lattice_spin_glass(4, seed=0), num_sweeps=10**11, record_energy=True), "num_sweeps: anneal"),
        (
            lambda: __import__("boltzgym.sims.annealing").sims.annealing.parallel_tempering(
                lattice_spin_glass(4, seed=0), n_chains=10**11
            ),
            "n_chains",
        ),  # fmt: skip
        (
            lambda: __import__("boltzgym.sims.hopfield").sims.hopfield.HopfieldNetwork(10**7),
            "n_neurons: HopfieldNetwork",
        ),
        (
            lambda: __import__("boltzgym.sims.capacity").sims.capacity.capacity_experiment(10**7),
            "n_neurons: capacity_experiment",
        ),
        (
            lambda: __import__("boltzgym.sims.dimod_compat").sims.dimod_compat.sample_ising(
                {}, {(0, 1): 1.0}, num_reads=2**62
            ),
            "num_reads: sample",
        ),  # fmt: skip
    ],
)
def test_oversized_work_is_refused_before_allocating(call, message):
    with pytest.raises(ValueError, match=message + r".* about .* of memory, more than the .* available"):
        call()


@pytest.mark.parametrize("num_reads", [64, 128])
def test_threads_give_the_one_thread_result(num_reads):
    """Both parallel drivers (chunks of a colour over threads; groups over threads) equal the serial sweeps, on a
    non-bipartite lattice (odd side: three colours or more) with fields (sites with three uphill levels)."""
    glass = lattice_spin_glass(45, seed=6)  # about 700 sites per colour: several chunks each
    fields = np.random.default_rng(7).integers(-2, 3, glass.n_spins).astype(np.float64)
    model = IsingModel(glass.J, fields)
    couplings = multispin_couplings(model)
    assert len(couplings[1][2]) >= 4 and np.diff(couplings[1][2]).max() >= 4  # three colours or more
    betas = np.geomspace(0.2, 3.0, 12)
    start = pack_spins(np.random.default_rng(8).choice(np.array([-1, 1], dtype=np.int8), (num_reads, model.n_spins)))
    threads = numba.get_num_threads()
    results = []
    try:
        for kernel, n_threads in [
            (_multispin_kernels.multispin_sweeps, 1),
            (_multispin_kernels.multispin_sweeps_over_chunks, min(2, numba.config.NUMBA_NUM_THREADS)),
            (_multispin_kernels.multispin_sweeps_over_groups, min(2, numba.config.NUMBA_NUM_THREADS)),
        ]:
            numba.set_num_threads(n_threads)
            words, streams = start.copy(), make_streams(9, start.shape[0])
            kernel(words, betas, couplings[0], couplings[1], streams)
            results.append((words, streams))
    finally:
        numba.set_num_threads(threads)
    for words, streams in results[1:]:
        np.testing.assert_array_equal(words, results[0][0])
        np.testing.assert_array_equal(streams, results[0][1])
    assert not np.array_equal(results[0][0], start)


def test_agrees_with_the_single_spin_kernel_in_3d():
    """Six terms a site: three uphill levels, decided in the batch's rounds with a third row."""
    model = lattice_spin_glass(6, dimension=3, seed=3)
    betas = np.geomspace(0.1, 3.0, 200)
    multi = anneal(model, betas=betas, num_reads=256, method="multispin", seed=4)
    single = anneal(model, betas=betas, num_reads=256, method="metropolis", seed=4)
    assert abs(multi.energies.mean() - single.energies.mean()) / model.n_spins < 0.01
