"""Markov-chain sampling of Ising models: the validated Python entry point over the jitted kernels.

``gibbs_sample`` runs ``n_sweeps`` sweeps of single-site Metropolis or Glauber (heat-bath) updates, or of
synchronous updates, on many replicas at once, at one inverse temperature ``beta`` (``numpy.inf`` gives
the deterministic zero-temperature Hopfield update). Energies follow ``boltzgym.sims.ising``:
``E(s) = -1/2 s^T J s - h^T s``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from boltzgym.sims import _kernels
from boltzgym.sims._rng import make_streams
from boltzgym.sims.ising import IsingModel, as_spin_states
from boltzgym.utils.validation import check_int, check_seed

__all__ = ["SamplingResult", "gibbs_sample"]

METHODS = {"metropolis": _kernels.METROPOLIS, "glauber": _kernels.GLAUBER}
ORDERS = ("sequential", "random", "synchronous")
# parallel=None runs a kernel call on threads only from this many update attempts on: below it, starting
# the threads costs more than they save (results are the same either way).
PARALLEL_MIN_ATTEMPTS = 200_000
# Integer models tabulate Metropolis acceptance when max |dE| <= max(N / 4, this): filling the table costs
# about max |dE| exponentials per sweep, against N per sweep without it.
MIN_TABLE_BOUND = 64


@dataclass
class SamplingResult:
    """What ``gibbs_sample`` returns.

    Attributes:
        states: final spins, int8, the shape of ``initial_states`` (``(N,)`` or ``(n_replicas, N)``).
        energies: final energies ``E(s)``, float64, shape ``()`` or ``(n_replicas,)``.
        energy_trace: energy after each sweep, shape ``(n_sweeps,)`` or ``(n_replicas, n_sweeps)``, or
            ``None`` unless ``record_energy=True``.
    """

    states: np.ndarray
    energies: np.ndarray
    energy_trace: np.ndarray | None = None


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


def kernel_couplings(model: IsingModel) -> tuple:
    """The ``couplings`` tuple the kernels take: ``(dense_J, indptr, indices, data, use_dense, energy_bound)``.

    Sparse integer models with a table (``energy_bound >= 0``) get int64 ``data`` and run on int64 fields.
    CSR ``indptr`` is uint64 and ``indices`` uint32 (``N < 2**32``): numba indexes with unsigned integers
    without its negative-index wraparound check, which makes the lattice sweep about 15% faster than int64
    (signed int32 measured 7% slower than int64; int32 ``data`` and fields no faster than int64).
    """
    energy_bound = integer_energy_bound(model)
    if model.is_sparse:
        J = model.J
        return (
            np.zeros((0, 0)),
            J.indptr.astype(np.uint64),
            J.indices.astype(np.uint32),
            J.data.astype(np.int64 if energy_bound >= 0 else np.float64),
            False,
            energy_bound,
        )
    no_indptr, no_indices = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint32)  # same types as CSR's
    return (np.ascontiguousarray(model.J, dtype=np.float64), no_indptr, no_indices, np.zeros(0), True, energy_bound)


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
    couplings: tuple | None = None,
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
    field_dtype = couplings[3].dtype if not couplings[4] else np.float64
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
        kernel(states, fields, energies, betas, couplings, mask, METHODS[method], order == "random", rng_states, trace)
    return energies, fields, (trace if record_energy else None)


def gibbs_sample(
    model: IsingModel,
    initial_states,
    beta: float,
    n_sweeps: int,
    clamped=None,
    method: str = "glauber",
    order: str = "sequential",
    seed: int | None = None,
    parallel: bool | None = None,
    record_energy: bool = False,
) -> SamplingResult:
    """Run ``n_sweeps`` Markov-chain sweeps at inverse temperature ``beta`` from ``initial_states``.

    One sweep is ``N`` single-site update attempts: sites ``0..N-1`` in turn (``order="sequential"``) or
    ``N`` sites drawn uniformly with replacement (``"random"``), or one simultaneous update of all sites
    (``"synchronous"``, Little/Hopfield parallel dynamics; heat-bath rule, so ``method`` must be
    ``"glauber"``). Single-site rules (Metropolis et al. 1953; Glauber 1963), with ``dE_i = 2 s_i f_i``:

    - ``"metropolis"``: flip with probability ``min(1, exp(-beta dE_i))`` (one uniform drawn per attempt);
    - ``"glauber"`` (heat bath): ``s_i = +1`` with probability ``1 / (1 + exp(-2 beta f_i))`` (notes 5.3:
      ``P(s_i = 1) = sigmoid(sum_j w_ij s_j + b_i)`` in 0/1 units).

    Both leave ``p(s) ~ exp(-beta E(s))`` invariant; with ``beta = numpy.inf`` both become the
    deterministic update ``s_i = sign(f_i)`` (a zero field keeps the spin), which never raises the energy
    in single-site order (notes 5.3, Hopfield).

    Args:
        model: the ``IsingModel``.
        initial_states: spins in {-1, +1}, shape ``(N,)`` (one chain) or ``(n_replicas, N)``; not modified.
        beta: inverse temperature ``>= 0``, or ``numpy.inf``.
        n_sweeps: number of sweeps, ``>= 1``.
        clamped: optional boolean mask ``(N,)`` of sites that are never updated (a Boltzmann machine's
            visible units in its clamped phase).
        method: ``"glauber"`` (default; the Boltzmann machine's Gibbs sampler) or ``"metropolis"``.
        order: ``"sequential"`` (default), ``"random"`` or ``"synchronous"``.
        seed: seed of the per-replica random streams; replica ``r`` uses stream ``r``, so results depend on
            neither the thread count nor ``parallel``.
        parallel: spread replicas over threads (``prange``); ``False`` runs the serial twin; ``None`` (default)
            uses threads when a call has at least ``PARALLEL_MIN_ATTEMPTS`` update attempts.
        record_energy: also return the energy after every sweep.

    Returns:
        A ``SamplingResult`` with the final ``states`` (shape of ``initial_states``), their ``energies`` and,
        if asked, the ``energy_trace``.

    Example:
        >>> model = IsingModel([[0.0, 1.0], [1.0, 0.0]])
        >>> result = gibbs_sample(model, [[1, -1], [-1, 1]], beta=float("inf"), n_sweeps=2, seed=0)
        >>> result.states.tolist()
        [[-1, -1], [1, 1]]
    """
    model = check_model(model)
    states = as_spin_states(initial_states, model.n_spins, "initial_states")
    single_chain = states.ndim == 1
    states = np.ascontiguousarray(np.atleast_2d(states)).copy()
    beta = check_beta(beta)
    n_sweeps = check_int("n_sweeps", n_sweeps, minimum=1)
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    if order not in ORDERS:
        raise ValueError(f"order must be one of {list(ORDERS)}, got {order!r}")
    if order == "synchronous" and method != "glauber":
        raise ValueError(f"method must be 'glauber' with order='synchronous', got {method!r}")
    mask = _check_clamped(clamped, model.n_spins)
    seed = check_seed("seed", seed)
    rng_states = make_streams(seed, states.shape[0])
    energies, _, trace = run_sweeps(
        model,
        states,
        np.full(n_sweeps, beta),
        rng_states,
        method=method,
        order=order,
        clamped=mask,
        parallel=None if parallel is None else bool(parallel),
        record_energy=record_energy,
    )
    if single_chain:
        return SamplingResult(states[0], energies[0], None if trace is None else trace[0])
    return SamplingResult(states, energies, trace)
