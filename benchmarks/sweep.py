"""Sweeps on Ray against a plain serial loop over the same trials, on this machine's cores.

Two sweeps of 8 trials each: tabular Q-learning on FrozenLake 8x8 (4 learning rates x 2 seeds) and short DQN runs
on CartPole (2 learning rates x 2 target-update settings x 2 seeds). The serial loop runs each trial in this
process, one after the other, through the same in-process command line as a sweep trial (so both compute the
same thing; the metrics are compared). The Ray sweep runs them as Tune trials, one CPU each. Ray's start-up (a
fixed cost per sweep) is reported separately, and the speed-up is given with and without it.

A third part times ``anneal(..., engine="ray")`` against the local threaded run on the same instance, seed and
read count (a large one): the wall time of each call as a user sees it, Ray's start-up apart, and checks that
the final states are identical.

    python benchmarks/sweep.py [--tabular-steps 80000000] [--dqn-steps 4000] [--skip-dqn] [--anneal-reads 512]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
import time
from pathlib import Path

from boltzgym.scripts import cli
from boltzgym.scripts.sweep_trials import CommandLine, expand_trials, parse_grid, run_trial
from boltzgym.utils.distributed import usable_cpus


def serial(target: list[str], grid: dict, seeds: list[int], root: Path) -> tuple[float, list[float], str]:
    """Run every trial one after the other in this process; returns (seconds, metric per trial, metric)."""
    command = CommandLine(target)
    trials = expand_trials(grid, {}, seeds, samples=1, sample_seed=0)
    metric = "eval_mean_return"
    tick = time.perf_counter()
    values = [run_trial(command, trial, root / trial.name)[metric] for trial in trials]
    return time.perf_counter() - tick, values, metric


def on_ray(target: list[str], grid_items: list[str], seeds: list[int], out: Path) -> dict:
    argv = ["sweep", *target, *sum((["--grid", g] for g in grid_items), [])]
    argv += ["--seeds", ",".join(map(str, seeds)), "--out", str(out), "--json", "--no-progress"]
    buffer = io.StringIO()
    tick = time.perf_counter()
    with contextlib.redirect_stdout(buffer):
        status = cli.main(argv)
    seconds = time.perf_counter() - tick
    if status != 0:
        raise SystemExit(f"sweep failed with status {status}")
    summary = json.loads(buffer.getvalue())
    summary["wall_seconds"] = seconds
    return summary


def compare(name: str, target: list[str], grid_items: list[str], seeds: list[int], work: Path) -> None:
    grid = parse_grid(grid_items)
    # warm-up: compile/load the numba kernels and torch in this process, so the serial loop is timed warm
    warm = CommandLine(target)
    run_trial(warm, expand_trials(grid, {}, seeds[:1], 1, 0)[0], work / f"{name}-warmup")
    serial_seconds, serial_values, metric = serial(target, grid, seeds, work / f"{name}-serial")
    summary = on_ray(target, grid_items, seeds, work / f"{name}-ray")
    ray_values = [row[metric] for row in summary["trials"]]
    start = summary["ray_start_seconds"]
    sweep_seconds = summary["wall_seconds"]
    print(f"\n{name}: {summary['n_trials']} trials, {usable_cpus()} cores, Ray {summary['ray_version']}")
    print(f"  serial loop           {serial_seconds:8.2f} s")
    print(f"  Ray sweep (all)       {sweep_seconds:8.2f} s   speed-up {serial_seconds / sweep_seconds:5.2f}x")
    print(f"  Ray start-up          {start:8.2f} s")
    net = sweep_seconds - start
    print(f"  Ray sweep less start  {net:8.2f} s   speed-up {serial_seconds / net:5.2f}x")
    same = ray_values == serial_values
    print(f"  same {metric} per trial as the serial loop: {same}")
    if not same:
        raise SystemExit(f"{name}: the Ray trials differ from the serial loop: {ray_values} vs {serial_values}")


def compare_anneal(reads: int, sweeps: int) -> None:
    import numpy as np

    from boltzgym.sims import anneal, lattice_spin_glass
    from boltzgym.utils.distributed import ray_session

    model = lattice_spin_glass(64, seed=0)
    anneal(model, num_sweeps=2, num_reads=reads, seed=1, parallel=True)  # compile/load the kernel
    tick = time.perf_counter()
    local = anneal(model, num_sweeps=sweeps, num_reads=reads, seed=1, parallel=True)
    local_seconds = time.perf_counter() - tick
    tick = time.perf_counter()
    with ray_session() as _:
        start = time.perf_counter() - tick
        anneal(model, num_sweeps=2, num_reads=reads, seed=1, engine="ray")  # workers load the kernel once
        tick = time.perf_counter()
        remote = anneal(model, num_sweeps=sweeps, num_reads=reads, seed=1, engine="ray")
        ray_seconds = time.perf_counter() - tick
    same = np.array_equal(local.states, remote.states)
    print(f"\nanneal: 2D +-J L=64, {sweeps} sweeps, {reads} reads, {usable_cpus()} cores")
    print(
        f"  local threaded run    {local_seconds:8.2f} s   ({local.n_attempts / local_seconds / 1e6:.0f} M attempts/s)"
    )
    print(f"  engine='ray'          {ray_seconds:8.2f} s   ratio to local {ray_seconds / local_seconds:5.2f}x")
    print(f"  Ray start-up          {start:8.2f} s   (once per session)")
    print(f"  identical final states: {same}")
    if not same:
        raise SystemExit("anneal: the Ray engine's states differ from the local run's")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tabular-steps", type=int, default=80_000_000)
    parser.add_argument("--dqn-steps", type=int, default=4000)
    parser.add_argument("--skip-dqn", action="store_true")
    parser.add_argument("--anneal-reads", type=int, default=512)
    parser.add_argument("--anneal-sweeps", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        tabular = ["train", "q-learning", "--env", "FrozenLake-v1", "--env-kwarg", "map_name=8x8"]
        tabular += ["--total-timesteps", str(args.tabular_steps), "--eval-episodes", "100"]
        compare("tabular", tabular, ["learning_rate=0.02,0.05,0.1,0.2"], [0, 1], work)
        if not args.skip_dqn:
            dqn = [
                "train",
                "dqn",
                "--env",
                "CartPole-v1",
                "--total-timesteps",
                str(args.dqn_steps),
                "--eval-episodes",
                "5",
            ]
            compare("dqn", dqn, ["learning_rate=0.001,0.002", "target_update_interval=10,100"], [0, 1], work)
    compare_anneal(args.anneal_reads, args.anneal_sweeps)


if __name__ == "__main__":
    main()
