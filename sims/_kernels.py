"""Jitted single-site and synchronous update kernels for Ising models (arithmetic only; no validation).

Conventions (see ``boltzgym.sims.ising``): spins ``int8`` in {-1, +1}; ``E(s) = -1/2 s^T J s - h^T s``;
local fields ``f = J s + h`` are kept up to date incrementally after every flip; flipping ``s_i`` changes
the energy by ``dE = 2 s_i f_i``. Fields are float64, or int64 for integer models on the table path below
(``data`` int64 too): integer arithmetic there is about 25% faster on lattices and exact.

Couplings travel as one named tuple ``couplings`` (``sims._engine.Couplings``: ``dense_J, indptr, indices, data,
use_dense, energy_bound``):
either dense (``dense_J`` float64 ``(N, N)``, ``use_dense=True``) or CSR (``indptr`` uint64 ``(N+1,)``,
``indices`` uint32 ``(nnz,)``, ``data`` float64 or int64 ``(nnz,)``, ``use_dense=False``); the unused form is
passed as empty arrays. Unsigned indices spare numba's negative-index check in the hot loops (table indices are
cast to uint64 for the same reason). ``energy_bound >= 0`` promises integer couplings and fields with every
``|dE| <= energy_bound``: Metropolis then compares integers against a table filled once per sweep instead of
calling ``exp`` at every attempt; ``-1`` otherwise. ``clamped`` may be empty (no clamped site).

The table holds ``ceil(p * 2**53)`` (uint64) for ``p = min(1, exp(-beta dE))``, and the attempt compares it
with the 53 random bits ``m`` behind the uniform ``u = m * 2**-53``: ``m < ceil(p * 2**53)`` exactly when
``u < p`` (``boltzgym.utils.rng.uint53_threshold``), so the decisions are those of the double comparison, bit for bit,
without the int-to-double conversion (about 10% faster on lattices).

Dense real models under sequential Metropolis go through ``boltzgym.sims._dense_kernels`` (blocks of sites, groups
of replicas, a flipping frame for hot sweeps); sparse real ones (Gaussian lattice glasses), in groups of ``LANES``
(8) replicas, through ``boltzgym.sims._sparse_kernels``: the group's spins and fields copied site-major, its
attempts, flips and neighbour updates as vector operations over the group without a branch per flip, with the
plain path's draws, decisions and sums bit for bit (the replicas left over, fewer than ``LANES``, take the plain
path). Replicas are rows of ``states``/``fields``; replica ``r`` draws only
from ``rng[r]`` (``boltzgym.utils.rng``), so the parallel (``prange``) and serial kernels give identical results
whatever the thread count.

Update rules at inverse temperature ``beta`` (``betas[r, sweep]``, or ``betas[0, sweep]`` for every replica
when ``betas`` has one row):

- Metropolis: flip with probability ``min(1, exp(-beta dE))``; every attempt draws one uniform ``u`` and flips
  when ``u < min(1, exp(-beta dE))`` (drawing even when ``dE <= 0`` keeps the loop free of a hard-to-predict
  branch: about 15% faster when annealing lattices). The flip itself stays a branch: a branch-free update
  (always adding ``flip * delta`` to the neighbours' fields) measured 20% slower on the 2D lattice.
- Glauber (heat bath): ``s_i = +1`` with probability ``1 / (1 + exp(-2 beta f_i))``, whatever ``s_i`` was.
- ``beta = inf`` (zero temperature, both methods): the deterministic Hopfield update ``s_i = sign(f_i)``,
  a site with ``f_i = 0`` keeps its spin, so the energy never rises.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from boltzgym.sims._dense_kernels import _MAX_EXPONENT, GROUP, _dense_metropolis_group, _metropolis_branchless
from boltzgym.sims._sparse_kernels import LANES, _sparse_metropolis_group
from boltzgym.utils.rng import next_double, next_double_words, next_uint53_words, uint53_threshold

__all__ = ["GLAUBER", "GROUP", "LANES", "METROPOLIS"]

METROPOLIS = 0
GLAUBER = 1


@njit(cache=True, inline="always")
def _flip_dense(i, spin, state, fields, couplings):
    """Flip ``state[i]`` (currently ``spin``) and add its change to every local field (dense couplings)."""
    row = couplings.dense_J[i]
    delta = -2 * spin
    for k in range(fields.shape[0]):
        fields[k] += delta * row[k]
    state[i] = -spin


@njit(cache=True, inline="always")
def _flip_sparse(i, spin, state, fields, couplings):
    """Flip ``state[i]`` (currently ``spin``) and update the local fields of its neighbours (CSR couplings)."""
    indptr, indices, data = couplings.indptr, couplings.indices, couplings.data
    delta = -2 * spin
    for k in range(indptr[i], indptr[i + 1]):
        fields[indices[k]] += delta * data[k]
    state[i] = -spin


@njit(cache=True, inline="always")
def _apply_flip(i, new_spin, state, fields, couplings):
    """Set ``state[i] = new_spin`` (the opposite of its value) and update ``fields`` (float64[N]) in place."""
    if couplings.use_dense:
        _flip_dense(i, -new_spin, state, fields, couplings)
    else:
        _flip_sparse(i, -new_spin, state, fields, couplings)


@njit(cache=True, inline="always")
def _heat_bath_spin(i, beta, state, fields, rng, r):
    """The new spin (int) of site ``i`` under the heat-bath rule (sign of the field at ``beta = inf``)."""
    field = fields[i]
    if beta == np.inf:
        if field > 0.0:
            return 1
        if field < 0.0:
            return -1
        return state[i]
    exponent = -2.0 * beta * field
    up_probability = 0.0 if exponent > _MAX_EXPONENT else 1.0 / (1.0 + np.exp(exponent))
    if next_double(rng, r) < up_probability:
        return 1
    return -1


@njit(cache=True, inline="always")
def _metropolis_accepts(delta_energy, beta, thresholds, use_table, offset, s0, s1, s2, s3):
    """The Metropolis decision for one attempt, drawing one number: ``(flip, s0, s1, s2, s3)``.

    Integer models (``use_table``) compare the 53 random bits with ``thresholds[dE + offset]`` (uint64,
    ``ceil(2**53 * min(1, exp(-beta dE)))``: exactly the decisions of ``u < p``); others compare a uniform with
    ``exp(-beta dE)``, calling ``exp`` only when cheap polynomial bounds on it leave the decision open.
    """
    if use_table:
        bits, s0, s1, s2, s3 = next_uint53_words(s0, s1, s2, s3)
        return bits < thresholds[np.uint64(int(delta_energy) + offset)], s0, s1, s2, s3
    return _metropolis_branchless(delta_energy, beta, s0, s1, s2, s3)


@njit(cache=True, inline="always")
def _metropolis_in_order(flip_site, state, field, couplings, beta, thresholds, use_table, offset, energy, s0, s1, s2,
                         s3):  # fmt: skip
    """One sequential Metropolis sweep at finite ``beta`` with no clamped site: annealing's hot loop.

    ``flip_site`` is ``_flip_dense`` or ``_flip_sparse`` (one specialization each: a branch between them
    inside the loop halves the speed). The branch on ``use_table`` costs nothing measurable: a loop of its own
    for the table, an int64 energy accumulator and a ``while`` neighbour loop were all as fast or slower on the
    2D lattice. Same rule and random draws as ``_any_sweep``. Returns the updated ``(energy, s0, s1, s2, s3)``.
    """
    for i in range(state.shape[0]):
        spin = state[i]
        delta_energy = 2 * spin * field[i]
        flip, s0, s1, s2, s3 = _metropolis_accepts(delta_energy, beta, thresholds, use_table, offset, s0, s1, s2, s3)
        if flip:
            energy += delta_energy
            flip_site(i, spin, state, field, couplings)
    return energy, s0, s1, s2, s3


@njit(cache=True, inline="always")
def _any_sweep(flip_site, state, field, couplings, beta, method, random_order, clamped, thresholds, use_table,
               offset, energy, s0, s1, s2, s3):  # fmt: skip
    """One sweep under any rule, site order and clamping, with the generator state in locals. Random order
    draws the site, then the rule draws its uniform. Returns the updated ``(energy, s0, s1, s2, s3)``."""
    n = state.shape[0]
    zero_temperature = beta == np.inf
    has_clamped = clamped.shape[0] > 0
    for step in range(n):
        if random_order:
            u, s0, s1, s2, s3 = next_double_words(s0, s1, s2, s3)
            i = int(u * n)
        else:
            i = step
        if has_clamped and clamped[i]:
            continue
        spin = state[i]
        local_field = field[i]
        delta_energy = 2 * spin * local_field
        if zero_temperature:
            flip = delta_energy < 0.0
        elif method == METROPOLIS:
            flip, s0, s1, s2, s3 = _metropolis_accepts(
                delta_energy, beta, thresholds, use_table, offset, s0, s1, s2, s3
            )
        else:
            exponent = -2.0 * beta * local_field
            up_probability = 0.0 if exponent > _MAX_EXPONENT else 1.0 / (1.0 + np.exp(exponent))
            u, s0, s1, s2, s3 = next_double_words(s0, s1, s2, s3)
            flip = (u < up_probability) != (spin > 0)
        if flip:
            energy += delta_energy
            flip_site(i, spin, state, field, couplings)
    return energy, s0, s1, s2, s3


@njit(cache=True)
def _replica_sweeps(r, states, fields, energies, betas, couplings, clamped, method, random_order, rng, energy_trace):
    """Run ``betas.shape[1]`` sweeps of N single-site attempts on replica ``r``.

    states int8[R, N], fields float64[R, N], energies float64[R] (updated by the sum of accepted ``dE``),
    betas float64[B, S] (row ``r`` for replica ``r`` when ``B == R``, else row 0 for all), clamped bool[N]
    or bool[0] (never updated), rng uint64[R, 4], energy_trace float64[R, S] (energy after each sweep; pass
    shape ``(R, 0)`` to skip recording). The generator state and the energy live in locals during the sweeps.
    """
    state = states[r]
    field = fields[r]
    record = energy_trace.shape[1] > 0
    beta_row = np.int64(r) if betas.shape[0] > 1 else np.int64(0)
    s0, s1, s2, s3 = rng[r, 0], rng[r, 1], rng[r, 2], rng[r, 3]
    energy = energies[r]
    dense = couplings.use_dense
    offset = couplings.energy_bound  # the largest |dE| of an integer model (table index dE + offset), or -1
    use_table = offset >= 0
    thresholds = np.empty(2 * offset + 1 if use_table else 1, dtype=np.uint64)  # ceil(2**53 p) at dE + offset
    plain = method == METROPOLIS and not random_order and clamped.shape[0] == 0
    for sweep in range(betas.shape[1]):
        beta = betas[beta_row, sweep]
        if use_table and beta != np.inf:
            for k in range(-offset, offset + 1):
                exponent = beta * k
                probability = 1.0 if k <= 0 else (np.exp(-exponent) if exponent < _MAX_EXPONENT else 0.0)
                thresholds[k + offset] = uint53_threshold(probability)
        if plain and beta != np.inf:
            if dense:
                energy, s0, s1, s2, s3 = _metropolis_in_order(
                    _flip_dense, state, field, couplings, beta, thresholds, use_table, offset, energy, s0, s1, s2, s3
                )
            else:
                energy, s0, s1, s2, s3 = _metropolis_in_order(
                    _flip_sparse, state, field, couplings, beta, thresholds, use_table, offset, energy, s0, s1, s2, s3
                )
        elif dense:
            energy, s0, s1, s2, s3 = _any_sweep(_flip_dense, state, field, couplings, beta, method, random_order,
                                                clamped, thresholds, use_table, offset, energy, s0, s1, s2,
                                                s3)  # fmt: skip
        else:
            energy, s0, s1, s2, s3 = _any_sweep(_flip_sparse, state, field, couplings, beta, method, random_order,
                                                clamped, thresholds, use_table, offset, energy, s0, s1, s2,
                                                s3)  # fmt: skip
        if record:
            energy_trace[r, sweep] = energy
    energies[r] = energy
    rng[r, 0], rng[r, 1], rng[r, 2], rng[r, 3] = s0, s1, s2, s3


@njit(cache=True, inline="always")
def _blocked_path(couplings, method, random_order, clamped):
    """Whether the replicas go through ``_dense_metropolis_group``: dense real couplings, sequential
    Metropolis, no clamped site."""
    return (couplings.use_dense and couplings.energy_bound < 0 and method == METROPOLIS and not random_order
            and clamped.shape[0] == 0)  # fmt: skip


@njit(cache=True, inline="always")
def _lockstep_groups(couplings, method, random_order, clamped, n_replicas):
    """How many groups of ``LANES`` replicas go through ``_sparse_metropolis_group`` (sparse real couplings,
    sequential Metropolis, no clamped site; 0 otherwise): ``n_replicas // LANES``."""
    if (couplings.use_dense or couplings.energy_bound >= 0 or method != METROPOLIS or random_order
            or clamped.shape[0] > 0):  # fmt: skip
        return 0
    return n_replicas // LANES


