"""Seeded generators of standard Ising problems, and Max-Cut with the map back to cut values.

All models use the energy ``E(s) = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i`` of ``boltzgym.sims.ising``.
Lattices are periodic, with site ``(x, y[, z])`` at index ``x L^(d-1) + y L^(d-2) + ...`` (C order), and
stored sparse (CSR).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from boltzgym.sims.ising import IsingModel, as_spin_states
from boltzgym.utils.validation import check_int, check_probability, check_seed

__all__ = [
    "PROBLEMS",
    "MaxCutProblem",
    "ferromagnet_2d",
    "make_problem",
    "lattice_spin_glass",
    "maxcut",
    "random_maxcut",
    "sherrington_kirkpatrick",
]

COUPLING_DISTRIBUTIONS = ("pm", "gaussian")


def sherrington_kirkpatrick(n_spins: int, seed: int | None = None) -> IsingModel:
    """The Sherrington–Kirkpatrick model: all pairs coupled, ``J_ij ~ N(0, 1) / sqrt(N)``, no fields.

    Its ground-state energy per spin tends to about -0.7633 for large ``N`` (Parisi's solution), the
    reference for annealing quality (Sherrington & Kirkpatrick, PRL 35, 1975).
    """
    n_spins = check_int("n_spins", n_spins, minimum=2)
    rng = np.random.default_rng(check_seed("seed", seed))
    upper = np.triu(rng.standard_normal((n_spins, n_spins)), k=1) / np.sqrt(n_spins)
    return IsingModel(upper + upper.T)


def _periodic_lattice(side: int, dimension: int, bond_values: np.ndarray) -> sp.csr_matrix:
    """Symmetric CSR couplings of a periodic hypercubic lattice; ``bond_values`` is ``(dimension, N)``."""
    n = side**dimension
    index = np.arange(n).reshape((side,) * dimension)
    rows, cols, values = [], [], []
    for axis in range(dimension):
        neighbour = np.roll(index, -1, axis=axis).ravel()
        rows += [index.ravel(), neighbour]
        cols += [neighbour, index.ravel()]
        values += [bond_values[axis], bond_values[axis]]
    J = sp.csr_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    J.sort_indices()
    return J


def lattice_spin_glass(side: int, dimension: int = 2, couplings: str = "pm", seed: int | None = None) -> IsingModel:
    """Edwards–Anderson spin glass on a periodic ``side^dimension`` lattice (``dimension`` 2 or 3).

    ``couplings="pm"`` draws each bond ``+-1`` with equal probability; ``"gaussian"`` draws ``N(0, 1)``.
    The 2D +-J ground-state energy per spin is about -1.40 for large lattices (e.g. Hartmann & Young,
    PRB 64, 2001), a reference for annealing. ``side >= 3`` so that periodic neighbours are distinct.
    """
    side = check_int("side", side, minimum=3)
    dimension = check_int("dimension", dimension, minimum=2, maximum=3)
    if couplings not in COUPLING_DISTRIBUTIONS:
        raise ValueError(f"couplings must be one of {list(COUPLING_DISTRIBUTIONS)}, got {couplings!r}")
    rng = np.random.default_rng(check_seed("seed", seed))
    shape = (dimension, side**dimension)
    bonds = rng.choice([-1.0, 1.0], size=shape) if couplings == "pm" else rng.standard_normal(shape)
    return IsingModel(_periodic_lattice(side, dimension, bonds))


def ferromagnet_2d(side: int, coupling: float = 1.0, field: float = 0.0) -> IsingModel:
    """The 2D Ising ferromagnet on a periodic ``side x side`` lattice (ground energy ``-2 J`` per spin at h=0).

    Onsager's critical point is ``beta_c J = ln(1 + sqrt 2) / 2 ~ 0.4407``.
    """
    side = check_int("side", side, minimum=3)
    bonds = np.full((2, side * side), float(coupling))
    return IsingModel(_periodic_lattice(side, 2, bonds), np.full(side * side, float(field)))


@dataclass(frozen=True, eq=False)
class MaxCutProblem:
    """Max-Cut of a weighted graph as an Ising model: maximize ``cut(s) = sum_(i,j) w_ij (1 - s_i s_j) / 2``.

    With ``J_ij = -w_ij`` the model's energy is ``E(s) = sum_(i,j) w_ij s_i s_j``, so
    ``cut(s) = (W - E(s)) / 2`` with ``W = sum w_ij``: the ground state is a maximum cut.

    Attributes:
        model: the ``IsingModel`` (sparse couplings).
        edges: ``(m, 2)`` int array of node pairs; weights: ``(m,)`` float array.
    """

    model: IsingModel
    edges: np.ndarray
    weights: np.ndarray

    @property
    def total_weight(self) -> float:
        """``W``, the sum of the edge weights."""
        return float(self.weights.sum())

    def cut_value(self, states) -> np.ndarray:
        """The weight of the edges cut by each state (``(N,)`` -> 0-d, ``(n, N)`` -> ``(n,)``): sides are the signs."""
        s = as_spin_states(states, self.model.n_spins)
        crossing = s[..., self.edges[:, 0]] != s[..., self.edges[:, 1]]
        return np.asarray(crossing @ self.weights, dtype=np.float64)

    def cut_from_energy(self, energies) -> np.ndarray:
        """``(W - E) / 2``: the cut value of states with the given model energies."""
        return (self.total_weight - np.asarray(energies, dtype=np.float64)) / 2.0


def maxcut(edges, weights=None, n_nodes: int | None = None) -> MaxCutProblem:
    """The Max-Cut problem of a weighted undirected graph given as an edge list.

    Args:
        edges: sequence of ``(i, j)`` node pairs with ``i != j``, nodes numbered ``0..n_nodes-1``; repeated
            pairs add their weights.
        weights: one weight per edge (default 1).
        n_nodes: number of nodes (default: the largest node index + 1).
    """
    edge_array = np.asarray(edges)
    if edge_array.ndim != 2 or edge_array.shape[1] != 2 or edge_array.shape[0] == 0:
        raise ValueError(f"edges must be a non-empty sequence of (i, j) pairs, got shape {edge_array.shape}")
    if not np.issubdtype(edge_array.dtype, np.integer) or edge_array.min() < 0:
        raise ValueError("edges must hold non-negative integer node indices")
    edge_array = edge_array.astype(np.int64)
    if np.any(edge_array[:, 0] == edge_array[:, 1]):
        raise ValueError("edges must not contain self-loops (i, i)")
    weight_array = np.ones(len(edge_array)) if weights is None else np.asarray(weights, dtype=np.float64)
    if weight_array.shape != (len(edge_array),) or not np.all(np.isfinite(weight_array)):
        raise ValueError(f"weights must be {len(edge_array)} finite numbers, got shape {weight_array.shape}")
    needed = int(edge_array.max()) + 1
    n_nodes = needed if n_nodes is None else check_int("n_nodes", n_nodes, minimum=needed)
    i, j = edge_array[:, 0], edge_array[:, 1]
    J = sp.csr_matrix((np.concatenate([-weight_array, -weight_array]), (np.r_[i, j], np.r_[j, i])), (n_nodes,) * 2)
    return MaxCutProblem(IsingModel(J), edge_array, weight_array)


def random_maxcut(
    n_nodes: int, edge_probability: float | None = None, weighted: bool = False, seed: int | None = None
) -> MaxCutProblem:
    """Max-Cut on an Erdos–Renyi graph G(n, p), unit weights or (``weighted``) weights uniform in {1..10}.

    The default ``p = min(1, 10 / (n - 1))`` gives mean degree about 10.
    """
    n_nodes = check_int("n_nodes", n_nodes, minimum=2)
    if edge_probability is None:
        p = min(1.0, 10.0 / (n_nodes - 1))
    else:
        p = check_probability("edge_probability", edge_probability)
    rng = np.random.default_rng(check_seed("seed", seed))
    # Row by row (each pair i < j kept with probability p): memory O(edges), not O(n^2).
    sources, targets = [], []
    for i in range(n_nodes - 1):
        later = n_nodes - 1 - i
        chosen = rng.choice(later, size=rng.binomial(later, p), replace=False)
        sources.append(np.full(chosen.size, i))
        targets.append(i + 1 + np.sort(chosen))
    edges = np.column_stack([np.concatenate(sources), np.concatenate(targets)]).astype(np.int64)
    if len(edges) == 0:
        edges = np.array([[0, 1]])
    weights = rng.integers(1, 11, size=len(edges)).astype(np.float64) if weighted else None
    return maxcut(edges, weights, n_nodes)


PROBLEMS = ("sk", "lattice2d", "lattice3d", "ferro2d", "maxcut")


def make_problem(name: str, n_spins: int, seed: int | None = None) -> tuple[IsingModel, MaxCutProblem | None]:
    """Build a named benchmark problem with ``n_spins`` spins: ``(model, maxcut_problem or None)``.

    ``"sk"``: Sherrington–Kirkpatrick; ``"lattice2d"``/``"lattice3d"``: +-J Edwards–Anderson glass (``n_spins``
    must be a square/cube); ``"ferro2d"``: 2D ferromagnet (a square); ``"maxcut"``: ``random_maxcut`` (unit
    weights, mean degree about 10).
    """
    if name not in PROBLEMS:
        raise ValueError(f"problem must be one of {list(PROBLEMS)}, got {name!r}")
    n_spins = check_int("n", n_spins, minimum=2)
    if name in ("lattice2d", "lattice3d", "ferro2d"):
        dimension = 3 if name == "lattice3d" else 2
        side = int(round(n_spins ** (1.0 / dimension)))
        if side**dimension != n_spins or side < 3:
            power = "cube" if dimension == 3 else "square"
            raise ValueError(f"n must be a {power} >= {3**dimension} for {name}, got {n_spins}")
        if name == "ferro2d":
            return ferromagnet_2d(side), None
        return lattice_spin_glass(side, dimension, "pm", seed), None
    if name == "sk":
        return sherrington_kirkpatrick(n_spins, seed), None
    problem = random_maxcut(n_spins, seed=seed)
    return problem.model, problem
