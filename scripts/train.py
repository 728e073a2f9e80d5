"""``boltzgym train AGENT --env ID --total-timesteps N --seed S``: train an agent, evaluate its greedy policy, plot.

One subcommand serves every agent of :data:`boltzgym.agents.registry.AGENTS`; the trainers live in
``boltzgym.experiments`` (``TRAINERS`` in :mod:`boltzgym.experiments.agent_training` maps an agent to its trainer
module, each defining ``train(request: TrainRequest) -> (summary, table)``). ``--set KEY=VALUE`` sets a
hyperparameter (the agent's constructor and config keys; ``--list-keys`` prints them), ``--checkpoint-every N``
saves ``OUT/checkpoint`` every N steps; Ctrl-C saves it and exits 130 naming it; ``--out OUT --resume`` continues
it (the resumed run's ``summary.json`` is rewritten at its end). A run whose losses or values become non-finite
stops, keeps its last good checkpoint and exits 3.
"""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path

from boltzgym.experiments.agent_training import (
    SUMMARY_KEYS,
    TRAINERS,
    TrainRequest,
    check_checkpoint_slot,
    make_env,
    make_parallel_env,
    resume_checkpoint,
)
from boltzgym.scripts._common import (
    UsageError,
    add_common_arguments,
    add_deprecated_option,
    add_device_argument,
    add_list_keys_argument,
    add_set_argument,
    finish,
    positive_int,
    print_keys,
    progress_enabled,
    run_dir,
    warn_deprecated,
)

__all__ = ["SUMMARY_KEYS", "TRAINERS", "TrainRequest", "add_arguments", "run"]

HELP = "train an agent (tabular TD, DQN, independent learners) on a Gymnasium or PettingZoo env"
DESCRIPTION = (
    "Train an agent on a Gymnasium env, evaluate its greedy policy, write metrics, plots and a checkpoint.\n"
    "Hyperparameters are set with --set key=value; 'boltzgym train AGENT --list-keys' prints them with their\n"
    "defaults (with --env, the env's preset where it has one)."
)
EXAMPLES = [
    "boltzgym train q-learning --env boltzgym/GridWorld-v0 --total-timesteps 20000 --seed 0",
    "boltzgym train sarsa --env CliffWalking-v1 --total-timesteps 50000",
    "boltzgym train dqn --env CartPole-v1 --total-timesteps 50000 --seed 0 --json",
    "boltzgym train dqn --list-keys",
    "boltzgym train q-learning --env FrozenLake-v1 --env-kwarg map_name=8x8 --total-timesteps 200000 "
    "--set learning_rate=0.1",
    "boltzgym train dqn --env CartPole-v1 --total-timesteps 20000 --out runs/cartpole --resume",
    "boltzgym train iql --env boltzgym/RepeatedMatrixGame-v0 --env-kwarg game=prisoners-dilemma --total-timesteps 8000",
    "boltzgym train idqn --env boltzgym/SpinGame-v0 --total-timesteps 20000 --set share_parameters=true",
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
        default=None,
        help="Gymnasium env id (boltzgym/... or a Gymnasium built-in); iql/idqn: a PettingZoo one",
    )
    parser.add_argument(
        "--env-kwarg", type=_key_value, action="append", default=[], metavar="KEY=VALUE", help="env keyword argument"
    )
    add_set_argument(parser, "agent hyperparameter")
    add_list_keys_argument(parser)
    parser.add_argument(
        "--total-timesteps", type=positive_int, default=None, metavar="N", help="environment steps to train for"
    )
    parser.add_argument("--eval-episodes", type=positive_int, default=100, help="greedy evaluation episodes")
    parser.add_argument(
        "--resume", nargs="?", const=True, default=None, metavar="",
        help="continue the run in --out from its checkpoint (a fresh run if it has none yet)",
    )  # fmt: skip
    parser.add_argument(
        "--checkpoint-every",
        type=positive_int,
        default=None,
        metavar="N",
        help="save OUT/checkpoint every N environment steps (default: only at the end, and on Ctrl-C)",
    )
    add_device_argument(parser)
    add_common_arguments(parser)
    add_deprecated_option(parser, "--steps", "--total-timesteps", "total_timesteps", type=positive_int)


def list_keys(agent: str, env_id: str | None) -> dict:
    """Print agent ``agent``'s ``--set`` keys and defaults (the env's DQN preset where ``env_id`` has one)."""
    from boltzgym.agents.registry import agent_settings
    from boltzgym.experiments.dqn_training import dqn_preset

    preset = dqn_preset(env_id) if agent == "dqn" else {}
    return print_keys([(key, preset.get(key, default)) for key, (default, _) in agent_settings(agent).items()])


def run(args: argparse.Namespace) -> dict:
    from boltzgym.agents.registry import parse_agent_settings

    if args.list_keys:
        return list_keys(args.agent, args.env)
    if args.env is None:
        raise UsageError("--env is required: a Gymnasium env id (iql/idqn: a PettingZoo one)")
    if args.total_timesteps is None:
        raise UsageError("--total-timesteps is required: the environment steps to train for")
    hyperparameters = parse_agent_settings(args.agent, args.assignments)  # bad --set fails before any folder
    resume_from = None
    if isinstance(args.resume, str):  # the old form: --resume PATH of a checkpoint
        warn_deprecated("--resume PATH", "--out RUN --resume (continues RUN/checkpoint)")
        resume_from = Path(args.resume)
    elif args.resume and args.out is None:
        raise UsageError("--resume needs --out, the folder of the run to continue")
    # a bad --env/--env-kwarg is one line, before the run folder exists
    multiagent = TRAINERS[args.agent] == "boltzgym.experiments.multiagent_training"
    (make_parallel_env if multiagent else make_env)(args.env, dict(args.env_kwarg))
    out_dir = run_dir(args, f"train-{args.agent}")
    if args.resume is True:
        resume_from = resume_checkpoint(out_dir, True)
    check_checkpoint_slot(out_dir, resume_from, args.overwrite)
    request = TrainRequest(
        agent=args.agent,
        env_id=args.env,
        steps=args.total_timesteps,
        seed=args.seed,
        env_kwargs=dict(args.env_kwarg),
        hyperparameters=hyperparameters,
        eval_episodes=args.eval_episodes,
        out_dir=out_dir,
        progress=progress_enabled(args),
        resume=resume_from,
        checkpoint_every=args.checkpoint_every,
        device=args.device,
    )
    trainer = importlib.import_module(TRAINERS[args.agent])
    summary, table = trainer.train(request)
    return finish(args, out_dir, summary, table)
