"""PixelGridWorld: the image wrapper over FrozenLake-like grids (check_env, rendering, determinism, pickle)."""

from __future__ import annotations

import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import boltzgym.envs  # noqa: F401  (registers boltzgym/PixelGridWorld-v0)
from boltzgym.envs.pixel_gridworld import PixelGridObservation


def _frozen_lake_pixels(**kwargs) -> gym.Env:
    return gym.make("boltzgym/PixelGridWorld-v0", base_id="FrozenLake-v1", is_slippery=False, **kwargs)


@pytest.mark.filterwarnings("ignore:.*different from the unwrapped version")  # checking the wrapper is the point
def test_passes_the_gymnasium_env_checker():
    check_env(_frozen_lake_pixels(), skip_render_check=True)
    check_env(gym.make("boltzgym/PixelGridWorld-v0"), skip_render_check=True)


def test_image_channels_show_the_tiles_and_the_agent():
    env = _frozen_lake_pixels()
    obs, _ = env.reset(seed=0)
    wrapper = _find_wrapper(env)
    assert wrapper.tile_types == ("F", "G", "H", "S")
    assert obs.shape == (4, 4, 5) and obs.dtype == np.uint8
    holes = obs[..., wrapper.tile_types.index("H")] == 255
    np.testing.assert_array_equal(np.argwhere(holes), [[1, 1], [1, 3], [2, 3], [3, 0]])  # FrozenLake 4x4 map
    assert np.argwhere(obs[..., -1] == 255).tolist() == [[0, 0]]  # the agent starts on S
    obs, *_ = env.step(2)  # right
    assert np.argwhere(obs[..., -1] == 255).tolist() == [[0, 1]]
    assert obs[..., :-1].sum(axis=-1).tolist() == [[255] * 4] * 4  # exactly one tile type per cell


def test_cell_size_scales_every_cell():
    env = _frozen_lake_pixels(cell_size=3)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (12, 12, 5)
    assert np.all(obs[:3, :3, -1] == 255) and obs[..., -1].sum() == 9 * 255


def test_same_seed_same_images_and_pickle_round_trip():
    env = gym.make("boltzgym/PixelGridWorld-v0")
    rollouts = []
    for _ in range(2):
        obs, _ = env.reset(seed=3)
        frames = [obs]
        for action in [1, 2, 2, 1, 0, 3]:
            frames.append(env.step(action)[0])
        rollouts.append(np.stack(frames))
    np.testing.assert_array_equal(rollouts[0], rollouts[1])
    copy = pickle.loads(pickle.dumps(env))
    np.testing.assert_array_equal(copy.reset(seed=3)[0], rollouts[0][0])


def test_rejects_envs_without_a_grid():
    with pytest.raises(TypeError, match="desc, nrow, ncol"):
        PixelGridObservation(gym.make("CartPole-v1"))
    with pytest.raises(ValueError, match="cell_size"):
        PixelGridObservation(gym.make("FrozenLake-v1"), cell_size=0)


def _find_wrapper(env: gym.Env) -> PixelGridObservation:
    while not isinstance(env, PixelGridObservation):
        env = env.env
    return env


def test_docstring_example_runs():
    import doctest

    from boltzgym.envs import pixel_gridworld

    assert doctest.testmod(pixel_gridworld).failed == 0


def test_docstring_has_the_gymnasium_sections():
    sections = ["Description", "Action Space", "Observation Space", "Rewards", "Starting State", "Episode End"]
    sections += ["Arguments", "Version History"]
    for section in sections:
        assert f"## {section}\n" in PixelGridObservation.__doc__, section
