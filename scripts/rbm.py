"""``boltzgym rbm`` (deprecated): an alias of ``boltzgym fit rbm`` whose options and defaults are the old
command's (the settings of :data:`boltzgym.experiments.rbm.BARS_AND_STRIPES`); it prints one deprecation line and
runs ``fit rbm`` with the equivalent ``--set`` assignments (docs/vocabulary.md lists them)."""

from __future__ import annotations

import argparse

from boltzgym.experiments.rbm import BARS_AND_STRIPES
from boltzgym.scripts._common import add_common_arguments, positive_int, warn_deprecated

HELP = "(deprecated: use 'boltzgym fit rbm') train an RBM and report its log-likelihood"
DESCRIPTION = (
    "Deprecated alias of 'boltzgym fit rbm': --data digits is --data binary-digits, --hidden is --set n_components,\n"
    "--cd-k/--pcd/--learning-rate/--schedule/--batch-size/--momentum/--weight-decay/--ais-chains/--ais-betas are\n"
    "--set cd_k/persistent/learning_rate/learning_rate_schedule/batch_size/momentum/weight_decay/ais_chains/\n"
    "ais_betas. Its defaults are the old command's (boltzgym.experiments.rbm.BARS_AND_STRIPES; 20 epochs on digits)."
)
EXAMPLES = ["boltzgym rbm --data bars-stripes-3 --hidden 16 --seed 0"]  # = boltzgym fit rbm, see DESCRIPTION
DATA = {"bars-stripes-3": "bars-stripes-3", "bars-stripes-4": "bars-stripes-4", "digits": "binary-digits"}
DIGITS_EPOCHS = 20
# old option -> RBMConfig key
OPTIONS = {
    "hidden": "n_components",
    "cd_k": "cd_k",
    "pcd": "persistent",
    "learning_rate": "learning_rate",
    "schedule": "learning_rate_schedule",
    "batch_size": "batch_size",
    "momentum": "momentum",
    "weight_decay": "weight_decay",
    "ais_chains": "ais_chains",
    "ais_betas": "ais_betas",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    preset = BARS_AND_STRIPES
    parser.add_argument("--data", choices=DATA, default="bars-stripes-3", help="data set (default: bars-stripes-3)")
    parser.add_argument("--hidden", type=positive_int, default=preset["n_components"], help="hidden units")
    parser.add_argument("--epochs", type=positive_int, default=None, help="epochs (default: 2000; digits 20)")
    parser.add_argument("--cd-k", type=positive_int, default=preset["cd_k"], help="Gibbs steps per negative phase")
    parser.add_argument("--pcd", action="store_true", default=preset["persistent"], help="persistent chains")
    parser.add_argument("--learning-rate", type=float, default=preset["learning_rate"], help="initial learning rate")
    parser.add_argument("--schedule", choices=("constant", "linear"), default=preset["learning_rate_schedule"])
    parser.add_argument("--batch-size", type=positive_int, default=preset["batch_size"], help="minibatch size")
    parser.add_argument("--momentum", type=float, default=preset["momentum"], help="momentum")
    parser.add_argument("--weight-decay", type=float, default=preset["weight_decay"], help="L2 weight decay")
    parser.add_argument("--ais-chains", type=positive_int, default=preset["ais_chains"], help="AIS runs")
    parser.add_argument("--ais-betas", type=positive_int, default=preset["ais_betas"], help="AIS temperatures")
    add_common_arguments(parser)


def fit_argv(args: argparse.Namespace) -> list[str]:
    """The ``boltzgym fit rbm ...`` command line equivalent to the parsed ``boltzgym rbm`` options."""
    epochs = args.epochs or (DIGITS_EPOCHS if args.data == "digits" else BARS_AND_STRIPES["n_iter"])
    argv = ["fit", "rbm", "--data", DATA[args.data], "--epochs", str(epochs)]
    for option, key in OPTIONS.items():
        value = getattr(args, option)
        argv += ["--set", f"{key}={str(value).lower() if isinstance(value, bool) else value}"]
    return argv + common_argv(args)


def common_argv(args: argparse.Namespace) -> list[str]:
    """``--seed``, ``--out``, ``--overwrite``, ``--json``, ``--progress`` as given."""
    argv = ["--seed", str(args.seed)] + (["--out", str(args.out)] if args.out is not None else [])
    argv += ["--overwrite"] * bool(args.overwrite) + ["--json"] * bool(args.json)
    if args.progress is not None:
        argv.append("--progress" if args.progress else "--no-progress")
    return argv


def run(args: argparse.Namespace) -> dict:
    from boltzgym.scripts import fit
    from boltzgym.scripts.cli import build_parser

    argv = fit_argv(args)
    warn_deprecated("boltzgym rbm", "boltzgym fit rbm")
    return fit.run(build_parser().parse_args(argv))
