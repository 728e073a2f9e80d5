"""What the boltzgym envs share for rendering: the ``render_mode`` check and small NumPy drawing pieces.

Frames are ``(height, width, 3)`` uint8 RGB arrays built with NumPy only (no pygame, no fonts): blocks of colour,
bars and gauges. A frame's size depends only on the env's constructor arguments, never on its state, so that
video wrappers (``RecordVideo``, ``RenderCollection``) get frames of one size through an episode.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

BACKGROUND = (255, 255, 255)
FLOOR = (240, 240, 240)
LINE = (180, 180, 180)
AGENT = (245, 170, 20)
GOOD = (60, 180, 75)
BAD = (200, 60, 50)
DARK = (40, 40, 60)
MUTED = (170, 190, 220)
SPIN_UP = (250, 250, 250)
SPIN_DOWN = (30, 30, 30)


def check_render_mode(render_mode, render_modes) -> str | None:
    """``render_mode`` when it is None or one of ``render_modes``; a ``ValueError`` naming it otherwise.

    ``gym.make`` maps ``"human"`` onto ``"rgb_array"`` (with its ``HumanRendering`` wrapper) before the env sees it.
    """
    if render_mode is not None and render_mode not in render_modes:
        raise ValueError(f"render_mode must be one of {list(render_modes)} or None, got {render_mode!r}")
    return render_mode


def warn_no_render_mode(env) -> None:
    """Gymnasium's warning for ``render()`` without a render mode (the call then returns None)."""
    modes = "' or '".join(env.metadata["render_modes"])
    gym.logger.warn(f"{type(env).__name__}.render() called without a render_mode; set render_mode='{modes}'")


def cells_to_frame(colours: np.ndarray, cell_size: int, grid_lines: bool = True) -> np.ndarray:
    """An ``(h, w, 3)`` array of cell colours blown up to ``cell_size`` pixels per cell, with grid lines."""
    frame = np.repeat(np.repeat(np.asarray(colours, dtype=np.uint8), cell_size, axis=0), cell_size, axis=1)
    if grid_lines and cell_size > 2:
        frame[::cell_size, :, :] = LINE
        frame[:, ::cell_size, :] = LINE
    return frame


def draw_disc(frame: np.ndarray, row: int, col: int, cell_size: int, colour=AGENT) -> None:
    """Paint a disc (the agent) in cell ``(row, col)`` of a frame made by :func:`cells_to_frame`."""
    y, x = np.ogrid[:cell_size, :cell_size]
    disc = (y - cell_size / 2 + 0.5) ** 2 + (x - cell_size / 2 + 0.5) ** 2 <= (cell_size * 0.35) ** 2
    frame[row * cell_size : (row + 1) * cell_size, col * cell_size : (col + 1) * cell_size][disc] = colour


def spin_cells(spins: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Cell colours of spins in {-1, +1} laid out row-major on ``shape`` (cells past the spins are grey)."""
    spins = np.asarray(spins).ravel()
    n_cells = shape[0] * shape[1]
    if spins.size > n_cells:
        raise ValueError(f"shape {shape} has room for {n_cells} spins, got {spins.size}")
    colours = np.full((n_cells, 3), LINE, dtype=np.uint8)
    colours[: spins.size] = np.where((spins > 0)[:, None], SPIN_UP, SPIN_DOWN)
    return colours.reshape(*shape, 3)


def square_shape(n: int) -> tuple[int, int]:
    """The smallest ``(rows, cols)`` with ``rows * cols >= n`` and ``cols = ceil(sqrt(n))``."""
    cols = int(np.ceil(np.sqrt(n)))
    return int(np.ceil(n / cols)), cols


def bars(
    values: np.ndarray, low: float, high: float, height: int, bar_width: int, colours, background=BACKGROUND
) -> np.ndarray:
    """A ``(height, len(values) * bar_width, 3)`` bar chart of ``values`` on the scale ``[low, high]``.

    Bars rise from the value 0 when ``low < 0 < high`` (from ``low`` otherwise); a value at that base, or NaN,
    draws no bar.
    ``colours`` is one RGB triple for every bar or one per bar.
    """
    values = np.asarray(values, dtype=np.float64)
    colours = np.broadcast_to(np.asarray(colours, dtype=np.uint8), (values.size, 3))
    frame = np.empty((height, values.size * bar_width, 3), dtype=np.uint8)
    frame[:] = background
    span = high - low if high > low else 1.0

    def row_of(value: float) -> int:  # pixel row of a value: low at the bottom, high at the top
        return int(round((height - 1) * (1.0 - (min(max(value, low), high) - low) / span)))

    base_value = 0.0 if low < 0 < high else low
    base = row_of(base_value)
    margin = max(1, bar_width // 6)
    for k, value in enumerate(values):
        if np.isnan(value) or value == base_value:
            continue
        top = row_of(value)
        first, last = min(top, base), max(top, base)
        frame[first : last + 1, k * bar_width + margin : (k + 1) * bar_width - margin] = colours[k]
    if low < 0 < high:
        frame[base, :] = LINE
    return frame


def gauge(fraction: float, width: int, height: int, colour=AGENT) -> np.ndarray:
    """A horizontal ``(height, width, 3)`` gauge filled to ``fraction`` in [0, 1] (clipped), framed in grey."""
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[:] = FLOOR
    filled = int(round(float(np.clip(fraction, 0.0, 1.0)) * width))
    frame[:, :filled] = colour
    frame[[0, -1], :] = LINE
    frame[:, [0, -1]] = LINE
    return frame


def stack(*panels: np.ndarray, gap: int = 2) -> np.ndarray:
    """Panels stacked top to bottom, left-aligned on a white background, ``gap`` pixels apart."""
    width = max(panel.shape[1] for panel in panels)
    height = sum(panel.shape[0] for panel in panels) + gap * (len(panels) - 1)
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[:] = BACKGROUND
    top = 0
    for panel in panels:
        frame[top : top + panel.shape[0], : panel.shape[1]] = panel
        top += panel.shape[0] + gap
    return frame
