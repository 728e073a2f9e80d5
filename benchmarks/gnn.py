"""Our GraphLayer stack against PyTorch Geometric's SAGEConv with the same aggregation: forward+backward time.

SAGEConv computes ``W_1 h_v + W_2 AGG_u h_u + b``, which is our ``W [h_v, m_v] + b`` with W = [W_1, W_2]; both
stacks get the same weights, the same tanh, on the same random graph (``--degree`` random in-edges per node), and
their outputs are checked equal before timing. Median of ``--repeats`` forward+backward passes.

    python benchmarks/gnn.py                      # 1e3, 1e4, 1e5 nodes; sum, mean, max
    python benchmarks/gnn.py --nodes 10000 --aggregates mean
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time

import torch

from boltzgym.models.graph.gnn import GraphLayer

try:
    from torch_geometric.nn import SAGEConv
except ImportError:  # the peer is in the `bench` extra
    SAGEConv = None


def forward_backward(layers, x: torch.Tensor, edge_index: torch.Tensor, peer: bool) -> torch.Tensor:
    """The stack's output after a backward pass of its sum (tanh applied after each PyG layer)."""
    h = x
    for layer in layers:
        h = torch.tanh(layer(h, edge_index)) if peer else layer(h, edge_index)
    h.sum().backward()
    return h.detach()


def timed(function, repeats: int) -> float:
    function()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--degree", type=int, default=10, help="random in-edges per node (default: 10)")
    parser.add_argument("--features", type=int, default=32, help="feature width of every layer (default: 32)")
    parser.add_argument("--layers", type=int, default=2, help="layers (default: 2)")
    parser.add_argument("--aggregates", nargs="+", default=["sum", "mean", "max"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if SAGEConv is None:
        raise SystemExit("torch-geometric is not installed: pip install -e '.[bench]'")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; F={args.features}, {args.layers} layers")
    print(f"{'nodes':>8} {'edges':>9} {'aggr':>5} {'ours ms':>9} {'PyG ms':>9} {'ours/PyG':>9}")
    for n_nodes in args.nodes:
        generator = torch.Generator().manual_seed(args.seed)
        n_edges = n_nodes * args.degree
        edge_index = torch.randint(0, n_nodes, (2, n_edges), generator=generator)
        x = torch.randn(n_nodes, args.features, generator=generator)
        for aggregate in args.aggregates:
            ours = [GraphLayer(args.features, args.features, aggregate) for _ in range(args.layers)]
            peers = [SAGEConv(args.features, args.features, aggr=aggregate) for _ in range(args.layers)]
            with torch.no_grad():
                for layer, peer in zip(ours, peers):
                    peer.lin_r.weight.copy_(layer.linear.weight[:, : args.features])  # root (self) term
                    peer.lin_l.weight.copy_(layer.linear.weight[:, args.features :])  # neighbour term
                    peer.lin_l.bias.copy_(layer.linear.bias)

            run_ours = functools.partial(forward_backward, ours, x, edge_index, False)
            run_peer = functools.partial(forward_backward, peers, x, edge_index, True)
            torch.testing.assert_close(run_ours(), run_peer(), rtol=1e-4, atol=1e-4)
            ours_s, peer_s = timed(run_ours, args.repeats), timed(run_peer, args.repeats)
            print(
                f"{n_nodes:>8} {n_edges:>9} {aggregate:>5} {1e3 * ours_s:>9.2f} {1e3 * peer_s:>9.2f} "
                f"{ours_s / peer_s:>9.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
