"""Conventions every ``boltzgym`` subcommand keeps.

- ``--seed``: every stochastic command is reproducible; the same seed gives the same numbers on CPU.
- ``--out DIR`` (default ``runs/<command>-<timestamp>``): where ``summary.json``, ``metrics.csv`` and PNG
  plots are written, each file atomically.
- ``--json``: exactly one JSON object (the summary) on stdout and nothing else there.
- a progress bar on stderr for long work (``--progress``/``--no-progress``; default: when stderr is a
  terminal).
- bad arguments exit with status 2 and a one-line message naming the argument.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from boltzgym.utils.io import atomic_write_bytes, atomic_write_json, atomic_write_text, to_json


class UsageError(ValueError):
    """A bad command-line argument found after parsing; reported as one line with exit status 2."""


class BoltzgymArgumentParser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(2, f"{self.prog}: error: {message}\n")


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


def float_list(text: str) -> list[float]:
    """argparse type: comma-separated numbers, e.g. ``0.9,0.8,0.5``."""
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from exc


def name_list(text: str) -> list[str]:
    """argparse type: a non-empty comma-separated list of names."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of names")
    return names


def add_common_arguments(
    parser: argparse.ArgumentParser, seed: bool = True, out_default: str = "runs/<command>-<timestamp>"
) -> None:
    """Add ``--seed``, ``--out``, ``--json`` and ``--progress/--no-progress`` to a subcommand
    (``out_default`` is only the help text: the command decides where output goes without ``--out``)."""
    if seed:
        parser.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default: 0)")
    parser.add_argument("--out", type=Path, default=None, help=f"output folder (default: {out_default})")
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object (the summary) on stdout")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )


def run_dir(args: argparse.Namespace, command: str, create: bool = True) -> Path:
    """The run's output folder: ``--out`` or ``runs/<command>-<timestamp>``, created unless ``create=False``
    (for commands whose library call validates first and writes its files, creating the folder itself)."""
    out = args.out
    if out is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out = Path("runs") / f"{command}-{stamp}"
    out = Path(out)
    if create:
        out.mkdir(parents=True, exist_ok=True)
    return out


def progress_enabled(args: argparse.Namespace) -> bool:
    """``--progress``/``--no-progress`` as given, else whether stderr is a terminal."""
    flag = getattr(args, "progress", None)
    return sys.stderr.isatty() if flag is None else bool(flag)


def progress_bar(iterable: Iterable | None = None, *, total: int | None = None, desc: str = "", enabled: bool):
    """A tqdm bar on stderr (a no-op wrapper when disabled)."""
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, disable=not enabled, file=sys.stderr, leave=False)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table with right-aligned numbers."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.4g}"
        return str(value)

    body = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for row in body:
        lines.append("  ".join(c.rjust(w) if _is_number(c) else c.ljust(w) for c, w in zip(row, widths)))
    return "\n".join(lines)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write_metrics_csv(path: str | Path, rows: Sequence[dict[str, Any]]) -> Path:
    """Write a list of flat dicts as CSV atomically (columns: union of keys, first-seen order)."""
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return atomic_write_text(path, buffer.getvalue())


def save_figure(fig, path: str | Path, dpi: int = 110) -> Path:
    """Save a matplotlib figure as PNG atomically and close it."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return atomic_write_bytes(path, buffer.getvalue())


def new_figure(*args, **kwargs):
    """``plt.subplots`` on the non-interactive Agg backend (plots are files, never windows)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)


def finish(args: argparse.Namespace, out_dir: Path, summary: dict[str, Any], table: str) -> dict[str, Any]:
    """Write ``summary.json`` and report: the JSON object alone with ``--json``, else the table."""
    atomic_write_json(out_dir / "summary.json", summary)
    if args.json:
        sys.stdout.write(to_json(summary, indent=None) + "\n")
    else:
        sys.stdout.write(table.rstrip() + f"\n\nresults in {out_dir}/\n")
    sys.stdout.flush()
    return summary
