"""Our DQN (the CartPole-v1 preset of ``boltzgym train dqn``) against Stable-Baselines3's DQN (rl-baselines3-zoo's
tuned CartPole-v1 settings).

Per seed, both agents train for ``--steps`` environment steps on CartPole-v1 with one torch thread, then
their greedy policies play the same ``--eval-episodes`` seeded episodes (reset seeds 10_000 + seed + i, run
side by side by ``run_episodes_batched``). Prints per-seed returns, training wall-clock and CPU seconds
(``time.process_time``, this process only: steadier than the wall-clock on a busy machine), the solve rate (mean
return >= 475, the env's reward threshold) per block of 10 seeds, the mean and minimum return, the ratios ours / SB3
of the mean wall-clock and of the mean CPU time (with the median of the per-seed ratios) and the load average. The
two agents run alternately, seed by seed, so that a busy machine slows both alike; ``--repeats R`` trains each
agent R times per seed (alternately) and keeps its run with the best wall-clock, which filters out the host's slow
spells (the repeats must learn the same weights: checked).

Our preset evaluates its greedy policy during training (``eval_freq``, ``eval_episodes``: reset seeds of their own,
never 10_000 + seed + i) and keeps the best evaluated weights; that time is inside our wall-clock, and the
evaluation episodes and steps are printed (``eval eps``, ``eval steps``) beside the step at which the kept weights
were evaluated (``best at``). ``--no-peer`` skips SB3 (solve rates only: no ratio is printed then); ``--set KEY=VALUE``
(repeatable, JSON values) overrides a field of our preset, e.g. ``--set gradient_steps=32 --set batch_size=256``
(half the updates: the speed-up that issue 24 tried and rejected, seeds 36-38 unsolved).

    python benchmarks/dqn_cartpole.py                      # seeds 0..4, 5e4 steps (several minutes)
    python benchmarks/dqn_cartpole.py --seeds 10-29 --no-peer
    python benchmarks/dqn_cartpole.py --seeds 0 --steps 20000

Needs the bench extra: ``pip install -e ".[dev,bench]"``.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import gymnasium as gym
import numpy as np
import torch

from boltzgym.agents.batched_evaluation import run_episodes_batched
from boltzgym.agents.dqn import DQN
from boltzgym.experiments.dqn_training import dqn_preset

ENV_ID = "CartPole-v1"
SOLVED = 475.0

# rl-baselines3-zoo hyperparams/dqn.yml, CartPole-v1 (as listed in issue 6).
SB3_ZOO = {
    "learning_rate": 2.3e-3,
    "batch_size": 64,
    "buffer_size": 100_000,
    "learning_starts": 1000,
    "gamma": 0.99,
    "target_update_interval": 10,
    "train_freq": 256,
    "gradient_steps": 128,
    "exploration_fraction": 0.16,
    "exploration_final_eps": 0.04,
    "policy_kwargs": {"net_arch": [256, 256]},
}


def train_ours(seed: int, steps: int, overrides: dict | None = None):
    agent = DQN(ENV_ID, seed=seed, **{**dqn_preset(ENV_ID), **(overrides or {})})
    return agent, *_timed_learn(agent, steps)


def train_sb3(seed: int, steps: int):
    from stable_baselines3 import DQN as SB3DQN

    agent = SB3DQN("MlpPolicy", gym.make(ENV_ID), seed=seed, device="cpu", verbose=0, **SB3_ZOO)
    return agent, *_timed_learn(agent, steps)


def _timed_learn(agent, steps: int) -> tuple[float, float]:
    """Train ``agent`` for ``steps`` steps; its wall-clock and CPU seconds (``time.process_time``: this process only,
    so less sensitive than the wall-clock to other work on a busy machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    agent.learn(steps)
    return time.perf_counter() - wall, time.process_time() - cpu


def _weights(module) -> dict:
    """A copy of ``module``'s state, to check that the repeats of a seed learn the same weights."""
    return {key: value.detach().clone() for key, value in module.state_dict().items()}


def _same_runs(runs: list, who: str) -> bool:
    """Whether every repeat ``(times, weights)`` learned the first one's weights (a warning if not: then the repeats
    are not one run)."""
    first = runs[0][1]
    same = all(all(torch.equal(weights[key], value) for key, value in first.items()) for _, weights in runs[1:])
    if not same:
        print(f"warning: {who}'s repeats learned different weights", flush=True)
    return same


def evaluate(agent, seed: int, episodes: int) -> float:
    return float(run_episodes_batched(agent, lambda: gym.make(ENV_ID), episodes, seed=10_000 + seed).mean())


def parse_seeds(text: str) -> list[int]:
    """``"0,3,10-19"`` -> ``[0, 3, 10, 11, ..., 19]``."""
    seeds: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if "-" in part:
            first, last = (int(v) for v in part.split("-"))
            seeds.extend(range(first, last + 1))
        elif part:
            seeds.append(int(part))
    return seeds


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0-4", help="comma-separated seeds and ranges A-B (default 0-4)")
    parser.add_argument("--steps", type=int, default=50_000, help="training steps per run (default 5e4)")
    parser.add_argument("--eval-episodes", type=int, default=100, help="greedy evaluation episodes (default 100)")
    parser.add_argument("--no-peer", action="store_true", help="skip SB3 (solve rates only, no wall-clock ratio)")
    parser.add_argument(
        "--repeats", type=int, default=1, help="train each agent this many times per seed, alternately, and keep "
        "the run with the best wall-clock (the least slowed by the host; repeats must learn the same weights: checked, "
        "with a warning if not) (default 1)"
    )  # fmt: skip
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a field of our preset (JSON value)"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    overrides = {key: json.loads(value) for key, value in (item.split("=", 1) for item in args.set)}
    seeds = parse_seeds(args.seeds)
    torch.set_num_threads(1)

    rows = []
    header = (
        f"{'seed':>4}  {'ours return':>11}  {'ours s':>7}  {'ours cpu':>8}  {'best at':>7}  {'eval eps':>8}  "
        f"{'eval steps':>10}"
    )
    print(header + ("" if args.no_peer else f"  {'SB3 return':>10}  {'SB3 s':>7}  {'SB3 cpu':>7}"), flush=True)
    for seed in seeds:
        ours_runs, sb3_runs = [], []
        for _ in range(args.repeats):  # alternately, so that a slow spell of the host slows both alike
            ours, *times = train_ours(seed, args.steps, overrides)
            ours_runs.append((times, _weights(ours.q_net)))
            if not args.no_peer:
                sb3, *times = train_sb3(seed, args.steps)
                sb3_runs.append((times, _weights(sb3.policy)))
        same_weights = _same_runs(ours_runs, "ours")
        if not args.no_peer:
            same_weights &= _same_runs(sb3_runs, "sb3")
        ours_seconds, ours_cpu = min(times for times, _ in ours_runs)  # the run with the best wall-clock
        row = {
            "seed": seed,
            "ours_return": evaluate(ours, seed, args.eval_episodes),
            "ours_seconds": ours_seconds,
            "ours_cpu_seconds": ours_cpu,
            "ours_best_at": ours.best_eval_timesteps,
            "ours_eval_episodes": ours.eval_episodes_played,
            "ours_eval_timesteps": ours.eval_timesteps,
            "repeats_learned_the_same_weights": same_weights,
        }
        line = (
            f"{seed:>4}  {row['ours_return']:>11.1f}  {ours_seconds:>7.1f}  {ours_cpu:>8.1f}  "
            f"{str(row['ours_best_at']):>7}  {row['ours_eval_episodes']:>8}  {row['ours_eval_timesteps']:>10}"
        )
        if not args.no_peer:
            sb3_seconds, sb3_cpu = min(times for times, _ in sb3_runs)
            row.update(
                sb3_return=evaluate(sb3, seed, args.eval_episodes), sb3_seconds=sb3_seconds, sb3_cpu_seconds=sb3_cpu
            )
            line += f"  {row['sb3_return']:>10.1f}  {sb3_seconds:>7.1f}  {sb3_cpu:>7.1f}"
        rows.append(row)
        print(line, flush=True)

    summary = {
        "env": ENV_ID,
        "steps": args.steps,
        "eval_episodes": args.eval_episodes,
        "overrides": overrides,
        "repeats": args.repeats,
        "runs": rows,
    }
    for who in ("ours",) if args.no_peer else ("ours", "sb3"):
        returns = np.array([r[f"{who}_return"] for r in rows])
        blocks = {}
        for r in rows:
            block = f"{r['seed'] // 10 * 10}-{r['seed'] // 10 * 10 + 9}"
            solved, total = blocks.get(block, (0, 0))
            blocks[block] = (solved + int(r[f"{who}_return"] >= SOLVED), total + 1)
        summary[f"{who}_solved"] = int((returns >= SOLVED).sum())
        summary[f"{who}_solved_per_block"] = blocks
        summary[f"{who}_mean_return"] = float(returns.mean())
        summary[f"{who}_min_return"] = float(returns.min())
        per_block = ", ".join(f"seeds {b}: {s}/{t}" for b, (s, t) in blocks.items())
        print(
            f"{who}: solved (mean >= {SOLVED:g}) {summary[f'{who}_solved']}/{len(rows)} ({per_block}); "
            f"greedy means: mean {returns.mean():.1f}, min {returns.min():.1f}"
        )
    if not args.no_peer:
        for clock, key in (("wall-clock", "seconds"), ("CPU time", "cpu_seconds")):
            ours_time = float(np.mean([r[f"ours_{key}"] for r in rows]))
            sb3_time = float(np.mean([r[f"sb3_{key}"] for r in rows]))
            # the seed-by-seed ratios' median: each pair ran back to back, under much the same load
            median = float(np.median([r[f"ours_{key}"] / r[f"sb3_{key}"] for r in rows]))
            name = "wall_clock" if key == "seconds" else "cpu_time"
            summary.update({f"ours_mean_{key}": ours_time, f"sb3_mean_{key}": sb3_time,
                            f"{name}_ratio_ours_over_sb3": ours_time / sb3_time,
                            f"{name}_median_seed_ratio": median})  # fmt: skip
            print(
                f"mean training {clock}: ours {ours_time:.1f} s, SB3 {sb3_time:.1f} s, "
                f"ratio ours/SB3 {ours_time / sb3_time:.2f} (median of the per-seed ratios {median:.2f})"
            )
        if hasattr(os, "getloadavg"):
            summary["load_average"] = os.getloadavg()
            print("load average (1, 5, 15 min): " + ", ".join(f"{v:.1f}" for v in summary["load_average"]))
    if args.json:
        from boltzgym.utils.io import atomic_write_json

        atomic_write_json(args.json, summary)
    return summary


if __name__ == "__main__":
    main()
