"""Word2Vec: skip-gram with negative sampling (notes 4.3), jitted with Numba, with gensim's interface.

    model = Word2Vec(sentences, vector_size=100, window=5, negative=5, min_count=5, epochs=5, seed=0)
    model.wv["fire"], model.wv.most_similar("fire", topn=5), model.wv.similarity("fire", "bushfire")

Mikolov et al. 2013 ("Distributed representations of words and phrases and their compositionality"), with the
choices of word2vec.c and gensim:

- vocabulary: words seen at least ``min_count`` times, most frequent first (ties: first seen first); other words
  are dropped from the sentences before windows are formed;
- subsampling of frequent words: a word of count ``c`` is kept with probability ``(sqrt(c / t) + 1) t / c``
  (capped at 1), ``t = sample * total retained words`` (gensim's formula; word2vec.c's with ``t`` in counts);
  drawn anew at every epoch;
- noise distribution ``P(w) ∝ count(w)^ns_exponent`` (0.75), drawn with an alias table;
- for each kept word, the window is shrunk by ``b ~ U{0, ..., window - 1}``; each (centre, context) pair in it
  makes one SGNS step (see ``boltzgym.models.embeddings._word2vec_kernels``);
- the learning rate decays linearly from ``alpha`` to ``min_alpha`` over all epochs (recomputed per sentence
  from the position in the corpus);
- initial input vectors uniform on [-1/d, 1/d) (as gensim), output vectors zero.

Only skip-gram with negative sampling is implemented: ``sg=1`` is the default (gensim defaults to CBOW, ``sg=0``,
which is refused here), ``hs`` (hierarchical softmax) is not offered.

``workers=1`` with a seed is bit-reproducible. ``workers > 1`` runs Hogwild threads (numba ``prange``) over chunks
of sentences that update shared vectors without locks, as word2vec.c and gensim do: as in gensim, such results
are *not* reproducible bit for bit (they vary with thread timing), though their quality is the same. Hogwild
assumes that threads rarely write the same rows at once (Niu et al. 2011); on a vocabulary of a dozen words they
collide on nearly every update and the result depends on the timing (measured: a 12-word planted corpus gave a
within-minus-between topic similarity of 0.44-0.91 over ten seeds on a loaded 2-core machine, against 0.86 for
every seed on 48 words).

NumPy and Numba only: this module does not import torch.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from boltzgym.models.embeddings.keyed_vectors import KeyedVectors
from boltzgym.utils.checkpoint import load_checkpoint, load_checkpoint_arrays, save_checkpoint
from boltzgym.utils.resources import array_bytes, check_memory
from boltzgym.utils.validation import check_count, check_in_range, check_int, check_positive, check_seed

__all__ = ["Word2Vec", "simple_preprocess", "read_corpus", "lee_dataset", "lee_corpus", "gensim_test_file"]

CHECKPOINT_FORMAT = "boltzgym-word2vec"
CHUNK_WORDS = 10_000  # words per Hogwild work unit (gensim's batch_words)
MAX_SENTENCE_WORDS = 10_000  # longer sentences are split (gensim's max_sentence_length)
_ALPHABETIC = re.compile(r"(((?![\d])\w)+)", re.UNICODE)  # gensim.utils.PAT_ALPHABETIC


def simple_preprocess(text: str, min_len: int = 2, max_len: int = 15) -> list[str]:
    """Lowercase alphabetic tokens of ``min_len``..``max_len`` characters (no digits, not starting with ``_``):
    the tokens of gensim's ``simple_preprocess`` (without its accent stripping)."""
    return [
        token
        for token in (match.group() for match in _ALPHABETIC.finditer(text.lower()))
        if min_len <= len(token) <= max_len and not token.startswith("_")
    ]


def read_corpus(path: str | os.PathLike, what: str = "corpus") -> list[list[str]]:
    """One sentence per non-empty line of a UTF-8 text file, tokenised by :func:`simple_preprocess`.

    A missing file, a binary one or bytes that are not UTF-8 raise ``ValueError`` naming ``what``, the file and
    the byte offset (:func:`boltzgym.utils.io.read_text_lines`); nothing is replaced silently."""
    from boltzgym.utils.io import read_text_lines

    sentences = (simple_preprocess(line) for line in read_text_lines(path, what))
    return [sentence for sentence in sentences if sentence]


