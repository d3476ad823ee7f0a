"""Helpers every rule family shares, and the site with them: one home, so that rule modules
import each other only to build on a rule, never to borrow a helper.

What an operation is (`kind_of`, `describe`), which operations destroy data
(`destructive_operations`), which lock a table in use or break running code (`safety_issues`,
read by the safety gate and the risk rule), which bypass comment approves one (`bypass_for`),
how an emergency record links to its retroactive migration (`MigrationLinks`), documentation
references of a header (`outside_doc_refs`), and message text (`listing`, `shorten`).
"""

from __future__ import annotations

import ast
import bisect
import math
import posixpath
import re
import weakref
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator, NamedTuple, Optional, Sequence

from ..config import Config
from ..model import Bypass, ColumnType, EmergencyRecord, Migration, Operation
from ..sources.migration_ops import DIALECTS


# --------------------------------------------------------------------------- messages

LISTED = 20  # members of a cycle or heads named in one message; the rest are counted


def listing(items: list[str], separator: str = ", ") -> str:
    """`a, b, c`, or the first LISTED items and how many more, so messages stay one line."""
    if len(items) <= LISTED:
        return separator.join(items)
    return f"{separator.join(items[:LISTED])} and {len(items) - LISTED} more"


def shorten(text: str, limit: int = 80) -> str:
    """Quoted repository text, cut so one hostile value cannot make a message unreadable."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# --------------------------------------------------------------------------- reading operations


def kind_of(op: Operation) -> str:
    """The normalised kind: the SQL statement's kind for raw SQL, else alembic's method name."""
    return op.sql.kind if op.sql is not None else op.kind


def norm(name: Optional[str]) -> Optional[str]:
    """An identifier as PostgreSQL compares unquoted names: quotes dropped, lower case."""
    if name is None:
        return None
    cleaned = name.strip().strip('"`[]').strip()
    return cleaned.lower() or None


def describe(op: Operation) -> str:
    """An operation in words, for messages: "op.drop_column drops column 'x' of 'events'"."""
    subject = _subject(kind_of(op), op)
    if op.sql is None:
        return f"{op.call} {subject}"
    if op.sql.dynamic:
        return f"dynamic SQL in {op.call} possibly {subject}"
    return f"raw SQL in {op.call} {subject}"


_VERBS = {"drop": "drops", "alter": "alters", "create": "creates", "add": "adds", "rename": "renames"}
_NOUNS = {
    "column": "column",
    "constraint": "constraint",
    "index": "index",
    "policy": "policy",
    "foreign_key": "foreign key",
    "unique_constraint": "unique constraint",
    "check_constraint": "check constraint",
    "primary_key": "primary key",
    "column_type": "the type of column",
    "trigger": "trigger",
}
# objects that belong to no table (a view is named as its own table by the SQL reader)
_OBJECT_NOUNS = frozenset({"view", "type", "function", "procedure", "schema", "sequence", "extension", "entity"})


def _a(noun: str) -> str:
    """The noun with its indefinite article: "an index", "a unique constraint"."""
    return f"an {noun}" if noun[0] in "aeio" else f"a {noun}"


def _subject(kind: str, op: Operation) -> str:
    table = f"'{op.table}'" if op.table else "a table"
    if kind in ("drop_table", "create_table"):
        return f"{_VERBS[kind.split('_')[0]]} table {table}"
    if kind == "truncate":
        return f"truncates table {table}"
    if kind in ("disable_rls", "enable_rls"):
        return f"{kind[:-4]}s row level security on {table}"
    verb, _, noun = kind.partition("_")
    if verb in _VERBS and noun in _OBJECT_NOUNS:
        name = op.target or (op.table if noun == "view" else None)
        return f"{_VERBS[verb]} {noun} '{name}'" if name else f"{_VERBS[verb]} {_a(noun)}"
    if verb in _VERBS and noun in _NOUNS:
        if op.target:
            what = f"{_VERBS[verb]} {_NOUNS[noun]} '{op.target}'"
        elif noun == "column_type":
            what = f"{_VERBS[verb]} the type of a column"
        else:
            what = f"{_VERBS[verb]} {_a(_NOUNS[noun])}"
        preposition = {"add": "to", "create": "on"}.get(verb, "of")
        return f"{what} {preposition} {table}" if op.table else what
    words = kind.replace("_", " ")
    return f"runs {words} on {table}" if op.table else f"runs {words}"


def narrows(old: ColumnType, new: ColumnType) -> bool:
    """True when some value of `old` no longer fits `new` (same family only)."""
    old_size, new_size = _limit(old.size), _limit(new.size)
    if old.family == "numeric":
        old_scale, new_scale = _limit(old.scale), _limit(new.scale)
        whole_old, whole_new = old_size - old_scale, new_size - new_scale
        return new_size < old_size or new_scale < old_scale or whole_new < whole_old
    return new_size < old_size


def _limit(value: Optional[int]) -> float:
    """A size or scale as a number; unbounded (None) is larger than any."""
    return math.inf if value is None else value


# --------------------------------------------------------------------------- destructive

DROP_KINDS = frozenset({"drop_table", "drop_column", "drop_constraint", "drop_index", "truncate"})
# objects other than tables whose drop loses what code or data depends on (alembic_utils'
# `op.drop_entity` drops a view, function or trigger it manages)
OBJECT_DROP_KINDS = frozenset(
    {"drop_type", "drop_function", "drop_procedure", "drop_view", "drop_schema", "drop_sequence",
     "drop_extension", "drop_trigger", "drop_policy", "drop_entity"}
)
CREATE_CONSTRAINT_KINDS = frozenset(
    {
        "create_foreign_key",
        "create_unique_constraint",
        "create_check_constraint",
        "create_primary_key",
        "create_exclusion_constraint",
        "add_constraint",
    }
)


def is_destructive(op: Operation, migration: Migration, config: Config) -> bool:
    """True when `op` destroys existing data or a protected object (policy 2).

    Drops of tables, columns and (all, or only the configured critical) constraints and (all, or
    only the configured P0) indexes, their batch forms, and raw SQL `DROP`/`TRUNCATE`, including
    dynamic SQL whose known text starts that way. Dropping something the same function created
    earlier destroys nothing that existed before the migration, and dropping an index or
    constraint it creates again under the same name replaces it: neither counts.
    """
    kind = kind_of(op)
    if kind not in DROP_KINDS and kind not in OBJECT_DROP_KINDS:
        return False
    if kind == "drop_constraint" and not _listed(op.target, config.critical_constraints):
        return False
    if kind == "drop_index" and not _listed(op.target, config.p0_indexes):
        return False
    return not created_earlier(op, migration) and not replaced(op, migration)


def destructive_operations(migration: Migration, config: Config) -> list[Operation]:
    """The destructive operations of `upgrade()`, in source order (found once per migration
    and protected names: the bypass rule, the risk rule and the site ask the same)."""
    found = _index(migration).destructive
    protected = (config.critical_constraints, config.p0_indexes)
    if protected not in found:
        found[protected] = [o for o in migration.upgrade_operations() if is_destructive(o, migration, config)]
    return list(found[protected])


def _listed(name: Optional[str], configured: tuple[str, ...]) -> bool:
    """Whether a dropped name is protected: always when nothing is configured or it is unknown."""
    if not configured or name is None:
        return True
    wanted = {norm(n) for n in configured}
    wanted |= {n.rsplit(".", 1)[-1] for n in wanted if n}
    target = norm(name) or ""
    return target in wanted or target.rsplit(".", 1)[-1] in wanted


def created_earlier(op: Operation, migration: Migration) -> bool:
    """Whether the object `op` removes was created by an earlier operation of the same function,
    under every dialect `op` runs under (a table created in the `mysql` branch exempts no drop in
    the `postgresql` branch)."""
    if _alone(op, migration):
        return False
    index = _creations(migration)
    position = index.positions.get(id(op), len(migration.operations))
    for key in _removed_keys(op):
        made = index.created.get(key)
        if made and _covers([d for (d, _), (first, _) in made.items() if first < position], op.dialect):
            return True
    return False


def replaced(op: Operation, migration: Migration) -> bool:
    """Whether `op` drops an index or constraint that a later operation of the same function
    creates again under the same name (on the same table, under the same dialects): a
    replacement, as when a foreign key is re-created with `ON DELETE CASCADE`."""
    kind, name = kind_of(op), norm(op.target)
    if kind not in REPLACEABLE or not name or _alone(op, migration):
        return False
    index = _creations(migration)
    position = index.positions.get(id(op), len(migration.operations))
    table = norm(op.table)
    creators = [
        dialect
        for family in ("index", "constraint")
        for (dialect, made_on), (_, last) in index.created.get((op.function, family, name), {}).items()
        if last > position and (table is None or made_on is None or made_on == table)
    ]
    return _covers(creators, op.dialect)


REPLACEABLE = frozenset({"drop_index", "drop_constraint"})


def _covers(creators: list[Optional[tuple[str, ...]]], dialect: Optional[tuple[str, ...]]) -> bool:
    """Whether creations under the dialects `creators` together cover every dialect of an
    operation that runs under `dialect` (None: under any dialect)."""
    if any(c is None for c in creators):
        return True
    if not creators:
        return False
    return (DIALECTS if dialect is None else set(dialect)) <= set().union(*creators)


def _alone(op: Operation, migration: Migration) -> bool:
    """Whether `op` is the only operation of its function (as most migrations' upgrade is):
    nothing there was created before it or is created again after it."""
    if op.function == "upgrade":
        ops = migration.upgrade_operations()
    elif op.function == "downgrade":
        ops = migration.downgrade_operations()
    else:
        return False
    return len(ops) == 1 and ops[0] is op


class _MigrationIndex:
    """What the rules ask of a migration again and again, kept while it exists: the safety
    gate's decisions, the destructive operations, which lines carry a bypass comment, and the
    creations (built on the first question that needs them)."""

    __slots__ = ("safety", "destructive", "creations", "bypass_at", "bypass_lines")  # one per migration

    def __init__(self) -> None:
        self.safety: Optional[list["SafetyIssue"]] = None  # the safety gate's decisions, once asked
        # (critical_constraints, p0_indexes) -> the destructive operations of `upgrade()`
        self.destructive: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Operation]] = {}
        self.creations: Optional[_Creations] = None
        self.bypass_at: Optional[dict[int, Bypass]] = None  # line -> the first bypass comment on it
        self.bypass_lines: list[int] = []


class _Creations:
    """Lookups built in one pass over a migration: where each operation sits and where each
    object is created (first and last, per dialect branch and table).

    They keep every check linear in the number of operations, so a migration with thousands of
    drops (generated, or hostile) costs no more than reading it.
    """

    def __init__(self, migration: Migration):
        self.positions: dict[int, int] = {}
        # key -> (dialects, table) -> [first position, last position]
        self.created: dict[tuple, dict[tuple, list[int]]] = {}
        for position, op in enumerate(migration.operations):
            self.positions.setdefault(id(op), position)
            if kind_of(op) not in _CREATING_KINDS:
                continue
            place = (op.dialect, norm(op.table))
            for key in _created_keys(op):
                where = self.created.setdefault(key, {}).setdefault(place, [position, position])
                where[1] = position


# id(migration) -> (a weak reference to it, its index). An entry lives as long as its migration:
# every rule of a run finds the index built by the first, and nothing outlives the repository.
_INDEX_CACHE: dict[int, tuple[weakref.ref, _MigrationIndex]] = {}


def _index(migration: Migration) -> _MigrationIndex:
    """The index of `migration`, built once while the migration exists."""
    key = id(migration)
    cached = _INDEX_CACHE.get(key)
    if cached is not None and cached[0]() is migration:
        return cached[1]
    index = _MigrationIndex()
    _INDEX_CACHE[key] = (weakref.ref(migration, lambda _, key=key: _INDEX_CACHE.pop(key, None)), index)
    return index


def _creations(migration: Migration) -> _Creations:
    """The creations of `migration`, built once while the migration exists."""
    index = _index(migration)
    if index.creations is None:
        index.creations = _Creations(migration)
    return index.creations


def _created_keys(op: Operation) -> Iterator[tuple]:
    made, table, target = kind_of(op), norm(op.table), norm(op.target)
    if made in ("create_table", "create_view") and table:  # a materialized view is indexed as a table
        yield (op.function, "table", table)
    elif made == "add_column" and table:
        for column in column_names(op):
            yield (op.function, "column", table, column)
    elif made == "create_index" and target:
        yield (op.function, "index", target)
    elif made in CREATE_CONSTRAINT_KINDS and target:
        yield (op.function, "constraint", target)
    elif made == "create_policy" and target:
        yield (op.function, "policy", target)
    if made in _CREATED_OBJECTS and (target or table):
        yield (op.function, _CREATED_OBJECTS[made], target or table)


def _removed_keys(op: Operation) -> Iterator[tuple]:
    """The creations that would make `op` harmless: its table, or the very object it drops."""
    kind, table, target = kind_of(op), norm(op.table), norm(op.target)
    if table:
        yield (op.function, "table", table)
    if not target:
        return
    if kind == "drop_column" and table:
        yield (op.function, "column", table, target)
    elif kind == "drop_index":
        yield (op.function, "index", target)
    elif kind == "drop_constraint":
        yield (op.function, "constraint", target)
    elif kind == "drop_policy":
        yield (op.function, "policy", target)
    elif kind in _DROPPED_OBJECTS:
        yield (op.function, _DROPPED_OBJECTS[kind], target)


# which kind of object each creation and each drop is about, for "created earlier"
_CREATED_OBJECTS = {
    "create_view": "view", "create_function": "function", "create_trigger": "trigger",
    "create_type": "type", "create_schema": "schema", "create_sequence": "sequence",
    "create_extension": "extension",
}
_DROPPED_OBJECTS = {
    "drop_view": "view", "drop_function": "function", "drop_procedure": "function",
    "drop_trigger": "trigger", "drop_type": "type", "drop_schema": "schema",
    "drop_sequence": "sequence", "drop_extension": "extension",
}

# every kind `_created_keys` finds a creation in
_CREATING_KINDS = frozenset(
    {"create_table", "create_view", "add_column", "create_index", "create_policy", *CREATE_CONSTRAINT_KINDS,
     *_CREATED_OBJECTS}
)


def column_names(op: Operation) -> set[str]:
    """Names of the columns an operation adds: its target, else the `sa.Column("name")` calls."""
    names = {norm(column.name) for column in op.columns if column.name is not None}
    if op.target:
        names.add(norm(op.target))
    names.discard(None)  # a name that is only quotes or spaces
    return names


def bypass_for(op: Operation, migration: Migration) -> Optional[Bypass]:
    """The bypass comment on a line of the operation's statement, if any (the first one)."""
    index = _index(migration)
    if index.bypass_at is None:
        index.bypass_at = {}
        for bypass in migration.bypasses:
            index.bypass_at.setdefault(bypass.line, bypass)
        index.bypass_lines = sorted(index.bypass_at)
    first = bisect.bisect_left(index.bypass_lines, op.line)
    if first < len(index.bypass_lines) and index.bypass_lines[first] <= op.end_line:
        return index.bypass_at[index.bypass_lines[first]]
    return None


# --------------------------------------------------------------------------- doc references

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^mailto:", re.I)
_REF_SEPARATORS = re.compile(r"[,;\s]+")
_DRIVE = re.compile(r"^[A-Za-z]:/")


def doc_refs(value: str) -> list[str]:
    """The entries of a DOC_REFS value: paths, ADR ids or links, separated by commas or spaces."""
    return [entry.strip("`'\"()[]<>") for entry in _REF_SEPARATORS.split(value) if entry.strip()]


def points_outside(reference: str) -> bool:
    """Whether a documentation reference is a path outside the repository (`../..`, `/etc`, `~`).

    Web links are fine; a `file:` URL, an absolute path or one that climbs above the root can
    never be documentation that travels with the repository and its reviews.
    """
    if reference.lower().startswith("file:"):
        return True
    if _URL.match(reference):
        return False
    path = reference.replace("\\", "/")
    if path.startswith(("/", "~")) or _DRIVE.match(path):
        return True
    return posixpath.normpath(path).split("/")[0] == ".."


def outside_doc_refs(migration: Migration) -> list[str]:
    field = migration.header.field("DOC_REFS") if migration.header else None
    return [ref for ref in doc_refs(field.value) if points_outside(ref)] if field else []


# --------------------------------------------------------------------------- emergency records

MIN_PREFIX = 6  # shortest revision-id prefix a record may use to name a migration


def _clean(value: Optional[str]) -> str:
    """A reference as compared: trimmed, Markdown code/link brackets removed, case folded."""
    if not value:
        return ""
    return value.strip().strip("`[]<>").strip().casefold()



def linked_migrations(record: EmergencyRecord, migrations: Sequence[Migration]) -> list[Migration]:
    """The migrations that are the retroactive migration of `record` (see `MigrationLinks`);
    to link many records, build one `MigrationLinks` and ask it."""
    return MigrationLinks(migrations).of(record)


class MigrationLinks:
    """Which migrations are the retroactive migration of an emergency record.

    A migration is linked when its header's `INCIDENT` names the record's incident ticket, or
    when the record names the migration's `MIGRATION_ID`, its revision id, or a prefix of the
    revision id at least six characters long (as `git` abbreviates). Migrations are indexed by
    incident, MIGRATION_ID and revision once, so linking a record costs no scan.
    """

    def __init__(self, migrations: Sequence[Migration]):
        self.by_incident: dict[str, list[Migration]] = {}
        self.by_name: dict[str, list[Migration]] = {}
        self.revisions: list[tuple[str, Migration]] = []
        for m in migrations:
            incident = _clean(m.header.get("INCIDENT")) if m.header is not None else ""
            if incident:
                self.by_incident.setdefault(incident, []).append(m)
            revision = _clean(m.revision)
            names = {_clean(m.migration_id), revision}
            names.discard("")
            for name in names:
                self.by_name.setdefault(name, []).append(m)
            if revision:
                self.revisions.append((revision, m))
        self.revisions.sort(key=lambda pair: pair[0])

    def named_by(self, ref: str) -> list[Migration]:
        if not ref:
            return []
        found = list(self.by_name.get(ref, ()))
        if len(ref) >= MIN_PREFIX:
            start = bisect.bisect_left(self.revisions, ref, key=lambda pair: pair[0])
            for revision, migration in self.revisions[start:]:
                if not revision.startswith(ref):
                    break
                found.append(migration)
        return found

    def of(self, record: EmergencyRecord) -> list[Migration]:
        """The migrations linked to `record`, ordered by path."""
        linked = {id(m): m for m in self.by_incident.get(_clean(record.incident), ())} if record.incident else {}
        for ref in (_clean(r) for r in record.migration_refs):
            for migration in self.named_by(ref):
                linked[id(migration)] = migration
        return sorted(linked.values(), key=lambda m: m.path)


# --------------------------------------------------------------------------- times


def as_utc(when: Optional[datetime]) -> Optional[datetime]:
    """Times without a zone are read as UTC, as the exceptions register's headings are."""
    if when is None or when.tzinfo is not None:
        return when
    return when.replace(tzinfo=timezone.utc)


def utc_stamp(when: datetime) -> str:
    """`2026-04-02T10:30:00Z`: the form findings give a time in."""
    return as_utc(when).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- safety gate (policy 6)

SAFETY_CODES = ("GOV611", "GOV612", "GOV613", "GOV614", "GOV615", "GOV616", "GOV617", "GOV618")
# PostgreSQL's locks and PostgreSQL's remedies (CONCURRENTLY, NOT VALID, USING INDEX): an
# operation that runs only on another database is not theirs to judge: one in another dialect's
# branch, or one outside any branch of an environment whose database is not PostgreSQL
_POSTGRESQL_ONLY = frozenset({"GOV612", "GOV613", "GOV615", "GOV617"})


class SafetyIssue(NamedTuple):
    code: str
    op: Operation
    message: str


Check = Callable[[Operation, "_Earlier"], Optional[str]]


class _Earlier:
    """What the function did before the operation being checked: the tables with a constraint
    validated so far (the safe form of SET NOT NULL), gathered in one pass."""

    def __init__(self) -> None:
        self.validated: set[Optional[str]] = set()


def safety_issues(migration: Migration, codes: Iterable[str] = SAFETY_CODES) -> list[SafetyIssue]:
    """The safety gate's decisions on `migration`'s upgrade, in source order (made once per
    migration: the eight rules and the risk rule read the same ones)."""
    if codes is SAFETY_CODES:
        index = _index(migration)
        if index.safety is None:
            index.safety = _decide(migration, SAFETY_CODES)
        return index.safety
    return _decide(migration, codes)


def _decide(migration: Migration, codes: Iterable[str]) -> list[SafetyIssue]:
    by_kind = _ALL_CHECKS_BY_KIND if codes is SAFETY_CODES else _checks_by_kind(codes)
    issues = []
    earlier = _Earlier()
    for op in migration.upgrade_operations():
        kind = kind_of(op)
        if kind == "validate_constraint":
            earlier.validated.add(norm(op.table))
        checks = by_kind.get(kind)
        if not checks or op.dynamic or not _on_existing_table(op, migration):
            continue
        elsewhere = not _runs_on_postgresql(op, migration)
        for code, check in checks:
            if elsewhere and code in _POSTGRESQL_ONLY:
                continue
            message = check(op, earlier)
            if message is not None:
                issues.append(SafetyIssue(code, op, message))
    return issues


def _runs_on_postgresql(op: Operation, migration: Migration) -> bool:
    """Whether `op` can run on PostgreSQL: in a branch that names it, or outside any dialect
    branch of a migration whose environment runs on PostgreSQL (`Migration.database`)."""
    if op.dialect is not None:
        return "postgresql" in op.dialect
    return migration.database == "postgres"


def _on_existing_table(op: Operation, migration: Migration) -> bool:
    """Not created earlier in the same function; an unknown table counts as existing."""
    return not created_earlier(op, migration)


def _flag(op: Operation, name: str) -> bool:
    """Whether a keyword argument is literally `True` (`postgresql_concurrently=True`)."""
    return (op.argument(name) or "").strip() == "True"


def _of(op: Operation) -> str:
    return f" of '{op.table}'" if op.table else ""


def _not_null_without_default(op: Operation, earlier: _Earlier) -> Optional[str]:
    if kind_of(op) != "add_column":
        return None
    if op.sql is not None:
        required = op.sql.not_null and not op.sql.has_default
    else:
        required = any(c.nullable is False and not c.server_default for c in op.columns)
    if not required:
        return None
    return (f"{describe(op)} as NOT NULL without a server default: on a table with rows the statement "
            "fails, or the table is rewritten under an exclusive lock")


def _index_locks_table(op: Operation, earlier: _Earlier) -> Optional[str]:
    if kind_of(op) != "create_index":
        return None
    concurrently = op.sql.concurrently if op.sql is not None else _flag(op, "postgresql_concurrently")
    if not concurrently:
        return f"{describe(op)} without CONCURRENTLY: writes to the table wait until the index is built"
    if not op.autocommit:
        return (f"{describe(op)} CONCURRENTLY outside `op.get_context().autocommit_block()`: "
                "PostgreSQL refuses CONCURRENTLY inside the migration's transaction")
    return None


_FIXED_CHAR = re.compile(r"\bN?CHAR\b")


def _type_rewrite(op: Operation, earlier: _Earlier) -> Optional[str]:
    if kind_of(op) == "alter_column_type" and op.sql is not None:
        new = f" to {op.sql.new_type}" if op.sql.new_type else ""
        return (f"{describe(op)}{new}; the old type is not known here, so a rewrite of the table under "
                "an exclusive lock cannot be ruled out")
    if kind_of(op) != "alter_column" or op.argument("type_") is None:
        return None
    if safe_widening(op):
        return None
    column = f"column '{op.target}'" if op.target else "a column"
    old = op.argument("existing_type")
    change = f"from {old} to {op.argument('type_')}" if old else f"to {op.argument('type_')} without existing_type"
    return (f"{op.call} changes the type of {column}{_of(op)} {change}: PostgreSQL rewrites the "
            "table under an exclusive lock, and running code may not read the new type")


def safe_widening(op: Operation) -> bool:
    """A type change PostgreSQL makes without touching a row: a string made longer or
    unbounded (`String(50)` to `String(100)` or `Text`), a `Numeric` given more digits with the
    same scale or no limit. Integer and float widenings (`Integer` to `BigInteger`) rewrite."""
    old, new = op.existing_type, op.type_
    if old is None or new is None or old.family != new.family or narrows(old, new):
        return False
    if old.family == "string":
        texts = (op.argument("existing_type") or "") + " " + (op.argument("type_") or "")
        return not _FIXED_CHAR.search(texts)  # CHAR pads its values: changing it rewrites
    if old.family == "numeric":
        return (new.size is None and new.scale is None) or new.scale == old.scale
    return False


def _rename(op: Operation, earlier: _Earlier) -> Optional[str]:
    kind = kind_of(op)
    if kind == "rename_table":
        new = f"'{op.target}'" if op.target else _as_name(op.argument("1") or op.argument("new_table_name"))
        return (f"{op.call} renames table '{op.table}' to {new}: code of the running release "
                "still reads and writes the old name")
    renamed = op.sql.action == "rename" if op.sql is not None else op.argument("new_column_name") is not None
    if kind != "alter_column" or not renamed:
        return None
    new = f" to {_as_name(op.argument('new_column_name'))}" if op.sql is None else ""
    old = f"'{op.target}'" if op.target else "a column"
    return (f"{op.call} renames column {old}{_of(op)}{new}: code of the running release "
            "still reads and writes the old name")


def _as_name(code: Optional[str]) -> str:
    """A name given as an argument, as messages show names: a string literal as 'name', any
    other expression as the code it is (`NEW_NAME`)."""
    if code is None:
        return "a new name"
    try:
        value = ast.literal_eval(code)
    except Exception:  # not a literal, or too deeply nested to be one
        value = None
    return f"'{value}'" if isinstance(value, str) else f"`{code}`"


_VALIDATING = frozenset({"create_foreign_key", "create_check_constraint"})
_SQL_VALIDATING = frozenset({"foreign_key", "check"})


def _validates_under_lock(op: Operation, earlier: _Earlier) -> Optional[str]:
    kind = kind_of(op)
    if op.sql is not None:
        if kind != "add_constraint" or op.sql.constraint_type not in _SQL_VALIDATING or op.sql.not_valid:
            return None
    elif kind not in _VALIDATING or _flag(op, "postgresql_not_valid"):
        return None
    return (f"{describe(op)} without NOT VALID: every existing row is checked while writes to the "
            "table are blocked")


def _set_not_null(op: Operation, earlier: _Earlier) -> Optional[str]:
    if kind_of(op) != "alter_column":
        return None
    if op.sql is not None:
        sets = op.sql.action == "set_not_null"
    else:
        sets = (op.argument("nullable") or "").strip() == "False" and (
            (op.argument("existing_nullable") or "").strip() != "False")
    if not sets or norm(op.table) in earlier.validated:
        return None
    column = f"column '{op.target}'" if op.target else "a column"
    return (f"{op.call} sets {column}{_of(op)} NOT NULL: the whole table is scanned under an "
            "exclusive lock")


_INDEXED = frozenset({"create_unique_constraint", "create_primary_key"})


def _unique_under_lock(op: Operation, earlier: _Earlier) -> Optional[str]:
    kind = kind_of(op)
    if op.sql is not None:
        if kind != "add_constraint" or op.sql.constraint_type not in ("unique", "primary_key"):
            return None
        if op.sql.using_index:
            return None
    elif kind not in _INDEXED:
        return None
    return (f"{describe(op)} without USING INDEX: its index is built while writes to the table "
            "are blocked")


def _volatile_default(op: Operation, earlier: _Earlier) -> Optional[str]:
    if kind_of(op) != "add_column":
        return None
    volatile = op.sql.volatile_default if op.sql is not None else any(c.volatile_default for c in op.columns)
    if not volatile:
        return None
    return (f"{describe(op)} with a volatile server default: every existing row gets its own value, so "
            "the table is rewritten under an exclusive lock")


CHECKS: dict[str, Check] = {
    "GOV611": _not_null_without_default,
    "GOV612": _index_locks_table,
    "GOV613": _type_rewrite,
    "GOV614": _rename,
    "GOV615": _validates_under_lock,
    "GOV616": _set_not_null,
    "GOV617": _unique_under_lock,
    "GOV618": _volatile_default,
}
# The operation kinds each check can flag (it returns None for any other kind): an operation
# is shown only to the checks that can flag it, and one no check can flag costs no lookup.
CHECK_KINDS: dict[str, frozenset[str]] = {
    "GOV611": frozenset({"add_column"}),
    "GOV612": frozenset({"create_index"}),
    "GOV613": frozenset({"alter_column", "alter_column_type"}),
    "GOV614": frozenset({"alter_column", "rename_table"}),
    "GOV615": _VALIDATING | {"add_constraint"},
    "GOV616": frozenset({"alter_column"}),
    "GOV617": _INDEXED | {"add_constraint"},
    "GOV618": frozenset({"add_column"}),
}


def _checks_by_kind(codes: Iterable[str]) -> dict[str, list[tuple[str, Check]]]:
    """Operation kind -> the (code, check) pairs that can flag it, in the order of `codes`."""
    by_kind: dict[str, list[tuple[str, Check]]] = {}
    for code in codes:
        for kind in CHECK_KINDS[code]:
            by_kind.setdefault(kind, []).append((code, CHECKS[code]))
    return by_kind


_ALL_CHECKS_BY_KIND = _checks_by_kind(SAFETY_CODES)
