"""A second process for a command's output work (figures, TensorBoard events) while the command computes.

A command that simulates for a second and then draws a figure spends a third of its time importing matplotlib and
tensorboard, on one core, after the simulation. :func:`output_worker` starts one worker process at the command's
start that imports those modules on the other core while the command imports numba and computes; the command then
hands its figure and event writes to it (``submit``) and waits for them before it returns, so every file exists
when the command ends, and an error in the worker is raised in the command (``Future.result``).

The worker is a ``concurrent.futures.ProcessPoolExecutor`` with one process: a fork of this process on Linux when no
other Python thread runs (a fork copies only the calling thread, and a thread holding a lock would leave it held in
the child; the native thread pools of BLAS libraries may run, but they register fork handlers and the worker runs
only the submitted output code), else a fresh interpreter (``spawn``). Where no process can be started, the
work runs inline (:class:`InlineExecutor`), as it does when ``enabled=False``. The submitted function and its
arguments must be picklable (module-level functions, arrays, dataclasses).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, Future

__all__ = ["InlineExecutor", "output_worker"]


class InlineExecutor(Executor):
    """An ``Executor`` that runs each submitted call at once in this thread (the fallback of :func:`output_worker`)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # handed to whoever calls result(), as a pool's future would (Ctrl-C is not)
            future.set_exception(exc)
        return future


_PARENT_POLL_SECONDS = 0.5


def _exit_with_parent(parent: int) -> None:
    """End this worker once the command is gone (killed with SIGKILL, say): a forked worker also holds the write end
    of its own task pipe, so it would never see end-of-file and would wait forever."""
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_SECONDS)
    os._exit(0)


def _start_worker(modules: tuple[str, ...]) -> None:
    """The worker's first steps: leave Ctrl-C and SIGTERM to the command, which stops the worker (a terminal or a
    scheduler signals both, and a fork inherits the command's SIGTERM handler), watch for the command's end, then
    import ``modules``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:  # the task that needs it raises its own error, where the caller sees it
            pass


@contextlib.contextmanager
def output_worker(
    preload: Iterable[str] = (), enabled: bool = True, start_method: str | None = None
) -> Iterator[Executor]:
    """A one-process executor, started now, that imports the modules ``preload`` before its first task.

    Use it as ``with output_worker(["matplotlib.pyplot"]) as worker: ... worker.submit(plot, path, data)``; leaving
    the block waits for the submitted work (``shutdown(wait=True)``). Yields an :class:`InlineExecutor` when
    ``enabled`` is False or no process can be started.

    Args:
        preload: modules the worker imports first (one that fails to import is skipped: the task that needs it
            raises its own error).
        enabled: False runs the work inline.
        start_method: ``"fork"`` or ``"spawn"`` (multiprocessing's names); None picks ``fork`` on Linux while this
            process runs no other Python thread (the native pools of BLAS libraries register fork handlers, and
            the child runs only the submitted functions), else ``spawn``.
    """
    if start_method not in ("fork", "spawn", None):
        raise ValueError(f"start_method must be 'fork', 'spawn' or None, got {start_method!r}")
    modules = (preload,) if isinstance(preload, str) else tuple(preload)
    if not enabled:
        yield InlineExecutor()
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if start_method is None:
        start_method = "fork" if sys.platform.startswith("linux") and threading.active_count() == 1 else "spawn"
    try:
        executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context(start_method),
            initializer=_start_worker,
            initargs=(modules,),
        )
        executor.submit(int)  # starts the process (and its imports) now, not at the first real task
    except OSError:  # no process could be started (limits, a sandbox): the work runs here
        yield InlineExecutor()
        return
    try:
        yield executor
    except BaseException:
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    executor.shutdown(wait=True)
