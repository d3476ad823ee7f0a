"""`govsite review`: the quarterly policy review pack, printed for a terminal or a ticket.

The migration policy is reviewed every quarter. The facts of one quarter (migrations added by
risk, destructive and forward-only changes, emergency changes and their 24-hour compliance,
decisions taken, open findings, policy documents due for review) come from
`site.review.pack_for`, the same source as the site's `governance/reviews/<quarter>.md` pages,
so the terminal and the site never disagree. This module only formats that pack.

The command is informational: it exits 0 whatever the pack holds (`govsite validate` is the
gate), and 2 for a usage or configuration error such as a malformed quarter.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from ..config import load_config
from ..model import Adr, Migration, Operation
from ..report import plural, printable
from ..report.json_report import finding_data
from ..report.text import finding_line
from ..site.facts import (
    RISK_ORDER,
    ExceptionStatus,
    SiteFacts,
    next_quarter,
    quarter_bounds,
)
from ..site.markup import EMPTY, md_cell, md_code, md_text
from ..site.pages import day, moment
from ..site.review import DestructiveChange, PolicyReview, ReviewPack, pack_for
from .common import (
    EXIT_OK,
    CommandError,
    add_config_option,
    add_repository_argument,
    emit,
    repository_root,
)
from ..terminal import Status

FORMATS = ("text", "markdown", "json")
JSON_VERSION = 1
HIGH_RISK = "High"

DESCRIPTION = """\
Summarise one quarter for the quarterly review of the migration policy: migrations added by
risk level, destructive changes and the ADRs that approved them, forward-only changes and their
justification, emergency changes and whether their retroactive migration came within 24 hours,
ADRs decided, open findings on the quarter's files, and policy documents due for review.

A migration belongs to the quarter of the commit that added it (without git history, to the
date in its MIGRATION_ID). The site shows the same pack on governance/reviews/QUARTER.md."""

EPILOG = """\
formats:
  text      sections for reading on a terminal (default)
  markdown  a Markdown document to paste into a review ticket
  json      a stable object ("version": 1) for scripts

exit status:
  0  the pack (or the list of quarters) was printed, whatever it contains: the review is
     informational, `govsite validate` is the check that fails
  2  usage or configuration error: a malformed quarter such as 2026Q5, no such directory,
     or no --quarter in a repository where nothing is dated yet

