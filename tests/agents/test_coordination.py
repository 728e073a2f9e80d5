"""Coordination learners (hysteretic, lenient, distributed Q-learning): their update rules against plain NumPy
references, their checkpoints, and the games they are for (Claus & Boutilier 1998)."""

from __future__ import annotations

import numpy as np
import pytest

from boltzgym.agents import _tabular_kernels as kernels
from boltzgym.agents.independent import (
    DistributedQLearning,
    HystereticQLearning,
    IndependentQLearning,
    LenientQLearning,
    matrix_game_outcome,
)
from boltzgym.agents.tabular import DistributedAgent, HystereticAgent, LenientAgent
from boltzgym.envs.matrix_game import parallel_env

SETTINGS = {"gamma": 0.0, "learning_rate": 0.1, "exploration_steps": 3000, "epsilon_end": 0.05}


def _feed(agent, transitions):
    """Drive ``agent`` through ``observe`` with (s, a, r, s2, terminated) transitions."""
    for transition in transitions:
        agent.observe(*transition)
    return agent


def _random_transitions(seed, n=200, n_states=3, n_actions=2):
    rng = np.random.default_rng(seed)
    return [
        (int(rng.integers(n_states)), int(rng.integers(n_actions)), float(rng.normal()), int(rng.integers(n_states)),
         bool(rng.random() < 0.1))
        for _ in range(n)
    ]  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1])
def test_hysteretic_rule_equals_its_numpy_reference(seed):
    agent = _feed(HystereticAgent.from_spaces(3, 2, seed=0, gamma=0.9, learning_rate=0.2, decrease_rate=0.25),
                  transitions := _random_transitions(seed))  # fmt: skip
    q = np.zeros((3, 2))
    for s, a, r, s2, terminated in transitions:
        delta = (r if terminated else r + 0.9 * q[s2].max()) - q[s, a]
        q[s, a] += (0.2 if delta >= 0 else 0.2 * 0.25) * delta
    np.testing.assert_allclose(agent.q_table, q, rtol=0, atol=1e-12)


def test_hysteretic_with_decrease_rate_one_is_q_learning():
    from boltzgym.agents.tabular import QLearning

    transitions = _random_transitions(3)
    hysteretic = _feed(HystereticAgent.from_spaces(3, 2, seed=0, decrease_rate=1.0), transitions)
    np.testing.assert_array_equal(hysteretic.q_table, _feed(QLearning.from_spaces(3, 2, seed=0), transitions).q_table)


@pytest.mark.parametrize("seed", [0, 1])
def test_lenient_rule_equals_its_numpy_reference(seed):
    hyper = {"gamma": 0.9, "learning_rate": 0.3, "max_temperature": 2.0, "leniency": 1.5, "temperature_decay": 0.9}
    agent = _feed(LenientAgent.from_spaces(3, 2, seed=5, **hyper), transitions := _random_transitions(seed))
    rng = np.random.default_rng(5)
    q, temperature = np.zeros((3, 2)), np.full((3, 2), 2.0)
    for s, a, r, s2, terminated in transitions:
        delta = (r if terminated else r + 0.9 * q[s2].max()) - q[s, a]
        if delta > 0 or rng.random() >= 1.0 - np.exp(-1.5 * temperature[s, a]):  # a draw only for delta <= 0
            q[s, a] += 0.3 * delta
        temperature[s, a] *= 0.9
    np.testing.assert_allclose(agent.q_table, q, rtol=0, atol=1e-12)
    np.testing.assert_allclose(agent.temperatures, temperature, rtol=0, atol=1e-12)
    assert agent.rng.bit_generator.state == rng.bit_generator.state


