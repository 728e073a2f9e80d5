"""Our RBM against scikit-learn's BernoulliRBM on the binarized 8x8 digits: fit time and log-likelihood.

Both fit the same data with the same hidden units, epochs, batch size and learning rate, in one run; both use
PCD-1 by default (scikit-learn's algorithm). The log-likelihood of each fitted model is computed by the same code:
exact (enumerating the hidden layer) up to 25 hidden units, else AIS with its standard error; the pseudo-likelihood
likewise, twice: scikit-learn's ``score_samples`` (mean over the data; one random unit flipped per row, the same units
for both models, so the difference's standard error is a paired one), and its expectation over the flipped unit,
sum_i log p(v_i | v_-i) (every unit flipped: no noise). Our kernels are compiled before timing (the compile time is
printed separately).

Timing: one thread (numba threads 1, BLAS threads 1 through threadpoolctl; OPENBLAS_CORETYPE as the environment
sets it), CPU time (``time.process_time``), the two fits interleaved ``--repeats`` times in this process; the
median of the per-repeat ratios is the figure to quote on a shared machine.

    python benchmarks/rbm.py                      # 20 hidden units, 20 epochs, batch 10, lr 0.1
    python benchmarks/rbm.py --hidden 64 --epochs 10 --momentum 0.5
    python benchmarks/rbm.py --hidden 256 --epochs 10 --repeats 7    # the per-core ratio at 256 hidden units
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from sklearn.neural_network import BernoulliRBM

from boltzgym.models.datasets import binary_digits
from boltzgym.sims.rbm import RBM


def log_likelihood(model, X: np.ndarray, seed: int) -> tuple[float, float, str]:
    """Mean log-likelihood of our RBM or a fitted BernoulliRBM: (value, stderr, method)."""
    rbm = model if isinstance(model, RBM) else RBM.from_bernoulli_rbm(model)
    if rbm.n_components <= 25:
        return rbm.log_likelihood(X, "exact"), 0.0, "exact"
    value, error = rbm.log_likelihood(X, "ais", n_chains=100, n_betas=14501, random_state=seed)
    return value, error, "ais"


def pseudo_likelihood(model, X: np.ndarray) -> float:
    """Mean over the rows of sum_i log p(v_i | v_-i) = sum_i log sigmoid(F(v with unit i flipped) - F(v)): what
    ``score_samples`` estimates from one random unit per row, computed over all of them."""
    rbm = model if isinstance(model, RBM) else RBM.from_bernoulli_rbm(model)
    n_samples, n_features = X.shape
    flipped = np.repeat(X[:, None, :], n_features, axis=1)
    units = np.arange(n_features)
    flipped[:, units, units] = 1.0 - flipped[:, units, units]
    gap = rbm.free_energy(flipped.reshape(-1, n_features)).reshape(n_samples, n_features) - rbm.free_energy(X)[:, None]
    return float(-np.logaddexp(0.0, -gap).sum(axis=1).mean())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hidden", type=int, default=20, help="hidden units (default: 20)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs (default: 20)")
    parser.add_argument("--batch-size", type=int, default=10, help="minibatch size (default: 10, sklearn's)")
    parser.add_argument("--learning-rate", type=float, default=0.1, help="learning rate (default: 0.1, sklearn's)")
    parser.add_argument("--cd-k", type=int, default=1, help="our k (default: 1)")
    parser.add_argument("--cd", action="store_true", help="our RBM by CD-k instead of PCD-k")
    parser.add_argument("--momentum", type=float, default=0.0, help="our momentum (default: 0, as sklearn)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved timed fits of each (default: 5)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    X = binary_digits()
    common = dict(
        n_components=args.hidden,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        n_iter=args.epochs,
        random_state=args.seed,
    )
    ours_options = dict(cd_k=args.cd_k, persistent=not args.cd, momentum=args.momentum)

    import numba
    from threadpoolctl import threadpool_limits

    numba.set_num_threads(1)
    start = time.perf_counter()
    RBM(**{**common, "n_iter": 1}, **ours_options).fit(X[:20])  # compile (or load cached) kernels
    compile_seconds = time.perf_counter() - start

    def timed_fit(model):
        start = time.process_time()
        model.fit(X)
        return time.process_time() - start, model

    sklearn_times, ours_times = [], []
    with threadpool_limits(1):
        for _ in range(args.repeats):
            seconds, sklearn_model = timed_fit(BernoulliRBM(**common))
            sklearn_times.append(seconds)
            seconds, ours_model = timed_fit(RBM(**common, **ours_options))
            ours_times.append(seconds)
    ratios = [theirs / ours for theirs, ours in zip(sklearn_times, ours_times)]
    sklearn_ll, sklearn_err, method = log_likelihood(sklearn_model, X, args.seed)
    ours_ll, ours_err, _ = log_likelihood(ours_model, X, args.seed)
    sklearn_scores = RBM.from_bernoulli_rbm(sklearn_model, random_state=args.seed).score_samples(X)
    ours_scores = RBM.from_bernoulli_rbm(ours_model, random_state=args.seed).score_samples(X)
    sklearn_pl, ours_pl = sklearn_scores.mean(), ours_scores.mean()
    pl_stderr = (ours_scores - sklearn_scores).std(ddof=1) / np.sqrt(len(X))  # paired: the same flipped units
    sklearn_full_pl, ours_full_pl = pseudo_likelihood(sklearn_model, X), pseudo_likelihood(ours_model, X)

    algorithm = f"{'cd' if args.cd else 'pcd'}-{args.cd_k}" + (f", momentum {args.momentum}" if args.momentum else "")
    print(
        f"binarized digits {X.shape}, {args.hidden} hidden, {args.epochs} epochs, batch {args.batch_size}, "
        f"lr {args.learning_rate}; ours: {algorithm}; sklearn: pcd-1; one thread, CPU time, {args.repeats} "
        "interleaved repeats"
    )
    print(f"our kernels compile/load: {compile_seconds:.2f}s (not in the fit times)")
    print(f"{'model':<14}{'median fit s':>13}{'log-lik (' + method + ')':>20}{'stderr':>10}{'pseudo-LL':>11}"
          f"{'(all flips)':>13}")  # fmt: skip
    print(f"{'BernoulliRBM':<14}{statistics.median(sklearn_times):>13.4f}{sklearn_ll:>20.4f}{sklearn_err:>10.4f}"
          f"{sklearn_pl:>11.3f}{sklearn_full_pl:>13.3f}")  # fmt: skip
    print(f"{'boltzgym RBM':<14}{statistics.median(ours_times):>13.4f}{ours_ll:>20.4f}{ours_err:>10.4f}"
          f"{ours_pl:>11.3f}{ours_full_pl:>13.3f}")  # fmt: skip
    print(
        f"speed ratio (sklearn CPU time / ours), median of {args.repeats}: {statistics.median(ratios):.2f}x "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f})"
    )
    print(
        f"log-likelihood difference (ours - sklearn): {ours_ll - sklearn_ll:+.4f} nats; "
        f"pseudo-likelihood difference {ours_pl - sklearn_pl:+.3f} ± {pl_stderr:.3f} (one flip per row), "
        f"{ours_full_pl - sklearn_full_pl:+.3f} (all flips)"
    )


if __name__ == "__main__":
    main()
