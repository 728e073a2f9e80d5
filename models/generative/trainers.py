"""``boltzgym fit ae|vae|gan``: configs and train functions of the generative models (see models/registry.py).

Each ``train_*`` builds its model from the config, trains it through ``boltzgym.models.training.fit``, writes
``samples.png`` into the run folder (an image grid for 8x8 digits, a scatter with the modes for 2-D mixtures) and
returns the registry's summary keys plus its own: ``test_elbo``/``test_log_likelihood`` (vae, nats per sample) and
``modes_covered``/``n_modes``/``high_quality_fraction`` (gan on ``ring-8``/``grid-25``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from boltzgym.models.config import (
    TrainSettings,
    fit_arguments,
    fit_defaults,
    honours_device,
    model_config,
    model_kwargs,
    seeded,
)
from boltzgym.models.datasets import Dataset
from boltzgym.models.generative.autoencoder import DeepAutoencoder, TiedAutoencoder, autoencoder_loss
from boltzgym.models.generative.gan import GAN, check_latent_size
from boltzgym.models.generative.vae import VAE, vae_loss
from boltzgym.models.supervised.trainers import fit_summary
from boltzgym.models.training import fit
from boltzgym.utils.validation import check_int


@dataclass
class LikelihoodSettings:
    """The trainer-only key of ``boltzgym fit vae``."""

    n_importance_samples: int = 500  # IWAE samples for test_log_likelihood

    def check(self) -> None:
        self.n_importance_samples = check_int("n_importance_samples", self.n_importance_samples, minimum=1)
        self.latent_size = check_latent_size(self.latent_size)


@dataclass
class AutoencoderSettings:
    """The key of ``boltzgym fit ae`` that picks the architecture."""

    hidden_sizes: tuple[int, ...] = ()  # empty: TiedAutoencoder; else DeepAutoencoder widths (activation none: relu)

    def check(self) -> None:
        self.n_components = check_int("n_components", self.n_components, minimum=1)


ADAM_KEYS = ("epochs", "batch_size", "learning_rate")  # Adam at learning_rate, no validation split
VAEConfig = model_config(
    "VAEConfig",
    VAE,
    training=TrainSettings(epochs=300, batch_size=100),
    training_keys=ADAM_KEYS,
    exclude=("n_features", "decoder"),  # the decoder follows the data: Bernoulli on binary data, else Gaussian
    bases=(LikelihoodSettings,),
    doc="The VAE of ``boltzgym fit vae`` (notes 5.1): VAE's parameters, the training keys, n_importance_samples.",
)
"""The VAE of ``boltzgym fit vae`` (notes 5.1): VAE's parameters, the training keys, n_importance_samples."""
GANConfig = model_config(
    "GANConfig",
    GAN,
    training=fit_defaults(GAN.fit),
    training_keys=("epochs", "batch_size"),
    exclude=("n_features", "output_activation", "seed"),  # output: sigmoid on [0, 1] images, none on points
    doc="The GAN of ``boltzgym fit gan`` (notes 5.2): GAN()'s parameters (the notes' fixes on) and fit's epochs and "
    "batch_size.",
)
"""The GAN of ``boltzgym fit gan`` (notes 5.2): GAN()'s parameters (the notes' fixes on) and fit's epochs and
batch_size."""
AEConfig = model_config(
    "AEConfig",
    TiedAutoencoder,
    training=TrainSettings(epochs=100),
    training_keys=ADAM_KEYS,
    exclude=("n_features", "seed"),
    bases=(AutoencoderSettings,),
    doc="The autoencoder of ``boltzgym fit ae`` (notes 5.1): tied when ``hidden_sizes`` is empty, else deep.",
)
"""The autoencoder of ``boltzgym fit ae`` (notes 5.1): tied when ``hidden_sizes`` is empty, else deep."""


def _flat(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32).reshape(len(x), -1)


def save_samples(samples: np.ndarray, path: Path, title: str, modes: np.ndarray | None = None) -> None:
    """``samples.png``: a grid of 8x8 images (64-wide rows) or a 2-D scatter with ``modes`` marked."""

    from boltzgym.utils.plotting import new_figure, save_figure

    if samples.shape[1] == 2:
        fig, ax = new_figure(figsize=(5, 5))
        ax.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.4, label="samples")
        if modes is not None:
            ax.scatter(modes[:, 0], modes[:, 1], marker="x", color="red", label="modes")
        ax.set_aspect("equal")
        ax.legend(loc="upper right")
    else:
        side = int(round(np.sqrt(samples.shape[1])))
        grid = samples[:64].reshape(-1, side, side)
        rows = int(np.ceil(len(grid) / 8))
        canvas = np.ones((rows * (side + 1), 8 * (side + 1)))
        for i, image in enumerate(grid):
            r, c = divmod(i, 8)
            canvas[r * (side + 1) : r * (side + 1) + side, c * (side + 1) : c * (side + 1) + side] = image
        fig, ax = new_figure(figsize=(5, 5 * rows / 8 + 0.5))
        ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=max(1.0, float(canvas.max())))
        ax.axis("off")
    ax.set_title(title)
    save_figure(fig, path)


def build_vae(config, dataset: Dataset, seed: int = 0, *, device=None, dtype=None) -> VAE:
    """``boltzgym fit vae``'s model: Bernoulli decoder on binary data, Gaussian otherwise."""
    x = _flat(dataset.x_train)
    binary = bool(np.all((x == 0) | (x == 1)))
    with seeded(seed):
        return VAE(
            x.shape[1],
            decoder="bernoulli" if binary else "gaussian",
            **model_kwargs(config),
            device=device,
            dtype=dtype,
        )


