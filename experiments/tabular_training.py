"""Trainer of ``boltzgym train q-learning|sarsa|expected-sarsa|double-q`` (see
:mod:`boltzgym.experiments.agent_training`).

Trains a tabular agent (:mod:`boltzgym.agents.tabular`), evaluates its greedy policy, compares it with the exact
optimum when the env exposes its dynamics, and writes into the run folder: ``metrics.csv`` (one row per training
episode), ``learning_curve.png``, ``value_policy.png`` (grids: FrozenLake, CliffWalking, GridWorld) and the
checkpoint ``checkpoint/`` (continue with ``--out RUN --resume``).
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np

from boltzgym.agents.evaluation import evaluate_policy
from boltzgym.agents.planning import expected_return
from boltzgym.agents.registry import agent_class
from boltzgym.agents.tabular import QLearning
from boltzgym.experiments.agent_training import (
    TrainRequest,
    agents_of,
    base_summary,
    check_cpu_only,
    check_finite_array,
    learn,
    make_env,
    plot_learning_curve,
)
from boltzgym.utils.metrics import write_metrics
from boltzgym.utils.plotting import new_figure, save_figure
from boltzgym.utils.tables import format_table

AGENTS = agents_of(__name__)
# Horizon of the exact optimum for envs without a time limit (CliffWalking-v1).
DEFAULT_HORIZON = 1000


def optimal_mean_return(env: gym.Env) -> float | None:
    """The best expected return any policy reaches within the env's time limit (None without ``unwrapped.P``)."""
    try:
        return expected_return(env, horizon=_horizon(env))
    except (ValueError, TypeError):
        return None


def _horizon(env: gym.Env) -> int:
    return env.spec.max_episode_steps if env.spec and env.spec.max_episode_steps else DEFAULT_HORIZON


def grid_layout(env: gym.Env) -> tuple[np.ndarray, np.ndarray] | None:
    """``(cell letters (nrow, ncol), arrow (dx, dy) per action (A, 2))`` for grid envs, else None.

    FrozenLake and GridWorld number actions left, down, right, up; CliffWalking up, right, down, left.
    """
    unwrapped = env.unwrapped
    if hasattr(unwrapped, "desc") and hasattr(unwrapped, "nrow"):
        letters = np.vectorize(lambda c: c.decode() if isinstance(c, bytes) else str(c))(unwrapped.desc)
        return letters, np.array([(-1, 0), (0, 1), (1, 0), (0, -1)])
    if type(unwrapped).__name__ == "CliffWalkingEnv":
        letters = np.full(unwrapped.shape, ".")
        letters[3, 1:-1], letters[3, 0], letters[3, -1] = "C", "S", "G"
        return letters, np.array([(0, -1), (1, 0), (0, 1), (-1, 0)])
    return None


def plot_value_policy(q_table: np.ndarray, letters: np.ndarray, arrows: np.ndarray, path: Path, title: str) -> Path:
    """Heatmap of ``max_a Q(s, a)`` per cell with the greedy action as an arrow; walls, cliffs, goals and holes grey
    and lettered."""
    nrow, ncol = letters.shape
    values = q_table.max(axis=1).reshape(nrow, ncol)
    shown = np.ma.masked_where(np.isin(letters, ["#", "C", "G", "H"]), values)  # no values to show there
    fig, ax = new_figure(figsize=(max(4.0, 0.55 * ncol + 1.5), max(3.0, 0.55 * nrow + 0.8)))
    image = ax.imshow(shown, cmap="viridis")
    ax.set_facecolor("0.5")
    fig.colorbar(image, ax=ax, label="max_a Q(s, a)", shrink=0.8)
    greedy = q_table.argmax(axis=1).reshape(nrow, ncol)
    for row in range(nrow):
        for col in range(ncol):
            letter = letters[row, col]
            if letter in "GHC#":
                ax.text(col, row, letter, ha="center", va="center", color="white", fontsize=9, fontweight="bold")
            else:
                dx, dy = arrows[greedy[row, col]] * 0.32
                ax.arrow(col - dx, row - dy, 2 * dx, 2 * dy, head_width=0.18, length_includes_head=True, color="w")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    return save_figure(fig, path)


