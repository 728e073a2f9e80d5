"""The hyperparameters of the tabular TD agents (:mod:`boltzgym.agents.tabular`), one typed field each with its
default, checked when a config is built (from Python, the CLI's ``--set`` or a checkpoint's JSON), and their
``params`` array for the jitted kernels; :class:`HystereticConfig` and :class:`LenientConfig` add the fields of the
coordination rules, so that agents without them refuse those names instead of ignoring them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from boltzgym.agents import _tabular_kernels as kernels
from boltzgym.utils.validation import check_in_range, check_int, check_positive, check_probability

EXPLORATIONS = {"epsilon-greedy": kernels.EPSILON_GREEDY, "boltzmann": kernels.BOLTZMANN, "ucb": kernels.UCB}


@dataclass
class TabularConfig:
    """Hyperparameters of the tabular agents (the keyword arguments of their constructors)."""

    gamma: float = 0.99
    """Discount factor in [0, 1]."""
    learning_rate: float = 0.1
    """Constant step size alpha in (0, 1], used when ``step_size_exponent`` is None."""
    step_size_exponent: float | None = None
    """omega in (0, 1]: step size ``1 / n(s, a)^omega`` instead of ``learning_rate``."""
    exploration: str = "epsilon-greedy"
    """``"epsilon-greedy"``, ``"boltzmann"`` or ``"ucb"``."""
    epsilon_start: float = 1.0
    """Epsilon at step 0 (epsilon-greedy)."""
    epsilon_end: float = 0.05
    """Epsilon after ``exploration_steps`` steps."""
    temperature_start: float = 1.0
    """Softmax temperature at step 0 (Boltzmann), > 0."""
    temperature_end: float = 0.05
    """Softmax temperature after ``exploration_steps`` steps, > 0."""
    exploration_steps: int = 10_000
    """Steps over which epsilon / temperature move linearly from start to end (counted over all ``learn`` calls)."""
    ucb_coef: float = 1.0
    """c of the UCB bonus ``c * sqrt(2 ln N(s) / n(s, a))``, >= 0."""
    initial_q: float = 0.0
    """Initial value of every ``Q[s, a]`` (> 0 rewards: optimistic initialisation)."""

    def __post_init__(self) -> None:
        self.gamma = check_probability("gamma", self.gamma)
        self.learning_rate = check_in_range("learning_rate", self.learning_rate, 0.0, 1.0)
        if self.learning_rate == 0.0:
            raise ValueError("learning_rate must be in (0, 1], got 0.0")
        if self.step_size_exponent is not None:
            self.step_size_exponent = check_in_range("step_size_exponent", self.step_size_exponent, 0.0, 1.0)
            if self.step_size_exponent == 0.0:
                raise ValueError("step_size_exponent must be in (0, 1] or None, got 0.0")
        if self.exploration not in EXPLORATIONS:
            raise ValueError(f"exploration must be one of {sorted(EXPLORATIONS)}, got {self.exploration!r}")
        self.epsilon_start = check_probability("epsilon_start", self.epsilon_start)
        self.epsilon_end = check_probability("epsilon_end", self.epsilon_end)
        self.temperature_start = check_positive("temperature_start", self.temperature_start)
        self.temperature_end = check_positive("temperature_end", self.temperature_end)
        self.exploration_steps = check_int("exploration_steps", self.exploration_steps, minimum=1)
        self.ucb_coef = check_positive("ucb_coef", self.ucb_coef, allow_zero=True)
        self.initial_q = check_in_range("initial_q", self.initial_q, -np.inf, np.inf)

    @classmethod
    def from_kwargs(cls, hyperparameters: dict) -> TabularConfig:
        """Build from keyword arguments, rejecting unknown names with the list of known ones."""
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(hyperparameters) - set(known))
        if unknown:
            raise TypeError(f"unknown hyperparameter(s) {unknown}; expected names from {known}")
        return cls(**hyperparameters)

    def as_params(self) -> np.ndarray:
        """The float64 ``params`` array of the kernels."""
        params = np.zeros(kernels.N_PARAMS)
        params[kernels.PARAM_GAMMA] = self.gamma
        params[kernels.PARAM_LEARNING_RATE] = self.learning_rate
        params[kernels.PARAM_STEP_SIZE_EXPONENT] = self.step_size_exponent or 0.0
        params[kernels.PARAM_EPSILON_START] = self.epsilon_start
        params[kernels.PARAM_EPSILON_END] = self.epsilon_end
        params[kernels.PARAM_TEMPERATURE_START] = self.temperature_start
        params[kernels.PARAM_TEMPERATURE_END] = self.temperature_end
        params[kernels.PARAM_EXPLORATION_STEPS] = self.exploration_steps
        params[kernels.PARAM_UCB_COEF] = self.ucb_coef
        return params


@dataclass
class HystereticConfig(TabularConfig):
    """Hyperparameters of :class:`HystereticAgent`: the tabular ones and the decrease rate."""

    decrease_rate: float = 0.1
    """beta / alpha in [0, 1]: a negative TD error moves Q by ``alpha * decrease_rate`` (Matignon et al.'s
    alpha = 0.1, beta = 0.01 are the defaults); 1 is Q-learning, 0 the optimism of distributed Q-learning."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.decrease_rate = check_probability("decrease_rate", self.decrease_rate)

    def as_params(self) -> np.ndarray:
        params = super().as_params()
        params[kernels.PARAM_DECREASE_RATE] = self.decrease_rate
        return params


@dataclass
class LenientConfig(TabularConfig):
    """Hyperparameters of :class:`LenientAgent`: the tabular ones and the leniency schedule (LMRL2's names)."""

    max_temperature: float = 50.0
    """Initial temperature ``T(s, a)`` of every pair (LMRL2's MaxTemp), > 0."""
    leniency: float = 2.0
    """K of the leniency ``1 - exp(-K T(s, a))``, the probability of ignoring a TD error <= 0; >= 0."""
    temperature_decay: float = 0.9998
    """``T(s, a) <- temperature_decay * T(s, a)`` at each update of ``(s, a)``, in (0, 1]."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.max_temperature = check_positive("max_temperature", self.max_temperature)
        self.leniency = check_positive("leniency", self.leniency, allow_zero=True)
        self.temperature_decay = check_in_range("temperature_decay", self.temperature_decay, 0.0, 1.0)
        if self.temperature_decay == 0.0:
            raise ValueError("temperature_decay must be in (0, 1], got 0.0")

    def as_params(self) -> np.ndarray:
        params = super().as_params()
        params[kernels.PARAM_LENIENCY] = self.leniency
        params[kernels.PARAM_TEMPERATURE_DECAY] = self.temperature_decay
        return params
