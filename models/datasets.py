"""The one datasets module of boltzgym (models and sims): generated data and data that an installed package ships.

Nothing is downloaded. This module imports only NumPy (scikit-learn when a digits set is loaded), never torch, so
``boltzgym.sims`` can use it.

Two layers:

- array generators: ``bars_and_stripes(n)``, ``bars_and_stripes_optimum(n)``, ``binary_digits()`` (the binary
  sets that the Boltzmann machines of ``boltzgym.sims`` train on);
- named datasets: :func:`load_dataset` ``(name, seed=0) -> Dataset``, a record of train/test arrays with its kind
  (``"classification"``, ``"regression"``, ...), the class count and metadata. :data:`DATASETS` maps each name to
  a lazily imported ``"module:function"`` loader; a name ending in ``-<param>`` (``parity-<n>``) takes an integer
  parameter, parsed in one place (:func:`parse_dataset_name`). Other modules add one line each to the table.

Named datasets:

- ``digits``: scikit-learn's 1,797 8x8 handwritten digits (UCI), a fixed stratified split (360 test images,
  independent of the seed), pixels standardised with the training set's mean and standard deviation.
- ``binary-digits``: the same images and split, pixels thresholded to 0/1 (> 8 of 16).
- ``parity-<n>``: all 2^n bit strings, label = XOR of the bits (notes 1.2). The task is to represent parity, not
  to generalise it, so the test set is the training set (``metadata["test_is_train"]``).
- ``sine``: regression ``y = sin(x) + noise`` (std 0.1), x uniform on [-pi, pi]; 200 train, 200 test points drawn
  from ``seed``; ``y`` has shape (n, 1).
- ``bars-stripes-<n>``: every n x n bars-and-stripes image (MacKay 2003), unlabelled (kind ``"binary"``); the
  test set is the training set (the whole distribution).
- ``lee``: the Lee background corpus (300 news documents, ~58k tokens) that gensim's test data ships, one token
  list per document (kind ``"text"``, object arrays); metadata names WordSim-353 and the analogy questions
  (``boltzgym.models.embeddings.word2vec``; needs the ``text`` extra, gensim).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from boltzgym.utils.imports import import_object
from boltzgym.utils.validation import check_int, check_seed, setting_ranges

KINDS = ("classification", "regression", "binary", "sequence", "text", "image", "points")

# name -> "module:function(seed=..., [param=...]) -> Dataset"; a "-<param>" suffix takes an integer parameter.
DATASETS: dict[str, str] = {
    "digits": "boltzgym.models.datasets:digits",
    "binary-digits": "boltzgym.models.datasets:binary_digits_dataset",
    "parity-<n>": "boltzgym.models.datasets:parity",
    "sine": "boltzgym.models.datasets:sine",
    "bars-stripes-<n>": "boltzgym.models.datasets:bars_stripes",
    "ring-8": "boltzgym.models.generative.metrics:ring8_dataset",
    "grid-25": "boltzgym.models.generative.metrics:grid25_dataset",
    "adding-<T>": "boltzgym.models.sequence.tasks:adding",
    "copy-<T>": "boltzgym.models.sequence.tasks:copy_task",
    "reverse-<T>": "boltzgym.models.sequence.tasks:reverse_task",
    "ctc-digits": "boltzgym.models.sequence.ctc_tasks:ctc_digits",
    "karate": "boltzgym.models.graph.gnn:karate_dataset",
    "karate-communities": "boltzgym.models.graph.gnn:karate_communities_dataset",
    "digits-graph": "boltzgym.models.graph.gnn:digits_graph_dataset",
    "lee": "boltzgym.models.embeddings.word2vec:lee_dataset",
}


@dataclass
class Dataset:
    """A named dataset: train and test arrays and what they are.

    Attributes:
        name: the name it was loaded under (``"parity-4"``).
        kind: one of :data:`KINDS`; ``"classification"`` has integer labels in ``[0, n_classes)``.
        x_train, x_test: inputs, first axis = samples (float32 features for vector data).
        y_train, y_test: targets (int64 labels for classification, float32 (n, k) for regression), or ``None``
            for unlabelled data.
        n_classes: the class count of a classification set, else ``None``.
        metadata: anything else worth keeping (source, split, scaling, ...).
    """

    name: str
    kind: str
    x_train: np.ndarray
    y_train: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray | None
    n_classes: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {list(KINDS)}, got {self.kind!r}")
        for x, y, split in ((self.x_train, self.y_train, "train"), (self.x_test, self.y_test, "test")):
            if y is not None and len(y) != len(x):
                raise ValueError(f"y_{split} has {len(y)} rows but x_{split} has {len(x)}")
        if self.kind == "classification" and (self.n_classes is None or self.y_train is None):
            raise ValueError("a classification dataset needs labels and n_classes")

    @property
    def n_features(self) -> int:
        """Width of one input row (the product of the sample shape)."""
        return int(np.prod(self.x_train.shape[1:]))

    @property
    def n_outputs(self) -> int:
        """What a model's last layer must produce: the class count, or the target width of a regression."""
        if self.kind == "classification":
            return int(self.n_classes)
        if self.y_train is None:
            return self.n_features
        return int(np.prod(self.y_train.shape[1:])) if self.y_train.ndim > 1 else 1

    @property
    def train(self) -> tuple[np.ndarray, ...]:
        """``(x_train, y_train)``, or ``(x_train,)`` when unlabelled: what ``fit`` takes."""
        return (self.x_train,) if self.y_train is None else (self.x_train, self.y_train)

    @property
    def test(self) -> tuple[np.ndarray, ...]:
        """``(x_test, y_test)``, or ``(x_test,)`` when unlabelled."""
        return (self.x_test,) if self.y_test is None else (self.x_test, self.y_test)


