"""The ``boltzgym`` command: one subcommand per capability, each a thin wrapper over library code.

Run ``boltzgym --help`` for the list and ``boltzgym <command> --help`` for examples.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import sys
import textwrap

import boltzgym
from boltzgym.scripts._common import (
    BoltzgymArgumentParser,
    interrupt_exit_status,
    interrupt_message,
    release_run_folders,
    reset_deprecations,
    signal_handlers,
)
from boltzgym.utils.validation import DivergenceError

# subcommand -> module that defines HELP, DESCRIPTION, EXAMPLES, add_arguments(parser) and run(args).
COMMAND_MODULES: dict[str, str] = {
    "envs": "boltzgym.scripts.envs_command",
    "demo": "boltzgym.scripts.demo",
    "train": "boltzgym.scripts.train",
    "bandit": "boltzgym.scripts.bandit",
    "anneal": "boltzgym.scripts.anneal",
    "hopfield": "boltzgym.scripts.hopfield",
    "rbm": "boltzgym.scripts.rbm",
    "fit": "boltzgym.scripts.fit",
    "experiment": "boltzgym.scripts.experiment",
    "sweep": "boltzgym.scripts.sweep",
    "warmup": "boltzgym.scripts.warmup",
    "embed": "boltzgym.scripts.embed",
    "ground-state": "boltzgym.scripts.ground_state",
}


def build_parser(only: str | None = None) -> BoltzgymArgumentParser:
    """The ``boltzgym`` parser with one subparser per entry of ``COMMAND_MODULES``.

    ``only``: add the options of that command alone (the others keep their help line), so that ``boltzgym
    --help``, a mistyped command and every command start without importing what other commands need (numba,
    torch, scipy); ``None`` builds every command's options (the CLI reference, sweeps)."""
    parser = BoltzgymArgumentParser(
        prog="boltzgym",
        description="Reinforcement learning and energy-based model simulation.",
        epilog="Run 'boltzgym <command> --help' for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {boltzgym.__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="<command>", parser_class=BoltzgymArgumentParser)
    subparsers.required = True
    for name, module_name in COMMAND_MODULES.items():
        module = importlib.import_module(module_name)
        examples = "examples:\n" + textwrap.indent("\n".join(module.EXAMPLES), "  ")
        sub = subparsers.add_parser(
            name,
            help=module.HELP,
            description=module.DESCRIPTION,
            epilog=examples,
            formatter_class=_Formatter,
        )
        if only is None or only == name:
            module.add_arguments(sub)
        sub.set_defaults(handler=module.run, subparser=sub)
    return parser


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the line breaks of descriptions and of the examples epilog."""


# At interpreter exit, before Python's final garbage collections, every object moves to the permanent generation
# (``gc.freeze``): those collections then skip the ~10^5 objects of numba's loaded kernels, which took about 0.3 s at
# the end of every command that ran a kernel. atexit handlers and reference counting still release everything as
# before (only cyclic garbage left at exit is not collected: the OS frees it).
atexit.register(gc.freeze)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``boltzgym`` console script; returns the exit status."""
    reset_deprecations()
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((token for token in argv if not token.startswith("-")), "")
    parser = build_parser(only=command if command in COMMAND_MODULES else "")
    args = parser.parse_args(argv)
    try:
        with signal_handlers():  # SIGTERM gets Ctrl-C's treatment: checkpoint, one line, lock released
            args.handler(args)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        # Library validation errors name the argument; report them as usage errors.
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        sys.stderr.write(f"{args.subparser.prog}: error: {message}\n")
        return 2
    except DivergenceError as exc:
        sys.stderr.write(f"{args.subparser.prog}: error: {exc}\n")
        return 3
    except MemoryError:  # an allocation that the estimates before the work did not foresee
        sys.stderr.write(f"{args.subparser.prog}: error: out of memory; reduce the sizes of the run\n")
        return 2
    except OSError as exc:  # disk full, permissions changed during the run, ...: one line naming the file
        sys.stderr.write(f"{args.subparser.prog}: error: {exc}\n")
        return 1
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: 130 or 143, and how to continue with --resume
        sys.stderr.write(f"{args.subparser.prog}: {interrupt_message(exc, argv, args.subparser)}\n")
        return interrupt_exit_status()
    finally:
        release_run_folders()  # the run's lock, and any folder the command made and left empty
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
