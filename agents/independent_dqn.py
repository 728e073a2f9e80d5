"""Independent DQN learners on PettingZoo parallel envs, with optional parameter sharing (Tan 1993; Gupta,
Egorov & Kochenderfer 2017, "Cooperative multi-agent control using deep reinforcement learning").

The algorithm is :class:`boltzgym.agents.dqn.DQN`, reused as it is: the parallel env is seen as a Gymnasium
vector env with one entry per agent (:class:`AgentsAsVectorEnv`, the agents-as-environments view of SuperSuit's
``pettingzoo_env_to_vec_env``), so that one DQN loop acts for every agent at each joint step, stores each agent's
transitions as those of its own environment and trains on them. Each agent's observation (one-hot for
``Discrete``, flattened for ``Box``) gets the agent's one-hot id appended.

- ``share_parameters=True``: one Q-network for all agents; the id lets it act differently per agent (Gupta et
  al.'s parameter sharing).
- ``share_parameters=False`` (default): one Q-network per agent (:class:`PerAgentQNetworks`): the id routes each
  row to its agent's network, so an agent's weights are trained only on its own transitions (independent
  learners, as :class:`~boltzgym.agents.independent.IndependentQLearning` in tabular form). The replay buffer,
  epsilon schedule and Adam optimizer are shared, which changes how many of an agent's rows a mini-batch holds
  but not what each network learns from.

Turn-based (AEC) envs, such as PettingZoo's classic board games, are trained by a turn loop (:class:`AECTurns`):
an agent's transition runs from one of its turns to its next one, with the rewards it got in between (PettingZoo's
``last()``), so each agent's column of the replay buffer holds its own game; with ``share_parameters=True`` both
players of a two-player game train one network on their pooled transitions: self-play. Observations that carry an
``action_mask`` (PettingZoo's convention) are honoured in acting and in the targets (see
:class:`~boltzgym.agents.dqn.DQN`): an illegal move is never made.

API, per joint step (the tabular ``IndependentQLearning``'s)::

    from boltzgym.envs.spin_game import parallel_env
    from boltzgym.agents.independent_dqn import IndependentDQN

    learners = IndependentDQN(parallel_env(n_agents=4), share_parameters=True, seed=0).learn(20_000)
    actions, _ = learners.predict(observations)              # {agent: greedy action}
    learners.save("runs/idqn"); learners = IndependentDQN.load("runs/idqn", env)

Importing this module imports torch.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from boltzgym.agents.callbacks import Callback, as_callback
from boltzgym.agents.dqn import DQN
from boltzgym.agents.masks import is_masked_space, split_masked_observation
from boltzgym.agents.networks import QNetwork
from boltzgym.utils.progress import progress_bar as make_progress_bar
from boltzgym.utils.validation import check_bool, check_count, check_int

__all__ = [
    "AECTurns",
    "AgentsAsVectorEnv",
    "IndependentDQN",
    "is_aec_env",
    "PerAgentQNetworks",
    "per_agent_q_network",
    "shared_q_network",
]


def _encoder(space: gym.Space):
    """``(n_features, encode)`` for one agent's observation space: one-hot for Discrete, flattened Box (the inner
    ``observation`` of a masked Dict space)."""
    if is_masked_space(space):
        return _encoder(space["observation"])
    if isinstance(space, gym.spaces.Discrete):
        n, start = int(space.n), int(space.start)

        def encode(observation) -> np.ndarray:
            row = np.zeros(n, dtype=np.float32)
            row[int(observation) - start] = 1.0
            return row

        return n, encode
    if isinstance(space, gym.spaces.Box):
        return int(np.prod(space.shape)), lambda observation: np.asarray(observation, dtype=np.float32).ravel()
    raise TypeError(f"env: observation spaces must be Discrete or Box for IndependentDQN, got {space}")


def shared_spaces(env, agents: list) -> tuple[gym.Space, gym.Space]:
    """The observation and action space every agent of ``env`` shares (IndependentDQN's one network needs them
    equal, and the actions ``Discrete``); ``ValueError``/``TypeError`` naming ``env`` otherwise."""
    first_obs, first_action = env.observation_space(agents[0]), env.action_space(agents[0])
    for agent in agents:
        if env.observation_space(agent) != first_obs or env.action_space(agent) != first_action:
            raise ValueError(f"env: every agent needs the same spaces for IndependentDQN; {agent!r} differs")
    if not isinstance(first_action, gym.spaces.Discrete):
        raise TypeError(f"env: action spaces must be Discrete for IndependentDQN, got {first_action}")
    return first_obs, first_action


class AgentsAsVectorEnv(gym.vector.VectorEnv):
    """A PettingZoo ``ParallelEnv`` as a Gymnasium vector env whose entry ``i`` is agent ``i`` (same-step reset).

    Observations are ``(n_agents, n_features + n_agents)`` float32: each agent's encoded observation and its
    one-hot id. Every agent must have the same observation and ``Discrete`` action space, and all agents must end
    their episodes together (as in the repeated games of ``boltzgym.envs``); the env is then reset at once and
    the final observations are in ``infos["final_obs"]`` (Gymnasium's ``SAME_STEP`` autoreset).
    """

    metadata = {"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP}

    def __init__(self, env) -> None:
        agents = getattr(env, "possible_agents", None)
        if not agents or not callable(getattr(env, "observation_space", None)):
            raise TypeError(f"env must be a PettingZoo ParallelEnv with possible_agents, got {type(env).__name__}")
        self.env, self.agents = env, list(agents)
        first_obs, first_action = shared_spaces(env, self.agents)
        self.n_features, self._encode = _encoder(first_obs)
        self.num_envs = len(agents)
        width = self.n_features + self.num_envs
        self.single_observation_space = gym.spaces.Box(-np.inf, np.inf, (width,), np.float32)
        self.single_action_space = gym.spaces.Discrete(int(first_action.n))
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, self.num_envs)
        self.action_space = gym.vector.utils.batch_space(self.single_action_space, self.num_envs)
        self._ids = np.eye(self.num_envs, dtype=np.float32)

    def encode(self, observations: dict) -> np.ndarray:
        """The ``(n_agents, width)`` batch for a dict of per-agent observations (every agent must be present)."""
        missing = [agent for agent in self.agents if agent not in observations]
        if missing:
            raise ValueError(f"observations lack agents {missing}; the learners are {self.agents}")
        rows = [self._encode(observations[agent]) for agent in self.agents]
        return np.concatenate([np.stack(rows), self._ids], axis=1)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        observations, _ = self.env.reset(seed=seed, options=options)
        return self.encode(observations), {}

    def step(self, actions):
        joint = {agent: int(actions[i]) for i, agent in enumerate(self.agents)}
        observations, rewards, terminations, truncations, _ = self.env.step(joint)
        reward = np.array([rewards[agent] for agent in self.agents], dtype=np.float64)
        terminated = np.array([bool(terminations[agent]) for agent in self.agents])
        truncated = np.array([bool(truncations[agent]) for agent in self.agents])
        done = terminated | truncated
        if done.any() and not done.all():
            raise ValueError("env: IndependentDQN needs every agent's episode to end at the same step")
        infos: dict[str, Any] = {}
        batch = self.encode(observations)
        if done.all():
            infos = {"final_obs": batch, "_final_obs": np.ones(self.num_envs, dtype=bool)}
            batch, _ = self.reset()
        return batch, reward, terminated, truncated, infos

    def close(self, **kwargs) -> None:
        self.env.close()


class AECTurns:
    """A PettingZoo ``AECEnv`` seen agent by agent, for the turn loop of :class:`IndependentDQN`.

    Every agent must have the same observation space (Discrete, Box, or a masked ``Dict`` of one with an
    ``action_mask``) and the same ``Discrete`` action space. :meth:`encode` gives an agent's observation as the
    network's input (encoded observation and one-hot agent id, as :class:`AgentsAsVectorEnv` does) and its mask.
    """

    def __init__(self, env) -> None:
        agents = getattr(env, "possible_agents", None)
        if not agents or not callable(getattr(env, "last", None)):
            raise TypeError(f"env must be a PettingZoo AECEnv with possible_agents, got {type(env).__name__}")
        self.env, self.agents = env, list(agents)
        first_obs, first_action = shared_spaces(env, self.agents)
        self.masked = is_masked_space(first_obs)
        self.n_features, self._encode = _encoder(first_obs)
        self.n_actions = int(first_action.n)
        inner = gym.spaces.Box(-np.inf, np.inf, (self.n_features + len(agents),), np.float32)
        self.single_action_space = gym.spaces.Discrete(self.n_actions)
        self.single_observation_space = (
            gym.spaces.Dict({"observation": inner, "action_mask": gym.spaces.MultiBinary(self.n_actions)})
            if self.masked
            else inner
        )
        self._ids = np.eye(len(agents), dtype=np.float32)

    def encode(self, agent: str, observation) -> tuple[np.ndarray, np.ndarray]:
        """``(input row (width,) float32, legal actions (n_actions,) bool)`` of ``agent``'s observation."""
        if self.masked:
            observation, mask = split_masked_observation(observation, self.n_actions)
        else:
            mask = np.ones(self.n_actions, dtype=bool)
        row = np.concatenate([self._encode(observation), self._ids[self.agents.index(agent)]])
        return row, mask


class PerAgentQNetworks(nn.Module):
    """One :class:`~boltzgym.agents.networks.QNetwork` per agent; the one-hot id at the end of each observation
    selects the agent's network, so each agent's weights get gradients only from its own rows."""

    def __init__(self, observation_space: gym.Space, n_actions: int, n_agents: int, **kwargs: Any) -> None:
        super().__init__()
        self.n_agents = check_count("n_agents", n_agents, 1)
        features = int(observation_space.shape[0]) - self.n_agents
        if features < 1:
            raise ValueError(f"n_agents={n_agents} leaves no observation features in {observation_space}")
        space = gym.spaces.Box(-np.inf, np.inf, (features,), np.float32)
        self.networks = nn.ModuleList(QNetwork(space, n_actions, **kwargs) for _ in range(self.n_agents))

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        x = observations.float()
        features, ids = x[:, : -self.n_agents], x[:, -self.n_agents :]
        q = torch.stack([network(features) for network in self.networks], dim=1)  # (batch, agents, actions)
        return (q * ids[:, :, None]).sum(dim=1)


def per_agent_q_network(observation_space: gym.Space, n_actions: int, n_agents: int, **kwargs: Any) -> nn.Module:
    """``q_network="per-agent"``: independent networks (:class:`PerAgentQNetworks`); MLP keyword arguments."""
    return PerAgentQNetworks(observation_space, n_actions, n_agents, **kwargs)


def shared_q_network(observation_space: gym.Space, n_actions: int, n_agents: int, **kwargs: Any) -> nn.Module:
    """``q_network="shared-agents"``: one MLP over observation + agent id for all ``n_agents`` agents."""
    check_count("n_agents", n_agents, 1)
    return QNetwork(observation_space, n_actions, **kwargs)


class _SeenAs(Callback):
    """Runs ``callback`` inside DQN's loop with ``learners`` (not the DQN) as its agent."""

    def __init__(self, learners, callback) -> None:
        super().__init__()
        self.learners, self.callback = learners, as_callback(callback)

    def init_callback(self, agent) -> None:
        super().init_callback(agent)
        self.callback.init_callback(self.learners)

    def on_training_start(self) -> None:
        self.callback.on_training_start()

    def on_step(self) -> bool:
        return self.callback.on_step()

    def on_training_end(self) -> None:
        self.callback.on_training_end()


class IndependentDQN:
    """Independent DQN learners (or one parameter-shared learner) for a PettingZoo parallel env.

    Args:
        env: a PettingZoo parallel env whose agents share one observation space (Discrete or Box) and one
            Discrete action space and end their episodes together.
        share_parameters: one network for all agents (agent id appended) instead of one per agent.
        seed: seeds networks, exploration, replay and the env's resets (see :class:`~boltzgym.agents.dqn.DQN`).
        net_arch: hidden widths of each agent's (or the shared) MLP (ReLU, linear head; the other network fields
            of ``DQNConfig``, such as ``activation`` or ``dueling``, do not apply to these networks).
        **hyperparameters: other fields of :class:`~boltzgym.agents.dqn.DQNConfig` (``decrease_rate < 1``: hysteretic
            learners, whose values move down less than up, as
            :class:`~boltzgym.agents.independent.HystereticQLearning`). DQN counts one step per
            agent per joint step (``learning_starts``, ``exploration_fraction``'s horizon); ``buffer_size`` and
            ``train_freq`` count joint steps.
    """

    def __init__(self, env, *, share_parameters: bool = False, seed: int | None = None, net_arch=(64, 64),
                 **hyperparameters: Any) -> None:  # fmt: skip
        self.share_parameters = check_bool("share_parameters", share_parameters)
        for name in ("q_network", "q_network_kwargs"):
            if name in hyperparameters:
                raise ValueError(f"{name} is set by IndependentDQN (share_parameters chooses it), got {name}=...")
        self._attach(env)
        kwargs = {"n_agents": len(self.agents), "net_arch": list(net_arch)}
        name = "shared-agents" if self.share_parameters else "per-agent"
        if self.turns is not None:
            self.dqn = DQN.from_spaces(self.turns.single_observation_space, self.turns.single_action_space,
                                       len(self.agents), seed=seed, q_network=name, q_network_kwargs=kwargs,
                                       **hyperparameters)  # fmt: skip
        else:
            self.dqn = DQN(self.vector_env, seed=seed, q_network=name, q_network_kwargs=kwargs, **hyperparameters)

    def _attach(self, env) -> None:
        """``turns`` for an AEC env (turn loop), else ``vector_env`` for a parallel env."""
        self.turns = AECTurns(env) if is_aec_env(env) else None
        self.vector_env = None if self.turns is not None else AgentsAsVectorEnv(env)
        self.env = env
        self.agents = (self.turns or self.vector_env).agents

    @property
    def num_timesteps(self) -> int:
        """Joint steps taken so far (for an AEC env: agent turns, counted when their transition is stored)."""
        if self.turns is not None:
            return self.dqn.num_timesteps
        return self.dqn.num_timesteps // len(self.agents)

    @property
    def episode_returns(self) -> list[float]:
        """Each finished training episode's return, one entry per agent and episode."""
        return self.dqn.episode_returns

    def learn(self, total_timesteps: int, callback=None, progress_bar: bool = False) -> IndependentDQN:
        """Run ``total_timesteps`` joint steps (every agent acts, stores and learns at each); return self.

        ``callback`` (see :mod:`boltzgym.agents.callbacks`) is called after each joint step with these learners as
        its ``agent`` (``num_timesteps`` in joint steps).
        """
        total_timesteps = check_int("total_timesteps", total_timesteps, minimum=1)
        if self.turns is not None:
            self._learn_turns(total_timesteps, _SeenAs(self, callback), progress_bar)
        else:
            self.dqn.learn(total_timesteps * len(self.agents), callback=_SeenAs(self, callback),
                           progress_bar=progress_bar)  # fmt: skip
        return self

    def _learn_turns(self, total_timesteps: int, callback: Callback, progress_bar: bool) -> None:
        """The turn loop on an AEC env: until ``total_timesteps`` more agent transitions are stored.

        At each turn the selected agent's ``last()`` completes its previous transition (the observation it acted
        on, its action, the reward since then, this observation and mask, and whether its game ended); the agent
        then acts (epsilon-greedy among its legal actions) or, when its game ended, steps ``None``. Completed
        transitions are stored one per agent per buffer row (each agent's column is its own history); at the end
        of a game the agents with fewer turns fill their column with invalid entries, which are never sampled.
        """
        dqn, turns, env = self.dqn, self.turns, self.env
        width = turns.n_features + len(self.agents)
        dqn.schedule_horizon = end = dqn.num_timesteps + total_timesteps
        callback.init_callback(dqn)
        callback.on_training_start()
        bar = make_progress_bar(total=total_timesteps, desc="idqn", enabled=progress_bar)
        seed = (
            None
            if dqn.seed is None
            else int(np.random.SeedSequence([dqn.seed, dqn.num_timesteps]).generate_state(1)[0])
        )
        dqn.replay_buffer.end_episodes()
        env.reset(seed=seed)
        pending: dict[str, tuple[np.ndarray, int] | None] = dict.fromkeys(self.agents)
        queues: dict[str, list] = {agent: [] for agent in self.agents}
        returns = dict.fromkeys(self.agents, 0.0)
        blank = (
            np.zeros(width, np.float32),
            0,
            0.0,
            np.zeros(width, np.float32),
            np.ones(turns.n_actions, bool),
            False,
            True,
            False,
        )  # fmt: skip  an invalid entry (never sampled)

        def store(rows: int) -> None:
            for _ in range(rows):
                entries = [queues[agent].pop(0) if queues[agent] else blank for agent in self.agents]
                obs, actions, rewards, next_obs, masks, terminated, truncated, valid = (
                    np.array(v) for v in zip(*entries)
                )
                before = dqn.num_timesteps
                dqn.record(obs, actions, rewards, next_obs, terminated, truncated, valid=valid, next_masks=masks,
                           n_steps=int(valid.sum()))  # fmt: skip
                bar.update(dqn.num_timesteps - before)

        dqn.logger.open()
        try:
            while dqn.num_timesteps < end:
                agent = env.agent_selection
                observation, reward, termination, truncation, _ = env.last()
                row, mask = turns.encode(agent, observation)
                returns[agent] += float(reward)
                if pending[agent] is not None:
                    obs, action = pending[agent]
                    queues[agent].append((obs, action, float(reward), row, mask, termination, truncation, True))
                if termination or truncation:
                    env.step(None)
                    pending[agent] = None
                else:
                    action = int(dqn.act(row[None], mask[None])[0])
                    env.step(action)
                    pending[agent] = (row, action)
                if all(queues.values()):
                    store(1)
                if not env.agents:  # the game is over: every agent's last transition is queued
                    store(max(len(queue) for queue in queues.values()))
                    for name in self.agents:
                        dqn.episode_returns.append(returns[name])
                        dqn.episode_end_steps.append(dqn.num_timesteps)
                    team_return = float(np.mean(list(returns.values())))
                    metrics = {"charts/episode_return": team_return, "charts/epsilon": dqn.exploration_rate()}
                    dqn.logger.record(dqn.num_timesteps, metrics)
                    returns = dict.fromkeys(self.agents, 0.0)
                    pending = dict.fromkeys(self.agents)
                    env.reset()
                if not callback.on_step():
                    break
        finally:
            bar.close()
            dqn.logger.close()
        callback.on_training_end()
        dqn.logger.write_csv()

    def predict(self, observations: dict, deterministic: bool = True) -> tuple[dict[str, int], None]:
        """Each agent's greedy (or epsilon-greedy) action for its observation: ``({agent: action}, None)``.

        For an AEC env ``observations`` may name any of the agents (usually the one whose turn it is:
        ``{env.agent_selection: env.last()[0]}``); the actions are legal under the observations' masks.
        """
        unknown = [agent for agent in observations if agent not in self.agents]
        if unknown:
            raise ValueError(f"observations name unknown agents {unknown}; the learners are {self.agents}")
        if self.turns is not None:
            names = list(observations)
            rows, masks = zip(*(self.turns.encode(agent, observations[agent]) for agent in names))
            batch = (
                {"observation": np.stack(rows), "action_mask": np.stack(masks)} if self.turns.masked else np.stack(rows)
            )
            actions, _ = self.dqn.predict(batch, deterministic=deterministic)
            return {agent: int(actions[i]) for i, agent in enumerate(names)}, None
        actions, _ = self.dqn.predict(self.vector_env.encode(observations), deterministic=deterministic)
        return {agent: int(actions[i]) for i, agent in enumerate(self.agents)}, None

    def save(self, path: str | os.PathLike, include_buffer: bool = False) -> Path:
        """Write the DQN checkpoint folder (atomically; see :meth:`DQN.save`): config, weights (+ replay)."""
        return self.dqn.save(path, include_buffer=include_buffer)

    @classmethod
    def load(cls, path: str | os.PathLike, env) -> IndependentDQN:
        """Load learners written by :meth:`save` onto ``env`` (same number of agents and spaces)."""
        dqn = DQN.load(path)
        n_agents = dqn.config.q_network_kwargs.get("n_agents")
        learners = cls.__new__(cls)
        learners._attach(env)
        if dqn.config.q_network not in ("per-agent", "shared-agents") or n_agents is None:
            raise ValueError(f"path: {str(path)!r} is a DQN checkpoint, not one of IndependentDQN")
        if n_agents != len(learners.agents):
            raise ValueError(
                f"env: the checkpoint's learners are for {n_agents} agents, env has {len(learners.agents)} "
                f"({learners.agents})"
            )
        if learners.turns is not None:
            dqn.n_envs = n_agents  # the turn loop drives the agent: one replay column per agent, no env attached
        else:
            dqn.set_env(learners.vector_env)
        learners.share_parameters = dqn.config.q_network == "shared-agents"
        learners.dqn = dqn
        return learners


def evaluate_turns(learners, env, n_episodes: int, seed: int = 0) -> np.ndarray:
    """Greedy episodes of an AEC env, every agent played by ``learners`` (``predict({agent: observation})``): each
    agent's return per episode, ``(n_episodes, n_agents)`` in ``env.possible_agents`` order (episode ``i`` reset
    with ``seed + i``)."""
    n_episodes = check_int("n_episodes", n_episodes, minimum=1)
    agents = list(env.possible_agents)
    returns = np.zeros((n_episodes, len(agents)))
    for episode in range(n_episodes):
        env.reset(seed=seed + episode)
        for agent in env.agent_iter():
            observation, reward, termination, truncation, _ = env.last()
            returns[episode, agents.index(agent)] += float(reward)
            action = None if termination or truncation else learners.predict({agent: observation})[0][agent]
            env.step(action)
    return returns


def is_aec_env(env) -> bool:
    """Whether ``env`` is a PettingZoo ``AECEnv`` (turn-based: ``agent_selection``, ``last()``), wrappers included."""
    from pettingzoo import AECEnv

    return isinstance(env, AECEnv)
