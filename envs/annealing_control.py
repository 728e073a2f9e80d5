"""Reinforcement-learning control of simulated annealing (Mills, Ronagh & Tamblyn, "Finding the ground state of
spin Hamiltonians with reinforcement learning", Nature Machine Intelligence 2, 2020).

An agent sets the inverse temperature of a batch of annealing replicas, a block of sweeps at a time. The sweeps
run on the shared sampling core (``boltzgym.sims.MarkovChains``: jitted, no Python loop over spins).
Spins are in {-1, +1}; energies follow ``boltzgym.sims.ising`` (``E(s) = -1/2 s^T J s - h^T s``, lower is better).
This module does not import torch.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from boltzgym.envs._render import (
    AGENT,
    MUTED,
    cells_to_frame,
    check_render_mode,
    gauge,
    spin_cells,
    square_shape,
    stack,
    warn_no_render_mode,
)
from boltzgym.sims.problems import lattice_spin_glass, random_maxcut, sherrington_kirkpatrick
from boltzgym.sims.sampling import MarkovChains
from boltzgym.sims.schedules import default_beta_range
from boltzgym.utils.validation import check_int, setting_ranges

INSTANCE_CLASSES = ("lattice2d", "lattice2d-gaussian", "sk", "maxcut")
OBSERVATION_NAMES = (
    "mean_energy_per_spin",
    "min_energy_per_spin",
    "std_energy_per_spin",
    "flip_fraction",
    "log_beta_position",
    "budget_used",
)
# Discrete actions: change log(beta) by these multiples of the geometric schedule's log-step.
DEFAULT_LOG_BETA_STEPS = (-1.0, 0.0, 0.5, 1.0, 2.0)
CONTINUOUS_SCALE = 3.0  # a Box action a in [-1, 1] is the multiple 3a of the geometric log-step
OBSERVATION_BOUND = 1e6  # energies per spin of the instance classes are far inside


def make_instance(instance_class: str, n_spins: int, seed: int):
    """One spin-glass instance (an ``IsingModel``) of ``instance_class`` with ``n_spins`` spins, seeded.

    ``"lattice2d"``: periodic 2D +-J Edwards-Anderson glass (``n_spins`` a square >= 9); ``"lattice2d-gaussian"``:
    the same with N(0, 1) bonds; ``"sk"``: Sherrington-Kirkpatrick; ``"maxcut"``: unit-weight Max-Cut on a sparse
    Erdos-Renyi graph (mean degree about 10).
    """
    if instance_class not in INSTANCE_CLASSES:
        raise ValueError(f"instance_class must be one of {list(INSTANCE_CLASSES)}, got {instance_class!r}")
    n_spins = check_int("n_spins", n_spins, minimum=4)
    if instance_class.startswith("lattice2d"):
        side = int(round(np.sqrt(n_spins)))
        if side * side != n_spins or side < 3:
            raise ValueError(f"n_spins must be a square >= 9 for {instance_class!r}, got {n_spins}")
        couplings = "gaussian" if instance_class.endswith("gaussian") else "pm"
        return lattice_spin_glass(side, 2, couplings, seed=seed)
    if instance_class == "sk":
        return sherrington_kirkpatrick(n_spins, seed=seed)
    return random_maxcut(n_spins, seed=seed).model


class AnnealingControlEnv(gym.Env):
    """Choose the annealing temperature of a batch of spin-glass replicas.

    ## Description
    Each episode draws a spin-glass instance (``instance_class``, ``n_spins``) and starts ``n_replicas`` replicas
    from uniformly random spins at ``beta_hot``. Each step applies the action to ``beta``, then runs
    ``sweeps_per_step`` Metropolis sweeps at that ``beta`` on every replica. After ``n_steps`` steps the episode
    ends: the sweep budget is ``n_steps * sweeps_per_step`` per replica, as for ``anneal(num_sweeps=...)``.
    ``(beta_hot, beta_cold)`` is the instance's ``default_beta_range`` (the default geometric schedule's ends).

    ## Action Space
    ``action_type="discrete"`` (default): ``Discrete(len(log_beta_steps))``; action ``k`` changes
    ``log(beta)`` by ``log_beta_steps[k] * g`` with ``g = log(beta_cold / beta_hot) / (n_steps - 1)``, the
    geometric schedule's step (so always choosing ``1.0`` reproduces the geometric schedule as a staircase).
    ``action_type="continuous"``: ``Box(-1, 1, (1,))``; action ``a`` is the multiple ``3 a`` of ``g``.
    beta moves multiplicatively and so never becomes negative; it is clipped to
    ``[beta_hot, beta_max_factor * beta_cold]`` (clipped, not refused: ``info["beta_clipped"]`` says when).

    ## Observation Space
    ``Box(-1e6, 1e6, (6,), float32)``: mean, minimum and standard deviation of the replicas' energy per spin;
    the flip fraction of the last step (fraction of spins whose value changed over the step, the acceptance
    proxy; 1/2 for a random restart, 0 when frozen); ``log(beta / beta_hot) / log(beta_cold / beta_hot)`` (0 at
    the hot end, 1 at the cold end); and the fraction of the sweep budget used.

    ## Rewards
    ``reward_t = (mean_E_{t-1} - mean_E_t) / n_spins``: the improvement of the replicas' mean energy per spin.
    The sum over an episode telescopes to ``(E_initial - E_final) / n_spins``, so the return ranks schedules
    exactly as the terminal reward ``-E_final / n_spins`` would (the initial energy does not depend on the
    actions), but the credit arrives at each step (a potential-based shaping, Ng, Harada & Russell 1999). The
    mean over replicas, rather than the best, is used: it is what the probability of reaching a low state
    depends on, and it is far less noisy than a minimum. ``reward="best"`` uses the best replica instead.

    ## Starting State
    A fresh instance (from ``instance_seeds`` if given, else drawn from the env's seed), random spins, ``beta_hot``.

    ## Episode End
    Terminated after ``n_steps`` steps: the sweep budget is spent. This is a true end of the task, not a time
    limit (the fraction of the budget used is part of the observation), so learners must not bootstrap past it
    (Pardo et al., "Time limits in reinforcement learning", ICML 2018); never truncated.

    ## Arguments
    ``instance_class``, ``n_spins``: see ``make_instance``. ``n_replicas`` (default 16). ``sweeps_per_step``
    (default 10). ``n_steps`` (default 20). ``action_type``: ``"discrete"`` or ``"continuous"``.
    ``log_beta_steps``: the discrete multiples of ``g``. ``beta_max_factor`` (default 2). ``reward``: ``"mean"``
    or ``"best"``. ``instance_seeds``: a list of instance seeds to draw from (a training or held-out set).
    ``info`` holds ``beta``, ``energies`` (per replica, per spin), ``best_energy_per_spin``, ``instance_seed``.
    ``render_mode``: None, ``"ansi"`` (one line: step, beta, energies, flips) or ``"rgb_array"``: a uint8 image
    of the best replica's spins (white +1, black -1; on the lattice for ``lattice2d*``, row-major on a square
    otherwise) above two gauges: ``beta`` on a log scale from ``beta_hot`` to ``beta_max_factor * beta_cold``
    (orange), and the sweep budget used (blue). Its size depends only on ``instance_class`` and ``n_spins``.

    ## Version History
    * v0: initial release (the spent budget terminates the episode).

    ## Example
    >>> import gymnasium as gym, boltzgym.envs
    >>> env = gym.make("boltzgym/AnnealingControl-v0", n_spins=16, n_replicas=4)
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape
    (6,)
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}
    frame_width = 128  # pixels, about: the spin picture's cells are frame_width // columns wide

    @setting_ranges(
        n_spins=(4, 65_536),
        n_replicas=(1, 4096),
        sweeps_per_step=(1, 100_000),
        n_steps=(1, 100_000),
        beta_max_factor=(1.0, 1e3),
    )
    def __init__(
        self,
        instance_class: str = "lattice2d",
        n_spins: int = 64,
        n_replicas: int = 16,
        sweeps_per_step: int = 10,
        n_steps: int = 20,
        action_type: str = "discrete",
        log_beta_steps=DEFAULT_LOG_BETA_STEPS,
        beta_max_factor: float = 2.0,
        reward: str = "mean",
        instance_seeds=None,
        render_mode: str | None = None,
    ):
        if instance_class not in INSTANCE_CLASSES:
            raise ValueError(f"instance_class must be one of {list(INSTANCE_CLASSES)}, got {instance_class!r}")
        make_instance(instance_class, n_spins, 0)  # validates n_spins for the class
        self.instance_class = instance_class
        self.n_spins = int(n_spins)
        self.n_replicas = check_int("n_replicas", n_replicas, minimum=1)
        self.sweeps_per_step = check_int("sweeps_per_step", sweeps_per_step, minimum=1)
        self.n_steps = check_int("n_steps", n_steps, minimum=2)
        if action_type not in ("discrete", "continuous"):
            raise ValueError(f"action_type must be 'discrete' or 'continuous', got {action_type!r}")
        self.action_type = action_type
        self.log_beta_steps = np.asarray(log_beta_steps, dtype=np.float64)
        if (
            self.log_beta_steps.ndim != 1
            or self.log_beta_steps.size < 2
            or not np.all(np.isfinite(self.log_beta_steps))
        ):
            raise ValueError(f"log_beta_steps must be at least two finite numbers, got {log_beta_steps!r}")
        if not (np.isfinite(beta_max_factor) and beta_max_factor >= 1.0):
            raise ValueError(f"beta_max_factor must be a number >= 1, got {beta_max_factor!r}")
        self.beta_max_factor = float(beta_max_factor)
        if reward not in ("mean", "best"):
            raise ValueError(f"reward must be 'mean' or 'best', got {reward!r}")
        self.reward_kind = reward
        if instance_seeds is not None:
            instance_seeds = [int(seed) for seed in instance_seeds]
            if not instance_seeds or min(instance_seeds) < 0:
                raise ValueError(f"instance_seeds must be a non-empty list of seeds >= 0, got {instance_seeds!r}")
        self.instance_seeds = instance_seeds
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        if action_type == "discrete":
            self.action_space = spaces.Discrete(self.log_beta_steps.size)
        else:
            self.action_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
        self.observation_space = spaces.Box(
            -OBSERVATION_BOUND, OBSERVATION_BOUND, shape=(len(OBSERVATION_NAMES),), dtype=np.float32
        )
        self.model = None

    # -- episode -------------------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if self.instance_seeds is None:
            self.instance_seed = int(self.np_random.integers(2**31))
        else:
            self.instance_seed = self.instance_seeds[int(self.np_random.integers(len(self.instance_seeds)))]
        self.model = make_instance(self.instance_class, self.n_spins, self.instance_seed)
        self.beta_hot, self.beta_cold = default_beta_range(self.model)
        self.log_step = np.log(self.beta_cold / self.beta_hot) / (self.n_steps - 1)
        self.beta = self.beta_hot
        states = self.np_random.choice(np.array([-1, 1], dtype=np.int8), size=(self.n_replicas, self.n_spins))
        self.chains = MarkovChains(self.model, states, method="metropolis", seed=int(self.np_random.integers(2**63)))
        self.states, self.energies = self.chains.states, self.chains.energies
        self.step_count = 0
        self.flip_fraction = 0.5
        return self._observation(), self._info(clipped=False)

    def step(self, action):
        if self.model is None:
            raise RuntimeError("call reset() before step()")
        if not self.action_space.contains(action):
            raise ValueError(f"action must be in {self.action_space}, got {action!r}")
        multiple = float(
            self.log_beta_steps[int(action)]
            if self.action_type == "discrete"
            else CONTINUOUS_SCALE * np.asarray(action)[0]
        )
        if self.step_count > 0:  # the first block runs at beta_hot, as the geometric schedule's first sweep
            self.beta *= np.exp(multiple * self.log_step)
        beta_max = self.beta_max_factor * self.beta_cold
        clipped = not (self.beta_hot <= self.beta <= beta_max)
        self.beta = float(np.clip(self.beta, self.beta_hot, beta_max))
        before_states = self.states.copy()
        before = self._score()
        self.energies = self.chains.sweep(np.full(self.sweeps_per_step, self.beta))
        self.flip_fraction = float(np.mean(before_states != self.states))
        self.step_count += 1
        terminated = self.step_count >= self.n_steps
        if terminated:  # exact energies at the end (the kernel's running sums accumulate rounding)
            self.energies = self.chains.exact_energies()
        reward = (before - self._score()) / self.n_spins
        return self._observation(), float(reward), terminated, False, self._info(clipped)

    def _score(self) -> float:
        return float(self.energies.mean() if self.reward_kind == "mean" else self.energies.min())

    def _observation(self) -> np.ndarray:
        per_spin = self.energies / self.n_spins
        position = np.log(self.beta / self.beta_hot) / np.log(self.beta_cold / self.beta_hot)
        values = (per_spin.mean(), per_spin.min(), per_spin.std(), self.flip_fraction, position)
        return np.array([*values, self.step_count / self.n_steps], dtype=np.float32)

    def _info(self, clipped: bool) -> dict:
        return {
            "beta": self.beta,
            "beta_clipped": clipped,
            "energies": self.energies / self.n_spins,
            "best_energy_per_spin": float(self.energies.min() / self.n_spins),
            "instance_seed": self.instance_seed,
        }

    def render(self):
        """The frame or text line described in the class docstring; None before the first reset."""
        if self.render_mode is None:
            warn_no_render_mode(self)
            return None
        if self.model is None:
            return None
        if self.render_mode == "ansi":
            per_spin = self.energies / self.n_spins
            return (
                f"step {self.step_count}/{self.n_steps} beta={self.beta:.4g} "
                f"E/N mean={per_spin.mean():.4f} min={per_spin.min():.4f} flips={self.flip_fraction:.3f}"
            )
        if self.instance_class.startswith("lattice2d"):
            side = int(round(np.sqrt(self.n_spins)))
            shape = (side, side)
        else:
            shape = square_shape(self.n_spins)
        cell = max(2, self.frame_width // shape[1])
        best = self.states[int(np.argmin(self.energies))]
        spins = cells_to_frame(spin_cells(best, shape), cell, grid_lines=cell >= 6)
        width = spins.shape[1]
        beta_max = self.beta_max_factor * self.beta_cold
        beta_position = np.log(self.beta / self.beta_hot) / np.log(beta_max / self.beta_hot)
        return stack(
            spins, gauge(beta_position, width, 8, AGENT), gauge(self.step_count / self.n_steps, width, 8, MUTED)
        )
