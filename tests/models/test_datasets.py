"""The datasets module: the binary array generators of the Boltzmann machines and the named datasets."""

from __future__ import annotations

import math

import numpy as np
import pytest

from boltzgym.models.datasets import (
    DATASETS,
    Dataset,
    bars_and_stripes,
    bars_and_stripes_optimum,
    binary_digits,
    load_dataset,
    parse_dataset_name,
)


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


def test_sims_old_exports_of_the_binary_generators_warn_and_resolve():
    import boltzgym.sims

    with pytest.warns(DeprecationWarning, match="boltzgym.models.datasets.bars_and_stripes"):
        assert boltzgym.sims.bars_and_stripes is bars_and_stripes
    with pytest.warns(DeprecationWarning, match="boltzgym.models.datasets.binary_digits"):
        assert boltzgym.sims.binary_digits is binary_digits


def test_digits_is_a_fixed_stratified_standardised_split():
    a, b = load_dataset("digits", seed=0), load_dataset("digits", seed=7)
    assert a.kind == "classification" and a.n_classes == 10 and a.n_features == 64 and a.n_outputs == 10
    assert a.x_train.shape == (1437, 64) and a.x_test.shape == (360, 64)
    assert a.x_train.dtype == np.float32 and a.y_train.dtype == np.int64
    np.testing.assert_array_equal(a.x_test, b.x_test)  # the split does not depend on the seed
    np.testing.assert_allclose(a.x_train.mean(axis=0), 0.0, atol=1e-5)
    # stratified: every class holds 20% of its images in the test set, to within one image
    for label in range(10):
        total = (a.y_train == label).sum() + (a.y_test == label).sum()
        assert abs((a.y_test == label).sum() - 0.2 * total) <= 1
    binary = load_dataset("binary-digits")
    np.testing.assert_array_equal(binary.y_test, a.y_test)
    assert set(np.unique(binary.x_train)) == {0.0, 1.0}


@pytest.mark.parametrize("n", [1, 3, 5])
def test_parity_holds_every_bit_string_with_its_xor(n):
    data = load_dataset(f"parity-{n}")
    assert data.name == f"parity-{n}" and data.x_train.shape == (2**n, n)
    assert len(np.unique(data.x_train, axis=0)) == 2**n
    expected = np.bitwise_xor.reduce(data.x_train.astype(int), axis=1)
    np.testing.assert_array_equal(data.y_train, expected)


def test_sine_is_seeded_regression_with_column_targets():
    a, b, c = load_dataset("sine", seed=1), load_dataset("sine", seed=1), load_dataset("sine", seed=2)
    assert a.kind == "regression" and a.y_train.shape == (200, 1) and a.n_outputs == 1 and a.n_classes is None
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)
    residual = a.y_train - np.sin(a.x_train)
    assert 0.07 < residual.std() < 0.13  # noise std 0.1


def test_bars_stripes_dataset_is_unlabelled():
    data = load_dataset("bars-stripes-3")
    assert data.kind == "binary" and data.y_train is None and data.train == (data.x_train,)
    np.testing.assert_array_equal(data.x_train, bars_and_stripes(3))


def test_parameterised_names_are_parsed_in_one_place():
    assert parse_dataset_name("parity-12") == ("parity-<n>", {"n": 12})
    assert parse_dataset_name("digits") == ("digits", {})
    assert "parity-<n>" in DATASETS
    with pytest.raises(ValueError, match="integer n"):
        parse_dataset_name("parity-x")


def test_dataset_record_checks_its_arrays():
    x = np.zeros((3, 2), np.float32)
    with pytest.raises(ValueError, match="y_train has 2 rows but x_train has 3"):
        Dataset("d", "regression", x, np.zeros((2, 1)), x, None)
    with pytest.raises(ValueError, match="kind must be one of"):
        Dataset("d", "pictures", x, None, x, None)


def test_load_dataset_by_name_and_errors():
    np.testing.assert_array_equal(load_dataset("bars-stripes-4").x_train, bars_and_stripes(4))
    with pytest.raises(ValueError, match=r"data must be one of .*digits.*unknown dataset 'mnist'"):
        load_dataset("mnist")
    with pytest.raises(ValueError, match="n must be >= 1"):
        bars_and_stripes(0)
