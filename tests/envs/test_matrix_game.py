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


def test_claus_and_boutilier_games_and_the_penalty_k():
    climbing = parallel_env(game="climbing")
    np.testing.assert_array_equal(climbing.payoffs[0], [[11, -30, 0], [-30, 7, 6], [0, 0, 5]])
    np.testing.assert_array_equal(climbing.payoffs[0], climbing.payoffs[1])  # cooperative: one payoff for both
    penalty = parallel_env(game="penalty", k=-25)
    np.testing.assert_array_equal(penalty.payoffs[1], [[10, 0, -25], [0, 2, 0], [-25, 0, 10]])
    np.testing.assert_array_equal(parallel_env(game="penalty").payoffs[0, 0, 2], -100.0)  # default k
    with pytest.raises(ValueError, match="k must be in"):
        parallel_env(game="penalty", k=-101)
    with pytest.raises(ValueError, match="k is the penalty"):
        parallel_env(game="climbing", k=-10)


@pytest.mark.parametrize("game", ["climbing-partially-stochastic", "climbing-stochastic", "penalty-stochastic"])
def test_stochastic_variants_pay_one_of_two_values_whose_mean_is_the_deterministic_payoff(game):
    base = "climbing" if game.startswith("climbing") else "penalty"
    env = parallel_env(game=game, n_rounds=400)
    np.testing.assert_array_equal(env.payoffs, parallel_env(game=base).payoffs)
    env.reset(seed=0)
    seen = set()
    for _ in range(400):
        _, rewards, *_ = env.step({"player_0": 1, "player_1": 1})
        assert rewards["player_0"] == rewards["player_1"]
        seen.add(rewards["player_0"])
    assert seen == set(env.outcomes[:, 0, 1, 1].tolist()) and len(seen) == 2
    parallel_seed_test(lambda: parallel_env(game=game, n_rounds=20), num_cycles=30)
