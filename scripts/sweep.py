"""``boltzgym sweep COMMAND ... --grid key=v1,v2 --seeds 0,1,2``: a search space x seeds as Ray Tune trials.

Every trial runs one sweepable subcommand (``train``, ``fit``, ``anneal``, ``rbm``, ``bandit``) in-process, in a Ray
worker, through the same parser and handler as the command line, with the trial's parameters and seed and its own
run folder: a trial's result is exactly what ``boltzgym COMMAND ... --seed S`` gives (the library is deterministic;
Ray only decides where and when a trial runs). A grid key is the subcommand's option (``steps`` -> ``--steps``) or,
where the subcommand has ``--set``, one of its hyperparameters (``learning_rate`` -> ``--set learning_rate=...``);
every trial's command line is parsed and every key checked before anything runs.

Ray starts locally for the sweep (``num_cpus`` = this machine's usable cores, no dashboard) and shuts down at the
end; ``--address auto|HOST:PORT`` joins a running cluster instead. The search space is expanded here, with a seeded
generator for ``--random`` keys, so the same command gives the same trials; Tune runs them, at most
``--max-concurrent`` at a time, with ASHA early stopping (``--scheduler asha``) fed by the trainers' per-epoch
``boltzgym.utils.reporting.report`` calls. An interrupted sweep resumes with ``--resume`` (Tune's restore): finished
trials are not run again.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import math
import os
import re
import sys
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from boltzgym.scripts._common import (
    UsageError,
    finish,
    format_table,
    name_list,
    new_figure,
    positive_int,
    progress_enabled,
    run_dir,
    save_figure,
    write_metrics_csv,
)
from boltzgym.utils.reporting import numeric_items, reporting_to

HELP = "run a subcommand over a search space x seeds as Ray Tune trials (local Ray, or a cluster)"
DESCRIPTION = (
    "Run train/fit/anneal/rbm/bandit over a grid (and random draws) x seeds as Ray Tune trials, each in its own\n"
    "run folder; write trials.csv, summary.json (best parameters: mean and standard error over seeds) and a plot\n"
    "of the metric against each swept parameter. Ray starts locally unless --address joins a cluster:\n"
    "  ray start --head --port 6379 --num-cpus 8        # on the head node\n"
    "  ray start --address HEAD_IP:6379                 # on each worker node\n"
    "  boltzgym sweep ... --address HEAD_IP:6379        # on the head node (or --address auto there)\n"
    "Ray clusters use token authentication: set RAY_AUTH_TOKEN to the head's token (~/.ray/auth_token) on the\n"
    "machine that joins. Needs the 'distributed' extra: pip install 'boltzgym[distributed]'."
)
EXAMPLES = [
    "boltzgym sweep train q-learning --env FrozenLake-v1 --steps 20000 --grid learning_rate=0.05,0.1,0.5 --seeds 0,1,2",
    "boltzgym sweep anneal --problem lattice2d --n 256 --reads 8 --grid sweeps=100,1000 --seeds 0,1 "
    "--metric mean_energy_per_spin --mode min",
    "boltzgym sweep train dqn --env CartPole-v1 --steps 20000 --random learning_rate=loguniform(1e-4,3e-3) "
    "--samples 4 --seeds 0,1 --scheduler asha",
    "boltzgym sweep train sarsa --env CliffWalking-v1 --steps 50000 --grid learning_rate=0.1,0.5 --address auto",
]

SWEEPABLE = ("train", "fit", "anneal", "rbm", "bandit")
# The metric a command is judged by when --metric is not given, and whether higher is better.
DEFAULT_METRIC = {
    "train": ("eval_mean_return", "max"),
    "fit": ("test_loss", "min"),
    "anneal": ("mean_energy_per_spin", "min"),
    "rbm": ("log_likelihood", "max"),
}
# Options the sweep owns; inside COMMAND's arguments they are the sweep's, never the command's.
_RESERVED = ("--seed", "--out", "--json", "--progress", "--no-progress")
_DISTRIBUTIONS = ("uniform", "loguniform", "randint", "choice")


def _sweep_options(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    """The sweep's own options (added to the subparser for --help, and parsed again from COMMAND's arguments)."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--grid", action="append", default=default, metavar="KEY=V1,V2,...", help="grid values")
    parser.add_argument(
        "--random", action="append", default=default, metavar="KEY=DIST(...)",
        help="random values: uniform(a,b), loguniform(a,b), randint(a,b) (b excluded) or choice(v1,v2,...)",
    )  # fmt: skip
    parser.add_argument("--seeds", type=name_list, default=default, help="seeds of every configuration (default: 0)")
    parser.add_argument("--samples", type=positive_int, default=default, help="random draws per grid point (1)")
    parser.add_argument("--sample-seed", type=int, default=default, help="seed of the --random draws (default 0)")
    parser.add_argument("--metric", default=default, help="summary key to optimize (dots for nested keys)")
    parser.add_argument("--mode", choices=("max", "min"), default=default, help="maximize or minimize --metric")
    parser.add_argument("--max-concurrent", type=positive_int, default=default, help="trials at once")
    parser.add_argument("--cpus-per-trial", type=positive_int, default=default, help="CPUs per trial (default 1)")
    parser.add_argument("--scheduler", choices=("fifo", "asha"), default=default, help="trial scheduler")
    parser.add_argument("--address", default=default, help="join a Ray cluster: auto or HOST:PORT")
    parser.add_argument("--resume", action="store_true", default=default, help="resume the sweep in --out")
    parser.add_argument("--out", type=Path, default=default, help="output folder (default: runs/sweep-<timestamp>)")
    parser.add_argument("--json", action="store_true", default=default, help="print exactly one JSON object")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=default, help="progress")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", nargs=argparse.REMAINDER, metavar="COMMAND ...", help=f"one of {SWEEPABLE}")
    _sweep_options(parser)


