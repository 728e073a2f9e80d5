"""Time-to-solution statistics (Rønnow et al. 2014) and the experiment on exact planar ground states."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from boltzgym.sims.tts import best_tts, bootstrap_median_tts, bootstrap_ratio, tts99


def test_tts99_is_the_runs_needed_for_99_percent():
    assert tts99(0.5, 10.0) == pytest.approx(10.0 * math.log(0.01) / math.log(0.5))  # 66.4: 6.64 runs of 10
    assert tts99(0.995, 7.0) == 7.0  # one run already succeeds with >= 99%
    assert tts99(0.0, 7.0) == math.inf
    # the defining property: (1 - p)^(TTS / t_run) = 0.01
    assert (1 - 0.2) ** (tts99(0.2, 3.0) / 3.0) == pytest.approx(0.01)


def test_best_tts_picks_the_run_length_that_minimizes_it():
    hits = np.array([1.0, 1.0, 100.0, np.inf])  # half the reads hit at 1, three quarters by 100
    assert best_tts(hits) == pytest.approx(min(tts99(0.5, 1.0), tts99(0.75, 100.0)))
    assert best_tts(np.full(5, np.inf)) == math.inf


def test_bootstrap_intervals_contain_the_point_and_a_ratio_of_equal_methods_is_one():
    rng = np.random.default_rng(0)
    hits = [np.where(rng.random(32) < p, 10.0, np.inf) for p in (0.3, 0.5, 0.7)]
    point, low, high = bootstrap_median_tts(hits, draws=200)
    assert low <= point <= high
    ratio, low, high = bootstrap_ratio(hits, hits, draws=200)
    assert ratio == 1.0 and low <= 1.0 <= high


def test_the_tts_experiment_never_reports_below_the_exact_energy(tmp_path):
    from boltzgym.experiments import experiment_function

    summary = experiment_function("tts")(tmp_path, sizes="4", instances=2, reads=4, sweeps=50, methods="sa,pt")
    table = json.loads((tmp_path / "tts.json").read_text())
    assert {row["method"] for row in table["rows"]} == {"sa", "pt"}
    for row in summary["rows"]:
        assert 0.0 <= row["p_ground"] <= 1.0 and row["residual_per_spin"] >= 0.0
    assert summary["p_ground_pt_L4"] == 1.0  # a 4x4 lattice: 8 tempering replicas find it every time
    assert (tmp_path / "tts.png").stat().st_size > 0
