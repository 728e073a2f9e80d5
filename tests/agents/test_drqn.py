"""Recurrent DQN (DRQN): episode-aware sequence replay, hidden state while acting, checkpoints, the T-maze cue."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import boltzgym.envs  # noqa: F401  (registers boltzgym/TMaze-v0)
from boltzgym.agents.dqn import DQN
from boltzgym.agents.networks import RecurrentQNetwork, reset_state
from boltzgym.agents.replay import ReplayBuffer
from boltzgym.envs.tmaze import EAST, NORTH, SOUTH, TMazeEnv

TINY = {
    "recurrent": True,
    "learning_starts": 40,
    "batch_size": 8,
    "buffer_size": 400,
    "net_arch": (8,),
    "q_network_kwargs": {"hidden_size": 8},
    "sequence_length": 6,
    "target_update_interval": 40,
    "train_freq": 4,
    "gradient_steps": 1,
}


def _episodes_buffer(n_step: int) -> tuple[ReplayBuffer, list[int]]:
    """One env, steps 0..11 with observation = step index: episodes 0-2 (terminated), 3-6 (truncated), 7-11 (open)."""
    buffer = ReplayBuffer(12, (), np.float32, n_envs=1, n_step=n_step, gamma=0.5, seed=0)
    episode = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2]
    for t in range(12):
        terminated, truncated = t == 2, t == 6
        buffer.add(
            [t], [t % 4], [t + 1.0], [t + 0.5 if (terminated or truncated) else t + 1], [terminated], [truncated]
        )
    return buffer, episode


@pytest.mark.parametrize("n_step", [1, 3])
def test_sampled_sequences_stay_in_one_episode_with_their_n_step_targets(n_step):
    buffer, episode = _episodes_buffer(n_step)
    batch = buffer.sample_sequences(200, length=4)
    for obs, actions, returns, discounts, bootstrap, mask in zip(
        batch.observations, batch.actions, batch.returns, batch.discounts, batch.bootstrap, batch.mask
    ):
        steps = int(mask.sum())
        assert mask[:steps].all() and not mask[steps:].any()  # left-aligned
        seq = obs[:steps].astype(int)
        last = seq[-1]
        assert np.array_equal(seq, np.arange(seq[0], last + 1))  # consecutive steps
        assert len({episode[t] for t in seq}) == 1  # of one episode ...
        start = episode.index(episode[last])
        assert seq[0] == max(start, last - 3)  # ... reaching back to its start or `length` steps
        assert obs[steps] == (last + 0.5 if last in (2, 6) else last + 1)  # the last step's next_obs follows it
        np.testing.assert_array_equal(actions[:steps], seq % 4)
        for i, t in enumerate(seq):
            m = min(n_step, steps - i)  # rewards summed: within the sequence
            assert returns[i] == pytest.approx(sum(0.5**k * (t + k + 1.0) for k in range(m)))
            assert bootstrap[i] == i + m
            assert discounts[i] == pytest.approx(0.0 if t + m - 1 == 2 else 0.5**m)  # terminated at step 2
        assert not returns[steps:].any() and not discounts[steps:].any()
    assert batch.mask.shape[1] == 4 and batch.observations.shape[1] == 5  # 4-step sequences were drawn


def test_sequences_skip_a_vector_envs_autoreset_step():
    """NEXT_STEP autoreset: the step after an episode's end only resets the env (valid=False) and starts no sequence."""
    buffer = ReplayBuffer(8, (), np.float32, n_envs=1, seed=0)
    for t in range(7):
        buffer.add([t], [0], [0.0], [t + 1], [t == 2], [False], valid=[t != 3])
    batch = buffer.sample_sequences(100, length=8)
    for obs, mask in zip(batch.observations, batch.mask):
        seq = obs[: mask.sum()].astype(int).tolist()
        assert 3 not in seq and seq in ([0], [0, 1], [0, 1, 2], [4], [4, 5], [4, 5, 6])


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_acting_step_by_step_equals_unrolling_and_episode_start_resets(cell):
    env = TMazeEnv(corridor_length=3)
    torch.manual_seed(0)
    net = RecurrentQNetwork(env.observation_space, 4, cell=cell, hidden_size=8, net_arch=(8,))
    sequence = torch.rand(2, 5, 3)
    unrolled, _ = net.unroll(sequence)
    state = None
    for t in range(5):
        q, state = net.step(sequence[:, t], state)
        torch.testing.assert_close(q, unrolled[:, t])
    # the cue reaches later steps: the same corridor observations after different first observations differ
    cue_north, cue_south = torch.tensor([[0.0, 1, 1]]), torch.tensor([[1.0, 1, 0]])
    corridor = torch.tensor([[[1.0, 0, 1]]]).expand(1, 4, 3)
    q_north = net.unroll(torch.cat([cue_north[:, None], corridor], 1))[0][:, -1]
    q_south = net.unroll(torch.cat([cue_south[:, None], corridor], 1))[0][:, -1]
    assert not torch.allclose(q_north, q_south)
    restarted = reset_state(state, np.array([True, False]))
    assert not restarted[0][:, 0].any() and torch.equal(restarted[-1][:, 1], state[-1][:, 1])
    torch.testing.assert_close(net.step(sequence[:, 0], reset_state(state, [True, True]))[0], unrolled[:, 0])


