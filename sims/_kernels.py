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

Replicas are rows of ``states``/``fields``; replica ``r`` draws only from ``rng[r]`` (``boltzgym.utils.rng``), so
the parallel (``prange``) and serial kernels give identical results whatever the thread count.

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

from boltzgym.utils.rng import next_double, next_double_words, next_uint53_words, uint53_threshold

METROPOLIS = 0
GLAUBER = 1

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
# Fused multiply-add only: the kernels that add +-2 J rows to fields, where products are exact.
_CONTRACT = {"contract"}


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
    flipped = np.zeros(group, dtype=np.int64)  # flips of each replica in the last sweep
    for sweep in range(n_sweeps):
        for a in range(group):
            if frame and not framed[a] and flipped[a] > _FRAME_ENTER * n and n_sweeps - sweep >= _FRAME_MIN_SWEEPS:
                _enter_frame(a, states[lo + a], acc, dense_J, lower, upper, rest)
                framed[a] = True
            elif framed[a] and flipped[a] < _FRAME_LEAVE * n:
                _leave_frame(a, acc, lower, upper, rest)
                framed[a] = False
            flipped[a] = 0
        for i0 in range(0, n, _BLOCK):
            i1 = min(i0 + _BLOCK, n)
            for a in range(group):
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


@njit(cache=True, inline="always")
def _blocked_path(couplings, method, random_order, clamped):
    """Whether the replicas go through ``_dense_metropolis_group``: dense real couplings, sequential
    Metropolis, no clamped site."""
    return (couplings.use_dense and couplings.energy_bound < 0 and method == METROPOLIS and not random_order
            and clamped.shape[0] == 0)  # fmt: skip


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
    changes the results)."""
    n_replicas = states.shape[0]
    if _blocked_path(couplings, method, random_order, clamped):
        size = max(1, min(GROUP, group))
        for g in prange(-(-n_replicas // size)):
            _dense_metropolis_group(g * size, min(n_replicas, (g + 1) * size), states, fields, energies, betas,
                                    couplings.dense_J, rng, energy_trace, frame)  # fmt: skip
        return
    for r in prange(n_replicas):
        _replica_sweeps(r, states, fields, energies, betas, couplings, clamped, method, random_order, rng, energy_trace)


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
    for r in range(n_replicas):
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
