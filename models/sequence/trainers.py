"""Sequence tasks of notes 4.2/4.4 and their ``boltzgym fit`` / ``boltzgym experiment`` entry points.

Datasets (registered in ``boltzgym.models.datasets.DATASETS``; generated from ``seed``, nothing downloaded):

- ``adding-<T>`` (Hochreiter & Schmidhuber 1997): inputs ``(n, T, 2)``; channel 0 holds uniform [0, 1] values,
  channel 1 marks two positions (one in each half); the target ``(n, 1)`` is the sum of the two marked values.
  Predicting the mean 1 scores MSE = Var(U1 + U2) = 1/6 ~ 0.167 (the trivial predictor).
- ``copy-<T>`` / ``reverse-<T>``: token sequences of length ``T`` over 10 symbols (int64 ``(n, T)``); the target
  is the same sequence, or reversed.

Models: ``rnn``, ``lstm``, ``gru`` (a :class:`~boltzgym.models.sequence.recurrent.SequenceRegressor`; gradient clipping
on by
default, notes 4.2; on ``ctc-digits`` of :mod:`boltzgym.models.sequence.ctc_tasks`, per-frame scores trained with CTC)
and
``transformer`` (a :class:`~boltzgym.models.sequence.transformer.Seq2SeqTransformer`, teacher forcing, exact-match
accuracy
by greedy decoding). Experiment ``sequence``: the adding problem at growing T for the three
recurrent cells (notes 4.2's memory claim).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from boltzgym.models.config import TrainSettings, fit_arguments, honours_device, model_config, model_kwargs, seeded
from boltzgym.models.datasets import Dataset
from boltzgym.models.sequence.ctc_tasks import ctc_batch_loss, label_error_rates
from boltzgym.models.sequence.recurrent import DEFAULT_CLIP_GRAD_NORM, SequenceRegressor
from boltzgym.models.sequence.seq2seq import Seq2SeqLSTM
from boltzgym.models.sequence.tasks import N_SYMBOLS
from boltzgym.models.sequence.transformer import Seq2SeqTransformer
from boltzgym.models.supervised.trainers import fit_summary
from boltzgym.models.training import evaluate, fit, torch_threads


@dataclass
class SourceSettings:
    """The trainer-only key of the sequence-to-sequence models."""

    reverse_input: bool = False  # feed the source reversed (Sutskever et al. 2014; notes 4.1)


SEQUENCE_TRAINING_KEYS = ("epochs", "batch_size", "learning_rate", "clip_grad_norm")  # Adam; clipping on (notes 4.2)
RecurrentConfig = model_config(
    "RecurrentConfig",
    SequenceRegressor,
    training=TrainSettings(epochs=10, learning_rate=3e-3, clip_grad_norm=DEFAULT_CLIP_GRAD_NORM),
    training_keys=SEQUENCE_TRAINING_KEYS,
    exclude=("cell", "input_size", "out_features", "per_step"),  # the cell is the model's name; sizes from the data
    defaults={"hidden_size": 64},
    doc="``boltzgym fit rnn|lstm|gru``: a recurrent torso and a linear head (SequenceRegressor's parameters).",
)
"""``boltzgym fit rnn|lstm|gru``: a recurrent torso and a linear head (SequenceRegressor's parameters)."""
TransformerConfig = model_config(
    "TransformerConfig",
    Seq2SeqTransformer,
    # reverse-10: exact-match 1.0 on held-out sequences after 3 epochs, ~940 steps (README, seeds 0-2)
    training=TrainSettings(epochs=3, learning_rate=1e-3, clip_grad_norm=DEFAULT_CLIP_GRAD_NORM),
    training_keys=SEQUENCE_TRAINING_KEYS,
    exclude=("vocab_size", "bos_token", "pad_token"),
    bases=(SourceSettings,),
    doc="``boltzgym fit transformer``: a seq2seq Transformer trained with teacher forcing.",
)
"""``boltzgym fit transformer``: a seq2seq Transformer trained with teacher forcing."""
Seq2SeqConfig = model_config(
    "Seq2SeqConfig",
    Seq2SeqLSTM,
    training=TrainSettings(epochs=5, learning_rate=3e-3, clip_grad_norm=DEFAULT_CLIP_GRAD_NORM),
    training_keys=SEQUENCE_TRAINING_KEYS,
    exclude=("vocab_size", "bos_token"),
    bases=(SourceSettings,),
    doc="``boltzgym fit seq2seq``: the LSTM encoder-decoder of Sutskever et al. 2014, teacher forcing.",
)
"""``boltzgym fit seq2seq``: the LSTM encoder-decoder of Sutskever et al. 2014, teacher forcing."""


def _one_torch_thread():
    """Torch on one thread inside the block: these small sequence models run faster without intra-op threads (on a
    shared 2-core machine the transformer's steps were measured ~10x slower with torch's default thread count)."""
    return torch_threads(1)


def _is_ctc(dataset: Dataset) -> bool:
    return dataset.metadata.get("task") == "ctc"  # ctc-digits: per-frame class scores trained with nn.CTCLoss


def build_recurrent(
    cell: str, config, dataset: Dataset, seed: int = 0, *, device=None, dtype=None
) -> SequenceRegressor:
    """The ``cell`` (rnn, lstm, gru) regressor for a ``(n, T, features)`` regression set, or per-frame scores for
    ctc-digits."""
    ctc = _is_ctc(dataset)
    if not ctc and (dataset.kind != "regression" or dataset.x_train.ndim != 3):
        raise ValueError(
            f"data {dataset.name!r}: {cell} trains on a (n, T, features) regression set such as adding-T, or on "
            "ctc-digits"
        )
    out_features = dataset.n_classes + 1 if ctc else dataset.n_outputs
    with seeded(seed):
        return SequenceRegressor(cell, dataset.x_train.shape[2], out_features=out_features, per_step=ctc,
                                 **model_kwargs(config), device=device, dtype=dtype)  # fmt: skip


@_one_torch_thread()
def _train_recurrent(cell: str, config, dataset: Dataset, *, epochs=None, seed=0, device="auto", **kwargs) -> dict:
    model = build_recurrent(cell, config, dataset, seed)
    ctc = _is_ctc(dataset)
    loss = ctc_batch_loss if ctc else "mse"
    result = fit(model, dataset.train, loss=loss, **fit_arguments(config, model, epochs), seed=seed, device=device,
                 **kwargs)  # fmt: skip
    if not ctc:
        train_loss = evaluate(model, dataset.train, nn.MSELoss(), device=device)["loss"]
        test_loss = evaluate(model, dataset.test, nn.MSELoss(), device=device)["loss"]
        return fit_summary(model, result, train_loss, test_loss, None)
    model.cpu().eval()  # the CTC scores and beam search below run on CPU tensors
    with torch.no_grad():
        train_loss, test_loss = (float(ctc_batch_loss(model, tuple(map(torch.as_tensor, data))))
                                 for data in (dataset.train, dataset.test))  # fmt: skip
    return {**fit_summary(model, result, train_loss, test_loss, None),
            **label_error_rates(model, dataset.x_test, dataset.y_test)}  # fmt: skip


def build_rnn(config, dataset: Dataset, seed: int = 0, *, device=None, dtype=None) -> SequenceRegressor:
    """``boltzgym fit rnn``'s model: :func:`build_recurrent` with the Elman cell."""
    return build_recurrent("rnn", config, dataset, seed, device=device, dtype=dtype)


def build_lstm(config, dataset: Dataset, seed: int = 0, *, device=None, dtype=None) -> SequenceRegressor:
    """``boltzgym fit lstm``'s model."""
    return build_recurrent("lstm", config, dataset, seed, device=device, dtype=dtype)


def build_gru(config, dataset: Dataset, seed: int = 0, *, device=None, dtype=None) -> SequenceRegressor:
    """``boltzgym fit gru``'s model."""
    return build_recurrent("gru", config, dataset, seed, device=device, dtype=dtype)


@honours_device
def train_rnn(config, dataset: Dataset, **kwargs) -> dict:
    """``boltzgym fit rnn``: Elman RNN on a sequence regression set."""
    return _train_recurrent("rnn", config, dataset, **kwargs)


@honours_device
def train_lstm(config, dataset: Dataset, **kwargs) -> dict:
    """``boltzgym fit lstm``."""
    return _train_recurrent("lstm", config, dataset, **kwargs)


@honours_device
def train_gru(config, dataset: Dataset, **kwargs) -> dict:
    """``boltzgym fit gru``."""
    return _train_recurrent("gru", config, dataset, **kwargs)


def _teacher_forcing_loss(model: Seq2SeqTransformer | Seq2SeqLSTM):
    def loss_fn(model_, batch):
        src, tgt = batch
        tgt_in = torch.cat([torch.full_like(tgt[:, :1], model.bos_token), tgt[:, :-1]], dim=1)
        logits = model_(src, tgt_in)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1))

    return loss_fn


