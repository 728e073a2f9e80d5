"""Metrics: the one CSV writer, the one metrics writer of every trainer (``metrics.csv`` and TensorBoard), and the
in-memory log that training loops record to.

Every trainer writes its rows with :func:`write_metrics`: ``OUT/metrics.csv`` and, when ``tensorboard`` is installed
(``pip install boltzgym[tensorboard]``; ``make install`` installs it), the same scalars as TensorBoard event files
in ``OUT/tensorboard/`` (Stable-Baselines3's ``tensorboard_log`` convention; ``tensorboard --logdir runs/`` shows
every run). The trainer names its x-axis column (``step``, ``timestep``, ``epoch``, ``sweep``, ``t``); every other
column is one scalar series, tagged by :func:`metric_tag` with CleanRL's groups: a column that names its group keeps
its name (``charts/epsilon``, ``losses/td_loss``, ``eval/mean_return``), a loss goes under ``losses/``, a held-out
measure (``val_``, ``eval_``, ``test_``) under ``eval/``, the rest under ``charts/``. Rows that compare several
series of the same columns (the bandit's policies) name a ``run`` column: each of its values is a TensorBoard run,
``OUT/tensorboard/<value>/``, so that TensorBoard overlays them on one chart per tag.

The events hold what ``metrics.csv`` holds and nothing else: each write replaces the event files of
``OUT/tensorboard/`` with one file per run holding every row (a resumed run's rows since step 0 included, as in its
``metrics.csv``), so a resumed or re-written run never shows a point twice. Values are TensorBoard scalars
(``simple_value``, float32: each equals its CSV value rounded to float32). :class:`MetricsLog` (DQN) also streams
its scalars while it trains, for a live view; its final write replaces the streamed file the same way.

The events are written with TensorBoard's own record format and protocol buffers: neither TensorFlow nor torch is
imported, and ``tensorboard`` itself only when a run writes its metrics.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import numbers
import os
import socket
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from boltzgym.utils.io import atomic_write_text

TENSORBOARD_DIR = "tensorboard"  # OUT/tensorboard/, as Stable-Baselines3's tensorboard_log
_HELD_OUT_PREFIXES = ("val_", "eval_", "test_")
_FLUSH_SECONDS = 5.0  # a streamed event file reaches the disk at least this often while scalars arrive
_file_numbers = itertools.count()


def write_csv(path: str | os.PathLike, rows: Sequence[dict[str, Any]]) -> Path:
    """Write a list of flat dicts as CSV atomically (columns: union of keys in first-seen order; a header
    ``step`` alone when there are no rows)."""
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns or ["step"])
    writer.writeheader()
    writer.writerows(rows)
    return atomic_write_text(path, buffer.getvalue())


@functools.lru_cache(maxsize=1024)
def metric_tag(column: str) -> str:
    """The TensorBoard tag of a ``metrics.csv`` column: the column itself where it names its group
    (``charts/epsilon``), ``losses/<column>`` for a loss (``loss``, ``*_loss``), ``eval/<column>`` for a held-out
    measure (``val_*``, ``eval_*``, ``test_*``), ``charts/<column>`` for the rest."""
    if "/" in column:
        return column
    if column == "loss" or column.endswith("_loss"):
        return f"losses/{column}"
    if column.startswith(_HELD_OUT_PREFIXES):
        return f"eval/{column}"
    return f"charts/{column}"


def write_metrics(
    out_dir: str | os.PathLike, rows: Sequence[dict[str, Any]], *, step: str, run: str | None = None
) -> Path:
    """Write ``rows`` as ``out_dir/metrics.csv`` and their scalars into ``out_dir/tensorboard/`` (see the module
    docstring); returns the CSV's path.

    Args:
        out_dir: the run folder.
        rows: one dict per row; the values are numbers (``None``: an empty cell, no scalar), the ``run`` column's
            strings excepted.
        step: the column that is TensorBoard's x-axis (whole numbers).
        run: a column whose values split the rows into TensorBoard runs (``OUT/tensorboard/<value>/``).

    Raises:
        ValueError: a row without its ``step`` (or ``run``) value, a step that is not a whole number, or a run
            value that is no folder name; ``TypeError``: a value that is not a number. Both before any file is
            written, whether tensorboard is installed or not.
    """
    series = _scalar_series(rows, step, run)
    path = write_csv(Path(out_dir) / "metrics.csv", rows)
    _write_events(Path(out_dir) / TENSORBOARD_DIR, series)
    return path


def write_tensorboard(
    out_dir: str | os.PathLike, rows: Sequence[dict[str, Any]], *, step: str, run: str | None = None
) -> Path | None:
    """Replace the event files of ``out_dir/tensorboard/`` with ``rows``' scalars (as :func:`write_metrics` does,
    without the CSV); returns that folder, or ``None`` when tensorboard is not installed."""
    return _write_events(Path(out_dir) / TENSORBOARD_DIR, _scalar_series(rows, step, run))


def _scalar_series(rows: Sequence[dict[str, Any]], step: str, run: str | None) -> dict[str, list[tuple]]:
    """``{run value ('' without a run column): [(step, tag, value), ...]}`` in row order, checked."""
    series: dict[str, list[tuple]] = {}
    for row in rows:
        if step not in row:
            raise ValueError(f"metrics row {row!r} has no {step!r} value (the step column)")
        x = row[step]
        if not _is_number(x) or int(x) != x:
            raise ValueError(f"metrics column {step!r} (the step column) holds {x!r}, expected a whole number")
        name = ""
        if run is not None:
            name = row.get(run)
            if not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "\\" in name:
                raise ValueError(f"metrics column {run!r} (the run column) holds {name!r}, expected a folder name")
        points = series.setdefault(name, [])
        for column, value in row.items():
            if column in (step, run) or value is None:
                continue
            if not _is_number(value):
                raise TypeError(f"metrics column {column!r} holds {value!r}, expected a number")
            points.append((int(x), metric_tag(column), float(value)))
    return series


def _is_number(value: Any) -> bool:
    kind = type(value)  # int and float first: the rows of a long run are checked at every write
    return kind is float or kind is int or (isinstance(value, numbers.Real) and not isinstance(value, bool))


# the modules the events are written with (imported on first write; a worker process may import them beforehand)
TENSORBOARD_MODULES = (
    "tensorboard.compat.proto.event_pb2",
    "tensorboard.compat.proto.summary_pb2",
    "tensorboard.summary.writer.record_writer",
)


def _protos():
    """TensorBoard's ``(event_pb2, summary_pb2, RecordWriter)`` (from ``TENSORBOARD_MODULES``), or ``None`` when
    tensorboard is not installed."""
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.summary.writer.record_writer import RecordWriter
    except ImportError:
        return None
    return event_pb2, summary_pb2, RecordWriter


def _event_file_name() -> str:
    """TensorBoard's event file name: ``events.out.tfevents.<seconds>.<host>.<pid>.<n>``."""
    return f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}.{next(_file_numbers)}"


