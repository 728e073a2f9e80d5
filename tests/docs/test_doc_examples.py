"""Every Python and shell block of the documentation and the README runs (see markdown_examples for the rules).

Python blocks run in this process, each in a fresh namespace and an empty working folder. Shell blocks run under
``bash -e -o pipefail`` in an empty folder. Their ``boltzgym`` commands run the command's own ``main`` in this
process, through a small ``boltzgym`` client first on PATH that hands the arguments, the working folder and the
exit status over a local socket (the packages are imported once, not once per command: on a shared 2-core machine
an import of torch and numba costs seconds). ``sweep`` and ``--engine ray`` commands, which start Ray, run the
installed entry point in a process of their own, and so does every command with ``BOLTZGYM_DOCS_INPROCESS=0``.
``BOLTZGYM_DOCS_QUICK`` (default 1 here) picks the reduced sizes of a block's ``<!-- quick -->`` comment.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import pytest
from markdown_examples import all_examples, documentation_files, parse

QUICK = os.environ.get("BOLTZGYM_DOCS_QUICK", "1") != "0"
IN_PROCESS = os.environ.get("BOLTZGYM_DOCS_INPROCESS", "1") != "0"
EXAMPLES = all_examples()
ENTRY_POINT = Path(sys.executable).parent / "boltzgym"
SHELL_TIMEOUT = 900

CLIENT = """import json, os, socket, sys
connection = socket.socket(socket.AF_UNIX)
connection.connect(os.environ["BOLTZGYM_DOCS_SOCKET"])
connection.sendall(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd()}).encode() + b"\\n")
data = b""
while chunk := connection.recv(1 << 16):
    data += chunk
reply = json.loads(data)
sys.stdout.write(reply["stdout"])
sys.stderr.write(reply["stderr"])
sys.exit(reply["status"])
"""


def _own_process(argv: list[str]) -> bool:
    return not IN_PROCESS or argv[:1] == ["sweep"] or "--engine" in argv


def run_command(argv: list[str], cwd: str) -> dict:
    """One ``boltzgym`` command: its stdout, stderr and exit status (in this process unless _own_process)."""
    if _own_process(argv):
        done = subprocess.run([str(ENTRY_POINT), *argv], cwd=cwd, capture_output=True, text=True)
        return {"stdout": done.stdout, "stderr": done.stderr, "status": done.returncode}
    from boltzgym.scripts.cli import main

    stdout, stderr, here = io.StringIO(), io.StringIO(), os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                status = main(argv)
            except SystemExit as exit_:  # argparse: --help, usage errors
                status = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            except BaseException:  # a crash fails the block with its traceback
                traceback.print_exc()
                status = 1
    finally:
        os.chdir(here)
    return {"stdout": stdout.getvalue(), "stderr": stderr.getvalue(), "status": status or 0}


def run_shell(source: str, cwd: Path) -> tuple[int, str]:
    """Run a shell block; serve its ``boltzgym`` commands on this (the main) thread while it runs."""
    scratch = Path(tempfile.mkdtemp(prefix="bgdocs"))  # short: a socket path has a length limit
    try:
        (scratch / "boltzgym").write_text(f"#!{sys.executable} -S\n{CLIENT}")
        (scratch / "boltzgym").chmod(0o755)
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(scratch / "socket"))
        server.listen()
        server.settimeout(0.05)
        env = dict(os.environ, BOLTZGYM_DOCS_SOCKET=str(scratch / "socket"))
        env["PATH"] = f"{scratch}{os.pathsep}{ENTRY_POINT.parent}{os.pathsep}{env.get('PATH', '')}"
        with open(scratch / "stderr", "w+") as stderr:
            process = subprocess.Popen(
                ["bash", "-e", "-o", "pipefail", "-c", source],
                cwd=cwd,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
            deadline = time.monotonic() + SHELL_TIMEOUT
            while process.poll() is None:
                if time.monotonic() > deadline:
                    process.kill()
                    raise TimeoutError(f"the block ran past {SHELL_TIMEOUT} s")
                try:
                    connection, _ = server.accept()
                except TimeoutError:
                    continue
                with connection:
                    connection.settimeout(None)
                    request = json.loads(connection.makefile("rb").readline())
                    connection.sendall(json.dumps(run_command(request["argv"], request["cwd"])).encode())
            server.close()
            stderr.seek(0)
            return process.returncode, stderr.read()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_there_are_examples_in_every_guide():
    """The collector sees the blocks: each guide and the getting-started page hold at least one runnable one."""
    pages = [p for p in documentation_files() if p.parent.name == "guides" or p.name == "getting-started.md"]
    assert len(pages) >= 13
    for page in pages:
        assert parse(page), f"{page} has no runnable example"


def test_the_installed_entry_point_runs(tmp_path):
    """The shell blocks run the command's main in-process; the console script itself is checked here."""
    done = subprocess.run([str(ENTRY_POINT), "--help"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and "usage: boltzgym" in done.stdout


def test_a_failing_command_fails_its_block(tmp_path):
    status, stderr = run_shell("boltzgym anneal --n 0\n", tmp_path)
    assert status == 2 and "--n" in stderr


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_example_runs(example, tmp_path, monkeypatch):
    if example.skip:
        pytest.skip(example.skip)
    source = example.source(QUICK)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    if example.language == "python":
        code = compile(source, example.id, "exec")
        exec(code, {"__name__": "__main__"})
        return
    status, stderr = run_shell(source, tmp_path)
    assert status == 0, f"{example.id} exited {status}\n{source}\n--- stderr\n{stderr[-3000:]}"


def test_quick_rules_must_match(tmp_path):
    """A stale quick switch (its OLD text gone from the block) fails rather than running the full size."""
    page = tmp_path / "page.md"
    page.write_text("<!-- quick\n--steps 5 => --steps 1\n-->\n```bash\nboltzgym envs\n```\n\n```text\nnot run\n```\n")
    (example,) = _parse_outside_root(page)
    assert example.quick == [("--steps 5", "--steps 1")]
    assert example.source(quick=False) == "boltzgym envs\n"
    with pytest.raises(ValueError, match="no longer has"):
        example.source(quick=True)


def _parse_outside_root(page):
    import markdown_examples

    examples = markdown_examples.parse(page)
    for example in examples:
        example.path = markdown_examples.ROOT / "page.md"  # ids are relative to the repository
    return examples
