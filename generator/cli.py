"""The `govsite` command line: parse arguments, load configuration, call the library, and turn
the outcome into an exit status.

Exit status: 0 when nothing is at or above the fail level, 1 when something is, 2 for a usage or
configuration error (and for an unexpected internal error, reported in one line, never as a
traceback unless GOVSITE_DEBUG is set).

Subcommands are a table (`SUBCOMMANDS`). Each entry names the object that implements it: a module
(`generator.commands.build`) or an attribute of one (`generator.cli:VALIDATE`). That object
provides `add_arguments(parser)` and `run(args) -> int`, and may provide `DESCRIPTION` and
`EPILOG` for `--help`. Only the module of the command being run is imported, so a slow import
(MkDocs for `build`) never slows `validate`, and a command whose module is not installed is
reported as unavailable instead of breaking the others. A command raises `CommandError` or
`ConfigError` for a problem the user can fix; both exit 2 with `govsite: error: <message>`.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, TextIO

from . import __version__
from .config import ConfigError, load_config
from .model import Severity

if TYPE_CHECKING:
    from .rules import Rule

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """A problem with how a command was called (missing directory, unwritable output): exit 2."""


@dataclass(frozen=True)
class Subcommand:
    name: str
    help: str
    target: str  # "package.module" or "package.module:attribute"

    def load(self) -> Optional[Any]:
        """The implementing object, or None when its module is not part of this installation."""
        module_name, _, attribute = self.target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            if module_name == missing or module_name.startswith(missing + "."):
                return None
            raise
        return getattr(module, attribute) if attribute else module


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand(
        "validate", "check the repository against the migration policy", "generator.cli:VALIDATE"
    ),
    Subcommand(
        "rules", "list the policy rules, or show one rule's documentation", "generator.cli:RULES"
    ),
    Subcommand(
        "generate", "write the generated pages as Markdown", "generator.site.build:GENERATE"
    ),
    Subcommand("build", "build the governance site", "generator.site.build:BUILD"),
    Subcommand("serve", "preview the governance site locally", "generator.site.build:SERVE"),
    Subcommand("review", "summarise a quarter for the policy review", "generator.commands.review"),
)

DESCRIPTION = """\
Check a repository's Alembic migrations, ADRs, emergency records and policy documents against
the migration policy, and build a governance site from them."""

EPILOG = """\
examples:
  govsite validate                     check the repository in the current directory
  govsite validate --format sarif --output govsite.sarif
  govsite rules                        list every rule
  govsite rules GOV201                 explain one rule
  govsite COMMAND --help               options of one command"""


# --------------------------------------------------------------------------- validate


class VALIDATE:
    """`govsite validate`: read the repository, run every rule, report, exit 0/1/2."""

    DESCRIPTION = """\
Read the repository (statically: migration code is never imported or run), check it against
every policy rule, and report the findings. Suppressed findings (a `# CI:DESTRUCTIVE_OK` bypass,
a `# govsite: disable=CODE` comment) never fail the run; the json and sarif formats list them
with their justification."""

    EPILOG = """\
formats:
  text    path:line:col: CODE name message, then a summary line (default)
  json    the stable JSON report ("version": 1): summary, findings, suppressed
  sarif   SARIF 2.1.0, for GitHub code scanning and other viewers
  github  GitHub Actions annotations (::error file=...,line=...::message)

exit status:
  0  no finding at or above the fail level
  1  findings at or above the fail level (--fail-on, else fail_on in the configuration)
  2  usage or configuration error

