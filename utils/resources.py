"""Fail fast on oversized work: estimate what an entry point will allocate and refuse it before allocating.

Usage in an entry point, after its arguments are validated and before any large allocation::

    n_bytes = array_bytes((runs, horizon), np.float64, argument="horizon")
    check_memory(n_bytes, argument="horizon", what="the regret curves")

:func:`check_memory` raises :class:`MemoryBudgetError` (a ``ValueError``, so the CLI reports it as one line with
exit status 2) naming the argument, the estimate and the memory available. Sizes are Python integers, so their
products never wrap around; :func:`checked_size` additionally refuses sizes that NumPy cannot index (over
``2**63 - 1``), which would otherwise overflow in NumPy's own int64 arithmetic.

The memory available is the smaller of the system's available memory (``MemAvailable``) and the cgroup limit
minus its current use; ``BOLTZGYM_MEMORY_LIMIT`` (bytes, or a number with a K/M/G/T suffix) overrides both.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

MAX_INDEX = np.iinfo(np.int64).max
DEFAULT_FRACTION = 0.8  # refuse work that needs more than this share of the memory available
_SUFFIXES = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


class MemoryBudgetError(ValueError):
    """Work refused before it starts because it would need more memory than is available (or overflow)."""


def format_bytes(n_bytes: float) -> str:
    """``1536`` -> ``'1.5 KiB'``; binary units, three significant digits."""
    value = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(value) < 1024 or unit == "PiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.3g} {unit}"
        value /= 1024
    return f"{value:.3g} EiB"  # pragma: no cover


def checked_size(factors: Iterable[int], argument: str, what: str = "the size") -> int:
    """The product of ``factors`` (non-negative ints), refused with :class:`MemoryBudgetError` naming
    ``argument`` when it exceeds what NumPy can index (``2**63 - 1``)."""
    size = math.prod(int(factor) for factor in factors)
    if size > MAX_INDEX:
        raise MemoryBudgetError(f"{argument}: {what} would have {size:.3e} elements, more than NumPy can index")
    return size


def array_bytes(shape: Iterable[int], dtype=np.float64, argument: str = "shape") -> int:
    """Bytes an array of ``shape`` and ``dtype`` needs (overflow-checked as :func:`checked_size`)."""
    return checked_size(shape, argument) * np.dtype(dtype).itemsize


def _parse_bytes(text: str) -> int | None:
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    suffix = text[-1:] if text[-1:] in _SUFFIXES and text[-1:] else ""
    try:
        return int(float(text[: len(text) - len(suffix)]) * _SUFFIXES[suffix])
    except ValueError:
        return None


def available_memory() -> int:
    """Bytes this process can still allocate: ``BOLTZGYM_MEMORY_LIMIT`` if set, else the smaller of the
    system's available memory and the cgroup's remaining allowance."""
    override = os.environ.get("BOLTZGYM_MEMORY_LIMIT")
    if override:
        parsed = _parse_bytes(override)
        if parsed is not None:
            return parsed
    candidates = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                candidates.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max":
            used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
            candidates.append(max(int(limit) - used, 0))
    except (OSError, ValueError):
        pass
    if not candidates:
        try:
            candidates.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, ValueError, AttributeError):  # pragma: no cover - no way to tell: do not refuse
            return MAX_INDEX
    return min(candidates)


def check_memory(n_bytes: int, argument: str, what: str, fraction: float = DEFAULT_FRACTION) -> int:
    """Raise :class:`MemoryBudgetError` naming ``argument`` when ``n_bytes`` (the estimate of what ``what``
    will allocate) exceeds ``fraction`` of :func:`available_memory`; return ``n_bytes`` otherwise."""
    available = available_memory()
    if n_bytes > fraction * available:
        raise MemoryBudgetError(
            f"{argument}: {what} would need about {format_bytes(n_bytes)} of memory, more than the "
            f"{format_bytes(available)} available; reduce {argument}"
        )
    return n_bytes


__all__ = [
    "MemoryBudgetError",
    "array_bytes",
    "available_memory",
    "check_memory",
    "checked_size",
    "format_bytes",
]
