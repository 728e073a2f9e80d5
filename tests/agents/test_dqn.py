"""DQN: targets, target updates, schedule, checkpoints and resume, env kinds, vector envs, bad input."""

from __future__ import annotations

import copy
import json
import os
import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch
from torch import nn

from boltzgym.agents.callbacks import Callback, CheckpointCallback
from boltzgym.agents.dqn import DQN, DQNConfig, td_targets, update_target
from boltzgym.agents.replay import ReplayBuffer
from boltzgym.agents.schedules import linear_schedule
from boltzgym.utils.checkpoint import CheckpointError, rewrite_file

# Tiny settings so that every run takes a fraction of a second.
TINY = {
    "learning_starts": 50,
    "batch_size": 16,
    "buffer_size": 500,
    "net_arch": (16,),
    "target_update_interval": 40,
    "train_freq": 4,
    "gradient_steps": 1,
}


def _weights(agent: DQN) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in agent.q_net.state_dict().items()}


def _assert_same_weights(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)


# --- schedule, targets, target updates -----------------------------------------------------------------


def test_linear_schedule_values():
    assert linear_schedule(1.0, 0.05, 100, 0) == 1.0
    assert linear_schedule(1.0, 0.05, 100, 50) == pytest.approx(0.525)
    assert linear_schedule(1.0, 0.05, 100, 100) == pytest.approx(0.05)
    assert linear_schedule(1.0, 0.05, 100, 10_000) == pytest.approx(0.05)
    assert linear_schedule(1.0, 0.05, 0, 0) == 0.05


def test_exploration_rate_and_learning_rate_follow_the_schedule_horizon():
    agent = DQN("CartPole-v1", seed=0, exploration_fraction=0.5, exploration_final_eps=0.1, **TINY)
    agent.learn(200)
    assert agent.schedule_horizon == 200
    assert agent.exploration_rate(0) == 1.0
    assert agent.exploration_rate(50) == pytest.approx(1.0 - 0.9 * 0.5)
    assert agent.exploration_rate(100) == pytest.approx(0.1)
    assert agent.exploration_rate() == pytest.approx(0.1)  # now: after the decay
    assert agent.optimizer.param_groups[0]["lr"] == 0.0  # annealed to learning_rate_final at the last phase
    before = _weights(agent)
    agent.learn(200)  # a later call stretches the schedules to its own end (step 400) and trains again
    assert agent.schedule_horizon == 400 and agent.exploration_rate(100) == pytest.approx(1.0 - 0.9 * 0.5)
    assert any(not torch.equal(before[k], v) for k, v in _weights(agent).items())


def test_double_dqn_targets_use_online_argmax_and_target_values():
    next_q_online = torch.tensor([[1.0, 5.0], [3.0, 2.0]])
    next_q_target = torch.tensor([[10.0, 4.0], [7.0, 8.0]])
    returns, discounts = torch.tensor([1.0, 2.0]), torch.tensor([0.5, 0.0])
    double = td_targets(returns, discounts, next_q_target, next_q_online)
    torch.testing.assert_close(double, torch.tensor([1.0 + 0.5 * 4.0, 2.0]))  # a* = (1, 0) from the online net
    plain = td_targets(returns, discounts, next_q_target)
    torch.testing.assert_close(plain, torch.tensor([1.0 + 0.5 * 10.0, 2.0]))  # max of the target net


def test_hard_and_polyak_target_updates():
    torch.manual_seed(0)
    online, target = nn.Linear(3, 2), nn.Linear(3, 2)
    before = [p.clone() for p in target.parameters()]
    update_target(target, online, tau=0.25)
    for new, old, source in zip(target.parameters(), before, online.parameters()):
        torch.testing.assert_close(new, 0.25 * source + 0.75 * old)
    update_target(target, online, tau=1.0)
    for new, source in zip(target.parameters(), online.parameters()):
        torch.testing.assert_close(new, source, rtol=0, atol=0)


def test_target_update_through_kept_pairs_updates_parameters_and_buffers():
    from boltzgym.agents.update_steps import target_pairs

    torch.manual_seed(0)
    online, target = (nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)) for _ in range(2))
    pairs = target_pairs(target, online)  # kept, then the online network trains in place
    online(torch.randn(8, 3))  # batch norm's running statistics move
    online[1].running_var = torch.full((2,), 7.0)  # a module may also replace a buffer's tensor
    with torch.no_grad():
        online[0].weight.add_(1.0)
    before = [p.clone() for p in target.parameters()]
    update_target(target, online, 0.5, pairs)
    for new, old, source in zip(target.parameters(), before, online.parameters()):
        torch.testing.assert_close(new, 0.5 * source + 0.5 * old)
    for new, source in zip(target.buffers(), online.buffers()):  # buffers are copied whatever tau
        torch.testing.assert_close(new, source, rtol=0, atol=0)


