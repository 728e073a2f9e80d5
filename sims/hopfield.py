"""Hopfield networks (notes 5.3): associative memory over neurons ``s in {-1, +1}^N``.

Energy ``E(s) = -1/2 s^T W s - b^T s``, the convention of ``boltzgym.sims.ising`` (``W`` symmetric, zero
diagonal), so recall runs on the shared jitted core: asynchronous (single-site) or synchronous updates, at
zero temperature (``s_i = sign(sum_j W_ij s_j + b_i)``, Hopfield 1982) or at finite ``beta`` (heat bath).

Deviations from the notes, following the literature:
- the notes' neurons are 0/1 while their Hebbian rule ``W = sum_p y_p y_p^T - P I`` assumes +-1 patterns; we
  use +-1 throughout (Hopfield 1982; Amit, Gutfreund & Sompolinsky 1985);
- the notes write ``E = -y^T W y``; with symmetric ``W`` the usual ``-1/2 y^T W y`` only rescales it, and
  makes ``dE = 2 s_i f_i`` for one flip;
- the notes' "about 0.15 N patterns" is the critical load ``alpha_c ~ 0.138`` (Amit et al. 1985) for recall
  with small errors; ``capacity_experiment`` measures it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from boltzgym.sims._engine import check_beta, check_memory, kernel_couplings, run_sweeps
from boltzgym.sims.ising import IsingModel, as_spin_states
from boltzgym.utils.deprecation import renamed_kwargs
from boltzgym.utils.rng import make_streams
from boltzgym.utils.validation import check_int, check_positive, check_probability, check_seed

__all__ = ["STORAGE_RULES", "HopfieldNetwork", "RecallResult", "check_patterns", "corrupt", "load_digit_patterns"]

STORAGE_RULES = ("hebbian", "pseudoinverse", "storkey")


def check_patterns(patterns, n_neurons: int | None = None, name: str = "patterns") -> np.ndarray:
    """Validate +-1 patterns, one per row: returns float64 ``(P, N)``."""
    array = np.asarray(patterns)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty (P, N) array of +-1 values, got shape {array.shape}")
    if n_neurons is not None and array.shape[1] != n_neurons:
        raise ValueError(f"{name} must have {n_neurons} columns (one per neuron), got {array.shape[1]}")
    if not np.all((array == 1) | (array == -1)):
        bad = array[(array != 1) & (array != -1)].ravel()[:3]
        raise ValueError(f"{name} must be +-1 patterns, got values such as {bad.tolist()}")
    return array.astype(np.float64)


def corrupt(patterns, flip_fraction: float, seed: int | None = None) -> np.ndarray:
    """Flip exactly ``round(flip_fraction * N)`` randomly chosen neurons of each pattern; returns int8 ``(P, N)``."""
    array = check_patterns(patterns).astype(np.int8)
    flip_fraction = check_probability("flip_fraction", flip_fraction)
    rng = np.random.default_rng(check_seed("seed", seed))
    n_flips = int(round(flip_fraction * array.shape[1]))
    for row in array:
        row[rng.choice(array.shape[1], size=n_flips, replace=False)] *= -1
    return array


def load_digit_patterns(n_patterns: int = 6, threshold: float = 8.0) -> np.ndarray:
    """The first image of each digit ``0..n_patterns-1`` from scikit-learn's 8x8 digits, binarized.

    A pixel (0..16 grey levels) is +1 when ``>= threshold``, else -1; returns int8 ``(n_patterns, 64)``. The
    data ship with scikit-learn (no download). Digit images are strongly correlated (overlaps 0.2-0.8), so the
    Hebbian rule confuses them already at 4 patterns while the projection rule stores them.
    """
    from sklearn.datasets import load_digits

    n_patterns = check_int("n_patterns", n_patterns, minimum=1, maximum=10)
    digits = load_digits()
    images = [digits.images[np.flatnonzero(digits.target == k)[0]] for k in range(n_patterns)]
    return np.where(np.array(images).reshape(n_patterns, 64) >= threshold, 1, -1).astype(np.int8)


@dataclass
class RecallResult:
    """What ``HopfieldNetwork.recall`` returns.

    Attributes:
        states: final states, int8 ``(n_probes, N)``.
        energies: energy trajectory ``(num_sweeps + 1, n_probes)``, row 0 the probes'.
        overlaps: overlap ``m = s . xi / N`` with each probe's target, ``(num_sweeps + 1, n_probes)`` (``None``
            without targets).
    """

    states: np.ndarray
    energies: np.ndarray
    overlaps: np.ndarray | None


class HopfieldNetwork:
    """A Hopfield network of ``n_neurons`` +-1 neurons (Hopfield, PNAS 79, 1982; notes 5.3).

    Args:
        n_neurons: ``N``.

    Example:
        >>> net = HopfieldNetwork(6).store([[1, -1, 1, -1, 1, -1], [1, 1, 1, -1, -1, -1]])
        >>> net.recall([1, -1, 1, -1, 1, 1], num_sweeps=3, seed=0).states.tolist()
        [[1, -1, 1, -1, 1, -1]]
    """

    def __init__(self, n_neurons: int):
        self.n_neurons = check_int("n_neurons", n_neurons, minimum=2)
        check_memory("HopfieldNetwork", {"n_neurons": 3 * 8 * self.n_neurons**2})
        self.weights = np.zeros((self.n_neurons, self.n_neurons))
        self.biases = np.zeros(self.n_neurons)

    # --- storage -------------------------------------------------------------------------------------------
    def store(self, patterns, rule: str = "hebbian") -> HopfieldNetwork:
        """Set the weights to store ``patterns`` (``(P, N)`` +-1) and return ``self``.

        Rules:
            - ``"hebbian"``: ``W = (sum_p y_p y_p^T - P I) / N`` (notes 5.3 Hebbian learning; the ``1/N`` makes
              local fields O(1)). Recall fails above about ``0.138 N`` random patterns.
            - ``"pseudoinverse"``: the projection rule ``W = X X^+`` with the diagonal removed (Personnaz,
              Guyon & Dreyfus 1985; Kanter & Sompolinsky 1987): every stored pattern is a fixed point for any
              ``P < N`` linearly independent patterns.
            - ``"storkey"``: Storkey's incremental local rule (Storkey 1997), capacity about
              ``N / sqrt(2 ln N)``: ``W += (y y^T - y g^T - g y^T) / N`` with
              ``g_ij = sum_(k != i, j) W_ik y_k``.
        """
        X = check_patterns(patterns, self.n_neurons)
        n_patterns, n = X.shape
        if rule == "hebbian":
            weights = (X.T @ X - n_patterns * np.eye(n)) / n  # notes 5.3: W = sum_p y_p y_p^T - P I
        elif rule == "pseudoinverse":
            weights = X.T @ np.linalg.pinv(X.T)
            np.fill_diagonal(weights, 0.0)
        elif rule == "storkey":
            weights = np.zeros((n, n))
            for y in X:
                # g_ij = h_i - W_ii y_i - W_ij y_j with h = W y (and W_ii = 0): the field at i without j's input.
                g = (weights @ y)[:, None] - weights * y[None, :]
                weights = weights + (np.outer(y, y) - y[:, None] * g.T - g * y[None, :]) / n
                np.fill_diagonal(weights, 0.0)
        else:
            raise ValueError(f"rule must be one of {list(STORAGE_RULES)}, got {rule!r}")
        self.weights = 0.5 * (weights + weights.T)
        self.biases = np.zeros(n)
        return self

    def train_gradient(
        self,
        patterns,
        n_epochs: int = 50,
        learning_rate: float = 0.01,
        n_settle_sweeps: int = 3,
        noise_beta: float = 3.0,
        seed: int | None = None,
    ) -> HopfieldNetwork:
        """The notes' gradient training (notes 5.3, "gradient descent training"); returns ``self``.

        Each epoch visits the patterns in a random order. For a pattern ``y_p`` the network starts at ``y_p``,
        runs ``n_settle_sweeps`` noisy sweeps (heat-bath updates at ``noise_beta``: the noise lets it leave
        ``y_p`` for a nearby spurious minimum instead of staying stuck) and ends at ``y_v``; then
        ``W += learning_rate (y_p y_p^T - y_v y_v^T)`` with the diagonal kept zero. This lowers the energy of
        ``y_p`` against the states the network drifts to: the Boltzmann-machine learning rule with one
        pattern in the clamped phase (Ackley, Hinton & Sejnowski 1985). Starts from the current weights.

        Defaults: ``n_settle_sweeps=3`` (the notes settle for "2-4 steps"); ``noise_beta=3.0`` flips a neuron
        against a local field of 0.5 with probability about 5% per visit. The notes draw patterns by a weight;
        here all patterns weigh the same and each epoch visits every one.
        """
        X = check_patterns(patterns, self.n_neurons)
        n_epochs = check_int("n_epochs", n_epochs, minimum=1)
        learning_rate = check_positive("learning_rate", learning_rate)
        n_settle_sweeps = check_int("n_settle_sweeps", n_settle_sweeps, minimum=1)
        noise_beta = check_beta(noise_beta, "noise_beta")
        seed = check_seed("seed", seed)
        order_rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
        rng_states = make_streams(seed, 1)
        for _ in range(n_epochs):
            for p in order_rng.permutation(X.shape[0]):
                state = X[p][None, :].astype(np.int8)
                betas = np.full(n_settle_sweeps, noise_beta)
                run_sweeps(self.model(), state, betas, rng_states, order="random")
                settled = state[0].astype(np.float64)
                update = learning_rate * (np.outer(X[p], X[p]) - np.outer(settled, settled))  # notes 5.3
                np.fill_diagonal(update, 0.0)
                self.weights += update
        return self

    # --- dynamics ------------------------------------------------------------------------------------------
    def model(self) -> IsingModel:
        """The network as an ``IsingModel`` (``J = W``, ``h = b``)."""
        return IsingModel(self.weights, self.biases)

    def energy(self, states) -> np.ndarray:
        """``E(s) = -1/2 s^T W s - b^T s`` of one state or a batch."""
        return self.model().energy(states)

    @renamed_kwargs(n_sweeps="num_sweeps")
    def recall(
        self,
        probes,
        num_sweeps: int = 10,
        beta: float = np.inf,
        mode: str = "async",
        targets=None,
        seed: int | None = None,
    ) -> RecallResult:
        """Let the network evolve from ``probes`` and record energy and overlap after every sweep.

        Args:
            probes: starting states, ``(N,)`` or ``(n_probes, N)`` +-1.
            num_sweeps: sweeps to run (asynchronous: N single-neuron updates in random order; synchronous: one
                simultaneous update of all neurons).
            beta: inverse temperature; ``numpy.inf`` (default) is the deterministic Hopfield rule.
            mode: ``"async"`` (default; the energy never rises at zero temperature) or ``"sync"`` (Little's
                parallel dynamics, which may end in a 2-cycle).
            targets: patterns to measure the overlap against, same shape as ``probes`` (default: none).
            seed: seed of the update order and of the thermal noise.

        Returns:
            A ``RecallResult`` with final states and the energy/overlap trajectories.
        """
        model = self.model()
        states = np.atleast_2d(as_spin_states(probes, self.n_neurons, "probes")).copy()
        num_sweeps = check_int("num_sweeps", num_sweeps, minimum=1)
        beta = check_beta(beta)
        check_memory("recall", {"num_sweeps": 2 * 8 * (num_sweeps + 1) * states.shape[0]})
        if mode not in ("async", "sync"):
            raise ValueError(f"mode must be 'async' or 'sync', got {mode!r}")
        target_array = None
        if targets is not None:
            target_array = np.atleast_2d(check_patterns(targets, self.n_neurons, "targets"))
            if target_array.shape != states.shape:
                raise ValueError(f"targets must have the shape of probes {states.shape}, got {target_array.shape}")
        rng_states = make_streams(check_seed("seed", seed), states.shape[0])
        couplings = kernel_couplings(model)
        energies = np.empty((num_sweeps + 1, states.shape[0]))
        overlaps = None if target_array is None else np.empty_like(energies)
        current_energies = np.asarray(model.energy(states), dtype=np.float64).reshape(states.shape[0])
        fields = np.ascontiguousarray(model.local_fields(states))
        for sweep in range(num_sweeps + 1):
            if sweep > 0:
                current_energies, fields, _ = run_sweeps(
                    model,
                    states,
                    np.array([beta]),
                    rng_states,
                    order="random" if mode == "async" else "synchronous",
                    energies=current_energies,
                    fields=fields,
                    couplings=couplings,
                )
            energies[sweep] = current_energies
            if overlaps is not None:
                overlaps[sweep] = np.sum(states * target_array, axis=1) / self.n_neurons
        return RecallResult(states, energies, overlaps)
