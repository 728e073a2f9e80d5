"""GridWorld: map parsing, dynamics (P) against stepping, FrozenLake equivalence, rendering, bad input."""

from __future__ import annotations

import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import boltzgym.envs  # noqa: F401  (registers the ids)
from boltzgym.envs.gridworld import MAPS, GridWorldEnv


@pytest.mark.parametrize("map_name", sorted(MAPS))
@pytest.mark.parametrize("render_mode", ["ansi", "rgb_array"])
def test_every_named_map_passes_check_env(map_name, render_mode):
    env = gym.make("boltzgym/GridWorld-v0", map_name=map_name, slip=0.2, render_mode=render_mode)
    check_env(env.unwrapped)
    assert "boltzgym/GridWorld-v0" in boltzgym.envs.ENV_DESCRIPTIONS


@pytest.mark.parametrize("map_name", sorted(MAPS))
def test_transition_lists_are_distributions(map_name):
    env = GridWorldEnv(map_name=map_name, slip=0.3)
    for actions in env.P.values():
        for transitions in actions.values():
            assert sum(p for p, *_ in transitions) == pytest.approx(1.0)
            assert all(0 <= next_state < env.nrow * env.ncol for _, next_state, _, _ in transitions)


def test_frozenlake_map_with_slip_two_thirds_has_frozenlakes_dynamics():
    lake = gym.make("FrozenLake-v1", map_name="8x8").unwrapped
    grid = GridWorldEnv(desc=lake.desc, slip=2 / 3)
    assert grid.nrow == lake.nrow and grid.ncol == lake.ncol
    np.testing.assert_array_equal(grid.desc, lake.desc)
    for s in range(grid.nrow * grid.ncol):
        for a in range(4):
            ours, theirs = grid.P[s][a], lake.P[s][a]
            assert [t[1:] for t in ours] == [(t[1], float(t[2]), t[3]) for t in theirs]
            np.testing.assert_allclose([t[0] for t in ours], [t[0] for t in theirs])


def test_cliff_sends_back_to_start_and_wind_pushes_up():
    env = GridWorldEnv(map_name="cliff")
    env.reset(seed=0)
    assert env.s == 36 and env.desc[3, 0] == b"S"
    obs, reward, terminated, truncated, _ = env.step(2)  # right, into the cliff
    assert (obs, reward, terminated, truncated) == (36, -100.0, False, False)
    obs, reward, *_ = env.step(3)  # up
    assert (obs, reward) == (24, -1.0)

    windy = GridWorldEnv(map_name="windy")
    windy.reset(seed=0)
    windy.s = 3 * 10 + 6  # row 3, column 6 (wind 2): moving right lands in column 7, two rows up
    obs, *_ = windy.step(2)
    assert obs == 1 * 10 + 7
    windy.s = 0 * 10 + 6  # the top edge stops the push
    obs, *_ = windy.step(2)
    assert obs == 7


def test_walls_block_moves_and_holes_terminate():
    env = GridWorldEnv(desc=["S#", "HG"])
    env.reset(seed=0)
    assert env.step(2)[0] == 0  # right: wall
    assert env.step(3)[0] == 0  # up: edge
    obs, reward, terminated, *_ = env.step(1)  # down: hole
    assert (obs, reward, terminated) == (2, 0.0, True)


def test_same_seed_gives_same_rollout_and_pickle_round_trip():
    def rollout(env):
        obs, _ = env.reset(seed=3)
        observed = [obs]
        for action in [0, 1, 2, 3] * 10:
            obs, reward, terminated, truncated, _ = env.step(action)
            observed.append((obs, reward, terminated))
            if terminated:
                observed.append(env.reset()[0])
        return observed

    make = lambda: gym.make("boltzgym/GridWorld-v0", map_name="four-rooms", slip=0.5)  # noqa: E731
    assert rollout(make()) == rollout(make())
    env = make()
    env.reset(seed=1)
    clone = pickle.loads(pickle.dumps(env))
    assert [clone.step(a)[0] for a in (1, 2, 2, 1)] == [env.step(a)[0] for a in (1, 2, 2, 1)]


def test_render_modes():
    env = GridWorldEnv(map_name="5x5", render_mode="ansi")
    env.reset(seed=0)
    env.step(2)
    text = env.render()
    assert "(Right)" in text and text.splitlines()[1] == "S@..."
    frame = GridWorldEnv(map_name="5x5", render_mode="rgb_array")
    frame.reset(seed=0)
    image = frame.render()
    assert image.shape == (5 * 16, 5 * 16, 3) and image.dtype == np.uint8
    assert tuple(image[8, 8]) == (245, 170, 20)  # the agent's disc at the start cell


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"desc": ["...", ".G."]}, ValueError, "exactly one start cell 'S', got 0"),
        ({"desc": ["S..", "..."]}, ValueError, "at least one goal cell 'G'"),
        ({"desc": ["S..", "G."]}, ValueError, "rectangular"),
        ({"desc": ["S.X", "..G"]}, ValueError, "unknown cell characters \\['X'\\]"),
        ({"desc": 42}, TypeError, "desc must be a string"),
        ({"map_name": "nope"}, ValueError, "map_name must be one of"),
        ({"slip": 1.5}, ValueError, "slip must be in \\[0.0, 1.0\\], got 1.5"),
        ({"wind": (1, 2)}, ValueError, "wind must have one integer per column"),
        ({"render_mode": "human"}, ValueError, "render_mode must be one of"),
    ],
)
def test_bad_input_names_the_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        GridWorldEnv(**kwargs)


def test_step_rejects_bad_action():
    env = GridWorldEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action must be an integer in \\[0, 4\\), got 7"):
        env.step(7)


def test_docstring_example_runs():
    import doctest

    import boltzgym.envs.gridworld as module

    assert doctest.testmod(module).failed == 0
