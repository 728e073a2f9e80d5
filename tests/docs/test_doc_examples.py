"""Every Python and shell block of the documentation and the README runs (see markdown_examples for the rules).

Python blocks run in this process, each in a fresh namespace and an empty working folder; shell blocks run under
``bash -e -o pipefail`` in an empty folder with this interpreter's ``bin/`` (the ``boltzgym`` entry point) first on
PATH. ``BOLTZGYM_DOCS_QUICK`` (default 1 here) picks the reduced sizes that a block's ``<!-- quick -->`` comment gives.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_examples import all_examples, documentation_files, parse

QUICK = os.environ.get("BOLTZGYM_DOCS_QUICK", "1") != "0"
EXAMPLES = all_examples()


def test_there_are_examples_in_every_guide():
    """The collector sees the blocks: each guide and the getting-started page hold at least one runnable one."""
    pages = [p for p in documentation_files() if p.parent.name == "guides" or p.name == "getting-started.md"]
    assert len(pages) >= 13
    for page in pages:
        assert parse(page), f"{page} has no runnable example"


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_example_runs(example, tmp_path, monkeypatch):
    if example.skip:
        pytest.skip(example.skip)
    source = example.source(QUICK)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    if example.language == "python":
        code = compile(source, example.id, "exec")
        exec(code, {"__name__": "__main__"})
        return
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", source],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{example.id} exited {done.returncode}\n{source}\n--- stderr\n{done.stderr[-3000:]}"


def test_quick_rules_must_match(tmp_path):
    """A stale quick switch (its OLD text gone from the block) fails rather than running the full size."""
    page = tmp_path / "page.md"
    page.write_text("<!-- quick\n--steps 5 => --steps 1\n-->\n```bash\nboltzgym envs\n```\n\n```text\nnot run\n```\n")
    (example,) = _parse_outside_root(page)
    assert example.quick == [("--steps 5", "--steps 1")]
    assert example.source(quick=False) == "boltzgym envs\n"
    with pytest.raises(ValueError, match="no longer has"):
        example.source(quick=True)


def _parse_outside_root(page):
    import markdown_examples

    examples = markdown_examples.parse(page)
    for example in examples:
        example.path = markdown_examples.ROOT / "page.md"  # ids are relative to the repository
    return examples
