"""Jitted multi-spin coded Metropolis sweeps: 64 replicas of each spin in the bits of one uint64 (no validation).

Conventions (see ``boltzgym.sims.ising``): ``E(s) = -sum_(i<j) J_ij s_i s_j - sum_i h_i s_i`` with every
``J_ij`` in {-1, 0, +1} and integer ``h_i``. Bit ``r`` of ``words[g, i]`` is replica ``64 g + r`` of spin ``i``:
1 is ``s = +1``, 0 is ``s = -1``.

Bond counting (bit-sliced): the bond ``(i, j)`` is *unsatisfied* in a replica when ``J_ij s_i s_j = -1``, which is
the bit ``w_i ^ w_j ^ negated_ij`` (``negated_ij`` all ones when ``J_ij = -1``). The field ``h_i`` counts as
``|h_i|`` ghost bonds, unsatisfied when ``h_i s_i < 0`` (bit ``w_i ^ field_up_i``, ``field_up_i`` all ones when
``h_i > 0``). With ``D_i = degree_i + |h_i|`` terms of which ``U`` are unsatisfied, flipping ``s_i`` changes the
energy by ``dE = 2 (D_i - 2 U)``. ``U`` is counted for all 64 replicas at once in four bit planes ``c0..c3``
(a ripple-carry adder on words), so ``D_i <= 15``.

Metropolis acceptance, exact to the single-spin kernel's 53 bits: a replica with ``k = D_i - 2U > 0`` flips when
its 53-bit uniform ``m`` is below ``ceil(2**53 exp(-2 beta k))`` (``boltzgym.utils.rng.uint53_threshold``; the
quantisation error of each acceptance probability is below ``2**-53``, as in ``sims._kernels``). The 64 uniforms
are compared bit-sliced, most significant bit first, one fresh random word per bit: a replica is decided at the
first bit where its random bit differs from its threshold's bit (accepted when the random bit is 0 there).
Every replica thus reads its own bits of each word (replicas stay independent), and the loop stops as soon as
all 64 are decided: about ``log2(64) + 2`` words per site instead of 53. ``k <= 0`` always flips; at
``beta = inf`` only ``k < 0`` flips (the zero-temperature rule of ``sims._kernels``).

Group ``g`` (64 replicas) draws only from ``rng[g]`` (xoshiro256**, ``boltzgym.utils.rng``), so results do not depend on
the thread count.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from boltzgym.utils.rng import uint53_threshold, xoshiro_step

MAX_TERMS = 15  # the largest degree + |h| that the four bit planes of U can count
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_ONE = np.uint64(1)
_ZERO = np.uint64(0)


@njit(cache=True, inline="always")
def _level_mask(level, c0, c1, c2, c3):
    """The replicas whose bit-sliced count ``(c3 c2 c1 c0)`` equals ``level`` (a uint64 mask)."""
    eq = c0 if level & 1 else ~c0
    eq &= c1 if level & 2 else ~c1
    eq &= c2 if level & 4 else ~c2
    eq &= c3 if level & 8 else ~c3
    return eq


@njit(cache=True)
def _group_sweeps(g, words, betas, couplings, rng, level_masks):
    """Run ``betas.shape[0]`` sequential Metropolis sweeps on the 64 replicas of group ``g``.

    words uint64[G, N]; betas float64[S]; couplings = (indptr uint64[N+1], indices uint32[nnz],
    negated uint64[nnz], field_weight int64[N], field_up uint64[N], terms int64[N]) with ``terms = degree + |h|``;
    rng uint64[G, 4]; level_masks uint64[G, 8] scratch.
    """
    indptr, indices, negated, field_weight, field_up, terms = couplings
    state = words[g]
    masks = level_masks[g]
    thresholds = np.zeros(MAX_TERMS + 1, dtype=np.uint64)  # ceil(2**53 exp(-2 beta k)) at k
    s0, s1, s2, s3 = rng[g, 0], rng[g, 1], rng[g, 2], rng[g, 3]
    for sweep in range(betas.shape[0]):
        beta = betas[sweep]
        zero_temperature = beta == np.inf
        for k in range(1, MAX_TERMS + 1):
            exponent = 2.0 * beta * k
            thresholds[k] = 0 if zero_temperature or exponent > 44.0 else uint53_threshold(np.exp(-exponent))
        for i in range(state.shape[0]):
            spin = state[i]
            c0 = c1 = c2 = c3 = np.uint64(0)
            for e in range(indptr[i], indptr[i + 1]):
                x = spin ^ state[indices[e]] ^ negated[e]
                carry0 = c0 & x
                c0 ^= x
                carry1 = c1 & carry0
                c1 ^= carry0
                carry2 = c2 & carry1
                c2 ^= carry1
                c3 ^= carry2
            x_field = spin ^ field_up[i]
            for _ in range(field_weight[i]):
                carry0 = c0 & x_field
                c0 ^= x_field
                carry1 = c1 & carry0
                c1 ^= carry0
                carry2 = c2 & carry1
                c2 ^= carry1
                c3 ^= carry2
            n_terms = terms[i]
            # levels U with k = n_terms - 2U > 0 need a random decision (k = 0 too at zero temperature)
            n_levels = n_terms // 2 + 1 if zero_temperature else (n_terms + 1) // 2
            accept = np.uint64(0)
            if n_levels <= 3:  # lattices up to 3D: the levels' masks and thresholds stay in registers
                m0 = _level_mask(0, c0, c1, c2, c3) if n_levels > 0 else np.uint64(0)
                m1 = _level_mask(1, c0, c1, c2, c3) if n_levels > 1 else np.uint64(0)
                m2 = _level_mask(2, c0, c1, c2, c3) if n_levels > 2 else np.uint64(0)
                t0 = thresholds[n_terms] if n_levels > 0 else np.uint64(0)
                t1 = thresholds[n_terms - 2] if n_levels > 1 else np.uint64(0)
                t2 = thresholds[n_terms - 4] if n_levels > 2 else np.uint64(0)
                needs = m0 | m1 | m2
                undecided = needs
                if not zero_temperature:
                    for bit in range(52, -1, -1):
                        if undecided == 0:
                            break
                        shift = np.uint64(bit)
                        threshold_bits = (
                            (m0 & (_ZERO - ((t0 >> shift) & _ONE)))
                            | (m1 & (_ZERO - ((t1 >> shift) & _ONE)))
                            | (m2 & (_ZERO - ((t2 >> shift) & _ONE)))
                        )
                        random_word, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
                        accept |= undecided & threshold_bits & ~random_word
                        undecided &= ~(random_word ^ threshold_bits)
            else:
                needs = np.uint64(0)
                for level in range(n_levels):
                    masks[level] = _level_mask(level, c0, c1, c2, c3)
                    needs |= masks[level]
                undecided = needs
                if not zero_temperature:
                    for bit in range(52, -1, -1):
                        if undecided == 0:
                            break
                        threshold_bits = np.uint64(0)
                        for level in range(n_levels):
                            if (thresholds[n_terms - 2 * level] >> np.uint64(bit)) & _ONE:
                                threshold_bits |= masks[level]
                        random_word, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
                        accept |= undecided & threshold_bits & ~random_word
                        undecided &= ~(random_word ^ threshold_bits)
            state[i] = spin ^ ((~needs) | accept)
    rng[g, 0], rng[g, 1], rng[g, 2], rng[g, 3] = s0, s1, s2, s3


@njit(cache=True, parallel=True)
def multispin_sweeps(words, betas, couplings, rng, level_masks):
    """Sweeps on every group of 64 replicas, groups spread over threads (one thread: serial; same result)."""
    for g in prange(words.shape[0]):
        _group_sweeps(g, words, betas, couplings, rng, level_masks)
