"""Every lazily exported name of boltzgym.sims resolves to the object of its defining module."""

from __future__ import annotations

import importlib

import pytest

import boltzgym.sims as sims


def test_every_export_resolves():
    for name in sims.__all__:
        module = importlib.import_module(sims._EXPORTS[name])
        assert getattr(sims, name) is getattr(module, name)


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        sims.no_such_thing  # noqa: B018
