"""``boltzgym fit cgan|lapgan|bigan|cyclegan`` and ``boltzgym experiment generative-digits``: the GAN extensions of
notes 5.2 on 8x8 digits, scored by the digits classifier of :mod:`boltzgym.models.generative.metrics`.

Images: every model here works on pixels in [0, 1]. :func:`unit_images` rescales a dataset's images per pixel
with the training set's minimum and maximum (for ``digits``, whose pixels are standardised, this undoes the
standardisation up to each pixel's range; ``binary-digits`` stays as it is). The classifier that scores a run is
trained on the same rescaled training images (and cached in the run folder).

Summary keys (besides the registry's): ``frechet_distance`` (classifier features of 1000 samples vs the test
images), ``conditional_accuracy`` (cgan: samples classified as their requested digit, 100 per digit),
``probe_accuracy``/``random_probe_accuracy`` (bigan: logistic regression on encoder features of train -> test,
against a freshly initialised encoder of the same shape), ``class_retention_ab``/``class_retention_ba``/
``class_retention`` (cyclegan: test images translated to the other domain and classified there by a classifier
trained on that domain).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from boltzgym.models.config import fit_defaults, honours_device, model_config, model_kwargs, seeded
from boltzgym.models.datasets import Dataset
from boltzgym.models.generative import metrics as metrics
from boltzgym.models.generative.gan import check_latent_size
from boltzgym.models.generative.gan_extensions import BiGAN, ConditionalGAN, CycleGAN, LapGAN
from boltzgym.models.supervised.trainers import fit_summary

DOMAINS = ("transpose", "invert", "thicken", "rotate")
N_SAMPLES = 1000  # generated images scored per model


def unit_images(dataset: Dataset) -> tuple[np.ndarray, np.ndarray, int]:
    """``(x_train, x_test, side)``: flat float32 images rescaled per pixel to [0, 1] with the training set's
    min/max (test pixels clipped); ``ValueError`` naming ``data`` unless the images are square."""
    x_train = np.asarray(dataset.x_train, dtype=np.float32).reshape(len(dataset.x_train), -1)
    x_test = np.asarray(dataset.x_test, dtype=np.float32).reshape(len(dataset.x_test), -1)
    side = int(round(np.sqrt(x_train.shape[1])))
    if side * side != x_train.shape[1] or dataset.kind in ("points", "sequence", "text"):
        raise ValueError(f"data {dataset.name!r} must hold square images (such as digits), got {x_train.shape[1:]}")
    low, high = x_train.min(axis=0), x_train.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    return (
        np.clip((x_train - low) / span, 0, 1).astype(np.float32),
        np.clip((x_test - low) / span, 0, 1).astype(np.float32),
        side,
    )


def domain_transform(images: np.ndarray, side: int, domain: str) -> np.ndarray:
    """Domain B of a CycleGAN built from flat ``side x side`` images in [0, 1]: ``"transpose"`` (mirror on the
    diagonal), ``"invert"`` (``1 - x``), ``"thicken"`` (3x3 grey dilation: thicker strokes), ``"rotate"`` (90
    degrees counter-clockwise)."""
    if domain not in DOMAINS:
        raise ValueError(f"domain must be one of {list(DOMAINS)}, got {domain!r}")
    square = np.asarray(images, dtype=np.float32).reshape(-1, side, side)
    if domain == "transpose":
        out = square.transpose(0, 2, 1)
    elif domain == "invert":
        out = 1.0 - square
    elif domain == "rotate":
        out = np.rot90(square, 1, axes=(1, 2))
    else:
        tensor = torch.from_numpy(np.ascontiguousarray(square))[:, None]
        out = torch.nn.functional.max_pool2d(tensor, 3, stride=1, padding=1)[:, 0].numpy()
    return np.ascontiguousarray(out.reshape(len(square), side * side), dtype=np.float32)


def dataset_labels(dataset: Dataset, model: str) -> tuple[np.ndarray, np.ndarray]:
    """The train and test labels of ``dataset`` as int64; ``ValueError`` naming ``model`` for an unlabelled set."""
    if dataset.y_train is None or dataset.y_test is None or dataset.n_classes is None:
        raise ValueError(f"data {dataset.name!r} has no labels; {model} needs a labelled image set such as digits")
    return np.asarray(dataset.y_train, dtype=np.int64), np.asarray(dataset.y_test, dtype=np.int64)


class _LatentCheck:
    def check(self) -> None:
        self.latent_size = check_latent_size(self.latent_size)


@dataclass
class DomainSettings:
    """The trainer-only key of ``boltzgym fit cyclegan``."""

    domain: str = "thicken"  # transpose | invert | thicken | rotate

    def check(self) -> None:
        if self.domain not in DOMAINS:
            raise ValueError(f"domain must be one of {list(DOMAINS)}, got {self.domain!r}")


def _adversarial_config(name: str, model: type, exclude: tuple[str, ...], bases=(), aliases=None, doc="") -> type:
    """A GAN extension's config: ``epochs`` and ``batch_size`` from ``model.fit``, the rest from ``model()``."""
    return model_config(name, model, training=fit_defaults(model.fit), training_keys=("epochs", "batch_size"),
                        exclude=(*exclude, "seed"), bases=bases, aliases=aliases, doc=doc,
                        module=__name__)  # fmt: skip


