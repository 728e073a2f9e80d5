"""Generative models on 8x8 digits in one run: training throughput, and the RBM-vs-VAE-vs-GAN table.

1. Throughput (samples/s): each model (AE, VAE, GAN, cGAN, LapGAN, BiGAN, CycleGAN) trains ``--epochs`` epochs on
   the digits' 1,437 training images (pixels in [0, 1]) through ``boltzgym.models.training.fit``. The peer is a plain
   PyTorch loop over the same mini-batches calling the same update (``loss.backward(); opt.step()`` or the model's
   ``training_step``): the ratio is what the one loop costs (shuffling, checks, metrics) per sample.
2. The table on binarized digits (``binary-digits``: fixed split, 1,437 train / 360 test): test log-likelihood in
   nats where the model defines one (independent pixels: exact; RBM: exact, enumerating its 20 hidden units;
   VAE: the importance-weighted bound with 500 samples), the Fréchet distance of 1,000 samples to the test images
   in the features of the digits classifier (trained on the binarized training images), and the training wall time.
   RBM and VAE samples are binary draws of the model; the GAN's are its sigmoid pixel means.

    python benchmarks/generative.py                 # ~2-4 minutes on 2 cores
    python benchmarks/generative.py --epochs 5 --table-epochs 100
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from boltzgym.models.datasets import load_dataset
from boltzgym.models.generative import metrics as metrics
from boltzgym.models.generative.digits import domain_transform, unit_images


def _models(n_features: int, side: int):
    from boltzgym.models.generative.autoencoder import DeepAutoencoder, autoencoder_loss
    from boltzgym.models.generative.gan import GAN
    from boltzgym.models.generative.gan_extensions import BiGAN, ConditionalGAN, CycleGAN, LapGAN
    from boltzgym.models.generative.vae import VAE, vae_loss

    return {
        "AE": (lambda: DeepAutoencoder(n_features, 16, (128,)), autoencoder_loss, "x"),
        "VAE": (lambda: VAE(n_features, 8, (200,), "gaussian"), vae_loss, "x"),
        "GAN": (lambda: GAN(n_features, 32, (256, 256), (256, 256), output_activation="sigmoid"), None, "x"),
        "cGAN": (lambda: ConditionalGAN(n_features, 10), None, "xy"),
        "LapGAN": (lambda: LapGAN(side), None, "x"),
        "BiGAN": (lambda: BiGAN(n_features), None, "x"),
        "CycleGAN": (lambda: CycleGAN(n_features), None, "ab"),
    }


def plain_loop(model, arrays, loss, optimizers, epochs: int, batch_size: int, seed: int) -> None:
    """The peer: the same updates on the same mini-batches, with nothing around them."""
    tensors = [torch.as_tensor(a) for a in arrays]
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(len(tensors[0])))
        for start in range(0, len(order), batch_size):
            batch = tuple(t[order[start : start + batch_size]] for t in tensors)
            if loss is None:
                model.training_step(batch, optimizers)
            else:
                (optimizer,) = optimizers.values()
                optimizer.zero_grad()
                value = loss(model, batch)
                (value["loss"] if isinstance(value, dict) else value).backward()
                optimizer.step()


def throughput(epochs: int, seed: int) -> list[tuple[str, float, float]]:
    """``(model, fit samples/s, plain-loop samples/s)`` per model."""
    from boltzgym.models.training import fit

    dataset = load_dataset("digits", seed)
    x, _, side = unit_images(dataset)
    y = dataset.y_train
    x_b = domain_transform(x, side, "thicken")[np.random.default_rng(seed).permutation(len(x))]
    inputs = {"x": (x,), "xy": (x, y), "ab": (x, x_b)}
    rows = []
    for name, (make, loss, kind) in _models(x.shape[1], side).items():
        speeds = []
        for runner in ("fit", "plain"):
            torch.manual_seed(seed)
            model = make()
            optimizers = (
                model.make_optimizers() if loss is None else {"optimizer": torch.optim.Adam(model.parameters())}
            )
            start = time.perf_counter()
            if runner == "fit":
                fit(model, inputs[kind], loss=loss, optimizer=optimizers, epochs=epochs, batch_size=64, seed=seed,
                    device="cpu")  # fmt: skip
            else:
                model.train()
                plain_loop(model, inputs[kind], loss, optimizers, epochs, 64, seed)
            speeds.append(len(x) * epochs / (time.perf_counter() - start))
        rows.append((name, *speeds))
    return rows


def comparison_table(epochs: int, seed: int) -> list[tuple[str, float | None, float, float]]:
    """``(model, test log-likelihood or None, Fréchet distance, train seconds)`` on binarized digits."""
    from boltzgym.models.generative.gan import GAN
    from boltzgym.models.generative.trainers import VAEConfig
    from boltzgym.models.generative.vae import VAE, vae_loss
    from boltzgym.models.training import fit
    from boltzgym.sims.rbm import RBM

    dataset = load_dataset("binary-digits", seed)
    x, x_test = dataset.x_train.astype(np.float32), dataset.x_test.astype(np.float32)
    classifier = metrics.train_digits_classifier(x, dataset.y_train, seed=seed)
    rng = np.random.default_rng(seed)
    rows = []

    means = np.clip(x.mean(axis=0), 1e-3, 1 - 1e-3)  # independent pixels, exact
    ll = float((x_test * np.log(means) + (1 - x_test) * np.log(1 - means)).sum(axis=1).mean())
    samples = (rng.random((1000, x.shape[1])) < means).astype(np.float32)
    rows.append(("independent pixels", ll, metrics.classifier_frechet_distance(classifier, x_test, samples), 0.0))

    start = time.perf_counter()
    rbm = RBM(n_components=20, learning_rate=0.05, batch_size=10, n_iter=epochs, random_state=seed, momentum=0.5,
              learning_rate_schedule="linear").fit(x.astype(np.float64))  # fmt: skip
    seconds = time.perf_counter() - start
    samples = rbm.sample(1000, n_steps=1000)
    rows.append(("RBM (20 hidden, PCD-1)", float(rbm.log_likelihood(x_test.astype(np.float64), "exact")),
                 metrics.classifier_frechet_distance(classifier, x_test, samples), seconds))  # fmt: skip

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        vae = VAE(x.shape[1], VAEConfig.latent_size, VAEConfig.hidden_sizes)  # boltzgym fit vae's defaults
        start = time.perf_counter()
        fit(vae, (x,), loss=vae_loss, optimizer="adam", learning_rate=1e-3, epochs=epochs, batch_size=100, seed=seed,
            device="cpu")  # fmt: skip
        seconds = time.perf_counter() - start
        ll = float(vae.log_likelihood(x_test, 500).mean())
        samples = (rng.random((1000, x.shape[1])) < vae.sample(1000, seed=seed + 1)).astype(np.float32)
    name = f"VAE ({VAEConfig.latent_size} latent, IWAE-500)"
    rows.append((name, ll, metrics.classifier_frechet_distance(classifier, x_test, samples), seconds))

    with torch.random.fork_rng(devices=[]):
        gan = GAN(x.shape[1], 32, (256, 256), (256, 256), learning_rate=5e-4, output_activation="sigmoid", seed=seed)
        start = time.perf_counter()
        gan.fit(x, epochs=epochs, batch_size=64, seed=seed)
        seconds = time.perf_counter() - start
    samples = gan.sample(1000, seed=seed + 1)
    rows.append(("GAN (notes 5.2 fixes)", None, metrics.classifier_frechet_distance(classifier, x_test, samples),
                 seconds))  # fmt: skip
    reference = metrics.classifier_frechet_distance(classifier, x_test, x[:1000])
    rows.append(("training images", None, reference, 0.0))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per throughput measurement (default: 3)")
    parser.add_argument("--table-epochs", type=int, default=100, help="epochs of each model in the table")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default: 1)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    print(f"training throughput on digits (1437 images, batch 64, {args.epochs} epochs, {args.threads} thread(s))")
    print(f"{'model':<10}{'fit samples/s':>15}{'plain loop':>13}{'fit / plain':>13}")
    for name, fit_speed, plain_speed in throughput(args.epochs, args.seed):
        print(f"{name:<10}{fit_speed:>15.0f}{plain_speed:>13.0f}{fit_speed / plain_speed:>13.2f}")

    print(f"\nbinarized digits, test split (360 images), {args.table_epochs} epochs each, seed {args.seed}")
    print(f"{'model':<26}{'test log-lik (nats)':>21}{'Fréchet distance':>18}{'train s':>9}")
    for name, ll, fd, seconds in comparison_table(args.table_epochs, args.seed):
        ll_text = "undefined" if ll is None else f"{ll:.2f}"
        print(f"{name:<26}{ll_text:>21}{fd:>18.2f}{seconds:>9.1f}")


if __name__ == "__main__":
    main()
