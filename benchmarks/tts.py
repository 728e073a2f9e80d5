"""Time to solution against exact ground states: SA, multi-spin SA, PT, PT with Houdayer moves, population
annealing and dwave-neal on the same open-boundary 2D +-J instances.

For each L of ``--sizes``, ``--instances`` L x L +-J glasses (instance ``k`` seeded ``1000 L + k``) get their exact
ground-state energy ``E0`` from ``boltzgym.sims.planar``. Each method then makes ``--reads`` independent reads with
``--sweeps`` sweeps each (same beta range, the model's default, for every method):

- ``sa``: ``anneal`` (single-spin Metropolis); ``multispin``: ``anneal(method="multispin")``; ``neal``: dwave-neal
  (skipped when not installed: ``pip install 'boltzgym[bench]'``). A read is one annealing run.
- ``pt`` / ``pt+houdayer``: ``parallel_tempering`` with ``--temperatures`` replicas per ladder; a read is one ladder
  (its best state over the run). A read costs ``temperatures`` times the sweeps.
- ``pa``: ``population_annealing``; a read is one run of ``--population`` replicas over ``--pa-temperatures``
  steps of ``--pa-sweeps`` sweeps; it succeeds when any replica of the final population is a ground state.

``P(ground)`` is the fraction of reads (all instances pooled) ending at ``E0`` (a state at ``E0`` is a ground
state; no method ever reports below ``E0``, which is checked). Per instance, ``TTS99 = t_run ln(0.01) / ln(1 - p)``
(``t_run = 1`` read when ``p >= 0.99``), given in replica-sweeps (``t_run`` = sweeps times replicas per read, the
machine-independent cost) and in seconds (``t_run`` = wall seconds of the reads / reads, this machine, threads as
``anneal`` uses them). The table prints the median over instances with a 95% bootstrap interval (instances and
reads resampled, 1000 draws); ``inf`` when reads never succeed, where the mean residual energy per spin
``(E - E0) / N`` tells how far they ended. ``--residual`` also writes the residual energy against sweeps for the
annealers; ``--out`` gets ``tts.png`` (TTS99 against L), ``residual.png`` and ``tts.json``.

    python benchmarks/tts.py                                   # L = 16, 32, 64 (about 10 minutes on 2 cores)
    python benchmarks/tts.py --sizes 16,32 --instances 4 --reads 32 --methods sa,pt,pt+houdayer
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

METHODS = ("sa", "multispin", "pt", "pt+houdayer", "pa", "neal")


def tts99(p: float, t_run: float) -> float:
    """``t_run ln(0.01) / ln(1 - p)``: the time to reach the ground state with 99% probability."""
    if p >= 0.99:
        return t_run
    if p <= 0:
        return math.inf
    return t_run * math.log(0.01) / math.log(1.0 - p)


def best_tts(hits: np.ndarray) -> float:
    """TTS99 of reads whose first ground-state hit cost ``hits`` replica-sweeps (``inf``: never), minimized over the
    run lengths at which a read could stop (every finite hit; an annealer's only one is its full length)."""
    finite = np.unique(hits[np.isfinite(hits)])
    if finite.size == 0:
        return math.inf
    return min(tts99(float(np.mean(hits <= length)), float(length)) for length in finite)


def bootstrap_median_tts(hits: list[np.ndarray], draws: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    """Median over instances of ``best_tts``, and its 95% interval from resampling instances and their reads."""
    rng = np.random.default_rng(seed)
    point = float(np.median([best_tts(h) for h in hits]))
    samples = np.empty(draws)
    for d in range(draws):
        chosen = rng.integers(0, len(hits), len(hits))
        samples[d] = np.median([best_tts(hits[i][rng.integers(0, hits[i].size, hits[i].size)]) for i in chosen])
    samples.sort()  # order statistics: the interval may reach inf (reads that never succeed) without nan
    return point, float(samples[int(0.025 * draws)]), float(samples[int(np.ceil(0.975 * draws)) - 1])


def bootstrap_ratio(hits_a: list[np.ndarray], hits_b: list[np.ndarray], draws: int = 1000, seed: int = 0):
    """``median TTS(a) / median TTS(b)`` on the same instances, with a paired 95% bootstrap interval."""
    rng = np.random.default_rng(seed)

    def ratio(chosen, resample):
        def median(hits):
            return np.median([best_tts(hits[i][rng.integers(0, hits[i].size, hits[i].size)] if resample else hits[i])
                              for i in chosen])  # fmt: skip

        a, b = median(hits_a), median(hits_b)
        return a / b if math.isfinite(b) and b > 0 else math.nan

    point = ratio(range(len(hits_a)), False)
    samples = np.sort([ratio(rng.integers(0, len(hits_a), len(hits_a)), True) for _ in range(draws)])
    return point, float(samples[int(0.025 * draws)]), float(samples[int(np.ceil(0.975 * draws)) - 1])


def run_method(method: str, model, ground: float, args, seed: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    """``(final energies of the reads, first-hit replica-sweeps of each read (inf: never), replica-sweeps per read,
    wall seconds per read)``. Tempering's hits come from its best-so-far trace; the others hit at full length."""

    def at_end(energies, cost):
        return np.where(energies <= ground + 1e-9, float(cost), np.inf)

    from boltzgym.sims.annealing import anneal, parallel_tempering
    from boltzgym.sims.population import population_annealing

    if method in ("sa", "multispin"):
        result = anneal(model, args.sweeps, args.reads, seed=seed, method="metropolis" if method == "sa" else method)
        return result.energies, at_end(result.energies, args.sweeps), args.sweeps, result.seconds / args.reads
    if method in ("pt", "pt+houdayer"):
        chains = args.reads + args.reads % 2
        result = parallel_tempering(model, args.sweeps, args.temperatures, chains, seed=seed,
                                    houdayer=method == "pt+houdayer")  # fmt: skip
        hit = result.energy_trace <= ground + 1e-9  # (chains, rounds), one sweep per round
        first = np.where(hit.any(axis=1), (hit.argmax(axis=1) + 1.0) * args.temperatures, np.inf)
        return result.best_energies, first, args.sweeps * args.temperatures, result.seconds / chains
    if method == "pa":
        result = population_annealing(model, args.population, args.pa_temperatures, args.pa_sweeps,
                                      n_runs=args.pa_runs, seed=seed)  # fmt: skip
        cost = result.population_sizes.mean() * args.pa_temperatures * args.pa_sweeps
        energies = result.run_best_energies()
        return energies, at_end(energies, cost), cost, result.seconds / args.pa_runs
    if method == "neal":
        import neal

        from boltzgym.sims.schedules import default_beta_range

        bqm = neal_bqm(model)
        tick = time.perf_counter()
        sampleset = neal.SimulatedAnnealingSampler().sample(bqm, num_reads=args.reads, num_sweeps=args.sweeps,
                                                            beta_range=default_beta_range(model),
                                                            beta_schedule_type="geometric", seed=seed)  # fmt: skip
        seconds = time.perf_counter() - tick
        energies = np.asarray(sampleset.record.energy, dtype=float)
        return energies, at_end(energies, args.sweeps), args.sweeps, seconds / args.reads
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def neal_bqm(model):
    """dimod's BQM of an IsingModel (dimod's J is minus ours)."""
    import dimod
    import scipy.sparse as sp

    upper = sp.triu(model.J, k=1).tocoo()
    quadratic = {(int(i), int(j)): -float(v) for i, j, v in zip(upper.row, upper.col, upper.data)}
    return dimod.BinaryQuadraticModel({i: 0.0 for i in range(model.n_spins)}, quadratic, 0.0, dimod.SPIN)


def residual_against_sweeps(model, ground: float, sweep_counts, reads: int, seed: int, methods) -> dict:
    """Mean residual energy per spin of the annealers' reads at each sweep count."""
    from boltzgym.sims.annealing import anneal

    out = {}
    for method in methods:
        if method not in ("sa", "multispin"):
            continue
        out[method] = [float((anneal(model, s, reads, seed=seed, method="metropolis" if method == "sa" else method)
                              .energies.mean() - ground) / model.n_spins) for s in sweep_counts]  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="16,32,64")
    parser.add_argument("--instances", type=int, default=4)
    parser.add_argument("--reads", type=int, default=64)
    parser.add_argument("--sweeps", type=int, default=1000)
    parser.add_argument("--temperatures", type=int, default=16, help="PT ladder size")
    parser.add_argument("--population", type=int, default=200, help="PA population per run")
    parser.add_argument("--pa-temperatures", type=int, default=50)
    parser.add_argument("--pa-sweeps", type=int, default=10)
    parser.add_argument("--pa-runs", type=int, default=8)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--residual", default="", help="comma-separated sweep counts for residual-vs-sweeps curves")
    parser.add_argument("--out", default=None, help="folder for tts.json and the plots")
    args = parser.parse_args()
    from boltzgym.sims.planar import planar_ground_state, planar_spin_glass

    methods = [m for m in args.methods.split(",") if m]
    if "neal" in methods:
        try:
            import neal  # noqa: F401
        except ImportError:
            print("dwave-neal is not installed (pip install 'boltzgym[bench]'): skipping neal")
            methods.remove("neal")
    sizes = [int(text) for text in args.sizes.split(",")]
    rows, residuals, all_hits = [], {}, {}
    print(f"{'L':>4} {'method':<12} {'P(ground)':>9} {'TTS99 sweeps [95% CI]':>34} {'TTS99 s':>9} "
          f"{'residual/spin':>13}")  # fmt: skip
    for size in sizes:
        lattices = [planar_spin_glass(size, couplings="pm", seed=1000 * size + k) for k in range(args.instances)]
        grounds = [planar_ground_state(lattice).energy for lattice in lattices]
        models = [lattice.to_model() for lattice in lattices]
        for method in methods:
            successes, reads, hits, seconds_per_sweep, residual = [], [], [], [], []
            for k, (model, ground) in enumerate(zip(models, grounds)):
                energies, first, sweeps_per_read, seconds_per_read = run_method(method, model, ground, args, seed=k)
                if energies.min() < ground - 1e-9:
                    raise AssertionError(f"{method} reported {energies.min()} below the exact {ground} (L={size})")
                successes.append(int(np.sum(energies <= ground + 1e-9)))
                reads.append(energies.size)
                hits.append(first)
                seconds_per_sweep.append(seconds_per_read / sweeps_per_read)
                residual.append(float((energies.mean() - ground) / model.n_spins))
            successes, reads = np.asarray(successes), np.asarray(reads)
            all_hits[size, method] = hits
            point, low, high = bootstrap_median_tts(hits)
            p = float(successes.sum() / reads.sum())
            tts_seconds = float(np.median([best_tts(h) * t for h, t in zip(hits, seconds_per_sweep)]))
            row = {"L": size, "method": method, "p_ground": p, "tts99_sweeps": point, "tts99_low": low,
                   "tts99_high": high, "tts99_seconds": tts_seconds, "residual_per_spin": float(np.mean(residual)),
                   "instances": args.instances, "reads": int(reads.sum())}  # fmt: skip
            rows.append(row)
            interval = f"{point:.3g} [{low:.3g}, {high:.3g}]"
            residual_mean = row["residual_per_spin"]
            print(
                f"{size:>4} {method:<12} {p:>9.3f} {interval:>34} {tts_seconds:>9.3g} {residual_mean:>13.5f}",
                flush=True,
            )
        if args.residual:
            counts = [int(s) for s in args.residual.split(",")]
            residuals[size] = {"sweeps": counts, **residual_against_sweeps(models[0], grounds[0], counts, args.reads, 0,
                                                                           methods)}  # fmt: skip
    ratios = {}
    for size in sizes:
        if (size, "pt") in all_hits and (size, "pt+houdayer") in all_hits:
            ratio, low, high = bootstrap_ratio(all_hits[size, "pt"], all_hits[size, "pt+houdayer"])
            ratios[size] = (ratio, low, high)
            print(f"L={size}: median TTS99(pt) / median TTS99(pt+houdayer) = {ratio:.3g} (paired bootstrap 95%: "
                  f"[{low:.3g}, {high:.3g}])")  # fmt: skip
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "tts.json").write_text(
            json.dumps({"rows": rows, "residual": residuals, "houdayer_ratio": ratios, "args": vars(args)}, indent=1)
        )
        plot(rows, residuals, out)


def plot(rows, residuals, out: Path) -> None:
    """``tts.png``: median TTS99 (replica-sweeps) against L per method, with the bootstrap intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for method in dict.fromkeys(row["method"] for row in rows):
        mine = [row for row in rows if row["method"] == method and math.isfinite(row["tts99_sweeps"])]
        if not mine:
            continue
        sizes = [row["L"] for row in mine]
        values = np.array([row["tts99_sweeps"] for row in mine])
        low = values - np.array([row["tts99_low"] for row in mine])
        high = np.array([row["tts99_high"] if math.isfinite(row["tts99_high"]) else row["tts99_sweeps"]
                         for row in mine]) - values  # fmt: skip
        ax.errorbar(sizes, values, yerr=[low, high], marker="o", capsize=3, label=method)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("L (open L x L +-J lattice)")
    ax.set_ylabel("median TTS99 (replica-sweeps)")
    ax.set_title("time to the exact ground state (95% bootstrap intervals)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "tts.png", dpi=120)
    plt.close(fig)
    if residuals:
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        for size, curves in residuals.items():
            for method, values in curves.items():
                if method != "sweeps":
                    ax.plot(curves["sweeps"], np.maximum(values, 1e-5), marker="o", label=f"{method}, L={size}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("sweeps")
        ax.set_ylabel("mean residual energy per spin (floor 1e-5)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "residual.png", dpi=120)
        plt.close(fig)


if __name__ == "__main__":
    main()