class EventFile:
    """A new TensorBoard event file in ``log_dir`` (created), with scalars appended as they come; the file is
    flushed every few seconds, by :meth:`flush` and by :meth:`close`.

    Written with TensorBoard's record writer and protocol buffers (no TensorFlow, no torch); ``ImportError`` when
    tensorboard is not installed. ``name`` overrides the file's name (TensorBoard reads files whose name holds
    ``tfevents``); ``append=True`` continues the existing file ``log_dir/name``."""

    def __init__(self, log_dir: str | os.PathLike, name: str | None = None, *, append: bool = False) -> None:
        protos = _protos()
        if protos is None:
            raise ImportError("TensorBoard event files need tensorboard: pip install 'boltzgym[tensorboard]'")
        self._event, self._summary, record_writer = protos[0].Event, protos[1].Summary, protos[2]
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.log_dir / (name or _event_file_name())
        self._file = open(self.path, "ab" if append else "wb")  # closed by close()
        self._records = record_writer(self._file)
        self._flushed = time.monotonic()
        if not append:
            self._records.write(self._event(wall_time=time.time(), file_version="brain.Event:2").SerializeToString())

    def add_scalar(self, tag: str, value: float, step: int) -> None:
        """Append one scalar point (a float32 ``simple_value``, as TensorBoard's scalars are)."""
        summary = self._summary(value=[self._summary.Value(tag=tag, simple_value=float(value))])
        event = self._event(wall_time=time.time(), step=int(step), summary=summary)
        self._records.write(event.SerializeToString())
        if time.monotonic() - self._flushed > _FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write what is buffered to the disk."""
        self._file.flush()
        self._flushed = time.monotonic()

    def close(self) -> None:
        """Flush and close the file (again: nothing)."""
        if not self._file.closed:
            self._file.close()


# folder -> (its event file, the points written into it, their hash, the file's size then): the file that the
# next write of the same rows plus more appends to, rather than writing everything again (fit writes every epoch)
_written: dict[Path, tuple[Path, int, int, int]] = {}


def _write_events(root: Path, series: dict[str, list[tuple]]) -> Path | None:
    """Replace every event file under ``root`` with one file per run holding ``series`` (written under a hidden
    name, then renamed: TensorBoard never reads a half-written file). Where this process wrote a run's file and
    the points then written begin ``series``' points unchanged, the rest are appended to it instead."""
    if _protos() is None:
        return None
    root, kept = root.absolute(), set()
    for name, points in series.items():
        folder = root / name if name else root
        path, count = _appendable(folder, points), 0
        if path is not None:
            count = _written[folder][1]
            events = EventFile(folder, name=path.name, append=True)
        else:
            hidden = f".{os.getpid()}.{next(_file_numbers)}.events.tmp"  # no "tfevents": TensorBoard skips it
            events = EventFile(folder, name=hidden)
        try:
            for x, tag, value in points[count:]:
                events.add_scalar(tag, value, x)
        finally:
            events.close()
        if path is None:
            path = folder / _event_file_name()
            os.replace(events.path, path)
        _written[folder] = (path, len(points), hash(tuple(points)), path.stat().st_size)
        kept.add(path)
    if root.is_dir():
        for path in sorted(root.rglob("*tfevents*"), reverse=True):
            if path.is_file() and path not in kept:
                path.unlink()
        for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()
    return root


