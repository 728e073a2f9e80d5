"""The output worker: work runs in another process, its files exist when the block ends, its errors reach the
caller, and it falls back to running inline."""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys
import time

import pytest

from boltzgym.utils import workers
from boltzgym.utils.workers import InlineExecutor, output_worker


def loaded(module: str) -> bool:
    return module in sys.modules


def write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def fail(message: str) -> None:
    raise RuntimeError(message)


@pytest.mark.parametrize("start_method", ["fork", "spawn", None])
def test_work_runs_in_another_process_after_its_preload(start_method, tmp_path, monkeypatch):
    module = f"boltzgym_preload_probe_{start_method}"  # a module this process never imports
    (tmp_path / f"{module}.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with output_worker([module], start_method=start_method) as worker:
        assert not isinstance(worker, InlineExecutor)
        assert worker.submit(os.getpid).result() != os.getpid()
        assert worker.submit(loaded, module).result()
        worker.submit(write, str(tmp_path / "out.txt"), "written")  # not waited for here
    assert (tmp_path / "out.txt").read_text() == "written"  # leaving the block waited for it
    assert module not in sys.modules


def test_an_error_in_the_worker_is_raised_by_result():
    with output_worker() as worker:
        future = worker.submit(fail, "no figure")
        with pytest.raises(RuntimeError, match="no figure"):
            future.result()


def test_a_preload_that_does_not_import_is_skipped():
    with output_worker(["boltzgym_no_such_module", "json"]) as worker:
        assert worker.submit(loaded, "json").result()


def test_disabled_or_unstartable_runs_inline(monkeypatch, tmp_path):
    with output_worker(enabled=False) as worker:
        assert isinstance(worker, InlineExecutor)
        assert worker.submit(os.getpid).result() == os.getpid()

    def refuse(*args, **kwargs):
        raise OSError("no processes here")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", refuse)
    with output_worker(["json"]) as worker:
        assert isinstance(worker, InlineExecutor)
        worker.submit(write, str(tmp_path / "inline.txt"), "inline")
    assert (tmp_path / "inline.txt").read_text() == "inline"


def test_inline_executor_keeps_errors_for_result():
    future = InlineExecutor().submit(fail, "later")
    assert future.done()
    with pytest.raises(RuntimeError, match="later"):
        future.result()
    assert InlineExecutor().submit(pow, 2, 10).result() == 1024


def test_fork_is_chosen_only_without_other_python_threads(monkeypatch):
    import multiprocessing

    chosen, real_get_context = [], multiprocessing.get_context

    def get_context(method):
        chosen.append(method)
        return real_get_context(method)

    monkeypatch.setattr(multiprocessing, "get_context", get_context)
    monkeypatch.setattr(workers.threading, "active_count", lambda: 1)  # whatever threads other tests left
    with output_worker():
        pass
    monkeypatch.setattr(workers.threading, "active_count", lambda: 2)
    with output_worker():
        pass
    expected_first = "fork" if sys.platform.startswith("linux") else "spawn"
    assert chosen == [expected_first, "spawn"]


def test_bad_start_method_is_refused():
    with pytest.raises(ValueError, match="start_method must be 'fork', 'spawn' or None, got 'thread'"):
        with output_worker(start_method="thread"):
            pass


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_worker_ends_when_the_command_is_killed():
    script = (
        "import os, time\n"
        "from boltzgym.utils.workers import output_worker\n"
        "with output_worker() as worker:\n"
        "    print(worker.submit(os.getpid).result(), flush=True)\n"
        "    time.sleep(60)\n"
    )
    command = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    worker_pid = int(command.stdout.readline())
    assert _running(worker_pid)
    command.kill()  # SIGKILL: no clean-up runs in the command
    command.wait()
    deadline = time.monotonic() + 15.0  # the worker polls for its parent every 0.5 s
    while _running(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(worker_pid), "the worker outlived its command"
