"""Multi-spin coded simulated annealing: 64 replicas per machine word (validated wrapper over the kernel).

For Ising models whose couplings are all in {-1, 0, +1} with integer fields and at most
``MAX_TERMS = 15`` terms (degree + |h_i|) per site (+-J glasses, ferromagnets, unweighted Max-Cut on sparse
graphs), ``boltzgym.sims._multispin_kernels`` updates 64 replicas of a spin at once with bitwise logic. Each
replica runs the Metropolis rule of ``anneal(method="metropolis")`` (same 53-bit acceptance thresholds) with its
own random bits, sweeping the sites colour by colour (``colour_layout``: the checkerboard on a bipartite lattice)
instead of in index order, so that the sites of a colour can be shared between threads and the vector units;
the samples are statistically, not bitwise, equal to the single-spin kernel's. Replica ``r`` is bit ``r % 64``
of group ``r // 64``; group ``g``'s random words depend on (seed, g, sweep, chunk of sites) only: the same seed
gives the same result on any thread count.
"""

from __future__ import annotations

import numba
import numpy as np

from boltzgym.sims import _multispin_kernels
from boltzgym.sims.ising import IsingModel

__all__ = [
    "CHUNK_SITES",
    "MAX_TERMS",
    "check_multispin",
    "colour_layout",
    "multispin_couplings",
    "multispin_reason",
    "pack_spins",
    "run_multispin",
    "unpack_spins",
]

MAX_TERMS = _multispin_kernels.MAX_TERMS
CHUNK_SITES = _multispin_kernels.CHUNK_SITES
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


def check_multispin(model: IsingModel) -> None:
    """Raise ``ValueError`` naming the reason when ``model`` cannot run on the multi-spin kernel."""
    reason = multispin_reason(model)
    if reason is not None:
        raise ValueError(f"method='multispin' needs couplings in {{-1, 0, +1}} on a sparse graph: {reason}")


def multispin_couplings(model: IsingModel) -> tuple:
    """The kernel's inputs ``(couplings, layout)``: ``couplings = (indptr, indices, negated, field_weight,
    field_up, terms)`` and ``layout = (sites, chunk_starts, colour_chunks, *table)``: the sweep's site order
    (colour by colour, see ``colour_layout``) and the four-term table of the sites in that order.

    Raises ``ValueError`` naming the reason when the model does not qualify (see ``multispin_reason``).
    """
    check_multispin(model)
    J = model.J
    negated = np.where(J.data < 0, _ALL, np.uint64(0)).astype(np.uint64)
    field_weight = np.abs(model.h).astype(np.int64)
    field_up = np.where(model.h > 0, _ALL, np.uint64(0)).astype(np.uint64)
    terms = (np.diff(J.indptr) + field_weight).astype(np.int64)
    indptr, indices = J.indptr.astype(np.uint64), J.indices.astype(np.uint32)
    layout = colour_layout(indptr, indices)
    return (indptr, indices, negated, field_weight, field_up, terms), layout + _four_term_table(model, layout[0])


def _four_term_table(model: IsingModel, sites: np.ndarray) -> tuple:
    """The kernel's table of the sites' terms by position in ``sites`` when every site has at most 4 terms
    (else empty arrays): ``(neighbour uint32[4, N], negated uint8[4, N], keep uint8[4, N], terms int64[N])``.

    Slots of a site: its bonds (``keep`` 1, ``negated`` 1 when ``J < 0``), then ``|h|`` field terms (``keep`` 0,
    ``negated`` 1 when ``h > 0``), then empty slots that name the site itself (a term that is never unsatisfied).
    """
    n = model.n_spins
    degree = np.diff(model.J.indptr)
    weight = np.abs(model.h).astype(np.int64)
    if n == 0 or (degree + weight).max() > 4:
        return (np.zeros((4, 0), np.uint32), np.zeros((4, 0), np.uint8), np.zeros((4, 0), np.uint8),
                np.zeros(0, np.int64))  # fmt: skip
    position = np.empty(n, dtype=np.int64)
    position[sites] = np.arange(n)
    neighbour = np.tile(sites.astype(np.uint32), (4, 1))  # empty slots: the site itself
    negated = np.zeros((4, n), dtype=np.uint8)
    keep = np.ones((4, n), dtype=np.uint8)
    rows = np.repeat(np.arange(n), degree)
    slots = np.arange(rows.size) - np.repeat(model.J.indptr[:-1], degree)
    neighbour[slots, position[rows]] = model.J.indices
    negated[slots, position[rows]] = model.J.data < 0
    field_rows = np.repeat(np.arange(n), weight)
    field_slots = np.repeat(degree, weight) + np.arange(field_rows.size) - np.repeat(np.cumsum(weight) - weight, weight)
    keep[field_slots, position[field_rows]] = 0
    negated[field_slots, position[field_rows]] = model.h[field_rows] > 0
    terms = (degree + weight)[sites].astype(np.int64)
    return neighbour, negated, keep, terms


def colour_layout(indptr: np.ndarray, indices: np.ndarray) -> tuple:
    """``(sites, chunk_starts, colour_chunks)``: the sites sorted by colour (a greedy proper colouring; the
    checkerboard on a bipartite lattice), each colour cut into chunks of at most ``CHUNK_SITES`` sites.

    ``sites[chunk_starts[c]:chunk_starts[c + 1]]`` are chunk ``c``; colour ``k`` has chunks
    ``colour_chunks[k]`` to ``colour_chunks[k + 1] - 1``. A sweep updates the colours in order.
    """
    colours = _multispin_kernels.colour_sites(indptr, indices)
    sites = np.argsort(colours, kind="stable").astype(np.int64)
    sizes = np.bincount(colours) if colours.size else np.zeros(0, dtype=np.int64)
    chunk_starts, colour_chunks, start = [0], [0], 0
    for size in sizes:
        cuts = list(range(start + CHUNK_SITES, start + size, CHUNK_SITES)) + [start + size]
        chunk_starts += cuts
        colour_chunks.append(colour_chunks[-1] + len(cuts))
        start += size
    return sites, np.array(chunk_starts, dtype=np.int64), np.array(colour_chunks, dtype=np.int64)


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


def run_multispin(words: np.ndarray, betas: np.ndarray, couplings: tuple, rng_states: np.ndarray,
                  parallel: bool) -> None:  # fmt: skip
    """Advance packed replicas ``words`` (uint64 ``(G, N)``) in place by ``len(betas)`` sweeps.

    ``couplings`` is ``multispin_couplings``'s pair; ``rng_states`` uint64 ``(G, 4)``, one stream per group.
    ``parallel=True`` spreads the groups over threads when there are at least as many as threads, else each
    colour's chunks: the same result as ``parallel=False`` (one thread) either way.
    """
    terms, layout = couplings
    betas = np.ascontiguousarray(betas, dtype=np.float64)
    if not parallel or numba.get_num_threads() == 1:
        _multispin_kernels.multispin_sweeps(words, betas, terms, layout, rng_states)
    elif words.shape[0] >= numba.get_num_threads():
        _multispin_kernels.multispin_sweeps_over_groups(words, betas, terms, layout, rng_states)
    else:
        _multispin_kernels.multispin_sweeps_over_chunks(words, betas, terms, layout, rng_states)
