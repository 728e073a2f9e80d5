"""A multilayer perceptron: the fully connected network of notes 1.1-1.2, with the regularisers of notes 2.

``MLP(in_features, hidden_sizes, out_features)`` stacks ``Linear -> [BatchNorm1d] -> activation -> [Dropout]``
blocks and ends with a plain ``Linear`` layer (no activation: the caller adds one when it needs it). With
``out_features=None`` the network ends after the last hidden block, which makes it a feature extractor whose
width is ``MLP.out_features``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules import module as torch_module

from boltzgym.utils.validation import check_int, check_widths

ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}

# What these layers' forward computes, evaluated without a module call: the same ops on the same tensors
_FUNCTIONAL_LAYERS = {
    nn.Linear: lambda layer, x: F.linear(x, layer.weight, layer.bias),
    nn.ReLU: lambda layer, x: F.relu(x, inplace=layer.inplace),
    nn.Tanh: lambda layer, x: torch.tanh(x),
    nn.Sigmoid: lambda layer, x: torch.sigmoid(x),
}


def hook_free(modules) -> bool:
    """True when no forward or backward hook is registered on any of ``modules``, nor on every module. Torch keeps
    hooks in these dicts; should a version name them otherwise, the modules count as hooked."""
    try:
        if (
            torch_module._global_forward_hooks
            or torch_module._global_forward_pre_hooks
            or torch_module._global_backward_hooks
            or torch_module._global_backward_pre_hooks
        ):
            return False
        for module in modules:
            if (
                module._forward_hooks
                or module._forward_pre_hooks
                or module._backward_hooks
                or module._backward_pre_hooks
            ):
                return False
    except AttributeError:
        return False
    return True


def apply_layers(layers, x: torch.Tensor) -> torch.Tensor:
    """``layers`` applied in order, as ``nn.Sequential`` applies them, linear layers and ReLU/tanh/sigmoid evaluated
    as their ``forward`` would be rather than called as modules (any other layer is called). For layers that
    :func:`hook_free` clears: a module call would also run their hooks."""
    for layer in layers:
        evaluate = _FUNCTIONAL_LAYERS.get(type(layer))
        x = layer(x) if evaluate is None else evaluate(layer, x)
    return x


def activation_layer(name: str) -> nn.Module:
    """A fresh activation module by name: ``"relu"``, ``"tanh"`` or ``"sigmoid"``."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]()


class MLP(nn.Module):
    """Fully connected network ``in_features -> hidden_sizes... -> out_features``.

    Args:
        in_features: width of the input vectors.
        hidden_sizes: width of each hidden layer, in order (may be empty: then a single linear layer).
        out_features: width of the final linear layer; ``None`` ends the network after the last hidden block.
        activation: ``"relu"`` (default, the usual choice for deep nets), ``"tanh"`` or ``"sigmoid"``.
        batch_norm: insert ``BatchNorm1d`` after each hidden linear layer (notes 2.1, Ioffe & Szegedy 2015).
            Off by default: it couples the samples of a batch, which hurts bootstrapped targets in RL.
        dropout: probability of zeroing a hidden unit during training (notes 2.3, Srivastava et al. 2014);
            0 disables it. ``nn.Dropout`` rescales at training time, so evaluation needs no weight scaling.
        device, dtype: torch's factory keywords (as ``nn.Linear``'s): where and in which floating type the
            parameters are created (``None``: torch's defaults).

    Example:
        >>> import torch
        >>> net = MLP(4, [64, 64], 2)
        >>> net(torch.zeros(3, 4)).shape
        torch.Size([3, 2])
    """

    def __init__(
        self,
        in_features: int,
        hidden_sizes: Sequence[int] = (64, 64),
        out_features: int | None = None,
        activation: str = "relu",
        batch_norm: bool = False,
        dropout: float = 0.0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        in_features = check_int("in_features", in_features, minimum=1)
        hidden_sizes = check_widths("hidden_sizes", tuple(hidden_sizes), allow_empty=True)
        if out_features is not None:
            out_features = check_int("out_features", out_features, minimum=1)
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        activation_layer(activation)  # validates the name early
        layers: list[nn.Module] = []
        width = in_features
        for hidden in hidden_sizes:
            layers.append(nn.Linear(width, hidden, **factory_kwargs))
            if batch_norm:
                layers.append(nn.BatchNorm1d(hidden, **factory_kwargs))
            layers.append(activation_layer(activation))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = hidden
        if out_features is not None:
            layers.append(nn.Linear(width, out_features, **factory_kwargs))
            width = out_features
        self.layers = nn.Sequential(*layers)
        self.in_features = int(in_features)
        self.out_features = int(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(batch, in_features)`` to ``(batch, out_features)``.

        Without hooks, the linear layers and activations are evaluated as their own ``forward`` would be
        (:func:`apply_layers`) instead of called as modules: the same result without a module call per layer
        (module calls were about a fifth of DQN's forward pass on a CartPole batch). What a module call would add
        beyond hooks is skipped too: a layer compiled on its own (``layer.compile()``; compile the MLP instead),
        and ``torch.fx`` sees ``F.linear`` calls rather than ``Linear`` modules. ``torch.compile`` and
        ``torch.export`` of the MLP work (tests).
        """
        layers = self.layers
        return apply_layers(layers, x) if hook_free((layers, *layers)) else layers(x)