# --- the search space ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trial:
    """One trial: its index, the swept parameters and the seed; ``name`` is its run folder's name."""

    index: int
    params: dict
    seed: int

    @property
    def name(self) -> str:
        return f"trial-{self.index:04d}-seed{self.seed}"


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
    """``["lr=0.1,0.5", "steps=100"]`` -> ``{"lr": [0.1, 0.5], "steps": [100]}``; errors name ``--grid``."""
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
        if args.agent == "dqn":
            from boltzgym.agents.dqn import DQNConfig

            return {f.name for f in fields(DQNConfig)}
        from boltzgym.agents.tabular import TabularConfig

        return {f.name for f in fields(TabularConfig)}
    if command == "fit":
        with contextlib.suppress(ImportError, AttributeError, KeyError):
            from boltzgym.models.registry import MODELS

            return {f.name for f in fields(MODELS[args.model].config_class)}
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


def run_trial(command: CommandLine, trial: Trial, out_dir: Path) -> dict:
    """Run one trial in this process: parse its command line and call the subcommand's handler."""
    args = command.parse(command.argv(trial.params, trial.seed, out_dir))
    with contextlib.redirect_stdout(io.StringIO()):
        return args.handler(args)


def _limit_threads(threads: int) -> None:
    """Give a trial's numeric libraries the CPUs Ray gave the trial (not every core of the node)."""
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    os.environ["OMP_NUM_THREADS"] = str(threads)  # read by torch when a trial first imports it
    if "torch" in sys.modules:  # importing torch here would cost trials that never use it seconds
        sys.modules["torch"].set_num_threads(threads)


def _tune_trainable(config: dict, target: list[str], root: str, cwd: str, threads: int) -> None:
    """The Ray Tune function trainable: one trial, reporting each epoch (via ``report``) and the final summary."""
    from ray import tune

    os.chdir(cwd)  # relative paths in COMMAND's arguments mean what they mean on the command line
    _limit_threads(threads)
    trial = Trial(**config["trial"])
    start = time.perf_counter()
    with reporting_to(tune.report):
        summary = run_trial(CommandLine(target), trial, Path(root) / trial.name)
    tune.report({**numeric_items(summary), "trial_seconds": time.perf_counter() - start, "trial_done": 1.0})


# --- results ---------------------------------------------------------------------------------------------------


def _trial_rows(results, trials: list[Trial], metric: str, root: Path) -> list[dict]:
    """One row per trial (in trial order): parameters, seed, metric, seconds, status and error."""
    by_index: dict[int, Any] = {}
    for result in results:
        config = (result.config or {}).get("trial")
        if config is not None:
            by_index[int(config["index"])] = result
    rows = []
    for trial in trials:
        result = by_index.get(trial.index)
        metrics = (result.metrics or {}) if result is not None else {}
        error = getattr(result, "error", None) if result is not None else None
        if result is None:
            status = "not run"
        elif error is not None:
            status = "failed"
        elif not metrics:
            status = "not run"
        elif metrics.get("trial_done") != 1.0:
            status = "stopped early"
        elif metric not in metrics:
            status = "no metric"
        else:
            status = "ok"
        message = str(error).strip().splitlines()[-1] if error is not None and str(error).strip() else ""
        rows.append({
            "trial": trial.name, **trial.params, "seed": trial.seed, metric: metrics.get(metric),
            "seconds": metrics.get("trial_seconds"), "status": status, "error": message[:500],
            "out": str(root / trial.name),
        })  # fmt: skip
    return rows


