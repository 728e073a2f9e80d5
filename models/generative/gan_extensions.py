"""The GAN extensions of notes 5.2's table: conditional GAN, LapGAN, BiGAN and CycleGAN, on flat image vectors.

All four are MLP models of images flattened to vectors with pixels in [0, 1] (8x8 digits: 64 features); they
reuse :func:`boltzgym.models.generative.gan.discriminator_loss` /
:func:`~boltzgym.models.generative.gan.generator_loss` (the
non-saturating generator loss and one-sided label smoothing of notes 5.2) and train through
``boltzgym.models.training.fit``'s ``training_step`` hook through the one GAN path,
:class:`boltzgym.models.generative.gan.AdversarialModel` (one Adam per player, betas 0.5, 0.999).

- :class:`ConditionalGAN` (Mirza & Osindero 2014): the one-hot label is concatenated to the generator's noise and
  to the discriminator's input, so ``G(z, y)`` draws a given digit.
- :class:`LapGAN` (Denton et al. 2015): a Laplacian pyramid of generators; level 0 generates the coarse image
  (``side/2`` squared, 2x2 average pooling), level 1 generates the band-pass residual ``h = I - up(down(I))``
  conditioned on the upsampled coarse image ``up(down(I))`` (nearest-neighbour upsampling), and the sample is
  ``up(coarse) + h``. Each level is trained on real coarse images, as in the paper.
- :class:`BiGAN` (Donahue et al. 2016; ALI, Dumoulin et al. 2016): an encoder ``E(x)`` next to the generator; the
  discriminator sees pairs ``(x, E(x))`` (real) and ``(G(z), z)`` (fake); at the optimum ``E`` inverts ``G``, and
  its features are useful for a classifier (a linear probe).
- :class:`CycleGAN` (Zhu et al. 2017): generators ``G_AB``, ``G_BA`` and discriminators ``D_A``, ``D_B`` with the
  least-squares adversarial loss (Mao et al. 2017, as in the paper) plus the cycle-consistency loss
  ``lambda * (|G_BA(G_AB(a)) - a|_1 + |G_AB(G_BA(b)) - b|_1)`` on unpaired samples of two domains.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from boltzgym.models.generative.gan import (
    AdversarialModel,
    Discriminator,
    check_latent_size,
    discriminator_loss,
    generator_loss,
)
from boltzgym.models.supervised.mlp import MLP
from boltzgym.utils.deprecation import renamed_kwargs
from boltzgym.utils.validation import check_int, check_positive, check_probability


def check_images(x, n_features: int, name: str) -> np.ndarray:
    """``x`` as a float32 (n, n_features) array of finite values in [0, 1]; ``ValueError`` naming ``name``."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != n_features or len(x) == 0:
        raise ValueError(f"{name} must have shape (n_samples, {n_features}), got {x.shape}")
    if not np.all(np.isfinite(x)) or x.min() < 0 or x.max() > 1:
        raise ValueError(f"{name} must hold pixel values in [0, 1], got range [{x.min()}, {x.max()}]")
    return x


def check_labels(labels, n_classes: int, name: str = "labels") -> torch.Tensor:
    """``labels`` as an int64 tensor of class indices in ``[0, n_classes)``; ``ValueError`` naming ``name``."""
    array = np.asarray(labels.cpu() if torch.is_tensor(labels) else labels)
    if array.ndim != 1 or not (np.issubdtype(array.dtype, np.integer) or array.size == 0):
        raise ValueError(f"{name} must be a 1-D array of integer class labels, got {array.dtype} {array.shape}")
    if array.size and (array.min() < 0 or array.max() >= n_classes):
        raise ValueError(f"{name} must lie in [0, {n_classes}), got values in [{array.min()}, {array.max()}]")
    return torch.as_tensor(array, dtype=torch.int64)


class ImageGAN(AdversarialModel):
    """An adversarial model trained on one set of images (LapGAN, BiGAN): :meth:`fit` on ``X`` alone."""

    n_features: int

    def fit(
        self,
        X,
        epochs: int = 150,
        batch_size: int = 64,
        seed: int = 0,
        run_dir=None,
        progress=False,
        resume=False,
        device="auto",
    ):
        """Train on images ``X`` (n, n_features) in [0, 1]."""
        return self._fit((check_images(X, self.n_features, "X"),), epochs, batch_size, seed, run_dir, progress, resume,
                         device)  # fmt: skip


