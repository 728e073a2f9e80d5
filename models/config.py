"""One source of defaults for the models of ``boltzgym fit``: configs derived from the constructors.

A model's ``--set`` keys are of two kinds, each written once:

- the **model keys**: the parameters of the model's constructor, read by :func:`model_config` with
  ``inspect.signature`` (default and annotation from the constructor; ``Sequence[int]`` becomes ``tuple[int, ...]``
  so that ``--set hidden_sizes=64,64`` parses). The constructor's default *is* the CLI default. Where a parameter
  has no default (a required width) or where ``boltzgym fit`` deliberately trains another value than the building
  block's default (an MLP used as a classifier gets dropout 0.2, as a GAN player none), the value is declared in
  ``defaults=`` beside the trainer, and :func:`default_differences` lists it, so the difference is visible, never
  a silent second copy.
- the **training keys**: the fields of :class:`TrainSettings` (one definition, with its checks; its defaults are
  ``boltzgym.models.training.fit``'s) that the model's trainer passes on, with the model's own training defaults
  (``training=TrainSettings(epochs=40, ...)``) written once beside its trainer.

``tests/models/test_defaults.py`` walks every registered model and checks that each model key's default equals
the constructor's (or is declared), that setting each model key changes the built model, and that every trainer
honours ``device``.
"""

from __future__ import annotations

import collections.abc
import contextlib
import dataclasses
import functools
import inspect
import sys
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from boltzgym.utils.validation import check_count, check_int, check_positive, check_probability

FACTORY_KEYWORDS = ("device", "dtype")
"""torch's factory keywords, which every model constructor takes (as ``nn.Linear`` does): never ``--set`` keys
(``boltzgym fit`` places the model with ``--device``; the dtype is torch's default)."""


@dataclass
class TrainSettings:
    """The training settings a trainer passes to ``boltzgym.models.training.fit`` (``--set`` keys; defaults are
    ``fit``'s, and each model's trainer states its own where they differ)."""

    epochs: int = 10  # passes over the training set
    batch_size: int = 64  # rows per mini-batch
    learning_rate: float = 1e-3  # the optimizer's step size (torch's lr)
    optimizer: str = "adam"  # sgd | adam | adamw | rmsprop | rprop (torch's)
    weight_decay: float = 0.0  # weight decay of the optimizer (decoupled for adamw; notes 2.3)
    validation_split: float = 0.0  # fraction of the training rows held out for validation / early stopping
    patience: int | None = None  # early stopping: epochs without val_loss improvement (none = off)
    clip_grad_norm: float | None = None  # gradient-norm clipping (notes 2.3 suggest 5)
    label_smoothing: float = 0.0  # cross-entropy label smoothing (classification)
    input_noise: float = 0.0  # std of Gaussian noise added to inputs while training (notes 2.3)

    def __post_init__(self) -> None:
        check_training_settings(self)


TRAINING_KEYS = tuple(f.name for f in dataclasses.fields(TrainSettings))


def check_training_settings(config) -> None:
    """Check (and normalise) whichever :class:`TrainSettings` fields ``config`` has; errors name the key."""
    present = {f.name for f in dataclasses.fields(config)}
    if "epochs" in present:
        config.epochs = check_count("epochs", config.epochs, minimum=1)
    if "batch_size" in present:
        config.batch_size = check_count("batch_size", config.batch_size, minimum=1)
    if "learning_rate" in present:
        config.learning_rate = check_positive("learning_rate", config.learning_rate)
    if "optimizer" in present:
        from boltzgym.models.training import OPTIMIZERS

        if config.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {config.optimizer!r}")
    if "weight_decay" in present:
        config.weight_decay = check_positive("weight_decay", config.weight_decay, allow_zero=True)
    if "validation_split" in present:
        config.validation_split = check_probability("validation_split", config.validation_split)
        if config.validation_split >= 1:
            raise ValueError(f"validation_split must be < 1, got {config.validation_split}")
    if "patience" in present and config.patience is not None:
        config.patience = check_int("patience", config.patience, minimum=1)
    if "clip_grad_norm" in present and config.clip_grad_norm is not None:
        config.clip_grad_norm = check_positive("clip_grad_norm", config.clip_grad_norm)
    if "label_smoothing" in present:
        config.label_smoothing = check_probability("label_smoothing", config.label_smoothing)
    if "input_noise" in present:
        config.input_noise = check_positive("input_noise", config.input_noise, allow_zero=True)


