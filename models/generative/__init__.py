"""Notes chapter 5, generative models: autoencoders, the VAE, the GAN and its extensions (cGAN, LapGAN, BiGAN,
CycleGAN), their metrics and ``fit`` trainers.

Public names load on first use (``from boltzgym.models.generative import ...``).
"""

from __future__ import annotations

from boltzgym.utils.imports import lazy_namespace

# Public name -> defining module, imported on first use.
_EXPORTS: dict[str, str] = {
    "TiedAutoencoder": "boltzgym.models.generative.autoencoder",
    "DeepAutoencoder": "boltzgym.models.generative.autoencoder",
    "autoencoder_loss": "boltzgym.models.generative.autoencoder",
    "unit_images": "boltzgym.models.generative.digits",
    "domain_transform": "boltzgym.models.generative.digits",
    "CGANConfig": "boltzgym.models.generative.digits",
    "LapGANConfig": "boltzgym.models.generative.digits",
    "BiGANConfig": "boltzgym.models.generative.digits",
    "CycleGANConfig": "boltzgym.models.generative.digits",
    "train_cgan": "boltzgym.models.generative.digits",
    "train_lapgan": "boltzgym.models.generative.digits",
    "train_bigan": "boltzgym.models.generative.digits",
    "train_cyclegan": "boltzgym.models.generative.digits",
    "save_image_rows": "boltzgym.models.generative.digits",
    "discriminator_loss": "boltzgym.models.generative.gan",
    "generator_loss": "boltzgym.models.generative.gan",
    "MinibatchDiscrimination": "boltzgym.models.generative.gan",
    "Discriminator": "boltzgym.models.generative.gan",
    "GAN": "boltzgym.models.generative.gan",
    "check_latent_size": "boltzgym.models.generative.gan",
    "check_images": "boltzgym.models.generative.gan_extensions",
    "check_labels": "boltzgym.models.generative.gan_extensions",
    "AdversarialModel": "boltzgym.models.generative.gan",
    "ConditionalGAN": "boltzgym.models.generative.gan_extensions",
    "downsample": "boltzgym.models.generative.gan_extensions",
    "upsample": "boltzgym.models.generative.gan_extensions",
    "LapGAN": "boltzgym.models.generative.gan_extensions",
    "BiGAN": "boltzgym.models.generative.gan_extensions",
    "cycle_consistency_loss": "boltzgym.models.generative.gan_extensions",
    "least_squares_loss": "boltzgym.models.generative.gan_extensions",
    "CycleGAN": "boltzgym.models.generative.gan_extensions",
    "ResidualTranslator": "boltzgym.models.generative.gan_extensions",
    "mixture_modes": "boltzgym.models.generative.metrics",
    "sample_mixture": "boltzgym.models.generative.metrics",
    "mode_coverage": "boltzgym.models.generative.metrics",
    "mixture_coverage": "boltzgym.models.generative.metrics",
    "frechet_distance": "boltzgym.models.generative.metrics",
    "toy_mixture_dataset": "boltzgym.models.generative.metrics",
    "ring8_dataset": "boltzgym.models.generative.metrics",
    "grid25_dataset": "boltzgym.models.generative.metrics",
    "train_digits_classifier": "boltzgym.models.generative.metrics",
    "classifier_features": "boltzgym.models.generative.metrics",
    "classify": "boltzgym.models.generative.metrics",
    "classifier_frechet_distance": "boltzgym.models.generative.metrics",
    "conditional_accuracy": "boltzgym.models.generative.metrics",
    "linear_probe_accuracy": "boltzgym.models.generative.metrics",
    "VAEConfig": "boltzgym.models.generative.trainers",
    "GANConfig": "boltzgym.models.generative.trainers",
    "AEConfig": "boltzgym.models.generative.trainers",
    "save_samples": "boltzgym.models.generative.trainers",
    "train_vae": "boltzgym.models.generative.trainers",
    "train_gan": "boltzgym.models.generative.trainers",
    "train_ae": "boltzgym.models.generative.trainers",
    "VAE": "boltzgym.models.generative.vae",
    "vae_loss": "boltzgym.models.generative.vae",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS)
