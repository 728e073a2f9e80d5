"""Bandit policies (notes 6.2): UCB1, KL-UCB, Thompson sampling, epsilon-greedy and softmax.

One interface serves a single Gymnasium env and a batch of independent runs alike. A policy keeps
``counts`` (pulls per arm) and ``means`` (sample-mean reward per arm) as ``(runs, arms)`` arrays::

    policy = UCB1().reset(n_arms=10, n_runs=1000, seed=0)
    for t in range(horizon):
        arms = policy.select()           # int64[runs]: the arm each run pulls now
        rewards = ...                    # float64[runs]: what each run received
        policy.update(arms, rewards)

Driving one Gymnasium env is the case ``n_runs=1`` (``boltzgym.agents.bandit_simulation.run_env_loop``);
the vectorized simulator (``simulate``) drives all runs at once. ``make_policy(name)`` builds a policy from
its registry name (``POLICY_NAMES``).

This module does not import torch. Randomness comes only from the generator seeded in ``reset``.
"""

from __future__ import annotations

import math

import numpy as np

from boltzgym.utils.validation import check_in_range, check_int, check_positive, check_seed


def _kernels():
    """The jitted kernels (``boltzgym.agents._bandit_kernels``), imported on first use: importing this module,
    for its policy names say (the CLI's parser), does not start numba."""
    from boltzgym.agents import _bandit_kernels

    return _bandit_kernels


SeedLike = int | np.random.SeedSequence | None


class BanditPolicy:
    """Base class: the ``(runs, arms)`` bookkeeping shared by every policy.

    Subclasses implement ``select``; ``update`` records the rewards (incremental sample means, notes 6.2
    step 4). ``unit_rewards = True`` marks policies whose model needs rewards in [0, 1].
    """

    name = "policy"
    unit_rewards = False

    def reset(self, n_arms: int, n_runs: int = 1, seed: SeedLike = None) -> BanditPolicy:
        """Forget everything; prepare ``n_runs`` independent runs over ``n_arms`` arms. Returns ``self``.

        ``seed`` (an int, a ``numpy.random.SeedSequence`` or None) seeds the policy's own generator.
        """
        self.n_arms = check_int("n_arms", n_arms, minimum=2)
        self.n_runs = check_int("n_runs", n_runs, minimum=1)
        if not isinstance(seed, np.random.SeedSequence):
            seed = check_seed("seed", seed)
        self.rng = np.random.default_rng(seed)
        self.t = 0  # pulls made so far in each run (the runs move in lockstep)
        self.counts = np.zeros((self.n_runs, self.n_arms), dtype=np.int64)
        self.means = np.zeros((self.n_runs, self.n_arms), dtype=np.float64)
        return self

    def select(self) -> np.ndarray:
        """The arm each run pulls now: ``int64[n_runs]``."""
        raise NotImplementedError

    def update(self, arms, rewards) -> None:
        """Record that run ``r`` pulled ``arms[r]`` and received ``rewards[r]`` (arrays of length n_runs)."""
        if not hasattr(self, "counts"):
            raise RuntimeError(f"{type(self).__name__}: call reset(n_arms, n_runs, seed) before update()")
        arms = np.asarray(arms, dtype=np.int64).reshape(-1)
        rewards = np.asarray(rewards, dtype=np.float64).reshape(-1)
        if arms.shape != (self.n_runs,) or rewards.shape != (self.n_runs,):
            raise ValueError(f"arms and rewards must have shape ({self.n_runs},), got {arms.shape} and {rewards.shape}")
        if arms.min() < 0 or arms.max() >= self.n_arms:
            raise ValueError(f"arms must be in [0, {self.n_arms - 1}], got values {arms.min()}..{arms.max()}")
        if self.unit_rewards and (rewards.min() < 0.0 or rewards.max() > 1.0):
            raise ValueError(
                f"rewards must be in [0, 1] for {self.name} (a Bernoulli model), got values "
                f"{rewards.min():.4g}..{rewards.max():.4g}"
            )
        _kernels().update_means(self.counts, self.means, arms, rewards)
        self.t += 1

    def _fused_steps(self):
        """The simulator's one-call path for a stretch of pulls, ``steps(noise, arm_means, gaps, bernoulli,
        reward_std, cumulative, cumulative_block)`` (see ``_bandit_kernels``), or None: only a policy class that
        defines ``_simulate_steps`` has one, and a subclass that changes its ``select`` or ``update`` loses it."""
        cls = type(self)
        owner = next((c for c in cls.__mro__ if "_simulate_steps" in vars(c)), None)
        if owner is None or cls.select is not owner.select or cls.update is not owner.update:
            return None
        return self._simulate_steps

    def _check_ready(self) -> None:
        if not hasattr(self, "counts"):
            raise RuntimeError(f"{type(self).__name__}: call reset(n_arms, n_runs, seed) before select()")

    def _greedy(self) -> np.ndarray:
        """The arm with the best sample mean per run, untried arms first (lowest index among ties)."""
        return np.argmax(np.where(self.counts == 0, np.inf, self.means), axis=1)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({params})"

    def hyperparameters(self) -> dict:
        """The constructor arguments (for reports)."""
        return {}


