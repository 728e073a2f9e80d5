"""Compile every jitted kernel variant the library uses into numba's on-disk cache (``boltzgym warmup``).

Numba compiles a ``cache=True`` kernel on its first call in a fresh install and stores the machine code next to
the source (``__pycache__``); later processes load it in milliseconds. ``make install`` runs this once, so that
a user's first ``sample_ising`` or ``anneal`` does not wait seconds for the compiler. Each entry below calls a
public entry point on a tiny input with the argument types that real calls have (dense float64 couplings,
sparse int64 and float64 couplings, serial and threaded twins, the multi-spin kernel, block Gibbs, RBM
training, the tabular agents' and the bandit simulator's loops), so the cache holds exactly the variants real
calls look up. ``tests/sims/test_warmup.py`` checks that a fresh process then compiles nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

__all__ = ["WARMUPS", "warm_up"]


def _annealing() -> None:
    from boltzgym.sims.annealing import anneal, parallel_tempering
    from boltzgym.sims.problems import lattice_spin_glass, sherrington_kirkpatrick

    for model in (sherrington_kirkpatrick(8, seed=0), lattice_spin_glass(4, seed=0),
                  lattice_spin_glass(3, couplings="gaussian", seed=0)):  # fmt: skip
        for parallel in (False, True):
            for method in ("metropolis", "glauber"):
                anneal(model, num_sweeps=2, num_reads=2, method=method, seed=0, parallel=parallel)
        parallel_tempering(model, num_sweeps=2, n_temperatures=2, seed=0, parallel=False)


def _multispin() -> None:
    import numba

    from boltzgym.sims.annealing import anneal
    from boltzgym.sims.problems import lattice_spin_glass

    model = lattice_spin_glass(4, seed=0)
    anneal(model, num_sweeps=2, num_reads=64, method="multispin", seed=0)
    # the two parallel drivers: one group's chunks over threads, and groups over threads
    for num_reads in (64, 64 * max(2, numba.get_num_threads())):
        anneal(model, num_sweeps=2, num_reads=num_reads, method="multispin", seed=0, parallel=True)


def _gibbs() -> None:
    from boltzgym.sims.ising import IsingModel
    from boltzgym.sims.sampling import gibbs_sample

    model = IsingModel(np.array([[0.0, 1.0], [1.0, 0.0]]))
    start = np.ones((2, 2), dtype=np.int8)
    for parallel in (False, True):
        for order in ("sequential", "synchronous"):
            gibbs_sample(model, start, beta=1.0, num_sweeps=1, order=order, seed=0, parallel=parallel)
        gibbs_sample(model, start, beta=1.0, num_sweeps=1, clamped=np.array([True, False]), seed=0, parallel=parallel)


def _block_gibbs() -> None:
    from boltzgym.sims.bipartite import block_gibbs_sample

    weights, visible = np.zeros((2, 3)), np.zeros((2, 3))
    for parallel in (False, True):
        block_gibbs_sample(weights, np.zeros(3), np.zeros(2), visible, n_steps=1, seed=0, parallel=parallel)


def _rbm() -> None:
    from boltzgym.sims.rbm import RBM

    data = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    model = RBM(n_components=2, n_iter=1, random_state=0).fit(data)
    model.score_samples(data)
    model.sample(2, n_steps=1)


def _tabular() -> None:
    import gymnasium as gym

    from boltzgym.agents.tabular import QLearning

    QLearning(gym.make("FrozenLake-v1"), seed=0).learn(8)


def _bandits() -> None:
    import numpy as np

    from boltzgym.agents.bandit_simulation import simulate
    from boltzgym.agents.bandits import make_policy

    for name in ("ucb1", "kl-ucb"):
        simulate(name, [0.2, 0.8], horizon=4, runs=2, seed=0)  # the simulator's one-call kernels
        policy = make_policy(name).reset(2, 2, seed=0)  # select/update, step by step (an env loop's)
        policy.update(policy.select(), np.zeros(2))


def _word2vec() -> None:
    from boltzgym.models.embeddings.word2vec import Word2Vec

    for workers in (1, 2):  # the serial kernel and the Hogwild (prange) kernel
        Word2Vec([["a", "b", "c", "a"]], vector_size=4, min_count=1, epochs=1, workers=workers, seed=0)


def _enumeration() -> None:
    from boltzgym.sims.annealing import parallel_tempering
    from boltzgym.sims.enumeration import brute_force_ground_state, enumerate_energies
    from boltzgym.sims.planar import planar_spin_glass

    model = planar_spin_glass(2, 3, seed=0).to_model()
    enumerate_energies(model)
    brute_force_ground_state(model)
    for couplings in ("pm", "gaussian"):  # Houdayer moves on integer and float fields
        parallel_tempering(planar_spin_glass(3, couplings=couplings, seed=0).to_model(), num_sweeps=2, n_chains=2,
                           n_temperatures=2, houdayer=True, houdayer_beta_min=0.0, seed=0)  # fmt: skip


WARMUPS: dict[str, Callable[[], None]] = {
    "annealing (single-spin, dense and sparse, serial and threaded)": _annealing,
    "multi-spin annealing": _multispin,
    "Gibbs sampling (Hopfield, Boltzmann machines)": _gibbs,
    "block Gibbs": _block_gibbs,
    "RBM training and scoring": _rbm,
    "tabular agents": _tabular,
    "bandit simulation": _bandits,
    "Word2Vec skip-gram (serial and Hogwild)": _word2vec,
    "exact enumeration, Houdayer cluster moves": _enumeration,
}


def warm_up(progress: Callable[[str, float], None] | None = None) -> dict[str, float]:
    """Run every warm-up; returns ``{name: seconds}`` (compile time on a fresh install, ~0 once cached)."""
    seconds = {}
    for name, run in WARMUPS.items():
        tick = time.perf_counter()
        run()
        seconds[name] = time.perf_counter() - tick
        if progress is not None:
            progress(name, seconds[name])
    return seconds
