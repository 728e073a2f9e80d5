"""Jitted sparse real Metropolis (Gaussian lattice glasses and other real CSR couplings): ``LANES`` replicas in
lockstep through the same sequential site order (``_sparse_metropolis_group``).

Conventions of ``boltzgym.sims._kernels`` (spins int8 ``(R, N)``, fields float64 ``(R, N)``, ``dE = 2 s_i f_i``,
one xoshiro256** stream per replica, one uniform per finite-beta attempt, ``beta = inf`` the zero-temperature
rule); ``_kernels.single_site_sweeps_*`` send real sparse models under sequential Metropolis here, in groups of
``LANES`` replicas (the rest of the replicas take the plain per-replica path).

The lane operations are LLVM vector code written with ``numba.extending.intrinsic`` (``_attempt_lanes``,
``_add_to_row``): numba leaves LLVM's SLP vectorizer off, and its loop vectorizer does not take loops of
``LANES`` iterations over arrays it cannot tell apart, so plain loops over the lanes stayed scalar (1.1x the
plain path on the Gaussian lattice; the lanes in local variables 1.3x; these intrinsics about 3x). A site's work is
latency-bound (its neighbour's field, updated by its flips, is the next site's): a vector ``exp`` in place of
the bounds measured slower than calling ``np.exp`` for the few open lanes.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from boltzgym.sims._dense_kernels import _MAX_EXPONENT
from boltzgym.utils.rng import TWO_POW_MINUS_53

# Replicas per group: 64 bytes of float64 fields per site (one cache line where the row is aligned; numba's
# arrays are 32-byte aligned, so often two), one AVX-512 register (two AVX2 ones).
LANES = 8
_SIXTH = 1.0 / 6.0
# Rows of a group's scratch ``work`` (float64 ``(_ROWS, LANES)``): each lane's beta, energy and, for the current
# site, uniform, ``x = beta dE``, whether the bounds left its decision open (1.0), field change of its neighbours
# per unit coupling (``-2 s_i`` or 0) and ``dE``.
_BETA, _ENERGY, _UNIFORM, _EXPONENT, _OPEN, _DELTA, _DELTA_ENERGY = range(7)
_ROWS = 7
_DOUBLES = ir.VectorType(ir.DoubleType(), LANES)
_WORDS = ir.VectorType(ir.IntType(64), LANES)
_BYTES = ir.VectorType(ir.IntType(8), LANES)


def _splat(vector_type, value):
    return ir.Constant(vector_type, [value] * LANES)


def _row(context, builder, array_type, array, row, vector_type):
    """A pointer to row ``row`` (an LLVM int64) of a C-contiguous 2D array of ``LANES`` columns, as one vector."""
    data = context.make_array(array_type)(context, builder, array).data
    start = builder.mul(row, ir.Constant(ir.IntType(64), LANES))
    return builder.bitcast(builder.gep(data, [start]), vector_type.as_pointer())


def _rotate_left(builder, x, k):
    return builder.or_(builder.shl(x, _splat(_WORDS, k)), builder.lshr(x, _splat(_WORDS, 64 - k)))


@intrinsic
def _attempt_lanes(typingctx, spins, local, i, words, work):
    """Every lane's Metropolis attempt at site ``i``, in vector operations, and the flips it decides.

    The draw (xoshiro256** on the lanes' words, ``words`` uint64 ``(4, LANES)``; no draw at ``beta = inf``),
    ``dE = 2 s_i f_i``, ``x = beta dE``, and the decision ``u < exp(-x)`` by bounds: with ``y = x / 4 >= 0``,
    ``(1 - y + y^2/2 - y^3/6)^4 <= exp(-x) <= (1 + y + y^2/2 + y^3/6)^-4`` (the first where its base is
    positive); a uniform clear of both by 1e-12 (far above their rounding and exp's 1 ulp) is decided as
    ``u < exp(-x)`` decides it, as by ``_metropolis_branchless``'s looser cubic bounds on ``exp(-x)`` itself
    (over the Gaussian lattice's anneal 1% of the sites have a lane left open, against 18% with the cubic
    bounds, whose scalar ``exp`` loop then took a third of the time).

    Flips the decided lanes' spins, adds their ``dE`` to their energies (row ``_ENERGY``) and sets row
    ``_DELTA`` to ``-2 s_i`` for them, 0 for the others; a lane left open is not flipped here: rows
    ``_UNIFORM``, ``_EXPONENT`` and ``_DELTA_ENERGY`` hold what deciding it takes (``_sparse_metropolis_group``
    does, and flips it if need be), row ``_OPEN`` 1.0 for it. Returns whether some lane is open. ``spins`` and
    ``local`` are float64 ``(N, LANES)``, ``i`` an int64.
    """

    def codegen(context, builder, signature, args):
        spins_type, local_type, _, words_type, work_type = signature.args
        spins_value, local_value, site, words_value, work_value = args

        def row(number):
            return _row(context, builder, work_type, work_value, ir.Constant(ir.IntType(64), number), _DOUBLES)

        def word(number):
            return _row(context, builder, words_type, words_value, ir.Constant(ir.IntType(64), number), _WORDS)

        def splat(value):
            return _splat(_DOUBLES, value)

        spin_pointer = _row(context, builder, spins_type, spins_value, site, _BYTES)
        spin_byte = builder.load(spin_pointer, align=1)
        spin = builder.sitofp(spin_byte, _DOUBLES)
        field = builder.load(_row(context, builder, local_type, local_value, site, _DOUBLES), align=8)
        delta_energy = builder.fmul(builder.fmul(splat(2.0), spin), field)
        s0, s1, s2, s3 = (builder.load(word(w), align=8) for w in range(4))
        result = builder.mul(_rotate_left(builder, builder.mul(s1, _splat(_WORDS, 5)), 7), _splat(_WORDS, 9))
        t = builder.shl(s1, _splat(_WORDS, 17))
        n2 = builder.xor(s2, s0)
        n3 = builder.xor(s3, s1)
        n1 = builder.xor(s1, n2)
        n0 = builder.xor(s0, n3)
        n2 = builder.xor(n2, t)
        n3 = _rotate_left(builder, n3, 45)
        beta = builder.load(row(_BETA), align=8)
        draws = builder.fcmp_unordered("!=", beta, splat(np.inf))
        for w, old, new in zip(range(4), (s0, s1, s2, s3), (n0, n1, n2, n3)):
            builder.store(builder.select(draws, new, old), word(w), align=8)
        u = builder.fmul(builder.uitofp(builder.lshr(result, _splat(_WORDS, 11)), _DOUBLES), splat(TWO_POW_MINUS_53))
        x = builder.fmul(builder.select(draws, beta, splat(0.0)), delta_energy)
        y = builder.fmul(x, splat(0.25))
        y2 = builder.fmul(y, y)
        y3 = builder.fmul(builder.fmul(splat(_SIXTH), y2), y)
        half_y2 = builder.fmul(splat(0.5), y2)
        lower = builder.fsub(builder.fadd(builder.fsub(splat(1.0), y), half_y2), y3)
        lower = builder.select(builder.fcmp_ordered(">", lower, splat(0.0)), lower, splat(0.0))
        lower = builder.fmul(lower, lower)
        lower = builder.fsub(builder.fmul(lower, lower), splat(1e-12))
        upper = builder.fadd(builder.fadd(builder.fadd(splat(1.0), y), half_y2), y3)
        upper = builder.fmul(upper, upper)
        upper = builder.fmul(upper, upper)
        surely_accepted = builder.or_(builder.fcmp_ordered("<=", delta_energy, splat(0.0)),
                                      builder.fcmp_ordered("<", u, lower))  # fmt: skip
        surely_rejected = builder.fcmp_ordered(">", builder.fmul(u, upper), splat(1.0 + 1e-12))
        flip = builder.select(draws, surely_accepted, builder.fcmp_ordered("<", delta_energy, splat(0.0)))
        undecided = builder.and_(draws, builder.not_(builder.or_(surely_accepted, surely_rejected)))
        builder.store(u, row(_UNIFORM), align=8)
        builder.store(x, row(_EXPONENT), align=8)
        builder.store(delta_energy, row(_DELTA_ENERGY), align=8)
        builder.store(builder.select(undecided, splat(1.0), splat(0.0)), row(_OPEN), align=8)
        flip = builder.and_(flip, builder.not_(undecided))
        energy = builder.load(row(_ENERGY), align=8)
        builder.store(builder.select(flip, builder.fadd(energy, delta_energy), energy), row(_ENERGY), align=8)
        builder.store(builder.select(flip, builder.fmul(splat(-2.0), spin), splat(0.0)), row(_DELTA), align=8)
        builder.store(builder.select(flip, builder.neg(spin_byte), spin_byte), spin_pointer, align=1)
        mask = builder.bitcast(undecided, ir.IntType(LANES))
        return builder.icmp_unsigned("!=", mask, ir.Constant(ir.IntType(LANES), 0))

    return types.boolean(spins, local, types.int64, words, work), codegen


@intrinsic
def _add_to_row(typingctx, local, j, work, coupling):
    """``local[j, :] += work[_DELTA, :] * coupling``: one vector load, multiply, add and store."""

    def codegen(context, builder, signature, args):
        local_type, _, work_type, _ = signature.args
        local_value, row, work_value, value = args
        pointer = _row(context, builder, local_type, local_value, row, _DOUBLES)
        delta_row = _row(context, builder, work_type, work_value, ir.Constant(ir.IntType(64), _DELTA), _DOUBLES)
        scale = builder.insert_element(ir.Constant(_DOUBLES, ir.Undefined), value, ir.Constant(ir.IntType(32), 0))
        scale = builder.shuffle_vector(scale, scale, ir.Constant(ir.VectorType(ir.IntType(32), LANES), [0] * LANES))
        product = builder.fmul(builder.load(delta_row, align=8), scale)
        builder.store(builder.fadd(builder.load(pointer, align=8), product), pointer, align=8)
        return context.get_dummy_value()

    return types.none(local, types.int64, work, types.float64), codegen


@njit(cache=True)
def _sparse_metropolis_group(lo, states, fields, energies, betas, indptr, indices, data, rng, energy_trace):
    """Sequential Metropolis sweeps of replicas ``lo .. lo + LANES - 1`` on CSR couplings, all in lockstep.

    The group's spins and fields are copied site-major (``(N, LANES)``, int8 and float64: a site's fields for
    the whole group in 64 contiguous bytes), so that each site's attempts, spin and energy updates
    (``_attempt_lanes``) and each neighbour's field update (``_add_to_row``) are a few vector operations for
    the whole group, without branches: a flip is no longer a hard-to-predict branch per attempt. Every lane
    makes the decision of ``_metropolis_in_order`` (``u < exp(-x)``: bounds, then ``np.exp`` in a scalar loop
    for the lanes they leave open, at 1% of the sites) from its own stream in the same order, and adds the
    same products to the same fields in the same order: states, fields, energies and streams are the plain
    path's bit for bit (fields up to the sign of a zero, as a lane that does not flip adds ``0 * J``).
    A lane at ``beta = inf`` takes the zero-temperature rule (flip when ``dE < 0``, no draw).

    states int8[R, N], fields float64[R, N], energies float64[R], betas float64[B, S] (row ``r`` for replica
    ``r`` when ``B == R``, else row 0), CSR ``indptr`` uint64[N+1], ``indices`` uint32[nnz], ``data``
    float64[nnz], rng uint64[R, 4], energy_trace float64[R, S] or ``(R, 0)``.
    """
    n = states.shape[1]
    record = energy_trace.shape[1] > 0
    spins = np.empty((n, LANES), dtype=np.int8)
    local = np.empty((n, LANES))
    words = np.empty((4, LANES), dtype=np.uint64)
    work = np.zeros((_ROWS, LANES))
    for a in range(LANES):
        for i in range(n):
            spins[i, a] = states[lo + a, i]
            local[i, a] = fields[lo + a, i]
        for w in range(4):
            words[w, a] = rng[lo + a, w]
        work[_ENERGY, a] = energies[lo + a]
    for sweep in range(betas.shape[1]):
        for a in range(LANES):
            work[_BETA, a] = betas[lo + a if betas.shape[0] > 1 else 0, sweep]
        for i in range(n):
            if _attempt_lanes(spins, local, i, words, work):
                for a in range(LANES):  # as _metropolis_branchless decides what its bounds leave open
                    x = work[_EXPONENT, a]
                    if work[_OPEN, a] != 0.0 and x < _MAX_EXPONENT and work[_UNIFORM, a] < np.exp(-x):
                        work[_ENERGY, a] += work[_DELTA_ENERGY, a]
                        work[_DELTA, a] = -2.0 * spins[i, a]
                        spins[i, a] = -spins[i, a]
            for k in range(indptr[i], indptr[i + 1]):
                _add_to_row(local, np.int64(indices[k]), work, data[k])
        if record:
            for a in range(LANES):
                energy_trace[lo + a, sweep] = work[_ENERGY, a]
    for a in range(LANES):
        for i in range(n):
            states[lo + a, i] = spins[i, a]
            fields[lo + a, i] = local[i, a]
        for w in range(4):
            rng[lo + a, w] = words[w, a]
        energies[lo + a] = work[_ENERGY, a]
