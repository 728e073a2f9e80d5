"""Greedy evaluation of many episodes at once: one batched ``predict`` per time step instead of one per env.

The returns equal those of :func:`boltzgym.agents.evaluation.run_episodes` for a deterministic policy
(episode ``i`` is reset with ``seed + i`` in both), but a neural policy evaluates ``n_episodes``
observations in one forward pass, which makes a 100-episode CartPole evaluation ~10x faster.
NumPy only: works with any agent whose ``predict`` accepts a batch (ours, Stable-Baselines3's).
"""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import numpy as np

from boltzgym.utils.validation import check_int, check_seed


def run_episodes_batched(
    agent, make_env: Callable[[], gym.Env], n_episodes: int, seed: int | None = None
) -> np.ndarray:
    """Run ``n_episodes`` greedy episodes side by side in ``n_episodes`` envs from ``make_env``.

    Args:
        agent: anything with ``predict(batch_of_observations, deterministic=True) -> (actions, state)``; a
            returned state (a recurrent policy's) is passed back as ``state=`` with the finished episodes' rows
            dropped.
        make_env: a function returning a fresh single env (e.g. ``lambda: gym.make("CartPole-v1")``).
        n_episodes: number of episodes (and envs).
        seed: episode ``i`` is reset with ``seed + i``; ``None`` leaves the resets unseeded.

    Returns:
        The undiscounted return of each episode, a float array of length ``n_episodes``.
    """
    n_episodes = check_int("n_episodes", n_episodes, minimum=1)
    seed = check_seed("seed", seed)
    envs = [make_env() for _ in range(n_episodes)]
    observations = [env.reset(seed=None if seed is None else seed + i)[0] for i, env in enumerate(envs)]
    returns = np.zeros(n_episodes, dtype=np.float64)
    active = list(range(n_episodes))
    state = None
    while active:
        carried = {} if state is None else {"state": state}
        actions, state = agent.predict(np.stack([observations[i] for i in active]), deterministic=True, **carried)
        still_running, kept = [], []
        for row, (i, action) in enumerate(zip(active, np.asarray(actions))):
            observation, reward, terminated, truncated, _ = envs[i].step(action)
            returns[i] += float(reward)
            if not (terminated or truncated):
                observations[i] = observation
                still_running.append(i)
                kept.append(row)
        active = still_running
        if state is not None:  # a recurrent policy's state (SB3's layout: (num_layers, batch, hidden) arrays)
            state = tuple(np.asarray(part)[:, kept] for part in state)
    for env in envs:
        env.close()
    return returns
