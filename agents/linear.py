"""Linear Q-learning on a feature map: ``Q(s, a) = w_a . phi(s)`` (Sutton & Barto 2018, sec. 10.1 and 9.5).

The semi-gradient Q-learning rule, the tabular rule of ``boltzgym.agents.tabular`` with ``phi`` one-hot::

    delta = r + gamma * max_a' w_a' . phi(s') * (1 - terminated) - w_a . phi(s)   # notes 6.1: max_a' Q(s', a')
    w_a  += learning_rate * delta * phi(s)

Feature maps (any callable ``observation -> 1-D float array`` with an ``n_features`` attribute works):
``OneHotFeatures`` (a ``Discrete`` space: exactly tabular Q-learning), ``TileCoding`` (a ``Box`` space: offset
grids, Sutton & Barto sec. 9.5.4) and ``RBMFeatures`` (the hidden probabilities ``p(h = 1 | v)`` of a fitted
``boltzgym.sims.rbm`` RBM, or anything with ``transform``). This module does not import torch.
"""

from __future__ import annotations

import os
from pathlib import Path

import gymnasium as gym
import numpy as np

from boltzgym.utils.checkpoint import load_checkpoint, load_checkpoint_arrays, save_checkpoint
from boltzgym.utils.validation import check_int, check_seed

CHECKPOINT_FORMAT = "boltzgym-linear-q"
CHECKPOINT_VERSION = 1


class OneHotFeatures:
    """``phi(s) = e_s`` for a ``Discrete(n)`` observation: linear Q-learning is then tabular Q-learning."""

    def __init__(self, n_states: int):
        self.n_features = check_int("n_states", n_states, minimum=1)

    def __call__(self, observation) -> np.ndarray:
        features = np.zeros(self.n_features)
        features[int(observation)] = 1.0
        return features


class TileCoding:
    """``n_tilings`` grids of ``n_tiles`` per dimension over ``[low, high]``, each offset by a fraction of a tile;
    ``phi(s)`` has exactly one 1 per tiling (Sutton & Barto 2018, sec. 9.5.4)."""

    def __init__(self, low, high, n_tilings: int = 8, n_tiles: int = 8):
        self.low, self.high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
        if self.low.shape != self.high.shape or self.low.ndim != 1 or not np.all(self.high > self.low):
            raise ValueError(f"low and high must be 1-D of one shape with high > low, got {low!r}, {high!r}")
        if not (np.all(np.isfinite(self.low)) and np.all(np.isfinite(self.high))):
            raise ValueError("low and high must be finite (bound an unbounded Box before tile coding)")
        self.n_tilings = check_int("n_tilings", n_tilings, minimum=1)
        self.n_tiles = check_int("n_tiles", n_tiles, minimum=1)
        self.dimension = self.low.size
        self.tiles_per_tiling = (self.n_tiles + 1) ** self.dimension  # one extra tile per axis for the offsets
        self.n_features = self.n_tilings * self.tiles_per_tiling
        # Tiling k is shifted by k / n_tilings of a tile along every axis (uniform offsets).
        self._offsets = np.arange(self.n_tilings)[:, None] / self.n_tilings * np.ones(self.dimension)
        self._strides = (self.n_tiles + 1) ** np.arange(self.dimension)

    def __call__(self, observation) -> np.ndarray:
        scaled = (np.clip(np.asarray(observation, dtype=np.float64), self.low, self.high) - self.low) / (
            self.high - self.low
        )
        cells = np.floor(scaled * self.n_tiles + self._offsets).astype(np.int64)  # (n_tilings, dimension)
        indices = np.arange(self.n_tilings) * self.tiles_per_tiling + cells @ self._strides
        features = np.zeros(self.n_features)
        features[indices] = 1.0
        return features


class RBMFeatures:
    """``phi(s) = p(h = 1 | v(s))``: a fitted RBM's hidden probabilities of the encoded observation.

    ``encode`` turns an observation into the RBM's visible vector (default: the observation as a float vector).
    """

    def __init__(self, rbm, encode=None):
        if not hasattr(rbm, "transform"):
            raise TypeError(f"rbm must have a transform method (a fitted RBM), got {type(rbm).__name__}")
        self.rbm, self.encode = rbm, encode
        self.n_features = int(np.asarray(rbm.components_).shape[0])

    def __call__(self, observation) -> np.ndarray:
        visible = self.encode(observation) if self.encode is not None else np.asarray(observation, dtype=np.float64)
        return np.asarray(self.rbm.transform(np.atleast_2d(visible)), dtype=np.float64)[0]


