"""The bipartite block-Gibbs kernels against enumeration and a plain NumPy/Python reference."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from boltzgym.sims import _bipartite_kernels as kernels
from boltzgym.sims.bipartite import block_gibbs_sample
from boltzgym.utils.rng import make_streams, next_double, next_normal


def random_model(n_hidden: int, n_visible: int, scale: float = 1.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(0.0, scale, (n_hidden, n_visible)),
        rng.normal(0.0, scale, n_visible),
        rng.normal(0.0, scale, n_hidden),
    )


def exact_visible_marginal(weights, visible_bias, hidden_bias, beta, values):
    """p(v) over all visible states in lexicographic order, by enumerating both layers."""
    n_hidden, n_visible = weights.shape
    vs = np.array(list(itertools.product(values, repeat=n_visible)), dtype=float)
    hs = np.array(list(itertools.product(values, repeat=n_hidden)), dtype=float)
    energy = -(hs @ weights @ vs.T) - (vs @ visible_bias)[None, :] - (hs @ hidden_bias)[:, None]
    weights_v = np.exp(-beta * energy).sum(axis=0)
    return vs, weights_v / weights_v.sum()


def state_index(states, values):
    bits = (states == values[1]).astype(int)
    return bits @ (2 ** np.arange(states.shape[1] - 1, -1, -1))


def test_block_gibbs_samples_the_boltzmann_distribution_in_01_and_spin_units():
    weights, visible_bias, hidden_bias = random_model(2, 3, scale=0.8)
    n_chains = 20000
    for spins, values, beta in ((False, (0.0, 1.0), 1.0), (True, (-1.0, 1.0), 0.7)):
        _, exact = exact_visible_marginal(weights, visible_bias, hidden_bias, beta, values)
        start = np.full((n_chains, 3), values[0])
        visible, hidden = block_gibbs_sample(weights, visible_bias, hidden_bias, start, 30, beta, spins, seed=1)
        assert set(np.unique(visible)) <= set(values) and set(np.unique(hidden)) <= set(values)
        frequencies = np.bincount(state_index(visible, values), minlength=8) / n_chains
        tolerance = 5 * np.sqrt(exact * (1 - exact) / n_chains) + 1e-3
        assert np.all(np.abs(frequencies - exact) < tolerance), (spins, frequencies, exact)


def test_block_gibbs_chain_depends_only_on_its_stream_not_threads():
    weights, visible_bias, hidden_bias = random_model(4, 5)
    many = [
        block_gibbs_sample(weights, visible_bias, hidden_bias, np.zeros((6, 5)), 7, seed=3, parallel=p) for p in (0, 1)
    ]
    np.testing.assert_array_equal(many[0][0], many[1][0])
    np.testing.assert_array_equal(many[0][1], many[1][1])
    few, _ = block_gibbs_sample(weights, visible_bias, hidden_bias, np.zeros((2, 5)), 7, seed=3)
    np.testing.assert_array_equal(many[0][0][:2], few)


def test_block_gibbs_sample_rejects_bad_input():
    weights, visible_bias, hidden_bias = random_model(2, 3)
    with pytest.raises(ValueError, match=r"initial_visible must have shape \(n_chains, 3\)"):
        block_gibbs_sample(weights, visible_bias, hidden_bias, np.zeros((2, 4)), 1)
    with pytest.raises(ValueError, match="initial_visible must hold only -1 and 1"):
        block_gibbs_sample(weights, visible_bias, hidden_bias, np.zeros((2, 3)), 1, spins=True)
    with pytest.raises(ValueError, match="n_steps must be >= 1"):
        block_gibbs_sample(weights, visible_bias, hidden_bias, np.zeros((2, 3)), 0)
    with pytest.raises(ValueError, match="hidden_bias must have shape"):
        block_gibbs_sample(weights, visible_bias, visible_bias, np.zeros((2, 3)), 1)


def reference_epoch(weights, vb, hb, velocities, data, order, batch_size, k, flags, chains, hyper, states):
    """The CD-k/PCD-k epoch written plainly, drawing the same random numbers in the same order."""
    lr, momentum, decay = hyper
    persistent, gaussian = flags
    sigmoid = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    vw, vvb, vhb = velocities
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        pos_v = data[rows]
        pos_h = sigmoid(pos_v @ weights.T + hb)
        neg_v = np.empty_like(pos_v)
        neg_h = np.empty_like(pos_h)
        for slot in range(len(rows)):
            if persistent:
                h = chains[slot].copy()
            else:
                h = np.array([1.0 if next_double(states, slot) < p else 0.0 for p in pos_h[slot]])
            for _ in range(k):
                mean = h @ weights + vb
                if gaussian:
                    neg_v[slot] = [m + next_normal(states, slot) for m in mean]
                else:
                    neg_v[slot] = [1.0 if next_double(states, slot) < p else 0.0 for p in sigmoid(mean)]
                neg_h[slot] = sigmoid(weights @ neg_v[slot] + hb)
                h = np.array([1.0 if next_double(states, slot) < p else 0.0 for p in neg_h[slot]])
            if persistent:
                chains[slot] = h
        m = len(rows)
        grad_w = (pos_h.T @ pos_v - neg_h.T @ neg_v) / m - decay * weights
        vw[:] = momentum * vw + lr * grad_w
        vvb[:] = momentum * vvb + lr * (pos_v - neg_v).sum(0) / m
        vhb[:] = momentum * vhb + lr * (pos_h - neg_h).sum(0) / m
        weights += vw
        vb += vvb
        hb += vhb


def kernel_epoch(dtype):
    """``contrastive_divergence_epoch`` in ``dtype`` on W^T, with ``reference_epoch``'s arguments (updated in place)."""

    def run(weights, vb, hb, velocities, data, order, batch_size, k, flags, chains, hyper, states):
        arrays = [weights.T, vb, hb, velocities[0].T, velocities[1], velocities[2], chains]
        weights_t, vb_, hb_, velocity_t, velocity_b, velocity_c, chains_ = (
            np.ascontiguousarray(a, dtype=dtype) for a in arrays
        )
        kernels.contrastive_divergence_epoch(
            weights_t,
            vb_,
            hb_,
            (velocity_t, velocity_b, velocity_c),
            np.ascontiguousarray(data, dtype=dtype),
            order,
            batch_size,
            k,
            flags,
            chains_,
            hyper.astype(dtype),
            states,
        )
        for target, result in zip(arrays, (weights_t, vb_, hb_, velocity_t, velocity_b, velocity_c, chains_)):
            target[...] = result

    return run


