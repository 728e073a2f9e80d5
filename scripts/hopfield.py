"""``boltzgym hopfield``: the capacity experiment and digit recall with Hopfield networks (notes 5.3; the
experiments are ``boltzgym.experiments.hopfield``)."""

from __future__ import annotations

import argparse

import numpy as np

from boltzgym.scripts._common import (
    add_common_arguments,
    add_deprecated_option,
    finish,
    format_table,
    positive_int,
    progress_enabled,
    run_dir,
)

HELP = "Hopfield networks: storage capacity against load, and recall of corrupted digits"
DESCRIPTION = (
    "capacity: retrieval success and final overlap of a Hebbian Hopfield network against the load alpha = P/N,\n"
    "with the estimated critical load (theory: 0.138), and a dense associative memory at loads far above it.\n"
    "recall: store binarized 8x8 digits, corrupt them and recall; writes an image grid (stored / probe / recall)."
)
EXAMPLES = [
    "boltzgym hopfield capacity --n 200 --trials 5 --seed 0",
    "boltzgym hopfield capacity --n 100 --trials 2 --json",
    "boltzgym hopfield recall --patterns 6 --noise 0.15 --rule pseudoinverse",
    "boltzgym hopfield recall --rule hebbian --mode sync --num-sweeps 4 --json",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", choices=["capacity", "recall"], help="which experiment to run")
    add_common_arguments(parser)
    # Options that only one experiment reads default to None, so that run() can reject them for the other.
    parser.add_argument("--n", type=positive_int, default=None, help="capacity: neurons N (default: 200)")
    parser.add_argument(
        "--trials", type=positive_int, default=None, help="capacity: pattern sets per load (default: 3)"
    )
    parser.add_argument(
        "--patterns", type=positive_int, default=None, help="recall: digits 0..P-1 to store (default 6)"
    )
    parser.add_argument("--noise", type=float, default=0.15, help="fraction of flipped neurons in probes")
    parser.add_argument("--rule", choices=["hebbian", "pseudoinverse", "storkey"], default=None,
                        help="storage rule (default: hebbian for capacity, pseudoinverse for recall)")  # fmt: skip
    parser.add_argument("--mode", choices=["async", "sync"], default=None, help="recall: dynamics (default: async)")
    parser.add_argument("--beta", type=float, default=None, help="recall: inverse temperature (default: inf)")
    parser.add_argument("--num-sweeps", type=positive_int, default=None, help="sweeps (default: 10 capacity, 8 recall)")
    add_deprecated_option(parser, "--sweeps", "--num-sweeps", "num_sweeps", type=positive_int)


# experiment -> options it does not read (given anyway, they are an error rather than silently ignored)
UNUSED_OPTIONS = {"capacity": ("patterns", "mode", "beta"), "recall": ("n", "trials")}


def run(args: argparse.Namespace) -> dict:
    from boltzgym.experiments.hopfield import capacity_run, recall_run
    from boltzgym.utils.resources import check_memory, checked_size
    from boltzgym.utils.validation import check_probability

    check_probability("--noise", args.noise)
    for option in UNUSED_OPTIONS[args.experiment]:
        if getattr(args, option) is not None:
            raise ValueError(f"--{option} does not apply to 'hopfield {args.experiment}'")
    if args.experiment == "capacity":
        n = args.n or 200  # weights, the patterns of the highest load and the rule's workspace: ~4 N x N float64
        check_memory(checked_size((n, n), "--n") * 32, "--n", f"a Hopfield network of {n} neurons")
    else:
        n_probes = args.patterns or 6  # one probe per digit, 64 neurons, overlaps and energies per sweep
        sweeps = args.num_sweeps or 8
        check_memory(
            checked_size((sweeps + 1, n_probes), "--num-sweeps") * 16, "--num-sweeps", f"{sweeps} recall sweeps"
        )
    beta = float("inf") if args.beta is None else args.beta
    if beta <= 0 or np.isnan(beta):
        raise ValueError(f"--beta must be > 0 (inf for zero temperature), got {beta}")
    out_dir = run_dir(args, f"hopfield-{args.experiment}")  # checked and locked before any work
    if args.experiment == "capacity":
        summary, rows = capacity_run(
            out_dir, args.n or 200, args.trials or 3, args.seed, args.noise, args.rule or "hebbian",
            progress_enabled(args), args.num_sweeps or 10,
        )  # fmt: skip
        table = format_table(["alpha", "success_rate", "mean_overlap"], [tuple(r.values()) for r in rows])
        table += f"\n\nestimated alpha_c = {summary['alpha_c']:.3f} (theory 0.138)"
    else:
        summary = recall_run(
            out_dir, args.patterns or 6, args.noise, args.rule or "pseudoinverse", args.mode or "async", beta,
            args.num_sweeps or 8, args.seed,
        )  # fmt: skip
        table = format_table(
            ["digit", "initial_overlap", "final_overlap"],
            [(k, summary["initial_overlap"][k], summary["final_overlap"][k]) for k in range(summary["patterns"])],
        )
    return finish(args, out_dir, summary, table)
