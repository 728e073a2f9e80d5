"""Fixtures shared by several test packages."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def local_ray():
    """One small local Ray (2 CPUs, as on CI) for every test that needs Ray, started on first use."""
    from boltzgym.utils.distributed import ray_session

    with ray_session(num_cpus=2) as session:
        yield session


def pytest_configure(config):
    """Torch on one thread for the whole run: the tests train tiny models, where intra-op threads only contend with
    each other and with numba's kernels on a 2-core machine (a small forward/backward pass was measured up to 50x
    slower under load with torch's default thread count)."""
    import torch

    torch.set_num_threads(1)
