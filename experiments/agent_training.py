"""What ``boltzgym train`` and its trainers share: the request, the summary vocabulary, env creation, plots, and
the training run itself (periodic checkpoints, a checkpoint on Ctrl-C, divergence checks).

``boltzgym train`` (``scripts/train.py``) and the trainers (``tabular_training``, ``dqn_training``,
``multiagent_training``) import from here; nothing here imports them. A trainer module defines
``train(request: TrainRequest) -> (summary, table)``.

Summary vocabulary, the same for every trainer (``SUMMARY_KEYS``): ``agent``, ``env``, ``steps`` (this run),
``seed``, ``eval_episodes``, ``eval_mean_return``, ``eval_std_return``, ``steps_per_second``, ``train_seconds``,
``optimal_mean_return`` (null where no exact solution is known), ``num_timesteps`` (all runs since step 0),
``training_episodes`` (all runs since step 0, as in ``metrics.csv``), ``hyperparameters``, ``checkpoint``,
``resumed_from``; trainers add agent-specific extras.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from boltzgym.agents.callbacks import Callback
from boltzgym.agents.registry import AGENTS, agent_module
from boltzgym.utils.checkpoint import is_checkpoint
from boltzgym.utils.plotting import new_figure, save_figure
from boltzgym.utils.validation import DivergenceError

SUMMARY_KEYS = (
    "agent",
    "env",
    "steps",
    "seed",
    "eval_episodes",
    "eval_mean_return",
    "eval_std_return",
    "steps_per_second",
    "train_seconds",
    "optimal_mean_return",
    "num_timesteps",
    "training_episodes",
    "hyperparameters",
    "checkpoint",
    "resumed_from",
)

# agent module -> the trainer module that trains its agents (see train.py for the trainer contract)
_TRAINER_OF_MODULE = {
    "boltzgym.agents.tabular": "boltzgym.experiments.tabular_training",
    "boltzgym.agents.dqn": "boltzgym.experiments.dqn_training",
    "boltzgym.agents.independent": "boltzgym.experiments.multiagent_training",
    "boltzgym.agents.independent_dqn": "boltzgym.experiments.multiagent_training",
}
# agent name -> trainer module, derived from the one agent list (boltzgym.agents.registry.AGENTS)
TRAINERS: dict[str, str] = {name: _TRAINER_OF_MODULE[agent_module(name)] for name in AGENTS}


def agents_of(trainer_module: str) -> tuple[str, ...]:
    """The agent names that ``trainer_module`` trains."""
    return tuple(name for name, module in TRAINERS.items() if module == trainer_module)


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
    resume: Path | None = None  # the checkpoint to continue from (None: a fresh run)
    checkpoint_every: int | None = None  # environment steps between checkpoints (None: only at the end)
    device: str = "auto"  # torch agents: auto (CUDA when present), cpu or cuda; the others run on the CPU


def resume_checkpoint(out_dir: Path, resume: bool) -> Path | None:
    """The checkpoint a ``--resume`` run continues: ``OUT/checkpoint`` when it holds one, else ``None`` (the run
    starts fresh, as ``boltzgym fit --resume`` does)."""
    slot = Path(out_dir) / "checkpoint"
    return slot if resume and is_checkpoint(slot) else None


def torch_device(request: TrainRequest):
    """``request.device`` resolved (``"auto"``: CUDA when present) for the torch agents."""
    from boltzgym.models.training import resolve_device

    return resolve_device(request.device)


def check_cpu_only(request: TrainRequest, what: str) -> None:
    """Refuse ``--device`` other than auto/cpu for an agent that runs no torch (a setting is honoured or refused)."""
    if request.device not in ("auto", "cpu"):
        raise ValueError(f"--device {request.device}: {what} runs on the CPU (only dqn and idqn run torch)")


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped training; the message says where the checkpoint to resume from is."""


def make_env(env_id: str, env_kwargs: dict | None = None):
    """``gym.make(env_id, **env_kwargs)`` with every error raised while making the env turned into one
    ``ValueError`` naming ``--env`` (and ``--env-kwarg`` when keyword arguments were given)."""
    import gymnasium as gym

    import boltzgym.envs  # noqa: F401  (registers the boltzgym/... ids)

    env_kwargs = dict(env_kwargs or {})
    try:
        gym.spec(env_id)
    except gym.error.Error as exc:
        raise ValueError(f"--env {env_id!r} is not a registered Gymnasium environment ({exc})") from exc
    try:
        return gym.make(env_id, **env_kwargs)
    except Exception as exc:  # envs raise anything on bad arguments: KeyError, TypeError, AssertionError, ...
        given = " ".join(f"{key}={value}" for key, value in env_kwargs.items())
        where = f"--env {env_id!r} --env-kwarg {given}" if env_kwargs else f"--env {env_id!r}"
        detail = str(exc) or type(exc).__name__
        raise ValueError(f"{where}: making the env failed: {type(exc).__name__}: {detail}") from exc


