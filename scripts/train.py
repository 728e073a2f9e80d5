"""``boltzgym train AGENT --env ID --steps N --seed S``: train an agent, evaluate its greedy policy, plot.

One subcommand serves every agent of :data:`boltzgym.agents.registry.AGENTS`. ``TRAINERS`` (in
:mod:`boltzgym.scripts.train_common`) maps an agent name to the module that trains it; each such module defines::

    def train(request: TrainRequest) -> tuple[dict, str]   # (summary with the JSON keys, text table)

The summary's keys are the same for every agent (``SUMMARY_KEYS``, see :mod:`boltzgym.scripts.train_common`),
plus agent-specific extras. ``--checkpoint-every N`` saves ``OUT/checkpoint`` every N steps; Ctrl-C saves it and
exits 130 naming it; ``--resume OUT/checkpoint`` continues (the resumed run's ``summary.json`` is rewritten at
its end). A run whose losses or values become non-finite stops, keeps its last good checkpoint and exits 3.
"""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path

from boltzgym.scripts._common import add_common_arguments, finish, positive_int, progress_enabled, run_dir
from boltzgym.scripts.train_common import (
    SUMMARY_KEYS,
    TRAINERS,
    TrainRequest,
    check_checkpoint_slot,
    make_env,
    make_parallel_env,
)

__all__ = ["SUMMARY_KEYS", "TRAINERS", "TrainRequest", "add_arguments", "run"]

HELP = "train an agent (tabular TD or DQN) on a Gymnasium env"
DESCRIPTION = "Train an agent on a Gymnasium env, evaluate its greedy policy, write metrics, plots and a checkpoint."
EXAMPLES = [
    "boltzgym train q-learning --env boltzgym/GridWorld-v0 --steps 20000 --seed 0",
    "boltzgym train sarsa --env CliffWalking-v1 --steps 50000",
    "boltzgym train dqn --env CartPole-v1 --steps 50000 --seed 0 --json",
    "boltzgym train q-learning --env FrozenLake-v1 --env-kwarg map_name=8x8 --steps 200000 --set learning_rate=0.1",
    "boltzgym train iql --env boltzgym/RepeatedMatrixGame-v0 --env-kwarg game=prisoners-dilemma --steps 8000",
    "boltzgym train idqn --env boltzgym/SpinGame-v0 --steps 20000 --set share_parameters=true",
]


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
    parser.add_argument(
        "--env",
        required=True,
        help="Gymnasium env id (boltzgym/... or a Gymnasium built-in); iql/idqn: a PettingZoo one",
    )
    parser.add_argument(
        "--env-kwarg", type=_key_value, action="append", default=[], metavar="KEY=VALUE", help="env keyword argument"
    )
    parser.add_argument(
        "--set", type=_key_value, action="append", default=[], metavar="KEY=VALUE", help="agent hyperparameter"
    )
    parser.add_argument("--steps", type=positive_int, required=True, help="environment steps to train for")
    parser.add_argument("--eval-episodes", type=positive_int, default=100, help="greedy evaluation episodes")
    parser.add_argument("--resume", type=Path, default=None, help="checkpoint to resume training from")
    parser.add_argument(
        "--checkpoint-every",
        type=positive_int,
        default=None,
        metavar="N",
        help="save OUT/checkpoint every N environment steps (default: only at the end, and on Ctrl-C)",
    )
    add_common_arguments(parser)


def run(args: argparse.Namespace) -> dict:
    # a bad --env/--env-kwarg is one line, before the run folder exists
    multiagent = TRAINERS[args.agent] == "boltzgym.scripts.train_multiagent"
    (make_parallel_env if multiagent else make_env)(args.env, dict(args.env_kwarg))
    out_dir = run_dir(args, f"train-{args.agent}")
    check_checkpoint_slot(out_dir, args.resume, args.overwrite)
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
        checkpoint_every=args.checkpoint_every,
    )
    trainer = importlib.import_module(TRAINERS[args.agent])
    summary, table = trainer.train(request)
    return finish(args, out_dir, summary, table)
