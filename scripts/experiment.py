"""``boltzgym experiment NAME``: run one of the notes' claims as an experiment with a plot."""

from __future__ import annotations

import argparse

from boltzgym.scripts._common import (
    UsageError,
    add_common_arguments,
    add_resume_argument,
    finish,
    format_table,
    progress_enabled,
    run_dir,
)

HELP = "run a registered experiment (a claim of the notes, with a plot)"
DESCRIPTION = (
    "Run an experiment of boltzgym.models.registry.EXPERIMENTS: each reproduces a claim of the notes at CPU scale "
    "in about a minute, writes its plot(s) and summary.json into --out, and prints its figures. Options of the "
    "experiment's function are set with --set key=value, each checked against its declared range before the run\n"
    "starts. The multi-minute experiments keep every finished part (a seed, a variant, a depth, an agent) in\n"
    "OUT/parts/: after Ctrl-C or SIGTERM, the same command with --out OUT --resume skips the parts already done."
)
EXAMPLES = [
    "boltzgym experiment --list",
    "boltzgym experiment NAME --seed 0 --json",
    "boltzgym experiment mode-collapse --out runs/mc --resume",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="experiment name (see --list)")
    parser.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE", help="an experiment option"
    )
    parser.add_argument("--list", action="store_true", help="list the registered experiments and exit")
    add_resume_argument(parser)
    add_common_arguments(parser, out_default="runs/experiment-<name>-<timestamp>")


def run(args: argparse.Namespace) -> dict:
    from boltzgym.experiments import EXPERIMENTS, experiment_function, experiment_options, experiment_resumable
    from boltzgym.utils.parts import has_parts

    if args.list or args.name is None:
        if args.name is None and not args.list:
            raise ValueError(f"name: give an experiment name, one of {sorted(EXPERIMENTS)}")
        print("\n".join(sorted(EXPERIMENTS)))
        return {}
    function = experiment_function(args.name)
    options = experiment_options(args.name, args.assignments)  # unknown keys and out-of-range values: exit 2
    resumable = experiment_resumable(args.name)
    if args.resume and not resumable:
        known = sorted(n for n in EXPERIMENTS if experiment_resumable(n))
        raise UsageError(f"--resume: experiment {args.name!r} keeps no parts to resume (those that do: {known})")
    if args.resume and args.out is None:
        raise UsageError("--resume needs --out, the folder of the run to continue")
    out_dir = run_dir(args, f"experiment-{args.name}")
    if resumable:
        if has_parts(out_dir) and not args.resume and not args.overwrite:
            raise UsageError(
                f"--out {str(out_dir)!r} holds the finished parts of an interrupted run; continue it with --out "
                f"{out_dir} --resume, or pass --overwrite to start over"
            )
        options["resume"] = bool(args.resume)
    summary = function(out_dir, seed=args.seed, progress=progress_enabled(args), **options)
    summary = {"experiment": args.name, "seed": args.seed, **summary}
    rows = [(key, value) for key, value in summary.items() if not isinstance(value, (list, dict))]
    return finish(args, out_dir, summary, format_table(["quantity", "value"], rows))
