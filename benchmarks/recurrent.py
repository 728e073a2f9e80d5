"""The cost of readability: our gate-by-gate cells against torch's fused nn.RNN/LSTM/GRU, same weights, one run.

Times a forward + backward pass over a batch (default 64 sequences of length 50, 2 inputs, 64 hidden units) for each
cell type; ours is built with ``from_torch`` so both compute the same numbers (checked before timing).

    python benchmarks/recurrent.py
    python benchmarks/recurrent.py --batch 32 --length 100 --hidden 128 --threads 1
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from boltzgym.models.sequence.recurrent import GRU, LSTM, RNN


def seconds_per_pass(module: nn.Module, x: torch.Tensor, repeats: int) -> float:
    """Median wall time of one forward + backward pass."""
    times = []
    for _ in range(repeats + 1):
        module.zero_grad()
        start = time.perf_counter()
        module(x)[0].sum().backward()
        times.append(time.perf_counter() - start)
    return sorted(times[1:])[repeats // 2]  # the first pass warms up


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--length", type=int, default=50)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.randn(args.batch, args.length, 2)
    print(f"batch {args.batch}, length {args.length}, hidden {args.hidden}, {args.threads} thread(s)")
    print(f"{'cell':6s} {'torch (ms)':>11s} {'ours (ms)':>10s} {'ours/torch':>11s}")
    for name, ours_class, torch_class in (("rnn", RNN, nn.RNN), ("lstm", LSTM, nn.LSTM), ("gru", GRU, nn.GRU)):
        fused = torch_class(2, args.hidden, batch_first=True)
        ours = ours_class.from_torch(fused)
        torch.testing.assert_close(ours(x)[0], fused(x)[0], atol=1e-5, rtol=1e-5)
        t_torch = seconds_per_pass(fused, x, args.repeats)
        t_ours = seconds_per_pass(ours, x, args.repeats)
        print(f"{name:6s} {t_torch * 1e3:11.2f} {t_ours * 1e3:10.2f} {t_ours / t_torch:11.2f}x")


if __name__ == "__main__":
    main()