@pytest.mark.parametrize(
    ("dtype", "tolerance"),
    [(np.float64, dict(rtol=1e-10, atol=1e-12)), (np.float32, dict(rtol=2e-5, atol=2e-6))],
)
def test_contrastive_divergence_epoch_matches_reference(dtype, tolerance):
    """The fused epoch (float64, and the float32 that ``RBM.fit`` runs) against the plain NumPy update in float64,
    with the same random numbers: equal up to summation order (float64) or float32 rounding."""
    data = (np.random.default_rng(0).random((7, 5)) < 0.4).astype(float)
    data[2] = np.random.default_rng(3).random(5)  # a row of probabilities, as BernoulliRBM accepts
    order = np.random.default_rng(1).permutation(7).astype(np.int64)
    for hyper in (np.array([0.3, 0.5, 0.01]), np.array([0.1, 0.0, 0.0])):  # with momentum and decay; sklearn's
        for persistent, k, gaussian in ((False, 1, False), (False, 3, False), (True, 2, False), (True, 2, True)):
            outputs = []
            for runner in (kernel_epoch(dtype), reference_epoch):
                weights, vb, hb = random_model(3, 5, scale=0.5, seed=2)
                velocities = (np.full_like(weights, 0.01), np.zeros(5), np.zeros(3))
                chains = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
                states = make_streams(5, 3)
                for _ in range(2):  # two epochs: momentum and persistent chains carry over
                    flags = (persistent, gaussian)
                    runner(weights, vb, hb, velocities, data, order, 3, k, flags, chains, hyper, states)
                outputs.append((weights, vb, hb, chains, *velocities, states))
            for ours, reference in zip(*outputs):
                np.testing.assert_allclose(ours, reference, **tolerance)


def test_fast_sigmoid_is_the_logistic_function_to_1e_13():
    x = np.linspace(-700.0, 700.0, 20_001)
    p = np.array([kernels.fast_sigmoid(value) for value in x])
    np.testing.assert_allclose(p, 1.0 / (1.0 + np.exp(-x)), rtol=1e-13, atol=0)
    # u < p (u on a 2^-53 grid) is true with probability p to within its absolute error: 2e-15, beyond the clamp too
    wide = np.linspace(-760.0, 760.0, 20_001)
    with np.errstate(over="ignore"):
        exact = 1.0 / (1.0 + np.exp(-wide))
    assert np.abs(np.array([kernels.fast_sigmoid(value) for value in wide]) - exact).max() < 2e-15
    assert kernels.fast_sigmoid(0.0) == 0.5 and kernels.fast_sigmoid(1000.0) == 1.0


def test_enumerated_log_sum_exp_in_blocks_matches_direct_sum():
    rng = np.random.default_rng(4)
    couplings = rng.normal(0, 0.3, (12, 3))
    enumerated_bias = rng.normal(0, 0.3, 12)
    other_bias = rng.normal(0, 0.3, 3)
    states = np.array(list(itertools.product((0.0, 1.0), repeat=12)))
    terms = states @ enumerated_bias + np.logaddexp(0.0, states @ couplings + other_bias).sum(axis=1)
    expected = np.logaddexp.reduce(terms)
    for n_blocks in (1, 4, 64):
        maxima, sums = np.empty(n_blocks), np.empty(n_blocks)
        kernels.enumerated_log_sum_exp(couplings, enumerated_bias, other_bias, n_blocks, maxima, sums)
        np.testing.assert_allclose(np.logaddexp.reduce(maxima + np.log(sums)), expected, rtol=0, atol=1e-10)


def test_gaussian_visible_samples_have_the_exact_mixture_moments():
    """With Gaussian visible units p(v) = sum_h p(h) N(b + W^T h, I), p(h) ∝ exp(c^T h + ||b + W^T h||^2 / 2)."""
    weights, visible_bias, hidden_bias = random_model(3, 2, scale=0.6, seed=7)
    hs = np.array(list(itertools.product((0.0, 1.0), repeat=3)))
    means = visible_bias + hs @ weights
    log_p = hs @ hidden_bias + 0.5 * np.sum(means**2, axis=1)
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    mean = p @ means
    covariance = np.eye(2) + (means * p[:, None]).T @ means - np.outer(mean, mean)
    n_chains = 20000
    visible, hidden = block_gibbs_sample(
        weights, visible_bias, hidden_bias, np.zeros((n_chains, 2)), 20, gaussian_visible=True, seed=2
    )
    assert set(np.unique(hidden)) <= {0.0, 1.0}
    np.testing.assert_allclose(visible.mean(axis=0), mean, atol=0.05)
    np.testing.assert_allclose(np.cov(visible.T), covariance, atol=0.06)
