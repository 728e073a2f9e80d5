"""Population annealing: its free energy against exact enumeration, its diagnostics, seeding and the Ray engine."""

from __future__ import annotations

import numpy as np
import pytest

from boltzgym.sims.enumeration import boltzmann_probabilities, enumerate_energies, exact_log_partition
from boltzgym.sims.planar import planar_spin_glass
from boltzgym.sims.population import population_annealing

BETA = 2.0


@pytest.mark.parametrize("couplings", ["pm", "gaussian"])
def test_free_energy_equals_enumeration_within_its_error_bar(couplings):
    model = planar_spin_glass(4, couplings=couplings, seed=1).to_model()
    result = population_annealing(model, population_size=500, n_temperatures=30, sweeps_per_temperature=10,
                                  beta_max=BETA, n_runs=10, seed=2)  # fmt: skip
    exact = exact_log_partition(model, BETA)
    assert result.log_partition_error < 0.03  # an error bar small enough to mean something
    assert abs(result.log_partition - exact) < 3 * result.log_partition_error
    assert result.free_energy == pytest.approx(-result.log_partition / BETA)
    assert abs(result.free_energy + exact / BETA) < 3 * result.free_energy_error
    # the final population samples the Boltzmann distribution: its mean energy is the exact one
    mean_energy = float(boltzmann_probabilities(model, BETA) @ enumerate_energies(model))
    assert result.energies.mean() == pytest.approx(mean_energy, abs=0.15)


def test_without_annealing_steps_z_is_exact_at_small_beta():
    # a tiny step from beta = 0: ln Z(db) = N ln 2 + ln <exp(-db E)>_uniform, close to N ln 2 - db^2 var/2 ...
    model = planar_spin_glass(3, couplings="gaussian", seed=0).to_model()
    result = population_annealing(model, population_size=4000, betas=[0.0, 0.05], n_runs=4, seed=0)
    assert result.log_partition == pytest.approx(exact_log_partition(model, 0.05), abs=3 * result.log_partition_error)


def test_diagnostics_and_shapes():
    model = planar_spin_glass(4, couplings="pm", seed=0).to_model()
    result = population_annealing(model, population_size=200, n_temperatures=10, beta_max=1.0, n_runs=3, seed=0)
    assert result.states.shape == (result.energies.size, 16) and result.run_of.shape == result.energies.shape
    assert set(np.unique(result.run_of)) == {0, 1, 2}
    np.testing.assert_allclose(result.energies, model.energy(result.states))
    assert 0 < result.family_entropy <= np.log(200)
    assert 1.0 <= result.equilibrium_population <= 200
    assert result.population_sizes.shape == (10,) and np.all(np.abs(result.population_sizes - 200) < 20)
    assert result.betas[0] == 0 and result.betas[-1] == 1.0
    np.testing.assert_array_equal(result.run_best_energies(),
                                  [result.energies[result.run_of == r].min() for r in range(3)])  # fmt: skip
    assert result.mean_energies.shape == (11,) and result.mean_energies[-1] < result.mean_energies[0]


def test_same_seed_same_result_on_any_thread_setting():
    model = planar_spin_glass(5, couplings="gaussian", seed=3).to_model()
    runs = [population_annealing(model, population_size=100, n_temperatures=8, n_runs=2, seed=5, parallel=parallel)
            for parallel in (False, True, None)]  # fmt: skip
    for other in runs[1:]:
        np.testing.assert_array_equal(other.states, runs[0].states)
        assert other.log_partition == runs[0].log_partition
    different = population_annealing(model, population_size=100, n_temperatures=8, n_runs=2, seed=6)
    assert different.log_partition != runs[0].log_partition


def test_ray_engine_equals_local(local_ray):
    model = planar_spin_glass(4, 5, couplings="pm", seed=2).to_model()
    local = population_annealing(model, population_size=60, n_temperatures=4, n_runs=2, seed=3)
    remote = population_annealing(model, population_size=60, n_temperatures=4, n_runs=2, seed=3, engine="ray",
                                  ray_tasks=2)  # fmt: skip
    np.testing.assert_array_equal(remote.states, local.states)
    assert remote.log_partition == local.log_partition


def test_refusals_name_the_argument():
    model = planar_spin_glass(3, seed=0).to_model()
    with pytest.raises(ValueError, match="start at 0"):
        population_annealing(model, betas=[0.1, 0.5])
    with pytest.raises(ValueError, match="population_size"):
        population_annealing(model, population_size=1)
    with pytest.raises(ValueError, match="engine"):
        population_annealing(model, engine="dask")
    with pytest.raises(ValueError, match="beta_max"):
        population_annealing(model, beta_max=-1.0)
    with pytest.raises(ValueError, match="method"):
        population_annealing(model, method="multispin")
