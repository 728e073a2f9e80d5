"""Hypothesis fuzzing of the validators and the checkpoint loaders (issue 9, case 8): whatever they are given, they
answer with the value or with one error of the documented kinds, naming the argument or the file."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boltzgym.agents.dqn import DQNConfig
from boltzgym.agents.tabular import QLearning, TabularAgent
from boltzgym.utils.checkpoint import CheckpointError, load_checkpoint, rewrite_file
from boltzgym.utils.validation import check_bool, check_count, check_in_range, check_int, check_positive, check_widths

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
anything = json_values | st.floats() | st.just(np.int64(3)) | st.just(np.float32(0.5)) | st.just(np.bool_(True))


@FUZZ
@given(value=anything)
def test_validators_return_the_value_or_name_the_argument(value):
    checks = [
        lambda v: check_int("arg_name", v, minimum=0),
        lambda v: check_positive("arg_name", v),
        lambda v: check_in_range("arg_name", v, 0.0, 1.0),
        lambda v: check_count("arg_name", v, 1),
        lambda v: check_widths("arg_name", v),
        lambda v: check_bool("arg_name", v),
    ]
    for check in checks:
        try:
            result = check(value)
        except (TypeError, ValueError) as exc:
            assert "arg_name" in str(exc)
        else:
            assert result is not None


@FUZZ
@given(values=st.dictionaries(st.sampled_from(["gamma", "net_arch", "batch_size", "tau", "q_network"]), json_values))
def test_dqn_config_from_json_is_valid_or_one_named_error(values):
    try:
        DQNConfig.from_dict(values)
    except (TypeError, ValueError) as exc:
        assert any(name in str(exc) for name in values)


@pytest.fixture(scope="module")
def tabular_checkpoint(tmp_path_factory):
    return QLearning(gym.make("FrozenLake-v1"), seed=0).learn(300).save(tmp_path_factory.mktemp("fuzz") / "ckpt")


def _copy(path: Path) -> Path:
    target = Path(tempfile.mkdtemp()) / "ckpt"
    shutil.copytree(path, target)
    return target


@FUZZ
@given(
    name=st.sampled_from(["manifest.json", "config.json", "arrays.npz"]),
    position=st.floats(0.0, 1.0),
    kind=st.sampled_from(["truncate", "flip", "insert", "replace"]),
    data=st.binary(min_size=1, max_size=16),
)
def test_damaged_bytes_give_one_checkpoint_error_naming_the_file(tabular_checkpoint, name, position, kind, data):
    path = _copy(tabular_checkpoint)
    try:
        content = bytearray((path / name).read_bytes())
        at = int(position * (len(content) - 1))
        if kind == "truncate":
            content = content[:at]
        elif kind == "flip":
            content[at] ^= data[0] or 1
        elif kind == "insert":
            content[at:at] = data
        else:
            content = bytearray(data)
        (path / name).write_bytes(bytes(content))
        try:
            agent = TabularAgent.load(path)
        except CheckpointError as exc:
            assert Path(exc.file).name in ("manifest.json", name)
        else:  # only a change that alters nothing (e.g. the manifest's trailing newline) may load: the same agent
            original = TabularAgent.load(tabular_checkpoint)
            np.testing.assert_array_equal(agent.q_table, original.q_table)
            assert agent.num_timesteps == original.num_timesteps and agent.config == original.config
    finally:
        shutil.rmtree(path.parent)


@FUZZ
@given(config=st.dictionaries(st.sampled_from(["agent", "hyperparameters", "n_states", "n_actions", "seed",
                                               "rng_state"]), json_values))  # fmt: skip
def test_consistent_but_wrong_configs_give_one_checkpoint_error(tabular_checkpoint, config):
    path = _copy(tabular_checkpoint)
    try:
        original = json.loads((path / "config.json").read_text())
        rewrite_file(path, "config.json", json.dumps({**original, **config}).encode())
        try:
            agent = TabularAgent.load(path)
        except CheckpointError as exc:
            assert exc.file.endswith(("config.json", "arrays.npz", "manifest.json"))
        else:  # what loads is what was asked for: the checkpoint's table, of the declared size
            assert agent.q_table.shape == (agent.n_states, agent.n_actions) == (16, 4)
    finally:
        shutil.rmtree(path.parent)


@FUZZ
@given(manifest=st.dictionaries(st.sampled_from(["format", "version", "counters", "files", "manifest"]), json_values))
def test_fuzzed_manifests_give_one_checkpoint_error(tabular_checkpoint, manifest):
    path = _copy(tabular_checkpoint)
    try:
        original = json.loads((path / "manifest.json").read_text())
        (path / "manifest.json").write_text(json.dumps({**original, **manifest}))
        try:
            load_checkpoint(path, "boltzgym-tabular", 2)
        except CheckpointError:
            pass
    finally:
        shutil.rmtree(path.parent)
