"""MkDocs hooks: the generated parts of the site, so that nothing in it is written twice.

- ``<!-- cli-reference -->`` becomes the ``--help`` of every ``boltzgym`` subcommand, rendered from
  ``boltzgym.scripts.cli.build_parser()`` (nested subcommands too).
- ``<!-- api: NAMESPACE -->`` becomes one mkdocstrings block per public name of ``NAMESPACE``
  (:func:`public_names`: the lazy ``__all__`` where the namespace has one), each under its defining module's path.
- ``<!-- changelog -->`` becomes the repository's ``CHANGELOG.md`` (a note where it does not exist yet).

griffe reads the sources statically. The repository has no ``boltzgym/`` folder (pyproject's ``package-dir`` maps
each root folder into the namespace), so :func:`on_config` lays out ``build/docs-src/boltzgym/`` as links to those
folders, the path mkdocs.yml gives mkdocstrings. ``tests/docs`` imports this module for the same lists.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import inspect
import os
import tomllib
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_LINKS = ROOT / "build" / "docs-src"

# The namespaces the API reference documents, one page each (mkdocs.yml's nav), in that order.
NAMESPACES = (
    "boltzgym.envs",
    "boltzgym.agents",
    "boltzgym.sims",
    "boltzgym.models",
    "boltzgym.models.supervised",
    "boltzgym.models.optim",
    "boltzgym.models.vision",
    "boltzgym.models.graph",
    "boltzgym.models.sequence",
    "boltzgym.models.embeddings",
    "boltzgym.models.generative",
    "boltzgym.models.q_networks",
    "boltzgym.experiments",
)


# --- the public names -----------------------------------------------------------------------------------------------
def _defined_here(module: types.ModuleType) -> list[str]:
    """Public functions and classes a module without ``__all__`` defines itself (not the ones it imports)."""
    return sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    )


def _identifier(namespace: str, name: str, value: object) -> str:
    """The dotted path under which griffe finds ``value``: its defining module's, where it has one."""
    module = getattr(value, "__module__", None)
    if inspect.ismodule(value):
        return value.__name__
    if isinstance(module, str) and module.startswith("boltzgym.") and hasattr(value, "__qualname__"):
        return f"{module}.{value.__qualname__}"
    exports = getattr(importlib.import_module(namespace), "_EXPORTS", {})  # a lazy namespace's constant
    if name in exports:
        return f"{exports[name]}.{name}"
    return f"{namespace}.{name}"


@functools.cache
def public_names(namespace: str) -> dict[str, str]:
    """Public name -> the dotted path the reference renders it under, for one of :data:`NAMESPACES`.

    A namespace with ``__all__`` (the lazy ones) is exactly that list. ``boltzgym.envs`` has none: its public
    names are the functions it defines, the entry point of every registered ``boltzgym/...`` id and each
    PettingZoo module's ``parallel_env``. ``boltzgym.experiments``: the functions it defines, the registry and the
    function of every registered experiment.
    """
    module = importlib.import_module(namespace)
    names: dict[str, str] = {}
    if hasattr(module, "__all__"):
        for name in module.__all__:
            names[name] = _identifier(namespace, name, getattr(module, name))
        return names
    for name in _defined_here(module):
        names[name] = f"{namespace}.{name}"
    if namespace == "boltzgym.envs":
        import gymnasium as gym

        for env_id in module.boltzgym_env_ids():
            entry_point = gym.spec(env_id).entry_point
            if not isinstance(entry_point, str):
                continue
            module_name, attribute = entry_point.split(":")
            value = getattr(importlib.import_module(module_name), attribute)
            names[attribute] = _identifier(namespace, attribute, value)
            owner = importlib.import_module(module_name)
            if hasattr(owner, "parallel_env"):
                names[f"{module_name.rsplit('.', 1)[1]}.parallel_env"] = f"{module_name}.parallel_env"
    elif namespace == "boltzgym.experiments":
        names["EXPERIMENTS"] = f"{namespace}.EXPERIMENTS"
        for key in module.EXPERIMENTS:
            function = module.experiment_function(key)
            names[function.__name__] = _identifier(namespace, function.__name__, function)
    return names


def owner(identifier: str) -> str:
    """The namespace whose page renders ``identifier``: the deepest of :data:`NAMESPACES` that lists it.

    ``boltzgym.models`` re-exports names of its chapter subpackages; each is rendered once, on its chapter's page,
    and linked from the others (two renderings of one object would give autorefs two targets).
    """
    listing = [ns for ns in NAMESPACES if identifier in public_names(ns).values()]
    return max(listing, key=lambda ns: ns.count("."))


