"""Keep the best evaluated policy of a training run: periodic greedy evaluation and a restore at the end.

DQN's greedy policy on CartPole can be perfect for tens of thousands of steps and then collapse (the replay
buffer fills with long successful episodes, the failure states are forgotten and the Q-values drift; see the
report of issue 24). The last policy of a run is then a poor summary of it. As Stable-Baselines3's
``EvalCallback(best_model_save_path=...)`` does, :class:`KeepBestPolicy` evaluates the greedy policy every
``eval_freq`` environment steps on ``eval_episodes`` episodes of separate evaluation envs, keeps a copy of the
weights with the best mean return (the latest one among ties), and puts them back when training ends.

The evaluation is honest bookkeeping, not extra training: its episodes are played in fresh envs (never the
training env, whose episode it would cut), greedily (no draw from the agent's RNG, so the training run is exactly
the one without evaluation), with reset seeds derived from the agent's seed, a stream number of their own and the
step count (never a training reset seed, nor the ``10_000 + seed + i`` of the benchmarks' final evaluation).
Their episodes and steps are counted in ``agent.eval_episodes_played`` and ``agent.eval_timesteps``, not in
``num_timesteps``; each evaluation is a row of ``agent.evaluations`` and of the metrics (``eval/mean_return``).
"""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import numpy as np

from boltzgym.agents.batched_evaluation import run_episodes_batched
from boltzgym.agents.callbacks import Callback

_EVAL_STREAM = 0xE7A1  # the evaluation resets' own SeedSequence stream


class _CountSteps(gym.Wrapper):
    """Counts the steps of an evaluation env into a shared one-element list."""

    def __init__(self, env: gym.Env, counter: list[int]) -> None:
        super().__init__(env)
        self._counter = counter

    def step(self, action):
        self._counter[0] += 1
        return self.env.step(action)


def eval_env_factory(env) -> Callable[[], gym.Env]:
    """Fresh single envs like the training env ``env``: ``gym.make`` of its spec (its id, keyword arguments and
    time limit), for a vector env the spec of its first sub-env. ``ValueError`` when there is none (an env built
    without ``gym.make``): evaluation needs envs it can make."""
    spec = getattr(env, "spec", None)
    if isinstance(env, gym.vector.VectorEnv):
        sub_envs = getattr(env, "envs", None)
        spec = sub_envs[0].spec if sub_envs else None
    if spec is None:
        raise ValueError(
            "eval_freq > 0 needs evaluation envs made by gym.make: train on an env id or an env made with gym.make "
            "(its spec is used), or set eval_freq=0"
        )
    return lambda: gym.make(spec)


class KeepBestPolicy(Callback):
    """Every ``eval_freq`` env steps, play ``eval_episodes`` greedy episodes and keep the best weights; :meth:`finish`
    evaluates the final policy too and restores the best.

    Args:
        eval_freq: env steps (all envs counted) between evaluations.
        eval_episodes: episodes per evaluation, played side by side (:func:`run_episodes_batched`).
        make_env: returns a fresh evaluation env.
        seed: the agent's seed; ``None`` leaves the evaluation resets unseeded.
        get_state / set_state: read and write the weights to keep (the agent's networks).
    """

    def __init__(
        self,
        eval_freq: int,
        eval_episodes: int,
        make_env: Callable[[], gym.Env],
        seed: int | None,
        get_state: Callable[[], dict],
        set_state: Callable[[dict], None],
    ) -> None:
        super().__init__()
        self.eval_freq = int(eval_freq)
        self.eval_episodes = int(eval_episodes)
        self.seed = seed
        self._steps = [0]
        self._make_env = lambda: _CountSteps(make_env(), self._steps)
        self._get_state, self._set_state = get_state, set_state
        self.best_mean_return = -np.inf
        self.best_timesteps: int | None = None
        self.best_state: dict | None = None
        self._last_evaluated: int | None = None

    def on_step(self) -> bool:
        if self._due(self.eval_freq):
            self.evaluate()
        return True

    def evaluate(self) -> float:
        """Evaluate the current greedy policy now; keep its weights if its mean return is the best so far (>=)."""
        agent = self.agent
        step = agent.num_timesteps
        seed = None
        if self.seed is not None:
            seed = int(np.random.SeedSequence([self.seed, _EVAL_STREAM, step]).generate_state(1)[0])
        before = self._steps[0]
        returns = run_episodes_batched(agent, self._make_env, self.eval_episodes, seed=seed)
        mean, std = float(returns.mean()), float(returns.std())
        agent.eval_timesteps += self._steps[0] - before
        agent.eval_episodes_played += self.eval_episodes
        agent.evaluations.append((step, mean, std))
        agent.logger.record(step, {"eval/mean_return": mean, "eval/std_return": std})
        self._last_evaluated = step
        if mean >= self.best_mean_return:
            self.best_mean_return, self.best_timesteps = mean, step
            self.best_state = {key: value.clone() for key, value in self._get_state().items()}
        return mean

    def finish(self) -> None:
        """Evaluate the final policy (unless just evaluated) and restore the best weights."""
        if self._last_evaluated != self.agent.num_timesteps:
            self.evaluate()
        self._set_state(self.best_state)


def best_policy_keeper(nets: dict, env, seed: int | None, config) -> KeepBestPolicy | None:
    """The periodic evaluation that ``config.eval_freq > 0`` asks for (None when 0), keeping and restoring the
    weights of every module of ``nets`` (DQN's online and target networks) at its best evaluation."""
    if not config.eval_freq:
        return None

    def get_state() -> dict:
        return {f"{name}.{key}": value for name, net in nets.items() for key, value in net.state_dict().items()}

    def set_state(state: dict) -> None:
        for name, net in nets.items():
            net.load_state_dict({key[len(name) + 1 :]: v for key, v in state.items() if key.startswith(name + ".")})

    return KeepBestPolicy(config.eval_freq, config.eval_episodes, eval_env_factory(env), seed, get_state, set_state)
