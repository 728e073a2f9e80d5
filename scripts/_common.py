"""Conventions every ``boltzgym`` subcommand keeps.

- ``--seed``: every stochastic command is reproducible; the same seed gives the same numbers on CPU.
- ``--out DIR`` (default ``runs/<command>-<timestamp>``, then ``_1``, ``_2``, ... when that is taken, so runs
  started in the same second never share one): where ``summary.json``, ``metrics.csv`` and PNG plots are written,
  each file atomically.
- ``--json``: exactly one JSON object (the summary) on stdout and nothing else there.
- a progress bar on stderr for long work (``--progress``/``--no-progress``; default: when stderr is a
  terminal).
- bad arguments exit with status 2 and a one-line message naming the argument.
- a run owns its folder: :func:`run_dir` checks ``--out`` before any work and takes a lock (``.boltzgym.lock``,
  an exclusive create) for the run's lifetime; a folder that another live run holds, or that holds a finished run
  (a ``summary.json``), is refused unless ``--resume`` or ``--overwrite`` says otherwise. A command rejected after
  the folder was made leaves no empty folder behind.
- Ctrl-C and SIGTERM get one treatment (:func:`signal_handlers`): a trainer saves its checkpoint, the lock is
  released, one line says how to continue (``--out OUT --resume``, the CLI's flag) and the exit status is 130
  (SIGINT) or 143 (SIGTERM).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import math
import os
import re
import shlex
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from boltzgym.utils.io import atomic_write_json, to_json
from boltzgym.utils.metrics import write_csv
from boltzgym.utils.plotting import new_figure, save_figure  # noqa: F401  (the commands' figure helpers)
from boltzgym.utils.progress import progress_bar  # noqa: F401  (the commands' progress bar)
from boltzgym.utils.tables import format_table  # noqa: F401  (the commands' tables)


class UsageError(ValueError):
    """A bad command-line argument found after parsing; reported as one line with exit status 2."""


class BoltzgymArgumentParser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(2, f"{self.prog}: error: {message}\n")


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    value = float(text)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """argparse type: a finite number >= 0."""
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text}")
    return value


def float_list(text: str) -> list[float]:
    """argparse type: comma-separated numbers, e.g. ``0.9,0.8,0.5``."""
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from exc


def name_list(text: str) -> list[str]:
    """argparse type: a non-empty comma-separated list of names."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of names")
    return names


# --- one vocabulary (docs/vocabulary.md): shared options and the deprecated spellings ------------------------

_deprecations_shown: set[str] = set()


def warn_deprecated(old: str, new: str) -> None:
    """Print ``boltzgym: OLD is deprecated; use NEW`` to stderr, once per command invocation (every alias of a
    renamed flag, value or command calls this one helper)."""
    if old in _deprecations_shown:
        return
    _deprecations_shown.add(old)
    sys.stderr.write(f"boltzgym: {old} is deprecated; use {new}\n")


def reset_deprecations() -> None:
    """Forget the deprecation lines printed so far (the entry point calls it at the start of each command)."""
    _deprecations_shown.clear()


class _DeprecatedOption(argparse.Action):
    """A hidden option that stores into its replacement's ``dest`` and prints one deprecation line."""

    def __init__(self, option_strings, dest, replacement: str, **kwargs):
        self.replacement = replacement
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        warn_deprecated(option_string, self.replacement)
        setattr(namespace, self.dest, True if self.nargs == 0 else values)


def add_deprecated_option(parser: argparse.ArgumentParser, old: str, replacement: str, dest: str, **kwargs) -> None:
    """Accept ``old`` as a hidden alias of the option ``replacement`` (same ``dest``, ``type``...): parsed, left out
    of ``--help``, and announced by :func:`warn_deprecated`. Its default is the replacement's (it sets none)."""
    parser.add_argument(
        old, dest=dest, action=_DeprecatedOption, replacement=replacement, default=argparse.SUPPRESS,
        help=argparse.SUPPRESS, **kwargs,
    )  # fmt: skip


def add_set_argument(parser: argparse.ArgumentParser, what: str = "a hyperparameter") -> None:
    """``--set KEY=VALUE`` (repeatable; values parsed by ``boltzgym.utils.assignments``) into ``args.assignments``."""
    parser.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
        help=f"{what} (repeatable; lists as 64,64 or [64, 64]); see --list-keys",
    )  # fmt: skip


