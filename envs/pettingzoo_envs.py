"""Any PettingZoo env by name: ours (``boltzgym/RepeatedMatrixGame-v0``, ...) or a module path of PettingZoo or of a
third-party package that follows its factory convention (``pettingzoo.classic.tictactoe_v3``,
``mpe2.simple_spread_v3``): the module's ``parallel_env(**kwargs)`` where it has one (simultaneous moves), else its
``env(**kwargs)`` (turn-based, AEC). The multi-agent learners train on either form.
"""

from __future__ import annotations

import importlib

PARALLEL, AEC, AUTO = "parallel", "aec", "auto"


def make_pettingzoo_env(name: str, env_kwargs: dict | None = None, api: str = AUTO):
    """The PettingZoo env ``name`` made with ``env_kwargs``.

    Args:
        name: an id of :data:`boltzgym.envs.PETTINGZOO_ENVS`, or an importable module path whose module has the
            PettingZoo factories ``env`` and/or ``parallel_env``.
        env_kwargs: keyword arguments of the factory.
        api: ``"auto"`` (the parallel form where the module has one, else the AEC form), ``"parallel"`` or ``"aec"``.

    Raises ``ValueError`` naming ``env`` for a name that is neither, or a module without the factory asked for,
    and naming ``env_kwargs`` when the factory refuses them.
    """
    from boltzgym.envs import PETTINGZOO_ENVS

    if api not in (AUTO, PARALLEL, AEC):
        raise ValueError(f"api must be one of {[AUTO, PARALLEL, AEC]}, got {api!r}")
    env_kwargs = dict(env_kwargs or {})
    if name in PETTINGZOO_ENVS:
        module_name, _, factory_name = PETTINGZOO_ENVS[name][0].partition(":")
        module = importlib.import_module(module_name)
        factories = {PARALLEL: getattr(module, factory_name), AEC: getattr(module, "env", None)}
    else:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise ValueError(
                f"env {name!r} is neither a PettingZoo env of boltzgym ({sorted(PETTINGZOO_ENVS)}) nor an importable "
                f"module with PettingZoo factories (such as pettingzoo.classic.tictactoe_v3): {exc}"
            ) from exc
        factories = {kind: getattr(module, attr, None) for kind, attr in ((PARALLEL, "parallel_env"), (AEC, "env"))}
    kind = api if api != AUTO else (PARALLEL if callable(factories[PARALLEL]) else AEC)
    factory = factories[kind]
    if not callable(factory):
        raise ValueError(f"env {name!r} has no {kind} form (its module lacks the factory)")
    try:
        return factory(**env_kwargs)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"env_kwargs {env_kwargs!r}: making the env {name!r} failed: {exc}") from exc
