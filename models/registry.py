"""The registry behind ``boltzgym fit MODEL``: a lazy string table (experiments have theirs in
``boltzgym.experiments``).

Each entry names ``"module:attribute"`` strings, imported only when used, so adding a model is one line here and
importing this module imports neither torch nor any model.

- :data:`MODELS`: ``name -> ModelEntry(config, train, data, help)``.

  * ``config``: a dataclass of hyperparameters, each field with a default; ``--set key=value`` overrides fields
    (parsed by the field's type; an unknown key is an error naming it).
  * ``train``: ``train(config, dataset, *, epochs=None, seed=0, run_dir=None, resume=False, progress=False,
    device="auto") -> summary dict`` builds the model, trains it through ``boltzgym.models.training.fit`` and
    returns at least ``n_parameters``, ``epochs``, ``train_loss``, ``test_loss``, ``test_accuracy`` (``None``
    for regression), ``checkpoint``, ``history`` (the per-epoch rows) and ``model`` (the trained module; the
    ``boltzgym fit`` command keeps only its summary keys).
  * ``data``: the default dataset name of ``boltzgym.models.datasets``.
  * ``build``: ``build(config, dataset, seed=0) -> nn.Module``, the model ``train`` trains, built without training
    (``tests/models/test_defaults.py`` checks that every model key changes it); it also takes torch's factory
    keywords ``device=None, dtype=None`` (``tests/models/test_torch_conventions.py`` builds every model through them).

The configs come from the models' constructors (``boltzgym.models.config.model_config``): one source of defaults.
"""

from __future__ import annotations

import dataclasses
import sys
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from boltzgym.utils.assignments import parse_assignments, parse_value
from boltzgym.utils.imports import import_object


@dataclass(frozen=True)
class ModelEntry:
    """One trainable model of ``boltzgym fit``: lazy ``"module:attribute"`` strings and a default dataset."""

    config: str
    train: str
    data: str
    help: str = ""
    build: str = ""  # "module:function": build(config, dataset, seed=0, *, device=None, dtype=None) -> untrained model


