"""The package layout: every package folder is installed as a boltzgym subpackage, in wheels too; the top package
(from ``toplevel/``) carries the version, every package a ``py.typed`` marker, the wheel the LICENSE."""

from __future__ import annotations

import importlib
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOT_PACKAGES = {"tests", "benchmarks", "runs", "build", "dist"}
TOP_FOLDER = "toplevel"  # the folder of ``boltzgym/__init__.py`` itself


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _package_folders() -> set[str]:
    """The folders of the ``boltzgym.<name>`` subpackages (the top package's folder aside)."""
    return {
        p.name
        for p in ROOT.iterdir()
        if p.is_dir() and (p / "__init__.py").is_file() and p.name not in NOT_PACKAGES | {TOP_FOLDER}
    }


def _subpackage_folders() -> set[str]:
    """Dotted names (``models.sequence``) of the package folders below the top-level ones."""
    return {
        ".".join(init.parent.relative_to(ROOT).parts)
        for folder in _package_folders()
        for init in (ROOT / folder).rglob("*/__init__.py")
    }


def test_every_package_folder_is_listed():
    setuptools_cfg = _pyproject()["tool"]["setuptools"]
    listed = set(setuptools_cfg["packages"])
    mapping = setuptools_cfg["package-dir"]
    folders = _package_folders()
    assert folders, "no package folders found at the repository root"
    for folder in folders:
        assert f"boltzgym.{folder}" in listed, f"{folder}/ is not in [tool.setuptools] packages"
        assert mapping.get(f"boltzgym.{folder}") == folder, f"{folder}/ is not mapped in package-dir"
    assert mapping["boltzgym"] == TOP_FOLDER and "boltzgym" in listed
    for package in listed - {"boltzgym"}:
        top = package.split(".")[1]
        assert mapping[f"boltzgym.{top}"] in folders, f"{package} maps to a folder without __init__.py"
    for subpackage in _subpackage_folders():
        assert f"boltzgym.{subpackage}" in listed, (
            f"{subpackage.replace('.', '/')}/ is not in [tool.setuptools] packages"
        )


def test_subpackages_import_under_the_namespace():
    for package in _pyproject()["tool"]["setuptools"]["packages"]:
        module = importlib.import_module(package)
        folder = ROOT / TOP_FOLDER if package == "boltzgym" else ROOT.joinpath(*package.split(".")[1:])
        assert Path(module.__file__).parent == folder


def test_version_is_the_distributions_and_the_command_prints_it(capsys):
    import boltzgym
    from boltzgym.scripts.cli import main

    version = _pyproject()["project"]["version"]
    assert boltzgym.__version__ == version
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"boltzgym {version}\n"


def test_importing_the_top_package_imports_no_subpackage_nor_metadata():
    code = (
        "import sys, boltzgym\n"
        "assert not [m for m in sys.modules if m.startswith('boltzgym.')], sorted(sys.modules)\n"
        "assert 'importlib.metadata' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_package_folder_is_marked_typed_and_the_license_exists():
    for folder in _package_folders() | {TOP_FOLDER}:
        assert (ROOT / folder / "py.typed").is_file(), f"{folder}/py.typed is missing"
    assert _pyproject()["tool"]["setuptools"]["package-data"]["*"] == ["py.typed"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert _pyproject()["project"]["license-files"] == ["LICENSE"]


def test_light_packages_do_not_import_torch():
    code = (
        "import sys, boltzgym.sims, boltzgym.envs, boltzgym.agents, boltzgym.utils, boltzgym.scripts.cli\n"
        "import boltzgym.scripts.cli as c; c.build_parser()\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_wheel_contains_every_subpackage(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("boltzgym-*.whl")
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    for package in _pyproject()["tool"]["setuptools"]["packages"]:
        init = package.replace(".", "/") + "/__init__.py"
        assert init in names, f"{init} missing from the wheel"
    assert not any(n.startswith(("tests/", "benchmarks/", TOP_FOLDER + "/")) for n in names)
    for folder in _package_folders():
        assert f"boltzgym/{folder}/py.typed" in names
    assert "boltzgym/py.typed" in names
    version = _pyproject()["project"]["version"]
    assert f"boltzgym-{version}.dist-info/licenses/LICENSE" in names
    metadata = archive.read(f"boltzgym-{version}.dist-info/METADATA").decode()
    assert "Classifier: Typing :: Typed" in metadata and "License-Expression: MIT" in metadata


def test_license_is_an_spdx_expression():
    """setuptools deprecates the ``license = {text = ...}`` table (a warning on every install); PEP 639 uses an
    SPDX string, which setuptools reads from version 77."""
    pyproject = _pyproject()
    assert pyproject["project"]["license"] == "MIT"
    assert "setuptools>=77" in pyproject["build-system"]["requires"]
