"""TabularMDP: any finite Markov decision process given as arrays (notes 6.1: states, actions, transitions, rewards).

Conventions: ``transition_probabilities[s, a, s']`` is the probability of moving from ``s`` to ``s'`` under action
``a`` (each ``[s, a]`` row sums to 1); ``rewards[s, a]`` is the reward of taking ``a`` in ``s``; entering a state of
``terminal_states`` ends the episode. ``random_mdp`` draws a seeded random MDP (Dirichlet rows, Gaussian rewards).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from gymnasium import spaces

from boltzgym.envs._render import AGENT, DARK, FLOOR, cells_to_frame, check_render_mode, stack, warn_no_render_mode
from boltzgym.envs._toy_text import ToyTextEnv
from boltzgym.utils.validation import check_int, check_seed, setting_ranges

_ATOL = 1e-8  # how far a probability row may sum from 1


def random_mdp(
    n_states: int = 8,
    n_actions: int = 3,
    seed: int | None = 0,
    branching: int | None = None,
    n_terminal: int = 0,
) -> dict[str, np.ndarray]:
    """Draw a random finite MDP: the keyword arguments of :class:`TabularMDPEnv`.

    Each ``[s, a]`` row puts Dirichlet(1) weights on ``branching`` successors drawn without replacement (all
    states when None); rewards are standard normal. The last ``n_terminal`` states are terminal.

    Args:
        n_states: number of states (>= 1).
        n_actions: number of actions (>= 1).
        seed: seed of the generator (same seed, same MDP).
        branching: successors per state-action pair, in [1, n_states] (None: every state).
        n_terminal: number of terminal states, in [0, n_states - 1].

    Returns:
        ``{"transition_probabilities": (S, A, S) float64, "rewards": (S, A) float64, "terminal_states": (T,) int64}``.
    """
    n_states = check_int("n_states", n_states, minimum=1)
    n_actions = check_int("n_actions", n_actions, minimum=1)
    seed = check_seed("seed", seed)
    branching = n_states if branching is None else check_int("branching", branching, minimum=1, maximum=n_states)
    n_terminal = check_int("n_terminal", n_terminal, minimum=0, maximum=n_states - 1)
    rng = np.random.default_rng(seed)
    probabilities = np.zeros((n_states, n_actions, n_states))
    for s in range(n_states):
        for a in range(n_actions):
            successors = rng.choice(n_states, size=branching, replace=False)
            probabilities[s, a, successors] = rng.dirichlet(np.ones(branching))
    rewards = rng.standard_normal((n_states, n_actions))
    terminal = np.arange(n_states - n_terminal, n_states, dtype=np.int64)
    return {"transition_probabilities": probabilities, "rewards": rewards, "terminal_states": terminal}


def _validated(transition_probabilities, rewards, terminal_states, initial_distribution):
    probabilities = np.asarray(transition_probabilities, dtype=np.float64)
    if probabilities.ndim != 3 or probabilities.shape[0] != probabilities.shape[2] or probabilities.shape[0] < 1:
        raise ValueError(
            f"transition_probabilities must have shape (n_states, n_actions, n_states), got {probabilities.shape}"
        )
    n_states, n_actions, _ = probabilities.shape
    if not np.all(np.isfinite(probabilities)) or probabilities.min() < 0:
        raise ValueError("transition_probabilities must be finite and >= 0, got a negative or non-finite entry")
    sums = probabilities.sum(axis=2)
    bad = np.argwhere(np.abs(sums - 1.0) > _ATOL)
    if len(bad):
        s, a = bad[0]
        raise ValueError(
            f"transition_probabilities[{s}, {a}] must sum to 1, got {sums[s, a]:.6g} ({len(bad)} rows do not)"
        )
    rewards = np.asarray(rewards, dtype=np.float64)
    if rewards.shape != (n_states, n_actions):
        raise ValueError(f"rewards must have shape ({n_states}, {n_actions}), got {rewards.shape}")
    if not np.all(np.isfinite(rewards)):
        raise ValueError("rewards must be finite, got a non-finite entry")
    terminal = np.asarray(terminal_states if terminal_states is not None else [], dtype=np.int64).ravel()
    if terminal.size and (terminal.min() < 0 or terminal.max() >= n_states):
        raise ValueError(f"terminal_states must be state indices in [0, {n_states}), got {terminal.tolist()}")
    if initial_distribution is None:
        start = np.ones(n_states)
        start[terminal] = 0.0
        if start.sum() == 0:
            raise ValueError("terminal_states must leave at least one non-terminal state to start from, got all")
        initial = start / start.sum()
    else:
        initial = np.asarray(initial_distribution, dtype=np.float64)
        if initial.shape != (n_states,) or initial.min() < 0 or abs(initial.sum() - 1.0) > _ATOL:
            raise ValueError(
                f"initial_distribution must be {n_states} non-negative numbers summing to 1, got shape "
                f"{initial.shape} summing to {initial.sum():.6g}"
            )
    return probabilities, rewards, terminal, initial


class TabularMDPEnv(ToyTextEnv):
    """A finite MDP from arrays ``P[s, a, s']``, ``R[s, a]`` and a set of terminal states.

    ## Description
    The textbook finite MDP (Sutton & Barto 2018, ch. 3; notes 6.1): in state ``s`` the agent takes action ``a``,
    receives ``rewards[s, a]`` and moves to ``s'`` with probability ``transition_probabilities[s, a, s']``. With no
    arrays given, a random MDP is drawn by :func:`random_mdp` from ``n_states``, ``n_actions`` and ``mdp_seed``.

    ## Action Space
    ``Discrete(n_actions)``.

    ## Observation Space
    ``Discrete(n_states)``: the current state.

    ## Rewards
    ``rewards[s, a]`` for taking ``a`` in ``s`` (whatever the next state).

    ## Starting State
    Drawn from ``initial_distribution`` (default: uniform over the non-terminal states).

    ## Episode End
    Termination on entering a terminal state. Truncation after ``max_episode_steps`` (100 for the registered
    ``boltzgym/TabularMDP-v0``).

    ## Arguments
    - ``transition_probabilities``: ``(S, A, S)`` array, each ``[s, a]`` row summing to 1 (within 1e-8).
    - ``rewards``: ``(S, A)`` array.
    - ``terminal_states``: state indices that end the episode (default: none).
    - ``initial_distribution``: ``(S,)`` start distribution (default: uniform over non-terminal states).
    - ``n_states``, ``n_actions``, ``mdp_seed``: size and seed of the random MDP used when no arrays are given.
    - ``render_mode``: None, ``"ansi"`` (the state as text) or ``"rgb_array"``: a uint8 image, one column per
      state (``cell_size`` pixels): on top a row of states (the current one orange, terminal ones dark), below it
      one row per action shading ``P[s, a, s']`` from the current state ``s`` (white 0 to blue 1).

    Like Gymnasium's toy-text envs it exposes ``P[s][a]``, a list of ``(probability, next_state, reward,
    terminated)``, and ``initial_state_distrib``; the arrays stay available as attributes.

    ## Version History
    - v0: initial version.

    ## Example
    >>> import gymnasium as gym
    >>> import boltzgym.envs  # noqa: F401
    >>> env = gym.make("boltzgym/TabularMDP-v0", transition_probabilities=[[[0.0, 1.0]], [[0.0, 1.0]]],
    ...                rewards=[[1.0], [0.0]], terminal_states=[1])
    >>> obs, info = env.reset(seed=0)
    >>> env.step(0)[:3]
    (1, 1.0, True)
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}
    cell_size = 16

    @setting_ranges(n_states=(1, 100_000), n_actions=(1, 1000))
    def __init__(
        self,
        transition_probabilities: np.ndarray | Sequence | None = None,
        rewards: np.ndarray | Sequence | None = None,
        terminal_states: Sequence[int] | np.ndarray | None = None,
        initial_distribution: np.ndarray | Sequence | None = None,
        n_states: int = 8,
        n_actions: int = 3,
        mdp_seed: int = 0,
        render_mode: str | None = None,
    ) -> None:
        if transition_probabilities is None:
            if rewards is not None:
                raise ValueError("rewards given without transition_probabilities; pass both or neither")
            drawn = random_mdp(n_states, n_actions, seed=mdp_seed)
            transition_probabilities, rewards = drawn["transition_probabilities"], drawn["rewards"]
        elif rewards is None:
            raise ValueError("transition_probabilities given without rewards; pass both or neither")
        self.transition_probabilities, self.rewards, self.terminal_states, self.initial_state_distrib = _validated(
            transition_probabilities, rewards, terminal_states, initial_distribution
        )
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        n_states, n_actions, _ = self.transition_probabilities.shape
        self.observation_space = spaces.Discrete(n_states)
        self.action_space = spaces.Discrete(n_actions)
        is_terminal = np.zeros(n_states, dtype=bool)
        is_terminal[self.terminal_states] = True
        self.P = {}
        for s in range(n_states):
            self.P[s] = {}
            for a in range(n_actions):
                if is_terminal[s]:
                    self.P[s][a] = [(1.0, s, 0.0, True)]
                else:
                    successors = np.flatnonzero(self.transition_probabilities[s, a])
                    self.P[s][a] = [
                        (
                            float(self.transition_probabilities[s, a, t]),
                            int(t),
                            float(self.rewards[s, a]),
                            bool(is_terminal[t]),
                        )
                        for t in successors
                    ]
        self.s = 0
        self.lastaction: int | None = None

    def render(self):
        if self.render_mode is None:
            warn_no_render_mode(self)
            return None
        if self.render_mode == "ansi":
            last = "" if self.lastaction is None else f" (after action {self.lastaction})"
            return f"state {self.s}{last}\n"
        n_states = self.transition_probabilities.shape[0]
        states = np.empty((1, n_states, 3), dtype=np.uint8)
        states[:] = FLOOR
        states[0, self.terminal_states] = DARK
        states[0, self.s] = AGENT
        shade = self.transition_probabilities[self.s][..., None]  # (A, S, 1): white at 0, blue at 1
        white, blue = np.array([255.0, 255.0, 255.0]), np.array([30.0, 90.0, 200.0])
        heat = np.round(white + shade * (blue - white)).astype(np.uint8)
        return stack(cells_to_frame(states, self.cell_size), cells_to_frame(heat, self.cell_size))
