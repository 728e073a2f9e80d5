"""CLI conventions shared by every subcommand."""

from __future__ import annotations

import importlib
import json
import shlex
import subprocess
import sys

import pytest

from boltzgym.scripts import cli
from boltzgym.scripts._common import format_table


def run_cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "boltzgym.scripts.cli", *argv], capture_output=True, text=True)


def test_every_subcommand_has_help_with_examples(capsys):
    parser = cli.build_parser()
    for name in cli.COMMAND_MODULES:
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args([name, "--help"])
        assert exit_info.value.code == 0
        out = capsys.readouterr().out
        assert "examples:" in out and f"boltzgym {name}" in out


def test_every_help_example_parses():
    parser = cli.build_parser()
    for name in cli.COMMAND_MODULES:
        module = importlib.import_module(cli.COMMAND_MODULES[name])
        for example in module.EXAMPLES:
            argv = shlex.split(example)
            assert argv[:2] == ["boltzgym", name], example
            parser.parse_args(argv[1:])  # exits 2 (failing the test) on an invalid example


def test_unknown_subcommand_exits_2_with_one_line():
    result = run_cli("no-such-command")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "invalid choice" in result.stderr


def test_envs_json_is_one_object():
    result = run_cli("envs", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert isinstance(payload["envs"], list)
    assert all(entry["id"].startswith("boltzgym/") for entry in payload["envs"])


def test_format_table_aligns_columns():
    table = format_table(["name", "value"], [("a", 1.5), ("long-name", 10)])
    lines = table.splitlines()
    assert len({len(line.rstrip()) for line in lines[:2]}) == 1
    assert lines[2].startswith("a ") and lines[3].startswith("long-name")


def test_train_with_unknown_env_exits_2_and_creates_no_run_folder(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", "q-learning", "--env", "NoSuchEnv-v0", "--total-timesteps", "5", "--out", str(out)]) == 2
    assert "--env 'NoSuchEnv-v0'" in capsys.readouterr().err
    assert not out.exists()


def test_train_error_after_parsing_leaves_no_run_folder(tmp_path, capsys):
    out = tmp_path / "run"
    argv = [
        "train",
        "q-learning",
        "--env",
        "FrozenLake-v1",
        "--total-timesteps",
        "5",
        "--set",
        "gamma=2",
        "--out",
        str(out),
    ]
    assert cli.main(argv) == 2
    assert "gamma must be in [0.0, 1.0], got 2.0" in capsys.readouterr().err
    assert not out.exists()


def test_train_summary_keys_are_the_documented_contract():
    from boltzgym.scripts.train import SUMMARY_KEYS

    # The issues' --json keys for every `boltzgym train` agent, tabular and DQN alike, then the one vocabulary
    # of issue 9 (no more `config` vs `hyperparameters` or `num_timesteps` vs `total_timesteps`).
    original = ("agent", "env", "steps", "seed", "eval_episodes", "eval_mean_return", "steps_per_second")
    assert set(original) | {"optimal_mean_return"} <= set(SUMMARY_KEYS)
    assert {"num_timesteps", "hyperparameters", "training_episodes", "eval_std_return"} <= set(SUMMARY_KEYS)
    assert not {"config", "total_timesteps"} & set(SUMMARY_KEYS)


STARTUP = """
import sys
from boltzgym.scripts import cli
try:
    cli.main({argv!r})
except SystemExit:
    pass
print(sorted(m for m in ("numba", "torch", "scipy", "sklearn", "matplotlib", "ray", "tensorboard") if m in sys.modules))
"""


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["bnadit"], ["--version"], ["fit", "--bogus-option"], ["bandit", "--help"], ["bandit", "--runs", "x"]],
)
def test_help_and_parse_errors_import_no_heavy_library(argv):
    """``boltzgym --help`` and a mistyped command build only the parser: no numba, torch, scipy, scikit-learn,
    matplotlib, Ray or TensorBoard is imported (a command's options load what that command needs, at its own parse)."""
    result = subprocess.run([sys.executable, "-c", STARTUP.format(argv=argv)], capture_output=True, text=True)
    loaded = result.stdout.strip().splitlines()[-1]
    assert loaded == "[]", (argv, loaded)
