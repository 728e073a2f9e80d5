"""Per-part checkpoints of a long computation (an experiment's seeds, variants, depths or agents).

A multi-minute experiment is a loop over independent parts; :class:`PartStore` keeps each finished part's result in
``OUT/parts/`` so that an interrupted run (Ctrl-C, SIGTERM) loses at most the part it was in, and a resumed run
(``resume=True``; on the command line ``--out OUT --resume``) skips the parts already done and returns exactly what
an uninterrupted run returns (each part is deterministic given its seed).

Layout::

    parts/
        settings.json     the settings of the run (seed and options); a resume with other settings is refused
        <key>.json        a finished part: its JSON values (written last, so its presence means "finished")
        <key>.npz         the part's NumPy arrays, if any (loaded with ``allow_pickle=False``)

Every file is written atomically (:mod:`boltzgym.utils.io`). A part's result is a flat dict of JSON values (numbers,
strings, lists, dicts) and NumPy arrays.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from boltzgym.utils.io import atomic_write_bytes, atomic_write_json, to_json

PARTS = "parts"
SETTINGS = "settings.json"


class PartStore:
    """The finished parts of one run in ``out_dir/parts``.

    Args:
        out_dir: the run folder.
        settings: what the run's results depend on (seed and options, JSON values); saved on a fresh start and
            compared on resume.
        resume: keep the parts of an earlier run with the same settings (``False``: start afresh, removing them).

    Raises:
        ValueError: on resume, when the saved settings differ from ``settings`` (naming the first setting that
            differs and both values).
    """

    def __init__(self, out_dir: str | Path, settings: dict[str, Any], resume: bool = False) -> None:
        self.folder = Path(out_dir) / PARTS
        self.settings = json.loads(to_json(settings))  # as they read back from disk (tuples as lists, ...)
        saved_path = self.folder / SETTINGS
        if resume and saved_path.is_file():
            saved = json.loads(saved_path.read_text(encoding="utf-8"))
            for key in sorted(set(saved) | set(self.settings)):
                if saved.get(key) != self.settings.get(key):
                    flag = "--seed" if key == "seed" else f"--set {key}"
                    raise ValueError(
                        f"--resume: the run in {str(out_dir)!r} was started with {key}={saved.get(key)!r}, not "
                        f"{self.settings.get(key)!r}; resume it with the same {flag}, or choose another --out"
                    )
        else:
            if self.folder.exists():
                shutil.rmtree(self.folder)
            atomic_write_json(saved_path, self.settings)
        self.resumed: list[str] = []  # keys of the parts read back instead of computed

    def path(self, key: str) -> Path:
        """The JSON file of part ``key`` (its arrays go beside it as ``.npz``)."""
        if not re.fullmatch(r"[A-Za-z0-9_.+=-]+", key):
            raise ValueError(f"part key must be letters, digits and _.+=-, got {key!r}")
        return self.folder / f"{key}.json"

    def done(self, key: str) -> bool:
        """Whether part ``key`` is finished (saved)."""
        return self.path(key).is_file()

    def run(self, key: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Part ``key``'s result: read back when it is finished, else ``compute()``-d and saved."""
        path = self.path(key)
        if path.is_file():
            self.resumed.append(key)
            return self._load(path)
        result = compute()
        if not isinstance(result, dict):
            raise TypeError(f"part {key!r}: expected a dict result, got {type(result).__name__}")
        arrays = {k: v for k, v in result.items() if isinstance(v, np.ndarray)}
        values = {k: v for k, v in result.items() if k not in arrays}
        if arrays:
            buffer = io.BytesIO()
            np.savez(buffer, **arrays)
            atomic_write_bytes(path.with_suffix(".npz"), buffer.getvalue())
        atomic_write_json(path, {"values": values, "arrays": sorted(arrays)})  # last: marks the part finished
        return self._load(path)  # what a resumed run would read (JSON turns tuples into lists)

    def _load(self, path: Path) -> dict[str, Any]:
        record = json.loads(path.read_text(encoding="utf-8"))
        result = dict(record["values"])
        if record["arrays"]:
            with np.load(path.with_suffix(".npz"), allow_pickle=False) as arrays:
                result.update({name: arrays[name] for name in record["arrays"]})
        return result


def has_parts(out_dir: str | Path) -> bool:
    """Whether ``out_dir`` holds the parts of a run (``parts/settings.json``)."""
    return (Path(out_dir) / PARTS / SETTINGS).is_file()
