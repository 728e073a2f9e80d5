"""Inverse-temperature schedules for annealing, and the default beta range derived from the couplings.

A schedule is a float64 array with one ``beta`` per sweep. Energies follow ``boltzgym.sims.ising``.
"""

from __future__ import annotations

import numpy as np

from boltzgym.sims.ising import IsingModel
from boltzgym.utils.deprecation import renamed_kwargs
from boltzgym.utils.validation import check_int

__all__ = ["SCHEDULE_KINDS", "beta_schedule", "check_beta_range", "check_custom_schedule", "default_beta_range"]

SCHEDULE_KINDS = ("constant", "linear", "geometric")


def default_beta_range(model: IsingModel) -> tuple[float, float]:
    """A ``(beta_hot, beta_cold)`` pair for annealing ``model``, read off its couplings.

    - hot: the largest single-flip energy increase possible, ``dE_max = max_i 2 (sum_j |J_ij| + |h_i|)``, is
      accepted with probability 1/2 (``beta_hot = ln 2 / dE_max``): nearly every move is accepted;
    - cold: a typical excitation, ``dE_typ = 2 median(|J_ij|, |h_i| > 0)``, is accepted with probability
      1/100 (``beta_cold = ln 100 / dE_typ``): excitations die out.

    The hot end is dwave-neal's rule. neal's cold end uses the *smallest* coupling instead of the median: the
    same for +-J problems, but for Gaussian couplings (SK) the smallest of ``N^2 / 2`` values is close to
    zero and neal's schedule then spends most sweeps frozen (``beta_cold ~ 10^6`` for SK with N = 300). A model
    without couplings or fields gets ``(0.1, 1.0)``.
    """
    if not isinstance(model, IsingModel):
        raise TypeError(f"model must be an IsingModel, got {type(model).__name__}")
    largest, smallest = model.max_flip_energy(), model.typical_flip_energy()
    if largest == 0.0:
        return 0.1, 1.0
    return float(np.log(2.0) / largest), float(np.log(100.0) / smallest)


def check_beta_range(beta_range, name: str = "beta_range") -> tuple[float, float]:
    """Validate a ``(beta_min, beta_max)`` pair: finite, ``0 <= beta_min <= beta_max``."""
    try:
        low, high = (float(value) for value in beta_range)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a pair (beta_min, beta_max) of numbers, got {beta_range!r}") from exc
    if not (np.isfinite(low) and np.isfinite(high)) or low < 0:
        raise ValueError(f"{name} must hold finite betas >= 0, got {beta_range!r}")
    if low > high:
        raise ValueError(f"{name} must have beta_min <= beta_max, got min {low} > max {high}")
    return low, high


@renamed_kwargs(n_sweeps="num_sweeps")
def beta_schedule(num_sweeps: int, beta_range, kind: str = "geometric") -> np.ndarray:
    """One inverse temperature per sweep from ``beta_range = (beta_min, beta_max)``.

    Args:
        num_sweeps: length of the schedule, ``>= 1``.
        beta_range: ``(beta_min, beta_max)`` with ``0 <= beta_min <= beta_max`` (``beta_min > 0`` for
            ``"geometric"``).
        kind: ``"geometric"`` (default; equal ratios, as in Kirkpatrick et al. 1983 and dwave-neal),
            ``"linear"`` (equal steps in beta) or ``"constant"`` (``beta_max`` throughout). For any other
            sequence pass it as ``betas=`` to ``anneal``.

    Returns:
        float64 array of shape ``(num_sweeps,)`` from ``beta_min`` to ``beta_max`` (a one-sweep schedule is
        ``[beta_max]``).
    """
    num_sweeps = check_int("num_sweeps", num_sweeps, minimum=1)
    low, high = check_beta_range(beta_range)
    if kind == "constant" or num_sweeps == 1:
        if kind not in SCHEDULE_KINDS:
            raise ValueError(f"kind must be one of {list(SCHEDULE_KINDS)}, got {kind!r}")
        return np.full(num_sweeps, high)
    if kind == "linear":
        return np.linspace(low, high, num_sweeps)
    if kind == "geometric":
        if low <= 0:
            raise ValueError(f"beta_range must have beta_min > 0 for a geometric schedule, got {low}")
        return np.geomspace(low, high, num_sweeps)
    raise ValueError(f"kind must be one of {list(SCHEDULE_KINDS)}, got {kind!r}")


def check_custom_schedule(betas, name: str = "betas") -> np.ndarray:
    """Validate a custom schedule: a non-empty 1-D sequence of betas ``>= 0`` (``numpy.inf`` allowed)."""
    try:
        array = np.asarray(betas, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a 1-D sequence of numbers, got {type(betas).__name__}") from exc
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence, got shape {array.shape}")
    if np.any(np.isnan(array)) or np.any(array < 0):
        raise ValueError(f"{name} must hold betas >= 0, got min {np.nanmin(array) if array.size else None}")
    return array.copy()
