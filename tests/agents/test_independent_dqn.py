"""IndependentDQN: known results of independent learners, per-agent independence, checkpoints, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from boltzgym.agents.independent_dqn import AgentsAsVectorEnv, IndependentDQN, PerAgentQNetworks
from boltzgym.envs.matrix_game import parallel_env
from boltzgym.envs.spin_game import parallel_env as spin_game

FAST = {"gamma": 0.0, "learning_starts": 100, "train_freq": 4, "gradient_steps": 1, "batch_size": 32, "n_step": 1,
        "net_arch": (16,), "exploration_fraction": 0.5}  # fmt: skip


@pytest.mark.parametrize("share", [False, True])
def test_independent_dqn_learners_defect_in_the_prisoners_dilemma(share):
    env = parallel_env(game="prisoners-dilemma", n_rounds=20)
    learners = IndependentDQN(env, share_parameters=share, seed=0, **FAST).learn(600)
    observations, _ = parallel_env(game="prisoners-dilemma").reset(seed=3)
    assert learners.predict(observations)[0] == {"player_0": 1, "player_1": 1}  # defection dominates
    assert learners.num_timesteps == 600 and learners.dqn.num_timesteps == 1200


def test_each_agent_has_its_own_network_and_only_its_rows_train_it():
    torch.manual_seed(0)
    vector = AgentsAsVectorEnv(spin_game(side=3, n_agents=3))
    net = PerAgentQNetworks(vector.single_observation_space, 4, n_agents=3, net_arch=(8,))
    batch = torch.as_tensor(vector.reset(seed=0)[0])
    q = net(batch)
    for k in range(3):
        torch.testing.assert_close(q[k], net.networks[k](batch[k : k + 1, :-3])[0])
    before = [p.detach().clone() for p in net.networks[1].parameters()]
    net(batch[[0, 2]]).sum().backward()  # rows of agents 0 and 2 only
    assert all(p.grad is None or not p.grad.any() for p in net.networks[1].parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, net.networks[1].parameters()))
    assert net.networks[0].head.weight.grad.abs().sum() > 0


def test_agents_as_vector_env_ends_episodes_together_and_resets():
    vector = AgentsAsVectorEnv(parallel_env(game="coordination", n_rounds=2))
    obs, _ = vector.reset(seed=1)
    assert obs.shape == (2, vector.n_features + 2) and obs[:, -2:].tolist() == [[1, 0], [0, 1]]
    _, _, _, truncated, infos = vector.step(np.array([0, 0]))
    assert not truncated.any() and infos == {}
    _, rewards, _, truncated, infos = vector.step(np.array([1, 1]))
    assert truncated.all() and infos["_final_obs"].all() and infos["final_obs"].shape == obs.shape
    assert rewards.shape == (2,)


def test_save_load_round_trip_continues_and_an_agent_count_mismatch_names_env(tmp_path):
    env = spin_game(side=3, n_agents=3, n_rounds=10)
    learners = IndependentDQN(env, seed=1, **FAST).learn(150)
    learners.save(tmp_path / "idqn", include_buffer=True)
    loaded = IndependentDQN.load(tmp_path / "idqn", spin_game(side=3, n_agents=3, n_rounds=10))
    observations, _ = env.reset(seed=5)
    batch = learners.vector_env.encode(observations)
    np.testing.assert_array_equal(loaded.dqn.q_values(batch), learners.dqn.q_values(batch))
    assert loaded.predict(observations) == learners.predict(observations)
    assert not loaded.share_parameters and loaded.num_timesteps == 150
    learners.learn(60), loaded.learn(60)  # resuming continues exactly as the uninterrupted learners
    np.testing.assert_array_equal(loaded.dqn.q_values(batch), learners.dqn.q_values(batch))
    with pytest.raises(ValueError, match="env: the checkpoint's learners are for 3 agents, env has 9"):
        IndependentDQN.load(tmp_path / "idqn", spin_game(side=3, n_agents=9))


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: IndependentDQN(object()), TypeError, "PettingZoo ParallelEnv"),
        (lambda: IndependentDQN(parallel_env(), q_network="mlp"), ValueError, "q_network"),
        (lambda: IndependentDQN(parallel_env(), share_parameters="yes"), TypeError, "share_parameters"),
        (lambda: IndependentDQN(parallel_env()).learn(0), ValueError, "total_timesteps"),
        (lambda: IndependentDQN(parallel_env()).predict({"player_7": 0}), ValueError, "unknown agents"),
    ],
)
def test_bad_input_is_named(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_hysteretic_loss_weights_only_the_samples_whose_target_is_below_q():
    import torch

    from boltzgym.agents.dqn import hysteretic_loss

    q = torch.tensor([1.0, 1.0, 0.0, 3.0])
    targets = torch.tensor([1.5, 0.5, 4.0, 0.0])
    huber = torch.nn.functional.smooth_l1_loss(q, targets, reduction="none")
    assert torch.equal(hysteretic_loss(q, targets), torch.nn.functional.smooth_l1_loss(q, targets))
    expected = (huber * torch.tensor([1.0, 0.25, 1.0, 0.25])).mean()
    assert torch.allclose(hysteretic_loss(q, targets, 0.25), expected)
    # decrease_rate=0: targets all below Q give no gradient, so the values never move down
    weights = torch.ones(3, requires_grad=True)
    hysteretic_loss(weights * 2.0, torch.zeros(3), 0.0).backward()
    assert torch.count_nonzero(weights.grad) == 0


def test_hysteretic_idqn_is_an_option_of_independent_dqn():
    from boltzgym.envs.matrix_game import parallel_env

    learners = IndependentDQN(parallel_env(game="climbing", n_rounds=10), decrease_rate=0.1, seed=0,
                              learning_starts=50, train_freq=4, gradient_steps=1, batch_size=16).learn(200)  # fmt: skip
    assert learners.dqn.config.decrease_rate == 0.1 and learners.num_timesteps == 200
    with pytest.raises(ValueError, match="decrease_rate"):
        IndependentDQN(parallel_env(game="climbing"), decrease_rate=1.5)
