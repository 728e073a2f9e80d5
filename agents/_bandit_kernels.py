"""Jitted arithmetic for the bandit policies in ``boltzgym.agents.bandits`` (notes 6.2).

Every kernel works on a batch of independent runs: ``counts`` is ``int64[runs, arms]`` (pulls per arm),
``means`` is ``float64[runs, arms]`` (sample-mean reward per arm), ``arms`` is ``int64[runs]`` and
``rewards`` is ``float64[runs]``. Kernels only compute; the Python wrappers validate, seed and allocate.
An arm never pulled has an infinite index, so index policies pull every arm once first, in arm order.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from boltzgym.utils.jit import start_numba_runtime

start_numba_runtime()  # numba's one-time start-up at import, not in the first call

_KL_EPS = 1e-15  # keeps log() finite at q = 0 or 1
_NEWTON_TOL = 1e-10
_NEWTON_MAX_ITER = 100


@njit(cache=True)
def update_means(counts, means, arms, rewards):
    """In place: ``counts[r, arms[r]] += 1`` and the incremental sample mean of that arm (notes 6.2, step 4).

    counts: int64[runs, arms]; means: float64[runs, arms]; arms: int64[runs]; rewards: float64[runs].
    """
    for run in range(arms.shape[0]):
        _record_pull(counts, means, run, arms[run], rewards[run])


@njit(cache=True, inline="always")
def _record_pull(counts, means, run, arm, reward):
    """One run's pull: its count and the incremental mean ``mean += (reward - mean) / count`` (notes 6.2, step 4)."""
    counts[run, arm] += 1
    means[run, arm] += (reward - means[run, arm]) / counts[run, arm]


@njit(cache=True, inline="always")
def _reward(arm_mean, noise, bernoulli, reward_std):
    """A pull's reward from its pre-drawn noise: Bernoulli ``1 if u < mean else 0`` (``noise`` uniform on
    [0, 1)), else Gaussian ``mean + reward_std * z`` (``noise`` standard normal): the simulator's own formulas."""
    if bernoulli:
        return 1.0 if noise < arm_mean else 0.0
    return arm_mean + reward_std * noise


@njit(cache=True)
def ucb1_select(counts, means, log_t, alpha, out):
    """UCB1 arm choice per run: ``argmax_i means_i + alpha * sqrt(2 ln t / m_i)`` (notes 6.2, step 2).

    counts: int64[runs, arms]; means: float64[runs, arms]; log_t: float64 scalar (``ln t``, t = pulls so
    far); alpha: float64; out: int64[runs], written. Untried arms come first; ties go to the lowest index.
    """
    runs, n_arms = counts.shape
    two_log_t = 2.0 * log_t
    for run in range(runs):
        best_arm = -1
        best_index = -np.inf
        for arm in range(n_arms):
            m = counts[run, arm]
            if m == 0:
                best_arm = arm
                break
            index = means[run, arm] + alpha * np.sqrt(two_log_t / m)  # notes 6.2: the ucb value
            if index > best_index:
                best_index = index
                best_arm = arm
        out[run] = best_arm


@njit(cache=True)
def bernoulli_kl(p, q):
    """The Kullback–Leibler divergence ``kl(p, q)`` between Bernoulli(p) and Bernoulli(q) (floats)."""
    p = min(max(p, _KL_EPS), 1.0 - _KL_EPS)
    q = min(max(q, _KL_EPS), 1.0 - _KL_EPS)
    return p * np.log(p / q) + (1.0 - p) * np.log((1.0 - p) / (1.0 - q))


@njit(cache=True)
def kl_ucb_index(p, level):
    """The largest ``q`` in [p, 1] with ``kl(p, q) <= level`` (float64 scalars; ``level >= 0``), to ~1e-10.

    Newton's method in ``y = -ln(1 - q)``: ``f(y) = kl(p, q(y)) - level`` is convex and increasing for
    q > p, with slope ``(q - p) / q <= 1`` (in q itself, kl is steep near 1 and Newton crawls). Started
    right of the root, at Pinsker's bound ``p + sqrt(level / 2)``, the iterates decrease to the root.
    """
    if p >= 1.0:
        return 1.0
    if level <= 0.0:
        return p
    if p <= 0.0:
        return -np.expm1(-level)  # kl(0, q) = -ln(1 - q), solved exactly
    q = min(p + np.sqrt(0.5 * level), 1.0 - _KL_EPS)
    f = bernoulli_kl(p, q) - level
    if f <= 0.0:
        return q
    y = -np.log1p(-q)
    for _ in range(_NEWTON_MAX_ITER):
        step = f * q / (q - p)  # f / f'(y)
        y -= step
        q = -np.expm1(-y)
        if step < _NEWTON_TOL or q <= p:
            break
        f = bernoulli_kl(p, q) - level
        if f <= 0.0:
            break
    return max(q, p)


