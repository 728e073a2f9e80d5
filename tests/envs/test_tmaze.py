"""T-maze: the goal cue is visible only at the start, and only the cued arm pays."""

import gymnasium as gym
import numpy as np
import pytest

import boltzgym.envs  # noqa: F401
from boltzgym.envs.tmaze import EAST, NORTH, SOUTH, WEST, TMazeEnv


@pytest.mark.parametrize("seed", range(4))
def test_remembering_the_cue_reaches_the_goal(seed):
    env = gym.make("boltzgym/TMaze-v0")
    obs, info = env.reset(seed=seed)
    cue_north = bool(obs[2] == 1 and obs[0] == 0)
    assert cue_north == (info["goal"] == "north")
    observations = []
    for _ in range(10):
        obs, reward, terminated, truncated, _ = env.step(EAST)
        observations.append(obs)
        assert reward == 0.0 and not terminated
    assert all(np.array_equal(o, observations[0]) for o in observations[:-1])  # the corridor carries no cue
    np.testing.assert_array_equal(observations[-1], [0, 1, 0])  # the junction
    obs, reward, terminated, _, info = env.step(NORTH if cue_north else SOUTH)
    assert terminated and reward == 4.0 and info["is_success"]


def test_wrong_arm_walls_and_bad_action():
    env = TMazeEnv(corridor_length=2)
    obs, info = env.reset(seed=1)
    assert env.step(WEST)[1] == -0.1  # a wall
    env.step(EAST), env.step(EAST)
    wrong = SOUTH if info["goal"] == "north" else NORTH
    _, reward, terminated, _, info = env.step(wrong)
    assert terminated and reward == -0.1 and not info["is_success"]
    with pytest.raises(ValueError, match="action"):
        env.step(7)
    with pytest.raises(ValueError, match="corridor_length"):
        TMazeEnv(corridor_length=0)
