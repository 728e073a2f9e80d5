"""Our Numba Word2Vec against gensim's (skip-gram, negative sampling) on the Lee corpus, same settings.

Both train skip-gram (gensim with ``sg=1``) on gensim's ``lee_background.cor`` (300 documents, 58k tokens,
tokenised by ``simple_preprocess``) with the same hyperparameters, on one worker and on all cores. Reported per
library: training words per second (raw corpus tokens x epochs / wall time of training, the vocabulary pass
excluded for both), and the Spearman correlation of cosine similarities with WordSim-353 (gensim's
``evaluate_word_pairs``; the pairs with both words in the vocabulary), averaged over ``--seeds`` (the corpus is
small, so one seed's score is noisy). Ratios ours/gensim in the same run. Numba kernels are compiled (or loaded
from the cache) before timing.

    python benchmarks/word2vec.py                    # epochs 30, min_count 2, vector_size 100, seeds 0 1 2
    python benchmarks/word2vec.py --epochs 10 --seeds 0
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numba
import numpy as np

from boltzgym.models.embeddings.word2vec import Word2Vec, gensim_test_file, lee_corpus

try:
    import gensim
except ImportError:  # the peer is in the `bench` extra
    gensim = None


def run_ours(corpus, settings: dict, workers: int, seed: int, pairs) -> tuple[float, float]:
    model = Word2Vec(corpus, workers=workers, seed=seed, **settings)
    return model.train_seconds, model.wv.evaluate_word_pairs(pairs)[1].statistic


def run_gensim(corpus, settings: dict, workers: int, seed: int, pairs) -> tuple[float, float]:
    model = gensim.models.Word2Vec(sg=1, hs=0, workers=workers, seed=seed, **settings)
    model.build_vocab(corpus)
    start = time.perf_counter()
    model.train(corpus, total_examples=model.corpus_count, epochs=model.epochs)
    seconds = time.perf_counter() - start
    return seconds, model.wv.evaluate_word_pairs(str(pairs))[1].statistic


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--min-count", type=int, default=2, help="min_count (default: 2; lee is a small corpus)")
    parser.add_argument("--vector-size", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    args = parser.parse_args(argv)
    if gensim is None:
        raise SystemExit("gensim is not installed: pip install -e '.[bench]'")
    corpus = lee_corpus()
    pairs = gensim_test_file("wordsim353.tsv")
    tokens = sum(len(sentence) for sentence in corpus)
    settings = dict(vector_size=args.vector_size, window=args.window, negative=args.negative,
                    min_count=args.min_count, epochs=args.epochs, sample=1e-3, alpha=0.025, min_alpha=1e-4)  # fmt: skip
    Word2Vec(corpus[:3], min_count=1, epochs=1, workers=max(args.workers))  # compile (or load) the kernels
    Word2Vec(corpus[:3], min_count=1, epochs=1, workers=1)
    print(f"gensim {gensim.__version__}, numba {numba.__version__}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start")  # fmt: skip
    print(f"lee: {len(corpus)} documents, {tokens} tokens; {settings}; seeds {args.seeds}")
    header = ("workers", "ours w/s", "gensim w/s", "ratio", "ours rho", "gensim rho", "rho diff")
    print(" ".join(f"{h:>11}" for h in header))
    for workers in args.workers:
        results = {"ours": [], "gensim": []}
        for seed in args.seeds:
            for name, run in (("ours", run_ours), ("gensim", run_gensim)):
                results[name].append(run(corpus, settings, workers, seed, pairs))
        speed = {name: statistics.median(tokens * args.epochs / s for s, _ in rows) for name, rows in results.items()}
        rho = {name: float(np.mean([r for _, r in rows])) for name, rows in results.items()}
        row = (workers, f"{speed['ours']:.3g}", f"{speed['gensim']:.3g}", f"{speed['ours'] / speed['gensim']:.2f}",
               f"{rho['ours']:.3f}", f"{rho['gensim']:.3f}", f"{rho['ours'] - rho['gensim']:+.3f}")  # fmt: skip
        print(" ".join(f"{str(v):>11}" for v in row), flush=True)
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} at the end (under load, times are inflated and words/s deflated for both)")


if __name__ == "__main__":
    main()
