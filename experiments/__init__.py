"""The notes' claims as runnable experiments, and their registry: ``boltzgym experiment NAME`` dispatches here.

Experiments are users of the library (agents, models, sims), never used by it. Each is a function
``function(out_dir, seed=0, progress=False, **options) -> summary dict`` that states the claim it tests in its
docstring, runs at CPU scale in about a minute, writes its plot(s) into ``out_dir`` and returns its figures as keys.
:data:`EXPERIMENTS` maps a name to a lazy ``"module:function"`` string, so listing the experiments imports nothing
heavy; ``--set key=value`` options are checked against the function's keyword parameters and their declared ranges
(:func:`boltzgym.utils.validation.setting_ranges`) before a run folder is made. The multi-minute experiments take
``resume=`` and keep each finished part (a seed, a variant, a depth, an agent) in ``OUT/parts/``
(:class:`boltzgym.utils.parts.PartStore`): an interrupted run continues with ``boltzgym experiment NAME --out OUT
--resume`` and skips the parts already done.
"""

from __future__ import annotations

import ast
import inspect
import sys
from collections.abc import Callable, Sequence
from typing import Any

from boltzgym.utils.assignments import parse_assignments, parse_value
from boltzgym.utils.imports import import_object
from boltzgym.utils.validation import check_setting

EXPERIMENTS: dict[str, str] = {
    "regularization": "boltzgym.experiments.regularization:regularization_experiment",
    "parity": "boltzgym.experiments.foundations:parity_experiment",
    "bias-variance": "boltzgym.experiments.foundations:bias_variance_experiment",
    "optimizers": "boltzgym.experiments.optimizers:optimizers_experiment",
    "rl-annealing": "boltzgym.experiments.rl_annealing:rl_annealing_experiment",
    "sequence": "boltzgym.experiments.sequence:sequence_experiment",
    "degradation": "boltzgym.experiments.vision:degradation",
    "pooling": "boltzgym.experiments.vision:pooling",
    "attention-maps": "boltzgym.experiments.vision:attention_maps",
    "generative-digits": "boltzgym.experiments.generative_digits:generative_digits",
    "tmaze": "boltzgym.experiments.tmaze:tmaze_experiment",
    "mode-collapse": "boltzgym.experiments.mode_collapse:mode_collapse_experiment",
    "tts": "boltzgym.experiments.time_to_solution:time_to_solution",
    "coordination": "boltzgym.experiments.coordination:coordination_experiment",
    "tictactoe": "boltzgym.experiments.tictactoe:tictactoe_experiment",
    "mpe": "boltzgym.experiments.mpe:mpe_experiment",
}
"""Experiment name -> ``"module:function"`` of the experiment, imported when it runs (``boltzgym experiment NAME``)."""


def experiment_function(name: str) -> Callable[..., dict]:
    """The function of experiment ``name``; ``ValueError`` naming ``experiment`` and listing the known ones."""
    if name not in EXPERIMENTS:
        known = sorted(EXPERIMENTS) or "none registered"
        raise ValueError(f"experiment must be one of {known}, got {name!r}")
    return import_object(EXPERIMENTS[name])


def experiment_options(name: str, assignments: Sequence[str] | None) -> dict[str, Any]:
    """``--set`` options of experiment ``name`` checked against its function's keyword parameters."""
    function = experiment_function(name)
    parameters = {
        key: p
        for key, p in inspect.signature(function).parameters.items()
        if key not in ("out_dir", "seed", "progress", "resume")
    }
    ranges = getattr(function, "__setting_ranges__", {})  # utils.validation.setting_ranges: checked up front
    renamed = getattr(function, "__renamed_kwargs__", {})  # old spelling -> new (utils.deprecation.renamed_kwargs)
    options = {}
    for key, text in parse_assignments(assignments).items():
        if key in renamed:
            print(f"--set {key}: deprecated, it sets {renamed[key]}", file=sys.stderr)
            key = renamed[key]
        if key not in parameters:
            raise ValueError(f"--set {key}: unknown key for experiment {name!r}; known keys: {sorted(parameters)}")
        default = parameters[key].default
        if isinstance(default, bool):
            options[key] = parse_value(key, text, bool)
        elif isinstance(default, (int, float, str)):
            options[key] = parse_value(key, text, type(default))
        else:
            try:
                options[key] = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                options[key] = text
        if key in ranges:
            try:
                options[key] = check_setting(key, options[key], *ranges[key])
            except (TypeError, ValueError) as exc:
                raise ValueError(f"--set {key}={text}: {exc} (experiment {name!r})") from None
    return options


def experiment_resumable(name: str) -> bool:
    """Whether experiment ``name`` keeps its finished parts (``resume=`` of its function, ``OUT/parts/``)."""
    return "resume" in inspect.signature(experiment_function(name)).parameters
