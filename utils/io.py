"""Atomic file writes: a result or checkpoint file is either the old one or the complete new one.

Each writer puts the bytes in a temporary file in the same folder, flushes and fsyncs it, then
``os.replace``s it over the target (atomic on POSIX and Windows), so an interrupted run never leaves a
half-written file where a complete one stood.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, creating parent folders; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o666 & ~_current_umask())  # mkstemp makes 0600; give what open() would
        os.replace(tmp_name, path)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays and non-finite floats into strict JSON values (NaN/inf -> None)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # numpy array or scalar
        return _jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def to_json(obj: Any, indent: int | None = 2) -> str:
    """Serialize ``obj`` as strict JSON (numpy values converted, NaN/inf written as null)."""
    return json.dumps(_jsonable(obj), indent=indent, allow_nan=False)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as strict, indented JSON to ``path`` atomically."""
    return atomic_write_text(path, to_json(obj) + "\n")


def read_json(path: str | os.PathLike, what: str = "file") -> Any:
    """Read a JSON file, raising ``FileNotFoundError``/``ValueError`` that name the file when it is
    missing or corrupt."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} {str(path)!r} does not exist")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{what} {str(path)!r} is corrupt (not valid JSON): {exc}") from exc


def read_text_lines(path: str | os.PathLike, what: str, encoding: str = "utf-8") -> Iterator[str]:
    """The lines of a user's text file, decoded strictly; errors name ``what`` (the option, e.g. ``--data``), the
    file and the byte offset.

    A file that does not exist, a binary file (a NUL byte: executables, archives, images, UTF-16 text) or bytes that
    are not valid ``encoding`` raise ``ValueError`` before a line with the problem is returned: nothing is replaced
    or dropped silently (``errors="replace"`` would turn Latin-1 "café" into "caf"). Lines keep their newline. A
    UTF-8 byte-order mark at the start is skipped. The file is read line by line, so its size does not matter.
    """
    path = Path(path)
    if not path.is_file():
        kind = "a folder" if path.is_dir() else "no such file"
        raise ValueError(f"{what} {str(path)!r}: {kind}, expected a text file")
    decoder_name = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    offset = 0
    with open(path, "rb") as handle:
        _refuse_binary(handle.read(_SNIFF_BYTES), 0, path, what, encoding)  # a binary file is named so, up front
        handle.seek(0)
        for number, raw in enumerate(handle, start=1):
            _refuse_binary(raw, offset, path, what, encoding)
            try:
                line = raw.decode(decoder_name if number == 1 else encoding)
            except UnicodeDecodeError as exc:
                byte = raw[exc.start : exc.start + 1].hex()
                raise ValueError(
                    f"{what} {str(path)!r} is not valid {encoding} text: byte 0x{byte} at offset {offset + exc.start} "
                    f"(line {number}); convert the file to {encoding} (e.g. iconv -f latin1 -t utf-8)"
                ) from None
            except LookupError:
                raise ValueError(f"{what}: unknown text encoding {encoding!r}") from None
            offset += len(raw)
            yield line


_SNIFF_BYTES = 8192


def _refuse_binary(raw: bytes, offset: int, path: Path, what: str, encoding: str) -> None:
    nul = raw.find(b"\x00")
    if nul < 0:
        return
    if offset == 0 and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        kind = "UTF-16 text (convert it to UTF-8)"
    else:
        kind = f"a binary file (NUL byte at offset {offset + nul})"
    raise ValueError(f"{what} {str(path)!r} is {kind}, expected {encoding} text")


def check_text_file(path: str | os.PathLike, what: str, encoding: str = "utf-8") -> int:
    """Read the whole of a user's text file through :func:`read_text_lines` (so that it is checked before any work)
    and return its number of lines; the errors are :func:`read_text_lines`'."""
    return sum(1 for _ in read_text_lines(path, what, encoding))
