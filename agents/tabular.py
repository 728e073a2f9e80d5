"""Tabular temporal-difference agents: Q-learning, SARSA, Expected SARSA and Double Q-learning (notes 6.1).

Every agent keeps a table ``Q[s, a]`` and after each step moves ``Q(s, a)`` toward a target by a step size
``alpha``: ``Q(s, a) <- (1 - alpha) Q(s, a) + alpha * target`` (notes 6.1, step 3). The targets:

- Q-learning (Watkins & Dayan 1992): ``r + gamma * max_a' Q(s', a')``. The notes write ``r + gamma * Q(s, a)``,
  which bootstraps from the state just left and does not converge to the optimal values; we use the next state's
  best value, as the literature does.
- SARSA (Rummery & Niranjan 1994): ``r + gamma * Q(s', a')`` with ``a'`` the action the policy then takes.
- Expected SARSA (van Seijen et al. 2009): ``r + gamma * sum_a' pi(a'|s') Q(s', a')``.
- Double Q-learning (van Hasselt 2010): two tables; a fair coin picks the one to update, whose greedy action at
  ``s'`` is valued by the other: ``r + gamma * Q_B(s', argmax_a' Q_A(s', a'))``. ``q_table`` is their mean.

For independent learners in cooperative games (:mod:`boltzgym.agents.independent`) three rules change how far
``Q(s, a)`` moves toward the Q-learning target: hysteretic (:class:`HystereticAgent`), lenient
(:class:`LenientAgent`) and distributed Q-learning (:class:`DistributedAgent`).

Beyond a terminating transition the target is ``r`` alone; a time-limit truncation is not a termination (the
target still bootstraps from ``s'``). Exploration: epsilon-greedy with a linearly decaying epsilon, Boltzmann
(softmax) with a linearly decaying temperature, or a UCB count bonus ``c * sqrt(2 ln N(s) / n(s, a))`` (the notes'
6.2 rule applied per state); ``initial_q`` > 0 gives optimistic initial values. Step sizes are constant
(``learning_rate``) or ``1 / n(s, a)^omega`` (``step_size_exponent=omega``; omega in (0.5, 1] meets the
Robbins-Monro conditions).

The API is Stable-Baselines3's: ``QLearning(env, seed=0, **hyperparameters).learn(total_timesteps)``,
``predict(obs, deterministic=True)``, ``save(path)`` / ``QLearning.load(path, env)``. When the env exposes
toy-text dynamics (``unwrapped.P``: FrozenLake, CliffWalking, Taxi, GridWorld, TabularMDP) ``learn`` runs the jitted
fast path of :mod:`boltzgym.agents._tabular_kernels`, which gives the same ``q_table`` for the same seed as the
step-by-step loop below (``use_fast_path=False``). This module does not import torch.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import ClassVar

import gymnasium as gym
import numpy as np

from boltzgym.agents import _tabular_kernels as kernels
from boltzgym.agents.callbacks import as_callback
from boltzgym.agents.dynamics import check_discrete, extract_dynamics, replay_blocker
from boltzgym.agents.tabular_config import EXPLORATIONS, HystereticConfig, LenientConfig, TabularConfig
from boltzgym.utils.checkpoint import load_checkpoint, load_checkpoint_arrays, save_checkpoint
from boltzgym.utils.progress import progress_bar as make_progress_bar
from boltzgym.utils.validation import check_int, check_seed

CHECKPOINT_FORMAT = "boltzgym-tabular"
CHECKPOINT_VERSION = 2  # 2: a utils.checkpoint folder (manifest.json); 1 was two files written one after the other


class TabularAgent:
    """Shared machinery of the tabular TD agents; subclasses define ``_update`` (their TD target).

    Args:
        env: a Gymnasium env with ``Discrete`` observation and action spaces (None only through ``load``).
        seed: seeds the agent's generator (exploration, Double Q's coin) and the env's first reset.
        use_fast_path: None (default) runs the jitted loop when the env's dynamics can be replayed exactly, True
            requires it (``ValueError`` naming the reason otherwise), False always steps through the Gymnasium API.
        **hyperparameters: the fields of :class:`TabularConfig`.

    Attributes:
        num_timesteps: environment steps taken over all ``learn`` calls.
        episode_returns, episode_end_steps: the return of every finished training episode and the step it ended at.
        fast_chunk_steps: steps per jitted call; callbacks and the progress bar run between chunks.
    """

    algorithm: ClassVar[int] = kernels.Q_LEARNING
    config_class: ClassVar[type[TabularConfig]] = TabularConfig
    fast_chunk_steps: int = 10_000

    def __init__(self, env: gym.Env, *, seed: int | None = None, use_fast_path: bool | None = None, **hyperparameters):
        if env is None:
            raise TypeError("env must be a gymnasium.Env with Discrete spaces, got None (use load() without an env)")
        self.config = self.config_class.from_kwargs(hyperparameters)
        n_states, n_actions = check_discrete(env)
        self._setup(n_states, n_actions, check_seed("seed", seed))
        self.set_env(env, use_fast_path)

    @classmethod
    def from_spaces(cls, n_states: int, n_actions: int, *, seed: int | None = None, **hyperparameters) -> TabularAgent:
        """An agent with a table of ``n_states x n_actions`` and no env, driven by :meth:`act`/:meth:`observe`."""
        agent = cls.__new__(cls)
        agent.config = cls.config_class.from_kwargs(hyperparameters)
        n_states, n_actions = check_int("n_states", n_states, minimum=1), check_int("n_actions", n_actions, minimum=1)
        agent._setup(n_states, n_actions, check_seed("seed", seed))
        return agent

    def _setup(self, n_states: int, n_actions: int, seed: int | None) -> None:
        self.n_states, self.n_actions, self.seed = n_states, n_actions, seed
        self.rng = np.random.default_rng(seed)
        self._params = self.config.as_params()
        self._exploration = EXPLORATIONS[self.config.exploration]
        self._q1 = np.full((n_states, n_actions), self.config.initial_q)
        self._q2 = self._second_table(n_states, n_actions)
        self._counts = np.zeros((n_states, n_actions), dtype=np.int64)
        self.num_timesteps = 0
        self.episode_returns: list[float] = []
        self.episode_end_steps: list[int] = []
        self.env: gym.Env | None = None
        self._dynamics = None

    def _second_table(self, n_states: int, n_actions: int) -> np.ndarray | None:
        """The rule's second ``(S, A)`` table (``q2`` of the kernels): Double Q's table B, else None."""
        if self.algorithm == kernels.DOUBLE_Q:
            return np.full((n_states, n_actions), self.config.initial_q)
        return None

    def _greedy_values(self) -> np.ndarray:
        """The ``(S, A)`` table whose row argmax is the greedy action (``q_table``)."""
        return self.q_table

    @property
    def gamma(self) -> float:
        return self.config.gamma

    @property
    def q_table(self) -> np.ndarray:
        """The ``(n_states, n_actions)`` action values: the live table (Double Q: a new array, the mean of its two)."""
        if self._q2 is not None:
            return (self._q1 + self._q2) * 0.5
        return self._q1

    def set_env(self, env: gym.Env, use_fast_path: bool | None = None) -> None:
        """Attach ``env`` (same space sizes as the table) and decide between the fast path and the step loop."""
        n_states, n_actions = check_discrete(env)
        if (n_states, n_actions) != (self.n_states, self.n_actions):
            raise ValueError(
                f"env has {n_states} states and {n_actions} actions, the agent's table "
                f"{self.n_states} x {self.n_actions}"
            )
        blocker = replay_blocker(env)
        if use_fast_path and blocker is not None:
            raise ValueError(f"use_fast_path=True but the fast path cannot replay this env: {blocker}")
        self.env = env
        self._env_seeded = False
        self._dynamics = None
        if use_fast_path is not False and blocker is None:
            dynamics = extract_dynamics(env)
            self._dynamics = (
                dynamics.cumulative_probabilities(),
                dynamics.next_states,
                dynamics.rewards,
                dynamics.terminated,
                dynamics.n_outcomes,
                np.cumsum(dynamics.initial_distribution),
            )
            self._max_episode_steps = dynamics.max_episode_steps or 0

    @property
    def uses_fast_path(self) -> bool:
        """Whether ``learn`` runs the jitted loop on the current env."""
        return self._dynamics is not None

    # --- acting ---------------------------------------------------------------------------------------

    def _behaviour_row(self, s: int) -> np.ndarray:
        return kernels.behaviour_row.py_func(self._q1, self._q2, s, self.algorithm)

    def _select(self, s: int, t: int, mask: np.ndarray | None = None) -> int:
        """The behaviour policy's action in state ``s`` at step ``t`` among the legal actions ``mask`` (default:
        all); draws from ``self.rng``."""
        row = self._behaviour_row(s)
        mask = self._legal(mask)
        return int(
            kernels.select_action.py_func(row, self._counts[s], mask, self._exploration, t, self._params, self.rng)
        )

    def _legal(self, mask) -> np.ndarray:
        """``mask`` as a bool ``(n_actions,)`` array with a legal action (all True for None); ValueError otherwise."""
        if mask is None:
            return np.ones(self.n_actions, dtype=bool)
        mask = np.asarray(mask).astype(bool)
        if mask.shape != (self.n_actions,):
            raise ValueError(f"action_mask must have shape ({self.n_actions},), got {mask.shape}")
        return mask

    def predict(self, observation, deterministic: bool = True, action_mask=None) -> tuple[np.ndarray | int, None]:
        """The greedy action (ties: lowest index) or, with ``deterministic=False``, a behaviour-policy action.

        ``observation`` is a state index or an array of them; returns ``(action(s), None)`` as SB3 does.
        ``action_mask`` (bool ``(n_actions,)``, or one row per state): only legal actions are returned.
        """
        states = np.asarray(observation)
        if not np.issubdtype(states.dtype, np.integer) or states.min() < 0 or states.max() >= self.n_states:
            raise ValueError(f"observation must be state indices in [0, {self.n_states}), got {observation!r}")
        masks = np.broadcast_to(np.ones(self.n_actions, bool) if action_mask is None else np.asarray(action_mask, bool),
                                (*states.shape, self.n_actions))  # fmt: skip
        if deterministic:
            actions = np.where(masks, self._greedy_values()[states], -np.inf).argmax(axis=-1)
        else:
            flat = [
                self._select(int(s), self.num_timesteps, m)
                for s, m in zip(states.ravel(), masks.reshape(-1, self.n_actions))
            ]
            actions = np.asarray(flat, dtype=np.int64).reshape(states.shape)
        return (int(actions) if states.ndim == 0 else actions.astype(np.int64)), None

    # --- learning -------------------------------------------------------------------------------------

    def act(self, state: int, action_mask=None) -> int:
        """The behaviour policy's action in ``state`` now, among the legal actions ``action_mask`` (bool
        ``(n_actions,)``; default: all); draws from the agent's generator."""
        return self._select(state, self.num_timesteps, action_mask)

    def observe(self, state: int, action: int, reward: float, next_state: int, terminated: bool,
                next_action_mask=None) -> int:  # fmt: skip
        """Learn from one transition, as one environment step: count it and take the TD step with the step size of
        its count; ``next_action_mask`` (the legal actions at ``next_state``, default all) restricts every
        bootstrapped max, argmax or expectation. Returns SARSA's next action (to be taken next), else -1. ``learn``
        and the independent learners of ``boltzgym.agents.independent`` drive the agent through ``act``/``observe``."""
        self.num_timesteps += 1
        self._counts[state, action] += 1
        alpha = kernels.step_size.py_func(self._counts[state, action], self._params)
        return self._update(state, action, reward, next_state, terminated, alpha, self._legal(next_action_mask))

    def _update(self, s: int, a: int, r: float, s2: int, terminated: bool, alpha: float, next_mask) -> int:
        """One TD update by the jitted loop's own rule (``kernels.td_update``); returns SARSA's next action or -1."""
        q2 = self._q2 if self._q2 is not None else self._q1[:0]
        return int(
            kernels.td_update.py_func(
                self._q1,
                q2,
                self._counts,
                s,
                a,
                r,
                s2,
                next_mask,
                terminated,
                alpha,
                self.algorithm,
                self._exploration,
                self.num_timesteps,
                self._params,
                self.rng,
            )
        )

    def learn(self, total_timesteps: int, callback=None, progress_bar: bool = False) -> TabularAgent:
        """Train for ``total_timesteps`` environment steps; return self.

        Each call starts a fresh episode: the first reset of an env uses ``seed + num_timesteps`` (the agent's seed,
        moved on by the steps already taken when resuming), later calls continue the env's random stream.
        ``callback`` (a :class:`~boltzgym.agents.callbacks.Callback`, a list of them or None) runs after every step
        of the step loop, or after every chunk of ``fast_chunk_steps`` on the fast path; ``False`` stops training.
        """
        total_timesteps = check_int("total_timesteps", total_timesteps, minimum=1)
        if self.env is None:
            raise ValueError("the agent has no env: pass one to load(path, env) or call set_env(env) before learn()")
        callback = as_callback(callback)
        callback.init_callback(self)
        callback.on_training_start()
        reset_seed = None if (self._env_seeded or self.seed is None) else self.seed + self.num_timesteps
        state, _ = self.env.reset(seed=reset_seed)
        self._env_seeded = True
        name = type(self).__name__
        with make_progress_bar(total=total_timesteps, desc=name, enabled=progress_bar, leave=True) as bar:
            if self.uses_fast_path:
                self._learn_fast(int(state), total_timesteps, callback, bar)
            else:
                self._learn_steps(int(state), total_timesteps, callback, bar)
        callback.on_training_end()
        return self

    def _learn_steps(self, state: int, total_timesteps: int, callback, bar) -> None:
        """The textbook loop through the Gymnasium API, one step at a time."""
        pending, episode_return = -1, 0.0
        for step in range(total_timesteps):
            action = pending if pending >= 0 else self.act(state)
            next_state, reward, terminated, truncated, _ = self.env.step(action)
            next_state, reward = int(next_state), float(reward)
            episode_return += reward
            pending = self.observe(state, action, reward, next_state, bool(terminated))
            if terminated or truncated:
                self.episode_returns.append(episode_return)
                self.episode_end_steps.append(self.num_timesteps)
                episode_return, pending = 0.0, -1
                state, _ = self.env.reset()
                state = int(state)
            else:
                state = next_state
            if (step + 1) % 1000 == 0:
                bar.update(1000)
            if not callback.on_step():
                break

    def _learn_fast(self, state: int, total_timesteps: int, callback, bar) -> None:
        """The same loop, jitted over the env's dynamics arrays, in chunks with callbacks in between."""
        settings = np.array([self.algorithm, self._exploration, self._max_episode_steps], dtype=np.int64)
        cursor = np.array([state, -1, 0, self.num_timesteps], dtype=np.int64)
        episode_return = np.zeros(1)
        q2 = self._q2 if self._q2 is not None else self._q1[:0]
        env_rng = self.env.unwrapped.np_random
        done = 0
        while done < total_timesteps:
            n_steps = min(self.fast_chunk_steps, total_timesteps - done)
            log = (np.empty(n_steps), np.empty(n_steps, dtype=np.int64))
            n_ended = kernels.run_steps(
                self._dynamics,
                (self._q1, q2, self._counts),
                self._params,
                settings,
                cursor,
                episode_return,
                n_steps,
                self.rng,
                env_rng,
                log,
            )
            self.episode_returns.extend(log[0][:n_ended].tolist())
            self.episode_end_steps.extend(log[1][:n_ended].tolist())
            self.num_timesteps = int(cursor[kernels.CURSOR_TIMESTEPS])
            done += n_steps
            bar.update(n_steps)
            if not callback.on_step():
                break

    # --- checkpoints ----------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> Path:
        """Write a checkpoint folder atomically (:mod:`boltzgym.utils.checkpoint`): ``arrays.npz`` (tables,
        counts, learning curve) and ``config.json`` (class, hyperparameters, sizes, seed, generator state), tied
        together by ``manifest.json``. Nothing is pickled, so loading executes no code."""
        arrays = {
            "q1": self._q1,
            "counts": self._counts,
            "episode_returns": np.asarray(self.episode_returns, dtype=np.float64),
            "episode_end_steps": np.asarray(self.episode_end_steps, dtype=np.int64),
        }
        if self._q2 is not None:
            arrays["q2"] = self._q2
        config = {
            "agent": type(self).__name__,
            "hyperparameters": asdict(self.config),
            "n_states": self.n_states,
            "n_actions": self.n_actions,
            "seed": self.seed,
            "rng_state": self.rng.bit_generator.state,
        }
        return save_checkpoint(
            path,
            CHECKPOINT_FORMAT,
            CHECKPOINT_VERSION,
            config,
            arrays={"arrays.npz": arrays},
            counters={"num_timesteps": self.num_timesteps},
        )

    @classmethod
    def load(cls, path: str | os.PathLike, env: gym.Env | None = None, use_fast_path: bool | None = None):
        """Load an agent written by ``save``; ``env`` (optional) is attached for further ``learn`` calls.

        Called on a subclass it checks the checkpoint holds that class; on ``TabularAgent`` it returns whichever
        tabular agent was saved. Every problem (missing, truncated or corrupt files, a config of the wrong shape,
        tables of the wrong shape or with NaN) is one :class:`~boltzgym.utils.checkpoint.CheckpointError`
        naming the file.
        """
        checkpoint = load_checkpoint(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION)
        config = checkpoint.config
        name = config.get("agent")
        agent_class = AGENT_CLASSES.get(name) if isinstance(name, str) else None
        if agent_class is None or (cls is not TabularAgent and agent_class is not cls):
            raise checkpoint.error("config.json", f"holds a {name!r}, not a {cls.__name__}")
        try:
            agent = agent_class.__new__(agent_class)
            agent.config = agent_class.config_class.from_kwargs(config["hyperparameters"])
            n_states = check_int("n_states", config["n_states"], minimum=1)
            n_actions = check_int("n_actions", config["n_actions"], minimum=1)
            agent._setup(n_states, n_actions, check_seed("seed", config["seed"]))
            agent.rng.bit_generator.state = config["rng_state"]
        except KeyError as exc:
            raise checkpoint.error("config.json", f"is corrupt: missing field {exc}") from exc
        except (TypeError, ValueError, AttributeError) as exc:
            raise checkpoint.error("config.json", f"is corrupt: {exc}") from exc
        if "num_timesteps" not in checkpoint.counters:
            raise checkpoint.error("manifest.json", "lacks the counter 'num_timesteps'")
        shapes = {"q1": (n_states, n_actions), "counts": (n_states, n_actions)}
        shapes |= {"episode_returns": (None,), "episode_end_steps": (None,)}
        if agent._q2 is not None:
            shapes["q2"] = (n_states, n_actions)
        arrays = load_checkpoint_arrays(checkpoint, "arrays.npz", shapes)
        if (arrays["counts"] < 0).any() or len(arrays["episode_returns"]) != len(arrays["episode_end_steps"]):
            raise checkpoint.error("arrays.npz", "is corrupt: negative visit counts or a learning curve out of step")
        agent._q1[...] = arrays["q1"]
        agent._counts[...] = arrays["counts"]
        if agent._q2 is not None:
            agent._q2[...] = arrays["q2"]
        agent.episode_returns = arrays["episode_returns"].tolist()
        agent.episode_end_steps = arrays["episode_end_steps"].tolist()
        agent.num_timesteps = checkpoint.counters["num_timesteps"]
        if env is not None:
            agent.set_env(env, use_fast_path)
        return agent


