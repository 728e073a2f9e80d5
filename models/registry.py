"""The two registries behind ``boltzgym fit MODEL`` and ``boltzgym experiment NAME``: lazy string tables.

Each entry names ``"module:attribute"`` strings, imported only when used, so adding a model or an experiment is one
line here and importing this module imports neither torch nor any model.

- :data:`MODELS`: ``name -> ModelEntry(config, train, data, help)``.

  * ``config``: a dataclass of hyperparameters, each field with a default; ``--set key=value`` overrides fields
    (parsed by the field's type; an unknown key is an error naming it).
  * ``train``: ``train(config, dataset, *, epochs=None, seed=0, run_dir=None, resume=False, progress=False,
    device="auto") -> summary dict`` builds the model, trains it through ``boltzgym.models.training.fit`` and
    returns at least ``n_parameters``, ``epochs``, ``train_loss``, ``test_loss``, ``test_accuracy`` (``None``
    for regression), ``checkpoint``, ``history`` (the per-epoch rows) and ``model`` (the trained module; the
    ``boltzgym fit`` command keeps only its summary keys).
  * ``data``: the default dataset name of ``boltzgym.models.datasets``.

- :data:`EXPERIMENTS`: ``name -> "module:function"`` with ``function(out_dir, seed=0, progress=False, **options)
  -> summary dict``; it runs a claim of the notes at CPU scale, writes its plot(s) into ``out_dir`` and returns its
  figures as keys.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelEntry:
    """One trainable model of ``boltzgym fit``: lazy ``"module:attribute"`` strings and a default dataset."""

    config: str
    train: str
    data: str
    help: str = ""


MODELS: dict[str, ModelEntry] = {
    "mlp": ModelEntry(
        "boltzgym.models.supervised:MLPConfig",
        "boltzgym.models.supervised:train_mlp",
        "digits",
        "multilayer perceptron",
    ),
    "rbf": ModelEntry(
        "boltzgym.models.supervised:RBFConfig",
        "boltzgym.models.supervised:train_rbf",
        "digits",
        "radial-basis-function network (notes 1.1)",
    ),
    "logistic": ModelEntry(
        "boltzgym.models.supervised:LogisticConfig",
        "boltzgym.models.supervised:train_logistic",
        "digits",
        "logistic (softmax) regression",
    ),
    "cnn": ModelEntry(
        "boltzgym.models.zoo:CNNConfig",
        "boltzgym.models.zoo:train_cnn",
        "digits",
        "convolutional net: 3x3 convs and a linear classifier (notes 3.1)",
    ),
    "vgg": ModelEntry(
        "boltzgym.models.zoo:VGGConfig",
        "boltzgym.models.zoo:train_vgg",
        "digits",
        "VGG: stages of 3x3 convs and 2x2 max pools (notes 3.2)",
    ),
    "resnet": ModelEntry(
        "boltzgym.models.zoo:ResNetConfig",
        "boltzgym.models.zoo:train_resnet",
        "digits",
        "ResNet with basic blocks and projection shortcuts (notes 3.2)",
    ),
    "plainnet": ModelEntry(
        "boltzgym.models.zoo:ResNetConfig",
        "boltzgym.models.zoo:train_plainnet",
        "digits",
        "ResNet's plain twin without shortcuts (notes 3.2)",
    ),
    "densenet": ModelEntry(
        "boltzgym.models.zoo:DenseNetConfig",
        "boltzgym.models.zoo:train_densenet",
        "digits",
        "DenseNet: dense blocks and transitions (notes 3.2)",
    ),
    "highway": ModelEntry(
        "boltzgym.models.zoo:HighwayConfig",
        "boltzgym.models.zoo:train_highway",
        "digits",
        "Highway network, gates T and C = 1 - T (notes 3.2)",
    ),
    "gnn": ModelEntry(
        "boltzgym.models.zoo:GNNConfig",
        "boltzgym.models.zoo:train_gnn",
        "karate",
        "message-passing graph network h' = tanh(W [h, m]) (notes 3.3)",
    ),
}

EXPERIMENTS: dict[str, str] = {
    "regularization": "boltzgym.models.regularization_experiment:regularization_experiment",
    "degradation": "boltzgym.models.degradation_experiment:degradation_experiment",
}


def import_object(path: str) -> Any:
    """The object ``"package.module:attribute"`` names (imported now)."""
    module_name, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def model_entry(name: str) -> ModelEntry:
    """The entry of model ``name``; ``ValueError`` naming ``model`` and listing the known ones otherwise."""
    if name not in MODELS:
        raise ValueError(f"model must be one of {sorted(MODELS)}, got {name!r}")
    return MODELS[name]


def experiment_function(name: str) -> Callable[..., dict]:
    """The function of experiment ``name``; ``ValueError`` naming ``experiment`` and listing the known ones."""
    if name not in EXPERIMENTS:
        known = sorted(EXPERIMENTS) or "none registered"
        raise ValueError(f"experiment must be one of {known}, got {name!r}")
    return import_object(EXPERIMENTS[name])


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


def make_config(name: str, overrides: Mapping[str, Any] | Sequence[str] | None = None):
    """Model ``name``'s config dataclass with ``overrides`` (``{"key": value}`` or ``["key=value", ...]``) applied.

    String values are parsed by the field's annotated type (int, float, bool, str, a tuple/list of ints or
    floats written ``64,64`` or ``[64, 64]``, optional types accept ``none``). Unknown keys raise ``ValueError``
    naming the key and listing the known ones; the dataclass's own ``__post_init__`` checks the values."""
    config_class = import_object(model_entry(name).config)
    if overrides is None:
        overrides = {}
    elif not isinstance(overrides, Mapping):
        overrides = parse_assignments(overrides)
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    hints = typing.get_type_hints(config_class)
    values = {}
    for key, value in overrides.items():
        if key not in fields:
            raise ValueError(f"--set {key}: unknown key for model {name!r}; known keys: {sorted(fields)}")
        values[key] = parse_value(key, value, hints[key]) if isinstance(value, str) else value
    return config_class(**values)


def parse_value(key: str, text: str, annotation) -> Any:
    """``text`` converted to ``annotation`` (see :func:`make_config`); ``ValueError`` naming ``--set key``."""
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


def experiment_options(name: str, assignments: Sequence[str] | None) -> dict[str, Any]:
    """``--set`` options of experiment ``name`` checked against its function's keyword parameters."""
    function = experiment_function(name)
    parameters = {
        key: p
        for key, p in inspect.signature(function).parameters.items()
        if key not in ("out_dir", "seed", "progress")
    }
    options = {}
    for key, text in parse_assignments(assignments).items():
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
    return options
