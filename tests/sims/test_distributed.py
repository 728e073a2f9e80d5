"""``anneal(..., engine="ray")``: the reads as Ray tasks give the local run's result for the same seed."""

from __future__ import annotations

import numpy as np
import pytest

from boltzgym.sims import anneal, lattice_spin_glass, sherrington_kirkpatrick
from boltzgym.sims.distributed import read_blocks


def test_read_blocks_cover_every_read_once_in_order():
    for num_reads, n_tasks in [(1, 1), (1, 4), (10, 3), (64, 2), (7, 7), (5, 9)]:
        blocks = read_blocks(num_reads, n_tasks)
        assert blocks[0][0] == 0 and blocks[-1][1] == num_reads
        assert all(a < b for a, b in blocks) and all(b == c for (_, b), (c, _) in zip(blocks, blocks[1:]))
        assert len(blocks) == min(num_reads, n_tasks)
        sizes = [b - a for a, b in blocks]
        assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("ray_tasks", [None, 3])
def test_ray_engine_equals_the_local_run(local_ray, ray_tasks):
    for model in (lattice_spin_glass(16, seed=4), sherrington_kirkpatrick(40, seed=5)):
        local = anneal(model, num_sweeps=60, num_reads=10, seed=11, record_energy=True)
        remote = anneal(
            model, num_sweeps=60, num_reads=10, seed=11, record_energy=True, engine="ray", ray_tasks=ray_tasks
        )
        np.testing.assert_array_equal(remote.states, local.states)
        np.testing.assert_array_equal(remote.energies, local.energies)
        np.testing.assert_allclose(remote.energy_trace, local.energy_trace)
        assert remote.n_attempts == local.n_attempts


def test_bad_engine_arguments_are_named():
    model = lattice_spin_glass(4, seed=0)
    with pytest.raises(ValueError, match="engine must be 'local' or 'ray'"):
        anneal(model, num_sweeps=5, engine="dask")
    with pytest.raises(ValueError, match="ray_tasks"):
        anneal(model, num_sweeps=5, engine="ray", ray_tasks=0)
    with pytest.raises(ValueError, match="method='multispin' runs locally"):
        anneal(model, num_sweeps=5, method="multispin", engine="ray")
