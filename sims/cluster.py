"""Houdayer isoenergetic cluster moves (Houdayer, Eur. Phys. J. B 22, 479, 2001) between two replicas at one
temperature, as ``parallel_tempering(..., houdayer=True)`` uses them; the kernel is ``sims._cluster_kernels``.

Two replicas ``a, b`` of the same model at the same beta; the sites where they differ form clusters (connected by
nonzero couplings); a uniformly drawn differing site's cluster is flipped in both. ``E_a + E_b`` is unchanged and
the move is its own reverse with the same probability, so the product ``p(a) p(b)`` stays invariant (always
accepted). The move helps where those clusters do not percolate: low temperatures in low dimension (Zhu, Ochoa &
Katzgraber, PRL 115, 077201, 2015, apply it only below a temperature cut-off; see ``parallel_tempering``). With no
field, a pair of replicas that differ everywhere (``s_b = -s_a``) is left alone. Energies follow
``boltzgym.sims.ising``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from boltzgym.sims import _cluster_kernels
from boltzgym.sims._engine import check_model
from boltzgym.sims.ising import IsingModel, as_spin_states
from boltzgym.utils.rng import make_streams
from boltzgym.utils.validation import check_seed

__all__ = ["ClusterMover", "houdayer_move"]


class ClusterMover:
    """Houdayer moves on rows of a replica array, with the couplings, scratch space and stream prepared once.

    Args:
        model: the ``IsingModel`` (dense or sparse; the clusters follow its nonzero couplings).
        field_dtype: the dtype of the local fields the caller keeps (float64, or int64 on the integer path).
        seed: seeds the move's one stream.
    """

    def __init__(self, model: IsingModel, field_dtype=np.float64, seed: int | None = None):
        J = sp.csr_matrix(model.J)
        J.sort_indices()
        self.indptr = J.indptr.astype(np.uint64)
        self.indices = J.indices.astype(np.uint32)
        self.data = J.data.astype(field_dtype)
        n = model.n_spins
        self.stack = np.empty(n, dtype=np.int64)
        self.members = np.empty(n, dtype=np.int64)
        self.mark = np.zeros(n, dtype=np.bool_)
        self.rng = make_streams(seed, 1)

    def move(self, states, fields, energies, pairs: np.ndarray) -> np.ndarray:
        """One move per row ``(a, b)`` of ``pairs`` (int64 ``(P, 2)``) on ``states`` (int8 ``(R, N)``), updating
        ``fields`` and ``energies`` in place; returns each move's cluster size ``(P,)``."""
        flipped = np.zeros(pairs.shape[0], dtype=np.int64)
        _cluster_kernels.houdayer_moves(states, fields, energies, np.ascontiguousarray(pairs, dtype=np.int64),
                                        self.indptr, self.indices, self.data, self.rng, self.stack, self.members,
                                        self.mark, flipped)  # fmt: skip
        return flipped


def houdayer_move(model: IsingModel, states_a, states_b, seed: int | None = None):
    """One Houdayer move on each pair ``(states_a[k], states_b[k])``: returns ``(new_a, new_b, cluster_sizes)``.

    ``states_a`` and ``states_b`` are spins of shape ``(N,)`` or ``(n, N)`` (not modified); cluster sizes are 0
    where the two replicas agree or disagree everywhere. The energies satisfy ``E(new_a) + E(new_b) =
    E(a) + E(b)``.
    """
    model = check_model(model)
    a = np.atleast_2d(as_spin_states(states_a, model.n_spins, "states_a"))
    b = np.atleast_2d(as_spin_states(states_b, model.n_spins, "states_b"))
    if a.shape != b.shape:
        raise ValueError(f"states_a and states_b must have the same shape, got {a.shape} and {b.shape}")
    n_pairs = a.shape[0]
    states = np.ascontiguousarray(np.concatenate([a, b]))
    fields = np.ascontiguousarray(model.local_fields(states), dtype=np.float64)
    energies = np.asarray(model.energy(states), dtype=np.float64).reshape(2 * n_pairs).copy()
    pairs = np.column_stack([np.arange(n_pairs), n_pairs + np.arange(n_pairs)])
    sizes = ClusterMover(model, np.float64, check_seed("seed", seed)).move(states, fields, energies, pairs)
    return states[:n_pairs], states[n_pairs:], sizes
