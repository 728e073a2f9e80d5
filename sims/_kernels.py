"""Jitted single-site and synchronous update kernels for Ising models (arithmetic only; no validation).

Conventions (see ``boltzgym.sims.ising``): spins ``int8`` in {-1, +1}; ``E(s) = -1/2 s^T J s - h^T s``;
local fields ``f = J s + h`` (float64) are kept up to date incrementally after every flip; flipping
``s_i`` changes the energy by ``dE = 2 s_i f_i``.

Couplings travel as one tuple ``couplings = (dense_J, indptr, indices, data, use_dense)``: either dense
(``dense_J`` float64 ``(N, N)``, ``use_dense=True``) or CSR (``indptr`` int64 ``(N+1,)``, ``indices`` int64
``(nnz,)``, ``data`` float64 ``(nnz,)``, ``use_dense=False``); the unused form is passed as empty arrays.

Replicas are rows of ``states``/``fields``; replica ``r`` draws only from ``rng[r]`` (``sims._rng``), so
the parallel (``prange``) and serial kernels give identical results whatever the thread count.

Update rules at inverse temperature ``beta`` (``betas[r, sweep]``, or ``betas[0, sweep]`` for every replica
when ``betas`` has one row):

- Metropolis: flip if ``dE <= 0``, else with probability ``exp(-beta dE)``.
- Glauber (heat bath): ``s_i = +1`` with probability ``1 / (1 + exp(-2 beta f_i))``, whatever ``s_i`` was.
- ``beta = inf`` (zero temperature, both methods): the deterministic Hopfield update ``s_i = sign(f_i)``,
  a site with ``f_i = 0`` keeps its spin, so the energy never rises.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from boltzgym.sims._rng import next_below, next_double

METROPOLIS = 0
GLAUBER = 1

# exp(-x) < 2**-64 for x above this: such moves are never accepted by a 53-bit uniform.
_MAX_EXPONENT = 44.3614195558365


@njit(cache=True, inline="always")
def _apply_flip(i, new_spin, state, fields, couplings):
    """Set ``state[i] = new_spin`` (the opposite of its value) and update ``fields`` (float64[N]) in place."""
    dense_J, indptr, indices, data, use_dense = couplings
    delta = 2.0 * new_spin
    if use_dense:
        row = dense_J[i]
        for k in range(fields.shape[0]):
            fields[k] += delta * row[k]
    else:
        for k in range(indptr[i], indptr[i + 1]):
            fields[indices[k]] += delta * data[k]
    state[i] = new_spin


@njit(cache=True, inline="always")
def _site_update(i, beta, zero_temperature, method, state, fields, rng, r):
    """Return the new spin (int) of site ``i`` of one replica under the chosen rule; draws from ``rng[r]``."""
    spin = state[i]
    field = fields[i]
    if zero_temperature:
        if field > 0.0:
            return 1
        if field < 0.0:
            return -1
        return spin
    if method == METROPOLIS:
        delta_energy = 2.0 * spin * field
        if delta_energy <= 0.0:
            return -spin
        exponent = beta * delta_energy
        if exponent < _MAX_EXPONENT and next_double(rng, r) < np.exp(-exponent):
            return -spin
        return spin
    # Glauber / heat bath: P(s_i = +1) = 1 / (1 + exp(-2 beta f_i)).
    exponent = -2.0 * beta * field
    if exponent > _MAX_EXPONENT:
        up_probability = 0.0
    else:
        up_probability = 1.0 / (1.0 + np.exp(exponent))
    if next_double(rng, r) < up_probability:
        return 1
    return -1


@njit(cache=True)
def _replica_sweeps(r, states, fields, energies, betas, couplings, clamped, method, random_order, rng, energy_trace):
    """Run ``betas.shape[1]`` sweeps of N single-site attempts on replica ``r``.

    states int8[R, N], fields float64[R, N], energies float64[R] (updated by the sum of accepted ``dE``),
    betas float64[B, S] (row ``r`` for replica ``r`` when ``B == R``, else row 0 for all), clamped bool[N]
    (never updated), rng uint64[R, 4], energy_trace float64[R, S] (energy after each sweep; pass shape
    ``(R, 0)`` to skip recording).
    """
    state = states[r]
    field = fields[r]
    n = state.shape[0]
    record = energy_trace.shape[1] > 0
    beta_row = np.int64(r) if betas.shape[0] > 1 else np.int64(0)
    for sweep in range(betas.shape[1]):
        beta = betas[beta_row, sweep]
        zero_temperature = beta == np.inf
        for step in range(n):
            if random_order:
                i = next_below(rng, r, n)
            else:
                i = step
            if clamped[i]:
                continue
            new_spin = _site_update(i, beta, zero_temperature, method, state, field, rng, r)
            if new_spin != state[i]:
                energies[r] += 2.0 * state[i] * field[i]
                _apply_flip(i, new_spin, state, field, couplings)
        if record:
            energy_trace[r, sweep] = energies[r]


@njit(cache=True, parallel=True)
def single_site_sweeps_parallel(
    states, fields, energies, betas, couplings, clamped, method, random_order, rng, energy_trace
):
    """Single-site sweeps on every replica, replicas spread over threads (see ``_replica_sweeps``)."""
    for r in prange(states.shape[0]):
        _replica_sweeps(r, states, fields, energies, betas, couplings, clamped, method, random_order, rng, energy_trace)


@njit(cache=True)
def single_site_sweeps_serial(
    states, fields, energies, betas, couplings, clamped, method, random_order, rng, energy_trace
):
    """The serial twin of ``single_site_sweeps_parallel`` (identical results)."""
    for r in range(states.shape[0]):
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
    record = energy_trace.shape[1] > 0
    beta_row = np.int64(r) if betas.shape[0] > 1 else np.int64(0)
    for sweep in range(betas.shape[1]):
        beta = betas[beta_row, sweep]
        zero_temperature = beta == np.inf
        for i in range(n):
            if clamped[i]:
                scratch[i] = state[i]
            else:
                scratch[i] = _site_update(i, beta, zero_temperature, 1, state, field, rng, r)
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
