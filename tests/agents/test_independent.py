"""Independent Q-learners on repeated matrix games: the known results of Claus & Boutilier (1998) and peers."""

from __future__ import annotations

import numpy as np
import pytest

from boltzgym.agents.independent import IndependentQLearning
from boltzgym.envs.matrix_game import parallel_env
from boltzgym.utils.checkpoint import CheckpointError

CLIMBING = np.array([[[11, -30, 0], [-30, 7, 6], [0, 0, 5]]] * 2, dtype=float)  # Claus & Boutilier's climbing game
SETTINGS = {"gamma": 0.0, "learning_rate": 0.1, "exploration_steps": 5000, "epsilon_end": 0.05}
OBS = {"player_0": 0, "player_1": 0}


def _greedy_joint_action(game, seed: int, steps: int = 8000) -> tuple[int, int]:
    learners = IndependentQLearning(parallel_env(game=game, n_rounds=50), memoryless=True, seed=seed, **SETTINGS)
    actions, _ = learners.learn(steps).predict(OBS)
    return actions["player_0"], actions["player_1"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_independent_learners_defect_in_the_prisoners_dilemma(seed):
    assert _greedy_joint_action("prisoners-dilemma", seed) == (1, 1)  # defection dominates


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_independent_learners_miss_the_climbing_games_optimum_for_a_safe_joint_action(seed):
    a0, a1 = _greedy_joint_action(CLIMBING, seed)
    assert (a0, a1) != (0, 0)  # relative overgeneralisation: 11 is never found
    assert CLIMBING[0, a0, a1] in (5.0, 6.0, 7.0)  # they settle where mis-coordination costs little


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_independent_learners_coordinate_in_a_coordination_game(seed):
    a0, a1 = _greedy_joint_action("coordination", seed)
    assert a0 == a1


def test_same_seed_same_tables_and_save_load_round_trip(tmp_path):
    env = parallel_env(game="stag-hunt", n_rounds=20)
    first = IndependentQLearning(env, algorithm="sarsa", seed=3, **SETTINGS).learn(3000)
    again = IndependentQLearning(parallel_env(game="stag-hunt", n_rounds=20), algorithm="sarsa", seed=3, **SETTINGS)
    again.learn(3000)
    for agent in first.agents:
        np.testing.assert_array_equal(first.q_tables()[agent], again.q_tables()[agent])
    first.save(tmp_path / "iql")
    loaded = IndependentQLearning.load(tmp_path / "iql", env)
    for agent in first.agents:
        np.testing.assert_array_equal(loaded.q_tables()[agent], first.q_tables()[agent])
    assert loaded.num_timesteps == 3000
    # learning on continues exactly as the uninterrupted learners would
    first.learn(500), loaded.learn(500)
    for agent in first.agents:
        np.testing.assert_array_equal(loaded.q_tables()[agent], first.q_tables()[agent])


def test_a_checkpoint_for_other_agents_or_shapes_is_refused(tmp_path):
    IndependentQLearning(parallel_env(game="coordination"), seed=0).learn(100).save(tmp_path / "iql")
    with pytest.raises(CheckpointError, match="q1 must have shape"):
        IndependentQLearning.load(tmp_path / "iql", parallel_env(game=CLIMBING))


@pytest.mark.parametrize(
    "build, error, message",
    [
        (lambda: IndependentQLearning(parallel_env(), algorithm="dqn"), ValueError, "algorithm must be one of"),
        (lambda: IndependentQLearning(object()), TypeError, "PettingZoo ParallelEnv"),
        (lambda: IndependentQLearning(parallel_env(), learning_rte=0.1), TypeError, "learning_rte"),
        (lambda: IndependentQLearning(parallel_env()).learn(0), ValueError, "total_timesteps"),
        (lambda: IndependentQLearning(parallel_env()).predict({"player_7": 0}), ValueError, "unknown agents"),
    ],
)
def test_bad_input_is_named(build, error, message):
    with pytest.raises(error, match=message):
        build()


def _spin_game_energy(reward: str, seed: int) -> tuple[float, float]:
    """Greedy final energy of IQL trained on a 3x3 Gaussian glass (3 agents, 3 spins each), and its ground state."""
    from boltzgym.envs.spin_game import parallel_env as spin_game
    from boltzgym.experiments.rl_annealing import ground_state_energy

    kwargs = {"side": 3, "n_agents": 3, "n_rounds": 20, "instance_seed": 24, "couplings": "gaussian", "reward": reward}
    learners = IndependentQLearning(spin_game(**kwargs), seed=seed, gamma=0.9, exploration_steps=1900).learn(2500)
    env, energies = spin_game(**kwargs), []
    for episode in range(5):
        observations, _ = env.reset(seed=100 + episode)
        while env.agents:
            observations, *_ = env.step(learners.predict(observations)[0])
        energies.append(env.energy())
    return float(np.mean(energies)), ground_state_energy(env.model)


def test_a_team_paid_for_the_global_energy_beats_selfish_spin_flippers_over_seeds():
    # Instance 24: the selfish potential's best equilibrium lies 2.1 above the ground state (price of anarchy).
    # Over 10 seeds the team was lower on 8 (README, issue 12); here the mean over three seeds.
    selfish = [_spin_game_energy("selfish", seed)[0] for seed in range(3)]
    team, grounds = zip(*(_spin_game_energy("difference", seed) for seed in range(3)))
    assert np.mean(team) < np.mean(selfish) - 0.5
    assert sum(energy == pytest.approx(grounds[0]) for energy in team) >= 2  # the team mostly ends in the ground state
