"""Training throughput (images/s) of every vision net of ``boltzgym fit`` on digits, and fit's overhead against a plain
torch loop, in one run.

Each architecture is built from its ``boltzgym fit`` defaults (the registry's config) and trained through
``boltzgym.models.training.fit`` for ``--epochs`` epochs on the 1437 training images of the fixed digits split
(batch size and optimizer from the config). The peer rows train the same net twice from the same initial weights on
the same batch order: once through ``fit`` and once by a plain hand-written torch loop (zero_grad, forward, loss,
backward, step), check that both end with the same weights, and print fit/plain: the cost of the shared loop's
bookkeeping (closures, per-epoch state copies, metrics rows).

    python benchmarks/vision.py                       # all nets, 2 epochs each, one thread (about a minute)
    python benchmarks/vision.py --models resnet cnn --epochs 5 --threads 2
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

from boltzgym.models.datasets import load_dataset
from boltzgym.models.registry import make_config
from boltzgym.models.training import fit, make_optimizer
from boltzgym.models.vision.trainers import build_vision_model

# (row label, registry model, attention)
ARCHITECTURES = {
    "cnn": ("cnn", "none"),
    "vgg": ("vgg", "none"),
    "highway": ("highway", "none"),
    "plainnet": ("plainnet", "none"),
    "resnet": ("resnet", "none"),
    "densenet": ("densenet", "none"),
    "cnn+cbam": ("cnn", "cbam"),
    "resnet+cbam": ("resnet", "cbam"),
}


def build(label: str, seed: int = 0):
    """The net of row ``label`` with its ``boltzgym fit`` config, its optimizer and its loss."""
    name, attention = ARCHITECTURES[label]
    config = make_config(name, [f"attention={attention}"])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_vision_model(name, config, n_classes=10)
    kwargs = {"weight_decay": config.weight_decay} if config.weight_decay else {}
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr, **kwargs)
    return model, optimizer, nn.CrossEntropyLoss(label_smoothing=config.label_smoothing), config


def train_with_fit(model, optimizer, loss, x, y, epochs: int, batch_size: int, seed: int) -> float:
    """Seconds for ``fit`` to train ``epochs`` epochs."""
    start = time.perf_counter()
    fit(model, (x, y), loss=loss, optimizer=optimizer, epochs=epochs, batch_size=batch_size, seed=seed, device="cpu")
    return time.perf_counter() - start


def train_plain(model, optimizer, loss, x, y, epochs: int, batch_size: int, seed: int) -> float:
    """Seconds for a plain torch loop over the same batches as ``fit`` (its shuffle: ``rng([seed, 2, epoch])``)."""
    start = time.perf_counter()
    model.train()
    for epoch in range(1, epochs + 1):
        order = torch.from_numpy(np.random.default_rng([seed, 2, epoch]).permutation(len(x)))
        for batch_start in range(0, len(x), batch_size):
            index = order[batch_start : batch_start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss(model(x[index]), y[index]).backward()
            optimizer.step()
    model.eval()
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(ARCHITECTURES), choices=list(ARCHITECTURES))
    parser.add_argument("--peers", nargs="+", default=["resnet", "cnn"], choices=list(ARCHITECTURES))
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = load_dataset("digits", args.seed)
    x = torch.from_numpy(data.x_train).reshape(-1, 1, 8, 8)
    y = torch.from_numpy(data.y_train)
    images = len(x) * args.epochs
    print(f"torch {torch.__version__}, {args.threads} thread(s); digits {len(x)} training images, {args.epochs} epochs")

    print(f"\n{'net (fit defaults)':20s} {'params':>8s} {'depth':>6s} {'batch':>6s} {'seconds':>8s} {'images/s':>9s}")
    for label in args.models:
        model, optimizer, loss, config = build(label, args.seed)
        seconds = train_with_fit(model, optimizer, loss, x, y, args.epochs, config.batch_size, args.seed)
        n_params = sum(p.numel() for p in model.parameters())
        depth = getattr(model, "depth", "")
        print(f"{label:20s} {n_params:8d} {depth!s:>6s} {config.batch_size:6d} {seconds:8.2f} {images / seconds:9.0f}")

    print(f"\n{'peer: same net, batches':24s} {'fit img/s':>10s} {'plain img/s':>12s} {'fit/plain time':>15s}")
    for label in args.peers:
        model, optimizer, loss, config = build(label, args.seed)
        twin, twin_optimizer, _, _ = build(label, args.seed)  # the same initial weights (same seed)
        plain_s = train_plain(twin, twin_optimizer, loss, x, y, args.epochs, config.batch_size, args.seed)
        fit_s = train_with_fit(model, optimizer, loss, x, y, args.epochs, config.batch_size, args.seed)
        for ours, theirs in zip(model.state_dict().values(), twin.state_dict().values(), strict=True):
            torch.testing.assert_close(ours, theirs)  # the same computation, so the ratio is the loop's overhead
        print(f"{label:24s} {images / fit_s:10.0f} {images / plain_s:12.0f} {fit_s / plain_s:14.2f}x")


if __name__ == "__main__":
    main()
