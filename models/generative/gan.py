"""Generative adversarial network (notes 5.2; Goodfellow et al. 2014) with the notes' training fixes as options.

The discriminator ``D`` maximises ``log D(x) + log(1 - D(G(z)))``; the generator then either minimises
``log(1 - D(G(z)))`` (the minimax loss, whose gradient vanishes when ``D`` confidently rejects the fakes: d/dlogit
of ``log(1 - sigmoid(l))`` is ``-sigmoid(l)`` -> 0) or maximises ``log D(G(z))`` (the non-saturating loss, gradient
``-(1 - sigmoid(l))`` -> -1 there). The fixes of notes 5.2 are constructor options:

- ``generator_loss="non-saturating"`` (default) against the vanishing gradient;
- ``pack=2`` (default): the discriminator judges ``pack`` samples at once (PacGAN, Lin et al. 2018) and
  ``minibatch_features``: minibatch discrimination (Salimans et al. 2016), the notes' "train in batches" against
  mode collapse: a batch of identical fakes is easy to spot;
- ``label_smoothing=0.1`` (default): one-sided, real targets ``1 - 0.1`` (fake targets stay 0), against an
  over-confident discriminator (Salimans et al. 2016);
- ``gradient_penalty=0.1`` (default): the R1 penalty ``gamma/2 E_x ||grad_x D(x)||^2`` on real data, x in data
  units (Mescheder et al. 2018), which makes the non-saturating GAN converge locally instead of circling the
  equilibrium;
- ``clip_grad_norm=10`` (default): gradient-norm clipping of both players;
- ``learning_rate_decay=0.3`` (default): the learning rate falls linearly to 0 over the last 30% of the steps of
  :meth:`GAN.fit`, the annealing that turns oscillation around the modes into precise samples;
- ``averaging="ema"`` / ``"polynomial"``: the generator's parameters averaged over training (Yazici et al. 2019)
  against oscillation; :meth:`GAN.sample` draws from the averaged generator (off by default: on the toy mixtures
  averaging generators that still move modes between latent regions blurs the samples; the decay does better).

Adam's momentum (``betas=(0.5, 0.999)``, Radford et al. 2016, for every GAN of boltzgym: :data:`ADAM_BETAS`) is
the notes' momentum fix. :class:`AdversarialModel` is the one training path of every GAN here (this one and the
extensions of :mod:`boltzgym.models.generative.gan_extensions`): one Adam per player, a clipped update, ``fit``. Both
players work in standardised units (``standardize=True``: the data's mean and overall standard deviation, set by
:meth:`GAN.fit`), so one learning rate serves the unit ring and the [-4, 4]^2 grid. Training runs through
``boltzgym.models.training.fit`` (its ``training_step`` hook with two optimizers), which also stops a diverging
(NaN) run with :class:`boltzgym.models.training.TrainingDiverged` and keeps the last good checkpoint.

``GAN()`` and ``GAN.fit`` defaults (250 epochs of 10000 points, batch 256: about 10k steps) are the configuration
measured on PacGAN's ring-8 and grid-25 (see ``boltzgym experiment mode-collapse`` and the README).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from boltzgym.models.supervised.mlp import MLP
from boltzgym.utils.deprecation import renamed_kwargs
from boltzgym.utils.validation import check_int, check_positive, check_probability

GENERATOR_LOSSES = ("non-saturating", "minimax")
AVERAGING = ("ema", "polynomial", "none")
ADAM_BETAS = (0.5, 0.999)  # Adam's (beta1, beta2) for every player of every GAN (Radford et al. 2016)


def check_latent_size(latent_size) -> int:
    """``latent_size`` as a positive int; ``ValueError``/``TypeError`` naming it otherwise."""
    if isinstance(latent_size, int) and not isinstance(latent_size, bool) and latent_size <= 0:
        raise ValueError(f"latent_size must be a positive integer, got {latent_size}")
    return check_int("latent_size", latent_size, minimum=1)


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, label_smoothing: float = 0.0):
    """``-[log D(x) + log(1 - D(G(z)))]`` as mean binary cross-entropies; one-sided smoothing sets real targets to
    ``1 - label_smoothing`` (fake targets stay 0: smoothing those would reward the fakes)."""
    label_smoothing = check_probability("label_smoothing", label_smoothing)
    real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, 1.0 - label_smoothing))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def generator_loss(fake_logits: torch.Tensor, kind: str = "non-saturating") -> torch.Tensor:
    """``"minimax"``: ``mean log(1 - D(G(z)))``; ``"non-saturating"``: ``-mean log D(G(z))`` (notes 5.2)."""
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()  # log(1 - sigmoid(l)) = -softplus(l)
    if kind == "non-saturating":
        return F.softplus(-fake_logits).mean()  # -log sigmoid(l) = softplus(-l)
    raise ValueError(f"generator_loss must be one of {list(GENERATOR_LOSSES)}, got {kind!r}")


class MinibatchDiscrimination(nn.Module):
    """Minibatch discrimination (Salimans et al. 2016): appends, per kernel b, ``sum_j exp(-||M_ib - M_jb||_1)``
    over the other samples j of the batch to each sample's features, so the discriminator sees batch diversity."""

    def __init__(self, in_features: int, n_kernels: int = 8, kernel_size: int = 4, device=None, dtype=None):
        super().__init__()
        self.n_kernels, self.kernel_size = n_kernels, kernel_size
        self.tensor = nn.Parameter(torch.randn(in_features, n_kernels * kernel_size, device=device, dtype=dtype) * 0.1)
        self.out_features = in_features + n_kernels

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        m = (features @ self.tensor).view(-1, self.n_kernels, self.kernel_size)
        l1 = (m[:, None] - m[None, :]).abs().sum(-1)  # (B, B, n_kernels)
        closeness = torch.exp(-l1).sum(1) - 1.0  # minus exp(0) of the sample itself
        return torch.cat([features, closeness], dim=1)


