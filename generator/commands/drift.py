"""`govsite drift`: compare a live database with the expected schema; report, exit 0/1/2."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from ..config import Config, load_config
from ..model import Finding, Severity
from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    CommandError,
    add_config_option,
    add_fail_on_option,
    add_report_options,
    add_repository_argument,
    emit,
    repository_root,
    wants_colour,
)
from .snapshot import add_database_options, read_schema

DESCRIPTION = """\
Compare a live database (read-only) with the schema the migrations produce: the committed
snapshot (default), or a second database migrated to head (--expected-url). Every object that
is missing, unexpected or changed is a GOV701 finding naming the migration that made it; an
out-of-band object an open emergency record names is a warning for 24 hours, then an error.
GOV702 reports a database not at the migrations' head, GOV703 a stale committed snapshot."""

EPILOG = """\
The database URLs may come from $GOVSITE_DATABASE_URL (the live one); passwords are never
printed. Reflection runs in read-only transactions with a statement timeout.

exit status:
  0  no finding at or above the fail level
  1  findings at or above the fail level
  2  usage, configuration or database error (bad URL, missing driver, no connection)

examples:
  govsite drift --database-url "$PRODUCTION_READONLY_URL"
  govsite drift --database-url postgresql://ro@prod/app --expected-url postgresql://ci@localhost/scratch
  govsite drift --format json --output drift.json     (the site's drift_report)"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repository_argument(parser, "whose migrations and register to use")
    add_database_options(parser)
    expected = parser.add_mutually_exclusive_group()
    expected.add_argument(
        "--expected", metavar="FILE", type=Path, default=None,
        help="the snapshot to compare with (default: schema_snapshot in the configuration)",
    )
    expected.add_argument(
        "--expected-url", metavar="URL", default=None,
        help="compare with a database migrated to head instead; the committed snapshot is then "
        "checked against it too (GOV703)",
    )
    add_report_options(parser)
    add_fail_on_option(parser)
    add_config_option(parser)


def run(args: argparse.Namespace) -> int:
    from ..report import render
    from ..rules import failing
    from ..schema.database import DatabaseError, Masked, database_url
    from ..schema.drift import DriftCheck
    from ..sources import load_repository

    root = repository_root(args.repo)
    config = load_config(root, args.config)
    if args.fail_on:
        config = replace(config, fail_on=Severity(args.fail_on))
    try:
        url = database_url(args.database_url)
    except DatabaseError as exc:
        raise CommandError(str(exc)) from None
    started = time.perf_counter()
    repo = load_repository(root, config, with_history=False)
    snapshot_path = _snapshot_path(root, config, args.expected)
    committed = _committed(root, snapshot_path, required=args.expected_url is None)
    live = read_schema(url, args.statement_timeout)
    check = DriftCheck(repo, snapshot_path)
    findings: list[Finding] = []
    if args.expected_url:
        expected = read_schema(args.expected_url, args.statement_timeout)
        label = Masked.of(args.expected_url).shown
        if committed is not None:
            findings += check.stale_revisions(committed) + check.stale_content(committed, expected)
    else:
        expected, label = committed, snapshot_path
        findings += check.stale_revisions(committed)
    if expected["dialect"] != live["dialect"]:
        raise CommandError(
            f"{label} describes a {expected['dialect']} schema and the database is "
            f"{live['dialect']}: compare a database with a snapshot of the same kind"
        )
    entries = check.drift(expected, live)
    findings += [e.finding for e in entries] + check.not_at_head(live.get("revisions"), dialect=live["dialect"])
    findings = _configured(findings, config)
    seconds = time.perf_counter() - started
    if args.format == "json":
        text = _json(findings, repo, entries, live, label, Masked.of(url).shown, check)
    else:
        colour = args.format == "text" and args.output is None and wants_colour(sys.stdout)
        text = render(findings, repo, config, args.format, color=colour)
    emit(text, args.output)
    print(f"drift: {len(entries)} difference(s), {len(findings)} finding(s) in {seconds:.2f} s", file=sys.stderr)
    return EXIT_FINDINGS if failing(findings, config) else EXIT_OK


def _snapshot_path(root: Path, config: Config, given: Optional[Path]) -> str:
    """The snapshot's path relative to the repository (as findings name it)."""
    from ..sources.files import leaves_repository

    if given is None:
        if leaves_repository(config.schema_snapshot):
            raise CommandError(f"schema_snapshot '{config.schema_snapshot}' points outside the repository")
        return config.schema_snapshot
    try:
        return given.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return given.as_posix()


def _committed(root: Path, rel: str, required: bool) -> Optional[dict[str, Any]]:
    """The snapshot file, read back; None when it is absent and not required."""
    from ..schema.snapshot import SnapshotError, loads

    path = Path(rel) if Path(rel).is_absolute() else root / rel
    if not path.is_file():
        if required:
            raise CommandError(
                f"{rel}: no schema snapshot there; write one with `govsite snapshot` or compare "
                "with a database migrated to head (--expected-url)"
            )
        return None
    try:
        return loads(path.read_text(encoding="utf-8"), rel)
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{rel}: cannot read: {exc}") from None
    except SnapshotError as exc:
        raise CommandError(str(exc)) from None


def _configured(findings: list[Finding], config: Config) -> list[Finding]:
    """Severity overrides and disabled rules from the configuration, as for validate."""
    kept = []
    for f in findings:
        severity = config.severity_for(f.rule, f.severity)
        if severity is not None:
            kept.append(replace(f, severity=severity))
    return sorted(kept, key=Finding.sort_key)


def _json(findings, repo, entries, live, expected_label, database, check) -> str:
    """The validate JSON report plus a `drift` section: what was compared, when, and each
    difference with its owner and emergency coverage (the site's Drift page reads it)."""
    from ..report.json_report import report_data

    data = report_data(findings, repo)
    data["drift"] = {
        "checked_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "database": database,
        "dialect": live["dialect"],
        "expected": expected_label,
        "revisions": live.get("revisions"),
        "heads": sorted(check.environment(live.get("revisions"), live["dialect"])[1].heads),
        "objects": [e.data() for e in entries],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
