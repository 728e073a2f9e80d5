"""Simulated annealing and parallel tempering (replica exchange) over the jitted sampling core.

Energies follow ``boltzgym.sims.ising``: ``E(s) = -1/2 s^T J s - h^T s``. The sweeps run in the kernels of
``boltzgym.sims._kernels``; the outer loops (chunks of the schedule, replica swaps) stay in Python, as in
the QuantEcon/UMAP style, with an optional progress bar.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from boltzgym.sims._engine import (
    METHODS,
    PARALLEL_MIN_ATTEMPTS,
    check_memory,
    check_model,
    kernel_couplings,
    run_sweeps,
)
from boltzgym.sims.ising import IsingModel, as_spin_states
from boltzgym.sims.multispin import (
    check_multispin,
    multispin_couplings,
    pack_spins,
    run_multispin,
    unpack_spins,
)
from boltzgym.sims.schedules import beta_schedule, check_beta_range, check_custom_schedule, default_beta_range
from boltzgym.utils.deprecation import renamed_kwargs
from boltzgym.utils.progress import progress_bar
from boltzgym.utils.rng import make_streams
from boltzgym.utils.validation import check_int, check_seed

__all__ = ["AnnealResult", "TemperingResult", "anneal", "parallel_tempering"]

_PROGRESS_CHUNKS = 50


def _chunks(num_sweeps: int, enabled: bool) -> list[tuple[int, int]]:
    """Sweep ranges run per kernel call: one call without a progress bar, about 50 with one."""
    size = num_sweeps if not enabled else max(1, -(-num_sweeps // _PROGRESS_CHUNKS))
    return [(start, min(start + size, num_sweeps)) for start in range(0, num_sweeps, size)]


def _initial_states(initial_states, model: IsingModel, num_reads: int, seed_sequence) -> np.ndarray:
    if initial_states is None:
        rng = np.random.default_rng(seed_sequence)
        return rng.choice(np.array([-1, 1], dtype=np.int8), size=(num_reads, model.n_spins))
    states = np.atleast_2d(as_spin_states(initial_states, model.n_spins, "initial_states"))
    if states.shape[0] != num_reads:
        raise ValueError(f"initial_states must have {num_reads} rows (num_reads), got {states.shape[0]}")
    return np.ascontiguousarray(states).copy()


def _resolve_parallel(parallel: bool | None, n_replicas: int, attempts_per_call: int) -> bool:
    """``parallel=None``: threads when a kernel call has enough work (as ``run_sweeps`` decides)."""
    if parallel is not None:
        return bool(parallel)
    return n_replicas > 1 and attempts_per_call >= PARALLEL_MIN_ATTEMPTS


def _warm_up(model, states, rng_states, method, order, parallel, record_energy, couplings) -> None:
    """Call the kernel on an empty schedule, so that compiling or loading it from cache is not timed."""
    empty = np.zeros((1, 0))
    run_sweeps(model, states, empty, rng_states, method=method, order=order, parallel=parallel,
               record_energy=record_energy, couplings=couplings)  # fmt: skip


@dataclass
class AnnealResult:
    """What ``anneal`` returns.

    Attributes:
        states: final spins, int8 ``(num_reads, N)``; energies: their energies ``(num_reads,)``.
        betas: the schedule used, ``(num_sweeps,)``.
        energy_trace: energy after each sweep ``(num_reads, num_sweeps)``, or ``None``.
        seconds: wall time of the sweeps (excluding set-up); n_attempts: single-site update attempts made.
    """

    states: np.ndarray
    energies: np.ndarray
    betas: np.ndarray
    energy_trace: np.ndarray | None
    seconds: float
    n_attempts: int

    @property
    def attempts_per_second(self) -> float:
        """Spin-flip attempts per second over all reads."""
        return self.n_attempts / self.seconds if self.seconds > 0 else float("inf")

    @property
    def best_state(self) -> np.ndarray:
        """The lowest-energy final state."""
        return self.states[int(np.argmin(self.energies))]

    @property
    def best_energy(self) -> float:
        """The lowest final energy."""
        return float(self.energies.min())


@renamed_kwargs(n_sweeps="num_sweeps", n_reads="num_reads")
def anneal(
    model: IsingModel,
    num_sweeps: int = 1000,
    num_reads: int = 10,
    beta_range=None,
    schedule: str = "geometric",
    betas=None,
    method: str = "metropolis",
    order: str = "sequential",
    initial_states=None,
    seed: int | None = None,
    parallel: bool | None = None,
    record_energy: bool = False,
    progress: bool = False,
    engine: str = "local",
    ray_tasks: int | None = None,
) -> AnnealResult:
    """Simulated annealing (Kirkpatrick, Gelatt & Vecchi, Science 220, 1983) of ``num_reads`` independent replicas.

    Each read starts from a uniformly random state (or ``initial_states``) and runs one sweep at each beta of
    the schedule, from hot to cold, with single-site updates.

    Args:
        model: the ``IsingModel`` to minimize.
        num_sweeps: sweeps per read (the schedule's length), ``>= 1``; ignored when ``betas`` is given.
        num_reads: independent replicas, run in parallel across cores.
        beta_range: ``(beta_min, beta_max)``; default ``default_beta_range(model)`` (the largest possible flip
            cost accepted half the time at the start, the smallest excitation 1% of the time at the end).
        schedule: ``"geometric"`` (default), ``"linear"`` or ``"constant"`` (see ``beta_schedule``).
        betas: a custom schedule (one beta per sweep; ``numpy.inf`` allowed), overriding the three above.
        method: ``"metropolis"`` (default, as dwave-neal), ``"glauber"``, or ``"multispin"``: sequential
            Metropolis on 64 reads per machine word (``boltzgym.sims.multispin``; couplings in {-1, 0, +1} on a
            sparse graph, integer fields; statistically the same samples as ``"metropolis"``, about 10x faster).
        order: ``"sequential"`` (default) or ``"random"`` site order (``"multispin"``: sequential only).
        initial_states: optional ``(num_reads, N)`` starting spins.
        seed: seeds the initial states and the per-read streams; same seed, same result on any thread count.
        parallel: spread reads over threads; ``False`` runs the serial twin (same result); ``None`` (default)
            decides by the work per call (see ``boltzgym.sims._engine.PARALLEL_MIN_ATTEMPTS``).
        record_energy: keep the energy after every sweep (``energy_trace``).
        progress: show a progress bar on stderr.
        engine: ``"local"`` (default) or ``"ray"``: the reads split into Ray tasks (one per node by default, each
            on its node's threaded kernel; see ``boltzgym.sims.distributed``), the same result as local for the
            same seed. Ray starts locally for the call unless a session is open (e.g. one joined by address).
        ray_tasks: with ``engine="ray"``, the number of tasks (default: one per node).

    Returns:
        An ``AnnealResult``.
    """
    if engine not in ("local", "ray"):
        raise ValueError(f"engine must be 'local' or 'ray', got {engine!r}")
    if ray_tasks is not None:
        ray_tasks = check_int("ray_tasks", ray_tasks, minimum=1)
    model = check_model(model)
    num_reads = check_int("num_reads", num_reads, minimum=1)
    if method not in METHODS and method != "multispin":
        raise ValueError(f"method must be one of {sorted([*METHODS, 'multispin'])}, got {method!r}")
    if order not in ("sequential", "random"):
        raise ValueError(f"order must be 'sequential' or 'random', got {order!r}")
    if method == "multispin":
        if engine == "ray":
            raise ValueError(
                "engine='ray' runs the single-spin methods; method='multispin' runs locally (engine='local')"
            )
        if order != "sequential":
            raise ValueError(f"order must be 'sequential' with method='multispin', got {order!r}")
        check_multispin(model)  # raises naming why the model does not qualify
    n_spins, n_total = (
        model.n_spins,
        (np.size(betas) if betas is not None else check_int("num_sweeps", num_sweeps, minimum=1)),
    )
    check_memory("anneal", {
        # states, fields, energies' reduction, copies (the lockstep groups' scratch of sims._sparse_kernels, 72 bytes
        # per spin, exists only while its group of 8 reads runs: one per thread, four reads' worth of this estimate)
        "num_reads": num_reads * n_spins * (1 + 8 + 8 + 1),
        "num_sweeps": n_total * 8 * (1 + (2 * num_reads if record_energy else 0)),  # schedule, trace
    })  # fmt: skip
    if betas is not None:
        schedule_betas = check_custom_schedule(betas)
    else:
        num_sweeps = check_int("num_sweeps", num_sweeps, minimum=1)
        beta_range = default_beta_range(model) if beta_range is None else check_beta_range(beta_range)
        schedule_betas = beta_schedule(num_sweeps, beta_range, schedule)
    seed = check_seed("seed", seed)
    init_sequence = np.random.SeedSequence(seed).spawn(1)[0]
    states = _initial_states(initial_states, model, num_reads, init_sequence)
    if method == "multispin":
        return _anneal_multispin(model, states, schedule_betas, seed, parallel, record_energy, progress)
    rng_states = make_streams(seed, num_reads)
    couplings = kernel_couplings(model)
    n_total = schedule_betas.size
    energies = fields = None
    traces = []
    if engine == "ray":
        from boltzgym.sims.distributed import anneal_on_ray

        energy_trace, seconds = anneal_on_ray(
            model, states, rng_states, schedule_betas, method=method, order=order, record_energy=record_energy,
            ray_tasks=ray_tasks,
        )  # fmt: skip
        return _result(model, states, schedule_betas, energy_trace, seconds)
    chunks = _chunks(n_total, progress)
    longest = max(stop - start for start, stop in chunks)
    parallel = _resolve_parallel(parallel, num_reads, num_reads * model.n_spins * longest)
    _warm_up(model, states, rng_states, method, order, parallel, record_energy, couplings)
    seconds = 0.0
    with progress_bar(total=n_total, desc="anneal", enabled=progress) as bar:
        for start, stop in chunks:
            tick = time.perf_counter()
            energies, fields, trace = run_sweeps(
                model,
                states,
                schedule_betas[start:stop],
                rng_states,
                method=method,
                order=order,
                parallel=parallel,
                record_energy=record_energy,
                energies=energies,
                fields=fields,
                couplings=couplings,
            )
            seconds += time.perf_counter() - tick
            if trace is not None:
                traces.append(trace)
            bar.update(stop - start)
    energy_trace = np.concatenate(traces, axis=1) if record_energy else None
    return _result(model, states, schedule_betas, energy_trace, seconds)


def _result(model: IsingModel, states, schedule_betas, energy_trace, seconds: float) -> AnnealResult:
    """The ``AnnealResult`` of final ``states``, their energies recomputed exactly (the kernels' running sums
    accumulate rounding)."""
    num_reads = states.shape[0]
    final_energies = np.asarray(model.energy(states), dtype=np.float64).reshape(num_reads)
    n_attempts = num_reads * schedule_betas.size * model.n_spins
    return AnnealResult(states, final_energies, schedule_betas, energy_trace, seconds, n_attempts)


def _anneal_multispin(model, states, schedule_betas, seed, parallel, record_energy, progress) -> AnnealResult:
    """``anneal(method="multispin")`` after validation: 64 reads per word, one stream per group of 64.

    ``record_energy`` runs one kernel call per sweep and unpacks the words after each (slower; for plots).
    """
    num_reads = states.shape[0]
    couplings = multispin_couplings(model)
    words = pack_spins(states)
    rng_states = make_streams(seed, words.shape[0])
    n_total = schedule_betas.size
    # parallel=None: threads for several groups of 64 reads; one group's chunks go to threads on parallel=True only
    # (threads meet twice a sweep then, which pays on a quiet machine and costs much on a loaded one)
    parallel = _resolve_parallel(parallel, words.shape[0], num_reads * model.n_spins * n_total)
    run_multispin(words, schedule_betas[:0], couplings, rng_states, parallel)  # compile or load, untimed
    chunks = [(k, k + 1) for k in range(n_total)] if record_energy else _chunks(n_total, progress)
    trace = np.empty((num_reads, n_total)) if record_energy else None
    seconds = 0.0
    with progress_bar(total=n_total, desc="anneal", enabled=progress) as bar:
        for start, stop in chunks:
            tick = time.perf_counter()
            run_multispin(words, schedule_betas[start:stop], couplings, rng_states, parallel)
            seconds += time.perf_counter() - tick
            if record_energy:
                trace[:, start] = model.energy(unpack_spins(words, num_reads))
            bar.update(stop - start)
    return _result(model, unpack_spins(words, num_reads), schedule_betas, trace, seconds)


@dataclass
class TemperingResult:
    """What ``parallel_tempering`` returns.

    Attributes:
        best_states: lowest-energy state seen in each chain (ladder), int8 ``(n_chains, N)``.
        best_energies: their energies ``(n_chains,)``.
        states: final states ``(n_chains, n_temperatures, N)``, index 1 ordered by temperature (hot to cold).
        energies: their energies ``(n_chains, n_temperatures)``.
        betas: the ladder ``(n_temperatures,)``, increasing (hot to cold).
        swap_acceptance: accepted fraction of swap attempts between ``betas[k]`` and ``betas[k + 1]``,
            ``(n_temperatures - 1,)``.
        energy_trace: the best energy so far of each chain after each round ``(n_chains, n_rounds)``.
        seconds: wall time; n_attempts: single-site update attempts over all replicas.
        cluster_fraction: with ``houdayer=True``, the mean fraction of the spins that a Houdayer move flipped at
            each temperature ``(n_temperatures,)`` (0 where no move was made); else ``None``.
    """

    best_states: np.ndarray
    best_energies: np.ndarray
    states: np.ndarray
    energies: np.ndarray
    betas: np.ndarray
    swap_acceptance: np.ndarray
    energy_trace: np.ndarray
    seconds: float
    n_attempts: int
    cluster_fraction: np.ndarray | None = None

    @property
    def attempts_per_second(self) -> float:
        """Spin-flip attempts per second over all replicas."""
        return self.n_attempts / self.seconds if self.seconds > 0 else float("inf")


@renamed_kwargs(n_sweeps="num_sweeps")
def parallel_tempering(
    model: IsingModel,
    num_sweeps: int = 1000,
    n_temperatures: int = 16,
    n_chains: int = 1,
    beta_range=None,
    swap_interval: int = 1,
    method: str = "metropolis",
    seed: int | None = None,
    parallel: bool | None = None,
    progress: bool = False,
    houdayer: bool = False,
    houdayer_beta_min: float | None = None,
) -> TemperingResult:
    """Parallel tempering / replica exchange (Swendsen & Wang 1986; Hukushima & Nemoto, JPSJ 65, 1996).

    Each of ``n_chains`` independent ladders holds ``n_temperatures`` replicas at a geometric ladder of betas
    spanning ``beta_range``. Every ``swap_interval`` sweeps, neighbouring temperatures ``k, k+1`` try to
    exchange their states, accepted with probability ``min(1, exp((beta_{k+1} - beta_k)(E_{k+1} - E_k)))``,
    which keeps the joint product of Boltzmann distributions invariant. Swaps alternate between even and odd
    pairs (deterministic even-odd scheme), so every pair is tried every other round.

    Args:
        model: the ``IsingModel``.
        num_sweeps: sweeps per replica, ``>= 1``.
        n_temperatures: ladder size, ``>= 2``.
        n_chains: independent ladders (total replicas ``n_chains * n_temperatures`` run in parallel).
        beta_range: ``(beta_min, beta_max)`` with ``beta_min > 0``; default ``default_beta_range(model)``.
        swap_interval: sweeps between swap rounds, ``>= 1``.
        method: ``"metropolis"`` (default) or ``"glauber"`` single-site updates.
        seed: seeds the initial states, the replica streams and the swap decisions.
        parallel: spread replicas over threads; ``False`` runs the serial twin (same result); ``None``
            (default) decides by the work per call.
        progress: show a progress bar on stderr.
        houdayer: add Houdayer isoenergetic cluster moves (``boltzgym.sims.cluster``; Houdayer 2001): after the
            sweeps of every round, at each temperature with ``beta >= houdayer_beta_min``, chain ``2c`` and chain
            ``2c + 1`` (their replicas at that temperature) make one cluster move, so ``n_chains`` must be even.
            The move keeps the product of the two Boltzmann distributions invariant, so tempering still samples
            ``exp(-beta E)`` at every temperature.
        houdayer_beta_min: the low-temperature cut-off (Zhu, Ochoa & Katzgraber, PRL 115, 077201, 2015): moves
            only where ``beta >= houdayer_beta_min``, since at high temperature the clusters of differing sites
            percolate and a move flips nearly everything (the same as relabelling the replicas). Default: the
            colder half of the ladder (``beta`` at least the ladder's geometric middle).

    Returns:
        A ``TemperingResult`` (best states found, final states by temperature, swap acceptance rates).
    """
    model = check_model(model)
    num_sweeps = check_int("num_sweeps", num_sweeps, minimum=1)
    n_temperatures = check_int("n_temperatures", n_temperatures, minimum=2)
    n_chains = check_int("n_chains", n_chains, minimum=1)
    swap_interval = check_int("swap_interval", swap_interval, minimum=1)
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    beta_range = default_beta_range(model) if beta_range is None else check_beta_range(beta_range)
    ladder = beta_schedule(n_temperatures, beta_range, "geometric")
    if houdayer_beta_min is not None and not houdayer:
        raise ValueError("houdayer_beta_min applies with houdayer=True only")
    if houdayer:
        if n_chains % 2:
            raise ValueError(f"n_chains must be even with houdayer=True (chains pair up), got {n_chains}")
        if houdayer_beta_min is None:
            houdayer_beta_min = float(np.sqrt(ladder[0] * ladder[-1]))
        elif isinstance(houdayer_beta_min, bool) or not isinstance(houdayer_beta_min, int | float):
            raise TypeError(f"houdayer_beta_min must be a number or None, got {houdayer_beta_min!r}")
    seed = check_seed("seed", seed)
    n_replicas = n_chains * n_temperatures
    n_rounds = -(-num_sweeps // swap_interval)
    check_memory("parallel_tempering", {
        "n_chains * n_temperatures": n_replicas * model.n_spins * (1 + 8 + 1) + n_chains * model.n_spins,
        "swap_interval": n_replicas * min(swap_interval, num_sweeps) * 8 * 2,
        "n_chains": n_chains * n_rounds * 8,
    })  # fmt: skip
    init_sequence, swap_sequence, cluster_sequence = np.random.SeedSequence(seed).spawn(3)
    states = _initial_states(None, model, n_replicas, init_sequence)
    rng_states = make_streams(seed, n_replicas)
    swap_rng = np.random.default_rng(swap_sequence)
    couplings = kernel_couplings(model)
    # temperature_of[c, r]: index in the ladder of replica r of chain c (rows of `states` are c * T + r).
    temperature_of = np.tile(np.arange(n_temperatures), (n_chains, 1))
    energies = fields = None
    parallel = _resolve_parallel(parallel, n_replicas, n_replicas * model.n_spins * swap_interval)
    _warm_up(model, states, rng_states, method, "sequential", parallel, False, couplings)
    best_energies = np.full(n_chains, np.inf)
    best_states = np.empty((n_chains, model.n_spins), dtype=np.int8)
    trace = np.empty((n_chains, n_rounds))
    accepted = np.zeros(n_temperatures - 1)
    attempted = np.zeros(n_temperatures - 1)
    chain_index = np.arange(n_chains)[:, None]
    mover = cluster_levels = None
    if houdayer:
        from boltzgym.sims.cluster import ClusterMover

        field_dtype = couplings.data.dtype if not couplings.use_dense else np.float64
        cluster_seed = int(cluster_sequence.generate_state(1, dtype=np.uint64)[0])
        mover = ClusterMover(model, field_dtype, cluster_seed)
        cluster_levels = np.flatnonzero(ladder >= houdayer_beta_min)
        flipped_total = np.zeros(n_temperatures)
        moves_total = np.zeros(n_temperatures)
    seconds = 0.0
    with progress_bar(total=num_sweeps, desc="tempering", enabled=progress) as bar:
        for round_index in range(n_rounds):
            sweeps = min(swap_interval, num_sweeps - round_index * swap_interval)
            replica_betas = np.repeat(ladder[temperature_of.ravel()][:, None], sweeps, axis=1)
            tick = time.perf_counter()
            energies, fields, _ = run_sweeps(
                model,
                states,
                replica_betas,
                rng_states,
                method=method,
                parallel=parallel,
                energies=energies,
                fields=fields,
                couplings=couplings,
            )
            if mover is not None and cluster_levels.size:
                # rows c * T + r; replica_at[c, k] holds temperature k in chain c: pair chains 2c, 2c + 1 per level
                replica_at = np.argsort(temperature_of, axis=1)
                rows = replica_at[:, cluster_levels] + (np.arange(n_chains) * n_temperatures)[:, None]
                pairs = np.stack([rows[0::2].ravel(), rows[1::2].ravel()], axis=1)
                sizes = mover.move(states, fields, energies, pairs)
                levels = np.tile(cluster_levels, n_chains // 2)
                np.add.at(flipped_total, levels, sizes)
                np.add.at(moves_total, levels, 1)
            chain_energies = energies.reshape(n_chains, n_temperatures)
            improved = chain_energies.min(axis=1) < best_energies
            if improved.any():
                where = chain_energies.argmin(axis=1)
                for chain in np.flatnonzero(improved):
                    best_energies[chain] = chain_energies[chain, where[chain]]
                    best_states[chain] = states[chain * n_temperatures + where[chain]]
            trace[:, round_index] = best_energies
            # replica_at[c, k]: the replica holding temperature k in chain c.
            replica_at = np.argsort(temperature_of, axis=1)
            for k in range(round_index % 2, n_temperatures - 1, 2):
                low, high = replica_at[:, k], replica_at[:, k + 1]
                delta = (ladder[k + 1] - ladder[k]) * (
                    chain_energies[chain_index[:, 0], high] - chain_energies[chain_index[:, 0], low]
                )
                accept = np.log(swap_rng.random(n_chains)) < delta
                rows = chain_index[accept, 0]
                temperature_of[rows, low[accept]] = k + 1
                temperature_of[rows, high[accept]] = k
                accepted[k] += accept.sum()
                attempted[k] += n_chains
            seconds += time.perf_counter() - tick
            bar.update(sweeps)
    order = np.argsort(temperature_of, axis=1)
    by_temperature = states.reshape(n_chains, n_temperatures, -1)[chain_index, order]
    final_energies = np.asarray(model.energy(by_temperature.reshape(n_replicas, -1))).reshape(n_chains, n_temperatures)
    best_energies = np.asarray(model.energy(best_states), dtype=np.float64).reshape(n_chains)
    return TemperingResult(
        best_states=best_states,
        best_energies=best_energies,
        states=by_temperature,
        energies=final_energies,
        betas=ladder,
        swap_acceptance=np.divide(accepted, attempted, out=np.zeros_like(accepted), where=attempted > 0),
        energy_trace=trace,
        seconds=seconds,
        n_attempts=n_replicas * num_sweeps * model.n_spins,
        cluster_fraction=None
        if mover is None
        else np.divide(flipped_total, moves_total * model.n_spins, out=np.zeros(n_temperatures), where=moves_total > 0),
    )
