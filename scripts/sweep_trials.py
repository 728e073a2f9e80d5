"""What a sweep's trials are: the search space (grid x random draws x seeds) and each trial's command line.

``boltzgym sweep`` (``boltzgym.scripts.sweep``) runs these trials on Ray Tune; the benchmarks run them in a plain
loop. A trial is the subcommand itself, parsed and run in-process exactly as on the command line.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import math
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from boltzgym.scripts._common import UsageError

SWEEPABLE = ("train", "fit", "anneal", "rbm", "bandit")
# Options the sweep owns; inside COMMAND's arguments they are the sweep's, never the command's.
_RESERVED = ("--seed", "--out", "--json", "--progress", "--no-progress")
_DISTRIBUTIONS = ("uniform", "loguniform", "randint", "choice")


# --- the search space ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trial:
    """One trial: its index, the swept parameters and the seed; ``name`` is its run folder's name."""

    index: int
    params: dict
    seed: int
    label: str = ""  # Optuna's trials are named by Tune's trial id, not by an index known up front

    @property
    def name(self) -> str:
        return f"{self.label}-seed{self.seed}" if self.label else f"trial-{self.index:04d}-seed{self.seed}"


def _parse_value(text: str) -> Any:
    """A grid value: an int, a float, true/false, or the string itself."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for convert in (int, float):
        with contextlib.suppress(ValueError):
            return convert(text)
    return text.strip()


def parse_grid(items: list[str]) -> dict[str, list]:
    """``["learning_rate=0.1,0.5", "steps=100"]`` -> ``{"learning_rate": [0.1, 0.5], "steps": [100]}``; errors name
    ``--grid``."""
    grid: dict[str, list] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip()
        parts = [part for part in values.split(",") if part.strip()]
        if not sep or not key or not parts:
            raise UsageError(f"--grid expects KEY=V1,V2,..., got {item!r}")
        if key in grid:
            raise UsageError(f"--grid names {key!r} twice")
        grid[key] = [_parse_value(part) for part in parts]
    return grid


def parse_random(items: list[str]) -> dict[str, tuple[str, list]]:
    """``["lr=loguniform(1e-4,1e-2)"]`` -> ``{"lr": ("loguniform", [1e-4, 1e-2])}``; errors name ``--random``."""
    space: dict[str, tuple[str, list]] = {}
    for item in items:
        key, sep, spec = item.partition("=")
        match = re.fullmatch(r"\s*(\w+)\((.*)\)\s*", spec)
        if not sep or not key.strip() or match is None or match.group(1) not in _DISTRIBUTIONS:
            raise UsageError(f"--random expects KEY=DIST(...) with DIST one of {_DISTRIBUTIONS}, got {item!r}")
        kind, args = match.group(1), [_parse_value(a) for a in match.group(2).split(",") if a.strip()]
        if kind != "choice":
            numeric = len(args) == 2 and all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args)
            if not numeric or not args[0] < args[1] or (kind == "loguniform" and args[0] <= 0):
                raise UsageError(f"--random {key.strip()}: {kind} expects two numbers low < high (low > 0 for "
                                 f"loguniform), got {spec!r}")  # fmt: skip
        elif not args:
            raise UsageError(f"--random {key.strip()}: choice needs at least one value")
        space[key.strip()] = (kind, args)
    return space


def _draw(rng: np.random.Generator, kind: str, args: list) -> Any:
    if kind == "uniform":
        return float(rng.uniform(args[0], args[1]))
    if kind == "loguniform":
        return float(np.exp(rng.uniform(math.log(args[0]), math.log(args[1]))))
    if kind == "randint":
        return int(rng.integers(int(args[0]), int(args[1])))
    return args[int(rng.integers(len(args)))]


def expand_trials(grid: dict, random_space: dict, seeds: list[int], samples: int, sample_seed: int) -> list[Trial]:
    """Grid points x ``samples`` random draws x seeds, in a fixed order; the draws come from ``sample_seed``.

    Every seed of a configuration gets the same parameters, so that each configuration has a mean over seeds.
    """
    rng = np.random.default_rng(sample_seed)
    keys = list(grid)
    configurations = []
    for values in itertools.product(*(grid[k] for k in keys)):
        for _ in range(samples):
            params = dict(zip(keys, values))
            params.update({key: _draw(rng, kind, args) for key, (kind, args) in random_space.items()})
            configurations.append(params)
    return [
        Trial(index=i * len(seeds) + j, params=params, seed=seed)
        for i, params in enumerate(configurations)
        for j, seed in enumerate(seeds)
    ]


# --- one trial's command line ----------------------------------------------------------------------------------


def _option_names(parser: argparse.ArgumentParser) -> set[str]:
    return {opt for action in parser._actions for opt in action.option_strings}


def _settable_keys(command: str, args: argparse.Namespace) -> set[str] | None:
    """The ``--set`` keys the command accepts, where they can be known before running (else ``None``)."""
    if command == "train":
        from boltzgym.agents.registry import agent_settings

        return set(agent_settings(args.agent))
    if command == "fit":
        with contextlib.suppress(ImportError, AttributeError, KeyError):
            from boltzgym.models.registry import MODELS
            from boltzgym.utils.imports import import_object

            return {f.name for f in fields(import_object(MODELS[args.model].config))}
    return None


class CommandLine:
    """Builds and checks the argument list of each trial for one subcommand and its base arguments."""

    def __init__(self, target: list[str]) -> None:
        from boltzgym.scripts.cli import build_parser

        if not target:
            raise UsageError(f"a COMMAND to sweep is required: one of {', '.join(SWEEPABLE)}")
        if target[0] not in SWEEPABLE:
            raise UsageError(f"COMMAND must be one of {', '.join(SWEEPABLE)}, got {target[0]!r}")
        for token in target:
            if token.split("=", 1)[0] in _RESERVED:
                raise UsageError(f"{token.split('=', 1)[0]} belongs to the sweep (use --seeds for seeds), "
                                 "not to COMMAND's arguments")  # fmt: skip
        self.command, self.base = target[0], list(target[1:])
        self.parser = build_parser()
        self.subparser = self.parser._subparsers._group_actions[0].choices[self.command]
        self.options = _option_names(self.subparser)

    def argv(self, params: dict, seed: int, out_dir: Path) -> list[str]:
        """The full ``boltzgym`` argument list of a trial."""
        argv = [self.command, *self.base]
        for key, value in params.items():
            option = "--" + key.replace("_", "-")
            text = str(value).lower() if isinstance(value, bool) else str(value)
            if option in self.options or "--" + key in self.options:
                argv += [option if option in self.options else "--" + key, text]
            else:
                argv += ["--set", f"{key}={text}"]
        return argv + ["--seed", str(seed), "--out", str(out_dir), "--json", "--no-progress"]

    def parse(self, argv: list[str]) -> argparse.Namespace:
        """Parse a trial's arguments as the CLI would; an error is a ``UsageError`` naming what is wrong."""
        errors = io.StringIO()
        try:
            with contextlib.redirect_stderr(errors):
                return self.parser.parse_args(argv)
        except SystemExit:
            message = errors.getvalue().strip().splitlines()
            raise UsageError(f"COMMAND arguments rejected: {message[-1] if message else ' '.join(argv)}") from None

    def check(self, keys: list[str], example_argv: list[str]) -> None:
        """Refuse keys that are neither an option nor a hyperparameter of the command, before anything runs."""
        set_keys = [k for k in keys if "--" + k.replace("_", "-") not in self.options and "--" + k not in self.options]
        if set_keys and "--set" not in self.options:
            raise UsageError(f"--grid/--random key {set_keys[0]!r} is not an option of 'boltzgym {self.command}'")
        args = self.parse(example_argv)
        if not set_keys:
            return
        known = _settable_keys(self.command, args)
        unknown = [k for k in set_keys if known is not None and k not in known]
        if unknown:
            raise UsageError(
                f"--grid/--random key {unknown[0]!r} is neither an option nor a hyperparameter of "
                f"'boltzgym {' '.join([self.command, *self.base[:1]])}' (hyperparameters: {', '.join(sorted(known))})"
            )


def check_trial(command: CommandLine, argv: list[str]) -> None:
    """Run a trial's command up to its run folder (:func:`~boltzgym.scripts._common.checks_only`): an unknown model
    or env, or a value the command refuses, is a ``UsageError`` naming the trial's arguments, before Ray starts."""
    from boltzgym.scripts._common import ChecksPassed, checks_only

    args = command.parse(argv)
    try:
        with checks_only(), contextlib.redirect_stdout(io.StringIO()):
            args.handler(args)
    except ChecksPassed:
        return
    except (ValueError, TypeError, FileNotFoundError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        shown = " ".join(argv[: argv.index("--seed")] if "--seed" in argv else argv)
        raise UsageError(f"COMMAND 'boltzgym {shown}' is refused: {message}") from None


def run_trial(command: CommandLine, trial: Trial, out_dir: Path) -> dict:
    """Run one trial in this process: parse its command line and call the subcommand's handler."""
    args = command.parse(command.argv(trial.params, trial.seed, out_dir))
    with contextlib.redirect_stdout(io.StringIO()):
        return args.handler(args)