@torch.no_grad()
def exact_match(model: Seq2SeqTransformer | Seq2SeqLSTM, x: np.ndarray, y: np.ndarray, batch_size: int = 500) -> float:
    """Fraction of sequences whose greedy decoding equals the target exactly."""
    model.eval()
    hits = 0
    for start in range(0, len(x), batch_size):
        src = torch.as_tensor(x[start : start + batch_size])
        predicted = model.greedy_decode(src, y.shape[1]).numpy()
        hits += int((predicted == y[start : start + batch_size]).all(axis=1).sum())
    return hits / len(x)


def build_transformer(config, dataset: Dataset, seed: int = 0, *, device=None, dtype=None) -> Seq2SeqTransformer:
    """``boltzgym fit transformer``'s model over the token vocabulary plus a start token."""
    with seeded(seed):
        return Seq2SeqTransformer(
            N_SYMBOLS + 1, bos_token=N_SYMBOLS, **model_kwargs(config), device=device, dtype=dtype
        )


def build_seq2seq(config, dataset: Dataset, seed: int = 0, *, device=None, dtype=None) -> Seq2SeqLSTM:
    """``boltzgym fit seq2seq``'s LSTM encoder-decoder over the token vocabulary plus a start token."""
    with seeded(seed):
        return Seq2SeqLSTM(N_SYMBOLS + 1, bos_token=N_SYMBOLS, **model_kwargs(config), device=device, dtype=dtype)