def add_list_keys_argument(parser: argparse.ArgumentParser) -> None:
    """``--list-keys``: print the --set keys and their defaults and exit (needs no other option)."""
    parser.add_argument("--list-keys", action="store_true", help="print the --set keys and their defaults, then exit")


def add_resume_argument(parser: argparse.ArgumentParser) -> None:
    """``--resume``: a flag, continue the run in ``--out`` from its checkpoint (fresh if it has none yet)."""
    parser.add_argument(
        "--resume", action="store_const", const=True, default=None,
        help="continue the run in --out from its checkpoint (a fresh run if it has none yet)",
    )  # fmt: skip


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    """``--device auto|cpu|cuda`` for the commands that run torch."""
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda (default: auto)")


def print_keys(rows: Sequence[tuple[str, Any]]) -> dict:
    """Print ``(key, default)`` rows as the ``--list-keys`` table; returns ``{}`` (nothing to summarize)."""
    print(format_table(["key", "default"], [(key, repr(value)) for key, value in rows]))
    return {}


def add_common_arguments(
    parser: argparse.ArgumentParser, seed: bool = True, out_default: str = "runs/<command>-<timestamp>"
) -> None:
    """Add ``--seed``, ``--out``, ``--json`` and ``--progress/--no-progress`` to a subcommand
    (``out_default`` is only the help text: the command decides where output goes without ``--out``)."""
    if seed:
        parser.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default: 0)")
    parser.add_argument("--out", type=out_path, default=None, help=f"output folder (default: {out_default})")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="write into an --out folder that holds a finished run (its summary.json is removed first)",
    )
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object (the summary) on stdout")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )


def out_path(text: str) -> Path:
    """argparse type of ``--out``: a non-empty path."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder path, got an empty string")
    return Path(text)


LOCK_FILE = ".boltzgym.lock"
_held_locks: dict[Path, tuple[Path, list[Path]]] = {}  # lock file -> (run folder, folders this run created)


class ChecksPassed(Exception):
    """Raised by :func:`run_dir` inside :func:`checks_only`: the command's checks before its work all passed."""


_checks_only = threading.local()


@contextlib.contextmanager
def checks_only():
    """Run a command's handler up to its run folder: :func:`run_dir` (called after the arguments are checked and
    before any work) raises :class:`ChecksPassed` instead of making the folder. ``boltzgym sweep`` checks every
    trial's command line this way (an unknown model or env, a bad value) before Ray starts."""
    _checks_only.active = True
    try:
        yield
    finally:
        _checks_only.active = False


def run_dir(args: argparse.Namespace, command: str, create: bool = True) -> Path:
    """The run's output folder: ``--out`` or ``runs/<command>-<timestamp>``, checked, created and locked.

    Call it after the arguments are validated and before any work. It raises :class:`UsageError` naming
    ``--out`` when the path is a file, not writable, held by another live run, or holds a finished run
    (``summary.json``) while neither ``--resume`` nor ``--overwrite`` was given. The lock is released (and a
    folder that this run created and left empty is removed) by :func:`release_run_folders`, which the
    ``boltzgym`` entry point calls when the command ends. ``create`` is kept for compatibility: the folder is
    always created, since the lock lives in it. Inside :func:`checks_only` it raises :class:`ChecksPassed`.
    """
    if getattr(_checks_only, "active", False):
        raise ChecksPassed(command)
    if args.out is None:  # a new folder of its own: runs/<command>-<timestamp>, then _1, _2, ... (as SB3's DQN_1)
        out, created = _unique_default_folder(command)
    else:
        out = check_out_folder(Path(args.out))
        created = _make_folders(out)
    try:
        _take_lock(out, command)
    except BaseException:
        _remove_empty(created)
        raise
    _held_locks[(out / LOCK_FILE).resolve()] = (out, created)
    try:
        if (out / "summary.json").exists():
            if getattr(args, "overwrite", False):
                (out / "summary.json").unlink()
            elif getattr(args, "resume", None) is None:
                options = [o for o in ("--overwrite", "--resume") if hasattr(args, o[2:])]  # what this command has
                hint = {
                    ("--overwrite", "--resume"): ", pass --overwrite to replace it, or --resume to continue it",
                    ("--overwrite",): ", or pass --overwrite to replace it",
                    ("--resume",): ", or --resume to report it again",
                }.get(tuple(options), "")
                raise UsageError(f"--out {str(out)!r} holds a finished run (summary.json); choose another --out{hint}")
    except BaseException:
        release_run_folders(out)
        raise
    return out


