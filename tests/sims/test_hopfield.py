"""Hopfield networks, the dense associative memory and the capacity experiment."""

from __future__ import annotations

import numpy as np
import pytest

from boltzgym.sims.capacity import capacity_experiment, critical_load
from boltzgym.sims.dense_memory import DenseAssociativeMemory
from boltzgym.sims.hopfield import HopfieldNetwork, corrupt


def random_patterns(n_patterns: int, n_neurons: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).choice(np.array([-1, 1], dtype=np.int8), size=(n_patterns, n_neurons))


def is_fixed_point(net: HopfieldNetwork, patterns: np.ndarray) -> np.ndarray:
    return np.all(np.sign(patterns @ net.weights + net.biases) == patterns, axis=1)


def test_hebbian_weights_follow_the_notes_formula():
    patterns = random_patterns(3, 8, 0).astype(float)
    net = HopfieldNetwork(8).store(patterns)
    expected = (sum(np.outer(p, p) for p in patterns) - 3 * np.eye(8)) / 8
    np.testing.assert_allclose(net.weights, expected)
    assert np.all(np.diag(net.weights) == 0)


@pytest.mark.parametrize(("rule", "n_patterns"), [("hebbian", 5), ("pseudoinverse", 40), ("storkey", 25)])
def test_stored_patterns_under_capacity_are_fixed_points(rule, n_patterns):
    # N = 100: Hebbian at alpha = 0.05 (well under 0.138), the projection rule at 0.4, Storkey at 0.25
    patterns = random_patterns(n_patterns, 100, 1)
    net = HopfieldNetwork(100).store(patterns, rule)
    assert np.all(is_fixed_point(net, patterns))
    recall = net.recall(patterns, num_sweeps=2, seed=0, targets=patterns)
    np.testing.assert_array_equal(recall.states, patterns)
    np.testing.assert_allclose(recall.overlaps, 1.0)


def test_hebbian_fails_where_the_projection_rule_holds():
    patterns = random_patterns(30, 100, 2)  # alpha = 0.3, far above 0.138
    assert is_fixed_point(HopfieldNetwork(100).store(patterns), patterns).mean() < 0.5
    assert np.all(is_fixed_point(HopfieldNetwork(100).store(patterns, "pseudoinverse"), patterns))


def test_async_recall_lowers_energy_and_restores_pattern():
    patterns = random_patterns(6, 120, 3)
    net = HopfieldNetwork(120).store(patterns)
    probes = corrupt(patterns, 0.2, seed=4)
    assert np.all(np.sum(probes != patterns, axis=1) == 24)
    result = net.recall(probes, num_sweeps=6, targets=patterns, seed=5)
    assert np.all(np.diff(result.energies, axis=0) <= 1e-9)
    np.testing.assert_allclose(result.energies[0], net.energy(probes))
    np.testing.assert_allclose(result.energies[-1], net.energy(result.states))
    np.testing.assert_allclose(result.overlaps[0], 0.6)
    np.testing.assert_allclose(result.overlaps[-1], 1.0)
    sync = net.recall(probes, num_sweeps=6, mode="sync", targets=patterns, seed=5)
    np.testing.assert_allclose(sync.overlaps[-1], 1.0)
    hot = net.recall(probes, num_sweeps=6, beta=0.01, targets=patterns, seed=5)
    assert np.all(hot.overlaps[-1] < 0.5)  # near-infinite temperature forgets


def test_gradient_training_stores_patterns_and_is_seeded():
    patterns = random_patterns(12, 60, 6)
    net = HopfieldNetwork(60).train_gradient(patterns, n_epochs=20, seed=0)
    assert np.all(is_fixed_point(net, patterns))
    assert np.allclose(net.weights, net.weights.T) and np.all(np.diag(net.weights) == 0)
    again = HopfieldNetwork(60).train_gradient(patterns, n_epochs=20, seed=0)
    np.testing.assert_array_equal(net.weights, again.weights)


def test_dense_memory_retrieves_far_above_classical_capacity():
    patterns = random_patterns(200, 64, 7)  # alpha ~ 3.1
    probes = corrupt(patterns, 0.15, seed=8)
    retrieved = np.sign(DenseAssociativeMemory(patterns).retrieve(probes))
    np.testing.assert_array_equal(retrieved, patterns)
    memory = DenseAssociativeMemory(patterns, beta=0.5)
    states = probes.astype(float)
    for _ in range(3):  # the update never raises the modern Hopfield energy
        new_states = memory.retrieve(states)
        assert np.all(memory.energy(new_states) <= memory.energy(states) + 1e-9)
        states = new_states


def test_capacity_experiment_locates_the_hebbian_transition():
    result = capacity_experiment(100, alphas=[0.05, 0.1, 0.25, 0.35], n_trials=2, seed=0)
    assert result.success_rate[0] == 1.0 and result.success_rate[-1] < 0.2
    assert 0.1 <= result.alpha_c <= 0.25
    assert np.all(np.diff(result.mean_overlap) <= 0.02)
    dense = capacity_experiment(64, alphas=[1.0, 2.0], n_trials=1, memory="dense", seed=0)
    np.testing.assert_allclose(dense.success_rate, 1.0)
    assert np.isnan(dense.alpha_c)
    assert critical_load([0.1, 0.2], [1.0, 0.0]) == pytest.approx(0.15)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: HopfieldNetwork(4).store([[1, 0, 1, 1]]), r"patterns must be \+-1 patterns"),
        (lambda: HopfieldNetwork(4).store([[1, 1, 1]]), "patterns must have 4 columns"),
        (lambda: HopfieldNetwork(4).store([[1, 1, 1, 1]], "oja"), "rule must be one of"),
        (lambda: HopfieldNetwork(4).recall([1, 1, 1, 1], mode="parallel"), "mode must be 'async' or 'sync'"),
        (lambda: HopfieldNetwork(4).recall([1, 1, 1, 1], num_sweeps=0), "num_sweeps must be >= 1"),
        (lambda: HopfieldNetwork(1), "n_neurons must be >= 2"),
        (lambda: capacity_experiment(10, alphas=[-0.1]), "alphas must be a non-empty list of positive loads"),
        (lambda: DenseAssociativeMemory([[1, -1]]).retrieve([[1.0, 2.0, 3.0]]), r"probes must be finite"),
    ],
)
def test_bad_input_is_rejected(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_capacity_reports_the_realised_loads():
    from boltzgym.sims.capacity import capacity_experiment

    result = capacity_experiment(n_neurons=40, alphas=[0.01, 0.11, 0.2], n_trials=1, seed=0)
    np.testing.assert_allclose(result.alphas, [1 / 40, 4 / 40, 8 / 40])  # P = max(1, round(alpha N))
