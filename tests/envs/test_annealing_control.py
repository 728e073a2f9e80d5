"""AnnealingControl-v0: Gymnasium checks, the geometric staircase, the telescoping reward, bad input."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import boltzgym.envs  # noqa: F401
from boltzgym.envs.annealing_control import AnnealingControlEnv, make_instance
from boltzgym.sims.schedules import default_beta_range


@pytest.mark.parametrize("instance_class", ["lattice2d", "lattice2d-gaussian", "sk", "maxcut"])
def test_check_env_every_class(instance_class):
    env = AnnealingControlEnv(instance_class=instance_class, n_spins=16, n_replicas=4, sweeps_per_step=2, n_steps=4)
    check_env(env, skip_render_check=True)


def test_continuous_check_env():
    env = gym.make("boltzgym/AnnealingControl-v0", n_spins=16, n_replicas=3, n_steps=3, action_type="continuous")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # clean: no checker warning either
        check_env(env.unwrapped)


def test_geometric_actions_follow_the_geometric_schedule_and_reward_telescopes():
    env = AnnealingControlEnv(n_spins=16, n_replicas=8, sweeps_per_step=3, n_steps=6, instance_seeds=[7])
    obs, info = env.reset(seed=1)
    hot, cold = default_beta_range(make_instance("lattice2d", 16, 7))
    initial_mean = obs[0]
    one = list(env.log_beta_steps).index(1.0)
    betas, total, terminated = [], 0.0, False
    while not terminated:
        obs, reward, terminated, truncated, info = env.step(one)
        assert not truncated
        betas.append(info["beta"])
        total += reward
    np.testing.assert_allclose(betas, np.geomspace(hot, cold, 6), rtol=1e-12)
    assert obs[4] == pytest.approx(1.0) and obs[5] == pytest.approx(1.0)
    np.testing.assert_allclose(total, initial_mean - info["energies"].mean(), atol=1e-5)
    model = env.unwrapped.model
    np.testing.assert_allclose(info["energies"], model.energy(env.unwrapped.states) / 16)
    assert info["best_energy_per_spin"] == pytest.approx(info["energies"].min())


def test_beta_is_clipped_and_said_so():
    env = AnnealingControlEnv(n_spins=16, n_replicas=2, n_steps=5)
    env.reset(seed=0)
    env.step(0)
    _, _, _, _, info = env.step(0)  # -1 step below beta_hot
    assert info["beta_clipped"] and info["beta"] == env.beta_hot > 0


def test_same_seed_same_episode_and_instance_seeds():
    def run(seed):
        env = AnnealingControlEnv(n_spins=25, n_replicas=4, n_steps=4, instance_seeds=[3, 4])
        obs, info = env.reset(seed=seed)
        rewards = [env.step(3)[1] for _ in range(4)]
        return obs, rewards, info["instance_seed"], env.states.copy()

    a, b = run(11), run(11)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1] and a[2] == b[2] in (3, 4)
    np.testing.assert_array_equal(a[3], b[3])


def test_registered_and_cold_schedule_lowers_energy():
    env = gym.make("boltzgym/AnnealingControl-v0", n_spins=36, n_replicas=8)
    obs, _ = env.reset(seed=2)
    for _ in range(20):
        obs, *_ = env.step(3)
    assert obs[0] < -1.0  # 2D +-J ground state ~ -1.4 per spin; random spins ~ 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"instance_class": "torus"}, "instance_class"),
        ({"n_spins": 20}, "n_spins"),
        ({"n_replicas": 0}, "n_replicas"),
        ({"action_type": "grid"}, "action_type"),
        ({"log_beta_steps": [1.0]}, "log_beta_steps"),
        ({"reward": "max"}, "reward"),
        ({"beta_max_factor": 0.5}, "beta_max_factor"),
        ({"instance_seeds": []}, "instance_seeds"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AnnealingControlEnv(**kwargs)


def test_bad_action_and_step_before_reset():
    env = AnnealingControlEnv(n_spins=16)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(9)
