"""The exact planar solver against brute-force enumeration, its refusals, and its dimod sampler."""

from __future__ import annotations

import dimod
import networkx as nx
import numpy as np
import pytest

from boltzgym.sims.annealing import anneal, parallel_tempering
from boltzgym.sims.enumeration import brute_force_ground_state
from boltzgym.sims.ising import IsingModel
from boltzgym.sims.planar import (
    MAX_PLANAR_SITES,
    PlanarLattice,
    planar_ground_state,
    planar_lattice_from_couplings,
    planar_spin_glass,
    read_planar_instance,
    write_planar_instance,
)
from boltzgym.sims.planar_sampler import PlanarGroundStateSampler
from boltzgym.sims.problems import lattice_spin_glass

SHAPES = [(5, 5), (4, 6), (6, 4), (3, 7), (2, 9), (2, 2), (1, 8), (8, 1), (1, 1), (3, 3)]


def check_against_enumeration(lattice: PlanarLattice) -> None:
    result = planar_ground_state(lattice)
    model = lattice.to_model()
    state, brute = brute_force_ground_state(model)
    assert result.energy == pytest.approx(brute, abs=1e-9)
    assert float(model.energy(result.spins.ravel())) == pytest.approx(result.energy, abs=1e-12)
    return result, state


@pytest.mark.parametrize("couplings", ["pm", "gaussian"])
def test_equals_enumeration_on_5x5(couplings):
    for seed in range(12):
        result, state = check_against_enumeration(planar_spin_glass(5, couplings=couplings, seed=seed))
        if couplings == "gaussian":  # no ties: the ground state is unique up to the global flip
            flat = result.spins.ravel()
            assert np.array_equal(flat, state) or np.array_equal(flat, -state)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("couplings", ["pm", "gaussian"])
def test_equals_enumeration_on_rectangles(shape, couplings):
    for seed in range(3):
        check_against_enumeration(planar_spin_glass(*shape, couplings=couplings, seed=100 + seed))


def test_diluted_couplings_with_zeros_equal_enumeration():
    rng = np.random.default_rng(7)
    for _ in range(6):
        h = rng.standard_normal((4, 4)) * (rng.random((4, 4)) < 0.6)
        v = rng.standard_normal((3, 5)) * (rng.random((3, 5)) < 0.6)
        check_against_enumeration(PlanarLattice(h, v))


def test_corner_plaquettes_use_their_lightest_boundary_bond():
    # 3 x 3 lattice: the top-left plaquette is frustrated and touches the boundary through the bond (0,0)-(0,1)
    # (weight 5) and the bond (0,0)-(1,0) (weight 0.25, antiferromagnetic); every other bond is 3. Breaking the light
    # bond is optimal. The four rotations of the lattice put the frustrated plaquette in each corner in turn.
    base = {pair: 3.0 for pair in nx.grid_2d_graph(3, 3).edges}
    base[((0, 0), (0, 1))] = 5.0
    base[((0, 0), (1, 0))] = -0.25
    light = ((0, 0), (1, 0))
    total = sum(abs(value) for value in base.values())
    for turn in range(4):

        def rotate(site, turn=turn):
            r, c = site
            for _ in range(turn):
                r, c = c, 2 - r
            return r, c

        couplings = {(rotate(a), rotate(b)): value for (a, b), value in base.items()}
        result = planar_ground_state(couplings)
        assert result.n_frustrated == 1
        assert result.energy == pytest.approx(-total + 2 * 0.25)
        s = result.spins
        a, b = rotate(light[0]), rotate(light[1])
        assert s[a] * s[b] == 1  # the antiferromagnetic light bond is the one left unsatisfied
        check_against_enumeration(planar_lattice_from_couplings(couplings))


def test_every_corner_of_a_strip():
    # 2 x 2 and 2 x 3: plaquettes with three and four boundary bonds of distinct weights
    rng = np.random.default_rng(0)
    for shape in [(2, 2), (2, 3), (3, 2)]:
        for _ in range(10):
            lattice = PlanarLattice(rng.uniform(-2, 2, (shape[0], shape[1] - 1)),
                                    rng.uniform(-2, 2, (shape[0] - 1, shape[1])))  # fmt: skip
            check_against_enumeration(lattice)


@pytest.mark.parametrize("couplings", ["pm", "gaussian"])
def test_larger_lattices_report_the_energy_of_their_spins(couplings):
    lattice = planar_spin_glass(48, 40, couplings=couplings, seed=5)
    result = planar_ground_state(lattice)
    assert result.spins.shape == (48, 40) and set(np.unique(result.spins)) <= {-1, 1}
    assert lattice.energy(result.spins) == pytest.approx(result.energy, abs=1e-9)
    assert float(lattice.to_model().energy(result.spins.ravel())) == pytest.approx(result.energy, abs=1e-9)
    assert result.energy == pytest.approx(-np.abs(lattice.horizontal).sum() - np.abs(lattice.vertical).sum()
                                          + 2 * result.matching_weight)  # fmt: skip
    assert (result.tolerance == 0) == (couplings == "pm")


