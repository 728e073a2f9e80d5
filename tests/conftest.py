"""Fixtures shared by several test packages."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def local_ray():
    """One small local Ray (2 CPUs, as on CI) for every test that needs Ray, started on first use."""
    from boltzgym.utils.distributed import ray_session

    with ray_session(num_cpus=2) as session:
        yield session