@njit(cache=True)
def bernoulli_neg_entropy(p):
    """``p ln p + (1 - p) ln(1 - p)`` (float), with ``p`` clamped as in ``bernoulli_kl``."""
    p = min(max(p, _KL_EPS), 1.0 - _KL_EPS)
    return p * np.log(p) + (1.0 - p) * np.log(1.0 - p)


@njit(cache=True)
def update_neg_entropy(means, arms, neg_entropy):
    """In place: ``neg_entropy[r, arms[r]] = bernoulli_neg_entropy(means[r, arms[r]])`` after a pull.

    means: float64[runs, arms]; arms: int64[runs]; neg_entropy: float64[runs, arms].
    """
    for run in range(arms.shape[0]):
        neg_entropy[run, arms[run]] = bernoulli_neg_entropy(means[run, arms[run]])


@njit(cache=True)
def kl_ucb_select(counts, means, neg_entropy, log_level, out):
    """KL-UCB arm choice per run: ``argmax_i max{q : m_i kl(means_i, q) <= log_level}``.

    counts: int64[runs, arms]; means: float64[runs, arms] in [0, 1]; neg_entropy: float64[runs, arms],
    ``bernoulli_neg_entropy(means)`` kept up to date by the caller; log_level: float64 scalar
    (``ln t + c ln ln t``); out: int64[runs], written. Untried arms come first (lowest index).

    Exact, but solves for few indices: starting from the arm with the best mean, arm i can beat the best
    index B so far only if ``p_i > B`` or ``m_i kl(p_i, B) < log_level`` (kl(p, .) increases on [p, 1]),
    and never if Pinsker's bound ``p_i + sqrt(log_level / (2 m_i))`` is <= B. With the cached
    ``neg_entropy``, ``kl(p_i, B) = neg_entropy_i - p_i ln B - (1 - p_i) ln(1 - B)`` costs no logarithm per
    arm. Ties go to the arm examined first.
    """
    for run in range(counts.shape[0]):
        out[run] = _kl_ucb_arm(counts, means, neg_entropy, run, log_level)


@njit(cache=True)
def _kl_ucb_arm(counts, means, neg_entropy, run, log_level):
    """``kl_ucb_select`` for one run: its arm."""
    n_arms = counts.shape[1]
    best_arm = -1
    for arm in range(n_arms):
        if counts[run, arm] == 0:
            return arm
        if best_arm < 0 or means[run, arm] > means[run, best_arm]:
            best_arm = arm
    chosen = best_arm
    best_index = kl_ucb_index(means[run, best_arm], log_level / counts[run, best_arm])
    clamped = min(max(best_index, _KL_EPS), 1.0 - _KL_EPS)
    log_best, log_one_minus_best = np.log(clamped), np.log(1.0 - clamped)
    for arm in range(n_arms):
        if arm == best_arm:
            continue
        p = means[run, arm]
        level = log_level / counts[run, arm]
        if p <= best_index:
            if p + np.sqrt(0.5 * level) <= best_index:
                continue
            p_clamped = min(max(p, _KL_EPS), 1.0 - _KL_EPS)
            kl = neg_entropy[run, arm] - p_clamped * log_best - (1.0 - p_clamped) * log_one_minus_best
            if kl >= level:
                continue
        index = kl_ucb_index(p, level)
        if index > best_index:
            best_index = index
            chosen = arm
            clamped = min(max(best_index, _KL_EPS), 1.0 - _KL_EPS)
            log_best, log_one_minus_best = np.log(clamped), np.log(1.0 - clamped)
    return chosen


