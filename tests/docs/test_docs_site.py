"""The documentation site: it builds with ``--strict``, its API reference holds every public name with a docstring,
a real browser opens it without console errors, and the README's links and generated numbers are current."""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = _load("boltzgym_docs_hooks", ROOT / "docs" / "hooks.py")
figures = _load("boltzgym_docs_figures", ROOT / "docs" / "figures.py")


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """``mkdocs build --strict`` (what ``make docs`` runs) into a temporary folder; a warning fails it."""
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=900,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr[-5000:]}"
    return out


def page_html(site: Path, namespace: str) -> str:
    """The built page of one namespace of the API reference (mkdocs.yml's nav)."""
    parts = namespace.split(".")[1:]
    folder = site / "api" / Path(*parts) if parts[0] == "models" else site / "api" / parts[0]
    if parts == ["models"]:
        folder = site / "api" / "models"
    return (folder / "index.html").read_text()


def test_strict_build_writes_every_nav_page(site):
    for page in ("index.html", "getting-started/index.html", "results/index.html", "cli/index.html"):
        assert (site / page).exists(), page
    assert (site / "search" / "search_index.json").exists()


# Public names whose docstring is missing in the code (not a docs matter: the owner of the module adds it). Equality,
# not a subset, is checked: a newly missing docstring fails, and so does a fixed one still listed here.
MISSING_DOCSTRINGS: set[str] = set()


@pytest.fixture(scope="session")
def griffe_objects():
    """The sources as griffe reads them for the site (one load per module)."""
    import griffe

    package = griffe.GriffeLoader(search_paths=[str(hooks.link_sources())]).load("boltzgym")  # all of it, once

    def get(identifier: str):
        return package[identifier.removeprefix("boltzgym.")]

    return get


@pytest.mark.parametrize("namespace", hooks.NAMESPACES)
def test_api_reference_renders_every_public_name_with_a_docstring(site, namespace, griffe_objects):
    """Each name of the namespace's ``__all__`` (or its documented public set) is on its page, rendered on its
    owner's page with a non-empty docstring."""
    module = importlib.import_module(namespace)
    names = hooks.public_names(namespace)
    if hasattr(module, "__all__"):
        assert sorted(names) == sorted(module.__all__)
    assert names, namespace
    page = page_html(site, namespace)
    undocumented = set()
    for name, identifier in names.items():
        owner = hooks.owner(identifier)
        owner_page = page if owner == namespace else page_html(site, owner)
        assert f'id="{identifier}"' in owner_page, f"{name} ({identifier}) is not rendered on {owner}'s page"
        assert f'id="{identifier}"' in page or f'#{identifier}"' in page, f"{name} is not on {namespace}'s page"
        docstring = griffe_objects(identifier).docstring
        if docstring is None or not docstring.value.strip():
            undocumented.add(identifier)
    assert undocumented == {i for i in MISSING_DOCSTRINGS if i in names.values()}


def test_cli_reference_is_every_parser_help(site):
    """The CLI page holds the --help of every subcommand, as argparse prints it."""
    from boltzgym.scripts.cli import COMMAND_MODULES

    html = (site / "cli" / "index.html").read_text()
    for command in COMMAND_MODULES:
        assert f'id="boltzgym-{command}"' in html, command
    assert "--checkpoint-every" in html and "--resume" in html


def test_results_page_includes_each_generated_fragment(site):
    html = (site / "results" / "index.html").read_text()
    for record in sorted((ROOT / "docs" / "results").glob("*.json")):
        data = json.loads(record.read_text())
        if record.stem == "tour":
            continue
        assert f"<code>{data['name']}</code>" in html
        assert data["commit"] in html and data["date"] in html
        for image in data["images"]:
            assert (site / "results" / image).exists(), image


# --- the README ------------------------------------------------------------------------------------------------------
def test_readme_is_a_short_front_door():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 160


def test_readme_links_resolve():
    text = (ROOT / "README.md").read_text()
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        assert (ROOT / target).exists(), f"README links to {target}, which does not exist"


def test_readme_tour_is_the_generated_table():
    """The numbers the README shows are those docs/figures.py wrote into docs/results/tour.json."""
    record = json.loads((ROOT / "docs" / "results" / "tour.json").read_text())
    text = (ROOT / "README.md").read_text()
    section = text.split("<!-- tour:start -->\n", 1)[1].split("\n<!-- tour:end -->", 1)[0]
    assert section == figures.tour_markdown(record)
    assert (ROOT / "docs" / "results" / "tour.md").read_text() == figures.tour_markdown(record) + "\n"


def test_fences_in_the_docstring_extension():
    fence = _load("boltzgym_docs_griffe", ROOT / "docs" / "griffe_doctests.py").fence_doctests
    text = 'Intro.\n\n>>> env.step(2)[4]["x"]\n0.5\n\nAfter.\n```\n>>> kept\n```'
    assert fence(text) == 'Intro.\n\n```pycon\n>>> env.step(2)[4]["x"]\n0.5\n```\n\nAfter.\n```\n>>> kept\n```'


# --- a real browser ------------------------------------------------------------------------------------------------
def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def test_site_opens_in_headless_chromium(site):
    """Home page, search and one API page load without console errors in Debian's Chromium via Playwright."""
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium on this machine: `make install` installs Debian's `chromium` where it runs as root")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (the dev extra) is not installed")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:  # no line per request in the test's output
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    errors: list[str] = []
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("console", lambda message: message.type == "error" and errors.append(message.text))
            page.on("pageerror", lambda error: errors.append(str(error)))

            page.goto(f"{base}/", wait_until="networkidle")
            assert "boltzgym" in page.title()
            search = page.locator("input.md-search__input")
            search.click()
            search.press_sequentially("anneal", delay=20)  # typed, as a person would: the search listens to keys
            page.wait_for_selector(".md-search-result__item", timeout=30_000)
            assert page.locator(".md-search-result__item").count() > 0

            page.goto(f"{base}/api/sims/", wait_until="networkidle")
            assert page.locator('[id="boltzgym.sims.annealing.anneal"]').count() == 1
            browser.close()
    finally:
        server.shutdown()
    assert errors == [], errors