def test_target_network_is_hard_copied_every_interval():
    agent = DQN("CartPole-v1", seed=1, **{**TINY, "target_update_interval": 100, "train_freq": 1})
    agent.learn(100)  # 50 collection steps, 50 gradient steps, then a copy at step 100
    _assert_same_weights(agent.target_net.state_dict(), agent.q_net.state_dict())
    agent.learn(30)  # 30 more gradient steps, no copy
    online, target = agent.q_net.state_dict(), agent.target_net.state_dict()
    assert any(not torch.equal(online[k], target[k]) for k in online)


# --- learning runs on every observation kind --------------------------------------------------------------


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [
        ("CartPole-v1", {}),
        ("Acrobot-v1", {}),
        ("FrozenLake-v1", {}),
        ("boltzgym/PixelGridWorld-v0", {}),  # images of boltzgym/GridWorld-v0: the ConvNet path
    ],
)
def test_runs_on_vector_discrete_and_image_observations(env_id, kwargs):
    import boltzgym.envs  # noqa: F401

    env = gym.make(env_id, **kwargs)
    agent = DQN(env, seed=0, dueling=True, n_step=2, **TINY).learn(150)
    assert agent.num_timesteps == 150 and agent.n_updates == 25  # one update per 4 steps after step 50
    obs, _ = env.reset(seed=0)
    action, _ = agent.predict(obs)
    assert env.action_space.contains(int(action))
    actions, _ = agent.predict(np.stack([obs, obs]))
    assert actions.shape == (2,) and actions[0] == action


class _ScalarObservationEnv(gym.Env):
    """Ten steps; the observation is a Box of shape () holding t / 10."""

    observation_space = gym.spaces.Box(-1.0, 1.0, shape=(), dtype=np.float32)
    action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.float32(0.0), {}

    def step(self, action):
        self.t += 1
        return np.float32(self.t / 10), float(action), self.t >= 10, False, {}


def test_runs_on_a_scalar_box_observation():
    agent = DQN(_ScalarObservationEnv(), seed=0, **{**TINY, "dropout": 0.1}).learn(120)  # dropout: torch path
    assert agent.n_updates > 0
    assert agent.q_values(np.zeros(3, dtype=np.float32)).shape == (3, 2)
    assert agent.predict(np.float32(0.5))[0] in (0, 1)


def test_same_seed_same_agent_and_different_seed_differs():
    first = DQN("CartPole-v1", seed=5, **TINY).learn(300)
    second = DQN("CartPole-v1", seed=5, **TINY).learn(300)
    third = DQN("CartPole-v1", seed=6, **TINY).learn(300)
    _assert_same_weights(_weights(first), _weights(second))
    assert first.episode_returns == second.episode_returns
    assert any(not torch.equal(a, b) for a, b in zip(_weights(first).values(), _weights(third).values()))


def test_dqn_learns_deterministic_frozen_lake():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    settings = {"net_arch": (32,), "learning_starts": 200, "exploration_fraction": 0.5, "gamma": 0.9}
    agent = DQN(env, seed=0, learning_rate=3e-3, target_update_interval=50, **settings).learn(2500)
    obs, _ = env.reset(seed=0)
    total, done = 0.0, False
    while not done:
        obs, reward, terminated, truncated, _ = env.step(agent.predict(obs)[0])
        total, done = total + reward, terminated or truncated
    assert total == 1.0  # the greedy policy reaches the goal (random play: ~1.5% of episodes)


# --- vector envs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [gym.vector.AutoresetMode.NEXT_STEP, gym.vector.AutoresetMode.SAME_STEP])
def test_vector_env_collection_stores_consistent_transitions(mode):
    envs = gym.make_vec("CartPole-v1", num_envs=3, vectorization_mode="sync", vector_kwargs={"autoreset_mode": mode})
    agent = DQN(envs, seed=0, **{**TINY, "learning_starts": 10_000}).learn(600)  # collection only
    buffer: ReplayBuffer = agent.replay_buffer
    assert agent.num_timesteps == 600 and agent.n_calls == 200 and buffer.rows == 200
    assert agent.episode_returns, "some CartPole episodes end within 200 random steps"
    for env_index in range(3):
        valid = np.flatnonzero(buffer.valid[:200, env_index])
        for t0, t1 in zip(valid[:-1], valid[1:]):
            if buffer.episode_ends[t0, env_index]:
                continue
            assert t1 == t0 + 1  # no gap inside an episode
            np.testing.assert_array_equal(buffer.next_observations[t0, env_index], buffer.observations[t1, env_index])
    ended = int(buffer.episode_ends[:199].sum())
    invalid = int((~buffer.valid[:200]).sum())
    assert invalid == (ended if mode == gym.vector.AutoresetMode.NEXT_STEP else 0)
    assert len(agent.episode_returns) == int(buffer.episode_ends[:200].sum())


def test_n_step_windows_never_join_two_learn_calls():
    agent = DQN("CartPole-v1", seed=0, **{**TINY, "n_step": 3, "learning_starts": 10_000})
    agent.learn(45).learn(45)  # the second call resets the env in the middle of an episode
    buffer = agent.replay_buffer
    assert not buffer.terminated[44, 0] and buffer.episode_ends[44, 0]  # cut at the boundary, not terminated
    for t in range(buffer.rows - 1):  # a window may only continue where the next step follows this one
        if not buffer.episode_ends[t, 0]:
            np.testing.assert_array_equal(buffer.next_observations[t, 0], buffer.observations[t + 1, 0])


