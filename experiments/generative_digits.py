"""The ``generative-digits`` experiment: cGAN, LapGAN, BiGAN and CycleGAN on digits, scored by a digits classifier
(notes 5.2)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from boltzgym.models.datasets import load_dataset
from boltzgym.models.generative import metrics as metrics
from boltzgym.models.generative.digits import (
    N_SAMPLES,
    BiGANConfig,
    CGANConfig,
    CycleGANConfig,
    LapGANConfig,
    dataset_labels,
    save_image_rows,
    train_bigan,
    train_cgan,
    train_cyclegan,
    train_lapgan,
    unit_images,
)
from boltzgym.utils.parts import PartStore
from boltzgym.utils.validation import setting_ranges


@setting_ranges(epochs=(1, 10_000))
def generative_digits(
    out_dir: str | Path,
    seed: int = 0,
    progress: bool = False,
    epochs: int = 150,
    data: str = "digits",
    domain: str = "thicken",
    resume: bool = False,
) -> dict:
    """Notes 5.2's table of GAN extensions at CPU scale on 8x8 digits: a cGAN draws the requested digit, a
    LapGAN builds images coarse-to-fine, a BiGAN's encoder learns features that a linear probe can use, a CycleGAN
    translates between digits and a ``domain`` version of them keeping the class. Each trains ``epochs`` epochs
    (seed ``seed``) and is scored by one digits classifier; the plain GAN of notes 5.2 (``models.gan``, same
    width, ``epochs``) gives the Fréchet baseline. Writes ``generative_digits.png`` (samples side by side) and
    returns the figures as keys. Runs on one torch thread (these small MLPs gain nothing from more). Each of the five
    trainings is one part kept in ``out_dir/parts``: ``resume=True`` (``--out OUT --resume``) skips finished ones."""
    from boltzgym.models.training import torch_threads

    with torch_threads(1):
        parts = PartStore(out_dir, {"seed": seed, "epochs": epochs, "data": data, "domain": domain}, resume=resume)
        return _generative_digits(Path(out_dir), seed, progress, epochs, data, domain, parts)


# what the figure and summary use of each trainer's summary (kept in the part)
_KEPT = ("conditional_accuracy", "class_retention", "class_retention_ab", "class_retention_ba", "probe_accuracy",
         "random_probe_accuracy", "frechet_distance")  # fmt: skip


def _generative_digits(out_dir: Path, seed: int, progress: bool, epochs: int, data: str, domain: str, parts) -> dict:
    from boltzgym.models.generative.gan import GAN

    dataset = load_dataset(data, seed)
    x, x_test, _ = unit_images(dataset)
    y, _ = dataset_labels(dataset, "generative-digits")
    start = time.perf_counter()
    summaries, seconds = {}, {}
    trainers = {
        "cgan": (train_cgan, CGANConfig(epochs=epochs)),
        "lapgan": (train_lapgan, LapGANConfig(epochs=epochs)),
        "bigan": (train_bigan, BiGANConfig(epochs=epochs)),
        "cyclegan": (train_cyclegan, CycleGANConfig(epochs=epochs, domain=domain)),
    }

    def run_trainer(name: str, train, config) -> dict:
        begin = time.perf_counter()
        summary = train(config, dataset, seed=seed, run_dir=out_dir / name, progress=progress)
        return {**{key: summary[key] for key in _KEPT if key in summary}, "seconds": time.perf_counter() - begin}

    def run_gan() -> dict:
        begin = time.perf_counter()
        with torch.random.fork_rng(devices=[]):
            gan = GAN(x.shape[1], 32, (256, 256), (256, 256), pack=2, learning_rate=5e-4, output_activation="sigmoid",
                      seed=seed)  # fmt: skip
            gan.fit(x, epochs=epochs, batch_size=64, seed=seed, progress=progress)
        return {"samples": gan.sample(N_SAMPLES, seed=seed + 1), "seconds": time.perf_counter() - begin}

    for name, (train, config) in trainers.items():
        summaries[name] = parts.run(
            name, lambda name=name, train=train, config=config: run_trainer(name, train, config)
        )
        seconds[name] = summaries[name]["seconds"]
    gan_part = parts.run("gan", run_gan)
    gan_samples, seconds["gan"] = gan_part["samples"], gan_part["seconds"]
    classifier = metrics.train_digits_classifier(x, y, seed=seed, cache_dir=out_dir / "cgan")
    result = {
        "conditional_accuracy": summaries["cgan"]["conditional_accuracy"],
        "class_retention": summaries["cyclegan"]["class_retention"],
        "class_retention_ab": summaries["cyclegan"]["class_retention_ab"],
        "class_retention_ba": summaries["cyclegan"]["class_retention_ba"],
        "domain": domain,
        "probe_accuracy": summaries["bigan"]["probe_accuracy"],
        "random_probe_accuracy": summaries["bigan"]["random_probe_accuracy"],
        "frechet_distance": {
            "train_images": metrics.classifier_frechet_distance(classifier, x_test, x[:N_SAMPLES]),
            "gan": metrics.classifier_frechet_distance(classifier, x_test, gan_samples),
            **{name: summaries[name]["frechet_distance"] for name in ("cgan", "lapgan", "bigan")},
        },
        "seconds": {**seconds, "total": time.perf_counter() - start},
        "epochs": epochs,
    }
    _experiment_figure(out_dir, result, gan_samples, epochs, seed)
    return result


def _experiment_figure(out_dir: Path, result: dict, gan_samples: np.ndarray, epochs: int, seed: int) -> None:
    """``generative_digits.png``: the samples of every run side by side (rows stacked from each run's grid)."""
    import matplotlib.image as mpimg

    from boltzgym.utils.plotting import new_figure, save_figure

    save_image_rows([("GAN", gan_samples[:20])], out_dir / "gan" / "samples.png", "plain GAN samples")
    names = ("cgan", "lapgan", "bigan", "cyclegan", "gan")
    fig, axes = new_figure(1, len(names), figsize=(4 * len(names), 5))
    fd = result["frechet_distance"]
    captions = {
        "cgan": f"cGAN: conditional accuracy {result['conditional_accuracy']:.2f}, FD {fd['cgan']:.1f}",
        "lapgan": f"LapGAN: FD {fd['lapgan']:.1f}",
        "bigan": f"BiGAN: probe {result['probe_accuracy']:.2f} (random {result['random_probe_accuracy']:.2f})",
        "cyclegan": f"CycleGAN ({result['domain']}): class kept {result['class_retention']:.2f}",
        "gan": f"plain GAN: FD {fd['gan']:.1f}",
    }
    for ax, name in zip(axes, names):
        ax.imshow(mpimg.imread(out_dir / name / "samples.png"))
        ax.set_title(captions[name], fontsize=8)
        ax.axis("off")
    fig.suptitle(
        f"GAN extensions on 8x8 digits, {epochs} epochs each, seed {seed}; FD = Fréchet distance of digits-classifier "
        f"features to the test set (train images: {fd['train_images']:.1f})",
        fontsize=9,
    )
    save_figure(fig, out_dir / "generative_digits.png", dpi=120)
