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

from boltzgym.agents.dqn import DQN, td_targets
from boltzgym.agents.masks import masked_argmax, random_legal_actions
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


# --- tabular learners (the jitted rules of agents/_tabular_kernels.py) ---------------------------------------

from boltzgym.agents import _tabular_kernels as kernels  # noqa: E402
from boltzgym.agents.tabular import AGENT_CLASSES, TabularConfig  # noqa: E402


@settings(max_examples=80, deadline=None)
@given(values_and_masks(), st.sampled_from(["epsilon-greedy", "boltzmann", "ucb"]), st.integers(0, 2**32 - 1))
def test_tabular_behaviour_policy_picks_legal_actions_and_all_ones_is_unmasked(case, exploration, seed):
    values, masks = case
    params = TabularConfig(exploration=exploration, epsilon_start=0.5, epsilon_end=0.5).as_params()
    code = {"epsilon-greedy": kernels.EPSILON_GREEDY, "boltzmann": kernels.BOLTZMANN, "ucb": kernels.UCB}[exploration]
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 3, size=values.shape[1])
    row = values[0].astype(np.float64)
    for _ in range(10):
        action = kernels.select_action(row, counts, masks[0], code, 0, params, rng)
        assert masks[0][action]
    # all True: exactly the unmasked choice, drawing the same numbers (epsilon's draw is integers(0, A) either way)
    first, second = np.random.default_rng(seed), np.random.default_rng(seed)
    ones = np.ones(len(row), dtype=bool)
    picked = [kernels.select_action(row, counts, ones, code, 0, params, first) for _ in range(10)]
    reference = []
    for _ in range(10):  # the unmasked epsilon-greedy rule written out
        if code == kernels.EPSILON_GREEDY:
            reference.append(int(second.integers(0, len(row))) if second.random() < 0.5
                             else kernels.greedy_action_random_ties(row, second))  # fmt: skip
    if code == kernels.EPSILON_GREEDY:
        assert picked == reference and first.bit_generator.state == second.bit_generator.state


@settings(max_examples=80, deadline=None)
@given(values_and_masks(), st.sampled_from(sorted(AGENT_CLASSES)), st.integers(0, 2**32 - 1))
def test_tabular_targets_never_bootstrap_from_an_illegal_action(case, name, seed):
    """Illegal next actions get a huge value: a target that looked at one would jump; a legal-only target does not."""
    values, masks = case
    agent_class = AGENT_CLASSES[name]
    n_actions = values.shape[1]
    legal_only = agent_class.from_spaces(2, n_actions, seed=seed, gamma=0.5, learning_rate=1.0)
    poisoned = agent_class.from_spaces(2, n_actions, seed=seed, gamma=0.5, learning_rate=1.0)
    for agent, illegal_value in ((legal_only, 0.0), (poisoned, 1e9)):
        agent._q1[1] = np.where(masks[0], values[0], illegal_value)
        if name == "DoubleQLearning":  # its second table values the next state too (Lenient's: temperatures)
            agent._q2[1] = np.where(masks[0], values[0], illegal_value)
        agent.observe(0, 0, 1.0, 1, False, next_action_mask=masks[0])
    np.testing.assert_array_equal(legal_only._q1[0], poisoned._q1[0])
    if name == "QLearning":
        assert legal_only._q1[0, 0] == 1.0 + 0.5 * float(values[0][masks[0]].max())  # the table is float64


class MaskedMatrixGame:
    """A repeated matrix game whose observations carry an action mask (random, or all True), as a PettingZoo
    parallel env; an illegal action raises."""

    def __init__(self, game="climbing", all_legal=False, n_rounds=30):
        from boltzgym.envs.matrix_game import parallel_env

        self.inner, self.all_legal = parallel_env(game=game, n_rounds=n_rounds), all_legal
        self.possible_agents = self.inner.possible_agents
        n = int(self.inner.action_space("player_0").n)
        self._space = gym.spaces.Dict({"observation": self.inner.observation_space("player_0"),
                                       "action_mask": gym.spaces.MultiBinary(n)})  # fmt: skip
        self.rng = np.random.default_rng(0)
        self.illegal_checks = 0

    @property
    def agents(self):
        return self.inner.agents

    def observation_space(self, agent):
        return self._space

    def action_space(self, agent):
        return self.inner.action_space(agent)

    def _wrap(self, observations):
        self.masks = {}
        for agent in observations:
            n = int(self.inner.action_space(agent).n)
            mask = np.ones(n, np.int8) if self.all_legal else (self.rng.random(n) < 0.5).astype(np.int8)
            mask[self.rng.integers(n)] = 1
            self.masks[agent] = mask
        return {agent: {"observation": obs, "action_mask": self.masks[agent]} for agent, obs in observations.items()}

    def reset(self, seed=None, options=None):
        observations, infos = self.inner.reset(seed=seed)
        return self._wrap(observations), infos

    def step(self, actions):
        for agent, action in actions.items():
            assert self.masks[agent][action], f"{agent} took the illegal action {action}"
            self.illegal_checks += 1
        observations, *rest = self.inner.step(actions)
        return (self._wrap(observations), *rest)


@pytest.mark.parametrize("algorithm", ["q-learning", "sarsa", "expected-sarsa", "double-q", "hysteretic", "lenient",
                                       "distributed"])  # fmt: skip
def test_independent_learners_never_take_an_illegal_action(algorithm):
    from boltzgym.agents.independent import IndependentQLearning

    env = MaskedMatrixGame()
    learners = IndependentQLearning(env, algorithm, seed=0, exploration_steps=1000).learn(2_000)
    assert env.illegal_checks == 2 * 2_000  # every action of every step was checked
    observations, _ = env.reset(seed=1)
    for _ in range(50):
        actions, _ = learners.predict(observations)
        observations, *_ = env.step(actions)  # greedy actions are legal too (step checks them)
        if not env.agents:
            observations, _ = env.reset()


def test_an_all_ones_mask_gives_the_unmasked_independent_learners():
    from boltzgym.agents.independent import IndependentQLearning
    from boltzgym.envs.matrix_game import parallel_env

    masked = IndependentQLearning(MaskedMatrixGame(all_legal=True), "expected-sarsa", seed=4).learn(1_500)
    plain = IndependentQLearning(parallel_env(game="climbing", n_rounds=30), "expected-sarsa", seed=4).learn(1_500)
    for agent in plain.agents:
        np.testing.assert_array_equal(masked.q_tables()[agent], plain.q_tables()[agent])


@pytest.mark.parametrize("mode", ["next_step", "same_step"])
def test_dqn_on_a_vector_env_of_masked_envs_takes_legal_actions_only(mode):
    autoreset = {"next_step": gym.vector.AutoresetMode.NEXT_STEP, "same_step": gym.vector.AutoresetMode.SAME_STEP}
    envs = gym.vector.SyncVectorEnv([RandomMaskEnv, RandomMaskEnv], autoreset_mode=autoreset[mode])
    agent = DQN(envs, seed=0, **SMALL).learn(400)  # each env raises on an illegal action
    resets = 0 if mode == "same_step" else 200 // 13  # NEXT_STEP spends one step of each 13 resetting an env
    assert [env.actions_taken for env in envs.envs] == [200 - resets] * 2
    assert agent.replay_buffer.next_action_masks[: agent.replay_buffer.rows].any(axis=-1).all()
