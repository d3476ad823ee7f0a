"""The exceptions register: one emergency record per `## Emergency Change: <date>` heading.

The runbook's template writes a record as the record heading, `**Incident**:` and `**Urgency**:`
lines, then sibling `##` headings for its parts (`Immediate Action Taken`, `Retroactive Canonical
Spec Update`, `Post-Incident Review`). Teams also nest the parts as `###` subsections, or write a
part as a one-line `**Post-Incident Review**: <link>` field; all three are accepted. A record runs
until the next record heading (or a `# ` heading). Anything before the first record is the
register's own introduction and is not read.

Every required part that is missing, empty or still a template placeholder is a GOV401 finding at
the record's heading line, so an incomplete record can not pass unnoticed.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Optional

from ..config import Config
from ..model import EmergencyRecord, Finding, Location, record
from ..catalog import finding
from ..paths import inside
from .files import leaves_repository, read_text
from .markdown import Heading, MarkdownDocument, field_key, parse_markdown

RECORD_PREFIX = "emergency change"


@record
class Part:
    """A required part of a record: its display name, model attribute and accepted spellings."""

    name: str
    attribute: str
    keys: tuple[str, ...]  # `field_key` spellings of the heading or field name
    heading: bool  # whether the part may be written as a heading (else only as a field line)


PARTS = (
    Part("Incident", "incident", ("incident", "incident ticket"), False),
    Part("Urgency", "urgency", ("urgency",), False),
    Part("Immediate Action Taken", "immediate_action", ("immediate action taken", "immediate action"), True),
    Part(
        "Retroactive Canonical Spec Update",
        "retroactive_update",
        ("retroactive canonical spec update", "retroactive spec update", "retroactive update"),
        True,
    ),
    Part("Post-Incident Review", "post_incident_review", ("post incident review", "postmortem", "post mortem"), True),
)

_PLACEHOLDERS = {"tbd", "todo", "tba", "pending", "n/a", "na", "none", "-", "..."}
_MIGRATION_FIELDS = {"migration", "migrations", "retroactive migration", "migration id", "revision", "alembic revision"}

_WHEN = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[T ]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?",
    re.I,
)
_TRAILER_START = "-\u2013\u2014(|,:"
_MIGRATION_ID = re.compile(r"(?<![\w/.\-])\d{12}(?![\w/\-])")
_REVISION_PHRASE = re.compile(r"\brevision(?:\s+id)?\s*[:=]?\s*[`'\"]?([A-Za-z0-9_]+)", re.I)
_REVISION_WORD = re.compile(r"\brevision", re.I)  # where a revision phrase can start
_REVISION_HASH = re.compile(r"[0-9a-f]{12}")
_IDENTIFIER = re.compile(r"[A-Za-z0-9_]*\d[A-Za-z0-9_]*")


def read_exceptions(root: Path, config: Config) -> tuple[list[EmergencyRecord], list[Finding]]:
    """The records of `config.exceptions`; an absent register means no emergencies, no finding.

    A setting that points outside the repository is left alone here: the GOV804 check reports it.
    """
    rel = config.exceptions
    if leaves_repository(rel):
        return [], []  # not even looked at; the GOV804 check reports the setting
    if not os.path.lexists(root / rel) and inside(root, root / rel):
        return [], []  # absent; one behind a folder linked outside is reported, not skipped
    text, problem = read_text(root, rel, "GOV804")
    if text is None:
        return [], [problem]
    doc, findings = parse_markdown(rel, text.text)
    if doc is None:
        return [], findings
    records: list[EmergencyRecord] = []
    headings = _record_headings(doc)
    for heading, end_line in zip(headings, _record_ends(doc, headings)):
        record, problems = _read_record(rel, doc, heading, end_line)
        records.append(record)
        findings.extend(problems)
    return records, findings


def _record_headings(doc: MarkdownDocument) -> list[Heading]:
    return [
        h for h in doc.headings
        if h.level == 2 and field_key(h.title.partition(":")[0]) == RECORD_PREFIX and ":" in h.title
    ]


def _record_ends(doc: MarkdownDocument, records: list[Heading]) -> list[int]:
    """Last line of each record: before the next record heading or the next `# ` heading."""
    ends = []
    for i, heading in enumerate(records):
        stop = records[i + 1].line if i + 1 < len(records) else doc.last_line + 1
        inside = doc.sections_between(heading.line + 1, stop - 1)
        top = next((s.heading.line for s in inside if s.heading.level == 1), stop)
        ends.append(top - 1)
    return ends


def _read_record(
    rel: str, doc: MarkdownDocument, heading: Heading, end_line: int
) -> tuple[EmergencyRecord, list[Finding]]:
    when_text = heading.title.partition(":")[2].strip()
    label = when_text or "(no date)"
    at = Location(rel, heading.line)
    findings: list[Finding] = []
    changed_at = parse_change_time(when_text)
    if changed_at is None:
        findings.append(finding(
            "GOV401", at,
            f"emergency record heading '{heading.title}' has no valid date: write "
            "'YYYY-MM-DD', 'YYYY-MM-DDTHH:MM:SSZ' or 'YYYY-MM-DD HH:MM UTC'",
        ))
    values: dict[str, Optional[str]] = {}
    part_lines: list[tuple[str, int]] = []
    for part in PARTS:
        value, line, problem = _read_part(doc, part, heading, end_line)
        values[part.attribute] = value
        if line is not None:
            part_lines.append((part.name, line))
        if problem:
            findings.append(finding("GOV401", at, f"emergency record {label} {problem}"))
    record = EmergencyRecord(
        path=rel,
        line=heading.line,
        heading=heading.title,
        changed_at=changed_at,
        migration_refs=migration_refs(doc, heading.line, end_line),
        part_lines=tuple(part_lines),
        **values,
    )
    return record, findings


def _read_part(
    doc: MarkdownDocument, part: Part, record: Heading, end_line: int
) -> tuple[Optional[str], Optional[int], Optional[str]]:
    """(value, line, problem): the part's text and where it starts, or why it does not count."""
    value, line = _part_as_heading(doc, part, record, end_line) if part.heading else (None, None)
    if line is None:
        field = doc.find_field(part.keys, record.end_line + 1, end_line)
        if field is not None:
            value, line = (field.plain if not part.heading else field.value), field.line
    written = f"'{part.name}' section" if part.heading else f"'**{part.name}**:' line"
    if line is None:
        return None, None, f"has no {written}"
    if not value:
        return None, line, f"has an empty {written}"
    if _is_placeholder(value):
        return None, line, f"'{part.name}' still holds a placeholder ({value!r})"
    return value, line, None


