"""``boltzgym rbm`` end to end, and its demo part."""

from __future__ import annotations

import json

import pytest

from boltzgym.scripts import cli
from boltzgym.scripts.rbm import demo_part


def test_rbm_json_summary_and_files(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["rbm", "--data", "bars-stripes-3", "--hidden", "8", "--epochs", "30", "--cd-k", "2", "--pcd"]
    assert cli.main([*argv, "--seed", "0", "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    expected_keys = {"data", "hidden", "epochs", "method", "final_log_likelihood", "log_likelihood_method", "seconds"}
    assert expected_keys <= set(summary)
    assert summary["method"] == "pcd-2" and summary["log_likelihood_method"] == "exact"
    assert summary["hidden"] == 8 and summary["epochs"] == 30
    assert summary["final_log_likelihood"] < summary["optimum_log_likelihood"]
    for name in ("summary.json", "metrics.csv", "log_likelihood.png", "samples.png", "filters.png"):
        assert (out / name).is_file(), name
    assert json.loads((out / "summary.json").read_text()) == summary


@pytest.mark.parametrize("value", ["-1", "0"])
def test_rbm_bad_arguments_exit_2_with_one_line(tmp_path, capsys, value):
    assert cli.main(["rbm", "--learning-rate", value, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"--learning-rate must be a finite number > 0, got {float(value)}" in err


def test_demo_part_reports_a_result_line(tmp_path):
    result = demo_part(tmp_path / "rbm", seed=0, progress=False)
    assert "log-likelihood" in result["result"] and result["final_log_likelihood"] > -2.94
    assert (tmp_path / "rbm" / "samples.png").is_file()
