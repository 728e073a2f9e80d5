"""RBM checkpoints, divergence and oversized work (issue 9, cases 1, 4, 7)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from boltzgym.models.datasets import bars_and_stripes
from boltzgym.scripts import cli
from boltzgym.sims.rbm import RBM, RBMInputWarning, fit_with_log_likelihood
from boltzgym.utils.checkpoint import CheckpointError, rewrite_file
from boltzgym.utils.validation import DivergenceError

BARS = bars_and_stripes(3)


def test_save_load_round_trip_continues_training_identically(tmp_path):
    rbm = RBM(6, n_iter=3, random_state=0, momentum=0.5, cd_k=2).fit(BARS)
    loaded = RBM.load(rbm.save(tmp_path / "ckpt"))
    assert loaded.get_params() == rbm.get_params()
    np.testing.assert_array_equal(loaded.transform(BARS), rbm.transform(BARS))
    for model in (rbm, loaded):
        model.partial_fit(BARS)
    np.testing.assert_array_equal(loaded.components_, rbm.components_)
    np.testing.assert_array_equal(loaded.h_samples_, rbm.h_samples_)


@pytest.mark.parametrize("case", ["nan-weights", "wrong-shape", "truncated", "bad-params"])
def test_a_damaged_rbm_checkpoint_is_one_error_naming_the_file(tmp_path, case):
    path = RBM(6, n_iter=1, random_state=0).fit(BARS).save(tmp_path / "ckpt")
    with np.load(path / "parameters.npz") as data:
        arrays = {key: data[key] for key in data.files}
    if case in ("nan-weights", "wrong-shape"):
        arrays["components_"] = np.full((6, 9), np.nan) if case == "nan-weights" else np.zeros((5, 9))
        np.savez(tmp_path / "p.npz", **arrays)
        rewrite_file(path, "parameters.npz", (tmp_path / "p.npz").read_bytes())
        file = "parameters.npz"
    elif case == "truncated":
        data = (path / "parameters.npz").read_bytes()
        (path / "parameters.npz").write_bytes(data[:100])
        file = "parameters.npz"
    else:
        config = json.loads((path / "config.json").read_text())
        config["params"]["n_components"] = -3
        rewrite_file(path, "config.json", json.dumps(config).encode())
        file = "config.json"
    with pytest.raises(CheckpointError) as info:
        RBM.load(path)
    assert info.value.file.endswith(file), str(info.value)


def test_a_huge_learning_rate_is_reported_as_divergence():
    rbm = RBM(8, learning_rate=1e308, n_iter=5, random_state=0, cd_k=2)
    with pytest.raises(DivergenceError, match=r"diverged.*learning_rate=1e\+308"):
        fit_with_log_likelihood(rbm, BARS)


def test_non_finite_weights_stop_fit_and_keep_the_last_good_epoch():
    rbm = RBM(8, learning_rate=np.finfo(float).max, n_iter=50, random_state=0, momentum=0.9)
    with pytest.raises(DivergenceError, match="weights became non-finite"), pytest.warns(RBMInputWarning):
        rbm.fit(BARS * 1e300)
    assert np.isfinite(rbm.components_).all()


def test_cli_divergence_exits_3_in_one_line(tmp_path, capsys):
    argv = ["fit", "rbm", "--set", "learning_rate=1e308", "--set", "n_components=16", "--epochs", "3"]
    argv += ["--out", str(tmp_path / "run")]
    assert cli.main(argv) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "diverged" in err[0]
    assert not (tmp_path / "run" / "summary.json").exists()


def test_cli_refuses_oversized_hidden_layers_before_any_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BOLTZGYM_MEMORY_LIMIT", "1M")
    assert cli.main(["fit", "rbm", "--set", "n_components=100000", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "n_components" in err and "available" in err and not (tmp_path / "run").exists()


def test_cli_writes_a_loadable_checkpoint(tmp_path, capsys):
    argv = ["fit", "rbm", "--epochs", "3", "--set", "n_components=4", "--out", str(tmp_path / "run"), "--json"]
    assert cli.main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert RBM.load(summary["checkpoint"]).n_components == 4
