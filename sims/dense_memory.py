"""A dense associative memory / modern Hopfield layer in NumPy (no torch).

Continuous states ``xi in R^N`` and stored patterns ``X`` (rows ``x_1..x_P``); one update is

    xi <- X^T softmax(beta X xi)

(Ramsauer et al., "Hopfield Networks is All You Need", ICLR 2021, eq. 3; the energy
``E = -lse(beta, X xi) + xi^T xi / 2 + const`` falls at each step). With ``beta`` large enough it retrieves
a stored pattern in one step, and it stores exponentially many patterns in ``N`` (Krotov & Hopfield 2016;
Demircigil et al. 2017), far beyond the classical network's ``0.138 N``.
"""

from __future__ import annotations

import numpy as np

from boltzgym.sims.hopfield import check_patterns
from boltzgym.utils.validation import check_int, check_positive

__all__ = ["DenseAssociativeMemory"]


class DenseAssociativeMemory:
    """Modern (continuous) Hopfield memory over stored patterns.

    Args:
        patterns: ``(P, N)`` stored patterns (+-1 here, as for the classical net; any real rows work).
        beta: inverse temperature of the softmax. The default 1.0 suits +-1 patterns: a probe with overlap
            ``m`` with its pattern scores ``m N`` against ``O(sqrt(N log P))`` for the others, so the softmax
            is already sharp for ``N`` of a few tens. Small ``beta`` averages patterns (metastable states).

    Example:
        >>> memory = DenseAssociativeMemory([[1, 1, -1, -1], [1, -1, 1, -1]], beta=2.0)
        >>> np.sign(memory.retrieve([1, 1, -1, 1])).tolist()
        [[1.0, 1.0, -1.0, -1.0]]
    """

    def __init__(self, patterns, beta: float = 1.0):
        self.patterns = check_patterns(patterns)
        self.beta = check_positive("beta", beta)

    @property
    def n_neurons(self) -> int:
        """``N``, the pattern length."""
        return self.patterns.shape[1]

    def attention(self, states) -> np.ndarray:
        """``softmax(beta X xi)`` for each row of ``states`` ``(n, N)``: weights over patterns ``(n, P)``."""
        scores = self.beta * np.atleast_2d(states) @ self.patterns.T
        scores -= scores.max(axis=1, keepdims=True)  # stable softmax
        weights = np.exp(scores)
        return weights / weights.sum(axis=1, keepdims=True)

    def retrieve(self, probes, n_steps: int = 1) -> np.ndarray:
        """Apply ``xi <- X^T softmax(beta X xi)`` ``n_steps`` times to each probe; returns float ``(n, N)``."""
        states = np.atleast_2d(np.asarray(probes, dtype=np.float64))
        if states.ndim != 2 or states.shape[1] != self.n_neurons or not np.all(np.isfinite(states)):
            raise ValueError(f"probes must be finite with shape (n, {self.n_neurons}), got shape {states.shape}")
        n_steps = check_int("n_steps", n_steps, minimum=1)
        for _ in range(n_steps):
            states = self.attention(states) @ self.patterns
        return states

    def energy(self, states) -> np.ndarray:
        """``E(xi) = -lse(beta, X xi) / beta + xi^T xi / 2`` per row (Ramsauer et al. eq. 2, without constants)."""
        states = np.atleast_2d(np.asarray(states, dtype=np.float64))
        scores = self.beta * states @ self.patterns.T
        top = scores.max(axis=1)
        lse = (top + np.log(np.exp(scores - top[:, None]).sum(axis=1))) / self.beta
        return -lse + 0.5 * np.sum(states * states, axis=1)
