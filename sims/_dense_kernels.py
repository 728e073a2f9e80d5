"""Jitted dense real Metropolis (SK glasses and other dense real couplings): replicas in groups through blocks
of sites, a flipping frame for hot sweeps and eager cold sweeps (``_dense_metropolis_group``), and the
Metropolis decision on real energy changes that ``boltzgym.sims._kernels`` shares (``_metropolis_branchless``).

Conventions of ``boltzgym.sims._kernels`` (spins int8 ``(R, N)``, fields float64 ``(R, N)``, ``dE = 2 s_i f_i``,
one xoshiro256** stream per replica, one uniform per finite-beta attempt, ``beta = inf`` the zero-temperature
rule); ``_kernels.single_site_sweeps_*`` send dense real models under sequential Metropolis here.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from boltzgym.utils.rng import next_double_words

# exp(-x) < 2**-64 for x above this: such moves are never accepted by a 53-bit uniform.
_MAX_EXPONENT = 44.3614195558365
_SIXTH = 1.0 / 6.0
# The dense real path (``_dense_metropolis_group``): sites per block, replicas per group (their fields and the
# block's coupling rows stay in L1/L2: 8 x 8 x N doubles), and the flips of four replicas in a block from which
# one pass over the four fields with zero terms (``_add_block_4x8``) beats a pass per replica over its flips.
_BLOCK = 8
GROUP = 8
_DENSE_FLUSH_MIN = 12
# The flipping frame of ``_dense_metropolis_group``: entered after a sweep in which more than this fraction of
# the group's attempts flipped, with at least this many sweeps left in the call (entering costs about a sweep),
# left after one with fewer than this fraction.
_FRAME_ENTER = 0.6
_FRAME_MIN_SWEEPS = 4
_FRAME_LEAVE = 0.5
# Replicas with fewer flips than this fraction in their last sweep take the next one eagerly (``_eager_sweep``).
_EAGER_BELOW = 0.2
# Fused multiply-add only: the kernels that add +-2 J rows to fields, where products are exact.
_CONTRACT = {"contract"}


@njit(cache=True, inline="always")
def _metropolis_branchless(delta_energy, beta, s0, s1, s2, s3):
    """The Metropolis decision ``u < min(1, exp(-beta dE))`` on a real ``dE``, drawing one uniform ``u``.

    Exact shortcuts around the exponential: for ``x = beta dE >= 0``, ``1 - x + x^2/2 - x^3/6 <= exp(-x) <= 1 /
    (1 + x + x^2/2 + x^3/6)``; a uniform clear of both bounds by 1e-12 (far above their rounding and exp's
    1 ulp) is decided as ``u < exp(-x)`` would decide it, so the decisions are unchanged and most attempts skip
    exp (tested next to exp). The bounds are combined by selects, so that only the attempts they leave open
    branch: as branches, at 50% acceptance, mispredictions took half the time of the blocked dense kernel's
    attempts (7 ns instead of 15 per attempt on SK N=800); on the Gaussian lattice about 10%.
    """
    u, s0, s1, s2, s3 = next_double_words(s0, s1, s2, s3)
    x = beta * delta_energy
    x2 = x * x
    x3 = _SIXTH * x2 * x
    surely_accepted = (delta_energy <= 0.0) | (u < 1.0 - x + 0.5 * x2 - x3 - 1e-12)
    surely_rejected = u * (1.0 + x + 0.5 * x2 + x3) > 1.0 + 1e-12
    if surely_accepted | surely_rejected:
        return surely_accepted, s0, s1, s2, s3
    return x < _MAX_EXPONENT and u < np.exp(-x), s0, s1, s2, s3


@njit(cache=True, fastmath=_CONTRACT)
def _add_rows(field, dense_J, rows, deltas, count):
    """``field += deltas[q] * dense_J[rows[q]]`` for ``q < count`` (<= 8), in that order, element by element.

    Eight, four, two rows per pass over ``field`` (then one): one load and one store of ``field[k]`` serve
    several rows, which roughly doubles the rate of the one-row loop (stores bound it). ``deltas`` are +-2, so
    every product is exact and the fused multiply-add (``contract``) rounds as the separate multiply and add.
    """
    n = field.shape[0]
    q = 0
    if count >= 8:
        r0, r1, r2, r3 = dense_J[rows[0]], dense_J[rows[1]], dense_J[rows[2]], dense_J[rows[3]]
        r4, r5, r6, r7 = dense_J[rows[4]], dense_J[rows[5]], dense_J[rows[6]], dense_J[rows[7]]
        d0, d1, d2, d3, d4, d5, d6, d7 = deltas[0], deltas[1], deltas[2], deltas[3], deltas[4], deltas[5], \
            deltas[6], deltas[7]  # fmt: skip
        for k in range(n):
            field[k] = ((((((((field[k] + d0 * r0[k]) + d1 * r1[k]) + d2 * r2[k]) + d3 * r3[k]) + d4 * r4[k])
                          + d5 * r5[k]) + d6 * r6[k]) + d7 * r7[k])  # fmt: skip
        q = 8
    if count - q >= 4:
        r0, r1, r2, r3 = dense_J[rows[q]], dense_J[rows[q + 1]], dense_J[rows[q + 2]], dense_J[rows[q + 3]]
        d0, d1, d2, d3 = deltas[q], deltas[q + 1], deltas[q + 2], deltas[q + 3]
        for k in range(n):
            field[k] = (((field[k] + d0 * r0[k]) + d1 * r1[k]) + d2 * r2[k]) + d3 * r3[k]
        q += 4
    if count - q >= 2:
        r0, r1 = dense_J[rows[q]], dense_J[rows[q + 1]]
        d0, d1 = deltas[q], deltas[q + 1]
        for k in range(n):
            field[k] = (field[k] + d0 * r0[k]) + d1 * r1[k]
        q += 2
    if q < count:
        r0 = dense_J[rows[q]]
        d0 = deltas[q]
        for k in range(n):
            field[k] += d0 * r0[k]


@njit(cache=True, fastmath=_CONTRACT)
def _add_block_4x8(fields, first, dense_J, i0, flips, a):
    """Rows ``fields[first:first + 4]`` += ``flips[a:a + 4] @ dense_J[i0:i0 + 8]``, each field element
    receiving its eight terms in site order (zero terms add +-0: only the sign of a zero field can change).

    One load of each coupling serves four replicas and one load/store of a field eight rows: about twice the
    rate of ``_add_rows`` (which reads the couplings once per replica). ``flips`` float64 (G, 8) holds
    ``-2 s_i`` (exact products, so ``contract`` rounds as the unfused code) or 0 for sites not flipped.
    """
    n = fields.shape[1]
    r0, r1, r2, r3 = dense_J[i0], dense_J[i0 + 1], dense_J[i0 + 2], dense_J[i0 + 3]
    r4, r5, r6, r7 = dense_J[i0 + 4], dense_J[i0 + 5], dense_J[i0 + 6], dense_J[i0 + 7]
    fa, fb, fc, fd = fields[first], fields[first + 1], fields[first + 2], fields[first + 3]
    a0, a1, a2, a3, a4, a5, a6, a7 = flips[a, 0], flips[a, 1], flips[a, 2], flips[a, 3], flips[a, 4], \
        flips[a, 5], flips[a, 6], flips[a, 7]  # fmt: skip
    b0, b1, b2, b3, b4, b5, b6, b7 = flips[a + 1, 0], flips[a + 1, 1], flips[a + 1, 2], flips[a + 1, 3], \
        flips[a + 1, 4], flips[a + 1, 5], flips[a + 1, 6], flips[a + 1, 7]  # fmt: skip
    c0, c1, c2, c3, c4, c5, c6, c7 = flips[a + 2, 0], flips[a + 2, 1], flips[a + 2, 2], flips[a + 2, 3], \
        flips[a + 2, 4], flips[a + 2, 5], flips[a + 2, 6], flips[a + 2, 7]  # fmt: skip
    e0, e1, e2, e3, e4, e5, e6, e7 = flips[a + 3, 0], flips[a + 3, 1], flips[a + 3, 2], flips[a + 3, 3], \
        flips[a + 3, 4], flips[a + 3, 5], flips[a + 3, 6], flips[a + 3, 7]  # fmt: skip
    for k in range(n):
        x0, x1, x2, x3, x4, x5, x6, x7 = r0[k], r1[k], r2[k], r3[k], r4[k], r5[k], r6[k], r7[k]
        fa[k] = (((((((fa[k] + a0 * x0) + a1 * x1) + a2 * x2) + a3 * x3) + a4 * x4) + a5 * x5) + a6 * x6) + a7 * x7
        fb[k] = (((((((fb[k] + b0 * x0) + b1 * x1) + b2 * x2) + b3 * x3) + b4 * x4) + b5 * x5) + b6 * x6) + b7 * x7
        fc[k] = (((((((fc[k] + c0 * x0) + c1 * x1) + c2 * x2) + c3 * x3) + c4 * x4) + c5 * x5) + c6 * x6) + c7 * x7
        fd[k] = (((((((fd[k] + e0 * x0) + e1 * x1) + e2 * x2) + e3 * x3) + e4 * x4) + e5 * x5) + e6 * x6) + e7 * x7


@njit(cache=True, fastmath=_CONTRACT)
def _enter_frame(a, state, acc, dense_J, lower, upper, rest):
    """Replica row ``a`` into the flipping frame: ``lower[a] = L s``, ``upper[a] = U s`` (J's strict
    triangles), ``rest[a] = f - L s - U s`` (the model's fields, up to rounding), ``acc[a] = 0``. Row by row
    (J is symmetric): ``s_j J[j, i]`` goes to ``lower[i]`` for ``i > j`` and ``upper[i]`` for ``i < j``."""
    n = state.shape[0]
    for i in range(n):
        lower[a, i] = 0.0
        upper[a, i] = 0.0
    for j in range(n):
        spin = float(state[j])
        row = dense_J[j]
        for i in range(j):
            upper[a, i] += spin * row[i]
        for i in range(j + 1, n):
            lower[a, i] += spin * row[i]
    for i in range(n):
        rest[a, i] = (acc[a, i] - lower[a, i]) - upper[a, i]
        acc[a, i] = 0.0


@njit(cache=True)
def _leave_frame(a, acc, lower, upper, rest):
    """Replica row ``a`` out of the flipping frame (between sweeps): its fields ``L s + U s + h`` into ``acc[a]``."""
    for i in range(acc.shape[1]):
        acc[a, i] = (lower[a, i] + upper[a, i]) + rest[a, i]


@njit(cache=True)
def _eager_sweep(r, a, states, acc, energies, betas, sweep, dense_J, rng):
    """One sweep of replica ``r`` (fields ``acc[a]``) with every flip added to the fields at once, as
    ``_metropolis_in_order``: the cold sweeps' way (few flips; a block pass per flip and the replica's fields
    in L1 instead of the group's in L2). Returns its number of flips."""
    n = states.shape[1]
    beta = betas[r if betas.shape[0] > 1 else 0, sweep]
    s0, s1, s2, s3 = rng[r, 0], rng[r, 1], rng[r, 2], rng[r, 3]
    energy = energies[r]
    flipped = 0
    for i in range(n):
        spin = states[r, i]
        delta_energy = 2 * spin * acc[a, i]
        if beta == np.inf:
            flip = delta_energy < 0.0
        else:
            flip, s0, s1, s2, s3 = _metropolis_branchless(delta_energy, beta, s0, s1, s2, s3)
        if flip:
            energy += delta_energy
            states[r, i] = -spin
            delta = -2.0 * spin
            for k in range(n):
                acc[a, k] += delta * dense_J[i, k]
            flipped += 1
    energies[r] = energy
    rng[r, 0], rng[r, 1], rng[r, 2], rng[r, 3] = s0, s1, s2, s3
    return flipped


@njit(cache=True)
def _dense_metropolis_group(lo, hi, states, fields, energies, betas, dense_J, rng, energy_trace, frame=True):
    """Sequential Metropolis sweeps of replicas ``lo..hi-1`` on dense couplings, blocks of ``_BLOCK`` sites
    at a time: the fast path of real (non-integer) dense models such as SK glasses.

    Same decisions and draws as ``_metropolis_in_order`` with ``_flip_dense``: each replica attempts the
    block's sites in order, the field of a site being its stored field plus the block's earlier flips, added
    in site order (``f + d J`` with exact products ``d = +-2`` or 0, as the eager update adds them); then the
    block's flips go into the stored fields, eight rows per pass and, for four replicas with enough flips, one
    read of the block's coupling rows for all four (``_add_block_4x8``). Blocks nobody flipped in cost no pass.
    A replica at ``beta = inf`` takes the zero-temperature rule (flip when ``dE < 0``, no draw).

    Hot sweeps flip most sites, and every flip costs a pass over N fields. While more than
    ``_FRAME_ENTER`` of a replica's attempts flip (and ``frame``), the replica runs in the flipping frame: with
    ``L``/``U`` the strict lower/upper triangles of J, the field of site i during a sweep is
    ``-(L s)_i + (U s)_i + h_i + 2 (L n)_i``, ``s`` the spins before the sweep and ``n_j = s_j`` for the sites
    j that did not flip (0 otherwise): it keeps ``L s``, ``U s`` and ``h`` and accumulates ``2 J n`` (blocked
    as above), so that a pass costs a site that does not flip. Fields then differ from the eager path's by
    rounding only (1e-15 relative); with ``frame=False`` the results are the eager path's bit for bit (up to
    the sign of a zero field). Entering costs a pass over J per replica (``_enter_frame``), leaving O(N).

    Cold sweeps flip few sites: a replica with fewer than ``_EAGER_BELOW`` of its attempts flipped in its last
    sweep takes the next one alone and eagerly (``_eager_sweep``, the plain path's arithmetic), which beats
    the blocks there (SK N=800, last 40% of the anneal: 5 instead of 11 ns per attempt).
    """
    n = states.shape[1]
    n_sweeps = betas.shape[1]
    group = hi - lo
    record = energy_trace.shape[1] > 0
    multi_beta = betas.shape[0] > 1
    flips = np.zeros((group, _BLOCK))
    rows = np.empty((group, _BLOCK), dtype=np.int64)
    deltas = np.empty((group, _BLOCK))
    counts = np.zeros(group, dtype=np.int64)
    # acc[a]: the fields of replica lo + a, or in the frame the pending 2 J n; the frame's L s, U s and h
    acc = fields[lo:hi].copy()
    frame_size = n if frame else 0
    lower, upper, rest = np.empty((group, frame_size)), np.empty((group, frame_size)), np.empty((group, frame_size))
    framed = np.zeros(group, dtype=np.bool_)
    eager = np.zeros(group, dtype=np.bool_)
    flipped = np.zeros(group, dtype=np.int64)  # flips of each replica in the last sweep
    for sweep in range(n_sweeps):
        for a in range(group):
            if frame and not framed[a] and flipped[a] > _FRAME_ENTER * n and n_sweeps - sweep >= _FRAME_MIN_SWEEPS:
                _enter_frame(a, states[lo + a], acc, dense_J, lower, upper, rest)
                framed[a] = True
            elif framed[a] and flipped[a] < _FRAME_LEAVE * n:
                _leave_frame(a, acc, lower, upper, rest)
                framed[a] = False
            eager[a] = not framed[a] and flipped[a] < _EAGER_BELOW * n and sweep > 0
            if eager[a]:
                flipped[a] = _eager_sweep(lo + a, a, states, acc, energies, betas, sweep, dense_J, rng)
                counts[a] = 0
                flips[a, :] = 0.0
            else:
                flipped[a] = 0
        for i0 in range(0, n, _BLOCK):
            i1 = min(i0 + _BLOCK, n)
            for a in range(group):
                if eager[a]:
                    continue
                r = lo + a
                beta = betas[r if multi_beta else 0, sweep]
                s0, s1, s2, s3 = rng[r, 0], rng[r, 1], rng[r, 2], rng[r, 3]
                energy = energies[r]
                in_frame = framed[a]
                count = 0
                for b in range(i1 - i0):
                    i = i0 + b
                    correction = acc[a, i]
                    for q in range(count):  # J[j, i] of the block's passed sites j (never J's row i: a miss)
                        correction += deltas[a, q] * dense_J[rows[a, q], i]
                    local_field = ((rest[a, i] + upper[a, i]) - lower[a, i]) + correction if in_frame else correction
                    spin = states[r, i]
                    delta_energy = 2 * spin * local_field
                    if beta == np.inf:
                        flip = delta_energy < 0.0
                    else:
                        flip, s0, s1, s2, s3 = _metropolis_branchless(delta_energy, beta, s0, s1, s2, s3)
                    energy += delta_energy if flip else 0.0
                    states[r, i] = -spin if flip else spin
                    rows[a, count] = i
                    if in_frame:  # pass the sites that did not flip; (L s)_i and (U s)_i become the new spins'
                        lower[a, i] = correction - lower[a, i]
                        upper[a, i] = -upper[a, i] - correction
                        flips[a, b] = 0.0 if flip else 2.0 * spin
                        deltas[a, count] = 2.0 * spin
                        count += not flip
                    else:
                        flips[a, b] = -2.0 * spin if flip else 0.0
                        deltas[a, count] = -2.0 * spin
                        count += flip
                    flipped[a] += flip
                counts[a] = count
                energies[r] = energy
                rng[r, 0], rng[r, 1], rng[r, 2], rng[r, 3] = s0, s1, s2, s3
            a = 0
            while a < group:
                if (i1 - i0 == _BLOCK and a + 4 <= group
                        and counts[a] + counts[a + 1] + counts[a + 2] + counts[a + 3] >= _DENSE_FLUSH_MIN):  # fmt: skip
                    _add_block_4x8(acc, a, dense_J, i0, flips, a)
                    a += 4
                else:
                    if counts[a] > 0:  # the call itself costs as much as a cold block's attempts
                        _add_rows(acc[a], dense_J, rows[a], deltas[a], counts[a])
                    a += 1
        for a in range(group):
            if framed[a]:
                for i in range(n):
                    upper[a, i] += acc[a, i]
                    acc[a, i] = 0.0
        if record:
            for a in range(group):
                energy_trace[lo + a, sweep] = energies[lo + a]
    for a in range(group):
        if framed[a]:
            _leave_frame(a, acc, lower, upper, rest)
    fields[lo:hi] = acc
