"""Block Gibbs sampling of bipartite models (RBMs, bipartite Ising models): the validated Python entry point.

The model is given by ``weights`` (n_hidden, n_visible), ``visible_bias`` and ``hidden_bias``, with
E(v, h) = -h^T W v - b^T v - c^T h and p(v, h) ∝ exp(-beta E(v, h)) (see ``sims/_bipartite_kernels.py``), over 0/1
units, or over spins in {-1, +1} with ``spins=True``; ``gaussian_visible=True`` makes the visible units real with unit
variance (E gains ||v||^2 / 2). A bipartite Ising model in ``sims/ising.py``'s convention
(E = -1/2 s^T J s - h^T s with J = [[0, W^T], [W, 0]]) is the ``spins=True`` case with the same W and fields.
"""

from __future__ import annotations

import numpy as np

from boltzgym.sims import _bipartite_kernels as kernels
from boltzgym.utils.rng import make_streams
from boltzgym.utils.validation import check_int, check_positive, check_seed


def check_bipartite_parameters(weights, visible_bias, hidden_bias) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(weights, visible_bias, hidden_bias)`` as contiguous float64 arrays of matching, finite shape."""
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if weights.ndim != 2:
        raise ValueError(f"weights must be a 2-D array (n_hidden, n_visible), got shape {weights.shape}")
    n_hidden, n_visible = weights.shape
    visible_bias = np.ascontiguousarray(visible_bias, dtype=np.float64)
    hidden_bias = np.ascontiguousarray(hidden_bias, dtype=np.float64)
    if visible_bias.shape != (n_visible,):
        raise ValueError(f"visible_bias must have shape ({n_visible},) to match weights, got {visible_bias.shape}")
    if hidden_bias.shape != (n_hidden,):
        raise ValueError(f"hidden_bias must have shape ({n_hidden},) to match weights, got {hidden_bias.shape}")
    for name, array in (("weights", weights), ("visible_bias", visible_bias), ("hidden_bias", hidden_bias)):
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} must be finite, got non-finite values")
    return weights, visible_bias, hidden_bias


# Above this much work (chains x steps x visible x hidden multiply-adds) chains run in parallel by default.
PARALLEL_WORK = 10**8


def block_gibbs_sample(
    weights,
    visible_bias,
    hidden_bias,
    initial_visible,
    n_steps: int,
    beta: float = 1.0,
    spins: bool = False,
    gaussian_visible: bool = False,
    seed: int | None = None,
    parallel: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Run ``n_steps`` block-Gibbs sweeps (h ~ p(h | v), then v ~ p(v | h)) from each row of ``initial_visible``.

    Args:
        weights: float (n_hidden, n_visible) couplings. visible_bias: (n_visible,). hidden_bias: (n_hidden,).
        initial_visible: (n_chains, n_visible) starting states, 0/1 (-1/+1 with ``spins``, finite reals with
            ``gaussian_visible``); not modified.
        n_steps: sweeps, >= 1.
        beta: inverse temperature > 0.
        spins: units in {-1, +1} instead of {0, 1}.
        gaussian_visible: real visible units with unit variance: p(v | h) = N(b + W^T h, I / beta).
        seed: seed of the per-chain streams; chain i's result depends only on (seed, i).
        parallel: chains over threads (``prange``) or the serial twin; identical results. Default: parallel when
            the work exceeds ``PARALLEL_WORK``.

    Returns:
        ``(visible, hidden)``: float64 (n_chains, n_visible) and (n_chains, n_hidden), the last sweep's samples.
    """
    weights, visible_bias, hidden_bias = check_bipartite_parameters(weights, visible_bias, hidden_bias)
    n_hidden, n_visible = weights.shape
    visible = np.array(initial_visible, dtype=np.float64, order="C", ndmin=2)  # a copy
    if visible.ndim != 2 or visible.shape[1] != n_visible:
        raise ValueError(f"initial_visible must have shape (n_chains, {n_visible}), got {visible.shape}")
    allowed = (-1.0, 1.0) if spins else (0.0, 1.0)
    if gaussian_visible:
        if not np.all(np.isfinite(visible)):
            raise ValueError("initial_visible must be finite")
    elif not np.all(np.isin(visible, allowed)):
        raise ValueError(f"initial_visible must hold only {allowed[0]:g} and {allowed[1]:g} (spins={spins})")
    n_steps = check_int("n_steps", n_steps, minimum=1)
    beta = check_positive("beta", beta)
    seed = check_seed("seed", seed)
    n_chains = visible.shape[0]
    if parallel is None:
        parallel = n_chains > 1 and n_chains * n_steps * n_visible * n_hidden > PARALLEL_WORK
    hidden = np.empty((n_chains, n_hidden))
    kernel = kernels.block_gibbs_parallel if parallel else kernels.block_gibbs_serial
    streams = make_streams(seed, n_chains)
    kernel(
        weights, visible_bias, hidden_bias, beta, visible, hidden, n_steps, bool(spins), bool(gaussian_visible), streams
    )
    return visible, hidden
