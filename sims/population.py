"""Population annealing (Hukushima & Iba, AIP Conf. Proc. 690, 2003; Machta, PRE 82, 026704, 2010; Wang, Machta &
Katzgraber, PRE 92, 063307, 2015) over the jitted sampling core.

A population of ``R`` replicas starts in equilibrium at ``beta = 0`` (uniform random spins) and is annealed along a
schedule ``0 = beta_0 < beta_1 < ... < beta_K``. At each step ``beta_{k-1} -> beta_k``:

1. reweight: replica ``i`` gets the weight ``w_i = exp(-(beta_k - beta_{k-1}) E_i)``; the mean weight
   ``Q_k = (1/R_{k-1}) sum_i w_i`` is the ratio ``Z(beta_k) / Z(beta_{k-1})`` (in expectation), so
   ``ln Z(beta_K) ~ N ln 2 + sum_k ln Q_k`` and the free energy is ``F = -ln Z / beta_K``;
2. resample: replica ``i`` is copied ``floor(tau_i)`` or ``floor(tau_i) + 1`` times (the latter with probability
   the fractional part), ``tau_i = R w_i / sum_j w_j`` (nearest-integer resampling, the low-variance choice of Wang
   et al.; the population size fluctuates around ``R``);
3. equilibrate: ``sweeps_per_temperature`` Metropolis (or Glauber) sweeps of every copy at ``beta_k``, on the
   kernels of ``boltzgym.sims._engine`` with fresh per-replica streams drawn for the step (copies of one replica
   must not share a stream).

Diagnostics (Wang et al. 2015): every replica belongs to the family of the initial replica it descends from; with
``nu_f`` the fraction of the final population in family ``f``, the family entropy is ``S_f = -sum_f nu_f ln nu_f``
(large when many families survive: the population has equilibrated), and ``rho_t = R sum_f nu_f^2`` estimates the
equilibration population size, with ``var(beta F) ~ rho_t / R``.

Independent runs (``n_runs``): each a population of ``R``; their ``ln Z`` combine by the weighted average
``ln Z = ln mean_r exp(ln Z_r)`` (Wang et al. 2015, Sec. II), with the error bar from the spread of ``ln Z_r`` over
the runs (``std / sqrt(n_runs)``, at least two runs), or ``sqrt(rho_t / (R n_runs))`` from one run.

Energies follow ``boltzgym.sims.ising``: ``E(s) = -1/2 s^T J s - h^T s``.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from boltzgym.sims._engine import METHODS, check_memory, check_model, kernel_couplings, run_sweeps
from boltzgym.sims.ising import IsingModel
from boltzgym.sims.schedules import check_custom_schedule, default_beta_range
from boltzgym.utils.progress import progress_bar
from boltzgym.utils.rng import make_streams
from boltzgym.utils.validation import check_int, check_seed

__all__ = ["PopulationResult", "population_annealing"]


@dataclass
class PopulationResult:
    """What ``population_annealing`` returns.

    Attributes:
        states: the final population, int8 ``(R_final, N)`` (all runs, run by run); energies: ``(R_final,)``.
        run_of: the run of each final replica ``(R_final,)``; family_of: the initial replica (within its run)
            each final replica descends from ``(R_final,)``.
        betas: the schedule ``(K + 1,)``, from 0.
        log_partition: the estimate of ``ln Z(beta_K)`` (weighted over runs); log_partition_error: its error bar.
        run_log_partitions: ``ln Z`` of each run ``(n_runs,)``.
        free_energy: ``F = -ln Z / beta_K``; free_energy_error: its error bar.
        family_entropy: ``S_f`` of the final population, mean over runs (see the module docstring).
        equilibrium_population: ``rho_t = R sum_f nu_f^2``, mean over runs.
        population_sizes: mean population size per run after each resampling ``(K,)``.
        mean_energies: the population's mean energy at each beta ``(K + 1,)`` (after the sweeps), mean over runs.
        seconds: wall time of the sweeps and resampling; n_attempts: single-site update attempts made.
    """

    states: np.ndarray
    energies: np.ndarray
    run_of: np.ndarray
    family_of: np.ndarray
    betas: np.ndarray
    log_partition: float
    log_partition_error: float
    run_log_partitions: np.ndarray
    free_energy: float
    free_energy_error: float
    family_entropy: float
    equilibrium_population: float
    population_sizes: np.ndarray
    mean_energies: np.ndarray
    seconds: float
    n_attempts: int

    @property
    def best_energy(self) -> float:
        """The lowest energy in the final population."""
        return float(self.energies.min())

    def run_best_energies(self) -> np.ndarray:
        """The lowest final energy of each run ``(n_runs,)``."""
        n_runs = self.run_log_partitions.size
        best = np.full(n_runs, np.inf)
        np.minimum.at(best, self.run_of, self.energies)
        return best


def _resample(energies, run_of, delta_beta, population_size, n_runs, rng):
    """One reweighting and nearest-integer resampling: ``(copies_of, log_q per run)``.

    ``copies_of`` indexes the current replicas, each repeated as often as it is copied (runs stay in order).
    """
    log_w = -delta_beta * energies
    log_q = np.empty(n_runs)
    tau = np.empty_like(energies)
    for run in range(n_runs):
        members = run_of == run
        lw = log_w[members]
        total = logsumexp(lw)
        log_q[run] = total - np.log(lw.size)
        tau[members] = population_size * np.exp(lw - total)
    copies = np.floor(tau).astype(np.int64)
    copies += rng.random(tau.size) < (tau - copies)
    for run in range(n_runs):  # a run left empty (possible only for tiny R) keeps its heaviest replica
        members = np.flatnonzero(run_of == run)
        if copies[members].sum() == 0:
            copies[members[np.argmax(log_w[members])]] = 1
    return np.repeat(np.arange(energies.size), copies), log_q


def population_annealing(
    model: IsingModel,
    population_size: int = 1000,
    n_temperatures: int = 100,
    sweeps_per_temperature: int = 10,
    beta_max: float | None = None,
    betas=None,
    n_runs: int = 1,
    method: str = "metropolis",
    seed: int | None = None,
    parallel: bool | None = None,
    engine: str = "local",
    ray_tasks: int | None = None,
    progress: bool = False,
) -> PopulationResult:
    """Population annealing of ``n_runs`` independent populations of ``population_size`` replicas.

    Args:
        model: the ``IsingModel``.
        population_size: the target size ``R`` of each population, ``>= 2``.
        n_temperatures: the ``K`` steps after ``beta = 0`` (ignored when ``betas`` is given), ``>= 1``.
        sweeps_per_temperature: sweeps of every replica after each resampling, ``>= 1``.
        beta_max: the last beta (default: the cold end of ``default_beta_range(model)``); the schedule is linear
            in beta from 0 (as in Wang, Machta & Katzgraber 2015).
        betas: a custom schedule, increasing, starting at 0 (the population starts uniform, in equilibrium at
            ``beta = 0``, which is what makes ``Z`` come out), finite.
        n_runs: independent populations (error bars from their spread when ``>= 2``).
        method: ``"metropolis"`` (default) or ``"glauber"`` sweeps.
        seed: seeds the initial states, the resampling and the per-step streams; same seed, same result, on
            any thread count and with either engine.
        parallel: spread replicas over threads (``None``: by the work per call, as ``anneal``).
        engine: ``"local"`` (default) or ``"ray"``: the sweeps of each step as Ray tasks over blocks of the
            population (``boltzgym.sims.distributed``; the resampling stays on the driver), the same result as
            local for the same seed. Ray starts once for the call unless a session is open.
        ray_tasks: with ``engine="ray"``, the number of tasks per step (default: one per node).
        progress: a progress bar on stderr.

    Returns:
        A ``PopulationResult`` with the final population, ``ln Z`` and the free energy with error bars, and the
        family diagnostics.
    """
    model = check_model(model)
    if engine not in ("local", "ray"):
        raise ValueError(f"engine must be 'local' or 'ray', got {engine!r}")
    if ray_tasks is not None:
        ray_tasks = check_int("ray_tasks", ray_tasks, minimum=1)
    population_size = check_int("population_size", population_size, minimum=2)
    sweeps_per_temperature = check_int("sweeps_per_temperature", sweeps_per_temperature, minimum=1)
    n_runs = check_int("n_runs", n_runs, minimum=1)
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    if betas is not None:
        schedule = check_custom_schedule(betas)
        if schedule[0] != 0 or schedule.size < 2 or np.any(np.diff(schedule) <= 0) or not np.isfinite(schedule[-1]):
            raise ValueError("betas must be finite, strictly increasing and start at 0 (at least two of them)")
    else:
        n_temperatures = check_int("n_temperatures", n_temperatures, minimum=1)
        if beta_max is None:
            beta_max = default_beta_range(model)[1]
        elif not (isinstance(beta_max, int | float) and np.isfinite(beta_max) and beta_max > 0):
            raise ValueError(f"beta_max must be a finite number > 0, got {beta_max!r}")
        schedule = np.linspace(0.0, float(beta_max), n_temperatures + 1)
    seed = check_seed("seed", seed)
    n_spins = model.n_spins
    total = population_size * n_runs
    check_memory("population_annealing", {
        "population_size * n_runs": 2 * total * n_spins * (1 + 8 + 1) + total * 64,
    })  # fmt: skip
    init_sequence, resample_sequence, stream_sequence = np.random.SeedSequence(seed).spawn(3)
    rng = np.random.default_rng(init_sequence)
    states = rng.choice(np.array([-1, 1], dtype=np.int8), size=(total, n_spins))
    resample_rng = np.random.default_rng(resample_sequence)
    step_seeds = stream_sequence.generate_state(schedule.size, dtype=np.uint64)
    run_of = np.repeat(np.arange(n_runs), population_size)
    family_of = np.tile(np.arange(population_size), n_runs)
    couplings = kernel_couplings(model)
    log_z = np.full(n_runs, n_spins * np.log(2.0))
    energies = np.asarray(model.energy(states), dtype=np.float64).reshape(total)
    sizes, mean_energies = [], [float(energies.mean())]
    seconds = 0.0
    n_attempts = 0
    session = contextlib.nullcontext()
    if engine == "ray":
        from boltzgym.utils.distributed import ray_session

        session = ray_session(what='population_annealing(engine="ray")')
    with session, progress_bar(total=schedule.size - 1, desc="population annealing", enabled=progress) as bar:
        for step in range(1, schedule.size):
            tick = time.perf_counter()
            delta_beta = schedule[step] - schedule[step - 1]
            copies_of, log_q = _resample(energies, run_of, delta_beta, population_size, n_runs, resample_rng)
            log_z += log_q
            states, run_of, family_of = states[copies_of], run_of[copies_of], family_of[copies_of]
            states = np.ascontiguousarray(states)
            sizes.append(states.shape[0] / n_runs)
            rng_states = make_streams(int(step_seeds[step]), states.shape[0])
            step_betas = np.full(sweeps_per_temperature, schedule[step])
            if engine == "ray":
                from boltzgym.sims.distributed import anneal_on_ray

                anneal_on_ray(model, states, rng_states, step_betas, method=method, order="sequential",
                              record_energy=False, ray_tasks=ray_tasks)  # fmt: skip
            else:
                run_sweeps(model, states, step_betas, rng_states, method=method, parallel=parallel, couplings=couplings)
            energies = np.asarray(model.energy(states), dtype=np.float64).reshape(states.shape[0])  # exact, not sums
            n_attempts += states.shape[0] * n_spins * sweeps_per_temperature
            mean_energies.append(float(energies.mean()))
            seconds += time.perf_counter() - tick
            bar.update(1)
    beta_last = float(schedule[-1])
    entropies, rhos = [], []
    for run in range(n_runs):
        counts = np.bincount(family_of[run_of == run], minlength=population_size)
        nu = counts[counts > 0] / counts.sum()
        entropies.append(float(-(nu * np.log(nu)).sum()))
        rhos.append(float(population_size * (nu**2).sum()))
    combined = float(logsumexp(log_z) - np.log(n_runs))
    if n_runs >= 2:
        error = float(log_z.std(ddof=1) / np.sqrt(n_runs))
    else:
        error = float(np.sqrt(np.mean(rhos) / (population_size * n_runs)))
    return PopulationResult(
        states=states,
        energies=energies,
        run_of=run_of,
        family_of=family_of,
        betas=schedule,
        log_partition=combined,
        log_partition_error=error,
        run_log_partitions=log_z,
        free_energy=-combined / beta_last,
        free_energy_error=error / beta_last,
        family_entropy=float(np.mean(entropies)),
        equilibrium_population=float(np.mean(rhos)),
        population_sizes=np.asarray(sizes),
        mean_energies=np.asarray(mean_energies),
        seconds=seconds,
        n_attempts=n_attempts,
    )
