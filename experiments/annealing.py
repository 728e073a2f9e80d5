"""The experiment behind ``boltzgym anneal``: anneal (or temper) a standard Ising problem and plot its traces.

Vocabulary (docs/vocabulary.md): ``sampler`` is the algorithm, ``"sa"`` (simulated annealing,
``boltzgym.sims.annealing.anneal``) or ``"pt"`` (parallel tempering, ``parallel_tempering``); ``method`` is what
those functions call ``method``, the single-spin update (``"metropolis"``, ``"glauber"``) or ``"multispin"``
(64 reads per machine word, annealing only); ``num_sweeps``/``num_reads`` are dimod's names.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from boltzgym.utils.metrics import write_metrics
from boltzgym.utils.plotting import new_figure, save_figure

SAMPLERS = ("sa", "pt")
METHODS = ("metropolis", "glauber", "multispin")


def anneal_problem(
    problem: str = "sk",
    n: int = 256,
    num_sweeps: int = 1000,
    num_reads: int = 8,
    sampler: str = "sa",
    method: str = "metropolis",
    seed: int = 0,
    schedule: str = "geometric",
    beta_range: tuple[float, float] | None = None,
    temperatures: int = 16,
    progress: bool = False,
    parallel: bool | None = None,
    engine: str = "local",
) -> tuple[dict, dict]:
    """Anneal (``sampler="sa"``) or temper (``"pt"``) problem ``problem`` of ``n`` spins; returns
    ``(summary, traces)``.

    ``summary`` holds ``problem, n, num_sweeps, num_reads, sampler, method, best_energy_per_spin,
    mean_energy_per_spin, seconds, attempts_per_second, beta_range`` (and ``best_cut`` for Max-Cut,
    ``swap_acceptance`` for pt). ``traces`` holds per-sweep arrays for the plots and metrics.csv. ``parallel``
    as in ``anneal`` (the results do not depend on it).
    """
    from boltzgym.sims.annealing import anneal, parallel_tempering
    from boltzgym.sims.problems import make_problem
    from boltzgym.sims.schedules import default_beta_range

    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {list(SAMPLERS)}, got {sampler!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    if sampler == "pt" and method == "multispin":
        raise ValueError("method 'multispin' applies to sampler 'sa' only (tempering runs single-spin updates)")
    model, maxcut_problem = make_problem(problem, n, seed)
    beta_range = default_beta_range(model) if beta_range is None else beta_range
    if sampler == "sa":
        result = anneal(
            model, num_sweeps, num_reads, beta_range, schedule, seed=seed, method=method, parallel=parallel,
            record_energy=True, progress=progress, engine=engine,
        )  # fmt: skip
        final, best_states = result.energies, result.states
        traces = {"beta": result.betas}
        extra = {}
    else:
        result = parallel_tempering(
            model, num_sweeps, temperatures, num_reads, beta_range, method=method, seed=seed, parallel=parallel,
            progress=progress,
        )  # fmt: skip
        final, best_states = result.best_energies, result.best_states
        traces = {}
        extra = {"temperatures": temperatures, "swap_acceptance": result.swap_acceptance.tolist()}
    traces["mean_energy_per_spin"] = result.energy_trace.mean(axis=0) / n
    traces["min_energy_per_spin"] = result.energy_trace.min(axis=0) / n
    summary = {
        "problem": problem,
        "n": n,
        "num_sweeps": num_sweeps,
        "num_reads": num_reads,
        "sampler": sampler,
        "method": method,
        "engine": engine,
        "best_energy_per_spin": float(final.min() / n),
        "mean_energy_per_spin": float(final.mean() / n),
        "seconds": float(result.seconds),
        "attempts_per_second": float(result.attempts_per_second),
        "beta_range": [float(beta_range[0]), float(beta_range[1])],
        "seed": seed,
        **extra,
    }
    if maxcut_problem is not None:
        summary["best_cut"] = float(maxcut_problem.cut_value(best_states).max())
    traces["final_energy_per_spin"] = final / n
    return summary, traces


def plot_traces(traces: dict, summary: dict, out_dir) -> None:
    """Write ``energy_trace.png`` and ``final_energy_histogram.png``."""
    out_dir = Path(out_dir)
    tempering = summary["sampler"] == "pt"
    fig, ax = new_figure(figsize=(6.4, 4.0))
    sweeps = np.arange(1, len(traces["mean_energy_per_spin"]) + 1)
    ax.plot(sweeps, traces["mean_energy_per_spin"], label="mean best-so-far over ladders" if tempering else
            "mean over reads")  # fmt: skip
    ax.plot(sweeps, traces["min_energy_per_spin"], label="lowest", alpha=0.8)
    ax.set_xlabel("swap round" if tempering else "sweep")
    ax.set_ylabel("energy per spin")
    name = "PT" if tempering else ("MULTISPIN" if summary["method"] == "multispin" else "SA")
    ax.set_title(f"{name} on {summary['problem']} (N={summary['n']})")
    if "beta" in traces:
        twin = ax.twinx()
        twin.plot(sweeps, traces["beta"], color="grey", linestyle=":", label="beta")
        twin.set_ylabel("beta (dotted)")
    if tempering:
        ax.set_xscale("log")  # the best-so-far energy drops fast, then creeps
        ax.legend(loc="upper right")
    else:
        ax.legend(loc="lower left")
    save_figure(fig, out_dir / "energy_trace.png")

    fig, ax = new_figure(figsize=(5.0, 3.6))
    ax.hist(traces["final_energy_per_spin"], bins=min(30, max(5, len(traces["final_energy_per_spin"]))))
    ax.set_xlabel("final energy per spin")
    ax.set_ylabel("reads")
    ax.yaxis.get_major_locator().set_params(integer=True)  # counts of reads are whole numbers
    ax.xaxis.get_major_locator().set_params(nbins=5)  # long energy labels must not overlap
    ax.set_title(f"final energies, {summary['num_reads']} reads")
    save_figure(fig, out_dir / "final_energy_histogram.png")


def write_traces(traces: dict, out_dir) -> Path:
    """``metrics.csv``: one row per sweep (swap round for pt) with the traces."""
    rows = [
        {"sweep": k + 1, **{key: float(values[k]) for key, values in traces.items() if key != "final_energy_per_spin"}}
        for k in range(len(traces["mean_energy_per_spin"]))
    ]
    return write_metrics(out_dir, rows, step="sweep")


def check_anneal_memory(problem: str, n: int, num_sweeps: int, num_reads: int, sampler: str, temperatures: int) -> None:
    """Refuse, naming the option, an anneal whose couplings, chains or traces would not fit in memory."""
    from boltzgym.utils.resources import check_memory, checked_size

    degree = {"sk": n - 1, "maxcut": 10, "lattice2d": 4, "lattice3d": 6, "ferro2d": 4}.get(problem, n - 1)
    chains = num_reads * (temperatures if sampler == "pt" else 1)
    chains_flag = "--num-reads/--temperatures" if sampler == "pt" else "--num-reads"
    # the traces (sweeps x chains) are blamed on the factor furthest above its default (1000 sweeps, 8 reads)
    traces_flag = "--num-sweeps" if num_sweeps / 1000 >= chains / 8 else chains_flag
    terms = {  # bytes: couplings (CSR values and indices, and the dense draw for sk), spin states, energy traces
        "--n": checked_size((n, degree), "--n") * (24 if problem == "sk" else 16),
        chains_flag: checked_size((chains, n), chains_flag) * 16,
        "traces": checked_size((num_sweeps, chains), traces_flag) * 16,
    }
    flag = max(terms, key=terms.get)
    flag = traces_flag if flag == "traces" else flag
    what = f"{sampler} on {problem} with {n} spins, {num_reads} reads, {num_sweeps} sweeps"
    check_memory(sum(terms.values()), flag, what)


def engine_session(engine: str, address: str | None):
    """With ``engine="ray"``, a Ray session for the run (local, or the cluster at ``address``); else nothing."""
    if engine != "ray":
        return contextlib.nullcontext()
    from boltzgym.utils.distributed import ray_session, require_ray

    try:
        require_ray("--engine ray")
    except ImportError as exc:
        raise ValueError(str(exc)) from None
    return ray_session(address, what="--engine ray")


def demo_part(out_dir, seed: int = 0, progress: bool = False) -> dict:
    """Demo: anneal a 32x32 +-J spin glass (16 reads, 500 sweeps) and plot the energy trace.

    Runs the serial kernel: the sampling takes a fraction of a second, and compiling the threaded kernel on a
    fresh clone would take longer than it saves.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary, traces = anneal_problem("lattice2d", 1024, 500, 16, seed=seed, progress=progress, parallel=False)
    plot_traces(traces, summary, out_dir)
    summary["result"] = (
        f"SA 2D +-J glass N=1024: best E/N {summary['best_energy_per_spin']:.4f} (large-L ground ~ -1.40), "
        f"{summary['attempts_per_second'] / 1e6:.0f}M flips/s"
    )
    return summary