class QLearning(TabularAgent):
    """Q-learning (Watkins & Dayan 1992): off-policy TD control toward ``r + gamma * max_a' Q(s', a')``.

    Deviation from the notes (6.1, step 3): they write the target as ``R + gamma * Q(s, a)``; the correct target
    bootstraps from the next state's best action value, which is what converges to ``Q*``. See
    :class:`TabularAgent` for the arguments and :class:`TabularConfig` for the hyperparameters.

    Example:
        >>> import gymnasium as gym
        >>> agent = QLearning(gym.make("FrozenLake-v1"), seed=0, exploration_steps=20_000).learn(50_000)
        >>> agent.q_table.shape
        (16, 4)
    """

    algorithm = kernels.Q_LEARNING


class SARSA(TabularAgent):
    """SARSA (Rummery & Niranjan 1994): on-policy TD control toward ``r + gamma * Q(s', a')``.

    ``a'`` is drawn from the behaviour policy before the update and is the next action taken, so SARSA learns
    the value of the exploring policy (the safe path on the cliff, Sutton & Barto 2018 example 6.6).
    """

    algorithm = kernels.SARSA


class ExpectedSARSA(TabularAgent):
    """Expected SARSA (van Seijen et al. 2009): the target averages ``Q(s', .)`` under the behaviour policy.

    ``r + gamma * sum_a' pi(a'|s') Q(s', a')``, with ``pi`` the epsilon-greedy, Boltzmann or UCB policy at the
    current step: SARSA's expectation without its sampling noise.
    """

    algorithm = kernels.EXPECTED_SARSA


