"""Action masks, PettingZoo's convention (``{"observation": ..., "action_mask": ...}`` observations, a ``Dict``
space with those two entries), for the agents: splitting such observations, the argmax over legal actions and
uniform random legal actions. An all-True mask gives exactly what no mask gives (the same draws from the same
generator). This module imports NumPy and Gymnasium only.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np


def is_masked_space(space: gym.Space) -> bool:
    """Whether ``space`` is PettingZoo's masked observation space: a ``Dict`` with ``observation`` and
    ``action_mask`` entries (and no others)."""
    return isinstance(space, gym.spaces.Dict) and set(space.spaces) == {"observation", "action_mask"}


def split_masked_observation(obs, n_actions: int) -> tuple[np.ndarray, np.ndarray]:
    """``(observation, mask)`` of a masked observation ``{"observation": ..., "action_mask": ...}`` (one or a
    batch): the mask as booleans with ``n_actions`` entries in its last axis (``ValueError`` otherwise)."""
    if not isinstance(obs, dict) or "action_mask" not in obs or "observation" not in obs:
        raise ValueError(f"observation must be a dict with 'observation' and 'action_mask', got {type(obs).__name__}")
    mask = np.asarray(obs["action_mask"]).astype(bool)
    if mask.shape[-1:] != (n_actions,):
        raise ValueError(f"action_mask must have {n_actions} entries (one per action), got shape {mask.shape}")
    return np.asarray(obs["observation"]), mask


def masked_argmax(q_values: np.ndarray, masks: np.ndarray | None) -> np.ndarray:
    """Row-wise argmax of ``(batch, n_actions)`` values over the legal actions (``masks`` True); no mask: all."""
    if masks is None:
        return q_values.argmax(axis=1)
    return np.where(masks, q_values, -np.inf).argmax(axis=1)


def random_legal_actions(rng: np.random.Generator, n_actions: int, masks: np.ndarray | None, count: int) -> np.ndarray:
    """``count`` uniform random actions, one per row of ``masks`` (``(count, n_actions)`` bool) among its legal
    ones; without masks ``rng.integers(0, n_actions, count)``, the draws an all-True mask gives too."""
    if masks is None:
        return rng.integers(0, n_actions, size=count)
    legal = masks.sum(axis=1)
    if (legal == 0).any():
        raise ValueError("action_mask allows no action in an observation the agent must act on")
    picks = rng.integers(0, legal)  # the k-th legal action of each row
    return (np.cumsum(masks, axis=1) > picks[:, None]).argmax(axis=1)


def explore_some(rng, actions: np.ndarray, explore: np.ndarray, n_actions: int, masks: np.ndarray | None):
    """Epsilon-greedy's random moves: ``actions[explore]`` replaced in place by uniformly drawn legal actions (the
    draws :func:`random_legal_actions` makes); returns ``actions``."""
    if explore.any():
        rows = None if masks is None else masks[explore]
        actions[explore] = random_legal_actions(rng, n_actions, rows, int(explore.sum()))
    return actions
