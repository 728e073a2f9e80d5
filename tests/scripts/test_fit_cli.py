"""``boltzgym fit`` and ``boltzgym experiment`` end to end."""

from __future__ import annotations

import json
import sys
import types

import pytest

from boltzgym.scripts import cli

TINY = ["--set", "hidden_sizes=8", "--set", "validation_split=0.2", "--set", "learning_rate=0.01"]


def _fit(capsys, *argv):
    code = cli.main(["fit", *argv, "--json"])
    captured = capsys.readouterr()
    return code, captured


def test_fit_json_keys_files_and_resume(tmp_path, capsys):
    out = tmp_path / "run"
    code, captured = _fit(capsys, "mlp", "--data", "parity-3", *TINY, "--epochs", "3", "--out", str(out))
    assert code == 0, captured.err
    summary = json.loads(captured.out)
    assert list(summary) == [
        "model", "data", "seed", "epochs", "n_parameters", "train_loss", "test_loss", "test_accuracy", "seconds",
        "checkpoint",
    ]  # fmt: skip
    assert summary["model"] == "mlp" and summary["data"] == "parity-3" and summary["epochs"] == 3
    assert summary["n_parameters"] == 3 * 8 + 8 + 8 * 2 + 2 and 0 <= summary["test_accuracy"] <= 1
    for name in ("summary.json", "metrics.csv", "learning_curve.png", "checkpoint/manifest.json"):
        assert (out / name).is_file(), name
    # an interrupted run (here: a shorter one) continues from its checkpoint to the full count
    code, captured = _fit(capsys, "mlp", "--data", "parity-3", *TINY, "--epochs", "5", "--out", str(out), "--resume")
    assert code == 0, captured.err
    assert json.loads(captured.out)["epochs"] == 5
    assert (out / "metrics.csv").read_text().count("\n") == 6
    whole = tmp_path / "whole"
    code, captured = _fit(capsys, "mlp", "--data", "parity-3", *TINY, "--epochs", "5", "--out", str(whole))
    assert json.loads(captured.out)["test_loss"] == json.loads((out / "summary.json").read_text())["test_loss"]


def test_fit_regression_reports_no_accuracy(tmp_path, capsys):
    code, captured = _fit(
        capsys, "rbf", "--data", "sine", "--set", "n_centers=10", "--epochs", "2", "--out", str(tmp_path)
    )
    assert code == 0, captured.err
    assert json.loads(captured.out)["test_accuracy"] is None


@pytest.mark.parametrize(
    "argv, message",
    [
        (["nonet"], "model must be one of"),
        (["mlp", "--data", "mnist"], "data must be one of"),
        (["mlp", "--set", "depth=2"], "--set depth: unknown key for model 'mlp'"),
        (["mlp", "--set", "learning_rate=0"], "learning_rate must be > 0"),
        (["mlp", "--set", "optimizer=rprop"], "weight_decay: optimizer 'rprop' has none"),
        (["mlp", "--data", "bars-stripes-3"], "data 'bars-stripes-3' is binary; these models need classification"),
    ],
)
def test_fit_bad_arguments_exit_2_naming_them(tmp_path, capsys, argv, message):
    assert cli.main(["fit", *argv, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
    assert not (tmp_path / "x").exists()  # rejected before the run folder was made


def test_fit_resume_needs_out(capsys):
    assert cli.main(["fit", "mlp", "--resume"]) == 2
    assert "--resume needs --out" in capsys.readouterr().err


def test_experiment_dispatches_through_the_registry(tmp_path, capsys, monkeypatch):
    module = types.ModuleType("toy_experiment")

    def toy(out_dir, seed=0, progress=False, size=3):
        (out_dir / "plot.png").write_bytes(b"png")
        return {"size": size, "seed_seen": seed}

    module.toy = toy
    monkeypatch.setitem(sys.modules, "toy_experiment", module)
    import boltzgym.experiments

    monkeypatch.setitem(boltzgym.experiments.EXPERIMENTS, "toy", "toy_experiment:toy")
    out = tmp_path / "exp"
    assert cli.main(["experiment", "toy", "--set", "size=5", "--seed", "2", "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"experiment": "toy", "seed": 2, "size": 5, "seed_seen": 2}
    assert (out / "plot.png").is_file() and (out / "summary.json").is_file()
    assert cli.main(["experiment", "toy", "--set", "colour=red", "--out", str(tmp_path / "e2")]) == 2
    assert "--set colour: unknown key for experiment 'toy'" in capsys.readouterr().err
    assert cli.main(["experiment", "nothing", "--out", str(tmp_path / "e3")]) == 2
    assert "experiment must be one of" in capsys.readouterr().err


def test_fit_divergence_exits_3_with_one_line(tmp_path, capsys):
    argv = ["fit", "mlp", "--data", "sine", "--set", "optimizer=sgd", "--set", "learning_rate=1e4", "--epochs", "3"]
    assert cli.main([*argv, "--out", str(tmp_path / "d")]) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "training diverged at epoch 1" in err and "Lower learning_rate" in err


def test_the_demo_part_trains_the_mlp_on_digits(tmp_path):
    from boltzgym.experiments.fitting import demo_part

    summary = demo_part(tmp_path / "fit", seed=0)
    assert summary["model"] == "mlp" and summary["data"] == "digits"
    assert summary["test_accuracy"] >= 0.95 and f"{summary['test_accuracy']:.3f}" in summary["result"]
    assert (tmp_path / "fit" / "learning_curve.png").stat().st_size > 0
