"""Compare a live schema with the expected one and say what policy 7 makes of each difference.

- GOV701 `schema-drift`: one finding per object that is missing, unexpected or changed, naming
  the migration that made it (`owners`). An unexpected or changed object that an open
  emergency record names (no retroactive migration linked to it yet) is covered by that
  record: a warning for 24 hours after the record's change time, an error after, as GOV403
  counts them.
- GOV702 `database-not-at-head`: the live `alembic_version` is not the migrations' head(s).
- GOV703 `schema-snapshot-stale`: the committed snapshot is not what the migrations produce:
  it records other revisions than the heads, or it differs from a database migrated to head.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Iterable, Optional, Sequence

from ..catalog import finding
from ..config import SQL_DIALECT_ALIASES
from ..graph import RevisionGraph, environment_graphs, environment_of
from ..model import EmergencyRecord, Finding, Location, Migration, Repository, Severity, record
from ..rules.helpers import MigrationLinks, as_utc, utc_stamp
from ..rules.history_rules import LIMIT
from .owners import Owner, Owners, in_revision_order
from .snapshot import SchemaObject, objects

MAX_LISTED = 5
MAX_VALUE_CHARS = 160


@record
class Difference:
    state: str  # "missing" | "unexpected" | "changed"
    obj: SchemaObject
    changes: tuple[tuple[str, Any, Any], ...] = ()  # (attribute, expected, actual)

    def describe(self) -> str:
        """What differs, in words: `default expected 'now()', found null`."""
        if self.state != "changed":
            return self.state
        return "; ".join(f"{a} expected {_value(e)}, found {_value(f)}" for a, e, f in self.changes)


@record
class Coverage:
    """An open emergency record that names an out-of-band object."""

    record: EmergencyRecord
    hours: Optional[float]  # since the record's change time; None when it has no time

    @property
    def within_limit(self) -> bool:
        return self.hours is not None and self.hours <= LIMIT.total_seconds() / 3600


@record
class Entry:
    """A difference with what policy 7 makes of it: its owner, its coverage, its finding."""

    difference: Difference
    owner: Optional[Owner]
    coverage: Optional[Coverage]
    finding: Finding

    def data(self) -> dict[str, Any]:
        """The entry as the JSON report's `drift.objects` lists it (and the site reads it)."""
        obj, owner, coverage = self.difference.obj, self.owner, self.coverage
        return {
            "kind": obj.kind,
            "name": obj.qualified,
            "state": self.difference.state,
            "changes": [
                {"attribute": a, "expected": e, "actual": f} for a, e, f in self.difference.changes
            ],
            "owner": None if owner is None else {
                "path": owner.migration.path,
                "line": owner.line,
                "revision": owner.migration.revision,
                "migration_id": owner.migration.migration_id,
                "title": owner.migration.title,
                "verb": owner.verb,
                "adrs": list(owner.adrs),
            },
            "coverage": None if coverage is None else {
                "record": coverage.record.id,
                "path": coverage.record.path,
                "line": coverage.record.line,
                "changed_at": _utc(coverage.record.changed_at),
                "hours": None if coverage.hours is None else round(coverage.hours, 1),
                "within_24h": coverage.within_limit,
            },
            "severity": self.finding.severity.value,
            "message": self.finding.message,
        }


# --------------------------------------------------------------------------- comparing


def compare(expected: dict[str, Any], live: dict[str, Any]) -> list[Difference]:
    """Every object that is missing, unexpected or changed, in a fixed order.

    The parts of a table that is missing or unexpected as a whole are not listed again.
    """
    want, have = objects(expected), objects(live)
    gone_tables = {name for kind, name in set(want) ^ set(have) if kind == "table"}
    found = []
    for key in sorted(set(want) | set(have)):
        obj = want.get(key) or have[key]
        if obj.table is not None and obj.table in gone_tables:
            continue
        if key not in have:
            found.append(Difference("missing", obj))
        elif key not in want:
            found.append(Difference("unexpected", obj))
        elif want[key].attributes != have[key].attributes:
            found.append(Difference("changed", obj, _changes(want[key].attributes, have[key].attributes)))
    return found


