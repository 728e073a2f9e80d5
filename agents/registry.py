"""The one list of trainable agents: ``boltzgym train NAME`` and every trainer look names up here.

Entries are ``"module:Class"`` strings imported on first use, so that listing the agents imports neither torch
nor numba-heavy modules. A new agent family adds its names here (and a trainer in ``boltzgym.scripts``).
"""

from __future__ import annotations

from boltzgym.utils.imports import import_object

AGENTS: dict[str, str] = {
    "q-learning": "boltzgym.agents.tabular:QLearning",
    "sarsa": "boltzgym.agents.tabular:SARSA",
    "expected-sarsa": "boltzgym.agents.tabular:ExpectedSARSA",
    "double-q": "boltzgym.agents.tabular:DoubleQLearning",
    "dqn": "boltzgym.agents.dqn:DQN",
    "iql": "boltzgym.agents.independent:IndependentQLearning",
    "idqn": "boltzgym.agents.independent_dqn:IndependentDQN",
    "hysteretic-q": "boltzgym.agents.independent:HystereticQLearning",
    "lenient-q": "boltzgym.agents.independent:LenientQLearning",
    "distributed-q": "boltzgym.agents.independent:DistributedQLearning",
}


def agent_module(name: str) -> str:
    """The module that defines agent ``name`` (``ValueError`` naming ``agent`` for an unknown name)."""
    if name not in AGENTS:
        raise ValueError(f"agent must be one of {sorted(AGENTS)}, got {name!r}")
    return AGENTS[name].partition(":")[0]


def agent_class(name: str) -> type:
    """The class of agent ``name``, imported on first use."""
    agent_module(name)  # ValueError naming agent for an unknown name
    return import_object(AGENTS[name])
