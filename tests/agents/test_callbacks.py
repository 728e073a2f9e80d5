"""Callbacks and evaluation against a tiny scripted agent and env."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from boltzgym.agents.callbacks import (
    CallbackList,
    CheckpointCallback,
    EvalCallback,
    StopTrainingOnRewardThreshold,
    as_callback,
)
from boltzgym.agents.evaluation import evaluate_policy, run_episodes


class CountdownEnv(gym.Env):
    """Episode of 3 steps; reward 1 for action 1, 0 otherwise."""

    observation_space = gym.spaces.Discrete(4)
    action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return 0, {}

    def step(self, action):
        self.t += 1
        return self.t, float(action == 1), self.t >= 3, False, {}


class ScriptedAgent:
    def __init__(self, action):
        self.action, self.num_timesteps, self.saves = action, 0, []

    def predict(self, obs, deterministic=True):
        return self.action, None

    def save(self, path):
        self.saves.append(str(path))

    def learn(self, total_steps, callback=None, chunk=1):
        callback = as_callback(callback)
        callback.init_callback(self)
        callback.on_training_start()
        while self.num_timesteps < total_steps:
            self.num_timesteps += chunk
            if not callback.on_step():
                break
        callback.on_training_end()
        return self


def test_evaluate_policy_returns_mean_and_std():
    env = CountdownEnv()
    assert evaluate_policy(ScriptedAgent(1), env, 5) == (3.0, 0.0)
    np.testing.assert_array_equal(run_episodes(ScriptedAgent(0), env, 2), [0.0, 0.0])
    with pytest.raises(ValueError, match="n_episodes"):
        run_episodes(ScriptedAgent(0), env, 0)


def test_checkpoint_fires_when_a_chunk_crosses_the_frequency(tmp_path):
    agent = ScriptedAgent(1)
    checkpoint = CheckpointCallback(save_freq=10, save_path=tmp_path)
    agent.learn(35, callback=checkpoint, chunk=7)  # 7, 14, 21, 28, 35: crosses 10, 20, 30
    assert [p.split("_")[-2] for p in agent.saves] == ["14", "21", "35"]


def test_eval_callback_stops_on_reward_threshold():
    agent = ScriptedAgent(1)
    stop = StopTrainingOnRewardThreshold(reward_threshold=3.0)
    evaluation = EvalCallback(CountdownEnv(), eval_freq=5, n_eval_episodes=2, callback_on_new_best=stop)
    agent.learn(100, callback=[evaluation])
    assert agent.num_timesteps == 5
    assert evaluation.evaluations == [(5, 3.0, 0.0)]


def test_callback_list_runs_all_and_stops_when_one_says_so():
    agent = ScriptedAgent(0)
    evaluation = EvalCallback(CountdownEnv(), eval_freq=4, n_eval_episodes=1)
    stop = StopTrainingOnRewardThreshold(reward_threshold=0.0)
    stopper = EvalCallback(CountdownEnv(), eval_freq=8, n_eval_episodes=1, callback_on_new_best=stop)
    agent.learn(100, callback=CallbackList([evaluation, stopper]))
    assert agent.num_timesteps == 8 and len(evaluation.evaluations) == 2
    with pytest.raises(TypeError, match="callback"):
        as_callback("not a callback")
