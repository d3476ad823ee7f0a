"""The `govsite` command line: one parser built from `generator.commands`, and the outcome of
the command turned into an exit status.

Exit status: 0 when nothing is at or above the fail level, 1 when something is, 2 for a usage or
configuration error (and for an unexpected internal error, reported in one line, never as a
traceback unless GOVSITE_DEBUG is set). An interrupted run (Ctrl-C, SIGTERM, SIGHUP) cleans up
what it made and exits 128 plus the signal's number (130 for Ctrl-C).

Subcommands are the table `commands.SUBCOMMANDS`; only the module of the command being run is
imported, and a command whose module is not installed is reported as unavailable instead of
breaking the others. A command raises `CommandError` or `ConfigError` for a problem the user
can fix; both exit 2 with `govsite: error: <message>`.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import signal
import sys
from typing import Any, Callable, Iterator, Optional, Sequence

from .version import __version__
from .commands import SUBCOMMANDS, Subcommand
from .commands.common import EXIT_USAGE, CommandError
from .config import ConfigError
from .interrupt import Stopped, forget_stop, raise_if_stopped, stop_now

#: Signals that end a run the way Ctrl-C does, so staging and temporary folders are removed.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)

DESCRIPTION = """\
Check a repository's Alembic migrations, ADRs, emergency records and policy documents against
the migration policy, and build a governance site from them."""

EPILOG = """\
examples:
  govsite init --write                 set the repository up: govsite.toml, CI workflow, hooks
  govsite validate                     check the repository in the current directory
  govsite validate --format sarif --output govsite.sarif
  govsite build --site-dir public      build the governance site into public/
  govsite rules                        list every rule
  govsite rules GOV201                 explain one rule
  govsite COMMAND --help               options of one command"""


# --------------------------------------------------------------------------- entry point


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser; only the chosen subcommand's module is imported to add its options."""
    parser = argparse.ArgumentParser(
        prog="govsite",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"govsite {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for command in SUBCOMMANDS:
        if command.name == chosen:
            _add_command(commands, command)
        else:
            commands.add_parser(command.name, help=command.help)
    return parser


def _add_command(commands: Any, command: Subcommand) -> None:
    impl = command.load()
    if impl is None:
        sub = commands.add_parser(command.name, help=command.help)
        sub.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        sub.set_defaults(run=_unavailable(command.name))
        return
    sub = commands.add_parser(
        command.name,
        help=command.help,
        description=getattr(impl, "DESCRIPTION", command.help),
        epilog=getattr(impl, "EPILOG", None),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    impl.add_arguments(sub)
    sub.set_defaults(run=impl.run)


def _unavailable(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        raise CommandError(f"the '{name}' command is not available in this installation")

    return run


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run one command; every error becomes a one-line message and an exit status.

    Without `argv` this is the program (`govsite ...`, `python -m generator ...`): the process
    ends with the command.
    """
    ends_process = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        with _stop_signals_interrupt():
            args = build_parser(argv).parse_args(argv)
            with _collection_paused(args.command in COMMANDS_WITHOUT_COLLECTION, ends_process):
                status = args.run(args)
            raise_if_stopped()  # a stop whose first exception Python dropped while the command ran on
            return status
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
    except (CommandError, ConfigError) as exc:
        return _error(str(exc))
    except KeyboardInterrupt as exc:
        return 128 + getattr(exc, "signum", signal.SIGINT)
    except Exception as exc:  # the one boundary where programmer errors are caught
        if os.environ.get("GOVSITE_DEBUG"):
            raise
        return _error(
            f"internal error: {type(exc).__name__}: {exc} "
            "(this is a bug in govsite; please report it, with GOVSITE_DEBUG=1 for details)"
        )


# Commands that read a repository, report and end. The cyclic garbage collector would only
# rescan the hundreds of thousands of acyclic objects a repository is read into: pausing it
# saves a third of a warm validate's CPU and an eighth of a cold one at 5,000 migrations
# (benchmarks/). Builds keep it (MkDocs makes cyclic garbage per page), and so does `serve`.
# This process owns its collector; the library never touches it.
COMMANDS_WITHOUT_COLLECTION = frozenset({"validate", "review"})


@contextlib.contextmanager
def _collection_paused(pause: bool, ends_process: bool) -> Iterator[None]:
    """The collector paused while the command runs. When the process ends with the command,
    everything left is frozen instead of scanned: the interpreter's own collections at exit
    would otherwise walk every object of the libraries imported (about 30,000 for a validate;
    13 ms of a 0.2 s run), only to free what exit frees anyway."""
    pause = pause and gc.isenabled()
    if pause:
        gc.disable()
    try:
        yield
    finally:
        if pause:
            if ends_process:
                gc.freeze()
            gc.enable()


@contextlib.contextmanager
def _stop_signals_interrupt() -> Iterator[None]:
    """While a command runs, SIGTERM and SIGHUP raise `Stopped` as Ctrl-C raises its error.

    Where Python drops that exception (in a destructor or a weak reference's callback) it is
    not printed as an "Exception ignored" traceback: `interrupt` keeps the stop and raises it
    again.

    Without this they end the process at once and leave its staging and temporary folders
    behind. Only the main thread can set handlers; the previous ones come back afterwards.
    """
    def stop(signum: int, frame: Any) -> None:
        for other in STOP_SIGNALS:  # a second signal must not cut the cleanup short
            signal.signal(other, signal.SIG_IGN)
        stop_now(signum)  # recorded as well as raised: see `interrupt`

    def unraisable(report: Any) -> None:  # a stop Python dropped is kept and raised again, not shown
        if not isinstance(report.exc_value, Stopped):
            previous_hook(report)

    previous = {}
    forget_stop()
    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        for signum in STOP_SIGNALS:
            previous[signum] = signal.signal(signum, stop)
    previous_hook, sys.unraisablehook = sys.unraisablehook, unraisable
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        forget_stop()


def _error(message: str) -> int:
    print(f"govsite: error: {message}", file=sys.stderr)
    return EXIT_USAGE
