"""Repeated two-player matrix games as a PettingZoo ``ParallelEnv``.

| Property            | Value                                                        |
|---------------------|--------------------------------------------------------------|
| Agents              | ``["player_0", "player_1"]``                                 |
| Actions             | ``Discrete(n_actions_i)`` per player                         |
| Observations        | ``Discrete(n_0 * n_1 + 1)``: the previous joint action, as a  |
|                     | NumPy ``int64`` scalar                                       |
| State               | the same code (both players observe the whole game)          |
| Rewards             | the payoff matrix entry, plus optional Gaussian noise        |
| Episode end         | truncated after ``n_rounds`` rounds; never terminated        |
| Import              | ``from boltzgym.envs.matrix_game import parallel_env, env``  |

Description
    Both players pick an action at once; player ``i`` receives ``payoffs[i, a_0, a_1]``. The game repeats for
    ``n_rounds`` rounds, and each player observes the previous joint action (encoded as ``a_0 * n_1 + a_1``;
    the first observation is the extra index ``n_0 * n_1``, "no previous round"). Repeated games are the
    multi-agent counterpart of the bandits of notes 6.2: the reward of an arm depends on what the other learner
    does. Named games: ``prisoners-dilemma`` (T=5 > R=3 > P=1 > S=0), ``matching-pennies`` (zero-sum),
    ``stag-hunt`` and ``coordination``, and Claus & Boutilier's (1998) cooperative games, where both players get
    the same payoff:

    - ``climbing``: ``[[11, -30, 0], [-30, 7, 6], [0, 0, 5]]``; the optimum (0, 0) is surrounded by the heaviest
      penalties, so independent learners climb to a safe joint action instead (relative overgeneralisation).
    - ``penalty``: ``[[10, 0, k], [0, 2, 0], [k, 0, 10]]`` with ``k`` in [-100, 0] (argument ``k``, default -100):
      two optimal joint actions, (0, 0) and (2, 2), mis-coordination between them costs ``k``, and (1, 1) is safe.
    - ``climbing-partially-stochastic`` and ``climbing-stochastic`` (Kapetanakis & Kudenko 2002): every stochastic
      entry pays one of two values with probability 1/2 each, whose mean is the deterministic game's payoff. In the
      partially stochastic game only (1, 1) is stochastic (14 or 0); in the fully stochastic one every entry but
      (2, 1) is: ``[[10|12, 5|-65, 8|-8], [5|-65, 14|0, 12|0], [8|-8, 0, 10|0]]`` (Kapetanakis & Kudenko's table
      pays 12|0 at (2, 1), whose mean 6 is not the climbing game's 0: we keep every mean equal to the
      deterministic game's). A learner must tell the noise of rewards from the noise of its partner's exploration.
    - ``penalty-stochastic``: the penalty game with every entry ``v`` paying ``v - 2`` or ``v + 2`` with probability
      1/2 each (our variant, by analogy with Kapetanakis & Kudenko's; its means are the deterministic game's).

    ``payoffs`` always holds the expected payoffs ``(2, n_0, n_1)``.

Arguments
    ``game``: a name above, or an array of shape ``(2, n_0, n_1)`` of payoffs.
    ``k``: the mis-coordination penalty of ``penalty`` and ``penalty-stochastic`` (in [-100, 0], default -100); refused
    for the other games.
    ``n_rounds``: rounds per episode (>= 1, default 100); the factories also take PettingZoo's name for it,
    ``max_cycles``.
    ``noise_std``: standard deviation of Gaussian noise added to each reward (default 0, deterministic);
    drawn from the env's seeded generator.
    ``render_mode``: ``None``, ``"ansi"`` or ``"rgb_array"`` (the payoff table, one cell per joint action,
    shaded by the sum of both payoffs, with the last joint action ringed in orange).

``parallel_env(**kwargs)`` makes the parallel env; ``env(**kwargs)`` its AEC form (PettingZoo's ``parallel_to_aec``).

Version History
    v0: initial release.
"""

from __future__ import annotations

import functools

import gymnasium
import numpy as np
from gymnasium.utils import seeding
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.utils.conversions import parallel_to_aec

from boltzgym.envs._pettingzoo import check_joint_action, end_round, episode_length_from_max_cycles
from boltzgym.envs._render import AGENT, cells_to_frame, check_render_mode
from boltzgym.utils.validation import check_in_range, check_int, check_positive, setting_ranges

