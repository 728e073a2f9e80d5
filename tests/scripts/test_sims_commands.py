"""``boltzgym anneal`` and ``boltzgym hopfield`` end to end, and their demo parts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from boltzgym.experiments.annealing import anneal_problem
from boltzgym.experiments.tour import run_demo
from boltzgym.scripts import cli

ANNEAL_KEYS = {
    "problem",
    "n",
    "num_sweeps",
    "num_reads",
    "sampler",
    "method",
    "best_energy_per_spin",
    "mean_energy_per_spin",
    "seconds",
    "attempts_per_second",
}


def run_json(capsys, *argv: str) -> dict:
    assert cli.main(list(argv)) == 0
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 1
    return json.loads(out)


@pytest.mark.parametrize("sampler", ["sa", "pt"])
def test_anneal_json_has_the_issue_keys_and_files(capsys, tmp_path, sampler):
    argv = [
        "anneal",
        "--problem",
        "maxcut",
        "--n",
        "40",
        "--num-sweeps",
        "60",
        "--num-reads",
        "3",
        "--sampler",
        sampler,
    ]
    payload = run_json(capsys, *argv, "--out", str(tmp_path), "--json")
    assert ANNEAL_KEYS <= set(payload)
    assert payload["sampler"] == sampler and payload["method"] == "metropolis" and payload["n"] == 40
    assert payload["best_energy_per_spin"] <= payload["mean_energy_per_spin"] < 0
    assert payload["best_cut"] > 0
    for name in ("summary.json", "metrics.csv", "energy_trace.png", "final_energy_histogram.png"):
        assert (tmp_path / name).is_file()
    again, _ = anneal_problem("maxcut", 40, 60, 3, sampler, seed=0)
    assert again["best_energy_per_spin"] == payload["best_energy_per_spin"]


def test_anneal_bad_arguments_exit_2(capsys, tmp_path):
    assert cli.main(["anneal", "--problem", "lattice2d", "--n", "50", "--out", str(tmp_path / "run")]) == 2
    assert not (tmp_path / "run").exists()  # no output folder for a rejected run
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "n must be a square >= 9 for lattice2d, got 50" in err[0]
    assert cli.main(["anneal", "--beta-min", "2", "--beta-max", "1", "--n", "10", "--out", str(tmp_path)]) == 2
    assert "beta_min <= beta_max" in capsys.readouterr().err


def test_hopfield_capacity_json(capsys, tmp_path):
    payload = run_json(capsys, "hopfield", "capacity", "--n", "60", "--trials", "1", "--out", str(tmp_path), "--json")
    assert {"n", "alphas", "success_rate", "mean_overlap", "alpha_c"} <= set(payload)
    assert payload["n"] == 60 and len(payload["alphas"]) == len(payload["success_rate"])
    assert payload["success_rate"][0] == 1.0 and payload["success_rate"][-1] < 0.5
    assert 0.05 < payload["alpha_c"] < 0.3
    assert payload["dense_success_rate"] == [1.0] * len(payload["dense_alphas"])
    assert (tmp_path / "capacity.png").is_file()
    assert payload["num_sweeps"] == 10 and payload["rule"] == "hebbian"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sampler", "pt", "--schedule", "linear"], "--schedule applies to --sampler sa only"),
        (["--sampler", "sa", "--temperatures", "8"], "--temperatures applies to --sampler pt only"),
        (["--sampler", "pt", "--method", "multispin"], "--method multispin applies to --sampler sa only"),
    ],
)
def test_anneal_rejects_options_of_the_other_method(capsys, tmp_path, argv, message):
    assert cli.main(["anneal", "--n", "16", *argv, "--out", str(tmp_path / "run")]) == 2
    assert message in capsys.readouterr().err and not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["capacity", "--mode", "sync"], "--mode does not apply to 'hopfield capacity'"),
        (["capacity", "--beta", "2"], "--beta does not apply to 'hopfield capacity'"),
        (["capacity", "--patterns", "3"], "--patterns does not apply to 'hopfield capacity'"),
        (["recall", "--n", "50"], "--n does not apply to 'hopfield recall'"),
        (["recall", "--trials", "2"], "--trials does not apply to 'hopfield recall'"),
    ],
)
def test_hopfield_rejects_options_the_experiment_does_not_read(capsys, tmp_path, argv, message):
    assert cli.main(["hopfield", *argv, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err
    assert not (tmp_path / "run").exists()


def test_hopfield_recall_json_and_bad_noise(capsys, tmp_path):
    payload = run_json(capsys, "hopfield", "recall", "--out", str(tmp_path), "--json")
    assert payload["rule"] == "pseudoinverse" and payload["recalled"] == 6
    assert np.allclose(payload["initial_overlap"], 1 - 2 * 0.15, atol=0.02)
    assert (tmp_path / "recall.png").is_file()
    assert cli.main(["hopfield", "recall", "--noise", "1.5", "--out", str(tmp_path)]) == 2
    assert "--noise must be in [0.0, 1.0], got 1.5" in capsys.readouterr().err
    assert cli.main(["hopfield", "recall", "--patterns", "11", "--out", str(tmp_path / "bad")]) == 2
    assert "n_patterns must be <= 10, got 11" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_demo_parts(tmp_path):
    summary = run_demo(tmp_path, seed=0, only=["anneal", "hopfield"])
    anneal_part, hopfield_part = summary["parts"]["anneal"], summary["parts"]["hopfield"]
    assert anneal_part["best_energy_per_spin"] < -1.3  # 2D +-J ground state ~ -1.40
    assert hopfield_part["mean_final_overlap"]["pseudoinverse"] == 1.0
    assert hopfield_part["mean_final_overlap"]["hebbian"] < 1.0
    assert (tmp_path / "anneal" / "energy_trace.png").is_file()
    assert (tmp_path / "hopfield" / "recall_hebbian.png").is_file()
