"""Notes chapter 3.3, graph networks: the message-passing GNN, the karate-club and digit-graph data, ``fit gnn``.

Public names load on first use (``from boltzgym.models.graph import ...``).
"""

from __future__ import annotations

from boltzgym.utils.imports import lazy_namespace

# Public name -> defining module, imported on first use.
_EXPORTS: dict[str, str] = {
    "check_edge_index": "boltzgym.models.graph.gnn",
    "aggregate_neighbours": "boltzgym.models.graph.gnn",
    "GraphLayer": "boltzgym.models.graph.gnn",
    "GNN": "boltzgym.models.graph.gnn",
    "grid_graph": "boltzgym.models.graph.gnn",
    "karate_club": "boltzgym.models.graph.gnn",
    "karate_dataset": "boltzgym.models.graph.gnn",
    "karate_communities_dataset": "boltzgym.models.graph.gnn",
    "digits_graph_dataset": "boltzgym.models.graph.gnn",
    "GNNConfig": "boltzgym.models.graph.trainers",
    "train_gnn": "boltzgym.models.graph.trainers",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS)
