"""Argument checks that raise errors naming the argument, the value received and what was expected."""

from __future__ import annotations

import functools
import inspect
import numbers

import numpy as np


def check_int(name: str, value, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an int, or raise ``TypeError``/``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def _check_real(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_positive(name: str, value, allow_zero: bool = False) -> float:
    """Return ``value`` as a float that is > 0 (or >= 0 with ``allow_zero``)."""
    value = _check_real(name, value)
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value}")
    return value


def check_in_range(name: str, value, low: float, high: float) -> float:
    """Return ``value`` as a float in the closed interval [low, high]."""
    value = _check_real(name, value)
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    return value


def check_probability(name: str, value) -> float:
    """Return ``value`` as a float in [0, 1]."""
    return check_in_range(name, value, 0.0, 1.0)


def check_seed(name: str, seed) -> int | None:
    """Accept ``None`` or a non-negative integer seed."""
    if seed is None:
        return None
    return check_int(name, seed, minimum=0)


def check_bool(name: str, value) -> bool:
    """``value`` as a bool; strings such as ``"False"`` are refused (they are truthy), and so are 0 and 1."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be true or false, got {value!r} ({type(value).__name__})")
    return bool(value)


def check_count(name: str, value, minimum: int = 0) -> int:
    """``value`` as an int >= ``minimum``; an integral float (``1e5`` as written on a command line) is accepted."""
    if isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer():
        value = int(value)
    return check_int(name, value, minimum=minimum)


def check_widths(name: str, value, example: str = "[64, 64]", allow_empty: bool = False) -> tuple[int, ...]:
    """``value`` as a tuple of positive ints (layer widths or channel counts), non-empty unless ``allow_empty``
    (an empty list of hidden widths is a linear map)."""
    well_typed = isinstance(value, (list, tuple)) and all(
        isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)) for v in value
    )
    if not well_typed:
        raise TypeError(
            f"{name} must be a list of positive integers, e.g. {example}, got {value!r} ({type(value).__name__})"
        )
    if not (allow_empty or len(value) > 0) or any(v < 1 for v in value):
        raise ValueError(f"{name} must be a list of positive integers, e.g. {example}, got {list(value)!r}")
    return tuple(int(v) for v in value)


class DivergenceError(ArithmeticError):
    """Training produced non-finite losses or parameters and was stopped (the CLI exits with status 3)."""


def check_setting(name: str, value, low: float, high: float):
    """``value`` checked against the declared range ``[low, high]`` of setting ``name``: an int for an int range (a
    float range takes ints too), each element of a list or tuple; ``None`` passes (the setting's "not given")."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return type(value)(check_setting(name, item, low, high) for item in value)
    if isinstance(low, int) and isinstance(high, int):
        return check_int(name, value, minimum=low, maximum=high)
    return check_in_range(name, value, low, high)


def setting_ranges(**ranges: tuple[float, float]):
    """Declare the range ``(low, high)`` (inclusive) of a function's numeric settings and check it at every call.

    The decorated function refuses an out-of-range value with a ``ValueError`` naming the setting before it runs
    (``corridor_length must be <= 1000, got 1000000000000``, not minutes of silent work); the ranges are kept as
    ``function.__setting_ranges__`` (so a command line can check its ``--set`` values before it makes a run folder)
    and appended to the docstring. Int bounds check integers, float bounds real numbers; a list or tuple setting is
    checked element by element.
    """

    def decorate(function):
        signature = inspect.signature(function)
        unknown = sorted(set(ranges) - set(signature.parameters))
        if unknown:
            raise TypeError(f"setting_ranges: {function.__qualname__} has no parameter {unknown[0]!r}")

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            for key, (low, high) in ranges.items():
                check_setting(key, bound.arguments[key], low, high)
            return function(*args, **kwargs)

        wrapper.__setting_ranges__ = dict(ranges)
        lines = [f"    {key}: {low} to {high}" for key, (low, high) in ranges.items()]
        wrapper.__doc__ = (
            (function.__doc__ or "").rstrip() + "\n\n    Ranges (checked before any work):\n" + "\n".join(lines)
        )
        return wrapper

    return decorate
