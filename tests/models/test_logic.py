"""Threshold logic networks (notes 1.2): exact on all 2^n inputs, with the unit counts the constructions promise."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from boltzgym.models.supervised.logic import and_gate, dnf_network, majority_gate, or_gate, parity_network, truth_table


def _all_inputs(n: int) -> torch.Tensor:
    """Every n-bit input, row r = the bits of r with the first input most significant."""
    r = torch.arange(2**n)
    return ((r.unsqueeze(1) >> torch.arange(n - 1, -1, -1)) & 1).float()


@pytest.mark.parametrize("n", [1, 2, 5, 9])
def test_gates_are_exact(n):
    x = _all_inputs(n)
    ones = x.sum(dim=1, keepdim=True)
    assert torch.equal(and_gate(n)(x), (ones == n).float())
    assert torch.equal(or_gate(n)(x), (ones >= 1).float())
    assert torch.equal(majority_gate(n)(x), (ones > n / 2).float())
    assert and_gate(n).hidden_units == or_gate(n).hidden_units == majority_gate(n).hidden_units == 0


# the DNF network has 2^(n-1) units (2^15 x 2^16 products at n = 16): it is checked up to n = 12 below
@pytest.mark.parametrize(
    "n, construction",
    [(n, c) for n in (1, 2, 3, 8, 16) for c in ("count", "tree")] + [(n, "dnf") for n in (1, 2, 3, 8)],
)
def test_parity_networks_are_exact_with_the_promised_unit_counts(n, construction):
    x = _all_inputs(n)
    network = parity_network(n, construction)
    expected = (x.sum(dim=1, keepdim=True) % 2).float()
    assert torch.equal(network(x), expected)
    units = {"dnf": 2 ** (n - 1), "count": n, "tree": max(3 * (n - 1) - 1, 0)}[construction]
    assert network.hidden_units == units and isinstance(network.hidden_units, int)


def test_dnf_parity_is_exact_up_to_twelve_bits():
    network = parity_network(12, "dnf")
    x = _all_inputs(12)
    assert torch.equal(network(x), (x.sum(dim=1, keepdim=True) % 2).float())
    assert network.hidden_units == 2**11


def test_dnf_network_reproduces_any_truth_table():
    rng = np.random.default_rng(0)
    for n in (1, 3, 6):
        table = rng.integers(0, 2, size=2**n)
        table[0] = 1 - table[-1] if n > 1 else table[0]
        network = dnf_network(table)
        assert torch.equal(network(_all_inputs(n)).squeeze(1), torch.as_tensor(table).float())
        assert network.hidden_units == int(table.sum())
    assert torch.equal(dnf_network(np.zeros(8))(_all_inputs(3)), torch.zeros(8, 1))


def test_truth_table_orders_rows_with_the_first_input_most_significant():
    table = truth_table(lambda bits: bits[0] and not bits[1], 2)  # rows 00, 01, 10, 11
    assert table.tolist() == [0, 0, 1, 0]
    assert len(list(itertools.product((0, 1), repeat=3))) == truth_table(lambda bits: 1, 3).sum()


def test_tree_depth_is_logarithmic():
    assert [parity_network(n, "tree").depth for n in (2, 4, 8, 16, 17)] == [2, 4, 6, 8, 10]


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: parity_network(0), "n must be an integer >= 1"),
        (lambda: parity_network(3, "wide"), "construction must be"),
        (lambda: and_gate(2.5), "n must be an integer"),
        (lambda: dnf_network([1, 0, 1]), "2\\^n values"),
        (lambda: dnf_network([0, 2]), "2\\^n values"),
        (lambda: parity_network(3)(torch.zeros(4, 2)), r"\(batch, 3\)"),
    ],
)
def test_bad_input_is_named(build, message):
    with pytest.raises(ValueError, match=message):
        build()
