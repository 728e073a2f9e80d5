"""``boltzgym experiment NAME``: run one of the notes' claims as an experiment with a plot."""

from __future__ import annotations

import argparse

from boltzgym.scripts._common import add_common_arguments, finish, format_table, progress_enabled, run_dir

HELP = "run a registered experiment (a claim of the notes, with a plot)"
DESCRIPTION = (
    "Run an experiment of boltzgym.models.registry.EXPERIMENTS: each reproduces a claim of the notes at CPU scale "
    "in about a minute, writes its plot(s) and summary.json into --out, and prints its figures. Options of the "
    "experiment's function are set with --set key=value."
)
EXAMPLES = ["boltzgym experiment --list", "boltzgym experiment NAME --seed 0 --json"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="experiment name (see --list)")
    parser.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE", help="an experiment option"
    )
    parser.add_argument("--list", action="store_true", help="list the registered experiments and exit")
    add_common_arguments(parser, out_default="runs/experiment-<name>-<timestamp>")


def run(args: argparse.Namespace) -> dict:
    from boltzgym.experiments import EXPERIMENTS, experiment_function, experiment_options

    if args.list or args.name is None:
        if args.name is None and not args.list:
            raise ValueError(f"name: give an experiment name, one of {sorted(EXPERIMENTS)}")
        print("\n".join(sorted(EXPERIMENTS)))
        return {}
    function = experiment_function(args.name)
    options = experiment_options(args.name, args.assignments)
    out_dir = run_dir(args, f"experiment-{args.name}")
    summary = function(out_dir, seed=args.seed, progress=progress_enabled(args), **options)
    summary = {"experiment": args.name, "seed": args.seed, **summary}
    rows = [(key, value) for key, value in summary.items() if not isinstance(value, (list, dict))]
    return finish(args, out_dir, summary, format_table(["quantity", "value"], rows))
