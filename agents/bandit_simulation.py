"""Run bandit policies: the vectorized simulator, the plain Gymnasium env loop, and the regret bounds.

Regret here is the cumulative *pseudo-regret* ``sum_t (max(means) - means[a_t])``: the expected reward
lost by the arms actually pulled. It has the same expectation as the realized regret, less variance, and
it is the quantity that Auer et al.'s (2002) Theorem 1 bounds above and Lai & Robbins (1985) below.

- ``simulate(policy, means, horizon, runs, kind, seed)``: ``runs`` independent runs at once, the policy
  working on ``(runs, arms)`` arrays, rewards drawn for all runs per step; returns a ``BanditResult``.
- ``run_env_loop(policy, env, horizon, seed)``: the same policy (``n_runs=1``) on one Gymnasium env,
  step by step; its regret agrees in distribution with ``simulate`` (tests check it).
- ``compare_policies(...)``: ``simulate`` for several policies on the same problem (the CLI's work).
- ``auer_ucb1_bound`` and ``lai_robbins_bound``: the two reference curves drawn in the regret plot.

This module does not import torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from boltzgym.agents.bandits import BanditPolicy, make_policy
from boltzgym.utils.resources import check_memory, checked_size
from boltzgym.utils.validation import check_int, check_positive, check_seed

REWARD_KINDS = ("bernoulli", "gaussian")
_CHUNK_VALUES = 2**18  # noise values drawn at once by ``simulate`` (2 MB)


@dataclass
class BanditResult:
    """What ``simulate`` returns.

    Attributes:
        policy: the policy's name.
        means: the arm means, ``float64[arms]``.
        kind: ``"bernoulli"`` or ``"gaussian"`` rewards.
        horizon: pulls per run.
        runs: independent runs.
        seed: the seed the run was made with.
        regret_mean: ``float64[horizon]``, mean cumulative pseudo-regret after 1..horizon pulls.
        regret_stderr: ``float64[horizon]``, its standard error over the runs (0 when runs == 1).
        final_regret: ``float64[runs]``, each run's cumulative pseudo-regret at the horizon.
        pulls: ``int64[runs, arms]``, each run's pulls per arm.
    """

    policy: str
    means: np.ndarray
    kind: str
    horizon: int
    runs: int
    seed: int | None
    regret_mean: np.ndarray
    regret_stderr: np.ndarray
    final_regret: np.ndarray
    pulls: np.ndarray

    @property
    def final_regret_mean(self) -> float:
        return float(self.final_regret.mean())

    @property
    def final_regret_stderr(self) -> float:
        return float(self.regret_stderr[-1])


def bandit_means(arms: int | None = None, means=None, kind: str = "bernoulli", seed: int | None = None) -> np.ndarray:
    """The arm means of a bandit problem: ``means`` when given (validated), else ``arms`` means drawn from
    ``seed`` (uniform on [0, 1] for Bernoulli arms, ``N(0, 1)`` for Gaussian arms, as the envs draw them).

    ``arms`` defaults to 10 and must agree with ``len(means)`` when both are given.
    """
    if kind not in REWARD_KINDS:
        raise ValueError(f"kind must be one of {list(REWARD_KINDS)}, got {kind!r}")
    if arms is not None:
        arms = check_int("arms", arms, minimum=2)
    if means is not None:
        means = check_means(means, kind)
        if arms is not None and arms != means.size:
            raise ValueError(
                f"arms={arms} disagrees with the {means.size} values of means; give one or make them agree"
            )
        return means
    rng = np.random.default_rng(check_seed("seed", seed))
    n_arms = 10 if arms is None else arms
    return rng.uniform(0.0, 1.0, n_arms) if kind == "bernoulli" else rng.standard_normal(n_arms)


def check_means(means, kind: str = "bernoulli") -> np.ndarray:
    """Validate arm means: 1-D, finite, at least 2 arms, in [0, 1] for Bernoulli arms."""
    if kind not in REWARD_KINDS:
        raise ValueError(f"kind must be one of {list(REWARD_KINDS)}, got {kind!r}")
    try:
        array = np.asarray(means, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"means must be a sequence of numbers, got {means!r}") from exc
    if array.ndim != 1 or array.size < 2:
        raise ValueError(f"means must list at least 2 arms (a 1-D sequence), got {array.tolist()}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"means must be finite, got {array.tolist()}")
    if kind == "bernoulli" and (array.min() < 0.0 or array.max() > 1.0):
        raise ValueError(f"means must be in [0, 1] for Bernoulli arms, got {array.tolist()}")
    return array


def _as_policy(policy: BanditPolicy | str, kind: str, reward_std: float = 1.0) -> BanditPolicy:
    if isinstance(policy, str):
        # a Gaussian model built from its name assumes the problem's (known) reward noise
        policy = make_policy(policy, reward_std=reward_std) if policy == "thompson-gaussian" else make_policy(policy)
    if not isinstance(policy, BanditPolicy):
        raise TypeError(f"policy must be a BanditPolicy or a policy name, got {type(policy).__name__}")
    if kind != "bernoulli" and policy.unit_rewards:
        hint = " (use thompson-gaussian)" if policy.name == "thompson" else ""
        raise ValueError(
            f"policy {policy.name!r} models rewards in [0, 1]: it needs kind 'bernoulli', not {kind!r}{hint}"
        )
    return policy


def simulation_bytes(n_arms: int, horizon: int, runs: int, n_policies: int = 1) -> tuple[int, str]:
    """Estimated peak bytes of :func:`compare_policies` and the argument that dominates them (``"runs"``,
    ``"arms"`` or ``"horizon"``): per run, the policy's ``(runs, arms)`` statistics (about six float64 tables)
    and a few float64 vectors; per step, the regret curves every policy keeps (five float64 values)."""
    per_table = checked_size((runs, n_arms), "runs x arms") * 8
    terms = {
        "arms": 6 * per_table,
        "runs": 16 * checked_size((runs,), "runs") * 8,
        "horizon": 5 * checked_size((horizon, n_policies), "horizon") * 8,
    }
    return sum(terms.values()), max(terms, key=terms.get)


def check_simulation_memory(n_arms: int, horizon: int, runs: int, n_policies: int = 1, flag: str = "") -> None:
    """Refuse (``MemoryBudgetError`` naming the argument, the estimate and the memory available) a simulation
    that would not fit in memory; ``flag="--"`` names the CLI options instead of the keyword arguments."""
    n_bytes, dominant = simulation_bytes(n_arms, horizon, runs, n_policies)
    argument = {"arms": f"{flag}runs/{flag}arms", "runs": f"{flag}runs", "horizon": f"{flag}horizon"}[dominant]
    check_memory(n_bytes, argument, f"{runs} runs of {horizon} pulls on {n_arms} arms ({n_policies} policies)")


def simulate(
    policy: BanditPolicy | str,
    means,
    horizon: int,
    runs: int = 1000,
    kind: str = "bernoulli",
    reward_std: float = 1.0,
    seed: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> BanditResult:
    """Run ``runs`` independent bandit runs of ``horizon`` pulls each, all at once.

    Each step asks the policy for every run's arm (``select``), draws every run's reward (Bernoulli:
    ``1`` with probability ``means[arm]``; Gaussian: ``means[arm] + reward_std * N(0, 1)``) and hands them
    back (``update``). The same seed gives the same result. UCB1 and KL-UCB (and subclasses that keep their
    ``select`` and ``update``) run a stretch of steps in one jitted call over all runs, threaded, with the
    same numbers bit for bit, whatever the thread count.

    Args:
        policy: a ``BanditPolicy`` (reset here) or a registry name (``POLICY_NAMES``).
        means: the arm means, at least 2; in [0, 1] for Bernoulli arms.
        horizon: pulls per run (>= 1).
        runs: independent runs (>= 1).
        kind: ``"bernoulli"`` (default) or ``"gaussian"``.
        reward_std: the Gaussian reward noise (ignored for Bernoulli arms).
        seed: seeds both the rewards and the policy's own randomness.
        progress: called with the number of steps done since the last call (for a progress bar).
    """
    means = check_means(means, kind)
    horizon = check_int("horizon", horizon, minimum=1)
    runs = check_int("runs", runs, minimum=1)
    reward_std = check_positive("reward_std", reward_std)
    seed = check_seed("seed", seed)
    check_simulation_memory(means.size, horizon, runs)
    policy = _as_policy(policy, kind, reward_std)

    reward_seed, policy_seed = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(reward_seed)
    policy.reset(means.size, runs, seed=policy_seed)
    gaps = means.max() - means
    bernoulli = kind == "bernoulli"
    fused_steps = policy._fused_steps()
    cumulative = np.zeros(runs)
    regret_sum = np.empty(horizon)
    regret_sum_sq = np.empty(horizon)
    # Steps go in chunks (about 1% of the horizon, at most ~2 MB of noise): the chunk's rewards' noise is drawn in
    # one call, the same stream as a draw per step, and the regret curves are reduced once per chunk.
    chunk_steps = max(1, min(-(-horizon // 100), _CHUNK_VALUES // runs))
    for start in range(0, horizon, chunk_steps):
        steps = min(chunk_steps, horizon - start)
        noise = rng.random((steps, runs)) if bernoulli else rng.standard_normal((steps, runs))
        block = np.empty((steps, runs))  # cumulative regret after each step of the chunk
        if fused_steps is not None:  # one jitted call for the whole chunk
            fused_steps(noise, means, gaps, bernoulli, reward_std, cumulative, block)
        else:
            for step in range(steps):
                arms = policy.select()
                arm_means = means[arms]
                if bernoulli:
                    rewards = (noise[step] < arm_means).astype(np.float64)
                else:
                    rewards = arm_means + reward_std * noise[step]
                policy.update(arms, rewards)
                cumulative += gaps[arms]
                block[step] = cumulative
        regret_sum[start : start + steps] = block.sum(axis=1)
        regret_sum_sq[start : start + steps] = (block * block).sum(axis=1)
        if progress is not None:
            progress(steps)
    regret_mean = regret_sum / runs
    if runs > 1:
        variance = np.maximum(regret_sum_sq - runs * regret_mean**2, 0.0) / (runs - 1)
        regret_stderr = np.sqrt(variance / runs)
    else:
        regret_stderr = np.zeros(horizon)
    return BanditResult(
        policy=policy.name,
        means=means,
        kind=kind,
        horizon=horizon,
        runs=runs,
        seed=seed,
        regret_mean=regret_mean,
        regret_stderr=regret_stderr,
        final_regret=cumulative,
        pulls=policy.counts.copy(),
    )


def compare_policies(
    policies: Sequence[BanditPolicy | str],
    means,
    horizon: int,
    runs: int = 1000,
    kind: str = "bernoulli",
    reward_std: float = 1.0,
    seed: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, BanditResult]:
    """``simulate`` each policy on the same problem with the same seed; returns name -> result.

    Every policy is checked before the first one runs, so a bad name fails fast.
    """
    if isinstance(policies, str) or not policies:
        raise ValueError(f"policies must be a non-empty list of policies or names, got {policies!r}")
    means = check_means(means, kind)
    reward_std = check_positive("reward_std", reward_std)
    built = []
    for policy in policies:
        try:
            built.append(_as_policy(policy, kind, reward_std))
        except ValueError as exc:
            raise ValueError(f"policies: {exc}") from exc
    names = [policy.name for policy in built]
    if len(set(names)) != len(names):
        raise ValueError(f"policies must not repeat a name, got {names}")
    return {policy.name: simulate(policy, means, horizon, runs, kind, reward_std, seed, progress) for policy in built}


def run_env_loop(policy: BanditPolicy | str, env, horizon: int, seed: int | None = None) -> np.ndarray:
    """Drive one Gymnasium bandit env with ``policy`` (as ``n_runs=1``) for ``horizon`` steps.

    The plain loop: ``select`` -> ``env.step`` -> ``update``, reading ``info["instant_regret"]``. The env's
    time limit must allow ``horizon`` steps (``gym.make(id, max_episode_steps=horizon)``).

    Returns:
        ``float64[horizon]``: the cumulative pseudo-regret after 1..horizon pulls.
    """
    horizon = check_int("horizon", horizon, minimum=1)
    seed = check_seed("seed", seed)
    policy = make_policy(policy) if isinstance(policy, str) else policy
    env_seed, policy_seed = np.random.SeedSequence(seed).generate_state(2)
    env.reset(seed=int(env_seed))
    policy.reset(env.action_space.n, 1, seed=int(policy_seed))
    instant = np.empty(horizon)
    arm, reward = np.zeros(1, dtype=np.int64), np.zeros(1)
    for t in range(horizon):
        arm[0] = policy.select()[0]
        _, reward[0], terminated, truncated, info = env.step(int(arm[0]))
        policy.update(arm, reward)
        instant[t] = info["instant_regret"]
        if (terminated or truncated) and t + 1 < horizon:
            raise ValueError(f"horizon={horizon} exceeds the env's episode length ({t + 1} steps): raise its limit")
    return np.cumsum(instant)


def _gaps(means) -> np.ndarray:
    means = np.asarray(means, dtype=np.float64)
    gaps = means.max() - means
    return gaps[gaps > 0]


def auer_ucb1_bound(means, t) -> np.ndarray:
    """Auer et al. (2002), Theorem 1: UCB1's expected regret after ``t`` pulls (rewards in [0, 1]) is at most

    ``8 * sum_{i: gap_i > 0} ln(t) / gap_i + (1 + pi^2 / 3) * sum_i gap_i``.
    """
    gaps = _gaps(means)
    t = np.asarray(t, dtype=np.float64)
    return 8.0 * np.log(t) * np.sum(1.0 / gaps) + (1.0 + math.pi**2 / 3.0) * np.sum(gaps)


def _bernoulli_kl(p: float, q: float) -> float:
    eps = 1e-15
    p, q = min(max(p, eps), 1 - eps), min(max(q, eps), 1 - eps)
    return p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))


def lai_robbins_bound(means, t, kind: str = "bernoulli", reward_std: float = 1.0) -> np.ndarray:
    """The Lai & Robbins (1985) asymptotic lower bound ``ln(t) * sum_{gap_i > 0} gap_i / KL(arm i, best arm)``.

    Any consistent policy's regret is at least this for large ``t`` (up to a factor 1 + o(1)). The KL
    divergence is Bernoulli's ``kl(mean_i, mean*)``, or ``gap_i^2 / (2 reward_std^2)`` for Gaussian arms.
    """
    means = check_means(means, kind)
    best = means.max()
    constant = 0.0
    for mean in means:
        gap = best - mean
        if gap <= 0:
            continue
        divergence = _bernoulli_kl(mean, best) if kind == "bernoulli" else gap**2 / (2.0 * reward_std**2)
        constant += gap / divergence
    return constant * np.log(np.asarray(t, dtype=np.float64))
