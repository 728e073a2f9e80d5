"""Simulated annealing: boltzgym.sims against dwave-neal on the same instances, schedule, sweeps and reads.

Instances: a 2D +-J Edwards-Anderson glass (periodic L x L, default L = 64), the same lattice with Gaussian
couplings (real couplings on the sparse path) and an SK model (default N = 800, real couplings on the dense path).
Both samplers get the same geometric beta schedule (one sweep per beta, sequential Metropolis, as neal does),
the same number of sweeps and reads. Prints spin-flip attempts per second of each and their ratio, and the
mean and best energy per spin of each, with boltzgym on 1 thread and on 2 threads (neal is single-threaded).

Per-core rows (the figure to quote on a shared machine): neal and boltzgym on one thread (numba threads 1,
BLAS threads 1 through threadpoolctl; OPENBLAS_CORETYPE is left as the environment sets it), run interleaved
``--repeats`` times with seeds 0, 1, ... in this process, timed by CPU time (``time.process_time``); the median
of the per-repeat ratios is printed, with the mean energy per spin of each sampler over all repeats, its
standard error and their difference in standard errors (``z``; |z| < 3 expected for the same statistics).

``--baseline REV`` adds a third sampler to the per-core rows: the single-spin kernel module ``sims/_kernels.py``
as it was at git revision ``REV`` (e.g. ``495c1ec^``, the start of issue 24's item 2), loaded from ``git show``
into a temporary module and run on the same instance, schedule, reads and seeds, interleaved with the others;
its rows print its attempts per CPU-second and the current kernel's speed-up over it (the whole ``anneal`` call
against the bare old kernel, so set-up costs count against the current one).

Multi-spin rows (the ±J lattice only; ``--multispin-reads`` reads, 64 per machine word): the single-spin kernel and
the multi-spin kernel (``anneal(method="multispin")``) on the same schedule and sweeps, 1 and 2 threads.
Cold-start rows: the first ``sample_ising`` call in a fresh Python process (numba loading its cache; run
``boltzgym warmup`` once first) against a second call in that process, for neal and for boltzgym.

    python benchmarks/annealing.py                      # defaults: L=64, N=800, 1000 sweeps, 8 reads
    python benchmarks/annealing.py --sweeps 200 --reads 4
    python benchmarks/annealing.py --only sk --repeats 7 --no-cold   # the SK per-core ratio alone
    python benchmarks/annealing.py --only sk gaussian --repeats 7 --no-cold --baseline 495c1ec^
"""

from __future__ import annotations

import argparse
import os
import time


def neal_inputs(model):
    """dimod's BQM of an IsingModel: dimod's J is minus ours, h likewise (see boltzgym.sims.ising)."""
    import dimod
    import scipy.sparse as sp

    upper = sp.triu(model.csr_couplings(), k=1).tocoo()
    quadratic = {(int(i), int(j)): -float(v) for i, j, v in zip(upper.row, upper.col, upper.data)}
    linear = {i: -float(v) for i, v in enumerate(model.h)}
    return dimod.BinaryQuadraticModel(linear, quadratic, 0.0, dimod.SPIN)


