"""``SimulatedAnnealingSampler`` as Ocean code uses it: dimod's own conformance tests, the sampler API check,
the models without variables that composites hand down, ``num_sweeps=0`` and unknown keyword arguments."""

from __future__ import annotations

import unittest
import warnings

import dimod
import dimod.testing
import numpy as np
import pytest
from dwave.preprocessing import FixVariablesComposite, SpinReversalTransformComposite

from boltzgym.sims.dimod_compat import SimulatedAnnealingSampler


@dimod.testing.load_sampler_bqm_tests(SimulatedAnnealingSampler)
class TestDimodConformance(unittest.TestCase):
    """dimod's generated tests: empty, 1-variable, 1-path and 2-path models as Ising, QUBO and three BQM classes,
    SPIN and BINARY (32 tests; dwave-neal's sampler passes all of them too)."""


def test_dimod_conformance_generates_the_full_suite():
    generated = [name for name in vars(TestDimodConformance) if name.startswith("test_")]
    assert len(generated) == 32
    assert any("empty" in name for name in generated)


def test_sampler_api():
    dimod.testing.assert_sampler_api(SimulatedAnnealingSampler())


@pytest.mark.parametrize("vartype", ["SPIN", "BINARY"])
@pytest.mark.parametrize("num_reads", [None, 3])
def test_a_model_without_variables_gives_empty_samples_at_the_offset(vartype, num_reads):
    bqm = dimod.BQM({}, {}, 1.5, vartype)
    sampleset = SimulatedAnnealingSampler().sample(bqm, num_reads=num_reads, seed=0)
    assert len(sampleset) == (1 if num_reads is None else num_reads)
    assert sampleset.vartype is bqm.vartype
    assert len(sampleset.variables) == 0
    np.testing.assert_array_equal(sampleset.record.energy, 1.5)
    assert SimulatedAnnealingSampler().sample_ising({}, {}).first.energy == 0.0


def test_num_reads_is_still_checked_on_an_empty_model():
    with pytest.raises(ValueError, match="num_reads must be a positive integer"):
        SimulatedAnnealingSampler().sample(dimod.BQM("SPIN"), num_reads=0)


def test_num_sweeps_zero_returns_the_initial_states():
    h, J = {"a": 1.0, "b": 0.0}, {("a", "b"): -1.0}
    start = np.array([[1, -1], [-1, -1]], dtype=np.int8)
    sampler = SimulatedAnnealingSampler()
    sampleset = sampler.sample_ising(h, J, num_sweeps=0, initial_states=(start, ["a", "b"]), seed=0)
    got = sampleset.record.sample[:, [sampleset.variables.index(v) for v in ("a", "b")]]
    assert sorted(map(tuple, got)) == sorted(map(tuple, start))
    expected = dimod.BQM(h, J, 0, "SPIN").energies((start, ["a", "b"]))
    np.testing.assert_allclose(np.sort(sampleset.record.energy), np.sort(expected))
    assert len(sampleset) == 2  # one read per initial state
    random_a = sampler.sample_ising(h, J, num_sweeps=0, num_reads=8, seed=4)
    random_b = sampler.sample_ising(h, J, num_sweeps=0, num_reads=8, seed=4)
    assert len(random_a) == 8
    np.testing.assert_array_equal(random_a.record.sample, random_b.record.sample)
    binary = sampler.sample_qubo({("x", "x"): 1.0}, num_sweeps=0, initial_states=([[1]], ["x"]))
    assert binary.first.sample == {"x": 1} and binary.first.energy == 1.0


def test_negative_num_sweeps_is_refused():
    with pytest.raises(ValueError, match="num_sweeps must be >= 0"):
        SimulatedAnnealingSampler().sample_ising({0: 1.0}, {}, num_sweeps=-1)


def test_an_unknown_keyword_warns_and_the_call_goes_on():
    sampler = SimulatedAnnealingSampler()
    J = {(0, 1): -1.0, (1, 2): 1.0}
    with pytest.warns(dimod.exceptions.SamplerUnknownArgWarning, match="not_a_parameter"):
        warned = sampler.sample_ising({}, J, num_reads=4, num_sweeps=20, seed=2, not_a_parameter=3)
    plain = sampler.sample_ising({}, J, num_reads=4, num_sweeps=20, seed=2)
    np.testing.assert_array_equal(warned.record.sample, plain.record.sample)


def test_known_keywords_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", dimod.exceptions.SamplerUnknownArgWarning)
        SimulatedAnnealingSampler().sample_ising({0: 1.0}, {}, num_reads=2, num_sweeps=5, seed=0, method="metropolis")


def test_fix_variables_composite_with_roof_duality_fixing_every_variable():
    """Roof duality fixes all three variables here, so the child receives an empty BQM (dwave-preprocessing)."""
    bqm = dimod.BQM({"a": -2.0, "b": 1.0, "c": 0.5}, {("a", "b"): -0.5, ("b", "c"): 0.25}, 0.75, "SPIN")
    ground = dimod.ExactSolver().sample(bqm).first
    sampleset = FixVariablesComposite(SimulatedAnnealingSampler(), algorithm="roof_duality").sample(
        bqm, num_reads=4, seed=3
    )
    assert len(sampleset) == 4
    assert sampleset.first.sample == ground.sample
    np.testing.assert_allclose(sampleset.record.energy, ground.energy)


def test_composites_around_the_sampler_find_a_small_ground_state():
    bqm = dimod.generators.ran_r(1, 10, seed=0)
    ground = dimod.ExactSolver().sample(bqm).first.energy
    fixed = FixVariablesComposite(SimulatedAnnealingSampler(), algorithm="roof_duality")
    assert fixed.sample(bqm, num_reads=8, num_sweeps=200, seed=1).first.energy == pytest.approx(ground)
    reversed_ = SpinReversalTransformComposite(SimulatedAnnealingSampler())
    assert reversed_.sample(bqm, num_reads=8, num_sweeps=200, seed=1).first.energy == pytest.approx(ground)
