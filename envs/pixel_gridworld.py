"""Image observations for toy-text grid worlds, so that DQN's ConvNet path has a small test bed."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from boltzgym.utils.validation import check_int, setting_ranges


class PixelGridObservation(gym.ObservationWrapper, gym.utils.RecordConstructorArgs):
    """Replace a grid env's state index by a ``uint8`` image of the grid, one channel per tile type + the agent.

    ## Description
    Works with any toy-text grid env exposing FrozenLake's attributes on ``env.unwrapped``: ``desc`` (the 2D
    map of tile letters, e.g. ``S``tart, ``F``rozen, ``H``ole, ``G``oal), ``nrow``, ``ncol`` and ``s`` (the
    current state index ``row * ncol + col``). The dynamics, rewards and episode ends are the wrapped env's.
    Registered as ``boltzgym/PixelGridWorld-v0``: ``boltzgym/GridWorld-v0`` (its 5x5 map by default) seen as
    an image, the small image task on which DQN's ConvNet path is tested (notes 6.1, deep Q-learning).

    ## Action Space
    The wrapped env's: ``Discrete(4)`` for GridWorld and FrozenLake (0 left, 1 down, 2 right, 3 up).

    ## Observation Space
    ``Box(0, 255, (nrow * cell_size, ncol * cell_size, len(tile_types) + 1), uint8)``, channels last (the
    Gymnasium image convention). Channel ``k < len(tile_types)`` is 255 where the tile is ``tile_types[k]``
    (the sorted distinct letters of ``desc``); the last channel is 255 on the agent's cell. Each grid cell is a
    ``cell_size x cell_size`` block of pixels. The image is built from ``desc`` and ``s`` with NumPy (no pygame).

    ## Rewards
    The wrapped env's. For ``boltzgym/PixelGridWorld-v0``, GridWorld's: 1 for reaching the goal, 0 otherwise
    (other maps and reward arguments as documented by ``GridWorldEnv``).

    ## Starting State
    The wrapped env's start cell ``S``; the first image shows the agent there.

    ## Episode End
    The wrapped env's: termination in a goal or a hole; truncation by its time limit (200 steps for
    ``boltzgym/PixelGridWorld-v0``, as for ``boltzgym/GridWorld-v0``; 100 for FrozenLake-v1 4x4).

    ## Arguments
    - ``env``: the grid env to wrap.
    - ``cell_size``: pixels per grid cell side (default 1: the smallest image, enough for a 3x3 ConvNet).

    ``boltzgym/PixelGridWorld-v0`` (:func:`make_pixel_gridworld`) takes ``base_id`` (default
    ``"boltzgym/GridWorld-v0"``, or any FrozenLake-like id such as ``"FrozenLake-v1"``), ``cell_size`` and the
    base env's keyword arguments (e.g. ``map_name="cliff"``, ``is_slippery=False``).

    ## Version History
    - v0: initial version.

    Example:
        >>> import gymnasium as gym
        >>> env = PixelGridObservation(gym.make("FrozenLake-v1", is_slippery=False))
        >>> obs, _ = env.reset(seed=0)
        >>> obs.shape, env.tile_types
        ((4, 4, 5), ('F', 'G', 'H', 'S'))
    """

    @setting_ranges(cell_size=(1, 64))
    def __init__(self, env: gym.Env, cell_size: int = 1) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, cell_size=cell_size)
        gym.ObservationWrapper.__init__(self, env)
        base = env.unwrapped
        missing = [name for name in ("desc", "nrow", "ncol") if not hasattr(base, name)]
        if missing:  # ``s`` appears at the first reset
            raise TypeError(f"env must expose desc, nrow, ncol and s like FrozenLake; {base!r} lacks {missing}")
        self.cell_size = check_int("cell_size", cell_size, minimum=1)
        desc = _as_letters(base.desc)
        if desc.shape != (base.nrow, base.ncol):
            raise ValueError(f"env.desc has shape {desc.shape}, expected (nrow, ncol) = {(base.nrow, base.ncol)}")
        self.tile_types = tuple(sorted(set(desc.ravel().tolist())))
        n_channels = len(self.tile_types) + 1
        self._tiles = np.zeros((base.nrow, base.ncol, n_channels), dtype=np.uint8)
        for channel, tile in enumerate(self.tile_types):
            self._tiles[..., channel] = np.where(desc == tile, 255, 0)
        shape = (base.nrow * self.cell_size, base.ncol * self.cell_size, n_channels)
        self.observation_space = gym.spaces.Box(0, 255, shape, np.uint8)

    def observation(self, observation) -> np.ndarray:
        """The image of the current grid (the wrapped observation is not needed: position comes from ``s``)."""
        base = self.env.unwrapped
        image = self._tiles.copy()
        row, col = divmod(int(base.s), int(base.ncol))
        image[row, col, -1] = 255
        if self.cell_size > 1:
            image = image.repeat(self.cell_size, axis=0).repeat(self.cell_size, axis=1)
        return image


def _as_letters(desc) -> np.ndarray:
    """``desc`` as a 2D array of one-character strings (FrozenLake stores bytes, others str)."""
    array = np.asarray(desc)
    if array.dtype.kind == "S":
        array = np.char.decode(array, "ascii")
    return array.astype(str)


@setting_ranges(cell_size=(1, 64))
def make_pixel_gridworld(base_id: str = "boltzgym/GridWorld-v0", cell_size: int = 1, **kwargs) -> gym.Env:
    """Entry point of ``boltzgym/PixelGridWorld-v0``: ``gym.make(base_id, **kwargs)`` wrapped in
    :class:`PixelGridObservation` (``base_id`` may be any FrozenLake-like env, e.g. ``"FrozenLake-v1"``)."""
    return PixelGridObservation(gym.make(base_id, **kwargs), cell_size=cell_size)