# --- checkpoints and resume -----------------------------------------------------------------------------


def test_checkpoint_round_trip(tmp_path):
    agent = DQN("CartPole-v1", seed=2, dueling=True, **TINY).learn(200)
    path = agent.save(tmp_path / "ckpt")
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "manifest.json", "model.pt"]
    header = json.loads((path / "config.json").read_text())
    assert json.loads((path / "manifest.json").read_text())["counters"]["num_timesteps"] == 200
    assert header["config"]["dueling"] is True
    loaded = DQN.load(path)
    assert loaded.config == agent.config and loaded.num_timesteps == 200
    observations = np.random.default_rng(0).normal(size=(32, 4)).astype(np.float32)
    np.testing.assert_array_equal(loaded.q_values(observations), agent.q_values(observations))
    _assert_same_weights(loaded.target_net.state_dict(), agent.target_net.state_dict())


def test_resume_from_a_checkpoint_continues_identically(tmp_path):
    settings = {**TINY, "n_step": 3, "dropout": 0.1}  # dropout: torch's RNG state is checkpointed too
    straight = DQN("CartPole-v1", seed=3, **settings).learn(250)
    straight.learn(250)
    interrupted = DQN("CartPole-v1", seed=3, **settings).learn(250)
    interrupted.save(tmp_path / "ckpt", include_buffer=True)
    resumed = DQN.load(tmp_path / "ckpt", env=gym.make("CartPole-v1")).learn(250)
    _assert_same_weights(_weights(resumed), _weights(straight))
    assert resumed.episode_returns == straight.episode_returns
    assert (resumed.num_timesteps, resumed.n_updates) == (straight.num_timesteps, straight.n_updates)


def test_missing_or_corrupt_checkpoints_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        DQN.load(tmp_path / "nowhere")
    path = DQN("CartPole-v1", seed=0, **TINY).save(tmp_path / "ckpt")
    (path / "model.pt").write_bytes(b"\x00garbage")
    with pytest.raises(ValueError, match="model.pt"):
        DQN.load(path)
    (path / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="config.json"):
        DQN.load(path)
    (path / "config.json").unlink()
    with pytest.raises(FileNotFoundError, match="config.json"):
        DQN.load(path)


def _edit_json(path, name, edit):
    """Edit a JSON file of a checkpoint and re-sign it in the manifest: consistent files, bad values."""
    values = json.loads((path / name).read_text())
    edit(values)
    rewrite_file(path, name, json.dumps(values).encode())


@pytest.mark.parametrize(
    "file, corrupt",
    [
        ("manifest.json", lambda manifest: manifest["counters"].pop("num_timesteps")),
        ("config.json", lambda header: header.pop("rng_state")),
        ("manifest.json", lambda manifest: manifest["counters"].update(n_updates="12")),
        ("config.json", lambda header: header.update(seed=-1)),
        ("config.json", lambda header: header["spec"].update(kind="audio")),
        ("config.json", lambda header: header.update(episode_returns=None)),
        ("config.json", lambda header: header.clear() or header.update(format=["not", "a", "checkpoint"])),
        ("config.json", lambda header: header["config"].update(q_network="no-such-network")),
        ("config.json", lambda header: header.update(metrics=[{"step": "ten"}])),
    ],
    ids=[
        "missing-counter",
        "missing-rng",
        "text-counter",
        "negative-seed",
        "unknown-kind",
        "null-list",
        "format",
        "unknown-network",
        "metric-row",
    ],
)
def test_a_checkpoint_with_bad_fields_is_one_error_naming_the_file(tmp_path, file, corrupt):
    path = DQN("CartPole-v1", seed=0, **TINY).save(tmp_path / "ckpt")
    if file == "manifest.json":
        manifest = json.loads((path / file).read_text())
        corrupt(manifest)
        (path / file).write_text(json.dumps(manifest))
        expected = "manifest.json"
    else:
        _edit_json(path, file, corrupt)
        expected = r"config\.json.* is corrupt"
    with pytest.raises(CheckpointError, match=expected):
        DQN.load(path)


def test_a_checkpoint_config_that_is_not_an_object_is_reported_as_corrupt(tmp_path):
    path = DQN("CartPole-v1", seed=0, **TINY).save(tmp_path / "ckpt")
    rewrite_file(path, "config.json", b"[1, 2]")
    with pytest.raises(CheckpointError, match=r"config\.json.* holds a JSON list, expected an object"):
        DQN.load(path)


