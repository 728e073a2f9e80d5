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
from boltzgym.agents.networks import QNetwork
from boltzgym.utils.validation import check_bool, check_count, check_int

__all__ = ["AgentsAsVectorEnv", "IndependentDQN", "PerAgentQNetworks", "per_agent_q_network", "shared_q_network"]


def _encoder(space: gym.Space):
    """``(n_features, encode)`` for one agent's observation space: one-hot for Discrete, flattened Box."""
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
        first_obs, first_action = env.observation_space(agents[0]), env.action_space(agents[0])
        for agent in agents:
            if env.observation_space(agent) != first_obs or env.action_space(agent) != first_action:
                raise ValueError(f"env: every agent needs the same spaces for IndependentDQN; {agent!r} differs")
        if not isinstance(first_action, gym.spaces.Discrete):
            raise TypeError(f"env: action spaces must be Discrete for IndependentDQN, got {first_action}")
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
        **hyperparameters: other fields of :class:`~boltzgym.agents.dqn.DQNConfig`. DQN counts one step per
            agent per joint step (``learning_starts``, ``exploration_fraction``'s horizon); ``buffer_size`` and
            ``train_freq`` count joint steps.
    """

    def __init__(self, env, *, share_parameters: bool = False, seed: int | None = None, net_arch=(64, 64),
                 **hyperparameters: Any) -> None:  # fmt: skip
        self.share_parameters = check_bool("share_parameters", share_parameters)
        self.vector_env = AgentsAsVectorEnv(env)
        self.env, self.agents = env, self.vector_env.agents
        for name in ("q_network", "q_network_kwargs"):
            if name in hyperparameters:
                raise ValueError(f"{name} is set by IndependentDQN (share_parameters chooses it), got {name}=...")
        kwargs = {"n_agents": len(self.agents), "net_arch": list(net_arch)}
        name = "shared-agents" if self.share_parameters else "per-agent"
        self.dqn = DQN(self.vector_env, seed=seed, q_network=name, q_network_kwargs=kwargs, **hyperparameters)

    @property
    def num_timesteps(self) -> int:
        """Joint steps taken so far."""
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
        self.dqn.learn(total_timesteps * len(self.agents), callback=_SeenAs(self, callback), progress_bar=progress_bar)
        return self

    def predict(self, observations: dict, deterministic: bool = True) -> tuple[dict[str, int], None]:
        """Each agent's greedy (or epsilon-greedy) action for its observation: ``({agent: action}, None)``."""
        unknown = [agent for agent in observations if agent not in self.agents]
        if unknown:
            raise ValueError(f"observations name unknown agents {unknown}; the learners are {self.agents}")
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
        vector_env = AgentsAsVectorEnv(env)
        if dqn.config.q_network not in ("per-agent", "shared-agents") or n_agents is None:
            raise ValueError(f"path: {str(path)!r} is a DQN checkpoint, not one of IndependentDQN")
        if n_agents != vector_env.num_envs:
            raise ValueError(
                f"env: the checkpoint's learners are for {n_agents} agents, env has {vector_env.num_envs} "
                f"({vector_env.agents})"
            )
        dqn.set_env(vector_env)
        learners = cls.__new__(cls)
        learners.share_parameters = dqn.config.q_network == "shared-agents"
        learners.vector_env, learners.env, learners.agents, learners.dqn = vector_env, env, vector_env.agents, dqn
        return learners
