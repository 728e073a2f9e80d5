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

Multi-spin rows (the lattice only; ``--multispin-reads`` reads, 64 per machine word; ``--only multispin`` runs
them alone): the multi-spin kernel (``anneal(method="multispin")``) against dwave-neal and the single-spin kernel,
one thread, CPU time, interleaved repeats, median ratios and energies; MultiSpinCoding.jl's setting (16 x 16,
2000 sweeps, 64 replicas) in CPU ms of the sweeps beside the figure they report (another machine); the 1 -> 2 thread
wall-time scaling on L = ``--scaling-side`` with the results checked equal (``--only scaling`` runs it alone).
Cold-start rows: the first ``sample_ising`` call in a fresh Python process (numba loading its cache; run
``boltzgym warmup`` once first) against a second call in that process, for neal and for boltzgym.

    python benchmarks/annealing.py                      # defaults: L=64, N=800, 1000 sweeps, 8 reads
    python benchmarks/annealing.py --sweeps 200 --reads 4
    python benchmarks/annealing.py --only sk --repeats 7 --no-cold   # the SK per-core ratio alone
    python benchmarks/annealing.py --only multispin --sweeps 300      # the multi-spin rows alone
    python benchmarks/annealing.py --only scaling --repeats 7         # 1 -> 2 threads, L = 128, 64 reads
    python benchmarks/annealing.py --only sk gaussian --repeats 7 --no-cold --baseline 495c1ec^
