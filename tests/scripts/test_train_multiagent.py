"""``boltzgym train iql|idqn --env <PettingZoo env>`` end to end: run folder, resume, errors naming --env."""

from __future__ import annotations

import json

from boltzgym.scripts import cli
from boltzgym.scripts.train import SUMMARY_KEYS, TRAINERS


def test_iql_and_idqn_are_trained_by_the_multiagent_trainer():
    assert TRAINERS["iql"] == TRAINERS["idqn"] == "boltzgym.experiments.multiagent_training"


def test_train_iql_learns_defection_writes_the_run_folder_and_resumes(tmp_path, capsys):
    out = tmp_path / "iql"
    argv = ["train", "iql", "--env", "boltzgym/RepeatedMatrixGame-v0", "--env-kwarg", "game=prisoners-dilemma"]
    argv += [
        "--env-kwarg",
        "n_rounds=20",
        "--total-timesteps",
        "1200",
        "--eval-episodes",
        "3",
        "--json",
        "--out",
        str(out),
    ]
    argv += ["--set", "memoryless=true", "--set", "gamma=0", "--set", "exploration_steps=800"]
    assert cli.main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(SUMMARY_KEYS) <= set(summary) and summary["agents"] == ["player_0", "player_1"]
    assert summary["eval_mean_return"] == 20.0  # mutual defection pays 1 per round (prisoner's dilemma)
    assert summary["training_episodes"] == 60 and (out / "learning_curve.png").stat().st_size > 0
    resumed = ["train", "iql", "--env", "boltzgym/RepeatedMatrixGame-v0", "--env-kwarg", "game=prisoners-dilemma"]
    resumed += [
        "--total-timesteps",
        "100",
        "--json",
        "--out",
        str(out),
        "--resume",
        str(out / "checkpoint"),
        "--eval-episodes",
        "1",
    ]
    assert cli.main(resumed) == 0
    assert json.loads(capsys.readouterr().out)["num_timesteps"] == 1300


def test_train_idqn_on_the_spin_game_reports_the_final_energy(tmp_path, capsys):
    out = tmp_path / "idqn"
    argv = ["train", "idqn", "--env", "boltzgym/SpinGame-v0", "--env-kwarg", "side=3", "--env-kwarg", "n_agents=3"]
    argv += [
        "--env-kwarg",
        "n_rounds=10",
        "--total-timesteps",
        "200",
        "--eval-episodes",
        "2",
        "--json",
        "--out",
        str(out),
    ]
    argv += ["--set", "share_parameters=true", "--set", "learning_starts=50", "--set", "net_arch=[8]"]
    assert cli.main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["num_timesteps"] == 200 and summary["training_episodes"] == 20
    assert -18.0 <= summary["eval_final_energy"] <= 18.0 and (out / "checkpoint").is_dir()


def test_a_gymnasium_env_or_bad_env_kwarg_is_refused_naming_it(tmp_path, capsys):
    assert (
        cli.main(["train", "iql", "--env", "CartPole-v1", "--total-timesteps", "5", "--out", str(tmp_path / "a")]) == 2
    )
    assert "--env 'CartPole-v1' is not a PettingZoo env" in capsys.readouterr().err
    argv = ["train", "idqn", "--env", "boltzgym/SpinGame-v0", "--env-kwarg", "n_agents=5", "--total-timesteps", "5"]
    assert cli.main([*argv, "--out", str(tmp_path / "b")]) == 2
    assert "--env-kwarg n_agents=5" in capsys.readouterr().err and not (tmp_path / "b").exists()


def test_coordination_learners_on_a_matrix_game_report_the_greedy_joint_action(tmp_path, capsys):
    argv = ["train", "hysteretic-q", "--env", "boltzgym/RepeatedMatrixGame-v0", "--env-kwarg", "game=climbing"]
    assert cli.main([*argv, "--total-timesteps", "500", "--out", str(tmp_path / "h"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    actions = summary["greedy_joint_action"]
    assert set(actions) == {"player_0", "player_1"} and all(0 <= a <= 2 for a in actions.values())
    climbing = [[11, -30, 0], [-30, 7, 6], [0, 0, 5]]  # Claus & Boutilier's payoffs
    assert summary["greedy_payoff"]["player_0"] == climbing[actions["player_0"]][actions["player_1"]]


def test_pettingzoo_envs_by_module_path_turn_based_included(tmp_path, capsys):
    argv = ["train", "idqn", "--env", "pettingzoo.classic.tictactoe_v3", "--total-timesteps", "200"]
    assert cli.main([*argv, "--eval-episodes", "2", "--out", str(tmp_path / "t"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["agents"] == ["player_1", "player_2"] and (tmp_path / "t" / "checkpoint").is_dir()
    assert (
        cli.main(
            ["train", "idqn", "--env", "pettingzoo.nothing_v0", "--total-timesteps", "9", "--out", str(tmp_path / "n")]
        )
        == 2
    )
    assert "--env 'pettingzoo.nothing_v0'" in capsys.readouterr().err
