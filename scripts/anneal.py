"""``boltzgym anneal``: simulated annealing or parallel tempering on a standard Ising problem."""

from __future__ import annotations

import argparse

import numpy as np

from boltzgym.scripts._common import (
    add_common_arguments,
    finish,
    format_table,
    new_figure,
    positive_int,
    progress_enabled,
    run_dir,
    save_figure,
    write_metrics_csv,
)

HELP = "simulated annealing / parallel tempering of spin glasses, ferromagnets and Max-Cut"
DESCRIPTION = (
    "Minimize the energy of an Ising problem (SK, 2D/3D +-J lattice glass, 2D ferromagnet, random Max-Cut) with\n"
    "simulated annealing (sa) or parallel tempering (pt) on the jitted sampling core. Prints best and mean energy\n"
    "per spin, time and spin-flip attempts per second; plots the energy trace and the final-energy histogram.\n"
    "For lattices, --n is the number of spins (a square or a cube)."
)
EXAMPLES = [
    "boltzgym anneal --problem sk --n 500 --sweeps 1000 --reads 16 --seed 0",
    "boltzgym anneal --problem lattice2d --n 4096 --sweeps 2000 --reads 8 --json",
    "boltzgym anneal --problem maxcut --n 200 --method pt --sweeps 500 --reads 4",
    "boltzgym anneal --problem lattice2d --n 4096 --method multispin --sweeps 1000 --reads 128",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from boltzgym.sims.problems import PROBLEMS

    add_common_arguments(parser)
    parser.add_argument("--problem", choices=PROBLEMS, default="sk", help="problem family (default: sk)")
    parser.add_argument("--n", type=positive_int, default=256, help="number of spins (default: 256)")
    parser.add_argument("--sweeps", type=positive_int, default=1000, help="sweeps per read/replica (default: 1000)")
    parser.add_argument("--reads", type=positive_int, default=8, help="independent reads; pt: ladders (default: 8)")
    parser.add_argument("--method", choices=["sa", "pt", "multispin"], default="sa",
                        help="annealing, tempering, or annealing 64 reads per machine word (+-1 couplings on a "
                        "sparse graph: --problem lattice2d/lattice3d/ferro2d/maxcut) (default: sa)")  # fmt: skip
    parser.add_argument("--schedule", choices=["geometric", "linear"], default=None,
                        help="sa: beta schedule (default: geometric)")  # fmt: skip
    parser.add_argument("--beta-min", type=float, default=None, help="hot beta (default: from the couplings)")
    parser.add_argument("--beta-max", type=float, default=None, help="cold beta (default: from the couplings)")
    parser.add_argument("--temperatures", type=positive_int, default=None, help="pt: ladder size (default: 16)")
    parser.add_argument("--threads", type=positive_int, default=None, help="numba threads (default: all cores)")
    parser.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="sa: run the reads here or as Ray tasks (same result; needs the 'distributed' extra)",
    )
    parser.add_argument("--address", default=None, help="with --engine ray: join a Ray cluster (auto or HOST:PORT)")


