"""Markov-chain sampling of Ising models: the validated Python entry point over the jitted kernels.

``gibbs_sample`` runs ``num_sweeps`` sweeps of single-site Metropolis or Glauber (heat-bath) updates, or of
synchronous updates, on many replicas at once, at one inverse temperature ``beta`` (``numpy.inf`` gives
the deterministic zero-temperature Hopfield update). Energies follow ``boltzgym.sims.ising``:
``E(s) = -1/2 s^T J s - h^T s``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from boltzgym.sims._engine import (
    METHODS,
    ORDERS,
    _check_clamped,
    check_beta,
    check_memory,
    check_model,
    kernel_couplings,
    run_sweeps,
)
from boltzgym.sims.ising import IsingModel, as_spin_states
from boltzgym.utils.deprecation import renamed_kwargs
from boltzgym.utils.rng import make_streams
from boltzgym.utils.validation import check_int, check_seed

__all__ = ["MarkovChains", "SamplingResult", "gibbs_sample"]


@dataclass
class SamplingResult:
    """What ``gibbs_sample`` returns.

    Attributes:
        states: final spins, int8, the shape of ``initial_states`` (``(N,)`` or ``(n_replicas, N)``).
        energies: final energies ``E(s)``, float64, shape ``()`` or ``(n_replicas,)``.
        energy_trace: energy after each sweep, shape ``(num_sweeps,)`` or ``(n_replicas, num_sweeps)``, or
            ``None`` unless ``record_energy=True``.
    """

    states: np.ndarray
    energies: np.ndarray
    energy_trace: np.ndarray | None = None


@renamed_kwargs(n_sweeps="num_sweeps")
def gibbs_sample(
    model: IsingModel,
    initial_states,
    beta: float,
    num_sweeps: int,
    clamped=None,
    method: str = "glauber",
    order: str = "sequential",
    seed: int | None = None,
    parallel: bool | None = None,
    record_energy: bool = False,
) -> SamplingResult:
    """Run ``num_sweeps`` Markov-chain sweeps at inverse temperature ``beta`` from ``initial_states``.

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
        num_sweeps: number of sweeps, ``>= 1``.
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
        >>> result = gibbs_sample(model, [[1, -1], [-1, 1]], beta=float("inf"), num_sweeps=2, seed=0)
        >>> result.states.tolist()
        [[-1, -1], [1, 1]]
    """
    model = check_model(model)
    states = as_spin_states(initial_states, model.n_spins, "initial_states")
    single_chain = states.ndim == 1
    states = np.ascontiguousarray(np.atleast_2d(states)).copy()
    beta = check_beta(beta)
    num_sweeps = check_int("num_sweeps", num_sweeps, minimum=1)
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    if order not in ORDERS:
        raise ValueError(f"order must be one of {list(ORDERS)}, got {order!r}")
    if order == "synchronous" and method != "glauber":
        raise ValueError(f"method must be 'glauber' with order='synchronous', got {method!r}")
    mask = _check_clamped(clamped, model.n_spins)
    seed = check_seed("seed", seed)
    n_replicas = states.shape[0]
    check_memory("gibbs_sample", {
        "initial_states": n_replicas * model.n_spins * (1 + 8 + 1),
        "num_sweeps": n_replicas * num_sweeps * 8 * (2 if record_energy else 0),
    })  # fmt: skip
    rng_states = make_streams(seed, states.shape[0])
    energies, _, trace = run_sweeps(
        model,
        states,
        np.full(num_sweeps, beta),
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


class MarkovChains:
    """A batch of single-site Markov chains (replicas) of one model that keeps its state between calls.

    For callers that choose the temperature as they go (``boltzgym/AnnealingControl-v0``): each
    :meth:`sweep` call advances every replica by ``len(betas)`` sweeps on the shared jitted core, carrying the
    states, energies, local fields and per-replica random streams over to the next call (the same sweeps
    as one ``gibbs_sample``/``anneal`` call over the concatenated schedule).

    Args:
        model: the ``IsingModel``.
        initial_states: spins in {-1, +1}, shape ``(n_replicas, N)``; copied.
        method: ``"metropolis"`` (default) or ``"glauber"``; sequential order.
        seed: seed of the per-replica random streams (replica ``r`` uses stream ``r``).
        parallel: spread replicas over threads; ``None`` (default) decides per :meth:`sweep` call as
            ``gibbs_sample`` does (threads from ``PARALLEL_MIN_ATTEMPTS`` update attempts per call).

    Attributes:
        states: the current spins, int8 ``(n_replicas, N)`` (updated in place by :meth:`sweep`).
        energies: the current energies ``E(s)``, float64 ``(n_replicas,)``.
    """

    def __init__(self, model: IsingModel, initial_states, *, method: str = "metropolis", seed: int | None = None,
                 parallel: bool | None = None):  # fmt: skip
        self.model = check_model(model)
        states = as_spin_states(initial_states, model.n_spins, "initial_states")
        if states.ndim != 2:
            raise ValueError(f"initial_states must have shape (n_replicas, {model.n_spins}), got {states.shape}")
        if method not in METHODS:
            raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
        self.method = method
        self.parallel = None if parallel is None else bool(parallel)
        self.states = np.ascontiguousarray(states).copy()
        self.energies = np.asarray(model.energy(self.states), dtype=np.float64).reshape(len(self.states)).copy()
        self._couplings = kernel_couplings(model)
        self._fields = None
        self._rng_states = make_streams(check_seed("seed", seed), len(self.states))

    def sweep(self, betas) -> np.ndarray:
        """Run one sweep per entry of ``betas`` (inverse temperatures >= 0) on every replica; return energies.

        The returned energies are running sums of the flips' energy changes; :meth:`exact_energies`
        recomputes them from the states (rounding accumulates only for non-integer couplings).
        """
        betas = np.atleast_1d(np.asarray(betas, dtype=np.float64))
        if betas.ndim != 1 or betas.size == 0:
            raise ValueError(f"betas must be a non-empty 1-D sequence of inverse temperatures, got shape {betas.shape}")
        for beta in betas:
            check_beta(float(beta), "betas")
        self.energies, self._fields, _ = run_sweeps(
            self.model,
            self.states,
            betas,
            self._rng_states,
            method=self.method,
            parallel=self.parallel,
            energies=self.energies,
            fields=self._fields,
            couplings=self._couplings,
        )
        return self.energies

    def exact_energies(self) -> np.ndarray:
        """Recompute the energies from the states (and keep them); returns them."""
        self.energies = np.asarray(self.model.energy(self.states), dtype=np.float64).reshape(len(self.states)).copy()
        return self.energies
