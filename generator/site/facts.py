"""What the pages say, computed once: page addresses, lookups, quarters, compliance.

A site of thousands of migrations must not scan every migration for every page, so `SiteFacts`
builds each lookup (children, citations, findings per file, quarters, destructive operations)
in one pass and every page reads from it. Nothing here renders Markdown.
"""

from __future__ import annotations

import functools
import hashlib
import posixpath
import re
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterable, Optional, Sequence
from urllib.parse import unquote

from ..config import Config
from ..graph import RevisionGraph, environment_graphs
from ..model import (
    Adr,
    Commit,
    EmergencyRecord,
    Finding,
    Migration,
    Operation,
    Repository,
    cached_property,
    record,
)
from ..rules.baseline import legacy_revisions
from ..rules.helpers import SAFETY_CODES, MigrationLinks, bypass_for, destructive_operations
from ..sources.header import adr_references

ROOT = "governance"
RISK_ORDER = ("High", "Medium", "Low")
UNKNOWN_RISK = "Not declared"
LATE_AFTER_HOURS = 24.0

_MARKDOWN_FILE = re.compile(r"[\w./-]+\.md\b")
_MIGRATION_ID_DATE = re.compile(r"^\s*(\d{8})\d{0,6}\s*$")


# --------------------------------------------------------------------------- quarters


def quarter_label(day: date) -> str:
    """`date(2026, 8, 3)` -> "2026Q3"."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """First and last day of a quarter label such as "2026Q3"; ValueError when malformed."""
    match = re.fullmatch(r"(\d{4})Q([1-4])", quarter.strip())
    if not match:
        raise ValueError(f"not a quarter (expected e.g. 2026Q3): {quarter!r}")
    year, number = int(match.group(1)), int(match.group(2))
    start = date(year, 3 * number - 2, 1)
    end = date(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def next_quarter(quarter: str) -> str:
    """The quarter after `quarter`: "2026Q4" -> "2027Q1"."""
    _, last = quarter_bounds(quarter)
    return quarter_label(date.fromordinal(last.toordinal() + 1))


def commit_day(commit: Commit) -> date:
    """The UTC calendar day of a commit (quarters do not depend on the author's time zone)."""
    when = commit.date
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).date()


def migration_id_day(migration: Migration) -> Optional[date]:
    """The day a `MIGRATION_ID` of the form YYYYMMDDHHMM names, or None."""
    match = _MIGRATION_ID_DATE.match(migration.migration_id or "")
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%d").date()
    except ValueError:
        return None


#: Where a migration's date was read, as pages name it.
DATE_SOURCES = ("commit", "MIGRATION_ID", "Create Date")


def migration_date(migration: Migration, repo: Repository) -> tuple[Optional[date], Optional[str]]:
    """When a migration arrived and where that was read (one of `DATE_SOURCES`, or None).

    The commit that added the file decides when git knows it; a file git cannot date (no
    history, a fresh clone of an export) falls back to the date in its MIGRATION_ID, then to the
    `Create Date:` line `alembic revision` wrote into its docstring.
    """
    added = repo.history.of(migration.path).added
    if added is not None:
        return commit_day(added), "commit"
    day = migration_id_day(migration)
    if day is not None:
        return day, "MIGRATION_ID"
    if migration.created is not None:
        return migration.created, "Create Date"
    return None, None


def migration_day(migration: Migration, repo: Repository) -> Optional[date]:
    """When a migration arrived (see `migration_date`)."""
    return migration_date(migration, repo)[0]


def quarter_of(migration: Migration, repo: Repository) -> Optional[str]:
    """The quarter a migration belongs to ("2026Q3"), or None when no date is known.

    The commit that added the file decides when git history has it; otherwise the date in the
    `MIGRATION_ID` (YYYYMMDDHHMM), then the docstring's `Create Date:` does. Quarterly review pages and `govsite review` both use it.
    """
    day = migration_day(migration, repo)
    return quarter_label(day) if day else None


def parse_day(text: Optional[str]) -> Optional[date]:
    """The date at the start of an ADR's free-text date ("2026-03-14", "2026-03-14 (approved)")."""
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", text or "")
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


# --------------------------------------------------------------------------- page addresses


