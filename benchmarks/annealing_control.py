"""AnnealingControl-v0's overhead: sweeps per second inside the env against plain ``anneal`` on the same instance.

Both run the same instance, replicas and number of sweeps with sequential Metropolis on the shared core; the env
runs them ``sweeps_per_step`` at a time with a Python ``step`` around each block (observation, reward, info),
``anneal`` in one call. Both run on one thread: at the default size the env's blocks of sweeps are below the
core's threading threshold (200k update attempts per call) while one ``anneal`` call over all sweeps is above it,
and comparing them as they are would measure the threads, not the env's overhead. Prints env steps/s, sweeps/s of
each and the env's cost per sweep as a ratio of
``anneal``'s (target <= 1.2x). Timings are the best of ``--repeats`` runs (a shared machine inflates them).

    python benchmarks/annealing_control.py                 # defaults: 32x32 +-J glass, 16 replicas
    python benchmarks/annealing_control.py --side 16 --sweeps-per-step 5
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main(argv: list[str] | None = None) -> dict:
    from boltzgym.envs.annealing_control import AnnealingControlEnv
    from boltzgym.sims.annealing import anneal

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=32, help="lattice side L (N = L^2 spins)")
    parser.add_argument("--replicas", type=int, default=16)
    parser.add_argument("--sweeps-per-step", type=int, default=10)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    n_spins, num_sweeps = args.side**2, args.steps * args.sweeps_per_step
    env = AnnealingControlEnv(
        n_spins=n_spins, n_replicas=args.replicas, sweeps_per_step=args.sweeps_per_step, n_steps=args.steps
    )
    geometric = list(env.log_beta_steps).index(1.0)

    def run_env() -> float:
        env.reset(seed=0)
        start, terminated = time.perf_counter(), False
        while not terminated:
            terminated = env.step(geometric)[2]
        return time.perf_counter() - start

    run_env()  # compile
    env_seconds = min(run_env() for _ in range(args.repeats))
    env.reset(seed=0)
    model, betas = env.model, np.repeat(np.geomspace(env.beta_hot, env.beta_cold, args.steps), args.sweeps_per_step)
    anneal(model, betas=betas[:2], num_reads=args.replicas, seed=0, parallel=False)  # compile

    anneal_seconds = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        anneal(model, betas=betas, num_reads=args.replicas, seed=0, parallel=False)
        anneal_seconds.append(time.perf_counter() - start)
    plain = min(anneal_seconds)
    figures = {
        "env_steps_per_second": args.steps / env_seconds,
        "env_sweeps_per_second": num_sweeps / env_seconds,
        "anneal_sweeps_per_second": num_sweeps / plain,
        "overhead_ratio": env_seconds / plain,
    }
    print(f"instance: 2D +-J {args.side}x{args.side}, {args.replicas} replicas, {num_sweeps} sweeps")
    print(
        f"  env:    {figures['env_steps_per_second']:10.1f} steps/s  {figures['env_sweeps_per_second']:10.1f} sweeps/s"
    )
    print(f"  anneal: {'':10} {'':7}  {figures['anneal_sweeps_per_second']:10.1f} sweeps/s")
    print(f"  env cost per sweep / anneal's: {figures['overhead_ratio']:.2f}x (target <= 1.2x)")
    return figures


if __name__ == "__main__":
    main()