def test_truncated_replay_and_nan_weights_are_refused(tmp_path):
    agent = DQN("CartPole-v1", seed=0, **TINY).learn(100)
    path = agent.save(tmp_path / "ckpt", include_buffer=True)
    data = (path / "replay.npz").read_bytes()
    (path / "replay.npz").write_bytes(data[: len(data) // 3])
    with pytest.raises(CheckpointError, match=r"replay\.npz.* is truncated"):
        DQN.load(path)
    path = agent.save(tmp_path / "ckpt", include_buffer=True)
    with torch.no_grad():
        next(agent.q_net.parameters())[0, 0] = float("nan")
    agent.save(tmp_path / "nan")
    with pytest.raises(CheckpointError, match=r"model\.pt.*'q_net\.torso.*holds non-finite"):
        DQN.load(tmp_path / "nan")


def test_a_failed_save_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    agent = DQN("CartPole-v1", seed=0, **TINY).learn(100)
    path = agent.save(tmp_path / "ckpt")
    saved = _weights(agent)
    agent.learn(200)

    def disk_full(handle, **arrays):
        handle.write(b"half a buff")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", disk_full)
    with pytest.raises(OSError, match="disk full"):
        agent.save(path, include_buffer=True)
    assert os.listdir(tmp_path) == ["ckpt"]  # the staging folder is gone
    _assert_same_weights(_weights(DQN.load(path)), saved)
    assert DQN.load(path).num_timesteps == 100
    monkeypatch.undo()
    agent.save(path)  # overwriting with a complete checkpoint works
    assert DQN.load(path).num_timesteps == 300 and os.listdir(tmp_path) == ["ckpt"]


def test_save_never_replaces_a_folder_or_file_that_is_not_a_checkpoint(tmp_path):
    agent = DQN("CartPole-v1", seed=0, **TINY)
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "notes.txt").write_text("keep me")
    (tmp_path / "file").write_text("keep me too")
    for target in ("runs", "file"):
        with pytest.raises(ValueError, match=f"{target}.* is a file|{target}.*holds no boltzgym-dqn checkpoint"):
            agent.save(tmp_path / target)
    assert (tmp_path / "runs" / "notes.txt").read_text() == "keep me"
    assert (tmp_path / "file").read_text() == "keep me too"
    assert sorted(os.listdir(tmp_path)) == ["file", "runs"]  # no staging folder left behind
    (tmp_path / "empty").mkdir()
    assert DQN.load(agent.save(tmp_path / "empty")).num_timesteps == 0  # an empty folder is fine


def test_a_checkpoint_folder_gets_the_umask_permissions_of_any_new_folder(tmp_path):
    agent = DQN("CartPole-v1", seed=0, **TINY)
    previous = os.umask(0o022)
    try:
        for _ in range(2):  # a new checkpoint, then one replacing it
            path = agent.save(tmp_path / "ckpt")
            assert path.stat().st_mode & 0o777 == 0o755  # not mkdtemp's 0700
    finally:
        os.umask(previous)
    assert os.listdir(tmp_path) == ["ckpt"]


# --- callbacks and logs ---------------------------------------------------------------------------------


def test_callbacks_stop_training_and_write_checkpoints(tmp_path):
    class StopAt(Callback):
        def on_step(self) -> bool:
            return self.agent.num_timesteps < 120

    checkpoints = CheckpointCallback(50, tmp_path / "checkpoints", name_prefix="dqn")
    agent = DQN("CartPole-v1", seed=0, log_dir=tmp_path / "logs", **TINY)
    agent.learn(1000, callback=[StopAt(), checkpoints])
    assert agent.num_timesteps == 120
    assert [p.name for p in checkpoints.saved] == ["dqn_50_steps", "dqn_100_steps"]
    assert DQN.load(checkpoints.saved[-1]).num_timesteps == 100
    header = (tmp_path / "logs" / "metrics.csv").read_text().splitlines()[0].split(",")
    assert {"step", "charts/episode_return", "charts/epsilon"} <= set(header)


# --- bad input ------------------------------------------------------------------------------------------


def test_continuous_action_space_is_refused():
    with pytest.raises(ValueError, match="Discrete action space.*Box"):
        DQN("Pendulum-v1")


def test_buffer_smaller_than_batch_is_refused():
    with pytest.raises(ValueError, match="buffer_size.*batch_size=64"):
        DQN("CartPole-v1", buffer_size=32, batch_size=64)


def test_bad_hyperparameters_are_named():
    with pytest.raises(ValueError, match="learning_rate"):
        DQNConfig(learning_rate=-1.0)
    with pytest.raises(ValueError, match="gamma"):
        DQN("CartPole-v1", gamma=2.0)
    with pytest.raises(ValueError, match="unknown DQN hyperparameter.*lr"):
        DQN("CartPole-v1", lr=1e-3)
    with pytest.raises(TypeError, match="train_freq"):
        DQNConfig(train_freq=2.5)
    with pytest.raises(TypeError, match="observation_space"):
        DQN(gym.make("Blackjack-v1"))  # a Tuple observation space


def test_agent_package_does_not_import_torch_until_dqn_is_used():
    import subprocess
    import sys

    code = "import sys, boltzgym.agents, boltzgym.agents.replay\nassert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_numpy_acting_path_matches_the_torch_network_and_follows_updates():
    agent = DQN("CartPole-v1", seed=0, **TINY)
    assert agent._fast_policy is not None  # a plain MLP on vector observations
    observations = np.random.default_rng(1).normal(size=(64, 4)).astype(np.float32)
    for _ in range(2):  # before and after training: the views follow the in-place optimizer updates
        fast = np.array([agent._act(obs[None], epsilon=0.0)[0] for obs in observations])
        np.testing.assert_array_equal(fast, agent.q_values(observations).argmax(axis=1))
        agent.learn(300)
    assert DQN("CartPole-v1", dueling=True, **TINY)._fast_policy is None  # other networks act through torch


def test_config_accepts_integral_floats_as_counts_and_json_lists_as_tuples():
    config = DQNConfig(buffer_size=1e5, gradient_steps=64.0, net_arch=[32, 32], double_q=False)
    assert config.buffer_size == 100_000 and type(config.buffer_size) is int
    assert config.gradient_steps == 64 and type(config.gradient_steps) is int
    assert config.net_arch == (32, 32) and config.double_q is False
    with pytest.raises(TypeError, match=r"double_q must be true or false, got 'False' \(str\)"):
        DQNConfig(double_q="False")
    with pytest.raises(TypeError, match=r"net_arch must be a list of positive integers, e.g. \[64, 64\], got 64"):
        DQNConfig(net_arch=64)
    with pytest.raises(ValueError, match="activation must be one of"):
        DQNConfig(activation="gelu")


# --- the gradient step: Double DQN roles, Huber loss, gradient clipping ----------------------------------


def _linear_agent(online_bias, target_bias, **settings) -> DQN:
    """A CartPole DQN whose Q-functions are constant: Q_online(s, .) = online_bias, Q_target(s, .) = target_bias."""
    settings = {"net_arch": [], "n_step": 1, "gamma": 1.0, "learning_rate_final": None, **settings}
    agent = DQN("CartPole-v1", seed=0, batch_size=4, buffer_size=8, gradient_steps=1, log_interval=1, **settings)
    for net, bias in ((agent.q_net, online_bias), (agent.target_net, target_bias)):
        with torch.no_grad():
            net.head.weight.zero_()
            net.head.bias.copy_(torch.tensor(bias))
    return agent


def _fill(agent: DQN, reward: float, terminated: bool = False) -> None:
    zeros = np.zeros((1, 4), dtype=np.float32)
    for _ in range(agent.replay_buffer.capacity):
        agent.replay_buffer.add(zeros, [0], [reward], zeros, [terminated], [False])


@pytest.mark.parametrize(("double_q", "expected_loss"), [(True, 1.5), (False, 4.5)])
def test_a_training_phase_chooses_next_actions_online_and_values_them_with_the_target_net(double_q, expected_loss):
    # Q(s, 0) = 0 and every target is 0 + 1 * Q(s', a*). Double DQN: a* = argmax of the online net's [0, 1]
    # (action 1), valued by the target net's [5, 2]: target 2, Huber loss 2 - 0.5. Swapping the networks'
    # roles gives a* = 0 valued online (target 0, loss 0); plain DQN: max of the target net (target 5, loss 4.5).
    agent = _linear_agent([0.0, 1.0], [5.0, 2.0], double_q=double_q)
    _fill(agent, reward=0.0)
    agent._train_phase()
    assert agent.n_updates == 1
    assert agent.logger.rows[-1]["losses/td_loss"] == pytest.approx(expected_loss)
    assert agent.logger.rows[-1]["losses/q_values"] == 0.0


def test_the_loss_is_huber_quadratic_near_zero_and_linear_beyond_one():
    agent = _linear_agent([0.0, 0.0], [0.0, 0.0], max_grad_norm=1e6)
    obs = torch.zeros(2, 4)
    returns, discounts = torch.tensor([0.5, 3.0]), torch.zeros(2)  # TD errors 0.5 and 3 (terminal steps)
    loss, _ = agent._gradient_step(obs, torch.tensor([0, 0]), returns, obs, discounts, torch.zeros(2, 2))
    assert loss.item() == pytest.approx((0.5 * 0.5**2 + (3.0 - 0.5)) / 2)  # MSE would give 2.3125
    # dL/dQ(s, 0) per sample is the error clipped to [-1, 1]: mean(-0.5, -1) (MSE: mean(-0.5, -3))
    torch.testing.assert_close(agent.q_net.head.bias.grad, torch.tensor([-0.75, 0.0]))


def test_gradient_norm_is_clipped_for_a_huge_td_error():
    agent = _linear_agent([0.0, 0.0], [0.0, 0.0], max_grad_norm=0.5)
    obs = torch.full((4, 4), 1e3)  # large inputs: the unclipped weight gradient has norm 2e3
    returns = torch.full((4,), 1e6)
    before = [p.detach().clone() for p in agent.q_net.parameters()]
    agent._gradient_step(obs, torch.zeros(4, dtype=torch.int64), returns, obs, torch.zeros(4), torch.zeros(4, 2))
    grad_norm = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in agent.q_net.parameters()]))
    assert grad_norm.item() == pytest.approx(0.5, rel=1e-5)
    change = torch.linalg.vector_norm(
        torch.stack([(p.detach() - b).norm() for p, b in zip(agent.q_net.parameters(), before)])
    )
    assert torch.isfinite(change) and 0 < change.item() <= 10 * agent.config.learning_rate  # Adam: ~lr per weight


