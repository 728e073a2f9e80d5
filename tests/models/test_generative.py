"""Tests of the generative models (notes 5.1-5.2): autoencoders, VAE, GAN losses and fixes, mode coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import torch

from boltzgym.models.generative.autoencoder import DeepAutoencoder, TiedAutoencoder, autoencoder_loss
from boltzgym.models.generative.gan import GAN, MinibatchDiscrimination, discriminator_loss, generator_loss
from boltzgym.models.generative.metrics import (
    frechet_distance,
    mixture_coverage,
    mixture_modes,
    mode_coverage,
    sample_mixture,
)
from boltzgym.models.generative.vae import VAE, vae_loss
from boltzgym.models.training import fit


def spectral_gap_data(seed: int = 0, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """10-D data whose covariance has 3 large and 7 small eigenvalues, and its true top-3 subspace."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((10, 10)))
    scales = np.array([3.0, 2.5, 2.0] + [0.1] * 7)
    x = (rng.standard_normal((n, 10)) * scales) @ basis.T + 1.0
    return x.astype(np.float32), basis[:, :3]


def test_linear_tied_autoencoder_spans_the_pca_subspace():
    x, _ = spectral_gap_data()
    model = TiedAutoencoder(10, 3, activation=None, seed=0)
    fit(model, (x,), loss=autoencoder_loss, optimizer="adam", learning_rate=0.03, epochs=60, batch_size=200, seed=0)
    centred = x - x.mean(axis=0)
    pca_basis = np.linalg.svd(centred, full_matrices=False)[2][:3].T
    angles = np.degrees(scipy.linalg.subspace_angles(model.weight.detach().numpy().T, pca_basis))
    assert angles.max() < 3.0, angles


def test_deep_autoencoder_beats_pca_on_a_curved_manifold():
    rng = np.random.default_rng(1)
    t = rng.uniform(-np.pi, np.pi, 400)
    x = np.stack([np.cos(t), np.sin(t), np.cos(2 * t)], axis=1).astype(np.float32)  # a closed curve in 3-D
    pca = np.linalg.svd(x - x.mean(0), full_matrices=False)
    pca_error = float((pca[1][1:] ** 2).sum() / len(x))  # one component kept
    model = DeepAutoencoder(3, 1, hidden_sizes=(64, 64), activation="tanh")
    fit(model, (x,), loss=autoencoder_loss, optimizer="adam", learning_rate=5e-3, epochs=50, batch_size=50, seed=0)
    with torch.no_grad():
        error = float(((model(torch.from_numpy(x)) - torch.from_numpy(x)) ** 2).sum(1).mean())
    assert error < 0.5 * pca_error


def test_denoising_autoencoder_corrupts_only_in_training():
    model = TiedAutoencoder(4, 2, noise=0.5)
    x = torch.ones(8, 4)
    model.eval()
    assert model.loss(x) == model.loss(x)
    model.train()
    torch.manual_seed(0)
    assert model.loss(x) != model.loss(x)


def linear_gaussian_vae() -> VAE:
    """A 2-D linear-Gaussian VAE; its marginal p(x) = N(c, W W^T + s^2 I) is exact."""
    torch.manual_seed(0)
    return VAE(2, latent_size=1, hidden_sizes=(), decoder="gaussian")


def exact_linear_gaussian_log_density(model: VAE, x: torch.Tensor) -> torch.Tensor:
    (linear,) = [m for m in model.decoder.modules() if isinstance(m, torch.nn.Linear)]
    cov = linear.weight @ linear.weight.T + torch.exp(2 * model.log_std) * torch.eye(2)
    return torch.distributions.MultivariateNormal(linear.bias, cov).log_prob(x)


def test_iwae_bound_is_below_the_exact_marginal_above_the_elbo_and_converges():
    model = linear_gaussian_vae()
    x = torch.tensor([[0.3, -0.5], [1.0, 0.2], [-0.4, 0.8]])
    with torch.no_grad():
        exact = exact_linear_gaussian_log_density(model, x)
    torch.manual_seed(1)
    elbo = torch.stack([model.elbo(x) for _ in range(2000)]).mean(0)
    repeats = {1: 300, 10: 300, 1000: 40}  # the K = 1000 bound varies little between draws
    bounds = {k: torch.stack([model.log_likelihood(x, k) for _ in range(r)]).mean(0) for k, r in repeats.items()}
    assert torch.allclose(bounds[1], elbo, atol=0.05)  # IWAE with K = 1 is the ELBO
    assert torch.all(bounds[1] < bounds[10]) and torch.all(bounds[10] < bounds[1000])
    assert torch.all(bounds[1000] <= exact + 1e-3)
    big = model.log_likelihood(x, 20000)
    assert torch.allclose(big, exact, atol=0.02), (big, exact)


def test_vae_trains_on_binary_data_and_its_elbo_rises():
    rng = np.random.default_rng(0)
    prototypes = rng.random((4, 16)) < 0.5
    x = (prototypes[rng.integers(4, size=400)] ^ (rng.random((400, 16)) < 0.05)).astype(np.float32)
    model = VAE(16, latent_size=2, hidden_sizes=(32,))
    before = float(model.elbo(x).mean())
    result = fit(model, (x,), loss=vae_loss, optimizer="adam", learning_rate=3e-3, epochs=30, batch_size=50, seed=0)
    after = float(model.elbo(x).mean())
    assert after > before + 3.0
    assert {"losses/reconstruction", "losses/kl"} <= set(result.history[-1]) or "reconstruction" in str(
        result.history[-1]
    )
    assert model.sample(5).shape == (5, 16)