def _unique_default_folder(command: str, root: Path = Path("runs")) -> tuple[Path, list[Path]]:
    """``runs/<command>-<timestamp>``, or the first free ``..._1``, ``..._2``: made by an exclusive ``mkdir``, so two
    runs started in the same second (``for s in 0 1; do boltzgym bandit --seed $s & done``) get two folders."""
    check_out_folder(root)
    created = _make_folders(root)
    base = root / f"{command}-{time.strftime('%Y%m%d-%H%M%S')}"
    for number in range(10_000):
        out = base if number == 0 else base.with_name(f"{base.name}_{number}")
        try:
            out.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise UsageError(f"--out {str(out)!r} cannot be created: {exc.strerror or exc}") from exc
        return out, [out, *created]
    raise UsageError(f"--out: no free folder name next to {str(base)!r}; give --out")


def check_out_folder(out: Path) -> Path:
    """Raise :class:`UsageError` naming ``--out`` unless ``out`` is a folder (or can be made one) we may write."""
    if str(out) == "":
        raise UsageError("--out: expected a folder path, got an empty string")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} is a file, expected a folder")
    existing = out
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"--out {str(out)!r} cannot be created: {str(existing)!r} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"--out {str(out)!r} is not writable (no write permission on {str(existing)!r})")
    return out


def _make_folders(out: Path) -> list[Path]:
    """Create ``out`` and its missing parents; return the folders created, deepest first."""
    missing = []
    folder = out
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {str(out)!r} cannot be created: {exc.strerror or exc}") from exc
    return missing


def _take_lock(out: Path, command: str) -> None:
    lock = out / LOCK_FILE
    record = {"pid": os.getpid(), "host": socket.gethostname(), "command": command, "started": time.time()}
    for _ in range(2):  # a second try after removing a stale lock
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _lock_holder(lock)
            if holder is not None and _holder_alive(holder, lock):
                raise UsageError(
                    f"--out {str(out)!r} is in use by another run (pid {holder.get('pid')} on "
                    f"{holder.get('host')}, {holder.get('command')}); wait for it or choose another --out "
                    f"(if that run is gone, delete {str(lock)!r})"
                ) from None
            lock.unlink(missing_ok=True)  # the run that held it died without releasing it
            continue
        except OSError as exc:
            raise UsageError(f"--out {str(out)!r} is not writable: {exc.strerror or exc}") from exc
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(record))
        return
    raise UsageError(f"--out {str(out)!r}: could not take the run lock {str(lock)!r}")


def _lock_holder(lock: Path) -> dict | None:
    try:
        holder = json.loads(lock.read_text())
    except (OSError, ValueError):
        return {"pid": None, "host": None, "command": "unknown"}  # being written right now: treat as held
    return holder if isinstance(holder, dict) else None


def _holder_alive(holder: dict, lock: Path) -> bool:
    pid = holder.get("pid")
    if holder.get("host") not in (None, socket.gethostname()) or not isinstance(pid, int):
        return True  # another machine's run (or a lock being written): cannot tell, so respect it
    if pid == os.getpid():
        return lock.resolve() in _held_locks  # this process: held only while a command of it holds it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: alive under another user
        return True
    return True


def release_run_folders(out: Path | None = None) -> None:
    """Release the lock of ``out`` (or of every run folder this process holds) and remove folders that the
    run created and left empty (a command rejected after its folder was made leaves nothing behind)."""
    for lock, (_folder, created) in list(_held_locks.items()):
        if out is not None and lock != (Path(out) / LOCK_FILE).resolve():
            continue
        del _held_locks[lock]
        Path(lock).unlink(missing_ok=True)
        _remove_empty(created)


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        try:
            folder.rmdir()
        except OSError:
            break


atexit.register(release_run_folders)


