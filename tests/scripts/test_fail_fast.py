"""Oversized work is refused before anything is allocated, naming the argument and the memory (issue 9, case 4)."""

from __future__ import annotations

import pytest

from boltzgym.agents.bandit_simulation import simulate
from boltzgym.scripts import cli
from boltzgym.utils.resources import MemoryBudgetError

HUGE = str(10**13)


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["bandit", "--horizon", HUGE], "--horizon"),
        (["bandit", "--runs", HUGE, "--arms", "2"], "--runs"),
        (["bandit", "--arms", HUGE, "--runs", "10"], "--runs/--arms"),
        (["anneal", "--n", str(10**7)], "--n"),
        (["anneal", "--num-reads", str(10**9), "--num-sweeps", "10"], "--num-reads"),
        (["anneal", "--num-sweeps", HUGE], "--num-sweeps"),
        (
            ["anneal", "--sampler", "pt", "--temperatures", str(10**8), "--num-sweeps", "10"],
            "--num-reads/--temperatures",
        ),
        (["hopfield", "capacity", "--n", str(10**7)], "--n"),
        (["hopfield", "recall", "--num-sweeps", HUGE], "--num-sweeps"),
        (["fit", "rbm", "--set", f"n_components={HUGE}"], "n_components"),
        (
            ["train", "dqn", "--env", "CartPole-v1", "--total-timesteps", "10", "--set", f"buffer_size={HUGE}"],
            "buffer_size",
        ),
    ],
)
def test_oversized_arguments_are_one_line_naming_the_argument(tmp_path, capsys, argv, flag):
    assert cli.main([*argv, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"error: {flag}: " in err[0] and "of memory, more than the" in err[0], err
    assert not (tmp_path / "run").exists()


def test_library_entry_points_refuse_too(monkeypatch):
    monkeypatch.setenv("BOLTZGYM_MEMORY_LIMIT", "64K")
    with pytest.raises(MemoryBudgetError, match=r"^runs: .*64 KiB available"):
        simulate("ucb1", [0.1, 0.9], horizon=10, runs=100_000, seed=0)
