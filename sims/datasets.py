"""Small binary data sets for Boltzmann machines, generated or shipped with scikit-learn (never downloaded).

- ``bars_and_stripes(n)``: every n x n image whose rows are all constant (stripes) or whose columns are all
  constant (bars), after MacKay (2003), the standard toy benchmark of RBM training; 2^(n+1) - 2 distinct patterns
  (the blank and the full image are both bars and stripes). A model that puts equal mass on them has the optimal
  average log-likelihood -ln(2^(n+1) - 2) (-ln 14 ≈ -2.639 nats for n = 3).
- ``binary_digits()``: the 1,797 8x8 handwritten digits of ``sklearn.datasets.load_digits`` (UCI, shipped with
  scikit-learn), thresholded to 0/1.
"""

from __future__ import annotations

import math

import numpy as np

from boltzgym.utils.validation import check_int

DATASETS = ("bars-stripes-3", "bars-stripes-4", "digits")


def bars_and_stripes(n: int) -> np.ndarray:
    """All distinct n x n bars-and-stripes images, flattened row-major: a float64 (2^(n+1) - 2, n*n) array of 0/1."""
    n = check_int("n", n, minimum=1, maximum=12)
    codes = np.arange(2**n)
    lines = ((codes[:, None] >> np.arange(n)) & 1).astype(np.float64)  # (2^n, n): which rows/columns are on
    stripes = np.repeat(lines, n, axis=1)  # row r of the image is lines[:, r]
    bars = np.tile(lines, n)  # column c of the image is lines[:, c]
    patterns = np.unique(np.concatenate([stripes, bars]), axis=0)
    return patterns


def bars_and_stripes_optimum(n: int) -> float:
    """The best average log-likelihood of any model on ``bars_and_stripes(n)``: -ln(2^(n+1) - 2) nats."""
    n = check_int("n", n, minimum=1, maximum=12)
    return -math.log(2 ** (n + 1) - 2)


def binary_digits(threshold: float = 8.0, return_labels: bool = False):
    """The 8x8 scikit-learn digits (pixel values 0..16) as 0/1 float64: pixel > ``threshold`` is 1.

    Returns ``X`` (1797, 64), or ``(X, y)`` with the digit labels when ``return_labels`` is true.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = (digits.data > threshold).astype(np.float64)
    return (X, digits.target.copy()) if return_labels else X


def load_dataset(name: str) -> np.ndarray:
    """One of ``DATASETS`` by name: ``"bars-stripes-3"``, ``"bars-stripes-4"`` or ``"digits"``."""
    if name == "digits":
        return binary_digits()
    if name.startswith("bars-stripes-") and name in DATASETS:
        return bars_and_stripes(int(name.rsplit("-", 1)[1]))
    raise ValueError(f"data must be one of {list(DATASETS)}, got {name!r}")