MODELS: dict[str, ModelEntry] = {
    "mlp": ModelEntry(
        "boltzgym.models.supervised.trainers:MLPConfig",
        "boltzgym.models.supervised.trainers:train_mlp",
        "digits",
        "multilayer perceptron",
        build="boltzgym.models.supervised.trainers:build_mlp",
    ),
    "rbf": ModelEntry(
        "boltzgym.models.supervised.trainers:RBFConfig",
        "boltzgym.models.supervised.trainers:train_rbf",
        "digits",
        "radial-basis-function network (notes 1.1)",
        build="boltzgym.models.supervised.trainers:build_rbf",
    ),
    "logistic": ModelEntry(
        "boltzgym.models.supervised.trainers:LogisticConfig",
        "boltzgym.models.supervised.trainers:train_logistic",
        "digits",
        "logistic (softmax) regression",
        build="boltzgym.models.supervised.trainers:build_logistic",
    ),
    "vae": ModelEntry(
        "boltzgym.models.generative.trainers:VAEConfig",
        "boltzgym.models.generative.trainers:train_vae",
        "binary-digits",
        "variational autoencoder with IWAE log-likelihood (notes 5.1)",
        build="boltzgym.models.generative.trainers:build_vae",
    ),
    "gan": ModelEntry(
        "boltzgym.models.generative.trainers:GANConfig",
        "boltzgym.models.generative.trainers:train_gan",
        "ring-8",
        "GAN with the notes' training fixes (notes 5.2)",
        build="boltzgym.models.generative.trainers:build_gan",
    ),
    "ae": ModelEntry(
        "boltzgym.models.generative.trainers:AEConfig",
        "boltzgym.models.generative.trainers:train_ae",
        "digits",
        "tied / deep / denoising autoencoder (notes 5.1)",
        build="boltzgym.models.generative.trainers:build_ae",
    ),
    "cgan": ModelEntry(
        "boltzgym.models.generative.digits:CGANConfig",
        "boltzgym.models.generative.digits:train_cgan",
        "digits",
        "conditional GAN: generate a requested digit (notes 5.2)",
        build="boltzgym.models.generative.digits:build_cgan",
    ),
    "lapgan": ModelEntry(
        "boltzgym.models.generative.digits:LapGANConfig",
        "boltzgym.models.generative.digits:train_lapgan",
        "digits",
        "Laplacian-pyramid GAN, 4x4 then 8x8 (notes 5.2)",
        build="boltzgym.models.generative.digits:build_lapgan",
    ),
    "bigan": ModelEntry(
        "boltzgym.models.generative.digits:BiGANConfig",
        "boltzgym.models.generative.digits:train_bigan",
        "digits",
        "BiGAN: generator, encoder, discriminator on (x, z) pairs (notes 5.2)",
        build="boltzgym.models.generative.digits:build_bigan",
    ),
    "cyclegan": ModelEntry(
        "boltzgym.models.generative.digits:CycleGANConfig",
        "boltzgym.models.generative.digits:train_cyclegan",
        "digits",
        "CycleGAN between digits and a transformed copy (notes 5.2)",
        build="boltzgym.models.generative.digits:build_cyclegan",
    ),
    "rnn": ModelEntry(
        "boltzgym.models.sequence.trainers:RecurrentConfig",
        "boltzgym.models.sequence.trainers:train_rnn",
        "adding-50",
        "Elman RNN, gate by gate (notes 4.2)",
        build="boltzgym.models.sequence.trainers:build_rnn",
    ),
    "lstm": ModelEntry(
        "boltzgym.models.sequence.trainers:RecurrentConfig",
        "boltzgym.models.sequence.trainers:train_lstm",
        "adding-50",
        "LSTM (notes 4.2)",
        build="boltzgym.models.sequence.trainers:build_lstm",
    ),
    "gru": ModelEntry(
        "boltzgym.models.sequence.trainers:RecurrentConfig",
        "boltzgym.models.sequence.trainers:train_gru",
        "adding-50",
        "GRU (notes 4.2)",
        build="boltzgym.models.sequence.trainers:build_gru",
    ),
    "transformer": ModelEntry(
        "boltzgym.models.sequence.trainers:TransformerConfig",
        "boltzgym.models.sequence.trainers:train_transformer",
        "reverse-10",
        "seq2seq Transformer (notes 4.4)",
        build="boltzgym.models.sequence.trainers:build_transformer",
    ),
    "seq2seq": ModelEntry(
        "boltzgym.models.sequence.trainers:Seq2SeqConfig",
        "boltzgym.models.sequence.trainers:train_seq2seq",
        "copy-20",
        "LSTM encoder-decoder, reverse_input option (Sutskever et al. 2014)",
        build="boltzgym.models.sequence.trainers:build_seq2seq",
    ),
    "vgg": ModelEntry(
        "boltzgym.models.vision.trainers:VGGConfig",
        "boltzgym.models.vision.trainers:train_vgg",
        "digits",
        "VGG: 3x3 conv stages and 2x2 pools (notes 3.2)",
        build="boltzgym.models.vision.trainers:build_vgg",
    ),
    "highway": ModelEntry(
        "boltzgym.models.vision.trainers:HighwayConfig",
        "boltzgym.models.vision.trainers:train_highway",
        "digits",
        "highway network, gates T and C (notes 3.2)",
        build="boltzgym.models.vision.trainers:build_highway",
    ),
    "resnet": ModelEntry(
        "boltzgym.models.vision.trainers:ResNetConfig",
        "boltzgym.models.vision.trainers:train_resnet",
        "digits",
        "ResNet of basic blocks (notes 3.2)",
        build="boltzgym.models.vision.trainers:build_resnet",
    ),
    "plainnet": ModelEntry(
        "boltzgym.models.vision.trainers:PlainNetConfig",
        "boltzgym.models.vision.trainers:train_plainnet",
        "digits",
        "ResNet without shortcuts (notes 3.2)",
        build="boltzgym.models.vision.trainers:build_plainnet",
    ),
    "densenet": ModelEntry(
        "boltzgym.models.vision.trainers:DenseNetConfig",
        "boltzgym.models.vision.trainers:train_densenet",
        "digits",
        "DenseNet: dense blocks and transitions (notes 3.2)",
        build="boltzgym.models.vision.trainers:build_densenet",
    ),
    "cnn": ModelEntry(
        "boltzgym.models.vision.trainers:CNNConfig",
        "boltzgym.models.vision.trainers:train_cnn",
        "digits",
        "small CNN with a max/avg/lp/spp pooling head (notes 3.1)",
        build="boltzgym.models.vision.trainers:build_cnn",
    ),
    "gnn": ModelEntry(
        "boltzgym.models.graph.trainers:GNNConfig",
        "boltzgym.models.graph.trainers:train_gnn",
        "karate",
        "message-passing graph network (notes 3.3)",
        build="boltzgym.models.graph.trainers:build_gnn",
    ),
    "rbm": ModelEntry(
        "boltzgym.models.rbm_trainer:RBMConfig",
        "boltzgym.models.rbm_trainer:train_rbm",
        "bars-stripes-3",
        "restricted Boltzmann machine, CD-k/PCD-k, exact or AIS log-likelihood (notes 5.3)",
        build="boltzgym.models.rbm_trainer:build_rbm",
    ),
    "word2vec": ModelEntry(
        "boltzgym.models.embeddings.trainers:Word2VecConfig",
        "boltzgym.models.embeddings.trainers:train_word2vec",
        "lee",
        "Word2Vec skip-gram with negative sampling; --data lee or a text file (notes 4.3)",
        build="boltzgym.models.embeddings.trainers:build_word2vec",
    ),
}


def model_entry(name: str) -> ModelEntry:
    """The entry of model ``name``; ``ValueError`` naming ``model`` and listing the known ones otherwise."""
    if name not in MODELS:
        raise ValueError(f"model must be one of {sorted(MODELS)}, got {name!r}")
    return MODELS[name]


# Keys renamed for every model (one vocabulary, docs/vocabulary.md): the old spelling sets the new key.
RENAMED_KEYS: dict[str, tuple[str, ...]] = {"lr": ("learning_rate",), "lr_decay": ("learning_rate_decay",)}


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
    aliases = {**RENAMED_KEYS, **getattr(config_class, "aliases", {})}
    values = {}
    for key, value in overrides.items():
        targets = aliases.get(key, (key,))
        if key in aliases and all(target in fields for target in targets):  # a renamed key: one line says so
            print(f"--set {key}: deprecated, it sets {', '.join(targets)}", file=sys.stderr)
        for target in targets:
            if target not in fields:
                raise ValueError(f"--set {key}: unknown key for model {name!r}; known keys: {sorted(fields)}")
            values[target] = parse_value(key, value, hints[target]) if isinstance(value, str) else value
    return config_class(**values)
