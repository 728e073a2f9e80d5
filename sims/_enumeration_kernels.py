"""Jitted Gray-code walks over every spin state of a small Ising model (arithmetic only; no validation).

Conventions of ``boltzgym.sims.ising``: spins int8 in {-1, +1}, ``E(s) = -1/2 s^T J s - h^T s``, local fields
``f = J s + h`` and ``dE_i = 2 s_i f_i``. State ``code`` (an integer) has spin ``i`` equal to ``+1`` when bit ``i``
of ``code`` is set, else ``-1``. The walk visits codes in Gray order (step ``k`` flips the spin of the lowest set
bit of ``k``), one flip and ``deg(i)`` field updates per state. Couplings are CSR (``indptr`` int64 ``(N + 1,)``,
``indices`` int64 ``(nnz,)``, ``data`` float64 ``(nnz,)``).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def _start(indptr, indices, data, h, state, fields):
    """Fill ``fields`` for ``state`` (all -1 on entry) and return its energy."""
    n = state.shape[0]
    for i in range(n):
        total = h[i]
        for k in range(indptr[i], indptr[i + 1]):
            total += data[k] * state[indices[k]]
        fields[i] = total
    energy = 0.0
    for i in range(n):
        energy -= 0.5 * state[i] * (fields[i] + h[i])
    return energy


@njit(cache=True, inline="always")
def _flip(i, indptr, indices, data, state, fields):
    """Flip spin ``i``; returns ``dE``."""
    spin = state[i]
    delta_energy = 2.0 * spin * fields[i]
    for k in range(indptr[i], indptr[i + 1]):
        fields[indices[k]] -= 2.0 * spin * data[k]
    state[i] = -spin
    return delta_energy


@njit(cache=True)
def all_energies(indptr, indices, data, h, n_walked, energies):
    """Write the energy of every state whose spins ``>= n_walked`` are -1 into ``energies[code]`` (float64
    ``(2**n_walked,)``); the spins ``< n_walked`` take every value. Energies are running sums of ``dE``."""
    n = h.shape[0]
    state = -np.ones(n, dtype=np.int8)
    fields = np.empty(n)
    energy = _start(indptr, indices, data, h, state, fields)
    energies[0] = energy
    code = 0
    for k in range(1, 1 << n_walked):
        i = 0
        while not (k >> i) & 1:
            i += 1
        energy += _flip(i, indptr, indices, data, state, fields)
        code ^= 1 << i
        energies[code] = energy
    return energies


@njit(cache=True)
def lowest_energy(indptr, indices, data, h, n_walked):
    """``(energy, code)`` of the lowest running-sum energy over the states walked as in ``all_energies``."""
    n = h.shape[0]
    state = -np.ones(n, dtype=np.int8)
    fields = np.empty(n)
    energy = _start(indptr, indices, data, h, state, fields)
    best, best_code, code = energy, 0, 0
    for k in range(1, 1 << n_walked):
        i = 0
        while not (k >> i) & 1:
            i += 1
        energy += _flip(i, indptr, indices, data, state, fields)
        code ^= 1 << i
        if energy < best:
            best, best_code = energy, code
    return best, best_code