def _generator(in_features: int, hidden_sizes: Sequence[int], out_features: int, **factory_kwargs) -> MLP:
    return MLP(in_features, list(hidden_sizes), out_features, activation="relu", **factory_kwargs)


# --- conditional GAN -------------------------------------------------------------------------------------------


class ConditionalGAN(AdversarialModel):
    """Conditional GAN: ``G(z, onehot(y))`` and ``D(x, onehot(y))`` (Mirza & Osindero 2014).

    Args:
        n_features: image width (64 for 8x8 digits); pixels in [0, 1] (sigmoid output).
        n_classes: number of labels (10 digits).
        latent_size: noise width (> 0).
        generator_sizes, discriminator_sizes: hidden widths of the two MLPs.
        label_smoothing: one-sided real-label smoothing (notes 5.2).
        dropout: dropout of the discriminator's hidden units (slows an over-confident discriminator).
        ema_decay: decay of the generator's exponential moving average (:meth:`sample` uses it); 0 disables it.
        learning_rate, clip_grad_norm: Adam learning rate and gradient-norm limit of both players.
        seed: initialises the weights.
        device, dtype: torch's factory keywords (as ``nn.Linear``'s): where and in which floating type the players
            are created.

    ``forward(z, labels)``: ``G(z, y)`` images in [0, 1] from the generator (``labels`` an int64 tensor, unchecked
    so that the forward compiles and exports; :meth:`generate` checks them).
    """

    @renamed_kwargs(lr="learning_rate")
    def __init__(
        self,
        n_features: int = 64,
        n_classes: int = 10,
        latent_size: int = 32,
        generator_sizes: Sequence[int] = (256, 256),
        discriminator_sizes: Sequence[int] = (256, 256),
        label_smoothing: float = 0.1,
        dropout: float = 0.2,
        ema_decay: float = 0.99,
        learning_rate: float = 5e-4,
        clip_grad_norm: float | None = 10.0,
        seed: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ):
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.n_features = check_int("n_features", n_features, minimum=1)
        self.n_classes = check_int("n_classes", n_classes, minimum=2)
        self.latent_size = check_latent_size(latent_size)
        self.label_smoothing = check_probability("label_smoothing", label_smoothing)
        self._set_training(learning_rate, clip_grad_norm, seed)
        self.generator = _generator(self.latent_size + self.n_classes, generator_sizes, self.n_features,
                                    **factory_kwargs)  # fmt: skip
        self.discriminator = MLP(self.n_features + self.n_classes, list(discriminator_sizes), 1, dropout=dropout,
                                 **factory_kwargs)  # fmt: skip
        self.players = {"discriminator": self.discriminator, "generator": self.generator}
        self.ema_decay = decay = check_probability("ema_decay", ema_decay)
        self.averaged_generator = (
            AveragedModel(self.generator, device, multi_avg_fn=get_ema_multi_avg_fn(decay)) if decay > 0 else None
        )

    def _one_hot(self, labels: torch.Tensor) -> torch.Tensor:
        return F.one_hot(labels, self.n_classes).to(self.dtype)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``G(z, y)`` in [0, 1] from the generator, ``labels`` an int64 tensor (see the class docstring)."""
        return torch.sigmoid(self.generator(torch.cat([z, self._one_hot(labels)], dim=1)))

    def generate(self, z: torch.Tensor, labels, averaged: bool = False) -> torch.Tensor:
        """``G(z, y)`` in [0, 1]; ``labels`` must be integers in ``[0, n_classes)``."""
        labels = check_labels(labels, self.n_classes).to(z.device)
        if len(labels) != len(z):
            raise ValueError(f"labels must have one entry per noise row ({len(z)}), got {len(labels)}")
        net = self.averaged_generator if averaged and self.averaged_generator is not None else self.generator
        return torch.sigmoid(net(torch.cat([z, self._one_hot(labels)], dim=1)))

    def discriminate(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``D(x, y)`` logits, shape (n,)."""
        return self.discriminator(torch.cat([x, self._one_hot(labels)], dim=1)).squeeze(-1)

    def training_step(self, batch, optimizers) -> dict[str, torch.Tensor]:
        """One discriminator step, one generator step (fake labels drawn uniformly)."""
        real, labels = batch
        real = real.to(self.dtype)  # the batch in the players' dtype (a no-op for float32 players)
        fake_labels = torch.randint(self.n_classes, (len(real),), device=real.device)
        z = torch.randn(len(real), self.latent_size, device=real.device, dtype=real.dtype)
        fake = torch.sigmoid(self.generator(torch.cat([z, self._one_hot(fake_labels)], dim=1)))
        d_loss = discriminator_loss(
            self.discriminate(real, labels), self.discriminate(fake.detach(), fake_labels), self.label_smoothing
        )
        d_loss, g_loss = self._alternate(
            d_loss, lambda: generator_loss(self.discriminate(fake, fake_labels), "non-saturating"), optimizers
        )
        return {"loss": d_loss + g_loss, "d_loss": d_loss, "g_loss": g_loss}

    def fit(
        self,
        X,
        y,
        epochs: int = 150,
        batch_size: int = 64,
        seed: int = 0,
        run_dir=None,
        progress=False,
        resume=False,
        device="auto",
    ):
        """Train on images ``X`` (n, n_features) in [0, 1] with labels ``y`` in ``[0, n_classes)``."""
        X = check_images(X, self.n_features, "X")
        y = check_labels(y, self.n_classes, "y").numpy()
        if len(y) != len(X):
            raise ValueError(f"y must have one label per row of X ({len(X)}), got {len(y)}")
        return self._fit((X, y), epochs, batch_size, seed, run_dir, progress, resume, device)

    @torch.no_grad()
    def sample(self, labels, seed: int = 0, averaged: bool = True) -> np.ndarray:
        """One image per entry of ``labels`` (float32 numpy), from the averaged generator by default."""
        labels = check_labels(labels, self.n_classes).to(self.device)
        return self.generate(self._noise(len(labels), seed), labels, averaged).cpu().numpy()


