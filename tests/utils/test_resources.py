"""Memory estimates refuse oversized work before it is allocated, naming the argument."""

from __future__ import annotations

import numpy as np
import pytest

from boltzgym.utils.resources import (
    MemoryBudgetError,
    array_bytes,
    available_memory,
    check_memory,
    checked_size,
    format_bytes,
)


def test_array_bytes_and_overflow():
    assert array_bytes((3, 4), np.float32) == 48
    assert checked_size([2**31, 2**31], "n") == 2**62
    with pytest.raises(MemoryBudgetError, match="--runs: .*more than NumPy can index"):
        checked_size([2**40, 2**40], "--runs")
    with pytest.raises(ValueError, match="horizon"):
        array_bytes((2**62, 4), np.float64, argument="horizon")  # 2**64 elements: would wrap in int64


def test_check_memory_names_argument_estimate_and_available(monkeypatch):
    monkeypatch.setenv("BOLTZGYM_MEMORY_LIMIT", "1M")
    assert available_memory() == 1 << 20
    assert check_memory(1000, "--horizon", "the curves") == 1000
    with pytest.raises(MemoryBudgetError) as info:
        check_memory(10 << 20, "--horizon", "the regret curves")
    message = str(info.value)
    assert message.startswith("--horizon: the regret curves") and "10 MiB" in message and "1 MiB available" in message


def test_available_memory_is_positive_without_override(monkeypatch):
    monkeypatch.delenv("BOLTZGYM_MEMORY_LIMIT", raising=False)
    assert available_memory() > 0


def test_format_bytes():
    assert format_bytes(512) == "512 B"
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(3 * 2**30) == "3 GiB"
