"""Jitted multi-spin coded Metropolis sweeps: 64 replicas of each spin in the bits of one uint64 (no validation).

Conventions (see ``boltzgym.sims.ising``): ``E(s) = -sum_(i<j) J_ij s_i s_j - sum_i h_i s_i`` with every
``J_ij`` in {-1, 0, +1} and integer ``h_i``. Bit ``r`` of ``words[g, i]`` is replica ``64 g + r`` of spin ``i``:
1 is ``s = +1``, 0 is ``s = -1``.

Bond counting (bit-sliced): the bond ``(i, j)`` is *unsatisfied* in a replica when ``J_ij s_i s_j = -1``, which is
the bit ``w_i ^ w_j ^ negated_ij`` (``negated_ij`` all ones when ``J_ij = -1``). The field ``h_i`` counts as
``|h_i|`` ghost bonds, unsatisfied when ``h_i s_i < 0`` (bit ``w_i ^ field_up_i``, ``field_up_i`` all ones when
``h_i > 0``). With ``D_i = degree_i + |h_i|`` terms of which ``U`` are unsatisfied, flipping ``s_i`` changes the
energy by ``dE = 2 (D_i - 2 U)``. ``U`` is counted for all 64 replicas at once in four bit planes ``c0..c3``
(a ripple-carry adder on words), so ``D_i <= 15``; sites of at most 4 terms need only ``U >= 1, 2, 3``
(saturating counts), read from a four-slot table in sweep order when every site qualifies (``_few_terms_batch``).

Site order: a sweep visits the sites colour by colour (``colour_sites``: a proper colouring, two colours on a
bipartite lattice, the checkerboard), each colour in increasing site index. Sites of one colour share no bond,
so their updates commute: a colour's sites are cut into fixed chunks of ``CHUNK_SITES`` that threads may take in
any order, and within a chunk ``BATCH`` sites are decided together (the vector units work across them).

Metropolis acceptance, exact to the single-spin kernel's 53 bits: a replica with ``k = D_i - 2U > 0`` flips when
its 53-bit uniform ``m`` is below ``t_k = ceil(2**53 exp(-2 beta k))`` (``boltzgym.utils.rng.uint53_threshold``;
the quantisation error of each acceptance probability is below ``2**-53``, as in ``sims._kernels``). The uniforms
are compared bit-sliced, most significant bit first, one fresh random word per bit for each site of a batch: a
replica is decided at the first bit where its random bit differs from its threshold's bit (accepted when the
random bit is 0 there), and replicas that match all 53 bits (``m = t_k``) are rejected. Only replicas whose move
is uphill read random bits at all (downhill and level moves flip without any), every replica reads its own bit of
each word (replicas stay independent), and the rounds stop when the whole batch is decided: about
``log2(uphill replicas in the batch) + 2`` rounds (12-14 for 64 sites of a 2D glass) instead of 53, each a loop
over the batch that the compiler vectorises. Sites with up to three uphill levels (up to 6 terms) join the batch;
a site with more is decided alone, a word per round. ``k <= 0`` always flips; at
``beta = inf`` only ``k < 0`` flips (the zero-temperature rule of ``sims._kernels``).

Random words: SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", 2014), counter
based, so each round's words are computed inside the vectorised loop (word ``r * BATCH + j + 1`` of the chunk's
sequence for site ``j`` of a batch in round ``r``, counting from the batch's start). Each sweep draws one key per
group of 64 replicas from the group's xoshiro256** stream ``rng[g]`` (``boltzgym.utils.rng``); chunk ``c`` of
that sweep reads the SplitMix64 sequence started at ``mix(key + (c + 1) * _CHUNK_STRIDE)``. The words a site
reads depend on (seed, group, sweep, chunk) only, so results do not depend on the thread count nor on which
driver runs the sweeps.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from boltzgym.utils.rng import uint53_threshold, xoshiro_step

MAX_TERMS = 15  # the largest degree + |h| that the four bit planes of U can count
CHUNK_SITES = 256  # sites of one colour per chunk (the unit of work of a thread and of a random stream)
BATCH = 64  # sites decided together in the random rounds (vectorised across them)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_TOP = np.uint64(63)
_ALIGN = np.uint64(11)  # shifts a 53-bit threshold's bit 52 to bit 63
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_CHUNK_STRIDE = np.uint64(0xD1B54A32D192ED03)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)


@njit(cache=True, inline="always")
def _mix(z):
    """SplitMix64's output function (a bijection on uint64)."""
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def _level_mask(level, c0, c1, c2, c3):
    """The replicas whose bit-sliced count ``(c3 c2 c1 c0)`` equals ``level`` (a uint64 mask)."""
    eq = c0 if level & 1 else ~c0
    eq &= c1 if level & 2 else ~c1
    eq &= c2 if level & 4 else ~c2
    eq &= c3 if level & 8 else ~c3
    return eq


