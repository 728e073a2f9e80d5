"""The import graph keeps the layers: utils < sims < envs < models < agents < experiments < scripts.

A module may import its own package and the packages below it, never one above (not even inside a function), and
never another package's private (``_name``) module or name: each package's public names are its interface.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("utils", "sims", "envs", "models", "agents", "experiments", "scripts")


def imported_names(path: Path, package: str, root: Path = ROOT) -> list[tuple[int, str]]:
    """``(line, "boltzgym.pkg.module[.name]")`` for every boltzgym import in ``path`` (relative imports resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = ["boltzgym", package, *path.relative_to(root / package).parent.parts]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.startswith("boltzgym.")]


def layer_violations(root: Path = ROOT) -> list[str]:
    """Every upward import and every import of another package's private module or name under ``root``."""
    problems = []
    for package in LAYERS:
        for path in sorted((root / package).rglob("*.py")):
            for line, name in imported_names(path, package, root):
                parts = name.split(".")
                target = parts[1]
                where = f"{path.relative_to(root)}:{line} imports {name}"
                if target in LAYERS and LAYERS.index(target) > LAYERS.index(package):
                    problems.append(f"{where} (upward: {package} is below {target})")
                elif target != package and any(part.startswith("_") for part in parts[2:]):
                    problems.append(f"{where} (private name of {target})")
    return problems


def test_no_module_imports_upward_or_private_names():
    assert layer_violations() == []


@pytest.mark.parametrize(
    ("package", "line", "kind"),
    [
        ("sims", "from boltzgym.agents.tabular import QLearning", "upward"),
        ("utils", "import boltzgym.models.training", "upward"),
        ("models", "from boltzgym.sims._kernels import metropolis_sweep", "private"),
        ("agents", "from boltzgym.sims.annealing import _check_schedule", "private"),
    ],
)
def test_one_bad_import_is_caught(tmp_path, package, line, kind):
    for layer in LAYERS:
        (tmp_path / layer).mkdir()
    (tmp_path / package / "bad.py").write_text(f"def f():\n    {line}\n")
    (problem,) = layer_violations(tmp_path)
    assert f"{package}/bad.py:2" in problem and kind in problem


MAX_MODULE_LINES = 600


def test_no_module_is_longer_than_600_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for package in LAYERS
        for path in (ROOT / package).rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}