def dataset_names() -> list[str]:
    """The names of :data:`DATASETS` as users write them (``parity-<n>`` stands for parity-2, parity-3, ...)."""
    return list(DATASETS)


def parse_dataset_name(name: str) -> tuple[str, dict[str, int]]:
    """Split ``name`` into its :data:`DATASETS` key and parameters: ``"parity-5" -> ("parity-<n>", {"n": 5})``.

    Raises ``ValueError`` naming ``--data`` and listing the known names when nothing matches, or giving the range
    of the parameter (the loader's :func:`~boltzgym.utils.validation.setting_ranges`) when it is outside it."""
    if not isinstance(name, str):
        raise TypeError(f"data must be a dataset name (str), got {name!r} ({type(name).__name__})")
    if name in DATASETS:
        return name, {}
    for key in DATASETS:
        if key.endswith(">") and "-<" in key:
            prefix, parameter = key[:-1].rsplit("-<", 1)
            if name.startswith(prefix + "-"):
                text = name[len(prefix) + 1 :]
                if not text.isdigit():
                    raise ValueError(f"--data {name!r}: expected {key} with an integer {parameter}, got {text!r}")
                value = int(text)
                low, high = getattr(import_object(DATASETS[key]), "__setting_ranges__", {}).get(parameter, (0, None))
                if value < low or (high is not None and value > high):  # checked here, before any run starts
                    raise ValueError(f"--data {name!r}: {parameter} must be in [{low}, {high}], got {value}")
                return key, {parameter: value}
    raise ValueError(f"--data must be one of {dataset_names()} (unknown dataset {name!r})")


def load_dataset(name: str, seed: int = 0) -> Dataset:
    """Load the dataset called ``name`` (see the module docstring); ``seed`` draws generated data."""
    key, parameters = parse_dataset_name(name)
    seed = check_seed("seed", seed)
    loader = import_object(DATASETS[key])
    dataset = loader(seed=0 if seed is None else seed, **parameters)
    dataset.name = name
    return dataset


# --- array generators --------------------------------------------------------------------------------------


def bars_and_stripes(n: int) -> np.ndarray:
    """All distinct n x n bars-and-stripes images, flattened row-major: a float64 (2^(n+1) - 2, n*n) array of 0/1.

    Every image whose rows are all constant (stripes) or whose columns are all constant (bars), after MacKay
    (2003), the standard toy benchmark of RBM training (the blank and the full image are both bars and stripes).
    """
    n = check_int("n", n, minimum=1, maximum=12)
    codes = np.arange(2**n)
    lines = ((codes[:, None] >> np.arange(n)) & 1).astype(np.float64)  # (2^n, n): which rows/columns are on
    stripes = np.repeat(lines, n, axis=1)  # row r of the image is lines[:, r]
    bars = np.tile(lines, n)  # column c of the image is lines[:, c]
    return np.unique(np.concatenate([stripes, bars]), axis=0)


