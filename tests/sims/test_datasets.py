"""The generated and shipped binary data sets."""

from __future__ import annotations

import math

import numpy as np
import pytest

from boltzgym.sims.datasets import bars_and_stripes, bars_and_stripes_optimum, binary_digits, load_dataset


@pytest.mark.parametrize("n", [2, 3, 4])
def test_bars_and_stripes_are_the_distinct_constant_row_or_column_images(n):
    X = bars_and_stripes(n)
    assert X.shape == (2 ** (n + 1) - 2, n * n)
    assert len(np.unique(X, axis=0)) == X.shape[0]
    images = X.reshape(-1, n, n)
    rows_constant = np.all(images == images[:, :, :1], axis=(1, 2))
    columns_constant = np.all(images == images[:, :1, :], axis=(1, 2))
    assert np.all(rows_constant | columns_constant)
    assert bars_and_stripes_optimum(n) == pytest.approx(-math.log(X.shape[0]))


def test_bars_and_stripes_3_optimum_is_minus_log_14():
    assert bars_and_stripes_optimum(3) == pytest.approx(-2.639057, abs=1e-6)


def test_binary_digits_are_binary_8x8_with_labels():
    X, y = binary_digits(return_labels=True)
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert set(np.unique(X)) == {0.0, 1.0}
    assert 0.2 < X.mean() < 0.6


def test_load_dataset_by_name_and_errors():
    np.testing.assert_array_equal(load_dataset("bars-stripes-4"), bars_and_stripes(4))
    with pytest.raises(ValueError, match="data must be one of"):
        load_dataset("mnist")
    with pytest.raises(ValueError, match="n must be >= 1"):
        bars_and_stripes(0)
