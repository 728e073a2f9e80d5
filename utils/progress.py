"""One progress-bar maker for the library and the CLI: a tqdm bar on stderr when enabled, and a silent stand-in
that does not import tqdm when disabled (tqdm.auto pulls in asyncio, ~30 ms a process: the first call of a
sampler should not pay that for a bar nobody sees)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["progress_bar"]


class _SilentBar:
    """What a disabled bar needs to do: iterate, take updates and postfixes, close, be a context manager."""

    def __init__(self, iterable: Iterable | None, initial: float = 0) -> None:
        self._iterable = iterable
        self.n = initial

    def __iter__(self) -> Iterator:
        if self._iterable is None:
            raise TypeError("progress_bar was made without an iterable")
        return iter(self._iterable)

    def update(self, n: float = 1) -> None:
        self.n += n

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        pass

    def set_postfix_str(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _SilentBar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass


def progress_bar(
    iterable: Iterable | None = None,
    *,
    total: float | None = None,
    desc: str = "",
    enabled: bool,
    leave: bool = False,
    initial: float = 0,
    unit: str = "it",
):
    """A tqdm bar on stderr over ``iterable`` (or updated by hand up to ``total``, starting at ``initial``, e.g. a
    resumed run); a silent stand-in if disabled."""
    if not enabled:
        return _SilentBar(iterable, initial)
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, file=sys.stderr, leave=leave, initial=initial, unit=unit)
