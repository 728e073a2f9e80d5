"""Multi-spin coded simulated annealing: 64 replicas per machine word (validated wrapper over the kernel).

For Ising models whose couplings are all in {-1, 0, +1} with integer fields and at most
``MAX_TERMS = 15`` terms (degree + |h_i|) per site (+-J glasses, ferromagnets, unweighted Max-Cut on sparse
graphs), ``boltzgym.sims._multispin_kernels`` updates 64 replicas of a spin at once with bitwise logic. Each
replica runs exactly the sequential Metropolis chain of ``anneal(method="metropolis")`` (same rule, same
53-bit acceptance thresholds) with its own random bits; the random streams differ, so the samples are
statistically, not bitwise, equal to the single-spin kernel's. Replica ``r`` is bit ``r % 64`` of group
``r // 64``; group ``g`` draws from stream ``g`` (same seed, same result on any thread count).
"""

from __future__ import annotations

import numba
import numpy as np

from boltzgym.sims import _multispin_kernels
from boltzgym.sims.ising import IsingModel

__all__ = ["MAX_TERMS", "multispin_couplings", "multispin_reason", "pack_spins", "run_multispin", "unpack_spins"]

MAX_TERMS = _multispin_kernels.MAX_TERMS
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


def multispin_reason(model: IsingModel) -> str | None:
    """Why ``model`` cannot run on the multi-spin kernel (a sentence), or ``None`` when it can."""
    if not model.is_sparse:
        return "its couplings are dense (the multi-spin kernel needs a sparse J)"
    values = model.J.data
    if not np.all(np.isin(values, (-1.0, 1.0))):
        return "its couplings are not all in {-1, 0, +1}"
    if not np.all(model.h == np.round(model.h)):
        return "its fields h are not all integers"
    terms = np.diff(model.J.indptr) + np.abs(model.h)
    if terms.size and terms.max() > MAX_TERMS:
        return f"a site has degree + |h| = {int(terms.max())} > {MAX_TERMS}"
    return None


def multispin_couplings(model: IsingModel) -> tuple:
    """The kernel's couplings tuple ``(indptr, indices, negated, field_weight, field_up, terms)``.

    Raises ``ValueError`` naming the reason when the model does not qualify (see ``multispin_reason``).
    """
    reason = multispin_reason(model)
    if reason is not None:
        raise ValueError(f"method='multispin' needs couplings in {{-1, 0, +1}} on a sparse graph: {reason}")
    J = model.J
    negated = np.where(J.data < 0, _ALL, np.uint64(0)).astype(np.uint64)
    field_weight = np.abs(model.h).astype(np.int64)
    field_up = np.where(model.h > 0, _ALL, np.uint64(0)).astype(np.uint64)
    terms = (np.diff(J.indptr) + field_weight).astype(np.int64)
    return (J.indptr.astype(np.uint64), J.indices.astype(np.uint32), negated, field_weight, field_up, terms)


def pack_spins(states: np.ndarray) -> np.ndarray:
    """int8 spins ``(R, N)`` -> uint64 words ``(ceil(R / 64), N)``; unused bits of the last group are 0."""
    n_replicas, n_spins = states.shape
    n_groups = -(-n_replicas // 64)
    bits = np.zeros((n_groups * 64, n_spins), dtype=np.uint8)
    bits[:n_replicas] = states > 0
    # bit r of a word is replica r: little-endian packing of 64 rows into 8 bytes.
    packed = np.packbits(bits.reshape(n_groups, 64, n_spins), axis=1, bitorder="little")  # (G, 8, N)
    return np.ascontiguousarray(packed.transpose(0, 2, 1)).view(np.uint64).reshape(n_groups, n_spins)


def unpack_spins(words: np.ndarray, n_replicas: int) -> np.ndarray:
    """The inverse of ``pack_spins``: int8 spins ``(n_replicas, N)``."""
    n_groups, n_spins = words.shape
    as_bytes = np.ascontiguousarray(words).view(np.uint8).reshape(n_groups, n_spins, 8).transpose(0, 2, 1)
    bits = np.unpackbits(as_bytes, axis=1, bitorder="little").reshape(n_groups * 64, n_spins)[:n_replicas]
    return (2 * bits.astype(np.int8) - 1).astype(np.int8)


def run_multispin(
    words: np.ndarray, betas: np.ndarray, couplings: tuple, rng_states: np.ndarray, parallel: bool
) -> None:
    """Advance packed replicas ``words`` (uint64 ``(G, N)``) in place by ``len(betas)`` sweeps.

    ``rng_states`` uint64 ``(G, 4)``, one stream per group. One kernel serves both modes: ``parallel=False``
    runs it on one thread (identical results).
    """
    scratch = np.empty((words.shape[0], 8), dtype=np.uint64)
    betas = np.ascontiguousarray(betas, dtype=np.float64)
    if parallel:
        _multispin_kernels.multispin_sweeps(words, betas, couplings, rng_states, scratch)
        return
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        _multispin_kernels.multispin_sweeps(words, betas, couplings, rng_states, scratch)
    finally:
        numba.set_num_threads(threads)
