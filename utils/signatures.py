"""Config dataclasses derived from a Python API's signature: one source of defaults (the constructor's), so that a
command's ``--set`` keys and their defaults cannot drift from the library's."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable, Iterable


def parameter_fields(
    function: Callable, names: Iterable[str] | None = None, exclude: Iterable[str] = ()
) -> list[tuple[str, object, dataclasses.Field]]:
    """``(name, type, field(default=...))`` for the parameters of ``function`` that have a default: those in
    ``names`` (all when ``None``) and not in ``exclude``, in signature order; types from its annotations."""
    hints = typing.get_type_hints(function)
    names = None if names is None else set(names)
    return [
        (p.name, hints.get(p.name, type(p.default)), dataclasses.field(default=p.default))
        for p in inspect.signature(function).parameters.values()
        if p.default is not inspect.Parameter.empty
        and (names is None or p.name in names)
        and p.name not in set(exclude)
    ]


def config_class(name: str, fields: list, module: str, doc: str) -> type:
    """A dataclass ``name`` with ``fields`` (as :func:`dataclasses.make_dataclass` takes them), placed in
    ``module`` with docstring ``doc``."""
    cls = dataclasses.make_dataclass(name, fields)
    cls.__module__, cls.__doc__ = module, doc
    return cls
