"""ctc-digits: consistent lengths and labels; a few CTC steps lower the loss; the label error rate's edit distance."""

from __future__ import annotations

import numpy as np
import torch

from boltzgym.models.datasets import load_dataset
from boltzgym.models.sequence.ctc_tasks import (
    MAX_FRAMES,
    MIN_FRAMES,
    ctc_batch_loss,
    ctc_digits,
    edit_distance,
    input_lengths,
    label_error_rates,
    target_lengths,
)
from boltzgym.models.sequence.recurrent import SequenceRegressor
from boltzgym.models.training import fit


def test_lengths_and_labels_are_consistent():
    data = ctc_digits(seed=3, n_train=200, n_test=20)
    assert load_dataset("ctc-digits", seed=3).x_train.shape[1:] == data.x_train.shape[1:]
    frames = input_lengths(torch.as_tensor(data.x_train)).numpy()
    np.testing.assert_array_equal(frames, data.metadata["train_lengths"])
    digits = target_lengths(torch.as_tensor(data.y_train)).numpy()
    assert digits.min() >= 1 and ((data.y_train >= 0) == (np.arange(data.y_train.shape[1]) < digits[:, None])).all()
    assert data.y_train.max() <= 9
    repeats = (data.y_train[:, 1:] == data.y_train[:, :-1]) & (data.y_train[:, 1:] >= 0)
    # each digit takes 2-5 frames and 0-2 silent frames separate digits (at least 1 between equal ones)
    assert (frames >= MIN_FRAMES * digits + repeats.sum(axis=1)).all()
    assert (frames <= MAX_FRAMES * digits + 2 * (digits - 1)).all()
    assert (data.x_train[np.arange(200), frames - 1] != 0).any(axis=1).all()  # the last frame is real
    padding = np.arange(data.x_train.shape[1])[None, :] >= frames[:, None]
    assert not data.x_train[padding].any()  # and everything after it is exact zeros
    np.testing.assert_array_equal(ctc_digits(seed=3, n_train=200, n_test=20).x_test, data.x_test)  # same seed


def test_a_few_ctc_steps_lower_the_loss_and_decoding_scores_it():
    data = ctc_digits(seed=0, n_train=64, n_test=8)
    torch.manual_seed(0)
    model = SequenceRegressor("lstm", data.x_train.shape[2], 16, 11, per_step=True)
    batch = tuple(map(torch.as_tensor, data.train))
    with torch.no_grad():
        before = float(ctc_batch_loss(model, batch))
    fit(model, data.train, loss=ctc_batch_loss, optimizer="adam", learning_rate=2e-2, epochs=4, batch_size=16, seed=0,
        device="cpu", clip_grad_norm=1.0)  # fmt: skip
    with torch.no_grad():
        assert float(ctc_batch_loss(model, batch)) < 0.8 * before
    rates = label_error_rates(model, data.x_test, data.y_test, beam_width=4)
    assert set(rates) == {"greedy_label_error_rate", "beam_label_error_rate"}
    assert all(0.0 <= rate <= 1.5 for rate in rates.values())


def test_edit_distance():
    assert edit_distance([1, 2, 3], [1, 2, 3]) == 0
    assert edit_distance([1, 2, 3], [1, 3]) == 1
    assert edit_distance([], [4, 4]) == 2
    assert edit_distance([1, 2, 3, 4], [2, 1, 3, 5]) == 3