def slug(text: str, taken: set[str], reserved: Iterable[str] = ("index",)) -> str:
    """A file-name-safe, unique (also ignoring case) slug for `text`; `taken` is updated.

    Safe text is kept as it is so addresses stay readable (`3f2a1b9c0d4e`, `ADR-015`); anything
    else is replaced and a short hash of the original keeps different texts apart.
    """
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:80]
    candidate = base
    lowered_reserved = {r.lower() for r in reserved}
    if not base or base != text or base.lower() in lowered_reserved:
        candidate = f"{base or 'x'}-{_short_hash(text)}"
    counter = 1
    unique = candidate
    while unique.lower() in taken:
        counter += 1
        unique = f"{candidate}-{counter}"
    taken.add(unique.lower())
    return unique


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def relative_link(from_uri: str, to_uri: str) -> str:
    """The relative Markdown link from one page to another (MkDocs resolves .md links).

    Both are POSIX paths inside the docs directory, so the link is the way up from the
    page's directory to the common prefix and down again.
    """
    target, hash_, anchor = to_uri.partition("#")
    if not target:
        return hash_ + anchor
    return _relative(posixpath.dirname(from_uri), target) + hash_ + anchor


@functools.lru_cache(maxsize=4096)
def _relative_dir(start: str, target_dir: str) -> str:
    start_parts = [p for p in start.split("/") if p]
    target_parts = [p for p in target_dir.split("/") if p]
    common = 0
    for a, b in zip(start_parts, target_parts):
        if a != b:
            break
        common += 1
    return "/".join([".."] * (len(start_parts) - common) + target_parts[common:])


def _relative(start: str, target: str) -> str:
    directory, _, name = target.rpartition("/")
    prefix = _relative_dir(start, directory)
    return f"{prefix}/{name}" if prefix else name


# --------------------------------------------------------------------------- emergency records


@record
class ExceptionStatus:
    """An emergency record and how far policy 4 was followed for it."""

    record: EmergencyRecord
    anchor: str
    migrations: tuple[Migration, ...]
    added: Optional[Commit]  # the earliest commit that added a linked migration
    hours: Optional[float]  # from the emergency change to that commit
    findings: tuple[Finding, ...]

    @property
    def linked(self) -> bool:
        return bool(self.migrations)

    @property
    def within_24h(self) -> Optional[bool]:
        """True/False when both times are known; None when history or the date is missing."""
        if self.hours is None:
            return None
        return self.hours <= LATE_AFTER_HOURS

    @property
    def compliance(self) -> str:
        """One word for tables: "compliant", "late", "unlinked" or "unknown"."""
        if not self.linked:
            return "unlinked"
        if self.within_24h is None:
            return "unknown"
        return "compliant" if self.within_24h else "late"


# --------------------------------------------------------------------------- the facts


