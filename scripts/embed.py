"""``boltzgym embed``: train Word2Vec (skip-gram, negative sampling; notes 4.3) on a text corpus and look at it."""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import numpy as np

from boltzgym.scripts._common import (
    UsageError,
    add_common_arguments,
    finish,
    format_table,
    name_list,
    new_figure,
    non_negative_float,
    positive_float,
    positive_int,
    progress_bar,
    progress_enabled,
    run_dir,
    save_figure,
    write_metrics_csv,
)

HELP = "train Word2Vec word embeddings on a text corpus (or the Lee corpus) and show nearest neighbours"
DESCRIPTION = (
    "Train skip-gram Word2Vec with negative sampling (Mikolov et al. 2013; boltzgym.models.embeddings.word2vec,\n"
    "Numba) on "
    "--corpus: a UTF-8 text file with one sentence or document per line, tokenised as gensim's simple_preprocess\n"
    "(lowercase alphabetic tokens of 2-15 letters), or `lee`, the Lee news corpus that gensim's test data ships.\n"
    "Writes vectors.txt (the word2vec text format, readable by gensim's KeyedVectors.load_word2vec_format), the\n"
    "model checkpoint, metrics.csv (loss per epoch), projection.png (a few words and their nearest neighbours on\n"
    "their first two principal components), and prints those neighbours. With a word-pairs file\n"
    "(--pairs; WordSim-353 by default on lee) it reports the Spearman correlation with human similarity scores.\n\n"
    "Defaults are gensim's (epochs 5, min_count 5), except on lee, a small corpus: 30 epochs and min_count 2."
)
EXAMPLES = [
    "boltzgym embed --corpus lee --seed 0",
    "boltzgym embed --corpus lee --words fire,police,government --topn 8 --json",
    "boltzgym embed --corpus my_text.txt --vector-size 50 --epochs 10 --min-count 3 --workers 2",
]
LEE_DEFAULTS = {"epochs": 30, "min_count": 2}
GENSIM_DEFAULTS = {"epochs": 5, "min_count": 5}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", default="lee", help="a UTF-8 text file (one sentence per line) or `lee` (default)")
    parser.add_argument("--vector-size", type=positive_int, default=100, help="vector dimension (default: 100)")
    parser.add_argument("--window", type=positive_int, default=5, help="maximum context distance (default: 5)")
    parser.add_argument("--negative", type=positive_int, default=5, help="noise words per pair (default: 5)")
    parser.add_argument("--min-count", type=positive_int, default=None, help="ignore rarer words (default: 5; lee 2)")
    parser.add_argument("--epochs", type=positive_int, default=None, help="passes over the corpus (default: 5; lee 30)")
    parser.add_argument("--sample", type=non_negative_float, default=1e-3, help="subsampling threshold (default: 1e-3)")
    parser.add_argument("--alpha", type=positive_float, default=0.025, help="initial learning rate (default: 0.025)")
    parser.add_argument(
        "--min-alpha", type=non_negative_float, default=1e-4, help="final learning rate (default: 1e-4)"
    )
    parser.add_argument(
        "--workers", type=positive_int, default=1, help="Hogwild threads (default: 1, reproducible; >1 is not)"
    )
    parser.add_argument("--words", type=name_list, default=None, help="words whose neighbours to print (default: 5)")
    parser.add_argument("--topn", type=positive_int, default=5, help="neighbours per word (default: 5)")
    parser.add_argument("--pairs", type=Path, default=None, help="word-similarity file (default on lee: WordSim-353)")
    add_common_arguments(parser)


def load_sentences(corpus: str) -> list[list[str]]:
    """The tokenised sentences of ``--corpus`` (``lee`` or a file path)."""
    from boltzgym.models.embeddings.word2vec import lee_corpus, read_corpus

    if corpus == "lee":
        return lee_corpus()
    path = Path(corpus)
    if not path.is_file():
        raise UsageError(f"--corpus {corpus!r} is neither `lee` nor an existing text file")
    return read_corpus(path)


def default_words(index_to_key: list[str], count: int = 5) -> list[str]:
    """The ``count`` most frequent words of at least six letters (frequent short words are mostly stop words)."""
    return [word for word in index_to_key if len(word) >= 6][:count]


