"""Experiment ``tmaze``: why an agent needs memory (Bakker 2002; Hausknecht & Stone 2015).

Claim: on ``boltzgym/TMaze-v0`` (the goal arm is shown only in the first cell of a corridor of ``corridor_length``
cells), a recurrent DQN (DRQN: an LSTM Q-network trained on replayed sequences, its hidden state carried while
acting) learns to turn to the cued arm, while a feed-forward DQN with the same settings cannot beat 0.5: at the
junction it sees the same observation whatever the goal, so its greedy policy picks the same arm for both.

Both agents train for ``total_timesteps`` environment steps with the same hyperparameters (:data:`SETTINGS`) and
seed; each greedy policy then runs ``eval_episodes`` held-out episodes. Returns ``recurrent_success`` and
``feed_forward_success`` (fraction of episodes that end in the goal arm), ``*_train_seconds``, and writes
``tmaze.png`` (training success rate over time for both).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from boltzgym.utils.parts import PartStore
from boltzgym.utils.validation import check_int, setting_ranges

SETTINGS = {  # shared by both agents; chosen for corridor 10 on one CPU core (README, issue 15)
    "learning_rate": 1e-3,
    "learning_rate_final": None,
    "buffer_size": 20_000,
    "batch_size": 32,
    "learning_starts": 1_000,
    "gamma": 0.98,
    "n_step": 1,
    "train_freq": 8,
    "gradient_steps": 2,
    "target_update_interval": 500,
    "exploration_fraction": 0.4,
    "exploration_final_eps": 0.05,
    "net_arch": (32,),
}
RECURRENT = {"recurrent": True, "sequence_length": 64}  # 64 > the 60-step time limit: whole episodes from zero state


@setting_ranges(corridor_length=(1, 1000), total_timesteps=(1, 10_000_000), eval_episodes=(1, 100_000))
def tmaze_experiment(out_dir: str | Path, seed: int = 0, progress: bool = False, corridor_length: int = 10,
                     total_timesteps: int = 20_000, eval_episodes: int = 200,
                     resume: bool = False) -> dict:  # fmt: skip
    """Train a recurrent and a feed-forward DQN on the T-maze; write ``tmaze.png``; return both success rates.

    Each agent is one part kept in ``out_dir/parts``: ``resume=True`` (``--out OUT --resume``) skips a finished one."""
    import time

    import gymnasium as gym
    import torch

    import boltzgym.envs  # noqa: F401  (registers boltzgym/TMaze-v0)
    from boltzgym.agents.batched_evaluation import run_episodes_batched
    from boltzgym.agents.dqn import DQN
    from boltzgym.utils.plotting import new_figure, save_figure

    corridor_length = check_int("corridor_length", corridor_length, minimum=1)
    total_timesteps = check_int("total_timesteps", total_timesteps, minimum=1)
    eval_episodes = check_int("eval_episodes", eval_episodes, minimum=1)

    def make_env():
        return gym.make("boltzgym/TMaze-v0", corridor_length=corridor_length,
                        max_episode_steps=4 * corridor_length + 20)  # fmt: skip

    torch.set_num_threads(1)
    summary: dict = {"corridor_length": corridor_length, "total_timesteps": total_timesteps}
    figure, axes = new_figure(figsize=(5, 3.5))
    parts = PartStore(out_dir, {"seed": seed, "corridor_length": corridor_length, "total_timesteps": total_timesteps,
                                "eval_episodes": eval_episodes}, resume=resume)  # fmt: skip

    def train(extra: dict) -> dict:
        start = time.perf_counter()
        agent = DQN(make_env(), seed=seed, **SETTINGS, **extra).learn(total_timesteps, progress_bar=progress)
        seconds = time.perf_counter() - start
        returns = run_episodes_batched(agent, make_env, eval_episodes, seed=10_000 + seed)
        return {"train_seconds": seconds, "success": float(np.mean(returns > 1.0)),  # only the goal arm pays > 0
                "episode_returns": np.asarray(agent.episode_returns, dtype=float),
                "episode_end_steps": np.asarray(agent.episode_end_steps)}  # fmt: skip

    for name, extra in (("recurrent", RECURRENT), ("feed_forward", {})):
        part = parts.run(name, lambda extra=extra: train(extra))
        summary[f"{name}_train_seconds"] = part["train_seconds"]
        summary[f"{name}_success"] = part["success"]
        successes = part["episode_returns"] > 1.0
        window = max(1, min(100, len(successes) // 5))
        rate = np.convolve(successes, np.ones(window) / window, mode="valid")
        axes.plot(part["episode_end_steps"][window - 1 :], rate, label=f"{name.replace('_', '-')} DQN")
    axes.axhline(0.5, color="grey", linestyle="--", label="no memory: 0.5")
    axes.set(xlabel="environment steps", ylabel="training success rate (moving mean)", ylim=(0, 1.02),
             title=f"T-maze, corridor {corridor_length}, seed {seed} (epsilon-greedy while training)")  # fmt: skip
    axes.legend()
    figure.tight_layout()
    save_figure(figure, Path(out_dir) / "tmaze.png", dpi=120)
    return summary
