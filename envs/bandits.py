"""Multi-armed bandit environments (notes 6.2): Bernoulli, Gaussian and drifting (non-stationary) arms.

A K-armed bandit is a one-state decision problem: each step the agent pulls one of K arms and receives a
random reward whose mean depends only on the arm. The gap of arm ``a`` is ``max(means) - means[a]``; the
*instant regret* of a pull is the gap of the pulled arm (the expected reward lost against always pulling
the best arm), and the cumulative (pseudo-)regret is its running sum, the quantity that the UCB1 bound of
Auer et al. (2002) and the Lai–Robbins (1985) lower bound speak about.

Every env here has a ``Discrete(1)`` observation space whose only observation is ``0``: a bandit has no
state to observe, and a constant keeps the standard Gymnasium loop (``obs, info = env.reset()``) working.
Episodes never terminate; the time limit (the bandit's horizon) comes from ``max_episode_steps`` at
registration (1000) or from ``gym.make(..., max_episode_steps=horizon)``.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from boltzgym.envs._render import AGENT, GOOD, MUTED, bars, check_render_mode, stack, warn_no_render_mode
from boltzgym.utils.validation import check_in_range, check_int, check_positive, setting_ranges

DRIFT_MODES = ("random-walk", "abrupt")


def _as_means(means, n_arms: int | None) -> np.ndarray:
    """Validate ``means`` (1-D, finite, at least 2 arms, agreeing with ``n_arms`` when both are given)."""
    try:
        array = np.asarray(means, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"means must be a sequence of numbers, got {means!r}") from exc
    if array.ndim != 1:
        raise ValueError(f"means must be a 1-D sequence of arm means, got shape {array.shape}")
    if array.size < 2:
        raise ValueError(f"means must hold at least 2 arms, got {array.size}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"means must be finite, got {array.tolist()}")
    if n_arms is not None and n_arms != array.size:
        raise ValueError(f"n_arms={n_arms} disagrees with len(means)={array.size}; give one or make them agree")
    return array


class _BanditEnv(gym.Env):
    """Shared machinery: spaces, arm means (given, or drawn at every reset), regret bookkeeping."""

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}
    bar_width = 12  # pixels per bar of an ``rgb_array`` frame
    frame_height = 64  # pixels of each of its two panels

    @setting_ranges(n_arms=(2, 100_000))
    def __init__(self, n_arms: int | None = None, means=None, render_mode: str | None = None):
        if means is None:
            self.n_arms = check_int("n_arms", 10 if n_arms is None else n_arms, minimum=2)
            self._given_means = None
        else:
            if n_arms is not None:
                check_int("n_arms", n_arms, minimum=2)
            self._given_means = self._check_means(_as_means(means, n_arms))
            self.n_arms = self._given_means.size
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.action_space = spaces.Discrete(self.n_arms)
        self.observation_space = spaces.Discrete(1)
        self.means: np.ndarray | None = None
        self._last_action: int | None = None
        # what a frame shows besides the means: pulls and reward sums per arm since the last reset
        self.pull_counts = np.zeros(self.n_arms, dtype=np.int64)
        self.reward_sums = np.zeros(self.n_arms)

    # --- hooks for the subclasses ---------------------------------------------------------------------
    def _check_means(self, means: np.ndarray) -> np.ndarray:
        return means

    def _draw_means(self) -> np.ndarray:
        raise NotImplementedError

    def _draw_reward(self, arm: int) -> float:
        raise NotImplementedError

    def _evolve_means(self) -> None:
        """Change the means after a pull (non-stationary bandits only)."""

    # --- Gymnasium API --------------------------------------------------------------------------------
    @property
    def optimal_arm(self) -> int:
        """The arm with the highest mean now (the lowest index among ties)."""
        return int(np.argmax(self.means))

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[int, dict[str, Any]]:
        super().reset(seed=seed)
        self.means = self._draw_means() if self._given_means is None else self._given_means.copy()
        self._last_action = None
        self.pull_counts[:] = 0
        self.reward_sums[:] = 0.0
        return 0, {"optimal_arm": self.optimal_arm}

    def step(self, action) -> tuple[int, float, bool, bool, dict[str, Any]]:
        if self.means is None:
            raise RuntimeError("call reset() before step()")
        if not self.action_space.contains(action):
            raise ValueError(f"action must be an arm index in [0, {self.n_arms - 1}], got {action!r}")
        arm = int(action)
        optimal_arm = self.optimal_arm
        instant_regret = float(self.means[optimal_arm] - self.means[arm])
        reward = float(self._draw_reward(arm))
        self._evolve_means()
        self._last_action = arm
        self.pull_counts[arm] += 1
        self.reward_sums[arm] += reward
        return 0, reward, False, False, {"optimal_arm": optimal_arm, "instant_regret": instant_regret}

    @property
    def estimates(self) -> np.ndarray:
        """Each arm's sample-average reward since the last reset (NaN for an arm not pulled yet)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.pull_counts > 0, self.reward_sums / np.maximum(self.pull_counts, 1), np.nan)

    def render(self) -> str | np.ndarray | None:
        """``"ansi"``: a line with the means and the last arm. ``"rgb_array"``: a ``(2 * frame_height + 2,
        2 * K * bar_width, 3)`` uint8 frame; top panel, per arm, its true mean (light blue) beside its
        sample-average reward so far (green; orange for the arm just pulled); bottom panel, each arm's share
        of the pulls (the most pulled arm's bar full height). None before the first reset."""
        if self.render_mode is None:
            warn_no_render_mode(self)
            return None
        if self.render_mode == "ansi":
            means = "none yet (call reset)" if self.means is None else np.array2string(self.means, precision=3)
            return f"{type(self).__name__}: means {means}, last pulled arm {self._last_action}\n"
        if self.means is None:
            return None
        estimates = self.estimates
        low, high = self._value_scale(estimates)
        pairs = np.column_stack([self.means, estimates]).ravel()
        colours = np.array([MUTED, GOOD] * self.n_arms, dtype=np.uint8)
        if self._last_action is not None:
            colours[2 * self._last_action + 1] = AGENT
        shares = self.pull_counts / max(int(self.pull_counts.sum()), 1)
        means_panel = bars(pairs, low, high, self.frame_height, self.bar_width, colours)
        pulls_panel = bars(shares, 0.0, max(float(shares.max()), 1e-12), self.frame_height, 2 * self.bar_width, AGENT)
        return stack(means_panel, pulls_panel)

    def _value_scale(self, estimates: np.ndarray) -> tuple[float, float]:
        """The reward axis of a frame: [0, 1] for Bernoulli arms, else symmetric about 0 around every bar."""
        values = np.concatenate([self.means, estimates[np.isfinite(estimates)]])
        extent = max(1.0, float(np.abs(values).max()))
        return -extent, extent


