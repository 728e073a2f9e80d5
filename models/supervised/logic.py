"""Threshold-unit logic networks built exactly, not trained (notes 1.2, "logic classifiers").

A threshold unit outputs ``H(w . x + b)`` with ``H(z) = 1`` if ``z > 0`` else ``0`` (McCulloch & Pitts 1943). All
weights here are small integers and all biases half-integers, so no input lands on the threshold. Every builder
returns an ``nn.Module`` mapping ``(batch, n)`` {0, 1} floats to ``(batch, 1)`` {0, 1} floats, with ``hidden_units``
counting every threshold unit except the single output unit.

The depth claim, made precise. The notes say a deep network needs O(N) units for a logic function where a
single hidden layer needs O(2^N), with parity as the example. That holds for networks of AND/OR units: a one-hidden-
layer AND/OR network (a DNF) needs one AND unit per true row of parity, ``2^(N-1)`` (``construction="dnf"``), while
a tree of XOR gates needs ``3(N-1)`` units in depth O(log N) (``"tree"``). It does not hold for threshold units:
one hidden layer of ``N`` threshold units computes parity (``"count"``: unit k fires when at least k inputs are on,
and the output adds them with alternating signs). Exponential lower bounds for depth-2 threshold circuits are known
only for other functions (e.g. inner product mod 2 needs exponential size with bounded weights, Hajnal et al. 1993).
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
from torch import nn

__all__ = ["ThresholdLayer", "and_gate", "dnf_network", "majority_gate", "or_gate", "parity_network", "truth_table"]


def _check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1 (the number of inputs), got {n!r}")
    return int(n)


class ThresholdLayer(nn.Module):
    """A layer of threshold units with fixed weights: ``H(x W^T + b)``; ``W`` is ``(units, inputs)``. ``device``,
    ``dtype``: torch's factory keywords of the weight and bias buffers (``dtype`` ``None``: float32)."""

    def __init__(self, weight, bias, device=None, dtype=None) -> None:
        super().__init__()
        weight = torch.as_tensor(np.asarray(weight, dtype=np.float32)).reshape(len(bias), -1)
        self.register_buffer("weight", weight.to(device=device, dtype=dtype))
        self.register_buffer("bias", torch.as_tensor(np.asarray(bias, dtype=np.float32)).to(device=device, dtype=dtype))

    @property
    def units(self) -> int:
        return int(self.bias.numel())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ((x @ self.weight.T + self.bias) > 0).to(x.dtype)


