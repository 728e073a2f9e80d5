"""Energy-based simulation: the Numba sampling core, Ising-type energy models, simulated annealing,
parallel tempering, Hopfield networks and (restricted) Boltzmann machines.

This package does not import torch.
"""
