"""Our DQN (our defaults) against Stable-Baselines3's DQN (rl-baselines3-zoo's tuned CartPole-v1 settings).

Per seed, both agents train for ``--steps`` environment steps on CartPole-v1 with one torch thread, then
their greedy policies play the same ``--eval-episodes`` seeded episodes (reset seeds 10_000 + seed + i, run
side by side by ``run_episodes_batched``). Prints per-seed returns and training wall-clock, the solve rate
(mean return >= 475, the env's reward threshold) and the wall-clock ratio ours / SB3. The two agents run
alternately, seed by seed, so that a busy machine slows both alike.

    python benchmarks/dqn_cartpole.py                      # seeds 0..4, 5e4 steps (several minutes)
    python benchmarks/dqn_cartpole.py --seeds 0 --steps 20000

Needs the bench extra: ``pip install -e ".[dev,bench]"``.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np
import torch

from boltzgym.agents.batched_evaluation import run_episodes_batched
from boltzgym.agents.dqn import DQN

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


def train_ours(seed: int, steps: int):
    agent = DQN(ENV_ID, seed=seed)
    start = time.perf_counter()
    agent.learn(steps)
    return agent, time.perf_counter() - start


def train_sb3(seed: int, steps: int):
    from stable_baselines3 import DQN as SB3DQN

    agent = SB3DQN("MlpPolicy", gym.make(ENV_ID), seed=seed, device="cpu", verbose=0, **SB3_ZOO)
    start = time.perf_counter()
    agent.learn(steps)
    return agent, time.perf_counter() - start


def evaluate(agent, seed: int, episodes: int) -> float:
    return float(run_episodes_batched(agent, lambda: gym.make(ENV_ID), episodes, seed=10_000 + seed).mean())


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0,1,2,3,4", help="comma-separated seeds (default 0,1,2,3,4)")
    parser.add_argument("--steps", type=int, default=50_000, help="training steps per run (default 5e4)")
    parser.add_argument("--eval-episodes", type=int, default=100, help="greedy evaluation episodes (default 100)")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    torch.set_num_threads(1)

    rows = []
    print(f"{'seed':>4}  {'ours return':>11}  {'ours s':>7}  {'SB3 return':>10}  {'SB3 s':>7}", flush=True)
    for seed in seeds:
        ours, ours_seconds = train_ours(seed, args.steps)
        ours_return = evaluate(ours, seed, args.eval_episodes)
        sb3, sb3_seconds = train_sb3(seed, args.steps)
        sb3_return = evaluate(sb3, seed, args.eval_episodes)
        rows.append(
            {
                "seed": seed,
                "ours_return": ours_return,
                "ours_seconds": ours_seconds,
                "sb3_return": sb3_return,
                "sb3_seconds": sb3_seconds,
            }
        )
        print(
            f"{seed:>4}  {ours_return:>11.1f}  {ours_seconds:>7.1f}  {sb3_return:>10.1f}  {sb3_seconds:>7.1f}",
            flush=True,
        )

    ours_solved = sum(r["ours_return"] >= SOLVED for r in rows)
    sb3_solved = sum(r["sb3_return"] >= SOLVED for r in rows)
    ours_time = float(np.mean([r["ours_seconds"] for r in rows]))
    sb3_time = float(np.mean([r["sb3_seconds"] for r in rows]))
    summary = {
        "env": ENV_ID,
        "steps": args.steps,
        "eval_episodes": args.eval_episodes,
        "runs": rows,
        "ours_solved": ours_solved,
        "sb3_solved": sb3_solved,
        "ours_mean_seconds": ours_time,
        "sb3_mean_seconds": sb3_time,
        "wall_clock_ratio_ours_over_sb3": ours_time / sb3_time,
    }
    print(f"solved (mean >= {SOLVED:g}): ours {ours_solved}/{len(rows)}, SB3 {sb3_solved}/{len(rows)}")
    print(
        f"mean training wall-clock: ours {ours_time:.1f} s, SB3 {sb3_time:.1f} s, "
        f"ratio ours/SB3 {ours_time / sb3_time:.2f}"
    )
    if args.json:
        from boltzgym.utils.io import atomic_write_json

        atomic_write_json(args.json, summary)
    return summary


if __name__ == "__main__":
    main()
