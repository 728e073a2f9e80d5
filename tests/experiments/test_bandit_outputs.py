"""``bandit_experiment``'s files are the same whether its worker process writes them or it writes them itself."""

from __future__ import annotations

import pytest

from boltzgym.experiments.bandits import bandit_experiment
from boltzgym.utils.workers import output_worker


def test_the_worker_process_writes_the_same_files_as_the_inline_path(tmp_path):
    kwargs = {"policies": ["ucb1", "thompson"], "means": [0.7, 0.5, 0.2], "horizon": 300, "runs": 20, "seed": 3}
    inline = bandit_experiment(tmp_path / "inline", **kwargs)
    with output_worker(["matplotlib.pyplot"]) as worker:
        in_worker = bandit_experiment(tmp_path / "worker", worker=worker, **kwargs)
    assert inline[:2] == in_worker[:2]  # summary and table
    for name in ("metrics.csv", "regret.png"):
        assert (tmp_path / "inline" / name).read_bytes() == (tmp_path / "worker" / name).read_bytes(), name
    events = [
        sorted(p.name for p in (tmp_path / run / "tensorboard").rglob("*") if p.is_file())
        for run in ("inline", "worker")
    ]
    assert len(events[0]) == len(events[1]) == 2  # one event file per policy


def test_an_error_in_the_worker_reaches_the_caller(tmp_path):
    blocker = tmp_path / "out"
    blocker.mkdir()
    (blocker / "regret.png").mkdir()  # a folder where the figure goes: the worker's write fails
    with output_worker() as worker, pytest.raises(OSError, match="regret.png"):
        bandit_experiment(blocker, policies=["ucb1"], means=[0.6, 0.4], horizon=50, runs=5, seed=0, worker=worker)
