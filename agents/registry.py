"""The one list of trainable agents: ``boltzgym train NAME`` and every trainer look names up here.

Entries are ``"module:Class"`` strings imported on first use, so that listing the agents imports neither torch
nor numba-heavy modules. A new agent family adds its names here (and a trainer in ``boltzgym.scripts``).
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Sequence
from typing import Any

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


# agent module -> the config dataclass whose fields are its hyperparameters (the ``--set`` keys of ``train``)
_CONFIGS: dict[str, str] = {
    "boltzgym.agents.tabular": "boltzgym.agents.tabular:TabularConfig",
    "boltzgym.agents.dqn": "boltzgym.agents.dqn_config:DQNConfig",
    "boltzgym.agents.independent": "boltzgym.agents.tabular:TabularConfig",
    "boltzgym.agents.independent_dqn": "boltzgym.agents.dqn_config:DQNConfig",
}
# constructor parameters that are not hyperparameters (the env, the seed, where and on what it runs)
_NOT_SETTINGS = ("self", "env", "config", "seed", "log_dir", "device", "n_threads")


def agent_settings(name: str) -> dict[str, tuple[Any, Any]]:
    """``key -> (default, type)`` of every hyperparameter of agent ``name``: the keyword parameters of its
    constructor and the fields of its config dataclass (one source of defaults: the Python API's)."""
    cls = agent_class(name)
    config_class = import_object(_CONFIGS[agent_module(name)])
    try:
        hints = typing.get_type_hints(cls.__init__)
    except (NameError, TypeError):
        hints = {}
    settings: dict[str, tuple[Any, Any]] = {}
    for parameter in inspect.signature(cls.__init__).parameters.values():
        if parameter.name in _NOT_SETTINGS or parameter.default is inspect.Parameter.empty:
            continue
        default = parameter.default
        settings[parameter.name] = (default, hints.get(parameter.name, type(default) if default is not None else str))
    config_hints = typing.get_type_hints(config_class)
    for field in dataclasses.fields(config_class):
        default = field.default if field.default is not dataclasses.MISSING else field.default_factory()
        settings.setdefault(field.name, (default, config_hints[field.name]))
    return settings


def parse_agent_settings(name: str, assignments: Sequence[str] | None) -> dict[str, Any]:
    """``["net_arch=64,64", ...]`` -> ``{"net_arch": (64, 64), ...}``, each value parsed by the type of its
    hyperparameter (``boltzgym.utils.assignments``); an unknown key is a ``ValueError`` naming ``--set KEY``."""
    from boltzgym.utils.assignments import parse_assignments, parse_value

    settings = agent_settings(name)
    values = {}
    for key, text in parse_assignments(assignments).items():
        if key not in settings:
            raise ValueError(f"--set {key}: unknown key for agent {name!r}; known keys: {sorted(settings)}")
        values[key] = parse_value(key, text, settings[key][1])
    return values