class UCB1(BanditPolicy):
    """Upper Confidence Bound: pull ``argmax_i mean_i + alpha * sqrt(2 ln t / m_i)`` (notes 6.2).

    ``t`` is the number of pulls made so far and ``m_i`` the pulls of arm i. Every arm is pulled once
    first (an untried arm's index is infinite), which also settles the notes' division by ``m_i = 0``.
    ``alpha = 1`` is UCB1 of Auer, Cesa-Bianchi & Fischer (2002), "Finite-time Analysis of the
    Multiarmed Bandit Problem", whose Theorem 1 bounds the expected regret for rewards in [0, 1].

    Deviations from the notes: the notes call ``alpha`` a learning rate; it scales the exploration bonus
    (larger explores more) and no step size appears in the rule. The notes' "period t" counts the current
    round, one more than the pulls so far; we follow Auer et al., whose bound is tested.

    Args:
        alpha: exploration coefficient (default 1.0, Auer et al.'s UCB1).
    """

    name = "ucb1"

    def __init__(self, alpha: float = 1.0):
        self.alpha = check_positive("alpha", alpha, allow_zero=True)

    def hyperparameters(self) -> dict:
        return {"alpha": self.alpha}

    def select(self) -> np.ndarray:
        self._check_ready()
        out = np.empty(self.n_runs, dtype=np.int64)
        _kernels().ucb1_select(self.counts, self.means, math.log(max(self.t, 1)), self.alpha, out)
        return out

    def _simulate_steps(self, noise, arm_means, gaps, bernoulli, reward_std, cumulative, cumulative_block) -> None:
        log_t = np.array([math.log(max(self.t + step, 1)) for step in range(len(noise))])
        _kernels().ucb1_steps(
            self.counts, self.means, log_t, self.alpha, arm_means, gaps, noise, bernoulli, reward_std, cumulative,
            cumulative_block,
        )  # fmt: skip
        self.t += len(noise)


