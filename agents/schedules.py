"""The one linear schedule that every agent uses (exploration rates, temperatures, learning rates).

Plain Python, so that DQN and the other torch agents call it without importing numba; the tabular kernels
compile this same function (``boltzgym.agents._tabular_kernels.jit_linear_schedule``) and call it inside their
loops. This module imports neither numba nor torch.
"""

from __future__ import annotations


def linear_schedule(start, end, duration, step):
    """``start`` at step 0 moving linearly to ``end`` at step ``duration``, then ``end`` (``end`` throughout
    when ``duration <= 0``); float64 scalars."""
    if duration <= 0:
        return end
    fraction = min(max(step / duration, 0.0), 1.0)
    return start + fraction * (end - start)
