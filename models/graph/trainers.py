"""``boltzgym fit gnn``: the message-passing GNN of :mod:`boltzgym.models.graph.gnn` trained on a graph dataset."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from boltzgym.models.datasets import Dataset
from boltzgym.models.supervised.trainers import TrainConfig, train_supervised
from boltzgym.models.training import torch_threads
from boltzgym.utils.validation import check_int, check_probability


@dataclass
class GNNConfig(TrainConfig):
    """The message-passing GNN of ``boltzgym fit gnn`` (``--data karate|karate-communities|digits-graph``).

    The defaults are Kipf & Welling's (2017) semi-supervised setting: one graph layer of 16 units with the
    symmetric ``gcn`` aggregate, dropout 0.5, Adam with learning rate 0.01 and L2 weight decay 5e-4, 200 full-batch
    epochs."""

    epochs: int = 200
    lr: float = 1e-2
    optimizer: str = "adam"
    weight_decay: float = 5e-4  # L2 (torch's Adam), as Kipf & Welling
    validation_split: float = 0.0
    patience: int | None = None
    hidden_sizes: tuple[int, ...] = (16,)  # GraphLayer widths
    aggregate: str = "gcn"  # gcn (symmetric-normalised) | sum | mean | max
    activation: str = "tanh"  # tanh (the notes') | relu
    readout: str = "mean"  # graph readout for graph classification: mean | sum | max
    dropout: float = 0.5  # on every layer's input while training
    threads: int = 1  # torch threads while training (0: torch's default); small graphs run fastest on one
    checkpoint_every: int = 50  # epochs between checkpoints with --out (a karate epoch is ~5 ms, a checkpoint ~80)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.dropout = check_probability("dropout", self.dropout)
        if self.dropout >= 1:
            raise ValueError(f"dropout must be < 1, got {self.dropout}")
        self.threads = check_int("threads", self.threads, minimum=0)
        self.checkpoint_every = check_int("checkpoint_every", self.checkpoint_every, minimum=1)


def train_gnn(config: GNNConfig, dataset: Dataset, *, seed: int = 0, **kwargs) -> dict:
    """``boltzgym fit gnn``: node classification on one graph (x = node indices) or graph classification
    (x = (n, N, F) node features on a shared graph), the graph from ``dataset.metadata["edge_index"]``."""
    from boltzgym.models.graph.gnn import GNN

    edge_index = dataset.metadata.get("edge_index")
    if edge_index is None:
        raise ValueError(f"data {dataset.name!r} is not a graph dataset; use karate, karate-communities, digits-graph")
    node_features = dataset.metadata.get("node_features")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if node_features is not None:  # node classification
            model = GNN(
                node_features.shape[1], config.hidden_sizes, dataset.n_classes, config.aggregate,
                config.activation, "node", edge_index=edge_index, node_features=node_features,
                dropout=config.dropout,
            )  # fmt: skip
        else:
            model = GNN(
                dataset.x_train.shape[-1], config.hidden_sizes, dataset.n_classes, config.aggregate,
                config.activation, config.readout, edge_index=edge_index, dropout=config.dropout,
            )  # fmt: skip
    with torch_threads(config.threads):
        return train_supervised(model, config, dataset, seed=seed, checkpoint_every=config.checkpoint_every, **kwargs)
