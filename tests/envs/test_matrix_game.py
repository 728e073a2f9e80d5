"""The PettingZoo repeated matrix game: PettingZoo's own API and seed tests, payoffs, errors."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test, parallel_seed_test

from boltzgym.envs.matrix_game import NAMED_GAMES, RepeatedMatrixGame, parallel_env


@pytest.mark.parametrize("noise_std", [0.0, 0.5])
def test_pettingzoo_api_and_seed_tests(noise_std):
    parallel_api_test(parallel_env(n_rounds=20, noise_std=noise_std), num_cycles=50)
    parallel_seed_test(lambda: parallel_env(game="stag-hunt", n_rounds=20, noise_std=noise_std), num_cycles=50)


def test_prisoners_dilemma_payoffs_and_observations():
    env = parallel_env(n_rounds=2)
    observations, _ = env.reset(seed=0)
    assert observations == {"player_0": 4, "player_1": 4}  # "no previous round"
    observations, rewards, terminations, truncations, _ = env.step({"player_0": 1, "player_1": 0})
    assert rewards == {"player_0": 5.0, "player_1": 0.0}  # temptation vs sucker
    assert observations["player_0"] == 1 * 2 + 0 and not any(truncations.values())
    _, rewards, _, truncations, _ = env.step({"player_0": 1, "player_1": 1})
    assert rewards == {"player_0": 1.0, "player_1": 1.0} and all(truncations.values())
    assert env.agents == []
    with pytest.raises(RuntimeError, match="reset"):
        env.step({"player_0": 0, "player_1": 0})


def test_named_games_are_two_player_and_matching_pennies_is_zero_sum():
    for payoffs in NAMED_GAMES.values():
        assert payoffs.shape == (2, 2, 2)
    np.testing.assert_array_equal(NAMED_GAMES["matching-pennies"].sum(axis=0), 0)


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="game must be one of"):
        RepeatedMatrixGame(game="chess")
    with pytest.raises(ValueError, match=r"shape \(2, n_0, n_1\)"):
        RepeatedMatrixGame(game=np.zeros((3, 2, 2)))
    with pytest.raises(ValueError, match="n_rounds"):
        RepeatedMatrixGame(n_rounds=0)
    with pytest.raises(ValueError, match="noise_std"):
        RepeatedMatrixGame(noise_std=-1.0)
    env = RepeatedMatrixGame()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="player_0"):
        env.step({"player_0": 7, "player_1": 0})
    with pytest.raises(ValueError, match="missing"):
        env.step({"player_0": 0})


def test_listed_pettingzoo_factories_make_parallel_envs():
    import importlib

    from pettingzoo import ParallelEnv

    from boltzgym.envs import PETTINGZOO_ENVS

    for entry_point, _ in PETTINGZOO_ENVS.values():
        module_name, factory = entry_point.split(":")
        env = getattr(importlib.import_module(module_name), factory)()
        assert isinstance(env, ParallelEnv)
