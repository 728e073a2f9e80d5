"""The multi-agent experiments (coordination, tictactoe, mpe): keys and plots of tiny runs; the mpe2 env that IDQN
trains on passes PettingZoo's own API test."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

from boltzgym.experiments import EXPERIMENTS, experiment_options
from boltzgym.experiments.coordination import coordination_experiment
from boltzgym.experiments.mpe import ENVS, mpe_experiment
from boltzgym.experiments.tictactoe import tictactoe_experiment


def test_coordination_tiny_run_reports_each_learner_and_writes_the_plot(tmp_path):
    assert EXPERIMENTS["coordination"].endswith(":coordination_experiment")
    summary = coordination_experiment(tmp_path, seed=0, n_seeds=2, steps=1_500, games=("climbing", "penalty"))
    for game in ("climbing", "penalty"):
        for learner in ("independent_q", "hysteretic_q", "lenient_q", "distributed_q"):
            joints = summary[f"{game}_{learner}_joint_actions"]
            assert len(joints) == 2 and 0 <= summary[f"{game}_{learner}_optimal"] <= 2
    assert summary["climbing_distributed_q_optimal"] == 2  # the optimum is found within 1,500 steps
    assert (tmp_path / "coordination.png").stat().st_size > 0
    assert experiment_options("coordination", ["k=-50", "n_seeds=3"]) == {"k": -50.0, "n_seeds": 3}
    with pytest.raises(ValueError, match="games must name"):
        coordination_experiment(tmp_path, games=("chess",))


def test_tictactoe_tiny_run_reports_the_judges_counts(tmp_path):
    summary = tictactoe_experiment(tmp_path, seed=0, steps=400, games=3, eval_every=200)
    for role in ("first", "second"):
        assert 0 <= summary[f"losses_to_perfect_as_{role}"] + summary[f"draws_with_perfect_as_{role}"] <= 3
        assert 0.0 <= summary[f"win_rate_vs_random_as_{role}"] <= 1.0
    assert summary["steps"] >= 400 and len(summary["history"]) >= 2
    assert (tmp_path / "tictactoe.png").stat().st_size > 0 and (tmp_path / "checkpoint").is_dir()


def test_mpe_tiny_run_and_pettingzoos_api_test_on_the_wrapped_env(tmp_path):
    from boltzgym.envs.pettingzoo_envs import make_pettingzoo_env

    for module in ENVS.values():
        parallel_api_test(make_pettingzoo_env(module, {"max_cycles": 10, "continuous_actions": False}), num_cycles=20)
    summary = mpe_experiment(tmp_path, seed=0, n_seeds=1, steps=300, eval_episodes=2, max_cycles=10,
                             envs=("simple_spread",))  # fmt: skip
    assert len(summary["simple_spread_trained"]) == 1 and np.isfinite(summary["simple_spread_margin_mean"])
    assert (tmp_path / "mpe.png").stat().st_size > 0