def test_distributed_rule_keeps_the_best_target_and_moves_the_policy_only_on_improvement():
    agent = DistributedAgent.from_spaces(1, 3, seed=0, gamma=0.0)
    _feed(agent, [(0, 1, -5.0, 0, False)])  # the first visit sets Q, also below initial_q = 0
    assert agent.q_table[0].tolist() == [0.0, -5.0, 0.0] and agent.policy[0] == 1
    _feed(agent, [(0, 1, 3.0, 0, False), (0, 1, -30.0, 0, False)])  # max, never down
    assert agent.q_table[0, 1] == 3.0 and agent.policy[0] == 1
    _feed(agent, [(0, 2, 3.0, 0, False)])  # a tie does not move the policy
    assert agent.policy[0] == 1 and agent.predict(0)[0] == 1
    _feed(agent, [(0, 0, 4.0, 0, False)])  # an improvement does
    assert agent.policy[0] == 0 and agent.predict(0)[0] == 0
    # with gamma > 0 the target bootstraps from the next state's best value
    chain = _feed(DistributedAgent.from_spaces(2, 1, seed=0, gamma=0.5), [(1, 0, 2.0, 1, True), (0, 0, 1.0, 1, False)])
    assert chain.q_table[:, 0].tolist() == [1.0 + 0.5 * 2.0, 2.0]


def test_kernel_rule_codes_are_distinct():
    codes = [kernels.Q_LEARNING, kernels.SARSA, kernels.EXPECTED_SARSA, kernels.DOUBLE_Q, kernels.HYSTERETIC,
             kernels.LENIENT, kernels.DISTRIBUTED]  # fmt: skip
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize("cls", [HystereticQLearning, LenientQLearning, DistributedQLearning])
def test_coordinating_learners_find_the_climbing_games_optimum(cls):
    learners = cls(parallel_env(game="climbing", n_rounds=50), memoryless=True, seed=0, **SETTINGS).learn(6000)
    outcome = matrix_game_outcome(learners, parallel_env(game="climbing"), seed=0)
    assert outcome == {"greedy_joint_action": {"player_0": 0, "player_1": 0},
                       "greedy_payoff": {"player_0": 11.0, "player_1": 11.0}}  # fmt: skip


def test_distributed_learners_pick_one_optimum_of_the_penalty_game():
    for seed in (0, 1):
        env = parallel_env(game="penalty", k=-100, n_rounds=50)
        learners = DistributedQLearning(env, memoryless=True, seed=seed, **SETTINGS).learn(4000)
        outcome = matrix_game_outcome(learners, parallel_env(game="penalty", k=-100), seed=0)
        assert tuple(outcome["greedy_joint_action"].values()) in {(0, 0), (2, 2)}
        assert outcome["greedy_payoff"]["player_0"] == 10.0


def test_classes_fix_their_algorithm_and_take_their_rules_hyperparameters():
    env = parallel_env(game="climbing")
    assert HystereticQLearning(env).algorithm == "hysteretic"
    assert IndependentQLearning(env, "lenient", leniency=0.5).config.leniency == 0.5
    with pytest.raises(ValueError, match="algorithm of HystereticQLearning is 'hysteretic'"):
        HystereticQLearning(env, "sarsa")
    with pytest.raises(TypeError, match="decrease_rate"):
        IndependentQLearning(env, decrease_rate=0.1)  # Q-learning has no decrease rate: refused, not ignored
    with pytest.raises(ValueError, match="temperature_decay"):
        LenientQLearning(env, temperature_decay=0.0)
    with pytest.raises(TypeError, match="RepeatedMatrixGame"):
        matrix_game_outcome(HystereticQLearning(env), object())


@pytest.mark.parametrize("cls", [HystereticQLearning, LenientQLearning, DistributedQLearning])
def test_save_load_continues_identically(cls, tmp_path):
    env = parallel_env(game="climbing-stochastic", n_rounds=20)
    first = cls(env, memoryless=True, seed=2, **SETTINGS).learn(500)
    first.save(tmp_path / "run")
    loaded = cls.load(tmp_path / "run", parallel_env(game="climbing-stochastic", n_rounds=20))
    first.learn(300), loaded.learn(300)
    for agent in first.agents:
        np.testing.assert_array_equal(loaded.q_tables()[agent], first.q_tables()[agent])
        np.testing.assert_array_equal(loaded.learners[agent]._q2, first.learners[agent]._q2)
