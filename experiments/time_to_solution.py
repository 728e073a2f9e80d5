"""Time to solution against exact ground states (issue 25): SA, multi-spin SA, PT, PT with Houdayer moves and
population annealing on the same open-boundary 2D +-J instances, whose exact ground states come from
``boltzgym.sims.planar``.

For each L of ``sizes``, ``instances`` L x L +-J glasses (instance ``k`` seeded ``1000 L + k``) get their exact
ground-state energy ``E0``. Each method then makes ``reads`` independent reads with ``sweeps`` sweeps each (same beta
range, the model's default, for every method):

- ``sa``: ``anneal`` (single-spin Metropolis); ``multispin``: ``anneal(method="multispin")``. A read is one
  annealing run.
- ``pt`` / ``pt+houdayer``: ``parallel_tempering`` with ``temperatures`` replicas per ladder; a read is one ladder
  (its best state over the run). A read costs ``temperatures`` times the sweeps.
- ``pa``: ``population_annealing``; a read is one run of ``population`` replicas over ``pa_temperatures`` steps of
  ``pa_sweeps`` sweeps; it succeeds when any replica of the final population is a ground state.

``P(ground)`` is the fraction of reads (all instances pooled) ending at ``E0`` (no method may report below ``E0``:
checked). Per instance, TTS99 (:mod:`boltzgym.sims.tts`) is given in replica-sweeps (the machine-independent cost)
and in seconds (this machine); the table holds the median over instances with a 95% bootstrap interval; ``inf``
when reads never succeed, where the mean residual energy per spin ``(E - E0) / N`` tells how far they ended.
``benchmarks/tts.py`` runs the same table with dwave-neal beside ours at the documented sizes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from boltzgym.sims.tts import best_tts, bootstrap_median_tts, bootstrap_ratio
from boltzgym.utils.validation import check_int, setting_ranges

METHODS = ("sa", "multispin", "pt", "pt+houdayer", "pa")


@dataclass
class TTSSettings:
    """The reads each method makes (see the module docstring)."""

    reads: int = 16
    sweeps: int = 300
    temperatures: int = 8  # PT ladder size
    population: int = 50  # PA replicas per run
    pa_temperatures: int = 30
    pa_sweeps: int = 5
    pa_runs: int = 4


def run_method(
    method: str, model, ground: float, args: TTSSettings, seed: int
) -> tuple[np.ndarray, np.ndarray, float, float]:
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
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


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


def tts_table(
    sizes, instances: int, settings: TTSSettings, methods, residual_sweeps=(), extra_methods=None, log=print
) -> dict:
    """Run every method on every instance; ``{"rows", "residual", "houdayer_ratio"}`` (see the module docstring).

    ``extra_methods``: ``{name: run(model, ground, settings, seed) -> (energies, hits, cost per read, seconds per
    read)}`` for peers run on the same instances (benchmarks/tts.py adds dwave-neal)."""
    from boltzgym.sims.planar import planar_ground_state, planar_spin_glass

    extra_methods = dict(extra_methods or {})
    for method in methods:
        if method not in METHODS and method not in extra_methods:
            raise ValueError(f"methods must be among {METHODS + tuple(extra_methods)}, got {method!r}")
    rows, residuals, all_hits = [], {}, {}
    log(f"{'L':>4} {'method':<12} {'P(ground)':>9} {'TTS99 sweeps [95% CI]':>34} {'TTS99 s':>9} {'residual/spin':>13}")
    for size in sizes:
        lattices = [planar_spin_glass(size, couplings="pm", seed=1000 * size + k) for k in range(instances)]
        grounds = [planar_ground_state(lattice).energy for lattice in lattices]
        models = [lattice.to_model() for lattice in lattices]
        for method in methods:
            run: Callable = extra_methods.get(method) or (
                lambda m, g, s, k, method=method: run_method(method, m, g, s, k)
            )
            successes, reads, hits, seconds_per_sweep, residual = [], [], [], [], []
            for k, (model, ground) in enumerate(zip(models, grounds)):
                energies, first, sweeps_per_read, seconds_per_read = run(model, ground, settings, k)
                if energies.min() < ground - 1e-9:
                    raise AssertionError(f"{method} reported {energies.min()} below the exact {ground} (L={size})")
                successes.append(int(np.sum(energies <= ground + 1e-9)))
                reads.append(energies.size)
                hits.append(first)
                seconds_per_sweep.append(seconds_per_read / sweeps_per_read)
                residual.append(float((energies.mean() - ground) / model.n_spins))
            all_hits[size, method] = hits
            point, low, high = bootstrap_median_tts(hits)
            p = float(np.sum(successes) / np.sum(reads))
            tts_seconds = float(np.median([best_tts(h) * t for h, t in zip(hits, seconds_per_sweep)]))
            row = {"L": size, "method": method, "p_ground": p, "tts99_sweeps": point, "tts99_low": low,
                   "tts99_high": high, "tts99_seconds": tts_seconds, "residual_per_spin": float(np.mean(residual)),
                   "instances": instances, "reads": int(np.sum(reads))}  # fmt: skip
            rows.append(row)
            interval = f"{point:.3g} [{low:.3g}, {high:.3g}]"
            log(
                f"{size:>4} {method:<12} {p:>9.3f} {interval:>34} {tts_seconds:>9.3g} {row['residual_per_spin']:>13.5f}"
            )
        if residual_sweeps:
            residuals[size] = {
                "sweeps": list(residual_sweeps),
                **residual_against_sweeps(models[0], grounds[0], residual_sweeps, settings.reads, 0, methods),
            }
    ratios = {}
    for size in sizes:
        if (size, "pt") in all_hits and (size, "pt+houdayer") in all_hits:
            ratios[size] = bootstrap_ratio(all_hits[size, "pt"], all_hits[size, "pt+houdayer"])
            ratio, low, high = ratios[size]
            log(f"L={size}: median TTS99(pt) / median TTS99(pt+houdayer) = {ratio:.3g} (paired bootstrap 95%: "
                f"[{low:.3g}, {high:.3g}])")  # fmt: skip
    return {"rows": rows, "residual": residuals, "houdayer_ratio": ratios}


@setting_ranges(instances=(1, 1000), reads=(1, 100_000), sweeps=(1, 10_000_000))
@setting_ranges(instances=(1, 1000), reads=(1, 100_000), sweeps=(1, 10_000_000))
def time_to_solution(
    out_dir,
    seed: int = 0,
    progress: bool = False,
    sizes: str = "8,16",
    instances: int = 3,
    reads: int = 16,
    sweeps: int = 300,
    methods: str = ",".join(METHODS),
) -> dict:
    """``boltzgym experiment tts``: the time-to-solution table and ``tts.png`` at CPU scale (about 15 s; the
    documented L = 16, 32, 64 table is ``python benchmarks/tts.py``). ``seed`` is unused: instance ``k`` of size ``L``
    is seeded ``1000 L + k`` and read ``k``'s seed is ``k``, so every method sees the same instances and seeds."""
    sizes = [check_int("sizes", int(text), minimum=2, maximum=128) for text in str(sizes).split(",") if text.strip()]
    settings = TTSSettings(reads=check_int("reads", reads, minimum=1), sweeps=check_int("sweeps", sweeps, minimum=1))
    chosen = [m for m in str(methods).split(",") if m]
    table = tts_table(sizes, check_int("instances", instances, minimum=1), settings, chosen, log=lambda line: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "tts.json").write_text(json.dumps(table | {"settings": vars(settings)}, indent=1, default=str))
    plot(table["rows"], table["residual"], out)
    summary = {"sizes": sizes, "rows": table["rows"]}
    for row in table["rows"]:
        summary[f"p_ground_{row['method']}_L{row['L']}"] = row["p_ground"]
    return summary


def plot(rows, residuals, out: Path) -> None:
    """``tts.png``: median TTS99 (replica-sweeps) against L per method, with the bootstrap intervals."""
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
