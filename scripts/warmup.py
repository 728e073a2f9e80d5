"""``boltzgym warmup``: compile every numba kernel into the on-disk cache (``make install`` runs it)."""

from __future__ import annotations

import argparse
import sys

from boltzgym.utils.io import to_json

HELP = "compile the numba kernels into the cache (after a pip install)"
DESCRIPTION = (
    "Compile every jitted kernel variant that boltzgym uses into numba's on-disk cache, so that the first\n"
    "sample_ising/anneal/RBM call of every later process loads machine code instead of compiling (seconds).\n"
    "`make install` runs it; run it once yourself after `pip install boltzgym`, or after upgrading numba."
)
EXAMPLES = ["boltzgym warmup", "boltzgym warmup --json"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def run(args: argparse.Namespace) -> dict:
    from boltzgym.scripts.warmup_kernels import warm_up

    def report(name: str, seconds: float) -> None:
        if not args.json:
            sys.stdout.write(f"{name:<66} {seconds:6.2f} s\n")
            sys.stdout.flush()

    seconds = warm_up(report)
    summary = {"seconds": seconds, "total_seconds": sum(seconds.values())}
    if args.json:
        sys.stdout.write(to_json(summary, indent=None) + "\n")
    return summary
