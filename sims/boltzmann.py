"""The general Boltzmann machine (notes 5.3): symmetric weights, hidden units, temperature, clamped and free phases.

Units x in {0, 1}^n, the first ``n_visible`` visible and the rest hidden, with the energy of ``sims/ising.py``'s
Boltzmann-machine form,

    E(x) = -1/2 x^T W x - b^T x        (W symmetric, zero diagonal)

and p_T(x) = exp(-E(x) / T) / Z_T, so p(x_i = 1 | rest) = sigmoid((W x + b)_i / T). The notes write
p_T(s) ∝ exp(-E(s)) and P(s_i = 1) = sigmoid(sum_j w_ij s_j + b_i), dropping the temperature (their T = 1); we keep
it, as their own p_T(s) ∝ exp(-E/kT) says.

Sampling runs on the shared core: the machine is converted to an ``IsingModel`` (``IsingModel.from_boltzmann``) and
sampled by ``gibbs_sample`` (heat-bath, sequential sweeps) at beta = 1 / T; the clamped phase passes the visible
units as the ``clamped`` mask, so only the hidden units move.

Learning (Ackley, Hinton & Sejnowski 1985; notes 5.3, 训练网络 and 网络扩展) ascends the log-likelihood of the visible
data, whose gradient is

    d log p(v) / d W_ij = (<x_i x_j>_clamped - <x_i x_j>_free) / T,   d / d b_i = (<x_i>_clamped - <x_i>_free) / T

with <.>_clamped over the data (visible units fixed to a pattern, hidden units sampled; the notes' K samples per
pattern) and <.>_free over the machine running freely (the notes' M chains). The notes' step 2 writes
"Δw_ij = w_ij - 1/M Σ s'_i s'_j", a typo for the difference of the two statistics used in their step 4; we also keep
the 1/T factor of the exact gradient (it is 1 at the notes' T = 1).
"""

from __future__ import annotations

import itertools

import numpy as np

from boltzgym.sims.ising import IsingModel
from boltzgym.sims.rbm_eval import check_binary
from boltzgym.sims.sampling import gibbs_sample
from boltzgym.utils.deprecation import renamed_kwargs
from boltzgym.utils.validation import check_int, check_positive, check_seed

MAX_ENUMERATION_UNITS = 20


