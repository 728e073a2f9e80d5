"""Agents that the environments drive: bandit policies (UCB and peers), tabular TD learners and DQN.

Tabular agents and bandit policies do not import torch; ``DQN`` imports it when first used
(``from boltzgym.agents.dqn import DQN``).
"""
