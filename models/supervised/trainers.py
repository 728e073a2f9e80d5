"""The supervised models of ``boltzgym fit``: MLP, RBF network and logistic regression (notes 1.1-2.3).

Each has a config dataclass (the ``--set`` keys) and a ``train_*`` function that the registry calls:
``train_mlp(config, dataset, *, epochs, seed, run_dir, resume, progress, device) -> summary``. They share
:func:`train_supervised`, which builds the loss from the dataset's kind (cross-entropy with optional label
smoothing for classification, MSE for regression), trains through ``boltzgym.models.training.fit`` and scores the
test set.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from boltzgym.models.datasets import Dataset
from boltzgym.models.supervised.mlp import MLP, activation_layer
from boltzgym.models.supervised.neurons import RBFLayer
from boltzgym.models.training import OPTIMIZERS, evaluate, fit
from boltzgym.utils.validation import (
    check_count,
    check_int,
    check_positive,
    check_probability,
    check_widths,
)


@dataclass
class TrainConfig:
    """Training settings shared by the supervised models (all ``--set`` keys)."""

    epochs: int = 40  # passes over the training set
    batch_size: int = 64  # rows per mini-batch
    lr: float = 1e-3  # learning rate
    optimizer: str = "adamw"  # sgd | adam | adamw | rmsprop | rprop (torch's)
    weight_decay: float = 1e-4  # decoupled L2 weight decay of the optimizer (notes 2.3)
    validation_split: float = 0.1  # fraction of the training rows held out for validation / early stopping
    patience: int | None = 10  # early stopping: epochs without val_loss improvement (none = off)
    clip_grad_norm: float | None = None  # gradient-norm clipping (notes 2.3 suggest 5)
    label_smoothing: float = 0.0  # cross-entropy label smoothing (classification)
    input_noise: float = 0.0  # std of Gaussian noise added to inputs while training (notes 2.3)

    def __post_init__(self) -> None:
        self.epochs = check_count("epochs", self.epochs, minimum=1)
        self.batch_size = check_count("batch_size", self.batch_size, minimum=1)
        self.lr = check_positive("lr", self.lr)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {self.optimizer!r}")
        self.weight_decay = check_positive("weight_decay", self.weight_decay, allow_zero=True)
        self.validation_split = check_probability("validation_split", self.validation_split)
        if self.validation_split >= 1:
            raise ValueError(f"validation_split must be < 1, got {self.validation_split}")
        if self.patience is not None:
            self.patience = check_int("patience", self.patience, minimum=1)
        if self.clip_grad_norm is not None:
            self.clip_grad_norm = check_positive("clip_grad_norm", self.clip_grad_norm)
        self.label_smoothing = check_probability("label_smoothing", self.label_smoothing)
        self.input_noise = check_positive("input_noise", self.input_noise, allow_zero=True)


@dataclass
class MLPConfig(TrainConfig):
    """The MLP of ``boltzgym fit mlp``: training settings plus the architecture."""

    hidden_sizes: tuple[int, ...] = (256,)  # hidden layer widths
    activation: str = "relu"  # relu | tanh | sigmoid
    dropout: float = 0.2  # dropout probability of hidden units (notes 2.3)
    batch_norm: bool = False  # BatchNorm1d after each hidden layer (notes 2.1)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.hidden_sizes = check_widths("hidden_sizes", list(self.hidden_sizes), allow_empty=True)
        activation_layer(self.activation)
        self.dropout = check_probability("dropout", self.dropout)
        if self.dropout >= 1:
            raise ValueError(f"dropout must be < 1, got {self.dropout}")


@dataclass
class RBFConfig(TrainConfig):
    """The RBF network of ``boltzgym fit rbf``: RBF units (centres initialised on training rows) + linear readout."""

    n_centers: int = 200  # RBF units
    beta: float | None = None  # width; none = 1 / mean squared distance from the rows to the initial centres
    trainable_beta: bool = False  # learn beta as well as the centres
    lr: float = 1e-2

    def __post_init__(self) -> None:
        super().__post_init__()
        self.n_centers = check_int("n_centers", self.n_centers, minimum=1)
        if self.beta is not None:
            self.beta = check_positive("beta", self.beta)


@dataclass
class LogisticConfig(TrainConfig):
    """Logistic (softmax) regression of ``boltzgym fit logistic``: one linear layer and cross-entropy."""

    lr: float = 1e-2


def n_parameters(model: nn.Module) -> int:
    """The number of trainable scalars of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def train_supervised(
    model: nn.Module,
    config: TrainConfig,
    dataset: Dataset,
    *,
    epochs: int | None = None,
    seed: int = 0,
    run_dir: str | Path | None = None,
    resume: bool = False,
    progress: bool = False,
    device: str = "auto",
    checkpoint_every: int = 1,
) -> dict:
    """Train ``model`` on ``dataset`` with ``config`` through ``fit``; return the summary (see the registry).
    ``checkpoint_every``: epochs between checkpoints in ``run_dir`` (and at the end), for models of tiny epochs."""
    if dataset.kind == "classification":
        loss: nn.Module = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    elif dataset.kind == "regression":
        loss = nn.MSELoss()
    else:
        raise ValueError(f"data {dataset.name!r} is {dataset.kind}; these models need classification or regression")
    result = fit(
        model,
        dataset.train,
        loss=loss,
        optimizer=_optimizer(config, model),
        epochs=config.epochs if epochs is None else epochs,
        batch_size=config.batch_size,
        validation_split=config.validation_split,
        early_stopping_patience=config.patience if config.validation_split > 0 else None,
        clip_grad_norm=config.clip_grad_norm,
        input_noise=config.input_noise,
        seed=seed,
        device=device,
        run_dir=run_dir,
        resume=resume,
        checkpoint_every=checkpoint_every,
        progress=progress,
    )
    scoring_loss = nn.CrossEntropyLoss() if dataset.kind == "classification" else loss  # no smoothing when scoring
    train_scores = evaluate(model, dataset.train, scoring_loss, device=device)
    test_scores = evaluate(model, dataset.test, scoring_loss, device=device)
    return fit_summary(model, result, train_scores["loss"], test_scores["loss"], test_scores.get("accuracy"))