def _config_type(annotation, default):
    """The config field's type for a constructor annotation: ``Sequence[T]``/``list[T]`` -> ``tuple[T, ...]``
    (``--set hidden_sizes=64,64`` parses to a tuple), and optional when the default is ``None``."""
    if typing.get_origin(annotation) in (collections.abc.Sequence, list):
        (item,) = typing.get_args(annotation) or (int,)
        annotation = tuple[item, ...]
    if default is None and type(None) not in typing.get_args(annotation):
        annotation = annotation | None
    return annotation


def model_config(
    name: str,
    model: type,
    *,
    training: TrainSettings | None = None,
    training_keys: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    defaults: Mapping[str, Any] | None = None,
    bases: Sequence[type] = (),
    aliases: Mapping[str, tuple[str, ...]] | None = None,
    extra: Sequence[tuple[Callable, Sequence[str]]] = (),
    doc: str = "",
    module: str | None = None,
) -> type:
    """A config dataclass ``name``: the training keys, then ``model``'s constructor parameters, then the fields of
    the dataclass ``bases`` (trainer-only settings such as ``threads``; a base's ``check(self)`` runs on creation).

    Args:
        model: the class whose ``__init__`` gives the model keys (their defaults and annotations).
        training: the model's training defaults; ``training_keys`` the :class:`TrainSettings` fields it has
            (default: all); ``None`` and no keys: the constructor holds the training settings too (the GANs).
        exclude: constructor parameters that the trainer sets from the data (input and output widths, seeds);
            the factory keywords ``device`` and ``dtype`` (:data:`FACTORY_KEYWORDS`) are always excluded.
        defaults: values for constructor parameters without a default, and the declared few where ``fit``
            trains another value than the constructor's default (listed by :func:`default_differences`).
        aliases: old key -> new keys, for a renamed key (one deprecation line when used).
        extra: ``(function, names)`` pairs: keys that another function of the Python API takes (an evaluation's
            settings, a report's), with that function's defaults and annotations.
    """
    defaults = dict(defaults or {})
    signature = inspect.signature(model.__init__)
    exclude = (*exclude, *FACTORY_KEYWORDS)
    parameters = {k: p for k, p in signature.parameters.items() if k != "self" and k not in exclude}
    unknown = set(defaults) - set(parameters)
    if unknown:
        raise TypeError(f"defaults: {sorted(unknown)} are not parameters of {model.__name__}")
    fields: list[tuple[str, Any, Any]] = []
    if training is not None or training_keys is not None:
        training = training or TrainSettings()
        hints_training = typing.get_type_hints(TrainSettings)
        for key in TRAINING_KEYS if training_keys is None else training_keys:
            if key in parameters:
                raise TypeError(f"{key} is both a training key and a parameter of {model.__name__}")
            fields.append((key, hints_training[key], dataclasses.field(default=getattr(training, key))))
    fields += signature_fields(model.__init__, parameters, defaults)
    model_keys = [key for key, _, _ in fields if key in parameters]
    for function, names in extra:
        fields += signature_fields(function, {k: inspect.signature(function).parameters[k] for k in names})

    def __post_init__(self) -> None:
        check_training_settings(self)
        for base in bases:
            if hasattr(base, "check"):
                base.check(self)

    namespace = {"__post_init__": __post_init__, "__doc__": doc or f"``boltzgym fit`` settings of {model.__name__}."}
    config_class = dataclasses.make_dataclass(name, fields, bases=tuple(bases), namespace=namespace)
    config_class.__module__ = module or sys._getframe(1).f_globals.get("__name__", __name__)
    config_class.model_class = model
    config_class.model_keys = tuple(model_keys)
    config_class.declared_defaults = {k: defaults[k] for k in model_keys if k in defaults}
    config_class.aliases = dict(aliases or {})
    return config_class


def signature_fields(function: Callable, parameters: Mapping[str, inspect.Parameter], defaults=None) -> list:
    """Dataclass fields ``(name, type, field(default=...))`` for ``parameters`` of ``function``: the default from the
    signature (or ``defaults``), the type from its annotation (``Sequence[T]`` -> ``tuple[T, ...]``)."""
    defaults = defaults or {}
    hints = typing.get_type_hints(function)
    name = getattr(function, "__qualname__", repr(function))
    fields = []
    for key, parameter in parameters.items():
        if key not in hints:
            raise TypeError(f"{name}: parameter {key} needs a type annotation (it is a --set key)")
        if key in defaults:
            default = defaults[key]
        elif parameter.default is inspect.Parameter.empty:
            raise TypeError(f"{name}: parameter {key} has no default; give one in defaults=")
        else:
            default = parameter.default
        if isinstance(default, list):
            default = tuple(default)
        fields.append((key, _config_type(hints[key], default), dataclasses.field(default=default)))
    return fields


