"""Stepping one Gymnasium env or a ``gymnasium.vector`` env as a batch of ``n_envs``, for off-policy agents (DQN).

:class:`EnvStepper` hides the differences an agent loop should not see: a single env is stepped as a batch of one
and reset by hand when its episode ends; a vector env resets itself, either in the same step (``SAME_STEP``: the
final observation comes in ``infos``) or in the next one (``NEXT_STEP``: that step only resets and is marked
invalid). It also sums episode returns, so that the agent learns which episodes ended and with what return.

Action masks (PettingZoo's convention, also for single-agent envs): an observation space
``Dict(observation=..., action_mask=MultiBinary(n_actions) or Box)`` is split, so that the agent sees the inner
observation and the stepper keeps each step's masks (:attr:`EnvStepper.masks` for the observations to act on,
:attr:`EnvStepper.next_masks` for the true successors), as booleans ``(n_envs, n_actions)``.
This module does not import torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from boltzgym.agents.masks import is_masked_space, split_masked_observation

OBSERVATION_KINDS = ("discrete", "image", "vector")


def observation_kind(space: gym.Space) -> str:
    """``"discrete"`` (one-hot encoded), ``"image"`` (uint8 ``(H, W, C)`` Box) or ``"vector"`` (other Box)."""
    if isinstance(space, gym.spaces.Discrete):
        return "discrete"
    if isinstance(space, gym.spaces.Box):
        if space.dtype == np.uint8 and len(space.shape) == 3:
            return "image"
        return "vector"
    raise TypeError(
        f"observation_space must be a Box or Discrete space, got {space}; wrap other spaces "
        "(e.g. gymnasium.wrappers.FlattenObservation) first"
    )


@dataclass
class EnvSpec:
    """What the networks need to know about the environment (saved in checkpoints)."""

    kind: str
    shape: tuple[int, ...]
    n_states: int | None
    n_actions: int
    action_mask: bool = False  # observations carry an ``action_mask`` (a Dict space with ``observation``)

    def spaces(self) -> tuple[gym.Space, gym.spaces.Discrete]:
        """The observation and action spaces this spec describes (Box bounds are not kept: infinite)."""
        if self.kind == "discrete":
            obs_space: gym.Space = gym.spaces.Discrete(self.n_states)
        elif self.kind == "image":
            obs_space = gym.spaces.Box(0, 255, self.shape, np.uint8)
        else:
            obs_space = gym.spaces.Box(-np.inf, np.inf, self.shape, np.float32)
        return obs_space, gym.spaces.Discrete(self.n_actions)


def env_spec(observation_space: gym.Space, action_space: gym.Space) -> EnvSpec:
    """The :class:`EnvSpec` of one env's spaces (a masked ``Dict`` observation space is described by its inner
    ``observation``); ``ValueError`` naming ``env`` when the action space is not ``Discrete`` from 0."""
    masked = is_masked_space(observation_space)
    if masked:
        observation_space = observation_space["observation"]
    if not isinstance(action_space, gym.spaces.Discrete):
        raise ValueError(f"env: DQN needs a Discrete action space, got {action_space}")
    if int(action_space.start) != 0:
        raise ValueError(f"env: DQN needs a Discrete action space starting at 0, got start={action_space.start}")
    kind = observation_kind(observation_space)
    return EnvSpec(
        kind=kind,
        shape=tuple(int(v) for v in observation_space.shape),
        n_states=int(observation_space.n) if kind == "discrete" else None,
        n_actions=int(action_space.n),
        action_mask=masked,
    )


class EnvStepper:
    """A Gymnasium env, vector env or env id, stepped as a batch of ``n_envs`` with Discrete actions from 0.

    Attributes: ``env``, ``env_id`` (None when unknown), ``n_envs``, ``vector``, ``spec`` (an :class:`EnvSpec`).
    """

    def __init__(self, env: gym.Env | gym.vector.VectorEnv | str) -> None:
        self.env_id = None
        if isinstance(env, str):
            if env.startswith("boltzgym/"):
                import boltzgym.envs  # noqa: F401  (registers the boltzgym/ ids)
            self.env_id = env
            env = gym.make(env)
        elif getattr(env, "spec", None) is not None:
            self.env_id = env.spec.id
        self.vector = isinstance(env, gym.vector.VectorEnv)
        if self.vector:
            obs_space, action_space, n_envs = env.single_observation_space, env.single_action_space, env.num_envs
            mode = env.metadata.get("autoreset_mode", gym.vector.AutoresetMode.NEXT_STEP)
            if mode not in (gym.vector.AutoresetMode.NEXT_STEP, gym.vector.AutoresetMode.SAME_STEP):
                raise ValueError(f"env: vector env autoreset_mode must be NEXT_STEP or SAME_STEP, got {mode}")
            self.same_step_reset = mode == gym.vector.AutoresetMode.SAME_STEP
        elif isinstance(env, gym.Env):
            obs_space, action_space, n_envs = env.observation_space, env.action_space, 1
        else:
            raise TypeError(f"env must be a gymnasium Env, VectorEnv, env id or None, got {type(env).__name__}")
        self.spec = env_spec(obs_space, action_space)
        self.env, self.n_envs = env, n_envs
        self.masks: np.ndarray | None = None
        self.next_masks: np.ndarray | None = None

    def _split(self, obs) -> tuple[np.ndarray, np.ndarray | None]:
        """``(observations (n_envs, ...), masks (n_envs, n_actions) bool or None)`` of raw env observations."""
        if not self.spec.action_mask:
            return (np.asarray(obs) if self.vector else np.asarray(obs)[None]), None
        inner, mask = split_masked_observation(obs, self.spec.n_actions)
        return (inner if self.vector else inner[None]), (mask if self.vector else mask[None])

    def reset(self, seed: int | None) -> np.ndarray:
        """Reset every env (``seed`` as Gymnasium takes it) and the episode sums; observations ``(n_envs, ...)``."""
        obs, _ = self.env.reset(seed=seed)
        self._episode_return = np.zeros(self.n_envs)
        self._episode_length = np.zeros(self.n_envs, dtype=np.int64)
        self._pending_reset = np.zeros(self.n_envs, dtype=bool)
        obs, self.masks = self._split(obs)
        return obs

    def step(self, actions: np.ndarray):
        """Step the env(s): ``(next_obs, rewards, terminated, truncated, valid, following_obs)``, arrays with
        leading dimension ``n_envs``.

        ``next_obs`` is the true successor of each action (the final observation where an episode ended),
        ``following_obs`` is what the agent acts on next (the first observation of the new episode there).
        ``valid`` is ``None`` or, for ``NEXT_STEP`` vector envs, False where the step only reset an env.
        """
        if not self.vector:
            obs, reward, terminated, truncated, _ = self.env.step(actions[0])
            next_obs, self.next_masks = self._split(obs)
            following, self.masks = next_obs, self.next_masks
            if terminated or truncated:
                following, self.masks = self._split(self.env.reset()[0])
            return next_obs, np.array([reward]), np.array([terminated]), np.array([truncated]), None, following
        obs, rewards, terminated, truncated, infos = self.env.step(actions)
        following, self.masks = self._split(obs)
        next_obs, valid, self.next_masks = following, ~self._pending_reset, self.masks
        if self.same_step_reset:
            if "_final_obs" in infos:
                next_obs = following.copy()
                next_masks = None if self.masks is None else self.masks.copy()
                for i in np.flatnonzero(infos["_final_obs"]):
                    final = _row(infos["final_obs"], i)
                    if next_masks is None:
                        next_obs[i] = final
                    else:
                        next_obs[i], next_masks[i] = split_masked_observation(final, self.spec.n_actions)
                self.next_masks = next_masks
            valid = None
        else:
            self._pending_reset = terminated | truncated
        return next_obs, rewards, terminated, truncated, valid, following

    def finished_episodes(self, rewards, dones, valid) -> list[tuple[float, int]]:
        """Add one step's rewards to the episode sums; return ``(return, length)`` of each episode that ended."""
        self._episode_return += rewards
        self._episode_length += 1
        if valid is not None:  # NEXT_STEP reset steps belong to no episode
            self._episode_return[~valid] = 0.0
            self._episode_length[~valid] = 0
            dones = dones & valid
        if not dones.any():  # most steps end no episode
            return []
        ended = [(float(self._episode_return[i]), int(self._episode_length[i])) for i in np.flatnonzero(dones)]
        self._episode_return[dones] = 0.0
        self._episode_length[dones] = 0
        return ended


def _row(batch: dict, i: int) -> dict:
    """Row ``i`` of a batched dict observation (a vector env's ``final_obs`` may be a batch of dicts or an array
    of per-env dicts)."""
    if isinstance(batch, dict):
        return {key: np.asarray(value)[i] for key, value in batch.items()}
    return batch[i]


def observation_batch(observation, spec: EnvSpec, space) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """``(batch, masks or None, single)`` of what ``predict`` received: one observation of ``spec`` or a batch of
    them, a masked env's dict split into observations and ``(batch, n_actions)`` masks; ``ValueError`` naming
    ``observation`` for another shape."""
    masks = None
    if spec.action_mask:
        observation, masks = split_masked_observation(observation, spec.n_actions)
    obs = np.asarray(observation)
    single = obs.shape == spec.shape
    if not single and obs.shape[1:] != spec.shape:
        raise ValueError(
            f"observation has shape {obs.shape}, expected {spec.shape} (one observation of {space}) "
            f"or (batch, {', '.join(map(str, spec.shape))})"
        )
    batch = obs[None] if single else obs
    return batch, (None if masks is None else masks.reshape(len(batch), spec.n_actions)), single
