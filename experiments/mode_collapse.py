"""``boltzgym experiment mode-collapse`` (notes 5.2): a vanilla GAN against ``GAN()`` with the mode-collapse fixes.

The claim: a plain GAN trained on a mixture drops modes (mode collapse) or leaves samples between them, and the
notes' fixes (judging samples in packs, PacGAN; plus the stabilisers of :mod:`boltzgym.models.generative.gan`) recover
every
mode with precise samples. Both models share architecture, data, optimiser and number of steps; "vanilla" is the
non-saturating GAN of Goodfellow et al. 2014 (PacGAN's baseline) with every fix off.

Data and measure (PacGAN, Lin et al. 2018; VEEGAN protocol, Srivastava et al. 2017): ``ring-8`` (unit circle,
sigma 0.01) and ``grid-25`` ({-4..4}^2 step 2, sigma 0.05), 10000 training points; 2500 generated samples; a
sample is high quality within 3 sigma of its nearest mode; a mode is covered when it is the nearest mode of at
least one high-quality sample. PacGAN reports, on these data, 6.3/8 and 17.3/25 modes for the vanilla GAN and
7.9/8 and 23.8/25 for PacGAN2.
"""

from __future__ import annotations

import functools
import inspect
import time
from pathlib import Path

import numpy as np
import torch

from boltzgym.models.generative.gan import GAN
from boltzgym.models.generative.metrics import N_COVERAGE_SAMPLES, mixture_modes, mode_coverage, sample_mixture
from boltzgym.models.training import torch_threads
from boltzgym.utils.parts import PartStore
from boltzgym.utils.validation import setting_ranges

# the GAN keyword arguments of each variant; "fixed" is GAN()'s defaults
_VANILLA = {
    "pack": 1,
    "minibatch_features": 0,
    "label_smoothing": 0.0,
    "clip_grad_norm": None,
    "averaging": "none",
    "gradient_penalty": 0.0,
}


def _one_fix(name: str) -> dict:
    """Vanilla with the single fix ``name`` at ``GAN()``'s default value (the ablation rows)."""
    return {**_VANILLA, name: inspect.signature(GAN).parameters[name].default}


VARIANTS: dict[str, dict] = {
    "vanilla": _VANILLA,
    "fixed": {},
    # vanilla plus one fix each (which fix does the work; not in the default run, ~2.4 CPU-minutes a training)
    "packing": _one_fix("pack"),
    "r1": _one_fix("gradient_penalty"),
    "smoothing": _one_fix("label_smoothing"),
    "clipping": _one_fix("clip_grad_norm"),
}


def train_variant(variant: str, mixture: str, seed: int, epochs: int | None = None, progress: bool = False,
                  n_points: int = 10000):  # fmt: skip
    """Train GAN variant ``variant`` on ``n_points`` points of ``mixture`` (data seed ``seed``); returns
    ``(samples, coverage, seconds)`` with 2500 samples from seed ``seed + 1``."""

    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {list(VARIANTS)}, got {variant!r}")
    x = sample_mixture(mixture, n_points, seed)
    start = time.perf_counter()
    with torch.random.fork_rng(devices=[]), torch_threads(1):  # small MLPs: one thread is fastest
        model = GAN(seed=seed, **VARIANTS[variant])
        model.fit(x, **({"epochs": epochs} if epochs else {}), seed=seed, progress=progress)
    samples = model.sample(N_COVERAGE_SAMPLES, seed=seed + 1)
    modes, sigma = mixture_modes(mixture)
    return samples, mode_coverage(samples, modes, sigma), time.perf_counter() - start


