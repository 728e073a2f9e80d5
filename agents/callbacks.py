"""Training callbacks shared by every agent's ``learn(total_timesteps, callback=...)`` (the SB3 idea, kept small).

An agent calls, in order: ``callback.init_callback(agent)``, ``on_training_start()``, then ``on_step()``
after every environment step (``False`` stops training), and ``on_training_end()``. A callback reads what it
needs from the agent's public attributes: ``agent.num_timesteps`` (steps taken so far, all envs counted),
``agent.save(path)`` and ``agent.predict(obs, deterministic=True)``. Nothing is passed through ``locals()``.

Agents whose inner loop is jitted (the tabular fast path) call ``on_step()`` between chunks of steps,
with ``num_timesteps`` already advanced by the chunk; frequency-based callbacks therefore fire when a
multiple of their frequency has been *crossed*, not only when it is hit exactly.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np


class Callback:
    """Base class: override ``on_step`` (return ``False`` to stop) and optionally the start/end hooks."""

    def __init__(self) -> None:
        self.agent = None
        self._last_fired = 0

    def init_callback(self, agent) -> None:
        self.agent = agent
        self._last_fired = agent.num_timesteps

    def on_training_start(self) -> None:
        """Called once before the first step."""

    def on_step(self) -> bool:
        """Called after each step (or chunk of steps); return ``False`` to stop training."""
        return True

    def on_training_end(self) -> None:
        """Called once after the last step."""

    def _due(self, frequency: int) -> bool:
        """True once per ``frequency`` steps, also when a jitted chunk jumps past the multiple."""
        steps = self.agent.num_timesteps
        if steps // frequency > self._last_fired // frequency:
            self._last_fired = steps
            return True
        return False


class CallbackList(Callback):
    """Run several callbacks in order; training stops when any of them returns ``False``."""

    def __init__(self, callbacks: Sequence[Callback]) -> None:
        super().__init__()
        self.callbacks = list(callbacks)

    def init_callback(self, agent) -> None:
        super().init_callback(agent)
        for callback in self.callbacks:
            callback.init_callback(agent)

    def on_training_start(self) -> None:
        for callback in self.callbacks:
            callback.on_training_start()

    def on_step(self) -> bool:
        keep_going = True
        for callback in self.callbacks:
            keep_going = callback.on_step() and keep_going
        return keep_going

    def on_training_end(self) -> None:
        for callback in self.callbacks:
            callback.on_training_end()


def as_callback(callback) -> Callback:
    """``None`` -> a no-op callback, a list -> ``CallbackList``, a callback -> itself."""
    if callback is None:
        return Callback()
    if isinstance(callback, Callback):
        return callback
    if isinstance(callback, (list, tuple)):
        return CallbackList([as_callback(c) for c in callback])
    raise TypeError(f"callback must be a Callback, a list of them or None, got {type(callback).__name__}")


class CheckpointCallback(Callback):
    """Save the agent every ``save_freq`` steps to ``save_path/<name_prefix>_<steps>_steps`` (atomic saves)."""

    def __init__(self, save_freq: int, save_path: str | os.PathLike, name_prefix: str = "model") -> None:
        super().__init__()
        if save_freq < 1:
            raise ValueError(f"save_freq must be >= 1, got {save_freq}")
        self.save_freq = int(save_freq)
        self.save_path = Path(save_path)
        self.name_prefix = name_prefix
        self.saved: list[Path] = []

    def on_step(self) -> bool:
        if self._due(self.save_freq):
            path = self.save_path / f"{self.name_prefix}_{self.agent.num_timesteps}_steps"
            self.agent.save(path)
            self.saved.append(path)
        return True


class StopTrainingOnRewardThreshold(Callback):
    """Used as ``EvalCallback(callback_on_new_best=...)``: stop once the evaluation mean reaches a threshold."""

    def __init__(self, reward_threshold: float) -> None:
        super().__init__()
        self.reward_threshold = float(reward_threshold)
        self.parent: EvalCallback | None = None

    def on_step(self) -> bool:
        if self.parent is None:
            raise RuntimeError("StopTrainingOnRewardThreshold must be passed to EvalCallback(callback_on_new_best=)")
        return self.parent.best_mean_reward < self.reward_threshold


class EvalCallback(Callback):
    """Evaluate the greedy policy every ``eval_freq`` steps on ``eval_env`` for ``n_eval_episodes``.

    Records ``evaluations`` as ``(num_timesteps, mean_return, std_return)`` rows, saves the best agent to
    ``best_model_save_path`` when given, and calls ``callback_on_new_best`` (e.g.
    ``StopTrainingOnRewardThreshold``) whenever the best mean improves.
    """

    def __init__(
        self,
        eval_env,
        eval_freq: int = 10_000,
        n_eval_episodes: int = 10,
        deterministic: bool = True,
        best_model_save_path: str | os.PathLike | None = None,
        callback_on_new_best: Callback | None = None,
        seed: int | None = 0,
    ) -> None:
        super().__init__()
        if eval_freq < 1:
            raise ValueError(f"eval_freq must be >= 1, got {eval_freq}")
        if n_eval_episodes < 1:
            raise ValueError(f"n_eval_episodes must be >= 1, got {n_eval_episodes}")
        self.eval_env = eval_env
        self.eval_freq = int(eval_freq)
        self.n_eval_episodes = int(n_eval_episodes)
        self.deterministic = deterministic
        self.best_model_save_path = None if best_model_save_path is None else Path(best_model_save_path)
        self.callback_on_new_best = callback_on_new_best
        if isinstance(callback_on_new_best, StopTrainingOnRewardThreshold):
            callback_on_new_best.parent = self
        self.seed = seed
        self.best_mean_reward = -np.inf
        self.evaluations: list[tuple[int, float, float]] = []

    def init_callback(self, agent) -> None:
        super().init_callback(agent)
        if self.callback_on_new_best is not None:
            self.callback_on_new_best.init_callback(agent)

    def on_step(self) -> bool:
        if not self._due(self.eval_freq):
            return True
        from boltzgym.agents.evaluation import evaluate_policy

        seed = None if self.seed is None else self.seed + len(self.evaluations) * self.n_eval_episodes
        mean, std = evaluate_policy(
            self.agent, self.eval_env, self.n_eval_episodes, deterministic=self.deterministic, seed=seed
        )
        self.evaluations.append((self.agent.num_timesteps, mean, std))
        if mean > self.best_mean_reward:
            self.best_mean_reward = mean
            if self.best_model_save_path is not None:
                self.agent.save(self.best_model_save_path / "best_model")
            if self.callback_on_new_best is not None:
                return self.callback_on_new_best.on_step()
        return True
