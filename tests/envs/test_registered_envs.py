"""Every registered boltzgym env passes Gymnasium's checker, replays identically from a seed and pickles.

Parametrized over ``boltzgym_env_ids()``: envs that later capabilities register are covered without
editing this file. Comparisons work for any observation type (ints, arrays, images, dicts, tuples).
"""

from __future__ import annotations

import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from boltzgym.envs import boltzgym_env_ids

ENV_IDS = boltzgym_env_ids()
N_STEPS = 40


def assert_same(a, b, where: str = "value") -> None:
    """Recursive equality for anything a Gymnasium step returns (NaN equals NaN)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{where}: keys {list(a)} != {list(b)}"
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (tuple, list)):
        assert isinstance(b, (tuple, list)) and len(a) == len(b), f"{where}: {a!r} != {b!r}"
        for index, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{index}]")
    else:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=where)


def rollout(env: gym.Env, actions: list, start=None) -> list:
    """Step ``env`` through ``actions`` (resetting, unseeded, when an episode ends); return every step."""
    steps = [] if start is None else [start]
    for action in actions:
        step = env.step(action)
        steps.append(step)
        if step[2] or step[3]:
            steps.append(env.reset())
    return steps


def seeded_actions(env: gym.Env, n: int, seed: int = 7) -> list:
    space = env.action_space
    space.seed(seed)
    return [space.sample() for _ in range(n)]


def test_there_are_registered_envs():
    assert ENV_IDS, "boltzgym registers no env"
    assert all(env_id in gym.registry for env_id in ENV_IDS)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_passes_gymnasium_env_checker(env_id):
    env = gym.make(env_id)
    check_env(env.unwrapped)
    env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_same_seed_same_trajectory(env_id):
    env_a, env_b = gym.make(env_id), gym.make(env_id)
    actions_a, actions_b = seeded_actions(env_a, N_STEPS), seeded_actions(env_b, N_STEPS)
    assert_same(actions_a, actions_b, "actions")
    start_a, start_b = env_a.reset(seed=123), env_b.reset(seed=123)
    assert_same(rollout(env_a, actions_a, start_a), rollout(env_b, actions_b, start_b), env_id)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_pickled_env_continues_identically(env_id):
    env = gym.make(env_id)
    actions = seeded_actions(env, 2 * N_STEPS)
    env.reset(seed=5)
    rollout(env, actions[:N_STEPS])
    clone = pickle.loads(pickle.dumps(env))
    assert_same(rollout(env, actions[N_STEPS:]), rollout(clone, actions[N_STEPS:]), env_id)
