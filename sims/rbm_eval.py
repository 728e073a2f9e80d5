"""Evaluating a Bernoulli RBM: free energy, exact log partition function, Annealed Importance Sampling.

Conventions (those of ``sims/_bipartite_kernels.py`` and scikit-learn's ``BernoulliRBM``): ``weights`` has shape
(n_hidden, n_visible), units are 0/1, E(v, h) = -h^T W v - b^T v - c^T h with b the visible and c the hidden bias,
p(v) = exp(-F(v)) / Z with the free energy F(v) = -b^T v - sum_j softplus((W v + c)_j).

- Exact log Z sums the smaller layer out analytically and enumerates the other one (2^min(n_visible, n_hidden)
  states; up to ``MAX_EXACT_UNITS`` = 25 by default), as is standard for small RBMs.
- AIS (Neal 2001; Salakhutdinov & Murray, "On the quantitative analysis of deep belief networks", ICML 2008) anneals
  from a base-rate model with the data's visible marginals to the RBM; it returns log Z and the standard error of
  the estimate (delta method on the mean importance weight), since the estimator is unbiased for Z, not log Z.
"""

from __future__ import annotations

import numpy as np

from boltzgym.sims import _bipartite_kernels as kernels
from boltzgym.sims.bipartite import check_bipartite_parameters
from boltzgym.utils.rng import make_streams
from boltzgym.utils.validation import check_int, check_seed

MAX_EXACT_UNITS = 25
SMALL_ENUMERATION_UNITS = 12  # up to 2^12 states, log Z is one NumPy pass; beyond, the Gray-code kernel