def build_gan(config, dataset: Dataset, seed: int = 0, *, device=None, dtype=None) -> GAN:
    """``boltzgym fit gan``'s model: sigmoid outputs on images in [0, 1], standardised real outputs on points."""
    x = _flat(dataset.x_train)
    images = dataset.kind != "points" and x.min() >= 0 and x.max() <= 1
    with seeded(seed):
        return GAN(
            x.shape[1],
            output_activation="sigmoid" if images else None,
            seed=seed,
            **model_kwargs(config),
            device=device,
            dtype=dtype,
        )


def build_ae(config, dataset: Dataset, seed: int = 0, *, device=None, dtype=None) -> TiedAutoencoder | DeepAutoencoder:
    """``boltzgym fit ae``'s model: a :class:`TiedAutoencoder`, or a :class:`DeepAutoencoder` of ``hidden_sizes``
    (its activation ``config.activation``, relu when none)."""
    n_features = _flat(dataset.x_train).shape[1]
    with seeded(seed):
        if config.hidden_sizes:
            return DeepAutoencoder(n_features, config.n_components, config.hidden_sizes,
                                   activation=config.activation or "relu", noise=config.noise, device=device,
                                   dtype=dtype)  # fmt: skip
        return TiedAutoencoder(n_features, seed=seed, **model_kwargs(config), device=device, dtype=dtype)


def _fit_unsupervised(model, loss, config, x, *, epochs, seed, run_dir, resume, progress, device):
    """Train ``model`` on the rows ``x`` with ``loss(model, batch)`` through ``fit``, then bring it back to the CPU,
    where the scoring code runs."""
    with torch.random.fork_rng(devices=[]):
        result = fit(model, (x,), loss=loss, **fit_arguments(config, model, epochs), seed=seed, run_dir=run_dir,
                     resume=resume, progress=progress, device=device)  # fmt: skip
    model.cpu()
    return result


@honours_device
def train_vae(config, dataset: Dataset, *, epochs=None, seed=0, run_dir=None, resume=False, progress=False,
              device="auto") -> dict:  # fmt: skip
    """``boltzgym fit vae``: test ELBO and IWAE log-likelihood in nats."""
    x, x_test = _flat(dataset.x_train), _flat(dataset.x_test)
    model = build_vae(config, dataset, seed)
    result = _fit_unsupervised(model, vae_loss, config, x, epochs=epochs, seed=seed, run_dir=run_dir, resume=resume,
                               progress=progress, device=device)  # fmt: skip
    with seeded(seed + 1):  # the scores' sampling noise
        train_elbo = float(model.elbo(x).mean())
        test_elbo = float(model.elbo(x_test).mean())
        test_ll = float(model.log_likelihood(x_test, config.n_importance_samples).mean())
    summary = fit_summary(model, result, -train_elbo, -test_elbo)
    summary.update(test_elbo=test_elbo, test_log_likelihood=test_ll)
    if run_dir is not None:
        save_samples(model.sample(64, seed=seed), Path(run_dir) / "samples.png", "VAE samples (decoder means)")
    return summary


@honours_device
def train_gan(config, dataset: Dataset, *, epochs=None, seed=0, run_dir=None, resume=False, progress=False,
              device="auto") -> dict:  # fmt: skip
    """``boltzgym fit gan``: on a 2-D mixture reports VEEGAN mode coverage of 2500 samples."""
    from boltzgym.models.generative.metrics import N_COVERAGE_SAMPLES, mode_coverage

    model = build_gan(config, dataset, seed)
    with torch.random.fork_rng(devices=[]):
        model.fit(_flat(dataset.x_train), epochs=epochs or config.epochs, batch_size=config.batch_size, seed=seed,
                  run_dir=run_dir, progress=progress, resume=resume, device=device)  # fmt: skip
    result = model.history_
    summary = fit_summary(model, result, result.last("train_loss"), None)
    samples = model.sample(N_COVERAGE_SAMPLES, seed=seed + 1)
    modes = None
    if dataset.kind == "points":
        modes = np.asarray(dataset.metadata["modes"])
        summary.update(mode_coverage(samples, modes, dataset.metadata["sigma"]))
    if run_dir is not None:
        save_samples(samples, Path(run_dir) / "samples.png", f"GAN samples on {dataset.name}", modes)
    return summary


@honours_device
def train_ae(config, dataset: Dataset, *, epochs=None, seed=0, run_dir=None, resume=False, progress=False,
             device="auto") -> dict:  # fmt: skip
    """``boltzgym fit ae``: reconstruction error (squared, summed over features) as the train/test loss."""
    x, x_test = _flat(dataset.x_train), _flat(dataset.x_test)
    model = build_ae(config, dataset, seed)
    result = _fit_unsupervised(model, autoencoder_loss, config, x, epochs=epochs, seed=seed, run_dir=run_dir,
                               resume=resume, progress=progress, device=device)  # fmt: skip
    model.eval()
    with torch.no_grad():
        train_loss = float(model.loss(torch.from_numpy(x)))
        test_loss = float(model.loss(torch.from_numpy(x_test)))
        reconstructions = model(torch.from_numpy(x_test[:32])).numpy()
    if run_dir is not None and x.shape[1] != 2:
        pairs = np.stack([x_test[:32], reconstructions], axis=1).reshape(-1, x.shape[1])
        save_samples(pairs, Path(run_dir) / "samples.png", "test rows and their reconstructions")
    return fit_summary(model, result, train_loss, test_loss)