# Whole stretches of a simulation in one call (``boltzgym.agents.bandit_simulation.simulate``): every run's
# select -> reward -> update -> regret for ``steps`` pulls, the runs spread over threads. The runs are independent
# and the noise is drawn beforehand, so the result does not depend on the number of threads, and it equals,
# bit for bit, the per-step path (``ucb1_select``/``kl_ucb_select`` + ``update_means``; tests check it).
# Arguments shared by both: noise float64[steps, runs], run r's pull s draws noise[s, r] (``_reward``);
# arm_means, gaps float64[arms]; cumulative float64[runs], each run's pseudo-regret, advanced in place;
# cumulative_block float64[steps, runs], written: ``cumulative`` after each step.

_BOUND_SLACK = 1.0 + 1e-12  # >> the few ulps between sqrt(a) * (1 / sqrt(m)) and sqrt(a / m)
_MIN_PRUNED_ALPHA = 1e-200  # below it the bound's products may be subnormal (ulps larger than the slack): no pruning


@njit(cache=True, parallel=True, nogil=True)
def ucb1_steps(
    counts, means, log_t, alpha, arm_means, gaps, noise, bernoulli, reward_std, cumulative, cumulative_block
):
    """``steps`` pulls of UCB1 in every run; ``log_t`` float64[steps] is ``ln t`` before each pull.

    The arm is ``ucb1_select``'s, computed with fewer square roots: with ``1 / sqrt(m_i)`` kept per arm, the bound
    ``mean_i + alpha sqrt(2 ln t) / sqrt(m_i)`` (scaled up by ``_BOUND_SLACK``) is at least arm i's exact index, so
    an arm whose bound is below the best exact index so far cannot win and its exact index is not computed. The
    search starts from the run's previous arm, usually the winner; ties go to the lowest arm, as there. An
    ``alpha`` below ``_MIN_PRUNED_ALPHA`` (subnormal territory, where the slack would not cover rounding) prunes
    nothing.
    """
    steps, runs = noise.shape
    n_arms = counts.shape[1]
    for run in prange(runs):
        inverse_root = np.empty(n_arms)
        untried = 0
        previous = 0
        for arm in range(n_arms):
            m = counts[run, arm]
            inverse_root[arm] = 1.0 / np.sqrt(m) if m > 0 else np.inf
            untried += m == 0
            if m > counts[run, previous]:
                previous = arm
        total = cumulative[run]
        for step in range(steps):
            two_log_t = 2.0 * log_t[step]
            if untried > 0:  # untried arms first, in arm order
                chosen = 0
                while counts[run, chosen] > 0:
                    chosen += 1
                untried -= 1
            else:
                chosen = previous
                best_index = means[run, chosen] + alpha * np.sqrt(two_log_t / counts[run, chosen])
                bound_scale = alpha * np.sqrt(two_log_t) * _BOUND_SLACK if alpha >= _MIN_PRUNED_ALPHA else np.inf
                for arm in range(n_arms):
                    if arm == previous or means[run, arm] + bound_scale * inverse_root[arm] < best_index:
                        continue
                    index = means[run, arm] + alpha * np.sqrt(two_log_t / counts[run, arm])
                    if index > best_index or (index == best_index and arm < chosen):
                        best_index = index
                        chosen = arm
            _record_pull(
                counts, means, run, chosen, _reward(arm_means[chosen], noise[step, run], bernoulli, reward_std)
            )
            inverse_root[chosen] = 1.0 / np.sqrt(counts[run, chosen])
            total += gaps[chosen]
            cumulative_block[step, run] = total
            previous = chosen
        cumulative[run] = total


@njit(cache=True, parallel=True, nogil=True)
def kl_ucb_steps(
    counts, means, neg_entropy, log_level, arm_means, gaps, noise, bernoulli, reward_std, cumulative, cumulative_block
):
    """``steps`` pulls of KL-UCB in every run (``kl_ucb_select``'s arm, ``neg_entropy`` kept up to date);
    ``log_level`` float64[steps] is the exploration level before each pull."""
    steps, runs = noise.shape
    for run in prange(runs):
        total = cumulative[run]
        for step in range(steps):
            chosen = _kl_ucb_arm(counts, means, neg_entropy, run, log_level[step])
            _record_pull(
                counts, means, run, chosen, _reward(arm_means[chosen], noise[step, run], bernoulli, reward_std)
            )
            neg_entropy[run, chosen] = bernoulli_neg_entropy(means[run, chosen])
            total += gaps[chosen]
            cumulative_block[step, run] = total
        cumulative[run] = total
