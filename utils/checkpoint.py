"""Checkpoint folders: written atomically, tied together by a manifest, validated on load.

One checkpoint is one folder::

    checkpoint/
        manifest.json   format, version, counters, and per file: kind, size, sha256, array shapes and dtypes;
                        its own checksum over all of that
        config.json     the JSON configuration (hyperparameters, env spec, ...)
        *.npz           named NumPy arrays (``np.savez``; loaded with ``allow_pickle=False``)
        *.pt            torch state dicts (``torch.save``; loaded with ``torch.load(weights_only=True)``)

:func:`save_checkpoint` writes every file into a hidden sibling folder, fsyncs it, and renames it over the
target, so the target is always either the previous complete checkpoint or the new complete one (never a mix of
two saves). It replaces an existing folder only when that folder is empty or a checkpoint of the same format.

:func:`load_checkpoint` checks the manifest (format, version, counters), every file's size and sha256 (so a
truncated, corrupted or swapped file is found before it is parsed), the arrays' shapes and dtypes against the
manifest and against the shapes the caller expects, and refuses non-finite floats in arrays and tensors. Every
failure is one :class:`CheckpointError` (a ``ValueError``) naming the file and what is wrong.

torch is imported only when a checkpoint holds ``.pt`` files, so this module stays torch-free at import.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import zipfile
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from boltzgym.utils.io import atomic_write_bytes, to_json

MANIFEST = "manifest.json"
CONFIG = "config.json"
_MANIFEST_FORMAT = "boltzgym-checkpoint"  # the manifest's own layout, independent of the payload format
_CHUNK = 1 << 20


class CheckpointError(ValueError):
    """A checkpoint that is missing, truncated, corrupt or of another kind; the message names the file."""

    def __init__(self, file: str | os.PathLike, problem: str) -> None:
        self.file = str(file)
        self.problem = problem
        super().__init__(f"checkpoint file {self.file!r}: {problem}")


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """A checkpoint folder or one of its files that does not exist (also a ``FileNotFoundError``)."""


@dataclass
class Checkpoint:
    """A loaded, validated checkpoint.

    Attributes:
        path: the checkpoint folder.
        format, version: what the manifest declares (checked against what the loader asked for).
        counters: named non-negative integers (steps, episodes, updates, ...).
        config: the parsed ``config.json`` (a dict).
        arrays: ``{file name: {array name: ndarray}}`` for every ``.npz`` file.
        states: ``{file name: object}`` for every ``.pt`` file (what ``torch.save`` was given).
    """

    path: Path
    format: str
    version: int
    counters: dict[str, int]
    config: dict[str, Any]
    arrays: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    states: dict[str, Any] = field(default_factory=dict)

    def error(self, file: str, problem: str) -> CheckpointError:
        """A :class:`CheckpointError` for ``file`` of this checkpoint (for checks the caller makes)."""
        return CheckpointError(self.path / file, problem)


# --- writing -----------------------------------------------------------------------------------------------


def save_checkpoint(
    path: str | os.PathLike,
    format: str,
    version: int,
    config: Mapping[str, Any],
    *,
    arrays: Mapping[str, Mapping[str, np.ndarray]] | None = None,
    states: Mapping[str, Any] | None = None,
    counters: Mapping[str, int] | None = None,
) -> Path:
    """Write a checkpoint folder at ``path`` atomically and return ``path``.

    Args:
        format: the payload's name, e.g. ``"boltzgym-dqn"``; :func:`load_checkpoint` requires the same name.
        version: the payload layout's version (an int >= 1).
        config: a JSON-serialisable dict, written as ``config.json``.
        arrays: ``{file name ending in .npz: {array name: array}}``.
        states: ``{file name ending in .pt: object for torch.save}`` (state dicts of tensors and plain values).
        counters: ``{name: int >= 0}``, e.g. ``{"num_timesteps": 1000}``.

    Raises ``ValueError`` (and writes nothing) when ``path`` is a file or a folder that holds anything but a
    checkpoint of this ``format``.
    """
    path = Path(path)
    arrays = dict(arrays or {})
    states = dict(states or {})
    counters = _checked_counters(dict(counters or {}), path / MANIFEST)
    if not isinstance(config, Mapping):
        raise TypeError(f"config must be a dict, got {type(config).__name__}")
    _check_file_names(arrays, ".npz")
    _check_file_names(states, ".pt")
    if set(arrays) & set(states):
        raise ValueError(f"file names used twice: {sorted(set(arrays) & set(states))}")
    check_replaceable(path, format)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = _new_sibling_folder(path, ".tmp")
    try:
        files: dict[str, dict[str, Any]] = {}
        files[CONFIG] = {"kind": "json"}
        _write_file(staging / CONFIG, lambda handle: handle.write((to_json(dict(config)) + "\n").encode("utf-8")))
        for name, named_arrays in arrays.items():
            named_arrays = {key: np.asarray(value) for key, value in named_arrays.items()}
            _write_file(staging / name, lambda handle, a=named_arrays: np.savez(handle, **a))
            files[name] = {"kind": "npz", "arrays": {key: _describe(value) for key, value in named_arrays.items()}}
        if states:
            import torch

            for name, state in states.items():
                _write_file(staging / name, lambda handle, s=state: torch.save(s, handle))
                files[name] = {"kind": "torch", "tensors": _describe_tensors(state)}
        for name, entry in files.items():
            entry["bytes"] = (staging / name).stat().st_size
            entry["sha256"] = _sha256(staging / name)
        manifest = {
            "manifest": _MANIFEST_FORMAT,
            "format": format,
            "version": int(version),
            "counters": counters,
            "files": files,
        }
        _write_file(staging / MANIFEST, lambda handle: handle.write(_sealed(manifest)))
        _fsync_folder(staging)
        _replace_folder(staging, path, format)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return path


def is_checkpoint(path: str | os.PathLike, format: str | None = None) -> bool:
    """Whether ``path`` is a folder with a readable boltzgym manifest (of ``format``, when given)."""
    try:
        manifest = json.loads((Path(path) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict) or manifest.get("manifest") != _MANIFEST_FORMAT:
        return False
    return format is None or manifest.get("format") == format


def check_replaceable(path: str | os.PathLike, format: str) -> None:
    """Raise ``ValueError`` unless ``path`` is absent, an empty folder or a ``format`` checkpoint, so that a save
    never deletes files it did not write."""
    path = Path(path)
    if not path.exists():
        return
    if not path.is_dir():
        raise ValueError(f"checkpoint path {str(path)!r} is a file, expected a checkpoint folder")
    if not any(path.iterdir()) or is_checkpoint(path, format):
        return
    if is_checkpoint(path):
        raise ValueError(f"checkpoint path {str(path)!r} holds a checkpoint of another kind; refusing to replace it")
    raise ValueError(
        f"checkpoint path {str(path)!r} is a folder that holds no {format} checkpoint; refusing to replace it "
        "(save into a new or empty folder)"
    )


def _manifest_checksum(manifest: dict) -> str:
    """sha256 of the manifest's canonical JSON without its own ``checksum`` field (so that a changed counter,
    size or shape in manifest.json is found like a changed data file)."""
    body = {key: value for key, value in manifest.items() if key != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, allow_nan=False).encode("utf-8")).hexdigest()


def _sealed(manifest: dict) -> bytes:
    manifest = {**manifest, "checksum": _manifest_checksum(json.loads(to_json(manifest)))}
    return (to_json(manifest) + "\n").encode("utf-8")


def _check_file_names(files: Mapping[str, Any], suffix: str) -> None:
    for name in files:
        if not isinstance(name, str) or not name.endswith(suffix) or Path(name).name != name or name.startswith("."):
            raise ValueError(f"checkpoint file name {name!r} must be a plain file name ending in {suffix!r}")


def _write_file(path: Path, write) -> None:
    with open(path, "wb") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_folder(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _describe(array: np.ndarray) -> dict[str, Any]:
    return {"shape": list(array.shape), "dtype": array.dtype.str}


def _describe_tensors(state: Any, prefix: str = "") -> dict[str, Any]:
    """``{dotted key: {"shape", "dtype"}}`` for every tensor nested in dicts/lists of ``state``."""
    import torch

    found: dict[str, Any] = {}
    for key, value in _walk(state, prefix):
        if isinstance(value, torch.Tensor):
            found[key] = {"shape": list(value.shape), "dtype": str(value.dtype).removeprefix("torch.")}
    return found


def _walk(value: Any, prefix: str) -> Iterable[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _walk(item, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix, value


def _new_sibling_folder(path: Path, suffix: str) -> Path:
    """A new hidden folder ``.<name>.<random><suffix>`` next to ``path`` (with the umask's permissions, unlike
    ``tempfile.mkdtemp``'s 0700, so the renamed checkpoint is as readable as its files)."""
    while True:
        candidate = path.parent / f".{path.name}.{secrets.token_hex(6)}{suffix}"
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate


def _replace_folder(staging: Path, path: Path, format: str) -> None:
    """Move the complete ``staging`` folder to ``path``; an existing ``path`` is set aside first and removed only
    after the new one is in place (a crash in between leaves the old checkpoint as ``.<name>.*.old``)."""
    check_replaceable(path, format)  # again: the folder may have changed while the checkpoint was written
    if path.exists():
        old = _new_sibling_folder(path, ".old")
        os.replace(path, old / "checkpoint")
        os.replace(staging, path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, path)
    _fsync_folder(path.parent)


def rewrite_file(path: str | os.PathLike, name: str, data: bytes) -> None:
    """Replace the file ``name`` of the checkpoint at ``path`` with ``data`` and record its new size and sha256
    in the manifest (shapes and dtypes are re-read for ``.npz`` files).

    For tools that migrate a field of old checkpoints, and for tests that need a checkpoint whose files agree
    with the manifest but hold bad values. It does not check what it writes: :func:`load_checkpoint` will.
    """
    path = Path(path)
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    manifest.pop("checksum", None)
    entry = manifest["files"][name]
    atomic_write_bytes(path / name, data)
    entry["bytes"] = len(data)
    entry["sha256"] = hashlib.sha256(data).hexdigest()
    if entry.get("kind") == "npz":
        with np.load(path / name, allow_pickle=False) as arrays:
            entry["arrays"] = {key: _describe(arrays[key]) for key in arrays.files}
    atomic_write_bytes(path / MANIFEST, _sealed(manifest))


# --- loading -----------------------------------------------------------------------------------------------


def load_checkpoint(
    path: str | os.PathLike,
    format: str,
    versions: int | Collection[int] = 1,
    *,
    shapes: Mapping[str, Mapping[str, tuple[int | None, ...]]] | None = None,
    allow_non_finite: Collection[str] = (),
    map_location: Any = "cpu",
) -> Checkpoint:
    """Load and validate the checkpoint folder at ``path`` (written by :func:`save_checkpoint`).

    Args:
        format: the payload name the checkpoint must declare.
        versions: the layout version(s) this caller can read.
        shapes: ``{npz file: {array name: shape}}`` the arrays must have (``None`` matches any length);
            every array named here must be present.
        allow_non_finite: ``"file:array"`` (or ``"file:dotted.tensor.key"``) names that may hold NaN/inf.
        map_location: where torch tensors are loaded.

    Raises :class:`CheckpointError` (a ``ValueError``; :class:`CheckpointNotFoundError` for missing files)
    naming the file and the problem.
    """
    path = Path(path)
    if path.is_file():
        raise CheckpointError(path, "is a file, expected a checkpoint folder (holding manifest.json)")
    if not path.is_dir():
        raise CheckpointNotFoundError(path, "the checkpoint folder does not exist")
    manifest_file = path / MANIFEST
    manifest = _read_json_file(manifest_file)
    if not isinstance(manifest, dict) or manifest.get("manifest") != _MANIFEST_FORMAT:
        raise CheckpointError(manifest_file, "is not a boltzgym checkpoint manifest")
    try:
        intact = manifest.get("checksum") == _manifest_checksum(manifest)
    except (TypeError, ValueError):
        intact = False
    if not intact:
        raise CheckpointError(manifest_file, "is corrupt: its checksum does not match its contents")
    if manifest.get("format") != format:
        raise CheckpointError(manifest_file, f"checkpoint format is {manifest.get('format')!r}, expected {format!r}")
    accepted = {versions} if isinstance(versions, int) else set(versions)
    version = manifest.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version not in accepted:
        raise CheckpointError(manifest_file, f"version is {version!r}, this boltzgym reads {sorted(accepted)}")
    counters = _checked_counters(manifest.get("counters"), manifest_file)
    files = manifest.get("files")
    if not isinstance(files, dict) or CONFIG not in files:
        raise CheckpointError(manifest_file, "lists no files (or no config.json)")
    allowed = set(allow_non_finite)
    checkpoint = Checkpoint(path=path, format=format, version=version, counters=counters, config={})
    for name, entry in files.items():
        file = _checked_entry(path, manifest_file, name, entry)
        kind = entry["kind"]
        if kind == "json":
            config = _read_json_file(file)
            if not isinstance(config, dict):
                raise CheckpointError(file, f"holds a JSON {type(config).__name__}, expected an object")
            checkpoint.config = config
        elif kind == "npz":
            checkpoint.arrays[name] = _load_npz(file, entry, allowed)
        elif kind == "torch":
            checkpoint.states[name] = _load_torch(file, entry, allowed, map_location)
        else:
            raise CheckpointError(manifest_file, f"file {name!r} has unknown kind {kind!r}")
    for name, expected in (shapes or {}).items():
        load_checkpoint_arrays(checkpoint, name, expected)
    return checkpoint


def load_checkpoint_arrays(
    checkpoint: Checkpoint, file: str, shapes: Mapping[str, tuple[int | None, ...]]
) -> dict[str, np.ndarray]:
    """The arrays of ``file`` in ``checkpoint``, each present with the shape ``shapes`` names (``None``: any
    length), else :class:`CheckpointError` naming the file."""
    if file not in checkpoint.arrays:
        raise CheckpointNotFoundError(checkpoint.path / file, "is missing from the checkpoint")
    arrays = checkpoint.arrays[file]
    for key, shape in shapes.items():
        _check_shape(checkpoint.path / file, key, arrays, shape)
    return arrays


def _read_json_file(file: Path) -> Any:
    if not file.is_file():
        raise CheckpointNotFoundError(file, "does not exist")
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(file, f"is corrupt (not valid JSON: {exc})") from exc


def _checked_counters(counters: Any, file: Path) -> dict[str, int]:
    if not isinstance(counters, dict):
        raise CheckpointError(file, f"counters is a {type(counters).__name__}, expected an object")
    for key, value in counters.items():
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 0:
            raise CheckpointError(file, f"counter {key!r} is {value!r}, expected an integer >= 0")
    return {str(key): int(value) for key, value in counters.items()}


def _checked_entry(folder: Path, manifest_file: Path, name: Any, entry: Any) -> Path:
    """The file ``name`` of the manifest, checked to exist with the recorded size and sha256."""
    if not isinstance(name, str) or Path(name).name != name or name in ("", ".", "..", MANIFEST):
        raise CheckpointError(manifest_file, f"lists a bad file name {name!r}")
    if not isinstance(entry, dict) or not {"kind", "bytes", "sha256"} <= entry.keys():
        raise CheckpointError(manifest_file, f"entry of {name!r} lacks kind, bytes or sha256")
    file = folder / name
    if not file.is_file():
        raise CheckpointNotFoundError(file, "is missing (listed in manifest.json)")
    size = file.stat().st_size
    if size != entry["bytes"]:
        state = "truncated" if isinstance(entry["bytes"], int) and size < entry["bytes"] else "of the wrong size"
        raise CheckpointError(file, f"is {state}: {size} bytes, manifest.json records {entry['bytes']}")
    if _sha256(file) != entry["sha256"]:
        raise CheckpointError(file, "is corrupt: its sha256 differs from the one manifest.json records")
    return file


def _load_npz(file: Path, entry: dict, allowed: set[str]) -> dict[str, np.ndarray]:
    try:
        with np.load(file, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise CheckpointError(file, f"is corrupt (not a readable .npz: {exc})") from exc
    described = entry.get("arrays")
    if not isinstance(described, dict) or set(described) != set(arrays):
        raise CheckpointError(file, f"holds arrays {sorted(arrays)}, manifest.json lists {described!r}")
    for key, array in arrays.items():
        if described[key] != _describe(array):
            raise CheckpointError(file, f"array {key!r} is {_describe(array)}, manifest.json records {described[key]}")
        if array.dtype.kind in "fc" and f"{file.name}:{key}" not in allowed and not np.isfinite(array).all():
            raise CheckpointError(file, f"array {key!r} holds non-finite values (NaN or inf)")
    return arrays


def _load_torch(file: Path, entry: dict, allowed: set[str], map_location: Any) -> Any:
    import torch

    try:
        state = torch.load(file, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises many kinds (UnpicklingError, RuntimeError, EOFError, ...)
        raise CheckpointError(file, f"is corrupt (torch.load failed: {exc})") from exc
    described = _describe_tensors(state)
    if described != entry.get("tensors"):
        raise CheckpointError(file, "holds tensors whose names, shapes or dtypes differ from manifest.json")
    for key, value in _walk(state, ""):
        if (
            isinstance(value, torch.Tensor)
            and (value.is_floating_point() or value.is_complex())
            and f"{file.name}:{key}" not in allowed
            and not bool(torch.isfinite(value).all())
        ):
            raise CheckpointError(file, f"tensor {key!r} holds non-finite values (NaN or inf)")
    return state


def _check_shape(file: Path, key: str, arrays: dict[str, np.ndarray], shape: tuple[int | None, ...]) -> None:
    if key not in arrays:
        raise CheckpointError(file, f"lacks the array {key!r}")
    actual = arrays[key].shape
    if len(actual) != len(shape) or any(want is not None and want != got for want, got in zip(shape, actual)):
        expected = tuple("any" if want is None else want for want in shape)
        raise CheckpointError(file, f"array {key!r} has shape {actual}, expected {expected}")


__all__ = [
    "Checkpoint",
    "CheckpointError",
    "CheckpointNotFoundError",
    "check_replaceable",
    "is_checkpoint",
    "load_checkpoint",
    "load_checkpoint_arrays",
    "rewrite_file",
    "save_checkpoint",
]
