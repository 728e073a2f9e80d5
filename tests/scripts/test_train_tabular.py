"""``boltzgym train q-learning|sarsa|expected-sarsa|double-q`` end to end, the demo part and ``boltzgym envs``."""

from __future__ import annotations

import csv
import json

import gymnasium as gym
import pytest

from boltzgym.agents.planning import expected_return
from boltzgym.experiments.tabular_training import AGENTS, demo_part, train
from boltzgym.scripts import cli
from boltzgym.scripts.envs_command import list_envs
from boltzgym.scripts.train import SUMMARY_KEYS as TRAIN_SUMMARY_KEYS
from boltzgym.scripts.train import TRAINERS, TrainRequest

SUMMARY_KEYS = set(TRAIN_SUMMARY_KEYS)


def test_every_tabular_agent_is_registered():
    assert all(TRAINERS[name] == "boltzgym.experiments.tabular_training" for name in AGENTS)


def test_train_json_writes_the_run_folder_and_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "q-learning", "--env", "boltzgym/GridWorld-v0", "--env-kwarg", "map_name=cliff"]
    argv += ["--total-timesteps", "20000", "--seed", "0", "--eval-episodes", "5", "--json", "--out", str(out)]
    argv += ["--set", "learning_rate=0.5", "--set", "epsilon_start=0.1", "--set", "epsilon_end=0.1"]
    assert cli.main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert SUMMARY_KEYS <= set(summary)
    assert (summary["agent"], summary["env"], summary["steps"], summary["seed"]) == (
        "q-learning",
        "boltzgym/GridWorld-v0",
        20000,
        0,
    )
    assert summary["optimal_mean_return"] == -13.0 and summary["eval_mean_return"] == -13.0
    assert summary["steps_per_second"] > 0 and summary["fast_path"] is True
    for name in ("summary.json", "metrics.csv", "learning_curve.png", "value_policy.png", "checkpoint/config.json"):
        assert (out / name).is_file(), name
    with open(out / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == summary["training_episodes"] and set(rows[0]) == {"episode", "timestep", "return"}

    resumed = tmp_path / "resumed"
    argv = [
        "train",
        "q-learning",
        "--env",
        "boltzgym/GridWorld-v0",
        "--env-kwarg",
        "map_name=cliff",
        "--total-timesteps",
        "500",
    ]
    argv += ["--eval-episodes", "2", "--json", "--out", str(resumed), "--resume", str(out / "checkpoint")]
    assert cli.main(argv) == 0
    assert json.loads(capsys.readouterr().out)["num_timesteps"] == 20500


def test_train_on_a_gymnasium_env_without_time_limit(tmp_path):
    request = TrainRequest(agent="sarsa", env_id="CliffWalking-v1", steps=3000, eval_episodes=2, out_dir=tmp_path)
    summary, table = train(request)
    assert summary["optimal_mean_return"] == expected_return(gym.make("CliffWalking-v1"), horizon=1000) == -13.0
    assert (tmp_path / "value_policy.png").is_file() and "optimal expected return" in table


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--env", "NoSuchEnv-v0"], "--env 'NoSuchEnv-v0'"),
        (["--env", "FrozenLake-v1", "--set", "gamma=2"], "gamma must be in [0.0, 1.0], got 2.0"),
        (["--env", "CartPole-v1"], "env.observation_space must be gymnasium.spaces.Discrete"),
        (["--env", "FrozenLake-v1", "--env-kwarg", "bogus=1"], "--env-kwarg"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys, extra, message):
    assert cli.main(["train", "double-q", "--total-timesteps", "10", "--out", str(tmp_path), *extra]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err


def test_demo_part(tmp_path):
    result = demo_part(tmp_path, seed=0)
    assert result["greedy_return"] == result["optimal_return"] == -13.0
    assert "Q-learning on the cliff" in result["result"] and (tmp_path / "value_policy.png").is_file()


def test_envs_command_lists_the_tabular_envs():
    ids = {entry["id"] for entry in list_envs()}
    assert {"boltzgym/GridWorld-v0", "boltzgym/TabularMDP-v0"} <= ids


@pytest.mark.parametrize("agent", AGENTS)
def test_cli_defaults_solve_the_default_grid_for_every_agent_and_seed(tmp_path, agent):
    """The documented example (`--steps 20000`, no --set) must reach the optimum: random tie-breaking and an
    exploration decay scaled to the run keep sparse-reward grids from stalling in the start corner."""
    for seed in range(3):
        request = TrainRequest(
            agent=agent, env_id="boltzgym/GridWorld-v0", steps=20_000, seed=seed, eval_episodes=1, out_dir=tmp_path
        )
        summary, _ = train(request)
        assert summary["eval_mean_return"] == summary["optimal_mean_return"] == 1.0, (agent, seed)