@honours_device
def train_transformer(config, dataset: Dataset, *, seed=0, **kwargs) -> dict:
    """``boltzgym fit transformer``: token sequence to token sequence (copy-T, reverse-T)."""
    return _train_seq2seq(build_transformer(config, dataset, seed), config, dataset, seed=seed, **kwargs)


@honours_device
def train_seq2seq(config, dataset: Dataset, *, seed=0, **kwargs) -> dict:
    """``boltzgym fit seq2seq``: the LSTM encoder-decoder on copy-T / reverse-T."""
    return _train_seq2seq(build_seq2seq(config, dataset, seed), config, dataset, seed=seed, **kwargs)


@_one_torch_thread()
def _train_seq2seq(model, config, dataset: Dataset, *, epochs=None, seed=0, **kwargs) -> dict:
    """Teacher-forced training of a token-to-token model, then exact match of greedy decoding on the test set."""
    if dataset.kind != "sequence" or dataset.x_train.ndim != 2:
        raise ValueError(
            f"data {dataset.name!r}: sequence-to-sequence models train on token sequences such as reverse-T"
        )
    x_train, x_test = dataset.x_train, dataset.x_test
    if config.reverse_input:  # Sutskever et al. 2014: the source reversed, the target unchanged
        x_train, x_test = x_train[:, ::-1].copy(), x_test[:, ::-1].copy()
    loss_fn = _teacher_forcing_loss(model)
    result = fit(model, (x_train, dataset.y_train), loss=loss_fn, **fit_arguments(config, model, epochs), seed=seed,
                 **kwargs)  # fmt: skip
    model.cpu().eval()  # the scores and greedy decoding below run on CPU tensors
    with torch.no_grad():
        test_loss = float(loss_fn(model, (torch.as_tensor(x_test), torch.as_tensor(dataset.y_test))))
        train_loss = float(loss_fn(model, (torch.as_tensor(x_train[:2000]),
                                           torch.as_tensor(dataset.y_train[:2000]))))  # fmt: skip
    return fit_summary(model, result, train_loss, test_loss, exact_match(model, x_test, dataset.y_test))
