"""Word2Vec in ``boltzgym fit word2vec`` (skip-gram with negative sampling, notes 4.3): train on a text dataset
(``lee``, or a UTF-8 file given as ``--data PATH``, one sentence per line), then report each query word's nearest
neighbours, the Spearman correlation with a word-similarity file (WordSim-353 on lee) and a projection plot.

The ``--set`` keys are :class:`~boltzgym.models.embeddings.word2vec.Word2Vec`'s constructor parameters with its
(gensim's) defaults, so the learning rate is gensim's ``alpha`` and ``--epochs`` overrides ``epochs``; plus the
report's ``words`` (default: the five most frequent words of at least six letters), ``topn`` (``most_similar``'s
default) and ``pairs`` (default: the dataset's word-pairs file, if any). ``fit --seed`` is Word2Vec's ``seed``.

The model trains in one call and saves its checkpoint at the end: ``resume`` reuses a finished checkpoint (the
run is reported again, not retrained); a run without one trains from the start.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from pathlib import Path

import numpy as np

from boltzgym.models.config import model_config, model_kwargs
from boltzgym.models.embeddings.keyed_vectors import KeyedVectors, read_word_pairs
from boltzgym.models.embeddings.word2vec import Word2Vec, read_corpus
from boltzgym.utils.metrics import write_metrics
from boltzgym.utils.plotting import new_figure, save_figure
from boltzgym.utils.progress import progress_bar


@dataclasses.dataclass
class Word2VecReport:
    """What ``fit word2vec`` reports beside training: neighbours of ``words`` and a word-similarity file."""

    words: tuple[str, ...] = ()  # words whose nearest neighbours to print (default: five frequent ones)
    pairs: str | None = None  # word-pairs file scored by Spearman's rho (default: WordSim-353 on lee)


Word2VecConfig = model_config(
    "Word2VecConfig",
    Word2Vec,
    exclude=("sentences", "seed", "compute_loss", "callbacks"),  # the data, fit's --seed, what the trainer sets
    extra=((KeyedVectors.most_similar, ("topn",)),),
    bases=(Word2VecReport,),
    doc="The ``--set`` keys of ``boltzgym fit word2vec``: Word2Vec's constructor parameters (its defaults), and the "
    "report's ``words``, ``topn`` (most_similar's default) and ``pairs``.",
)
"""The ``--set`` keys of ``boltzgym fit word2vec``: Word2Vec's constructor parameters (its defaults), and the
report's ``words``, ``topn`` (most_similar's default) and ``pairs``."""


def text_file_dataset(path: str | Path):
    """A UTF-8 text file (one sentence or document per line) as a ``text`` dataset, tokenised as gensim's
    ``simple_preprocess``; the test set is the training set."""
    from boltzgym.models.datasets import Dataset

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--data {str(path)!r} is neither a dataset name nor an existing text file")
    corpus = read_corpus(path, what="--data")  # binary or non-UTF-8 bytes: one line naming --data and the offset
    sentences = np.empty(len(corpus), dtype=object)
    sentences[:] = corpus
    return Dataset(str(path), "text", sentences, None, sentences, None, metadata={"source": str(path)})


def default_words(index_to_key: list[str], count: int = 5) -> list[str]:
    """The ``count`` most frequent words of at least six letters (frequent short words are mostly stop words)."""
    return [word for word in index_to_key if len(word) >= 6][:count]


def build_word2vec(config, dataset, seed: int = 0) -> Word2Vec:
    """Word2Vec of ``config`` trained on ``dataset``'s sentences (Word2Vec, as gensim's, trains when built)."""
    return Word2Vec(list(dataset.x_train), seed=seed, **model_kwargs(config))


def train_word2vec(config, dataset, *, epochs=None, seed=0, run_dir=None, resume=False, progress=False,
                   device="auto") -> dict:  # fmt: skip
    """Train Word2Vec on ``dataset``'s sentences; returns the ``fit`` summary (see the module docstring) with
    ``vocabulary``, ``sentences``, ``tokens``, ``words_per_second``, ``neighbours`` (word -> [[neighbour,
    cosine], ...]) and, with a word-pairs file, ``word_pairs``, ``word_pairs_spearman``, ``word_pairs_oov``."""
    from boltzgym.utils.checkpoint import is_checkpoint

    if device not in ("auto", "cpu"):
        raise ValueError(f"device: Word2Vec runs on the CPU (Numba kernels), got {device!r}")
    if dataset.kind != "text":
        raise ValueError(f"data must be a text dataset (lee, or a text file), got {dataset.name!r} ({dataset.kind})")
    parameters = model_kwargs(config)
    if epochs is not None:
        parameters["epochs"] = epochs
    sentences = list(dataset.x_train)
    counts = Counter(word for sentence in sentences for word in sentence)
    min_count = parameters["min_count"]
    kept = sum(1 for c in counts.values() if c >= min_count)
    if len(counts) < 2:  # one word has no neighbour: nothing to embed, and the report could not be made
        raise ValueError(
            f"--data {dataset.name!r} holds {len(counts)} distinct word(s) (tokens of 2-15 letters); Word2Vec needs "
            "at least two"
        )
    if kept < 2:
        raise ValueError(
            f"--set min_count={min_count}: data {dataset.name!r} has {kept} word(s) seen that often; Word2Vec needs "
            "at least two"
        )
    missing = [word for word in config.words if counts.get(word, 0) < min_count]
    if missing:
        raise ValueError(f"--set words: {missing} not in the vocabulary (seen fewer than min_count={min_count} times)")
    pairs = config.pairs if config.pairs is not None else dataset.metadata.get("word_pairs")
    if pairs is not None:  # read and checked before training, not after it
        read_word_pairs(pairs, what="--set pairs" if config.pairs is not None else "word pairs")
    checkpoint = None if run_dir is None else Path(run_dir) / "checkpoint"

    start = time.perf_counter()
    if resume and checkpoint is not None and is_checkpoint(checkpoint):
        model = Word2Vec.load(checkpoint)
    else:
        bar = progress_bar(total=parameters["epochs"], desc="word2vec", enabled=progress)
        model = Word2Vec(sentences, seed=seed, compute_loss=True, callbacks=[lambda model, epoch: bar.update(1)],
                         **parameters)  # fmt: skip
        bar.close()
    seconds = time.perf_counter() - start
    wv = model.wv
    words = list(config.words) or default_words(wv.index_to_key)
    neighbours = {word: [[w, round(s, 4)] for w, s in wv.most_similar(word, topn=config.topn)] for word in words}
    history = [{"epoch": e + 1, "train_loss": loss} for e, loss in enumerate(model.training_loss)]
    summary = {
        "n_parameters": int(wv.vectors.size + model.syn1neg.size),
        "epochs": model.epochs,
        "train_loss": model.training_loss[-1] if model.training_loss else None,
        "test_loss": None,
        "test_accuracy": None,
        "sentences": len(sentences),
        "tokens": sum(counts.values()),
        "vocabulary": len(wv),
        "words_per_second": round(model.words_per_second),
        "neighbours": neighbours,
        "seconds": round(seconds, 3),
        "history": history,
        "checkpoint": None,
        "model": model,
    }
    if pairs is not None:
        _, spearman, oov = wv.evaluate_word_pairs(pairs)
        summary.update(word_pairs=str(pairs), word_pairs_spearman=float(spearman.statistic), word_pairs_oov=oov)
    if run_dir is not None:  # the checkpoint first: a run stopped while writing the rest resumes from it
        run_dir = Path(run_dir)
        if not (resume and is_checkpoint(checkpoint)):
            summary["checkpoint"] = str(model.save(checkpoint))
        else:
            summary["checkpoint"] = str(checkpoint)
        write_metrics(run_dir, history, step="epoch")
        summary["vectors"] = str(wv.save_word2vec_format(run_dir / "vectors.txt"))
        caption = (
            f"Word2Vec skip-gram on {dataset.name}: {len(wv)} words, d={model.vector_size}, window {model.window}, "
            f"{model.epochs} epochs, seed {seed}\nquery words and their {config.topn} nearest neighbours (cosine), PCA"
        )
        projection_plot(run_dir, wv, neighbours, caption)
    return summary


def projection_plot(out_dir: Path, wv, neighbours: dict[str, list], caption: str) -> Path:
    """projection.png: each query word (large marker) and its nearest neighbours, one colour per query, on the
    first two principal components of their unit vectors."""
    groups = [[word] + [w for w, _ in near] for word, near in neighbours.items()]
    words = [word for group in groups for word in group]
    if len(words) < 2:  # no query word (none of six letters) or no neighbour: an empty plot says so
        fig, ax = new_figure(figsize=(8, 7))
        ax.text(0.5, 0.5, "no query word with neighbours to project", ha="center", va="center")
        ax.set_axis_off()
        ax.set_title(caption, fontsize=9)
        return save_figure(fig, out_dir / "projection.png")
    points = np.stack([wv.get_vector(word, norm=True) for word in words]).astype(np.float64)
    points = points - points.mean(axis=0)
    _, _, components = np.linalg.svd(points, full_matrices=False)
    xy = points @ components[:2].T
    fig, ax = new_figure(figsize=(8, 7))
    offset = 0
    for number, group in enumerate(groups):
        colour = f"C{number % 10}"
        block = xy[offset : offset + len(group)]
        ax.scatter(block[1:, 0], block[1:, 1], s=12, color=colour)
        ax.scatter(block[:1, 0], block[:1, 1], s=60, color=colour, marker="*", label=group[0])
        for word, (x, y) in zip(group, block):
            ax.annotate(word, (x, y), fontsize=7, xytext=(2, 2), textcoords="offset points", color=colour)
        offset += len(group)
    ax.set_xlabel("principal component 1")
    ax.set_ylabel("principal component 2")
    ax.legend(fontsize=8, title="query", title_fontsize=8)
    ax.set_title(caption, fontsize=9)
    return save_figure(fig, out_dir / "projection.png")