class KLUCB(BanditPolicy):
    """KL-UCB for Bernoulli rewards: pull ``argmax_i max{q : m_i kl(mean_i, q) <= ln t + c ln ln t}``.

    Garivier & Cappé (2011), "The KL-UCB Algorithm for Bounded Stochastic Bandits and Beyond" (COLT):
    the Bernoulli KL divergence replaces UCB1's Hoeffding bonus, which makes the regret match the
    Lai–Robbins lower bound asymptotically. ``c = 0`` is what the paper recommends in practice (its proof
    uses ``c = 3``). Each arm is pulled once first. Rewards must lie in [0, 1].

    Args:
        c: the weight of the ``ln ln t`` term (default 0).
    """

    name = "kl-ucb"
    unit_rewards = True

    def __init__(self, c: float = 0.0):
        self.c = check_positive("c", c, allow_zero=True)

    def hyperparameters(self) -> dict:
        return {"c": self.c}

    def reset(self, n_arms: int, n_runs: int = 1, seed: SeedLike = None) -> KLUCB:
        super().reset(n_arms, n_runs, seed)
        # p ln p + (1 - p) ln(1 - p) of each arm's mean, refreshed on every pull: the kernel's cheap KL test
        self.neg_entropy = np.zeros((self.n_runs, self.n_arms))
        return self

    def update(self, arms, rewards) -> None:
        super().update(arms, rewards)
        _kernels().update_neg_entropy(self.means, np.asarray(arms, dtype=np.int64).reshape(-1), self.neg_entropy)

    def _level(self, t: int) -> float:
        log_t = math.log(max(t, 1))
        return log_t + (self.c * math.log(log_t) if log_t > 1.0 else 0.0)

    def select(self) -> np.ndarray:
        self._check_ready()
        out = np.empty(self.n_runs, dtype=np.int64)
        _kernels().kl_ucb_select(self.counts, self.means, self.neg_entropy, self._level(self.t), out)
        return out

    def _simulate_steps(self, noise, arm_means, gaps, bernoulli, reward_std, cumulative, cumulative_block) -> None:
        levels = np.array([self._level(self.t + step) for step in range(len(noise))])
        _kernels().kl_ucb_steps(
            self.counts, self.means, self.neg_entropy, levels, arm_means, gaps, noise, bernoulli, reward_std,
            cumulative, cumulative_block,
        )  # fmt: skip
        self.t += len(noise)


class EpsilonGreedy(BanditPolicy):
    """Epsilon-greedy: with probability ``epsilon_t`` pull a uniformly random arm, else the best mean.

    Constant ``epsilon`` by default (Sutton & Barto 2018, section 2.2). With ``decay_c`` set, the
    schedule is Auer et al.'s (2002) epsilon_n-greedy: ``epsilon_t = min(1, c K / (d^2 t))``, where ``d``
    should be a lower bound on the smallest gap. Each arm is pulled once first.

    Args:
        epsilon: the constant exploration probability (default 0.1); ignored when ``decay_c`` is set.
        decay_c: ``c`` of the decaying schedule (None: constant epsilon).
        decay_d: ``d`` of the decaying schedule (default 0.1).
    """

    name = "eps-greedy"

    def __init__(self, epsilon: float = 0.1, decay_c: float | None = None, decay_d: float = 0.1):
        self.epsilon = check_in_range("epsilon", epsilon, 0.0, 1.0)
        self.decay_c = None if decay_c is None else check_positive("decay_c", decay_c)
        self.decay_d = check_in_range("decay_d", decay_d, 1e-12, 1.0)

    def hyperparameters(self) -> dict:
        if self.decay_c is None:
            return {"epsilon": self.epsilon}
        return {"decay_c": self.decay_c, "decay_d": self.decay_d}

    def current_epsilon(self) -> float:
        """The exploration probability of the next pull."""
        if self.decay_c is None:
            return self.epsilon
        return min(1.0, self.decay_c * self.n_arms / (self.decay_d**2 * max(self.t, 1)))

    def select(self) -> np.ndarray:
        self._check_ready()
        arms = self._greedy()
        explore = self.rng.random(self.n_runs) < self.current_epsilon()
        random_arms = self.rng.integers(0, self.n_arms, size=self.n_runs)
        untried = self.t < self.n_arms  # the first K pulls try each arm once
        return arms if untried else np.where(explore, random_arms, arms)


class DecayingEpsilonGreedy(EpsilonGreedy):
    """Auer et al.'s (2002) epsilon_n-greedy, ``epsilon_t = min(1, c K / (d^2 t))``; see ``EpsilonGreedy``.

    Args:
        decay_c: ``c`` (default 0.1, in the range Auer et al. found best).
        decay_d: ``d``, a lower bound on the smallest gap (default 0.1).
    """

    name = "eps-decay"

    def __init__(self, decay_c: float = 0.1, decay_d: float = 0.1):
        super().__init__(decay_c=decay_c, decay_d=decay_d)


