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

from boltzgym.models.datasets import Dataset
from boltzgym.models.sequence.ctc_tasks import ctc_batch_loss, label_error_rates
from boltzgym.models.sequence.recurrent import DEFAULT_CLIP_GRAD_NORM, SequenceRegressor
from boltzgym.models.sequence.seq2seq import Seq2SeqLSTM
from boltzgym.models.sequence.tasks import N_SYMBOLS
from boltzgym.models.sequence.transformer import Seq2SeqTransformer
from boltzgym.models.supervised.trainers import fit_summary
from boltzgym.models.training import OPTIMIZERS, evaluate, fit, torch_threads
from boltzgym.utils.validation import check_int


@dataclass
class RecurrentConfig:
    """``boltzgym fit rnn|lstm|gru``: a recurrent torso and a linear head (``--set`` keys)."""

    hidden_size: int = 64  # units per layer
    num_layers: int = 1  # stacked layers (notes 4.2: deep RNN)
    bidirectional: bool = False  # a second, time-reversed direction
    epochs: int = 10  # passes over the training set
    batch_size: int = 64  # sequences per mini-batch
    lr: float = 3e-3  # Adam learning rate
    clip_grad_norm: float = DEFAULT_CLIP_GRAD_NORM  # on by default (notes 4.2: exploding gradients)
    fused: bool = True  # train on torch's fused kernels (same weights as the gate-by-gate cells)

    def __post_init__(self) -> None:
        self.hidden_size = check_int("hidden_size", self.hidden_size, minimum=1)
        self.num_layers = check_int("num_layers", self.num_layers, minimum=1)
        self.epochs = check_int("epochs", self.epochs, minimum=1)
        self.batch_size = check_int("batch_size", self.batch_size, minimum=1)


@dataclass
class TransformerConfig:
    """``boltzgym fit transformer``: a seq2seq Transformer trained with teacher forcing (``--set`` keys)."""

    d_model: int = 64
    nhead: int = 4
    num_layers: int = 2
    dim_feedforward: int = 128
    norm_first: bool = True  # pre-norm (False: the paper's post-norm)
    epochs: int = 3  # reverse-10: exact-match 1.0 on held-out sequences after ~940 steps (README, seeds 0-2)
    batch_size: int = 64
    lr: float = 1e-3
    clip_grad_norm: float = DEFAULT_CLIP_GRAD_NORM
    reverse_input: bool = False  # feed the source reversed (Sutskever et al. 2014; notes 4.1)


@dataclass
class Seq2SeqConfig:
    """``boltzgym fit seq2seq``: the LSTM encoder-decoder of Sutskever et al. 2014, teacher forcing (``--set`` keys)."""

    embedding_dim: int = 32
    hidden_size: int = 128
    num_layers: int = 1
    epochs: int = 5
    batch_size: int = 64
    lr: float = 3e-3
    clip_grad_norm: float = DEFAULT_CLIP_GRAD_NORM
    reverse_input: bool = False  # feed the source reversed: short dependencies between source and target starts


def _one_torch_thread():
    """Torch on one thread inside the block: these small sequence models run faster without intra-op threads (on a
    shared 2-core machine the transformer's steps were measured ~10x slower with torch's default thread count)."""
    return torch_threads(1)


@_one_torch_thread()
def _train_recurrent(cell: str, config: RecurrentConfig, dataset: Dataset, *, epochs=None, seed=0, **kwargs) -> dict:
    ctc = dataset.metadata.get("task") == "ctc"  # ctc-digits: per-frame class scores trained with nn.CTCLoss
    if not ctc and (dataset.kind != "regression" or dataset.x_train.ndim != 3):
        raise ValueError(
            f"data {dataset.name!r}: {cell} trains on a (n, T, features) regression set such as adding-T, or on "
            "ctc-digits"
        )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = SequenceRegressor(cell, dataset.x_train.shape[2], config.hidden_size,
                                  dataset.n_classes + 1 if ctc else dataset.n_outputs, config.num_layers,
                                  config.bidirectional, per_step=ctc, fused=config.fused)  # fmt: skip
    loss = ctc_batch_loss if ctc else "mse"
    result = fit(model, dataset.train, loss=loss, optimizer=OPTIMIZERS["adam"](model.parameters(), lr=config.lr),
                 epochs=config.epochs if epochs is None else epochs, batch_size=config.batch_size,
                 clip_grad_norm=config.clip_grad_norm, seed=seed, **kwargs)  # fmt: skip
    device = kwargs.get("device", "auto")
    if not ctc:
        train_loss = evaluate(model, dataset.train, nn.MSELoss(), device=device)["loss"]
        test_loss = evaluate(model, dataset.test, nn.MSELoss(), device=device)["loss"]
        return fit_summary(model, result, train_loss, test_loss, None)
    model.cpu().eval()
    with torch.no_grad():
        train_loss, test_loss = (float(ctc_batch_loss(model, tuple(map(torch.as_tensor, data))))
                                 for data in (dataset.train, dataset.test))  # fmt: skip
    return {**fit_summary(model, result, train_loss, test_loss, None),
            **label_error_rates(model, dataset.x_test, dataset.y_test)}  # fmt: skip


def train_rnn(config: RecurrentConfig, dataset: Dataset, **kwargs) -> dict:
    """``boltzgym fit rnn``: Elman RNN on a sequence regression set."""
    return _train_recurrent("rnn", config, dataset, **kwargs)


def train_lstm(config: RecurrentConfig, dataset: Dataset, **kwargs) -> dict:
    """``boltzgym fit lstm``."""
    return _train_recurrent("lstm", config, dataset, **kwargs)


def train_gru(config: RecurrentConfig, dataset: Dataset, **kwargs) -> dict:
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


def train_transformer(config: TransformerConfig, dataset: Dataset, *, seed=0, **kwargs) -> dict:
    """``boltzgym fit transformer``: token sequence to token sequence (copy-T, reverse-T)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Seq2SeqTransformer(N_SYMBOLS + 1, config.d_model, config.nhead, config.num_layers,
                                   config.dim_feedforward, norm_first=config.norm_first,
                                   bos_token=N_SYMBOLS)  # fmt: skip
    return _train_seq2seq(model, config, dataset, seed=seed, **kwargs)


def train_seq2seq(config: Seq2SeqConfig, dataset: Dataset, *, seed=0, **kwargs) -> dict:
    """``boltzgym fit seq2seq``: the LSTM encoder-decoder on copy-T / reverse-T."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Seq2SeqLSTM(N_SYMBOLS + 1, config.embedding_dim, config.hidden_size, config.num_layers,
                            bos_token=N_SYMBOLS)  # fmt: skip
    return _train_seq2seq(model, config, dataset, seed=seed, **kwargs)


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
    kwargs.pop("device", None)  # CPU: decoding below runs on CPU tensors
    result = fit(model, (x_train, dataset.y_train), loss=loss_fn,
                 optimizer=OPTIMIZERS["adam"](model.parameters(), lr=config.lr),
                 epochs=config.epochs if epochs is None else epochs, batch_size=config.batch_size,
                 clip_grad_norm=config.clip_grad_norm, seed=seed, device="cpu", **kwargs)  # fmt: skip
    model.eval()
    with torch.no_grad():
        test_loss = float(loss_fn(model, (torch.as_tensor(x_test), torch.as_tensor(dataset.y_test))))
        train_loss = float(loss_fn(model, (torch.as_tensor(x_train[:2000]),
                                           torch.as_tensor(dataset.y_train[:2000]))))  # fmt: skip
    return fit_summary(model, result, train_loss, test_loss, exact_match(model, x_test, dataset.y_test))