NAMED_GAMES: dict[str, np.ndarray] = {
    # payoffs[player, action_0, action_1]; action 0 = cooperate/heads/stag/left
    "prisoners-dilemma": np.array([[[3, 0], [5, 1]], [[3, 5], [0, 1]]], dtype=np.float64),
    "matching-pennies": np.array([[[1, -1], [-1, 1]], [[-1, 1], [1, -1]]], dtype=np.float64),
    "stag-hunt": np.array([[[4, 0], [3, 3]], [[4, 3], [0, 3]]], dtype=np.float64),
    "coordination": np.array([[[1, 0], [0, 1]], [[1, 0], [0, 1]]], dtype=np.float64),
}
# Claus & Boutilier (1998) and Kapetanakis & Kudenko (2002): cooperative games, both players paid the same.
# Each is (outcomes, n_outcomes) of one player's payoff: an entry pays outcome j with probability 1/n_outcomes.
CLIMBING = np.array([[11, -30, 0], [-30, 7, 6], [0, 0, 5]], dtype=np.float64)
_COOPERATIVE_GAMES: dict[str, np.ndarray] = {
    "climbing": CLIMBING[None],
    "climbing-partially-stochastic": np.array(
        [[[11, -30, 0], [-30, 14, 6], [0, 0, 5]], [[11, -30, 0], [-30, 0, 6], [0, 0, 5]]], dtype=np.float64
    ),
    "climbing-stochastic": np.array(
        [[[10, 5, 8], [5, 14, 12], [8, 0, 10]], [[12, -65, -8], [-65, 0, 0], [-8, 0, 0]]], dtype=np.float64
    ),
}
PENALTY_GAMES = ("penalty", "penalty-stochastic")
DEFAULT_PENALTY = -100.0


def penalty_game(k: float = DEFAULT_PENALTY) -> np.ndarray:
    """Claus & Boutilier's penalty game ``[[10, 0, k], [0, 2, 0], [k, 0, 10]]`` (one player's payoffs)."""
    return np.array([[10, 0, k], [0, 2, 0], [k, 0, 10]], dtype=np.float64)


GAME_NAMES = sorted([*NAMED_GAMES, *_COOPERATIVE_GAMES, *PENALTY_GAMES])


def _outcome_array(game, k) -> np.ndarray:
    """``(n_outcomes, 2, n_0, n_1)`` payoffs, each outcome equally likely (one outcome: a deterministic game)."""
    if k is not None and not (isinstance(game, str) and game in PENALTY_GAMES):
        raise ValueError(f"k is the penalty of the games {list(PENALTY_GAMES)}; got k={k!r} with game={game!r}")
    if isinstance(game, str) and game in PENALTY_GAMES:
        k = DEFAULT_PENALTY if k is None else check_in_range("k", k, -100.0, 0.0)
        base = penalty_game(k)
        outcomes = base[None] if game == "penalty" else np.stack([base - 2.0, base + 2.0])
        return np.stack([outcomes, outcomes], axis=1)
    if isinstance(game, str) and game in _COOPERATIVE_GAMES:
        outcomes = _COOPERATIVE_GAMES[game]
        return np.stack([outcomes, outcomes], axis=1)
    return _payoff_array(game)[None]


def _payoff_array(game) -> np.ndarray:
    if isinstance(game, str):
        if game not in NAMED_GAMES:
            raise ValueError(f"game must be one of {GAME_NAMES} or a payoff array, got {game!r}")
        return NAMED_GAMES[game].copy()
    payoffs = np.asarray(game, dtype=np.float64)
    if payoffs.ndim != 3 or payoffs.shape[0] != 2 or min(payoffs.shape[1:]) < 1:
        raise ValueError(f"game payoffs must have shape (2, n_0, n_1), got {payoffs.shape}")
    if not np.all(np.isfinite(payoffs)):
        raise ValueError("game payoffs must be finite")
    return payoffs