class Softmax(BanditPolicy):
    """Softmax (Boltzmann) selection: pull arm i with probability ``exp(mean_i / T) / sum_j exp(mean_j / T)``.

    Sutton & Barto (2018, section 2.8); sampled exactly with the Gumbel-max trick,
    ``argmax_i mean_i / T + Gumbel_i``. Untried arms count with mean 0.

    Args:
        temperature: ``T > 0`` (default 0.1); low is greedy, high is uniform.
    """

    name = "softmax"

    def __init__(self, temperature: float = 0.1):
        self.temperature = check_positive("temperature", temperature)

    def hyperparameters(self) -> dict:
        return {"temperature": self.temperature}

    def select(self) -> np.ndarray:
        self._check_ready()
        noise = self.rng.gumbel(size=(self.n_runs, self.n_arms))
        return np.argmax(self.means / self.temperature + noise, axis=1)


class ThompsonSampling(BanditPolicy):
    """Thompson sampling: draw a mean per arm from its posterior and pull the largest draw.

    ``prior="beta"`` (Beta–Bernoulli): arm i's posterior is ``Beta(1 + S_i, 1 + F_i)`` with ``S_i`` the
    summed rewards and ``F_i = m_i - S_i`` (uniform prior); rewards must lie in [0, 1] and the posterior is
    exact for Bernoulli rewards. ``prior="gaussian"``: the posterior ``N(S_i / (m_i + 1),
    reward_std^2 / (m_i + 1))`` of a ``N(0, reward_std^2)`` prior and Gaussian rewards of known
    ``reward_std``. Both are the versions analysed by Agrawal & Goyal (2012, 2013), "Analysis of Thompson
    Sampling for the Multi-armed Bandit Problem" and "Further Optimal Regret Bounds for Thompson Sampling".

    Args:
        prior: ``"beta"`` (default) or ``"gaussian"``.
        reward_std: the reward noise assumed by the Gaussian model (default 1.0).
    """

    name = "thompson"
    PRIORS = ("beta", "gaussian")

    def __init__(self, prior: str = "beta", reward_std: float = 1.0):
        if prior not in self.PRIORS:
            raise ValueError(f"prior must be one of {list(self.PRIORS)}, got {prior!r}")
        self.prior = prior
        self.reward_std = check_positive("reward_std", reward_std)
        self.unit_rewards = prior == "beta"

    def hyperparameters(self) -> dict:
        return {"prior": self.prior} if self.prior == "beta" else {"prior": self.prior, "reward_std": self.reward_std}

    def select(self) -> np.ndarray:
        self._check_ready()
        sums = self.means * self.counts
        if self.prior == "beta":
            samples = self.rng.beta(1.0 + sums, 1.0 + self.counts - sums)
        else:
            precision = self.counts + 1.0
            samples = self.rng.normal(sums / precision, self.reward_std / np.sqrt(precision))
        return np.argmax(samples, axis=1)


class GaussianThompsonSampling(ThompsonSampling):
    """Thompson sampling with the Gaussian model; see ``ThompsonSampling``."""

    name = "thompson-gaussian"

    def __init__(self, reward_std: float = 1.0):
        super().__init__(prior="gaussian", reward_std=reward_std)


# name -> policy class; make_policy(name, **hyperparameters) builds one.
POLICIES: dict[str, type[BanditPolicy]] = {
    cls.name: cls
    for cls in (UCB1, KLUCB, ThompsonSampling, GaussianThompsonSampling, EpsilonGreedy, DecayingEpsilonGreedy, Softmax)
}
POLICY_NAMES: tuple[str, ...] = tuple(POLICIES)


def make_policy(name: str, **hyperparameters) -> BanditPolicy:
    """Build the policy registered as ``name`` (one of ``POLICY_NAMES``) with the given hyperparameters.

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    if name not in POLICIES:
        raise ValueError(f"unknown policy {name!r}; expected one of {list(POLICY_NAMES)}")
    return POLICIES[name](**hyperparameters)
