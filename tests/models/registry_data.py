"""Helper of the registry-wide model tests (``test_defaults``, ``test_torch_conventions``): a registered model's
default dataset, cut small."""

from __future__ import annotations

import dataclasses
import functools

from boltzgym.models.datasets import load_dataset
from boltzgym.models.registry import MODELS


@functools.cache
def cut_dataset(name: str, n_train: int, n_test: int):
    """Model ``name``'s default dataset (seed 0) cut to its first ``n_train`` training and ``n_test`` test rows; a
    one-graph dataset (node features: the rows are node indices) is returned whole."""
    data = load_dataset(MODELS[name].data, seed=0)
    if data.metadata.get("node_features") is not None:
        return data
    cut = {"x_train": data.x_train[:n_train], "x_test": data.x_test[:n_test]}
    if data.y_train is not None:
        cut.update(y_train=data.y_train[:n_train], y_test=data.y_test[:n_test])
    return dataclasses.replace(data, **cut)
