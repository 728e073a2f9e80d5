"""Tabular dynamics as arrays, read from any env that exposes Gymnasium's toy-text ``unwrapped.P``.

Gymnasium's toy-text envs (``FrozenLake-v1``, ``CliffWalking-v1``, ``Taxi-v4``) and ours
(``boltzgym/GridWorld-v0``, ``boltzgym/TabularMDP-v0``) describe their dynamics as ``P[s][a]``, a list of
``(probability, next_state, reward, terminated)`` outcomes. :func:`extract_dynamics` turns that into padded arrays
that keep every outcome, in order: termination and reward belong to the *transition* (Taxi's drop-off ends the
episode although the state it reaches is not absorbing), so the exact solvers back up
``sum_k p_k (r_k + gamma (1 - terminated_k) V(s'_k))`` rather than using a per-state terminal mask.

The order of outcomes matters to the jitted fast path: these envs sample an outcome as
``argmax(cumsum(probabilities) > u)`` with one uniform draw ``u`` from ``env.np_random`` per step (and one per
reset, from ``initial_state_distrib``); replaying that with the same generator gives the same trajectory.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import numpy as np

# Envs whose step() is exactly one categorical draw over P[s][a] and whose reset() is one draw from
# initial_state_distrib: the fast path may replay them. (Module path, class name.)
REPLAYABLE_ENVS = frozenset(
    {
        ("gymnasium.envs.toy_text.frozen_lake", "FrozenLakeEnv"),
        ("gymnasium.envs.toy_text.cliffwalking", "CliffWalkingEnv"),
        ("gymnasium.envs.toy_text.taxi", "TaxiEnv"),
        ("boltzgym.envs.gridworld", "GridWorldEnv"),
        ("boltzgym.envs.tabular_mdp", "TabularMDPEnv"),
    }
)
# Wrappers that leave observations, rewards and randomness alone (gym.make adds them).
TRANSPARENT_WRAPPERS = frozenset({"TimeLimit", "OrderEnforcing", "PassiveEnvChecker"})


@dataclass(frozen=True)
class TabularDynamics:
    """A finite MDP as padded outcome arrays (``S`` states, ``A`` actions, at most ``K`` outcomes per pair).

    Attributes:
        probabilities: ``(S, A, K)`` float64, outcome probabilities (0 in the padding).
        next_states: ``(S, A, K)`` int64, the state each outcome leads to.
        rewards: ``(S, A, K)`` float64, the reward of each outcome.
        terminated: ``(S, A, K)`` bool, whether the outcome ends the episode.
        n_outcomes: ``(S, A)`` int64, how many of the ``K`` slots are used.
        initial_distribution: ``(S,)`` float64, the distribution of the start state.
        max_episode_steps: the time limit of the env (None when it has none).
    """

    probabilities: np.ndarray
    next_states: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray
    n_outcomes: np.ndarray
    initial_distribution: np.ndarray
    max_episode_steps: int | None = None

    @property
    def n_states(self) -> int:
        return self.probabilities.shape[0]

    @property
    def n_actions(self) -> int:
        return self.probabilities.shape[1]

    def transition_matrix(self) -> np.ndarray:
        """``P[s, a, s']``: the ``(S, A, S)`` probability of reaching ``s'`` (outcomes to one state summed)."""
        matrix = np.zeros((self.n_states, self.n_actions, self.n_states))
        s, a = np.indices(self.next_states.shape[:2])
        for k in range(self.probabilities.shape[2]):
            np.add.at(matrix, (s, a, self.next_states[:, :, k]), self.probabilities[:, :, k])
        return matrix

    def expected_rewards(self) -> np.ndarray:
        """``R[s, a]``: the ``(S, A)`` expected one-step reward."""
        return (self.probabilities * self.rewards).sum(axis=2)

    def backup(self, values: np.ndarray, gamma: float) -> np.ndarray:
        """One Bellman backup: ``Q[s, a] = sum_k p_k (r_k + gamma (1 - terminated_k) values[s'_k])`` (notes 6.1)."""
        continuation = np.where(self.terminated, 0.0, values[self.next_states])
        return (self.probabilities * (self.rewards + gamma * continuation)).sum(axis=2)

    def cumulative_probabilities(self) -> np.ndarray:
        """``(S, A, K)`` running sums of each outcome list, as ``np.cumsum`` computes them when sampling."""
        return np.cumsum(self.probabilities, axis=2)


def _time_limit(env: gym.Env) -> int | None:
    while isinstance(env, gym.Wrapper):
        if isinstance(env, gym.wrappers.TimeLimit):
            return int(env._max_episode_steps)
        env = env.env
    return None


def check_discrete(env: gym.Env) -> tuple[int, int]:
    """``(n_states, n_actions)`` of an env with ``Discrete`` observation and action spaces starting at 0.

    Raises:
        TypeError: naming the space that is not ``Discrete`` (a continuous observation space, say).
    """
    for name in ("observation_space", "action_space"):
        space = getattr(env, name, None)
        if not isinstance(space, gym.spaces.Discrete):
            raise TypeError(f"env.{name} must be gymnasium.spaces.Discrete for a tabular agent, got {space!r}")
        if int(space.start) != 0:
            raise ValueError(f"env.{name} must start at 0, got Discrete(start={int(space.start)})")
    return int(env.observation_space.n), int(env.action_space.n)


def extract_dynamics(env: gym.Env) -> TabularDynamics:
    """Read ``env.unwrapped.P`` and ``initial_state_distrib`` into a :class:`TabularDynamics`.

    Works on FrozenLake, CliffWalking, Taxi, GridWorld and TabularMDP (and any env exposing the same two
    attributes). ``max_episode_steps`` comes from a ``TimeLimit`` wrapper when there is one.

    Raises:
        TypeError: when the spaces are not ``Discrete``.
        ValueError: when the env does not expose ``P``, or an outcome list does not sum to 1.
    """
    n_states, n_actions = check_discrete(env)
    unwrapped = env.unwrapped
    table = getattr(unwrapped, "P", None)
    if not isinstance(table, dict):
        raise ValueError(
            f"env {type(unwrapped).__name__} does not expose its dynamics as a toy-text dict unwrapped.P[s][a]"
        )
    width = max(len(table[s][a]) for s in range(n_states) for a in range(n_actions))
    probabilities = np.zeros((n_states, n_actions, width))
    next_states = np.zeros((n_states, n_actions, width), dtype=np.int64)
    rewards = np.zeros((n_states, n_actions, width))
    terminated = np.zeros((n_states, n_actions, width), dtype=bool)
    n_outcomes = np.zeros((n_states, n_actions), dtype=np.int64)
    for s in range(n_states):
        for a in range(n_actions):
            outcomes = table[s][a]
            n_outcomes[s, a] = len(outcomes)
            for k, (probability, next_state, reward, done) in enumerate(outcomes):
                probabilities[s, a, k] = probability
                next_states[s, a, k] = next_state
                rewards[s, a, k] = reward
                terminated[s, a, k] = done
    sums = probabilities.sum(axis=2)
    if not np.allclose(sums, 1.0, atol=1e-8):
        s, a = np.argwhere(~np.isclose(sums, 1.0, atol=1e-8))[0]
        raise ValueError(f"env.unwrapped.P[{s}][{a}] probabilities must sum to 1, got {sums[s, a]:.6g}")
    initial = getattr(unwrapped, "initial_state_distrib", None)
    if initial is None:
        raise ValueError(f"env {type(unwrapped).__name__} does not expose initial_state_distrib")
    return TabularDynamics(
        probabilities=probabilities,
        next_states=next_states,
        rewards=rewards,
        terminated=terminated,
        n_outcomes=n_outcomes,
        initial_distribution=np.asarray(initial, dtype=np.float64),
        max_episode_steps=_time_limit(env),
    )


def replay_blocker(env: gym.Env) -> str | None:
    """Why the fast path cannot replay ``env`` exactly (None when it can).

    It can when the base env is one of ``REPLAYABLE_ENVS`` (Taxi without its fickle passenger) and every
    wrapper is one of ``TRANSPARENT_WRAPPERS``.
    """
    wrapper = env
    while isinstance(wrapper, gym.Wrapper):
        if type(wrapper).__name__ not in TRANSPARENT_WRAPPERS:
            return f"wrapper {type(wrapper).__name__} may change observations, rewards or randomness"
        wrapper = wrapper.env
    base = type(env.unwrapped)
    if (base.__module__, base.__name__) not in REPLAYABLE_ENVS:
        return f"env class {base.__module__}.{base.__name__} is not known to sample P[s][a] with one draw per step"
    if getattr(env.unwrapped, "fickle_passenger", False):
        return "Taxi's fickle passenger draws extra random numbers"
    if not isinstance(getattr(env.unwrapped, "P", None), dict):
        return "the env does not expose unwrapped.P"
    return None