class SiteFacts:
    """Every lookup the pages need, each computed once on first use."""

    def __init__(self, repo: Repository, findings: Sequence[Finding], config: Config):
        self.repo = repo
        self.config = config
        self.findings = tuple(sorted(findings, key=Finding.sort_key))

    # ----------------------------------------------------------------- migrations

    @cached_property
    def migrations(self) -> tuple[Migration, ...]:
        """Migrations in a stable reading order: by MIGRATION_ID, then revision, then path."""
        return tuple(
            sorted(
                self.repo.migrations,
                key=lambda m: (m.migration_id or "\uffff", m.revision or "", m.path),
            )
        )

    @cached_property
    def by_date(self) -> tuple[Migration, ...]:
        """Migrations newest first, as the migration index lists them; undated ones last."""
        dated = [m for m in self.migrations if self.dates[m.path][0] is not None]
        undated = [m for m in self.migrations if self.dates[m.path][0] is None]
        return tuple(sorted(dated, key=lambda m: self.dates[m.path][0], reverse=True)) + tuple(undated)

    @cached_property
    def dates(self) -> dict[str, tuple[Optional[date], Optional[str]]]:
        """Migration path -> (day, where it was read), see `migration_date`."""
        return {m.path: migration_date(m, self.repo) for m in self.repo.migrations}

    # ----------------------------------------------------------------- accepting the past

    @cached_property
    def legacy(self) -> dict[str, str]:
        """Path -> revision of the migrations at or before `legacy_until`."""
        return legacy_revisions(self.repo, self.config)

    @cached_property
    def baselined(self) -> frozenset[str]:
        """Paths of the migrations (not legacy) with a finding the baseline file accepts."""
        return frozenset(
            f.location.path
            for f in self.findings
            if f.suppression is not None and f.suppression.kind == "baseline"
            and f.location.path in self.by_path and f.location.path not in self.legacy
        )

    @cached_property
    def checked(self) -> tuple[Migration, ...]:
        """The migrations compliance is computed over: neither legacy nor baselined."""
        return tuple(
            m for m in self.migrations if m.path not in self.legacy and m.path not in self.baselined
        )

    @cached_property
    def graph(self) -> RevisionGraph:
        return RevisionGraph(self.repo.migrations)

    @cached_property
    def migration_slugs(self) -> dict[str, str]:
        """Path -> slug of the migration's page; the revision id when it is safe and unique."""
        taken: set[str] = set()
        slugs = {}
        for m in sorted(self.repo.migrations, key=lambda m: m.path):
            name = m.revision or posixpath.splitext(posixpath.basename(m.path))[0]
            slugs[m.path] = slug(name, taken)
        return slugs

    def migration_uri(self, migration: Migration) -> str:
        return f"{ROOT}/migrations/{self.migration_slugs[migration.path]}.md"

    @cached_property
    def by_path(self) -> dict[str, Migration]:
        return {m.path: m for m in self.repo.migrations}

    @cached_property
    def environments(self) -> dict[str, RevisionGraph]:
        """The graph of each migration environment; the index names them when there are several."""
        return environment_graphs(self.repo.migrations)

    def parents(self, migration: Migration) -> list[tuple[str, Optional[Migration]]]:
        """Each `down_revision` with its migration (None when no file declares it)."""
        graph = self.environments.get(migration.environment, self.graph)
        return [(rev, graph.get(rev)) for rev in migration.down_revisions]

    def children(self, migration: Migration) -> list[Migration]:
        graph = self.environments.get(migration.environment, self.graph)
        if not migration.revision or graph.get(migration.revision) is not migration:
            return []
        return [graph.by_revision[rev] for rev in graph.children(migration.revision)]

    @cached_property
    def quarters(self) -> dict[str, Optional[str]]:
        """Migration path -> quarter (see `quarter_of`)."""
        return {m.path: quarter_of(m, self.repo) for m in self.repo.migrations}

    def added(self, path: str) -> Optional[Commit]:
        return self.repo.history.of(path).added

    def destructive(self, migration: Migration) -> tuple[Operation, ...]:
        return self._destructive.get(migration.path, ())

    @cached_property
    def _destructive(self) -> dict[str, tuple[Operation, ...]]:
        found = {}
        for m in self.repo.migrations:
            ops = tuple(destructive_operations(m, self.config))
            if ops:
                found[m.path] = ops
        return found

    def destructive_lines(self, migration: Migration) -> list[int]:
        """Source lines of destructive statements (plus any line GOV201 reported), sorted."""
        lines = set()
        for op in self.destructive(migration):
            lines.update(range(op.line, max(op.line, op.end_line) + 1))
        for f in self.findings_for(migration.path):
            if f.rule == "GOV201":
                lines.add(f.location.line)
        return sorted(lines)

    bypass_for = staticmethod(bypass_for)

    # ----------------------------------------------------------------- findings

    @cached_property
    def _findings_by_path(self) -> dict[str, list[Finding]]:
        grouped: dict[str, list[Finding]] = {}
        for f in self.findings:
            grouped.setdefault(f.location.path, []).append(f)
        return grouped

    def findings_for(self, path: str) -> list[Finding]:
        return self._findings_by_path.get(path, [])

    def open_findings_for(self, path: str) -> list[Finding]:
        return [f for f in self.findings_for(path) if not f.suppressed]

    def safety_findings_for(self, path: str) -> list[Finding]:
        """The safety gate's findings (GOV611-GOV618) on a file, suppressed ones included."""
        return [f for f in self.findings_for(path) if f.rule in SAFETY_CODES]

    def failing(self, finding: Finding) -> bool:
        return not finding.suppressed and finding.severity.rank >= self.config.fail_on.rank

    @cached_property
    def failing_paths(self) -> set[str]:
        return {f.location.path for f in self.findings if self.failing(f)}

    def compliant(self, migration: Migration) -> bool:
        """No unsuppressed finding at or above the fail level on the migration's file."""
        return migration.path not in self.failing_paths

    @cached_property
    def counts(self) -> dict[str, int]:
        open_ = [f for f in self.findings if not f.suppressed]
        return {
            "errors": sum(1 for f in open_ if f.severity.value == "error"),
            "warnings": sum(1 for f in open_ if f.severity.value == "warning"),
            "suppressed": sum(1 for f in self.findings if f.suppressed),
            "safety": sum(1 for f in open_ if f.rule in SAFETY_CODES),
        }

    def finding_uri(self, finding: Finding) -> Optional[str]:
        """The page that shows the file a finding is about, when the site has one."""
        path = finding.location.path
        migration = self.by_path.get(path)
        if migration is not None:
            return self.migration_uri(migration)
        adr = self.adr_by_path.get(path)
        if adr is not None:
            return self.adr_uri(adr)
        if self.repo.exceptions and path == self.repo.exceptions[0].path:
            status = self.exception_at(path, finding.location.line)
            anchor = f"#{status.anchor}" if status else ""
            return f"{ROOT}/exceptions.md{anchor}"
        return None

    def page_for_path(self, path: str) -> Optional[str]:
        """The page that shows a repository file (a migration, an ADR, the register), if any."""
        migration = self.by_path.get(path)
        if migration is not None:
            return self.migration_uri(migration)
        adr = self.adr_by_path.get(path)
        if adr is not None:
            return self.adr_uri(adr)
        if any(r.path == path for r in self.repo.exceptions[:1]):
            return f"{ROOT}/exceptions.md"
        return None

    def link_resolver(self, source_path: str, page_uri: str):
        """Maps a relative link written in `source_path` to the site page that shows its target."""

        def resolve(target: str) -> Optional[str]:
            path, _, anchor = target.partition("#")
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(source_path), unquote(path)))
            page = self.page_for_path(joined)
            if page is None:
                return None
            return relative_link(page_uri, page) + (f"#{anchor}" if anchor and page != page_uri else "")

        return resolve

    # ----------------------------------------------------------------- ADRs

    @cached_property
    def adrs(self) -> tuple[Adr, ...]:
        return tuple(sorted(self.repo.adrs, key=lambda a: (a.number, a.id, a.path)))

    @cached_property
    def adr_slugs(self) -> dict[str, str]:
        taken: set[str] = set()
        return {a.path: slug(a.id, taken) for a in sorted(self.repo.adrs, key=lambda a: a.path)}

    @cached_property
    def adr_by_id(self) -> dict[str, Adr]:
        return self._first_adr_by(lambda a: a.id)

    @cached_property
    def adr_by_number(self) -> dict[int, Adr]:
        return self._first_adr_by(lambda a: a.number)

    def _first_adr_by(self, key: Callable[[Adr], Any]) -> dict[Any, Adr]:
        """ADRs by `key`; where two share one, the first by path is the one linked."""
        found: dict[Any, Adr] = {}
        for a in sorted(self.repo.adrs, key=lambda a: a.path):
            found.setdefault(key(a), a)
        return found

    @cached_property
    def adr_by_path(self) -> dict[str, Adr]:
        return {a.path: a for a in self.repo.adrs}

    def adr_uri(self, adr: Adr) -> str:
        return f"{ROOT}/adrs/{self.adr_slugs[adr.path]}.md"

    def resolve_adr(self, reference: str) -> Optional[Adr]:
        """The ADR an id like "ADR-015" (or "ADR 15", "adr-0015") refers to."""
        found = self.adr_by_id.get(reference)
        if found is not None:
            return found
        named = adr_references(reference)
        return self.adr_by_number.get(named[0].number) if named else None

    @cached_property
    def citations(self) -> dict[str, list[tuple[Migration, tuple[str, ...]]]]:
        """ADR path -> the migrations citing it, each with where ("bypass", "header")."""
        cited: dict[str, dict[str, set[str]]] = {}
        for m in self.repo.migrations:
            for adr_path, where in self._cited_by(m):
                cited.setdefault(adr_path, {}).setdefault(m.path, set()).add(where)
        return {
            adr_path: [(self.by_path[p], tuple(sorted(w))) for p, w in sorted(by_migration.items())]
            for adr_path, by_migration in cited.items()
        }

    def _cited_by(self, migration: Migration) -> Iterable[tuple[str, str]]:
        for bypass in migration.bypasses:
            for ref in bypass.adr_refs:
                adr = self.resolve_adr(ref)
                if adr is not None:
                    yield adr.path, "bypass"
        texts = [f.value for f in migration.header.fields] if migration.header else []
        for text in texts:
            for named in adr_references(text):
                adr = self.adr_by_number.get(named.number)
                if adr is not None:
                    yield adr.path, "header"
            for match in _MARKDOWN_FILE.finditer(text):  # DOC_REFS: docs/adr/0021-title.md
                adr = self.adr_by_file_name.get(posixpath.basename(match.group(0)))
                if adr is not None:
                    yield adr.path, "header"

    @cached_property
    def adr_by_file_name(self) -> dict[str, Adr]:
        found: dict[str, Adr] = {}
        for a in sorted(self.repo.adrs, key=lambda a: a.path):
            found.setdefault(posixpath.basename(a.path), a)
        return found

    # ----------------------------------------------------------------- exceptions

    @cached_property
    def exception_statuses(self) -> tuple[ExceptionStatus, ...]:
        records = sorted(self.repo.exceptions, key=lambda r: (r.path, r.line))
        taken: set[str] = set()
        statuses = []
        links = MigrationLinks(self.repo.migrations)
        for index, emergency in enumerate(records):
            following = records[index + 1] if index + 1 < len(records) else None
            linked = tuple(links.of(emergency))
            statuses.append(
                self._status(emergency, linked, slug(emergency.id, taken, ()), following)
            )
        return tuple(statuses)

    def _status(self, record, linked, anchor, following) -> ExceptionStatus:
        commits = [c for c in (self.added(m.path) for m in linked) if c is not None]
        first = min(commits, key=lambda c: c.date) if commits else None
        hours = None
        if first is not None and record.changed_at is not None:
            hours = (first.date - record.changed_at).total_seconds() / 3600
        end = following.line if following is not None and following.path == record.path else None
        findings = tuple(
            f
            for f in self.findings_for(record.path)
            if record.line <= f.location.line and (end is None or f.location.line < end)
        )
        return ExceptionStatus(record, f"exception-{anchor.lower()}", linked, first, hours, findings)

    def exception_at(self, path: str, line: int) -> Optional[ExceptionStatus]:
        """The record whose section holds `line` of the exceptions register."""
        found = None
        for status in self.exception_statuses:
            if status.record.path == path and status.record.line <= line:
                found = status
        return found

    @cached_property
    def exceptions_by_migration(self) -> dict[str, list[ExceptionStatus]]:
        linked: dict[str, list[ExceptionStatus]] = {}
        for status in self.exception_statuses:
            for m in status.migrations:
                linked.setdefault(m.path, []).append(status)
        return linked

    # ----------------------------------------------------------------- quarters

    @cached_property
    def migrations_by_quarter(self) -> dict[str, list[Migration]]:
        grouped: dict[str, list[Migration]] = {}
        for m in self.migrations:
            quarter = self.quarters[m.path]
            if quarter:
                grouped.setdefault(quarter, []).append(m)
        return grouped

    @cached_property
    def file_quarters(self) -> dict[str, str]:
        """Path -> quarter the file was added in, for every file with a known date."""
        found = {
            path: quarter_label(commit_day(h.added))
            for path, h in self.repo.history.files.items()
            if h.added is not None
        }
        found.update({p: q for p, q in self.quarters.items() if q})
        return found

    @cached_property
    def all_quarters(self) -> tuple[str, ...]:
        """Every quarter something happened in: migrations, emergency changes, dated ADRs."""
        found = set(self.migrations_by_quarter)
        for status in self.exception_statuses:
            if status.record.changed_at is not None:
                found.add(quarter_label(status.record.changed_at.astimezone(timezone.utc).date()))
        for adr in self.repo.adrs:
            day = parse_day(adr.date)
            if day:
                found.add(quarter_label(day))
        return tuple(sorted(found))