def gensim_test_file(name: str) -> Path:
    """A file of gensim's test data (``lee_background.cor``, ``wordsim353.tsv``, ``questions-words.txt``)."""
    try:
        from gensim.test.utils import datapath
    except ImportError as exc:
        raise ImportError(
            f"{name} ships with gensim's test data; install it with `pip install boltzgym[text]` (or gensim)"
        ) from exc
    return Path(datapath(name))


def lee_corpus() -> list[list[str]]:
    """The Lee background corpus (300 news documents, ~60k tokens; shipped with gensim), one sentence per
    document, tokenised as gensim's Word2Vec tutorial does (``simple_preprocess`` per line)."""
    return read_corpus(gensim_test_file("lee_background.cor"))


def lee_dataset(seed: int = 0):
    """``load_dataset("lee")``: the Lee corpus as a ``text`` dataset (object arrays of token lists; the test set
    is the training set) whose metadata names the evaluation files: WordSim-353 and the analogy questions."""
    from boltzgym.models.datasets import Dataset

    corpus = lee_corpus()
    sentences = np.empty(len(corpus), dtype=object)
    sentences[:] = corpus
    metadata = {
        "source": "gensim.test.utils.datapath('lee_background.cor')",
        "tokeniser": "simple_preprocess per line",
        "test_is_train": True,
        "word_pairs": str(gensim_test_file("wordsim353.tsv")),
        "analogies": str(gensim_test_file("questions-words.txt")),
    }
    return Dataset("lee", "text", sentences, None, sentences, None, metadata=metadata)