def _timed(function):
    """Run ``function()``; return its result, wall seconds and process CPU seconds (all threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def run_neal(bqm, n_spins, sweeps, reads, beta_range, seed, keep=False):
    import neal

    sampler = neal.SimulatedAnnealingSampler()
    sampleset, wall, cpu = _timed(
        lambda: sampler.sample(
            bqm, num_reads=reads, num_sweeps=sweeps, beta_range=beta_range, beta_schedule_type="geometric", seed=seed
        )
    )
    energies = sampleset.record.energy / n_spins
    attempts = reads * sweeps * n_spins
    row = {"wall": attempts / wall, "cpu": attempts / cpu, "mean": energies.mean(), "best": energies.min()}
    return {**row, "energies": energies} if keep else row


def run_boltzgym(model, sweeps, reads, beta_range, seed, threads, keep=False):
    import numba

    from boltzgym.sims.annealing import anneal

    numba.set_num_threads(threads)
    result, wall, cpu = _timed(
        lambda: anneal(model, sweeps, reads, beta_range, "geometric", seed=seed, parallel=threads > 1)
    )
    energies = result.energies / model.n_spins
    attempts = result.n_attempts
    row = {"wall": attempts / wall, "cpu": attempts / cpu, "mean": energies.mean(), "best": energies.min()}
    return {**row, "energies": energies} if keep else row


def load_baseline(revision: str):
    """The module ``sims/_kernels.py`` at git ``revision`` (``git show``), imported from a temporary folder."""
    import importlib.util
    import pathlib
    import subprocess
    import tempfile

    root = pathlib.Path(__file__).resolve().parent.parent
    source = subprocess.run(["git", "show", f"{revision}:sims/_kernels.py"], cwd=root, capture_output=True,
                            text=True, check=True).stdout  # fmt: skip
    path = pathlib.Path(tempfile.mkdtemp(prefix="boltzgym_baseline_")) / "baseline_kernels.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("baseline_kernels", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_baseline(module, model, sweeps, reads, beta_range, seed, keep=False):
    """The old kernel module's serial single-site sweeps on ``anneal``'s inputs: its schedule and couplings,
    random initial states and per-read streams of ``seed`` (sequential Metropolis, one thread)."""
    import numpy as np

    from boltzgym.sims._engine import kernel_couplings
    from boltzgym.sims.schedules import beta_schedule
    from boltzgym.utils.rng import make_streams

    couplings = kernel_couplings(model)
    states = np.random.default_rng(seed).choice(np.array([-1, 1], dtype=np.int8), size=(reads, model.n_spins))
    dtype = couplings.data.dtype if not couplings.use_dense else np.float64
    fields = np.ascontiguousarray(model.local_fields(states), dtype=dtype)
    energies = np.asarray(model.energy(states), dtype=np.float64).reshape(reads).copy()
    betas = np.atleast_2d(beta_schedule(sweeps, beta_range, "geometric"))
    streams, trace, clamped = make_streams(seed, reads), np.zeros((reads, 0)), np.zeros(0, dtype=np.bool_)
    _, wall, cpu = _timed(lambda: module.single_site_sweeps_serial(states, fields, energies, betas, couplings,
                                                                    clamped, 0, False, streams, trace))  # fmt: skip
    final = np.asarray(model.energy(states)) / model.n_spins
    attempts = reads * sweeps * model.n_spins
    row = {"wall": attempts / wall, "cpu": attempts / cpu, "mean": final.mean(), "best": final.min()}
    return {**row, "energies": final} if keep else row


def run_multispin_rows(model, sweeps, reads, beta_range, seed) -> None:
    """Print single-spin vs multi-spin attempts per second and energies at ``reads`` reads, 1 and 2 threads."""
    import numba

    from boltzgym.sims.annealing import anneal

    print(f"multi-spin coding on the lattice, {reads} reads, {sweeps} sweeps (CPU Matt/s = per core)")
    anneal(model, 2, 64, beta_range, seed=0, method="multispin")
    rows = []
    for method in ("metropolis", "multispin"):
        for threads in (1, 2):
            if threads > numba.config.NUMBA_NUM_THREADS:
                continue
            numba.set_num_threads(threads)
            kwargs = {"method": method, "seed": seed, "parallel": threads > 1}
            result, wall, cpu = _timed(lambda k=kwargs: anneal(model, sweeps, reads, beta_range, "geometric", **k))
            energies = result.energies / model.n_spins
            rows.append((f"{method} {threads} thr", result.n_attempts / wall, result.n_attempts / cpu, energies))
    base = rows[0][1]
    for label, wall, cpu, energies in rows:
        print(f"{'':<14} {label:<15} {wall / 1e6:>11.1f} {wall / base:>6.2f} {cpu / 1e6:>11.1f} {'':>6} "
              f"{energies.mean():>9.4f} {energies.min():>9.4f}")  # fmt: skip


_COLD_SCRIPT = """
import sys, time
import numpy as np
kind, side, n_sk, sampler_name = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = np.random.default_rng(0)
if kind == "lattice":
    n = side * side
    index = np.arange(n).reshape(side, side)
    right, down = np.roll(index, 1, 0).ravel(), np.roll(index, 1, 1).ravel()
    pairs = list(zip(index.ravel(), right)) + list(zip(index.ravel(), down))
    J = {(int(u), int(v)): float(rng.choice([-1.0, 1.0])) for u, v in pairs}
