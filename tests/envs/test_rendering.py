"""Every registered env renders ``rgb_array`` frames (what SB3's ``make_vec_env`` and video wrappers ask for), and
the pictures show what they say they show: the agent, the goal arm, the arms' means, the spins, the transitions."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.wrappers import RenderCollection

from boltzgym.envs import boltzgym_env_ids
from boltzgym.envs._render import AGENT, BAD, GOOD, MUTED, SPIN_DOWN, SPIN_UP
from boltzgym.envs.annealing_control import AnnealingControlEnv
from boltzgym.envs.bandits import BernoulliBanditEnv
from boltzgym.envs.tabular_mdp import TabularMDPEnv
from boltzgym.envs.tmaze import TMazeEnv

ENV_IDS = boltzgym_env_ids()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_rgb_array_passes_the_checker_and_video_wrappers_get_frames_of_one_size(env_id):
    check_env(gym.make(env_id, render_mode="rgb_array").unwrapped)
    env = RenderCollection(gym.make(env_id, render_mode="rgb_array"))
    env.reset(seed=0)
    env.action_space.seed(0)
    for _ in range(12):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            env.reset()
    frames = env.render()
    assert len(frames) >= 13
    shapes = {frame.shape for frame in frames}
    assert len(shapes) == 1, f"frame sizes change within an episode: {shapes}"
    (shape,) = shapes
    assert len(shape) == 3 and shape[2] == 3 and min(shape[:2]) >= 16
    assert all(frame.dtype == np.uint8 for frame in frames)
    assert len({frame.tobytes() for frame in frames}) > 1, "the frames never change"


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_ansi_still_renders_text_and_no_mode_warns_and_returns_none(env_id):
    env = gym.make(env_id, render_mode="ansi")
    env.reset(seed=0)
    assert isinstance(env.render(), str)
    quiet = gym.make(env_id)
    quiet.reset(seed=0)
    with pytest.warns(UserWarning, match="render_mode"):
        assert quiet.unwrapped.render() is None


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_an_unknown_render_mode_is_refused_naming_it(env_id):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gym.make's own warning about the mode
        with pytest.raises(ValueError, match="render_mode must be one of .* got 'video'"):
            gym.make(env_id, render_mode="video")


def _cell_colour(frame: np.ndarray, row: int, col: int, size: int) -> tuple[int, ...]:
    return tuple(int(v) for v in frame[row * size + size // 2, col * size + size // 2])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_tmaze_shows_the_goal_arm_and_the_agent(seed):
    env = TMazeEnv(corridor_length=4, render_mode="rgb_array")
    _, info = env.reset(seed=seed)
    env.step(1)  # east: the agent leaves the start cell
    frame, size = env.render(), env.cell_size
    north, south = _cell_colour(frame, 0, 4, size), _cell_colour(frame, 2, 4, size)
    assert (north, south) == ((GOOD, BAD) if info["goal"] == "north" else (BAD, GOOD))
    assert _cell_colour(frame, 1, 1, size) == AGENT
    assert _cell_colour(frame, 1, 0, size) == MUTED  # the start cell, where the cue was shown


def test_bandit_frame_shows_true_means_beside_sample_averages_and_pull_shares():
    env = BernoulliBanditEnv(means=[0.25, 0.75], render_mode="rgb_array")
    env.reset(seed=0)
    rewards = [env.step(1)[1] for _ in range(8)]
    frame, width, height = env.render(), env.bar_width, env.frame_height

    def bar_height(column: int, colour) -> int:  # pixels of ``colour`` in the middle of bar ``column``
        return int(np.all(frame[:height, column * width + width // 2] == colour, axis=-1).sum())

    def expected(value: float) -> int:  # rows from the bar's top to the base, both included
        return height - int(round((height - 1) * (1 - value)))

    assert bar_height(0, MUTED) == expected(0.25) and bar_height(2, MUTED) == expected(0.75)
    assert bar_height(1, GOOD) == 0 and bar_height(1, AGENT) == 0  # arm 0 never pulled: no estimate bar
    assert bar_height(3, AGENT) == expected(np.mean(rewards))  # arm 1, just pulled: orange
    np.testing.assert_array_equal(env.pull_counts, [0, 8])
    np.testing.assert_array_equal(env.estimates[1], np.mean(rewards))
    shares = frame[height + 2 :]
    assert not np.any(np.all(shares[:, width] == AGENT, axis=-1))  # arm 0: no pulls
    assert np.all(np.all(shares[:, 3 * width] == AGENT, axis=-1))  # arm 1: all of them, full height


def test_annealing_frame_shows_the_best_replicas_spins():
    env = AnnealingControlEnv(n_spins=16, n_replicas=4, n_steps=3, render_mode="rgb_array")
    env.reset(seed=0)
    env.step(1)
    frame = env.render()
    cell = env.frame_width // 4
    best = env.states[int(np.argmin(env.energies))].reshape(4, 4)
    colours = np.array([[_cell_colour(frame, r, c, cell) for c in range(4)] for r in range(4)])
    np.testing.assert_array_equal(colours, np.where((best > 0)[..., None], SPIN_UP, SPIN_DOWN))
    assert frame.shape == (4 * cell + 2 + 8 + 2 + 8, 4 * cell, 3)


def test_tabular_mdp_frame_shows_the_state_and_its_transition_rows():
    probabilities = np.array([[[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]], [[0, 0, 1.0], [1.0, 0, 0]], [[0, 0, 1.0]] * 2])
    env = TabularMDPEnv(probabilities, np.zeros((3, 2)), terminal_states=[2], render_mode="rgb_array")
    env.reset(seed=0)
    env.s = 0
    frame, size = env.render(), env.cell_size
    assert _cell_colour(frame, 0, 0, size) == AGENT
    assert _cell_colour(frame, 0, 2, size) != _cell_colour(frame, 0, 1, size)  # terminal state: dark
    heat = frame[size + 2 :]
    zero, half, one = _cell_colour(heat, 0, 0, size), _cell_colour(heat, 1, 0, size), _cell_colour(heat, 0, 1, size)
    assert zero == (255, 255, 255) and sum(one) < sum(half) < sum(zero)
