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


def save_figure(fig, path: str | Path, dpi: int = 110, tight: bool = True) -> Path:
    """Save a matplotlib figure as PNG atomically and close it.

    ``tight=True`` crops the margins to what the figure draws (``bbox_inches="tight"``, which renders it twice);
    a figure laid out with ``fig.subplots_adjust`` can pass ``tight=False`` and is rendered once.
    """
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    plt.close(fig)
    return atomic_write_bytes(path, buffer.getvalue())


def warm_up_renderer() -> None:
    """Draw and encode a small figure in memory (log axis, legend, title): matplotlib's first figure in a process
    loads fonts and builds caches, ~40 ms that a worker process can spend before its real figure arrives."""
    fig, ax = new_figure(figsize=(2, 2))
    ax.plot([1, 10, 100], [0.0, 1.0, 2.0], label="warm-up")
    ax.fill_between([1, 10, 100], [0.0, 0.5, 1.0], [0.5, 1.5, 2.5], alpha=0.2)
    ax.set_xscale("log")
    ax.set_title("±")
    ax.legend()
    fig.savefig(io.BytesIO(), format="png", dpi=50)
    import matplotlib.pyplot as plt

    plt.close(fig)
