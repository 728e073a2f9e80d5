"""What the boltzgym PettingZoo parallel envs share: the check at the start of ``step``, the end of a repeated
game, PettingZoo's ``max_cycles`` keyword and the AEC form (``env()`` next to each ``parallel_env()``)."""

from __future__ import annotations


def check_joint_action(env, actions) -> dict[str, int]:
    """The live agents' actions as ints, after checking the episode is running and each action is in its space.

    Raises ``RuntimeError`` after the episode ended and ``ValueError`` naming the agent otherwise.
    """
    if not env.agents:
        raise RuntimeError("step() called after the episode ended; call reset()")
    missing = [agent for agent in env.agents if agent not in actions]
    if missing:
        raise ValueError(f"actions must name every live agent; missing {missing}")
    for agent in env.agents:
        space = env.action_space(agent)
        if not space.contains(actions[agent]):
            raise ValueError(f"actions[{agent!r}] must be in {space}, got {actions[agent]!r}")
    return {agent: int(actions[agent]) for agent in env.agents}


def end_round(env, truncated: bool) -> tuple[dict[str, bool], dict[str, bool]]:
    """``(terminations, truncations)`` for the live agents of a repeated game that never terminates and is
    truncated after its last round; at that round the episode ends (``env.agents`` is emptied, as PettingZoo asks)."""
    terminations = {agent: False for agent in env.agents}
    truncations = {agent: truncated for agent in env.agents}
    if truncated:
        env.agents = []
    return terminations, truncations


def episode_length_from_max_cycles(kwargs: dict, name: str) -> dict:
    """``kwargs`` with PettingZoo's ``max_cycles`` keyword given to the env under its own name ``name``
    (``n_rounds``, ``horizon``): both mean the number of parallel steps after which every agent is truncated.

    Raises ``ValueError`` naming both when they are given with different values.
    """
    kwargs = dict(kwargs)
    if "max_cycles" in kwargs:
        max_cycles = kwargs.pop("max_cycles")
        if name in kwargs and kwargs[name] != max_cycles:
            raise ValueError(f"max_cycles={max_cycles!r} and {name}={kwargs[name]!r} name the same length; give one")
        kwargs[name] = max_cycles
    return kwargs
