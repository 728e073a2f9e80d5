"""``boltzgym sweep COMMAND ... --grid key=v1,v2 --seeds 0,1,2``: a search space x seeds as Ray Tune trials.

Every trial runs one sweepable subcommand (``train``, ``fit``, ``anneal``, ``rbm``, ``bandit``) in-process, in a Ray
worker, through the same parser and handler as the command line, with the trial's parameters and seed and its own
run folder: a trial's result is exactly what ``boltzgym COMMAND ... --seed S`` gives (the library is deterministic;
Ray only decides where and when a trial runs). A grid key is the subcommand's option (``total_timesteps`` ->
``--total-timesteps``) or, where the subcommand has ``--set``, one of its hyperparameters (``learning_rate`` ->
``--set learning_rate=...``); every trial's command line is parsed and every key checked before anything runs.

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
import json
import logging
import math
import os
import signal
import sys
import time
from pathlib import Path

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
from boltzgym.scripts.sweep_trials import (
    SWEEPABLE,
    CommandLine,
    Trial,
    check_trial,
    expand_trials,
    parse_grid,
    parse_random,
    run_trial,
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
    "boltzgym sweep train q-learning --env FrozenLake-v1 --total-timesteps 20000 --grid learning_rate=0.05,0.1,0.5 "
    "--seeds 0,1,2",
    "boltzgym sweep anneal --problem lattice2d --n 256 --num-reads 8 --grid num_sweeps=100,1000 --seeds 0,1 "
    "--metric mean_energy_per_spin --mode min",
    "boltzgym sweep train dqn --env CartPole-v1 --total-timesteps 20000 --random learning_rate=loguniform(1e-4,3e-3) "
    "--samples 4 --seeds 0,1 --scheduler asha --metric train_mean_return",
    "boltzgym sweep fit mlp --data digits --epochs 20 --grid lr=1e-4,1e-3,1e-2 --scheduler asha --metric val_loss "
    "--mode min",
    "boltzgym sweep train sarsa --env CliffWalking-v1 --total-timesteps 50000 --grid learning_rate=0.1,0.5 "
    "--address auto",
]

# The metric a command is judged by when --metric is not given, and whether higher is better.
DEFAULT_METRIC = {
    "train": ("eval_mean_return", "max"),
    "fit": ("test_loss", "min"),
    "anneal": ("mean_energy_per_spin", "min"),
    "rbm": ("final_log_likelihood", "max"),
}


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
    parser.add_argument(
        "--search", choices=("grid", "optuna"), default=default,
        help="grid: the grid x --samples random draws (default); optuna: --samples configurations proposed by "
        "Optuna's TPE over the same space, each run on every seed",
    )  # fmt: skip
    parser.add_argument("--address", default=default, help="join a Ray cluster: auto or HOST:PORT")
    parser.add_argument("--resume", action="store_true", default=default, help="resume the sweep in --out")
    parser.add_argument("--out", type=Path, default=default, help="output folder (default: runs/sweep-<timestamp>)")
    parser.add_argument("--json", action="store_true", default=default, help="print exactly one JSON object")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=default, help="progress")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", nargs=argparse.REMAINDER, metavar="COMMAND ...", help=f"one of {SWEEPABLE}")
    _sweep_options(parser)


def _limit_threads(threads: int) -> None:
    """Give a trial's numeric libraries the CPUs Ray gave the trial (not every core of the node)."""
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    os.environ["OMP_NUM_THREADS"] = str(threads)  # read by torch when a trial first imports it
    if "torch" in sys.modules:  # importing torch here would cost trials that never use it seconds
        sys.modules["torch"].set_num_threads(threads)