@njit(cache=True, parallel=True)
def single_site_sweeps_parallel(
    states,
    fields,
    energies,
    betas,
    couplings,
    clamped,
    method,
    random_order,
    rng,
    energy_trace,
    group=GROUP,
    frame=True,
):
    """Single-site sweeps on every replica, replicas spread over threads (see ``_replica_sweeps``; dense real
    couplings under sequential Metropolis: groups of ``group`` (1 to ``GROUP``) replicas spread over threads,
    see ``_dense_metropolis_group``, whose flipping frame of hot sweeps ``frame`` enables; the grouping never
    changes the results; sparse real couplings under sequential Metropolis: groups of ``LANES`` replicas and
    the replicas left over, one task each, see ``_sparse_metropolis_group``)."""
    n_replicas = states.shape[0]
    if _blocked_path(couplings, method, random_order, clamped):
        size = max(1, min(GROUP, group))
        for g in prange(-(-n_replicas // size)):
            _dense_metropolis_group(g * size, min(n_replicas, (g + 1) * size), states, fields, energies, betas,
                                    couplings.dense_J, rng, energy_trace, frame)  # fmt: skip
        return
    groups = _lockstep_groups(couplings, method, random_order, clamped, n_replicas)
    for task in prange(groups + n_replicas - groups * LANES):
        if task < groups:
            _sparse_metropolis_group(task * LANES, states, fields, energies, betas, couplings.indptr,
                                     couplings.indices, couplings.data, rng, energy_trace)  # fmt: skip
        else:
            _replica_sweeps(task + groups * (LANES - 1), states, fields, energies, betas, couplings, clamped, method,
                            random_order, rng, energy_trace)  # fmt: skip


@njit(cache=True)
def single_site_sweeps_serial(
    states,
    fields,
    energies,
    betas,
    couplings,
    clamped,
    method,
    random_order,
    rng,
    energy_trace,
    group=GROUP,
    frame=True,
):
    """The serial twin of ``single_site_sweeps_parallel`` (identical results)."""
    n_replicas = states.shape[0]
    if _blocked_path(couplings, method, random_order, clamped):
        size = max(1, min(GROUP, group))
        for lo in range(0, n_replicas, size):
            _dense_metropolis_group(lo, min(n_replicas, lo + size), states, fields, energies, betas,
                                    couplings.dense_J, rng, energy_trace, frame)  # fmt: skip
        return
    groups = _lockstep_groups(couplings, method, random_order, clamped, n_replicas)
    for g in range(groups):
        _sparse_metropolis_group(g * LANES, states, fields, energies, betas, couplings.indptr, couplings.indices,
                                 couplings.data, rng, energy_trace)  # fmt: skip
    for r in range(groups * LANES, n_replicas):
        _replica_sweeps(r, states, fields, energies, betas, couplings, clamped, method, random_order, rng, energy_trace)


@njit(cache=True)
def _replica_synchronous(r, states, fields, energies, betas, couplings, h, clamped, rng, energy_trace, new_spins):
    """Synchronous (Little) dynamics on replica ``r``: every unclamped site updates from the same old fields.

    betas float64[B, S] as in ``_replica_sweeps``. At finite ``beta`` each site takes the heat-bath rule; at
    ``beta = inf`` ``s_i = sign(f_i)`` (ties keep).
    h float64[N] are the fields of the model; new_spins int8[R, N] is scratch space. The energy is recomputed
    after each sweep as ``E = -1/2 (s.f + s.h)`` (a synchronous step can raise it).
    """
    state = states[r]
    field = fields[r]
    scratch = new_spins[r]
    n = state.shape[0]
    has_clamped = clamped.shape[0] > 0
    record = energy_trace.shape[1] > 0
    beta_row = np.int64(r) if betas.shape[0] > 1 else np.int64(0)
    for sweep in range(betas.shape[1]):
        beta = betas[beta_row, sweep]
        for i in range(n):
            if has_clamped and clamped[i]:
                scratch[i] = state[i]
            else:
                scratch[i] = _heat_bath_spin(i, beta, state, field, rng, r)
        for i in range(n):
            if scratch[i] != state[i]:
                _apply_flip(i, scratch[i], state, field, couplings)
        energy = 0.0
        for i in range(n):
            energy -= 0.5 * state[i] * (field[i] + h[i])
        energies[r] = energy
        if record:
            energy_trace[r, sweep] = energy


@njit(cache=True, parallel=True)
def synchronous_sweeps_parallel(states, fields, energies, betas, couplings, h, clamped, rng, energy_trace, new_spins):
    """Synchronous sweeps on every replica, replicas spread over threads (see ``_replica_synchronous``)."""
    for r in prange(states.shape[0]):
        _replica_synchronous(r, states, fields, energies, betas, couplings, h, clamped, rng, energy_trace, new_spins)


@njit(cache=True)
def synchronous_sweeps_serial(states, fields, energies, betas, couplings, h, clamped, rng, energy_trace, new_spins):
    """The serial twin of ``synchronous_sweeps_parallel``."""
    for r in range(states.shape[0]):
        _replica_synchronous(r, states, fields, energies, betas, couplings, h, clamped, rng, energy_trace, new_spins)
