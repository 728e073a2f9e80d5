"""``boltzgym warmup`` fills numba's cache with every kernel variant that real calls use (issue 14, cold start).

A fresh process after the warm-up makes the library's usual first calls (neal-style ``sample_ising`` on a ±J
lattice and on an SK model, the multi-spin path, a tabular agent, the bandit simulator, Word2Vec) and must load
every kernel from the cache: no dispatcher may record a cache miss (a miss is a compile, seconds on a fresh
install).
"""

from __future__ import annotations

import json
import subprocess
import sys

_FIRST_CALLS = """
import json
import gymnasium as gym
import numpy as np
from numba.core.registry import CPUDispatcher

from boltzgym.agents import _bandit_kernels, _tabular_kernels, schedules
from boltzgym.agents.bandit_simulation import simulate
from boltzgym.agents.bandits import make_policy
from boltzgym.agents.tabular import QLearning
from boltzgym.models.embeddings import _word2vec_kernels
from boltzgym.models.embeddings.word2vec import Word2Vec
from boltzgym.sims import _bipartite_kernels, _dense_kernels, _kernels, _multispin_kernels, sample_ising
from boltzgym.utils import rng as _rng

rng = np.random.default_rng(0)
side = 6
lattice = {(i, (i + 1) % side + side * (i // side)): float(rng.choice([-1, 1])) for i in range(side * side)}
lattice.update({(i, (i + side) % (side * side)): float(rng.choice([-1, 1])) for i in range(side * side)})
sk = {(u, v): float(rng.normal() / 6) for u in range(12) for v in range(u + 1, 12)}
for couplings in (lattice, sk):
    sample_ising({}, couplings, num_reads=8, num_sweeps=20, seed=1)
sample_ising({}, lattice, num_reads=64, num_sweeps=20, seed=1)  # large read counts take the multi-spin kernel
QLearning(gym.make("FrozenLake-v1"), seed=0).learn(8)
for name in ("ucb1", "kl-ucb"):
    simulate(name, [0.2, 0.8], horizon=4, runs=2, seed=0)
    policy = make_policy(name).reset(2, 2, seed=0)
    policy.update(policy.select(), np.zeros(2))
Word2Vec([["x", "y", "z"]] * 20, vector_size=8, min_count=1, epochs=1, workers=1, seed=0)

counts = {"hits": 0, "misses": {}}
modules = (_kernels, _dense_kernels, _multispin_kernels, _bipartite_kernels, _rng, _tabular_kernels, _bandit_kernels,
           schedules, _word2vec_kernels)
for module in modules:
    for name, value in vars(module).items():
        if isinstance(value, CPUDispatcher):
            counts["hits"] += sum(value.stats.cache_hits.values())
            misses = sum(value.stats.cache_misses.values())
            if misses:
                counts["misses"][f"{module.__name__}.{name}"] = misses
print(json.dumps(counts))
"""


def test_a_fresh_process_after_warmup_loads_every_kernel_from_the_cache():
    subprocess.run([sys.executable, "-m", "boltzgym.scripts.cli", "warmup"], check=True, capture_output=True)
    output = subprocess.run([sys.executable, "-c", _FIRST_CALLS], check=True, capture_output=True, text=True)
    counts = json.loads(output.stdout.strip().splitlines()[-1])
    assert counts["misses"] == {}, (
        f"compiled after warm-up (missing from scripts/warmup_kernels.py): {counts['misses']}"
    )
    assert counts["hits"] >= 4  # the annealing, multi-spin, tabular and bandit kernels came from the cache
