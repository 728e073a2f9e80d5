"""DQN's eval_freq: periodic greedy evaluation during learn() and the restore of the best evaluated weights."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from boltzgym.agents.batched_evaluation import run_episodes_batched
from boltzgym.agents.best_policy import eval_env_factory
from boltzgym.agents.callbacks import Callback
from boltzgym.agents.dqn import DQN

TINY = {
    "learning_starts": 50,
    "batch_size": 16,
    "buffer_size": 500,
    "net_arch": (16,),
    "target_update_interval": 40,
    "train_freq": 4,
    "gradient_steps": 1,
    "learning_rate": 1e-2,
}
EVAL = {"eval_freq": 150, "eval_episodes": 3}


def _weights(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {key: value.clone() for key, value in net.state_dict().items()}


class _Snapshots(Callback):
    """Records the online and target weights at every multiple of 150 steps (when the evaluation runs)."""

    def __init__(self) -> None:
        super().__init__()
        self.weights: dict[int, tuple[dict, dict]] = {}

    def on_step(self) -> bool:
        if self.agent.num_timesteps % 150 == 0:
            self.weights[self.agent.num_timesteps] = (_weights(self.agent.q_net), _weights(self.agent.target_net))
        return True


def _assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)


def test_learn_restores_the_best_evaluated_weights_and_trains_as_without_evaluation():
    snapshots = _Snapshots()
    agent = DQN("CartPole-v1", seed=3, **TINY, **EVAL).learn(700, callback=snapshots)
    plain = DQN("CartPole-v1", seed=3, **TINY).learn(700)

    # the evaluations do not touch the training run: same episodes, same final weights before the restore
    assert agent.episode_returns == plain.episode_returns
    steps = [row[0] for row in agent.evaluations]
    assert steps == [150, 300, 450, 600, 700]  # every eval_freq steps, and the final policy
    assert agent.eval_episodes_played == 5 * 3
    assert agent.eval_timesteps > 0 and agent.num_timesteps == 700
    means = [row[1] for row in agent.evaluations]
    assert len(set(means)) > 1  # the policy changed between evaluations: the choice below is not trivial
    best = max(i for i, mean in enumerate(means) if mean == max(means))  # the latest among ties
    assert agent.best_eval_timesteps == steps[best]
    snapshots.weights[700] = (_weights(plain.q_net), _weights(plain.target_net))
    q_weights, target_weights = snapshots.weights[steps[best]]
    _assert_same(_weights(agent.q_net), q_weights)
    _assert_same(_weights(agent.target_net), target_weights)
    metrics = [row for row in agent.logger.rows if "eval/mean_return" in row]
    assert [row["step"] for row in metrics] == steps


def test_evaluations_are_seeded_reproducible_and_the_restored_policy_scores_its_best_mean():
    first = DQN("CartPole-v1", seed=5, **TINY, **EVAL).learn(450)
    second = DQN("CartPole-v1", seed=5, **TINY, **EVAL).learn(450)
    assert first.evaluations == second.evaluations
    _assert_same(_weights(first.q_net), _weights(second.q_net))
    other = DQN("CartPole-v1", seed=6, **TINY, **EVAL).learn(450)
    assert other.evaluations != first.evaluations
    # the restored weights replay the best evaluation exactly: its reset seeds come from (seed, stream, step)
    best_step = first.best_eval_timesteps
    best_mean = dict((step, mean) for step, mean, _ in first.evaluations)[best_step]
    eval_seed = int(np.random.SeedSequence([5, 0xE7A1, best_step]).generate_state(1)[0])
    replay = run_episodes_batched(first, lambda: gym.make("CartPole-v1"), 3, seed=eval_seed)
    assert replay.mean() == best_mean


def test_eval_freq_needs_envs_it_can_make_and_valid_counts():
    with pytest.raises(ValueError, match="eval_freq"):
        DQN("CartPole-v1", eval_freq=-1)
    with pytest.raises(ValueError, match="eval_episodes"):
        DQN("CartPole-v1", eval_episodes=0)
    from gymnasium.envs.classic_control.cartpole import CartPoleEnv

    with pytest.raises(ValueError, match="gym.make"):
        eval_env_factory(CartPoleEnv())  # built without gym.make: no spec
    made = eval_env_factory(gym.make("CartPole-v1", max_episode_steps=30))()
    assert made.spec.max_episode_steps == 30  # the training env's spec, time limit included
    vector = gym.vector.SyncVectorEnv([lambda: gym.make("CartPole-v1", max_episode_steps=20)] * 2)
    assert eval_env_factory(vector)().spec.max_episode_steps == 20
