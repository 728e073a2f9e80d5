"""The rl-annealing experiment: exact ground states by enumeration, the keys and plot of a tiny run."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from boltzgym.envs.annealing_control import make_instance
from boltzgym.experiments import EXPERIMENTS
from boltzgym.experiments.rl_annealing import ground_state_energy, rl_annealing_experiment


def test_ground_state_energy_matches_a_plain_loop():
    model = make_instance("lattice2d-gaussian", 9, seed=3)
    energies = [float(model.energy(np.array(s, dtype=np.int8))) for s in itertools.product((-1, 1), repeat=9)]
    assert ground_state_energy(model) == pytest.approx(min(energies))
    with pytest.raises(ValueError, match="model"):
        ground_state_energy(make_instance("sk", 21, seed=0))


def test_tiny_run_reports_every_key_and_writes_the_plot(tmp_path):
    assert EXPERIMENTS["rl-annealing"].endswith(":rl_annealing_experiment")
    summary = rl_annealing_experiment(
        tmp_path,
        seed=0,
        n_spins=9,
        n_train=2,
        n_instances=2,
        n_steps=3,
        sweeps_per_step=2,
        num_reads=16,
        n_validation=2,
        total_timesteps=700,
        eval_freq=100,
    )
    for key in ("rl_mean_energy", "geometric_mean_energy", "tuned_geometric_mean_energy", "linear_mean_energy"):
        assert -3.0 < summary[key] < 0.0
    for key in ("rl_ground_state_probability", "geometric_ground_state_probability"):
        assert 0.0 <= summary[key] <= 1.0
    assert summary["n_instances"] == 2 and summary["num_sweeps"] == 6
    # model selection saw only trained weights (after learning_starts=500) and kept the best-scoring ones
    history = summary["validation_history"]
    assert [row[0] for row in history] == [600, 700, 700]
    assert summary["selected_step"] == max(history, key=lambda row: (row[1], row[2]))[0]
    assert len(summary["learned_beta_over_beta_hot"]) == 3 and summary["learned_beta_over_beta_hot"][0] == 1.0
    assert (tmp_path / "rl_annealing.png").stat().st_size > 0
