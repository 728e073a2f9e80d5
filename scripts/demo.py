"""``boltzgym demo``: a short tour of every capability (what ``make demo`` runs).

Each capability contributes one part: a function ``demo_part(out_dir, seed, progress) -> dict`` that
runs a small, fast version of its experiment, writes its plots under ``out_dir`` and returns a short
result line ``{"result": str, ...}``. The tour writes ``runs/demo/`` and prints a summary table.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

from boltzgym.scripts._common import add_common_arguments, finish, format_table, progress_enabled, run_dir

HELP = "a short tour of every capability (under 2 minutes)"
DESCRIPTION = "Run a small version of every boltzgym experiment and print one summary table."
EXAMPLES = ["boltzgym demo", "boltzgym demo --out runs/demo --seed 1 --json"]

# (part name, "module:function"), in the order of the tour. Each capability adds its part.
DEMO_PARTS: list[tuple[str, str]] = [
    ("bandits", "boltzgym.scripts.bandit:demo_part"),
    ("q-learning", "boltzgym.scripts.train_tabular:demo_part"),
    ("dqn", "boltzgym.scripts.train_dqn:demo_part"),
    ("anneal", "boltzgym.scripts.anneal:demo_part"),
    ("hopfield", "boltzgym.scripts.hopfield:demo_part"),
    ("rbm", "boltzgym.scripts.rbm:demo_part"),
    ("fit", "boltzgym.scripts.fit:demo_part"),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser, out_default="runs/demo")
    parser.add_argument("--only", default=None, help="comma-separated part names to run (default: all parts)")


def run_demo(out_dir: Path, seed: int = 0, progress: bool = False, only: list[str] | None = None) -> dict:
    """Run the demo parts (all, or those named in ``only``) and return the summary."""
    check_demo_parts(only)
    parts = {}
    for name, target in DEMO_PARTS:
        if only and name not in only:
            continue
        module_name, function_name = target.split(":")
        function = getattr(importlib.import_module(module_name), function_name)
        sys.stderr.write(f"demo: {name} ...\n")
        start = time.perf_counter()
        result = function(out_dir / name, seed=seed, progress=progress)
        result["seconds"] = round(time.perf_counter() - start, 2)
        parts[name] = result
    return {"seed": seed, "parts": parts}


def check_demo_parts(only: list[str] | None) -> None:
    """Raise ``ValueError`` naming ``--only`` when it names a part that does not exist."""
    known = [name for name, _ in DEMO_PARTS]
    unknown = sorted(set(only or []) - set(known))
    if unknown:
        raise ValueError(f"--only: unknown demo part(s) {unknown}; expected names from {known}")


def run(args: argparse.Namespace) -> dict:
    only = [p.strip() for p in args.only.split(",")] if args.only else None
    check_demo_parts(only)  # before the run folder is made: a rejected command leaves no folder
    if args.out is None:  # the tour's default folder is replaced by each tour
        args.out, args.overwrite = Path("runs") / "demo", True
    out_dir = run_dir(args, "demo")
    summary = run_demo(out_dir, seed=args.seed, progress=progress_enabled(args), only=only)
    rows = [(name, part["result"], part["seconds"]) for name, part in summary["parts"].items()]
    table = format_table(["part", "result", "seconds"], rows)
    return finish(args, out_dir, summary, table)
