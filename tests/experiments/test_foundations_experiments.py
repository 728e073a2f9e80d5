"""The chapter 1-2 experiments: the bias-variance decomposition adds up, parity runs end to end, the encoder race."""

from __future__ import annotations

import json

import numpy as np
import pytest

from boltzgym.experiments.foundations import bias_variance_decomposition
from boltzgym.experiments.optimizers import _encoder_problem, _run
from boltzgym.scripts import cli


@pytest.mark.parametrize("degree", [1, 4, 10])
def test_bias_squared_plus_variance_plus_noise_equals_the_measured_error(degree):
    """Within Monte-Carlo error: 4 standard errors of the measured test MSE over the resampled models."""
    row = bias_variance_decomposition(degree, n_models=300, n_train=30, noise=0.3, rng=np.random.default_rng(degree))
    assert abs(row["total"] - row["expected_error"]) < 4 * row["expected_error_stderr"]
    assert row["noise"] == pytest.approx(0.09) and row["variance"] >= 0  # an unbiased bias^2 near 0 may dip below


@pytest.mark.parametrize("degree", [1, 3, 12])
def test_the_estimates_are_unbiased_against_the_exact_decomposition(degree):
    """Averaged over 40 independent decompositions the estimates sit on the exact values (4 standard errors):
    bias^2 too at degree 12, where the uncorrected estimator read the fits' variance / n_models as bias."""
    rng = np.random.default_rng(100 + degree)
    rows = [bias_variance_decomposition(degree, 50, 30, 0.3, rng) for _ in range(40)]
    for key in ("bias_squared", "variance"):
        values = np.array([row[key] for row in rows])
        exact = rows[0][f"{key}_exact"]
        assert abs(values.mean() - exact) < 4 * values.std(ddof=1) / np.sqrt(len(values)) + 1e-12, key
    naive = np.array([row["bias_squared"] + row["variance"] / 50 for row in rows])  # the old, biased estimator
    if degree == 12:
        assert naive.mean() - rows[0]["bias_squared_exact"] > 10 * naive.std(ddof=1) / np.sqrt(len(naive))


def test_the_decomposition_refuses_a_degree_the_sample_cannot_support():
    with pytest.raises(ValueError, match=r"degree must be in \[0, n_train\) = \[0, 30\), got 30"):
        bias_variance_decomposition(30, 10, 30, 0.3, np.random.default_rng(0))


def test_capacity_trades_bias_for_variance():
    rng = np.random.default_rng(0)
    line, cubic, high = (bias_variance_decomposition(d, 200, 30, 0.3, rng) for d in (1, 3, 12))
    assert line["bias_squared"] > 10 * cubic["bias_squared"]  # a line cannot follow sin(pi x); a cubic can
    # fixed design: the variance grows as noise^2 (degree + 1) / n_train on average over the design
    assert high["variance_exact"] > 3 * cubic["variance_exact"] and high["variance"] > 2.5 * cubic["variance"]
    assert cubic["expected_error"] < min(line["expected_error"], high["expected_error"])  # the U curve


def test_parity_and_bias_variance_experiments_through_the_cli(tmp_path, capsys):
    out = tmp_path / "parity"
    argv = ["experiment", "parity", "--set", "n=4", "--set", "epochs=15", "--out", str(out), "--json"]
    assert cli.main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["n"], summary["shallow_units"], summary["deep_units"], summary["count_units"]) == (4, 8, 8, 4)
    assert summary["constructed_accuracy"] == {"dnf": 1.0, "count": 1.0, "tree": 1.0}
    assert len(summary["trained_shallow"]) == 6 and len(summary["trained_deep"]) == 5
    assert all(0 <= row["accuracy"] <= 1 for row in summary["trained_shallow"] + summary["trained_deep"])
    assert (out / "parity.png").stat().st_size > 0
    out = tmp_path / "bv"
    argv = ["experiment", "bias-variance", "--set", "n_models=50", "--out", str(out), "--json"]
    assert cli.main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert len(summary["bias_squared"]) == len(summary["capacities"]) == len(summary["total"])
    assert (out / "bias_variance.png").stat().st_size > 0


def test_quickprop_solves_fahlmans_encoder_in_tens_of_epochs():
    """Fahlman (1988): quickprop solves 10-5-10 in a few dozen epochs; plain momentum needs hundreds or more."""
    for seed in (1, 2, 3):
        params, loss_fn, done = _encoder_problem(seed)
        _, reached, _ = _run("quickprop", 1.0, params, loss_fn, 200, done)
        assert reached is not None and reached <= 60
    params, loss_fn, done = _encoder_problem(1)
    _, reached, _ = _run("momentum", 0.1, params, loss_fn, 200, done)
    assert reached is None  # not solved in 200 epochs
