"""GridWorld: a tabular grid from an ASCII map (notes 6.1: states, actions, Markov transitions, rewards).

Cells of the map (one character each, rows of equal length):

====  ===============================================================================
``S``  the start cell (exactly one)
``G``  a goal: entering it ends the episode with ``goal_reward`` (one or more)
``H``  a hole: entering it ends the episode with ``hole_reward``
``C``  a cliff: entering it gives ``cliff_reward`` and sends the agent back to the start
``#``  a wall: moves into it (or off the grid) leave the agent where it was
``.``  free floor (``F`` is accepted too, so FrozenLake maps work unchanged)
====  ===============================================================================

The dynamics are exposed the way Gymnasium's toy-text envs expose them (``env.unwrapped.P``), so the exact
solvers and the jitted fast path in :mod:`boltzgym.agents` work on this env as on FrozenLake.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from gymnasium import spaces

from boltzgym.envs._render import AGENT, cells_to_frame, check_render_mode, draw_disc, warn_no_render_mode
from boltzgym.envs._toy_text import ToyTextEnv
from boltzgym.utils.validation import check_in_range, check_int

LEFT, DOWN, RIGHT, UP = 0, 1, 2, 3
ACTION_NAMES = ("Left", "Down", "Right", "Up")
# (row, col) change of each action, in FrozenLake's action order.
_MOVES = ((0, -1), (1, 0), (0, 1), (-1, 0))
_CELLS = frozenset("SGHC#.F")
_TERMINAL_CELLS = frozenset("GH")

# Named maps: (rows, default keyword arguments that the caller may override).
MAPS: dict[str, tuple[tuple[str, ...], dict]] = {
    # A small open grid with walls and two holes.
    "5x5": (
        (
            "S....",
            ".##H.",
            "...#.",
            ".H...",
            "...#G",
        ),
        {},
    ),
    # Sutton & Barto (2018), example 6.6: -1 per step, -100 and back to the start for the cliff.
    "cliff": (
        (
            "............",
            "............",
            "............",
            "SCCCCCCCCCCG",
        ),
        {"step_reward": -1.0, "goal_reward": -1.0, "cliff_reward": -100.0},
    ),
    # Sutton & Barto (2018), example 6.5: the windy gridworld, -1 per step.
    "windy": (
        (
            "..........",
            "..........",
            "..........",
            "S......G..",
            "..........",
            "..........",
            "..........",
        ),
        {"step_reward": -1.0, "goal_reward": -1.0, "wind": (0, 0, 0, 1, 1, 1, 2, 2, 1, 0)},
    ),
    # Sutton, Precup & Singh (1999): the four-rooms domain.
    "four-rooms": (
        (
            "#############",
            "#S....#.....#",
            "#.....#.....#",
            "#...........#",
            "#.....#.....#",
            "#.....#.....#",
            "##.####.....#",
            "#.....###.###",
            "#.....#.....#",
            "#.....#.....#",
            "#...........#",
            "#.....#....G#",
            "#############",
        ),
        {},
    ),
}

_DEFAULTS = {"goal_reward": 1.0, "step_reward": 0.0, "hole_reward": 0.0, "cliff_reward": -100.0, "slip": 0.0}

# RGB colour of each cell kind in ``rgb_array`` frames.
_COLOURS = {
    "S": (200, 220, 255),
    "G": (60, 180, 75),
    "H": (40, 40, 60),
    "C": (200, 60, 50),
    "#": (110, 110, 110),
    ".": (240, 240, 240),
    "F": (240, 240, 240),
}


def parse_map(desc: str | Sequence[str]) -> np.ndarray:
    """Validate an ASCII map and return it as a 2D array of single bytes (FrozenLake's ``desc`` format).

    Args:
        desc: rows of equal length, as a sequence of strings or one string with newlines.

    Raises:
        TypeError, ValueError: naming ``desc`` when the map is not rectangular, uses unknown characters or
            lacks exactly one start ``S`` or at least one goal ``G``.
    """
    if isinstance(desc, np.ndarray):
        rows = ["".join(c.decode() if isinstance(c, bytes) else str(c) for c in row) for row in desc]
    elif isinstance(desc, str):
        rows = [line.strip() for line in desc.strip().splitlines() if line.strip()]
    elif isinstance(desc, Sequence) and all(isinstance(row, str) for row in desc):
        rows = list(desc)
    else:
        raise TypeError(f"desc must be a string or a sequence of strings, got {type(desc).__name__}")
    if not rows or not rows[0]:
        raise ValueError("desc must have at least one non-empty row, got an empty map")
    if len({len(row) for row in rows}) != 1:
        raise ValueError(f"desc must be rectangular (rows of equal length), got row lengths {[len(r) for r in rows]}")
    unknown = sorted(set("".join(rows)) - _CELLS)
    if unknown:
        raise ValueError(f"desc has unknown cell characters {unknown}; expected characters from {sorted(_CELLS)}")
    text = "".join(rows)
    if text.count("S") != 1:
        raise ValueError(f"desc must have exactly one start cell 'S', got {text.count('S')}")
    if "G" not in text:
        raise ValueError("desc must have at least one goal cell 'G', got none")
    return np.asarray([list(row) for row in rows], dtype="c")


class GridWorldEnv(ToyTextEnv):
    """A grid world built from an ASCII map, with holes, walls, cliffs, slippery floor and wind.

    ## Description
    The agent walks on a grid from the start ``S`` to a goal ``G``. Holes ``H`` end the episode, walls ``#``
    block moves, cliff cells ``C`` cost ``cliff_reward`` and send the agent back to the start (Sutton & Barto
    2018, example 6.6). With ``slip > 0`` the floor is slippery as in FrozenLake: the intended move happens with
    probability ``1 - slip``, each perpendicular move with probability ``slip / 2`` (``slip=2/3`` is FrozenLake's
    ``is_slippery=True``). With ``wind``, after each move the agent is pushed up by ``wind[col]`` cells (down
    when negative), ``col`` being the column it moved from (Sutton & Barto, example 6.5); pushes stop at walls
    and at the edge. Named maps: ``"5x5"`` (default), ``"cliff"``, ``"windy"``, ``"four-rooms"``; see ``MAPS``.

    ## Action Space
    ``Discrete(4)``: 0 left, 1 down, 2 right, 3 up (FrozenLake's order).

    ## Observation Space
    ``Discrete(nrow * ncol)``: the index ``row * ncol + col`` of the agent's cell.

    ## Rewards
    The reward of a move is set by the cell it ends in: ``goal_reward`` (default 1) for a goal,
    ``hole_reward`` (default 0) for a hole, ``cliff_reward`` (default -100) for a cliff and ``step_reward``
    (default 0) otherwise. Named maps set their own defaults (``"cliff"`` and ``"windy"``: -1 per move).

    ## Starting State
    The start cell ``S``.

    ## Episode End
    Termination when the agent enters a goal or a hole. Truncation after ``max_episode_steps`` (200 for the
    registered ``boltzgym/GridWorld-v0``).

    ## Arguments
    - ``map_name``: a key of ``MAPS`` (default ``"5x5"``), used when ``desc`` is None.
    - ``desc``: a user map (rows of characters from the table above), overriding ``map_name``.
    - ``goal_reward``, ``step_reward``, ``hole_reward``, ``cliff_reward``: rewards (None: the map's default).
    - ``slip``: probability in [0, 1] that a move goes sideways instead (None: the map's default, 0).
    - ``wind``: one integer per column (None: the map's default, no wind).
    - ``render_mode``: ``"ansi"`` (text) or ``"rgb_array"`` (an ``(nrow*16, ncol*16, 3)`` uint8 image).

    Attributes as in FrozenLake: ``desc`` (2D array of map bytes), ``nrow``, ``ncol``, ``s`` (current state),
    ``P`` (``P[s][a]`` is a list of ``(probability, next_state, reward, terminated)``), ``initial_state_distrib``.

    ## Version History
    - v0: initial version.

    ## Example
    >>> import gymnasium as gym
    >>> import boltzgym.envs  # noqa: F401
    >>> env = gym.make("boltzgym/GridWorld-v0", map_name="cliff")
    >>> obs, info = env.reset(seed=0)
    >>> int(obs), env.unwrapped.nrow, env.unwrapped.ncol
    (36, 4, 12)
    >>> obs, reward, terminated, truncated, info = env.step(2)  # right, into the cliff: back to the start
    >>> int(obs), reward, terminated
    (36, -100.0, False)
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}
    cell_size = 16

    def __init__(
        self,
        map_name: str = "5x5",
        desc: str | Sequence[str] | None = None,
        goal_reward: float | None = None,
        step_reward: float | None = None,
        hole_reward: float | None = None,
        cliff_reward: float | None = None,
        slip: float | None = None,
        wind: Sequence[int] | None = None,
        render_mode: str | None = None,
    ) -> None:
        if desc is None:
            if map_name not in MAPS:
                raise ValueError(f"map_name must be one of {sorted(MAPS)}, got {map_name!r}")
            desc, preset = MAPS[map_name]
        else:
            preset = {}
        self.desc = parse_map(desc)
        self.nrow, self.ncol = self.desc.shape
        given = {
            "goal_reward": goal_reward,
            "step_reward": step_reward,
            "hole_reward": hole_reward,
            "cliff_reward": cliff_reward,
            "slip": slip,
        }
        settings = {key: given[key] if given[key] is not None else preset.get(key, _DEFAULTS[key]) for key in given}
        for key in ("goal_reward", "step_reward", "hole_reward", "cliff_reward"):
            settings[key] = check_in_range(key, settings[key], -np.inf, np.inf)
        self.goal_reward = settings["goal_reward"]
        self.step_reward = settings["step_reward"]
        self.hole_reward = settings["hole_reward"]
        self.cliff_reward = settings["cliff_reward"]
        self.slip = check_in_range("slip", settings["slip"], 0.0, 1.0)
        wind = wind if wind is not None else preset.get("wind")
        if wind is None:
            self.wind = np.zeros(self.ncol, dtype=np.int64)
        else:
            if isinstance(wind, (str, bytes)) or not isinstance(wind, Sequence | np.ndarray):
                raise TypeError(f"wind must be a sequence of {self.ncol} integers, got {wind!r}")
            if len(wind) != self.ncol:
                raise ValueError(f"wind must have one integer per column ({self.ncol}), got {len(wind)} values")
            self.wind = np.array([check_int(f"wind[{i}]", w) for i, w in enumerate(wind)], dtype=np.int64)
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])

        n_states = self.nrow * self.ncol
        self.observation_space = spaces.Discrete(n_states)
        self.action_space = spaces.Discrete(4)
        self.start_state = int(np.flatnonzero(self.desc.ravel() == b"S")[0])
        self.initial_state_distrib = np.zeros(n_states)
        self.initial_state_distrib[self.start_state] = 1.0
        self.P = {s: {a: self._transitions(s, a) for a in range(4)} for s in range(n_states)}
        self.s = self.start_state
        self.lastaction: int | None = None

    # --- dynamics -----------------------------------------------------------------------------------

    def _blocked(self, row: int, col: int) -> bool:
        return not (0 <= row < self.nrow and 0 <= col < self.ncol) or self.desc[row, col] == b"#"

    def _move(self, row: int, col: int, action: int) -> tuple[int, int]:
        """The cell reached by one move from (row, col) followed by the wind of column ``col``."""
        push = int(self.wind[col])
        d_row, d_col = _MOVES[action]
        if not self._blocked(row + d_row, col + d_col):
            row, col = row + d_row, col + d_col
        return self._push(row, col, push)

    def _push(self, row: int, col: int, push: int) -> tuple[int, int]:
        step = -1 if push > 0 else 1
        for _ in range(abs(push)):
            if self._blocked(row + step, col):
                break
            row += step
        return row, col

    def _outcome(self, row: int, col: int) -> tuple[int, float, bool]:
        """(next state, reward, terminated) for ending a move in (row, col)."""
        cell = self.desc[row, col].decode()
        state = row * self.ncol + col
        if cell == "G":
            return state, self.goal_reward, True
        if cell == "H":
            return state, self.hole_reward, True
        if cell == "C":
            return self.start_state, self.cliff_reward, False
        return state, self.step_reward, False

    def _transitions(self, state: int, action: int) -> list[tuple[float, int, float, bool]]:
        row, col = divmod(state, self.ncol)
        cell = self.desc[row, col].decode()
        if cell in _TERMINAL_CELLS:
            return [(1.0, state, 0.0, True)]
        if cell in "#C":  # never occupied: walls block, cliffs send back to the start
            return [(1.0, state, 0.0, False)]
        # FrozenLake's order: the left-perpendicular slip, the intended move, the right-perpendicular slip.
        options = (((action - 1) % 4, self.slip / 2), (action, 1.0 - self.slip), ((action + 1) % 4, self.slip / 2))
        transitions = []
        for move, probability in options:
            if probability > 0:
                next_state, reward, terminated = self._outcome(*self._move(row, col, move))
                transitions.append((probability, next_state, reward, terminated))
        return transitions

    # --- Gymnasium API ------------------------------------------------------------------------------

    def render(self):
        if self.render_mode is None:
            warn_no_render_mode(self)
            return None
        if self.render_mode == "ansi":
            return self._render_text()
        return self._render_rgb()

    def _render_text(self) -> str:
        rows = [[c.decode() for c in row] for row in self.desc]
        row, col = divmod(self.s, self.ncol)
        rows[row][col] = "@"
        header = f"  ({ACTION_NAMES[self.lastaction]})\n" if self.lastaction is not None else "\n"
        return header + "\n".join("".join(r) for r in rows) + "\n"

    def _render_rgb(self) -> np.ndarray:
        colours = np.array([[_COLOURS[c.decode()] for c in row] for row in self.desc], dtype=np.uint8)
        frame = cells_to_frame(colours, self.cell_size)
        draw_disc(frame, *divmod(self.s, self.ncol), self.cell_size, AGENT)
        return frame
