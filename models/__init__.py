"""Trainable PyTorch components: supervised, vision, sequence and generative models used by the agents.

Importing a module of this package imports torch.
"""
