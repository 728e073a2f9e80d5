"""The T-maze of Bakker (2002): a memory task that a feed-forward policy cannot solve."""

from __future__ import annotations

import numpy as np
from gymnasium import Env, spaces

from boltzgym.envs._render import (
    AGENT,
    BACKGROUND,
    BAD,
    FLOOR,
    GOOD,
    MUTED,
    cells_to_frame,
    check_render_mode,
    draw_disc,
    warn_no_render_mode,
)
from boltzgym.utils.validation import check_int, setting_ranges

NORTH, EAST, SOUTH, WEST = 0, 1, 2, 3


class TMazeEnv(Env):
    """A corridor of ``corridor_length`` cells ending in a T-junction; the goal arm (north or south) is shown only
    in the first cell.

    ## Description
    The agent starts at the west end of the corridor. Its first observation says whether the goal is at the north
    or the south end of the junction; every later corridor cell looks the same, and the junction looks different
    from both. To turn the right way at the junction the agent must remember the first observation for
    ``corridor_length`` steps (Bakker 2002, "Reinforcement learning with long short-term memory"). Without memory
    the best policy succeeds half of the time.

    ## Action Space
    ``Discrete(4)``: 0 north, 1 east, 2 south, 3 west.

    ## Observation Space
    ``Box(0, 1, (3,), float32)``, Bakker's three bits: ``[0, 1, 1]`` at the start with the goal north,
    ``[1, 1, 0]`` at the start with the goal south, ``[1, 0, 1]`` in the corridor, ``[0, 1, 0]`` at the junction.

    ## Rewards
    +4 for entering the goal arm, -0.1 for entering the other arm, -0.1 for a move that stays in place (a wall),
    0 otherwise.

    ## Starting State
    Position 0; the goal side is drawn uniformly from ``self.np_random``.

    ## Episode End
    Terminates when the agent turns north or south at the junction; truncation at ``max_episode_steps`` of the
    registration (``boltzgym/TMaze-v0``: ``4 * corridor_length + 20``; with other lengths pass
    ``max_episode_steps``).

    ## Arguments
    ``corridor_length`` (default 10): the number of steps from the start to the junction.
    ``render_mode``: ``None``, ``"ansi"`` (one text line) or ``"rgb_array"`` (a ``(3 * cell_size,
    (corridor_length + 1) * cell_size, 3)`` uint8 image: the corridor, the start cell in light blue, the goal arm
    green, the other arm red, the agent an orange disc).

    ## Version History
    v0: first version.

    Example:
        >>> env = TMazeEnv(corridor_length=3)
        >>> obs, info = env.reset(seed=0)
        >>> obs.shape, info["goal"] in ("north", "south")
        ((3,), True)
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}
    cell_size = 16

    @setting_ranges(corridor_length=(1, 1000))
    def __init__(self, corridor_length: int = 10, render_mode: str | None = None) -> None:
        self.corridor_length = check_int("corridor_length", corridor_length, minimum=1)
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.action_space = spaces.Discrete(4)
        self.observation_space = spaces.Box(0.0, 1.0, shape=(3,), dtype=np.float32)
        self.position = 0
        self.goal_north = True

    def _observation(self) -> np.ndarray:
        if self.position == 0:
            bits = (0, 1, 1) if self.goal_north else (1, 1, 0)
        elif self.position < self.corridor_length:
            bits = (1, 0, 1)
        else:
            bits = (0, 1, 0)
        return np.array(bits, dtype=np.float32)

    def _info(self) -> dict:
        return {"goal": "north" if self.goal_north else "south", "position": self.position}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.position = 0
        self.goal_north = bool(self.np_random.integers(2))
        return self._observation(), self._info()

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"action must be an integer in [0, 3], got {action!r}")
        action = int(action)
        at_junction = self.position == self.corridor_length
        if at_junction and action in (NORTH, SOUTH):
            success = (action == NORTH) == self.goal_north
            info = {**self._info(), "is_success": success}
            return self._observation(), (4.0 if success else -0.1), True, False, info
        if action == EAST and not at_junction:
            self.position += 1
            reward = 0.0
        elif action == WEST and self.position > 0:
            self.position -= 1
            reward = 0.0
        else:
            reward = -0.1  # a wall: the move leaves the agent in place
        return self._observation(), reward, False, False, self._info()

    def render(self):
        if self.render_mode is None:
            warn_no_render_mode(self)
            return None
        if self.render_mode == "ansi":
            cells = ["."] * (self.corridor_length + 1)
            cells[self.position] = "A"
            return "".join(cells) + f"  goal {'N' if self.goal_north else 'S'}"
        junction = self.corridor_length
        colours = np.empty((3, junction + 1, 3), dtype=np.uint8)
        colours[:] = BACKGROUND
        colours[1, :] = FLOOR
        colours[1, 0] = MUTED
        colours[0, junction] = GOOD if self.goal_north else BAD
        colours[2, junction] = BAD if self.goal_north else GOOD
        frame = cells_to_frame(colours, self.cell_size)
        draw_disc(frame, 1, self.position, self.cell_size, AGENT)
        return frame
