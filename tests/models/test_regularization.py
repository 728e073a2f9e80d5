"""Regularization of notes 2.3: penalties, input noise, label smoothing, dropout's α scaling, pruning, weight noise."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from boltzgym.models.optim.regularization import (
    NOTES_CLIP_NORM,
    NotesDropout,
    add_weight_noise,
    l1_penalty,
    l2_penalty,
    prune_connections,
)
from boltzgym.models.training import fit


def _net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))


def _data(n=64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64)


def test_penalties_skip_biases_and_l2_is_sgd_weight_decay():
    model = _net()
    weights = [model[0].weight, model[2].weight]
    assert float(l1_penalty(0.1)(model).detach()) == pytest.approx(
        0.1 * sum(float(w.detach().abs().sum()) for w in weights)
    )
    assert float(l2_penalty(0.1)(model).detach()) == pytest.approx(
        0.05 * sum(float(w.detach().pow(2).sum()) for w in weights)
    )
    a, b = _net(), _net()
    data = _data()
    fit(
        a, data, optimizer=torch.optim.SGD(a.parameters(), lr=0.1), epochs=1, batch_size=64, regularizer=l2_penalty(0.3)
    )
    decay = [{"params": [b[0].weight, b[2].weight], "weight_decay": 0.3}, {"params": [b[0].bias, b[2].bias]}]
    fit(b, data, optimizer=torch.optim.SGD(decay, lr=0.1), epochs=1, batch_size=64)
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q)


def test_l1_drives_weights_to_zero():
    plain, sparse = _net(), _net()
    fit(plain, _data(), optimizer="sgd", learning_rate=0.05, epochs=30, batch_size=16)
    fit(sparse, _data(), optimizer="sgd", learning_rate=0.05, epochs=30, batch_size=16, regularizer=l1_penalty(0.05))
    irrelevant = slice(1, 4)  # the label depends on input 0 only
    assert sparse[0].weight[:, irrelevant].abs().sum() < 0.3 * plain[0].weight[:, irrelevant].abs().sum()


def test_input_noise_perturbs_only_training_inputs():
    seen = []

    def recording_loss(model, batch):
        seen.append(batch[0].clone())
        return nn.functional.cross_entropy(model(batch[0]), batch[1])

    x, y = _data(n=2000)
    fit(_net(), (x, y), loss=recording_loss, epochs=1, batch_size=2000, shuffle=False, input_noise=0.3)
    assert float((seen[0] - torch.from_numpy(x)).std()) == pytest.approx(0.3, rel=0.05)


def test_label_smoothing_is_cross_entropy_against_smoothed_targets():
    logits, labels, eps = torch.randn(5, 4), torch.tensor([0, 3, 1, 1, 2]), 0.2
    smoothed = (1 - eps) * nn.functional.one_hot(labels, 4) + eps / 4
    expected = -(smoothed * logits.log_softmax(dim=1)).sum(dim=1).mean()
    torch.testing.assert_close(nn.CrossEntropyLoss(label_smoothing=eps)(logits, labels), expected)


def test_notes_dropout_equals_inverted_dropout_with_next_layer_scaled_by_alpha():
    keep = 0.7
    h = torch.randn(6, 5)
    notes_next, torch_next = nn.Linear(5, 3), nn.Linear(5, 3)
    with torch.no_grad():
        torch_next.weight.copy_(keep * notes_next.weight)  # the notes' test-time weights alpha W
        torch_next.bias.copy_(notes_next.bias)
    notes, inverted = nn.Sequential(NotesDropout(keep), notes_next), nn.Sequential(nn.Dropout(1 - keep), torch_next)
    torch.manual_seed(3)
    train_notes = notes(h)
    torch.manual_seed(3)  # the same mask
    train_torch = inverted(h)
    torch.testing.assert_close(train_notes, train_torch)
    notes.eval(), inverted.eval()
    torch.testing.assert_close(notes(h), inverted(h))  # all units on, weights times alpha == torch's eval net
    # and both are unbiased: the mean training output over many masks is the test output
    notes.train()
    mean = torch.stack([notes[0](h) for _ in range(4000)]).mean(dim=0)
    torch.testing.assert_close(mean, keep * h, atol=0.05, rtol=0.05)


def test_pruned_connections_stay_zero_during_fit():
    model = _net()
    removed = prune_connections(model, 0.5)
    assert removed == (4 * 8 + 8 * 2) // 2
    fit(model, _data(), epochs=3, batch_size=16, learning_rate=0.05)
    assert int((model[0].weight == 0).sum()) == 16 and int((model[2].weight == 0).sum()) == 8
    permanent = prune_connections(_net(), 0.25, permanent=True)
    assert permanent == 8 + 4
    with pytest.raises(ValueError, match=r"amount must be in \[0.0, 1.0\]"):
        prune_connections(_net(), 1.5)


def test_weight_noise_is_on_in_training_and_off_in_eval():
    model = add_weight_noise(_net(), std=0.1)
    x = torch.randn(3, 4)
    model.train()
    assert not torch.equal(model(x), model(x))
    model.eval()
    assert torch.equal(model(x), model(x))
    result = fit(model, _data(), epochs=2, batch_size=16)
    assert len(result.history) == 2 and NOTES_CLIP_NORM == 5.0