@njit(cache=True, inline="always")
def _count_unsatisfied(state, site, spin, couplings):
    """Bit planes ``(c0, c1, c2, c3)`` of the number of unsatisfied terms of ``site`` in each replica."""
    indptr, indices, negated, field_weight, field_up, _ = couplings
    c0 = c1 = c2 = c3 = _ZERO
    for e in range(indptr[site], indptr[site + 1]):
        x = spin ^ state[indices[e]] ^ negated[e]
        carry0 = c0 & x
        c0 ^= x
        carry1 = c1 & carry0
        c1 ^= carry0
        carry2 = c2 & carry1
        c2 ^= carry1
        c3 ^= carry2
    x_field = spin ^ field_up[site]
    for _ in range(field_weight[site]):
        carry0 = c0 & x_field
        c0 ^= x_field
        carry1 = c1 & carry0
        c1 ^= carry0
        carry2 = c2 & carry1
        c2 ^= carry1
        c3 ^= carry2
    return c0, c1, c2, c3


@njit(cache=True, inline="always")
def _few_terms_masks(state, site, spin, n_terms, couplings, zero_temperature):
    """``(mask0, mask1, flips)`` of a site with at most 4 terms: the replicas on the uphill levels U = 0 and
    U = 1 (masks 0 where the level is not uphill), or at zero temperature ``mask0 = ALL`` and the flip mask.

    Counts saturate: ``at_least1..3`` are the replicas with U >= 1, 2, 3 (3 operations per term, not 7).
    """
    indptr, indices, negated, field_weight, field_up, _ = couplings
    at_least1 = at_least2 = at_least3 = _ZERO
    for e in range(indptr[site], indptr[site + 1]):
        x = spin ^ state[indices[e]] ^ negated[e]
        at_least3 |= at_least2 & x
        at_least2 |= at_least1 & x
        at_least1 |= x
    x_field = spin ^ field_up[site]
    for _ in range(field_weight[site]):
        at_least3 |= at_least2 & x_field
        at_least2 |= at_least1 & x_field
        at_least1 |= x_field
    if zero_temperature:  # flips where k = n_terms - 2U < 0, i.e. U > n_terms // 2
        above = at_least1 if n_terms <= 1 else (at_least2 if n_terms <= 3 else at_least3)
        return _ALL, _ZERO, above if n_terms > 0 else _ZERO
    mask0 = ~at_least1 if n_terms >= 1 else _ZERO
    mask1 = at_least1 & ~at_least2 if n_terms >= 3 else _ZERO
    return mask0, mask1, _ZERO


