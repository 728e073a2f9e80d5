"""Jitted skip-gram with negative sampling (SGNS) kernels: arithmetic only (``boltzgym.models.embeddings.word2vec``
validates
the input, builds the tables and owns the seed).

Notes 4.3; Mikolov et al., "Distributed representations of words and phrases and their compositionality" (2013).
For a centre word ``w`` and a context word ``c`` in its window, one update maximises

    log sigma(u_w . v_c) + sum_{k=1..K} log sigma(-u_{n_k} . v_c),   n_k ~ P_noise(w) ∝ count(w)^0.75

by one SGD step of size ``alpha`` on the context's input vector ``v_c`` (row of ``syn0``) and the output vectors
``u`` (rows of ``syn1neg``), exactly as word2vec.c does it: the input vector predicts the centre word, the output
vectors are updated in turn, and the input vector receives the accumulated gradient at the end. A noise draw equal
to the centre word is skipped. ``sigma`` is read from word2vec.c's table (1000 entries on [-6, 6)); beyond the
table it saturates to 0 or 1, as in word2vec.c (gensim instead skips such a pair, losing the gradient of a
confidently wrong negative).

Shapes and dtypes: ``syn0``, ``syn1neg`` float32 ``(V, d)``; ``corpus.words`` int32 ``(n_words,)`` (vocabulary
indices, words below ``min_count`` already dropped); ``corpus.sentence_starts`` int64 ``(S + 1,)``;
``corpus.chunk_starts`` int64 ``(C + 1,)`` (sentence indices). ``tables`` holds the per-word keep probability
(float64, subsampling), the alias table of the noise distribution (float64 thresholds, int32 aliases) and the
float32 sigmoid table. Worker ``w`` draws only from ``space.rng_states[w]`` (``boltzgym.utils.rng``), writes only
its own rows of the scratch arrays and of ``space.stats`` (raw words, kept words, pairs, loss), and processes chunks
``w, w + W, w + 2W, ...``. The parallel kernel shares ``syn0``/``syn1neg`` among workers without locks (Hogwild, as
word2vec.c and gensim): its results are not bit-reproducible; the serial kernel (one worker) is.

The dot product sums in an order that LLVM chooses (``fastmath`` reassociation lets it vectorise the reduction);
every other operation is elementwise and rounds as NumPy does (no fused multiply-add).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from boltzgym.utils.rng import next_below, next_double

MAX_EXP = 6.0  # word2vec.c: sigma is tabulated on [-MAX_EXP, MAX_EXP)
SIGMOID_TABLE_SIZE = 1000
STATS = ("raw_words", "kept_words", "pairs", "loss")  # columns of the per-worker stats array

# Reassociation only (no contraction into FMA, no approximate functions): the dot products vectorise, while the
# elementwise updates round exactly as the NumPy reference in the tests does.
_FASTMATH = {"reassoc", "nsz"}


class Corpus(NamedTuple):
    """The encoded corpus: ``words`` int32, ``sentence_starts`` int64 (S + 1), ``chunk_starts`` int64 (C + 1)."""

    words: np.ndarray
    sentence_starts: np.ndarray
    chunk_starts: np.ndarray


class Tables(NamedTuple):
    """Per-word tables: ``keep_probability`` (float64, subsampling), ``noise_threshold``/``noise_alias``
    (the alias table of the noise distribution) and the float32 ``sigmoid`` table."""

    keep_probability: np.ndarray
    noise_threshold: np.ndarray
    noise_alias: np.ndarray
    sigmoid: np.ndarray


class Schedule(NamedTuple):
    """Window, negatives and the linear learning-rate decay: the word at position ``p`` of epoch ``e`` (a corpus
    of ``n`` words, ``E`` epochs) trains with ``max(alpha_end, alpha_start - (alpha_start - alpha_end) *
    (words_before + p) / total_words)``, where ``words_before = e n`` and ``total_words = E n``."""

    window: int
    negative: int
    alpha_start: float
    alpha_end: float
    words_before: int
    total_words: int
    compute_loss: bool


class Workspace(NamedTuple):
    """Per-worker rows (worker ``w`` uses row ``w`` only): ``rng_states`` uint64 (W, 4) (``boltzgym.utils.rng``
    streams), ``kept`` int32 (W, longest sentence) (the sentence after subsampling), ``work`` float32 (W, d) (the
    input vector's gradient), ``targets`` int32 (W, negative + 1) and ``stats`` float64 (W, len(STATS))."""

    rng_states: np.ndarray
    kept: np.ndarray
    work: np.ndarray
    targets: np.ndarray
    stats: np.ndarray


def sigmoid_table() -> np.ndarray:
    """word2vec.c's table: ``sigma(x)`` at ``x = (2 i / SIZE - 1) MAX_EXP``, i = 0..SIZE-1 (float32)."""
    x = (np.arange(SIGMOID_TABLE_SIZE) / SIGMOID_TABLE_SIZE * 2.0 - 1.0) * MAX_EXP
    return (1.0 / (1.0 + np.exp(-x))).astype(np.float32)


def alias_table(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table (Vose's construction) for drawing index ``i`` with probability ``weights[i] / sum``.

    Returns ``(threshold float64, alias int32)``: draw ``u`` uniform on [0, V), column ``k = floor(u)``; take ``k``
    when ``u - k < threshold[k]``, else ``alias[k]``. O(1) per draw, exact up to float rounding (word2vec.c's
    1e8-entry unigram table quantises the probabilities instead).
    """
    probability = np.asarray(weights, dtype=np.float64)
    n = probability.shape[0]
    scaled = probability / probability.sum() * n
    threshold = np.ones(n, dtype=np.float64)
    alias = np.arange(n, dtype=np.int32)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        low, high = small.pop(), large[-1]
        threshold[low] = scaled[low]
        alias[low] = high
        scaled[high] -= 1.0 - scaled[low]
        if scaled[high] < 1.0:
            small.append(large.pop())
    return threshold, alias  # columns left in either list keep threshold 1 (their own index), up to rounding


@njit(cache=True, inline="always")
def draw_noise(tables, rng_states, worker):
    """One word from the noise distribution (the alias table of ``count^0.75``)."""
    u = next_double(rng_states, worker) * tables.noise_threshold.shape[0]
    column = int(u)
    if u - column < tables.noise_threshold[column]:
        return column
    return tables.noise_alias[column]


@njit(cache=True, fastmath=_FASTMATH)
def sgns_update(syn0, syn1neg, context, targets, n_targets, alpha, sigmoid, work, compute_loss):
    """One SGNS step for the pair (input ``context``, ``targets[0]`` = the centre word, ``targets[1:n_targets]``
    = noise words); updates ``syn1neg`` rows in turn and ``syn0[context]`` at the end; returns the pair's loss
    ``-log sigma(u_0.v) - sum_k log sigma(-u_k.v)`` (exact, not from the table) when ``compute_loss``, else 0.

    ``work`` is float32 ``(d,)`` scratch for the input vector's gradient.
    """
    d = syn0.shape[1]
    table_scale = sigmoid.shape[0] / MAX_EXP / 2.0
    loss = 0.0
    for i in range(d):
        work[i] = 0.0
    for k in range(n_targets):
        target = targets[k]
        label = np.float32(1.0) if k == 0 else np.float32(0.0)
        f = np.float32(0.0)
        for i in range(d):
            f += syn0[context, i] * syn1neg[target, i]
        if f >= MAX_EXP:
            s = np.float32(1.0)
        elif f <= -MAX_EXP:
            s = np.float32(0.0)
        else:
            s = sigmoid[int((f + MAX_EXP) * table_scale)]
        g = (label - s) * np.float32(alpha)  # notes 4.3: gradient of log sigma(+-u.v) with respect to u.v
        for i in range(d):
            work[i] += g * syn1neg[target, i]
        for i in range(d):
            syn1neg[target, i] += g * syn0[context, i]
        if compute_loss:
            z = np.float64(f) if k > 0 else -np.float64(f)  # softplus(z) = -log sigma(-z), in float64
            loss += max(z, 0.0) + np.log1p(np.exp(-abs(z)))
    for i in range(d):
        syn0[context, i] += work[i]
    return loss


@njit(cache=True, inline="always")
def _train_chunk(chunk, worker, corpus, syn0, syn1neg, tables, schedule, space):
    """Train every sentence of ``chunk`` with ``worker``'s stream and scratch rows."""
    words = corpus.words
    rng_states, kept, work, targets, stats = space.rng_states, space.kept, space.work, space.targets, space.stats
    for sentence in range(corpus.chunk_starts[chunk], corpus.chunk_starts[chunk + 1]):
        start, end = corpus.sentence_starts[sentence], corpus.sentence_starts[sentence + 1]
        progress = (schedule.words_before + start) / schedule.total_words
        alpha = max(schedule.alpha_end, schedule.alpha_start - (schedule.alpha_start - schedule.alpha_end) * progress)
        n_kept = 0
        for p in range(start, end):  # subsampling of frequent words (Mikolov et al. 2013, gensim's formula)
            word = words[p]
            keep = tables.keep_probability[word]
            if keep >= 1.0 or next_double(rng_states, worker) < keep:
                kept[worker, n_kept] = word
                n_kept += 1
        stats[worker, 0] += end - start
        stats[worker, 1] += n_kept
        for i in range(n_kept):
            reduced = next_below(rng_states, worker, schedule.window)  # word2vec.c: window shrunk by b ~ U{0..w-1}
            low = max(0, i - schedule.window + reduced)
            high = min(n_kept, i + schedule.window + 1 - reduced)
            centre = kept[worker, i]
            for j in range(low, high):
                if j == i:
                    continue
                targets[worker, 0] = centre
                n_targets = 1
                for _ in range(schedule.negative):
                    noise = draw_noise(tables, rng_states, worker)
                    if noise != centre:
                        targets[worker, n_targets] = noise
                        n_targets += 1
                stats[worker, 3] += sgns_update(
                    syn0, syn1neg, kept[worker, j], targets[worker], n_targets, alpha, tables.sigmoid,
                    work[worker], schedule.compute_loss,
                )  # fmt: skip
                stats[worker, 2] += 1


@njit(cache=True)
def train_epoch(corpus, syn0, syn1neg, tables, schedule, space):
    """One epoch on one worker (row 0 of every ``space`` array): chunks in corpus order, reproducible."""
    for chunk in range(corpus.chunk_starts.shape[0] - 1):
        _train_chunk(chunk, 0, corpus, syn0, syn1neg, tables, schedule, space)


@njit(cache=True, parallel=True)
def train_epoch_parallel(corpus, syn0, syn1neg, tables, schedule, space):
    """One epoch on ``space.rng_states.shape[0]`` Hogwild workers; worker ``w`` trains chunks ``w, w + W, ...``."""
    n_workers = space.rng_states.shape[0]
    n_chunks = corpus.chunk_starts.shape[0] - 1
    for worker in prange(n_workers):
        for chunk in range(worker, n_chunks, n_workers):
            _train_chunk(chunk, worker, corpus, syn0, syn1neg, tables, schedule, space)