examples:
  govsite review                       the latest quarter that has a migration
  govsite review --quarter 2026Q3
  govsite review --list                the quarters that have data
  govsite review --quarter 2026Q2 --format markdown > review-2026Q2.md
  govsite review path/to/repo --format json"""


# --------------------------------------------------------------------------- arguments


def quarter_argument(text: str) -> str:
    """A `--quarter` value such as "2026Q3" (a lower-case q is accepted too)."""
    label = text.strip().upper()
    try:
        quarter_bounds(label)
        next_quarter(label)  # the pack names the following quarter, so it must exist too
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a quarter: expected YYYYQn with n from 1 to 4, e.g. 2026Q3"
        ) from None
    return label


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repository_argument(parser, "to review")
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--quarter", metavar="YYYYQn", type=quarter_argument, default=None,
        help="the quarter to review, e.g. 2026Q3 (default: the latest quarter that has a "
        "migration)",
    )
    which.add_argument(
        "--list", action="store_true",
        help="list the quarters that have data, with their counts, instead of one pack",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    add_config_option(parser)


# --------------------------------------------------------------------------- running


def run(args: argparse.Namespace) -> int:
    facts = read_facts(args.repo, args.config)
    if args.list:
        emit(LIST_VIEWS[args.format](facts))
    else:
        quarter = args.quarter or default_quarter(facts)
        emit(PACK_VIEWS[args.format](pack_for(facts, quarter), facts))
    return EXIT_OK


def read_facts(repo_arg: str, config_path: Optional[Path]) -> SiteFacts:
    """Read and check the repository exactly as `govsite validate` does, once for every quarter."""
    from ..rules import run_rules
    from ..sources import load_repository

    root = repository_root(repo_arg)
    config = load_config(root, config_path)
    with Status(sys.stderr) as status:
        status.show(f"reading {root} ...")
        repo = load_repository(root, config)
        status.show(f"checking {plural(len(repo.migrations), 'migration')} ...")
        findings = run_rules(repo, config)
    return SiteFacts(repo, findings, config)


def default_quarter(facts: SiteFacts) -> str:
    """The latest quarter with a migration (else with any dated record).

    Never taken from the clock, so the same repository always prints the same pack.
    """
    candidates = sorted(facts.migrations_by_quarter) or list(facts.all_quarters)
    if not candidates:
        raise CommandError(
            "nothing in the repository is dated yet (no migration has a commit or a dated "
            "MIGRATION_ID); name a quarter with --quarter"
        )
    return candidates[-1]


def has_data(pack: ReviewPack, facts: SiteFacts) -> bool:
    """Whether anything happened in the quarter (the quarters `--list` and the site show)."""
    return pack.quarter in facts.all_quarters


# --------------------------------------------------------------------------- shared wording


def one_line(value: Any) -> str:
    """Repository text folded onto one line, control characters shown as escapes."""
    return printable(" ".join(str(value).split())) if value is not None else ""


def iso(value: Optional[datetime]) -> Optional[str]:
    """An ISO 8601 time in UTC for the JSON output (naive times are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat()


def migration_key(m: Migration) -> str:
    """What a reviewer calls a migration: its MIGRATION_ID, else its revision, else its file."""
    return m.migration_id or m.revision or m.path


def operation_label(op: Operation) -> str:
    """`drop_column ad_spend.spend_amount (op.execute)`."""
    target = ".".join(part for part in (op.table, op.target) if part)
    return " ".join(part for part in (op.kind, target, f"({op.call})") if part)


def adr_status(adr: Adr) -> str:
    """The status as written when it says more than the normalised one ("Superseded by ...")."""
    written = (adr.status_text or "").strip()
    if written and written.casefold() != (adr.status or "").casefold():
        return written
    return adr.status or written or "no status"


def adr_reference(ref: str, facts: SiteFacts) -> str:
    """`ADR-021 (Accepted)`, or a note that the cited ADR does not exist."""
    adr = facts.resolve_adr(ref)
    return f"{adr.id} ({adr_status(adr)})" if adr else f"{ref} (no such ADR)"


def approval(change: DestructiveChange, facts: SiteFacts) -> str:
    """Who approved a destructive change: the cited ADRs and review tickets, or nobody.

    A bypass that cites a missing or not yet accepted ADR is no approval, and says so.
    """
    bypass = facts.bypass_for(change.operation, change.migration)
    if bypass is None:
        return "NOT APPROVED: no CI:DESTRUCTIVE_OK bypass comment"
    refs = [adr_reference(ref, facts) for ref in change.adrs] + list(bypass.tickets)
    if not refs:
        return "NOT APPROVED: the bypass comment cites no ADR or review ticket"
    adrs = [facts.resolve_adr(ref) for ref in change.adrs]
    if all(adr is not None and adr.accepted for adr in adrs):
        return "approved by " + ", ".join(refs)
    return "NOT APPROVED: the bypass cites " + ", ".join(refs)


def compliance(status: ExceptionStatus, history: str) -> str:
    """Policy 4 for one emergency change, as a reviewer would say it."""
    if status.compliance == "unlinked":
        return "unlinked: no retroactive migration names this incident"
    if status.compliance == "unknown":
        if status.record.changed_at is None:
            return "unknown: the record's heading gives no usable time"
        return f"unknown: the migration's commit time is not known (git history: {history})"
    hours = (
        f"{status.hours:.1f} h after the change"
        if status.hours >= 0
        else f"{-status.hours:.1f} h before the change"
    )
    if status.compliance == "late":
        return f"late: more than 24 h ({hours})"
    return f"compliant: within 24 h ({hours})"


def policy_mark(review: PolicyReview, pack: ReviewPack) -> str:
    if review.overdue:
        return f"OVERDUE (review due by the end of {pack.quarter})"
    if review.due:
        return f"due in {pack.next_quarter}"
    return ""


def summary(pack: ReviewPack) -> str:
    return ", ".join(
        (
            f"{plural(len(pack.migrations), 'migration')} added",
            plural(len(pack.destructive), "destructive change"),
            plural(len(pack.forward_only), "forward-only change"),
            plural(len(pack.exceptions), "emergency change"),
            f"{plural(len(pack.adrs), 'ADR')} decided",
            plural(len(pack.open_findings), "open finding"),
        )
    )


def no_data_note(pack: ReviewPack) -> str:
    return (
        f"Nothing is recorded for {pack.quarter}: no migration, emergency change or ADR is dated "
        "in it. Run 'govsite review --list' for the quarters that have data."
    )


HISTORY_PROBLEMS = {
    "not-a-repository": "the repository is not a git repository",
    "no-commits": "the git repository has no commits yet",
    "shallow": "the git history is shallow (older commits are missing)",
    "unavailable": "git history could not be read",
}


def history_note(facts: SiteFacts) -> Optional[str]:
    """Why quarters and 24-hour timing may be incomplete, when git history is not whole."""
    status = facts.repo.history.status
    if status == "ok" and not facts.repo.history.problem:
        return None
    problem = facts.repo.history.problem or HISTORY_PROBLEMS.get(status, f"git history is {status}")
    return (
        f"Note: {problem}; a migration without a known commit is placed by the date in its "
        "MIGRATION_ID, and emergency timing may be unknown."
    )


def header_value(m: Migration, key: str) -> Optional[str]:
    return m.header.get(key) if m.header else None


# --------------------------------------------------------------------------- text


def pack_text(pack: ReviewPack, facts: SiteFacts) -> str:
    sections = (
        _text_header(pack, facts),
        _text_migrations(pack),
        _text_destructive(pack, facts),
        _text_forward_only(pack),
        _text_emergencies(pack, facts),
        _text_adrs(pack),
        _text_findings(pack),
        _text_policies(pack),
    )
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def _heading(title: str, items: Any, empty: str = "none") -> list[str]:
    return [f"{title} ({len(items)})"] if items else [f"{title}: {empty}"]


def _text_header(pack: ReviewPack, facts: SiteFacts) -> list[str]:
    lines = [f"Quarterly review {pack.quarter} ({day(pack.start)} to {day(pack.end)})"]
    lines.append(summary(pack))
    if not has_data(pack, facts):
        lines.append(no_data_note(pack))
    note = history_note(facts)
    if note:
        lines.append(note)
    return lines


def _text_migration(m: Migration, indent: str) -> str:
    key, title = one_line(migration_key(m)), one_line(m.display_title)
    return f"{indent}{key}" + ("" if title == key else f"  {title}")


def _text_migrations(pack: ReviewPack) -> list[str]:
    lines = _heading("Migrations added", pack.migrations)
    for risk, migrations in pack.by_risk:
        lines.append(f"  {one_line(risk)} ({len(migrations)})")
        lines.extend(_text_migration(m, "    ") for m in migrations)
    return lines


def _text_destructive(pack: ReviewPack, facts: SiteFacts) -> list[str]:
    lines = _heading("Destructive changes", pack.destructive)
    for _, changes in itertools.groupby(pack.destructive, key=lambda c: c.migration.path):
        changes = list(changes)
        lines.append(_text_migration(changes[0].migration, "  "))
        for change in changes:
            where = f"{one_line(change.migration.path)}:{change.operation.line}"
            lines.append(f"    {where}  {one_line(operation_label(change.operation))}")
            lines.append(f"      {one_line(approval(change, facts))}")
            if change.justification:
                lines.append(f"      justification: {one_line(change.justification)}")
    return lines


def _text_forward_only(pack: ReviewPack) -> list[str]:
    lines = _heading("Forward-only changes", pack.forward_only)
    for m in pack.forward_only:
        lines.append(_text_migration(m, "  "))
        for label, key in (("justification", "JUSTIFICATION"), ("rollback", "ROLLBACK_STRATEGY")):
            lines.append(f"    {label}: {one_line(header_value(m, key)) or '(none given)'}")
    return lines


def _text_emergencies(pack: ReviewPack, facts: SiteFacts) -> list[str]:
    lines = _heading("Emergency changes", pack.exceptions)
    for status in pack.exceptions:
        record = status.record
        where = f"{one_line(record.path)}:{record.line}"
        when = f"changed {moment(record.changed_at)}" if record.changed_at else "time unknown"
        lines.append(f"  {one_line(record.id)}  {when}  ({where})")
        for m in status.migrations:
            added = facts.added(m.path)
            when = f", added {moment(added.date)}" if added else ""
            lines.append(f"    retroactive migration: {_text_migration(m, '').strip()}{when}")
        lines.append(f"    {compliance(status, facts.repo.history.status)}")
    return lines


def _text_adrs(pack: ReviewPack) -> list[str]:
    lines = _heading("ADRs decided", pack.adrs)
    for adr in pack.adrs:
        lines.append(
            f"  {one_line(adr.id)}  {one_line(adr.date)}  {one_line(adr_status(adr))}  "
            f"{one_line(adr.title)}"
        )
    return lines


def _text_findings(pack: ReviewPack) -> list[str]:
    title = "Open findings on files added this quarter"
    return _heading(title, pack.open_findings) + [
        f"  {finding_line(f)}" for f in pack.open_findings
    ]


def _text_policies(pack: ReviewPack) -> list[str]:
    lines = _heading("Policy documents", pack.policies, "none found")
    for review in pack.policies:
        doc = review.document
        version = f", version {one_line(doc.version)}" if doc.version else ""
        next_review = "no Next Review date"
        if doc.next_review:
            next_review = f"next review {day(doc.next_review)}"
        mark = policy_mark(review, pack)
        lines.append(
            f"  {one_line(doc.path)}  {one_line(doc.title)}{version}: {next_review}"
            + (f"  {mark}" if mark else "")
        )
    return lines


# --------------------------------------------------------------------------- markdown


def pack_markdown(pack: ReviewPack, facts: SiteFacts) -> str:
    sections = (
        _md_header(pack, facts),
        _md_migrations(pack),
        _md_destructive(pack, facts),
        _md_forward_only(pack),
        _md_emergencies(pack, facts),
        _md_adrs(pack),
        _md_findings(pack),
        _md_policies(pack),
    )
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def _md_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _md_section(title: str, rows: list[tuple[str, ...]], header: tuple[str, ...], empty: str):
    return [f"## {title}", ""] + (_md_table(header, rows) if rows else [empty])


def _md_migration(m: Migration) -> str:
    key, title = migration_key(m), m.display_title
    return md_code(key) + ("" if title == key else f" {md_text(title)}")


def _md_header(pack: ReviewPack, facts: SiteFacts) -> list[str]:
    lines = [
        f"# Quarterly review {md_text(pack.quarter)}",
        "",
        f"From {day(pack.start)} to {day(pack.end)}: {summary(pack)}.",
    ]
    notes = [no_data_note(pack)] if not has_data(pack, facts) else []
    notes += [note for note in (history_note(facts),) if note]
    for note in notes:
        lines += ["", md_text(note)]
    return lines


def _md_migrations(pack: ReviewPack) -> list[str]:
    lines = ["## Migrations added by risk", ""]
    if not pack.by_risk:
        return lines + ["No migrations were added this quarter."]
    for risk, migrations in pack.by_risk:
        lines += [f"### {md_text(risk)} ({len(migrations)})", ""]
        lines += [f"- {_md_migration(m)}" for m in migrations] + [""]
    return lines[:-1]


def _md_destructive(pack: ReviewPack, facts: SiteFacts) -> list[str]:
    rows = [
        (
            _md_migration(c.migration),
            md_code(f"{c.migration.path}:{c.operation.line}"),
            md_cell(operation_label(c.operation)),
            md_cell(approval(c, facts)),
            md_cell(c.justification),
        )
        for c in pack.destructive
    ]
    header = ("Migration", "Location", "Operation", "Approval", "Justification")
    return _md_section("Destructive changes", rows, header, "No destructive changes.")


def _md_forward_only(pack: ReviewPack) -> list[str]:
    rows = [
        (
            _md_migration(m),
            md_cell(header_value(m, "JUSTIFICATION")),
            md_cell(header_value(m, "ROLLBACK_STRATEGY")),
        )
        for m in pack.forward_only
    ]
    header = ("Migration", "Justification", "Rollback strategy")
    return _md_section("Forward-only changes", rows, header, "No forward-only changes.")


def _md_emergencies(pack: ReviewPack, facts: SiteFacts) -> list[str]:
    rows = [
        (
            md_cell(s.record.id),
            moment(s.record.changed_at),
            "<br>".join(_md_migration(m) for m in s.migrations) or "none linked",
            md_cell(compliance(s, facts.repo.history.status)),
        )
        for s in pack.exceptions
    ]
    header = ("Incident", "Changed at", "Retroactive migration", "Compliance")
    return _md_section("Emergency changes", rows, header, "No emergency changes.")


def _md_adrs(pack: ReviewPack) -> list[str]:
    rows = [
        (md_cell(a.id), md_cell(a.date), md_cell(adr_status(a)), md_cell(a.title))
        for a in pack.adrs
    ]
    header = ("ADR", "Date", "Status", "Title")
    return _md_section("ADRs decided", rows, header, "No ADRs are dated in this quarter.")


def _md_findings(pack: ReviewPack) -> list[str]:
    rows = [
        (
            f.severity.value,
            md_cell(f"{f.rule} {f.name}"),
            md_code(str(f.location)),
            md_cell(f.message),
        )
        for f in pack.open_findings
    ]
    header = ("Severity", "Rule", "Location", "Message")
    empty = "No open findings on files added this quarter."
    return _md_section("Open findings", rows, header, empty)


def _md_policies(pack: ReviewPack) -> list[str]:
    rows = [
        (
            f"{md_text(r.document.title)} ({md_code(r.document.path)})",
            md_cell(r.document.version),
            day(r.document.next_review),
            f"**{md_text(policy_mark(r, pack))}**" if policy_mark(r, pack) else EMPTY,
        )
        for r in pack.policies
    ]
    header = ("Document", "Version", "Next review", "Review")
    return _md_section("Policy documents", rows, header, "No policy documents were found.")


# --------------------------------------------------------------------------- json


def pack_json(pack: ReviewPack, facts: SiteFacts) -> str:
    return json.dumps(pack_data(pack, facts), ensure_ascii=False, indent=2) + "\n"


def pack_data(pack: ReviewPack, facts: SiteFacts) -> dict[str, Any]:
    """The pack as a stable object: every key is always present, lists are possibly empty."""
    by_risk: dict[str, list] = {risk: [] for risk in RISK_ORDER}
    by_risk.update({risk: [_migration_data(m, facts) for m in ms] for risk, ms in pack.by_risk})
    return {
        "version": JSON_VERSION,
        "quarter": pack.quarter,
        "start": pack.start.isoformat(),
        "end": pack.end.isoformat(),
        "next_quarter": pack.next_quarter,
        "has_data": has_data(pack, facts),
        "history": facts.repo.history.status,
        "summary": _counts(pack),
        "migrations_by_risk": by_risk,
        "destructive": [_destructive_data(c, facts) for c in pack.destructive],
        "forward_only": [_forward_only_data(m, facts) for m in pack.forward_only],
        "emergency_changes": [_emergency_data(s, facts) for s in pack.exceptions],
        "adrs": [_adr_data(a) for a in pack.adrs],
        "open_findings": [finding_data(f) for f in pack.open_findings],
        "policies": [_policy_data(r) for r in pack.policies],
    }


def _counts(pack: ReviewPack) -> dict[str, int]:
    return {
        "migrations": len(pack.migrations),
        "high_risk": len(dict(pack.by_risk).get(HIGH_RISK, ())),
        "destructive": len(pack.destructive),
        "forward_only": len(pack.forward_only),
        "emergency_changes": len(pack.exceptions),
        "adrs": len(pack.adrs),
        "open_findings": len(pack.open_findings),
        "policies_due": sum(1 for r in pack.policies if r.due),
        "policies_overdue": sum(1 for r in pack.policies if r.overdue),
    }


def _migration_data(m: Migration, facts: SiteFacts) -> dict[str, Any]:
    added = facts.added(m.path)
    return {
        "migration_id": m.migration_id,
        "revision": m.revision,
        "title": m.display_title,
        "risk_level": m.risk_level,
        "path": m.path,
        "added": iso(added.date) if added else None,
        "author": added.author if added else None,
    }


def _destructive_data(change: DestructiveChange, facts: SiteFacts) -> dict[str, Any]:
    op = change.operation
    bypass = facts.bypass_for(op, change.migration)
    return {
        "migration": _migration_data(change.migration, facts),
        "path": change.migration.path,
        "line": op.line,
        "operation": op.kind,
        "call": op.call,
        "table": op.table,
        "target": op.target,
        "bypass": bypass is not None,
        "adrs": [_adr_reference_data(ref, facts) for ref in change.adrs],
        "tickets": list(bypass.tickets) if bypass else [],
        "justification": change.justification,
    }


def _adr_reference_data(ref: str, facts: SiteFacts) -> dict[str, Any]:
    adr = facts.resolve_adr(ref)
    known = _adr_data(adr) if adr else dict.fromkeys(ADR_KEYS)
    return {"reference": ref, "found": adr is not None} | known


def _forward_only_data(m: Migration, facts: SiteFacts) -> dict[str, Any]:
    return {
        "migration": _migration_data(m, facts),
        "justification": header_value(m, "JUSTIFICATION"),
        "rollback_strategy": header_value(m, "ROLLBACK_STRATEGY"),
    }


def _emergency_data(status: ExceptionStatus, facts: SiteFacts) -> dict[str, Any]:
    record = status.record
    return {
        "incident": record.incident,
        "heading": record.heading,
        "path": record.path,
        "line": record.line,
        "changed_at": iso(record.changed_at),
        "migrations": [_migration_data(m, facts) for m in status.migrations],
        "migration_added": iso(status.added.date) if status.added else None,
        "hours": None if status.hours is None else round(status.hours, 2),
        "within_24h": status.within_24h,
        "compliance": status.compliance,
    }


ADR_KEYS = ("id", "title", "status", "status_text", "date", "path")


def _adr_data(adr: Adr) -> dict[str, Any]:
    return {
        "id": adr.id,
        "title": adr.title,
        "status": adr.status,
        "status_text": adr.status_text,
        "date": adr.date,
        "path": adr.path,
    }


def _policy_data(review: PolicyReview) -> dict[str, Any]:
    doc = review.document
    return {
        "path": doc.path,
        "title": doc.title,
        "version": doc.version,
        "status": doc.status,
        "next_review": doc.next_review.isoformat() if doc.next_review else None,
        "due": review.due,
        "overdue": review.overdue,
    }


# --------------------------------------------------------------------------- --list


def listed_packs(facts: SiteFacts) -> list[ReviewPack]:
    """One pack per quarter that has data, oldest first (the site's review index, in order)."""
    return [pack_for(facts, quarter) for quarter in facts.all_quarters]


def _default_or_none(facts: SiteFacts) -> Optional[str]:
    return default_quarter(facts) if facts.all_quarters else None


LIST_COLUMNS = (
    ("quarter", None),
    ("migrations", "migrations"),
    ("high risk", "high_risk"),
    ("destructive", "destructive"),
    ("forward-only", "forward_only"),
    ("emergency", "emergency_changes"),
    ("ADRs", "adrs"),
    ("open findings", "open_findings"),
)


def _list_rows(facts: SiteFacts) -> list[tuple[str, ...]]:
    rows = []
    for pack in listed_packs(facts):
        counts = _counts(pack)
        rows.append(tuple(str(counts[key]) if key else pack.quarter for _, key in LIST_COLUMNS))
    return rows


def list_text(facts: SiteFacts) -> str:
    """A table, quarter first and counts right-aligned, then which quarter is the default."""
    rows = _list_rows(facts)
    if not rows:
        return "No quarter has data yet: no migration, emergency change or ADR is dated.\n"
    table = [tuple(title for title, _ in LIST_COLUMNS)] + rows
    widths = [max(len(row[i]) for row in table) for i in range(len(LIST_COLUMNS))]
    lines = [_aligned(row, widths) for row in table]
    lines.append(f"default quarter: {_default_or_none(facts)} (choose another with --quarter)")
    return "\n".join(lines) + "\n"


def _aligned(row: tuple[str, ...], widths: list[int]) -> str:
    cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
    return "  ".join(cells).rstrip()


def list_markdown(facts: SiteFacts) -> str:
    rows = _list_rows(facts)
    if not rows:
        return "# Quarterly reviews\n\nNo quarter has data yet.\n"
    table = _md_table(tuple(title[0].upper() + title[1:] for title, _ in LIST_COLUMNS), rows)
    return "# Quarterly reviews\n\n" + "\n".join(table) + "\n"


def list_json(facts: SiteFacts) -> str:
    quarters = [
        {"quarter": p.quarter, "start": p.start.isoformat(), "end": p.end.isoformat()}
        | _counts(p)
        for p in listed_packs(facts)
    ]
    data = {"version": JSON_VERSION, "default": _default_or_none(facts), "quarters": quarters}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


PACK_VIEWS: dict[str, Callable[[ReviewPack, SiteFacts], str]] = {
    "text": pack_text,
    "markdown": pack_markdown,
    "json": pack_json,
}
LIST_VIEWS: dict[str, Callable[[SiteFacts], str]] = {
    "text": list_text,
    "markdown": list_markdown,
    "json": list_json,
}
