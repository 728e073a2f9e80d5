"""An Ising "spin game" as a PettingZoo ``ParallelEnv``: agents share a spin glass, each owning a block of spins.

| Property            | Value                                                                       |
|---------------------|-----------------------------------------------------------------------------|
| Agents              | ``["agent_0", ..., "agent_{n_agents-1}"]``                                  |
| Actions             | ``Discrete(block_size + 1)``: 0 = pass, ``k`` = flip the block's spin k-1   |
| Observations        | ``Discrete(2 ** block_size)``: the agent's own spins as a binary code       |
|                     | (a NumPy ``int64`` scalar)                                                  |
| State               | ``Box(-1, 1, (side**2,), int8)``: every spin of the glass, row-major        |
| Rewards             | ``"selfish"``: minus the change of the agent's local energy; ``"shared"``:  |
|                     | minus the change of the total energy divided by ``n_agents``;               |
|                     | ``"difference"``: the agent's own contribution to the total energy drop     |
| Episode end         | truncated after ``n_rounds`` rounds; never terminated                       |
| Import              | ``from boltzgym.envs.spin_game import parallel_env, env``                   |

Description
    The glass is a periodic 2D +-J (or Gaussian) Edwards-Anderson lattice
    (``boltzgym.sims.problems.lattice_spin_glass``, drawn from the reset seed) with spins in {-1, +1} and
    ``E(s) = -1/2 s^T J s``. Agent ``a`` owns the spins
    ``a * block_size ... (a + 1) * block_size - 1`` (row-major) and each round may flip one of them; all flips
    happen at once. Agent ``a``'s local energy is ``E_a = -1/2 sum_{i in a} s_i (J s)_i``, so the local energies
    add up to ``E``. Selfish agents are paid ``E_a(before) - E_a(after)``: a bond between two blocks is half
    each agent's, so a flip that helps the flipper and hurts a neighbour more can still pay (selfish agents stop
    in local minima of their own energy). The shared reward pays every agent ``-(E(after) - E(before)) /
    n_agents``: the team is paid for the whole glass. Both rewards sum over agents to ``-dE``.
    The shared reward mixes every agent's flip into each agent's signal (the credit-assignment problem of
    independent learners); ``"difference"`` is the standard remedy (Wolpert & Tumer, "Optimal payoff functions
    for members of collectives", 2001): agent ``a`` is paid ``E(joint move without a's flip) - E(joint move)``,
    the part of the team's energy drop that its own flip made (0 for a pass). It is aligned with the total
    energy (with one flipper it is exactly ``-dE``) but does not sum to ``-dE`` when several agents flip.

    Selfish play is an exact potential game with potential ``Phi = E_internal + 1/2 E_boundary`` (bonds inside
    blocks counted fully, bonds between blocks half): an agent's selfish reward is minus its flip's change of
    ``Phi``. On 4x4 +-J glasses with 2, 4 or 8 row-major blocks, the global minimisers of ``Phi`` are ground
    states of ``E`` on every one of 30 instances checked by enumeration, so selfish play loses nothing there at
    its best equilibrium. With Gaussian bonds they differ (4x4, 4 agents: on 14 of 20 instances the best
    selfish equilibrium lies above the ground state, by up to 1.9): that is where a team paid for the global
    energy can do better (see README, issue 12, for the measured comparison).
    The observation code has bit ``k`` set when the block's spin ``k`` is +1.

Arguments
    ``side``: lattice side (``side ** 2`` spins, side >= 3). ``n_agents``: divides ``side ** 2`` with blocks of at
    most 12 spins. ``reward``: ``"selfish"``, ``"shared"`` or ``"difference"``. ``couplings``: ``"pm"`` (+-J,
    default) or ``"gaussian"`` (N(0, 1) bonds). ``n_rounds`` (default 50; the factories also take PettingZoo's
    name for it, ``max_cycles``).
    ``instance_seed``: a fixed glass for every episode (default: a new glass from each reset's generator).
    ``render_mode``: ``None``, ``"ansi"`` or ``"rgb_array"`` (the lattice's spins, white +1 and black -1, with
    red lines between the blocks of different agents).

``parallel_env(**kwargs)`` makes the parallel env; ``env(**kwargs)`` its AEC form (PettingZoo's ``parallel_to_aec``).
``state()`` is the whole spin configuration (int8, in {-1, +1}), for centralised critics and mixers.

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
from boltzgym.envs._render import BAD, cells_to_frame, check_render_mode, spin_cells
from boltzgym.sims.problems import lattice_spin_glass
from boltzgym.utils.validation import check_int, check_seed, setting_ranges

MAX_BLOCK_SIZE = 12
REWARDS = ("selfish", "shared", "difference")


class SpinGame(ParallelEnv):
    """Agents flipping their own spins of a shared glass (see the module docstring)."""

    metadata = {"render_modes": ["ansi", "rgb_array"], "name": "spin_game_v0", "is_parallelizable": True}
    cell_size = 16

    @setting_ranges(side=(3, 64), n_agents=(1, 4096), n_rounds=(1, 10_000_000))
    def __init__(
        self,
        side: int = 4,
        n_agents: int = 4,
        reward: str = "selfish",
        n_rounds: int = 50,
        couplings: str = "pm",
        instance_seed: int | None = None,
        render_mode=None,
    ):
        self.side = check_int("side", side, minimum=3)
        self.n_spins = self.side**2
        self.n_agents = check_int("n_agents", n_agents, minimum=1, maximum=self.n_spins)
        if self.n_spins % self.n_agents or self.n_spins // self.n_agents > MAX_BLOCK_SIZE:
            raise ValueError(
                f"n_agents must divide side**2 = {self.n_spins} into blocks of at most {MAX_BLOCK_SIZE} spins, "
                f"got {n_agents}"
            )
        if reward not in REWARDS:
            raise ValueError(f"reward must be one of {list(REWARDS)}, got {reward!r}")
        self.reward = reward
        if couplings not in ("pm", "gaussian"):
            raise ValueError(f"couplings must be 'pm' or 'gaussian', got {couplings!r}")
        self.couplings = couplings
        self.n_rounds = check_int("n_rounds", n_rounds, minimum=1)
        self.instance_seed = check_seed("instance_seed", instance_seed)
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.block_size = self.n_spins // self.n_agents
        self.possible_agents = [f"agent_{i}" for i in range(self.n_agents)]
        self.agents: list[str] = []
        self._action_space = gymnasium.spaces.Discrete(self.block_size + 1)
        self._observation_space = gymnasium.spaces.Discrete(2**self.block_size)
        self.state_space = gymnasium.spaces.Box(-1, 1, shape=(self.n_spins,), dtype=np.int8)
        self.np_random, _ = seeding.np_random(None)
        self._bits = 2 ** np.arange(self.block_size)
        self.model = None
        self.round = 0

    def observation_space(self, agent):
        return self._observation_space

    def action_space(self, agent):
        return self._action_space

    def energy(self) -> float:
        """The glass's total energy now."""
        return float(self.model.energy(self.spins))

    def _local_energies(self) -> np.ndarray:
        per_spin = -0.5 * self.spins * self.model.local_fields(self.spins)
        return per_spin.reshape(self.n_agents, self.block_size).sum(axis=1)

    def _observations(self) -> dict[str, np.int64]:
        codes = ((self.spins.reshape(self.n_agents, self.block_size) > 0) @ self._bits).astype(np.int64)
        return {agent: codes[i] for i, agent in enumerate(self.agents)}

    def state(self) -> np.ndarray:
        """The global state: a copy of every spin (int8 in {-1, +1}, row-major on the lattice)."""
        if self.model is None:
            raise RuntimeError("state() called before reset()")
        return self.spins.copy()

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        glass_seed = self.instance_seed if self.instance_seed is not None else int(self.np_random.integers(2**31))
        self.model = lattice_spin_glass(self.side, 2, self.couplings, seed=glass_seed)
        self.spins = self.np_random.choice(np.array([-1, 1], dtype=np.int8), size=self.n_spins)
        self.agents = list(self.possible_agents)
        self.round = 0
        return self._observations(), {agent: {} for agent in self.agents}

    def step(self, actions):
        flips = check_joint_action(self, actions)
        local_before, total_before = self._local_energies(), self.energy()
        for index, agent in enumerate(self.agents):
            if flips[agent]:
                self.spins[index * self.block_size + flips[agent] - 1] *= -1
        local_after, total_after = self._local_energies(), self.energy()
        if self.reward == "selfish":
            paid = local_before - local_after
        elif self.reward == "shared":
            paid = np.full(self.n_agents, (total_before - total_after) / self.n_agents)
        else:  # difference reward: E(joint move without my flip) - E(joint move) = 2 s_i f_i after the move
            fields = self.model.local_fields(self.spins)
            paid = np.zeros(self.n_agents)
            for index, agent in enumerate(self.agents):
                if flips[agent]:
                    site = index * self.block_size + flips[agent] - 1
                    paid[index] = 2.0 * self.spins[site] * fields[site]
        rewards = {agent: float(paid[i]) for i, agent in enumerate(self.agents)}
        infos = {
            agent: {"energy": total_after, "local_energy": float(local_after[i])} for i, agent in enumerate(self.agents)
        }
        observations = self._observations()
        self.round += 1
        terminations, truncations = end_round(self, self.round >= self.n_rounds)
        return observations, rewards, terminations, truncations, infos

    def render(self):
        if self.render_mode is None:
            gymnasium.logger.warn("render() called without a render_mode; set render_mode='ansi' or 'rgb_array'")
            return None
        if self.model is None:
            return None
        if self.render_mode == "rgb_array":
            frame = cells_to_frame(spin_cells(self.spins, (self.side, self.side)), self.cell_size)
            sites = np.arange(self.n_spins).reshape(self.side, self.side)
            owner = sites // self.block_size
            for row in range(self.side):  # a red line where a block ends inside a row or between rows
                for col in range(self.side):
                    if col + 1 < self.side and owner[row, col + 1] != owner[row, col]:
                        frame[row * self.cell_size : (row + 1) * self.cell_size, (col + 1) * self.cell_size] = BAD
                    if row + 1 < self.side and owner[row + 1, col] != owner[row, col]:
                        frame[(row + 1) * self.cell_size, col * self.cell_size : (col + 1) * self.cell_size] = BAD
            return frame
        rows = ("".join("+" if s > 0 else "-" for s in row) for row in self.spins.reshape(self.side, self.side))
        return f"round {self.round}/{self.n_rounds}, E = {self.energy():.0f}\n" + "\n".join(rows)

    def close(self):
        pass


@functools.wraps(SpinGame)
def parallel_env(**kwargs) -> SpinGame:
    """Make a :class:`SpinGame` (PettingZoo's factory convention; ``max_cycles`` means ``n_rounds``)."""
    return SpinGame(**episode_length_from_max_cycles(kwargs, "n_rounds"))


def env(**kwargs) -> AECEnv:
    """The AEC form of :func:`parallel_env` (PettingZoo's ``parallel_to_aec``; same keyword arguments)."""
    return parallel_to_aec(parallel_env(**kwargs))
