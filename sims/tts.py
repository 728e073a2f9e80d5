"""Time to solution (Rønnow et al., Science 345, 2014): how long a randomized solver needs to reach the ground
state with 99% probability, from the hits of independent reads, with bootstrap intervals over instances and reads.

``TTS99 = t_run ln(0.01) / ln(1 - p)`` for a read of cost ``t_run`` that reaches the ground state with probability
``p`` (``t_run`` itself when ``p >= 0.99``, ``inf`` when ``p = 0``). A read that can stop early (tempering keeps its
best state so far) is scored at the run length that minimizes TTS99 (:func:`best_tts`).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["best_tts", "bootstrap_median_tts", "bootstrap_ratio", "tts99"]


def tts99(p: float, t_run: float) -> float:
    """``t_run ln(0.01) / ln(1 - p)``: the time to reach the ground state with 99% probability."""
    if p >= 0.99:
        return t_run
    if p <= 0:
        return math.inf
    return t_run * math.log(0.01) / math.log(1.0 - p)


def best_tts(hits: np.ndarray) -> float:
    """TTS99 of reads whose first ground-state hit cost ``hits`` replica-sweeps (``inf``: never), minimized over the
    run lengths at which a read could stop (every finite hit; an annealer's only one is its full length)."""
    finite = np.unique(hits[np.isfinite(hits)])
    if finite.size == 0:
        return math.inf
    return min(tts99(float(np.mean(hits <= length)), float(length)) for length in finite)


def bootstrap_median_tts(hits: list[np.ndarray], draws: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    """Median over instances of ``best_tts``, and its 95% interval from resampling instances and their reads."""
    rng = np.random.default_rng(seed)
    point = float(np.median([best_tts(h) for h in hits]))
    samples = np.empty(draws)
    for d in range(draws):
        chosen = rng.integers(0, len(hits), len(hits))
        samples[d] = np.median([best_tts(hits[i][rng.integers(0, hits[i].size, hits[i].size)]) for i in chosen])
    samples.sort()  # order statistics: the interval may reach inf (reads that never succeed) without nan
    return point, float(samples[int(0.025 * draws)]), float(samples[int(np.ceil(0.975 * draws)) - 1])


def bootstrap_ratio(hits_a: list[np.ndarray], hits_b: list[np.ndarray], draws: int = 1000, seed: int = 0):
    """``median TTS(a) / median TTS(b)`` on the same instances, with a paired 95% bootstrap interval."""
    rng = np.random.default_rng(seed)

    def ratio(chosen, resample):
        def median(hits):
            return np.median([best_tts(hits[i][rng.integers(0, hits[i].size, hits[i].size)] if resample else hits[i])
                              for i in chosen])  # fmt: skip

        a, b = median(hits_a), median(hits_b)
        return a / b if math.isfinite(b) and b > 0 else math.nan

    point = ratio(range(len(hits_a)), False)
    samples = np.sort([ratio(rng.integers(0, len(hits_a), len(hits_a)), True) for _ in range(draws)])
    return point, float(samples[int(0.025 * draws)]), float(samples[int(np.ceil(0.975 * draws)) - 1])
