"""What every `govsite` command shares: exit codes, the error users can fix, the options several
commands take, and terminal output (a transient status line, colour, writing a report).

A command raises `CommandError` (or the library's `ConfigError`) for a problem the user can fix;
`cli.main` turns either into `govsite: error: <message>` and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Optional, TextIO

from ..model import Severity
from ..terminal import is_terminal

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """A problem with how a command was called (missing directory, unwritable output): exit 2."""


# --------------------------------------------------------------------------- shared options


def add_repository_argument(parser: argparse.ArgumentParser, purpose: str = "to read") -> None:
    parser.add_argument(
        "repo", nargs="?", default=".", metavar="REPO",
        help=f"repository root {purpose} (default: the current directory)",
    )


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", metavar="FILE", type=Path, default=None,
        help="configuration file (default: REPO/govsite.toml, else [tool.govsite] in "
        "REPO/pyproject.toml)",
    )


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """--format and --output of the commands that print findings (validate, drift)."""
    from ..report import FORMATS

    parser.add_argument("--format", choices=FORMATS, default="text", help="report format (default: text)")
    parser.add_argument(
        "--output", metavar="FILE", type=Path, default=None,
        help="write the report to FILE instead of standard output",
    )


def add_fail_on_option(parser: argparse.ArgumentParser, fails: str = "run") -> None:
    parser.add_argument(
        "--fail-on", choices=[s.value for s in Severity], default=None,
        help=f"lowest severity that fails the {fails} (default: fail_on in the configuration, "
        "else error)",
    )


def repository_root(repo: str) -> Path:
    root = Path(repo)
    if not root.exists():
        raise CommandError(f"{repo}: no such directory")
    if not root.is_dir():
        raise CommandError(f"{repo}: not a directory")
    return root


# --------------------------------------------------------------------------- terminal output


def wants_colour(stream: TextIO) -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return is_terminal(stream)


def emit(text: str, output: Optional[Path] = None) -> None:
    """Write a report to `output`, or to stdout as UTF-8 whatever the locale says.

    Text that UTF-8 cannot encode (a lone surrogate from an undecodable file name) is written as
    a `\\udcff` escape: a report is never lost to one odd character.
    """
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8", errors="backslashreplace")
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror or exc}") from None
        return
    try:
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is not None:
            sys.stdout.flush()
            buffer.write(text.encode("utf-8", "backslashreplace"))
            buffer.flush()
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
    except BrokenPipeError:
        # the reader stopped early (`govsite rules | head`); the exit status still matters
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
