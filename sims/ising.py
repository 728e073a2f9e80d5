"""Ising energy models over spins ``s in {-1, +1}^N``, and their Boltzmann-machine and QUBO forms.

The one energy convention used throughout ``boltzgym.sims`` (physics sign: ``J_ij > 0`` is ferromagnetic)::

    E(s) = -1/2 s^T J s - h^T s = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i

with ``J`` symmetric, zero on the diagonal. The local field of site ``i`` is ``f_i = sum_j J_ij s_j + h_i``
and flipping ``s_i`` changes the energy by ``dE_i = 2 s_i f_i``. The Boltzmann distribution at inverse
temperature ``beta`` is ``p(s) ~ exp(-beta E(s))`` (notes 5.3, Boltzmann machine, with ``T = 1 / beta``).

Two other forms of the same energy are supported, both over units ``x in {0, 1}^N`` with ``s = 2x - 1``:

- Boltzmann machine: ``E_bm(x) = -1/2 x^T W x - b^T x`` (``W`` symmetric, zero diagonal), so that
  ``p(x_i = 1 | rest) = sigmoid(sum_j W_ij x_j + b_i)`` as in notes 5.3. Then ``W = 4J``,
  ``b = 2h - 2 J 1`` and ``E(s) = E_bm(x) + offset`` with ``offset = sum_i h_i - 1/2 1^T J 1``.
- QUBO (as in dimod/neal): ``E_qubo(x) = x^T Q x`` with ``Q`` upper triangular, the linear terms on its
  diagonal (``x_i^2 = x_i``): ``Q_ii = -b_i`` and ``Q_ij = -W_ij`` for ``i < j``.

dimod's Ising convention ``E = sum_i h_i s_i + sum_{i<j} J_ij s_i s_j`` has the opposite sign;
``boltzgym.sims.sample_ising`` converts at its boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["IsingModel", "as_spin_states"]

_SYMMETRY_RTOL = 1e-10


def _validate_couplings(J, name: str = "J"):
    """Return ``J`` as a float64 ndarray or a canonical float64 CSR matrix, after the checks."""
    if sp.issparse(J):
        matrix = sp.csr_matrix(J, dtype=np.float64)
        matrix.sum_duplicates()
        matrix.sort_indices()
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f"{name} must be a square matrix, got shape {matrix.shape}")
        if not np.all(np.isfinite(matrix.data)):
            raise ValueError(f"{name} must have finite values, got non-finite entries")
        if np.any(matrix.diagonal() != 0):
            raise ValueError(f"{name} must have a zero diagonal (no self-couplings), got {matrix.diagonal()[:5]}...")
        asym = abs(matrix - matrix.T)
        scale = abs(matrix).max() if matrix.nnz else 0.0
        if asym.nnz and asym.max() > _SYMMETRY_RTOL * max(scale, 1.0):
            raise ValueError(f"{name} must be symmetric, got max |J - J^T| = {asym.max():.3g}")
        matrix.eliminate_zeros()
        return matrix
    try:
        array = np.asarray(J, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric square matrix, got {type(J).__name__}") from exc
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must have finite values, got non-finite entries")
    if np.any(np.diag(array) != 0):
        raise ValueError(f"{name} must have a zero diagonal (no self-couplings), got diagonal {np.diag(array)[:5]}")
    scale = np.abs(array).max() if array.size else 0.0
    asym = np.abs(array - array.T).max() if array.size else 0.0
    if asym > _SYMMETRY_RTOL * max(scale, 1.0):
        raise ValueError(f"{name} must be symmetric, got max |J - J^T| = {asym:.3g}")
    return np.ascontiguousarray(array)


def _validate_vector(values, n: int, name: str) -> np.ndarray:
    if values is None:
        return np.zeros(n)
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric vector of length {n}, got {type(values).__name__}") from exc
    if array.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must have finite values, got non-finite entries")
    return array.copy()


def as_spin_states(states, n_spins: int, name: str = "states") -> np.ndarray:
    """Validate spin states: an int8 array of shape ``(n_spins,)`` or ``(n, n_spins)`` with entries in {-1, +1}."""
    array = np.asarray(states)
    if array.ndim not in (1, 2) or array.shape[-1] != n_spins:
        raise ValueError(f"{name} must have shape ({n_spins},) or (n, {n_spins}), got {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must hold at least one state, got shape {array.shape}")
    if not np.all((array == 1) | (array == -1)):
        bad = array[(array != 1) & (array != -1)].ravel()[:3]
        raise ValueError(f"{name} must contain only -1 and +1 spins, got values such as {bad.tolist()}")
    return array.astype(np.int8)


@dataclass(frozen=True, eq=False, repr=False)
class IsingModel:
    """An Ising energy ``E(s) = -1/2 s^T J s - h^T s`` over spins in {-1, +1} (see the module docstring).

    Args:
        J: couplings, a symmetric ``(N, N)`` array with zero diagonal, or a ``scipy.sparse`` matrix (stored as
            CSR; use it for lattices and sparse graphs). ``J_ij > 0`` favours aligned spins.
        h: fields, shape ``(N,)``; default zeros.

    Example:
        >>> model = IsingModel([[0.0, 1.0], [1.0, 0.0]], h=[0.5, 0.0])
        >>> float(model.energy([1, 1]))
        -1.5
    """

    J: np.ndarray | sp.csr_matrix
    h: np.ndarray

    def __init__(self, J, h=None):
        couplings = _validate_couplings(J)
        object.__setattr__(self, "J", couplings)
        object.__setattr__(self, "h", _validate_vector(h, couplings.shape[0], "h"))

    def __repr__(self) -> str:
        storage = f"sparse, {self.J.nnz // 2} bonds" if self.is_sparse else "dense"
        return f"IsingModel(n_spins={self.n_spins}, {storage}, fields={'yes' if np.any(self.h) else 'none'})"

    @property
    def n_spins(self) -> int:
        """The number of spins ``N``."""
        return self.J.shape[0]

    @property
    def is_sparse(self) -> bool:
        """Whether the couplings are stored as a CSR matrix."""
        return sp.issparse(self.J)

    def dense_couplings(self) -> np.ndarray:
        """The couplings as a dense ``(N, N)`` float64 array."""
        return self.J.toarray() if self.is_sparse else self.J

    def csr_couplings(self) -> sp.csr_matrix:
        """The couplings as a canonical CSR matrix (sorted indices, no explicit zeros)."""
        if self.is_sparse:
            return self.J
        matrix = sp.csr_matrix(self.J)
        matrix.eliminate_zeros()
        matrix.sort_indices()
        return matrix

    def local_fields(self, states) -> np.ndarray:
        """``f = J s + h`` for one state ``(N,)`` or a batch ``(n, N)``; same shape as ``states``."""
        s = as_spin_states(states, self.n_spins).astype(np.float64)
        return (self.J @ s.T).T + self.h

    def energy(self, states) -> np.ndarray:
        """``E(s)`` for one state ``(N,)`` (a 0-d array) or a batch ``(n, N)`` (shape ``(n,)``)."""
        s = as_spin_states(states, self.n_spins).astype(np.float64)
        coupling_term = np.sum(s * (self.J @ s.T).T, axis=-1)
        # the field term by einsum, not BLAS: a threaded BLAS call leaves OpenBLAS's threads spinning for a while
        # afterwards, which took the second core from the next parallel kernel (1 -> 2 threads: 0.9x, not 1.9x)
        return -0.5 * coupling_term - np.einsum("...i,i->...", s, self.h)

    def max_flip_energy(self) -> float:
        """An upper bound on ``|dE_i|`` over sites and states: ``max_i 2 (sum_j |J_ij| + |h_i|)``."""
        row_sums = np.asarray(abs(self.J).sum(axis=1)).ravel()
        return float(2.0 * np.max(row_sums + np.abs(self.h))) if self.n_spins else 0.0

    def typical_flip_energy(self) -> float:
        """Twice the median magnitude of the non-zero couplings and fields: the scale of one excitation.

        For +-J couplings this is the smallest excitation, ``2``; unlike the minimum, it stays meaningful for
        continuous couplings (the smallest of many Gaussian couplings is close to zero).
        """
        values = np.abs(self.J.data if self.is_sparse else self.J[self.J != 0])
        values = np.concatenate([values.ravel(), np.abs(self.h[self.h != 0])])
        return float(2.0 * np.median(values)) if values.size else 0.0

    # --- conversions -------------------------------------------------------------------------------------
    def to_boltzmann(self) -> tuple[np.ndarray | sp.csr_matrix, np.ndarray, float]:
        """Return ``(W, b, offset)`` of the 0/1 form, with ``E(s) = E_bm(x) + offset`` for ``s = 2x - 1``."""
        row_sums = np.asarray(self.J.sum(axis=1)).ravel()
        W = 4.0 * self.J
        b = 2.0 * self.h - 2.0 * row_sums
        offset = float(self.h.sum() - 0.5 * row_sums.sum())
        return W, b, offset

    @classmethod
    def from_boltzmann(cls, W, b) -> tuple[IsingModel, float]:
        """Build the Ising model of ``E_bm(x) = -1/2 x^T W x - b^T x``; returns ``(model, offset)``.

        ``offset`` satisfies ``E_bm(x) = E(s) + offset`` for ``s = 2x - 1``.
        """
        W = _validate_couplings(W, "W")
        b = _validate_vector(b, W.shape[0], "b")
        J = W / 4.0
        row_sums = np.asarray(J.sum(axis=1)).ravel()
        model = cls(J, b / 2.0 + row_sums)
        offset = -float(model.h.sum() - 0.5 * row_sums.sum())
        return model, offset

    def to_qubo(self) -> tuple[np.ndarray, float]:
        """Return ``(Q, offset)``: ``Q`` dense upper triangular with ``E(s) = x^T Q x + offset``, ``s = 2x - 1``."""
        W, b, offset = self.to_boltzmann()
        W = W.toarray() if sp.issparse(W) else W
        Q = -np.triu(W, k=1) - np.diag(b)
        return Q, offset

    @classmethod
    def from_qubo(cls, Q) -> tuple[IsingModel, float]:
        """Build the Ising model of ``E_qubo(x) = x^T Q x`` (any square ``Q``); returns ``(model, offset)``.

        ``offset`` satisfies ``E_qubo(x) = E(s) + offset`` for ``s = 2x - 1``.
        """
        Q = np.asarray(Q, dtype=np.float64)
        if Q.ndim != 2 or Q.shape[0] != Q.shape[1]:
            raise ValueError(f"Q must be a square matrix, got shape {Q.shape}")
        if not np.all(np.isfinite(Q)):
            raise ValueError("Q must have finite values, got non-finite entries")
        off_diagonal = Q - np.diag(np.diag(Q))
        W = -(off_diagonal + off_diagonal.T)
        return cls.from_boltzmann(W, -np.diag(Q))
