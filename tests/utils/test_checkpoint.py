"""The shared checkpoint folder: atomic replacement, manifest, and a loader that refuses every bad file."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from boltzgym.utils.checkpoint import (
    CheckpointError,
    CheckpointNotFoundError,
    is_checkpoint,
    load_checkpoint,
    save_checkpoint,
)

FORMAT = "boltzgym-test"


def _save(path, q=None, with_torch=False, counters=None):
    q = np.arange(12, dtype=np.float64).reshape(3, 4) if q is None else q
    states = {"model.pt": {"w": torch.ones(2, 3), "opt": {"step": 3, "buf": [torch.zeros(2)]}}} if with_torch else None
    return save_checkpoint(
        path,
        FORMAT,
        1,
        {"alpha": 0.5, "env": "x"},
        arrays={"arrays.npz": {"q": q, "visits": np.zeros(3, dtype=np.int64)}},
        states=states,
        counters=counters or {"num_timesteps": 10},
    )


def test_round_trip_of_json_arrays_and_torch_state(tmp_path):
    path = _save(tmp_path / "ckpt", with_torch=True)
    checkpoint = load_checkpoint(path, FORMAT, shapes={"arrays.npz": {"q": (3, None)}})
    assert checkpoint.config == {"alpha": 0.5, "env": "x"}
    assert checkpoint.counters == {"num_timesteps": 10}
    np.testing.assert_array_equal(checkpoint.arrays["arrays.npz"]["q"], np.arange(12.0).reshape(3, 4))
    assert checkpoint.arrays["arrays.npz"]["visits"].dtype == np.int64
    assert torch.equal(checkpoint.states["model.pt"]["w"], torch.ones(2, 3))
    assert checkpoint.states["model.pt"]["opt"]["step"] == 3
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["format"] == FORMAT and manifest["version"] == 1
    assert manifest["files"]["arrays.npz"]["arrays"]["q"] == {"shape": [3, 4], "dtype": "<f8"}
    assert manifest["files"]["model.pt"]["tensors"]["w"] == {"shape": [2, 3], "dtype": "float32"}
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"].values())
    assert is_checkpoint(path, FORMAT) and not is_checkpoint(path, "other")


def test_save_replaces_a_checkpoint_and_leaves_no_temporary_folders(tmp_path):
    _save(tmp_path / "ckpt", counters={"num_timesteps": 1})
    _save(tmp_path / "ckpt", q=np.ones((3, 4)), counters={"num_timesteps": 2})
    assert load_checkpoint(tmp_path / "ckpt", FORMAT).counters == {"num_timesteps": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


@pytest.mark.parametrize("kind", ["file", "foreign folder", "other format"])
def test_save_never_replaces_what_is_not_its_checkpoint(tmp_path, kind):
    target = tmp_path / "target"
    if kind == "file":
        target.write_text("precious")
    elif kind == "foreign folder":
        target.mkdir()
        (target / "notes.txt").write_text("precious")
    else:
        save_checkpoint(target, "boltzgym-other", 1, {})
    before = sorted(p.name for p in target.iterdir()) if target.is_dir() else target.read_text()
    with pytest.raises(ValueError, match="refusing|is a file"):
        _save(target)
    after = sorted(p.name for p in target.iterdir()) if target.is_dir() else target.read_text()
    assert before == after
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target"]


def test_a_crash_while_saving_keeps_the_previous_checkpoint(tmp_path):
    _save(tmp_path / "ckpt", counters={"num_timesteps": 1})

    class Boom:
        def __array__(self, dtype=None, copy=None):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path / "ckpt", FORMAT, 1, {}, arrays={"arrays.npz": {"q": Boom()}})
    assert load_checkpoint(tmp_path / "ckpt", FORMAT).counters == {"num_timesteps": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def _corrupt(path, case):
    """Apply one kind of damage to the checkpoint at ``path``; return the file the error must name."""
    manifest = json.loads((path / "manifest.json").read_text())
    if case == "truncated npz":
        data = (path / "arrays.npz").read_bytes()
        (path / "arrays.npz").write_bytes(data[: len(data) // 2])
        return "arrays.npz"
    if case == "empty npz":
        (path / "arrays.npz").write_bytes(b"")
        return "arrays.npz"
    if case == "flipped byte":
        data = bytearray((path / "model.pt").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (path / "model.pt").write_bytes(bytes(data))
        return "model.pt"
    if case == "missing file":
        (path / "model.pt").unlink()
        return "model.pt"
    if case == "missing manifest":
        (path / "manifest.json").unlink()
        return "manifest.json"
    if case == "manifest not json":
        (path / "manifest.json").write_text("{not json")
        return "manifest.json"
    if case == "manifest a list":
        (path / "manifest.json").write_text("[]")
        return "manifest.json"
    if case == "config from another save":
        (path / "config.json").write_text('{"alpha": 0.9, "env": "x"}\n')  # same size, other content
        return "config.json"
    if case == "wrong format":
        manifest["format"] = "boltzgym-other"
    elif case == "wrong version":
        manifest["version"] = 99
    elif case == "negative counter":
        manifest["counters"]["num_timesteps"] = -1
    elif case == "edited counter":  # a valid value, but not the one saved: the manifest's own checksum finds it
        manifest["counters"]["num_timesteps"] = 11
    elif case == "path escape":
        manifest["files"]["../x.npz"] = manifest["files"].pop("arrays.npz")
    (path / "manifest.json").write_text(json.dumps(manifest))
    return "manifest.json"


CORRUPTIONS = [
    "truncated npz",
    "empty npz",
    "flipped byte",
    "missing file",
    "missing manifest",
    "manifest not json",
    "manifest a list",
    "config from another save",
    "wrong format",
    "wrong version",
    "negative counter",
    "edited counter",
    "path escape",
]


@pytest.mark.parametrize("case", CORRUPTIONS)
def test_every_damage_is_one_error_naming_the_file(tmp_path, case):
    path = _save(tmp_path / "ckpt", with_torch=True)
    file = _corrupt(path, case)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, FORMAT)
    assert isinstance(info.value, ValueError)
    assert info.value.file.endswith(file), (case, str(info.value))
    assert file in str(info.value)


def test_wrong_shapes_are_refused(tmp_path):
    path = _save(tmp_path / "ckpt", q=np.zeros((3, 5)))
    with pytest.raises(CheckpointError, match=r"'q' has shape \(3, 5\), expected \(3, 4\)"):
        load_checkpoint(path, FORMAT, shapes={"arrays.npz": {"q": (3, 4)}})
    with pytest.raises(CheckpointError, match="lacks the array 'missing'"):
        load_checkpoint(path, FORMAT, shapes={"arrays.npz": {"missing": (3,)}})
    with pytest.raises(CheckpointNotFoundError, match="replay.npz"):
        load_checkpoint(path, FORMAT, shapes={"replay.npz": {"obs": (None,)}})


def test_non_finite_arrays_and_tensors_are_refused(tmp_path):
    q = np.zeros((3, 4))
    q[1, 2] = np.nan
    path = _save(tmp_path / "nan", q=q)
    with pytest.raises(CheckpointError, match="'q' holds non-finite"):
        load_checkpoint(path, FORMAT)
    assert np.isnan(load_checkpoint(path, FORMAT, allow_non_finite={"arrays.npz:q"}).arrays["arrays.npz"]["q"][1, 2])
    weights = {"net": {"w": torch.tensor([1.0, float("inf")])}}
    save_checkpoint(tmp_path / "t", FORMAT, 1, {}, states={"model.pt": weights})
    with pytest.raises(CheckpointError, match=r"model.pt.*'net.w' holds non-finite"):
        load_checkpoint(tmp_path / "t", FORMAT)


def test_missing_folder_and_file_path(tmp_path):
    with pytest.raises(CheckpointNotFoundError) as info:
        load_checkpoint(tmp_path / "nope", FORMAT)
    assert isinstance(info.value, FileNotFoundError)
    (tmp_path / "file").write_text("x")
    with pytest.raises(CheckpointError, match="is a file"):
        load_checkpoint(tmp_path / "file", FORMAT)


def test_utils_import_stays_torch_free():
    code = "import sys, boltzgym.utils.checkpoint, boltzgym.utils; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