@pytest.mark.parametrize("couplings", ["pm", "gaussian"])
def test_annealers_never_go_below_the_exact_energy(couplings):
    lattice = planar_spin_glass(12, couplings=couplings, seed=3)
    exact = planar_ground_state(lattice)
    model = lattice.to_model()
    sa = anneal(model, num_sweeps=300, num_reads=16, seed=0)
    pt = parallel_tempering(model, num_sweeps=300, n_temperatures=8, n_chains=2, seed=0)
    assert sa.energies.min() >= exact.energy - exact.tolerance - 1e-9
    assert pt.best_energies.min() >= exact.energy - exact.tolerance - 1e-9
    assert sa.energies.min() <= 0.97 * exact.energy  # a real comparison: the reads come close to the minimum


def test_inputs_agree_mapping_model_and_lattice():
    lattice = planar_spin_glass(4, 6, couplings="gaussian", seed=2)
    from_lattice = planar_ground_state(lattice)
    graph = nx.grid_2d_graph(4, 6)
    couplings = {(u, v): lattice.couplings()[(min(u, v), max(u, v))] for u, v in graph.edges}
    assert planar_ground_state(couplings).energy == from_lattice.energy
    assert planar_ground_state(lattice.to_model(), shape=(4, 6)).energy == from_lattice.energy
    assert planar_lattice_from_couplings({((0, 1), (0, 0)): 1.0, ((0, 0), (0, 1)): 0.5}).horizontal[0, 0] == 1.5


def test_instance_file_round_trip(tmp_path):
    lattice = planar_spin_glass(3, 5, couplings="gaussian", seed=4)
    write_planar_instance(lattice, tmp_path / "i.txt")
    back = read_planar_instance(tmp_path / "i.txt")
    assert np.array_equal(back.horizontal, lattice.horizontal) and np.array_equal(back.vertical, lattice.vertical)
    (tmp_path / "bad.txt").write_text("0 0 1 1 1.0\n")
    with pytest.raises(ValueError, match="nearest neighbours"):
        read_planar_instance(tmp_path / "bad.txt")


def test_refusals_before_any_work():
    with pytest.raises(ValueError, match="field"):
        planar_ground_state(IsingModel(np.array([[0.0, 1.0], [1.0, 0.0]]), h=[0.5, 0.0]), shape=(1, 2))
    with pytest.raises(ValueError, match="not planar"):
        planar_ground_state(lattice_spin_glass(4, seed=0), shape=(4, 4))  # periodic wrap-around bonds
    with pytest.raises(ValueError, match="nearest neighbours"):
        planar_ground_state({((0, 0), (1, 1)): 1.0})
    with pytest.raises(ValueError, match="at most"):
        planar_spin_glass(4097, 4097)
    with pytest.raises(ValueError, match="at most"):
        planar_ground_state({((0, 0), (0, 1)): 1.0}, shape=(5000, 5000))
    with pytest.raises(ValueError, match="shape"):
        planar_ground_state(IsingModel(np.zeros((4, 4))))
    with pytest.raises(ValueError, match=r"\(row, column\)"):
        planar_ground_state({("a", 0): 1.0})
    assert MAX_PLANAR_SITES == 4096 * 4096


def test_dimod_sampler_is_exact_and_keeps_dimods_sign():
    lattice = planar_spin_glass(4, 5, couplings="gaussian", seed=9)
    J_dimod = {pair: -value for pair, value in lattice.couplings().items()}  # dimod: E = +sum J s s
    sampleset = PlanarGroundStateSampler().sample_ising({}, J_dimod)
    _, brute = brute_force_ground_state(lattice.to_model())
    assert sampleset.first.energy == pytest.approx(brute, abs=1e-9)
    assert sampleset.info["exact"] is True
    bqm = dimod.BinaryQuadraticModel.from_ising({}, J_dimod)
    assert bqm.energy(sampleset.first.sample) == pytest.approx(brute, abs=1e-9)


def test_dimod_sampler_refuses_fields_nonplanar_and_labels():
    sampler = PlanarGroundStateSampler()
    with pytest.raises(ValueError, match="linear biases"):
        sampler.sample_ising({(0, 0): 0.1}, {((0, 0), (0, 1)): 1.0})
    with pytest.raises(ValueError, match="not planar|nearest neighbours"):
        sampler.sample_ising({}, {((0, 0), (0, 1)): 1.0, ((0, 0), (0, 2)): 1.0})
    with pytest.raises(ValueError, match=r"\(row, column\)"):
        sampler.sample_ising({}, {(0, 1): 1.0})
    with pytest.raises(ValueError, match="linear biases"):
        sampler.sample_qubo({((0, 0), (0, 1)): 1.0})  # its spin form has fields
    with pytest.raises(TypeError, match="num_reads"):
        sampler.sample_ising({}, {((0, 0), (0, 1)): 1.0}, num_reads=3)