"""

from __future__ import annotations

import argparse
import os
import subprocess
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


def _one_thread_cpu(function):
    """``function()`` on one numba thread; return its result and process CPU seconds."""
    import numba

    numba.set_num_threads(1)
    result, _, cpu = _timed(function)
    return result, cpu


def run_multispin_rows(model, sweeps, reads, beta_range, repeats) -> None:
    """Per-core rows of the multi-spin kernel against its peers, same run: dwave-neal and the single-spin kernel.

    One thread, CPU time, ``repeats`` interleaved repeats (seeds 0, 1, ...) of ``reads`` reads x ``sweeps``
    sweeps; prints attempts per CPU second, the median ratios and the mean energies (z in standard errors).
    """
    import statistics

    import numpy as np
    from threadpoolctl import threadpool_limits

    from boltzgym.sims.annealing import anneal
    from boltzgym.sims.multispin import multispin_couplings, pack_spins, run_multispin
    from boltzgym.utils.rng import make_streams

    attempts = reads * sweeps * model.n_spins
    bqm = neal_inputs(model)
    rates = {"dwave-neal": [], "single-spin": [], "multi-spin": [], "kernel": []}
    energies = {key: [] for key in rates if key != "kernel"}
    betas = np.geomspace(beta_range[0], beta_range[1], sweeps)  # anneal's geometric schedule
    couplings = multispin_couplings(model)
    print(f"multi-spin coding, {model.n_spins} spins, {reads} reads x {sweeps} sweeps, one thread, CPU time")
    anneal(model, 2, reads, beta_range, seed=0, method="multispin", parallel=False)  # compile / load untimed
    with threadpool_limits(1):
        for seed in range(repeats):
            runs = {
                "dwave-neal": lambda s=seed: run_neal(bqm, model.n_spins, sweeps, reads, beta_range, s, keep=True),
                "single-spin": lambda s=seed: anneal(model, sweeps, reads, beta_range, "geometric", seed=s,
                                                     parallel=False),
                "multi-spin": lambda s=seed: anneal(model, sweeps, reads, beta_range, "geometric", seed=s,
                                                    method="multispin", parallel=False),
            }  # fmt: skip
            for key, run in runs.items():
                result, cpu = _one_thread_cpu(run)
                rates[key].append(attempts / cpu)
                per_spin = result["energies"] if key == "dwave-neal" else result.energies / model.n_spins
                energies[key].append(per_spin)
            words = pack_spins(np.ones((reads, model.n_spins), dtype=np.int8))
            streams = make_streams(seed, words.shape[0])
            _, cpu = _one_thread_cpu(lambda w=words, r=streams: run_multispin(w, betas, couplings, r, False))
            rates["kernel"].append(attempts / cpu)  # the sweeps alone, without anneal's set-up and energies
            print(f"  repeat {seed}: " + ", ".join(f"{k} {v[-1] / 1e9:.3f}e9" for k, v in rates.items())
                  + f" attempts/CPU-s, load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    multi = np.array(rates["multi-spin"])
    for peer in ("single-spin", "dwave-neal"):
        ratios = multi / np.array(rates[peer])
        print(f"  multi-spin / {peer}: median ratio {statistics.median(ratios):.1f} "
              f"(min {ratios.min():.1f}, max {ratios.max():.1f})")  # fmt: skip
    kernel = np.array(rates["kernel"])
    print(f"  multi-spin: median {statistics.median(multi) / 1e9:.2f}e9 attempts per CPU second (best "
          f"{multi.max() / 1e9:.2f}e9); its sweeps alone (run_multispin, no set-up or energies) median "
          f"{statistics.median(kernel) / 1e9:.2f}e9 (best {kernel.max() / 1e9:.2f}e9)")  # fmt: skip
    base = np.concatenate(energies["single-spin"])
    for key, values in energies.items():
        values = np.concatenate(values)
        err = np.hypot(values.std(ddof=1) / np.sqrt(values.size), base.std(ddof=1) / np.sqrt(base.size))
        print(f"  {key:<12} mean E/N {values.mean():.5f}  best {values.min():.5f}  "
              f"vs single-spin {(values.mean() - base.mean()) / err:+.2f} standard errors")  # fmt: skip


def run_multispin_reference_row(repeats) -> None:
    """MultiSpinCoding.jl's setting: 2D +-J 16 x 16, 2000 sweeps, 64 replicas, one thread: the kernel's CPU ms
    (``run_multispin`` alone, as their figure times their sweep loop) beside theirs (6.04 ms, about 5.4e9
    attempts/s, on their machine) and the single-spin kernel's in this run."""
    import statistics

    import numba
    import numpy as np
    from threadpoolctl import threadpool_limits

    from boltzgym.sims.annealing import anneal
    from boltzgym.sims.multispin import multispin_couplings, pack_spins, run_multispin
    from boltzgym.sims.problems import lattice_spin_glass
    from boltzgym.sims.schedules import default_beta_range
    from boltzgym.utils.rng import make_streams

    model = lattice_spin_glass(16, 2, "pm", seed=0)
    beta_range = default_beta_range(model)
    sweeps, reads = 2000, 64
    attempts = sweeps * reads * model.n_spins
    betas = np.geomspace(beta_range[0], beta_range[1], sweeps)
    couplings = multispin_couplings(model)
    numba.set_num_threads(1)
    run_multispin(pack_spins(np.ones((reads, model.n_spins), np.int8)), betas[:2], couplings, make_streams(0, 1), False)
    times = {"single-spin": [], "multi-spin": []}
    with threadpool_limits(1):
        for seed in range(max(repeats, 5)):
            result, cpu = _one_thread_cpu(lambda s=seed: anneal(model, sweeps, reads, beta_range, seed=s,
                                                                  parallel=False))  # fmt: skip
            times["single-spin"].append(cpu)
            words = pack_spins(np.random.default_rng(seed).choice(np.array([-1, 1], np.int8), (reads, model.n_spins)))
            streams = make_streams(seed, 1)
            _, cpu = _one_thread_cpu(lambda w=words, r=streams: run_multispin(w, betas, couplings, r, False))
            times["multi-spin"].append(cpu)
    multi, single = statistics.median(times["multi-spin"]), statistics.median(times["single-spin"])
    print(f"MultiSpinCoding.jl's setting (16x16 +-J, 2000 sweeps, 64 replicas, one thread, CPU time): multi-spin "
          f"{multi * 1e3:.2f} ms median (best {min(times['multi-spin']) * 1e3:.2f}) = {attempts / multi / 1e9:.2f}e9 "
          f"attempts/s; single-spin {single * 1e3:.1f} ms (ratio {single / multi:.1f}); MultiSpinCoding.jl reports "
          "6.04 ms (about 5.4e9/s) on their machine: the machines differ")  # fmt: skip


