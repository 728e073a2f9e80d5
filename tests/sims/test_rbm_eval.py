"""Free energy, exact log Z and AIS against brute-force enumeration over all joint states."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from boltzgym.sims import rbm_eval


def random_model(n_hidden: int, n_visible: int, scale: float, seed: int):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(0.0, scale, (n_hidden, n_visible)),
        rng.normal(0.0, scale, n_visible),
        rng.normal(0.0, scale, n_hidden),
    )


def joint_log_weights(weights, visible_bias, hidden_bias):
    """-E(v, h) for all joint states: rows over h, columns over v."""
    n_hidden, n_visible = weights.shape
    vs = np.array(list(itertools.product((0.0, 1.0), repeat=n_visible)))
    hs = np.array(list(itertools.product((0.0, 1.0), repeat=n_hidden)))
    return vs, hs @ weights @ vs.T + (vs @ visible_bias)[None, :] + (hs @ hidden_bias)[:, None]


@pytest.mark.parametrize("shape", [(3, 5), (6, 2), (4, 4), (1, 7)])
def test_exact_log_partition_equals_brute_force(shape):
    params = random_model(*shape, scale=1.5, seed=sum(shape))
    _, log_weights = joint_log_weights(*params)
    expected = np.logaddexp.reduce(log_weights.ravel())
    assert rbm_eval.log_partition_exact(*params) == pytest.approx(expected, abs=1e-10)


def test_exact_log_partition_kernel_path_equals_direct_enumeration():
    """A 13-unit smaller layer takes the blocked Gray-code kernel; compare with a direct sum over its states."""
    weights, visible_bias, hidden_bias = random_model(13, 20, scale=0.3, seed=9)
    hs = ((np.arange(2**13)[:, None] >> np.arange(13)) & 1).astype(float)
    terms = hs @ hidden_bias + np.logaddexp(0.0, hs @ weights + visible_bias).sum(axis=1)
    expected = np.logaddexp.reduce(terms)
    assert rbm_eval.log_partition_exact(weights, visible_bias, hidden_bias) == pytest.approx(expected, abs=1e-9)
    transposed = rbm_eval.log_partition_exact(weights.T, hidden_bias, visible_bias)  # enumerates the other layer
    assert transposed == pytest.approx(expected, abs=1e-9)


def test_free_energy_identity():
    """exp(-F(v)) = sum_h exp(-E(v, h)), and so sum_v exp(-F(v)) = Z."""
    params = random_model(4, 5, scale=1.0, seed=3)
    vs, log_weights = joint_log_weights(*params)
    free = rbm_eval.free_energy(*params, vs)
    np.testing.assert_allclose(-free, np.logaddexp.reduce(log_weights, axis=0), atol=1e-12)
    assert np.logaddexp.reduce(-free) == pytest.approx(rbm_eval.log_partition_exact(*params), abs=1e-10)


def test_exact_log_partition_refuses_large_layers_and_points_to_ais():
    params = random_model(30, 30, scale=0.1, seed=0)
    with pytest.raises(ValueError, match="method='ais'"):
        rbm_eval.log_partition_exact(*params)
    with pytest.raises(ValueError, match="visible_bias must have shape"):
        rbm_eval.log_partition_exact(params[0], params[1][:-1], params[2])


def test_ais_agrees_with_exact_within_its_error_bar():
    params = random_model(10, 14, scale=0.6, seed=5)
    exact = rbm_eval.log_partition_exact(*params)
    estimate, error = rbm_eval.log_partition_ais(*params, n_chains=200, n_betas=2000, random_state=0)
    assert 0 < error < 0.1
    assert abs(estimate - exact) < 3 * error + 0.01, (estimate, error, exact)


def test_ais_is_seeded_and_betas_are_a_path_from_0_to_1():
    params = random_model(3, 4, scale=0.5, seed=6)
    first = rbm_eval.log_partition_ais(*params, n_chains=8, n_betas=50, random_state=7)
    assert first == rbm_eval.log_partition_ais(*params, n_chains=8, n_betas=50, random_state=7)
    assert first != rbm_eval.log_partition_ais(*params, n_chains=8, n_betas=50, random_state=8)
    betas = rbm_eval.ais_betas(1001)
    assert betas.shape == (1001,) and betas[0] == 0.0 and betas[-1] == 1.0
    assert np.all(np.diff(betas) > 0)
    with pytest.raises(ValueError, match="n_chains"):
        rbm_eval.log_partition_ais(*params, n_chains=1)


def test_check_binary_names_the_argument_and_the_value():
    with pytest.raises(ValueError, match=r"X must be binary .* 0\.5"):
        rbm_eval.check_binary("X", [[0, 0.5]])
    with pytest.raises(ValueError, match="X must have 3 features"):
        rbm_eval.check_binary("X", [[0, 1]], n_features=3)


def test_ais_does_not_depend_on_the_thread_count():
    import numba

    params = random_model(3, 5, scale=0.5, seed=8)
    default = rbm_eval.log_partition_ais(*params, n_chains=6, n_betas=40, random_state=3)
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        single = rbm_eval.log_partition_ais(*params, n_chains=6, n_betas=40, random_state=3)
    finally:
        numba.set_num_threads(previous)
    assert single == default


def unnormalized_gaussian_density(params, *v) -> float:
    """exp(-F(v)) of a Gaussian-visible RBM at the point v."""
    return float(np.exp(-rbm_eval.free_energy(*params, np.array([v]), gaussian_visible=True)[0]))


def test_gaussian_visible_log_partition_equals_numerical_integral_of_exp_minus_free_energy():
    from scipy import integrate

    params = random_model(3, 1, scale=0.7, seed=11)
    integral, _ = integrate.quad(lambda x: unnormalized_gaussian_density(params, x), -30, 30, epsabs=1e-12)
    assert rbm_eval.log_partition_exact_gaussian(*params) == pytest.approx(np.log(integral), abs=1e-6)
    params = random_model(3, 2, scale=0.7, seed=12)
    integral, _ = integrate.dblquad(
        lambda y, x: unnormalized_gaussian_density(params, x, y), -20, 20, -20, 20, epsabs=1e-10
    )
    assert rbm_eval.log_partition_exact_gaussian(*params) == pytest.approx(np.log(integral), abs=1e-6)
    with pytest.raises(ValueError, match="enumerates the hidden layer"):
        rbm_eval.log_partition_exact_gaussian(*random_model(30, 2, scale=0.1, seed=0))


def test_gaussian_visible_log_partition_chunks_agree_with_one_pass():
    """16 hidden units are enumerated in 4 chunks of 2^14; compare with one pass over all 2^16 states."""
    weights, visible_bias, hidden_bias = random_model(16, 3, scale=0.3, seed=13)
    hs = ((np.arange(2**16)[:, None] >> np.arange(16)) & 1).astype(float)
    means = visible_bias + hs @ weights
    terms = hs @ hidden_bias + 0.5 * (np.sum(means**2, axis=1) - visible_bias @ visible_bias)
    expected = 1.5 * np.log(2 * np.pi) + np.logaddexp.reduce(terms)
    assert rbm_eval.log_partition_exact_gaussian(weights, visible_bias, hidden_bias) == pytest.approx(expected)