CGANConfig = _adversarial_config(
    "CGANConfig", ConditionalGAN, ("n_features", "n_classes"), bases=(_LatentCheck,),
    aliases={"hidden_sizes": ("generator_sizes", "discriminator_sizes")},
    doc="The conditional GAN of ``boltzgym fit cgan``: ConditionalGAN's parameters and fit's epochs, batch_size.",
)  # fmt: skip
"""The conditional GAN of ``boltzgym fit cgan``: ConditionalGAN's parameters and fit's epochs, batch_size."""
LapGANConfig = _adversarial_config("LapGANConfig", LapGAN, ("side",), bases=(_LatentCheck,),
                                   doc="The two-level LapGAN of ``boltzgym fit lapgan``.")  # fmt: skip
"""The two-level LapGAN of ``boltzgym fit lapgan``."""
BiGANConfig = _adversarial_config("BiGANConfig", BiGAN, ("n_features",), bases=(_LatentCheck,),
                                  doc="The BiGAN of ``boltzgym fit bigan``.")  # fmt: skip
"""The BiGAN of ``boltzgym fit bigan``."""
CycleGANConfig = _adversarial_config(
    "CycleGANConfig", CycleGAN, ("n_features", "n_features_b"), bases=(DomainSettings,),
    doc="The CycleGAN of ``boltzgym fit cyclegan``: digits (A) <-> ``domain`` (B), unpaired.",
)  # fmt: skip
"""The CycleGAN of ``boltzgym fit cyclegan``: digits (A) <-> ``domain`` (B), unpaired."""


def _finish(model, x_test, samples, classifier, run_dir, title: str, rows=None) -> dict:
    result = model.history_
    summary = fit_summary(model, result, result.last("train_loss"), None)
    summary["frechet_distance"] = metrics.classifier_frechet_distance(classifier, x_test, samples)
    if run_dir is not None:
        save_image_rows(rows or [("samples", samples[:80])], Path(run_dir) / "samples.png", title)
    return summary


def build_cgan(config, dataset: Dataset, seed: int = 0, *, device=None, dtype=None) -> ConditionalGAN:
    """``boltzgym fit cgan``'s model for a labelled image set."""
    x, _, _ = unit_images(dataset)
    dataset_labels(dataset, "cgan")
    with seeded(seed):
        return ConditionalGAN(
            x.shape[1], int(dataset.n_classes), seed=seed, **model_kwargs(config), device=device, dtype=dtype
        )


def build_lapgan(config, dataset: Dataset, seed: int = 0, *, device=None, dtype=None) -> LapGAN:
    """``boltzgym fit lapgan``'s model for square images."""
    _, _, side = unit_images(dataset)
    with seeded(seed):
        return LapGAN(side, seed=seed, **model_kwargs(config), device=device, dtype=dtype)