def _changes(expected: Any, actual: Any) -> tuple[tuple[str, Any, Any], ...]:
    if not (isinstance(expected, dict) and isinstance(actual, dict)):
        return (("value", expected, actual),)
    return tuple(
        (k, expected.get(k), actual.get(k))
        for k in sorted(set(expected) | set(actual))
        if expected.get(k) != actual.get(k)
    )


# --------------------------------------------------------------------------- findings


class DriftCheck:
    """The findings of one comparison, with what the repository says about each object."""

    def __init__(self, repo: Repository, snapshot_path: str, now: Optional[datetime] = None):
        self.repo = repo
        self.snapshot_path = snapshot_path
        self.now = now or datetime.now(timezone.utc)
        self.links = MigrationLinks(repo.migrations)
        self.graph = RevisionGraph(repo.migrations)
        self.graphs = environment_graphs(repo.migrations)

    def environment(self, revisions: Optional[Sequence[str]], dialect: Optional[str] = None) -> tuple[str, RevisionGraph]:
        """The migration environment that built a database, and its graph (`environment_of`);
        every environment as one graph when that cannot be told."""
        name = environment_of(self.graphs, revisions, SQL_DIALECT_ALIASES.get(dialect, dialect) if dialect else None)
        return (name, self.graphs[name]) if name is not None else ("", self.graph)

    # ----------------------------------------------------------------- GOV701

    def drift(self, expected: dict[str, Any], live: dict[str, Any]) -> list[Entry]:
        _, graph = self.environment(live.get("revisions"), live.get("dialect"))
        # the migrations of the environment that built the database made its objects
        owners = Owners(graph.by_revision.values(), self.repo.adrs)
        return [self._entry(d, owners) for d in compare(expected, live)]

    def _entry(self, difference: Difference, owners: Owners) -> Entry:
        obj = difference.obj
        owner = owners.of(obj) if difference.state != "unexpected" else None
        coverage = self._coverage(obj) if difference.state != "missing" else None
        owned = f" ({owner.describe()})" if owner else ""
        what = f"{obj.kind} {obj.qualified}{owned}"
        if difference.state == "missing":
            message = f"{what} is missing from the database"
        elif difference.state == "unexpected":
            message = f"{what} is in the database but no migration makes it (an out-of-band change)"
        else:
            message = f"{what} differs from the expected schema: {difference.describe()}"
        location = Location(owner.migration.path, owner.line) if owner else Location(self.snapshot_path)
        found = finding("GOV701", location, message)
        if coverage is not None:
            found = self._covered(found, coverage)
        return Entry(difference, owner, coverage, found)

    def _coverage(self, obj: SchemaObject) -> Optional[Coverage]:
        """The first open record (by change time) whose text names the object."""
        names = [obj.table] if obj.kind == "row-level security" else [obj.name.split("(")[0]]
        if obj.table and obj.kind == "column":
            names.append(obj.table)
        for emergency in sorted(self.repo.exceptions, key=lambda r: (r.changed_at is None, str(r.changed_at), r.line)):
            if self.links.of(emergency):
                continue  # closed: its retroactive migration exists
            text = " ".join(x or "" for x in (emergency.heading, emergency.incident, emergency.immediate_action))
            if all(re.search(rf"(?<![\w]){re.escape(n.split('.')[-1])}(?![\w])", text) for n in names if n):
                changed = as_utc(emergency.changed_at)
                hours = None if changed is None else (self.now - changed).total_seconds() / 3600
                return Coverage(emergency, hours)
        return None

    def _covered(self, found: Finding, coverage: Coverage) -> Finding:
        record = coverage.record
        where = Location(record.path, record.line)
        if coverage.within_limit:
            message = (
                f"{found.message}; covered by emergency record {record.id} of "
                f"{_utc(record.changed_at)} ({coverage.hours:.1f} hours ago): its retroactive "
                f"migration is due within 24 hours of the change"
            )
            return replace(found, location=where, message=message, severity=Severity.WARNING)
        since = "its change time is unknown" if coverage.hours is None else (
            f"{coverage.hours:.1f} hours after the change at {_utc(record.changed_at)}"
        )
        message = (
            f"{found.message}; emergency record {record.id} names it but still has no retroactive "
            f"migration, {since}; policy 4 allows 24 hours"
        )
        return replace(found, location=where, message=message, severity=Severity.ERROR)

    # ----------------------------------------------------------------- GOV702

    def not_at_head(self, revisions: Optional[Sequence[str]], label: str = "the database",
                    dialect: Optional[str] = None) -> list[Finding]:
        name, graph = self.environment(revisions, dialect)
        heads = list(graph.heads)
        head_of = f"the head of {name}" if name else "the migrations' head"
        if revisions is None:
            return [finding("GOV702", self._head_location(graph), (
                f"{label} has no alembic_version table: it was not built by these migrations, "
                f"or the table was dropped; {head_of} is {_listed(heads)}"
            ))]
        if sorted(revisions) == sorted(heads):
            return []
        nodes = graph.by_revision
        unknown = [r for r in revisions if r not in nodes]
        applied = self._ancestors(graph, (r for r in revisions if r in nodes))
        missing = [m for m in in_revision_order(nodes.values()) if m.revision not in applied]
        parts = [f"{label} is at {_listed(sorted(revisions)) or 'no revision'}, {head_of} is {_listed(heads)}"]
        if missing:
            parts.append(f"not applied: {_listed([_named(m) for m in missing])}")
        if unknown:
            parts.append(f"unknown to the repository (a migration never committed, or a branch "
                         f"not merged): {_listed(unknown)}")
        location = Location(missing[0].path, missing[0].revision_line) if missing else self._head_location(graph)
        return [finding("GOV702", location, "; ".join(parts))]

    @staticmethod
    def _ancestors(graph: RevisionGraph, revisions: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(revisions)
        while stack:
            revision = stack.pop()
            if revision in seen:
                continue
            seen.add(revision)
            stack.extend(graph.parents(revision))
        return seen

    def _head_location(self, graph: RevisionGraph) -> Location:
        heads = [graph.by_revision[h] for h in graph.heads if h in graph.by_revision]
        return Location(heads[0].path, heads[0].revision_line) if heads else Location(self.snapshot_path)

    # ----------------------------------------------------------------- GOV703

    def stale_revisions(self, committed: dict[str, Any]) -> list[Finding]:
        """The committed snapshot records other revisions than the migrations' heads."""
        recorded = committed.get("revisions")
        name, graph = self.environment(recorded, committed.get("dialect"))
        heads = sorted(graph.heads)
        if recorded is not None and sorted(recorded) == heads:
            return []
        head_of = f"the head of {name}" if name else "the migrations' head"
        return [finding("GOV703", Location(self.snapshot_path), (
            f"{self.snapshot_path} records the schema at {_listed(sorted(recorded or [])) or 'no revision'}, "
            f"but {head_of} is {_listed(heads)}: regenerate it with `govsite snapshot` "
            f"from a database migrated to head"
        ))]

    def stale_content(self, committed: dict[str, Any], at_head: dict[str, Any]) -> list[Finding]:
        """The committed snapshot differs from a database the migrations just built."""
        if committed.get("dialect") != at_head.get("dialect"):
            return []
        differences = compare(committed, at_head)
        if not differences:
            return []
        shown = [f"{d.obj.kind} {d.obj.qualified} ({d.describe()} in the snapshot's terms)"
                 for d in differences[:MAX_LISTED]]
        more = len(differences) - len(shown)
        return [finding("GOV703", Location(self.snapshot_path), (
            f"{self.snapshot_path} is stale: a database migrated to head differs from it in "
            f"{len(differences)} object(s): {'; '.join(shown)}{f'; and {more} more' if more else ''}; "
            "regenerate it with `govsite snapshot` and commit it"
        ))]


def _named(m: Migration) -> str:
    return f"{m.revision} ({m.migration_id or m.path})" if m.revision else m.path


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _utc(when: Optional[datetime]) -> Optional[str]:
    return None if when is None else utc_stamp(when)
