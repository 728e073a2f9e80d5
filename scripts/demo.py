"""``boltzgym demo``: a short tour of every capability (what ``make demo`` runs; the parts are listed in
``boltzgym.experiments.tour``). The tour writes ``runs/demo/`` and prints a summary table."""

from __future__ import annotations

import argparse
from pathlib import Path

from boltzgym.scripts._common import add_common_arguments, finish, format_table, progress_enabled, run_dir

HELP = "a short tour of every capability (under 2 minutes)"
DESCRIPTION = "Run a small version of every boltzgym experiment and print one summary table."
EXAMPLES = ["boltzgym demo", "boltzgym demo --out runs/demo --seed 1 --json"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser, out_default="runs/demo")
    parser.add_argument("--only", default=None, help="comma-separated part names to run (default: all parts)")


def run(args: argparse.Namespace) -> dict:
    from boltzgym.experiments.tour import check_demo_parts, run_demo

    only = [p.strip() for p in args.only.split(",")] if args.only else None
    check_demo_parts(only)  # before the run folder is made: a rejected command leaves no folder
    if args.out is None:  # the tour's default folder is replaced by each tour
        args.out, args.overwrite = Path("runs") / "demo", True
    out_dir = run_dir(args, "demo")
    summary = run_demo(out_dir, seed=args.seed, progress=progress_enabled(args), only=only)
    rows = [(name, part["result"], part["seconds"]) for name, part in summary["parts"].items()]
    table = format_table(["part", "result", "seconds"], rows)
    return finish(args, out_dir, summary, table)