def run_multispin_scaling(side, sweeps, reads, repeats) -> None:
    """Wall-time scaling of the multi-spin kernel from 1 to 2 threads (same results checked), ``repeats`` times
    interleaved; prints the best and median speed-up and the load average (scaling under load is unreliable)."""
    import statistics

    import numba
    import numpy as np

    from boltzgym.sims.annealing import anneal
    from boltzgym.sims.problems import lattice_spin_glass
    from boltzgym.sims.schedules import default_beta_range

    if numba.config.NUMBA_NUM_THREADS < 2:
        print("thread scaling: skipped, numba sees one thread")
        return
    model = lattice_spin_glass(side, 2, "pm", seed=0)
    beta_range = default_beta_range(model)
    runs = {
        1: lambda s: anneal(model, sweeps, reads, beta_range, seed=s, method="multispin", parallel=False),
        2: lambda s: anneal(model, sweeps, reads, beta_range, seed=s, method="multispin", parallel=True),
    }
    for threads in runs:
        numba.set_num_threads(threads)
        anneal(model, 2, reads, beta_range, seed=0, method="multispin", parallel=threads > 1)
    speedups, loads = [], []
    for seed in range(repeats):
        seconds, states = {}, {}
        for threads, run in runs.items():
            numba.set_num_threads(threads)
            result = run(seed)
            seconds[threads], states[threads] = result.seconds, result.states
        assert np.array_equal(states[1], states[2]), "2 threads changed the result"
        speedups.append(seconds[1] / seconds[2])
        loads.append(os.getloadavg()[0])
        print(f"  repeat {seed}: 1 thread {seconds[1] * 1e3:.1f} ms, 2 threads {seconds[2] * 1e3:.1f} ms, "
              f"speed-up {speedups[-1]:.2f}, load {loads[-1]:.1f}", flush=True)  # fmt: skip
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    print(f"thread scaling, multi-spin, 2D +-J L={side}, {reads} reads, {sweeps} sweeps (wall time, results equal): "
          f"1 -> 2 threads best {max(speedups):.2f}x, median {statistics.median(speedups):.2f}x over {repeats} "
          f"repeats; load average {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores")  # fmt: skip


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
    parser.add_argument("--multispin-reads", type=int, default=64, help="reads of the multi-spin rows (64)")
    parser.add_argument("--scaling-side", type=int, default=128, help="lattice side of the thread scaling (128)")
    parser.add_argument("--scaling-sweeps", type=int, default=300, help="sweeps of the thread scaling (300)")
    parser.add_argument("--cold-side", type=int, default=48, help="lattice side of the cold-start rows (48)")
    parser.add_argument("--cold-sk", type=int, default=800, help="SK size of the cold-start rows (800)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved one-thread repeats per instance (5)")
    parser.add_argument("--only", nargs="+", choices=("lattice", "gaussian", "sk", "multispin", "scaling"),
                        help="these instances only; multispin: the multi-spin rows (per core, MultiSpinCoding.jl's "
                        "setting, thread scaling); scaling: the multi-spin thread scaling alone")  # fmt: skip
    parser.add_argument("--baseline", metavar="REV", help="also time sims/_kernels.py of git revision REV")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-start rows")
    args = parser.parse_args(argv)

    import numba

    from boltzgym.sims.annealing import anneal
    from boltzgym.sims.problems import lattice_spin_glass, sherrington_kirkpatrick
    from boltzgym.sims.schedules import default_beta_range

    print(f"cores visible: {os.cpu_count()}, numba threads available: {numba.config.NUMBA_NUM_THREADS}")
    special = [key for key in args.only or () if key in ("multispin", "scaling")]
    if special:
        if len(special) != len(args.only):
            parser.error("--only: multispin and scaling run alone, not with lattice, gaussian or sk")
        if "multispin" in special:
            model = lattice_spin_glass(args.side, 2, "pm", seed=args.seed)
            beta_range = default_beta_range(model)
            run_multispin_rows(model, args.sweeps, args.multispin_reads, beta_range, args.repeats)
            run_multispin_reference_row(args.repeats)
        run_multispin_scaling(args.scaling_side, args.scaling_sweeps, args.multispin_reads, args.repeats)
        return
    print(f"sweeps {args.sweeps}, reads {args.reads}, geometric schedule, sequential Metropolis, seed {args.seed}")
    instances = {
        "lattice": (f"2D +-J L={args.side}", lattice_spin_glass(args.side, 2, "pm", seed=args.seed)),
        "gaussian": (f"2D Gauss L={args.side}", lattice_spin_glass(args.side, 2, "gaussian", seed=args.seed)),
        "sk": (f"SK N={args.sk}", sherrington_kirkpatrick(args.sk, seed=args.seed)),
    }
    baseline = None
    if args.baseline:
        try:
            baseline = load_baseline(args.baseline)
        except subprocess.CalledProcessError as error:
            parser.error(f"--baseline {args.baseline!r}: git has no sims/_kernels.py there ({error.stderr.strip()})")
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
            run_multispin_rows(model, args.sweeps, args.multispin_reads, beta_range, args.repeats)
            run_multispin_reference_row(args.repeats)
            run_multispin_scaling(args.scaling_side, args.scaling_sweeps, args.multispin_reads, args.repeats)
    if not args.no_cold:
        run_cold_start_rows(args.cold_side, args.cold_sk)


if __name__ == "__main__":
    main()
