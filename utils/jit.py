"""Numba's one-time start-up, paid when a kernel module is imported rather than inside the first call.

The first jitted call in a process, even one whose machine code comes from the on-disk cache, makes numba build
its CPU target: it imports its typing and lowering registries (``numba.np.arraymath``, ``setobj``, scipy's BLAS
bindings, ...), about 0.3 s here. Left to the first call, that makes a fresh process's first ``sample_ising`` on
a 48x48 lattice 5x a warm one (0.32 s against 0.065 s). Each kernel module calls :func:`start_numba_runtime` at
import instead, so the cost sits with ``import`` (where a user expects set-up) and the first call costs what later
calls do (issue 14, "no cold-start wait"). The call is idempotent and costs microseconds after the first time.
"""

from __future__ import annotations

__all__ = ["start_numba_runtime"]


def start_numba_runtime() -> None:
    """Build numba's CPU target context now (its registries), as its first dispatch would."""
    try:
        from numba.core.registry import cpu_target

        cpu_target.target_context.refresh()
    except (ImportError, AttributeError):  # numba moved its internals: the first call pays, nothing breaks
        pass