def train(request: TrainRequest) -> tuple[dict, str]:
    """Train, evaluate and write the run folder; return ``(summary, table)``."""
    if request.agent not in AGENTS:
        raise ValueError(f"agent must be one of {list(AGENTS)}, got {request.agent!r}")
    check_cpu_only(request, request.agent)
    agent_type = agent_class(request.agent)
    env = make_env(request.env_id, request.env_kwargs)
    eval_env = make_env(request.env_id, request.env_kwargs)
    if not (eval_env.spec and eval_env.spec.max_episode_steps):  # a greedy policy may loop: bound evaluation
        eval_env = gym.wrappers.TimeLimit(eval_env, DEFAULT_HORIZON)
    if request.resume is not None:
        if request.hyperparameters:
            raise ValueError("--set cannot be combined with --resume: the checkpoint holds the hyperparameters")
        agent = agent_type.load(request.resume, env=env)
    else:
        # Exploration decays over the first half of the run unless --set says otherwise: a fixed decay length
        # would leave long runs greedy too early and short runs exploring to the end.
        hyperparameters = {"exploration_steps": max(1, request.steps // 2), **request.hyperparameters}
        agent = agent_type(env, seed=request.seed, **hyperparameters)
    out_dir = Path(request.out_dir)

    def check_finite():
        check_finite_array(agent.q_table, "the Q table", agent.num_timesteps, "lower learning_rate or check rewards")

    elapsed = learn(agent, request, lambda: agent.save(out_dir / "checkpoint"), check_finite)
    mean_return, std_return = evaluate_policy(agent, eval_env, request.eval_episodes, seed=request.seed)
    optimum = optimal_mean_return(env)
    greedy_exact = None
    if optimum is not None:
        greedy_exact = expected_return(env, agent.q_table.argmax(axis=1), horizon=_horizon(env))

    checkpoint = agent.save(out_dir / "checkpoint")
    rows = [
        {"episode": i, "timestep": step, "return": value}
        for i, (step, value) in enumerate(zip(agent.episode_end_steps, agent.episode_returns))
    ]
    write_metrics(out_dir, rows, step="timestep")
    title = f"{agent_type.__name__} on {request.env_id}"
    plot_learning_curve(agent.episode_end_steps, agent.episode_returns, out_dir / "learning_curve.png", title, optimum)
    layout = grid_layout(env)
    if layout is not None:
        plot_value_policy(agent.q_table, *layout, out_dir / "value_policy.png", f"{title}: values and greedy policy")

    summary = {
        **base_summary(
            request, agent, mean_return, std_return, elapsed, optimum, vars(agent.config).copy(), checkpoint
        ),
        "greedy_expected_return": greedy_exact,
        "fast_path": agent.uses_fast_path,
    }
    table = format_table(
        ["metric", "value"],
        [
            ("agent", request.agent),
            ("env", request.env_id),
            ("steps (total)", f"{request.steps} ({agent.num_timesteps})"),
            ("steps/s", round(summary["steps_per_second"] or 0.0, 1)),
            ("fast path", agent.uses_fast_path),
            ("eval mean return", mean_return),
            ("greedy expected return", "n/a" if greedy_exact is None else greedy_exact),
            ("optimal expected return", "n/a" if optimum is None else optimum),
        ],
    )
    return summary, table


def demo_part(out_dir: Path, seed: int = 0, progress: bool = False) -> dict:
    """``boltzgym demo`` part: Q-learning on the cliff grid (Sutton & Barto example 6.6) and its value-policy plot."""
    env = make_env("boltzgym/GridWorld-v0", {"map_name": "cliff"})
    agent = QLearning(env, seed=seed, learning_rate=0.5, epsilon_start=0.1, epsilon_end=0.1, gamma=1.0)
    agent.learn(20_000, progress_bar=progress)
    out_dir = Path(out_dir)
    greedy = expected_return(env, agent.q_table.argmax(axis=1))
    optimum = expected_return(env)
    plot_value_policy(
        agent.q_table, *grid_layout(env), out_dir / "value_policy.png", "Q-learning on the cliff: values and policy"
    )
    plot_learning_curve(
        agent.episode_end_steps,
        agent.episode_returns,
        out_dir / "learning_curve.png",
        "Q-learning on the cliff",
        optimum,
    )
    return {
        "result": f"Q-learning on the cliff: greedy return {greedy:g} (optimal {optimum:g}) after 20000 steps",
        "greedy_return": greedy,
        "optimal_return": optimum,
    }
