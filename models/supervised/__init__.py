"""Notes chapter 1, neural-network fundamentals: neurons, logic networks, the MLP, losses, and the ``fit`` trainers of
the supervised models (``mlp``, ``rbf``, ``logistic``).

Public names load on first use (``from boltzgym.models.supervised import ...``).
"""

from __future__ import annotations

from boltzgym.utils.imports import lazy_namespace

# Public name -> defining module, imported on first use.
_EXPORTS: dict[str, str] = {
    "ThresholdLayer": "boltzgym.models.supervised.logic",
    "LogicNetwork": "boltzgym.models.supervised.logic",
    "and_gate": "boltzgym.models.supervised.logic",
    "or_gate": "boltzgym.models.supervised.logic",
    "majority_gate": "boltzgym.models.supervised.logic",
    "truth_table": "boltzgym.models.supervised.logic",
    "dnf_network": "boltzgym.models.supervised.logic",
    "parity_network": "boltzgym.models.supervised.logic",
    "half_squared_error": "boltzgym.models.supervised.losses",
    "activation_layer": "boltzgym.models.supervised.mlp",
    "MLP": "boltzgym.models.supervised.mlp",
    "step": "boltzgym.models.supervised.neurons",
    "activation_derivative": "boltzgym.models.supervised.neurons",
    "StepFunction": "boltzgym.models.supervised.neurons",
    "ThresholdUnit": "boltzgym.models.supervised.neurons",
    "Perceptron": "boltzgym.models.supervised.neurons",
    "RBFLayer": "boltzgym.models.supervised.neurons",
    "SUPERVISED_TRAINING": "boltzgym.models.supervised.trainers",
    "MLPConfig": "boltzgym.models.supervised.trainers",
    "RBFConfig": "boltzgym.models.supervised.trainers",
    "LogisticConfig": "boltzgym.models.supervised.trainers",
    "n_parameters": "boltzgym.models.supervised.trainers",
    "train_supervised": "boltzgym.models.supervised.trainers",
    "fit_summary": "boltzgym.models.supervised.trainers",
    "train_mlp": "boltzgym.models.supervised.trainers",
    "train_logistic": "boltzgym.models.supervised.trainers",
    "train_rbf": "boltzgym.models.supervised.trainers",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS)