@setting_ranges(n_seeds=(1, 100), epochs=(0, 100_000), n_points=(10, 1_000_000))
def mode_collapse_experiment(
    out_dir: str | Path,
    seed: int = 0,
    progress: bool = False,
    n_seeds: int = 1,
    mixtures: str = "ring-8,grid-25",
    variants: str = "vanilla,fixed",
    epochs: int = 0,
    n_points: int = 10000,
    resume: bool = False,
) -> dict:
    """Modes covered and high-quality fraction of each variant on each mixture over seeds ``seed .. seed +
    n_seeds - 1``, each trained on ``n_points`` points; ``epochs=0`` uses ``GAN.fit``'s default length. Writes
    ``mode_collapse.png`` (the samples of seed ``seed`` over the modes, covered modes green, missed ones red).

    Keys: ``<variant>/<mixture>/modes_covered`` and ``.../high_quality_fraction`` (one value per seed), their
    means ``.../mean_modes_covered``, ``.../mean_high_quality_fraction``, ``n_modes/<mixture>``, ``seeds`` and
    ``seconds`` (total wall time).

    Each training (variant, mixture, seed) is one part kept in ``out_dir/parts`` (:class:`~boltzgym.utils.parts.
    PartStore`): ``resume=True`` (``boltzgym experiment mode-collapse --out OUT --resume``) skips those already
    done and gives the same result as an uninterrupted run."""
    from boltzgym.utils.plotting import new_figure, save_figure
    from boltzgym.utils.validation import check_int

    n_seeds = check_int("n_seeds", n_seeds, minimum=1)
    mixture_names = [m.strip() for m in mixtures.split(",") if m.strip()]
    variant_names = [v.strip() for v in variants.split(",") if v.strip()]
    for name in mixture_names:
        mixture_modes(name)  # ValueError naming the mixture
    for name in variant_names:
        if name not in VARIANTS:
            raise ValueError(f"variants must be a comma-separated subset of {list(VARIANTS)}, got {name!r}")
    seeds = list(range(seed, seed + n_seeds))
    settings = {"seed": seed, "n_seeds": n_seeds, "mixtures": mixtures, "variants": variants, "epochs": epochs,
                "n_points": n_points}  # fmt: skip
    parts = PartStore(out_dir, settings, resume=resume)

    def train_part(variant: str, mixture: str, s: int) -> dict:
        samples, coverage, seconds = train_variant(variant, mixture, s, epochs or None, progress, n_points)
        return {"samples": samples, **coverage, "seconds": seconds}

    result: dict = {"seeds": seeds}
    shown: dict = {}
    start = time.perf_counter()
    for mixture in mixture_names:
        result[f"n_modes/{mixture}"] = len(mixture_modes(mixture)[0])
        for variant in variant_names:
            covered, quality = [], []
            for s in seeds:
                coverage = parts.run(f"{variant}-{mixture}-seed{s}", functools.partial(train_part, variant, mixture, s))
                samples = coverage["samples"]
                covered.append(coverage["modes_covered"])
                quality.append(round(coverage["high_quality_fraction"], 4))
                if s == seed:
                    shown[variant, mixture] = (samples, coverage)
            key = f"{variant}/{mixture}"
            result[f"{key}/modes_covered"], result[f"{key}/high_quality_fraction"] = covered, quality
            result[f"{key}/mean_modes_covered"] = float(np.mean(covered))
            result[f"{key}/mean_high_quality_fraction"] = float(np.mean(quality))
    result["seconds"] = time.perf_counter() - start

    fig, axes = new_figure(len(variant_names), len(mixture_names), figsize=(4.2 * len(mixture_names),
                           4.2 * len(variant_names)), squeeze=False)  # fmt: skip
    for row, variant in enumerate(variant_names):
        for col, mixture in enumerate(mixture_names):
            ax = axes[row][col]
            samples, coverage = shown[variant, mixture]
            modes, sigma = mixture_modes(mixture)
            distances = np.linalg.norm(samples[:, None] - modes[None], axis=2)
            hq = distances.min(1) <= 3 * sigma
            hit = np.isin(np.arange(len(modes)), distances.argmin(1)[hq])
            ax.scatter(samples[~hq, 0], samples[~hq, 1], s=2, color="0.6", label="low quality")
            ax.scatter(samples[hq, 0], samples[hq, 1], s=2, color="tab:blue", label="high quality")
            ax.scatter(*modes[hit].T, marker="o", facecolors="none", edgecolors="green", s=60, label="covered")
            ax.scatter(*modes[~hit].T, marker="x", color="red", s=60, label="missed")
            ax.set_aspect("equal")
            ax.set_title(f"{variant} on {mixture}: {coverage['modes_covered']}/{len(modes)} modes, "
                         f"{100 * coverage['high_quality_fraction']:.1f}% HQ", fontsize=9)  # fmt: skip
    axes[0][0].legend(loc="lower left", fontsize=7, markerscale=2)
    fig.suptitle(f"GAN mode coverage (seed {seed}; 2500 samples; HQ = within 3 sigma of a mode)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, Path(out_dir) / "mode_collapse.png")
    return result
