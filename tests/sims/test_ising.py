"""The Ising energy model: energies, conversions to Boltzmann-machine and QUBO form, validation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from boltzgym.sims.ising import IsingModel


def random_model(n: int, seed: int) -> IsingModel:
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(size=(n, n)), k=1)
    return IsingModel(J + J.T, rng.normal(size=n))


def all_spin_states(n: int) -> np.ndarray:
    return np.array(list(itertools.product([-1, 1], repeat=n)), dtype=np.int8)


def test_energy_matches_pair_sum_definition():
    model = random_model(5, 0)
    states = all_spin_states(5)
    expected = [
        -sum(model.J[i, j] * s[i] * s[j] for i in range(5) for j in range(i + 1, 5)) - model.h @ s for s in states
    ]
    np.testing.assert_allclose(model.energy(states), expected)
    assert model.energy(states[3]).shape == ()
    np.testing.assert_allclose(model.local_fields(states), states @ model.J + model.h)


def test_sparse_and_dense_agree():
    dense = random_model(6, 1)
    sparse = IsingModel(sp.csr_matrix(dense.J), dense.h)
    assert sparse.is_sparse and not dense.is_sparse
    states = all_spin_states(6)
    np.testing.assert_allclose(sparse.energy(states), dense.energy(states))
    np.testing.assert_allclose(sparse.local_fields(states), dense.local_fields(states))
    assert sparse.max_flip_energy() == pytest.approx(dense.max_flip_energy())
    assert repr(sparse) == "IsingModel(n_spins=6, sparse, 15 bonds, fields=yes)"


def test_boltzmann_and_qubo_round_trips_preserve_energy():
    model = random_model(5, 2)
    states = all_spin_states(5)
    units = (states + 1) // 2
    W, b, offset = model.to_boltzmann()
    bm_energy = -0.5 * np.einsum("ni,ij,nj->n", units, W, units) - units @ b
    np.testing.assert_allclose(model.energy(states), bm_energy + offset)
    back, back_offset = IsingModel.from_boltzmann(W, b)
    np.testing.assert_allclose(back.J, model.J)
    np.testing.assert_allclose(back.h, model.h)
    assert back_offset == pytest.approx(-offset)

    Q, q_offset = model.to_qubo()
    assert np.allclose(Q, np.triu(Q))
    qubo_energy = np.einsum("ni,ij,nj->n", units, Q, units)
    np.testing.assert_allclose(model.energy(states), qubo_energy + q_offset)
    from_q, from_offset = IsingModel.from_qubo(Q)
    np.testing.assert_allclose(from_q.energy(states) + from_offset, qubo_energy, atol=1e-12)  # one energy is 0


@pytest.mark.parametrize(
    ("J", "h", "message"),
    [
        ([[0.0, 1.0], [2.0, 0.0]], None, "J must be symmetric"),
        ([[0.0, np.nan], [np.nan, 0.0]], None, "J must have finite values"),
        ([[1.0, 0.0], [0.0, 0.0]], None, "J must have a zero diagonal"),
        (np.zeros((2, 3)), None, r"J must be a square matrix, got shape \(2, 3\)"),
        (np.zeros((2, 2)), [1.0, 2.0, 3.0], r"h must have shape \(2,\), got \(3,\)"),
        (np.zeros((2, 2)), [1.0, np.inf], "h must have finite values"),
        (sp.csr_matrix(np.array([[0.0, 1.0], [0.0, 0.0]])), None, "J must be symmetric"),
    ],
)
def test_bad_models_are_rejected(J, h, message):
    with pytest.raises(ValueError, match=message):
        IsingModel(J, h)


def test_bad_states_are_rejected():
    model = random_model(3, 0)
    with pytest.raises(ValueError, match=r"only -1 and \+1"):
        model.energy([0, 1, 1])
    with pytest.raises(ValueError, match=r"shape \(3,\) or \(n, 3\)"):
        model.energy([1, 1])
