"""Lazy imports in one place: ``"module:attribute"`` strings, lazy package namespaces and renamed modules.

- :func:`import_object` turns the ``"package.module:attribute"`` strings of every registry (models, experiments,
  agents, Q-networks, datasets, envs) into objects, importing the module only then.
- :func:`lazy_namespace` gives a package a public namespace whose names load on first use (PEP 562), so that
  ``from boltzgym.agents import DQN`` works while ``import boltzgym.agents`` imports neither torch nor numba.
- :func:`alias_modules` keeps old module paths importable after a move, with one ``DeprecationWarning`` naming the
  new path.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any


def import_object(path: str) -> Any:
    """The object that ``"package.module:attribute"`` names, imported now.

    ``ValueError`` naming ``path`` when it has no ``:``; ``ImportError``/``AttributeError`` as Python raises them."""
    module_name, sep, attribute = path.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"path must be 'package.module:attribute', got {path!r}")
    obj = importlib.import_module(module_name)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    return obj


def lazy_namespace(
    package: str, exports: Mapping[str, str], deprecated: Mapping[str, str] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``exports`` maps a public name to its defining module.

    A name in ``deprecated`` (old name -> ``"module:attribute"`` of its replacement) still resolves, with one
    ``DeprecationWarning`` naming the new spelling."""
    module = sys.modules[package]
    deprecated = dict(deprecated or {})

    def __getattr__(name: str) -> Any:
        if name in exports:
            value = getattr(importlib.import_module(exports[name]), name)
        elif name in deprecated:
            new = deprecated[name]
            warnings.warn(
                f"{package}.{name} is deprecated; use {new.replace(':', '.')}", DeprecationWarning, stacklevel=2
            )
            return import_object(new)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(module, name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(module)) | set(exports))

    return __getattr__, __dir__


class _RenamedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old module path and loads the module at its new path under the old name too."""

    def __init__(self, renamed: Mapping[str, str]) -> None:
        self.renamed = dict(renamed)

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.renamed:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        new = self.renamed[spec.name]
        warnings.warn(f"module {spec.name} is deprecated; it moved to {new}", DeprecationWarning, stacklevel=2)
        return importlib.import_module(new)

    def exec_module(self, module) -> None:  # the module was executed under its new name
        pass


def alias_modules(renamed: Mapping[str, str]) -> None:
    """Keep each old module path of ``renamed`` (old -> new dotted path) importable, warning once on import."""
    sys.meta_path.append(_RenamedModuleFinder(renamed))