def api_markdown(namespace: str) -> str:
    """The mkdocstrings blocks of one namespace's page: its docstring, then one block per public name.

    A name that another page renders is listed here with a link to it."""
    lines = [f"::: {namespace}", "    options:", "      members: false", "      show_root_heading: false", ""]
    links = []
    for name, identifier in sorted(public_names(namespace).items(), key=lambda item: item[0].lower()):
        if owner(identifier) == namespace:
            lines += [f"::: {identifier}", ""]
        else:
            links.append(f"| [`{name}`][{identifier}] | `{owner(identifier)}` |")
    if links:
        lines += ["## Documented with their chapter", "", "| name | on the page of |", "|---|---|", *links, ""]
    return "\n".join(lines)


# --- the CLI reference ----------------------------------------------------------------------------------------------
def _subcommands(parser: argparse.ArgumentParser, prefix: str) -> list[tuple[str, argparse.ArgumentParser]]:
    """(``boltzgym train ...``, parser) for the parser itself and every nested subcommand, depth first."""
    found = [(prefix, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _subcommands(sub, f"{prefix} {name}")
    return found


def cli_markdown() -> str:
    """Every command's ``--help``, as argparse prints it (80 columns), under one heading each."""
    from boltzgym.scripts.cli import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        sections = []
        for command, parser in _subcommands(build_parser(), "boltzgym"):
            anchor = command.replace(" ", "-")
            sections.append(f"## `{command}` {{#{anchor}}}\n\n```text\n{parser.format_help().rstrip()}\n```\n")
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    return "\n".join(sections)


# --- the Results page -----------------------------------------------------------------------------------------------
def results_markdown() -> str:
    """The fragments ``make docs-figures`` wrote (docs/results/NAME.md), in the registry's order; a line for each
    experiment that has none yet, so a missing figure shows on the page instead of vanishing."""
    from boltzgym.experiments import EXPERIMENTS

    results = ROOT / "docs" / "results"
    parts, missing = [], []
    for name in EXPERIMENTS:
        fragment = results / f"{name}.md"
        if fragment.exists():
            parts.append(fragment.read_text())
        else:
            missing.append(f"`{name}`")
    if missing:
        parts.append(
            "### Not generated yet\n\n"
            + ", ".join(missing)
            + ": `python docs/figures.py --only NAME` (or `make docs-figures`) writes their figures and tables.\n"
        )
    return "\n".join(parts)


def tour_markdown() -> str:
    """The tour's table and pictures, as ``make docs-figures`` wrote them."""
    tour = ROOT / "docs" / "results" / "tour.md"
    if not tour.exists():
        return "The tour has not been generated yet: `python docs/figures.py --only tour`.\n"
    images = sorted((ROOT / "docs" / "results" / "tour").glob("*.png"))
    pictures = [f"![the tour: {image.stem}](results/tour/{image.name})" for image in images]
    return tour.read_text() + "\n" + "\n\n".join(pictures) + "\n"


# --- the source layout griffe reads ---------------------------------------------------------------------------------
def link_sources() -> Path:
    """``build/docs-src/boltzgym/<pkg>`` -> ``<root>/<folder>`` for every entry of pyproject's ``package-dir``."""
    mapping = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    package = SOURCE_LINKS / "boltzgym"
    package.mkdir(parents=True, exist_ok=True)
    for dotted, folder in mapping.items():
        if "." not in dotted:  # the top package itself (toplevel/: __init__.py with __version__): its files
            for source in (ROOT / folder).iterdir():
                if source.is_file() and not (package / source.name).is_symlink():
                    (package / source.name).unlink(missing_ok=True)
                    (package / source.name).symlink_to(source)
            continue
        link = package / dotted.split(".", 1)[1]
        target = ROOT / folder
        if link.is_symlink() and link.resolve() == target.resolve():
            continue
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target, target_is_directory=True)
    return SOURCE_LINKS


# The links must exist before mkdocstrings reads its ``paths`` (at configuration, before any event of this module),
# so they are laid when mkdocs loads the hooks: on a clean clone the first build finds them.
link_sources()


# --- mkdocs events --------------------------------------------------------------------------------------------------
def on_config(config, **kwargs):
    os.environ.setdefault("MPLBACKEND", "Agg")
    return config


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    if "<!-- cli-reference -->" in markdown:
        markdown = markdown.replace("<!-- cli-reference -->", cli_markdown())
    if "<!-- changelog -->" in markdown:
        changelog = ROOT / "CHANGELOG.md"
        text = (
            changelog.read_text()
            if changelog.exists()
            else "# Changelog\n\nThe changelog (`CHANGELOG.md` at the repository root) lands with the next release.\n"
        )
        markdown = markdown.replace("<!-- changelog -->", text)
    if "<!-- results -->" in markdown:
        markdown = markdown.replace("<!-- results -->", results_markdown())
    if "<!-- tour -->" in markdown:
        markdown = markdown.replace("<!-- tour -->", tour_markdown())
    for line in markdown.splitlines():
        if line.startswith("<!-- api: ") and line.endswith(" -->"):
            namespace = line[len("<!-- api: ") : -len(" -->")].strip()
            markdown = markdown.replace(line, api_markdown(namespace))
    return markdown
