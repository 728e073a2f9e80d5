"""The synthetic CTC task of notes 4.1: ``ctc-digits`` and training a recurrent net on it with ``nn.CTCLoss``.

``ctc-digits``: strings of 1-6 digits "spoken" as noisy 1-D feature sequences. Each digit has a fixed random
template of :data:`N_FEATURES` features (drawn once, the same for every seed); an utterance renders each digit of its
string for 2-5 frames (the speaking speed varies per digit), with 0-2 frames of silence (zero features) between
digits (at least one between two equal digits, as a speaker pauses between "3 3"), plus Gaussian noise (std 0.5) on
every real frame. The frame-level alignment is not given: only the digit string is, so a model must learn it through
CTC (Graves et al. 2006), as in speech recognition.

Arrays: ``x`` ``(n, T_max, N_FEATURES)`` float32, padded with exact zeros after an utterance's last frame (its length
is :func:`input_lengths`, stored as ``metadata["train_lengths"]``/``["test_lengths"]`` too); ``y`` ``(n, 6)`` int64
digits, padded with -1 (:func:`target_lengths`). The network's classes are ``blank = 0`` and digit ``d`` as ``d + 1``.

``boltzgym fit lstm|gru|rnn --data ctc-digits`` trains a bidirectional recurrent net with ``nn.CTCLoss`` and reports
the label error rate (edit distance / label count) of greedy (best-path) and prefix-beam-search decoding.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from boltzgym.models.datasets import Dataset
from boltzgym.models.sequence.ctc import ctc_beam_search, ctc_loss, greedy_decode
from boltzgym.utils.validation import check_int

N_FEATURES = 8
MAX_DIGITS = 6
MIN_FRAMES, MAX_FRAMES = 2, 5  # frames per digit (the speed)
MAX_GAP = 2  # silent frames between digits
NOISE = 0.5
BLANK = 0


def _render(digits: np.ndarray, templates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    frames = []
    for i, digit in enumerate(digits):
        if i:
            gap = rng.integers(1 if digit == digits[i - 1] else 0, MAX_GAP + 1)
            frames += [np.zeros(N_FEATURES)] * int(gap)
        frames += [templates[digit]] * int(rng.integers(MIN_FRAMES, MAX_FRAMES + 1))
    frames = np.array(frames)
    return frames + NOISE * rng.standard_normal(frames.shape)


def _utterances(n: int, templates: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    max_frames = MAX_DIGITS * MAX_FRAMES + (MAX_DIGITS - 1) * MAX_GAP
    x = np.zeros((n, max_frames, N_FEATURES), dtype=np.float32)
    y = np.full((n, MAX_DIGITS), -1, dtype=np.int64)
    lengths = np.zeros(n, dtype=np.int64)
    for row in range(n):
        digits = rng.integers(0, 10, size=int(rng.integers(1, MAX_DIGITS + 1)))
        frames = _render(digits, templates, rng)
        x[row, : len(frames)], y[row, : len(digits)], lengths[row] = frames, digits, len(frames)
    return x, y, lengths


def ctc_digits(seed: int = 0, n_train: int = 4000, n_test: int = 500) -> Dataset:
    """``ctc-digits`` (see the module docstring): utterances drawn from ``seed``, digit templates fixed."""
    n_train, n_test = check_int("n_train", n_train, minimum=1), check_int("n_test", n_test, minimum=1)
    templates = np.random.default_rng(12345).standard_normal((10, N_FEATURES))
    rng = np.random.default_rng(seed)
    x_train, y_train, train_lengths = _utterances(n_train, templates, rng)
    x_test, y_test, test_lengths = _utterances(n_test, templates, rng)
    metadata = {"task": "ctc", "blank": BLANK, "train_lengths": train_lengths, "test_lengths": test_lengths}
    return Dataset("ctc-digits", "sequence", x_train, y_train, x_test, y_test, n_classes=10, metadata=metadata)


def input_lengths(x: torch.Tensor) -> torch.Tensor:
    """Frames per utterance of a padded batch ``(n, T, F)``: up to the last frame that is not exactly zero."""
    present = (x != 0).any(dim=2)
    last = present.shape[1] - torch.argmax(present.flip(1).int(), dim=1)
    return torch.where(present.any(dim=1), last, torch.zeros_like(last))


def target_lengths(y: torch.Tensor) -> torch.Tensor:
    """Digits per utterance of a ``-1``-padded label batch."""
    return (y >= 0).sum(dim=1)


def ctc_batch_loss(model, batch) -> torch.Tensor:
    """Mean CTC loss (``nn.CTCLoss``, per target length) of ``model``'s per-frame scores on ``(x, y)``."""
    x, y = batch
    log_probs = F.log_softmax(model(x), dim=-1).transpose(0, 1)  # (T, batch, classes) as nn.CTCLoss takes them
    targets = torch.where(y >= 0, y + 1, torch.zeros_like(y))  # digit d is class d + 1; blank is 0
    return ctc_loss(blank=BLANK, zero_infinity=True)(log_probs, targets, input_lengths(x), target_lengths(y))


def edit_distance(a, b) -> int:
    """Levenshtein distance between two label sequences (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, symbol in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (symbol != other)))
        previous = current
    return previous[-1]


@torch.no_grad()
def label_error_rates(model, x: np.ndarray, y: np.ndarray, beam_width: int = 8) -> dict[str, float]:
    """Label error rate (total edit distance / total labels) of greedy and beam-search decoding on ``(x, y)``."""
    model.eval()
    inputs = torch.as_tensor(x)
    log_probs = F.log_softmax(model(inputs), dim=-1)
    lengths = input_lengths(inputs)
    errors = {"greedy": 0, "beam": 0}
    n_labels = 0
    for row, length in enumerate(lengths.tolist()):
        frames = log_probs[row, :length]
        target = [int(d) + 1 for d in y[row] if d >= 0]
        n_labels += len(target)
        errors["greedy"] += edit_distance(greedy_decode(frames, BLANK), target)
        errors["beam"] += edit_distance(ctc_beam_search(frames, beam_width, BLANK)[0], target)
    return {f"{name}_label_error_rate": count / n_labels for name, count in errors.items()}
