"""Action masks (PettingZoo's ``action_mask`` convention) in DQN: acting and targets never use an illegal action,
and an all-True mask gives exactly the unmasked results."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from boltzgym.agents.dqn import DQN, masked_argmax, random_legal_actions, td_targets
from boltzgym.agents.replay import ReplayBuffer


@st.composite
def values_and_masks(draw):
    batch, n_actions = draw(st.integers(1, 6)), draw(st.integers(1, 7))
    values = draw(arrays(np.float32, (batch, n_actions), elements=st.floats(-1e3, 1e3, width=32)))
    masks = draw(arrays(np.bool_, (batch, n_actions)))
    masks[np.arange(batch), draw(arrays(np.int64, batch, elements=st.integers(0, n_actions - 1)))] = True
    return values, masks


@settings(max_examples=60, deadline=None)
@given(values_and_masks())
def test_masked_argmax_picks_a_legal_best_action_and_all_ones_is_argmax(case):
    values, masks = case
    actions = masked_argmax(values, masks)
    assert masks[np.arange(len(values)), actions].all()
    np.testing.assert_array_equal(values[np.arange(len(values)), actions], np.where(masks, values, -np.inf).max(1))
    np.testing.assert_array_equal(masked_argmax(values, np.ones_like(masks)), values.argmax(axis=1))


@settings(max_examples=60, deadline=None)
@given(values_and_masks(), st.integers(0, 2**32 - 1))
def test_random_legal_actions_are_legal_and_all_ones_draws_as_unmasked(case, seed):
    _, masks = case
    actions = random_legal_actions(np.random.default_rng(seed), masks.shape[1], masks, len(masks))
    assert masks[np.arange(len(masks)), actions].all()
    all_ones = random_legal_actions(np.random.default_rng(seed), masks.shape[1], np.ones_like(masks), len(masks))
    unmasked = random_legal_actions(np.random.default_rng(seed), masks.shape[1], None, len(masks))
    np.testing.assert_array_equal(all_ones, unmasked)


@settings(max_examples=60, deadline=None)
@given(values_and_masks(), st.booleans())
def test_masked_targets_bootstrap_from_legal_actions_only(case, double):
    values, masks = case
    target_q = torch.as_tensor(values)
    online_q = torch.as_tensor(values[:, ::-1].copy()) if double else None  # another network's choice of a*
    returns, discounts = torch.ones(len(values)), torch.full((len(values),), 0.5)
    masked = td_targets(returns, discounts, target_q, online_q, torch.as_tensor(masks))
    if double:
        choice = np.where(masks, values[:, ::-1], -np.inf).argmax(axis=1)
    else:
        choice = np.where(masks, values, -np.inf).argmax(axis=1)
    assert masks[np.arange(len(values)), choice].all()
    expected = 1.0 + 0.5 * values[np.arange(len(values)), choice]
    np.testing.assert_allclose(masked.numpy(), expected, rtol=1e-6)
    ones = torch.ones(values.shape, dtype=torch.bool)
    assert torch.equal(td_targets(returns, discounts, target_q, online_q, ones),
                       td_targets(returns, discounts, target_q, online_q))  # fmt: skip


def test_a_row_without_legal_actions_bootstraps_from_zero():
    targets = td_targets(
        torch.ones(2), torch.ones(2), torch.full((2, 3), 5.0), None, torch.tensor([[0, 0, 0], [0, 1, 0]]).bool()
    )
    assert targets.tolist() == [1.0, 6.0]


def test_replay_returns_the_mask_of_the_bootstrapped_observation():
    buffer = ReplayBuffer(8, (1,), n_envs=1, n_step=2, gamma=0.5, seed=0, n_actions=3)
    masks = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    for t in range(3):
        buffer.add([[t]], [0], [1.0], [[t + 1]], [t == 2], [False], next_masks=np.array([masks[t]], bool))
    batch = buffer.gather(np.array([0, 1, 2]), np.array([0, 0, 0]))
    np.testing.assert_array_equal(batch.next_obs[:, 0], [2, 3, 3])  # 2-step windows, the last one terminates
    np.testing.assert_array_equal(batch.next_action_masks, np.array([masks[1], masks[2], masks[2]], bool))
    with pytest.raises(ValueError, match="n_actions"):
        ReplayBuffer(8, (1,)).add([[0]], [0], [1.0], [[1]], [False], [False], next_masks=np.ones((1, 3), bool))


class RandomMaskEnv(gym.Env):
    """A single-agent env whose observations carry a random ``action_mask``; an illegal action raises."""

    def __init__(self, n_actions: int = 5, length: int = 12) -> None:
        self.n_actions, self.length = n_actions, length
        self.action_space = gym.spaces.Discrete(n_actions)
        self.observation_space = gym.spaces.Dict(
            {"observation": gym.spaces.Box(-1, 1, (3,), np.float32), "action_mask": gym.spaces.MultiBinary(n_actions)}
        )
        self.actions_taken = 0

    def _observation(self):
        mask = (self.np_random.random(self.n_actions) < 0.4).astype(np.int8)
        mask[self.np_random.integers(self.n_actions)] = 1
        self.mask = mask
        return {"observation": self.np_random.uniform(-1, 1, 3).astype(np.float32), "action_mask": mask}

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self._observation(), {}

    def step(self, action):
        if not self.mask[int(action)]:
            raise AssertionError(f"illegal action {action} under mask {self.mask}")
        self.actions_taken += 1
        self.t += 1
        reward = float(action == self.n_actions - 1)  # the last action pays when it is legal
        return self._observation(), reward, self.t >= self.length, False, {}


SMALL = {"learning_starts": 50, "train_freq": 4, "gradient_steps": 2, "batch_size": 16, "net_arch": (16,),
         "buffer_size": 500, "exploration_fraction": 0.5}  # fmt: skip


def test_dqn_never_takes_an_illegal_action_in_a_long_run_and_predicts_legal_actions():
    env = RandomMaskEnv()
    agent = DQN(env, seed=0, **SMALL).learn(1500)  # the env raises on any illegal action, exploring or greedy
    assert env.actions_taken == 1500
    assert agent.replay_buffer.next_action_masks is not None
    probe = RandomMaskEnv()
    observation, _ = probe.reset(seed=1)
    for _ in range(200):
        for deterministic in (True, False):
            action, _ = agent.predict(observation, deterministic=deterministic)
            assert observation["action_mask"][action]
        observation, *_ = probe.step(action)
        if probe.t >= probe.length:
            observation, _ = probe.reset()


class AllLegal(gym.ObservationWrapper):
    """CartPole's observations with an all-True ``action_mask``."""

    def __init__(self, env) -> None:
        super().__init__(env)
        n = int(env.action_space.n)
        self.observation_space = gym.spaces.Dict({"observation": env.observation_space,
                                                  "action_mask": gym.spaces.MultiBinary(n)})  # fmt: skip

    def observation(self, observation):
        return {"observation": observation, "action_mask": np.ones(int(self.action_space.n), np.int8)}


def test_an_all_ones_mask_trains_exactly_the_unmasked_agent():
    plain = DQN(gym.make("CartPole-v1"), seed=3, **SMALL).learn(400)
    masked = DQN(AllLegal(gym.make("CartPole-v1")), seed=3, **SMALL).learn(400)
    for a, b in zip(plain.q_net.parameters(), masked.q_net.parameters()):
        assert torch.equal(a, b)
    assert plain.episode_returns == masked.episode_returns
