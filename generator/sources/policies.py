"""Policy documents (runbooks, change control): the header fields of their review cycle.

The fields are `Version`, `Date`, `Status` and `Next Review`, written as `**Version:** 1.0.0`,
`**Next Review**: 2026-01-17 (quarterly review)` or plainly `Version: 1.0`, anywhere in the
document (a runbook often keeps `Next Review` at the bottom), or as front matter keys
(`version`, `date`, `status`, `next_review`). The first bold line wins over a plain one, since a
plain `Status: ...` may just as well be a sentence.

A document without `Next Review` is not reported here: whether that matters is the cadence rule's
call. A date that cannot be read is reported (GOV804) and left out.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Optional

from ..config import Config
from ..model import Finding, Location, PolicyDocument
from ..catalog import finding
from .files import find_files, read_text
from .markdown import MarkdownDocument, field_key, parse_markdown, split_front_matter

# attribute -> accepted spellings (see `field_key`)
FIELDS: dict[str, tuple[str, ...]] = {
    "version": ("version",),
    "date": ("date", "last updated"),
    "status": ("status",),
    "next_review": ("next review", "next review date", "next review due"),
}
DATE_FIELDS = ("date", "next_review")

_ISO_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?=$|[\s(,;])")
_WRITTEN_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%B %d %Y")


def read_policies(root: Path, config: Config) -> tuple[list[PolicyDocument], list[Finding]]:
    """Every document matched by `config.policies`, with its header fields and their lines."""
    documents: list[PolicyDocument] = []
    findings: list[Finding] = []
    for rel in find_files(root, config.policies):
        text, problem = read_text(root, rel, "GOV804")
        if text is None:
            findings.append(problem)
            continue
        document, problems = parse_policy(rel, text.text)
        findings.extend(problems)
        if document is not None:
            documents.append(document)
    return documents, findings


def parse_policy(rel: str, text: str) -> tuple[Optional[PolicyDocument], list[Finding]]:
    """Read one policy document's title and header fields."""
    stem = PurePosixPath(rel).stem
    if not text.strip():
        return PolicyDocument(rel, stem), [finding("GOV804", Location(rel, 1), "policy document is empty")]
    split = split_front_matter(rel, text)
    findings = list(split.problems)
    doc, problems = parse_markdown(rel, split.body, split.body_line)
    findings.extend(problems)
    if doc is None:
        return None, findings
    meta = split.front_matter.data if split.front_matter else {}
    heading = doc.first_heading(1)
    title = heading.title if heading else str(meta.get("title") or stem)
    if heading is None and not meta.get("title"):
        findings.append(finding("GOV804", Location(rel, doc.first_line), "policy document has no '# ' title"))
    values: dict[str, Any] = {}
    lines: list[tuple[str, int]] = []
    for attribute in FIELDS:
        value, line = _field(doc, split.front_matter, attribute)
        if value is None:
            continue
        if attribute in DATE_FIELDS:
            value = _date_or_finding(rel, attribute, value, line, findings)
        values[attribute] = value
        lines.append((attribute, line))
    return PolicyDocument(rel, title, field_lines=tuple(lines), **values), findings


def _field(doc: MarkdownDocument, front, attribute: str) -> tuple[Optional[str], int]:
    """The value of one field as written and its line, from the Markdown or the front matter."""
    written = doc.find_field(FIELDS[attribute])
    if written is not None and written.plain:
        return written.plain, written.line
    if front is not None:
        for key, value in front.data.items():
            if field_key(str(key)) in FIELDS[attribute] and value not in (None, ""):
                return str(value).strip(), front.key_lines.get(key, 1)
    return None, 1


def _date_or_finding(
    rel: str, attribute: str, value: str, line: int, findings: list[Finding]
) -> Optional[date]:
    parsed = parse_policy_date(value)
    if parsed is None:
        label = attribute.replace("_", " ").title()
        findings.append(finding(
            "GOV804", Location(rel, line),
            f"{label} '{value}' is not a date (write YYYY-MM-DD, e.g. 2026-01-17)",
        ))
    return parsed


def parse_policy_date(value: str) -> Optional[date]:
    """`2026-01-17`, `2026-01-17 (quarterly review)` or `January 17, 2026`; None otherwise."""
    text = value.strip()
    match = _ISO_DATE.match(text)
    if match:
        try:
            return date.fromisoformat(match.group(1))
        except ValueError:
            return None
    written = text.split("(")[0].strip()
    for pattern in _WRITTEN_DATE_FORMATS:
        try:
            return datetime.strptime(written, pattern).date()
        except ValueError:
            continue
    return None
