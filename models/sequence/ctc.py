"""Connectionist temporal classification (notes 4.1; Graves et al. 2006): alignment and decoding.

The loss is torch's ``nn.CTCLoss`` (re-exported as :func:`ctc_loss`). This module adds what torch lacks, all on one
utterance's ``log_probs`` of shape ``(T, C)`` as from ``log_softmax`` (class ``blank`` is the CTC blank):

- :func:`viterbi_align`: the most probable frame-level path that collapses to a given target (the notes' Viterbi
  step; forced alignment).
- :func:`greedy_decode`: best-path decoding (argmax per frame, then collapse repeats and drop blanks).
- :func:`ctc_beam_search`: prefix beam search (the notes' "find candidate outputs, then prune"), which sums the
  probability of all paths of a labelling instead of keeping only the best path.

"Collapse" means: merge runs of equal symbols, then remove blanks (``a a - a b`` -> ``a a b``).
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import torch
from torch import nn

ctc_loss = nn.CTCLoss  # notes 4.1: the CTC objective, -log sum over paths that collapse to the target


def _as_log_probs(log_probs, blank: int) -> np.ndarray:
    array = log_probs.detach().cpu().double().numpy() if isinstance(log_probs, torch.Tensor) else np.asarray(log_probs)
    if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] < 2:
        raise ValueError(f"log_probs must have shape (T, C) with T >= 1 and C >= 2, got {array.shape}")
    if isinstance(blank, bool) or not isinstance(blank, (int, np.integer)) or not 0 <= blank < array.shape[1]:
        raise ValueError(f"blank must be a class index in [0, {array.shape[1] - 1}], got {blank!r}")
    return np.asarray(array, dtype=np.float64)


def collapse(path, blank: int = 0) -> list[int]:
    """Merge repeated symbols, then drop blanks: the CTC many-to-one map from paths to labellings."""
    labels, previous = [], None
    for symbol in (int(s) for s in path):
        if symbol != previous and symbol != blank:
            labels.append(symbol)
        previous = symbol
    return labels


def greedy_decode(log_probs, blank: int = 0) -> list[int]:
    """Best-path decoding: the collapse of the most probable path (which is the per-frame argmax)."""
    array = _as_log_probs(log_probs, blank)
    return collapse(array.argmax(axis=1), blank)


def viterbi_align(log_probs, target, blank: int = 0) -> tuple[list[int], float]:
    """The most probable frame-level path that collapses to ``target``, and its log probability.

    Dynamic programming over the extended target ``- l1 - l2 - ... - lU -`` (2U + 1 states): a state is reached from
    itself, from its predecessor, or (for a label unlike the label two back) by skipping the blank in between,
    exactly the transitions of the CTC forward recursion with ``max`` in place of the sum.

    Raises:
        ValueError: if the target needs more frames than ``T`` (``U`` plus one per repeated adjacent label), holds
            the blank, or a class out of range.
    """
    array = _as_log_probs(log_probs, blank)
    steps, classes = array.shape
    target = [int(t) for t in target]
    if any(not 0 <= t < classes or t == blank for t in target):
        raise ValueError(f"target must hold class indices in [0, {classes - 1}] other than blank={blank}, got {target}")
    repeats = sum(a == b for a, b in zip(target, target[1:]))
    if len(target) + repeats > steps:
        raise ValueError(f"target of length {len(target)} ({repeats} repeats) needs more than T={steps} frames")
    extended = [blank]
    for label in target:
        extended += [label, blank]
    n_states = len(extended)
    score = np.full((steps, n_states), -np.inf)
    back = np.zeros((steps, n_states), dtype=np.int64)
    score[0, 0] = array[0, extended[0]]
    if n_states > 1:
        score[0, 1] = array[0, extended[1]]
    for t in range(1, steps):
        for s in range(n_states):
            candidates = [(score[t - 1, s], s)]
            if s >= 1:
                candidates.append((score[t - 1, s - 1], s - 1))
            if s >= 2 and extended[s] != blank and extended[s] != extended[s - 2]:
                candidates.append((score[t - 1, s - 2], s - 2))
            best, origin = max(candidates)
            score[t, s] = best + array[t, extended[s]]
            back[t, s] = origin
    ends = [n_states - 1] + ([n_states - 2] if n_states > 1 else [])
    state = max(ends, key=lambda s: score[-1, s])
    log_prob = float(score[-1, state])
    states = [state]
    for t in range(steps - 1, 0, -1):
        state = int(back[t, state])
        states.append(state)
    return [extended[s] for s in reversed(states)], log_prob


def ctc_beam_search(log_probs, beam_width: int = 10, blank: int = 0) -> tuple[list[int], float]:
    """Prefix beam search (Hannun et al. 2014): the labelling with the highest total path probability found.

    Each prefix keeps two log probabilities, of its paths ending in a blank and in its last label, so a repeated
    label is extended only across a blank. After each frame the ``beam_width`` most probable prefixes survive
    (the notes' pruning). With a beam as wide as the number of prefixes the search is exact.

    Returns:
        ``(labelling, log_prob)`` where ``log_prob`` is the log of the summed probability of its paths.
    """
    array = _as_log_probs(log_probs, blank)
    if isinstance(beam_width, bool) or not isinstance(beam_width, (int, np.integer)) or beam_width < 1:
        raise ValueError(f"beam_width must be a positive integer, got {beam_width!r}")
    logsumexp = np.logaddexp
    beams: dict[tuple, tuple[float, float]] = {(): (0.0, -math.inf)}  # prefix -> (log p ends blank, log p ends label)
    for frame in array:
        nxt: dict[tuple, list[float]] = defaultdict(lambda: [-math.inf, -math.inf])
        for prefix, (p_blank, p_label) in beams.items():
            total = logsumexp(p_blank, p_label)
            entry = nxt[prefix]
            entry[0] = logsumexp(entry[0], total + frame[blank])  # emit a blank: prefix unchanged
            if prefix:
                entry[1] = logsumexp(entry[1], p_label + frame[prefix[-1]])  # repeat the last label: merged
            for c in range(len(frame)):
                if c == blank:
                    continue
                extended = nxt[prefix + (c,)]
                # a repeated label needs a blank in between; any other label may follow either ending
                source = p_blank if prefix and c == prefix[-1] else total
                extended[1] = logsumexp(extended[1], source + frame[c])
        ranked = sorted(nxt.items(), key=lambda item: logsumexp(*item[1]), reverse=True)[:beam_width]
        beams = {prefix: (p[0], p[1]) for prefix, p in ranked}
    best, (p_blank, p_label) = max(beams.items(), key=lambda item: logsumexp(*item[1]))
    return list(best), float(logsumexp(p_blank, p_label))