def anneal_problem(
    problem: str = "sk",
    n: int = 256,
    sweeps: int = 1000,
    reads: int = 8,
    method: str = "sa",
    seed: int = 0,
    schedule: str = "geometric",
    beta_range: tuple[float, float] | None = None,
    temperatures: int = 16,
    progress: bool = False,
    parallel: bool | None = None,
    engine: str = "local",
) -> tuple[dict, dict]:
    """Run the experiment behind ``boltzgym anneal``; returns ``(summary, traces)``.

    ``summary`` holds the issue's keys (``problem, n, sweeps, reads, method, best_energy_per_spin,
    mean_energy_per_spin, seconds, attempts_per_second``) plus ``beta_range`` (and ``best_cut`` for Max-Cut,
    ``swap_acceptance`` for pt). ``traces`` holds per-sweep arrays for the plots and metrics.csv. ``parallel``
    as in ``anneal`` (the results do not depend on it).
    """
    from boltzgym.sims.annealing import anneal, parallel_tempering
    from boltzgym.sims.problems import make_problem
    from boltzgym.sims.schedules import default_beta_range

    if method not in ("sa", "pt", "multispin"):
        raise ValueError(f"method must be 'sa', 'pt' or 'multispin', got {method!r}")
    model, maxcut_problem = make_problem(problem, n, seed)
    beta_range = default_beta_range(model) if beta_range is None else beta_range
    if method in ("sa", "multispin"):
        result = anneal(
            model,
            sweeps,
            reads,
            beta_range,
            schedule,
            seed=seed,
            method="metropolis" if method == "sa" else "multispin",
            parallel=parallel,
            record_energy=True,
            progress=progress,
            engine=engine,
        )
        final, best_states = result.energies, result.states
        traces = {
            "beta": result.betas,
            "mean_energy_per_spin": result.energy_trace.mean(axis=0) / n,
            "min_energy_per_spin": result.energy_trace.min(axis=0) / n,
        }
        extra = {}
    else:
        result = parallel_tempering(
            model, sweeps, temperatures, reads, beta_range, seed=seed, parallel=parallel, progress=progress
        )
        final, best_states = result.best_energies, result.best_states
        traces = {
            "mean_energy_per_spin": result.energy_trace.mean(axis=0) / n,
            "min_energy_per_spin": result.energy_trace.min(axis=0) / n,
        }
        extra = {"temperatures": temperatures, "swap_acceptance": result.swap_acceptance.tolist()}
    summary = {
        "problem": problem,
        "n": n,
        "sweeps": sweeps,
        "reads": reads,
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
    fig, ax = new_figure(figsize=(6.4, 4.0))
    sweeps = np.arange(1, len(traces["mean_energy_per_spin"]) + 1)
    label = "mean over reads" if summary["method"] != "pt" else "mean best-so-far over ladders"
    ax.plot(sweeps, traces["mean_energy_per_spin"], label=label)
    ax.plot(sweeps, traces["min_energy_per_spin"], label="lowest", alpha=0.8)
    ax.set_xlabel("sweep" if summary["method"] != "pt" else "swap round")
    ax.set_ylabel("energy per spin")
    ax.set_title(f"{summary['method'].upper()} on {summary['problem']} (N={summary['n']})")
    if "beta" in traces:
        twin = ax.twinx()
        twin.plot(sweeps, traces["beta"], color="grey", linestyle=":", label="beta")
        twin.set_ylabel("beta (dotted)")
    if summary["method"] == "pt":
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
    ax.set_title(f"final energies, {summary['reads']} reads")
    save_figure(fig, out_dir / "final_energy_histogram.png")


def anneal_memory(problem: str, n: int, sweeps: int, reads: int, method: str, temperatures: int) -> None:
    """Refuse, naming the option, an anneal whose couplings, chains or traces would not fit in memory."""
    from boltzgym.utils.resources import check_memory, checked_size

    degree = {"sk": n - 1, "maxcut": 10, "lattice2d": 4, "lattice3d": 6, "ferro2d": 4}.get(problem, n - 1)
    chains = reads * (temperatures if method == "pt" else 1)
    chains_flag = "--reads/--temperatures" if method == "pt" else "--reads"
    terms = {  # bytes: couplings (CSR values and indices, and the dense draw for sk), spin states, energy traces
        "--n": checked_size((n, degree), "--n") * (24 if problem == "sk" else 16),
        chains_flag: checked_size((chains, n), chains_flag) * 16,
        "--sweeps": checked_size((sweeps, chains), "--sweeps") * 16,
    }
    flag = max(terms, key=terms.get)
    what = f"{method} on {problem} with {n} spins, {reads} reads, {sweeps} sweeps"
    check_memory(sum(terms.values()), flag, what)


def run(args: argparse.Namespace) -> dict:
    if args.method == "pt" and args.schedule is not None:
        raise ValueError("--schedule applies to --method sa only (tempering uses a fixed geometric ladder)")
    if args.method != "pt" and args.temperatures is not None:
        raise ValueError("--temperatures applies to --method pt only")
    if (args.beta_min is None) != (args.beta_max is None):
        raise ValueError("--beta-min and --beta-max must be given together")
    beta_range = None if args.beta_min is None else (args.beta_min, args.beta_max)
    if args.engine == "ray" and args.method != "sa":
        raise ValueError("--engine ray applies to --method sa only")
    if args.address is not None and args.engine != "ray":
        raise ValueError("--address applies to --engine ray only")
    if args.threads is not None:
        import numba

        numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    anneal_memory(args.problem, args.n, args.sweeps, args.reads, args.method, args.temperatures or 16)
    out_dir = run_dir(args, "anneal")  # checked and locked before any work
    with _engine_session(args):
        summary, traces = anneal_problem(
            args.problem,
            args.n,
            args.sweeps,
            args.reads,
            args.method,
            args.seed,
            args.schedule or "geometric",
            beta_range,
            args.temperatures or 16,
            engine=args.engine,
            progress=progress_enabled(args),
        )
    rows = [
        {"sweep": k + 1, **{key: float(values[k]) for key, values in traces.items() if key != "final_energy_per_spin"}}
        for k in range(len(traces["mean_energy_per_spin"]))
    ]
    write_metrics_csv(out_dir / "metrics.csv", rows)
    plot_traces(traces, summary, out_dir)
    keys = ["best_energy_per_spin", "mean_energy_per_spin", "seconds", "attempts_per_second", "best_cut"]
    table = format_table(["quantity", "value"], [(key, summary[key]) for key in keys if key in summary])
    return finish(args, out_dir, summary, table)


def _engine_session(args: argparse.Namespace):
    """With ``--engine ray``, a Ray session for the run (local, or the cluster at ``--address``)."""
    import contextlib

    if args.engine != "ray":
        return contextlib.nullcontext()
    from boltzgym.utils.distributed import ray_session, require_ray

    try:
        require_ray("--engine ray")
    except ImportError as exc:
        raise ValueError(str(exc)) from None
    return ray_session(args.address, what="--engine ray")


def demo_part(out_dir, seed: int = 0, progress: bool = False) -> dict:
    """Demo: anneal a 32x32 +-J spin glass (16 reads, 500 sweeps) and plot the energy trace.

    Runs the serial kernel: the sampling takes a fraction of a second, and compiling the threaded kernel on a
    fresh clone would take longer than it saves.
    """
    from pathlib import Path

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary, traces = anneal_problem("lattice2d", 1024, 500, 16, "sa", seed, progress=progress, parallel=False)
    plot_traces(traces, summary, out_dir)
    summary["result"] = (
        f"SA 2D +-J glass N=1024: best E/N {summary['best_energy_per_spin']:.4f} (large-L ground ~ -1.40), "
        f"{summary['attempts_per_second'] / 1e6:.0f}M flips/s"
    )
    return summary