def bars_and_stripes_optimum(n: int) -> float:
    """The best average log-likelihood of any model on ``bars_and_stripes(n)``: -ln(2^(n+1) - 2) nats
    (a model that puts equal mass on every pattern; -ln 14 ≈ -2.639 nats for n = 3)."""
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


# --- named datasets ----------------------------------------------------------------------------------------

DIGITS_TEST_SIZE = 360  # ~20% of 1,797, stratified, fixed (random_state=0) whatever the seed


def digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The fixed digits split (raw 0-16 pixels): ``x_train, x_test, y_train, y_test``, the same rows for every seed."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    return train_test_split(
        digits.data, digits.target, test_size=DIGITS_TEST_SIZE, stratify=digits.target, random_state=0
    )


def digits(seed: int = 0) -> Dataset:
    """scikit-learn's 8x8 digits, fixed stratified split, standardised with the training statistics."""
    x_train, x_test, y_train, y_test = digits_split()
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std[std == 0] = 1.0  # constant border pixels stay 0 after centring
    return Dataset(
        name="digits",
        kind="classification",
        x_train=((x_train - mean) / std).astype(np.float32),
        y_train=y_train.astype(np.int64),
        x_test=((x_test - mean) / std).astype(np.float32),
        y_test=y_test.astype(np.int64),
        n_classes=10,
        metadata={"source": "sklearn.datasets.load_digits", "split": "stratified, random_state=0", "scaling": "z"},
    )


def binary_digits_dataset(seed: int = 0) -> Dataset:
    """The digits split of :func:`digits` with pixels thresholded to 0/1 (pixel > 8)."""
    x_train, x_test, y_train, y_test = digits_split()
    return Dataset(
        name="binary-digits",
        kind="classification",
        x_train=(x_train > 8).astype(np.float32),
        y_train=y_train.astype(np.int64),
        x_test=(x_test > 8).astype(np.float32),
        y_test=y_test.astype(np.int64),
        n_classes=10,
        metadata={"source": "sklearn.datasets.load_digits", "threshold": 8},
    )


@setting_ranges(n=(1, 20))
def parity(n: int, seed: int = 0) -> Dataset:
    """All 2^n bit strings (float32 0/1, first bit = most significant) labelled by their parity (notes 1.2)."""
    n = check_int("n", n, minimum=1, maximum=20)
    codes = np.arange(2**n)
    x = ((codes[:, None] >> np.arange(n - 1, -1, -1)) & 1).astype(np.float32)
    y = (x.sum(axis=1) % 2).astype(np.int64)
    return Dataset(f"parity-{n}", "classification", x, y, x, y, n_classes=2, metadata={"n": n, "test_is_train": True})


def sine(seed: int = 0, n_train: int = 200, n_test: int = 200, noise: float = 0.1) -> Dataset:
    """Regression ``y = sin(x) + N(0, noise^2)`` with x uniform on [-pi, pi], drawn from ``seed``."""
    rng = np.random.default_rng(seed)

    def draw(count: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.uniform(-np.pi, np.pi, size=(count, 1))
        return x.astype(np.float32), (np.sin(x) + noise * rng.standard_normal((count, 1))).astype(np.float32)

    x_train, y_train = draw(n_train)
    x_test, y_test = draw(n_test)
    return Dataset("sine", "regression", x_train, y_train, x_test, y_test, metadata={"noise": noise})


@setting_ranges(n=(1, 12))
def bars_stripes(n: int, seed: int = 0) -> Dataset:
    """The bars-and-stripes images of size n x n as an unlabelled binary dataset (test set = training set)."""
    x = bars_and_stripes(n).astype(np.float32)
    metadata = {"n": n, "test_is_train": True, "optimum_log_likelihood": bars_and_stripes_optimum(n)}
    return Dataset(f"bars-stripes-{n}", "binary", x, None, x, None, metadata=metadata)