class DoubleQLearning(TabularAgent):
    """Double Q-learning (van Hasselt 2010): two tables remove Q-learning's maximisation bias.

    A fair coin (one draw from the agent's generator per step) picks table A or B to update; the updated table
    chooses ``a* = argmax_a' Q_A(s', a')`` and the other values it: ``r + gamma * Q_B(s', a*)``. The behaviour
    policy and ``q_table`` use the mean ``(Q_A + Q_B) / 2``. Sutton & Barto (2018), example 6.7.
    """

    algorithm = kernels.DOUBLE_Q


class HystereticAgent(TabularAgent):
    """Hysteretic Q-learning (Matignon, Laurent & Le Fort-Piat 2007): two step sizes, ``alpha`` for a positive TD
    error and ``beta = alpha * decrease_rate < alpha`` for a negative one.

    An independent learner in a cooperative game cannot tell a low reward caused by its partner's exploration
    from a bad action of its own; hysteresis makes it optimistic about the partner, which lets a pair of them
    find a coordinated optimum that plain Q-learners miss (the climbing game). The rule is ``kernels.td_update``'s
    ``HYSTERETIC`` branch; hyperparameters :class:`HystereticConfig`.
    """

    algorithm = kernels.HYSTERETIC
    config_class = HystereticConfig


