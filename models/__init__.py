"""Trainable PyTorch components: supervised, vision, sequence and generative models used by the agents.

Importing a module of this package imports torch, except ``datasets``, ``word2vec`` and ``keyed_vectors`` (NumPy
and Numba only).
"""