def _part_as_heading(
    doc: MarkdownDocument, part: Part, record: Heading, end_line: int
) -> tuple[Optional[str], Optional[int]]:
    for section in doc.sections_between(record.end_line + 1, end_line):
        heading = section.heading
        if heading.level >= 2 and heading.key in part.keys:
            body = doc.source(section.body_line, min(section.end_line, end_line))
            return body.strip(), heading.line
    return None, None


def _is_placeholder(value: str) -> bool:
    """Template text left in place: `[Link to post-mortem]`, `<date>`, `TBD`, `TODO`, ..."""
    text = value.strip()
    bracketed = (text[0], text[-1]) in (("[", "]"), ("<", ">")) and "](" not in text
    return bracketed or text.lower().rstrip(".") in _PLACEHOLDERS


# --------------------------------------------------------------------------- time of the change


def parse_change_time(text: str) -> Optional[datetime]:
    """The UTC time a record heading names, or None when it names no valid time.

    Accepted: `2026-04-01` (the end of that day, 23:59:59), `2026-04-01T10:00:00Z`,
    `2026-04-01 10:00 UTC`, `2026-04-01T10:00+02:00`; a time without a zone is taken as UTC.
    Text after the time is allowed when it starts with a separator (`2026-04-01 - payments`).
    """
    match = _WHEN.match(text.strip())
    if match is None or not _only_trailer(text.strip()[match.end():]):
        return None
    day, hour, minute, second, zone = match.groups()
    try:
        when_day = date.fromisoformat(day)
        when_time = time(int(hour), int(minute), int(second or 0)) if hour else time(23, 59, 59)
        tz = _zone(zone)
    except ValueError:
        return None
    return datetime.combine(when_day, when_time, tz).astimezone(timezone.utc)


def _only_trailer(rest: str) -> bool:
    rest = rest.strip()
    return not rest or rest[0] in _TRAILER_START


def _zone(text: Optional[str]) -> timezone:
    if text is None or text.upper() in ("Z", "UTC", "GMT"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise ValueError(f"offset out of range: {text}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


# --------------------------------------------------------------------------- migration references


def migration_refs(doc: MarkdownDocument, first: int, last: int) -> tuple[str, ...]:
    """Migrations a record names explicitly, in the order they appear.

    Deliberately conservative, so a record is linked only to what it really names:

    * a 12-digit number standing alone (a MIGRATION_ID such as `202604011200`), on any line;
    * the word after `revision` / `revision id` / `revision:` (`revision 3f2a9c1b7d4e`) when it
      contains a digit, so prose such as "revision history" is not taken;
    * a code span holding exactly a 12-character hexadecimal alembic revision id;
    * each identifier with a digit in a `Migration:`, `Migrations:`, `Retroactive Migration:`,
      `Migration ID:` or `Revision:` field line.

    `down_revision = ...` in a pasted snippet is not taken: it names the parent, not the change.
    """
    found: list[tuple[int, str]] = []
    numbers = range(first, min(last, doc.last_line) + 1)
    lines = [doc.lines[line - doc.first_line] for line in numbers]
    if _may_name_migrations(lines):
        for line, text in zip(numbers, lines):
            found.extend((line, m) for m in _MIGRATION_ID.findall(text))
            found.extend((line, m) for m in _REVISION_PHRASE.findall(text) if any(c.isdigit() for c in m))
    for span in doc.code_spans_between(first, last):
        if _REVISION_HASH.fullmatch(span.text.strip()):
            found.append((span.line, span.text.strip()))
    for field in doc.fields_between(first, last):
        if field.key in _MIGRATION_FIELDS:
            found.extend((field.line, ident) for ident in _identifiers(field.plain))
    def position(item: tuple[int, str]) -> tuple[int, int]:
        line, ref = item
        return line, doc.lines[line - doc.first_line].find(ref)

    return tuple(dict.fromkeys(ref for _, ref in sorted(found, key=position)))


def _may_name_migrations(lines: list[str]) -> bool:
    """Whether any of the lines can hold a MIGRATION_ID or a revision phrase.

    One search over the record instead of two per line: a line break next to a match stands
    where the line's start or end stood, so the record finds whatever one of its lines would.
    """
    text = "\n".join(lines)
    return _MIGRATION_ID.search(text) is not None or _REVISION_WORD.search(text) is not None


def _identifiers(value: str) -> list[str]:
    """Identifier-like words with a digit (`202604011200`, `3f2a9c1b7d4e`, `a1`), not paths."""
    words = re.split(r"[\s,;]+", value)
    cleaned = (w.strip("`'\"()[]") for w in words)
    return [w for w in cleaned if _IDENTIFIER.fullmatch(w)]
