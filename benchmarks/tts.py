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
import time
from pathlib import Path

import numpy as np

from boltzgym.experiments.time_to_solution import METHODS, TTSSettings, plot, tts_table


def neal_bqm(model):
    """dimod's BQM of an IsingModel (dimod's J is minus ours)."""
    import dimod
    import scipy.sparse as sp

    upper = sp.triu(model.J, k=1).tocoo()
    quadratic = {(int(i), int(j)): -float(v) for i, j, v in zip(upper.row, upper.col, upper.data)}
    return dimod.BinaryQuadraticModel({i: 0.0 for i in range(model.n_spins)}, quadratic, 0.0, dimod.SPIN)


def run_neal(model, ground: float, settings: TTSSettings, seed: int):
    """dwave-neal's reads on the same instance, schedule and sweeps (the peer)."""
    import neal

    from boltzgym.sims.schedules import default_beta_range

    tick = time.perf_counter()
    sampleset = neal.SimulatedAnnealingSampler().sample(
        neal_bqm(model), num_reads=settings.reads, num_sweeps=settings.sweeps, beta_range=default_beta_range(model),
        beta_schedule_type="geometric", seed=seed,
    )  # fmt: skip
    seconds = time.perf_counter() - tick
    energies = np.asarray(sampleset.record.energy, dtype=float)
    hits = np.where(energies <= ground + 1e-9, float(settings.sweeps), np.inf)
    return energies, hits, settings.sweeps, seconds / settings.reads


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
    parser.add_argument("--methods", default=",".join((*METHODS, "neal")))
    parser.add_argument("--residual", default="", help="comma-separated sweep counts for residual-vs-sweeps curves")
    parser.add_argument("--out", default=None, help="folder for tts.json and the plots")
    args = parser.parse_args()
    methods = [m for m in args.methods.split(",") if m]
    if "neal" in methods:
        try:
            import neal  # noqa: F401
        except ImportError:
            print("dwave-neal is not installed (pip install 'boltzgym[bench]'): skipping neal")
            methods.remove("neal")
    settings = TTSSettings(args.reads, args.sweeps, args.temperatures, args.population, args.pa_temperatures,
                           args.pa_sweeps, args.pa_runs)  # fmt: skip
    table = tts_table([int(s) for s in args.sizes.split(",")], args.instances, settings, methods,
                      [int(s) for s in args.residual.split(",") if s], extra_methods={"neal": run_neal})  # fmt: skip
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "tts.json").write_text(json.dumps(table | {"args": vars(args)}, indent=1, default=str))
        plot(table["rows"], table["residual"], out)


if __name__ == "__main__":
    main()