@pytest.mark.parametrize("max_norm", [10.0, 1e-4])
@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3, float("nan"), "0.998", "0.999999", "1", "1.000001", "inf"])
def test_clip_grad_norm_equals_torchs_to_the_bit_clipping_or_not(scale, max_norm):
    """Far from, near (strings: the total norm as a fraction of the limit) and above the limit, and NaN; at a
    small limit torch's ``+ 1e-6`` in ``max_norm / (norm + 1e-6)`` matters too."""
    from boltzgym.agents.update_steps import clip_grad_norm

    generator = torch.Generator().manual_seed(0)
    grads = [torch.randn(shape, generator=generator) for shape in ((64, 4), (64,), (2, 64), (2,))]
    if isinstance(scale, str):
        norm = torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))
        scale = float(scale) * max_norm / norm.item()
    grads = [scale * g for g in grads]
    ours, torchs = ([nn.Parameter(torch.zeros_like(g)) for g in grads] for _ in range(2))
    for params in (ours, torchs):
        for p, g in zip(params, grads):
            p.grad = g.clone()
    clip_grad_norm(ours, max_norm)  # skips the multiplication by 1 below the norm, NaN gradients stay NaN
    nn.utils.clip_grad_norm_(torchs, max_norm)
    for a, b in zip(ours, torchs):
        torch.testing.assert_close(a.grad, b.grad, rtol=0, atol=0, equal_nan=True)


