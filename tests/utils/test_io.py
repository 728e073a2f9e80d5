from __future__ import annotations

import json
import math

import numpy as np
import pytest

from boltzgym.utils import atomic_write_json, read_json
from boltzgym.utils.io import atomic_write_bytes


def test_json_round_trip_converts_numpy_and_non_finite(tmp_path):
    path = atomic_write_json(tmp_path / "a" / "s.json", {"x": np.float32(1.5), "v": np.arange(3), "n": math.nan})
    assert read_json(path) == {"x": 1.5, "v": [0, 1, 2], "n": None}


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "ckpt.json"
    atomic_write_json(target, {"old": True})

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("boltzgym.utils.io.os.replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"new")
    assert json.loads(target.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.json"], "temporary file left behind"


def test_read_json_names_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint .*missing.json"):
        read_json(tmp_path / "missing.json", what="checkpoint")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="corrupt"):
        read_json(bad, what="checkpoint")


def test_written_files_get_the_permissions_open_would_give(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        path = atomic_write_json(tmp_path / "summary.json", {"a": 1})
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644