else:
    n = n_sk
    J = {(u, v): float(rng.normal() / np.sqrt(n)) for u in range(n) for v in range(u + 1, n)}
tick = time.perf_counter()
if sampler_name == "neal":
    import neal
    sample_ising = neal.SimulatedAnnealingSampler().sample_ising
else:
    from boltzgym.sims import sample_ising
times = [time.perf_counter() - tick]
for _ in range(2):
    tick = time.perf_counter()
    sample_ising({}, J, num_reads=8, num_sweeps=1000, seed=1)
    times.append(time.perf_counter() - tick)
print(*times)
"""


def run_cold_start_rows(side: int, n_sk: int) -> None:
    """Print the first and a second ``sample_ising`` call's seconds in fresh processes, neal and boltzgym."""
    import subprocess
    import sys

    print("cold start: import and first sample_ising call in a fresh process vs a second call (8 reads, 1000 sweeps)")
    for kind, label in (("lattice", f"2D +-J L={side}"), ("sk", f"SK N={n_sk}")):
        for sampler in ("neal", "boltzgym"):
            output = subprocess.run([sys.executable, "-c", _COLD_SCRIPT, kind, str(side), str(n_sk), sampler],
                                    capture_output=True, text=True, check=True).stdout  # fmt: skip
            imported, first, second = (float(x) for x in output.split())
            print(f"{label:<14} {sampler:<9} import {imported:6.3f} s  first call {first:6.3f} s  "
                  f"second {second:6.3f} s  first/second {first / second:5.2f}  "
                  f"import+first {imported + first:6.3f} s")  # fmt: skip