def held_run_folders() -> list[Path]:
    """The run folders this process holds the lock of (the running command's ``--out``)."""
    return [folder for folder, _ in _held_locks.values()]


# --- interrupts: Ctrl-C (SIGINT) and SIGTERM (what schedulers send) get one treatment -----------------------------

_signals_received: list[int] = []
RESUMABLE_STATE = ("checkpoint", "parts", "tune")  # what a run folder holds that --resume continues from


def _on_sigterm(signum, frame) -> None:
    """SIGTERM does what Ctrl-C does here: the SIGINT handler in force runs (a trainer's that saves a checkpoint and
    stops after the current step, Ray Tune's, or Python's that raises ``KeyboardInterrupt``)."""
    _signals_received.append(signum)
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler) and handler is not _on_sigterm:
        handler(signal.SIGINT, frame)
        return
    raise KeyboardInterrupt  # SIGINT ignored (a background job) or default: stop here all the same


@contextlib.contextmanager
def signal_handlers():
    """While the command runs, SIGTERM gets the SIGINT treatment (:func:`_on_sigterm`); the ``boltzgym`` entry point
    runs every command inside it (the previous SIGTERM handler is restored at the end)."""
    _signals_received.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupt_exit_status() -> int:
    """128 + the signal: 143 after SIGTERM, else 130 (Ctrl-C).

    Also clears CPython's record of an interrupt that left a string ``exec``/``eval`` (dataclasses and named tuples
    build their methods that way, e.g. during a lazy import): CPython keeps that interrupt as unhandled even after it
    was caught, and under ``python -m`` ends the process by SIGINT instead of with this status (a SIGTERM right after
    a checkpoint gave -2, not 143). Every string ``exec`` clears the record as it starts, hence the empty one."""
    exec("pass", {})
    return 128 + signal.SIGTERM if signal.SIGTERM in _signals_received else 128 + signal.SIGINT


def interrupt_message(exc: BaseException, argv: Sequence[str], parser: argparse.ArgumentParser | None) -> str:
    """One line for an interrupted command: what the library said, and how to continue with the CLI's flags.

    When the run folder holds resumable state (``checkpoint/``, ``parts/`` or a sweep's ``tune/``) and the command
    has ``--resume``, the line ends with the command to continue it (the same arguments, ``--out OUT --resume``).
    """
    message = re.sub(r"\s*\(resume=True continues\)", "", str(exc)).strip() or "interrupted"
    if signal.SIGTERM in _signals_received:
        message = f"terminated (SIGTERM): {message}"
    if "--resume" in message:
        return message
    has_resume = parser is not None and any("--resume" in a.option_strings for a in parser._actions)
    folders = [f for f in held_run_folders() if any((Path(f) / name).exists() for name in RESUMABLE_STATE)]
    if not has_resume or not folders:
        return message
    kept, skip = [], 0
    for token in argv:  # the same command line without --out/--overwrite/--resume
        if skip:
            skip -= 1
            continue
        if token in ("--out",):
            skip = 1
            continue
        if token.startswith("--out=") or token in ("--overwrite", "--resume"):
            continue
        kept.append(token)
    command = " ".join(["boltzgym", *map(shlex.quote, kept), "--out", shlex.quote(str(folders[0])), "--resume"])
    return f"{message}; its finished work is kept in {folders[0]}/: continue with {command}"


def progress_enabled(args: argparse.Namespace) -> bool:
    """``--progress``/``--no-progress`` as given, else whether stderr is a terminal."""
    flag = getattr(args, "progress", None)
    return sys.stderr.isatty() if flag is None else bool(flag)


write_metrics_csv = write_csv  # the one CSV writer (boltzgym.utils.metrics), under the name commands use


def finish(args: argparse.Namespace, out_dir: Path, summary: dict[str, Any], table: str) -> dict[str, Any]:
    """Write ``summary.json`` and report: the JSON object alone with ``--json``, else the table."""
    atomic_write_json(out_dir / "summary.json", summary)
    if args.json:
        sys.stdout.write(to_json(summary, indent=None) + "\n")
    else:
        sys.stdout.write(table.rstrip() + f"\n\nresults in {out_dir}/\n")
    sys.stdout.flush()
    return summary