def fit_summary(model: nn.Module, result, train_loss, test_loss, test_accuracy=None) -> dict:
    """The summary every registered model's ``train`` returns (see ``boltzgym.models.registry``), from the model,
    ``fit``'s ``FitResult`` and the scores; ``test_accuracy`` is ``None`` where accuracy means nothing."""
    return {
        "n_parameters": n_parameters(model),
        "epochs": result.epochs,
        "train_loss": train_loss,
        "test_loss": test_loss,
        "test_accuracy": test_accuracy,
        "checkpoint": None if result.checkpoint is None else str(result.checkpoint),
        "stop_reason": result.stop_reason,
        "best_epoch": result.best_epoch,
        "history": result.history,
        "model": model,
    }


def _optimizer(config: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    """The config's torch optimizer; ``weight_decay`` only where that optimizer has it (Rprop has none)."""
    optimizer_class = OPTIMIZERS[config.optimizer]
    if config.weight_decay == 0:
        return optimizer_class(model.parameters(), lr=config.lr)
    if "weight_decay" not in inspect.signature(optimizer_class).parameters:
        raise ValueError(f"weight_decay: optimizer {config.optimizer!r} has none; --set weight_decay=0")
    return optimizer_class(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)


def train_mlp(config: MLPConfig, dataset: Dataset, *, seed: int = 0, **kwargs) -> dict:
    """``boltzgym fit mlp``: an :class:`~boltzgym.models.supervised.mlp.MLP` trained by :func:`train_supervised`."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # the initial weights come from the seed
        model = MLP(
            dataset.n_features,
            config.hidden_sizes,
            dataset.n_outputs,
            activation=config.activation,
            batch_norm=config.batch_norm,
            dropout=config.dropout,
        )
    return train_supervised(nn.Sequential(nn.Flatten(), model), config, dataset, seed=seed, **kwargs)


def train_logistic(config: LogisticConfig, dataset: Dataset, *, seed: int = 0, **kwargs) -> dict:
    """``boltzgym fit logistic``: one linear layer (softmax regression; linear regression on a regression set)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Flatten(), nn.Linear(dataset.n_features, dataset.n_outputs))
    return train_supervised(model, config, dataset, seed=seed, **kwargs)


def train_rbf(config: RBFConfig, dataset: Dataset, *, seed: int = 0, **kwargs) -> dict:
    """``boltzgym fit rbf``: RBF units centred on random training rows, then a linear readout (notes 1.1)."""
    x = dataset.x_train.reshape(len(dataset.x_train), -1).astype(np.float32)
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(x), size=config.n_centers, replace=config.n_centers > len(x))
    centers = torch.from_numpy(x[rows])
    beta = config.beta
    if beta is None:  # a width on the scale of the data: mean squared distance from the rows to the centres
        beta = 1.0 / float(torch.cdist(torch.from_numpy(x), centers).pow(2).mean().clamp_min(1e-12))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(
            nn.Flatten(),
            RBFLayer(x.shape[1], config.n_centers, beta=beta, centers=centers, trainable_beta=config.trainable_beta),
            nn.Linear(config.n_centers, dataset.n_outputs),
        )
    return train_supervised(model, config, dataset, seed=seed, **kwargs)
