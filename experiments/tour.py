"""The tour of ``boltzgym demo`` (what ``make demo`` runs): one small, fast run per capability.

Each capability contributes one part: a function ``demo_part(out_dir, seed, progress) -> dict`` that runs a small
version of its experiment, writes its plots under ``out_dir`` and returns a short result line
``{"result": str, ...}``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from boltzgym.utils.imports import import_object

# (part name, "module:function"), in the order of the tour. Each capability adds its part.
DEMO_PARTS: list[tuple[str, str]] = [
    ("bandits", "boltzgym.experiments.bandits:demo_part"),
    ("q-learning", "boltzgym.experiments.tabular_training:demo_part"),
    ("dqn", "boltzgym.experiments.dqn_training:demo_part"),
    ("anneal", "boltzgym.experiments.annealing:demo_part"),
    ("hopfield", "boltzgym.experiments.hopfield:demo_part"),
    ("rbm", "boltzgym.experiments.rbm:demo_part"),
    ("fit", "boltzgym.experiments.fitting:demo_part"),
]


def check_demo_parts(only: list[str] | None) -> None:
    """Raise ``ValueError`` naming ``--only`` when it names a part that does not exist."""
    known = [name for name, _ in DEMO_PARTS]
    unknown = sorted(set(only or []) - set(known))
    if unknown:
        raise ValueError(f"--only: unknown demo part(s) {unknown}; expected names from {known}")


def run_demo(out_dir: Path, seed: int = 0, progress: bool = False, only: list[str] | None = None) -> dict:
    """Run the demo parts (all, or those named in ``only``) into ``out_dir/<part>``; return the summary."""
    check_demo_parts(only)
    parts = {}
    for name, target in DEMO_PARTS:
        if only and name not in only:
            continue
        sys.stderr.write(f"demo: {name} ...\n")
        start = time.perf_counter()
        result = import_object(target)(Path(out_dir) / name, seed=seed, progress=progress)
        result["seconds"] = round(time.perf_counter() - start, 2)
        parts[name] = result
    return {"seed": seed, "parts": parts}