# --- LapGAN ----------------------------------------------------------------------------------------------------


def downsample(images: torch.Tensor, side: int) -> torch.Tensor:
    """(n, side*side) -> (n, (side/2)^2) by 2x2 average pooling (the pyramid's ``d``)."""
    return F.avg_pool2d(images.view(-1, 1, side, side), 2).flatten(1)


def upsample(images: torch.Tensor, side: int) -> torch.Tensor:
    """(n, (side/2)^2) -> (n, side*side) by nearest-neighbour upsampling (the pyramid's ``u``)."""
    return F.interpolate(images.view(-1, 1, side // 2, side // 2), scale_factor=2, mode="nearest").flatten(1)


class LapGAN(ImageGAN):
    """Two-level Laplacian-pyramid GAN (Denton et al. 2015) on ``side x side`` images (``side`` even).

    Level 0: ``G0(z)`` a coarse ``side/2`` image in [0, 1] against ``D0``. Level 1: ``G1(z, l)`` the residual
    ``h`` in [-1, 1] given ``l = up(coarse)``, against ``D1(h, l)``. A sample is ``clip(l + G1(z, l), 0, 1)``.

    Args:
        side: image side (8 for digits); must be even.
        latent_size: noise width of each level (> 0).
        hidden_sizes: hidden widths of every generator and discriminator.
        label_smoothing, learning_rate, clip_grad_norm, seed, device, dtype: as :class:`ConditionalGAN`.

    ``forward(z0, z1)``: the images ``clip(l + G1(z1, l), 0, 1)`` with ``l = up(sigmoid(G0(z0)))`` (:meth:`sample`'s
    images for given noise of each level).
    """

    @renamed_kwargs(lr="learning_rate")
    def __init__(
        self,
        side: int = 8,
        latent_size: int = 16,
        hidden_sizes: Sequence[int] = (128, 128),
        label_smoothing: float = 0.1,
        learning_rate: float = 5e-4,
        clip_grad_norm: float | None = 10.0,
        seed: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ):
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.side = check_int("side", side, minimum=2)
        if self.side % 2:
            raise ValueError(f"side must be even (a 2x2 pyramid step), got {side}")
        self.latent_size = check_latent_size(latent_size)
        self.label_smoothing = check_probability("label_smoothing", label_smoothing)
        self._set_training(learning_rate, clip_grad_norm, seed)
        self.n_features, coarse = self.side**2, (self.side // 2) ** 2
        self.generator0 = _generator(self.latent_size, hidden_sizes, coarse, **factory_kwargs)
        self.discriminator0 = Discriminator(coarse, hidden_sizes, **factory_kwargs)
        self.generator1 = _generator(self.latent_size + self.n_features, hidden_sizes, self.n_features,
                                     **factory_kwargs)  # fmt: skip
        self.discriminator1 = Discriminator(2 * self.n_features, hidden_sizes, **factory_kwargs)
        self.players = {
            "discriminator0": self.discriminator0,
            "generator0": self.generator0,
            "discriminator1": self.discriminator1,
            "generator1": self.generator1,
        }

    def _batch_noise(self, images: torch.Tensor) -> torch.Tensor:
        return torch.randn(len(images), self.latent_size, device=images.device, dtype=images.dtype)

    def forward(self, z0: torch.Tensor, z1: torch.Tensor) -> torch.Tensor:
        """The pyramid's images for level-0 noise ``z0`` and level-1 noise ``z1`` (see the class docstring)."""
        return self._pyramid(z0, z1)[0]

    def _pyramid(self, z0: torch.Tensor, z1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        coarse = torch.sigmoid(self.generator0(z0))
        condition = upsample(coarse, self.side)
        return (condition + self.residual(z1, condition)).clamp(0, 1), coarse

    def residual(self, z: torch.Tensor, upsampled_coarse: torch.Tensor) -> torch.Tensor:
        """``G1(z, l)``: the band-pass residual in [-1, 1]."""
        return torch.tanh(self.generator1(torch.cat([z, upsampled_coarse], dim=1)))

    def _adversarial_step(self, level: int, real: torch.Tensor, fake: torch.Tensor, condition, optimizers) -> tuple:
        def judge(x):
            return self.players[f"discriminator{level}"](x if condition is None else torch.cat([x, condition], 1))

        d_loss = discriminator_loss(judge(real), judge(fake.detach()), self.label_smoothing)
        return self._alternate(
            d_loss, lambda: generator_loss(judge(fake), "non-saturating"), optimizers,
            f"discriminator{level}", f"generator{level}",
        )  # fmt: skip

    def training_step(self, batch, optimizers) -> dict[str, torch.Tensor]:
        """Each level's discriminator and generator step on the real pyramid of the batch."""
        images = batch[0].to(self.dtype)  # the batch in the players' dtype (a no-op for float32 players)
        coarse = downsample(images, self.side)
        d0, g0 = self._adversarial_step(
            0, coarse, torch.sigmoid(self.generator0(self._batch_noise(images))), None, optimizers
        )
        condition = upsample(coarse, self.side)
        fake_residual = self.residual(self._batch_noise(images), condition)
        d1, g1 = self._adversarial_step(1, images - condition, fake_residual, condition, optimizers)
        return {"loss": d0 + g0 + d1 + g1, "d0_loss": d0, "g0_loss": g0, "d1_loss": d1, "g1_loss": g1}

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0, return_coarse: bool = False):
        """``n`` images (float32 numpy); with ``return_coarse`` also the level-0 coarse images."""
        n = check_int("n", n, minimum=1)
        generator = torch.Generator().manual_seed(int(seed))
        z0, z1 = (torch.randn(n, self.latent_size, generator=generator).to(self.device, self.dtype) for _ in range(2))
        images, coarse = self._pyramid(z0, z1)
        images = images.cpu().numpy()
        return (images, coarse.cpu().numpy()) if return_coarse else images


# --- BiGAN -----------------------------------------------------------------------------------------------------


class BiGAN(ImageGAN):
    """BiGAN (Donahue et al. 2016): generator ``G(z)``, encoder ``E(x)`` and ``D(x, z)`` on joint pairs.

    ``D`` learns to tell ``(x, E(x))`` from ``(G(z), z)``; ``G`` and ``E`` (one optimizer) learn to fool it with
    the non-saturating loss on flipped labels. :meth:`encode` gives the features.

    Args:
        n_features: image width; pixels in [0, 1].
        latent_size: width of z and of the encoder's features (> 0). Default 8: on 8x8 digits at 16 or 32 a random
            encoder's random projection probes as well as the learned one; at 8 the learned features win clearly.
        hidden_sizes: hidden widths of G, E and D.
        label_smoothing, dropout, learning_rate, clip_grad_norm, seed, device, dtype: as :class:`ConditionalGAN`.

    ``forward(z)``: the generator's images ``sigmoid(G(z))`` (:meth:`sample` for given noise).
    """

    @renamed_kwargs(lr="learning_rate")
    def __init__(
        self,
        n_features: int = 64,
        latent_size: int = 8,
        hidden_sizes: Sequence[int] = (256, 256),
        label_smoothing: float = 0.1,
        dropout: float = 0.2,
        learning_rate: float = 5e-4,
        clip_grad_norm: float | None = 10.0,
        seed: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ):
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.n_features = check_int("n_features", n_features, minimum=1)
        self.latent_size = check_latent_size(latent_size)
        self.label_smoothing = check_probability("label_smoothing", label_smoothing)
        self._set_training(learning_rate, clip_grad_norm, seed)
        self.generator = _generator(self.latent_size, hidden_sizes, self.n_features, **factory_kwargs)
        self.encoder = _generator(self.n_features, hidden_sizes, self.latent_size, **factory_kwargs)
        self.discriminator = MLP(self.n_features + self.latent_size, list(hidden_sizes), 1, dropout=dropout,
                                 **factory_kwargs)  # fmt: skip
        self.generator_encoder = nn.ModuleDict({"generator": self.generator, "encoder": self.encoder})
        self.players = {"discriminator": self.discriminator, "generator_encoder": self.generator_encoder}

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """The generator's images ``sigmoid(G(z))``."""
        return torch.sigmoid(self.generator(z))

    def discriminate(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """``D(x, z)`` logits, shape (n,)."""
        return self.discriminator(torch.cat([x, z], dim=1)).squeeze(-1)

    def training_step(self, batch, optimizers) -> dict[str, torch.Tensor]:
        """One discriminator step, then one joint generator-encoder step."""
        real = batch[0].to(self.dtype)  # the batch in the players' dtype (a no-op for float32 players)
        z = torch.randn(len(real), self.latent_size, device=real.device, dtype=real.dtype)
        fake, code = torch.sigmoid(self.generator(z)), self.encoder(real)
        d_loss = discriminator_loss(
            self.discriminate(real, code.detach()), self.discriminate(fake.detach(), z), self.label_smoothing
        )
        self._update(d_loss, "discriminator", optimizers["discriminator"])
        # flipped labels: the encoder's pairs should look fake, the generator's real (non-saturating for both)
        ge_loss = generator_loss(self.discriminate(fake, z), "non-saturating") + generator_loss(
            -self.discriminate(real, code), "non-saturating"
        )
        self._update(ge_loss, "generator_encoder", optimizers["generator_encoder"])
        return {"loss": d_loss.detach() + ge_loss.detach(), "d_loss": d_loss.detach(), "ge_loss": ge_loss.detach()}

    @torch.no_grad()
    def encode(self, X) -> np.ndarray:
        """The encoder's features ``E(x)`` (float32 numpy, (n, latent_size))."""
        images = torch.from_numpy(check_images(X, self.n_features, "X")).to(self.device, self.dtype)
        return self.encoder(images).cpu().numpy()

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` images ``G(z)`` (float32 numpy)."""
        return self(self._noise(check_int("n", n, minimum=1), seed)).cpu().numpy()

    @torch.no_grad()
    def reconstruct(self, X) -> np.ndarray:
        """``G(E(x))``: how well the encoder inverts the generator."""
        return self(torch.from_numpy(self.encode(X)).to(self.device, self.dtype)).cpu().numpy()


# --- CycleGAN --------------------------------------------------------------------------------------------------


ADVERSARIAL_LOSSES = ("non-saturating", "least-squares")


def cycle_consistency_loss(
    a: torch.Tensor,
    b: torch.Tensor,
    generator_ab: Callable[[torch.Tensor], torch.Tensor],
    generator_ba: Callable[[torch.Tensor], torch.Tensor],
) -> torch.Tensor:
    """``mean |G_BA(G_AB(a)) - a|_1 + mean |G_AB(G_BA(b)) - b|_1`` (Zhu et al. 2017, eq. 2; per-pixel means)."""
    return (generator_ba(generator_ab(a)) - a).abs().mean() + (generator_ab(generator_ba(b)) - b).abs().mean()


def least_squares_loss(logits: torch.Tensor, target: float) -> torch.Tensor:
    """LSGAN's ``mean (D(x) - target)^2`` on raw discriminator outputs (Mao et al. 2017)."""
    return ((logits - target) ** 2).mean()


class CycleGAN(AdversarialModel):
    """CycleGAN (Zhu et al. 2017) between two image domains A and B of ``n_features`` pixels each.

    Losses: least-squares adversarial ``(D_B(G_AB(a)) - 1)^2`` and ``(D_A(G_BA(b)) - 1)^2`` for the generators
    (one optimizer for both), ``(D(real) - 1)^2 + D(fake)^2`` for each discriminator, plus
    ``cycle_weight * cycle_consistency_loss`` and optional ``identity_weight * (|G_AB(b) - b| + |G_BA(a) - a|)``.

    Args:
        n_features: pixels of a domain-A image; ``n_features_b`` those of domain B (default: the same).
        hidden_sizes: hidden widths of the generators and discriminators.
        cycle_weight: lambda of the cycle-consistency loss (10 in the paper).
        identity_weight: weight of the identity loss (0 disables it); ``None`` (default): ``0.5 * cycle_weight`` as
            in the paper when the domains share a shape, else 0.
        learning_rate, clip_grad_norm, seed, device, dtype: as :class:`ConditionalGAN`.

    ``forward(a)``: ``G_AB(a)`` for domain-A images ``a`` (unclipped; :meth:`translate` clips to [0, 1]).
    """

    @renamed_kwargs(lr="learning_rate")
    def __init__(
        self,
        n_features: int = 64,
        n_features_b: int | None = None,
        hidden_sizes: Sequence[int] = (256, 256),
        cycle_weight: float = 10.0,
        identity_weight: float | None = None,
        adversarial_loss: str = "non-saturating",
        dropout: float = 0.2,
        learning_rate: float = 5e-4,
        clip_grad_norm: float | None = 10.0,
        seed: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ):
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.n_features = check_int("n_features", n_features, minimum=1)
        self.n_features_b = self.n_features if n_features_b is None else check_int("n_features_b", n_features_b, 1)
        self.cycle_weight = check_positive("cycle_weight", cycle_weight, allow_zero=True)
        if identity_weight is None:
            identity_weight = 0.5 * self.cycle_weight if self.n_features == self.n_features_b else 0.0
        self.identity_weight = check_positive("identity_weight", identity_weight, allow_zero=True)
        if self.identity_weight > 0 and self.n_features != self.n_features_b:
            raise ValueError("identity_weight > 0 needs domains of one shape (n_features == n_features_b)")
        self._set_training(learning_rate, clip_grad_norm, seed)
        hidden = list(hidden_sizes)
        self.generator_ab = _translator(self.n_features, hidden, self.n_features_b, **factory_kwargs)
        self.generator_ba = _translator(self.n_features_b, hidden, self.n_features, **factory_kwargs)
        if adversarial_loss not in ADVERSARIAL_LOSSES:
            raise ValueError(f"adversarial_loss must be one of {list(ADVERSARIAL_LOSSES)}, got {adversarial_loss!r}")
        self.adversarial_loss = adversarial_loss
        self.discriminator_a = MLP(self.n_features, hidden, 1, dropout=dropout, **factory_kwargs)
        self.discriminator_b = MLP(self.n_features_b, hidden, 1, dropout=dropout, **factory_kwargs)
        self.generators = nn.ModuleDict({"ab": self.generator_ab, "ba": self.generator_ba})
        self.discriminators = nn.ModuleDict({"a": self.discriminator_a, "b": self.discriminator_b})
        self.players = {"discriminators": self.discriminators, "generators": self.generators}

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        """``G_AB(a)``: domain-A images translated to domain B (unclipped)."""
        return self.generator_ab(a)

    def cycle_loss(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """:func:`cycle_consistency_loss` with this model's generators."""
        return cycle_consistency_loss(a, b, self.generator_ab, self.generator_ba)

    def _generator_loss(self, logits: torch.Tensor) -> torch.Tensor:
        if self.adversarial_loss == "least-squares":
            return least_squares_loss(logits, 1.0)
        return generator_loss(logits, "non-saturating")

    def _discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        if self.adversarial_loss == "least-squares":
            return 0.5 * (least_squares_loss(real_logits, 1.0) + least_squares_loss(fake_logits, 0.0))
        return discriminator_loss(real_logits, fake_logits, label_smoothing=0.1)

    def training_step(self, batch, optimizers) -> dict[str, torch.Tensor]:
        """One step of both generators (adversarial + cycle (+ identity)), then one of both discriminators."""
        a, b = (x.to(self.dtype) for x in batch)  # the batch in the players' dtype (a no-op for float32 players)
        fake_b, fake_a = self.generator_ab(a), self.generator_ba(b)
        adversarial = self._generator_loss(self.discriminator_b(fake_b)) + self._generator_loss(
            self.discriminator_a(fake_a)
        )
        cycle = (self.generator_ba(fake_b) - a).abs().mean() + (self.generator_ab(fake_a) - b).abs().mean()
        g_loss = adversarial + self.cycle_weight * cycle
        if self.identity_weight > 0:
            identity = (self.generator_ab(b) - b).abs().mean() + (self.generator_ba(a) - a).abs().mean()
            g_loss = g_loss + self.identity_weight * identity
        self._update(g_loss, "generators", optimizers["generators"])
        d_loss = self._discriminator_loss(
            self.discriminator_a(a), self.discriminator_a(fake_a.detach())
        ) + self._discriminator_loss(self.discriminator_b(b), self.discriminator_b(fake_b.detach()))
        self._update(d_loss, "discriminators", optimizers["discriminators"])
        return {"loss": g_loss.detach() + d_loss.detach(), "g_loss": adversarial.detach(),
                "cycle_loss": cycle.detach(), "d_loss": d_loss.detach()}  # fmt: skip

    def fit(
        self,
        X_a,
        X_b,
        epochs: int = 100,
        batch_size: int = 64,
        seed: int = 0,
        run_dir=None,
        progress=False,
        resume=False,
        device="auto",
    ):
        """Train on unpaired images of domain A (``X_a``) and B (``X_b``): row i of each is drawn together, so
        shuffle one of them (the train functions do) unless paired data is wanted. Both need one row count."""
        X_a = check_images(X_a, self.n_features, "X_a")
        X_b = check_images(X_b, self.n_features_b, "X_b")
        if len(X_a) != len(X_b):
            raise ValueError(f"X_a and X_b must have the same number of rows, got {len(X_a)} and {len(X_b)}")
        return self._fit((X_a, X_b), epochs, batch_size, seed, run_dir, progress, resume, device)

    @torch.no_grad()
    def translate(self, X, direction: str = "ab") -> np.ndarray:
        """``G_AB(X)`` (``direction="ab"``) or ``G_BA(X)`` (``"ba"``) as float32 numpy."""
        if direction not in ("ab", "ba"):
            raise ValueError(f"direction must be 'ab' or 'ba', got {direction!r}")
        width = self.n_features if direction == "ab" else self.n_features_b
        images = torch.from_numpy(check_images(X, width, "X")).to(self.device, self.dtype)
        return self.generators[direction](images).clamp(0, 1).cpu().numpy()


class ResidualTranslator(nn.Module):
    """A CycleGAN generator ``x -> x + MLP(x)`` whose last layer starts at zero, so training starts from the
    identity map (which satisfies the cycle) and the adversarial loss moves it only as far as domain B needs: on
    MLPs without a convolution's locality this keeps the content (the digit's class) where a freshly initialised
    generator finds an arbitrary invertible map. The output is unbounded in training; :meth:`CycleGAN.translate`
    clips it to [0, 1]."""

    def __init__(self, n_features: int, hidden_sizes: list[int], device=None, dtype=None):
        super().__init__()
        self.net = MLP(n_features, hidden_sizes, n_features, device=device, dtype=dtype)
        last = self.net.layers[-1]
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x)


def _translator(in_features: int, hidden_sizes: list[int], out_features: int, **factory_kwargs) -> nn.Module:
    """A CycleGAN generator: residual (identity at start) between domains of one shape, else an MLP."""
    if in_features == out_features:
        return ResidualTranslator(in_features, hidden_sizes, **factory_kwargs)
    return MLP(in_features, hidden_sizes, out_features, **factory_kwargs)
