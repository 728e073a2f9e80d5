"""Tabular checkpoints: every damaged or inconsistent checkpoint is one error naming the file (issue 9, case 1)."""

from __future__ import annotations

import io
import json

import gymnasium as gym
import numpy as np
import pytest

from boltzgym.agents.tabular import QLearning, TabularAgent
from boltzgym.scripts import cli
from boltzgym.utils.checkpoint import CheckpointError, rewrite_file


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A FrozenLake Q-learning checkpoint and, from another run, a second one."""
    root = tmp_path_factory.mktemp("tabular")
    QLearning(gym.make("FrozenLake-v1"), seed=0).learn(500).save(root / "a")
    QLearning(gym.make("FrozenLake-v1"), seed=1, learning_rate=0.3).learn(700).save(root / "b")
    return root


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _arrays(path):
    with np.load(path / "arrays.npz") as data:
        return {key: data[key] for key in data.files}


def _config(path):
    return json.loads((path / "config.json").read_text())


def damage(path, other, case):
    """Damage the checkpoint ``path`` (``other`` is a checkpoint of another run); return the file to be named."""
    arrays, config = _arrays(path), _config(path)
    if case == "q-wrong-shape":  # used to be broadcast into the table
        rewrite_file(path, "arrays.npz", _npz(**{**arrays, "q1": np.zeros((1, 4))}))
    elif case == "q-all-nan":
        rewrite_file(path, "arrays.npz", _npz(**{**arrays, "q1": np.full((16, 4), np.nan)}))
    elif case == "q-missing":
        rewrite_file(path, "arrays.npz", _npz(**{k: v for k, v in arrays.items() if k != "q1"}))
    elif case == "negative-counts":
        rewrite_file(path, "arrays.npz", _npz(**{**arrays, "counts": -np.ones((16, 4), dtype=np.int64)}))
    elif case == "config-of-another-run":  # the crash-between-two-writes pair of the old format
        (path / "config.json").write_bytes((other / "config.json").read_bytes())
        return "config.json"
    elif case == "arrays-of-another-run":
        (path / "arrays.npz").write_bytes((other / "arrays.npz").read_bytes())
    elif case == "truncated-arrays":
        data = (path / "arrays.npz").read_bytes()
        (path / "arrays.npz").write_bytes(data[: len(data) // 2])
    elif case == "empty-arrays":
        (path / "arrays.npz").write_bytes(b"")
    elif case == "empty-config":
        (path / "config.json").write_bytes(b"")
        return "config.json"
    elif case == "config-a-list":
        rewrite_file(path, "config.json", b"[1, 2, 3]")
        return "config.json"
    elif case == "config-lacks-keys":
        rewrite_file(path, "config.json", json.dumps({"agent": "QLearning"}).encode())
        return "config.json"
    elif case == "bad-rng-state":
        rewrite_file(path, "config.json", json.dumps({**config, "rng_state": {"bit_generator": "nope"}}).encode())
        return "config.json"
    elif case == "n-states-text":
        rewrite_file(path, "config.json", json.dumps({**config, "n_states": "16"}).encode())
        return "config.json"
    elif case == "no-manifest":
        (path / "manifest.json").unlink()
        return "manifest.json"
    return "arrays.npz"


CASES = [
    "q-wrong-shape",
    "q-all-nan",
    "q-missing",
    "negative-counts",
    "config-of-another-run",
    "arrays-of-another-run",
    "truncated-arrays",
    "empty-arrays",
    "empty-config",
    "config-a-list",
    "config-lacks-keys",
    "bad-rng-state",
    "n-states-text",
    "no-manifest",
]


@pytest.mark.parametrize("case", CASES)
def test_a_damaged_checkpoint_is_one_error_naming_the_file(saved, tmp_path, case):
    path = QLearning(gym.make("FrozenLake-v1"), seed=0).learn(200).save(tmp_path / "ckpt")
    file = damage(path, saved / "b", case)
    with pytest.raises(CheckpointError) as info:
        TabularAgent.load(path)
    assert info.value.file.endswith(file), str(info.value)


def test_cli_resume_from_a_damaged_checkpoint_exits_2_with_one_line(saved, tmp_path, capsys):
    path = QLearning(gym.make("FrozenLake-v1"), seed=0).learn(200).save(tmp_path / "run" / "checkpoint")
    damage(path, saved / "b", "q-all-nan")
    argv = ["train", "q-learning", "--env", "FrozenLake-v1", "--total-timesteps", "50", "--eval-episodes", "1"]
    assert cli.main([*argv, "--out", str(tmp_path / "run"), "--resume"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "arrays.npz" in err[0] and "non-finite" in err[0]
    assert not (tmp_path / "run" / "summary.json").exists()  # refused before any result


def test_a_good_checkpoint_still_loads(saved):
    agent = TabularAgent.load(saved / "b")
    assert isinstance(agent, QLearning) and agent.num_timesteps == 700 and agent.config.learning_rate == 0.3
