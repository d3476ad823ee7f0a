"""Which migration made each schema object, from the operations the reader already extracted.

Migrations are replayed in revision order (parents first): a `create_*` or `alter_*` operation
makes its migration the object's owner, a `drop_*` forgets it. An object no operation names
(a constraint written inside `create_table`, a sequence behind a serial column) is owned by the
migration that created its table. Nothing is imported or executed; the owners are as good as
the static reading of each migration.
"""

from __future__ import annotations

from typing import Iterable, Optional

from ..graph import RevisionGraph
from ..model import Adr, Migration, Operation, record
from ..sources.header import adr_id, adr_references
from .snapshot import SchemaObject


@record
class Owner:
    """The migration that created (or last changed) an object, and the ADRs it cites."""

    migration: Migration
    line: int
    verb: str  # "created" | "changed"
    adrs: tuple[str, ...]

    def describe(self) -> str:
        """`created by 202604011530 Index conversions ... (ADR-015)`."""
        m = self.migration
        name = " ".join(x for x in (m.migration_id or m.revision or m.path, m.title) if x)
        cited = f", {', '.join(self.adrs)}" if self.adrs else ""
        return f"{self.verb} by {name}{cited}"


# operation kind -> (object kind, verb); the name comes from the operation's target
_MAKES = {
    "create_index": ("index", "created"),
    "create_unique_constraint": ("unique constraint", "created"),
    "create_check_constraint": ("check constraint", "created"),
    "create_foreign_key": ("foreign key", "created"),
    "create_primary_key": ("primary key", "created"),
    "add_column": ("column", "created"),
    "alter_column": ("column", "changed"),
    "create_policy": ("policy", "created"),
    "alter_policy": ("policy", "changed"),
    "create_trigger": ("trigger", "created"),
    "enable_rls": ("row-level security", "created"),
    "force_rls": ("row-level security", "changed"),
    "disable_rls": ("row-level security", "changed"),
}
_DROPS = {
    "drop_index": "index",
    "drop_constraint": "constraint",
    "drop_column": "column",
    "drop_policy": "policy",
    "drop_trigger": "trigger",
}
_CONSTRAINTS = ("unique constraint", "check constraint", "foreign key", "primary key")


class Owners:
    """Owners of the objects the migrations make, looked up by a snapshot's objects."""

    def __init__(self, migrations: Iterable[Migration], adrs: Iterable[Adr] = ()):
        self._known_adrs = {a.id for a in adrs}
        self._owners: dict[tuple[str, Optional[str], str], Owner] = {}
        for migration in in_revision_order(migrations):
            adrs_cited = self._adrs(migration)
            for operation in migration.upgrade_operations():
                self._apply(migration, operation, adrs_cited)

    def of(self, obj: SchemaObject) -> Optional[Owner]:
        """The object's own owner, else its table's (for parts no operation names)."""
        table = _bare(obj.table) if obj.table else None
        name = _bare(obj.name.split("(")[0]) if obj.kind == "function" else _bare(obj.name)
        for kind in (obj.kind, "constraint") if obj.kind in _CONSTRAINTS else (obj.kind,):
            found = self._owners.get((kind, table, name)) or self._owners.get((kind, None, name))
            if found is not None:
                return found
        if table is not None:
            return self._owners.get(("table", None, table))
        return None

    def _apply(self, migration: Migration, op: Operation, adrs: tuple[str, ...]) -> None:
        table, target = _bare(op.table), _bare(op.target)
        owner = Owner(migration, op.line, "created", adrs)
        if op.kind == "create_table" and table:
            self._owners[("table", None, table)] = owner
            for column in op.columns:
                if column.name:
                    self._owners[("column", table, column.name)] = owner
        elif op.kind == "drop_table" and table:
            self._owners = {k: v for k, v in self._owners.items() if k[1] != table and k != ("table", None, table)}
        elif op.kind in ("create_view", "create_function", "create_sequence", "create_enum") and target:
            for kind in _SCHEMA_KINDS[op.kind]:
                self._owners[(kind, None, target)] = owner
        elif op.kind in _MAKES and (target or op.kind.endswith("_rls")):
            kind, verb = _MAKES[op.kind]
            name = "row-level security" if kind == "row-level security" else target
            key_table = None if kind == "index" else table
            self._owners[(kind, key_table, name)] = Owner(migration, op.line, verb, adrs)
        elif op.kind in _DROPS and target:
            kinds = (_DROPS[op.kind],) + (_CONSTRAINTS if op.kind == "drop_constraint" else ())
            for key in [k for k in self._owners if k[0] in kinds and k[2] == target]:
                del self._owners[key]

    def _adrs(self, migration: Migration) -> tuple[str, ...]:
        """ADRs the header or a bypass comment names (only those the repository holds)."""
        named = {adr_id(r.number) for f in (migration.header.fields if migration.header else ())
                 for r in adr_references(f.value)}
        named.update(ref for b in migration.bypasses for ref in b.adr_refs)
        return tuple(sorted(a for a in named if a in self._known_adrs or not self._known_adrs))


_SCHEMA_KINDS = {
    "create_view": ("view", "materialized view"),
    "create_function": ("function",),
    "create_sequence": ("sequence",),
    "create_enum": ("enum",),
}


def _bare(name: Optional[str]) -> Optional[str]:
    """`public.tenants` and `"tenants"` are the migrations' `tenants`."""
    if not name:
        return name
    name = name.strip().strip('"')
    return name[len("public."):] if name.startswith("public.") else name


def in_revision_order(migrations: Iterable[Migration]) -> list[Migration]:
    """Parents before children; among revisions ready at once, by revision id (then path).

    Revisions caught in a cycle (reported by GOV801) come last, in revision order.
    """
    graph = RevisionGraph(migrations)
    nodes = graph.by_revision
    waiting = {r: {p for p in graph.parents(r) if p in nodes} for r in nodes}
    ready = sorted(r for r, parents in waiting.items() if not parents)
    order: list[Migration] = []
    while ready:
        revision = ready.pop(0)
        order.append(nodes[revision])
        for child in graph.children(revision):
            parents = waiting.get(child)
            if parents is not None and revision in parents:
                parents.discard(revision)
                if not parents:
                    ready.append(child)
                    ready.sort()
        waiting.pop(revision, None)
    done = {id(m) for m in order}
    order += sorted((m for m in nodes.values() if id(m) not in done), key=lambda m: m.revision or "")
    return order
