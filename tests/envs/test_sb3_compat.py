"""Stable-Baselines3 as its users plug an env in: ``make_vec_env("boltzgym/...", n_envs=4)`` (which asks for
``render_mode="rgb_array"``) and a short PPO run, on every registered single-agent env."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env

from boltzgym.envs import boltzgym_env_ids

N_ENVS = 4
N_STEPS = 64  # per env and rollout: one rollout of 256 transitions per env id, about a second each


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("env_id", boltzgym_env_ids())
def test_make_vec_env_renders_frames_and_ppo_trains(env_id):
    vec_env = make_vec_env(env_id, n_envs=N_ENVS, seed=0)
    model = PPO("MlpPolicy", vec_env, n_steps=N_STEPS, batch_size=N_STEPS, n_epochs=2, seed=0, device="cpu")
    before = [p.detach().clone() for p in model.policy.parameters()]
    model.learn(total_timesteps=N_ENVS * N_STEPS)
    assert model.num_timesteps == N_ENVS * N_STEPS
    assert any(not torch.equal(a, b) for a, b in zip(before, model.policy.parameters())), "PPO did not update"
    observations = vec_env.reset()
    actions, _ = model.predict(observations, deterministic=True)
    assert len(actions) == N_ENVS and all(vec_env.action_space.contains(action) for action in actions)
    frames = vec_env.get_images()
    assert len(frames) == N_ENVS
    assert all(frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3 for frame in frames)
    vec_env.close()