def build_bigan(config, dataset: Dataset, seed: int = 0, *, device=None, dtype=None) -> BiGAN:
    """``boltzgym fit bigan``'s model for square images (``seed + 1``: the random encoder it is probed against)."""
    x, _, _ = unit_images(dataset)
    with seeded(seed):
        return BiGAN(x.shape[1], seed=seed, **model_kwargs(config), device=device, dtype=dtype)


def build_cyclegan(config, dataset: Dataset, seed: int = 0, *, device=None, dtype=None) -> CycleGAN:
    """``boltzgym fit cyclegan``'s model between the images and their ``domain`` transform."""
    x, _, side = unit_images(dataset)
    with seeded(seed):
        return CycleGAN(x.shape[1], domain_transform(x[:1], side, config.domain).shape[1], seed=seed,
                        **model_kwargs(config), device=device, dtype=dtype)  # fmt: skip


@honours_device
def train_cgan(config, dataset: Dataset, *, epochs=None, seed=0, run_dir=None, resume=False, progress=False,
               device="auto") -> dict:  # fmt: skip
    """``boltzgym fit cgan``: conditional accuracy of 100 samples per class and the Fréchet distance."""
    x, x_test, _ = unit_images(dataset)
    y, _ = dataset_labels(dataset, "cgan")
    classifier = metrics.train_digits_classifier(x, y, seed=seed, cache_dir=run_dir, device=device)
    model = build_cgan(config, dataset, seed)
    with torch.random.fork_rng(devices=[]):
        model.fit(x, y, epochs=epochs or config.epochs, batch_size=config.batch_size, seed=seed, run_dir=run_dir,
                  progress=progress, resume=resume, device=device)  # fmt: skip
    labels = np.repeat(np.arange(model.n_classes), N_SAMPLES // model.n_classes)
    samples = model.sample(labels, seed=seed + 1)
    rows = [(f"digit {k}", samples[labels == k][:10]) for k in range(model.n_classes)]
    summary = _finish(model, x_test, samples, classifier, run_dir, "cGAN samples, one row per requested digit", rows)
    summary["conditional_accuracy"] = metrics.conditional_accuracy(classifier, samples, labels)
    return summary


@honours_device
def train_lapgan(config, dataset: Dataset, *, epochs=None, seed=0, run_dir=None, resume=False, progress=False,
                 device="auto") -> dict:  # fmt: skip
    """``boltzgym fit lapgan``: Fréchet distance of the pyramid's samples (coarse and final shown)."""
    from boltzgym.models.generative.gan_extensions import upsample

    x, x_test, side = unit_images(dataset)
    classifier = _classifier(dataset, x, seed, run_dir, device)
    model = build_lapgan(config, dataset, seed)
    with torch.random.fork_rng(devices=[]):
        model.fit(x, epochs=epochs or config.epochs, batch_size=config.batch_size, seed=seed, run_dir=run_dir,
                  progress=progress, resume=resume, device=device)  # fmt: skip
    samples, coarse = model.sample(N_SAMPLES, seed=seed + 1, return_coarse=True)
    coarse_up = upsample(torch.from_numpy(coarse[:10]), side).numpy()
    rows = [("coarse", coarse_up), ("final", samples[:10]), ("more", samples[10:30])]
    return _finish(model, x_test, samples, classifier, run_dir, "LapGAN: coarse level (upsampled) and samples", rows)


@honours_device
def train_bigan(config, dataset: Dataset, *, epochs=None, seed=0, run_dir=None, resume=False, progress=False,
                device="auto") -> dict:  # fmt: skip
    """``boltzgym fit bigan``: the encoder's linear-probe accuracy against a random encoder's, Fréchet distance."""
    x, x_test, _ = unit_images(dataset)
    classifier = _classifier(dataset, x, seed, run_dir, device)
    model = build_bigan(config, dataset, seed)
    random_encoder = build_bigan(config, dataset, seed + 1)
    with torch.random.fork_rng(devices=[]):
        model.fit(x, epochs=epochs or config.epochs, batch_size=config.batch_size, seed=seed, run_dir=run_dir,
                  progress=progress, resume=resume, device=device)  # fmt: skip
    samples = model.sample(N_SAMPLES, seed=seed + 1)
    rows = [("data", x_test[:10]), ("G(E(x))", model.reconstruct(x_test[:10])), ("G(z)", samples[:20])]
    summary = _finish(model, x_test, samples, classifier, run_dir, "BiGAN: test images, G(E(x)), samples", rows)
    if dataset.y_train is not None:
        y, y_test = dataset_labels(dataset, "bigan")
        summary["probe_accuracy"] = metrics.linear_probe_accuracy(model.encode(x), y, model.encode(x_test), y_test)
        summary["random_probe_accuracy"] = metrics.linear_probe_accuracy(
            random_encoder.encode(x), y, random_encoder.encode(x_test), y_test
        )
    return summary


@honours_device
def train_cyclegan(config, dataset: Dataset, *, epochs=None, seed=0, run_dir=None, resume=False, progress=False,
                   device="auto") -> dict:  # fmt: skip
    """``boltzgym fit cyclegan``: class retention of the translations in both directions."""
    x, x_test, side = unit_images(dataset)
    y, y_test = dataset_labels(dataset, "cyclegan")
    x_b, x_b_test = domain_transform(x, side, config.domain), domain_transform(x_test, side, config.domain)
    unpaired = x_b[np.random.default_rng([seed, 7]).permutation(len(x_b))]  # no image meets its own transform
    classifier_a = metrics.train_digits_classifier(x, y, seed=seed, cache_dir=run_dir, device=device)
    classifier_b = metrics.train_digits_classifier(x_b, y, seed=seed, cache_dir=run_dir, device=device)
    model = build_cyclegan(config, dataset, seed)
    with torch.random.fork_rng(devices=[]):
        model.fit(x, unpaired, epochs=epochs or config.epochs, batch_size=config.batch_size, seed=seed,
                  run_dir=run_dir, progress=progress, resume=resume, device=device)  # fmt: skip
    to_b, to_a = model.translate(x_test, "ab"), model.translate(x_b_test, "ba")
    rows = [("A", x_test[:10]), ("G_AB(A)", to_b[:10]), ("B", x_b_test[:10]), ("G_BA(B)", to_a[:10])]
    summary = _finish(model, x_b_test, to_b, classifier_b, run_dir, f"CycleGAN digits <-> {config.domain}", rows)
    summary["domain"] = config.domain
    summary["class_retention_ab"] = metrics.conditional_accuracy(classifier_b, to_b, y_test)
    summary["class_retention_ba"] = metrics.conditional_accuracy(classifier_a, to_a, y_test)
    summary["class_retention"] = 0.5 * (summary["class_retention_ab"] + summary["class_retention_ba"])
    return summary


def _classifier(dataset: Dataset, x: np.ndarray, seed: int, run_dir, device):
    """The scoring classifier of a labelled image set (``ValueError`` naming ``data`` for unlabelled data)."""
    if dataset.y_train is None:
        raise ValueError(f"data {dataset.name!r} has no labels; the Fréchet distance here needs a labelled image set")
    return metrics.train_digits_classifier(x, np.asarray(dataset.y_train), seed=seed, cache_dir=run_dir, device=device)


def save_image_rows(rows: list[tuple[str, np.ndarray]], path: Path, title: str) -> Path:
    """One labelled row of flat square images per ``(name, images)`` entry (up to 10 per row), as a PNG."""
    from boltzgym.utils.plotting import new_figure, save_figure

    n_cols = 10
    rows = [(name, images[i : i + n_cols]) for name, images in rows for i in range(0, max(len(images), 1), n_cols)]
    side = int(round(np.sqrt(rows[0][1].shape[1])))
    fig, axes = new_figure(len(rows), n_cols, figsize=(n_cols * 0.6 + 1.2, len(rows) * 0.62 + 0.5), squeeze=False)
    for r, (name, images) in enumerate(rows):
        for c in range(n_cols):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if c < len(images):
                ax.imshow(images[c].reshape(side, side), cmap="gray_r", vmin=0, vmax=1)
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=7)
    fig.suptitle(title, fontsize=9)
    return save_figure(fig, path)