def default_differences(config_class: type) -> dict[str, tuple[Any, Any]]:
    """``{key: (config default, expected)}`` for every model key whose CLI default is neither the constructor's nor,
    for a key declared in ``defaults=``, the declared value: any entry is drift (a test asserts there is none)."""
    signature = inspect.signature(config_class.model_class.__init__)
    config_defaults = {f.name: f.default for f in dataclasses.fields(config_class)}
    differences = {}
    for key in config_class.model_keys:
        if key in config_class.declared_defaults:
            expected = config_class.declared_defaults[key]
        else:
            expected = signature.parameters[key].default
        if isinstance(expected, list):
            expected = tuple(expected)
        if config_defaults[key] != expected:
            differences[key] = (config_defaults[key], expected)
    return differences


def model_kwargs(config, *keys: str) -> dict[str, Any]:
    """The config's model keys (all, or ``keys``) as constructor keyword arguments."""
    return {key: getattr(config, key) for key in (keys or type(config).model_keys)}


def honours_device(train: Callable) -> Callable:
    """Decorator of a ``train(config, dataset, *, device=..., **kwargs)`` function: resolve ``device`` (through
    ``boltzgym.models.training.resolve_device``, which refuses a device that is not there) before any work, and
    pass the resolved ``torch.device`` on."""

    @functools.wraps(train)
    def wrapper(config, dataset, *, device="auto", **kwargs):
        from boltzgym.models.training import resolve_device

        return train(config, dataset, device=resolve_device(device), **kwargs)

    return wrapper


def make_optimizer_for(config, model):
    """The config's torch optimizer over ``model``'s parameters (``optimizer``, ``learning_rate``, ``weight_decay``
    keys; a config without ``optimizer`` gets Adam); ``weight_decay`` only where that optimizer has it (Rprop has
    none)."""
    from boltzgym.models.training import OPTIMIZERS

    optimizer_class = OPTIMIZERS[getattr(config, "optimizer", "adam")]
    weight_decay = getattr(config, "weight_decay", 0.0)
    if weight_decay == 0:
        return optimizer_class(model.parameters(), lr=config.learning_rate)
    if "weight_decay" not in inspect.signature(optimizer_class).parameters:
        raise ValueError(f"weight_decay: optimizer {config.optimizer!r} has none; --set weight_decay=0")
    return optimizer_class(model.parameters(), lr=config.learning_rate, weight_decay=weight_decay)


def fit_arguments(config, model, epochs: int | None = None) -> dict[str, Any]:
    """``boltzgym.models.training.fit``'s keyword arguments from the config's training keys (the one mapping from
    :class:`TrainSettings` to ``fit``): ``epochs`` overrides the config's."""
    present = {f.name for f in dataclasses.fields(config)}
    validation_split = getattr(config, "validation_split", 0.0)
    arguments: dict[str, Any] = {
        "epochs": config.epochs if epochs is None else epochs,
        "batch_size": config.batch_size,
        "optimizer": make_optimizer_for(config, model),
        "validation_split": validation_split,
        "early_stopping_patience": getattr(config, "patience", None) if validation_split > 0 else None,
    }
    if "clip_grad_norm" in present:
        arguments["clip_grad_norm"] = config.clip_grad_norm
    if "input_noise" in present:
        arguments["input_noise"] = config.input_noise
    return arguments


@contextlib.contextmanager
def seeded(seed: int):
    """A block whose torch random numbers (the initial weights of the models it builds) come from ``seed``, inside
    ``torch.random.fork_rng`` so that the caller's global RNG is untouched."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def fit_defaults(fit_method: Callable, keys: Sequence[str] = ("epochs", "batch_size")) -> TrainSettings:
    """The training defaults that a model's own ``fit`` method states (``epochs``, ``batch_size``), as
    :class:`TrainSettings`: the CLI's are read from the Python API's signature, not written again."""
    parameters = inspect.signature(fit_method).parameters
    return TrainSettings(**{key: parameters[key].default for key in keys})