def _appendable(folder: Path, points: list[tuple]) -> Path | None:
    """The event file in ``folder`` that holds exactly the first points of ``points`` (written by this process and
    untouched since), or ``None``."""
    if folder not in _written:
        return None
    path, count, digest, size = _written[folder]
    try:
        unchanged = path.stat().st_size == size
    except OSError:
        return None
    return path if unchanged and len(points) >= count and hash(tuple(points[:count])) == digest else None


def _event_file_class():
    """:class:`EventFile`, or ``None`` when tensorboard is not installed (it is optional)."""
    return EventFile if _protos() is not None else None


class MetricsLog:
    """Rows of metrics kept in memory, written by :meth:`write_csv` with :func:`write_metrics` (``step`` is the
    x-axis), and streamed to ``log_dir/tensorboard/`` when tensorboard is installed (between :meth:`open` and
    :meth:`close`).

    Trainers save the rows in their checkpoints, so that the ``metrics.csv`` of a resumed run holds every row
    since step 0, as its learning curve does. :meth:`open` first rewrites the event files from those rows (the
    points an interrupted run streamed past its last checkpoint go), :meth:`write_csv` replaces the streamed file
    with one holding every row: the events always equal ``metrics.csv``."""

    writer_class = staticmethod(_event_file_class)  # replaceable in tests

    def __init__(self, log_dir: str | os.PathLike | None) -> None:
        self.log_dir = None if log_dir is None else Path(log_dir)
        self.rows: list[dict[str, float]] = []
        self._writer = None

    def open(self) -> None:
        """Open a streaming event file in ``log_dir/tensorboard`` (when there is a ``log_dir`` and tensorboard is
        installed), after rewriting the folder from the rows so far."""
        if self.log_dir is not None and self._writer is None:
            writer_class = self.writer_class()
            if writer_class is not None:
                write_tensorboard(self.log_dir, self.rows, step="step")
                self._writer = writer_class(str(self.log_dir / TENSORBOARD_DIR))

    def close(self) -> None:
        """Close the streaming event file, if open (it is complete and its file handle released)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def record(self, step: int, values: dict[str, float]) -> None:
        """Append one row ``{"step": step, **values}`` (and stream the values when open)."""
        self.rows.append({"step": step, **values})
        if self._writer is not None:
            for name, value in values.items():
                self._writer.add_scalar(metric_tag(name), value, step)

    def write_csv(self) -> Path | None:
        """Write every row so far with :func:`write_metrics` into ``log_dir`` (nothing without a ``log_dir``); a
        stream open here is closed, replaced and reopened."""
        if self.log_dir is None:
            return None
        streaming = self._writer is not None
        self.close()
        path = write_metrics(self.log_dir, self.rows, step="step")
        if streaming:
            self.open()
        return path


def check_metric_rows(rows: Any) -> list[dict[str, float]]:
    """Rows read back from a checkpoint, checked: a list of objects mapping names to numbers (``TypeError``)."""
    if not isinstance(rows, list):
        raise TypeError(f"metrics is a {type(rows).__name__}, expected a list of rows")
    for row in rows:
        if not isinstance(row, dict) or not all(
            isinstance(key, str) and isinstance(value, (int, float)) and not isinstance(value, bool)
            for key, value in row.items()
        ):
            raise TypeError(f"metrics row {row!r} is not an object of numbers")
    return rows


__all__ = [
    "TENSORBOARD_DIR",
    "EventFile",
    "MetricsLog",
    "check_metric_rows",
    "metric_tag",
    "write_csv",
    "write_metrics",
    "write_tensorboard",
]
