"""`govsite validate`: read the repository, run every rule, report, exit 0/1/2."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from ..config import load_config
from ..model import Severity
from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    add_config_option,
    add_fail_on_option,
    add_report_options,
    add_repository_argument,
    emit,
    repository_root,
    wants_colour,
)
from ..terminal import Status


DESCRIPTION = """\
Read the repository (statically: migration code is never imported or run), check it against
every policy rule, and report the findings. Suppressed findings (a `# CI:DESTRUCTIVE_OK` bypass,
a `# govsite: disable=CODE` comment, an entry of the baseline file, a migration at or before
`legacy_until`) never fail the run; the json and sarif formats list them with their
justification."""

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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repository_argument(parser, "to check")
    add_report_options(parser)
    add_fail_on_option(parser)
    add_config_option(parser)
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


def run(args: argparse.Namespace) -> int:
    from ..cache import ParseCache
    from ..report import render
    from ..rules import failing, run_rules
    from ..sources import load_repository

    root = repository_root(args.repo)
    config = load_config(root, args.config)
    if args.fail_on:
        config = replace(config, fail_on=Severity(args.fail_on))
    cache = None if args.no_cache else ParseCache.for_repository(root)
    with Status(sys.stderr) as status:
        status.show(f"reading {root} ...")
        repo = load_repository(
            root, config, with_history=not args.no_history, cache=cache, jobs=args.jobs
        )
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