examples:
  govsite validate
  govsite validate path/to/repo --fail-on warning
  govsite validate --format json --output govsite-report.json
  govsite validate --format sarif --output govsite.sarif --no-history
  govsite validate --format github     (in a GitHub Actions step)"""

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        from .report import FORMATS

        parser.add_argument(
            "repo", nargs="?", default=".", metavar="REPO",
            help="repository root to check (default: the current directory)",
        )
        parser.add_argument(
            "--format", choices=FORMATS, default="text", help="report format (default: text)"
        )
        parser.add_argument(
            "--fail-on", choices=[s.value for s in Severity], default=None,
            help="lowest severity that fails the run (overrides fail_on in the configuration)",
        )
        parser.add_argument(
            "--config", metavar="FILE", type=Path, default=None,
            help="configuration file (default: REPO/govsite.toml, else [tool.govsite] in "
            "REPO/pyproject.toml)",
        )
        parser.add_argument(
            "--output", metavar="FILE", type=Path, default=None,
            help="write the report to FILE instead of standard output",
        )
        parser.add_argument(
            "--no-history", action="store_true",
            help="do not read git history (faster, but GOV403 needs commit times and is skipped)",
        )
        parser.add_argument(
            "--no-cache", action="store_true",
            help="parse every migration and walk git history again instead of reusing results "
            "stored under $GOVSITE_CACHE_DIR (default: ~/.cache/govsite)",
        )
        parser.add_argument(
            "--jobs", metavar="N", type=int, default=None,
            help="parse migrations in N worker processes (default: $GOVSITE_JOBS, else 1; "
            "pays only for thousands of migrations on a machine with free cores)",
        )

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        from .cache import ParseCache
        from .report import render
        from .rules import failing, run_rules
        from .sources import load_repository

        root = repository_root(args.repo)
        config = load_config(root, args.config)
        if args.fail_on:
            config = replace(config, fail_on=Severity(args.fail_on))
        cache = None if args.no_cache else ParseCache.for_repository(root)
        with Status(sys.stderr) as status:
            status.show(f"reading {root} ...")
            repo = load_repository(root, config, with_history=not args.no_history, cache=cache, jobs=args.jobs)
            if cache is not None:
                cache.save()
            status.show(
                f"checking {len(repo.migrations)} migrations, {len(repo.adrs)} ADRs, "
                f"{len(repo.exceptions)} exception records ..."
            )
            findings = run_rules(repo, config)
        colour = args.format == "text" and args.output is None and wants_colour(sys.stdout)
        emit(render(findings, repo, config, args.format, color=colour), args.output)
        return EXIT_FINDINGS if failing(findings, config) else EXIT_OK


def repository_root(repo: str) -> Path:
    root = Path(repo)
    if not root.exists():
        raise CommandError(f"{repo}: no such directory")
    if not root.is_dir():
        raise CommandError(f"{repo}: not a directory")
    return root


# --------------------------------------------------------------------------- rules


class RULES:
    """`govsite rules`: the rule catalogue, or one rule's documentation."""

    DESCRIPTION = """\
List every policy rule with its code, name, default severity, runbook policy and summary, or,
given a CODE (or a rule name), print that rule's full documentation."""

    EPILOG = """\
examples:
  govsite rules
  govsite rules GOV201
  govsite rules destructive-without-bypass --format markdown
  govsite rules --format json"""

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("code", nargs="?", metavar="CODE", help="a rule code or name")
        parser.add_argument(
            "--format", choices=("text", "markdown", "json"), default="text",
            help="output format (default: text)",
        )

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        from .report import catalogue

        rules = catalogue()
        if args.code:
            emit(RULE_VIEWS[args.format](find_rule(rules, args.code)))
        else:
            emit(CATALOGUE_VIEWS[args.format](rules))
        return EXIT_OK


def find_rule(rules: Sequence[Rule], wanted: str) -> Rule:
    for r in rules:
        if wanted.upper() == r.code or wanted.lower() == r.spec.name:
            return r
    raise CommandError(f"unknown rule {wanted!r} (run 'govsite rules' for the list)")


def _policy_label(policy: Optional[int]) -> str:
    return f"P{policy}" if policy is not None else "-"


def _rule_data(r: Rule) -> dict[str, Any]:
    s = r.spec
    return {
        "code": s.code,
        "name": s.name,
        "severity": s.severity.value,
        "policy": s.policy,
        "summary": s.summary,
    }