def _configurations(rows: list[dict], keys: list[str], metric: str, mode: str) -> list[dict]:
    """Mean and standard error of the metric over seeds for every configuration, best first."""
    groups: dict[tuple, list[float]] = {}
    for row in rows:
        key = tuple((k, row[k]) for k in keys)
        groups.setdefault(key, [])
        if row["status"] == "ok":
            groups[key].append(float(row[metric]))
    configurations = []
    for key, values in groups.items():
        n = len(values)
        mean = float(np.mean(values)) if n else None
        stderr = float(np.std(values, ddof=1) / math.sqrt(n)) if n > 1 else (0.0 if n else None)
        configurations.append({"params": dict(key), "metric_mean": mean, "metric_stderr": stderr, "n_seeds": n})
    sign = -1.0 if mode == "max" else 1.0
    return sorted(configurations, key=lambda c: math.inf if c["metric_mean"] is None else sign * c["metric_mean"])


def plot_sweep(configurations: list[dict], keys: list[str], metric: str, mode: str, path: Path) -> Path | None:
    """The metric (mean +- standard error over seeds) against each swept parameter, one panel each."""
    done = [c for c in configurations if c["metric_mean"] is not None]
    if not keys or not done:
        return None
    fig, axes = new_figure(1, len(keys), figsize=(4.2 * len(keys), 3.4), squeeze=False)
    for ax, key in zip(axes[0], keys):
        values = [c["params"][key] for c in done]
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        labels = sorted({str(v) for v in values}) if not numeric else None
        xs = values if numeric else [labels.index(str(v)) for v in values]
        ax.errorbar(xs, [c["metric_mean"] for c in done], yerr=[c["metric_stderr"] or 0.0 for c in done],
                    fmt="o", capsize=3, alpha=0.8)  # fmt: skip
        if numeric and min(values) > 0 and max(values) / min(values) > 100:
            ax.set_xscale("log")
        if labels is not None:
            ax.set_xticks(range(len(labels)), labels)
        ax.set_xlabel(key)
        ax.set_ylabel(f"{metric} ({mode})")
        ax.grid(True, alpha=0.3)
    axes[0][0].set_title(f"{len(done)} configurations, mean ± s.e. over seeds", fontsize=9, loc="left")
    return save_figure(fig, path)


# --- the command -----------------------------------------------------------------------------------------------