def _tune_trainable(config: dict, target: list[str], root: str, cwd: str, threads: int, seeds: list[int]) -> None:
    """The Ray Tune function trainable: one trial, reporting each epoch (via ``report``) and the final summary.

    A grid/random trial (``config["trial"]``) runs one seed. An Optuna trial (``config`` = the proposed parameters)
    runs the configuration on every seed in turn and reports the metrics' mean, with each seed's as
    ``seed<S>/<key>``.
    """
    from ray import tune

    os.chdir(cwd)  # relative paths in COMMAND's arguments mean what they mean on the command line
    _limit_threads(threads)
    command = CommandLine(target)
    if "trial" in config:
        trials = [Trial(**config["trial"])]
    else:
        label = f"optuna-{tune.get_context().get_trial_id()}"
        trials = [Trial(index=0, params=dict(config), seed=seed, label=label) for seed in seeds]
    per_seed = []
    last_report: dict[str, float] = {}

    def forward(metrics: dict[str, float]) -> None:  # to Tune, remembering the last report for the final one
        last_report.update(metrics)
        tune.report(metrics)

    for trial in trials:
        start = time.perf_counter()
        finished = Path(root) / trial.name / "summary.json"
        if finished.is_file():  # it ended before an interruption that Tune's saved state missed: not run again
            summary = json.loads(finished.read_text(encoding="utf-8"))
            seconds = float(summary.get("seconds") or 0.0)
        else:
            with reporting_to(forward if len(trials) == 1 else (lambda metrics: None)):
                summary = run_trial(command, trial, Path(root) / trial.name)
            seconds = time.perf_counter() - start
        # the final result holds the summary and, under it, the trainer's last intermediate report (ASHA's metric)
        per_seed.append({**last_report, **numeric_items(summary), "trial_seconds": seconds})
    final = {key: float(np.mean([m[key] for m in per_seed])) for key in per_seed[0] if all(key in m for m in per_seed)}
    if len(trials) > 1:
        final.update({f"seed{t.seed}/{key}": value for t, m in zip(trials, per_seed) for key, value in m.items()})
    tune.report({**final, "trial_done": 1.0})


# --- results ---------------------------------------------------------------------------------------------------