@njit(cache=True)
def _few_terms_batch(state, sites, table, first, lanes, thresholds, zero_temperature, lane):
    """Fill the lane rows of the batch ``sites[first:first + lanes]`` when every site has at most 4 terms, from
    the table by position (four slots per site: a bond reads ``state[neighbour]`` with ``keep = 1``, a field
    term reads nothing, ``keep = 0`` and ``negated = 1`` when ``h > 0``, an empty slot reads the site itself, so
    its term is 0; ``keep`` and ``negated`` are 0/1 bytes, spread to whole words by ``0 - b``, so that the table
    stays small: 6 bytes a slot). Returns the OR of the undecided masks. One loop over the batch with gathers:
    the vector units work across sites, as in the random rounds."""
    neighbour, negated, keep, terms = table
    any_uphill = _ZERO
    for j in range(lanes):
        p = first + j
        spin = state[sites[p]]
        at_least1 = at_least2 = at_least3 = _ZERO
        for slot in range(4):
            x = spin ^ (state[neighbour[slot, p]] & (_ZERO - keep[slot, p])) ^ (_ZERO - negated[slot, p])
            at_least3 |= at_least2 & x
            at_least2 |= at_least1 & x
            at_least1 |= x
        n_terms = terms[p]
        if zero_temperature:  # flips where k = n_terms - 2U < 0, i.e. U > n_terms // 2
            above = at_least1 if n_terms <= 1 else (at_least2 if n_terms <= 3 else at_least3)
            mask0, mask1, flips = _ALL, _ZERO, above if n_terms > 0 else _ZERO
            uphill = _ZERO
        else:
            mask0 = ~at_least1 if n_terms >= 1 else _ZERO
            mask1 = at_least1 & ~at_least2 if n_terms >= 3 else _ZERO
            flips = _ZERO
            uphill = mask0 | mask1
        lane[_SPIN * BATCH + j] = spin
        lane[_MASK0 * BATCH + j] = mask0
        lane[_MASK1 * BATCH + j] = mask1
        lane[_ALIGNED0 * BATCH + j] = thresholds[n_terms] << _ALIGN
        lane[_ALIGNED1 * BATCH + j] = thresholds[max(n_terms - 2, 0)] << _ALIGN
        lane[_ACCEPT * BATCH + j] = flips
        lane[_UNDECIDED * BATCH + j] = uphill
        any_uphill |= uphill
    return any_uphill


@njit(cache=True, inline="always")
def _many_level_flips(c0, c1, c2, c3, n_terms, n_levels, thresholds, counter):
    """Flip mask of a site with more than two uphill levels, decided alone, one random word per round.

    Returns ``(flips, counter)``: ``counter`` is the chunk's SplitMix64 state after the words read. Up to three
    levels (3D lattices) the masks and thresholds stay in registers.
    """
    accept = _ZERO
    if n_levels <= 3:
        m0 = _level_mask(0, c0, c1, c2, c3)
        m1 = _level_mask(1, c0, c1, c2, c3)
        m2 = _level_mask(2, c0, c1, c2, c3) if n_levels > 2 else _ZERO
        t0 = thresholds[n_terms] << _ALIGN
        t1 = thresholds[n_terms - 2] << _ALIGN
        t2 = thresholds[n_terms - 4] << _ALIGN if n_levels > 2 else _ZERO
        needs = m0 | m1 | m2
        undecided = needs
        for _ in range(53):
            if undecided == 0:
                break
            threshold_bits = (
                (m0 & (_ZERO - (t0 >> _TOP))) | (m1 & (_ZERO - (t1 >> _TOP))) | (m2 & (_ZERO - (t2 >> _TOP)))
            )
            t0 <<= _ONE
            t1 <<= _ONE
            t2 <<= _ONE
            counter += _GAMMA
            decided = undecided & (_mix(counter) ^ threshold_bits)
            accept |= decided & threshold_bits
            undecided ^= decided
        return (~needs) | accept, counter
    needs = _ZERO
    for level in range(n_levels):
        needs |= _level_mask(level, c0, c1, c2, c3)
    undecided = needs
    for bit in range(52, -1, -1):
        if undecided == 0:
            break
        shift = np.uint64(bit)
        threshold_bits = _ZERO
        for level in range(n_levels):
            if (thresholds[n_terms - 2 * level] >> shift) & _ONE:
                threshold_bits |= _level_mask(level, c0, c1, c2, c3)
        counter += _GAMMA
        decided = undecided & (_mix(counter) ^ threshold_bits)
        accept |= decided & threshold_bits
        undecided ^= decided
    return (~needs) | accept, counter


# rows of a chunk pass's lane array (uint64[_ROWS * BATCH]): one array, so the compiler sees that rows never alias
_SPIN, _MASK0, _MASK1, _ALIGNED0, _ALIGNED1, _ACCEPT, _UNDECIDED, _MASK2, _ALIGNED2, _ROWS = range(10)


