"""The one training loop: reproducibility, resume, early stopping, clipping, divergence, hooks and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from boltzgym.models.supervised.mlp import MLP
from boltzgym.models.training import FitResult, TrainingDiverged, evaluate, fit, resolve_device


def _blobs(n=96, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    x = rng.normal(size=(n, 4)).astype(np.float32) + 2.0 * np.eye(3, 4, dtype=np.float32)[y]
    return x, y


def _net(seed=0, dropout=0.2):
    torch.manual_seed(seed)
    return MLP(4, [16], 3, dropout=dropout)


def _weights(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def _rows(history):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in history]


def test_same_seed_same_result_and_the_loss_goes_down():
    data = _blobs()
    a, b, c = _net(), _net(), _net()
    result = fit(a, data, epochs=5, batch_size=16, learning_rate=0.01, seed=3, validation_split=0.25)
    fit(b, data, epochs=5, batch_size=16, learning_rate=0.01, seed=3, validation_split=0.25)
    fit(c, data, epochs=5, batch_size=16, learning_rate=0.01, seed=4, validation_split=0.25)
    assert torch.equal(_weights(a), _weights(b))
    assert not torch.equal(_weights(a), _weights(c))  # the seed drives the shuffles and dropout
    assert isinstance(result, FitResult) and result.epochs == 5 and result.stop_reason == "epochs"
    losses = [row["train_loss"] for row in result.history]
    assert losses[-1] < 0.6 * losses[0]
    assert {"epoch", "train_loss", "val_loss", "val_accuracy", "learning_rate", "seconds"} <= set(result.history[-1])
    assert not a.training  # left in eval mode


def test_fit_does_not_touch_the_global_rng():
    model, data = _net(), _blobs()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    fit(model, data, epochs=1, batch_size=32)  # dropout draws inside fit come from its own seeded fork
    assert torch.equal(torch.rand(3), expected)


def test_resume_equals_the_uninterrupted_run(tmp_path):
    data = _blobs()
    settings = dict(
        epochs=4, batch_size=16, learning_rate=0.01, seed=1, validation_split=0.25, early_stopping_patience=3
    )
    whole = _net()
    whole_result = fit(whole, data, optimizer="adam", run_dir=tmp_path / "whole", **settings)
    part = _net()
    fit(part, data, optimizer="adam", run_dir=tmp_path / "part", **{**settings, "epochs": 2})
    resumed = _net(seed=99)  # other initial weights: the checkpoint replaces them
    resumed_result = fit(resumed, data, optimizer="adam", run_dir=tmp_path / "part", resume=True, **settings)
    assert torch.equal(_weights(whole), _weights(resumed))
    assert _rows(whole_result.history) == _rows(resumed_result.history)
    assert (tmp_path / "part" / "metrics.csv").read_text().count("\n") == 5  # header + 4 epochs
    with pytest.raises(ValueError, match="resume: batch_size is 8 but the checkpoint"):
        fit(_net(), data, run_dir=tmp_path / "part", resume=True, **{**settings, "batch_size": 8})
    # the optimizer state would silently restore the old step size: another learning rate or optimizer is refused
    with pytest.raises(ValueError, match="resume: learning_rate is 0.5 but the checkpoint .* written with 0.01"):
        fit(_net(), data, run_dir=tmp_path / "part", resume=True, **{**settings, "learning_rate": 0.5})
    with pytest.raises(ValueError, match="resume: optimizer is 'sgd' but the checkpoint .* written with 'adam'"):
        fit(_net(), data, optimizer="sgd", run_dir=tmp_path / "part", resume=True, **settings)


def test_early_stopping_restores_the_best_weights(tmp_path):
    x, y = _blobs(seed=0)
    rng = np.random.default_rng(5)
    noisy_validation = (x[:32] + rng.normal(size=(32, 4)).astype(np.float32), rng.integers(0, 3, size=32))
    model = _net(dropout=0.0)
    result = fit(
        model,
        (x, y),
        epochs=200,
        batch_size=8,
        learning_rate=0.05,
        validation_data=noisy_validation,
        early_stopping_patience=3,
        run_dir=tmp_path,
    )
    assert result.stop_reason == "early_stopping"
    val_losses = [row["val_loss"] for row in result.history]
    assert result.best_epoch == int(np.argmin(val_losses)) + 1
    assert result.epochs == result.best_epoch + 3
    assert evaluate(model, noisy_validation, "cross_entropy")["loss"] == pytest.approx(min(val_losses), rel=1e-5)
    # resuming a run that stopped early does not train on: it restores the same best weights
    again = _net(seed=5, dropout=0.0)
    resumed = fit(
        again,
        (x, y),
        epochs=200,
        batch_size=8,
        learning_rate=0.05,
        validation_data=noisy_validation,
        early_stopping_patience=3,
        run_dir=tmp_path,
        resume=True,
    )
    assert resumed.epochs == result.epochs and resumed.stop_reason == "early_stopping"
    assert torch.equal(_weights(again), _weights(model))


def test_gradient_clipping_bounds_the_step():
    x, y = _blobs(n=32)
    model = _net(dropout=0.0)
    before = _weights(model).clone()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    result = fit(model, (x, y * 0), optimizer=optimizer, epochs=1, batch_size=32, clip_grad_norm=1e-3, shuffle=False)
    assert result.history[0]["grad_norm"] > 1e-3  # the unclipped norm is logged
    assert torch.linalg.vector_norm(_weights(model) - before) == pytest.approx(1e-3, rel=1e-4)


def test_divergence_stops_with_a_clear_error_and_keeps_the_last_good_state(tmp_path):
    calls = {"n": 0}

    def unstable_loss(model, batch):
        calls["n"] += 1
        value = nn.functional.cross_entropy(model(batch[0]), batch[1])
        return value * (math.nan if calls["n"] > 5 else 1.0)  # 3 batches per epoch: epoch 2 breaks

    model = _net(dropout=0.0)
    with pytest.raises(TrainingDiverged, match=r"diverged at epoch 2, batch 3: the loss is nan.*epoch 1"):
        fit(model, _blobs(), loss=unstable_loss, epochs=5, batch_size=32, run_dir=tmp_path)
    assert torch.isfinite(_weights(model)).all()
    from boltzgym.models.fit_checkpoint import CHECKPOINT_VERSION
    from boltzgym.utils.checkpoint import load_checkpoint

    checkpoint = load_checkpoint(tmp_path / "checkpoint", "boltzgym-fit", CHECKPOINT_VERSION)
    assert checkpoint.counters["epoch"] == 1
    for key, value in checkpoint.states["model.pt"].items():
        assert torch.equal(value, model.state_dict()[key])  # the model holds the checkpoint's weights
    # with a checkpoint every 2 epochs, a divergence in epoch 4 points at the checkpoint of epoch 2
    calls["n"] = -6  # 3 batches per epoch: epochs 1-3 are fine
    with pytest.raises(TrainingDiverged, match=r"epoch 4, batch 3.*last good checkpoint \(epoch 2\)"):
        fit(_net(), _blobs(), loss=unstable_loss, epochs=5, batch_size=32, run_dir=tmp_path / "b", checkpoint_every=2)


def test_loss_fn_hook_logs_named_losses():
    def two_part_loss(model, batch):
        output = model(batch[0])
        return {"ce": nn.functional.cross_entropy(output, batch[1]), "l2": 1e-3 * output.pow(2).mean()}

    result = fit(_net(), _blobs(), loss=two_part_loss, epochs=2, batch_size=32, validation_split=0.25)
    row = result.history[-1]
    assert row["train_loss"] == pytest.approx(row["losses/ce"] + row["losses/l2"], rel=1e-5)
    assert row["val_loss"] == pytest.approx(row["val_ce"] + row["val_l2"], rel=1e-5)


class _TwoPlayer(nn.Module):
    """A toy model with two optimizers: each player fits the data mean in its own step."""

    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.zeros(2))
        self.b = nn.Parameter(torch.zeros(2))

    def training_step(self, batch, optimizers):
        losses = {}
        for name, parameter in (("a", self.a), ("b", self.b)):
            loss = (batch[0] - parameter).pow(2).mean()
            optimizers[name].zero_grad()
            loss.backward()
            optimizers[name].step()
            losses[name] = loss
        return losses


def test_training_step_hook_with_several_optimizers_resumes(tmp_path):
    x = (np.arange(40, dtype=np.float32).reshape(20, 2) / 20.0,)

    def run(epochs, model, resume=False):
        optimizers = {"a": torch.optim.SGD([model.a], lr=0.1), "b": torch.optim.Adam([model.b], lr=0.05)}
        return fit(
            model,
            x,
            loss=None,
            optimizer=optimizers,
            epochs=epochs,
            batch_size=5,
            run_dir=tmp_path / str(resume),
            resume=resume,
        )

    whole = _TwoPlayer()
    history = run(6, whole).history
    assert history[-1]["losses/a"] < history[0]["losses/a"] and "losses/b" in history[-1]
    part = _TwoPlayer()
    fit_part = run(3, part, resume=True)  # no checkpoint yet: starts fresh
    assert fit_part.epochs == 3
    resumed = _TwoPlayer()
    run(6, resumed, resume=True)
    assert torch.equal(resumed.a, whole.a) and torch.equal(resumed.b, whole.b)


def test_bad_input_errors_name_the_argument():
    x, y = _blobs(n=8)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"data\[0\] holds NaN or inf \(first in row 3\)"):
        fit(_net(), (bad, y))
    with pytest.raises(ValueError, match="different row counts"):
        fit(_net(), (x, y[:5]))
    with pytest.raises(ValueError, match=r"data y has rows of shape \(\) but the model outputs \(3,\)"):
        fit(_net(), (x, y.astype(np.float32)), loss="mse")
    with pytest.raises(ValueError, match=r"data x has rows of shape \(5,\), which the model cannot take"):
        fit(_net(), (np.zeros((8, 5), np.float32), y))
    with pytest.raises(ValueError, match=r"data y holds labels in \[0, 7\] but the model outputs 3 classes"):
        fit(_net(), (x, np.arange(8)))
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        fit(_net(), (x, y), learning_rate=0.0)
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        fit(_net(), (x, y), epochs=0)
    with pytest.raises(ValueError, match="loss must be one of"):
        fit(_net(), (x, y), loss="hinge")
    with pytest.raises(ValueError, match="optimizer must be one of"):
        fit(_net(), (x, y), optimizer="lbfgs2")
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        fit(lambda v: v, (x, y))
    with pytest.raises(ValueError, match="needs run_dir"):
        fit(_net(), (x, y), resume=True)
    with pytest.raises(ValueError, match="monitor='val_loss' needs"):
        fit(_net(), (x, y), monitor="val_loss")
    with pytest.raises(ValueError, match="device must be"):
        resolve_device("tpu:banana")
    assert resolve_device("auto").type in ("cpu", "cuda")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal of an absent CUDA device")
def test_an_absent_device_is_refused_not_replaced_by_the_cpu():
    with pytest.raises(ValueError, match=r"^--device cuda: CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(ValueError, match=r"^--device cuda:1: CUDA is not available"):
        resolve_device(torch.device("cuda", 1))
    model = _net()
    before = [p.clone() for p in model.parameters()]
    with pytest.raises(ValueError, match="--device cuda"):
        fit(model, (torch.randn(8, 4), torch.randint(0, 2, (8,))), device="cuda")
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # refused before any work


def test_an_interrupted_fit_says_where_its_checkpoint_is_and_resumes(tmp_path):
    calls = {"n": 0}

    def interrupted_loss(model, batch):
        calls["n"] += 1
        if calls["n"] == 8:  # 3 batches per epoch: Ctrl-C in epoch 3
            raise KeyboardInterrupt
        return nn.functional.cross_entropy(model(batch[0]), batch[1])

    settings = dict(epochs=4, batch_size=32, learning_rate=0.01, seed=2)
    with pytest.raises(KeyboardInterrupt, match="interrupted in epoch 3; the checkpoint of epoch 2 is kept"):
        fit(_net(), _blobs(), loss=interrupted_loss, run_dir=tmp_path / "a", **settings)
    resumed = _net(seed=7)
    fit(resumed, _blobs(), loss=interrupted_loss, run_dir=tmp_path / "a", resume=True, **settings)
    whole = _net()
    fit(whole, _blobs(), loss="cross_entropy", **settings)
    assert torch.equal(_weights(resumed), _weights(whole))


def test_closure_optimizers_such_as_lbfgs_work_unchanged():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32) + 0.25).astype(np.float32)
    model = nn.Linear(3, 1)
    optimizer = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=20)
    result = fit(model, (x, y), loss="mse", optimizer=optimizer, epochs=2, batch_size=64)
    assert result.history[-1]["train_loss"] < 1e-8  # a least-squares problem solved by the quasi-Newton steps
    torch.testing.assert_close(model.weight.detach(), torch.tensor([[1.0, -2.0, 0.5]]), atol=1e-4, rtol=0)
