"""What the Schema and Drift pages show: the committed snapshot, the latest drift report, and
the migration (and through it the ADRs) behind each object.

Both files are read through `sources.files`, so a snapshot path that leaves the repository is
never opened; a file that cannot be read or is not what it claims to be is shown on its page
as a problem, with the reason, instead of breaking the build.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from ..config import SQL_DIALECT_ALIASES
from ..graph import RevisionGraph, environment_of
from ..model import Migration, cached_property, record
from ..schema.owners import Owner, Owners
from ..schema.snapshot import SchemaObject, SnapshotError, loads, objects
from ..sources.files import leaves_repository, read_text
from .facts import ROOT, SiteFacts, slug


@record
class Loaded:
    """A file read for a page: its data, or why there is none."""

    path: str
    data: Optional[dict[str, Any]] = None
    problem: Optional[str] = None


class SchemaView:
    def __init__(self, facts: SiteFacts):
        self.facts = facts
        config = facts.config
        self.snapshot = _load(Path(facts.repo.root), config.schema_snapshot, _snapshot)
        self.drift = _load(Path(facts.repo.root), config.drift_report, _drift_report)

    @cached_property
    def built_by(self) -> Optional[RevisionGraph]:
        """The graph of the environment whose migrations built the snapshot's database, when the
        repository has several and the snapshot tells which (`environment_of`)."""
        environments = self.facts.environments
        data = self.snapshot.data or {}
        dialect = data.get("dialect")
        name = environment_of(environments, data.get("revisions"),
                              SQL_DIALECT_ALIASES.get(dialect, dialect) if isinstance(dialect, str) else None)
        return environments[name] if len(environments) > 1 and name is not None else None

    @cached_property
    def owners(self) -> Owners:
        migrations = self.built_by.by_revision.values() if self.built_by else self.facts.repo.migrations
        return Owners(migrations, self.facts.repo.adrs)

    def migration_at(self, revision: str) -> Optional[Migration]:
        """The migration of a revision the snapshot records."""
        return (self.built_by or self.facts.graph).get(revision)

    @cached_property
    def objects(self) -> dict[tuple[str, str], SchemaObject]:
        return objects(self.snapshot.data) if self.snapshot.data else {}

    @cached_property
    def tables(self) -> list[str]:
        return sorted((self.snapshot.data or {}).get("tables", {}))

    @cached_property
    def table_slugs(self) -> dict[str, str]:
        taken: set[str] = set()
        return {name: slug(name, taken) for name in self.tables}

    def table_uri(self, table: str) -> str:
        return f"{ROOT}/schema/{self.table_slugs[table]}.md"

    def parts(self, table: str, kind: str) -> list[SchemaObject]:
        return [o for o in self.objects.values() if o.table == table and o.kind == kind]

    def of_kind(self, kind: str) -> list[SchemaObject]:
        return [o for o in self.objects.values() if o.kind == kind]

    def owner(self, obj: SchemaObject) -> Optional[Owner]:
        return self.owners.of(obj)

    def table(self, name: str) -> SchemaObject:
        return self.objects[("table", name)]


def _load(root: Path, rel: Optional[str], parse) -> Loaded:
    if not rel:
        return Loaded("", problem="not configured")
    if leaves_repository(rel):
        return Loaded(rel, problem="the path points outside the repository; nothing is read there")
    if not (root / rel).exists() and not (root / rel).is_symlink():
        return Loaded(rel, problem="absent")
    text, problem = read_text(root, rel)
    if text is None:
        return Loaded(rel, problem=problem.message if problem else "cannot be read")
    try:
        return Loaded(rel, data=parse(text.text, rel))
    except SnapshotError as exc:
        return Loaded(rel, problem=str(exc))


def _snapshot(text: str, rel: str) -> dict[str, Any]:
    return loads(text, rel)


def _drift_report(text: str, rel: str) -> dict[str, Any]:
    """A `govsite drift --format json` report: the validate report plus its `drift` section."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SnapshotError(f"{rel}: not JSON ({exc})") from None
    drift = data.get("drift") if isinstance(data, dict) else None
    if not isinstance(drift, dict) or not isinstance(drift.get("objects"), list) \
            or not isinstance(data.get("findings"), list):
        raise SnapshotError(
            f"{rel}: not a drift report (write one with `govsite drift --format json --output {rel}`)"
        )
    return _cleaned(data)


def _text_or_none(value: Any) -> Optional[str]:
    return None if value is None else str(value)


def _cleaned(data: dict[str, Any]) -> dict[str, Any]:
    """The report with every value the page reads in the shape it expects: a hand-edited or
    truncated report shows what it holds, never breaks the build."""
    drift = data["drift"]
    objects = []
    for o in drift["objects"]:
        if not isinstance(o, dict):
            continue
        owner = o.get("owner") if isinstance(o.get("owner"), dict) else None
        coverage = o.get("coverage") if isinstance(o.get("coverage"), dict) else None
        changes = [c for c in o.get("changes") or [] if isinstance(c, dict)] if isinstance(o.get("changes"), list) else []
        objects.append({
            "name": _text_or_none(o.get("name")), "kind": _text_or_none(o.get("kind")),
            "state": _text_or_none(o.get("state")), "severity": _text_or_none(o.get("severity")),
            "changes": [{"attribute": _text_or_none(c.get("attribute")), "expected": c.get("expected"),
                         "actual": c.get("actual")} for c in changes],
            "owner": None if owner is None else {
                "path": _text_or_none(owner.get("path")), "verb": _text_or_none(owner.get("verb")) or "made",
            },
            "coverage": None if coverage is None else {
                "record": _text_or_none(coverage.get("record")), "hours": _text_or_none(coverage.get("hours")),
                "within_24h": coverage.get("within_24h") is True,
            },
        })
    findings = [
        {k: _text_or_none(f.get(k)) for k in ("rule", "name", "severity", "message")}
        for f in data["findings"] if isinstance(f, dict)
    ]
    summary = data.get("summary") if isinstance(data.get("summary"), dict) else {}
    revisions = drift.get("revisions")
    return {
        "summary": {k: _text_or_none(summary.get(k, 0)) for k in ("errors", "warnings")},
        "findings": findings,
        "drift": {
            **{k: _text_or_none(drift.get(k)) for k in ("database", "dialect", "checked_at", "expected")},
            "revisions": [str(r) for r in revisions] if isinstance(revisions, list) else None,
            "heads": [str(h) for h in drift["heads"]] if isinstance(drift.get("heads"), list) else [],
            "objects": objects,
        },
    }
