"""The blocked dense Metropolis path (real couplings, sequential order) against the plain per-replica one.

``single_site_sweeps_*`` send dense real models under sequential Metropolis through
``_dense_metropolis_group`` (blocks of 8 sites, groups of replicas, delayed field updates); without the flipping
frame (``frame=False``) every replica must follow exactly the trajectory of the plain eager path
``_replica_sweeps`` on the same streams: same states, same fields and energies to the last bit (fields up to the
sign of a zero), and the states of a plain NumPy sweep. With the frame (the default: hot sweeps keep ``L s``,
``U s`` and pass the sites that did not flip) the states and draws are the same, fields and energies equal to
rounding, and the results are the same bit for bit whatever the grouping and thread count.
"""

from __future__ import annotations

import numpy as np
import pytest
from single_site_runs import assert_same, numpy_metropolis, run_single_site

from boltzgym.sims import _dense_kernels, _kernels
from boltzgym.sims._engine import kernel_couplings
from boltzgym.sims.ising import IsingModel
from boltzgym.utils.rng import make_streams, next_double_words


def real_model(n: int, seed: int) -> IsingModel:
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(size=(n, n)) / np.sqrt(n), k=1)
    return IsingModel(J + J.T, 0.3 * rng.normal(size=n))


def run(kernel, model, states, betas, seed, record=True, group=_kernels.GROUP, frame=False):
    """Run ``kernel`` (a ``single_site_sweeps_*`` kernel, or None for the plain per-replica path) on copies."""
    assert kernel_couplings(model).use_dense and kernel_couplings(model).energy_bound < 0
    return run_single_site(kernel, model, states, betas, seed, record, group, frame)


# 11 replicas: a group of 8 (two 4-replica blocks) and one of 3 (per-replica updates); N = 37: four full blocks
# and a 5-site tail; hot betas flip most sites (the 4 x 8 pass), cold ones few (per-replica passes); inf sweeps
# take the zero-temperature rule.
SCHEDULE = np.concatenate([np.geomspace(0.05, 3.0, 12), [np.inf, 2.0, np.inf]])


@pytest.mark.parametrize(("kernel", "group"), [("serial", 8), ("serial", 3), ("parallel", 4), ("parallel", 1)])
def test_blocked_path_matches_plain_path_bit_for_bit(kernel, group):
    model = real_model(37, 0)
    states = np.random.default_rng(1).choice(np.array([-1, 1], dtype=np.int8), size=(11, 37))
    fast = run(getattr(_kernels, f"single_site_sweeps_{kernel}"), model, states, SCHEDULE, seed=4, group=group)
    plain = run(None, model, states, SCHEDULE, seed=4)
    assert_same(fast, plain)
    assert not np.array_equal(fast[0], states)
    np.testing.assert_allclose(fast[2], model.energy(fast[0]), atol=1e-9)
    np.testing.assert_allclose(fast[1], model.local_fields(fast[0]), atol=1e-9)


def test_blocked_path_with_one_schedule_per_replica():
    model = real_model(24, 2)
    states = np.random.default_rng(3).choice(np.array([-1, 1], dtype=np.int8), size=(6, 24))
    betas = np.stack([np.geomspace(0.02 * (r + 1), 2.0, 10) for r in range(6)])
    betas[2, 4] = np.inf
    assert_same(run(_kernels.single_site_sweeps_serial, model, states, betas, seed=7),
                run(None, model, states, betas, seed=7))  # fmt: skip


# Six hot sweeps (most sites flip: the flipping frame from the second), then cooling out of it.
HOT_SCHEDULE = np.concatenate([np.full(6, 0.01), np.geomspace(0.05, 3.0, 10), [np.inf, 2.0]])


@pytest.mark.parametrize("frame", [False, True])
def test_blocked_path_follows_a_plain_numpy_sweep(frame):
    model = real_model(19, 5)
    states = np.random.default_rng(6).choice(np.array([-1, 1], dtype=np.int8), size=(5, 19))
    betas = HOT_SCHEDULE[HOT_SCHEDULE < np.inf]
    got = run(_kernels.single_site_sweeps_serial, model, states, betas, seed=8, record=False, frame=frame)[0]
    np.testing.assert_array_equal(got, numpy_metropolis(model, states, betas, seed=8))


