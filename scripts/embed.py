"""``boltzgym embed`` (deprecated): an alias of ``boltzgym fit word2vec`` whose options and defaults are the old
command's (on lee: :data:`boltzgym.experiments.embeddings.LEE`); it prints one deprecation line and runs
``fit word2vec`` with the equivalent ``--data`` and ``--set`` assignments (docs/vocabulary.md lists them)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from boltzgym.experiments.embeddings import LEE, NEIGHBOURS
from boltzgym.scripts._common import (
    add_common_arguments,
    name_list,
    non_negative_float,
    positive_float,
    positive_int,
    warn_deprecated,
)
from boltzgym.scripts.rbm import common_argv

HELP = "(deprecated: use 'boltzgym fit word2vec') train Word2Vec word embeddings and show nearest neighbours"
DESCRIPTION = (
    "Deprecated alias of 'boltzgym fit word2vec': --corpus is --data (lee or a text file), --alpha/--min-alpha/\n"
    "--vector-size/--window/--negative/--min-count/--sample/--workers/--words/--topn/--pairs are --set alpha/\n"
    "min_alpha/vector_size/window/negative/min_count/sample/workers/words/topn/pairs. Its defaults are the old\n"
    "command's: Word2Vec's (gensim's), on lee 30 epochs and min_count 2; 5 neighbours per word."
)
EXAMPLES = ["boltzgym embed --corpus lee --seed 0"]  # = boltzgym fit word2vec, see DESCRIPTION
# old option -> Word2VecConfig key (options left at None keep fit word2vec's default)
OPTIONS = {
    "vector_size": "vector_size",
    "window": "window",
    "negative": "negative",
    "min_count": "min_count",
    "sample": "sample",
    "alpha": "alpha",
    "min_alpha": "min_alpha",
    "workers": "workers",
    "words": "words",
    "topn": "topn",
    "pairs": "pairs",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", default="lee", help="a UTF-8 text file (one sentence per line) or `lee` (default)")
    parser.add_argument("--vector-size", type=positive_int, default=None, help="vector dimension")
    parser.add_argument("--window", type=positive_int, default=None, help="maximum context distance")
    parser.add_argument("--negative", type=positive_int, default=None, help="noise words per pair")
    parser.add_argument("--min-count", type=positive_int, default=None, help="ignore rarer words (default: 5; lee 2)")
    parser.add_argument("--epochs", type=positive_int, default=None, help="passes over the corpus (default: 5; lee 30)")
    parser.add_argument("--sample", type=non_negative_float, default=None, help="subsampling threshold")
    parser.add_argument("--alpha", type=positive_float, default=None, help="initial learning rate")
    parser.add_argument("--min-alpha", type=non_negative_float, default=None, help="final learning rate")
    parser.add_argument("--workers", type=positive_int, default=None, help="Hogwild threads (1: reproducible)")
    parser.add_argument("--words", type=name_list, default=None, help="words whose neighbours to print")
    parser.add_argument("--topn", type=positive_int, default=NEIGHBOURS, help="neighbours per word (default: 5)")
    parser.add_argument("--pairs", type=Path, default=None, help="word-similarity file (default on lee: WordSim-353)")
    add_common_arguments(parser)


def fit_argv(args: argparse.Namespace) -> list[str]:
    """The ``boltzgym fit word2vec ...`` command line equivalent to the parsed ``boltzgym embed`` options."""
    defaults = LEE if args.corpus == "lee" else {}
    argv = ["fit", "word2vec", "--data", args.corpus]
    epochs = args.epochs if args.epochs is not None else defaults.get("epochs")
    if epochs is not None:
        argv += ["--epochs", str(epochs)]
    values = {key: getattr(args, option) for option, key in OPTIONS.items()}
    if values["min_count"] is None:
        values["min_count"] = defaults.get("min_count")
    for key, value in values.items():
        if value is not None:
            argv += ["--set", f"{key}={','.join(value) if isinstance(value, list) else value}"]
    return argv + common_argv(args)


def run(args: argparse.Namespace) -> dict:
    from boltzgym.scripts import fit
    from boltzgym.scripts.cli import build_parser

    warn_deprecated("boltzgym embed", "boltzgym fit word2vec")
    try:
        return fit.run(build_parser().parse_args(fit_argv(args)))
    except ValueError as exc:  # name this command's options: --pairs, not fit's --set pairs
        raise ValueError(old_option_names(str(exc))) from exc


def old_option_names(message: str) -> str:
    """``message`` with fit's ``--set KEY`` and ``--data`` spelled as this alias's options (``--pairs``,
    ``--corpus``)."""
    for option, key in OPTIONS.items():
        message = re.sub(rf"--set {key}\b", "--" + option.replace("_", "-"), message)
    return re.sub(r"--data\b", "--corpus", message)