class BernoulliBanditEnv(_BanditEnv):
    """K arms whose rewards are Bernoulli: arm ``a`` pays 1 with probability ``means[a]``, else 0.

    ## Description
    The classic stochastic bandit of Auer, Cesa-Bianchi & Fischer (2002), "Finite-time Analysis of the
    Multiarmed Bandit Problem" (Machine Learning 47). Rewards lie in [0, 1], so UCB1's and KL-UCB's
    guarantees apply (notes 6.2).

    ## Action Space
    ``Discrete(K)``: the index of the arm to pull.

    ## Observation Space
    ``Discrete(1)``: always ``0`` (a bandit has no state).

    ## Rewards
    ``1.0`` with probability ``means[action]``, else ``0.0``.

    ## Starting State
    ``means`` when given; otherwise drawn i.i.d. uniform on [0, 1] from the env's seed at every ``reset``
    (each episode is then a fresh bandit problem, as in a bandit testbed).

    ## Episode End
    Never terminates; truncated by the time limit (``max_episode_steps``, 1000 at registration).

    ## Info
    ``reset``: ``{"optimal_arm"}``. ``step``: ``{"optimal_arm", "instant_regret"}``, the best arm and
    ``max(means) - means[action]`` for the pull just made.

    ## Arguments
    - ``n_arms``: number of arms K >= 2 (default 10 when ``means`` is not given).
    - ``means``: the arms' success probabilities, each in [0, 1].
    - ``render_mode``: ``None``, ``"ansi"`` (a text line with the means and the last arm) or ``"rgb_array"``
      (bars of the true means beside the sample-average rewards so far, and each arm's share of the pulls).

    ## Version History
    - v0: first version.

    ## Example
    >>> import gymnasium as gym
    >>> import boltzgym.envs  # noqa: F401
    >>> env = gym.make("boltzgym/BernoulliBandit-v0", means=[0.2, 0.8])
    >>> obs, info = env.reset(seed=0)
    >>> obs, info["optimal_arm"]
    (0, 1)
    >>> _, reward, terminated, truncated, info = env.step(0)
    >>> round(info["instant_regret"], 3), reward in (0.0, 1.0)
    (0.6, True)
    """

    def _check_means(self, means: np.ndarray) -> np.ndarray:
        for index, mean in enumerate(means):
            check_in_range(f"means[{index}] (Bernoulli arm means)", float(mean), 0.0, 1.0)
        return means

    def _draw_means(self) -> np.ndarray:
        return self.np_random.uniform(0.0, 1.0, size=self.n_arms)

    def _draw_reward(self, arm: int) -> float:
        return 1.0 if self.np_random.random() < self.means[arm] else 0.0

    def _value_scale(self, estimates: np.ndarray) -> tuple[float, float]:
        return 0.0, 1.0


