"""Exact results of small Ising models by enumerating every state: ground states, energies, free energies.

State ``code`` (an integer in ``[0, 2**N)``) has spin ``i`` equal to ``+1`` when bit ``i`` is set, else ``-1``
(``states_from_codes``). Energies follow ``boltzgym.sims.ising``: ``E(s) = -1/2 s^T J s - h^T s``. The walks run
in ``boltzgym.sims._enumeration_kernels`` (Gray order, one flip per state); with no field only the states with
spin ``N - 1`` at -1 are walked, the others being their mirror images (same energy). These are the references
that the exact planar solver, population annealing and the cluster moves are tested against.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import logsumexp

from boltzgym.sims import _enumeration_kernels
from boltzgym.sims._engine import check_beta, check_model
from boltzgym.sims.ising import IsingModel

__all__ = [
    "MAX_ENUMERATION_SPINS",
    "MAX_TABLE_SPINS",
    "boltzmann_probabilities",
    "brute_force_ground_state",
    "enumerate_energies",
    "exact_log_partition",
    "states_from_codes",
]

# brute_force_ground_state walks up to 2**29 states (a few seconds); tables of all energies hold 2**24 floats.
MAX_ENUMERATION_SPINS = 30
MAX_TABLE_SPINS = 24


def _csr(model: IsingModel):
    J = sp.csr_matrix(model.J)
    J.sort_indices()
    return J.indptr.astype(np.int64), J.indices.astype(np.int64), J.data.astype(np.float64)


def _check_size(model: IsingModel, limit: int, what: str) -> IsingModel:
    model = check_model(model)
    if model.n_spins > limit:
        raise ValueError(f"model must have at most {limit} spins for {what}, got {model.n_spins}")
    return model


def states_from_codes(codes, n_spins: int) -> np.ndarray:
    """int8 spins ``(len(codes), n_spins)`` of state codes (bit ``i`` set: spin ``i`` is +1)."""
    codes = np.atleast_1d(np.asarray(codes, dtype=np.int64))
    bits = (codes[:, None] >> np.arange(n_spins)) & 1
    return (2 * bits - 1).astype(np.int8)


def enumerate_energies(model: IsingModel) -> np.ndarray:
    """The energy of every state, float64 ``(2**N,)`` indexed by code (``N <= MAX_TABLE_SPINS``).

    Energies are running sums along the Gray-code walk (rounding drifts by about ``1e-16`` per step).
    """
    model = _check_size(model, MAX_TABLE_SPINS, "a table of all energies")
    n = model.n_spins
    indptr, indices, data = _csr(model)
    energies = np.empty(1 << n)
    _enumeration_kernels.all_energies(indptr, indices, data, model.h.astype(np.float64), n, energies)
    return energies


def brute_force_ground_state(model: IsingModel) -> tuple[np.ndarray, float]:
    """A ground state by exhaustive search: ``(spins int8 (N,), energy)`` (``N <= MAX_ENUMERATION_SPINS``).

    The energy is recomputed from the spins. With no field the walk covers the ``2**(N - 1)`` states with
    spin ``N - 1 = -1`` (the rest are their mirror images).
    """
    model = _check_size(model, MAX_ENUMERATION_SPINS, "exhaustive search")
    n = model.n_spins
    walked = n - 1 if not np.any(model.h) else n
    indptr, indices, data = _csr(model)
    _, code = _enumeration_kernels.lowest_energy(indptr, indices, data, model.h.astype(np.float64), walked)
    state = states_from_codes([code], n)[0]
    return state, float(model.energy(state))


def exact_log_partition(model: IsingModel, beta: float) -> float:
    """``ln Z(beta) = ln sum_s exp(-beta E(s))`` by enumeration (``N <= MAX_TABLE_SPINS``); the free energy is
    ``F = -ln Z / beta``."""
    beta = check_beta(beta)
    if not np.isfinite(beta):
        raise ValueError("beta must be finite for a partition function, got inf")
    return float(logsumexp(-beta * enumerate_energies(model)))


def boltzmann_probabilities(model: IsingModel, beta: float) -> np.ndarray:
    """``p(s) = exp(-beta E(s)) / Z`` for every state code, float64 ``(2**N,)`` (``N <= MAX_TABLE_SPINS``)."""
    beta = check_beta(beta)
    if not np.isfinite(beta):
        raise ValueError("beta must be finite for a Boltzmann distribution, got inf")
    log_weights = -beta * enumerate_energies(model)
    return np.exp(log_weights - logsumexp(log_weights))
