"""The reset/step shared by the envs that carry Gymnasium toy-text dynamics (GridWorld, TabularMDP).

Subclasses set ``P`` (``P[s][a]`` is a list of ``(probability, next_state, reward, terminated)``),
``initial_state_distrib``, ``action_space`` and ``observation_space``. Each reset and each step draws exactly one
uniform number from ``self.np_random`` (``argmax(cumsum(probabilities) > u)``), as FrozenLake, CliffWalking and
Taxi do: that is what lets the tabular fast path (:mod:`boltzgym.agents._tabular_kernels`) replay an episode
bit for bit.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np


class ToyTextEnv(gym.Env):
    """Base class: sample transitions from ``self.P``; keeps ``s`` (state) and ``lastaction`` like toy-text envs."""

    s: int = 0
    lastaction: int | None = None

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.s = int(np.argmax(np.cumsum(self.initial_state_distrib) > self.np_random.random()))
        self.lastaction = None
        return self.s, {"prob": 1.0}

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"action must be an integer in [0, {self.action_space.n}), got {action!r}")
        transitions = self.P[self.s][int(action)]
        index = int(np.argmax(np.cumsum([t[0] for t in transitions]) > self.np_random.random()))
        probability, next_state, reward, terminated = transitions[index]
        self.s = next_state
        self.lastaction = int(action)
        return next_state, float(reward), bool(terminated), False, {"prob": float(probability)}