def run_per_core_rows(name, model, sweeps, reads, beta_range, repeats, baseline=None) -> None:
    """Interleaved one-thread CPU-time runs of neal and boltzgym (and the ``baseline`` kernel module when given);
    print the median ratios and the energies."""
    import statistics

    import numba
    import numpy as np
    from threadpoolctl import threadpool_limits

    numba.set_num_threads(1)
    bqm = neal_inputs(model)
    samplers = ["dwave-neal", "boltzgym"] + (["baseline"] if baseline is not None else [])
    ratios, speedups, energies = [], [], {sampler: [] for sampler in samplers}
    if baseline is not None:
        run_baseline(baseline, model, 2, 2, beta_range, 0)  # compile / load before timing
    with threadpool_limits(1):
        for seed in range(repeats):
            peer = run_neal(bqm, model.n_spins, sweeps, reads, beta_range, seed, keep=True)
            ours = run_boltzgym(model, sweeps, reads, beta_range, seed, 1, keep=True)
            ratios.append(ours["cpu"] / peer["cpu"])
            energies["dwave-neal"].append(peer["energies"])
            energies["boltzgym"].append(ours["energies"])
            line = (f"{name:<14} repeat {seed}: neal {peer['cpu'] / 1e6:6.2f} CPU Matt/s, boltzgym "
                    f"{ours['cpu'] / 1e6:6.2f} CPU Matt/s, ratio {ratios[-1]:5.2f}")  # fmt: skip
            if baseline is not None:
                old = run_baseline(baseline, model, sweeps, reads, beta_range, seed, keep=True)
                speedups.append(ours["cpu"] / old["cpu"])
                energies["baseline"].append(old["energies"])
                line += f", baseline {old['cpu'] / 1e6:6.2f} CPU Matt/s (boltzgym/baseline {speedups[-1]:5.2f})"
            print(line, flush=True)
    stats = {}
    for sampler, values in energies.items():
        values = np.concatenate(values)
        stats[sampler] = (values.mean(), values.std(ddof=1) / np.sqrt(values.size), values.min())
    print(
        f"{name:<14} one thread, CPU time, {repeats} interleaved repeats of {reads} reads x {sweeps} sweeps: "
        f"median ratio boltzgym/neal {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})"
    )
    if baseline is not None:
        print(f"{'':<14} median speed-up boltzgym/baseline kernel {statistics.median(speedups):.2f} "
              f"(min {min(speedups):.2f}, max {max(speedups):.2f}); baseline/neal "
              f"{statistics.median(r / s for r, s in zip(ratios, speedups)):.2f}")  # fmt: skip
    for sampler, (mean, err, best) in stats.items():
        print(f"{'':<14} {sampler:<11} mean E/N {mean:.5f} +- {err:.5f}  best E/N {best:.5f}")
    (mean_n, err_n, _), (mean_b, err_b, _) = stats["dwave-neal"], stats["boltzgym"]
    z = (mean_b - mean_n) / np.hypot(err_n, err_b)
    print(f"{'':<14} energies: difference {mean_b - mean_n:+.5f} = {z:+.2f} standard errors")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", type=int, default=64, help="2D lattice side L (default 64)")
    parser.add_argument("--sk", type=int, default=800, help="SK size N (default 800)")
    parser.add_argument("--sweeps", type=int, default=1000, help="sweeps per read (default 1000)")
    parser.add_argument("--reads", type=int, default=8, help="reads (default 8)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--multispin-reads", type=int, default=128, help="reads of the multi-spin rows (128)")
    parser.add_argument("--cold-side", type=int, default=48, help="lattice side of the cold-start rows (48)")
    parser.add_argument("--cold-sk", type=int, default=800, help="SK size of the cold-start rows (800)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved one-thread repeats per instance (5)")
    parser.add_argument("--only", nargs="+", choices=("lattice", "gaussian", "sk"), help="run these instances only")
    parser.add_argument("--baseline", metavar="REV", help="also time sims/_kernels.py of git revision REV")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-start rows")
    args = parser.parse_args(argv)

    import numba

    from boltzgym.sims.annealing import anneal
    from boltzgym.sims.problems import lattice_spin_glass, sherrington_kirkpatrick
    from boltzgym.sims.schedules import default_beta_range

    print(f"cores visible: {os.cpu_count()}, numba threads available: {numba.config.NUMBA_NUM_THREADS}")
    print(f"sweeps {args.sweeps}, reads {args.reads}, geometric schedule, sequential Metropolis, seed {args.seed}")
    instances = {
        "lattice": (f"2D +-J L={args.side}", lattice_spin_glass(args.side, 2, "pm", seed=args.seed)),
        "gaussian": (f"2D Gauss L={args.side}", lattice_spin_glass(args.side, 2, "gaussian", seed=args.seed)),
        "sk": (f"SK N={args.sk}", sherrington_kirkpatrick(args.sk, seed=args.seed)),
    }
    baseline = load_baseline(args.baseline) if args.baseline else None
    header = (
        f"{'instance':<14} {'sampler':<15} {'wall Matt/s':>11} {'ratio':>6} {'CPU Matt/s':>11} {'ratio':>6} "
        f"{'mean E/N':>9} {'best E/N':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, model in (instances[key] for key in (args.only or instances)):
        beta_range = default_beta_range(model)
        anneal(model, 2, 2, beta_range, seed=0, parallel=True)  # compile / load both kernels before timing
        anneal(model, 2, 2, beta_range, seed=0, parallel=False)
        peer = run_neal(neal_inputs(model), model.n_spins, args.sweeps, args.reads, beta_range, args.seed)
        rows = [("dwave-neal", peer)]
        for threads in (1, 2):
            if threads <= numba.config.NUMBA_NUM_THREADS:
                rows.append((f"boltzgym {threads} thr", run_boltzgym(model, args.sweeps, args.reads, beta_range,
                                                                       args.seed, threads)))  # fmt: skip
        for sampler, row in rows:
            print(
                f"{name:<14} {sampler:<15} {row['wall'] / 1e6:>11.2f} {row['wall'] / peer['wall']:>6.2f} "
                f"{row['cpu'] / 1e6:>11.2f} {row['cpu'] / peer['cpu']:>6.2f} {row['mean']:>9.4f} {row['best']:>9.4f}"
            )
        print(f"{'':<14} beta_range ({beta_range[0]:.4g}, {beta_range[1]:.4g})")
        run_per_core_rows(name, model, args.sweeps, args.reads, beta_range, args.repeats, baseline)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        if name.startswith("2D +-J"):
            run_multispin_rows(model, args.sweeps, args.multispin_reads, beta_range, args.seed)
    if not args.no_cold:
        run_cold_start_rows(args.cold_side, args.cold_sk)


if __name__ == "__main__":
    main()
