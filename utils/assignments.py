"""``--set KEY=VALUE`` assignments: parsed once for every command (fit, train, experiment, sweep).

Values are converted by the annotated type of the setting they assign: ``int`` (``1e5`` too), ``float``, ``bool``
(``true/false``, ``1/0``, ``yes/no``, ``on/off``), ``str``, a tuple/list of numbers written ``64,64`` or
``[64, 64]``, and optional types accept ``none``. Errors name ``--set KEY``.
"""

from __future__ import annotations

import ast
import types
import typing
from collections.abc import Sequence
from typing import Any


def parse_assignments(assignments: Sequence[str] | None) -> dict[str, str]:
    """``["lr=0.1", "hidden_sizes=64,64"] -> {"lr": "0.1", "hidden_sizes": "64,64"}``; errors name ``--set``."""
    parsed: dict[str, str] = {}
    for text in assignments or ():
        key, sep, value = text.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise ValueError(f"--set expects key=value, got {text!r}")
        parsed[key] = value.strip()
    return parsed


def parse_value(key: str, text: str, annotation) -> Any:
    """``text`` converted to ``annotation`` (see the module docstring); ``ValueError`` naming ``--set key``."""
    origin = typing.get_origin(annotation)
    arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, types.UnionType):
        if text.lower() in ("none", "null") and type(None) in typing.get_args(annotation):
            return None
        errors = []
        for option in arguments:
            try:
                return parse_value(key, text, option)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError(errors[0])
    try:
        if annotation is bool:
            if text.lower() in ("true", "1", "yes", "on"):
                return True
            if text.lower() in ("false", "0", "no", "off"):
                return False
            raise ValueError
        if annotation is int and not text.strip().lstrip("+-").isdigit():
            number = float(text)  # 1e5 is an integer written as a float
            if not number.is_integer():
                raise ValueError
            return int(number)
        if annotation in (int, float, str):
            return annotation(text)
        if origin in (tuple, list):
            item_type = arguments[0] if arguments else float
            body = text.strip().strip("[]()")
            items = [item_type(part) for part in body.split(",") if part.strip()]
            return origin(items)
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        name = getattr(annotation, "__name__", str(annotation))
        raise ValueError(f"--set {key}={text}: expected {name}") from None