def _replay_scripted_tmaze(agent: DQN, n_episodes: int, seed: int = 0) -> None:
    """Fill the agent's replay buffer with corridor-2 episodes: east to the junction, then a random arm."""
    rng = np.random.default_rng(seed)
    env = TMazeEnv(corridor_length=2)
    for episode in range(n_episodes):
        obs, _ = env.reset(seed=episode)
        for action in (EAST, EAST, int(rng.choice([NORTH, SOUTH]))):
            next_obs, reward, terminated, truncated, _ = env.step(action)
            agent.replay_buffer.add(obs[None], [action], [reward], next_obs[None], [terminated], [truncated])
            obs = next_obs


def _greedy_arm(agent: DQN, cue: list[float]) -> int:
    state = None
    for obs in (cue, [1, 0, 1], [0, 1, 0]):  # start (with the cue), corridor, junction
        action, state = agent.predict(np.array(obs, dtype=np.float32), state)
    return int(action)


def test_recurrent_q_network_carries_the_cue_that_a_feed_forward_one_cannot_see():
    """The same replayed T-maze episodes (corridor 2): after DRQN's updates the greedy action at the junction is the
    cued arm for both cues; the feed-forward network sees the same junction observation for both and so picks the
    same action for both (it can succeed on one goal side only)."""
    settings = dict(learning_rate=1e-2, batch_size=16, gamma=0.9, n_step=1, gradient_steps=150, net_arch=(16,),
                    learning_rate_final=None)  # fmt: skip
    recurrent = DQN(TMazeEnv(corridor_length=2), seed=0, recurrent=True, sequence_length=4, **settings)
    feed_forward = DQN(TMazeEnv(corridor_length=2), seed=0, **settings)
    for agent in (recurrent, feed_forward):
        _replay_scripted_tmaze(agent, 60)
        agent._train_phase()  # the update learn() runs every train_freq steps
    cue_north, cue_south = [0, 1, 1], [1, 1, 0]
    assert (_greedy_arm(recurrent, cue_north), _greedy_arm(recurrent, cue_south)) == (NORTH, SOUTH)
    assert _greedy_arm(feed_forward, cue_north) == _greedy_arm(feed_forward, cue_south)


def test_recurrent_checkpoint_round_trip_and_resume(tmp_path):
    continued = DQN(TMazeEnv(corridor_length=3), seed=1, **TINY).learn(150)
    continued.save(tmp_path / "a", include_buffer=True)
    loaded = DQN.load(tmp_path / "a", env=TMazeEnv(corridor_length=3))
    assert loaded.is_recurrent and loaded.config.recurrent and loaded.config.sequence_length == 6
    observations = np.array([[0, 1, 1], [1, 0, 1], [1, 0, 1], [0, 1, 0]], dtype=np.float32)
    state_a = state_b = None
    for obs in observations:
        action_a, state_a = continued.predict(obs, state_a)
        action_b, state_b = loaded.predict(obs, state_b)
        assert action_a == action_b
        np.testing.assert_array_equal(state_a[0], state_b[0])
    continued.learn(100)
    loaded.learn(100)
    for key, value in continued.q_net.state_dict().items():
        torch.testing.assert_close(loaded.q_net.state_dict()[key], value, rtol=0, atol=0)


def test_recurrent_needs_a_recurrent_network():
    with pytest.raises(ValueError, match="recurrent=True needs a recurrent q_network"):
        DQN(TMazeEnv(corridor_length=2), recurrent=True, q_network="mlp")
    with pytest.raises(ValueError, match="sequence_length"):
        DQN(TMazeEnv(corridor_length=2), recurrent=True, sequence_length=0)


def test_tmaze_experiment_keys_and_plot(tmp_path):
    from boltzgym.experiments import experiment_function

    summary = experiment_function("tmaze")(tmp_path, seed=0, corridor_length=2, total_timesteps=300, eval_episodes=4)
    for name in ("recurrent", "feed_forward"):
        assert 0.0 <= summary[f"{name}_success"] <= 1.0 and summary[f"{name}_train_seconds"] > 0
    assert (tmp_path / "tmaze.png").stat().st_size > 0
