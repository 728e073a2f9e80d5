"""Every trainer logs to ``OUT/tensorboard/`` exactly the scalars of its ``metrics.csv``, read back with
TensorBoard's own ``EventAccumulator``: same tags (``boltzgym.utils.metrics.metric_tag``), same steps, same values
(TensorBoard's float32)."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest

from boltzgym.scripts import cli
from boltzgym.utils.metrics import metric_tag

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

DQN_TINY = ["--set", "learning_starts=100", "--set", "batch_size=16", "--set", "net_arch=[16]"]
DQN_TINY += ["--set", "train_freq=4", "--set", "gradient_steps=1", "--set", "log_interval=10"]
IQL = ["train", "iql", "--env", "boltzgym/RepeatedMatrixGame-v0", "--env-kwarg", "game=prisoners-dilemma"]
IDQN = ["train", "idqn", "--env", "boltzgym/SpinGame-v0", "--env-kwarg", "side=3", "--env-kwarg", "n_agents=3"]
CLIFF = ["train", "q-learning", "--env", "boltzgym/GridWorld-v0", "--env-kwarg", "map_name=cliff"]
FIT_MLP = ["fit", "mlp", "--data", "parity-3", "--set", "hidden_sizes=8", "--set", "validation_split=0.2"]
FIT_RBM = ["fit", "rbm", "--data", "bars-stripes-3", "--set", "n_components=8", "--set", "cd_k=2"]
FIT_WORD2VEC = ["fit", "word2vec", "--set", "min_count=1", "--set", "vector_size=8"]
ANNEAL = ["anneal", "--problem", "maxcut", "--n", "40", "--num-sweeps", "60", "--num-reads", "3"]
ONE_EVAL = ["--eval-episodes", "1"]
BANDIT = ["bandit", "--means", "0.9,0.6,0.3", "--horizon", "300", "--runs", "40", "--policies", "ucb1,thompson"]

# command line, its x-axis column, its run column (a TensorBoard run per value)
TRAINERS = {
    "dqn": ([*"train dqn --env CartPole-v1 --total-timesteps 300 --eval-episodes 2".split(), *DQN_TINY], "step", None),
    "iql": ([*IQL, "--env-kwarg", "n_rounds=20", "--total-timesteps", "400", *ONE_EVAL], "timestep", None),
    "idqn": ([*IDQN, "--env-kwarg", "n_rounds=10", "--total-timesteps", "200", *ONE_EVAL], "timestep", None),
    "q-learning": ([*CLIFF, "--total-timesteps", "3000", *ONE_EVAL], "timestep", None),
    "fit mlp": ([*FIT_MLP, "--epochs", "3"], "epoch", None),
    "fit rbm": ([*FIT_RBM, "--epochs", "20"], "epoch", None),
    "fit word2vec": ([*FIT_WORD2VEC, "--epochs", "3"], "epoch", None),  # and --data, a file the test writes
    "anneal": (ANNEAL, "sweep", None),
    "bandit": (BANDIT, "t", "policy"),
}

# tags each trainer logs at least (the scheme: boltzgym.utils.metrics.metric_tag)
TAGS = {
    "dqn": {"charts/episode_return", "charts/epsilon", "losses/td_loss", "eval/mean_return"},
    "iql": {"charts/episode", "charts/return"},
    "idqn": {"charts/episode", "charts/return"},
    "q-learning": {"charts/episode", "charts/return"},
    "fit mlp": {"losses/train_loss", "losses/val_loss", "eval/val_accuracy", "charts/learning_rate"},
    "fit rbm": {"charts/log_likelihood", "charts/log_likelihood_stderr"},
    "fit word2vec": {"losses/train_loss"},
    "anneal": {"charts/mean_energy_per_spin"},
    "bandit": {"charts/regret_mean", "charts/regret_stderr", "charts/auer_ucb1_bound", "charts/lai_robbins_bound"},
}


def assert_events_equal_csv(out, step: str, run: str | None = None) -> int:
    """Each TensorBoard run folder holds one event file whose scalars are the CSV's columns; returns the count."""
    with open(out / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    runs: dict[str, list[dict]] = {}
    for row in rows:
        runs.setdefault(row[run] if run else "", []).append(row)
    folders = {path.parent for path in (out / "tensorboard").rglob("*tfevents*")}
    assert folders == {out / "tensorboard" / name for name in runs}
    points = 0
    for name, run_rows in runs.items():
        folder = out / "tensorboard" / name
        assert len(list(folder.glob("*tfevents*"))) == 1, folder
        expected: dict[str, list[tuple[int, np.float32]]] = {}
        for row in run_rows:
            for column, value in row.items():
                if column not in (step, run) and value != "":
                    expected.setdefault(metric_tag(column), []).append((int(row[step]), np.float32(float(value))))
        events = event_accumulator.EventAccumulator(str(folder), size_guidance={"scalars": 0}).Reload()
        actual = {
            tag: [(event.step, np.float32(event.value)) for event in events.Scalars(tag)]
            for tag in events.Tags()["scalars"]
        }
        assert actual == expected
        points += sum(map(len, expected.values()))
    return points


@pytest.fixture
def corpus_file(tmp_path):
    rng = np.random.default_rng(0)
    words = ["apple", "banana", "cherry", "tiger", "lion", "zebra"]
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(rng.choice(words, size=6)) + "." for _ in range(40)) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("trainer", list(TRAINERS))
def test_every_trainer_logs_its_metrics_csv_to_tensorboard(trainer, tmp_path, corpus_file, capsys):
    argv, step, run = TRAINERS[trainer]
    if trainer == "fit word2vec":
        argv = [*argv, "--data", str(corpus_file)]
    out = tmp_path / "run"
    assert cli.main([*argv, "--seed", "0", "--out", str(out), "--json"]) == 0, capsys.readouterr().err
    assert assert_events_equal_csv(out, step, run) > 0
    tags = {metric_tag(column) for column in (out / "metrics.csv").read_text().splitlines()[0].split(",")}
    assert TAGS[trainer] <= tags and {tag.split("/")[0] for tag in tags} <= {"charts", "losses", "eval"}