def test_vae_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="latent_size"):
        VAE(4, latent_size=0)
    with pytest.raises(ValueError, match="decoder"):
        VAE(4, decoder="poisson")
    model = VAE(4, latent_size=2)
    with pytest.raises(ValueError, match="binary"):
        model.elbo(np.full((2, 4), 0.5))
    with pytest.raises(ValueError, match="x must have shape"):
        model.log_likelihood(np.zeros((2, 3)), 10)


def test_mode_coverage_of_true_samples_and_of_a_collapsed_generator():
    for name, n_modes in (("ring-8", 8), ("grid-25", 25)):
        result = mixture_coverage(name, sample_mixture(name, 2500, seed=3))
        assert result["modes_covered"] == n_modes == result["n_modes"]
        assert 0.985 <= result["high_quality_fraction"] <= 0.995  # chi(2) within 3 sigma: 1 - exp(-4.5) = 0.989
        modes, sigma = mixture_modes(name)
        collapsed = modes[2] + sigma * np.random.default_rng(0).standard_normal((2500, 2))
        assert mode_coverage(collapsed, modes, sigma)["modes_covered"] == 1
    far = np.full((10, 2), 100.0)
    assert mixture_coverage("ring-8", far) == {"modes_covered": 0, "n_modes": 8, "high_quality_fraction": 0.0}
    with pytest.raises(ValueError, match="mixture"):
        mixture_modes("ring-9")
    with pytest.raises(ValueError, match="modes"):
        mode_coverage(np.zeros((3, 2)), np.zeros((4, 3)), 0.1)


def test_frechet_distance_matches_the_gaussian_formula():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((20000, 2))
    b = rng.standard_normal((20000, 2)) * 2.0 + np.array([1.0, 0.0])
    # N(0, I) vs N((1, 0), 4 I): 1 + tr(I + 4I - 2 * 2I) = 1 + 2
    assert frechet_distance(a, b) == pytest.approx(3.0, abs=0.1)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_non_saturating_loss_keeps_its_gradient_where_minimax_vanishes():
    logits = torch.tensor([-8.0, -10.0], requires_grad=True)  # D(G(z)) ~ 3e-4: an over-confident discriminator
    (minimax,) = torch.autograd.grad(generator_loss(logits, "minimax"), logits)
    (saturating_free,) = torch.autograd.grad(generator_loss(logits, "non-saturating"), logits)
    assert minimax.abs().max() < 2e-4  # -sigmoid(l) / n
    assert torch.allclose(saturating_free, -(1 - torch.sigmoid(logits.detach())) / 2)
    with pytest.raises(ValueError, match="generator_loss"):
        generator_loss(logits, "wasserstein")


def test_one_sided_label_smoothing_moves_only_the_real_targets():
    real, fake = torch.tensor([2.0, 3.0]), torch.tensor([-1.0, 0.5])
    smoothed = discriminator_loss(real, fake, label_smoothing=0.1)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    expected = bce(real, torch.full((2,), 0.9)) + bce(fake, torch.zeros(2))
    assert torch.allclose(smoothed, expected)
    # the optimum real logit under smoothing is logit(0.9), not +inf: no over-confidence
    r = torch.tensor([math.log(9.0)], requires_grad=True)
    (grad,) = torch.autograd.grad(discriminator_loss(r, torch.tensor([-50.0]), 0.1), r)
    assert grad.abs().item() < 1e-6
    with pytest.raises(ValueError, match="label_smoothing"):
        discriminator_loss(real, fake, label_smoothing=1.5)


def test_minibatch_discrimination_and_packing_see_batch_diversity():
    layer = MinibatchDiscrimination(3, n_kernels=4, kernel_size=2)
    identical = layer(torch.ones(5, 3))[:, 3:]
    diverse = layer(torch.randn(5, 3) * 10)[:, 3:]
    assert torch.allclose(identical, torch.full_like(identical, 4.0))  # exp(0) from each of the 4 others
    assert diverse.max() < identical.min()
    gan = GAN(pack=4)
    assert gan.discriminator(torch.zeros(10, 2)).shape == (2,)  # 10 samples -> 2 packs of 4 (remainder dropped)


def test_gan_fix_options_and_bad_input():
    gan = GAN(seed=0, clip_grad_norm=1e-3, averaging="ema", ema_decay=0.5)
    # clipping: one plain SGD step (lr 1) on a huge loss moves the parameters by exactly the clip norm
    before = torch.cat([p.detach().flatten() for p in gan.generator.parameters()])
    huge = 1e6 * gan.generate(torch.randn(16, 8)).pow(2).sum()
    gan._update(huge, "generator", torch.optim.SGD(gan.generator.parameters(), lr=1.0))
    after = torch.cat([p.detach().flatten() for p in gan.generator.parameters()])
    assert (after - before).norm().item() == pytest.approx(1e-3, rel=1e-3)
    x = sample_mixture("ring-8", 64, seed=0)
    gan.fit(x, epochs=2, batch_size=32)
    averaged = [p.detach() for p in gan.averaged_generator.module.parameters()]
    assert any(not torch.equal(a, p) for a, p in zip(averaged, gan.generator.parameters()))
    assert gan.sample(7, seed=1).shape == (7, 2)
    assert np.array_equal(gan.sample(7, seed=1), gan.sample(7, seed=1))
    with pytest.raises(ValueError, match="latent_size"):
        GAN(latent_size=0)
    with pytest.raises(ValueError, match="averaging"):
        GAN(averaging="swa")
    with pytest.raises(ValueError, match="X must have shape"):
        gan.fit(np.zeros((10, 3)))
