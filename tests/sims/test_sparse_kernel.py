"""The lockstep sparse Metropolis path (real CSR couplings, sequential order) against the plain per-replica one.

``single_site_sweeps_*`` send sparse real models under sequential Metropolis through ``_sparse_metropolis_group``
in groups of ``LANES`` replicas (vector operations over the group, site-major copies of its spins and fields),
the replicas left over through the plain path ``_replica_sweeps``. Every replica must follow exactly the plain
path's trajectory on the same streams: same states, draws, fields and energies to the last bit (fields up to the
sign of a zero), serial or threaded.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from single_site_runs import assert_same, numpy_metropolis, run_single_site

from boltzgym.sims import _kernels, _sparse_kernels
from boltzgym.sims._engine import kernel_couplings
from boltzgym.sims.annealing import anneal
from boltzgym.sims.ising import IsingModel
from boltzgym.sims.problems import lattice_spin_glass


def sparse_real_model(n: int, seed: int) -> IsingModel:
    """A random sparse graph (uneven degrees, some sites isolated) with Gaussian couplings and fields."""
    rng = np.random.default_rng(seed)
    upper = sp.triu(sp.random(n, n, density=0.15, random_state=seed, data_rvs=rng.standard_normal), k=1)
    return IsingModel(sp.csr_matrix(upper + upper.T), 0.4 * rng.normal(size=n))


def run(kernel, model, states, betas, seed, record=True):
    """Run ``kernel`` (a ``single_site_sweeps_*`` kernel, or None for the plain per-replica path) on copies."""
    couplings = kernel_couplings(model)
    assert not couplings.use_dense and couplings.energy_bound < 0
    return run_single_site(kernel, model, states, betas, seed, record)


def random_states(n_replicas, n, seed):
    return np.random.default_rng(seed).choice(np.array([-1, 1], dtype=np.int8), size=(n_replicas, n))


# Hot sweeps (most attempts accepted), cooling through the betas where the bounds on exp(-x) leave lanes open
# (the exp fallback), cold ones, and zero-temperature sweeps (no draw).
SCHEDULE = np.concatenate([np.geomspace(0.05, 4.0, 14), [np.inf, 1.5, np.inf]])


@pytest.mark.parametrize("kernel", ["serial", "parallel"])
@pytest.mark.parametrize("n_replicas", [8, 11, 19])
def test_lockstep_path_matches_plain_path_bit_for_bit(kernel, n_replicas):
    """One group; one group and three plain replicas; two groups and three plain replicas; serial or threaded."""
    model = sparse_real_model(45, 0)
    states = random_states(n_replicas, 45, 1)
    fast = run(getattr(_kernels, f"single_site_sweeps_{kernel}"), model, states, SCHEDULE, seed=4)
    plain = run(None, model, states, SCHEDULE, seed=4)
    assert_same(fast, plain)
    assert not np.array_equal(fast[0], states)
    np.testing.assert_allclose(fast[2], model.energy(fast[0]), atol=1e-9)
    np.testing.assert_allclose(fast[1], model.local_fields(fast[0]), atol=1e-9)


@pytest.mark.parametrize("kernel", ["serial", "parallel"])
def test_lockstep_path_on_a_gaussian_lattice(kernel):
    model = lattice_spin_glass(6, 2, "gaussian", seed=3)
    states = random_states(16, model.n_spins, 2)
    betas = np.geomspace(0.1, 3.0, 25)
    fast = run(getattr(_kernels, f"single_site_sweeps_{kernel}"), model, states, betas, seed=9)
    assert_same(fast, run(None, model, states, betas, seed=9))


def test_lockstep_path_with_one_schedule_per_replica():
    """Each lane its own beta, some lanes at beta = inf in a sweep where the others draw."""
    model = sparse_real_model(30, 2)
    states = random_states(10, 30, 3)
    betas = np.stack([np.geomspace(0.02 * (r + 1), 2.0 + 0.3 * r, 12) for r in range(10)])
    betas[2, 4] = betas[5, 4] = betas[7, 9] = np.inf
    assert_same(run(_kernels.single_site_sweeps_serial, model, states, betas, seed=7),
                run(None, model, states, betas, seed=7))  # fmt: skip
    assert_same(run(_kernels.single_site_sweeps_parallel, model, states, betas, seed=7, record=False)[:3],
                run(None, model, states, betas, seed=7, record=False)[:3])  # fmt: skip


def test_lockstep_path_follows_a_plain_numpy_sweep():
    model = sparse_real_model(21, 5)
    states = random_states(8, 21, 6)
    betas = np.geomspace(0.1, 3.0, 9)
    got = run(_kernels.single_site_sweeps_serial, model, states, betas, seed=8, record=False)[0]
    np.testing.assert_array_equal(got, numpy_metropolis(model, states, betas, seed=8))


def test_anneal_on_a_gaussian_lattice_is_the_same_serial_and_threaded():
    model = lattice_spin_glass(8, 2, "gaussian", seed=1)
    serial = anneal(model, 40, 12, seed=5, parallel=False)
    threaded = anneal(model, 40, 12, seed=5, parallel=True)
    np.testing.assert_array_equal(serial.states, threaded.states)
    np.testing.assert_array_equal(serial.energies, threaded.energies)
    np.testing.assert_allclose(serial.energies, model.energy(serial.states), atol=1e-9)


def test_the_lockstep_path_is_taken_exactly_where_it_applies():
    """The equalities above would hold trivially if no group went through ``_sparse_metropolis_group``: the
    dispatch counts groups for real sparse couplings under sequential Metropolis with no clamped site only."""
    gaussian = kernel_couplings(lattice_spin_glass(4, 2, "gaussian", seed=0))
    no_mask = np.zeros(0, dtype=np.bool_)
    assert _kernels._lockstep_groups(gaussian, _kernels.METROPOLIS, False, no_mask, 19) == 2
    assert _kernels._lockstep_groups(gaussian, _kernels.METROPOLIS, False, no_mask, 7) == 0
    assert _kernels._lockstep_groups(gaussian, _kernels.GLAUBER, False, no_mask, 16) == 0
    assert _kernels._lockstep_groups(gaussian, _kernels.METROPOLIS, True, no_mask, 16) == 0  # random order
    assert _kernels._lockstep_groups(gaussian, _kernels.METROPOLIS, False, np.ones(16, np.bool_), 16) == 0
    dense = sparse_real_model(12, 0)
    for other in (lattice_spin_glass(4, 2, "pm", seed=0), IsingModel(dense.J.toarray(), dense.h)):
        assert _kernels._lockstep_groups(kernel_couplings(other), _kernels.METROPOLIS, False, no_mask, 16) == 0


def test_the_group_kernel_alone_equals_the_plain_path():
    """``_sparse_metropolis_group`` called directly on replicas 8..15 of 16: those follow the plain path's
    trajectories bit for bit and replicas 0..7 are left untouched."""
    model = sparse_real_model(25, 3)
    states = random_states(16, 25, 4)
    couplings = kernel_couplings(model)
    plain = run(None, model, states, SCHEDULE, seed=2)
    start = run(None, model, states, SCHEDULE[:0], seed=2)  # the inputs, before any sweep
    got_states, fields, energies, _, rng = (a.copy() for a in start)
    trace = np.zeros((16, SCHEDULE.size))
    _sparse_kernels._sparse_metropolis_group(8, got_states, fields, energies, np.atleast_2d(SCHEDULE), couplings.indptr,
                                             couplings.indices, couplings.data, rng, trace)  # fmt: skip
    for got, want, before in zip((got_states, fields, energies, trace, rng), plain, start):
        np.testing.assert_array_equal(got[8:], want[8:])
        if got.shape[1:] == before.shape[1:] and before.size:
            np.testing.assert_array_equal(got[:8], before[:8])
