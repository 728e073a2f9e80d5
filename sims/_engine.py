"""The sampling engine shared by ``gibbs_sample``, annealing, tempering and Hopfield recall: validated helpers
and ``run_sweeps``, which advances already-validated replicas through the jitted kernels of ``sims._kernels``.

Energies follow ``boltzgym.sims.ising``: ``E(s) = -1/2 s^T J s - h^T s``. Public users call
``boltzgym.sims.sampling.gibbs_sample``, ``anneal`` or ``parallel_tempering``; this module is for the library's own
entry points (it does not validate ``states``/``betas``).
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numba
import numpy as np

from boltzgym.sims import _kernels
from boltzgym.sims.ising import IsingModel
from boltzgym.utils import resources

__all__ = [
    "Couplings",
    "check_memory",
    "check_beta",
    "check_model",
    "integer_energy_bound",
    "kernel_couplings",
    "run_sweeps",
]

METHODS = {"metropolis": _kernels.METROPOLIS, "glauber": _kernels.GLAUBER}
ORDERS = ("sequential", "random", "synchronous")
# parallel=None runs a kernel call on threads only from this many update attempts on: below it, starting
# the threads costs more than they save (results are the same either way).
PARALLEL_MIN_ATTEMPTS = 200_000
# Integer models tabulate Metropolis acceptance when max |dE| <= max(N / 4, this): filling the table costs
# about max |dE| exponentials per sweep, against N per sweep without it.
MIN_TABLE_BOUND = 64


class Couplings(NamedTuple):
    """The couplings as the kernels take them (``sims._kernels``): dense or CSR, the unused form empty."""

    dense_J: np.ndarray  # float64 (N, N), or (0, 0) for CSR
    indptr: np.ndarray  # uint64 (N + 1,), or (0,) for dense
    indices: np.ndarray  # uint32 (nnz,)
    data: np.ndarray  # float64, or int64 on the integer table path, (nnz,)
    use_dense: bool
    energy_bound: int  # the largest |dE| of an integer model (Metropolis by table), or -1


def check_model(model) -> IsingModel:
    """Raise ``TypeError`` unless ``model`` is an ``IsingModel``."""
    if not isinstance(model, IsingModel):
        raise TypeError(f"model must be an IsingModel, got {type(model).__name__}")
    return model


def check_beta(beta, name: str = "beta") -> float:
    """A real ``beta >= 0`` (``numpy.inf`` allowed: zero temperature)."""
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real):
        raise TypeError(f"{name} must be a real number >= 0 (or numpy.inf), got {beta!r}")
    beta = float(beta)
    if np.isnan(beta) or beta < 0:
        raise ValueError(f"{name} must be >= 0 (or numpy.inf for zero temperature), got {beta}")
    return beta


def _check_clamped(clamped, n_spins: int) -> np.ndarray:
    if clamped is None:
        return np.zeros(n_spins, dtype=np.bool_)
    mask = np.asarray(clamped)
    if mask.shape != (n_spins,) or mask.dtype != np.bool_:
        raise ValueError(f"clamped must be a boolean mask of shape ({n_spins},), got {mask.dtype} {mask.shape}")
    return mask.copy()


def integer_energy_bound(model: IsingModel) -> int:
    """A bound on ``|dE|`` (an int) when couplings and fields are integers, so that every ``dE`` is one, and
    the bound is small enough (``<= max(N / 4, MIN_TABLE_BOUND)``) to be worth a table; else -1.

    The kernels then tabulate Metropolis acceptance probabilities per sweep (see ``boltzgym.sims._kernels``).
    """
    values = model.J.data if model.is_sparse else model.J
    if not (np.all(values == np.round(values)) and np.all(model.h == np.round(model.h))):
        return -1
    largest = model.max_flip_energy()
    return int(largest) if largest <= max(model.n_spins // 4, MIN_TABLE_BOUND) else -1


def kernel_couplings(model: IsingModel) -> Couplings:
    """The ``Couplings`` the kernels take: ``(dense_J, indptr, indices, data, use_dense, energy_bound)``.

    Sparse integer models with a table (``energy_bound >= 0``) get int64 ``data`` and run on int64 fields.
    CSR ``indptr`` is uint64 and ``indices`` uint32 (``N < 2**32``): numba indexes with unsigned integers
    without its negative-index wraparound check, which makes the lattice sweep about 15% faster than int64
    (signed int32 measured 7% slower than int64; int32 ``data`` and fields no faster than int64).
    """
    energy_bound = integer_energy_bound(model)
    if model.is_sparse:
        J = model.J
        return Couplings(
            np.zeros((0, 0)),
            J.indptr.astype(np.uint64),
            J.indices.astype(np.uint32),
            J.data.astype(np.int64 if energy_bound >= 0 else np.float64),
            False,
            energy_bound,
        )
    no_indptr, no_indices = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint32)  # same types as CSR's
    return Couplings(np.ascontiguousarray(model.J, dtype=np.float64), no_indptr, no_indices, np.zeros(0), True,
                     energy_bound)  # fmt: skip


def run_sweeps(
    model: IsingModel,
    states: np.ndarray,
    betas: np.ndarray,
    rng_states: np.ndarray,
    *,
    method: str = "glauber",
    order: str = "sequential",
    clamped: np.ndarray | None = None,
    parallel: bool | None = None,
    record_energy: bool = False,
    energies: np.ndarray | None = None,
    fields: np.ndarray | None = None,
    couplings: Couplings | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Advance already-validated replicas in place by ``betas.shape[-1]`` sweeps (the shared engine).

    ``betas`` is ``(S,)`` (one schedule for all replicas) or ``(R, S)`` (one per replica, as in tempering).
    ``states`` int8 ``(R, N)`` and ``rng_states`` uint64 ``(R, 4)`` are updated in place; ``energies`` and
    ``fields`` are recomputed when not given. Returns ``(energies, fields, energy_trace or None)``. Callers
    that run a schedule in chunks (annealing, tempering) pass the returned ``energies``/``fields`` back in.
    """
    n_replicas, n_spins = states.shape
    if couplings is None:
        couplings = kernel_couplings(model)
    field_dtype = couplings.data.dtype if not couplings.use_dense else np.float64
    if fields is None:
        fields = model.local_fields(states)
    fields = np.ascontiguousarray(fields, dtype=field_dtype)  # integer fields are exact integers in float64
    if energies is None:
        energies = np.asarray(model.energy(states), dtype=np.float64).reshape(n_replicas).copy()
    no_clamped = clamped is None or not clamped.any()
    mask = np.zeros(0, dtype=np.bool_) if no_clamped else clamped
    betas = np.ascontiguousarray(np.atleast_2d(betas), dtype=np.float64)
    if parallel is None:
        parallel = n_replicas > 1 and n_replicas * n_spins * betas.shape[1] >= PARALLEL_MIN_ATTEMPTS
    trace = np.zeros((n_replicas, betas.shape[1] if record_energy else 0))
    if order == "synchronous":
        kernel = _kernels.synchronous_sweeps_parallel if parallel else _kernels.synchronous_sweeps_serial
        scratch = np.empty_like(states)
        kernel(states, fields, energies, betas, couplings, model.h, mask, rng_states, trace, scratch)
    else:
        kernel = _kernels.single_site_sweeps_parallel if parallel else _kernels.single_site_sweeps_serial
        # dense real models group replicas (sims._dense_kernels._dense_metropolis_group): one group per thread
        group = -(-n_replicas // numba.get_num_threads()) if parallel else _kernels.GROUP
        kernel(states, fields, energies, betas, couplings, mask, METHODS[method], order == "random", rng_states, trace,
               group)  # fmt: skip
    return energies, fields, (trace if record_energy else None)


def check_memory(what: str, estimates: dict[str, int]) -> int:
    """Refuse work whose arrays would not fit: ``estimates`` maps an argument's name (``"n_reads"``) to the
    bytes it makes ``what`` allocate (Python ints: no overflow). Raises ``utils.resources.MemoryBudgetError``
    (a ``ValueError``) naming the largest contributor, the total estimate and the memory available.
    """
    total = sum(int(n) for n in estimates.values())
    largest = max(estimates, key=lambda name: estimates[name])
    return resources.check_memory(total, argument=largest, what=what)
