"""Measures of generative models: the toy 2-D mixtures and their mode coverage, and the Fréchet distance.

Toy mixtures (PacGAN, Lin et al. 2018): ``ring-8`` is 8 Gaussians evenly spaced on the unit circle with
sigma = 0.01; ``grid-25`` is the 5 x 5 grid of Gaussians at {-4, -2, 0, 2, 4}^2 with sigma = 0.05.

Mode coverage (VEEGAN protocol, Srivastava et al. 2017): a sample is *high quality* when it lies within 3 sigma
of its nearest mode; a mode is *covered* when it is the nearest mode of at least one high-quality sample. The
protocol scores 2500 samples.

Fréchet distance (Heusel et al. 2017) between Gaussians fitted to two feature sets:
``||mu_1 - mu_2||^2 + tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2))``.

Image generators on 8x8 digits are scored with a small digits classifier (an MLP trained once per data set and
seed through the one training loop, seconds on CPU, cached in a folder when given): :func:`classifier_frechet_distance`
is the Fréchet distance of its penultimate-layer features (the FID recipe with this classifier in place of
Inception), :func:`conditional_accuracy` the fraction of generated images it classifies as the requested label, and
:func:`linear_probe_accuracy` scores features (a BiGAN encoder's) by logistic regression's test accuracy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from boltzgym.utils.validation import check_int, check_positive, check_seed

TOY_MIXTURES = ("ring-8", "grid-25")
N_COVERAGE_SAMPLES = 2500


def mixture_modes(name: str) -> tuple[np.ndarray, float]:
    """The ``(modes, sigma)`` of toy mixture ``name``: modes is a float64 (n_modes, 2) array."""
    if name == "ring-8":
        angles = 2 * np.pi * np.arange(8) / 8
        return np.stack([np.cos(angles), np.sin(angles)], axis=1), 0.01
    if name == "grid-25":
        axis = np.arange(-4.0, 5.0, 2.0)
        return np.array([(x, y) for x in axis for y in axis]), 0.05
    raise ValueError(f"mixture must be one of {list(TOY_MIXTURES)}, got {name!r}")


def sample_mixture(name: str, n_samples: int, seed: int | None = 0) -> np.ndarray:
    """``n_samples`` float32 points of toy mixture ``name`` (equal-weight modes), drawn from ``seed``."""
    n_samples = check_int("n_samples", n_samples, minimum=1)
    modes, sigma = mixture_modes(name)
    rng = np.random.default_rng(check_seed("seed", seed))
    centres = modes[rng.integers(len(modes), size=n_samples)]
    return (centres + sigma * rng.standard_normal((n_samples, 2))).astype(np.float32)


def mode_coverage(samples: np.ndarray, modes: np.ndarray, sigma: float) -> dict[str, float | int]:
    """VEEGAN mode coverage of ``samples`` (n, d) against ``modes`` (k, d) with per-mode std ``sigma``.

    Returns ``modes_covered`` (modes that are the nearest mode of >= 1 high-quality sample), ``n_modes`` and
    ``high_quality_fraction`` (samples within 3 sigma of their nearest mode).
    """
    samples = np.asarray(samples, dtype=np.float64)
    modes = np.asarray(modes, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[0] == 0:
        raise ValueError(f"samples must be a non-empty 2-D array (n_samples, n_dims), got shape {samples.shape}")
    if modes.ndim != 2 or modes.shape[1] != samples.shape[1]:
        raise ValueError(f"modes must have shape (n_modes, {samples.shape[1]}), got {modes.shape}")
    sigma = check_positive("sigma", sigma)
    distances = np.linalg.norm(samples[:, None, :] - modes[None, :, :], axis=2)
    nearest = distances.argmin(axis=1)
    high_quality = distances[np.arange(len(samples)), nearest] <= 3 * sigma
    return {
        "modes_covered": int(len(np.unique(nearest[high_quality]))),
        "n_modes": len(modes),
        "high_quality_fraction": float(high_quality.mean()),
    }


def mixture_coverage(name: str, samples: np.ndarray) -> dict[str, float | int]:
    """:func:`mode_coverage` of ``samples`` against toy mixture ``name``'s modes and sigma."""
    modes, sigma = mixture_modes(name)
    return mode_coverage(samples, modes, sigma)


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two (n, d) feature arrays (see the module docstring)."""
    import scipy.linalg

    a = np.asarray(features_a, dtype=np.float64)
    b = np.asarray(features_b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise ValueError(f"features_a and features_b must be (n >= 2, d) arrays of one width, got {a.shape}, {b.shape}")
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    root = scipy.linalg.sqrtm(cov_a @ cov_b)
    root = np.real(root)
    value = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2 * root)
    return float(max(value, 0.0))


def toy_mixture_dataset(name: str, seed: int = 0, n_train: int = 10000, n_test: int = N_COVERAGE_SAMPLES):
    """Toy mixture ``name`` as an unlabelled ``boltzgym.models.datasets.Dataset`` of kind ``"points"`` (float32
    (n, 2) inputs, no targets); its metadata holds the modes and sigma."""
    from boltzgym.models.datasets import Dataset

    modes, sigma = mixture_modes(name)
    seed = check_int("seed", seed, minimum=0)
    return Dataset(
        name=name,
        kind="points",
        x_train=sample_mixture(name, n_train, seed),
        y_train=None,
        x_test=sample_mixture(name, n_test, seed + 1_000_003),
        y_test=None,
        metadata={"modes": modes.tolist(), "sigma": sigma, "mixture": name},
    )


def ring8_dataset(seed: int = 0):
    """``ring-8``: 8 Gaussians on the unit circle, sigma 0.01 (10000 train, 2500 test points)."""
    return toy_mixture_dataset("ring-8", seed)


def grid25_dataset(seed: int = 0):
    """``grid-25``: 5 x 5 Gaussians on {-4..4}^2 step 2, sigma 0.05 (10000 train, 2500 test points)."""
    return toy_mixture_dataset("grid-25", seed)


# --- the digits classifier and the measures built on it ---------------------------------------------------------

_CLASSIFIERS: dict[tuple, object] = {}  # in-process cache: (data hash, seed, settings) -> trained classifier


def train_digits_classifier(
    x,
    y,
    seed: int = 0,
    epochs: int = 40,
    hidden_sizes: Sequence[int] = (128, 64),
    cache_dir: str | Path | None = None,
    device="cpu",
):
    """A small MLP classifier of flat images ``x`` (n, d) with labels ``y``, trained through
    ``boltzgym.models.training.fit``: tanh units (no dead features to make the Fréchet covariance singular), Adam,
    dropout 0.2 and input noise 0.05 (robustness to generated images).

    The same data, seed and settings give the same weights; the trained classifier is kept in memory and, with
    ``cache_dir``, in ``cache_dir/classifier-<hash>`` (``fit``'s checkpoint, reused on the next call). Returns the
    classifier (an ``MLP`` in eval mode, on the CPU where the scores are computed) whose ``layers[:-1]`` are the
    feature extractor; ``device`` is where it trains."""
    import torch

    from boltzgym.models.supervised.mlp import MLP
    from boltzgym.models.training import fit

    x = np.ascontiguousarray(x, dtype=np.float32).reshape(len(x), -1)
    y = np.ascontiguousarray(y, dtype=np.int64)
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"y must be 1-D with one label per row of x ({len(x)}), got shape {y.shape}")
    seed = check_int("seed", seed, minimum=0)
    digest = hashlib.sha1(x.tobytes() + y.tobytes()).hexdigest()[:12]
    key = (digest, seed, epochs, tuple(hidden_sizes))
    if key in _CLASSIFIERS:
        return _CLASSIFIERS[key]
    n_classes = int(y.max()) + 1
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        classifier = MLP(x.shape[1], list(hidden_sizes), n_classes, activation="tanh", dropout=0.2)
        run_dir = None if cache_dir is None else Path(cache_dir) / f"classifier-{digest}-seed{seed}"
        fit(classifier, (x, y), loss="cross_entropy", optimizer="adam", learning_rate=2e-3, epochs=epochs,
            batch_size=64, input_noise=0.05, seed=seed, run_dir=run_dir, resume=run_dir is not None,
            device=device)  # fmt: skip
    classifier.cpu().eval()
    _CLASSIFIERS[key] = classifier
    return classifier


def classifier_features(classifier, images) -> np.ndarray:
    """The classifier's penultimate-layer activations of flat ``images`` (float64 (n, width))."""
    import torch

    with torch.no_grad():
        x = torch.as_tensor(np.asarray(images, dtype=np.float32).reshape(len(images), -1))
        return classifier.layers[:-1](x).double().numpy()


def classify(classifier, images) -> np.ndarray:
    """Predicted labels (int64) of flat ``images``."""
    import torch

    with torch.no_grad():
        x = torch.as_tensor(np.asarray(images, dtype=np.float32).reshape(len(images), -1))
        return classifier(x).argmax(dim=1).numpy()


def classifier_frechet_distance(classifier, real, generated) -> float:
    """Fréchet distance between the classifier features of ``real`` and ``generated`` images (lower is better)."""
    return frechet_distance(classifier_features(classifier, real), classifier_features(classifier, generated))


def conditional_accuracy(classifier, images, labels) -> float:
    """Fraction of ``images`` that the classifier assigns to their requested ``labels``."""
    labels = np.asarray(labels)
    if len(labels) != len(images):
        raise ValueError(f"labels must have one entry per image ({len(images)}), got {len(labels)}")
    return float((classify(classifier, images) == labels).mean())


def linear_probe_accuracy(train_features, y_train, test_features, y_test, seed: int = 0) -> float:
    """Test accuracy of a logistic regression (standardised features, L2, lbfgs) fitted to ``train_features``:
    how linearly the features separate the classes."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    probe.fit(np.asarray(train_features, dtype=np.float64), np.asarray(y_train))
    return float(probe.score(np.asarray(test_features, dtype=np.float64), np.asarray(y_test)))
