"""Message-passing GNNs (notes 3.3): dense-adjacency reference, permutation invariance, data, errors, fit."""

import numpy as np
import pytest
import torch

from boltzgym.models.graph.gnn import GNN, GraphLayer, grid_graph, karate_club


def random_graph(n_nodes=7, n_edges=15, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, n_nodes, (2, n_edges), generator=generator)


def dense_reference(layer: GraphLayer, h: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
    n = h.shape[0]
    adjacency = torch.zeros(n, n)  # adjacency[v, u] = number of edges u -> v
    adjacency.index_put_((edge_index[1], edge_index[0]), torch.tensor(1.0), accumulate=True)
    if layer.aggregate == "sum":
        m = adjacency @ h
    elif layer.aggregate == "gcn":  # D^-1/2 (A + I) D^-1/2 h, D the row sums of A + I
        with_loops = adjacency + torch.eye(n)
        scale = torch.diag(with_loops.sum(1).rsqrt())
        m = scale @ with_loops @ scale @ h
    elif layer.aggregate == "mean":
        m = adjacency @ h / adjacency.sum(1, keepdim=True).clamp_min(1)
    else:
        masked = torch.where(adjacency[:, :, None] > 0, h[None, :, :], torch.tensor(-torch.inf))
        m = masked.amax(dim=1)
        m = torch.where(adjacency.sum(1, keepdim=True) > 0, m, torch.zeros_like(m))
    weight, bias = layer.linear.weight, layer.linear.bias
    return torch.tanh(h @ weight[:, : h.shape[1]].T + m @ weight[:, h.shape[1] :].T + bias)


@pytest.mark.parametrize("aggregate", ["sum", "mean", "max", "gcn"])
def test_graph_layer_equals_dense_reference(aggregate):
    torch.manual_seed(0)
    edge_index = random_graph()  # with repeated edges and an isolated target or two
    layer = GraphLayer(3, 4, aggregate=aggregate)
    h = torch.randn(7, 3)
    torch.testing.assert_close(layer(h, edge_index), dense_reference(layer, h, edge_index))
    batch = torch.randn(5, 7, 3)  # (B, N, F) on a shared graph
    torch.testing.assert_close(layer(batch, edge_index)[2], layer(batch[2], edge_index))


@pytest.mark.parametrize("aggregate", ["sum", "mean", "max", "gcn"])
def test_gnn_is_invariant_to_node_relabelling(aggregate):
    torch.manual_seed(1)
    edge_index, h = random_graph(9, 25), torch.randn(9, 3)
    permutation = torch.randperm(9)  # new label of node i is inverse[i]
    inverse = torch.argsort(permutation)
    node_gnn = GNN(3, (5, 5), 2, aggregate, readout="node")
    relabelled = node_gnn(h[permutation], inverse[edge_index])
    torch.testing.assert_close(relabelled, node_gnn(h, edge_index)[permutation])
    graph_gnn = GNN(3, (5,), 2, aggregate, readout="mean")
    torch.testing.assert_close(graph_gnn(h[permutation], inverse[edge_index]), graph_gnn(h, edge_index))


def test_grid_graph_four_neighbours_both_directions():
    edge_index = grid_graph(3, 4)
    assert edge_index.shape == (2, 2 * (2 * 12 - 3 - 4))
    pairs = set(map(tuple, edge_index.T.tolist()))
    assert (0, 1) in pairs and (1, 0) in pairs and (0, 4) in pairs and (4, 0) in pairs and (3, 4) not in pairs
    degree = torch.bincount(edge_index[1], minlength=12)
    assert degree[0] == 2 and degree[5] == 4 and degree[1] == 3


def test_karate_data():
    clubs, communities = karate_club("clubs"), karate_club("communities")
    assert clubs["edge_index"].shape == (2, 156)
    assert list(clubs["train_nodes"]) == [0, 33] and clubs["labels"][0] != clubs["labels"][33]
    assert list(communities["train_nodes"]) == [8, 0, 24, 4]  # the first node of each community, as in PyG
    assert np.bincount(communities["labels"]).tolist() == [13, 12, 4, 5]


def test_graph_errors_name_the_argument():
    layer = GraphLayer(2, 2)
    h = torch.zeros(4, 2)
    with pytest.raises(ValueError, match=r"edge_index entries must be in \[0, 4\)"):
        layer(h, torch.tensor([[0, 4], [1, 2]]))
    with pytest.raises(TypeError, match="edge_index must have dtype torch.int64"):
        layer(h, torch.tensor([[0, 1], [1, 2]], dtype=torch.int32))
    with pytest.raises(ValueError, match="aggregate must be one of"):
        GraphLayer(2, 2, aggregate="median")
    with pytest.raises(ValueError, match=r"h must be \(N, 2\)"):
        layer(torch.zeros(4, 3), torch.tensor([[0], [1]]))


@pytest.mark.parametrize(("data", "threshold"), [("karate", 0.9), ("karate-communities", 0.7)])
def test_fit_gnn_on_karate_through_the_registry(data, threshold):
    """The issue's semi-supervised claim at seed 0 with the default (Kipf & Welling) settings, full batch: one
    labelled node per club (0 and 33) or per community (8, 0, 24, 4), the other members classified."""
    from boltzgym.models.datasets import load_dataset
    from boltzgym.models.registry import make_config, model_entry
    from boltzgym.utils.imports import import_object

    summary = import_object(model_entry("gnn").train)(make_config("gnn", []), load_dataset(data))
    assert summary["test_accuracy"] >= threshold and summary["epochs"] == 200


def test_gnn_dropout_only_while_training():
    torch.manual_seed(0)
    edge_index, h = random_graph(), torch.randn(7, 3)
    gnn, twin = GNN(3, (8,), 2, "gcn", dropout=0.5), GNN(3, (8,), 2, "gcn", dropout=0.0)
    twin.load_state_dict(gnn.state_dict())
    assert not torch.allclose(gnn(h, edge_index), twin(h, edge_index))  # training mode: units dropped
    torch.testing.assert_close(gnn.eval()(h, edge_index), twin(h, edge_index))
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        GNN(3, (8,), 2, dropout=1.0)


def test_fit_gnn_checkpoints_sparsely_and_at_the_end(tmp_path, monkeypatch):
    import boltzgym.models.fit_checkpoint as fit_checkpoint
    from boltzgym.models.datasets import load_dataset
    from boltzgym.models.registry import make_config, model_entry
    from boltzgym.utils.imports import import_object

    written = []
    save = fit_checkpoint.save_checkpoint
    monkeypatch.setattr(
        fit_checkpoint, "save_checkpoint", lambda *a, **k: written.append(k["counters"]["epoch"]) or save(*a, **k)
    )
    train, data = import_object(model_entry("gnn").train), load_dataset("karate")
    config = make_config("gnn", ["epochs=6", "checkpoint_every=4"])
    first = train(config, data, run_dir=tmp_path)
    assert written == [4, 6]  # every 4th epoch and the last
    again = train(config, data, run_dir=tmp_path, resume=True)  # nothing left to train
    assert written == [4, 6] and again["epochs"] == 6 and again["test_loss"] == first["test_loss"]
    with pytest.raises(ValueError, match="checkpoint_every"):
        make_config("gnn", ["checkpoint_every=0"])