def test_resumed_runs_rewrite_one_event_file_holding_every_row(tmp_path, capsys):
    """A resumed run's metrics.csv holds every row since step 0; so do its events, each point once."""
    runs = [  # the first run, its continuation (the checkpoint keeps DQN's settings), the x-axis
        (TRAINERS["dqn"][0], "train dqn --env CartPole-v1 --total-timesteps 200".split(), "step"),
        ([*FIT_MLP, "--epochs", "2"], [*FIT_MLP, "--epochs", "4"], "epoch"),
    ]
    for argv, resumed, step in runs:
        out = tmp_path / argv[1]
        assert cli.main([*argv, "--out", str(out)]) == 0, capsys.readouterr().err
        first = assert_events_equal_csv(out, step)
        assert cli.main([*resumed, "--out", str(out), "--resume"]) == 0, capsys.readouterr().err
        assert assert_events_equal_csv(out, step) > first


def test_the_commands_that_need_no_torch_log_without_importing_it(tmp_path):
    script = f"""
import sys
from boltzgym.scripts import cli
assert cli.main({[*BANDIT, "--out", str(tmp_path / "b")]!r}) == 0
assert cli.main({[*CLIFF, "--total-timesteps", "500", "--eval-episodes", "1", "--out", str(tmp_path / "q")]!r}) == 0
assert cli.main({[*IQL, "--total-timesteps", "200", "--eval-episodes", "1", "--out", str(tmp_path / "i")]!r}) == 0
print("torch" in sys.modules, "tensorflow" in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False False"
    for name in ("b", "q", "i"):
        assert list((tmp_path / name / "tensorboard").rglob("*tfevents*"))