def _adam_pair(n_groups=1, **adam_kwargs):
    """Two equal parameter sets, each with its own ``torch.optim.Adam``."""
    generator = torch.Generator().manual_seed(0)
    shapes = ((8, 4), (8,), (2, 8), (2,))
    values = [torch.randn(shape, generator=generator) for shape in shapes]
    pairs = []
    for _ in range(2):
        params = [nn.Parameter(v.clone()) for v in values]
        groups = [{"params": params[i::n_groups]} for i in range(n_groups)]
        try:
            pairs.append((params, torch.optim.Adam(groups, lr=1e-2, **adam_kwargs)))
        except RuntimeError as error:  # torch < 2.4 has no fused Adam on CPU
            pytest.skip(f"this torch has no such Adam: {error}")
    if "decoupled_weight_decay" not in pairs[0][1].defaults:
        pytest.skip("adam_step always takes optimizer.step() before the torch that added decoupled_weight_decay")
    return pairs, generator


def _set_grads(params_sets, generator):
    grads = [torch.randn(p.shape, generator=generator) for p in params_sets[0]]
    for params in params_sets:
        for p, g in zip(params, grads):
            p.grad = g.clone()


@pytest.mark.parametrize(
    "adam_kwargs",
    [
        {"fused": True},
        {"foreach": True},
        {"foreach": False},
        {"fused": True, "weight_decay": 0.1, "maximize": True},
        {"amsgrad": True},
    ],  # fmt: skip
)
def test_adam_step_equals_optimizer_step_to_the_bit(adam_kwargs, monkeypatch):
    """Over steps with a changed learning rate and a state_dict round trip (new state tensors) in between, the
    parameters and the optimizer state equal ``optimizer.step()``'s to the bit; every step after the first (which
    creates the state) takes the functional path, except with amsgrad (the fallback)."""
    from boltzgym.agents import update_steps
    from boltzgym.agents.update_steps import adam_step

    calls = []
    plain_functional = update_steps.functional_adam
    monkeypatch.setattr(update_steps, "functional_adam", lambda *a, **k: calls.append(1) or plain_functional(*a, **k))

    ((ours, our_adam), (torchs, torch_adam)), generator = _adam_pair(**adam_kwargs)
    for step in range(6):
        _set_grads([ours, torchs], generator)
        if step == 3:
            for optimizer in (our_adam, torch_adam):
                optimizer.param_groups[0]["lr"] = 3e-3
            our_adam.load_state_dict(copy.deepcopy(our_adam.state_dict()))
        adam_step(our_adam)
        torch_adam.step()
        for a, b in zip(ours, torchs):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert len(calls) == (0 if adam_kwargs.get("amsgrad") else 5)
    for a, b in zip(ours, torchs):
        for key in ("step", "exp_avg", "exp_avg_sq"):
            torch.testing.assert_close(our_adam.state[a][key], torch_adam.state[b][key], rtol=0, atol=0)


