"""Intermediate results from long-running trainers, for whoever is listening (a sweep's scheduler).

An iterative trainer calls ``report(step=..., metric=value, ...)`` once per epoch or evaluation. Nothing listens by
default, so the call costs a context-variable lookup. ``boltzgym sweep`` installs a listener for the length of a
trial (``reporting_to(callback)``) that forwards each report to Ray Tune, so that ASHA can stop a poor trial
early. The library does not import Ray for this: the listener is any callable taking a dict.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Callable, Iterator
from typing import Any

_LISTENER: contextvars.ContextVar[Callable[[dict[str, float]], None] | None] = contextvars.ContextVar(
    "boltzgym_report_listener", default=None
)


def report(**metrics: Any) -> None:
    """Send the finite numeric ``metrics`` of one epoch/evaluation to the current listener, if any."""
    listener = _LISTENER.get()
    if listener is None:
        return
    listener(numeric_items(metrics))


def listening() -> bool:
    """Whether a listener is installed (so a trainer can skip computing a report nobody reads)."""
    return _LISTENER.get() is not None


@contextlib.contextmanager
def reporting_to(listener: Callable[[dict[str, float]], None]) -> Iterator[None]:
    """Within the block, ``report(...)`` calls go to ``listener`` (a callable taking a dict of floats)."""
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)


def numeric_items(values: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """The finite numbers of a (nested) dict, nested keys joined with dots: ``{"a": {"b": 1}} -> {"a.b": 1.0}``.

    Booleans and non-finite values are left out.
    """
    flat: dict[str, float] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(numeric_items(value, prefix=f"{name}."))
        elif isinstance(value, bool) or value is None:
            continue
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                continue
            if math.isfinite(number):
                flat[name] = number
    return flat
