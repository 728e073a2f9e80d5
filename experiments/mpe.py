"""Experiment ``mpe``: parameter-shared independent DQN on environments we did not write (mpe2's particle worlds).

Claim: IDQN with one network shared by all agents (Gupta, Egorov & Kochenderfer 2017), through the same
``IndependentDQN`` as our own envs, learns on mpe2's cooperative ``simple_spread_v3`` (N agents cover N landmarks
and avoid collisions; reward: minus the landmarks' distances to their nearest agent, minus collisions) and
``simple_reference_v3`` (two agents, each told the other's goal landmark, move and speak): the trained team's mean
episode return (per agent, greedy policy) beats the uniformly random policy's.

For each of ``n_seeds`` seeds the team trains ``steps`` joint steps (discrete actions, ``max_cycles`` steps per
episode); the greedy team and the random policy then play ``eval_episodes`` episodes each (seeded ``10_000 + i``).
Returns, per env, ``<env>_trained`` and ``<env>_random`` (mean return per agent and episode, one per seed),
``<env>_margin_mean`` / ``..._margin_std`` (trained minus random over seeds) and ``..._seconds``; writes
``mpe.png`` (the training curves of every seed, with the random policy's level).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from boltzgym.utils.validation import check_count, check_int, setting_ranges

ENVS = {"simple_spread": "mpe2.simple_spread_v3", "simple_reference": "mpe2.simple_reference_v3"}
SETTINGS = {  # IDQN with parameter sharing; chosen on seed 0 of simple_spread (report of issue 26)
    "share_parameters": True,
    "learning_rate": 1e-3,
    "buffer_size": 50_000,
    "batch_size": 128,
    "learning_starts": 2_000,
    "gamma": 0.95,
    "n_step": 3,
    "train_freq": 4,
    "gradient_steps": 1,
    "target_update_interval": 1_000,
    "exploration_fraction": 0.3,
    "exploration_final_eps": 0.05,
    "net_arch": (128, 128),
}


def team_returns(env, policy, n_episodes: int, seed: int) -> np.ndarray:
    """Mean return per agent of each of ``n_episodes`` episodes of a parallel env under ``policy(observations,
    rng) -> {agent: action}``."""
    rng = np.random.default_rng(seed)
    returns = np.zeros(n_episodes)
    for episode in range(n_episodes):
        observations, _ = env.reset(seed=seed + episode)
        total = 0.0
        while env.agents:
            observations, rewards, *_ = env.step(policy(observations, rng))
            total += float(np.mean(list(rewards.values())))
        returns[episode] = total
    return returns


@setting_ranges(n_seeds=(1, 100), steps=(1, 10_000_000), eval_episodes=(1, 100_000), max_cycles=(1, 100_000))
def mpe_experiment(out_dir: str | Path, seed: int = 0, progress: bool = False, n_seeds: int = 3,
                   steps: int = 30_000, eval_episodes: int = 50, max_cycles: int = 25,
                   envs: tuple = ("simple_spread", "simple_reference")) -> dict:  # fmt: skip
    """Train parameter-shared IDQN on each mpe2 env of ``envs`` for ``n_seeds`` seeds; write ``mpe.png``."""
    import torch

    from boltzgym.agents.independent_dqn import IndependentDQN
    from boltzgym.envs.pettingzoo_envs import make_pettingzoo_env
    from boltzgym.utils.plotting import new_figure, save_figure

    n_seeds = check_count("n_seeds", n_seeds, 1)
    steps = check_int("steps", steps, minimum=1)
    eval_episodes = check_int("eval_episodes", eval_episodes, minimum=1)
    envs = (envs,) if isinstance(envs, str) else tuple(envs)
    if not envs or any(name not in ENVS for name in envs):
        raise ValueError(f"envs must name envs of {sorted(ENVS)}, got {envs!r}")
    torch.set_num_threads(1)
    kwargs = {"max_cycles": max_cycles, "continuous_actions": False}
    summary: dict = {"n_seeds": n_seeds, "steps": steps, "eval_episodes": eval_episodes, "max_cycles": max_cycles}
    figure, axes = new_figure(1, len(envs), figsize=(5.5 * len(envs), 3.8), squeeze=False)
    for panel, name in zip(axes[0], envs):
        trained, random, seconds = [], [], []
        for run in range(n_seeds):
            env = make_pettingzoo_env(ENVS[name], kwargs)
            start = time.perf_counter()
            learners = IndependentDQN(env, seed=seed + run, **SETTINGS).learn(steps, progress_bar=progress)
            seconds.append(time.perf_counter() - start)
            evaluation = make_pettingzoo_env(ENVS[name], kwargs)

            def greedy(observations, rng, learners=learners):
                return learners.predict(observations)[0]

            def uniform(observations, rng, env=evaluation):
                return {agent: int(rng.integers(env.action_space(agent).n)) for agent in observations}

            trained.append(team_returns(evaluation, greedy, eval_episodes, 10_000).mean())
            random.append(team_returns(evaluation, uniform, eval_episodes, 10_000).mean())
            n = len(learners.agents)
            curve = np.asarray(learners.episode_returns).reshape(-1, n).mean(axis=1)
            window = max(1, len(curve) // 40)
            smooth = np.convolve(curve, np.ones(window) / window, mode="valid")
            panel.plot(np.arange(window, len(curve) + 1) * max_cycles, smooth, label=f"IDQN seed {seed + run}")
        margin = np.asarray(trained) - np.asarray(random)
        summary |= {f"{name}_trained": [float(v) for v in trained], f"{name}_random": [float(v) for v in random],
                    f"{name}_margin_mean": float(margin.mean()), f"{name}_margin_std": float(margin.std()),
                    f"{name}_seconds": [float(v) for v in seconds]}  # fmt: skip
        panel.axhline(float(np.mean(random)), color="grey", linestyle="--", label="random policy")
        panel.set(xlabel="joint steps", ylabel="episode return per agent (training, moving mean)",
                  title=f"{ENVS[name]}, parameter-shared IDQN")  # fmt: skip
        panel.legend(fontsize=7)
    figure.tight_layout()
    save_figure(figure, Path(out_dir) / "mpe.png", dpi=120)
    return summary