class Discriminator(nn.Module):
    """MLP discriminator on ``pack`` concatenated samples, optionally with minibatch discrimination; returns logits."""

    def __init__(self, n_features: int, hidden_sizes: Sequence[int], pack: int = 1, minibatch_features: int = 0,
                 device=None, dtype=None):  # fmt: skip
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.pack = pack
        self.body = MLP(n_features * pack, list(hidden_sizes), None, activation="relu", **factory_kwargs)
        width = self.body.out_features
        self.minibatch = (
            MinibatchDiscrimination(width, minibatch_features, **factory_kwargs) if minibatch_features else None
        )
        self.head = nn.Linear(self.minibatch.out_features if self.minibatch else width, 1, **factory_kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = len(x) // self.pack * self.pack
        h = self.body(x[:n].reshape(n // self.pack, -1))
        if self.minibatch is not None:
            h = self.minibatch(h)
        return self.head(h).squeeze(-1)


class AdversarialModel(nn.Module):
    """The one training path of boltzgym's GANs: one Adam per player (betas :data:`ADAM_BETAS`), a clipped update,
    and ``fit`` through ``boltzgym.models.training.fit``'s ``training_step`` hook.

    Subclasses set ``self.players`` (name -> module), call :meth:`_set_training` before building their players, and
    define ``training_step(batch, optimizers)`` (using :meth:`_update` for each player's step)."""

    players: dict[str, nn.Module]
    learning_rate: float
    clip_grad_norm: float | None

    def _set_training(self, learning_rate: float, clip_grad_norm: float | None, seed: int) -> None:
        """Check and keep the players' shared settings, and seed the weights about to be initialised."""
        self.learning_rate = check_positive("learning_rate", learning_rate)
        self.clip_grad_norm = None if clip_grad_norm is None else check_positive("clip_grad_norm", clip_grad_norm)
        torch.manual_seed(check_int("seed", seed, minimum=0))

    def make_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Adam per player with ``betas=ADAM_BETAS`` (Radford et al. 2016; the notes' momentum fix)."""
        return {
            name: torch.optim.Adam(module.parameters(), lr=self.learning_rate, betas=ADAM_BETAS)
            for name, module in self.players.items()
        }

    def _update(self, loss: torch.Tensor, player: str, optimizer: torch.optim.Optimizer) -> None:
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.clip_grad_norm is not None:
            nn.utils.clip_grad_norm_(self.players[player].parameters(), self.clip_grad_norm)
        optimizer.step()

    def _alternate(
        self, d_loss, generator_loss_after, optimizers, discriminator="discriminator", generator="generator"
    ):
        """The notes' alternating update: one discriminator step on ``d_loss``, then one generator step on
        ``generator_loss_after()`` (evaluated against the discriminator that just moved); an averaged generator
        follows the generator. Returns the detached ``(d_loss, g_loss)``."""
        self._update(d_loss, discriminator, optimizers[discriminator])
        g_loss = generator_loss_after()
        self._update(g_loss, generator, optimizers[generator])
        averaged = getattr(self, "averaged_generator", None)
        if averaged is not None and generator == "generator":
            averaged.update_parameters(self.generator)
        return d_loss.detach(), g_loss.detach()

    def _fit(self, arrays: tuple[np.ndarray, ...], epochs: int, batch_size: int, seed: int, run_dir, progress,
             resume: bool = False, device="auto"):  # fmt: skip
        from boltzgym.models.training import fit

        self.train()
        self.history_ = fit(self, arrays, loss=None, optimizer=self.make_optimizers(), epochs=epochs,
                            batch_size=batch_size, seed=seed, run_dir=run_dir, resume=resume, progress=progress,
                            device=device)  # fmt: skip
        return self

    @property
    def device(self) -> torch.device:
        """Where the players' weights are (``fit`` moves them to its ``device``)."""
        return next(self.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        """The players' floating type (the ``dtype`` factory keyword, or what ``.to`` made it)."""
        return next(self.parameters()).dtype

    def _noise(self, n: int, seed: int | None) -> torch.Tensor:
        """``n`` latent rows from ``seed`` (drawn on the CPU, so one seed gives one noise anywhere), on the device
        and in the dtype of the players."""
        generator = None if seed is None else torch.Generator().manual_seed(int(seed))
        return torch.randn(n, self.latent_size, generator=generator).to(device=self.device, dtype=self.dtype)


class GAN(AdversarialModel):
    """GAN on flat real vectors with the notes' fixes (module docstring); ``GAN()`` is sized for the 2-D mixtures.

    Args:
        n_features: data width (2 for the toy mixtures).
        latent_size: width of the generator's Gaussian noise (> 0).
        generator_sizes, discriminator_sizes: hidden widths of the two MLPs.
        generator_loss: ``"non-saturating"`` (default) or ``"minimax"``.
        pack: samples the discriminator judges jointly (PacGAN; 1 disables).
        minibatch_features: minibatch-discrimination kernels (0 disables).
        label_smoothing: one-sided real-label smoothing (0 disables).
        clip_grad_norm: gradient-norm limit of both players (``None`` disables).
        averaging: ``"none"`` (default), ``"ema"`` or ``"polynomial"`` for the generator's parameters.
        ema_decay: decay of the exponential moving average (``None``: 0.999); only with ``averaging="ema"``.
        gradient_penalty: R1 weight gamma on real data (0 disables).
        learning_rate: Adam learning rate of both players.
        learning_rate_decay: fraction of :meth:`fit`'s steps, at the end, over which the learning rate falls
            linearly to 0.
        output_activation: ``None`` (real data) or ``"sigmoid"`` (data in [0, 1]).
        standardize: train both players on standardised data (real data only; ``fit`` sets the statistics).
        seed: initialises the weights.
        device, dtype: torch's factory keywords (as ``nn.Linear``'s): where and in which floating type the players
            and buffers are created.

    ``forward(z)`` is :meth:`generate`: samples in data units for latent rows ``z`` (batch, latent_size).
    """

    @renamed_kwargs(lr="learning_rate", lr_decay="learning_rate_decay")
    def __init__(
        self,
        n_features: int = 2,
        latent_size: int = 8,
        generator_sizes: Sequence[int] = (128, 128, 128),
        discriminator_sizes: Sequence[int] = (256, 256, 256),
        generator_loss: str = "non-saturating",
        pack: int = 2,
        minibatch_features: int = 0,
        label_smoothing: float = 0.1,
        clip_grad_norm: float | None = 10.0,
        averaging: str = "none",
        ema_decay: float | None = None,
        gradient_penalty: float = 0.1,
        learning_rate: float = 1e-3,
        learning_rate_decay: float = 0.3,
        output_activation: str | None = None,
        standardize: bool = True,
        seed: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ):
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.n_features = check_int("n_features", n_features, minimum=1)
        self.latent_size = check_latent_size(latent_size)
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {list(GENERATOR_LOSSES)}, got {generator_loss!r}")
        if averaging not in AVERAGING:
            raise ValueError(f"averaging must be one of {list(AVERAGING)}, got {averaging!r}")
        if output_activation not in (None, "sigmoid"):
            raise ValueError(f"output_activation must be None or 'sigmoid', got {output_activation!r}")
        self.generator_loss_kind = generator_loss
        self.pack = check_int("pack", pack, minimum=1)
        self.label_smoothing = check_probability("label_smoothing", label_smoothing)
        self.gradient_penalty = check_positive("gradient_penalty", gradient_penalty, allow_zero=True)
        self.learning_rate_decay = check_probability("learning_rate_decay", learning_rate_decay)
        self.output_activation = output_activation
        self._set_training(learning_rate, clip_grad_norm, seed)
        self.generator = MLP(latent_size, list(generator_sizes), n_features, activation="relu", **factory_kwargs)
        self.discriminator = Discriminator(
            n_features,
            discriminator_sizes,
            self.pack,
            check_int("minibatch_features", minibatch_features, 0),
            **factory_kwargs,
        )
        self.players = {"discriminator": self.discriminator, "generator": self.generator}
        self.averaging = averaging
        self.standardize = standardize and output_activation is None
        # both players work in standardised units: x = shift + scale * u (set by fit; identity until then)
        self.register_buffer("data_shift", torch.zeros(n_features, **factory_kwargs))
        self.register_buffer("data_scale", torch.ones((), **factory_kwargs))
        # the learning-rate schedule's position (checkpointed with the weights, so a resumed run continues it)
        self.register_buffer("steps_done", torch.zeros((), dtype=torch.long, device=device))
        self.register_buffer("total_steps", torch.zeros((), dtype=torch.long, device=device))
        if ema_decay is not None and averaging != "ema":
            raise ValueError(f"ema_decay={ema_decay} applies to averaging='ema' only, got averaging={averaging!r}")
        self.ema_decay = 0.999 if ema_decay is None else check_probability("ema_decay", ema_decay)
        self.averaged_generator = self._make_average(averaging, self.ema_decay, device)

    def _make_average(self, averaging: str, decay: float, device=None) -> AveragedModel | None:
        if averaging == "none":
            return None
        if averaging == "polynomial":
            from boltzgym.models.optim.optimizers import polynomial_averaging  # issue-10 optimizers module

            return AveragedModel(self.generator, device, avg_fn=polynomial_averaging())
        return AveragedModel(self.generator, device, multi_avg_fn=get_ema_multi_avg_fn(decay))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """:meth:`generate`: ``G(z)`` in data units (the generator itself, not the averaged one)."""
        return self.generate(z)

    def generate(self, z: torch.Tensor, averaged: bool = False) -> torch.Tensor:
        """``G(z)``; ``averaged=True`` uses the averaged generator when there is one."""
        net = self.averaged_generator if averaged and self.averaged_generator is not None else self.generator
        out = net(z)
        return torch.sigmoid(out) if self.output_activation == "sigmoid" else self.data_shift + self.data_scale * out

    def judge(self, x: torch.Tensor) -> torch.Tensor:
        """The discriminator's logits on ``x`` in data units (one per pack of ``pack`` rows)."""
        return self.discriminator((x - self.data_shift) / self.data_scale)

    def _schedule_lr(self, optimizers) -> None:
        """Linear decay to 0 over the last ``learning_rate_decay`` fraction of the ``total_steps`` that fit set (none
        without)."""
        total, done = int(self.total_steps), int(self.steps_done)
        if total > 0 and self.learning_rate_decay > 0:
            factor = min(1.0, (total - done) / (self.learning_rate_decay * total))
            for optimizer in optimizers.values():
                for group in optimizer.param_groups:
                    group["lr"] = self.learning_rate * max(factor, 0.0)
        self.steps_done += 1

    def training_step(self, batch: tuple[torch.Tensor, ...], optimizers) -> dict[str, torch.Tensor]:
        """One discriminator step then one generator step (``fit``'s hook for several optimizers)."""
        self._schedule_lr(optimizers)
        real = batch[0].to(self.dtype)  # the batch in the players' dtype (a no-op for float32 players)
        if len(real) < self.pack:
            real = real.repeat(self.pack, 1)
        z = torch.randn(len(real), self.latent_size, device=real.device, dtype=real.dtype)
        fake = self.generate(z)
        if self.gradient_penalty > 0:
            real = real.detach().requires_grad_(True)
        real_logits = self.judge(real)
        d_loss = discriminator_loss(real_logits, self.judge(fake.detach()), self.label_smoothing)
        if self.gradient_penalty > 0:  # R1 (Mescheder et al. 2018): gamma/2 E ||grad_x D(x)||^2 on real data
            (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
            d_loss = d_loss + 0.5 * self.gradient_penalty * grad.pow(2).sum() / len(real_logits)
        d_loss, g_loss = self._alternate(
            d_loss, lambda: generator_loss(self.judge(fake), self.generator_loss_kind), optimizers
        )
        return {"loss": d_loss + g_loss, "d_loss": d_loss, "g_loss": g_loss}

    def fit(
        self,
        X,
        epochs: int = 250,
        batch_size: int = 256,
        seed: int = 0,
        run_dir: str | Path | None = None,
        progress: bool = False,
        resume: bool = False,
        device="auto",
    ):
        """Train on the rows of ``X`` (n, n_features) through ``boltzgym.models.training.fit``; returns ``self``
        (``history_`` holds ``fit``'s result). ``resume`` continues from ``run_dir``'s checkpoint."""
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X must have shape (n_samples, {self.n_features}), got {X.shape}")
        if self.standardize:
            self.data_shift.copy_(torch.from_numpy(X.mean(axis=0)))
            self.data_scale.fill_(float((X - X.mean(axis=0)).std()) or 1.0)
        self.total_steps.fill_(epochs * -(-len(X) // batch_size))  # each fit call runs its own schedule
        self.steps_done.zero_()  # (a resumed run reloads the position from its checkpoint)
        return self._fit((X,), epochs, batch_size, seed, run_dir, progress, resume, device)

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0, averaged: bool = True) -> np.ndarray:
        """``n`` generated samples (float32 numpy), from the averaged generator unless ``averaged=False``."""
        n = check_int("n", n, minimum=1)
        return self.generate(self._noise(n, seed), averaged=averaged).cpu().numpy()
