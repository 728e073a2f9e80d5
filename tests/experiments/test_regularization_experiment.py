"""``boltzgym experiment regularization`` on a tiny setting: every method runs, the figures are consistent."""

from __future__ import annotations

import pytest

from boltzgym.experiments.regularization import METHODS, regularization_experiment


def test_regularization_experiment_reports_every_method_and_writes_its_plot(tmp_path):
    summary = regularization_experiment(tmp_path, seed=0, n_train=40, epochs=2, n_seeds=1)
    assert [row["method"] for row in summary["methods"]] == list(METHODS)
    for row in summary["methods"]:
        assert 0 <= row["test_accuracy"] <= 1 and row["gap"] == pytest.approx(
            row["train_accuracy"] - row["test_accuracy"]
        )
    assert summary["test_accuracy_none"] == summary["methods"][0]["test_accuracy"]
    assert 0 <= summary["methods_narrowing_gap"] <= len(METHODS) - 1
    assert (tmp_path / "regularization.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="n_train must be <= 1437"):
        regularization_experiment(tmp_path, n_train=5000)
