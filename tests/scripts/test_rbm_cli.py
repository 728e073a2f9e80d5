"""``boltzgym fit rbm`` end to end, the deprecated ``boltzgym rbm`` alias, and the demo part."""

from __future__ import annotations

import json

import pytest

from boltzgym.experiments.rbm import demo_part
from boltzgym.scripts import cli

TINY = ["--data", "bars-stripes-3", "--epochs", "30", "--set", "n_components=8", "--set", "cd_k=2"]


def test_fit_rbm_json_summary_and_files(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["fit", "rbm", *TINY, "--set", "persistent=true", "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    expected = {"final_log_likelihood", "log_likelihood_method", "pseudo_log_likelihood", "n_parameters", "seconds"}
    assert expected <= set(summary)
    assert summary["gradient_estimator"] == "pcd-2" and summary["log_likelihood_method"] == "exact"
    assert summary["n_parameters"] == 8 * 9 + 8 + 9 and summary["epochs"] == 30
    assert summary["final_log_likelihood"] < summary["optimum_log_likelihood"]
    assert summary["test_loss"] == -summary["final_log_likelihood"]
    assert summary["pseudo_log_likelihood"] < 0
    for name in ("summary.json", "metrics.csv", "log_likelihood.png", "samples.png", "filters.png"):
        assert (out / name).is_file(), name
    assert json.loads((out / "summary.json").read_text()) == summary


def test_fit_rbm_keys_are_the_rbm_constructors_defaults(capsys):
    from boltzgym.sims.rbm import RBM

    assert cli.main(["fit", "rbm", "--list-keys"]) == 0
    out = capsys.readouterr().out
    for key, value in RBM().get_params().items():
        if key not in ("random_state", "verbose"):
            assert any(line.split()[:2] == [key, repr(value)] for line in out.splitlines()), key


def test_fit_rbm_resume_reports_the_finished_run_again(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["fit", "rbm", *TINY, "--out", str(out), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert cli.main(["fit", "rbm", *TINY, "--out", str(out), "--json"]) == 2  # a finished run is not overwritten
    assert "--resume" in capsys.readouterr().err
    assert cli.main(["fit", "rbm", *TINY, "--out", str(out), "--json", "--resume"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["final_log_likelihood"] == first["final_log_likelihood"]
    assert again["pseudo_log_likelihood"] == first["pseudo_log_likelihood"]


@pytest.mark.parametrize("value", ["-1", "0"])
def test_fit_rbm_bad_learning_rate_exits_2_with_one_line(tmp_path, capsys, value):
    assert cli.main(["fit", "rbm", "--set", f"learning_rate={value}", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "learning_rate" in err and value in err
    assert not (tmp_path / "run").exists()


def test_fit_rbm_refuses_a_gpu(tmp_path, capsys):
    assert cli.main(["fit", "rbm", *TINY, "--device", "cuda", "--out", str(tmp_path / "run")]) == 2
    assert "--device cuda: rbm runs on the CPU" in capsys.readouterr().err


def test_demo_part_reports_a_result_line(tmp_path):
    result = demo_part(tmp_path / "rbm", seed=0, progress=False)
    assert "log-likelihood" in result["result"] and result["final_log_likelihood"] > -2.94
    assert (tmp_path / "rbm" / "samples.png").is_file()
