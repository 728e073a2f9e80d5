"""Message-passing GraphLayer/GNN (notes 3.3) against a dense-adjacency reference, invariances and input errors."""

import numpy as np
import pytest
import torch

from boltzgym.models.datasets import load_dataset
from boltzgym.models.graph import GNN, GraphClassifier, GraphLayer, NodeClassifier, grid_graph


def random_graph(n_nodes=7, n_edges=15, seed=0):
    generator = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, n_nodes, (2, n_edges), generator=generator)
    return torch.randn(n_nodes, 3, generator=generator), edge_index


def dense_reference(layer, h, edge_index):
    """h' = tanh(W [h, m]) with m from a dense adjacency: A[t, s] = number of edges s -> t."""
    n = len(h)
    adjacency = torch.zeros(n, n)
    for s, t in edge_index.T.tolist():
        adjacency[t, s] += 1
    if layer.aggregate == "sum":
        m = adjacency @ h
    elif layer.aggregate == "mean":
        m = adjacency @ h / adjacency.sum(1, keepdim=True).clamp_min(1)
    else:
        masked = torch.where(adjacency[:, :, None] > 0, h[None, :, :], torch.tensor(-torch.inf))
        m = masked.amax(dim=1)
        m = torch.where(adjacency.sum(1, keepdim=True) > 0, m, torch.zeros_like(m))
    return torch.tanh(h @ layer.linear.weight[:, :3].T + m @ layer.linear.weight[:, 3:].T + layer.linear.bias)


@pytest.mark.parametrize("aggregate", ["sum", "mean", "max"])
def test_graph_layer_equals_dense_reference(aggregate):
    torch.manual_seed(0)
    layer = GraphLayer(3, 5, aggregate=aggregate)
    h, edge_index = random_graph()
    torch.testing.assert_close(layer(h, edge_index), dense_reference(layer, h, edge_index))


@pytest.mark.parametrize("readout", ["node", "sum", "max"])
def test_gnn_is_invariant_to_node_relabelling(readout):
    torch.manual_seed(0)
    gnn = GNN(3, (8, 8), 4, aggregate="mean", readout=readout)
    h, edge_index = random_graph(seed=1)
    permutation = torch.randperm(len(h))
    inverse = torch.argsort(permutation)  # node i is renamed inverse[i]
    out, out_permuted = gnn(h, edge_index), gnn(h[permutation], inverse[edge_index])
    torch.testing.assert_close(out_permuted, out[permutation] if readout == "node" else out)


def test_bad_edge_index_and_aggregate_errors_name_the_argument():
    layer = GraphLayer(3, 2)
    h = torch.randn(4, 3)
    with pytest.raises(ValueError, match=r"edge_index .*\[0, 4\)"):
        layer(h, torch.tensor([[0, 1], [2, 4]]))
    with pytest.raises(TypeError, match="edge_index must have dtype torch.int64"):
        layer(h, torch.tensor([[0.0, 1.0], [2.0, 3.0]]))
    with pytest.raises(ValueError, match=r"edge_index must have shape \(2, E\)"):
        layer(h, torch.zeros(3, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="aggregate must be one of"):
        GraphLayer(3, 2, aggregate="median")


def test_grid_graph_joins_four_neighbours_both_ways():
    edge_index = grid_graph(3, 4)
    edges = set(map(tuple, edge_index.T.tolist()))
    assert len(edges) == edge_index.shape[1] == 2 * (3 * 3 + 2 * 4)
    assert (0, 1) in edges and (1, 0) in edges and (0, 4) in edges and (0, 5) not in edges
    degree = torch.bincount(edge_index[1], minlength=12)
    assert degree[0] == 2 and degree[5] == 4  # corner, interior
    digits = load_dataset("digits-graph")
    assert digits.x_train.shape[1:] == (64, 3)
    assert set(map(tuple, digits.metadata["edge_index"].T.tolist())) == set(map(tuple, grid_graph(8, 8).T.tolist()))


def test_graph_classifier_batches_graphs_like_separate_calls():
    torch.manual_seed(0)
    gnn = GNN(3, (6,), 2, readout="mean")
    model = GraphClassifier(gnn, grid_graph(2, 3), n_nodes=6)
    x = torch.randn(4, 6, 3)
    separate = torch.cat([gnn(x[i], grid_graph(2, 3)) for i in range(4)])
    torch.testing.assert_close(model(x), separate)


def test_karate_datasets_and_node_classifier_learns_the_labelled_nodes():
    clubs, communities = load_dataset("karate"), load_dataset("karate-communities")
    assert clubs.x_train.tolist() == [0, 33] and clubs.y_train.tolist() == [0, 1] and len(clubs.x_test) == 32
    assert communities.x_train.tolist() == [0, 4, 8, 24] and sorted(communities.y_train.tolist()) == [0, 1, 2, 3]
    assert clubs.metadata["edge_index"].shape == (2, 156)
    torch.manual_seed(0)
    model = NodeClassifier(
        GNN(34, (8,), 2),
        torch.from_numpy(clubs.metadata["node_features"]),
        torch.from_numpy(clubs.metadata["edge_index"]),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    ids, labels = torch.from_numpy(clubs.x_train), torch.from_numpy(clubs.y_train)
    for _ in range(20):
        loss = torch.nn.functional.cross_entropy(model(ids), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert np.array_equal(model(ids).argmax(1).numpy(), clubs.y_train)
