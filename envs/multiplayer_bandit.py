"""A multi-player Bernoulli bandit with collisions, as a PettingZoo ``ParallelEnv``.

| Property            | Value                                                                    |
|---------------------|--------------------------------------------------------------------------|
| Agents              | ``["player_0", ..., "player_{n-1}"]``                                    |
| Actions             | ``Discrete(n_arms)`` per player: the arm to pull                         |
| Observations        | ``Discrete(3)``: 2 before the first round, then 1 if the player's last   |
|                     | pull collided with another player's, else 0 (collision sensing); NumPy   |
|                     | ``int64`` scalars                                                        |
| Rewards             | a Bernoulli(mean of the arm) draw for a player alone on its arm; 0 for   |
|                     | every player on an arm pulled by two or more                             |
| Episode end         | truncated after ``horizon`` rounds; never terminated                     |
| Import              | ``from boltzgym.envs.multiplayer_bandit import parallel_env, env``       |

Description
    The multi-player bandit of cognitive radio (Liu & Zhao 2010; Anandkumar et al. 2011; Besson & Kaufmann 2018):
    ``n_players`` players share ``n_arms`` channels; each round every player pulls one arm at once, and players
    that pull the same arm collide and receive nothing. The players do not communicate; the best they can do
    together is to spread over the ``n_players`` best arms (an orthogonal allocation), which independent learners
    find on their own when collisions cost enough. ``info[agent]`` gives the arm, whether it collided, and the
    round's system regret (the top-``n_players`` means minus the expected reward collected).

Arguments
    ``means``: the arms' success probabilities (default ``[0.9, 0.8, 0.5, 0.2]``), each in [0, 1].
    ``n_players``: players (1 <= n_players <= number of arms; default 2).
    ``horizon``: rounds per episode (>= 1, default 100); the factories also take PettingZoo's name for it,
    ``max_cycles``.
    ``render_mode``: ``None``, ``"ansi"`` or ``"rgb_array"`` (one bar per arm, its mean; under it one row per
    player, its last arm marked green when it was alone there, red when it collided).

``parallel_env(**kwargs)`` makes the parallel env; ``env(**kwargs)`` its AEC form (PettingZoo's ``parallel_to_aec``).
There is no ``state()``: the global state would be the arms' means, which no player may see.

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
from boltzgym.envs._render import BAD, FLOOR, GOOD, MUTED, bars, cells_to_frame, check_render_mode, stack
from boltzgym.utils.validation import check_int, setting_ranges


class MultiPlayerBandit(ParallelEnv):
    """Players pulling arms at once; a collision pays nothing (see the module docstring)."""

    metadata = {"render_modes": ["ansi", "rgb_array"], "name": "multiplayer_bandit_v0", "is_parallelizable": True}
    cell_size = 16

    @setting_ranges(n_players=(1, 1000), horizon=(1, 10_000_000))
    def __init__(self, means=(0.9, 0.8, 0.5, 0.2), n_players: int = 2, horizon: int = 100, render_mode=None):
        self.means = np.asarray(means, dtype=np.float64)
        if self.means.ndim != 1 or self.means.size < 1 or not np.all((self.means >= 0) & (self.means <= 1)):
            raise ValueError(f"means must be a non-empty list of probabilities in [0, 1], got {means!r}")
        self.n_players = check_int("n_players", n_players, minimum=1, maximum=int(self.means.size))
        self.horizon = check_int("horizon", horizon, minimum=1)
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.possible_agents = [f"player_{i}" for i in range(self.n_players)]
        self.agents: list[str] = []
        self._action_space = gymnasium.spaces.Discrete(int(self.means.size))
        self._observation_space = gymnasium.spaces.Discrete(3)
        self.np_random, _ = seeding.np_random(None)
        self.round = 0
        self.last_pulls: dict[str, int] = {}
        self.best_total = float(np.sort(self.means)[::-1][: self.n_players].sum())

    def observation_space(self, agent):
        return self._observation_space

    def action_space(self, agent):
        return self._action_space

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        self.agents = list(self.possible_agents)
        self.round = 0
        self.last_pulls = {}
        return {agent: np.int64(2) for agent in self.agents}, {agent: {} for agent in self.agents}

    def step(self, actions):
        pulls = check_joint_action(self, actions)
        load = np.bincount(list(pulls.values()), minlength=self.means.size)
        draws = self.np_random.random(self.means.size) < self.means  # one draw per arm, shared by its puller
        rewards, infos = {}, {}
        expected = float(sum(self.means[arm] for arm in pulls.values() if load[arm] == 1))
        for agent, arm in pulls.items():
            collided = bool(load[arm] > 1)
            rewards[agent] = 0.0 if collided else float(draws[arm])
            infos[agent] = {"arm": arm, "collision": collided, "system_regret": self.best_total - expected}
        self.round += 1
        self.last_pulls = pulls
        observations = {agent: np.int64(infos[agent]["collision"]) for agent in self.agents}
        terminations, truncations = end_round(self, self.round >= self.horizon)
        return observations, rewards, terminations, truncations, infos

    def render(self):
        if self.render_mode is None:
            gymnasium.logger.warn("render() called without a render_mode; set render_mode='ansi' or 'rgb_array'")
            return None
        if self.render_mode == "rgb_array":
            return self._render_rgb()
        if not self.last_pulls:
            return f"round {self.round}/{self.horizon}: no pulls yet"
        pulls = ", ".join(f"{agent} -> arm {arm}" for agent, arm in self.last_pulls.items())
        return f"round {self.round}/{self.horizon}: {pulls}"

    def _render_rgb(self) -> np.ndarray:
        n_arms = self.means.size
        pulls = np.empty((self.n_players, n_arms, 3), dtype=np.uint8)
        pulls[:] = FLOOR
        load = np.bincount(list(self.last_pulls.values()), minlength=n_arms)
        for index, agent in enumerate(self.possible_agents):
            if agent in self.last_pulls:
                arm = self.last_pulls[agent]
                pulls[index, arm] = BAD if load[arm] > 1 else GOOD
        return stack(bars(self.means, 0.0, 1.0, 4 * self.cell_size, self.cell_size, MUTED),
                     cells_to_frame(pulls, self.cell_size))  # fmt: skip

    def close(self):
        pass


@functools.wraps(MultiPlayerBandit)
def parallel_env(**kwargs) -> MultiPlayerBandit:
    """Make a :class:`MultiPlayerBandit` (PettingZoo's factory convention; ``max_cycles`` means ``horizon``)."""
    return MultiPlayerBandit(**episode_length_from_max_cycles(kwargs, "horizon"))


def env(**kwargs) -> AECEnv:
    """The AEC form of :func:`parallel_env` (PettingZoo's ``parallel_to_aec``; same keyword arguments)."""
    return parallel_to_aec(parallel_env(**kwargs))