class LogicNetwork(nn.Module):
    """Threshold layers applied in turn; the last layer is the single output unit."""

    def __init__(self, n_inputs: int, layers: list[ThresholdLayer]) -> None:
        super().__init__()
        self.n_inputs = n_inputs
        self.layers = nn.ModuleList(layers)
        self.hidden_units = sum(layer.units for layer in layers[:-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_inputs(x, self.n_inputs)
        for layer in self.layers:
            x = layer(x)
        return x


def _check_inputs(x: torch.Tensor, n: int) -> None:
    if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != n:
        raise ValueError(f"x must be a (batch, {n}) tensor of 0/1 values, got {getattr(x, 'shape', type(x))}")


def and_gate(n: int) -> LogicNetwork:
    """Fires when all ``n`` inputs are on: weights 1, bias ``-(n - 1/2)``."""
    n = _check_n(n)
    return LogicNetwork(n, [ThresholdLayer(np.ones((1, n)), [-(n - 0.5)])])


def or_gate(n: int) -> LogicNetwork:
    """Fires when any input is on: weights 1, bias ``-1/2``."""
    n = _check_n(n)
    return LogicNetwork(n, [ThresholdLayer(np.ones((1, n)), [-0.5])])


def majority_gate(n: int) -> LogicNetwork:
    """Fires when more than half of the ``n`` inputs are on (``sum >= floor(n/2) + 1``)."""
    n = _check_n(n)
    return LogicNetwork(n, [ThresholdLayer(np.ones((1, n)), [-(n // 2 + 0.5)])])


def truth_table(function, n: int) -> np.ndarray:
    """The ``2^n`` outputs of ``function(bits)`` over all inputs, row ``r`` = the bits of ``r``, first input most
    significant (the order :func:`dnf_network` reads)."""
    n = _check_n(n)
    return np.array([int(bool(function(bits))) for bits in itertools.product((0, 1), repeat=n)], dtype=np.int8)


def dnf_network(table) -> LogicNetwork:
    """One hidden layer of AND units, one per true row of ``table``, and an OR output (notes 1.2's DNF network).

    ``table`` holds the ``2^n`` outputs of a Boolean function, row ``r`` being the input whose bits (first input
    most significant) spell ``r`` (see :func:`truth_table`). The AND unit of row ``r`` has weight +1 on the inputs
    that are 1 in ``r`` and -1 on the others, and bias ``-(ones - 1/2)``: it fires on that row only.
    """
    table = np.asarray(table)
    size = table.size
    n = int(round(np.log2(size))) if size else 0
    if table.ndim != 1 or size < 2 or 2**n != size or not np.isin(table, (0, 1)).all():
        raise ValueError(f"table must be a 1-D array of 2^n values in {{0, 1}} (n >= 1), got shape {table.shape}")
    rows = np.flatnonzero(table)
    if rows.size == 0:  # the constant-0 function: an output unit that never fires
        return LogicNetwork(n, [ThresholdLayer(np.zeros((1, n)), [-0.5])])
    bits = np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.float64)[rows]  # (true rows, n)
    hidden = ThresholdLayer(2 * bits - 1, -(bits.sum(axis=1) - 0.5))
    output = ThresholdLayer(np.ones((1, rows.size)), [-0.5])
    return LogicNetwork(n, [hidden, output])


class _XorTree(nn.Module):
    """Parity as a balanced tree of XOR gates; each gate is OR and AND hidden units and a combining unit
    ``H(or - and - 1/2)``. Odd signals at a level pass up unchanged (wires, not units)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n_inputs = n
        self.hidden_units = 3 * (n - 1) - 1 if n > 1 else 0
        self.depth = 2 * int(np.ceil(np.log2(n))) if n > 1 else 1  # threshold layers on the longest path

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_inputs(x, self.n_inputs)
        signals = x
        if self.n_inputs == 1:  # parity of one bit: one output unit copying it
            return (signals - 0.5 > 0).to(x.dtype)
        while signals.shape[1] > 1:
            pairs = signals.shape[1] // 2
            a, b = signals[:, 0 : 2 * pairs : 2], signals[:, 1 : 2 * pairs : 2]
            unit_or = (a + b - 0.5 > 0).to(x.dtype)
            unit_and = (a + b - 1.5 > 0).to(x.dtype)
            xor = (unit_or - unit_and - 0.5 > 0).to(x.dtype)
            signals = torch.cat([xor, signals[:, 2 * pairs :]], dim=1)
        return signals


def parity_network(n: int, construction: str = "count") -> nn.Module:
    """An exact network for the parity of ``n`` bits.

    ``construction``:
        ``"dnf"``: the notes' single hidden layer of AND units, one per odd-weight input: ``2^(n-1)`` hidden units.
        ``"count"``: one hidden layer of ``n`` threshold units, unit k firing when at least k inputs are on, output
        weights ``+1, -1, +1, ...``: ``n`` hidden units (a single layer suffices for threshold units).
        ``"tree"``: a balanced tree of ``n - 1`` XOR gates of three units each, depth O(log n): ``3(n-1) - 1``
        hidden units (the last gate's combining unit is the output).
    """
    n = _check_n(n)
    if construction == "dnf":
        return dnf_network(truth_table(lambda bits: sum(bits) % 2, n))
    if construction == "count":
        hidden = ThresholdLayer(np.ones((n, n)), -(np.arange(1, n + 1) - 0.5))
        output = ThresholdLayer([[(-1.0) ** k for k in range(n)]], [-0.5])
        return LogicNetwork(n, [hidden, output])
    if construction == "tree":
        return _XorTree(n)
    raise ValueError(f"construction must be 'dnf', 'count' or 'tree', got {construction!r}")