def make_parallel_env(env_id: str, env_kwargs: dict | None = None):
    """A PettingZoo parallel env of :data:`boltzgym.envs.PETTINGZOO_ENVS` by id, made by its factory; errors name
    ``--env`` (an id that is not listed) or ``--env-kwarg`` (arguments the factory refuses)."""
    from boltzgym.envs import PETTINGZOO_ENVS
    from boltzgym.utils.imports import import_object

    if env_id not in PETTINGZOO_ENVS and "." in env_id:  # a PettingZoo env by module path, e.g. mpe2.simple_spread_v3
        from boltzgym.envs.pettingzoo_envs import make_pettingzoo_env

        try:
            return make_pettingzoo_env(env_id, env_kwargs)
        except ValueError as exc:
            raise ValueError(f"--env {env_id!r}: {exc}") from exc
    if env_id not in PETTINGZOO_ENVS:
        raise ValueError(
            f"--env {env_id!r} is not a PettingZoo env of boltzgym; expected one of {sorted(PETTINGZOO_ENVS)}"
        )
    factory = import_object(PETTINGZOO_ENVS[env_id][0])
    env_kwargs = dict(env_kwargs or {})
    try:
        return factory(**env_kwargs)
    except (TypeError, ValueError) as exc:
        given = " ".join(f"{key}={value}" for key, value in env_kwargs.items())
        raise ValueError(f"--env {env_id!r} --env-kwarg {given}: making the env failed: {exc}") from exc


def check_checkpoint_slot(out_dir: Path, resume: Path | None, overwrite: bool) -> None:
    """Before any work: ``OUT/checkpoint`` must be absent, or a checkpoint that this run may replace (it resumes,
    or ``--overwrite``); a file or a foreign folder there is refused naming ``--out``."""
    slot = Path(out_dir) / "checkpoint"
    if not slot.exists():
        return
    if not slot.is_dir():
        raise ValueError(f"--out {str(out_dir)!r}: {str(slot)!r} is a file, where the run's checkpoint folder goes")
    if not any(slot.iterdir()):
        return
    if not is_checkpoint(slot):
        raise ValueError(f"--out {str(out_dir)!r}: {str(slot)!r} is a folder that holds no checkpoint; refusing it")
    if resume is None and not overwrite:
        raise ValueError(
            f"--out {str(out_dir)!r} holds the checkpoint of an earlier (unfinished) run; continue it with "
            f"--out {out_dir} --resume, or pass --overwrite to start over"
        )


class _PeriodicCheckpoint(Callback):
    """Saves every ``every`` steps, and stops training at the next step after Ctrl-C (handled in :func:`learn`)."""

    def __init__(self, save, every: int | None) -> None:
        super().__init__()
        self.save, self.every, self.interrupted = save, every, False

    def on_step(self) -> bool:
        if self.every is not None and self._due(self.every):
            self.save()
        return not self.interrupted


def learn(agent, request: TrainRequest, save, check_finite=None) -> float:
    """``agent.learn(request.steps)`` with ``--checkpoint-every`` saves, a clean stop on Ctrl-C, and divergence
    checks; returns the training seconds.

    ``save()`` writes the agent's checkpoint into ``OUT/checkpoint``. On Ctrl-C (SIGINT) training stops after the
    current step (or jitted chunk), the checkpoint is saved and :class:`RunInterrupted` says where (exit 130);
    a second Ctrl-C interrupts at once. ``check_finite()`` (optional) raises :class:`DivergenceError` when the
    agent's values are no longer finite; the last good checkpoint is then kept, not overwritten.
    """
    periodic = _PeriodicCheckpoint(lambda: _save_if_finite(save, check_finite), request.checkpoint_every)
    previous = None
    if threading.current_thread() is threading.main_thread():

        def on_sigint(signum, frame):
            periodic.interrupted = True
            signal.signal(signal.SIGINT, previous)  # a second Ctrl-C interrupts at once
            sys.stderr.write("\ninterrupt: stopping after this step to save a checkpoint (Ctrl-C again to abort)\n")

        previous = signal.signal(signal.SIGINT, on_sigint)
    start = time.perf_counter()
    try:
        agent.learn(request.steps, callback=periodic, progress_bar=request.progress)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    seconds = time.perf_counter() - start
    if check_finite is not None:
        check_finite()
    if periodic.interrupted:
        path = save()
        raise RunInterrupted(
            f"interrupted at step {agent.num_timesteps}: checkpoint saved to {path}; continue with "
            f"--out {Path(path).parent} --resume"
        )
    return seconds


def _save_if_finite(save, check_finite) -> None:
    if check_finite is not None:
        check_finite()  # raises before a diverged agent replaces the last good checkpoint
    save()


def check_finite_array(values: np.ndarray, what: str, step: int, hint: str) -> None:
    """Raise :class:`DivergenceError` when ``values`` holds NaN or inf."""
    if not np.isfinite(values).all():
        raise DivergenceError(
            f"training diverged at step {step}: {what} became non-finite (NaN or inf); training stopped and the "
            f"last good checkpoint (if any) was kept; {hint}"
        )


def base_summary(
    request: TrainRequest,
    agent,
    eval_mean_return: float,
    eval_std_return: float,
    train_seconds: float,
    optimal_mean_return: float | None,
    hyperparameters: dict,
    checkpoint: Path,
    seed: int | None = None,
) -> dict:
    """The ``SUMMARY_KEYS`` of a trainer's summary (``seed`` overrides ``request.seed``, e.g. on resume)."""
    return {
        "agent": request.agent,
        "env": request.env_id,
        "steps": request.steps,
        "seed": request.seed if seed is None else seed,
        "eval_episodes": request.eval_episodes,
        "eval_mean_return": float(eval_mean_return),
        "eval_std_return": float(eval_std_return),
        "steps_per_second": request.steps / train_seconds if train_seconds > 0 else None,
        "train_seconds": train_seconds,
        "optimal_mean_return": optimal_mean_return,
        "num_timesteps": agent.num_timesteps,
        "training_episodes": len(agent.episode_returns),
        "hyperparameters": hyperparameters,
        "checkpoint": str(checkpoint),
        "resumed_from": None if request.resume is None else str(request.resume),
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