class RepeatedMatrixGame(ParallelEnv):
    """A repeated two-player matrix game (see the module docstring for spaces, rewards and arguments)."""

    metadata = {"render_modes": ["ansi", "rgb_array"], "name": "repeated_matrix_game_v0", "is_parallelizable": True}
    cell_size = 24

    @setting_ranges(n_rounds=(1, 10_000_000))
    def __init__(self, game="prisoners-dilemma", n_rounds: int = 100, noise_std: float = 0.0, render_mode=None, k=None):
        self.outcomes = _outcome_array(game, k)  # (n_outcomes, 2, n_0, n_1), equally likely
        self.payoffs = self.outcomes.mean(axis=0)  # the expected payoffs
        self.n_rounds = check_int("n_rounds", n_rounds, minimum=1)
        self.noise_std = check_positive("noise_std", noise_std, allow_zero=True)
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.possible_agents = ["player_0", "player_1"]
        self.agents: list[str] = []
        self.n_actions = self.payoffs.shape[1:]
        self._action_spaces = {
            agent: gymnasium.spaces.Discrete(int(n)) for agent, n in zip(self.possible_agents, self.n_actions)
        }
        n_obs = int(self.n_actions[0] * self.n_actions[1] + 1)
        self._observation_spaces = {agent: gymnasium.spaces.Discrete(n_obs) for agent in self.possible_agents}
        self.state_space = gymnasium.spaces.Discrete(n_obs)
        self.np_random, _ = seeding.np_random(None)
        self.round = 0
        self.last_joint_action: tuple[int, int] | None = None

    def observation_space(self, agent):
        return self._observation_spaces[agent]

    def action_space(self, agent):
        return self._action_spaces[agent]

    def _observation(self) -> np.int64:
        if self.last_joint_action is None:
            return np.int64(self.n_actions[0] * self.n_actions[1])
        a0, a1 = self.last_joint_action
        return np.int64(a0 * self.n_actions[1] + a1)

    def state(self) -> np.int64:
        """The global state: the previous joint action's code (what both players observe)."""
        return self._observation()

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        self.agents = list(self.possible_agents)
        self.round = 0
        self.last_joint_action = None
        observation = self._observation()
        return {agent: observation for agent in self.agents}, {agent: {} for agent in self.agents}

    def step(self, actions):
        joint = check_joint_action(self, actions)
        a0, a1 = (joint[agent] for agent in self.possible_agents)
        outcome = 0 if len(self.outcomes) == 1 else int(self.np_random.integers(len(self.outcomes)))
        payoffs = self.outcomes[outcome]
        rewards = {agent: float(payoffs[i, a0, a1]) for i, agent in enumerate(self.possible_agents)}
        if self.noise_std > 0:
            for agent in self.possible_agents:
                rewards[agent] += float(self.noise_std * self.np_random.standard_normal())
        self.round += 1
        self.last_joint_action = (a0, a1)
        observation = self._observation()
        observations = {agent: observation for agent in self.agents}
        infos = {agent: {"round": self.round} for agent in self.agents}
        terminations, truncations = end_round(self, self.round >= self.n_rounds)
        return observations, rewards, terminations, truncations, infos

    def render(self):
        if self.render_mode is None:
            gymnasium.logger.warn("render() called without a render_mode; set render_mode='ansi' or 'rgb_array'")
            return None
        if self.render_mode == "rgb_array":
            return self._render_rgb()
        if self.last_joint_action is None:
            return f"round {self.round}/{self.n_rounds}: no moves yet"
        a0, a1 = self.last_joint_action
        return f"round {self.round}/{self.n_rounds}: player_0 -> {a0}, player_1 -> {a1}"

    def _render_rgb(self) -> np.ndarray:
        total = self.payoffs.sum(axis=0)  # (n_0, n_1): both players' payoff of each joint action
        span = np.ptp(total) if np.ptp(total) > 0 else 1.0
        level = (total - total.min()) / span  # 0 (worst) to 1 (best) for the pair
        white, green = np.array([255.0, 255.0, 255.0]), np.array([60.0, 180.0, 75.0])
        cells = np.round(white + level[..., None] * (green - white)).astype(np.uint8)
        frame = cells_to_frame(cells, self.cell_size)
        if self.last_joint_action is not None:
            size = self.cell_size
            row, col = self.last_joint_action
            ring = np.ones((size, size), dtype=bool)
            ring[3:-3, 3:-3] = False
            frame[row * size : (row + 1) * size, col * size : (col + 1) * size][ring] = AGENT
        return frame

    def close(self):
        pass


@functools.wraps(RepeatedMatrixGame)
def parallel_env(**kwargs) -> RepeatedMatrixGame:
    """Make a :class:`RepeatedMatrixGame` (PettingZoo's factory convention; ``max_cycles`` means ``n_rounds``)."""
    return RepeatedMatrixGame(**episode_length_from_max_cycles(kwargs, "n_rounds"))


def env(**kwargs) -> AECEnv:
    """The AEC form of :func:`parallel_env` (PettingZoo's ``parallel_to_aec``; same keyword arguments)."""
    return parallel_to_aec(parallel_env(**kwargs))
