"""Hopfield experiments: digit recall, and storage capacity (recall against the load ``alpha = P / N``).

For each load, ``n_trials`` times: draw ``P = round(alpha N)`` random +-1 patterns, store them, corrupt
every pattern by flipping a fraction of its neurons, let the memory recall, and measure the final overlap
``m = s . xi / N`` with the original. A recall succeeds when ``m >= success_overlap``. For the classical
Hebbian network the success rate collapses near ``alpha_c ~ 0.138`` (Amit, Gutfreund & Sompolinsky, PRL 55,
1985; the notes' "about 0.15 N"); the dense associative memory keeps retrieving at loads far above.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from boltzgym.sims._engine import check_memory
from boltzgym.sims.dense_memory import DenseAssociativeMemory
from boltzgym.sims.hopfield import STORAGE_RULES, HopfieldNetwork, corrupt, load_digit_patterns
from boltzgym.utils.deprecation import renamed_kwargs
from boltzgym.utils.progress import progress_bar
from boltzgym.utils.validation import check_int, check_positive, check_probability, check_seed

__all__ = ["CapacityResult", "DigitRecallResult", "capacity_experiment", "critical_load", "digit_recall_experiment"]

MEMORIES = ("hopfield", "dense")


@dataclass
class CapacityResult:
    """What ``capacity_experiment`` returns: per load, the success rate and mean final overlap.

    Attributes:
        n_neurons: ``N``; alphas: loads ``(k,)``; success_rate, mean_overlap: ``(k,)``.
        alpha_c: estimated critical load (see ``critical_load``), ``nan`` if the success rate never falls
            below one half.
    """

    n_neurons: int
    alphas: np.ndarray
    success_rate: np.ndarray
    mean_overlap: np.ndarray
    alpha_c: float


def critical_load(alphas, success_rate) -> float:
    """The load where the success rate first falls below 1/2, interpolated linearly between the two loads
    around the crossing; ``nan`` when it never does (and ``alphas[0]`` when it starts below)."""
    alphas = np.asarray(alphas, dtype=np.float64)
    rates = np.asarray(success_rate, dtype=np.float64)
    below = np.flatnonzero(rates < 0.5)
    if below.size == 0:
        return float("nan")
    k = int(below[0])
    if k == 0:
        return float(alphas[0])
    a0, a1, r0, r1 = alphas[k - 1], alphas[k], rates[k - 1], rates[k]
    return float(a0 + (r0 - 0.5) * (a1 - a0) / (r0 - r1))


@renamed_kwargs(n_sweeps="num_sweeps")
def capacity_experiment(
    n_neurons: int = 100,
    alphas=None,
    n_trials: int = 5,
    flip_fraction: float = 0.1,
    num_sweeps: int = 10,
    rule: str = "hebbian",
    memory: str = "hopfield",
    beta: float = 1.0,
    success_overlap: float = 0.95,
    seed: int | None = None,
    progress: bool = False,
) -> CapacityResult:
    """Measure recall against the load ``alpha = P / N`` (see the module docstring).

    Args:
        n_neurons: ``N``.
        alphas: loads to try (default ``0.025, 0.05, ..., 0.3``); ``P = max(1, round(alpha N))``, and the result
            reports the realised loads ``P / N`` (they differ from the nominal ones when ``alpha N`` is not whole).
        n_trials: independent pattern sets per load.
        flip_fraction: fraction of neurons flipped in each probe.
        num_sweeps: zero-temperature asynchronous sweeps of the classical network.
        rule: storage rule of the classical network (``"hebbian"``, ``"pseudoinverse"``, ``"storkey"``).
        memory: ``"hopfield"`` (classical) or ``"dense"`` (``DenseAssociativeMemory``, one update step,
            binarized by sign for the overlap).
        beta: softmax inverse temperature of the dense memory.
        success_overlap: the overlap a recall must reach to count as a success (0.95: at ``alpha_c`` the
            retrieval state of the Hebbian net still has ``m ~ 0.97``, beyond it ``m`` drops to ~0.3).
        seed: seeds the patterns, the corruption and the update order.
        progress: show a progress bar on stderr.
    """
    n_neurons = check_int("n_neurons", n_neurons, minimum=2)
    check_memory("capacity_experiment", {"n_neurons": 4 * 8 * n_neurons**2})
    alpha_array = np.arange(1, 13) * 0.025 if alphas is None else np.asarray(alphas, dtype=np.float64)
    if alpha_array.ndim != 1 or alpha_array.size == 0 or np.any(~np.isfinite(alpha_array) | (alpha_array <= 0)):
        raise ValueError(f"alphas must be a non-empty list of positive loads, got {alphas!r}")
    n_trials = check_int("n_trials", n_trials, minimum=1)
    flip_fraction = check_probability("flip_fraction", flip_fraction)
    num_sweeps = check_int("num_sweeps", num_sweeps, minimum=1)
    if rule not in STORAGE_RULES:
        raise ValueError(f"rule must be one of {list(STORAGE_RULES)}, got {rule!r}")
    if memory not in MEMORIES:
        raise ValueError(f"memory must be one of {list(MEMORIES)}, got {memory!r}")
    check_positive("beta", beta)
    success_overlap = check_probability("success_overlap", success_overlap)
    pattern_counts = np.maximum(1, np.round(alpha_array * n_neurons)).astype(np.int64)
    alpha_array = pattern_counts / n_neurons  # the loads actually realised
    seeds = np.random.SeedSequence(check_seed("seed", seed)).generate_state(2 * alpha_array.size * n_trials)
    success = np.zeros(alpha_array.size)
    overlap = np.zeros(alpha_array.size)
    with progress_bar(total=alpha_array.size * n_trials, desc="capacity", enabled=progress) as bar:
        for a in range(alpha_array.size):
            overlaps = []
            for trial in range(n_trials):
                k = 2 * (a * n_trials + trial)
                rng = np.random.default_rng(int(seeds[k]))
                n_patterns = int(pattern_counts[a])
                patterns = rng.choice(np.array([-1, 1], dtype=np.int8), size=(n_patterns, n_neurons))
                probes = corrupt(patterns, flip_fraction, seed=int(seeds[k + 1]))
                if memory == "hopfield":
                    net = HopfieldNetwork(n_neurons).store(patterns, rule)
                    final = net.recall(probes, num_sweeps=num_sweeps, seed=int(seeds[k + 1])).states
                else:
                    retrieved = DenseAssociativeMemory(patterns, beta).retrieve(probes)
                    final = np.where(retrieved >= 0, 1, -1)
                overlaps.append(np.sum(final * patterns.astype(np.int64), axis=1) / n_neurons)
                bar.update(1)
            values = np.concatenate(overlaps)
            success[a] = np.mean(values >= success_overlap)
            overlap[a] = values.mean()
    return CapacityResult(n_neurons, alpha_array, success, overlap, critical_load(alpha_array, success))


@dataclass
class DigitRecallResult:
    """What ``digit_recall_experiment`` returns.

    Attributes:
        patterns, probes, recalled: int8 ``(P, 64)`` stored digits, corrupted probes and final states.
        overlaps: overlap trajectory ``(num_sweeps + 1, P)``; energies: energy trajectory ``(num_sweeps + 1, P)``.
    """

    patterns: np.ndarray
    probes: np.ndarray
    recalled: np.ndarray
    overlaps: np.ndarray
    energies: np.ndarray


@renamed_kwargs(n_sweeps="num_sweeps")
def digit_recall_experiment(
    n_patterns: int = 6,
    flip_fraction: float = 0.15,
    rule: str = "pseudoinverse",
    mode: str = "async",
    beta: float = np.inf,
    num_sweeps: int = 8,
    seed: int | None = None,
) -> DigitRecallResult:
    """Store binarized 8x8 digits (``load_digit_patterns``), corrupt them and recall (``HopfieldNetwork``).

    The default projection rule stores the correlated digits; try ``rule="hebbian"`` to see them merge.
    """
    patterns = load_digit_patterns(n_patterns)
    probes = corrupt(patterns, flip_fraction, seed=seed)
    net = HopfieldNetwork(patterns.shape[1]).store(patterns, rule)
    result = net.recall(probes, num_sweeps=num_sweeps, beta=beta, mode=mode, targets=patterns, seed=seed)
    return DigitRecallResult(patterns, probes, result.states, result.overlaps, result.energies)
