"""SpinGame: PettingZoo's API and seed tests, rewards that add up to the energy drop, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test, parallel_seed_test

from boltzgym.envs import PETTINGZOO_ENVS
from boltzgym.envs.spin_game import SpinGame, parallel_env


def test_pettingzoo_api_and_seed_tests_and_listed():
    parallel_api_test(parallel_env(side=4, n_agents=4, n_rounds=20), num_cycles=40)
    parallel_seed_test(lambda: parallel_env(side=3, n_agents=3, reward="shared", n_rounds=20), num_cycles=40)
    assert PETTINGZOO_ENVS["boltzgym/SpinGame-v0"][0] == "boltzgym.envs.spin_game:parallel_env"


@pytest.mark.parametrize("reward", ["selfish", "shared"])
def test_rewards_add_up_to_the_energy_drop(reward):
    env = parallel_env(side=4, n_agents=4, reward=reward, n_rounds=30, instance_seed=2)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    while env.agents:
        before = env.energy()
        actions = {agent: int(rng.integers(5)) for agent in env.agents}
        _, rewards, _, _, infos = env.step(actions)
        assert sum(rewards.values()) == pytest.approx(before - env.energy())
        local = [info["local_energy"] for info in infos.values()]
        assert sum(local) == pytest.approx(env.energy())
        if reward == "shared":
            assert len(set(rewards.values())) == 1


def test_difference_reward_is_each_flips_own_contribution_and_selfish_reward_is_a_potential_drop():
    env = parallel_env(side=4, n_agents=4, reward="difference", n_rounds=30, instance_seed=5)
    env.reset(seed=1)
    rng = np.random.default_rng(3)
    J = env.model.dense_couplings()
    boundary = np.arange(16)[:, None] // 4 != np.arange(16)[None, :] // 4

    def potential(spins):  # Phi = E_internal + 1/2 E_boundary
        return float(-0.5 * spins @ J @ spins + 0.25 * spins @ (J * boundary) @ spins)

    while env.agents:
        actions = {agent: int(rng.integers(5)) for agent in env.agents}
        _, rewards, *_ = env.step(actions)
        after = env.spins.astype(float)
        for index, agent in enumerate(env.possible_agents):
            without = after.copy()
            if actions[agent]:
                without[index * 4 + actions[agent] - 1] *= -1  # the joint move without this agent's flip
            assert rewards[agent] == pytest.approx(env.model.energy(without) - env.model.energy(after))
    selfish = parallel_env(side=4, n_agents=4, reward="selfish", instance_seed=5)
    selfish.reset(seed=2)
    before = potential(selfish.spins.astype(float))
    _, rewards, *_ = selfish.step({"agent_0": 0, "agent_1": 3, "agent_2": 0, "agent_3": 0})  # one flipper
    assert rewards["agent_1"] == pytest.approx(before - potential(selfish.spins.astype(float)))


def test_pass_keeps_spins_and_a_flip_flips_one_spin_and_its_observation_bit():
    env = parallel_env(side=3, n_agents=3, instance_seed=1)
    observations, _ = env.reset(seed=4)
    spins = env.spins.copy()
    new_observations, *_ = env.step({"agent_0": 0, "agent_1": 2, "agent_2": 0})
    changed = np.flatnonzero(env.spins != spins)
    assert changed.tolist() == [3 + 1]
    assert new_observations["agent_1"] == observations["agent_1"] ^ 0b010
    assert new_observations["agent_0"] == observations["agent_0"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_agents": 5}, "n_agents"),
        ({"n_agents": 1}, "n_agents"),
        ({"side": 2}, "side"),
        ({"reward": "x"}, "reward"),
        ({"couplings": "x"}, "couplings"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SpinGame(**kwargs)


def test_actions_for_the_wrong_agents_are_refused():
    env = parallel_env(side=3, n_agents=3)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="actions"):
        env.step({"agent_0": 0, "agent_1": 0})
