"""Notes chapter 2, optimization: the optimizers torch lacks (as ``torch.optim.Optimizer``), batch norm's Jacobian
and the regularizers of notes 2.3.

Public names load on first use (``from boltzgym.models.optim import ...``).
"""

from __future__ import annotations

from boltzgym.utils.imports import lazy_namespace

# Public name -> defining module, imported on first use.
_EXPORTS: dict[str, str] = {
    "batchnorm_jacobian": "boltzgym.models.optim.normalization",
    "Quickprop": "boltzgym.models.optim.optimizers",
    "Newton": "boltzgym.models.optim.optimizers",
    "polynomial_averaging": "boltzgym.models.optim.optimizers",
    "notes_nesterov_step": "boltzgym.models.optim.optimizers",
    "sutskever_nesterov_step": "boltzgym.models.optim.optimizers",
    "l1_penalty": "boltzgym.models.optim.regularization",
    "l2_penalty": "boltzgym.models.optim.regularization",
    "NotesDropout": "boltzgym.models.optim.regularization",
    "prune_connections": "boltzgym.models.optim.regularization",
    "add_weight_noise": "boltzgym.models.optim.regularization",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS)
