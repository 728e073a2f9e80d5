"""Renamed keyword arguments keep working for a while: one ``DeprecationWarning`` naming the new spelling.

@renamed_kwargs(n_sweeps="num_sweeps", n_reads="num_reads")
def anneal(model, num_sweeps=1000, num_reads=10, ...): ...

anneal(model, n_sweeps=100)   # works, and warns: "anneal: n_sweeps is deprecated; use num_sweeps"
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)


def renamed_kwargs(**renamed: str) -> Callable[[F], F]:
    """Decorator: each old keyword of ``renamed`` (old=new) is passed on as the new one, with a warning; giving
    both raises ``TypeError`` naming them."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            for old, new in renamed.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{function.__name__}: give {new} only ({old} is its deprecated spelling)")
                    warnings.warn(
                        f"{function.__name__}: {old} is deprecated; use {new}", DeprecationWarning, stacklevel=2
                    )
                    kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)

        wrapper.__renamed_kwargs__ = dict(renamed)
        return wrapper  # type: ignore[return-value]

    return decorate