def _options(args: argparse.Namespace) -> argparse.Namespace:
    """Merge the sweep options given before COMMAND with those given among COMMAND's arguments."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    _sweep_options(parser, suppress=True)
    later, target = parser.parse_known_args(args.target or [])
    merged = argparse.Namespace(**vars(args))
    for key, value in vars(later).items():
        if key in ("grid", "random"):
            value = (getattr(args, key) or []) + value
        setattr(merged, key, value)
    merged.target = target
    merged.grid, merged.random = merged.grid or [], merged.random or []
    merged.seeds = [_seed(s) for s in (merged.seeds or ["0"])]
    merged.samples = merged.samples or 1
    merged.sample_seed = merged.sample_seed or 0
    merged.cpus_per_trial = merged.cpus_per_trial or 1
    merged.scheduler = merged.scheduler or "fifo"
    return merged


def _seed(text: str) -> int:
    if not str(text).isdigit():
        raise UsageError(f"--seeds expects comma-separated integers >= 0, got {text!r}")
    return int(text)


class _Progress:
    """A Tune callback that advances a progress bar as trials finish."""

    def __new__(cls, bar):
        from ray.tune import Callback

        class ProgressCallback(Callback):
            def on_trial_complete(self, iteration, trials, trial, **info):
                bar.update(1)

            def on_trial_error(self, iteration, trials, trial, **info):
                bar.update(1)

        return ProgressCallback()


def run_sweep(args: argparse.Namespace, out_dir: Path) -> tuple[dict, str]:
    """Run the sweep described by the parsed options; returns ``(summary, table)``."""
    from boltzgym.scripts._common import progress_bar
    from boltzgym.utils.distributed import ray_session, require_ray, usable_cpus

    command = CommandLine(args.target)
    metric, mode = args.metric, args.mode
    if metric is None:
        if command.command not in DEFAULT_METRIC:
            raise UsageError(f"--metric is required for 'boltzgym {command.command}' (a key of its summary.json)")
        metric, default_mode = DEFAULT_METRIC[command.command]
        mode = mode or default_mode
    mode = mode or "max"
    grid, random_space = parse_grid(args.grid), parse_random(args.random)
    both = set(grid) & set(random_space)
    if both:
        raise UsageError(f"{sorted(both)[0]!r} is given by both --grid and --random")
    trials = expand_trials(grid, random_space, args.seeds, args.samples, args.sample_seed)
    keys = [*grid, *random_space]
    root = (out_dir / "trials").resolve()
    command.check(keys, command.argv(trials[0].params, trials[0].seed, root / trials[0].name))
    for trial in trials:  # every trial's command line is valid before anything runs
        command.parse(command.argv(trial.params, trial.seed, root / trial.name))
    try:
        require_ray("boltzgym sweep")
    except ImportError as exc:
        raise UsageError(str(exc)) from None

    os.environ.setdefault("TUNE_DISABLE_STRICT_METRIC_CHECKING", "1")
    tick = time.perf_counter()
    with ray_session(args.address, None if args.address else usable_cpus(), what="boltzgym sweep") as ray:
        ray_start_seconds = time.perf_counter() - tick
        from ray import tune
        from ray.tune.schedulers import ASHAScheduler, FIFOScheduler

        trainable = tune.with_resources(
            tune.with_parameters(
                _tune_trainable, target=args.target, root=str(root), cwd=os.getcwd(), threads=args.cpus_per_trial
            ),  # fmt: skip
            {"cpu": args.cpus_per_trial},
        )
        storage = (out_dir / "tune").resolve()
        with progress_bar(total=len(trials), desc="trials", enabled=progress_enabled(args)) as bar:
            run_config = tune.RunConfig(name="sweep", storage_path=str(storage), verbose=0, callbacks=[_Progress(bar)])
            if args.resume and (storage / "sweep").is_dir():
                tuner = tune.Tuner.restore(str(storage / "sweep"), trainable, resume_errored=False)
            else:
                scheduler = (
                    ASHAScheduler(time_attr="training_iteration", grace_period=1, reduction_factor=2)
                    if args.scheduler == "asha"
                    else FIFOScheduler()
                )
                tuner = tune.Tuner(
                    trainable,
                    param_space={"trial": tune.grid_search([t.__dict__ for t in trials])},
                    tune_config=tune.TuneConfig(
                        metric=metric,
                        mode=mode,
                        scheduler=scheduler,
                        max_concurrent_trials=args.max_concurrent,
                        reuse_actors=True,  # one worker process per CPU: imports and JIT caches load once
                    ),
                    run_config=run_config,
                )
            with contextlib.redirect_stdout(io.StringIO()):
                results = tuner.fit()
        ray_version = ray.__version__
    seconds = time.perf_counter() - tick

    rows = _trial_rows(results, trials, metric, root)
    write_metrics_csv(out_dir / "trials.csv", rows)
    configurations = _configurations(rows, keys, metric, mode)
    plot_sweep(configurations, keys, metric, mode, out_dir / "sweep.png")
    best = configurations[0] if configurations and configurations[0]["metric_mean"] is not None else None
    statuses = [row["status"] for row in rows]
    summary = {
        "engine": "ray",
        "ray_version": ray_version,
        "command": " ".join(args.target),
        "address": args.address or "local",
        "metric": metric,
        "mode": mode,
        "n_trials": len(trials),
        "n_ok": statuses.count("ok"),
        "n_failed": statuses.count("failed"),
        "n_not_run": statuses.count("not run"),
        "best": best,
        "configurations": configurations,
        "trials": rows,
        "seconds": seconds,
        "ray_start_seconds": ray_start_seconds,
    }
    table_rows = [
        (", ".join(f"{k}={v}" for k, v in c["params"].items()) or "(defaults)", c["metric_mean"], c["metric_stderr"],
         c["n_seeds"])
        for c in configurations
    ]  # fmt: skip
    table = format_table(["configuration", f"{metric} mean", "s.e.", "seeds"], table_rows)
    if statuses.count("failed"):
        table += f"\n\n{statuses.count('failed')} trial(s) failed; see trials.csv"
    return summary, table


def run(args: argparse.Namespace) -> dict:
    args = _options(args)
    out_dir = run_dir(args, "sweep", create=False)
    if (out_dir / "tune" / "sweep").is_dir() and not args.resume:
        raise UsageError(f"--out {str(out_dir)!r} holds a sweep already: add --resume to continue it")
    summary, table = run_sweep(args, out_dir)
    finish(args, out_dir, summary, table)
    if summary["n_not_run"]:  # Tune stops on Ctrl-C with its state saved: say how to go on
        sys.stderr.write(
            f"sweep interrupted: {summary['n_trials'] - summary['n_not_run']} of {summary['n_trials']} trials ended; "
            f"continue with the same command and --resume (results so far in {out_dir}/)\n"
        )
        raise KeyboardInterrupt
    return summary
