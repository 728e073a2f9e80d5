"""Metrics: one CSV writer for every command and trainer, and the in-memory log that training loops record to.

Metric names are grouped as CleanRL groups them (``charts/``, ``losses/``, ``eval/``). TensorBoard is optional:
it is imported only when a :class:`MetricsLog` with a ``log_dir`` is opened and ``tensorboard`` is installed.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from boltzgym.utils.io import atomic_write_text


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


def _summary_writer_class():
    """TensorBoard's ``SummaryWriter`` class, or ``None`` when tensorboard is not installed (it is optional)."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter


class MetricsLog:
    """Rows of metrics kept in memory, written as ``log_dir/metrics.csv`` by :meth:`write_csv`, and streamed to
    TensorBoard when ``tensorboard`` is installed (between :meth:`open` and :meth:`close`).

    Trainers save the rows in their checkpoints, so that the ``metrics.csv`` of a resumed run holds every row
    since step 0, as its learning curve does."""

    writer_class = staticmethod(_summary_writer_class)  # replaceable in tests

    def __init__(self, log_dir: str | os.PathLike | None) -> None:
        self.log_dir = None if log_dir is None else Path(log_dir)
        self.rows: list[dict[str, float]] = []
        self._writer = None

    def open(self) -> None:
        """Open a TensorBoard writer on ``log_dir`` (when there is one and tensorboard is installed)."""
        if self.log_dir is not None and self._writer is None:
            writer_class = self.writer_class()
            if writer_class is not None:
                self._writer = writer_class(str(self.log_dir))

    def close(self) -> None:
        """Close the TensorBoard writer, if open (its event file is complete and its file handle released)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def record(self, step: int, values: dict[str, float]) -> None:
        """Append one row ``{"step": step, **values}`` (and send the values to TensorBoard when open)."""
        self.rows.append({"step": step, **values})
        if self._writer is not None:
            for name, value in values.items():
                self._writer.add_scalar(name, value, step)

    def write_csv(self) -> Path | None:
        """Write every row so far to ``log_dir/metrics.csv`` atomically (nothing without a ``log_dir``)."""
        if self.log_dir is None:
            return None
        if self._writer is not None:
            self._writer.flush()
        return write_csv(self.log_dir / "metrics.csv", self.rows)


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


__all__ = ["MetricsLog", "check_metric_rows", "write_csv"]