class LenientAgent(TabularAgent):
    """Lenient Q-learning (Panait, Sullivan & Luke 2006; LMRL2, Wei & Luke 2016): a TD error <= 0 is ignored
    with probability ``1 - exp(-K T(s, a))``, where the temperature ``T(s, a)`` starts at ``max_temperature``
    and decays at each update of ``(s, a)``.

    Early on, while the partner still explores, the learner forgives the low rewards of mis-coordination; once
    ``(s, a)`` is cold it is a Q-learner, so, unlike distributed Q-learning, it averages the noise of stochastic
    rewards in the end. The temperatures are the second table (``q2``). Exploration is the tabular behaviour
    policy (epsilon-greedy, Boltzmann or UCB), not LMRL2's temperature-driven Boltzmann selection.
    Hyperparameters :class:`LenientConfig`.
    """

    algorithm = kernels.LENIENT
    config_class = LenientConfig

    def _second_table(self, n_states: int, n_actions: int) -> np.ndarray:
        return np.full((n_states, n_actions), self.config.max_temperature)

    @property
    def temperatures(self) -> np.ndarray:
        """The ``(n_states, n_actions)`` temperatures ``T(s, a)`` (the live table)."""
        return self._q2

    @property
    def q_table(self) -> np.ndarray:
        return self._q1


