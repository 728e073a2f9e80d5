"""boltzgym: reinforcement learning and energy-based model simulation.

The subpackages (``boltzgym.envs``, ``boltzgym.sims``, ``boltzgym.agents``, ``boltzgym.models``,
``boltzgym.experiments``, ``boltzgym.scripts``, ``boltzgym.utils``) each live in their own folder at the repository
root; this module, from ``toplevel/`` (``[tool.setuptools.package-dir]`` maps ``boltzgym`` onto it), is the top of
the namespace and holds only the version. Importing it imports none of the subpackages.

``boltzgym.__version__`` is the installed distribution's version (``importlib.metadata``), so ``pyproject.toml``
stays its one source; it is looked up on first access, not at import.
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str):
    if name == "__version__":
        from importlib.metadata import version

        value = version("boltzgym")
        globals()["__version__"] = value  # looked up once
        return value
    raise AttributeError(f"module 'boltzgym' has no attribute {name!r}")
