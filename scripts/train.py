"""``boltzgym train AGENT --env ID --steps N --seed S``: train an agent, evaluate its greedy policy, plot.

One subcommand serves every agent family. ``TRAINERS`` maps an agent name to the module that trains it;
each such module defines::

    AGENTS: tuple[str, ...]           # the agent names it serves
    def train(request: TrainRequest) -> tuple[dict, str]   # (summary with the JSON keys, text table)

The summary's keys are the same for every agent: ``agent``, ``env``, ``steps``, ``seed``,
``eval_episodes``, ``eval_mean_return``, ``steps_per_second``, ``optimal_mean_return`` (null where no
exact solution is known), plus any agent-specific extras.
"""

from __future__ import annotations

import argparse
import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from boltzgym.scripts._common import (
    add_common_arguments,
    finish,
    new_figure,
    positive_int,
    progress_enabled,
    run_dir,
    save_figure,
)

HELP = "train an agent (tabular TD or DQN) on a Gymnasium env"
DESCRIPTION = "Train an agent on a Gymnasium env, evaluate its greedy policy, write metrics, plots and a checkpoint."
EXAMPLES = [
    "boltzgym train q-learning --env boltzgym/GridWorld-v0 --steps 20000 --seed 0",
    "boltzgym train sarsa --env CliffWalking-v1 --steps 50000",
    "boltzgym train dqn --env CartPole-v1 --steps 50000 --seed 0 --json",
    "boltzgym train q-learning --env FrozenLake-v1 --env-kwarg map_name=8x8 --steps 200000 --set learning_rate=0.1",
]

# The keys every trainer's summary starts with (the `--json` contract of `boltzgym train`).
SUMMARY_KEYS = (
    "agent",
    "env",
    "steps",
    "seed",
    "eval_episodes",
    "eval_mean_return",
    "steps_per_second",
    "optimal_mean_return",
)

# agent name -> module that trains it (see the module docstring for the contract).
TRAINERS: dict[str, str] = {
    "q-learning": "boltzgym.scripts.train_tabular",
    "sarsa": "boltzgym.scripts.train_tabular",
    "expected-sarsa": "boltzgym.scripts.train_tabular",
    "double-q": "boltzgym.scripts.train_tabular",
    "dqn": "boltzgym.scripts.train_dqn",
}


@dataclass
class TrainRequest:
    """Everything a trainer needs, parsed and validated by the CLI (tests build it directly)."""

    agent: str
    env_id: str
    steps: int
    seed: int = 0
    env_kwargs: dict = field(default_factory=dict)
    hyperparameters: dict = field(default_factory=dict)
    eval_episodes: int = 100
    out_dir: Path = Path("runs/train")
    progress: bool = False
    resume: Path | None = None


def base_summary(
    request: TrainRequest,
    eval_mean_return: float,
    steps_per_second: float | None,
    optimal_mean_return: float | None = None,
    seed: int | None = None,
) -> dict:
    """The ``SUMMARY_KEYS`` part of a trainer's summary (``seed`` overrides ``request.seed``, e.g. on resume)."""
    return {
        "agent": request.agent,
        "env": request.env_id,
        "steps": request.steps,
        "seed": request.seed if seed is None else seed,
        "eval_episodes": request.eval_episodes,
        "eval_mean_return": float(eval_mean_return),
        "steps_per_second": steps_per_second,
        "optimal_mean_return": optimal_mean_return,
    }


def plot_learning_curve(
    end_steps: list[int], returns: list[float], path: Path, title: str, optimum: float | None = None
) -> Path:
    """Training-episode returns against environment steps, with a moving average and the exact optimum."""
    fig, ax = new_figure(figsize=(6.4, 3.8))
    steps, returns = np.asarray(end_steps), np.asarray(returns, dtype=float)
    ax.plot(steps, returns, ".", markersize=2, alpha=0.25, color="tab:blue", label="episode return")
    window = max(1, min(100, len(returns) // 10))
    if len(returns) >= window:
        average = np.convolve(returns, np.ones(window) / window, mode="valid")
        ax.plot(steps[window - 1 :], average, color="tab:blue", label=f"moving average ({window} episodes)")
    if optimum is not None:
        ax.axhline(optimum, color="tab:green", linestyle="--", label=f"optimal expected return {optimum:.3g}")
    ylabel = "return"
    if len(returns) >= 20:
        # Zoom on the later episodes: a few early catastrophes (-10000 on the cliff) would squash the rest.
        later = returns[len(returns) // 5 :]
        low, high = np.percentile(later, [2, 100])
        if optimum is not None:
            low, high = min(low, optimum), max(high, optimum)
        margin = 0.1 * (high - low) or 1.0
        ax.set_ylim(low - margin, high + margin)
        hidden = int(np.sum(returns < low - margin))
        if hidden:
            ylabel = f"return ({hidden} episodes below the axis)"
    ax.set_xlabel("environment steps")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    return save_figure(fig, path)


def _key_value(text: str) -> tuple[str, object]:
    """``key=value`` with the value read as JSON when it parses (numbers, true/false, lists), else a string."""
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key, value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("agent", choices=sorted(TRAINERS), help="which agent to train")
    parser.add_argument("--env", required=True, help="Gymnasium env id (boltzgym/... or a Gymnasium built-in)")
    parser.add_argument(
        "--env-kwarg", type=_key_value, action="append", default=[], metavar="KEY=VALUE", help="env keyword argument"
    )
    parser.add_argument(
        "--set", type=_key_value, action="append", default=[], metavar="KEY=VALUE", help="agent hyperparameter"
    )
    parser.add_argument("--steps", type=positive_int, required=True, help="environment steps to train for")
    parser.add_argument("--eval-episodes", type=positive_int, default=100, help="greedy evaluation episodes")
    parser.add_argument("--resume", type=Path, default=None, help="checkpoint to resume training from")
    add_common_arguments(parser)


def check_env_id(env_id: str) -> None:
    """Raise ``ValueError`` naming ``--env`` when ``env_id`` is not a registered Gymnasium id."""
    import gymnasium as gym

    import boltzgym.envs  # noqa: F401  (registers the boltzgym/... ids)

    try:
        gym.spec(env_id)
    except gym.error.Error as exc:
        raise ValueError(f"--env {env_id!r} is not a registered Gymnasium environment ({exc})") from exc


def run(args: argparse.Namespace) -> dict:
    check_env_id(args.env)
    # The trainer validates before it writes (its writers create the folder), so bad input leaves nothing behind.
    out_dir = run_dir(args, f"train-{args.agent}", create=False)
    request = TrainRequest(
        agent=args.agent,
        env_id=args.env,
        steps=args.steps,
        seed=args.seed,
        env_kwargs=dict(args.env_kwarg),
        hyperparameters=dict(args.set),
        eval_episodes=args.eval_episodes,
        out_dir=out_dir,
        progress=progress_enabled(args),
        resume=args.resume,
    )
    trainer = importlib.import_module(TRAINERS[args.agent])
    summary, table = trainer.train(request)
    return finish(args, out_dir, summary, table)
