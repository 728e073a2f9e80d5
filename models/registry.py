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
    "vae": ModelEntry(
        "boltzgym.models.generative_training:VAEConfig",
        "boltzgym.models.generative_training:train_vae",
        "binary-digits",
        "variational autoencoder with IWAE log-likelihood (notes 5.1)",
    ),
    "gan": ModelEntry(
        "boltzgym.models.generative_training:GANConfig",
        "boltzgym.models.generative_training:train_gan",
        "ring-8",
        "GAN with the notes' training fixes (notes 5.2)",
    ),
    "ae": ModelEntry(
        "boltzgym.models.generative_training:AEConfig",
        "boltzgym.models.generative_training:train_ae",
        "digits",
        "tied / deep / denoising autoencoder (notes 5.1)",
    ),
    "cgan": ModelEntry(
        "boltzgym.models.generative_digits:CGANConfig",
        "boltzgym.models.generative_digits:train_cgan",
        "digits",
        "conditional GAN: generate a requested digit (notes 5.2)",
    ),
    "lapgan": ModelEntry(
        "boltzgym.models.generative_digits:LapGANConfig",
        "boltzgym.models.generative_digits:train_lapgan",
        "digits",
        "Laplacian-pyramid GAN, 4x4 then 8x8 (notes 5.2)",
    ),
    "bigan": ModelEntry(
        "boltzgym.models.generative_digits:BiGANConfig",
        "boltzgym.models.generative_digits:train_bigan",
        "digits",
        "BiGAN: generator, encoder, discriminator on (x, z) pairs (notes 5.2)",
    ),
    "cyclegan": ModelEntry(
        "boltzgym.models.generative_digits:CycleGANConfig",
        "boltzgym.models.generative_digits:train_cyclegan",
        "digits",
        "CycleGAN between digits and a transformed copy (notes 5.2)",
    ),
    "rnn": ModelEntry(
        "boltzgym.models.sequence_tasks:RecurrentConfig",
        "boltzgym.models.sequence_tasks:train_rnn",
        "adding-50",
        "Elman RNN, gate by gate (notes 4.2)",
    ),
    "lstm": ModelEntry(
        "boltzgym.models.sequence_tasks:RecurrentConfig",
        "boltzgym.models.sequence_tasks:train_lstm",
        "adding-50",
        "LSTM (notes 4.2)",
    ),
    "gru": ModelEntry(
        "boltzgym.models.sequence_tasks:RecurrentConfig",
        "boltzgym.models.sequence_tasks:train_gru",
        "adding-50",
        "GRU (notes 4.2)",
    ),
    "transformer": ModelEntry(
        "boltzgym.models.sequence_tasks:TransformerConfig",
        "boltzgym.models.sequence_tasks:train_transformer",
        "reverse-10",
        "seq2seq Transformer (notes 4.4)",
    ),
    "seq2seq": ModelEntry(
        "boltzgym.models.sequence_tasks:Seq2SeqConfig",
        "boltzgym.models.sequence_tasks:train_seq2seq",
        "copy-20",
        "LSTM encoder-decoder, reverse_input option (Sutskever et al. 2014)",
    ),
    "vgg": ModelEntry(
        "boltzgym.models.vision_training:VisionConfig",
        "boltzgym.models.vision_training:train_vgg",
        "digits",
        "VGG: 3x3 conv stages and 2x2 pools (notes 3.2)",
    ),
    "highway": ModelEntry(
        "boltzgym.models.vision_training:VisionConfig",
        "boltzgym.models.vision_training:train_highway",
        "digits",
        "highway network, gates T and C (notes 3.2)",
    ),
    "resnet": ModelEntry(
        "boltzgym.models.vision_training:ResNetConfig",
        "boltzgym.models.vision_training:train_resnet",
        "digits",
        "ResNet of basic blocks (notes 3.2)",
    ),
    "plainnet": ModelEntry(
        "boltzgym.models.vision_training:ResNetConfig",
        "boltzgym.models.vision_training:train_plainnet",
        "digits",
        "ResNet without shortcuts (notes 3.2)",
    ),
    "densenet": ModelEntry(
        "boltzgym.models.vision_training:VisionConfig",
        "boltzgym.models.vision_training:train_densenet",
        "digits",
        "DenseNet: dense blocks and transitions (notes 3.2)",
    ),
    "cnn": ModelEntry(
        "boltzgym.models.vision_training:VisionConfig",
        "boltzgym.models.vision_training:train_cnn",
        "digits",
        "small CNN with a max/avg/lp/spp pooling head (notes 3.1)",
    ),
    "gnn": ModelEntry(
        "boltzgym.models.vision_training:GNNConfig",
        "boltzgym.models.vision_training:train_gnn",
        "karate",
        "message-passing graph network (notes 3.3)",
    ),
}

EXPERIMENTS: dict[str, str] = {
    "regularization": "boltzgym.models.regularization_experiment:regularization_experiment",
    "parity": "boltzgym.models.foundations_experiments:parity_experiment",
    "bias-variance": "boltzgym.models.foundations_experiments:bias_variance_experiment",
    "optimizers": "boltzgym.models.optimizer_experiment:optimizers_experiment",
    "rl-annealing": "boltzgym.agents.rl_annealing_experiment:rl_annealing_experiment",
    "sequence": "boltzgym.models.sequence_tasks:sequence_experiment",
    "degradation": "boltzgym.models.vision_training:degradation",
    "pooling": "boltzgym.models.vision_training:pooling",
    "attention-maps": "boltzgym.models.vision_training:attention_maps",
    "generative-digits": "boltzgym.models.generative_digits:generative_digits",
    "tmaze": "boltzgym.agents.tmaze_experiment:tmaze_experiment",
    "mode-collapse": "boltzgym.models.gan_experiment:mode_collapse_experiment",
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
