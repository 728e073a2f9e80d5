"""The GAN extensions of notes 5.2 (cGAN, LapGAN, BiGAN, CycleGAN), their digits metrics and ``boltzgym fit``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from boltzgym.experiments import EXPERIMENTS
from boltzgym.models.datasets import Dataset
from boltzgym.models.generative.digits import BiGANConfig, CycleGANConfig, domain_transform, train_cgan, train_cyclegan
from boltzgym.models.generative.gan_extensions import (
    BiGAN,
    ConditionalGAN,
    CycleGAN,
    LapGAN,
    cycle_consistency_loss,
    downsample,
    upsample,
)
from boltzgym.models.generative.metrics import conditional_accuracy, linear_probe_accuracy, train_digits_classifier
from boltzgym.models.registry import make_config, model_entry


def blobs(n: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three classes of 4x4 images: a bright row 0, column 0 or the diagonal, plus small noise, in [0, 1]."""
    rng = np.random.default_rng(seed)
    prototypes = np.zeros((3, 4, 4), dtype=np.float32)
    prototypes[0, 0, :] = prototypes[1, :, 0] = 1.0
    prototypes[2][np.eye(4, dtype=bool)] = 1.0
    y = rng.integers(3, size=n)
    x = np.clip(prototypes[y].reshape(n, 16) + 0.1 * rng.random((n, 16)), 0, 1).astype(np.float32)
    return x, y


def test_shapes_of_samples_encodings_and_translations():
    cgan = ConditionalGAN(16, 3, latent_size=4, generator_sizes=(16,), discriminator_sizes=(16,))
    assert cgan.sample([0, 1, 2, 2], seed=0).shape == (4, 16)
    lapgan = LapGAN(4, latent_size=4, hidden_sizes=(16,))
    images, coarse = lapgan.sample(5, seed=0, return_coarse=True)
    assert images.shape == (5, 16) and coarse.shape == (5, 4) and 0 <= images.min() and images.max() <= 1
    bigan = BiGAN(16, latent_size=3, hidden_sizes=(16,))
    x, _ = blobs(6)
    assert bigan.encode(x).shape == (6, 3) and bigan.sample(2).shape == (2, 16)
    assert bigan.reconstruct(x).shape == x.shape
    cycle = CycleGAN(16, 9, hidden_sizes=(16,))
    assert cycle.translate(x, "ab").shape == (6, 9) and cycle.translate(np.zeros((2, 9)), "ba").shape == (2, 16)


def test_pyramid_levels_invert_on_blocky_images():
    coarse = torch.rand(3, 16)
    assert torch.allclose(downsample(upsample(coarse, 8), 8), coarse)  # down(up(c)) = c: the residual carries the rest
    images = torch.rand(3, 64)
    residual = images - upsample(downsample(images, 8), 8)
    assert torch.allclose(downsample(residual, 8), torch.zeros(3, 16), atol=1e-6)  # band-pass: no coarse content


def test_cgan_label_conditioning_changes_the_output():
    cgan = ConditionalGAN(16, 3, latent_size=4, generator_sizes=(16,), discriminator_sizes=(16,), seed=1)
    z = torch.randn(1, 4).repeat(3, 1)
    images = cgan.generate(z, [0, 1, 2])
    assert not torch.allclose(images[0], images[1]) and not torch.allclose(images[1], images[2])
    assert torch.allclose(cgan.generate(z[:1], [1]), images[1:2])  # same noise and label, same image


def test_cycle_consistency_loss_is_zero_for_identity_generators_and_exact_otherwise():
    a, b = torch.rand(5, 16), torch.rand(5, 16)
    assert cycle_consistency_loss(a, b, nn.Identity(), nn.Identity()).item() == 0.0
    model = CycleGAN(16, hidden_sizes=(8,))
    assert model.cycle_loss(a, b).item() == pytest.approx(0.0, abs=1e-7)  # residual generators start at the identity
    halve, double = (lambda x: 0.5 * x), (lambda x: 2.0 * x)
    assert cycle_consistency_loss(a, b, halve, double).item() == pytest.approx(0.0, abs=1e-7)  # inverse pair
    shift = lambda x: x + 0.25  # noqa: E731
    assert cycle_consistency_loss(a, b, shift, shift).item() == pytest.approx(1.0)  # 0.5 off in each direction


