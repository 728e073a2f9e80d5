"""``boltzgym ground-state``: the exact ground state of a planar (open-boundary 2D lattice) Ising instance."""

from __future__ import annotations

import argparse

from boltzgym.scripts._common import add_common_arguments, finish, format_table, positive_int, run_dir

HELP = "exact ground state of a 2D open-boundary spin glass (minimum-weight perfect matching)"
DESCRIPTION = (
    "Compute an exact ground state of a planar Ising model (L x M square lattice, open boundaries, no field) by\n"
    "minimum-weight perfect matching of the frustrated plaquettes (PyMatching). The instance is generated\n"
    "(--rows/--cols/--couplings/--seed) or read from --input, a text file of 'r c r2 c2 J' lines (our sign,\n"
    "E = -sum J s s; an optional '# planar L M' header). Writes summary.json, spins.txt (the ground state as\n"
    "an L x M matrix of -1/+1) and instance.txt (the couplings)."
)
EXAMPLES = [
    "boltzgym ground-state --rows 128 --couplings pm --seed 0",
    "boltzgym ground-state --rows 16 --cols 32 --couplings gaussian --json",
    "boltzgym ground-state --input my_lattice.txt --out runs/gs",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``boltzgym ground-state``."""
    add_common_arguments(parser)
    parser.add_argument("--rows", type=positive_int, default=None, help="lattice rows L (default: 16)")
    parser.add_argument("--cols", type=positive_int, default=None, help="lattice columns M (default: --rows)")
    parser.add_argument("--couplings", choices=["pm", "gaussian"], default=None,
                        help="generated bonds: +-1 or N(0, 1) (default: pm)")  # fmt: skip
    parser.add_argument("--input", default=None, help="read the instance from this file instead of generating one")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``ground-state`` on an ``argparse`` subparsers object (HELP, DESCRIPTION, EXAMPLES as epilog)."""
    parser = subparsers.add_parser(
        "ground-state",
        help=HELP,
        description=DESCRIPTION,
        epilog="examples:\n  " + "\n  ".join(EXAMPLES),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(handler=run, subparser=parser)
    return parser


def run(args: argparse.Namespace) -> dict:
    """Validate, build or read the instance, solve it, write the files and report."""
    import numpy as np

    from boltzgym.sims.planar import (
        planar_ground_state,
        planar_spin_glass,
        read_planar_instance,
        write_planar_instance,
    )

    if args.input is not None:
        given = [flag for flag, value in (("--rows", args.rows), ("--cols", args.cols),
                                          ("--couplings", args.couplings)) if value is not None]  # fmt: skip
        if given:
            raise ValueError(f"{', '.join(given)} generate an instance; they cannot be used with --input")
        lattice = read_planar_instance(args.input, what="--input")
        source = {"input": str(args.input)}
    else:
        rows = args.rows or 16
        lattice = planar_spin_glass(rows, args.cols or rows, args.couplings or "pm", seed=args.seed)
        source = {"couplings": args.couplings or "pm", "seed": args.seed}
    out_dir = run_dir(args, "ground-state")
    result = planar_ground_state(lattice)
    rows, cols = lattice.shape
    np.savetxt(out_dir / "spins.txt", result.spins, fmt="%d")
    write_planar_instance(lattice, out_dir / "instance.txt")
    summary = {
        "rows": rows,
        "cols": cols,
        **source,
        "energy": result.energy,
        "energy_per_spin": result.energy_per_spin,
        "n_frustrated": result.n_frustrated,
        "tolerance": result.tolerance,
        "seconds": result.seconds,
    }
    keys = ["rows", "cols", "energy", "energy_per_spin", "n_frustrated", "tolerance", "seconds"]
    table = format_table(["quantity", "value"], [(key, summary[key]) for key in keys])
    return finish(args, out_dir, summary, table)
