"""Sequence datasets, the recurrent/Transformer trainers on fit (tiny runs) and their registration."""

import numpy as np
import pytest
import torch

from boltzgym.models.datasets import load_dataset
from boltzgym.models.registry import make_config
from boltzgym.models.sequence.tasks import _token_task, adding
from boltzgym.models.sequence.trainers import RecurrentConfig, TransformerConfig, train_lstm, train_transformer


def test_adding_targets_are_the_sum_of_the_marked_values():
    data = adding(20, seed=3, n_train=2000, n_test=10)
    x, y = data.x_train, data.y_train
    assert x.shape == (2000, 20, 2) and y.shape == (2000, 1)
    assert np.all(x[:, :, 1].sum(axis=1) == 2) and np.all(x[:, :10, 1].sum(axis=1) == 1)
    np.testing.assert_allclose(y[:, 0], (x[:, :, 0] * x[:, :, 1]).sum(axis=1), rtol=1e-6)
    assert abs(float(np.mean((y - y.mean()) ** 2)) - 1 / 6) < 0.02  # the trivial predictor's MSE
    np.testing.assert_array_equal(adding(20, seed=3, n_train=2000, n_test=10).x_train, x)


def test_registered_token_tasks():
    data = load_dataset("reverse-7", seed=1)
    assert data.x_train.shape[1] == 7 and data.n_classes == 10
    np.testing.assert_array_equal(data.y_test, data.x_test[:, ::-1])
    copy = load_dataset("copy-3")
    np.testing.assert_array_equal(copy.y_train, copy.x_train)
    assert make_config("lstm", ["hidden_size=8"]).clip_grad_norm > 0  # clipping is on by default


def test_lstm_trains_through_fit_with_clipping():
    data = adding(6, seed=0, n_train=192, n_test=64)
    summary = train_lstm(RecurrentConfig(hidden_size=8, epochs=3), data, seed=0)
    losses = [row["train_loss"] for row in summary["history"]]
    assert losses[-1] < losses[0]
    assert "grad_norm" in summary["history"][0]
    again = train_lstm(RecurrentConfig(hidden_size=8, epochs=3), data, seed=0)
    assert again["test_loss"] == summary["test_loss"]
    with pytest.raises(ValueError, match="regression"):
        train_lstm(RecurrentConfig(), _token_task(4, 0, True, n_train=8, n_test=8))


def test_transformer_trains_through_fit():
    data = _token_task(4, seed=0, reverse=True, n_train=128, n_test=16)
    config = TransformerConfig(d_model=16, nhead=2, num_layers=1, dim_feedforward=32, epochs=2)
    summary = train_transformer(config, data, seed=0)
    assert summary["history"][-1]["train_loss"] < summary["history"][0]["train_loss"]
    assert 0.0 <= summary["test_accuracy"] <= 1.0
    with pytest.raises(ValueError, match="token sequences"):
        train_transformer(config, adding(4, n_train=8, n_test=8))


def test_sequence_experiment_keys_and_plot(tmp_path):
    from boltzgym.experiments import experiment_function

    summary = experiment_function("sequence")(tmp_path, seed=0, lengths=(4,), epochs=1, n_train=64)
    assert summary["lengths"] == [4]
    for cell in ("rnn", "lstm", "gru"):
        assert len(summary[f"{cell}_mse"]) == 1 and np.isfinite(summary[f"{cell}_mse"][0])
    assert (tmp_path / "sequence_adding.png").stat().st_size > 0


@pytest.mark.parametrize("kind", ["transformer", "lstm"])
def test_greedy_decoding_is_the_argmax_of_teacher_forcing_on_its_own_output(kind):
    from boltzgym.models.sequence.seq2seq import Seq2SeqLSTM
    from boltzgym.models.sequence.transformer import Seq2SeqTransformer

    torch.manual_seed(0)
    if kind == "lstm":
        model = Seq2SeqLSTM(11, 8, 16, bos_token=10)
    else:
        model = Seq2SeqTransformer(11, 16, 2, 1, 32, bos_token=10)
    model.eval()
    src = torch.randint(0, 10, (5, 6))
    decoded = model.greedy_decode(src, 6)
    tgt_in = torch.cat([torch.full((5, 1), 10), decoded[:, :-1]], dim=1)
    with torch.no_grad():
        torch.testing.assert_close(model(src, tgt_in).argmax(-1), decoded, rtol=0, atol=0)


def test_seq2seq_reverse_input_feeds_the_source_reversed():
    from boltzgym.models.datasets import Dataset
    from boltzgym.models.sequence.trainers import Seq2SeqConfig, train_seq2seq

    data = _token_task(5, seed=0, reverse=False, n_train=128, n_test=16)
    flipped = Dataset("x", "sequence", data.x_train[:, ::-1].copy(), data.y_train, data.x_test[:, ::-1].copy(),
                      data.y_test, n_classes=10)  # fmt: skip
    config = Seq2SeqConfig(embedding_dim=8, hidden_size=16, epochs=2)
    reversed_summary = train_seq2seq(Seq2SeqConfig(embedding_dim=8, hidden_size=16, epochs=2, reverse_input=True), data)
    flipped_summary = train_seq2seq(config, flipped)
    assert reversed_summary["history"][-1]["train_loss"] < reversed_summary["history"][0]["train_loss"]
    assert reversed_summary["test_loss"] == flipped_summary["test_loss"]
    assert reversed_summary["test_accuracy"] == flipped_summary["test_accuracy"]