def check_binary(name: str, X, n_features: int | None = None) -> np.ndarray:
    """Return ``X`` as a float64 2-D array of 0/1 values, or raise ``ValueError`` naming ``name``."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n_samples, n_features), got shape {X.shape}")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} features (columns), got {X.shape[1]}")
    if not np.all((X == 0.0) | (X == 1.0)):
        bad = X[(X != 0.0) & (X != 1.0)].flat[0]
        raise ValueError(f"{name} must be binary (only 0 and 1), got the value {bad}")
    return X


def free_energy(weights, visible_bias, hidden_bias, X, gaussian_visible: bool = False) -> np.ndarray:
    """F(v) = -b^T v - sum_j log(1 + exp((W v + c)_j)) for each row v of ``X``; p(v) = exp(-F(v)) / Z.

    With ``gaussian_visible`` (unit-variance Gaussian visible units), the first term is ||v - b||^2 / 2.
    """
    weights, visible_bias, hidden_bias = check_bipartite_parameters(weights, visible_bias, hidden_bias)
    X = np.asarray(X, dtype=np.float64)
    hidden_term = np.logaddexp(0.0, X @ weights.T + hidden_bias).sum(axis=1)
    if gaussian_visible:
        return 0.5 * np.sum((X - visible_bias) ** 2, axis=1) - hidden_term
    return -(X @ visible_bias) - hidden_term


def log_partition_exact(weights, visible_bias, hidden_bias, max_units: int = MAX_EXACT_UNITS) -> float:
    """The exact log Z of a 0/1 RBM, enumerating the smaller layer (2^min(n_visible, n_hidden) terms).

    Raises:
        ValueError: if both layers have more than ``max_units`` units (use AIS: ``log_partition_ais``).
    """
    weights, visible_bias, hidden_bias = check_bipartite_parameters(weights, visible_bias, hidden_bias)
    max_units = check_int("max_units", max_units, minimum=1, maximum=40)
    n_hidden, n_visible = weights.shape
    if min(n_hidden, n_visible) > max_units:
        raise ValueError(
            f"the smaller layer has {min(n_hidden, n_visible)} units, more than max_units={max_units} for exact "
            f"enumeration (2^{min(n_hidden, n_visible)} states); use method='ais' (annealed importance sampling)"
        )
    if n_hidden <= n_visible:
        couplings, enumerated_bias, other_bias = weights, hidden_bias, visible_bias
    else:
        couplings, enumerated_bias, other_bias = np.ascontiguousarray(weights.T), visible_bias, hidden_bias
    n = couplings.shape[0]
    if n <= SMALL_ENUMERATION_UNITS:  # a few thousand states: one vectorized NumPy pass, no kernel to compile
        states = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(np.float64)
        terms = states @ enumerated_bias + np.logaddexp(0.0, states @ couplings + other_bias).sum(axis=1)
        return float(np.logaddexp.reduce(terms))
    n_blocks = 1 << max(0, min(n - 10, 6))  # up to 64 blocks of >= 1024 states each
    maxima = np.empty(n_blocks)
    sums = np.empty(n_blocks)
    kernels.enumerated_log_sum_exp(couplings, enumerated_bias, other_bias, n_blocks, maxima, sums)
    top = maxima.max()
    return float(top + np.log(np.sum(sums * np.exp(maxima - top))))


def log_partition_exact_gaussian(weights, visible_bias, hidden_bias, max_units: int = MAX_EXACT_UNITS) -> float:
    """The exact log Z of an RBM with unit-variance Gaussian visible units, enumerating the hidden layer.

    Integrating v out, log Z = (n_visible / 2) log(2 pi) + log sum_h exp(c^T h + (||b + W^T h||^2 - ||b||^2) / 2).

    Raises:
        ValueError: if the hidden layer has more than ``max_units`` units (the visible layer cannot be enumerated).
    """
    weights, visible_bias, hidden_bias = check_bipartite_parameters(weights, visible_bias, hidden_bias)
    max_units = check_int("max_units", max_units, minimum=1, maximum=40)
    n_hidden, n_visible = weights.shape
    if n_hidden > max_units:
        raise ValueError(
            f"exact log Z with Gaussian visible units enumerates the hidden layer: n_components={n_hidden} is more "
            f"than max_units={max_units}"
        )
    chunk_bits = min(n_hidden, 14)
    low = ((np.arange(2**chunk_bits)[:, None] >> np.arange(chunk_bits)) & 1).astype(np.float64)
    chunk_sums = []
    for high in range(2 ** (n_hidden - chunk_bits)):  # the remaining top bits, fixed per chunk
        high_bits = ((high >> np.arange(n_hidden - chunk_bits)) & 1).astype(np.float64)
        states = np.hstack([low, np.broadcast_to(high_bits, (low.shape[0], high_bits.size))])
        mean = visible_bias + states @ weights
        terms = states @ hidden_bias + 0.5 * (np.sum(mean**2, axis=1) - visible_bias @ visible_bias)
        chunk_sums.append(np.logaddexp.reduce(terms))
    return float(0.5 * n_visible * np.log(2.0 * np.pi) + np.logaddexp.reduce(chunk_sums))


def ais_betas(n_betas: int) -> np.ndarray:
    """The inverse-temperature path 0 = beta_0 < ... < beta_K = 1 with ``n_betas`` = K + 1 points.

    Spaced as in Salakhutdinov & Murray (2008): 500 uniform steps on [0, 0.5], 4,000 on [0.5, 0.9] and 10,000 on
    [0.9, 1] for their 14,501 points; other ``n_betas`` keep those proportions (denser where the model sharpens).
    """
    n_betas = check_int("n_betas", n_betas, minimum=4)
    steps = n_betas - 1
    first = max(1, round(steps * 500 / 14500))
    second = max(1, round(steps * 4000 / 14500))
    third = max(1, steps - first - second)
    return np.concatenate(
        [
            np.linspace(0.0, 0.5, first, endpoint=False),
            np.linspace(0.5, 0.9, second, endpoint=False),
            np.linspace(0.9, 1.0, third + 1),
        ]
    )


def log_partition_ais(
    weights,
    visible_bias,
    hidden_bias,
    n_chains: int = 100,
    n_betas: int = 14501,
    base_visible_bias=None,
    random_state: int | None = None,
) -> tuple[float, float]:
    """Estimate log Z of a 0/1 RBM by Annealed Importance Sampling; returns ``(log_z, standard_error)``.

    Args:
        n_chains: independent AIS runs (the paper's M = 100 by default).
        n_betas: points on the inverse-temperature path (the paper's 14,501 by default), see ``ais_betas``.
        base_visible_bias: visible biases of the base-rate model; the paper uses the data's marginals,
            log(p_i / (1 - p_i)); default zeros (the uniform distribution).
        random_state: seed of the chains' streams.

    The estimate is log Z_A + log mean(w) with log Z_A = sum_i softplus(b_A,i) + n_hidden log 2. The standard error
    is std(w) / (sqrt(M) mean(w)), the delta-method error of log mean(w).
    """
    weights, visible_bias, hidden_bias = check_bipartite_parameters(weights, visible_bias, hidden_bias)
    n_chains = check_int("n_chains", n_chains, minimum=2)
    random_state = check_seed("random_state", random_state)
    n_hidden, n_visible = weights.shape
    if base_visible_bias is None:
        base_visible_bias = np.zeros(n_visible)
    base_visible_bias = np.ascontiguousarray(base_visible_bias, dtype=np.float64)
    if base_visible_bias.shape != (n_visible,) or not np.all(np.isfinite(base_visible_bias)):
        raise ValueError(
            f"base_visible_bias must be a finite array of shape ({n_visible},), got shape {base_visible_bias.shape}"
        )
    betas = ais_betas(n_betas)
    log_weights = np.empty(n_chains)
    kernels.annealed_importance_log_weights(
        weights, visible_bias, hidden_bias, base_visible_bias, betas, log_weights, make_streams(random_state, n_chains)
    )
    log_z_base = float(np.logaddexp(0.0, base_visible_bias).sum() + n_hidden * np.log(2.0))
    top = log_weights.max()
    scaled = np.exp(log_weights - top)
    mean = scaled.mean()
    log_z = log_z_base + top + float(np.log(mean))
    standard_error = float(scaled.std(ddof=1) / (np.sqrt(n_chains) * mean))
    return log_z, standard_error


def base_rate_visible_bias(X, smoothing: float = 0.05) -> np.ndarray:
    """log(p_i / (1 - p_i)) of the visible marginals p_i of ``X``, smoothed toward 1/2 so that no bias is infinite."""
    X = np.asarray(X, dtype=np.float64)
    # values outside [0, 1] (accepted with a warning by RBM.fit) are clipped so that the marginals stay in (0, 1)
    marginals = (np.clip(X, 0.0, 1.0).sum(axis=0) + smoothing) / (X.shape[0] + 2.0 * smoothing)
    return np.log(marginals) - np.log1p(-marginals)
