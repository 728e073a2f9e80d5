"""``boltzgym train dqn`` end to end: JSON summary, run-folder files, resume, bad arguments."""

from __future__ import annotations

import csv
import json

from boltzgym.experiments.dqn_training import train
from boltzgym.scripts import cli
from boltzgym.scripts.train import SUMMARY_KEYS as TRAIN_SUMMARY_KEYS
from boltzgym.scripts.train import TrainRequest

TINY = ["--set", "learning_starts=100", "--set", "batch_size=16", "--set", "net_arch=[16]", "--set", "train_freq=4"]
SUMMARY_KEYS = set(TRAIN_SUMMARY_KEYS)


def test_cli_json_run_then_resume(tmp_path, capsys):
    out = tmp_path / "run"
    argv = [
        "train",
        "dqn",
        "--env",
        "CartPole-v1",
        "--total-timesteps",
        "300",
        "--eval-episodes",
        "3",
        "--out",
        str(out),
    ]
    assert cli.main([*argv, "--seed", "1", "--json", *TINY]) == 0
    summary = json.loads(capsys.readouterr().out)  # exactly one JSON object on stdout
    assert SUMMARY_KEYS <= summary.keys()
    assert summary["agent"] == "dqn" and summary["env"] == "CartPole-v1" and summary["seed"] == 1
    assert summary["steps"] == 300 and summary["eval_episodes"] == 3 and summary["optimal_mean_return"] is None
    assert summary["eval_mean_return"] >= 8.0  # CartPole gives at least 8 steps of reward 1
    assert summary["hyperparameters"]["net_arch"] == [16]
    # the CartPole preset evaluates every 5000 steps and at the end (here only the end), keeping the best weights
    assert summary["hyperparameters"]["eval_freq"] == 5000 and summary["eval_episodes_played"] == 10
    assert summary["best_eval_timesteps"] == 300 and summary["eval_timesteps"] >= 10 * 8
    for name in (
        "summary.json",
        "metrics.csv",
        "learning_curve.png",
        "checkpoint/config.json",
        "checkpoint/replay.npz",
    ):
        assert (out / name).is_file(), name
    with open(out / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and "charts/episode_return" in rows[0]

    resumed = tmp_path / "resumed"
    argv = [
        "train",
        "dqn",
        "--env",
        "CartPole-v1",
        "--total-timesteps",
        "200",
        "--eval-episodes",
        "2",
        "--out",
        str(resumed),
    ]
    assert cli.main([*argv, "--resume", str(out / "checkpoint"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["num_timesteps"] == 500 and summary["resumed_from"] == str(out / "checkpoint")
    assert summary["seed"] == 1  # the checkpoint's seed drives the resumed run, not the --seed default


def test_cli_bad_arguments_exit_2_naming_them(tmp_path, capsys):
    base = ["train", "dqn", "--env", "CartPole-v1", "--total-timesteps", "10", "--out", str(tmp_path)]
    assert cli.main([*base, "--set", "learning_rat=0.1"]) == 2
    assert "learning_rat" in capsys.readouterr().err
    assert cli.main([*base, "--resume", str(tmp_path / "missing")]) == 2
    assert "missing" in capsys.readouterr().err
    assert cli.main(["train", "dqn", "--env", "Pendulum-v1", "--total-timesteps", "10", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Discrete action space" in err


def test_trainer_on_pixel_gridworld(tmp_path):
    request = TrainRequest(
        agent="dqn",
        env_id="boltzgym/PixelGridWorld-v0",
        steps=200,
        seed=0,
        eval_episodes=2,
        out_dir=tmp_path,
        hyperparameters={"learning_starts": 100, "batch_size": 16},
    )
    summary, table = train(request)
    assert summary["num_timesteps"] == 200 and summary["gradient_steps"] == 25
    assert "PixelGridWorld" in table and (tmp_path / "checkpoint" / "model.pt").is_file()


def test_cli_rejects_hyperparameters_of_the_wrong_kind_in_one_line(tmp_path, capsys):
    base = ["train", "dqn", "--env", "CartPole-v1", "--total-timesteps", "10", "--out", str(tmp_path / "run")]
    cases = [  # values are parsed by the field's type (boltzgym.utils.assignments), as fit's are
        ("double_q=maybe", "--set double_q=maybe: expected bool"),
        ("net_arch=64,x", "--set net_arch=64,x: expected tuple"),
        ("net_arch=64,0", "net_arch must be a list of positive integers, e.g. [64, 64], got"),
        ("conv_channels=[16, 0]", "conv_channels must be a list of positive integers, e.g. [16, 32], got"),
        ("buffer_size=15000.5", "--set buffer_size=15000.5: expected int"),  # 1e5 is accepted
    ]
    for setting, message in cases:
        assert cli.main([*base, "--set", setting]) == 2, setting
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and message in err, (setting, err)
    assert not (tmp_path / "run").exists()  # nothing written for bad input


def test_resuming_into_the_same_folder_keeps_every_metrics_row(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "dqn", "--env", "CartPole-v1", "--eval-episodes", "2", "--out", str(out), "--json"]
    assert cli.main([*argv, "--total-timesteps", "300", *TINY]) == 0
    first = json.loads(capsys.readouterr().out)
    with open(out / "metrics.csv") as handle:
        first_rows = list(csv.DictReader(handle))
    assert cli.main([*argv, "--total-timesteps", "300", "--resume", str(out / "checkpoint")]) == 0
    resumed = json.loads(capsys.readouterr().out)
    with open(out / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[: len(first_rows)] == first_rows  # the first run's rows, unchanged, then the new ones
    episodes = [row for row in rows if row["charts/episode_return"]]
    # the CSV and learning_curve.png (drawn from the agent's episode lists) show the same episodes
    assert len(episodes) == resumed["training_episodes"] > first["training_episodes"]
    assert int(rows[-1]["step"]) > 300


def test_cli_resume_from_a_file_asks_for_the_checkpoint_folder(tmp_path, capsys):
    weights = tmp_path / "model.pt"
    weights.write_bytes(b"not a folder")
    argv = ["train", "dqn", "--env", "CartPole-v1", "--total-timesteps", "10", "--out", str(tmp_path / "run")]
    assert cli.main([*argv, "--resume", str(weights)]) == 2  # the deprecated --resume PATH form
    deprecation, error = capsys.readouterr().err.strip().splitlines()
    assert (
        deprecation.startswith("boltzgym: --resume PATH is deprecated") and "is a file, expected a checkpoint" in error
    )
