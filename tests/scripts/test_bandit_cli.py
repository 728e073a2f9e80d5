"""``boltzgym bandit`` end to end, its bad-argument exits, and the demo's bandit part."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from boltzgym.experiments.bandits import demo_part
from boltzgym.scripts import cli


def test_bandit_json_summary_has_exactly_the_promised_keys(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["bandit", "--means", "0.9,0.6,0.3", "--horizon", "300", "--runs", "40", "--seed", "4"]
    status = cli.main([*argv, "--policies", "ucb1,thompson", "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    summary = json.loads(captured.out)  # exactly one JSON object on stdout
    assert set(summary) == {"means", "horizon", "runs", "seed", "policies"}
    assert summary["means"] == [0.9, 0.6, 0.3]
    assert (summary["horizon"], summary["runs"], summary["seed"]) == (300, 40, 4)
    assert set(summary["policies"]) == {"ucb1", "thompson"}
    for stats in summary["policies"].values():
        assert set(stats) == {"final_regret_mean", "final_regret_stderr"}
        assert 0 < stats["final_regret_mean"] < 300 * 0.6 and stats["final_regret_stderr"] > 0
    assert json.loads((out / "summary.json").read_text()) == summary
    assert (out / "regret.png").stat().st_size > 10_000
    with open(out / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["policy"] for row in rows} == {"ucb1", "thompson"}
    last = [row for row in rows if row["t"] == "300" and row["policy"] == "ucb1"]
    assert float(last[0]["regret_mean"]) == pytest.approx(summary["policies"]["ucb1"]["final_regret_mean"])
    assert float(last[0]["auer_ucb1_bound"]) > float(last[0]["lai_robbins_bound"]) > 0

    # the same seed gives the same numbers
    cli.main([*argv, "--policies", "ucb1,thompson", "--out", str(tmp_path / "again"), "--json"])
    assert json.loads(capsys.readouterr().out) == summary


def test_bandit_table_and_gaussian_defaults(tmp_path, capsys):
    status = cli.main(
        ["bandit", "--kind", "gaussian", "--arms", "3", "--horizon", "100", "--runs", "10", "--out", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert status == 0
    for name in ("ucb1", "thompson-gaussian", "eps-greedy", "softmax", "Lai-Robbins lower bound"):
        assert name in out
    assert "Auer" not in out  # the UCB1 bound holds for rewards in [0, 1] only


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--arms", "1"], "arms must be >= 2, got 1"),
        (["--means", "0.5,1.5"], "means must be in [0, 1] for Bernoulli arms"),
        (["--means", "0.5"], "means must list at least 2 arms"),
        (["--policies", "ucb1,nope"], "policies: unknown policy 'nope'; expected one of"),
        (["--horizon", "-5"], "argument --horizon: expected an integer >= 1, got -5"),
        (["--kind", "gaussian", "--policies", "thompson"], "(use thompson-gaussian)"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path, args, message):
    result = subprocess.run(
        [sys.executable, "-m", "boltzgym.scripts.cli", "bandit", "--runs", "2", "--horizon", "5", *args]
        + ["--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def test_demo_part_writes_its_plot(tmp_path):
    result = demo_part(tmp_path / "bandits", seed=0, progress=False)
    assert result["result"].startswith("regret at t=2000")
    assert set(result["policies"]) == {"ucb1", "kl-ucb", "thompson", "eps-greedy"}
    assert (tmp_path / "bandits" / "regret.png").is_file()


def test_negative_reward_std_is_named_and_a_one_pull_run_plots_cleanly(tmp_path, capsys, recwarn):
    from boltzgym.scripts import cli

    argv = ["bandit", "--kind", "gaussian", "--policies", "thompson-gaussian", "--reward-std", "-1"]
    assert cli.main([*argv, "--out", str(tmp_path / "bad")]) == 2
    assert "reward_std must be > 0, got -1.0" in capsys.readouterr().err
    assert cli.main(["bandit", "--horizon", "1", "--runs", "3", "--out", str(tmp_path / "one"), "--json"]) == 0
    assert not [w for w in recwarn if "xlim" in str(w.message) or "singular" in str(w.message)]
