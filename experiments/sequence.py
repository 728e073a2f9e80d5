"""The sequence experiment of notes 4: the adding problem by length (RNN/LSTM/GRU), the Transformer, seq2seq."""

from __future__ import annotations

from pathlib import Path

from boltzgym.models.sequence.tasks import adding
from boltzgym.models.sequence.trainers import RecurrentConfig, train_gru, train_lstm, train_rnn
from boltzgym.models.training import torch_threads
from boltzgym.utils.parts import PartStore
from boltzgym.utils.validation import check_int, setting_ranges


@setting_ranges(lengths=(2, 1000), epochs=(1, 10_000), n_train=(64, 100_000))
def sequence_experiment(out_dir, seed: int = 0, progress: bool = False, lengths=(10, 25, 50), epochs: int = 10,
                        n_train: int = 6400, resume: bool = False) -> dict:  # fmt: skip
    """Notes 4.2's memory claim: the adding problem at growing T; test MSE of RNN, LSTM and GRU (trivial: 0.167).

    By default each cell trains 1,000 steps of batch 64 per length (6,400 sequences, 10 epochs) on one torch thread:
    the LSTM reaches MSE < 0.01 at T = 50 where the vanilla RNN stays near 0.167 (README, issue 15).
    Each (cell, length) training is one part kept in ``out_dir/parts``: ``resume=True`` (``--out OUT --resume``)
    skips the finished ones.
    """
    with torch_threads(1):
        parts = PartStore(out_dir, {"seed": seed, "lengths": list(lengths), "epochs": epochs, "n_train": n_train},
                          resume=resume)  # fmt: skip
        return _adding_by_length(out_dir, seed, progress, lengths, epochs, n_train, parts)


def _adding_by_length(out_dir, seed: int, progress: bool, lengths, epochs: int, n_train: int, parts) -> dict:
    from boltzgym.utils.plotting import new_figure, save_figure

    lengths = [check_int("lengths", T, minimum=2) for T in lengths]
    summary: dict = {"lengths": lengths}
    for cell, train in (("rnn", train_rnn), ("lstm", train_lstm), ("gru", train_gru)):

        def one(train=train, T: int = 0) -> dict:
            data = adding(T, seed=seed, n_train=n_train)
            return {"test_loss": train(RecurrentConfig(epochs=epochs), data, seed=seed, progress=progress)["test_loss"]}

        summary[f"{cell}_mse"] = [
            parts.run(f"{cell}-T{T}", lambda one=one, T=T: one(T=T))["test_loss"] for T in lengths
        ]
    figure, axes = new_figure(figsize=(5, 3.5))
    for cell in ("rnn", "lstm", "gru"):
        axes.plot(lengths, summary[f"{cell}_mse"], marker="o", label=cell.upper())
    axes.axhline(1 / 6, color="grey", linestyle="--", label="predict the mean (1/6)")
    axes.set(xlabel="sequence length T", ylabel="test MSE", yscale="log",
             title=f"adding problem, {n_train} sequences, {epochs} epochs, hidden 64")  # fmt: skip
    axes.legend()
    figure.tight_layout()
    save_figure(figure, Path(out_dir) / "sequence_adding.png", dpi=120)
    return summary
