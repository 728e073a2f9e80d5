"""Energy-based simulation: the Numba sampling core, Ising-type energy models, simulated annealing,
parallel tempering, Hopfield networks and (restricted) Boltzmann machines.

This package does not import torch.
"""

from __future__ import annotations

from boltzgym.utils.imports import lazy_namespace

# Public name -> defining module, imported on first use (numba and scipy load only when needed).
_EXPORTS: dict[str, str] = {
    "IsingModel": "boltzgym.sims.ising",
    "MarkovChains": "boltzgym.sims.sampling",
    "SamplingResult": "boltzgym.sims.sampling",
    "gibbs_sample": "boltzgym.sims.sampling",
    "beta_schedule": "boltzgym.sims.schedules",
    "default_beta_range": "boltzgym.sims.schedules",
    "MaxCutProblem": "boltzgym.sims.problems",
    "ferromagnet_2d": "boltzgym.sims.problems",
    "lattice_spin_glass": "boltzgym.sims.problems",
    "maxcut": "boltzgym.sims.problems",
    "random_maxcut": "boltzgym.sims.problems",
    "sherrington_kirkpatrick": "boltzgym.sims.problems",
    "AnnealResult": "boltzgym.sims.annealing",
    "TemperingResult": "boltzgym.sims.annealing",
    "anneal": "boltzgym.sims.annealing",
    "parallel_tempering": "boltzgym.sims.annealing",
    "SimulatedAnnealingSampler": "boltzgym.sims.dimod_compat",
    "sample_qubo": "boltzgym.sims.dimod_compat",
    "sample_ising": "boltzgym.sims.dimod_compat",
    "PlanarGroundState": "boltzgym.sims.planar",
    "PlanarLattice": "boltzgym.sims.planar",
    "planar_ground_state": "boltzgym.sims.planar",
    "planar_spin_glass": "boltzgym.sims.planar",
    "read_planar_instance": "boltzgym.sims.planar",
    "write_planar_instance": "boltzgym.sims.planar",
    "PlanarGroundStateSampler": "boltzgym.sims.planar_sampler",
    "brute_force_ground_state": "boltzgym.sims.enumeration",
    "enumerate_energies": "boltzgym.sims.enumeration",
    "exact_log_partition": "boltzgym.sims.enumeration",
    "boltzmann_probabilities": "boltzgym.sims.enumeration",
    "PopulationResult": "boltzgym.sims.population",
    "population_annealing": "boltzgym.sims.population",
    "houdayer_move": "boltzgym.sims.cluster",
    "HopfieldNetwork": "boltzgym.sims.hopfield",
    "RecallResult": "boltzgym.sims.hopfield",
    "corrupt": "boltzgym.sims.hopfield",
    "DenseAssociativeMemory": "boltzgym.sims.dense_memory",
    "CapacityResult": "boltzgym.sims.capacity",
    "capacity_experiment": "boltzgym.sims.capacity",
    "digit_recall_experiment": "boltzgym.sims.capacity",
    "load_digit_patterns": "boltzgym.sims.hopfield",
    "block_gibbs_sample": "boltzgym.sims.bipartite",
    "BoltzmannMachine": "boltzgym.sims.boltzmann",
    "RBM": "boltzgym.sims.rbm",
}

__all__ = sorted(_EXPORTS)
# The data sets moved to the one datasets module, boltzgym.models.datasets (0.1.0 exported them here too).
_DEPRECATED = {
    "bars_and_stripes": "boltzgym.models.datasets:bars_and_stripes",
    "binary_digits": "boltzgym.models.datasets:binary_digits",
}
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS, _DEPRECATED)