class LinearQLearning:
    """Semi-gradient Q-learning with a linear function of a feature map, epsilon-greedy (see the module docstring).

    Args:
        env: a Gymnasium env with a ``Discrete`` action space.
        feature_map: ``observation -> features`` with ``n_features``; default ``OneHotFeatures`` for a
            ``Discrete`` observation space (other spaces need one, e.g. ``TileCoding``).
        learning_rate: step size (divide by the number of active features for tile coding, as usual).
        gamma: discount. epsilon: exploration rate of the epsilon-greedy behaviour policy.
        seed: seeds exploration, tie-breaking and the env's resets.
    """

    def __init__(self, env: gym.Env, feature_map=None, learning_rate: float = 0.1, gamma: float = 0.99,
                 epsilon: float = 0.1, seed: int | None = None) -> None:  # fmt: skip
        if not isinstance(env.action_space, gym.spaces.Discrete):
            raise TypeError(f"env must have a Discrete action space, got {env.action_space}")
        if feature_map is None:
            if not isinstance(env.observation_space, gym.spaces.Discrete):
                raise ValueError("feature_map is required for a non-Discrete observation space (e.g. TileCoding)")
            feature_map = OneHotFeatures(int(env.observation_space.n))
        if not callable(feature_map) or not hasattr(feature_map, "n_features"):
            raise TypeError("feature_map must be callable with an n_features attribute")
        for name, value, upper in (
            ("learning_rate", learning_rate, None),
            ("gamma", gamma, 1.0),
            ("epsilon", epsilon, 1.0),
        ):
            if not (np.isfinite(value) and value >= 0 and (upper is None or value <= upper)):
                raise ValueError(f"{name} must be a number in [0, {upper or 'inf'}], got {value!r}")
        self.env, self.feature_map = env, feature_map
        self.learning_rate, self.gamma, self.epsilon = float(learning_rate), float(gamma), float(epsilon)
        self.seed = check_seed("seed", seed)
        self.rng = np.random.default_rng(self.seed)
        self.n_actions = int(env.action_space.n)
        self.weights = np.zeros((self.n_actions, int(feature_map.n_features)))
        self.num_timesteps = 0
        self.episode_returns: list[float] = []

    def q_values(self, observation) -> np.ndarray:
        """``Q(s, .)`` for one observation."""
        return self.weights @ self.feature_map(observation)

    def _greedy(self, values: np.ndarray) -> int:
        return int(self.rng.choice(np.flatnonzero(values == values.max())))  # random tie-breaking

    def update(self, features, action: int, reward: float, next_features, terminated: bool) -> float:
        """One semi-gradient Q-learning step on ``w_action``; returns the TD error."""
        target = reward + (0.0 if terminated else self.gamma * float(np.max(self.weights @ next_features)))
        delta = target - float(self.weights[action] @ features)
        self.weights[action] += self.learning_rate * delta * features
        return delta

    def learn(self, total_timesteps: int) -> LinearQLearning:
        """Run ``total_timesteps`` env steps epsilon-greedily, updating after each; returns ``self``."""
        total_timesteps = check_int("total_timesteps", total_timesteps, minimum=1)
        observation, _ = self.env.reset(seed=None if self.seed is None else self.seed + len(self.episode_returns))
        features, episode_return = self.feature_map(observation), 0.0
        for _ in range(total_timesteps):
            if self.rng.random() < self.epsilon:
                action = int(self.rng.integers(self.n_actions))
            else:
                action = self._greedy(self.weights @ features)
            observation, reward, terminated, truncated, _ = self.env.step(action)
            next_features = self.feature_map(observation)
            self.update(features, action, float(reward), next_features, terminated)
            features, episode_return = next_features, episode_return + float(reward)
            self.num_timesteps += 1
            if terminated or truncated:
                self.episode_returns.append(episode_return)
                seed = None if self.seed is None else self.seed + len(self.episode_returns)
                observation, _ = self.env.reset(seed=seed)
                features, episode_return = self.feature_map(observation), 0.0
        return self

    def predict(self, observation, deterministic: bool = True) -> tuple[int, None]:
        """The greedy action (epsilon-greedy when not ``deterministic``), SB3-style ``(action, None)``."""
        if not deterministic and self.rng.random() < self.epsilon:
            return int(self.rng.integers(self.n_actions)), None
        return self._greedy(self.q_values(observation)), None

    def save(self, path: str | os.PathLike) -> Path:
        """Write the weights and settings atomically; the feature map is passed again to :meth:`load`."""
        config = {"learning_rate": self.learning_rate, "gamma": self.gamma, "epsilon": self.epsilon,
                  "seed": self.seed, "feature_map": type(self.feature_map).__name__}  # fmt: skip
        return save_checkpoint(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, config,
                               arrays={"weights.npz": {"weights": self.weights}},
                               counters={"num_timesteps": self.num_timesteps})  # fmt: skip

    @classmethod
    def load(cls, path: str | os.PathLike, env: gym.Env, feature_map=None) -> LinearQLearning:
        """Load :meth:`save`'s checkpoint onto ``env`` with the same kind of ``feature_map``."""
        checkpoint = load_checkpoint(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION)
        config = dict(checkpoint.config)
        expected = config.pop("feature_map")
        agent = cls(env, feature_map, **config)
        if type(agent.feature_map).__name__ != expected:
            raise ValueError(f"feature_map must be a {expected} as when saved, got {type(agent.feature_map).__name__}")
        shape = agent.weights.shape
        agent.weights = load_checkpoint_arrays(checkpoint, "weights.npz", {"weights": shape})["weights"].copy()
        agent.num_timesteps = checkpoint.counters.get("num_timesteps", 0)
        return agent