@njit(cache=True)
def _per_site_batch(state, sites, first, lanes, couplings, thresholds, zero_temperature, counter, lane):
    """``_few_terms_batch`` for any sites (up to ``MAX_TERMS`` terms), site by site from the CSR couplings: up to
    three uphill levels (3D lattices) join the batch's rounds, a site with more is decided here alone. Returns
    ``(any_uphill, counter, third)``, ``third``: a site of the batch has a third uphill level (row ``_MASK2``)."""
    terms = couplings[5]
    any_uphill = _ZERO
    third = False
    for j in range(lanes):
        site = sites[first + j]
        spin = state[site]
        n_terms = terms[site]
        mask2 = _ZERO
        decided = zero_temperature
        if n_terms <= 4:  # two uphill levels at most: saturating counts suffice
            mask0, mask1, flips = _few_terms_masks(state, site, spin, n_terms, couplings, zero_temperature)
        else:
            c0, c1, c2, c3 = _count_unsatisfied(state, site, spin, couplings)
            # levels U with k = n_terms - 2U > 0 need a random decision (k = 0 too at zero temperature)
            n_levels = n_terms // 2 + 1 if zero_temperature else (n_terms + 1) // 2
            if zero_temperature:
                mask0, mask1, flips = _ALL, _ZERO, _ZERO
                for level in range(n_levels):
                    flips |= _level_mask(level, c0, c1, c2, c3)
                flips = ~flips
            elif n_levels == 3:
                mask0 = _level_mask(0, c0, c1, c2, c3)
                mask1 = _level_mask(1, c0, c1, c2, c3)
                mask2 = _level_mask(2, c0, c1, c2, c3)
                flips = _ZERO
                third = True
            else:
                decided = True
                mask0, mask1 = _ALL, _ZERO  # decided alone: the flip mask goes to ACCEPT, no rounds
                flips, counter = _many_level_flips(c0, c1, c2, c3, n_terms, n_levels, thresholds, counter)
        lane[_SPIN * BATCH + j] = spin
        lane[_MASK0 * BATCH + j] = mask0
        lane[_MASK1 * BATCH + j] = mask1
        lane[_MASK2 * BATCH + j] = mask2
        lane[_ALIGNED0 * BATCH + j] = thresholds[n_terms] << _ALIGN
        lane[_ALIGNED1 * BATCH + j] = thresholds[max(n_terms - 2, 0)] << _ALIGN
        lane[_ALIGNED2 * BATCH + j] = thresholds[max(n_terms - 4, 0)] << _ALIGN
        lane[_ACCEPT * BATCH + j] = flips
        uphill = _ZERO if decided else mask0 | mask1 | mask2
        lane[_UNDECIDED * BATCH + j] = uphill
        any_uphill |= uphill
    return any_uphill, counter, third


@njit(cache=True)
def _three_level_rounds(lane, lanes, any_uphill, counter):
    """The random rounds of a batch with a third uphill level: as in ``_chunk_pass`` with rows ``_MASK2`` and
    ``_ALIGNED2`` too (a separate loop, so that batches of two levels do not pay for the third)."""
    rounds = 0
    while any_uphill != 0 and rounds < 53:
        any_uphill = _ZERO
        for j in range(lanes):  # vectorised, as in _chunk_pass
            word = _mix(counter + np.uint64(j + 1) * _GAMMA)
            aligned0 = lane[_ALIGNED0 * BATCH + j]
            aligned1 = lane[_ALIGNED1 * BATCH + j]
            aligned2 = lane[_ALIGNED2 * BATCH + j]
            threshold_bits = (
                (lane[_MASK0 * BATCH + j] & (_ZERO - (aligned0 >> _TOP)))
                | (lane[_MASK1 * BATCH + j] & (_ZERO - (aligned1 >> _TOP)))
                | (lane[_MASK2 * BATCH + j] & (_ZERO - (aligned2 >> _TOP)))
            )
            lane[_ALIGNED0 * BATCH + j] = aligned0 << _ONE
            lane[_ALIGNED1 * BATCH + j] = aligned1 << _ONE
            lane[_ALIGNED2 * BATCH + j] = aligned2 << _ONE
            undecided = lane[_UNDECIDED * BATCH + j]
            decided = undecided & (word ^ threshold_bits)
            lane[_ACCEPT * BATCH + j] |= decided & threshold_bits
            lane[_UNDECIDED * BATCH + j] = undecided ^ decided
            any_uphill |= undecided ^ decided
        counter += np.uint64(BATCH) * _GAMMA
        rounds += 1
    return counter


