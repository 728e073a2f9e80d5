"""DQN checkpoint folders on :mod:`boltzgym.utils.checkpoint` (what :meth:`DQN.save` and :meth:`DQN.load` do).

The folder: ``manifest.json`` (format ``boltzgym-dqn``, version, the counters ``num_timesteps``, ``n_calls``,
``n_updates``, checksums, shapes), ``config.json`` (hyperparameters, env spec, seed, generator state, learning
curve, metric rows), ``model.pt`` (both networks, the optimizer and torch's RNG state, loaded with
``weights_only=True``) and, with ``include_buffer=True``, ``replay.npz``.

Resuming: :meth:`DQN.learn` resets the environments at its start, with seeds derived from
``seed`` and the step count (the episodes it cuts end there in the replay buffer, so that no n-step return
joins two episodes), so ``learn(a); save; load; learn(b)`` gives exactly the same agent as
``learn(a); learn(b)`` when the replay buffer is saved too (``save(path, include_buffer=True)``). A checkpoint
written in the middle of ``learn`` (by ``CheckpointCallback``) resumes from a fresh episode instead.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from boltzgym.agents.dqn_config import DQNConfig
from boltzgym.agents.env_steps import OBSERVATION_KINDS, EnvSpec
from boltzgym.utils.checkpoint import load_checkpoint, save_checkpoint
from boltzgym.utils.metrics import check_metric_rows
from boltzgym.utils.validation import check_int, check_seed

CHECKPOINT_FORMAT = "boltzgym-dqn"
CHECKPOINT_VERSION = 2  # 2: a utils.checkpoint folder (manifest.json); 1 had no manifest
_CHECKPOINT_COUNTERS = ("num_timesteps", "n_calls", "n_updates")
_REPLAY_FILE = "replay.npz"


def write(agent, path: str | os.PathLike, include_buffer: bool) -> Path:
    """Save ``agent`` (a :class:`~boltzgym.agents.dqn.DQN` with networks) as a checkpoint folder at ``path``."""
    weights = {
        "q_net": agent.q_net.state_dict(),
        "target_net": agent.target_net.state_dict(),
        "optimizer": agent.optimizer.state_dict(),
        "torch_rng_state": agent._torch_rng_state,
    }
    arrays = {_REPLAY_FILE: agent.replay_buffer.state_dict()} if include_buffer else None
    counters = {name: getattr(agent, name) for name in _CHECKPOINT_COUNTERS}
    states = {"model.pt": weights}
    return save_checkpoint(
        path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, _header(agent), arrays=arrays, states=states, counters=counters
    )


def _header(agent) -> dict:
    return {
        "config": asdict(agent.config),
        "env_id": agent.env_id,
        "spec": asdict(agent._spec),
        "n_envs": agent.n_envs,
        "seed": agent.seed,
        "schedule_horizon": agent.schedule_horizon,
        "episode_returns": agent.episode_returns,
        "episode_end_steps": agent.episode_end_steps,
        "metrics": agent.logger.rows,  # so that a resumed run's metrics.csv holds the earlier rows too
        "rng_state": json.dumps(agent._rng.bit_generator.state),
    }


def read(cls, path, env, log_dir, device, q_network: Any):
    """Load the checkpoint at ``path`` as a ``cls`` (see :meth:`DQN.load`)."""
    checkpoint = load_checkpoint(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, map_location=device)
    header = checkpoint.config
    missing = [name for name in _CHECKPOINT_COUNTERS if name not in checkpoint.counters]
    if missing:
        raise checkpoint.error("manifest.json", f"lacks the counter(s) {missing}")
    try:
        spec_values = dict(header["spec"])
        spec_values["shape"] = tuple(spec_values["shape"])
        spec = EnvSpec(**spec_values)
        if spec.kind not in OBSERVATION_KINDS:
            raise ValueError(f"spec kind is {spec.kind!r}, expected one of {OBSERVATION_KINDS}")
        config = DQNConfig.from_dict(header["config"])
        seed = check_seed("seed", header["seed"])
        n_envs = check_int("n_envs", header["n_envs"], minimum=1)
        horizon = header["schedule_horizon"]
        if horizon is not None:
            check_int("schedule_horizon", horizon, minimum=0)
        episode_returns = [float(value) for value in header["episode_returns"]]
        episode_end_steps = [int(value) for value in header["episode_end_steps"]]
        metrics = check_metric_rows(header["metrics"])
        rng_state = json.loads(header["rng_state"])
        counters = {name: checkpoint.counters[name] for name in _CHECKPOINT_COUNTERS}
        agent = cls(None, config, seed=seed, log_dir=log_dir, device=device)
        agent._rng.bit_generator.state = rng_state
        agent.env_id, agent.n_envs, agent._spec = header["env_id"], n_envs, spec
    except KeyError as exc:
        raise checkpoint.error("config.json", f"is corrupt: missing field {exc}") from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise checkpoint.error("config.json", f"is corrupt: {exc}") from exc
    if q_network is not None:
        agent._q_network_factory = q_network
    try:
        agent._build(spec)  # a spec that no network fits (bad shape) is corrupt too
    except (TypeError, ValueError) as exc:
        if "q_network" in str(exc):
            raise
        raise checkpoint.error("config.json", f"is corrupt: {exc}") from exc
    if "model.pt" not in checkpoint.states:
        raise checkpoint.error("manifest.json", "lists no model.pt")
    state = checkpoint.states["model.pt"]
    try:
        agent.q_net.load_state_dict(state["q_net"])
        agent.target_net.load_state_dict(state["target_net"])
        agent.optimizer.load_state_dict(state["optimizer"])
        agent._torch_rng_state = state["torch_rng_state"]
    except Exception as exc:  # a missing key, a shape mismatch (RuntimeError), a state of another optimizer
        raise checkpoint.error("model.pt", f"does not fit the network: {exc}") from exc
    for name, value in counters.items():
        setattr(agent, name, value)
    agent.schedule_horizon = horizon
    agent.episode_returns = episode_returns
    agent.episode_end_steps = episode_end_steps
    agent.logger.rows = metrics
    if _REPLAY_FILE in checkpoint.arrays:
        try:
            agent.replay_buffer.load_state_dict(checkpoint.arrays[_REPLAY_FILE])
        except ValueError as exc:
            raise checkpoint.error(_REPLAY_FILE, str(exc)) from exc
    if env is not None:
        agent.set_env(env)
    return agent