def test_bad_input_names_the_argument():
    cgan = ConditionalGAN(16, 3, latent_size=4, generator_sizes=(8,), discriminator_sizes=(8,))
    with pytest.raises(ValueError, match="labels must lie in"):
        cgan.sample([0, 3])
    with pytest.raises(ValueError, match="labels must lie in"):
        cgan.sample([-1])
    with pytest.raises(ValueError, match="y must lie in"):
        cgan.fit(np.zeros((4, 16)), [0, 1, 2, 5], epochs=1)
    for model in (ConditionalGAN, BiGAN):
        with pytest.raises(ValueError, match="latent_size"):
            model(16, latent_size=0)
    with pytest.raises(ValueError, match="latent_size"):
        LapGAN(8, latent_size=-2)
    with pytest.raises(ValueError, match="latent_size"):
        BiGANConfig(latent_size=0)  # a config checks its keys when made
    with pytest.raises(TypeError, match="latent_size"):
        CycleGANConfig(latent_size=0)  # the CycleGAN has no noise: no latent_size key (it was accepted and ignored)
    cycle = CycleGAN(16, hidden_sizes=(8,))
    with pytest.raises(ValueError, match="X_b must have shape"):
        cycle.fit(np.zeros((4, 16)), np.zeros((4, 9)), epochs=1)
    with pytest.raises(ValueError, match="X_a and X_b"):
        cycle.fit(np.zeros((4, 16)), np.zeros((3, 16)), epochs=1)
    with pytest.raises(ValueError, match="identity_weight"):
        CycleGAN(16, 9, identity_weight=1.0)
    with pytest.raises(ValueError, match=r"X must hold pixel values in \[0, 1\]"):
        BiGAN(16, 2, (8,)).fit(np.full((4, 16), 2.0), epochs=1)
    with pytest.raises(ValueError, match="side must be even"):
        LapGAN(5)
    with pytest.raises(ValueError, match="domain"):
        domain_transform(np.zeros((1, 16)), 4, "mirror")


@pytest.mark.parametrize("name", ["cgan", "lapgan", "bigan", "cyclegan"])
def test_a_few_steps_lower_the_discriminator_loss(name):
    x, y = blobs(128)
    models = {
        "cgan": lambda: ConditionalGAN(16, 3, 4, (32,), (32,), dropout=0.0, ema_decay=0.0, learning_rate=2e-3),
        "lapgan": lambda: LapGAN(4, 4, (32,), learning_rate=2e-3),
        "bigan": lambda: BiGAN(16, 4, (32,), dropout=0.0, learning_rate=2e-3),
        "cyclegan": lambda: CycleGAN(16, hidden_sizes=(32,), dropout=0.0, learning_rate=2e-3),
    }
    model = models[name]()
    arrays = {"cgan": (x, y), "cyclegan": (x, domain_transform(x, 4, "transpose")[::-1])}.get(name, (x,))
    model.fit(*arrays, epochs=6, batch_size=32, seed=0)
    history = model.history_.history
    key = "losses/d0_loss" if name == "lapgan" else "losses/d_loss"
    assert history[-1][key] < history[0][key]  # the discriminator learns to tell real from (early) fakes
    assert all(np.isfinite(row["train_loss"]) for row in history)


def test_cycle_loss_falls_under_training():
    x, _ = blobs(128)
    model = CycleGAN(16, 16, hidden_sizes=(32,), identity_weight=0.0, learning_rate=2e-3, seed=0)
    model.fit(x, domain_transform(x, 4, "invert")[::-1], epochs=8, batch_size=32, seed=0)
    cycle = [row["losses/cycle_loss"] for row in model.history_.history]
    assert cycle[-1] < 0.1 and np.isfinite(cycle).all()


def test_digits_classifier_metrics_and_probe():
    x, y = blobs(150)
    classifier = train_digits_classifier(x[:100], y[:100], seed=0, epochs=20, hidden_sizes=(16,))
    assert conditional_accuracy(classifier, x[100:], y[100:]) == 1.0
    assert conditional_accuracy(classifier, x[100:], (y[100:] + 1) % 3) == 0.0
    assert train_digits_classifier(x[:100], y[:100], seed=0, epochs=20, hidden_sizes=(16,)) is classifier  # cached
    noise = np.random.default_rng(0).random((150, 4))
    assert linear_probe_accuracy(x[:100], y[:100], x[100:], y[100:]) == 1.0
    assert linear_probe_accuracy(noise[:100], y[:100], noise[100:], y[100:]) < 0.7


def tiny_digits(seed: int = 0) -> Dataset:
    x, y = blobs(90, seed)
    return Dataset("tiny", "classification", x[:60], y[:60], x[60:], y[60:], n_classes=3)


def test_fit_cgan_and_cyclegan_report_their_keys(tmp_path):
    config = make_config("cgan", ["epochs=2", "hidden_sizes=16", "latent_size=4"])
    summary = train_cgan(config, tiny_digits(), seed=0, run_dir=tmp_path / "cgan")
    assert 0.0 <= summary["conditional_accuracy"] <= 1.0 and summary["frechet_distance"] >= 0
    assert (tmp_path / "cgan" / "samples.png").stat().st_size > 0
    config = make_config("cyclegan", ["epochs=2", "hidden_sizes=16", "domain=transpose"])
    summary = train_cyclegan(config, tiny_digits(), seed=0, run_dir=tmp_path / "cyclegan")
    assert summary["class_retention"] == pytest.approx(
        0.5 * (summary["class_retention_ab"] + summary["class_retention_ba"])
    )
    unlabelled = Dataset("tiny", "binary", tiny_digits().x_train, None, tiny_digits().x_test, None)
    with pytest.raises(ValueError, match="no labels"):
        train_cgan(config, unlabelled)
    for name in ("cgan", "lapgan", "bigan", "cyclegan"):
        assert model_entry(name).data == "digits"
    assert "generative-digits" in EXPERIMENTS
