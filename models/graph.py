"""Message-passing graph networks (notes 3.3) in PyTorch Geometric's vocabulary, on plain torch scatter ops.

A graph is node features ``h`` of shape ``(n_nodes, features)`` and an ``edge_index``: a ``(2, E)`` int64 tensor
whose column ``(s, t)`` is an edge from source ``s`` to target ``t`` (messages flow source -> target; an undirected
graph lists both directions). A layer is

- ``message``: each edge carries its source's features ``h[s]``;
- ``aggregate``: each target reduces its incoming messages with a permutation-invariant ``sum``, ``mean`` or
  ``max`` (``index_add_`` / ``scatter_reduce``, no Python loop over nodes or edges; a node without neighbours gets
  ``m = 0``);
- ``update``: ``h' = tanh(W [h, m])`` (notes 3.3: ``h_k = tanh(W_k . [h_{k-1}, m_k])``), one ``nn.Linear`` named
  ``linear`` over the concatenation (its bias included).

:class:`GNN` stacks layers and ends in a node-level readout (a linear layer per node) or a graph-level one
(sum/mean/max over each graph's nodes, then a linear layer); several graphs form one batch as a disjoint union with
a ``batch`` vector naming each node's graph (as PyG does). :func:`grid_graph` is the notes' image graph.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from boltzgym.models.mlp import ACTIVATIONS

AGGREGATES = ("sum", "mean", "max")


def check_edge_index(edge_index: torch.Tensor, n_nodes: int) -> torch.Tensor:
    """``edge_index`` checked: a ``(2, E)`` int64 tensor with entries in ``[0, n_nodes)``; errors name it."""
    if not isinstance(edge_index, torch.Tensor):
        raise TypeError(f"edge_index must be a torch.Tensor of shape (2, E), got {type(edge_index).__name__}")
    if edge_index.dtype != torch.long:
        raise TypeError(f"edge_index must have dtype torch.int64 (long), got {edge_index.dtype}")
    if edge_index.dim() != 2 or edge_index.shape[0] != 2:
        raise ValueError(f"edge_index must have shape (2, E), got {tuple(edge_index.shape)}")
    if edge_index.numel() and (int(edge_index.min()) < 0 or int(edge_index.max()) >= n_nodes):
        raise ValueError(
            f"edge_index entries must be node indices in [0, {n_nodes}), got range "
            f"[{int(edge_index.min())}, {int(edge_index.max())}]"
        )
    return edge_index


def aggregate(messages: torch.Tensor, target: torch.Tensor, n_nodes: int, how: str) -> torch.Tensor:
    """Reduce per-edge ``messages`` ``(E, F)`` onto their ``target`` nodes: ``(n_nodes, F)``; empty nodes get 0."""
    out = messages.new_zeros(n_nodes, messages.shape[1])
    if how == "sum":
        return out.index_add_(0, target, messages)
    if how == "mean":
        degree = torch.bincount(target, minlength=n_nodes).clamp_min(1).to(messages.dtype)
        return out.index_add_(0, target, messages) / degree[:, None]
    if how == "max":
        index = target[:, None].expand_as(messages)
        return out.scatter_reduce(0, index, messages, reduce="amax", include_self=False)
    raise ValueError(f"aggregate must be one of {list(AGGREGATES)}, got {how!r}")


class GraphLayer(nn.Module):
    """One message-passing layer ``h' = activation(W [h, m])``, ``m`` the aggregate of the neighbours' ``h``.

    Args:
        in_features: width of the node features ``h``.
        out_features: width of ``h'``.
        aggregate: ``"sum"``, ``"mean"`` or ``"max"`` over the incoming neighbours.
        activation: ``"tanh"`` (the notes'), ``"relu"``, ``"sigmoid"`` or ``"identity"``.
    """

    def __init__(self, in_features: int, out_features: int, aggregate: str = "sum", activation: str = "tanh") -> None:
        super().__init__()
        if aggregate not in AGGREGATES:
            raise ValueError(f"aggregate must be one of {list(AGGREGATES)}, got {aggregate!r}")
        if activation != "identity" and activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS) + ['identity']}, got {activation!r}")
        if in_features < 1 or out_features < 1:
            raise ValueError(f"in_features and out_features must be >= 1, got {in_features}, {out_features}")
        self.linear = nn.Linear(2 * in_features, out_features)  # W_k over the concatenation [h, m]
        self.activation = nn.Identity() if activation == "identity" else ACTIVATIONS[activation]()
        self.aggregate = aggregate
        self.in_features = in_features
        self.out_features = out_features

    def forward(self, h: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        """``(n_nodes, in_features) -> (n_nodes, out_features)``."""
        if h.dim() != 2 or h.shape[1] != self.in_features:
            raise ValueError(f"h must have shape (n_nodes, {self.in_features}), got {tuple(h.shape)}")
        source, target = check_edge_index(edge_index, len(h))
        m = aggregate(h[source], target, len(h), self.aggregate)  # message h[s], aggregated at t
        return self.activation(self.linear(torch.cat([h, m], dim=1)))  # notes 3.3: h_k = tanh(W_k [h_{k-1}, m_k])

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, aggregate={self.aggregate!r}"


class GNN(nn.Module):
    """A stack of :class:`GraphLayer` and a readout.

    Args:
        in_features: node feature width.
        hidden_sizes: widths of the graph layers.
        out_features: outputs of the final linear readout (class logits).
        aggregate, activation: as in :class:`GraphLayer`.
        readout: ``"node"`` (one output per node) or ``"sum"``/``"mean"``/``"max"`` pooling the nodes of each
            graph (one output per graph).
        dropout: dropout on the node features before each layer and the readout.
    """

    def __init__(
        self,
        in_features: int,
        hidden_sizes: Sequence[int] = (16, 16),
        out_features: int = 2,
        aggregate: str = "sum",
        activation: str = "tanh",
        readout: str = "node",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if readout not in ("node", *AGGREGATES):
            raise ValueError(f"readout must be one of {['node', *AGGREGATES]}, got {readout!r}")
        widths = [in_features, *hidden_sizes]
        self.layers = nn.ModuleList(GraphLayer(a, b, aggregate, activation) for a, b in zip(widths[:-1], widths[1:]))
        self.dropout = nn.Dropout(dropout)
        self.readout = readout
        self.output = nn.Linear(widths[-1], out_features)

    def forward(
        self, h: torch.Tensor, edge_index: torch.Tensor, batch: torch.Tensor | None = None, n_graphs: int | None = None
    ) -> torch.Tensor:
        """Node outputs ``(n_nodes, out)`` or graph outputs ``(n_graphs, out)``; ``batch`` maps nodes to graphs
        (``None``: one graph)."""
        for layer in self.layers:
            h = layer(self.dropout(h), edge_index)
        if self.readout != "node":
            if batch is None:
                batch = torch.zeros(len(h), dtype=torch.long, device=h.device)
            n_graphs = int(batch.max()) + 1 if n_graphs is None else n_graphs
            h = aggregate(h, batch, n_graphs, self.readout)
        return self.output(self.dropout(h))


def grid_graph(height: int, width: int) -> torch.Tensor:
    """The notes' image graph: pixel ``r * width + c`` joined to its 4 neighbours, both directions ``(2, E)``."""
    if height < 1 or width < 1:
        raise ValueError(f"height and width must be >= 1, got {height}, {width}")
    index = torch.arange(height * width).reshape(height, width)
    right = torch.stack([index[:, :-1].reshape(-1), index[:, 1:].reshape(-1)])
    down = torch.stack([index[:-1, :].reshape(-1), index[1:, :].reshape(-1)])
    edges = torch.cat([right, down], dim=1)
    return torch.cat([edges, edges.flip(0)], dim=1)


def batch_graphs(edge_index: torch.Tensor, n_nodes: int, n_graphs: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n_graphs`` copies of one graph as a disjoint union: the stacked ``edge_index`` and the ``batch`` vector."""
    offsets = torch.arange(n_graphs, device=edge_index.device) * n_nodes
    stacked = (edge_index[:, None, :] + offsets[None, :, None]).reshape(2, -1)
    batch = torch.arange(n_graphs, device=edge_index.device).repeat_interleave(n_nodes)
    return stacked, batch


class NodeClassifier(nn.Module):
    """A :class:`GNN` bound to one graph: ``forward(node_ids) -> logits of those nodes``.

    This lets the semi-supervised node classification of one graph train through ``fit`` unchanged: the data are
    ``(labelled node ids, their labels)``; each step runs the whole graph and picks the requested rows."""

    def __init__(self, gnn: GNN, features: torch.Tensor, edge_index: torch.Tensor) -> None:
        super().__init__()
        self.gnn = gnn
        self.register_buffer("features", features.float())
        self.register_buffer("edge_index", check_edge_index(edge_index, len(features)))

    def forward(self, node_ids: torch.Tensor) -> torch.Tensor:
        return self.gnn(self.features, self.edge_index)[node_ids]


class GraphClassifier(nn.Module):
    """A graph-level :class:`GNN` over graphs that share one structure (``edge_index``), such as pixel grids:
    ``forward(x)`` with ``x`` of shape ``(batch, n_nodes, features)`` (or ``(batch, n_nodes)``) -> ``(batch, out)``."""

    def __init__(self, gnn: GNN, edge_index: torch.Tensor, n_nodes: int) -> None:
        super().__init__()
        self.gnn = gnn
        self.n_nodes = n_nodes
        self.register_buffer("edge_index", check_edge_index(edge_index, n_nodes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            x = x[:, :, None]
        if x.dim() != 3 or x.shape[1] != self.n_nodes:
            raise ValueError(f"x must have shape (batch, {self.n_nodes}, features), got {tuple(x.shape)}")
        edge_index, batch = batch_graphs(self.edge_index, self.n_nodes, len(x))
        return self.gnn(x.reshape(-1, x.shape[2]), edge_index, batch, n_graphs=len(x))
