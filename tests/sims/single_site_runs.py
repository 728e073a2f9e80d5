"""Helpers of the single-site kernel tests (``test_dense_kernel``, ``test_sparse_kernel``): run a kernel of
``boltzgym.sims._kernels`` on copies of the inputs, or the plain per-replica path, and compare results exactly."""

from __future__ import annotations

import numpy as np

from boltzgym.sims import _kernels
from boltzgym.sims._engine import kernel_couplings
from boltzgym.utils.rng import make_streams, next_double


def run_single_site(kernel, model, states, betas, seed, record=True, *kernel_args):
    """Sequential Metropolis sweeps of ``model`` from ``states`` (copied) on the streams of ``seed``, through
    ``kernel`` (a ``single_site_sweeps_*`` kernel, given ``kernel_args`` after its ten arguments) or, when
    ``kernel`` is None, the plain per-replica path ``_replica_sweeps``. Returns ``(states, fields, energies,
    energy_trace, streams)`` (the trace empty unless ``record``)."""
    couplings = kernel_couplings(model)
    states = states.copy()
    fields = model.local_fields(states).astype(np.float64)
    energies = np.asarray(model.energy(states), dtype=np.float64).copy()
    rng = make_streams(seed, states.shape[0])
    betas = np.atleast_2d(betas).astype(np.float64)
    trace = np.zeros((states.shape[0], betas.shape[1] if record else 0))
    mask = np.zeros(0, dtype=np.bool_)
    if kernel is None:
        for r in range(states.shape[0]):
            _kernels._replica_sweeps(r, states, fields, energies, betas, couplings, mask, _kernels.METROPOLIS, False,
                                     rng, trace)  # fmt: skip
    else:
        kernel(states, fields, energies, betas, couplings, mask, _kernels.METROPOLIS, False, rng, trace, *kernel_args)
    return states, fields, energies, trace, rng


def assert_same(result, expected):
    """Every array of ``result`` equal to ``expected``'s, exactly (-0.0 == 0.0 is the only latitude)."""
    for got, want in zip(result, expected):
        np.testing.assert_array_equal(got, want)


def numpy_metropolis(model, states, betas, seed):
    """Sequential Metropolis sweeps in plain NumPy (one uniform per attempt from ``seed``'s streams, flip when
    ``dE <= 0`` or ``u < exp(-beta dE)``): the spins the kernels must reach, int64 ``(R, N)``."""
    J = model.J.toarray() if model.is_sparse else model.J
    rng = make_streams(seed, states.shape[0])
    expected = states.astype(np.int64)
    for r in range(states.shape[0]):
        s = expected[r]
        for beta in betas:
            for i in range(states.shape[1]):
                u = next_double(rng, r)
                dE = 2 * s[i] * (J[i] @ s + model.h[i])
                if dE <= 0 or (beta * dE < 44.3614195558365 and u < np.exp(-beta * dE)):
                    s[i] = -s[i]
    return expected
