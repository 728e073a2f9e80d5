"""``boltzgym sweep``: the search space, refusals before anything runs, and real Ray Tune sweeps on a local Ray.

Ray starts once for the test session (the ``local_ray`` fixture of tests/conftest.py); every sweep here reuses it.
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time

import pytest
import ray  # the 'distributed' extra, installed by make install

from boltzgym.scripts import cli
from boltzgym.scripts.sweep_trials import Trial, expand_trials, parse_grid, parse_random

TRAIN = ["train", "q-learning", "--env", "FrozenLake-v1", "--total-timesteps", "3000", "--eval-episodes", "20"]


def _run(capsys, argv: list[str]) -> tuple[int, dict | None, str]:
    status = cli.main(argv)
    captured = capsys.readouterr()
    return status, (json.loads(captured.out) if status == 0 else None), captured.err


def _rows(path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


# --- the search space ------------------------------------------------------------------------------------------


def test_grid_and_random_parse_typed_values():
    assert parse_grid(["learning_rate=0.1,0.5", "steps=100", "double_q=true,false", "name=a"]) == {
        "learning_rate": [0.1, 0.5],
        "steps": [100],
        "double_q": [True, False],
        "name": ["a"],
    }
    assert parse_random(["lr=loguniform(1e-4,1e-2)", "k=choice(1,2,x)"]) == {
        "lr": ("loguniform", [1e-4, 1e-2]),
        "k": ("choice", [1, 2, "x"]),
    }


@pytest.mark.parametrize(
    "item, message",
    [("lr", "--grid expects KEY=V1"), ("lr=", "--grid expects KEY=V1"), ("=1,2", "--grid expects KEY=V1")],
)
def test_bad_grid_items_name_the_option(item, message):
    with pytest.raises(ValueError, match=message):
        parse_grid([item])


@pytest.mark.parametrize("spec", ["lr=gauss(0,1)", "lr=uniform(1)", "lr=uniform(2,1)", "lr=loguniform(0,1)", "lr=5"])
def test_bad_random_items_name_the_option(spec):
    with pytest.raises(ValueError, match="--random"):
        parse_random([spec])


def test_expansion_is_grid_times_samples_times_seeds_and_reproducible():
    grid = {"a": [1, 2], "b": ["x", "y", "z"]}
    space = {"lr": ("loguniform", [1e-4, 1e-2]), "n": ("randint", [0, 3])}
    trials = expand_trials(grid, space, seeds=[0, 1], samples=2, sample_seed=7)
    assert len(trials) == 2 * 3 * 2 * 2
    assert [t.index for t in trials] == list(range(len(trials)))
    assert trials == expand_trials(grid, space, seeds=[0, 1], samples=2, sample_seed=7)
    assert trials != expand_trials(grid, space, seeds=[0, 1], samples=2, sample_seed=8)
    # every seed of a configuration has the same parameters; draws stay inside their ranges
    for first, second in zip(trials[::2], trials[1::2]):
        assert first.params == second.params and (first.seed, second.seed) == (0, 1)
    assert all(1e-4 <= t.params["lr"] <= 1e-2 and t.params["n"] in (0, 1, 2) for t in trials)
    assert Trial(index=3, params={}, seed=2).name == "trial-0003-seed2"


# --- refusals before any work ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sweep", *TRAIN, "--grid", "learning_rte=0.1,0.2"], "'learning_rte' is neither an option nor a hyper"),
        (["sweep", "envs", "--grid", "x=1"], "COMMAND must be one of"),
        (["sweep", "--grid", "x=1"], "a COMMAND to sweep is required"),
        (["sweep", *TRAIN, "--seed", "3"], "--seed belongs to the sweep"),
        (["sweep", *TRAIN, "--grid", "steps=10,abc"], "COMMAND arguments rejected"),
        (["sweep", "bandit", "--horizon", "10", "--grid", "runs=2,3"], "--metric is required"),
        (["sweep", "anneal", "--grid", "nonsense=1,2"], "not an option of 'boltzgym anneal'"),
        (["sweep", *TRAIN, "--grid", "learning_rate=0.1", "--random", "learning_rate=uniform(0,1)"], "both --grid"),
        (["sweep", *TRAIN, "--grid", "learning_rate=0.1,0.2", "--scheduler", "asha"], "reports none, not --metric"),
    ],
)
def test_bad_sweeps_are_refused_before_anything_runs(tmp_path, capsys, argv, message):
    out = tmp_path / "sweep"
    status, _, err = _run(capsys, [*argv, "--out", str(out)])
    assert status == 2
    assert message in err and err.count("\n") == 1
    assert not out.exists()


def test_without_ray_the_error_names_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    status, _, err = _run(capsys, ["sweep", *TRAIN, "--grid", "learning_rate=0.1", "--out", str(tmp_path / "s")])
    assert status == 2 and "boltzgym[distributed]" in err
    assert not (tmp_path / "s").exists()


def test_a_bad_address_fails_within_seconds_naming_it(tmp_path, capsys):
    tick = time.perf_counter()
    status, _, err = _run(capsys, ["sweep", *TRAIN, "--address", "127.0.0.1:1", "--out", str(tmp_path / "s")])
    assert status == 2 and "--address '127.0.0.1:1'" in err
    assert time.perf_counter() - tick < 10
    status, _, err = _run(capsys, ["sweep", *TRAIN, "--address", "nonsense", "--out", str(tmp_path / "s")])
    assert status == 2 and "--address must be 'auto' or HOST:PORT" in err


# --- real sweeps -----------------------------------------------------------------------------------------------


def test_trials_equal_direct_runs_and_a_failing_trial_is_reported(local_ray, tmp_path, capsys):
    out = tmp_path / "sweep"
    argv = ["sweep", *TRAIN, "--grid", "learning_rate=0.5,-1", "--seeds", "0,1", "--out", str(out), "--json"]
    handler = signal.getsignal(signal.SIGINT)
    status, summary, _ = _run(capsys, argv)
    assert status == 0
    assert signal.getsignal(signal.SIGINT) is handler  # Tune's Ctrl-C handler does not outlive the sweep
    assert summary["engine"] == "ray" and summary["ray_version"] == ray.__version__
    assert (summary["n_trials"], summary["n_ok"], summary["n_failed"]) == (4, 2, 2)
    rows = _rows(out / "trials.csv")
    assert [r["status"] for r in rows] == ["ok", "ok", "failed", "failed"]
    assert all("learning_rate" in r["error"] for r in rows[2:])  # the agent's own validation message
    for row in rows[:2]:  # each finished trial is exactly the direct run with its parameters and seed
        direct = tmp_path / f"direct-{row['seed']}"
        status, expected, _ = _run(
            capsys, [*TRAIN, "--set", "learning_rate=0.5", "--seed", row["seed"], "--out", str(direct), "--json"]
        )
        assert status == 0
        assert float(row["eval_mean_return"]) == expected["eval_mean_return"]
        trial_summary = json.loads((out / "trials" / row["trial"] / "summary.json").read_text())
        assert trial_summary["eval_mean_return"] == expected["eval_mean_return"]
    returns = [float(r["eval_mean_return"]) for r in rows[:2]]
    best = summary["best"]
    assert best["params"] == {"learning_rate": 0.5} and best["n_seeds"] == 2
    assert best["metric_mean"] == pytest.approx(sum(returns) / 2)
    assert best["metric_stderr"] == pytest.approx(abs(returns[0] - returns[1]) / 2)
    assert (out / "sweep.png").stat().st_size > 0


def test_an_interrupted_sweep_resumes_without_rerunning_finished_trials(local_ray, tmp_path, capsys):
    out = tmp_path / "sweep"
    argv = [
        "sweep",
        "anneal",
        "--problem",
        "lattice2d",
        "--n",
        "64",
        "--num-reads",
        "4",
        "--grid",
        "num_sweeps=20,40,60",
    ]
    argv += ["--max-concurrent", "1", "--out", str(out), "--json"]
    # Ctrl-C once the first trial has finished, as a user would
    process = subprocess.Popen([sys.executable, "-m", "boltzgym.scripts.cli", *argv], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while not list((out / "trials").glob("*/summary.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "sweep interrupted" in err and "--resume" in err
    rows = _rows(out / "trials.csv")
    finished = {r["trial"] for r in rows if r["status"] == "ok"}
    assert finished and "not run" in {r["status"] for r in rows}
    stamps = {p.parent.name: p.stat().st_mtime_ns for p in (out / "trials").glob("*/summary.json")}
    assert finished <= set(stamps)  # (a trial cut off mid-way may have written its folder: it runs again)

    status, _, err = _run(capsys, argv)  # the folder holds a sweep: refused without --resume
    assert status == 2 and "--resume" in err
    status, resumed, _ = _run(capsys, [*argv, "--resume"])
    assert status == 0 and resumed["n_ok"] == 3
    after = {p.parent.name: p.stat().st_mtime_ns for p in (out / "trials").glob("*/summary.json")}
    assert len(after) == 3 and all(after[name] == stamps[name] for name in finished)  # not run again


def test_optuna_proposes_configurations_each_run_on_every_seed(local_ray, tmp_path, capsys):
    out = tmp_path / "sweep"
    argv = ["sweep", *TRAIN, "--random", "learning_rate=loguniform(0.05,0.9)", "--search", "optuna"]
    argv += ["--samples", "2", "--seeds", "0,1", "--out", str(out), "--json"]
    status, summary, _ = _run(capsys, argv)
    assert status == 0 and (summary["n_trials"], summary["n_ok"]) == (4, 4)
    rows = _rows(out / "trials.csv")
    assert [r["seed"] for r in rows] == ["0", "1", "0", "1"]
    assert rows[0]["learning_rate"] == rows[1]["learning_rate"] != rows[2]["learning_rate"]
    row = rows[1]  # a proposed configuration's trial equals the direct run with its parameters and seed
    status, expected, _ = _run(
        capsys,
        [
            *TRAIN,
            "--set",
            f"learning_rate={row['learning_rate']}",
            "--seed",
            "1",
            "--out",
            str(tmp_path / "d"),
            "--json",
        ],
    )
    assert status == 0 and float(row["eval_mean_return"]) == expected["eval_mean_return"]
    assert (out / "trials" / row["trial"] / "summary.json").is_file()


def test_asha_stops_trials_on_the_per_epoch_reports_of_fit(local_ray, tmp_path, capsys):
    out = tmp_path / "sweep"
    argv = [
        "sweep",
        "fit",
        "mlp",
        "--data",
        "parity-4",
        "--epochs",
        "6",
        "--grid",
        "learning_rate=0.00001,0.01,0.0001,0.05",
    ]
    argv += ["--scheduler", "asha", "--metric", "train_loss", "--mode", "min", "--out", str(out), "--json"]
    status, summary, _ = _run(capsys, argv)
    assert status == 0 and summary["n_failed"] == 0
    statuses = [row["status"] for row in summary["trials"]]
    assert set(statuses) <= {"ok", "stopped early"} and "ok" in statuses
    for row in summary["trials"]:  # a trial ASHA stopped reported fewer epochs than the full run
        epochs = (out / "trials" / row["trial"] / "metrics.csv").read_text().strip().count("\n")
        assert (epochs == 6) == (row["status"] == "ok")


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "q-learning", "--env", "FrozenLake-v1", "--total-timesteps", "500", "--eval-episodes", "2"],
        ["fit", "logistic", "--data", "parity-3", "--epochs", "2"],
        ["anneal", "--problem", "lattice2d", "--n", "16", "--num-sweeps", "5", "--num-reads", "2"],
        ["rbm", "--data", "bars-stripes-3", "--epochs", "5"],
    ],
)
def test_each_commands_default_metric_is_a_key_of_its_summary(tmp_path, capsys, argv):
    from boltzgym.scripts.sweep import DEFAULT_METRIC

    status, summary, _ = _run(capsys, [*argv, "--out", str(tmp_path / "run"), "--json"])
    assert status == 0
    metric, mode = DEFAULT_METRIC[argv[0]]
    assert isinstance(summary[metric], float) and mode in ("min", "max")
