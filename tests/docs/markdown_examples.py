"""The code blocks of the documentation (docs/**/*.md and README.md) as runnable examples.

A fenced block whose info string is ``python``, ``bash``, ``sh``, ``shell`` or ``console`` is an example; any other
fence (``text``, none) is shown, not run. An HTML comment on the line(s) just before a block's fence changes how it
runs (it is invisible on the site and on GitHub):

``<!-- quick ... -->``
    the reduced-size switch. With ``BOLTZGYM_DOCS_QUICK=1`` (what ``make test`` uses: the default of the test) the
    block runs with these textual substitutions, one ``OLD => NEW`` per line, e.g. ``--steps 50000 => --steps 2000``.
    Every ``OLD`` must occur in the block, so a stale switch fails instead of quietly running the full size.
    ``BOLTZGYM_DOCS_QUICK=0`` runs every block as printed.
``<!-- skip: REASON -->``
    the block is reported as skipped with REASON (pytest -ra prints it); for commands that cannot run inside the
    test suite, such as ``make test`` itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNNABLE = {"python": "python", "py": "python", "bash": "bash", "sh": "bash", "shell": "bash", "console": "bash"}
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^\s`{]*)")
_COMMENT_END = re.compile(r"-->\s*$")


@dataclass
class Example:
    """One runnable block: where it is, its language, its code and the reduced-size substitutions."""

    path: Path
    line: int  # 1-based line of the opening fence
    language: str
    code: str
    quick: list[tuple[str, str]] = field(default_factory=list)
    skip: str | None = None

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT).as_posix()}:{self.line}"

    def source(self, quick: bool) -> str:
        """The code to run: with the quick substitutions when ``quick``; ValueError if one no longer matches."""
        code = self.code
        if quick:
            for old, new in self.quick:
                if old not in code:
                    raise ValueError(f"{self.id}: the quick switch replaces {old!r}, which the block no longer has")
                code = code.replace(old, new)
        return code


def documentation_files() -> list[Path]:
    """README.md and every Markdown page under docs/ (the generated docs/results/ tables included)."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _comment_before(lines: list[str], index: int) -> str | None:
    """The HTML comment that ends on the line just above ``lines[index]`` (blank lines not allowed between)."""
    end = index - 1
    if end < 0 or not _COMMENT_END.search(lines[end]):
        return None
    start = end
    while start >= 0 and "<!--" not in lines[start]:
        start -= 1
    if start < 0:
        return None
    text = "\n".join(lines[start : end + 1]).strip()
    return text[len("<!--") : -len("-->")].strip()


def parse(path: Path) -> list[Example]:
    """Every runnable fenced block of one Markdown file, with its directives."""
    lines = path.read_text().splitlines()
    examples, index = [], 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        fence, info, indent = match["fence"], match["info"].lower(), match["indent"]
        body, close = [], index + 1
        while close < len(lines) and not lines[close].strip().startswith(fence):
            body.append(lines[close][len(indent) :] if lines[close].startswith(indent) else lines[close])
            close += 1
        if info in RUNNABLE:
            example = Example(path, index + 1, RUNNABLE[info], "\n".join(body) + "\n")
            comment = _comment_before(lines, index)
            if comment is not None and comment.startswith("quick"):
                for rule in comment[len("quick") :].lstrip(":").strip().splitlines():
                    if rule.strip():
                        old, sep, new = rule.partition(" => ")
                        if not sep:
                            raise ValueError(f"{example.id}: quick rule {rule!r} is not 'OLD => NEW'")
                        example.quick.append((old.strip(), new.strip()))
            elif comment is not None and comment.startswith("skip:"):
                example.skip = comment[len("skip:") :].strip()
            examples.append(example)
        index = close + 1
    return examples


def all_examples() -> list[Example]:
    return [example for path in documentation_files() for example in parse(path)]