def projection_plot(out_dir: Path, wv, neighbours: dict[str, list], caption: str) -> Path:
    """projection.png: each query word (large marker) and its nearest neighbours, one colour per query, on the
    first two principal components of their unit vectors."""
    groups = [[word] + [w for w, _ in near] for word, near in neighbours.items()]
    words = [word for group in groups for word in group]
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


def run(args: argparse.Namespace) -> dict:
    from boltzgym.models.embeddings.word2vec import Word2Vec, gensim_test_file

    defaults = LEE_DEFAULTS if args.corpus == "lee" else GENSIM_DEFAULTS
    epochs = defaults["epochs"] if args.epochs is None else args.epochs
    min_count = defaults["min_count"] if args.min_count is None else args.min_count
    if args.min_alpha > args.alpha:
        raise UsageError(f"--min-alpha must be <= --alpha ({args.alpha}), got {args.min_alpha}")
    pairs = (
        args.pairs if args.pairs is not None else (gensim_test_file("wordsim353.tsv") if args.corpus == "lee" else None)
    )
    if pairs is not None and not Path(pairs).is_file():
        raise UsageError(f"--pairs {str(pairs)!r} does not exist")
    sentences = load_sentences(args.corpus)
    counts = Counter(word for sentence in sentences for word in sentence)
    vocabulary = sorted((w for w, c in counts.items() if c >= min_count), key=counts.__getitem__, reverse=True)
    if not vocabulary:
        raise UsageError(f"--corpus {args.corpus!r} has no word seen --min-count={min_count} times (or no words)")
    missing = [word for word in args.words or [] if counts.get(word, 0) < min_count]
    if missing:
        raise UsageError(f"--words: {missing} not in the vocabulary (seen fewer than --min-count={min_count} times)")
    out_dir = run_dir(args, "embed")  # checked and locked before any work

    bar = progress_bar(total=epochs, desc="embed", enabled=progress_enabled(args))
    start = time.perf_counter()
    model = Word2Vec(
        sentences, vector_size=args.vector_size, window=args.window, negative=args.negative, min_count=min_count,
        epochs=epochs, sample=args.sample, alpha=args.alpha, min_alpha=args.min_alpha, seed=args.seed,
        workers=args.workers, compute_loss=True, callbacks=[lambda model, epoch: bar.update(1)],
    )  # fmt: skip
    seconds = time.perf_counter() - start
    bar.close()
    wv = model.wv
    words = args.words or default_words(wv.index_to_key)
    neighbours = {word: [[w, round(s, 4)] for w, s in wv.most_similar(word, topn=args.topn)] for word in words}
    write_metrics_csv(
        out_dir / "metrics.csv", [{"epoch": e + 1, "loss": loss} for e, loss in enumerate(model.training_loss)]
    )
    wv.save_word2vec_format(out_dir / "vectors.txt")
    checkpoint = model.save(out_dir / "checkpoint")
    caption = (
        f"Word2Vec skip-gram on {args.corpus}: {len(wv)} words, d={args.vector_size}, window {args.window}, "
        f"{epochs} epochs, seed {args.seed}\nquery words and their {args.topn} nearest neighbours (cosine), PCA"
    )
    projection_plot(out_dir, wv, neighbours, caption)
    summary = {
        "corpus": args.corpus,
        "sentences": len(sentences),
        "tokens": sum(counts.values()),
        "vocabulary": len(wv),
        "vector_size": args.vector_size,
        "window": args.window,
        "negative": args.negative,
        "min_count": min_count,
        "epochs": epochs,
        "sample": args.sample,
        "workers": args.workers,
        "seed": args.seed,
        "final_loss": model.training_loss[-1],
        "words_per_second": round(model.words_per_second),
        "seconds": round(seconds, 3),
        "neighbours": neighbours,
        "vectors": str(out_dir / "vectors.txt"),
        "checkpoint": str(checkpoint),
    }
    if pairs is not None:
        _, spearman, oov = wv.evaluate_word_pairs(pairs)
        summary.update(word_pairs=str(pairs), word_pairs_spearman=float(spearman.statistic), word_pairs_oov=oov)
    rows = [(word, ", ".join(f"{w} {s:.2f}" for w, s in near)) for word, near in neighbours.items()]
    table = format_table(["word", f"nearest {args.topn} (cosine)"], rows)
    scalars = [(k, v) for k, v in summary.items() if k not in ("neighbours", "vectors", "checkpoint", "word_pairs")]
    return finish(args, out_dir, summary, table + "\n\n" + format_table(["quantity", "value"], scalars))