class BoltzmannMachine:
    """A fully connected Boltzmann machine with visible and hidden 0/1 units (notes 5.3).

    Args:
        n_visible: visible units (>= 1). n_hidden: hidden units (>= 0).
        temperature: T > 0 of p_T(x) ∝ exp(-E(x) / T); sampling uses beta = 1 / T.
        learning_rate: step size of the gradient ascent.
        n_chains: free-phase chains (the notes' M).
        n_clamped_chains: clamped-phase hidden samples per data pattern (the notes' K).
        num_sweeps: Gibbs sweeps of each chain before its state is used (single-site heat bath, sequential order).
        n_iter: epochs of ``fit``, each one full-batch update.
        random_state: seed (int >= 0) or None; the same seed gives the same machine.

    Attributes:
        weights: W, float64 (n, n), symmetric, zero diagonal, n = n_visible + n_hidden (visible units first).
        bias: b, float64 (n,).

    Example:
        >>> bm = BoltzmannMachine(3, 1, random_state=0)
        >>> bm.exact_visible_distribution()[1].sum().round(12)
        1.0
    """

    @renamed_kwargs(n_sweeps="num_sweeps")
    def __init__(
        self,
        n_visible: int,
        n_hidden: int = 0,
        *,
        temperature: float = 1.0,
        learning_rate: float = 0.1,
        n_chains: int = 200,
        n_clamped_chains: int = 10,
        num_sweeps: int = 20,
        n_iter: int = 100,
        random_state: int | None = None,
    ):
        self.n_visible = check_int("n_visible", n_visible, minimum=1)
        self.n_hidden = check_int("n_hidden", n_hidden, minimum=0)
        self.temperature = check_positive("temperature", temperature)
        self.learning_rate = check_positive("learning_rate", learning_rate)
        self.n_chains = check_int("n_chains", n_chains, minimum=1)
        self.n_clamped_chains = check_int("n_clamped_chains", n_clamped_chains, minimum=1)
        self.num_sweeps = check_int("num_sweeps", num_sweeps, minimum=1)
        self.n_iter = check_int("n_iter", n_iter, minimum=1)
        self.random_state = check_seed("random_state", random_state)
        self._rng = np.random.default_rng(self.random_state)
        n = self.n_units
        upper = np.triu(self._rng.normal(0.0, 0.01, size=(n, n)), k=1)
        self.weights = upper + upper.T
        self.bias = np.zeros(n)

    @property
    def n_units(self) -> int:
        """n_visible + n_hidden."""
        return self.n_visible + self.n_hidden

    # ------------------------------------------------------------------ energy and exact results
    def energy(self, states) -> np.ndarray:
        """E(x) = -1/2 x^T W x - b^T x for each row of ``states`` (0/1, shape (m, n) or (n,))."""
        x = check_binary("states", states, n_features=self.n_units)
        return -0.5 * np.einsum("ki,ij,kj->k", x, self.weights, x) - x @ self.bias

    def _check_enumerable(self) -> None:
        if self.n_units > MAX_ENUMERATION_UNITS:
            raise ValueError(
                f"exact enumeration needs n_visible + n_hidden <= {MAX_ENUMERATION_UNITS}, got {self.n_units}"
            )

    def exact_distribution(self) -> tuple[np.ndarray, np.ndarray]:
        """All 2^n joint states (rows, float64 0/1) and their probabilities p_T(x), by enumeration."""
        self._check_enumerable()
        states = np.array(list(itertools.product((0.0, 1.0), repeat=self.n_units)))
        log_weights = -self.energy(states) / self.temperature  # notes 5.3: p_T(s) ∝ exp(-E(s) / T)
        probabilities = np.exp(log_weights - log_weights.max())
        return states, probabilities / probabilities.sum()

    def exact_visible_distribution(self) -> tuple[np.ndarray, np.ndarray]:
        """All 2^n_visible visible states and their marginal probabilities (hidden units summed out)."""
        states, probabilities = self.exact_distribution()
        visible_index = states[:, : self.n_visible] @ (2.0 ** np.arange(self.n_visible - 1, -1, -1))
        marginal = np.bincount(visible_index.astype(np.int64), weights=probabilities, minlength=2**self.n_visible)
        visible_states = np.array(list(itertools.product((0.0, 1.0), repeat=self.n_visible)))
        return visible_states, marginal

    def exact_log_likelihood(self, X) -> float:
        """The mean log p(v) (nats) of the binary visible rows of ``X``, by enumeration."""
        X = check_binary("X", X, n_features=self.n_visible)
        _, marginal = self.exact_visible_distribution()
        index = (X @ (2.0 ** np.arange(self.n_visible - 1, -1, -1))).astype(np.int64)
        return float(np.mean(np.log(marginal[index])))

    def exact_statistics(self, X=None) -> np.ndarray:
        """<x x^T> under the free machine, or (given visible data ``X``) averaged over p(h | v) for each row."""
        states, probabilities = self.exact_distribution()
        if X is None:
            return (states * probabilities[:, None]).T @ states
        X = check_binary("X", X, n_features=self.n_visible)
        correlation = np.zeros((self.n_units, self.n_units))
        for v in X:
            match = np.all(states[:, : self.n_visible] == v, axis=1)
            conditional = probabilities[match] / probabilities[match].sum()
            correlation += (states[match] * conditional[:, None]).T @ states[match]
        return correlation / X.shape[0]

    # ------------------------------------------------------------------ sampling on the shared core
    def _ising(self) -> IsingModel:
        model, _ = IsingModel.from_boltzmann(self.weights, self.bias)
        return model

    @renamed_kwargs(n_sweeps="num_sweeps")
    def sample(
        self, n_samples: int, num_sweeps: int | None = None, visible=None, seed: int | None = None
    ) -> np.ndarray:
        """Draw 0/1 states (n_samples, n) by heat-bath Gibbs sweeps at beta = 1 / T from random starts.

        Args:
            n_samples: independent chains (one sample each).
            num_sweeps: sweeps per chain (default ``self.num_sweeps``).
            visible: optional binary (n_samples, n_visible) patterns to clamp the visible units to (clamped phase);
                then only the hidden units are sampled.
            seed: seed of the chains' streams (default: drawn from the machine's generator).
        """
        n_samples = check_int("n_samples", n_samples, minimum=1)
        num_sweeps = self.num_sweeps if num_sweeps is None else check_int("num_sweeps", num_sweeps, minimum=1)
        seed = int(self._rng.integers(2**63)) if seed is None else check_seed("seed", seed)
        chain_rng = np.random.default_rng(seed)
        start = chain_rng.integers(0, 2, size=(n_samples, self.n_units)).astype(np.float64)
        clamped = None
        if visible is not None:
            visible = check_binary("visible", visible, n_features=self.n_visible)
            if visible.shape[0] != n_samples:
                raise ValueError(f"visible must have n_samples={n_samples} rows, got {visible.shape[0]}")
            start[:, : self.n_visible] = visible
            clamped = np.arange(self.n_units) < self.n_visible
            if self.n_hidden == 0:
                return start
        result = gibbs_sample(
            self._ising(),
            (2 * start - 1).astype(np.int8),
            beta=1.0 / self.temperature,
            num_sweeps=num_sweeps,
            clamped=clamped,
            method="glauber",
            seed=int(chain_rng.integers(2**63)),
        )
        return (result.states.astype(np.float64) + 1.0) / 2.0

    # ------------------------------------------------------------------ learning
    def statistics(self, X=None) -> np.ndarray:
        """Sampled <x x^T>: clamped to the rows of ``X`` (``n_clamped_chains`` each), or free (``n_chains``)."""
        if X is None:
            samples = self.sample(self.n_chains)
        else:
            X = check_binary("X", X, n_features=self.n_visible)
            samples = self.sample(X.shape[0] * self.n_clamped_chains, visible=np.repeat(X, self.n_clamped_chains, 0))
        return samples.T @ samples / samples.shape[0]

    def fit(self, X, callback=None) -> BoltzmannMachine:
        """Learn from binary visible data ``X`` (n_samples, n_visible) by ``n_iter`` full-batch updates.

        Each update: W += lr (<x x^T>_clamped - <x x^T>_free) / T off the diagonal, b += lr (<x>_clamped - <x>_free)
        / T (notes 5.3, 网络扩展 step 4). ``callback(epoch, self)`` runs after each update; ``False`` stops.
        """
        X = check_binary("X", X, n_features=self.n_visible)
        for epoch in range(self.n_iter):
            # notes 5.3 (网络扩展 step 4): clamped minus free statistics, with the exact gradient's 1/T
            difference = (self.statistics(X) - self.statistics()) / self.temperature
            step = self.learning_rate * difference
            self.bias += np.diag(step)  # x_i^2 = x_i: the diagonal of <x x^T> is <x_i>
            np.fill_diagonal(step, 0.0)
            self.weights += step
            if callback is not None and callback(epoch + 1, self) is False:
                break
        return self