class Word2Vec:
    """Skip-gram with negative sampling, trained on construction (as gensim's ``Word2Vec(sentences, ...)``).

    Args:
        sentences: an iterable (re-iterable is not needed; it is read once) of sentences, each a list of str.
        vector_size: dimension d of the word vectors.
        alpha, min_alpha: learning rate at the start, decayed linearly to ``min_alpha`` at the end.
        window: maximum distance between the centre word and a context word.
        min_count: words seen fewer times are ignored.
        sample: subsampling threshold (0 turns subsampling off).
        seed: seeds the initial vectors and every random draw (``None``: fresh entropy).
        workers: Hogwild threads (1: serial and reproducible).
        sg: 1 (skip-gram), the only architecture implemented.
        negative: noise words per positive pair.
        ns_exponent: exponent of the noise distribution (0.75).
        epochs: passes over the corpus.
        compute_loss: accumulate the SGNS loss (``get_latest_training_loss``, ``training_loss`` per epoch; divided
            by ``training_pairs``, the (centre, context) pairs of the epoch, it starts near (negative + 1) ln 2,
            the loss of the zero output vectors).
        callbacks: callables ``callback(model, epoch)`` run after every epoch (a progress bar, for example).

    Attributes:
        wv: the trained :class:`KeyedVectors` (input vectors).
        syn1neg: the output (context) vectors, float32 (V, d).
        corpus_total_words: retained words in the corpus (after ``min_count``), per epoch.
        train_seconds: wall time of training (the vocabulary excluded); ``words_per_second``: retained corpus
            words times epochs over that time.
    """

    def __init__(
        self,
        sentences: Iterable[Sequence[str]],
        vector_size: int = 100,
        alpha: float = 0.025,
        window: int = 5,
        min_count: int = 5,
        sample: float = 1e-3,
        seed: int | None = 0,
        workers: int = 1,
        min_alpha: float = 1e-4,
        sg: int = 1,
        negative: int = 5,
        ns_exponent: float = 0.75,
        epochs: int = 5,
        compute_loss: bool = False,
        callbacks: Sequence[Callable[[Word2Vec, int], None]] = (),
    ) -> None:
        if sg != 1:
            raise ValueError(f"sg must be 1 (skip-gram; CBOW, sg=0, is not implemented), got {sg!r}")
        self.vector_size = check_int("vector_size", vector_size, minimum=1)
        self.alpha = check_positive("alpha", alpha)
        self.min_alpha = check_positive("min_alpha", min_alpha, allow_zero=True)
        if self.min_alpha > self.alpha:
            raise ValueError(f"min_alpha must be <= alpha ({self.alpha}), got {self.min_alpha}")
        self.window = check_int("window", window, minimum=1)
        self.min_count = check_int("min_count", min_count, minimum=1)
        self.sample = check_positive("sample", sample, allow_zero=True)
        self.seed = check_seed("seed", seed)
        self.workers = check_int("workers", workers, minimum=1)
        self.sg = 1
        self.negative = check_int("negative", negative, minimum=1)
        self.ns_exponent = check_in_range("ns_exponent", ns_exponent, -10.0, 10.0)
        self.epochs = check_count("epochs", epochs, minimum=1)
        self.compute_loss = bool(compute_loss)
        self.training_loss: list[float] = []
        self.training_pairs: list[int] = []
        if isinstance(sentences, (str, bytes)) or sentences is None:
            raise TypeError(f"sentences must be an iterable of token lists, got {type(sentences).__name__}")
        self._build_vocab(sentences)
        rng = np.random.default_rng(self.seed)
        vectors = rng.random((len(self.wv), self.vector_size), dtype=np.float32)
        self.wv.vectors = ((vectors * 2.0 - 1.0) / self.vector_size).astype(np.float32)  # gensim's initialisation
        self.syn1neg = np.zeros_like(self.wv.vectors)
        self._stream_seed = int(rng.integers(2**63))
        self._train(callbacks)

    # --- vocabulary and corpus ------------------------------------------------------------------------------

    def _build_vocab(self, sentences: Iterable[Sequence[str]]) -> None:
        counts: dict[str, int] = {}
        corpus: list[Sequence[str]] = []
        for number, sentence in enumerate(sentences):
            if isinstance(sentence, str) or not isinstance(sentence, Sequence):
                raise TypeError(
                    f"sentences[{number}] must be a list of str tokens, got {type(sentence).__name__} "
                    "(tokenise text first, e.g. with boltzgym.models.embeddings.word2vec.simple_preprocess)"
                )
            for word in sentence:
                counts[word] = counts.get(word, 0) + 1
            corpus.append(sentence)
        if not counts:
            raise ValueError("sentences is empty: the corpus holds no words to train on")
        retained = [word for word, count in counts.items() if count >= self.min_count]
        if not retained:
            raise ValueError(
                f"min_count={self.min_count} leaves no word (the most frequent word is seen {max(counts.values())} "
                "times); lower min_count or give a larger corpus"
            )
        retained.sort(key=counts.__getitem__, reverse=True)  # stable: ties keep first-seen order
        word_counts = np.array([counts[word] for word in retained], dtype=np.int64)
        shape = (len(retained), self.vector_size)  # the word vectors, the output weights and their random start
        check_memory(4 * array_bytes(shape, np.float32), "vector_size", f"{shape[0]:,} words x {shape[1]:,} dimensions")
        self.wv = KeyedVectors(retained, np.zeros((len(retained), self.vector_size), np.float32), word_counts)
        index = self.wv.key_to_index
        encoded = [np.array([index[w] for w in sentence if w in index], dtype=np.int32) for sentence in corpus]
        # sentences of more than MAX_SENTENCE_WORDS are trained as consecutive pieces (as gensim's LineSentence)
        encoded = [s[i : i + MAX_SENTENCE_WORDS] for s in encoded for i in range(0, s.size, MAX_SENTENCE_WORDS)]
        self._words = np.concatenate(encoded) if encoded else np.zeros(0, np.int32)
        self._sentence_starts = np.concatenate([[0], np.cumsum([s.size for s in encoded])]).astype(np.int64)
        self.corpus_total_words = int(self._words.size)
        self.raw_vocab_size = len(counts)

    def _keep_probability(self) -> np.ndarray:
        counts = self.wv.counts.astype(np.float64)
        if self.sample == 0:
            return np.ones_like(counts)
        # gensim: a fraction of the retained words, or (sample >= 1) a count scaled by (3 + sqrt 5) / 2
        threshold = self.sample * counts.sum() if self.sample < 1.0 else int(self.sample * (3 + np.sqrt(5)) / 2)
        return np.minimum(1.0, (np.sqrt(counts / threshold) + 1.0) * threshold / counts)

    def _chunk_starts(self) -> np.ndarray:
        """Sentence indices where chunks of about CHUNK_WORDS words start (the Hogwild work units), smaller on a
        small corpus so that every worker gets at least four (chunks never split a sentence; one worker trains
        them in corpus order, so ``workers=1`` does not depend on the chunking)."""
        starts = self._sentence_starts
        chunk_words = max(1, min(CHUNK_WORDS, -(-int(starts[-1]) // (4 * self.workers))))
        boundaries = np.searchsorted(starts, np.arange(0, starts[-1], chunk_words), side="right") - 1
        return np.unique(np.concatenate([boundaries, [starts.size - 1]])).astype(np.int64)

    # --- training -------------------------------------------------------------------------------------------

    def _train(self, callbacks: Sequence[Callable[[Word2Vec, int], None]]) -> None:
        import numba

        from boltzgym.models.embeddings import _word2vec_kernels as kernels
        from boltzgym.utils.rng import make_streams

        threshold, alias = kernels.alias_table(self.wv.counts.astype(np.float64) ** self.ns_exponent)
        tables = kernels.Tables(self._keep_probability(), threshold, alias, kernels.sigmoid_table())
        corpus = kernels.Corpus(self._words, self._sentence_starts, self._chunk_starts())
        n_workers = self.workers
        longest = int(np.diff(self._sentence_starts).max())
        space = kernels.Workspace(
            rng_states=make_streams(self._stream_seed, n_workers),
            kept=np.zeros((n_workers, longest), dtype=np.int32),
            work=np.zeros((n_workers, self.vector_size), dtype=np.float32),
            targets=np.zeros((n_workers, self.negative + 1), dtype=np.int32),
            stats=np.zeros((n_workers, len(kernels.STATS)), dtype=np.float64),
        )
        kernel = kernels.train_epoch if n_workers == 1 else kernels.train_epoch_parallel
        threads = numba.get_num_threads()
        n = self.corpus_total_words
        self.train_seconds = 0.0
        self.effective_words = 0
        try:
            if n_workers > 1:
                numba.set_num_threads(min(n_workers, numba.config.NUMBA_NUM_THREADS))
            for epoch in range(self.epochs):
                schedule = kernels.Schedule(
                    self.window, self.negative, self.alpha, self.min_alpha, epoch * n, self.epochs * n,
                    self.compute_loss,
                )  # fmt: skip
                space.stats[:] = 0.0
                tick = time.perf_counter()
                kernel(corpus, self.wv.vectors, self.syn1neg, tables, schedule, space)
                self.train_seconds += time.perf_counter() - tick
                totals = space.stats.sum(axis=0)
                self.effective_words += int(totals[1])
                self.training_loss.append(float(totals[3]))
                self.training_pairs.append(int(totals[2]))
                for callback in callbacks:
                    callback(self, epoch)
        finally:
            numba.set_num_threads(threads)
        self.words_per_second = n * self.epochs / max(self.train_seconds, 1e-12)

    def get_latest_training_loss(self) -> float:
        """The SGNS loss summed over the last epoch's pairs (0 unless ``compute_loss=True``), as gensim."""
        return self.training_loss[-1] if self.training_loss else 0.0

    # --- persistence ----------------------------------------------------------------------------------------

    def _config(self) -> dict:
        names = ("vector_size", "alpha", "min_alpha", "window", "min_count", "sample", "seed", "workers", "sg",
                 "negative", "ns_exponent", "epochs", "compute_loss")  # fmt: skip
        return {name: getattr(self, name) for name in names}

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model (hyperparameters, vocabulary, counts, both weight matrices) as a checkpoint folder,
        atomically (``boltzgym.utils.checkpoint``); :meth:`load` reads it back."""
        config = {**self._config(), "index_to_key": self.wv.index_to_key, "corpus_total_words": self.corpus_total_words}
        arrays = {"vectors": self.wv.vectors, "syn1neg": self.syn1neg, "counts": self.wv.counts}
        return save_checkpoint(path, CHECKPOINT_FORMAT, 1, config, arrays={"weights.npz": arrays})

    @classmethod
    def load(cls, path: str | os.PathLike) -> Word2Vec:
        """Load a model written by :meth:`save` (validated: format, checksums, shapes)."""
        checkpoint = load_checkpoint(path, CHECKPOINT_FORMAT, 1)
        config = dict(checkpoint.config)
        words = config.pop("index_to_key", None)
        if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
            raise checkpoint.error("config.json", "index_to_key must be a list of words")
        size = config.get("vector_size")
        shapes = {"vectors": (len(words), size), "syn1neg": (len(words), size), "counts": (len(words),)}
        arrays = load_checkpoint_arrays(checkpoint, "weights.npz", shapes)
        model = cls.__new__(cls)
        model.corpus_total_words = int(config.pop("corpus_total_words", 0))
        for name, value in config.items():
            setattr(model, name, value)
        model.wv = KeyedVectors(words, arrays["vectors"].astype(np.float32), arrays["counts"])
        model.syn1neg = arrays["syn1neg"].astype(np.float32)
        model.training_loss = []
        model.training_pairs = []
        return model

    def __repr__(self) -> str:
        return f"Word2Vec<vocab={len(self.wv)}, vector_size={self.vector_size}, alpha={self.alpha}>"