def _trial_rows(results, trials: list[Trial] | None, metric: str, root: Path, seeds: list[int]) -> list[dict]:
    """One row per trial and seed (in trial order): parameters, seed, metric, seconds, status and error.

    ``trials`` is the expanded grid/random search; ``None`` for Optuna, whose trials are read off ``results``.
    """
    if trials is None:  # Optuna: each result is one configuration run on every seed
        found = []
        for index, result in enumerate(results):
            label, params = f"optuna-{(result.metrics or {}).get('trial_id', index)}", dict(result.config or {})
            found += [(Trial(index, params, seed, label), result, f"seed{seed}/") for seed in seeds]
    else:
        by_index = {int(r.config["trial"]["index"]): r for r in results if (r.config or {}).get("trial") is not None}
        found = [(trial, by_index.get(trial.index), "") for trial in trials]
    rows = []
    for trial, result, prefix in found:
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
        elif prefix + metric not in metrics:
            status = "no metric"
        else:
            status = "ok"
        message = str(error).strip().splitlines()[-1] if error is not None and str(error).strip() else ""
        rows.append({
            "trial": trial.name, **trial.params, "seed": trial.seed, metric: metrics.get(prefix + metric),
            "seconds": metrics.get(prefix + "trial_seconds"), "status": status, "error": message[:500],
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
    merged.search = merged.search or "grid"
    return merged


def _seed(text: str) -> int:
    if not str(text).isdigit():
        raise UsageError(f"--seeds expects comma-separated integers >= 0, got {text!r}")
    return int(text)


def _progress_callback(bar):
    """A Tune callback advancing ``bar`` as trials end (Ray is imported only when a sweep runs)."""
    from ray.tune import Callback

    class ProgressCallback(Callback):
        def on_trial_complete(self, iteration, trials, trial, **info):
            bar.update(1)

        on_trial_error = on_trial_complete

    return ProgressCallback()


def _intermediate_metrics(command: CommandLine) -> set[str]:
    """The metrics a command reports during training (``boltzgym.utils.reporting.report``), for ASHA."""
    if command.command == "fit":
        return {"train_loss", "val_loss", "val_accuracy"}
    if command.command == "train" and command.base[:1] == ["dqn"]:
        return {"train_mean_return"}
    if command.command == "rbm":
        return {"log_likelihood"}
    return set()


def metric_keys(command: CommandLine, args: argparse.Namespace) -> set[str] | None:
    """The summary keys (dots for nested ones) that ``--metric`` may name for this command, where they are known
    before running (``None``: not known, any key is accepted)."""
    reported = {*_intermediate_metrics(command), "trial_seconds"}
    if command.command == "train":
        from boltzgym.experiments.agent_training import SUMMARY_KEYS

        return {*SUMMARY_KEYS, *reported}
    if command.command in ("fit", "rbm"):
        from boltzgym.experiments.fitting import OPTIONAL_SUMMARY_KEYS, SUMMARY_KEYS

        return {*SUMMARY_KEYS, *OPTIONAL_SUMMARY_KEYS, *reported}
    if command.command == "anneal":
        return {"n", "num_sweeps", "num_reads", "best_energy_per_spin", "mean_energy_per_spin", "seconds",
                "attempts_per_second", "best_cut", "seed", *reported}  # fmt: skip
    if command.command == "bandit":
        from boltzgym.experiments.bandits import DEFAULT_POLICIES

        policies = args.policies or DEFAULT_POLICIES[args.kind]
        per_policy = ("final_regret_mean", "final_regret_stderr")
        return {"horizon", "runs", "seed", *reported, *(f"policies.{p}.{key}" for p in policies for key in per_policy)}
    return None


def _optuna_space(grid: dict, random_space: dict, metric: str, mode: str, seed: int):
    """Tune's search space for Optuna (grid keys become categorical) and the seeded Optuna searcher."""
    from ray import tune
    from ray.tune.search.optuna import OptunaSearch

    distributions = {"uniform": tune.uniform, "loguniform": tune.loguniform, "randint": tune.randint}
    space = {key: tune.choice(values) for key, values in grid.items()}
    for key, (kind, args) in random_space.items():
        space[key] = tune.choice(args) if kind == "choice" else distributions[kind](*args)
    return space, OptunaSearch(metric=metric, mode=mode, seed=seed)


SPACE_FILE = "sweep.json"  # what a sweep's results mean: COMMAND, search space, seeds, metric (checked on resume)


def _check_same_sweep(args: argparse.Namespace, out_dir: Path, space: dict) -> None:
    """Save the sweep's definition in ``OUT/sweep.json``; on ``--resume`` refuse one that differs from it (another
    ``--grid`` would file the old trials' results under the new values), naming the option and both values."""
    from boltzgym.utils.io import atomic_write_json, read_json

    path = out_dir / SPACE_FILE
    space = json.loads(json.dumps(space))  # as it reads back (tuples as lists)
    if args.resume and path.is_file():
        saved = read_json(path, "sweep definition")
        for option in space:
            if saved.get(option) != space[option]:
                raise UsageError(
                    f"--resume: the sweep in {str(out_dir)!r} was started with {option} {saved.get(option)!r}, not "
                    f"{space[option]!r}; resume it with the same {option}, or start a new sweep with another --out"
                )
        return
    if args.resume and (out_dir / "tune" / "sweep").is_dir():
        raise UsageError(f"--resume: {str(out_dir)!r} holds a sweep without {SPACE_FILE} (its definition cannot be "
                         "checked); start a new sweep with another --out")  # fmt: skip
    atomic_write_json(path, space)


def run_sweep(args: argparse.Namespace, out_dir: Path) -> tuple[dict, str]:
    """Run the sweep described by the parsed options; returns ``(summary, table)``."""
    from boltzgym.scripts._common import progress_bar
    from boltzgym.utils.distributed import ray_session, require_ray, usable_cpus

    command = CommandLine(args.target)
    metric, mode = args.metric, args.mode
    if metric is None and args.scheduler == "asha" and command.command == "rbm":
        metric = "log_likelihood"  # what the RBM reports at each evaluation (the summary's is final_log_likelihood)
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
    checked: set[str] = set()
    for trial in trials:  # every trial's command line is valid, and passes the command's own checks, before Ray
        argv = command.argv(trial.params, trial.seed, root / trial.name)
        command.parse(argv)
        if repr(trial.params) not in checked:  # the seeds of one configuration pass or fail together
            checked.add(repr(trial.params))
            check_trial(command, argv)
    known = metric_keys(command, command.parse(command.argv(trials[0].params, trials[0].seed, root)))
    if known is not None and metric not in known:
        raise UsageError(
            f"--metric {metric!r} is not a key of 'boltzgym {command.command}''s summary; one of: "
            f"{', '.join(sorted(known))}"
        )
    try:
        require_ray("boltzgym sweep")
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    if args.scheduler == "asha":
        reported = _intermediate_metrics(command)
        if metric not in reported:
            raise UsageError(
                f"--scheduler asha stops trials on metrics reported during training; 'boltzgym "
                f"{' '.join(args.target[:2])}' reports {sorted(reported) or 'none'}, not --metric {metric!r}"
            )
    if args.search == "optuna":
        try:
            import optuna  # noqa: F401
        except ImportError:
            raise UsageError("--search optuna needs Optuna: pip install optuna") from None
        if not keys:
            raise UsageError("--search optuna needs a search space (--grid or --random)")

    _check_same_sweep(  # the last check: it writes sweep.json
args, out_dir, {
        "COMMAND": " ".join(args.target), "--grid": grid, "--random": {k: list(v) for k, v in random_space.items()},
        "--seeds": args.seeds, "--samples": args.samples, "--sample-seed": args.sample_seed, "--metric": metric,
        "--mode": mode, "--search": args.search, "--scheduler": args.scheduler,
    })  # fmt: skip
    os.environ.setdefault("TUNE_DISABLE_STRICT_METRIC_CHECKING", "1")
    tick = time.perf_counter()
    with ray_session(args.address, None if args.address else usable_cpus(), what="boltzgym sweep") as ray:
        ray_start_seconds = time.perf_counter() - tick
        from ray import tune
        from ray.tune.schedulers import ASHAScheduler, FIFOScheduler

        trainable = tune.with_resources(
            tune.with_parameters(
                _tune_trainable,
                target=args.target,
                root=str(root),
                cwd=os.getcwd(),
                threads=args.cpus_per_trial,
                seeds=args.seeds,
            ),  # fmt: skip
            {"cpu": args.cpus_per_trial},
        )
        storage = (out_dir / "tune").resolve()
        n_runs = args.samples if args.search == "optuna" else len(trials)
        with progress_bar(total=n_runs, desc="trials", enabled=progress_enabled(args)) as bar:
            run_config = tune.RunConfig(
                name="sweep", storage_path=str(storage), verbose=0, callbacks=[_progress_callback(bar)]
            )
            if args.resume and (storage / "sweep").is_dir():
                tuner = tune.Tuner.restore(str(storage / "sweep"), trainable, resume_errored=False)
            else:
                scheduler = (
                    ASHAScheduler(time_attr="training_iteration", grace_period=1, reduction_factor=2, max_t=100_000)
                    if args.scheduler == "asha"
                    else FIFOScheduler()
                )
                param_space, search_alg, num_samples = (
                    {"trial": tune.grid_search([t.__dict__ for t in trials])},
                    None,
                    1,
                )
                if args.search == "optuna":
                    param_space, search_alg = _optuna_space(grid, random_space, metric, mode, args.sample_seed)
                    num_samples = args.samples
                tuner = tune.Tuner(
                    trainable,
                    param_space=param_space,
                    tune_config=tune.TuneConfig(
                        metric=metric,
                        mode=mode,
                        search_alg=search_alg,
                        num_samples=num_samples,
                        scheduler=scheduler,
                        max_concurrent_trials=args.max_concurrent,
                        reuse_actors=True,  # one worker process per CPU: imports and JIT caches load once
                    ),
                    run_config=run_config,
                )
            tune_logger = logging.getLogger("ray.tune")
            level = tune_logger.level
            tune_logger.setLevel(logging.CRITICAL)  # a failed trial's traceback goes to trials.csv, not the screen
            sigint = signal.getsignal(signal.SIGINT)  # Tune installs its own Ctrl-C handler and leaves it there
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    results = tuner.fit()
            finally:
                tune_logger.setLevel(level)
                signal.signal(signal.SIGINT, sigint)
        ray_version = ray.__version__
    seconds = time.perf_counter() - tick

    rows = _trial_rows(results, None if args.search == "optuna" else trials, metric, root, args.seeds)
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
        "n_trials": len(rows),
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
        table += f"\n\n{statuses.count('failed')} of {len(rows)} trial(s) failed; see trials.csv"
    return summary, table


def check_sweep_result(summary: dict, out_dir: Path) -> None:
    """Raise ``ValueError`` (exit 2) when no trial gave the metric although every trial ran: all failed, or none
    reported ``--metric``; the message says how many failed and gives the first error (trials.csv has each)."""
    rows = summary["trials"]
    if summary["n_ok"] or summary["n_not_run"] or not rows:
        return
    failed = [row for row in rows if row["status"] == "failed"]
    if failed:
        raise ValueError(
            f"every trial failed ({len(failed)} of {len(rows)}); the first: {failed[0]['error'] or 'no message'} "
            f"(each trial's error is in {out_dir}/trials.csv)"
        )
    raise ValueError(f"--metric {summary['metric']!r}: no trial reported it (see {out_dir}/trials.csv)")


def run(args: argparse.Namespace) -> dict:
    args = _options(args)
    out_dir = run_dir(args, "sweep", create=False)
    if (out_dir / "tune" / "sweep").is_dir() and not args.resume:
        raise UsageError(f"--out {str(out_dir)!r} holds a sweep already: add --resume to continue it")
    summary, table = run_sweep(args, out_dir)
    finish(args, out_dir, summary, table)
    if summary["n_not_run"]:  # Tune stops on Ctrl-C (and SIGTERM) with its state saved: say how to go on
        raise KeyboardInterrupt(
            f"sweep interrupted: {summary['n_trials'] - summary['n_not_run']} of {summary['n_trials']} trials ended; "
            f"continue with the same command and --out {out_dir} --resume (results so far in {out_dir}/)"
        )
    check_sweep_result(summary, out_dir)
    return summary
