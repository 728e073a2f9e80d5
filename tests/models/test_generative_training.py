"""``boltzgym fit vae|gan|ae`` train functions on tiny data: summary keys, samples.png, registry entries."""

from __future__ import annotations

import numpy as np
import pytest

from boltzgym.models.datasets import Dataset, load_dataset
from boltzgym.models.generative.trainers import AEConfig, GANConfig, VAEConfig, train_ae, train_gan, train_vae
from boltzgym.models.registry import make_config, model_entry


def tiny_binary() -> Dataset:
    rng = np.random.default_rng(0)
    x = (rng.random((60, 16)) < 0.3).astype(np.float32)
    return Dataset("tiny", "binary", x[:40], None, x[40:], None)


def test_train_vae_reports_elbo_and_iwae_and_writes_samples(tmp_path):
    summary = train_vae(VAEConfig(epochs=2, n_importance_samples=50), tiny_binary(), seed=0, run_dir=tmp_path)
    assert summary["test_log_likelihood"] >= summary["test_elbo"] - 0.5  # the IWAE bound is (nearly) above the ELBO
    assert summary["test_loss"] == pytest.approx(-summary["test_elbo"])
    assert (tmp_path / "samples.png").stat().st_size > 0 and summary["epochs"] == 2


def test_train_gan_on_ring8_reports_mode_coverage(tmp_path):
    data = load_dataset("ring-8")
    small = Dataset("ring-8", "points", data.x_train[:512], None, data.x_test, None, metadata=data.metadata)
    summary = train_gan(GANConfig(epochs=1), small, seed=0, run_dir=tmp_path)
    assert summary["n_modes"] == 8 and 0 <= summary["modes_covered"] <= 8
    assert 0.0 <= summary["high_quality_fraction"] <= 1.0 and summary["train_loss"] is not None
    assert (tmp_path / "samples.png").exists()


def test_train_ae_and_registry_entries(tmp_path):
    summary = train_ae(AEConfig(epochs=2, n_components=4), tiny_binary(), seed=0, run_dir=tmp_path)
    assert summary["test_loss"] > 0 and (tmp_path / "samples.png").exists()
    assert model_entry("vae").data == "binary-digits" and model_entry("gan").data == "ring-8"
    assert make_config("gan", ["pack=4", "averaging=none"]).pack == 4
    with pytest.raises(ValueError, match="latent_size"):
        make_config("vae", ["latent_size=0"])