def test_adam_step_runs_optimizer_step_where_step_does_more():
    """Step hooks (the optimizer's and global ones) and an LR scheduler's count still see every step; two parameter
    groups and a parameter without a gradient give torch's result."""
    from torch.optim.optimizer import register_optimizer_step_pre_hook

    from boltzgym.agents.update_steps import adam_step

    ((params, adam), _), generator = _adam_pair(fused=True)
    _set_grads([params], generator)
    adam_step(adam)  # the first step creates the state through optimizer.step()
    calls = []
    handle = adam.register_step_post_hook(lambda *args: calls.append("own"))
    global_handle = register_optimizer_step_pre_hook(lambda *args: calls.append("global"))
    adam_step(adam)
    handle.remove()
    global_handle.remove()
    assert calls == ["global", "own"]
    scheduler = torch.optim.lr_scheduler.StepLR(adam, step_size=1, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "lr_scheduler.step() before optimizer.step()" if the step went unseen
        adam_step(adam)
        scheduler.step()
    assert adam.param_groups[0]["lr"] == pytest.approx(5e-3)

    ((ours, our_adam), (torchs, torch_adam)), generator = _adam_pair(n_groups=2, fused=True)
    for step in range(3):
        _set_grads([ours, torchs], generator)
        if step == 2:
            ours[1].grad = torchs[1].grad = None
        adam_step(our_adam)
        torch_adam.step()
    for a, b in zip(ours, torchs):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_adam_step_calls_a_patched_adam_step(monkeypatch):
    """``Adam.step`` replaced on the class (instrumentation) is called for every step, as by ``optimizer.step()``."""
    from boltzgym.agents.update_steps import adam_step

    ((params, adam), _), generator = _adam_pair(fused=True)
    calls = []
    plain_step = torch.optim.Adam.step
    monkeypatch.setattr(torch.optim.Adam, "step", lambda self, *a: calls.append(self) or plain_step(self, *a))
    for _ in range(3):
        _set_grads([params], generator)
        adam_step(adam)
    assert calls == [adam] * 3


@pytest.mark.parametrize("name", ["clip_grad_norm", "fused_adam"])
def test_update_helpers_keep_their_old_spelling_in_agents_networks_with_a_deprecation(name):
    from boltzgym.agents import networks, update_steps

    with pytest.warns(DeprecationWarning, match=rf"networks\.{name} is deprecated; use boltzgym\.agents\.update_steps"):
        assert getattr(networks, name) is getattr(update_steps, name)


def test_dqn_updates_take_the_functional_adam_path(monkeypatch):
    """The speed-up is not silently lost: every DQN update after the first goes through the functional Adam."""
    from boltzgym.agents import update_steps

    if "decoupled_weight_decay" not in torch.optim.Adam([nn.Parameter(torch.zeros(1))]).defaults:
        pytest.skip("adam_step always takes optimizer.step() before the torch that added decoupled_weight_decay")
    calls = []
    plain_functional = update_steps.functional_adam
    monkeypatch.setattr(update_steps, "functional_adam", lambda *a, **k: calls.append(1) or plain_functional(*a, **k))
    agent = DQN("CartPole-v1", seed=0, **TINY).learn(300)
    assert agent.n_updates > 10 and len(calls) == agent.n_updates - 1


def test_double_dqn_argmax_pass_leaves_batch_norm_statistics_alone_and_keeps_train_mode():
    import copy

    agent = DQN("CartPole-v1", seed=0, batch_norm=True, dropout=0.2, **TINY)
    agent.q_net.train()  # as in a training phase
    generator = torch.Generator().manual_seed(0)
    obs, next_obs = torch.randn(16, 4, generator=generator), 100 + torch.randn(16, 4, generator=generator)
    reference = copy.deepcopy(agent.q_net)
    with torch.no_grad():
        reference(obs)  # the one train-mode pass that should update the statistics: the one on obs
    actions, returns, discounts, next_q_target = (
        torch.zeros(16, dtype=torch.int64),
        torch.zeros(16),
        torch.ones(16),
        torch.zeros(16, 2),
    )
    agent._gradient_step(obs, actions, returns, next_obs, discounts, next_q_target)
    assert agent.q_net.training and all(module.training for module in agent.q_net.modules())
    batch_norms = [(m, r) for m, r in zip(agent.q_net.modules(), reference.modules()) if isinstance(m, nn.BatchNorm1d)]
    assert batch_norms
    for module, expected in batch_norms:
        assert module.num_batches_tracked.item() == 1
        torch.testing.assert_close(module.running_mean, expected.running_mean)
        torch.testing.assert_close(module.running_var, expected.running_var)


def test_learn_closes_the_tensorboard_writer_it_opened(tmp_path, monkeypatch):
    from boltzgym.utils.metrics import MetricsLog

    writers = []

    class RecordingWriter:  # stands in for boltzgym.utils.metrics.EventFile (tensorboard is optional)
        def __init__(self, log_dir):
            self.log_dir, self.scalars, self.closed = log_dir, [], False
            writers.append(self)

        def add_scalar(self, name, value, step):
            assert not self.closed, "a scalar was written after close()"
            self.scalars.append((name, step))

        def flush(self):
            pass

        def close(self):
            self.closed = True

    monkeypatch.setattr(MetricsLog, "writer_class", staticmethod(lambda: RecordingWriter))
    agent = DQN("CartPole-v1", seed=0, log_dir=tmp_path, **TINY)
    agent.learn(200)
    agent.learn(100)  # a second call opens a new writer and closes it too
    assert len(writers) == 2 and all(writer.closed for writer in writers)
    assert writers[0].log_dir == str(tmp_path / "tensorboard") and writers[0].scalars and writers[1].scalars
    assert (tmp_path / "metrics.csv").is_file()


def test_load_given_a_file_says_a_checkpoint_folder_is_expected(tmp_path):
    path = DQN("CartPole-v1", seed=0, **TINY).save(tmp_path / "ckpt")
    with pytest.raises(CheckpointError, match=r"model\.pt.* is a file, expected a checkpoint folder"):
        DQN.load(path / "model.pt")


# --- Q-network factories ----------------------------------------------------------------------------------


def tiny_factory(observation_space, n_actions, width=8):
    """A custom Q-network factory (not registered)."""
    return nn.Sequential(
        nn.Flatten(), nn.Linear(int(np.prod(observation_space.shape)), width), nn.ReLU(), nn.Linear(width, n_actions)
    )


def test_a_custom_factory_trains_saves_loads_and_resumes(tmp_path):
    settings = {**TINY, "q_network": tiny_factory, "q_network_kwargs": {"width": 12}}
    straight = DQN("CartPole-v1", seed=4, **settings).learn(150)
    straight.learn(150)
    agent = DQN("CartPole-v1", seed=4, **settings).learn(150)
    assert isinstance(agent.q_net, nn.Sequential) and agent.q_net[1].out_features == 12
    assert agent.config.q_network == "custom:test_dqn.tiny_factory"
    path = agent.save(tmp_path / "ckpt", include_buffer=True)
    header = json.loads((path / "config.json").read_text())
    assert header["config"]["q_network_kwargs"] == {"width": 12}
    with pytest.raises(ValueError, match=r"q_network: .*'test_dqn.tiny_factory'.*q_network=factory"):
        DQN.load(path)
    resumed = DQN.load(path, env="CartPole-v1", q_network=tiny_factory).learn(150)
    _assert_same_weights(_weights(resumed), _weights(straight))


def test_named_networks_and_registration(tmp_path):
    from boltzgym.agents.networks import Q_NETWORKS, register_q_network

    agent = DQN("CartPole-v1", seed=0, q_network="dueling", **TINY)
    assert type(agent.q_net.head).__name__ == "DuelingHead"
    assert DQN.load(agent.save(tmp_path / "d")).q_net.head.__class__.__name__ == "DuelingHead"
    register_q_network("tiny-test", tiny_factory)
    try:
        agent = DQN("CartPole-v1", seed=0, q_network="tiny-test", q_network_kwargs={"width": 5}, **TINY)
        assert agent.q_net[1].out_features == 5
        assert DQN.load(agent.save(tmp_path / "t")).q_net[1].out_features == 5  # found by name: no factory needed
        assert DQN("CartPole-v1", q_network=tiny_factory, **TINY).config.q_network == "tiny-test"
    finally:
        del Q_NETWORKS["tiny-test"]
    with pytest.raises(ValueError, match="q_network must be one of"):
        DQN("CartPole-v1", q_network="resnet-9000", **TINY)
    with pytest.raises(ValueError, match="q_network: the network maps a batch of 2 observations to"):
        DQN("CartPole-v1", q_network=lambda space, n: nn.Linear(4, n + 1), **TINY)
    with pytest.raises(ValueError, match="q_network 'cnn' needs uint8"):
        DQN("CartPole-v1", q_network="cnn", **TINY)
    with pytest.raises(TypeError, match="q_network_kwargs must hold JSON values"):
        DQN("CartPole-v1", q_network_kwargs={"width": object()}, **TINY)


def test_predict_checks_the_observation_shape():
    agent = DQN("CartPole-v1", seed=0, **TINY)
    assert agent.predict(np.zeros(4, dtype=np.float32))[0].shape == ()
    assert agent.predict(np.zeros((3, 4), dtype=np.float32))[0].shape == (3,)
    with pytest.raises(ValueError, match=r"observation has shape \(5,\), expected \(4,\)"):
        agent.predict(np.zeros(5))
    with pytest.raises(ValueError, match=r"observation has shape \(2, 3\)"):
        agent.predict(np.zeros((2, 3)))


def test_q_network_forward_equals_head_of_torso_and_keeps_hooks():
    from boltzgym.agents.networks import QNetwork

    torch.manual_seed(0)
    net = QNetwork(gym.spaces.Box(-1.0, 1.0, (4,), np.float32), 2, net_arch=(16, 16))
    x = torch.randn(10, 4)
    assert torch.equal(net(x), net.head(net.torso.layers(x)))  # nn.Sequential's module calls
    assert torch.equal(net(x[0:1].double()), net.head(net.torso.layers(x[0:1])))  # cast to the weights' dtype first
    seen = []
    handle = net.torso.register_forward_hook(lambda module, args, output: seen.append(output.shape))
    net(x)
    handle.remove()
    assert seen == [torch.Size([10, 16])]
