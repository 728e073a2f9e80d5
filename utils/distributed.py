"""Ray, started for the work at hand or joined at an address: the one place boltzgym talks to a Ray cluster.

``ray_session()`` starts a local Ray instance sized to this machine (``num_cpus`` given explicitly: CPU detection in
containers can be wrong), without the dashboard, and shuts it down at the end; ``ray_session("auto")`` or
``ray_session("HOST:PORT")`` joins a running cluster and leaves it running. A session already open in this process
(e.g. a test's) is reused and left open. Ray is the ``distributed`` extra; without it the error says how to install
it. Ray clusters use token authentication: a machine joining one needs ``RAY_AUTH_TOKEN`` (the head's
``~/.ray/auth_token``); a local instance creates its own token.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from typing import Any

INSTALL_HINT = "pip install 'boltzgym[distributed]' (or: pip install 'ray[tune]')"


def require_ray(what: str = "this") -> Any:
    """Import and return the ``ray`` module, or raise ``ImportError`` naming the extra to install."""
    try:
        import ray
    except ImportError as exc:
        raise ImportError(f"{what} needs Ray, which is not installed: {INSTALL_HINT}") from exc
    return ray


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    with contextlib.suppress(AttributeError):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def check_address(address: str, timeout: float = 3.0) -> None:
    """Fail fast, with a message naming ``--address``, when ``HOST:PORT`` does not accept connections."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"--address must be 'auto' or HOST:PORT, got {address!r}")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise ValueError(f"--address {address!r}: no Ray cluster answers there ({exc})") from exc


@contextlib.contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None, what: str = "this") -> Iterator[Any]:
    """Yield the ``ray`` module with Ray running: local (started and stopped here) or joined at ``address``."""
    ray = require_ray(what)
    if address not in (None, "auto"):
        check_address(address)
    if ray.is_initialized():
        yield ray
        return
    # Trials and tasks resolve paths against the caller's folder, not a per-trial one.
    env_vars = {"RAY_CHDIR_TO_TRIAL_DIR": "0", "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    os.environ.update({"RAY_CHDIR_TO_TRIAL_DIR": "0", "RAY_AIR_NEW_OUTPUT": "0"})
    if address is None:
        ray.init(
            num_cpus=num_cpus or usable_cpus(),
            include_dashboard=False,
            log_to_driver=False,
            logging_level="ERROR",
            runtime_env={"env_vars": env_vars},
        )
    else:
        try:
            ray.init(address=address, log_to_driver=False, logging_level="ERROR", runtime_env={"env_vars": env_vars})
        except (ConnectionError, RuntimeError) as exc:
            raise ValueError(f"--address {address!r}: could not join a Ray cluster ({exc})") from exc
    try:
        yield ray
    finally:
        ray.shutdown()
