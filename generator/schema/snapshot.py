"""The schema snapshot: a reviewable JSON file that two runs on one schema write byte for byte.

```json
{"govsite_snapshot": 1, "dialect": "sqlite", "revisions": ["3c9e5d7a1b24"],
 "tables": {"tenants": {"columns": {...}, "indexes": {...}, ...}}, "views": {...}, ...}
```

Keys are sorted, lists that have no order of their own (roles, revisions) are sorted, text is
UTF-8 with two-space indentation and a final newline. `revisions` is what `alembic_version`
holds (null when the database has no such table): the schema is "at" those revisions, so the
table itself is not listed.

`objects` flattens a snapshot into one entry per object (table, column, index, policy, ...)
keyed by kind and qualified name: the unit `drift` compares and the site shows.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, Optional

from ..model import record

FORMAT = 1
FORMAT_KEY = "govsite_snapshot"
DEFAULT_PATH = "db/schema/snapshot.json"

#: Per-table collections: (key in the snapshot, kind of object they hold).
TABLE_PARTS = (
    ("columns", "column"),
    ("indexes", "index"),
    ("unique_constraints", "unique constraint"),
    ("check_constraints", "check constraint"),
    ("foreign_keys", "foreign key"),
    ("policies", "policy"),
    ("triggers", "trigger"),
)
#: Schema-level collections: (key, kind).
SCHEMA_PARTS = (
    ("tables", "table"),
    ("views", "view"),
    ("materialized_views", "materialized view"),
    ("sequences", "sequence"),
    ("enums", "enum"),
    ("functions", "function"),
    ("extensions", "extension"),
)


class SnapshotError(Exception):
    """A snapshot file that is not one (not JSON, another format, wrong shape)."""


@record
class SchemaObject:
    """One object of a schema: `kind` ("index"), `name` ("ix_x"), the `table` it belongs to
    (None for schema-level objects) and its attributes as the snapshot records them."""

    kind: str
    name: str
    table: Optional[str]
    attributes: Any

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.qualified)

    @property
    def qualified(self) -> str:
        """`conversions.kind` for a column, `ix_x on conversions` for an index, `tenants`."""
        if self.table is None:
            return self.name
        if self.kind == "column":
            return f"{self.table}.{self.name}"
        if self.kind == "row-level security":
            return self.table
        return f"{self.name} on {self.table}"


def build(data: dict[str, Any]) -> dict[str, Any]:
    """Reflected data as the snapshot document (ordering happens when it is written)."""
    document = {FORMAT_KEY: FORMAT}
    document.update(data)
    return document


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(_ordered(document), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _ordered(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _ordered(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_ordered(v) for v in value]
        # columns of an index or key, and enum labels, keep their order: it means something
        return sorted(items) if key in ("revisions", "roles") else items
    return value


def loads(text: str, source: str) -> dict[str, Any]:
    """A snapshot read back; `SnapshotError` names `source` when it is not one."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise SnapshotError(f"{source}: not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get(FORMAT_KEY) != FORMAT:
        raise SnapshotError(
            f"{source}: not a govsite schema snapshot (expected \"{FORMAT_KEY}\": {FORMAT}; "
            "write one with `govsite snapshot`)"
        )
    for key, _ in SCHEMA_PARTS:
        _check_objects(document.get(key, {}), key, source)
    for name, table in document.get("tables", {}).items():
        for part, _ in TABLE_PARTS:
            _check_objects(table.get(part, {}), f"tables.{name}.{part}", source)
        for part in ("primary_key", "row_level_security"):
            if table.get(part) is not None and not isinstance(table[part], dict):
                raise SnapshotError(f"{source}: \"tables.{name}.{part}\" must be an object or null")
    revisions = document.get("revisions")
    if revisions is not None and not (
        isinstance(revisions, list) and all(isinstance(r, str) for r in revisions)
    ):
        raise SnapshotError(f"{source}: \"revisions\" must be a list of revision ids or null")
    return document


def _check_objects(value: Any, where: str, source: str) -> None:
    """`value` must map names to objects, as every collection of a snapshot does."""
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise SnapshotError(f"{source}: \"{where}\" must map names to objects")


def objects(document: dict[str, Any]) -> dict[tuple[str, str], SchemaObject]:
    """Every object of a snapshot by (kind, qualified name)."""
    return {o.key: o for o in _walk(document)}


def _walk(document: dict[str, Any]) -> Iterator[SchemaObject]:
    for key, kind in SCHEMA_PARTS:
        for name, value in sorted((document.get(key) or {}).items()):
            if kind != "table":
                yield SchemaObject(kind, name, None, value)
                continue
            value = value if isinstance(value, dict) else {}
            yield SchemaObject("table", name, None, {})
            if value.get("primary_key"):
                yield SchemaObject("primary key", value["primary_key"].get("name") or "primary key", name, value["primary_key"])
            if value.get("row_level_security") is not None:
                yield SchemaObject("row-level security", "row-level security", name, value["row_level_security"])
            for part, part_kind in TABLE_PARTS:
                for child, attributes in sorted((value.get(part) or {}).items()):
                    yield SchemaObject(part_kind, child, name, attributes)
