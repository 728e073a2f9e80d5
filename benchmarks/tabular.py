"""Tabular Q-learning: the jitted fast path against the textbook loop over ``gymnasium.make("FrozenLake-v1")``.

Same algorithm (epsilon-greedy Q-learning, linear epsilon decay, constant step size), same seeds and the same
number of steps. The textbook loop is what one writes from Sutton & Barto; it draws its random numbers in the
same order as the fast path, so both end with the same Q table (checked and printed). The agent's own step-by-step
path (``use_fast_path=False``) is timed too. Fast-path timings exclude numba compilation, reported separately.

    python benchmarks/tabular.py [--steps 200000] [--map 4x4] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np

from boltzgym.agents.tabular import QLearning

HYPERPARAMETERS = {
    "gamma": 0.99,
    "learning_rate": 0.1,
    "epsilon_start": 1.0,
    "epsilon_end": 0.05,
    "exploration_steps": 50_000,
}


def textbook_q_learning(
    env: gym.Env, steps: int, seed: int, gamma, learning_rate, epsilon_start, epsilon_end, exploration_steps
) -> np.ndarray:
    """Q-learning written the textbook way: one Python iteration per environment step."""
    rng = np.random.default_rng(seed)
    n_actions = env.action_space.n
    q = np.zeros((env.observation_space.n, n_actions))
    state, _ = env.reset(seed=seed)
    for t in range(steps):
        epsilon = epsilon_start + min(1.0, t / exploration_steps) * (epsilon_end - epsilon_start)
        if rng.random() < epsilon:
            action = int(rng.integers(0, n_actions))
        else:  # greedy, ties broken at random (a draw only when there is a tie)
            best = np.flatnonzero(q[state] == q[state].max())
            action = int(best[0]) if best.size == 1 else int(best[rng.integers(0, best.size)])
        next_state, reward, terminated, truncated, _ = env.step(action)
        target = reward if terminated else reward + gamma * np.max(q[next_state])
        q[state, action] += learning_rate * (target - q[state, action])
        state = env.reset()[0] if terminated or truncated else next_state
    return q


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200_000, help="environment steps for every method")
    parser.add_argument("--map", default="4x4", choices=["4x4", "8x8"], help="FrozenLake map")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    def make():
        return gym.make("FrozenLake-v1", map_name=args.map)

    start = time.perf_counter()
    QLearning(make(), seed=args.seed, **HYPERPARAMETERS).learn(10)  # compile (or load the numba cache)
    compile_seconds = time.perf_counter() - start

    timings = {}
    start = time.perf_counter()
    q_textbook = textbook_q_learning(make(), args.steps, args.seed, **HYPERPARAMETERS)
    timings["textbook loop"] = time.perf_counter() - start

    start = time.perf_counter()
    q_steps = QLearning(make(), seed=args.seed, use_fast_path=False, **HYPERPARAMETERS).learn(args.steps).q_table
    timings["agent step loop"] = time.perf_counter() - start

    fast_runs = []
    for _ in range(3):  # best of 3: the fast path takes milliseconds, so noise matters
        start = time.perf_counter()
        q_fast = QLearning(make(), seed=args.seed, use_fast_path=True, **HYPERPARAMETERS).learn(args.steps).q_table
        fast_runs.append(time.perf_counter() - start)
    timings["fast path"] = min(fast_runs)

    rates = {name: args.steps / seconds for name, seconds in timings.items()}
    print(f"FrozenLake-v1 {args.map}, Q-learning, {args.steps} steps, seed {args.seed}")
    for name, rate in rates.items():
        print(f"  {name:16s} {rate:14,.0f} steps/s  ({timings[name]:.3f} s)")
    print(f"  fast path / textbook loop:   {rates['fast path'] / rates['textbook loop']:8.1f}x")
    print(f"  fast path / agent step loop: {rates['fast path'] / rates['agent step loop']:8.1f}x")
    print(f"  numba compile or cache load: {compile_seconds:.2f} s (excluded)")
    same = np.array_equal(q_fast, q_textbook) and np.array_equal(q_fast, q_steps)
    print(f"  identical Q tables: {same}")
    return {"steps_per_second": rates, "identical": same, "compile_seconds": compile_seconds}


if __name__ == "__main__":
    # A speed figure is only worth printing for the same algorithm: differing Q tables fail `make bench`.
    raise SystemExit(0 if main()["identical"] else 1)
