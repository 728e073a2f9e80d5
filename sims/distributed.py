"""Annealing reads spread over a Ray cluster: ``anneal(..., engine="ray")``.

The reads of one ``anneal`` call are independent replicas, each with its own initial state and its own
xoshiro256** stream (row ``i`` of the stream array depends only on ``(seed, i)``). The driver draws the initial
states and streams exactly as the local run does, cuts the reads into one contiguous block per Ray task, and each
task runs the whole schedule on its block with the threaded kernel of its node. Putting the blocks back in order
gives, bit for bit, the local run's final states for the same seed, whatever the number of tasks or nodes.

By default there is one task per node of the cluster (a local Ray: one task using every core), each asking for
the CPUs of the smallest node; ``ray_tasks`` overrides the count. Ray starts locally for the call unless a session
is open already (``boltzgym.utils.distributed.ray_session``, which also joins a cluster by address).
"""

from __future__ import annotations

import time

import numpy as np

from boltzgym.sims._engine import run_sweeps
from boltzgym.sims.ising import IsingModel
from boltzgym.utils.distributed import ray_session


def _anneal_block(model, states, rng_states, betas, method, order, record_energy, threads):
    """A Ray task: run the whole schedule on a block of reads with the node's threaded kernel."""
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    states, rng_states = states.copy(), rng_states.copy()  # arguments from the object store are read-only
    _, _, trace = run_sweeps(
        model, states, betas, rng_states, method=method, order=order, parallel=True, record_energy=record_energy
    )
    return states, trace


def read_blocks(n_reads: int, n_tasks: int) -> list[tuple[int, int]]:
    """Contiguous ``(start, stop)`` blocks of reads, as even as possible, none empty."""
    n_tasks = max(1, min(n_tasks, n_reads))
    edges = np.linspace(0, n_reads, n_tasks + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def anneal_on_ray(
    model: IsingModel,
    states: np.ndarray,
    rng_states: np.ndarray,
    betas: np.ndarray,
    *,
    method: str,
    order: str,
    record_energy: bool,
    ray_tasks: int | None = None,
) -> tuple[np.ndarray | None, float]:
    """Run ``betas`` on every read as Ray tasks; ``states`` and ``rng_states`` are replaced in place.

    Returns ``(energy_trace or None, seconds)``, the seconds counting the tasks' wall time as the caller sees it
    (object transfers included, Ray's start-up excluded).
    """
    with ray_session(what='anneal(engine="ray")') as ray:
        nodes = [node for node in ray.nodes() if node.get("Alive")]
        cpus = [int(node.get("Resources", {}).get("CPU", 1)) for node in nodes] or [1]
        threads = max(1, min(cpus))
        blocks = read_blocks(states.shape[0], ray_tasks or len(cpus))
        task = ray.remote(num_cpus=threads)(_anneal_block)
        model_ref = ray.put(model)
        tick = time.perf_counter()
        futures = [
            task.remote(model_ref, states[a:b], rng_states[a:b], betas, method, order, record_energy, threads)
            for a, b in blocks
        ]
        results = ray.get(futures)
        seconds = time.perf_counter() - tick
    traces = []
    for (a, b), (block_states, trace) in zip(blocks, results):
        states[a:b] = block_states
        traces.append(trace)
    # the streams advanced in the tasks; the caller's copy is not reused after the schedule
    return (np.concatenate(traces, axis=0) if record_energy else None), seconds
