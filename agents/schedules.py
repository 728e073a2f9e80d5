"""The one linear schedule that every agent uses (exploration rates, temperatures, learning rates).

Jitted so that the tabular kernels call it inside their loops; from Python it is called like any function.
This module imports numba, not torch.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def linear_schedule(start, end, duration, step):
    """``start`` at step 0 moving linearly to ``end`` at step ``duration``, then ``end`` (``end`` throughout
    when ``duration <= 0``); float64 scalars."""
    if duration <= 0:
        return end
    fraction = min(max(step / duration, 0.0), 1.0)
    return start + fraction * (end - start)