def catalogue_text(rules: Sequence[Rule]) -> str:
    rows = [("code", "name", "severity", "policy", "summary")]
    rows += [
        (r.code, r.spec.name, r.spec.severity.value, _policy_label(r.spec.policy), r.spec.summary)
        for r in rules
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    padded = ("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows)
    lines = [f"{columns}  {row[4]}" for columns, row in zip(padded, rows)]
    return "\n".join(lines) + "\n"


def catalogue_markdown(rules: Sequence[Rule]) -> str:
    lines = ["| Code | Name | Severity | Policy | Summary |", "| --- | --- | --- | --- | --- |"]
    for r in rules:
        s = r.spec
        cells = (s.code, f"`{s.name}`", s.severity.value, _policy_label(s.policy), s.summary)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def catalogue_json(rules: Sequence[Rule]) -> str:
    return json.dumps([_rule_data(r) for r in rules], ensure_ascii=False, indent=2) + "\n"


def rule_text(r: Rule) -> str:
    s = r.spec
    policy = f", policy {s.policy}" if s.policy is not None else ""
    head = f"{s.code} {s.name} ({s.severity.value}{policy})\n\n{s.summary}\n"
    return head + (f"\n{r.doc.strip()}\n" if r.doc else "")


def rule_markdown(r: Rule) -> str:
    s = r.spec
    policy = f" · policy {s.policy}" if s.policy is not None else ""
    head = f"# {s.code}: {s.name}\n\n*{s.severity.value}{policy}*\n\n{s.summary}\n"
    return head + (f"\n{r.doc.strip()}\n" if r.doc else "")


def rule_json(r: Rule) -> str:
    data = _rule_data(r) | {"doc": r.doc}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


CATALOGUE_VIEWS: dict[str, Callable[[Sequence["Rule"]], str]] = {
    "text": catalogue_text,
    "markdown": catalogue_markdown,
    "json": catalogue_json,
}
RULE_VIEWS: dict[str, Callable[["Rule"], str]] = {
    "text": rule_text,
    "markdown": rule_markdown,
    "json": rule_json,
}


# --------------------------------------------------------------------------- terminal output


class Status:
    """A transient progress line on a terminal's stderr, erased when the work is done.

    Reading thousands of migrations takes a moment; a terminal user should see the tool is
    working, while pipes, files and CI logs get nothing extra.
    """

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.enabled = _is_terminal(stream) and os.environ.get("TERM") != "dumb"
        self.shown = False

    def show(self, text: str) -> None:
        if self.enabled:
            self.stream.write(f"\r\x1b[Kgovsite: {text}")
            self.stream.flush()
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False

    def __enter__(self) -> "Status":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.clear()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def wants_colour(stream: TextIO) -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return _is_terminal(stream)


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


# Commands that read a repository, report and end. The cyclic garbage collector would only
# rescan the hundreds of thousands of acyclic objects a repository is read into: pausing it
# saves a third of a warm validate's CPU and an eighth of a cold one at 5,000 migrations
# (benchmarks/). Builds keep it (MkDocs makes cyclic garbage per page), and so does `serve`.
_COMMANDS_WITHOUT_COLLECTION = frozenset({"validate", "review"})


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run one command; every error becomes a one-line message and an exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser(argv).parse_args(argv)
        pause = args.command in _COMMANDS_WITHOUT_COLLECTION and gc.isenabled()
        if pause:
            gc.disable()
        try:
            return args.run(args)
        finally:
            if pause:
                gc.enable()
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
    except (CommandError, ConfigError) as exc:
        return _error(str(exc))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the one boundary where programmer errors are caught
        if os.environ.get("GOVSITE_DEBUG"):
            raise
        return _error(
            f"internal error: {type(exc).__name__}: {exc} "
            "(this is a bug in govsite; please report it, with GOVSITE_DEBUG=1 for details)"
        )


def _error(message: str) -> int:
    print(f"govsite: error: {message}", file=sys.stderr)
    return EXIT_USAGE
