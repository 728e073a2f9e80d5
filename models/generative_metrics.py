"""Measures of generative models: the toy 2-D mixtures and their mode coverage, and the Fréchet distance.

Toy mixtures (PacGAN, Lin et al. 2018): ``ring-8`` is 8 Gaussians evenly spaced on the unit circle with
sigma = 0.01; ``grid-25`` is the 5 x 5 grid of Gaussians at {-4, -2, 0, 2, 4}^2 with sigma = 0.05.

Mode coverage (VEEGAN protocol, Srivastava et al. 2017): a sample is *high quality* when it lies within 3 sigma
of its nearest mode; a mode is *covered* when it is the nearest mode of at least one high-quality sample. The
protocol scores 2500 samples.

Fréchet distance (Heusel et al. 2017) between Gaussians fitted to two feature sets:
``||mu_1 - mu_2||^2 + tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2))``.
"""

from __future__ import annotations

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