class DistributedAgent(TabularAgent):
    """Distributed Q-learning (Lauer & Riedmiller 2000) for deterministic cooperative games: optimistic values
    ``Q(s, a) <- max(Q(s, a), r + gamma max_a' Q(s', a'))`` and a policy that changes only when ``max_b Q(s, b)``
    rises.

    In a deterministic cooperative game the maximum over the partner's actions is the value of acting with a
    partner who plays its best, which is what each independent learner records; the policy rule then keeps the
    players on the same optimal joint action when there are several (the penalty game). Stochastic rewards break
    it: it believes the luckiest draw. ``q2`` holds the policy as one-hot rows (all zeros before the first
    update of ``s``); the behaviour policy explores around it, and ``predict`` follows it. ``initial_q`` is the
    value of pairs not yet tried (the first visit sets ``Q(s, a)`` to its target).
    """

    algorithm = kernels.DISTRIBUTED

    def _second_table(self, n_states: int, n_actions: int) -> np.ndarray:
        return np.zeros((n_states, n_actions))

    @property
    def q_table(self) -> np.ndarray:
        return self._q1

    @property
    def policy(self) -> np.ndarray:
        """The greedy action of every state (``(n_states,)`` int64): the policy's, or ``argmax Q`` before it has one."""
        return self._greedy_values().argmax(axis=1)

    def _greedy_values(self) -> np.ndarray:
        chosen = self._q2.max(axis=1) > 0.0
        return np.where(chosen[:, None], self._q2, self._q1)


# class name -> class, for checkpoints (the names users type live in boltzgym.agents.registry.AGENTS)
AGENT_CLASSES: dict[str, type[TabularAgent]] = {cls.__name__: cls for cls in TabularAgent.__subclasses__()}
