"""Sequence tasks of notes 4.2/4.4 (registered in ``boltzgym.models.datasets.DATASETS``; generated from ``seed``,
nothing downloaded).

- ``adding-<T>`` (Hochreiter & Schmidhuber 1997): inputs ``(n, T, 2)``; channel 0 holds uniform [0, 1] values,
  channel 1 marks two positions (one in each half); the target ``(n, 1)`` is the sum of the two marked values.
  Predicting the mean 1 scores MSE = Var(U1 + U2) = 1/6 ~ 0.167 (the trivial predictor).
- ``copy-<T>`` / ``reverse-<T>``: token sequences of length ``T`` over 10 symbols (int64 ``(n, T)``); the target
  is the same sequence, or reversed.
"""

from __future__ import annotations

import numpy as np

from boltzgym.models.datasets import Dataset
from boltzgym.utils.validation import check_int, setting_ranges

N_SYMBOLS = 10


@setting_ranges(T=(2, 1000))
def adding(T: int, seed: int = 0, n_train: int = 10000, n_test: int = 1000) -> Dataset:
    """The adding problem with sequences of length ``T`` (see the module docstring)."""
    T = check_int("T", T, minimum=2)
    rng = np.random.default_rng(seed)

    def draw(n):
        x = np.zeros((n, T, 2), dtype=np.float32)
        x[:, :, 0] = rng.uniform(0, 1, size=(n, T))
        first = rng.integers(0, T // 2, size=n)
        second = rng.integers(T // 2, T, size=n)
        rows = np.arange(n)
        x[rows, first, 1] = 1.0
        x[rows, second, 1] = 1.0
        return x, (x[rows, first, 0] + x[rows, second, 0])[:, None].astype(np.float32)

    x_train, y_train = draw(n_train)
    x_test, y_test = draw(n_test)
    return Dataset(f"adding-{T}", "regression", x_train, y_train, x_test, y_test, metadata={"trivial_mse": 1 / 6})


def _token_task(T: int, seed: int, reverse: bool, n_train: int = 20000, n_test: int = 1000) -> Dataset:
    T = check_int("T", T, minimum=1)
    name = f"{'reverse' if reverse else 'copy'}-{T}"
    rng = np.random.default_rng(seed)
    x_train = rng.integers(0, N_SYMBOLS, size=(n_train, T))
    x_test = rng.integers(0, N_SYMBOLS, size=(n_test, T))
    target = (lambda x: x[:, ::-1].copy()) if reverse else (lambda x: x.copy())
    return Dataset(name, "sequence", x_train, target(x_train), x_test, target(x_test), n_classes=N_SYMBOLS)


@setting_ranges(T=(1, 1000))
def copy_task(T: int, seed: int = 0) -> Dataset:
    """``copy-<T>``: reproduce a sequence of ``T`` tokens over 10 symbols."""
    return _token_task(T, seed, reverse=False)


@setting_ranges(T=(1, 1000))
def reverse_task(T: int, seed: int = 0) -> Dataset:
    """``reverse-<T>``: output a sequence of ``T`` tokens over 10 symbols in reverse order."""
    return _token_task(T, seed, reverse=True)
