"""`boltzgym train` keeps nothing lost and nothing silently wrong (issue 9, cases 2, 3, 5, 6, 7)."""

from __future__ import annotations

import json
import os
import signal

import gymnasium as gym
import numpy as np
import pytest

from boltzgym.agents.dqn import DQN
from boltzgym.agents.tabular import QLearning, TabularAgent
from boltzgym.experiments import agent_training as train_common
from boltzgym.scripts import cli
from boltzgym.utils.checkpoint import is_checkpoint
from boltzgym.utils.validation import DivergenceError

TABULAR = ["train", "q-learning", "--env", "FrozenLake-v1", "--eval-episodes", "2", "--set", "use_fast_path=false"]
TINY_DQN = ["--set", "learning_starts=50", "--set", "batch_size=16", "--set", "net_arch=[8]", "--eval-episodes", "1"]


def _interrupt_at(monkeypatch, step):
    """Send ourselves SIGINT once training reaches ``step`` (as a user's Ctrl-C would, from outside the loop)."""
    original = train_common._PeriodicCheckpoint.on_step

    def on_step(self):
        if self.agent.num_timesteps == step:
            os.kill(os.getpid(), signal.SIGINT)
        return original(self)

    monkeypatch.setattr(train_common._PeriodicCheckpoint, "on_step", on_step)


def test_ctrl_c_saves_a_checkpoint_exits_130_and_resume_finishes(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    argv = ["train", "dqn", "--env", "CartPole-v1", "--total-timesteps", "400", *TINY_DQN, "--out", str(out), "--json"]
    _interrupt_at(monkeypatch, 380)  # at 95%
    handler = signal.getsignal(
        signal.SIGINT
    )  # Python's default, or SIG_IGN where the shell started us in the background
    assert cli.main(argv) == 130
    err = capsys.readouterr().err
    assert f"checkpoint saved to {out / 'checkpoint'}" in err and "--resume" in err
    assert DQN.load(out / "checkpoint").num_timesteps == 380 and not (out / "summary.json").exists()
    assert signal.getsignal(signal.SIGINT) is handler  # the handler is restored
    monkeypatch.undo()
    # a plain rerun into the folder would replace the interrupted run's checkpoint: refused
    assert cli.main(argv) == 2
    assert "--resume" in capsys.readouterr().err
    resume = ["train", "dqn", "--env", "CartPole-v1", "--total-timesteps", "20", "--eval-episodes", "1", "--json"]
    assert cli.main([*resume, "--out", str(out), "--resume", str(out / "checkpoint")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["num_timesteps"] == 400 and json.loads((out / "summary.json").read_text()) == summary


def test_checkpoint_every_writes_periodic_checkpoints(tmp_path, capsys, monkeypatch):
    saved_steps = []
    original = TabularAgent.save

    def save(self, path):
        saved_steps.append(self.num_timesteps)
        return original(self, path)

    monkeypatch.setattr(TabularAgent, "save", save)
    out = tmp_path / "run"
    assert (
        cli.main([*TABULAR, "--total-timesteps", "1000", "--checkpoint-every", "300", "--out", str(out), "--json"]) == 0
    )
    capsys.readouterr()
    assert saved_steps == [300, 600, 900, 1000]  # three periodic saves, then the final one
    assert TabularAgent.load(out / "checkpoint").num_timesteps == 1000


def test_tabular_ctrl_c_on_the_fast_path_saves_between_chunks(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(TabularAgent, "fast_chunk_steps", 1000)
    _interrupt_at(monkeypatch, 3000)
    out = tmp_path / "run"
    argv = ["train", "sarsa", "--env", "FrozenLake-v1", "--total-timesteps", "100000", "--out", str(out)]
    assert cli.main(argv) == 130
    assert "checkpoint saved to" in capsys.readouterr().err
    assert TabularAgent.load(out / "checkpoint").num_timesteps == 3000


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--env-kwarg", "map_name=9x9"],
            "--env 'FrozenLake-v1' --env-kwarg map_name=9x9: making the env failed: KeyError",
        ),
        (["--env-kwarg", "is_slippery=maybe", "--env-kwarg", "desc=3"], "--env-kwarg"),
    ],
)
def test_env_errors_are_one_line_naming_env_and_env_kwarg(tmp_path, capsys, extra, message):
    assert cli.main([*TABULAR, "--total-timesteps", "10", "--out", str(tmp_path / "run"), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("what", ["file", "foreign folder"])
def test_a_checkpoint_slot_that_is_not_a_checkpoint_is_refused_before_any_work(tmp_path, capsys, what):
    out = tmp_path / "run"
    out.mkdir()
    if what == "file":
        (out / "checkpoint").write_text("keep")
    else:
        (out / "checkpoint").mkdir()
        (out / "checkpoint" / "notes.txt").write_text("keep")
    assert cli.main([*TABULAR, "--total-timesteps", "10", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "checkpoint" in err
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint"]  # nothing written, lock released


def test_dqn_nan_loss_stops_keeps_the_last_good_checkpoint_and_exits_3(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    argv = ["train", "dqn", "--env", "CartPole-v1", "--total-timesteps", "600", *TINY_DQN, "--out", str(out)]
    original = gym.make

    def make_with_nan_rewards(env_id, **kwargs):  # rewards turn NaN after step 250: a broken env
        env = original(env_id, **kwargs)
        counter = {"steps": 0}

        def reward(value):
            counter["steps"] += 1
            return float("nan") if counter["steps"] > 250 else value

        return gym.wrappers.TransformReward(env, reward)

    monkeypatch.setattr(gym, "make", make_with_nan_rewards)
    assert cli.main([*argv, "--checkpoint-every", "200"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "diverged" in err[0] and "TD loss is nan" in err[0]
    kept = DQN.load(out / "checkpoint")  # the last good one loads: finite weights
    assert kept.num_timesteps == 200 and not (out / "summary.json").exists()


def test_a_diverged_tabular_agent_is_not_saved(tmp_path):
    request = train_common.TrainRequest(agent="q-learning", env_id="FrozenLake-v1", steps=10, out_dir=tmp_path)
    agent = QLearning(gym.make("FrozenLake-v1"), seed=0)
    agent._q1[3, 1] = np.inf  # as a huge reward would leave it

    def check_finite():
        train_common.check_finite_array(agent.q_table, "the Q table", agent.num_timesteps, "lower learning_rate")

    with pytest.raises(DivergenceError, match="the Q table became non-finite"):
        train_common.learn(agent, request, lambda: agent.save(tmp_path / "checkpoint"), check_finite)
    assert not is_checkpoint(tmp_path / "checkpoint")