@njit(cache=True)
def _chunk_pass(state, layout, start, stop, couplings, thresholds, zero_temperature, counter):
    """One Metropolis update of ``state[sites[start:stop]]`` (sites of one colour), reading the SplitMix64
    sequence whose state starts at ``counter``: batches of ``BATCH`` sites, each counted (``_few_terms_batch``
    or ``_per_site_batch``), decided in vectorised rounds, then written."""
    sites = layout[0]
    table = layout[3:]
    few_terms = table[3].shape[0] == sites.shape[0]
    lane = np.empty(_ROWS * BATCH, dtype=np.uint64)  # allocated here: the compiler knows nothing else aliases it
    for first in range(start, stop, BATCH):
        lanes = min(BATCH, stop - first)
        third = False
        if few_terms:
            any_uphill = _few_terms_batch(state, sites, table, first, lanes, thresholds, zero_temperature, lane)
        else:
            any_uphill, counter, third = _per_site_batch(state, sites, first, lanes, couplings, thresholds,
                                                         zero_temperature, counter, lane)  # fmt: skip
        if third:
            counter = _three_level_rounds(lane, lanes, any_uphill, counter)
            any_uphill = _ZERO
        else:
            for j in range(lanes):
                lane[_MASK2 * BATCH + j] = _ZERO
        rounds = 0
        while any_uphill != 0 and rounds < 53:
            any_uphill = _ZERO
            for j in range(lanes):  # vectorised (a loop, not unrolled): the batch's sites side by side
                word = _mix(counter + np.uint64(j + 1) * _GAMMA)
                aligned0 = lane[_ALIGNED0 * BATCH + j]
                aligned1 = lane[_ALIGNED1 * BATCH + j]
                threshold_bits = (lane[_MASK0 * BATCH + j] & (_ZERO - (aligned0 >> _TOP))) | (
                    lane[_MASK1 * BATCH + j] & (_ZERO - (aligned1 >> _TOP))
                )
                lane[_ALIGNED0 * BATCH + j] = aligned0 << _ONE
                lane[_ALIGNED1 * BATCH + j] = aligned1 << _ONE
                undecided = lane[_UNDECIDED * BATCH + j]
                decided = undecided & (word ^ threshold_bits)
                lane[_ACCEPT * BATCH + j] |= decided & threshold_bits
                lane[_UNDECIDED * BATCH + j] = undecided ^ decided
                any_uphill |= undecided ^ decided
            counter += np.uint64(BATCH) * _GAMMA
            rounds += 1
        for j in range(lanes):
            # replicas on no uphill level flip; uphill ones flip when accepted
            uphill = lane[_MASK0 * BATCH + j] | lane[_MASK1 * BATCH + j] | lane[_MASK2 * BATCH + j]
            flips = ~uphill | lane[_ACCEPT * BATCH + j]
            state[sites[first + j]] = lane[_SPIN * BATCH + j] ^ flips


@njit(cache=True)
def _sweep_thresholds(beta, thresholds):
    """Fill ``thresholds[k] = ceil(2**53 exp(-2 beta k))`` for k = 1..MAX_TERMS (0 when negligible or beta = inf)."""
    for k in range(1, MAX_TERMS + 1):
        exponent = 2.0 * beta * k
        thresholds[k] = 0 if beta == np.inf or exponent > 44.0 else uint53_threshold(np.exp(-exponent))


@njit(cache=True, inline="always")
def _chunk_seed(key, chunk):
    return _mix(key + np.uint64(chunk + 1) * _CHUNK_STRIDE)


