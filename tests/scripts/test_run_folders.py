"""A run owns its --out folder: checked before any work, locked for the run's lifetime, never left empty."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from boltzgym.scripts import cli
from boltzgym.scripts._common import LOCK_FILE

BANDIT = ["bandit", "--arms", "3", "--horizon", "20", "--runs", "2", "--json"]


def test_out_that_is_a_file_is_refused_before_any_work(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert cli.main([*BANDIT, "--out", str(target)]) == 2
    assert "--out" in capsys.readouterr().err and target.read_text() == "x"
    assert cli.main([*BANDIT, "--out", str(target / "run")]) == 2  # below a file: cannot be created
    assert "cannot be created" in capsys.readouterr().err and target.read_text() == "x"


def test_empty_out_is_an_argument_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([*BANDIT, "--out", ""])
    assert info.value.code == 2
    assert "--out" in capsys.readouterr().err


def test_unwritable_out_is_refused(tmp_path, capsys):
    if os.geteuid() == 0:  # root writes through permission bits; sysfs refuses new folders to everyone
        assert cli.main([*BANDIT, "--out", "/sys/boltzgym-run"]) == 2
        assert "--out '/sys/boltzgym-run' cannot be created" in capsys.readouterr().err
        return
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert cli.main([*BANDIT, "--out", str(locked / "run")]) == 2
    finally:
        locked.chmod(0o700)
    assert "not writable" in capsys.readouterr().err


def test_rejected_command_leaves_no_empty_folder(tmp_path, capsys):
    out = tmp_path / "a" / "b"
    assert cli.main(["bandit", "--means", "0.5,2.0", "--out", str(out)]) == 2  # means outside [0, 1]
    assert not (tmp_path / "a").exists()
    assert cli.main(["demo", "--only", "nope", "--out", str(out)]) == 2
    assert not (tmp_path / "a").exists()
    capsys.readouterr()


def test_a_finished_run_is_refused_unless_overwrite(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main([*BANDIT, "--out", str(out)]) == 0
    first = json.loads((out / "summary.json").read_text())
    assert not (out / LOCK_FILE).exists()  # released at the end
    assert cli.main([*BANDIT, "--seed", "1", "--out", str(out)]) == 2
    assert "finished run" in capsys.readouterr().err
    assert json.loads((out / "summary.json").read_text()) == first
    assert cli.main([*BANDIT, "--seed", "1", "--out", str(out), "--overwrite"]) == 0
    assert json.loads((out / "summary.json").read_text())["seed"] == 1


def test_a_folder_held_by_a_live_run_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        record = {"pid": holder.pid, "host": os.uname().nodename, "command": "train-dqn", "started": 0}
        (out / LOCK_FILE).write_text(json.dumps(record))
        assert cli.main([*BANDIT, "--out", str(out)]) == 2
        assert "in use by another run" in capsys.readouterr().err
        assert not (out / "summary.json").exists()
    finally:
        holder.kill()
        holder.wait()
    # the holder died without releasing its lock: the stale lock is taken over
    assert cli.main([*BANDIT, "--out", str(out)]) == 0
    assert (out / "summary.json").exists() and not (out / LOCK_FILE).exists()


def test_two_concurrent_runs_into_one_folder_never_interleave(tmp_path):
    """The issue's case: two commands with different seeds and one --out. Exactly one may write the folder."""
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "boltzgym.scripts.cli", "bandit", "--arms", "3", "--horizon", "3000", "--runs", "200"]
    runs = [
        subprocess.Popen([*argv, "--seed", str(seed), "--out", str(out), "--json"], stdout=subprocess.PIPE, text=True)
        for seed in (1, 2)
    ]
    outputs = [run.communicate()[0] for run in runs]
    codes = sorted(run.returncode for run in runs)
    assert codes == [0, 2]
    winner = json.loads(next(text for run, text in zip(runs, outputs) if run.returncode == 0))
    assert json.loads((out / "summary.json").read_text())["seed"] == winner["seed"]
    assert not (out / LOCK_FILE).exists()


def test_unforeseen_memory_and_disk_errors_are_one_line(tmp_path, capsys, monkeypatch):
    from boltzgym.experiments import bandits as bandit  # the command calls its experiment

    def fail(error):
        def run(*args, **kwargs):
            raise error

        return run

    monkeypatch.setattr(bandit, "bandit_experiment", fail(MemoryError()))
    assert cli.main([*BANDIT, "--out", str(tmp_path / "a")]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "boltzgym bandit: error: out of memory; reduce the sizes of the run"
    ]
    monkeypatch.setattr(bandit, "bandit_experiment", fail(OSError(28, "No space left on device", "metrics.csv")))
    assert cli.main([*BANDIT, "--out", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device" in err[0] and "metrics.csv" in err[0]
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    ("argv", "work"),
    [
        (BANDIT, "boltzgym.experiments.bandits:bandit_experiment"),
        (["anneal", "--n", "16", "--num-sweeps", "5"], "boltzgym.experiments.annealing:anneal_problem"),
        (["hopfield", "capacity", "--n", "20"], "boltzgym.experiments.hopfield:capacity_summary"),
        (["fit", "rbm", "--epochs", "2"], "boltzgym.models.rbm_trainer:train_rbm"),
        (
            ["train", "q-learning", "--env", "FrozenLake-v1", "--total-timesteps", "10"],
            "boltzgym.experiments.tabular_training:train",
        ),
    ],
)
def test_out_is_checked_before_any_work(tmp_path, capsys, monkeypatch, argv, work):
    import importlib

    module, name = work.split(":")

    def work_started(*args, **kwargs):
        raise AssertionError("the work started before --out was checked")

    monkeypatch.setattr(importlib.import_module(module), name, work_started)
    (tmp_path / "file").write_text("x")
    assert cli.main([*argv, "--out", str(tmp_path / "file")]) == 2
    assert "--out" in capsys.readouterr().err