@pytest.mark.parametrize(("kernel", "group"), [("serial", 8), ("serial", 3), ("parallel", 4), ("parallel", 1)])
def test_flipping_frame_follows_the_plain_path(kernel, group):
    model = real_model(37, 0)
    states = np.random.default_rng(1).choice(np.array([-1, 1], dtype=np.int8), size=(11, 37))
    fast = run(getattr(_kernels, f"single_site_sweeps_{kernel}"), model, states, HOT_SCHEDULE, seed=4, group=group,
               frame=True)  # fmt: skip
    plain = run(None, model, states, HOT_SCHEDULE, seed=4)
    np.testing.assert_array_equal(fast[0], plain[0])  # the same decisions
    np.testing.assert_array_equal(fast[4], plain[4])  # the same draws
    np.testing.assert_allclose(fast[1], plain[1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(fast[2], plain[2], rtol=0, atol=1e-12)
    np.testing.assert_allclose(fast[3], plain[3], rtol=0, atol=1e-12)
    np.testing.assert_allclose(fast[1], model.local_fields(fast[0]), rtol=0, atol=1e-12)
    assert not np.array_equal(fast[1], plain[1])  # the frame ran: its fields round differently
    # one replica's frame depends on that replica only: any grouping, serial or threaded, bit for bit
    assert_same(fast, run(_kernels.single_site_sweeps_serial, model, states, HOT_SCHEDULE, seed=4, group=8,
                          frame=True))  # fmt: skip


def test_flipping_frame_with_one_schedule_per_replica():
    model = real_model(30, 2)
    states = np.random.default_rng(3).choice(np.array([-1, 1], dtype=np.int8), size=(6, 30))
    betas = np.stack([np.concatenate([np.full(5, 0.01 * (r + 1)), np.geomspace(0.1, 2.0, 6)]) for r in range(6)])
    betas[2, 7] = np.inf
    fast = run(_kernels.single_site_sweeps_serial, model, states, betas, seed=7, frame=True)
    plain = run(None, model, states, betas, seed=7)
    np.testing.assert_array_equal(fast[0], plain[0])
    np.testing.assert_allclose(fast[1], plain[1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(fast[3], plain[3], rtol=0, atol=1e-12)


def test_eager_sweep_is_the_plain_sweep():
    """A cold replica's eager sweep (``_eager_sweep``) is the plain path's sweep bit for bit."""
    model = real_model(29, 3)
    states = np.random.default_rng(5).choice(np.array([-1, 1], dtype=np.int8), size=(3, 29))
    betas = np.array([[2.5], [np.inf], [0.7]])
    plain = run(None, model, states, betas, seed=2)
    got, fields = states.copy(), model.local_fields(states).astype(np.float64)
    energies, rng = np.asarray(model.energy(states), dtype=np.float64).copy(), make_streams(2, 3)
    for r in range(3):
        flipped = _dense_kernels._eager_sweep(r, r, got, fields, energies, betas, 0, model.J, rng)
        assert flipped == np.count_nonzero(got[r] != states[r])
    assert_same((got, fields, energies, rng), (plain[0], plain[1], plain[2], plain[4]))


def test_flipping_frame_enters_and_leaves_exactly():
    """``_enter_frame`` splits the fields into the strict triangles' products and the rest (h); leaving adds
    them back."""
    model = real_model(21, 9)
    state = np.random.default_rng(4).choice(np.array([-1, 1], dtype=np.int8), size=21)
    acc = model.local_fields(state[None]).astype(np.float64)
    lower, upper, rest = np.empty((1, 21)), np.empty((1, 21)), np.empty((1, 21))
    _dense_kernels._enter_frame(0, state, acc, model.J, lower, upper, rest)
    np.testing.assert_allclose(lower[0], np.tril(model.J, -1) @ state, atol=1e-13)
    np.testing.assert_allclose(upper[0], np.triu(model.J, 1) @ state, atol=1e-13)
    np.testing.assert_allclose(rest[0], model.h, atol=1e-13)
    assert not acc.any()
    _dense_kernels._leave_frame(0, acc, lower, upper, rest)
    np.testing.assert_allclose(acc[0], model.local_fields(state[None])[0], atol=1e-13)


@pytest.mark.parametrize("x", [1e-9, 1e-3, 0.3, 1.0, 1.7, 3.0, 10.0, 40.0])
def test_metropolis_shortcuts_decide_as_exp_does(x):
    """The polynomial bounds around exp(-x) never overrule ``u < exp(-x)``, even for u next to exp(-x)."""
    grid = np.floor(np.exp(-x) * 2.0**53)  # the uniforms are multiples of 2**-53: the ones around exp(-x)
    codes = np.concatenate([grid + np.arange(-3, 4), np.floor(np.linspace(0.0, 1.0, 201)[:-1] * 2.0**53)])
    table = np.zeros(1, dtype=np.uint64)
    for code in codes[codes >= 0]:
        bits = np.uint64(code)
        u = float(bits) * 2.0**-53
        s0, s1, s2, s3 = _words_for(bits)
        assert next_double_words(s0, s1, s2, s3)[0] == u
        flip = _kernels._metropolis_accepts(x, 1.0, table, False, 0, s0, s1, s2, s3)[0]
        assert flip == (u < np.exp(-x)), (x, u)


def _words_for(bits: np.uint64):
    """A xoshiro256** state whose next output's top 53 bits are ``bits`` (output = rotl(s1 * 5, 7) * 9)."""
    output = int(bits) << 11
    inverse_nine = pow(9, -1, 2**64)
    rotated = (output * inverse_nine) % 2**64
    product = ((rotated >> 7) | (rotated << 57)) % 2**64
    s1 = (product * pow(5, -1, 2**64)) % 2**64
    return np.uint64(1), np.uint64(s1), np.uint64(2), np.uint64(3)