class GaussianBanditEnv(_BanditEnv):
    """K arms whose rewards are Gaussian: arm ``a`` pays ``means[a] + stddev * N(0, 1)``.

    ## Description
    The 10-armed testbed of Sutton & Barto, *Reinforcement Learning: An Introduction* (2nd ed., 2018,
    section 2.3) when the means are drawn: ``means ~ N(0, 1)``, unit reward noise.

    ## Action Space
    ``Discrete(K)``: the index of the arm to pull.

    ## Observation Space
    ``Discrete(1)``: always ``0`` (a bandit has no state).

    ## Rewards
    ``means[action] + stddev * N(0, 1)``.

    ## Starting State
    ``means`` when given; otherwise drawn i.i.d. ``N(0, 1)`` from the env's seed at every ``reset``.

    ## Episode End
    Never terminates; truncated by the time limit (``max_episode_steps``, 1000 at registration).

    ## Info
    ``reset``: ``{"optimal_arm"}``. ``step``: ``{"optimal_arm", "instant_regret"}``.

    ## Arguments
    - ``n_arms``: number of arms K >= 2 (default 10 when ``means`` is not given).
    - ``means``: the arms' mean rewards (finite reals).
    - ``stddev``: the reward noise's standard deviation (default 1.0, as in the testbed).
    - ``render_mode``: ``None``, ``"ansi"`` or ``"rgb_array"`` (as for ``BernoulliBandit-v0``).

    ## Version History
    - v0: first version.

    ## Example
    >>> import gymnasium as gym
    >>> import boltzgym.envs  # noqa: F401
    >>> env = gym.make("boltzgym/GaussianBandit-v0", means=[0.0, 1.0, 0.5], stddev=0.1)
    >>> obs, info = env.reset(seed=0)
    >>> info["optimal_arm"]
    1
    >>> env.step(2)[4]["instant_regret"]
    0.5
    """

    @setting_ranges(n_arms=(2, 100_000))
    def __init__(self, n_arms: int | None = None, means=None, stddev: float = 1.0, render_mode: str | None = None):
        self.stddev = check_positive("stddev", stddev)
        super().__init__(n_arms=n_arms, means=means, render_mode=render_mode)

    def _draw_means(self) -> np.ndarray:
        return self.np_random.standard_normal(self.n_arms)

    def _draw_reward(self, arm: int) -> float:
        return float(self.means[arm] + self.stddev * self.np_random.standard_normal())


class DriftingBanditEnv(GaussianBanditEnv):
    """A non-stationary Gaussian bandit whose arm means drift as random walks or change abruptly.

    ## Description
    ``drift="random-walk"``: after every pull each mean takes an independent step ``N(0, drift_std**2)``
    (Sutton & Barto 2018, exercise 2.5, where ``drift_std = 0.01``). ``drift="abrupt"``: after every
    pull, with probability ``change_probability``, all means are redrawn i.i.d. ``N(0, 1)`` (a piecewise
    stationary, "switching" bandit; Garivier & Moulines 2011). Policies that average all past rewards
    (UCB1, sample-average epsilon-greedy) adapt slowly here; that is what this env is for.

    ## Action Space
    ``Discrete(K)``: the index of the arm to pull.

    ## Observation Space
    ``Discrete(1)``: always ``0`` (a bandit has no state).

    ## Rewards
    ``means[action] + stddev * N(0, 1)`` with the means current at the pull; the means then evolve.

    ## Starting State
    ``means`` when given (restored at every ``reset``); otherwise drawn i.i.d. ``N(0, 1)`` at every reset.

    ## Episode End
    Never terminates; truncated by the time limit (``max_episode_steps``, 1000 at registration).

    ## Info
    ``reset``: ``{"optimal_arm"}``. ``step``: ``{"optimal_arm", "instant_regret"}``, both for the means
    in force at the pull (before they evolve).

    ## Arguments
    - ``n_arms``, ``means``, ``stddev``, ``render_mode``: as for ``GaussianBandit-v0``.
    - ``drift``: ``"random-walk"`` (default) or ``"abrupt"``.
    - ``drift_std``: the random walk's step standard deviation (default 0.01).
    - ``change_probability``: the per-step probability of an abrupt change (default 0.001).

    ## Version History
    - v0: first version.

    ## Example
    >>> import gymnasium as gym
    >>> import boltzgym.envs  # noqa: F401
    >>> env = gym.make("boltzgym/DriftingBandit-v0", means=[0.0, 0.0], drift_std=0.1)
    >>> _ = env.reset(seed=0)
    >>> _ = env.step(0)
    >>> bool(abs(env.unwrapped.means).sum() > 0)
    True
    """

    @setting_ranges(n_arms=(2, 100_000))
    def __init__(
        self,
        n_arms: int | None = None,
        means=None,
        stddev: float = 1.0,
        drift: str = "random-walk",
        drift_std: float = 0.01,
        change_probability: float = 0.001,
        render_mode: str | None = None,
    ):
        if drift not in DRIFT_MODES:
            raise ValueError(f"drift must be one of {list(DRIFT_MODES)}, got {drift!r}")
        self.drift = drift
        self.drift_std = check_positive("drift_std", drift_std, allow_zero=True)
        self.change_probability = check_in_range("change_probability", change_probability, 0.0, 1.0)
        super().__init__(n_arms=n_arms, means=means, stddev=stddev, render_mode=render_mode)

    def _evolve_means(self) -> None:
        if self.drift == "random-walk":
            self.means += self.drift_std * self.np_random.standard_normal(self.n_arms)
        elif self.np_random.random() < self.change_probability:
            self.means = self.np_random.standard_normal(self.n_arms)