@njit(cache=True)
def _group_sweeps(g, words, betas, couplings, layout, rng):
    """All ``betas.shape[0]`` sweeps of group ``g``, chunk after chunk on this thread."""
    chunk_starts = layout[1]
    state = words[g]
    thresholds = np.zeros(MAX_TERMS + 1, dtype=np.uint64)
    s0, s1, s2, s3 = rng[g, 0], rng[g, 1], rng[g, 2], rng[g, 3]
    for sweep in range(betas.shape[0]):
        beta = betas[sweep]
        _sweep_thresholds(beta, thresholds)
        key, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
        for chunk in range(chunk_starts.shape[0] - 1):
            _chunk_pass(state, layout, chunk_starts[chunk], chunk_starts[chunk + 1], couplings, thresholds,
                        beta == np.inf, _chunk_seed(key, chunk))  # fmt: skip
    rng[g, 0], rng[g, 1], rng[g, 2], rng[g, 3] = s0, s1, s2, s3


@njit(cache=True)
def multispin_sweeps(words, betas, couplings, layout, rng):
    """Sweeps on every group of 64 replicas, on one thread.

    words uint64[G, N]; betas float64[S]; couplings = (indptr uint64[N+1], indices uint32[nnz], negated
    uint64[nnz], field_weight int64[N], field_up uint64[N], terms int64[N]) with ``terms = degree + |h|``;
    layout = (sites int64[N] in colour order, chunk_starts int64[C+1] into ``sites``, colour_chunks int64[K+1]
    the first chunk of each colour, then the four-term table by position in ``sites`` when every site has at
    most 4 terms, else empty: neighbour uint32[4, N], negated uint8[4, N], keep uint8[4, N], terms int64[N];
    see ``_few_terms_batch``); rng uint64[G, 4], one xoshiro256** stream per group.
    """
    for g in range(words.shape[0]):
        _group_sweeps(g, words, betas, couplings, layout, rng)


@njit(cache=True, parallel=True)
def multispin_sweeps_over_groups(words, betas, couplings, layout, rng):
    """``multispin_sweeps`` with the groups spread over threads (the same result)."""
    for g in prange(words.shape[0]):
        _group_sweeps(g, words, betas, couplings, layout, rng)


@njit(cache=True, parallel=True)
def multispin_sweeps_over_chunks(words, betas, couplings, layout, rng):
    """``multispin_sweeps`` with the chunks of each colour spread over threads (the same result): for few groups."""
    chunk_starts, colour_chunks = layout[1], layout[2]
    n_groups = words.shape[0]
    thresholds = np.zeros(MAX_TERMS + 1, dtype=np.uint64)
    keys = np.empty(n_groups, dtype=np.uint64)
    for sweep in range(betas.shape[0]):
        beta = betas[sweep]
        _sweep_thresholds(beta, thresholds)
        for g in range(n_groups):
            key, s0, s1, s2, s3 = xoshiro_step(rng[g, 0], rng[g, 1], rng[g, 2], rng[g, 3])
            rng[g, 0], rng[g, 1], rng[g, 2], rng[g, 3] = s0, s1, s2, s3
            keys[g] = key
        for colour in range(colour_chunks.shape[0] - 1):
            first = colour_chunks[colour]
            width = colour_chunks[colour + 1] - first
            for job in prange(n_groups * width):
                g = job // width
                chunk = first + job % width
                _chunk_pass(words[g], layout, chunk_starts[chunk], chunk_starts[chunk + 1], couplings, thresholds,
                            beta == np.inf, _chunk_seed(keys[g], chunk))  # fmt: skip


@njit(cache=True)
def colour_sites(indptr, indices):
    """A greedy proper colouring in site order: ``colours`` int64[N] (0, 1, ...), the smallest colour that no
    earlier neighbour has; a bipartite lattice with an even side gets the checkerboard."""
    n = indptr.shape[0] - 1
    colours = np.full(n, -1, dtype=np.int64)
    taken = np.full(MAX_TERMS + 2, -1, dtype=np.int64)
    for i in range(n):
        for e in range(indptr[i], indptr[i + 1]):
            c = colours[indices[e]]
            if c >= 0:
                taken[c] = i
        colour = 0
        while taken[colour] == i:
            colour += 1
        colours[i] = colour
    return colours
