"""A griffe extension for the API reference: doctest runs in docstrings shown as Python code.

The envs' docstrings follow Gymnasium's layout (``## Example`` sections with ``>>>`` lines) rather than a Google
``Examples:`` section, so Markdown would read ``step(2)[4]["instant_regret"]`` as a reference link. Each run of
``>>>``/``...`` lines and their output, outside a fence, is put in a ```` ```pycon ```` fence. The sources are
untouched; only the text the site renders changes.
"""

from __future__ import annotations

import griffe


def fence_doctests(text: str) -> str:
    """``text`` with each unfenced doctest run (prompt lines and the output lines after them) fenced."""
    lines, out, in_fence, index = text.splitlines(), [], False, 0
    while index < len(lines):
        line = lines[index]
        stripped = line.lstrip()
        if stripped.startswith("```"):
            in_fence = not in_fence
        if not in_fence and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            block = []
            while index < len(lines) and lines[index].strip() and lines[index].startswith(indent):
                block.append(lines[index][len(indent) :])
                index += 1
            out += [f"{indent}```pycon", *(indent + b for b in block), f"{indent}```"]
            continue
        out.append(line)
        index += 1
    return "\n".join(out)


class FenceDoctests(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)
