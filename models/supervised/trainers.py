"""The supervised models of ``boltzgym fit``: MLP, RBF network and logistic regression (notes 1.1-2.3).

Each has a config dataclass (the ``--set`` keys) and a ``train_*`` function that the registry calls:
``train_mlp(config, dataset, *, epochs, seed, run_dir, resume, progress, device) -> summary``. They share
:func:`train_supervised`, which builds the loss from the dataset's kind (cross-entropy with optional label
smoothing for classification, MSE for regression), trains through ``boltzgym.models.training.fit`` and scores the
test set.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch
from torch import nn

from boltzgym.models.config import TrainSettings, fit_arguments, honours_device, model_config, model_kwargs, seeded
from boltzgym.models.datasets import Dataset
from boltzgym.models.supervised.mlp import MLP, activation_layer
from boltzgym.models.supervised.neurons import RBFLayer
from boltzgym.models.training import evaluate, fit
from boltzgym.utils.resources import array_bytes, check_memory
from boltzgym.utils.validation import check_probability, check_widths

# the training defaults of the supervised models (AdamW, a validation split with early stopping; notes 2.3)
SUPERVISED_TRAINING = TrainSettings(epochs=40, optimizer="adamw", weight_decay=1e-4, validation_split=0.1, patience=10)
"""The supervised models' training defaults (``fit mlp|rbf|logistic``): 40 epochs of AdamW with weight decay 1e-4,
10% of the rows held out, early stopping after 10 epochs without improvement."""


class _MLPChecks:
    """The MLP keys checked when the config is made, before any run folder exists."""

    def check(self) -> None:
        self.hidden_sizes = check_widths("hidden_sizes", list(self.hidden_sizes), allow_empty=True)
        activation_layer(self.activation)
        self.dropout = check_probability("dropout", self.dropout)
        if self.dropout >= 1:
            raise ValueError(f"dropout must be < 1, got {self.dropout}")


MLPConfig = model_config(
    "MLPConfig",
    MLP,
    training=SUPERVISED_TRAINING,
    exclude=("in_features", "out_features"),
    # MLP() is also the building block of the GAN players, VAE and Q-networks (no dropout there); as a digits
    # classifier one layer of 256 with dropout 0.2 reaches test accuracy 0.975-0.981 over seeds 0-4 (README)
    defaults={"hidden_sizes": (256,), "dropout": 0.2},
    bases=(_MLPChecks,),
    doc="The MLP of ``boltzgym fit mlp``: the supervised training settings plus MLP's constructor parameters.",
)
"""The MLP of ``boltzgym fit mlp``: the supervised training settings plus MLP's constructor parameters."""
RBFConfig = model_config(
    "RBFConfig",
    RBFLayer,
    training=dataclasses.replace(SUPERVISED_TRAINING, learning_rate=1e-2),
    exclude=("in_features", "centers"),
    # beta none: 1 / mean squared distance from the training rows to the initial centres (a width on the data's scale)
    defaults={"n_centers": 200, "beta": None},
    doc="The RBF network of ``boltzgym fit rbf``: RBF units (centres initialised on training rows) + linear readout.",
)
"""The RBF network of ``boltzgym fit rbf``: RBF units (centres initialised on training rows) + linear readout."""
LogisticConfig = model_config(
    "LogisticConfig",
    nn.Linear,
    training=dataclasses.replace(SUPERVISED_TRAINING, learning_rate=1e-2),
    exclude=("in_features", "out_features"),
    doc="Logistic (softmax) regression of ``boltzgym fit logistic``: one linear layer and cross-entropy.",
)
"""Logistic (softmax) regression of ``boltzgym fit logistic``: one linear layer and cross-entropy."""


def n_parameters(model: nn.Module) -> int:
    """The number of trainable scalars of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def train_supervised(
    model: nn.Module,
    config,
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
        **fit_arguments(config, model, epochs),
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


def build_mlp(config, dataset: Dataset, seed: int = 0, *, device=None, dtype=None) -> nn.Module:
    """``boltzgym fit mlp``'s net for ``dataset``: flatten, then :class:`~boltzgym.models.supervised.mlp.MLP`
    (``device``, ``dtype``: torch's factory keywords, as every ``build_*``)."""
    with seeded(seed):  # the initial weights come from the seed
        return nn.Sequential(
            nn.Flatten(),
            MLP(dataset.n_features, out_features=dataset.n_outputs, **model_kwargs(config), device=device, dtype=dtype),
        )


def build_logistic(config, dataset: Dataset, seed: int = 0, *, device=None, dtype=None) -> nn.Module:
    """One linear layer (softmax regression; linear regression on a regression set)."""
    with seeded(seed):
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(dataset.n_features, dataset.n_outputs, **model_kwargs(config), device=device, dtype=dtype),
        )


def build_rbf(config, dataset: Dataset, seed: int = 0, *, device=None, dtype=None) -> nn.Module:
    """RBF units centred on ``n_centers`` random training rows, then a linear readout (notes 1.1)."""
    x = dataset.x_train.reshape(len(dataset.x_train), -1).astype(np.float32)
    shape = (config.n_centers, x.shape[1])  # the centres, copied from the rows before the layer is built
    check_memory(array_bytes(shape, np.float32, "n_centers"), "--set n_centers", f"{shape[0]:,} RBF centres")
    rows = np.random.default_rng(seed).choice(len(x), size=config.n_centers, replace=config.n_centers > len(x))
    centers = torch.from_numpy(x[rows])
    beta = config.beta
    if beta is None:  # a width on the scale of the data: mean squared distance from the rows to the centres
        beta = 1.0 / float(torch.cdist(torch.from_numpy(x), centers).pow(2).mean().clamp_min(1e-12))
    with seeded(seed):
        return nn.Sequential(
            nn.Flatten(),
            RBFLayer(
                x.shape[1],
                config.n_centers,
                beta=beta,
                centers=centers,
                trainable_beta=config.trainable_beta,
                device=device,
                dtype=dtype,
            ),  # fmt: skip
            nn.Linear(config.n_centers, dataset.n_outputs, device=device, dtype=dtype),
        )


def _supervised_trainer(build, name: str, what: str):
    @honours_device
    def train(config, dataset: Dataset, *, seed: int = 0, **kwargs) -> dict:
        return train_supervised(build(config, dataset, seed), config, dataset, seed=seed, **kwargs)

    train.__name__ = train.__qualname__ = f"train_{name}"
    train.__doc__ = f"``boltzgym fit {name}``: {what} (:func:`build_{name}`) trained by :func:`train_supervised`."
    return train


train_mlp = _supervised_trainer(build_mlp, "mlp", "an MLP")
"""``boltzgym fit mlp``'s trainer: ``train(config, dataset, *, epochs, seed, run_dir, resume, progress, device) ->
summary``."""
train_logistic = _supervised_trainer(build_logistic, "logistic", "one linear layer")
"""``boltzgym fit logistic``'s trainer: ``train(config, dataset, *, epochs, seed, run_dir, resume, progress, device)
-> summary``."""
train_rbf = _supervised_trainer(build_rbf, "rbf", "an RBF network")
"""``boltzgym fit rbf``'s trainer: ``train(config, dataset, *, epochs, seed, run_dir, resume, progress, device) ->
summary``."""
