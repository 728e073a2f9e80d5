"""``boltzgym anneal``: simulated annealing or parallel tempering on a standard Ising problem
(the experiment is ``boltzgym.experiments.annealing``)."""

from __future__ import annotations

import argparse

from boltzgym.scripts._common import (
    add_common_arguments,
    add_deprecated_option,
    finish,
    format_table,
    positive_int,
    progress_enabled,
    run_dir,
    warn_deprecated,
)

HELP = "simulated annealing / parallel tempering of spin glasses, ferromagnets and Max-Cut"
DESCRIPTION = (
    "Minimize the energy of an Ising problem (SK, 2D/3D +-J lattice glass, 2D ferromagnet, random Max-Cut) with\n"
    "simulated annealing (--sampler sa) or parallel tempering (--sampler pt) on the jitted sampling core, with\n"
    "the spin update --method (metropolis, glauber, or multispin: 64 reads per machine word). Prints best and\n"
    "mean energy per spin, time and spin-flip attempts per second; plots the energy trace and the final-energy\n"
    "histogram. For lattices, --n is the number of spins (a square or a cube)."
)
EXAMPLES = [
    "boltzgym anneal --problem sk --n 500 --num-sweeps 1000 --num-reads 16 --seed 0",
    "boltzgym anneal --problem lattice2d --n 4096 --num-sweeps 2000 --num-reads 8 --json",
    "boltzgym anneal --problem maxcut --n 200 --sampler pt --num-sweeps 500 --num-reads 4",
    "boltzgym anneal --problem lattice2d --n 4096 --method multispin --num-sweeps 1000 --num-reads 128",
]
# the old --method values that named a sampler: --method sa|pt -> --sampler sa|pt
OLD_METHOD_VALUES = ("sa", "pt")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from boltzgym.experiments.annealing import METHODS, SAMPLERS
    from boltzgym.sims.problems import PROBLEMS

    add_common_arguments(parser)
    parser.add_argument("--problem", choices=PROBLEMS, default="sk", help="problem family (default: sk)")
    parser.add_argument("--n", type=positive_int, default=256, help="number of spins (default: 256)")
    parser.add_argument("--num-sweeps", type=positive_int, default=1000, help="sweeps per read/replica (default: 1000)")
    parser.add_argument("--num-reads", type=positive_int, default=8, help="independent reads; pt: ladders (default: 8)")
    parser.add_argument("--sampler", choices=SAMPLERS, default=None,
                        help="sa: simulated annealing; pt: parallel tempering (default: sa)")  # fmt: skip
    parser.add_argument("--method", choices=(*METHODS, *OLD_METHOD_VALUES), default=None,
                        metavar="{" + ",".join(METHODS) + "}",
                        help="spin update, as anneal(method=...): metropolis, glauber, or multispin (sa only; +-1 "
                        "couplings on a sparse graph: --problem lattice2d/lattice3d/ferro2d/maxcut) "
                        "(default: metropolis)")  # fmt: skip
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
    add_deprecated_option(parser, "--sweeps", "--num-sweeps", "num_sweeps", type=positive_int)
    add_deprecated_option(parser, "--reads", "--num-reads", "num_reads", type=positive_int)


def sampler_and_method(args: argparse.Namespace) -> tuple[str, str]:
    """``(sampler, method)`` from ``--sampler``/``--method``, the old ``--method sa|pt`` announced as deprecated."""
    sampler, method = args.sampler, args.method
    if method in OLD_METHOD_VALUES:
        warn_deprecated(f"--method {method}", f"--sampler {method}")
        if sampler is not None and sampler != method:
            raise ValueError(f"--method {method} (deprecated: --sampler {method}) contradicts --sampler {sampler}")
        sampler, method = method, None
    return sampler or "sa", method or "metropolis"


def run(args: argparse.Namespace) -> dict:
    from boltzgym.experiments.annealing import (
        anneal_problem,
        check_anneal_memory,
        engine_session,
        plot_traces,
        write_traces,
    )

    sampler, method = sampler_and_method(args)
    if sampler == "pt" and args.schedule is not None:
        raise ValueError("--schedule applies to --sampler sa only (tempering uses a fixed geometric ladder)")
    if sampler != "pt" and args.temperatures is not None:
        raise ValueError("--temperatures applies to --sampler pt only")
    if sampler == "pt" and method == "multispin":
        raise ValueError("--method multispin applies to --sampler sa only")
    if (args.beta_min is None) != (args.beta_max is None):
        raise ValueError("--beta-min and --beta-max must be given together")
    beta_range = None if args.beta_min is None else (args.beta_min, args.beta_max)
    if args.engine == "ray" and (sampler != "sa" or method == "multispin"):
        raise ValueError("--engine ray applies to --sampler sa with a single-spin --method only")
    if args.address is not None and args.engine != "ray":
        raise ValueError("--address applies to --engine ray only")
    if args.threads is not None:
        import numba

        numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    check_anneal_memory(args.problem, args.n, args.num_sweeps, args.num_reads, sampler, args.temperatures or 16)
    out_dir = run_dir(args, "anneal")  # checked and locked before any work
    with engine_session(args.engine, args.address):
        summary, traces = anneal_problem(
            args.problem, args.n, args.num_sweeps, args.num_reads, sampler, method, args.seed,
            args.schedule or "geometric", beta_range, args.temperatures or 16, engine=args.engine,
            progress=progress_enabled(args),
        )  # fmt: skip
    write_traces(traces, out_dir)
    plot_traces(traces, summary, out_dir)
    keys = ["best_energy_per_spin", "mean_energy_per_spin", "seconds", "attempts_per_second", "best_cut"]
    table = format_table(["quantity", "value"], [(key, summary[key]) for key in keys if key in summary])
    return finish(args, out_dir, summary, table)
