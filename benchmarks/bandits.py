"""Vectorized bandit simulator vs the plain Python loop over the Gymnasium env: pulls per second and ratio.

Both run the same policy (UCB1 by default) with the same horizon on the same Bernoulli arms: the
simulator advances ``--runs`` runs at once on ``(runs, arms)`` arrays; the peer is the loop a user would
write, ``policy.select() -> env.step(arm) -> policy.update(...)`` over ``gym.make("boltzgym/BernoulliBandit-v0")``,
one run at a time (``--env-runs`` of them). Numba compilation is done (and timed) before the measurements.
Both computations run single-threaded. Mean final regrets are printed too, as a check that both did the
same work.

``--cli`` also times the command a user runs, ``boltzgym bandit`` with the same policy, means, runs, horizon and
seed, end to end in a fresh process (interpreter start, imports, numba's cache load, the simulation, the table,
``metrics.csv``, ``regret.png`` and the TensorBoard events, the last two written by the worker process that the
command starts), and compares it with the time the env loop takes for the same number of pulls (extrapolated from
its measured rate).

    python benchmarks/bandits.py                      # 1000 runs x 10^4 pulls vs 5 env runs x 10^4
    python benchmarks/bandits.py --policy kl-ucb --runs 200
    python benchmarks/bandits.py --cli                # the CLI, start-up included, against the env loop
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import boltzgym.envs  # noqa: F401  (registers the ids)
from boltzgym.agents.bandit_simulation import run_env_loop, simulate
from boltzgym.agents.bandits import POLICY_NAMES


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--policy", default="ucb1", choices=[n for n in POLICY_NAMES if n != "thompson-gaussian"])
    parser.add_argument("--arms", type=int, default=10)
    parser.add_argument("--horizon", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1000, help="runs of the vectorized simulator")
    parser.add_argument("--env-runs", type=int, default=5, help="runs of the plain env loop")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cli", action="store_true", help="also time `boltzgym bandit` end to end (fresh process)")
    parser.add_argument("--cli-repeats", type=int, default=5, help="runs of the CLI (the median is reported)")
    args = parser.parse_args(argv)
    if args.cli_repeats < 1:
        parser.error(f"--cli-repeats must be at least 1, got {args.cli_repeats}")

    means = np.linspace(0.9, 0.1, args.arms)
    start = time.perf_counter()
    simulate(args.policy, means, horizon=20, runs=2, seed=args.seed)  # compiles (or loads) the kernels
    warmup = time.perf_counter() - start

    start = time.perf_counter()
    result = simulate(args.policy, means, horizon=args.horizon, runs=args.runs, seed=args.seed)
    simulator_seconds = time.perf_counter() - start
    simulator_rate = args.runs * args.horizon / simulator_seconds

    env = gym.make("boltzgym/BernoulliBandit-v0", means=means, max_episode_steps=args.horizon)
    start = time.perf_counter()
    env_final = [run_env_loop(args.policy, env, args.horizon, seed=args.seed + i)[-1] for i in range(args.env_runs)]
    env_seconds = time.perf_counter() - start
    env_rate = args.env_runs * args.horizon / env_seconds

    print(f"policy {args.policy}, {args.arms} Bernoulli arms, horizon {args.horizon}; kernel warm-up {warmup:.2f} s")
    print(
        f"vectorized simulator: {args.runs} runs in {simulator_seconds:.2f} s = {simulator_rate:,.0f} pulls/s "
        f"(mean final regret {result.final_regret_mean:.1f} +- {result.final_regret_stderr:.1f})"
    )
    print(
        f"plain env loop:       {args.env_runs} runs in {env_seconds:.2f} s = {env_rate:,.0f} pulls/s "
        f"(mean final regret {np.mean(env_final):.1f})"
    )
    print(f"ratio simulator / env loop: {simulator_rate / env_rate:.0f}x")
    results = {"simulator_pulls_per_s": simulator_rate, "env_pulls_per_s": env_rate, "ratio": simulator_rate / env_rate}
    if args.cli:
        results.update(time_cli(args, means, env_rate))
    return results


def time_cli(args, means: np.ndarray, env_rate: float) -> dict:
    """Wall-clock seconds of ``boltzgym bandit`` in fresh processes, against the env loop on the same pulls."""
    executable = shutil.which("boltzgym", path=str(Path(sys.executable).parent))
    command = [executable] if executable else [sys.executable, "-m", "boltzgym.scripts.cli"]
    with tempfile.TemporaryDirectory() as folder:
        command += [
            "bandit", "--policies", args.policy, "--means", ",".join(f"{m!r}" for m in means.tolist()),
            "--runs", str(args.runs), "--horizon", str(args.horizon), "--seed", str(args.seed),
            "--out", str(Path(folder) / "run"), "--overwrite", "--json", "--no-progress",
        ]  # fmt: skip
        walls = []
        for _ in range(args.cli_repeats):
            start = time.perf_counter()
            finished = subprocess.run(command, check=True, capture_output=True, text=True)
            walls.append(time.perf_counter() - start)
    wall = statistics.median(walls)
    env_seconds = args.runs * args.horizon / env_rate
    regret = json.loads(finished.stdout)["policies"][args.policy]
    print(
        f"boltzgym bandit CLI, fresh process, everything included: median {wall:.2f} s of {len(walls)} "
        f"({min(walls):.2f}-{max(walls):.2f}); the env loop would take {env_seconds:.0f} s for the same "
        f"{args.runs * args.horizon:,} pulls: ratio {env_seconds / wall:.0f}x (its mean final regret "
        f"{regret['final_regret_mean']:.1f} +- {regret['final_regret_stderr']:.1f})"
    )
    return {"cli_seconds": wall, "cli_ratio": env_seconds / wall}


if __name__ == "__main__":
    main()
