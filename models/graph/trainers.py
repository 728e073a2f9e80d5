"""``boltzgym fit gnn``: the message-passing GNN of :mod:`boltzgym.models.graph.gnn` trained on a graph dataset."""

from __future__ import annotations

from dataclasses import dataclass

from boltzgym.models.config import TrainSettings, honours_device, model_config, model_kwargs, seeded
from boltzgym.models.datasets import Dataset
from boltzgym.models.graph.gnn import GNN
from boltzgym.models.supervised.trainers import train_supervised
from boltzgym.models.training import torch_threads
from boltzgym.utils.validation import check_int, check_probability


@dataclass
class GraphSettings:
    """The trainer-only keys of ``boltzgym fit gnn``."""

    threads: int = 1  # torch threads while training (0: torch's default); small graphs run fastest on one
    checkpoint_every: int = 50  # epochs between checkpoints with --out (a karate epoch is ~5 ms, a checkpoint ~80)

    def check(self) -> None:
        self.dropout = check_probability("dropout", self.dropout)
        if self.dropout >= 1:
            raise ValueError(f"dropout must be < 1, got {self.dropout}")
        self.threads = check_int("threads", self.threads, minimum=0)
        self.checkpoint_every = check_int("checkpoint_every", self.checkpoint_every, minimum=1)


GNNConfig = model_config(
    "GNNConfig",
    GNN,
    # Kipf & Welling (2017): Adam with learning rate 0.01 and L2 weight decay 5e-4, 200 full-batch epochs
    training=TrainSettings(epochs=200, learning_rate=1e-2, optimizer="adam", weight_decay=5e-4),
    exclude=("in_features", "out_features", "edge_index", "node_features"),
    # none: "node" on a node-classification graph (karate), "mean" on a graph-classification set (digits-graph)
    # dropout 0.5 as Kipf & Welling (GNN() has none, so that a module in training mode stays deterministic)
    defaults={"readout": None, "dropout": 0.5},
    bases=(GraphSettings,),
    doc="The message-passing GNN of ``boltzgym fit gnn`` (``--data karate|karate-communities|digits-graph``): the "
    "training keys, GNN's parameters (Kipf & Welling's defaults), threads and checkpoint_every.",
)
"""The message-passing GNN of ``boltzgym fit gnn`` (``--data karate|karate-communities|digits-graph``): the training
keys, GNN's parameters (Kipf & Welling's defaults), threads and checkpoint_every."""


def build_gnn(config, dataset: Dataset, seed: int = 0, *, device=None, dtype=None) -> GNN:
    """The GNN for ``dataset``: node classification on one graph (x = node indices) or graph classification
    (x = (n, N, F) node features on a shared graph), the graph from ``dataset.metadata["edge_index"]``."""
    edge_index = dataset.metadata.get("edge_index")
    if edge_index is None:
        raise ValueError(f"data {dataset.name!r} is not a graph dataset; use karate, karate-communities, digits-graph")
    node_features = dataset.metadata.get("node_features")
    kwargs = model_kwargs(config)
    if node_features is not None:  # node classification
        if config.readout not in (None, "node"):
            raise ValueError(f"--set readout={config.readout}: data {dataset.name!r} classifies nodes (readout node)")
        kwargs["readout"] = "node"
        in_features = node_features.shape[1]
    else:
        if config.readout == "node":
            raise ValueError(f"--set readout=node: data {dataset.name!r} classifies graphs (mean, sum or max)")
        kwargs["readout"] = config.readout or "mean"
        in_features = dataset.x_train.shape[-1]
    with seeded(seed):
        return GNN(in_features, out_features=dataset.n_classes, edge_index=edge_index, node_features=node_features,
                   **kwargs, device=device, dtype=dtype)  # fmt: skip


@honours_device
def train_gnn(config, dataset: Dataset, *, seed: int = 0, **kwargs) -> dict:
    """``boltzgym fit gnn``: :func:`build_gnn` trained by ``train_supervised``."""
    model = build_gnn(config, dataset, seed)
    with torch_threads(config.threads):
        return train_supervised(model, config, dataset, seed=seed, checkpoint_every=config.checkpoint_every, **kwargs)
