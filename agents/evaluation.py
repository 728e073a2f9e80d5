"""Greedy-policy evaluation shared by every agent, the CLI and the benchmarks."""

from __future__ import annotations

import numpy as np


def run_episodes(agent, env, n_episodes: int, deterministic: bool = True, seed: int | None = None) -> np.ndarray:
    """Run ``n_episodes`` full episodes of ``agent.predict`` on a single (non-vector) env.

    Episode ``i`` is reset with ``seed + i`` when ``seed`` is given, so evaluations are reproducible.
    Returns the undiscounted return of each episode (a float array of length ``n_episodes``).
    """
    if n_episodes < 1:
        raise ValueError(f"n_episodes must be >= 1, got {n_episodes}")
    returns = np.empty(n_episodes, dtype=np.float64)
    for episode in range(n_episodes):
        obs, _ = env.reset(seed=None if seed is None else seed + episode)
        total, done, state = 0.0, False, None
        while not done:
            carried = {} if state is None else {"state": state}  # a recurrent policy's hidden state
            action, state = agent.predict(obs, deterministic=deterministic, **carried)
            obs, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            done = terminated or truncated
        returns[episode] = total
    return returns


def evaluate_policy(
    agent, env, n_eval_episodes: int = 100, deterministic: bool = True, seed: int | None = None
) -> tuple[float, float]:
    """Mean and standard deviation of the return over ``n_eval_episodes`` episodes (SB3's signature)."""
    returns = run_episodes(agent, env, n_eval_episodes, deterministic=deterministic, seed=seed)
    return float(returns.mean()), float(returns.std())
