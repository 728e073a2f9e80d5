"""Figures as files: matplotlib on the non-interactive Agg backend, each PNG written atomically.

Used by the command line and by the experiments of ``boltzgym.models`` alike (plots are never shown in a window).
"""

from __future__ import annotations

import io
from pathlib import Path

from boltzgym.utils.io import atomic_write_bytes


def new_figure(*args, **kwargs):
    """``plt.subplots`` on the Agg backend; returns ``(figure, axes)``."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)


def save_figure(fig, path: str | Path, dpi: int = 110) -> Path:
    """Save a matplotlib figure as PNG atomically and close it."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return atomic_write_bytes(path, buffer.getvalue())
