"""Policy 2: destructive operations need a `# CI:DESTRUCTIVE_OK` bypass that cites an approval.

`is_destructive` and `destructive_operations` are public: the site uses them to mark destructive
lines, and the review rules use them to decide implied risk. The helpers that read an operation's
arguments (kept by the reader as source text) live here too, because every operation-level
family builds on this one.
"""

from __future__ import annotations

import ast
import functools
import bisect
from dataclasses import replace
from typing import Iterable, Iterator, Optional

from ..config import Config
from ..model import Bypass, Finding, Location, Migration, Operation, Suppression
from ..sources.arguments import parse_expression
from .base import Context, rule
from .integrity import shorten

DROP_KINDS = frozenset({"drop_table", "drop_column", "drop_constraint", "drop_index", "truncate"})
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
BYPASS_MARK = "# CI:DESTRUCTIVE_OK"


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


def literal(source: Optional[str]) -> Optional[object]:
    """The value of a literal argument (`"events"` -> events), or None when it is not one."""
    tree = parse_expression(source)
    if tree is None:
        return None
    try:
        return ast.literal_eval(tree)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def call_name(node: ast.AST) -> Optional[str]:
    """`sa.Column(...)` -> "Column", `String(50)` -> "String", anything else -> None."""
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return None


def calls_named(op: Operation, name: str) -> Iterator[ast.Call]:
    """Every call of `name` ("Column", "ForeignKey", ...) anywhere in the operation's arguments."""
    for _, source in op.arguments:
        if name in source:
            yield from _calls_in(source, name)


@functools.lru_cache(maxsize=16384)
def _calls_in(source: str, name: str) -> tuple[ast.Call, ...]:
    """The calls of `name` in one argument's text; memoised like the trees it walks."""
    tree = parse_expression(source)
    return () if tree is None else tuple(node for node in ast.walk(tree) if call_name(node) == name)  # type: ignore[misc]


def keyword(call: ast.Call, name: str) -> Optional[ast.expr]:
    """The value of keyword argument `name` of a call, or None."""
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


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
}


def _subject(kind: str, op: Operation) -> str:
    table = f"'{op.table}'" if op.table else "a table"
    if kind in ("drop_table", "create_table"):
        return f"{_VERBS[kind.split('_')[0]]} table {table}"
    if kind == "truncate":
        return f"truncates table {table}"
    if kind in ("disable_rls", "enable_rls"):
        return f"{kind[:-4]}s row level security on {table}"
    verb, _, noun = kind.partition("_")
    if verb in _VERBS and noun in _NOUNS:
        if op.target:
            what = f"{_VERBS[verb]} {_NOUNS[noun]} '{op.target}'"
        elif noun == "column_type":
            what = f"{_VERBS[verb]} the type of a column"
        else:
            what = f"{_VERBS[verb]} a {_NOUNS[noun]}"
        preposition = {"add": "to", "create": "on"}.get(verb, "of")
        return f"{what} {preposition} {table}" if op.table else what
    words = kind.replace("_", " ")
    return f"runs {words} on {table}" if op.table else f"runs {words}"


# --------------------------------------------------------------------------- destructive


def is_destructive(op: Operation, migration: Migration, config: Config) -> bool:
    """True when `op` destroys existing data or a protected object (policy 2).

    Drops of tables, columns and (all, or only the configured critical) constraints and (all, or
    only the configured P0) indexes, their batch forms, and raw SQL `DROP`/`TRUNCATE`, including
    dynamic SQL whose known text starts that way. Dropping something the same function created
    earlier destroys nothing that existed before the migration, so it does not count.
    """
    kind = kind_of(op)
    if kind not in DROP_KINDS:
        return False
    if kind == "drop_constraint" and not _listed(op.target, config.critical_constraints):
        return False
    if kind == "drop_index" and not _listed(op.target, config.p0_indexes):
        return False
    return not created_earlier(op, migration)


def destructive_operations(migration: Migration, config: Config) -> list[Operation]:
    """The destructive operations of `upgrade()`, in source order."""
    return [o for o in migration.upgrade_operations() if is_destructive(o, migration, config)]


def _listed(name: Optional[str], configured: tuple[str, ...]) -> bool:
    """Whether a dropped name is protected: always when nothing is configured or it is unknown."""
    if not configured or name is None:
        return True
    wanted = {norm(n) for n in configured}
    wanted |= {n.rsplit(".", 1)[-1] for n in wanted if n}
    target = norm(name) or ""
    return target in wanted or target.rsplit(".", 1)[-1] in wanted


def created_earlier(op: Operation, migration: Migration) -> bool:
    """Whether the object `op` removes was created by an earlier operation of the same function."""
    index = _index(migration)
    position = index.positions.get(id(op), len(migration.operations))
    return any(index.created.get(key, position) < position for key in _removed_keys(op))


class _MigrationIndex:
    """Lookups built in one pass over a migration: where each operation sits, where each object
    is first created, and which lines carry a bypass comment.

    They keep every check linear in the number of operations, so a migration with thousands of
    drops (generated, or hostile) costs no more than reading it.
    """

    def __init__(self, migration: Migration):
        self.migration = migration
        self.positions: dict[int, int] = {}
        self.created: dict[tuple, int] = {}
        for position, op in enumerate(migration.operations):
            self.positions.setdefault(id(op), position)
            for key in _created_keys(op):
                self.created.setdefault(key, position)
        self.bypass_at: dict[int, Bypass] = {}
        for bypass in migration.bypasses:
            self.bypass_at.setdefault(bypass.line, bypass)
        self.bypass_lines = sorted(self.bypass_at)


_INDEX_CACHE: dict[int, _MigrationIndex] = {}
_INDEX_CACHE_SIZE = 64


def _index(migration: Migration) -> _MigrationIndex:
    """The index of `migration`, memoised by identity for the most recent few migrations."""
    cached = _INDEX_CACHE.get(id(migration))
    if cached is not None and cached.migration is migration:
        return cached
    if len(_INDEX_CACHE) >= _INDEX_CACHE_SIZE:
        _INDEX_CACHE.pop(next(iter(_INDEX_CACHE)))
    index = _INDEX_CACHE[id(migration)] = _MigrationIndex(migration)
    return index


def _created_keys(op: Operation) -> Iterator[tuple]:
    made, table, target = kind_of(op), norm(op.table), norm(op.target)
    if made == "create_table" and table:
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


def column_names(op: Operation) -> set[str]:
    """Names of the columns an operation adds: its target, else the `sa.Column("name")` calls."""
    names = {norm(op.target)} if op.target else set()
    for call in calls_named(op, "Column"):
        if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
            names.add(norm(call.args[0].value))
    return {n for n in names if n}


# --------------------------------------------------------------------------- bypass comments


def bypass_for(op: Operation, migration: Migration) -> Optional[Bypass]:
    """The bypass comment on a line of the operation's statement, if any (the first one)."""
    index = _index(migration)
    first = bisect.bisect_left(index.bypass_lines, op.line)
    if first < len(index.bypass_lines) and index.bypass_lines[first] <= op.end_line:
        return index.bypass_at[index.bypass_lines[first]]
    return None


def _lines_of(operations: Iterable[Operation]) -> set[int]:
    """Every line of the statements of `operations` (statements sharing a span counted once)."""
    spans = {(op.line, op.end_line) for op in operations}
    return {line for first, last in spans for line in range(first, last + 1)}


def _bypass_location(migration: Migration, bypass: Bypass) -> Location:
    return Location(migration.path, bypass.line, bypass.column)


def _bypasses(ctx: Context) -> Iterator[tuple[Migration, Bypass]]:
    for migration in ctx.repo.migrations:
        for bypass in migration.bypasses:
            yield migration, bypass


@rule("GOV201")
def destructive_without_bypass(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags every destructive operation in `upgrade()` whose statement carries no
    `# CI:DESTRUCTIVE_OK` comment. Destructive means dropping a table or column, dropping a
    constraint (only the configured `critical_constraints` when that list is set), dropping an
    index (only the configured `p0_indexes` when that list is set), the `batch_op.*` forms of
    these, and raw SQL that drops a table or column or truncates a table, including SQL built at
    run time whose known text starts that way. Dropping something the same migration created
    earlier is not destructive.

    The comment must be on one of the lines of the operation's own statement; a comment on the
    line above belongs to no statement. Operations that do carry a bypass are still reported,
    marked as approved by that comment, so reports can show who approved which drop.

    ## Why is this bad?
    Policy 2 treats data loss as a decision, not an accident: a drop is only allowed with a
    visible, reviewable approval next to it. Without the marker, nothing in the change shows that
    anyone weighed the loss of the data the drop removes.

    ## Example
    ```python
    def upgrade():
        op.drop_column("events", "legacy_ref")
    ```

    ## Use instead
    ```python
    def upgrade():
        op.drop_column("events", "legacy_ref")  # CI:DESTRUCTIVE_OK ADR-015 column unused since v3
    ```
    """
    for migration in ctx.repo.migrations:
        for op in destructive_operations(migration, ctx.config):
            where = Location(migration.path, op.line, op.column)
            bypass = bypass_for(op, migration)
            if bypass is None:
                yield ctx.finding(
                    "GOV201",
                    where,
                    f"{describe(op)} without a '{BYPASS_MARK}' bypass comment on its statement",
                )
                continue
            approved = ctx.finding(
                "GOV201", where, f"{describe(op)}; approved by the bypass comment on line {bypass.line}"
            )
            yield replace(
                approved,
                suppression=Suppression("bypass", bypass.text, _bypass_location(migration, bypass)),
            )


@rule("GOV202")
def bypass_without_reference(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags a `# CI:DESTRUCTIVE_OK` comment that names neither an ADR (`ADR-015`) nor an
    architecture review ticket (the configurable `ticket_pattern`, by default `ARCH-123` or
    `REVIEW-123`).

    ## Why is this bad?
    Policy 2 asks for a link to an approved architecture review. A marker without a reference
    is an approval nobody can check: the reviewer cannot find who agreed to the data loss, or
    on what grounds.

    ## Example
    ```python
    op.drop_table("legacy_clicks")  # CI:DESTRUCTIVE_OK table is unused
    ```

    ## Use instead
    ```python
    op.drop_table("legacy_clicks")  # CI:DESTRUCTIVE_OK ADR-015 table unused since the v3 import
    ```
    """
    for migration, bypass in _bypasses(ctx):
        if not bypass.adr_refs and not bypass.tickets:
            yield ctx.finding(
                "GOV202",
                _bypass_location(migration, bypass),
                "bypass comment cites no ADR (e.g. ADR-015) and no architecture review ticket",
            )


@rule("GOV203")
def bypass_without_justification(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags a `# CI:DESTRUCTIVE_OK` comment that has a reference but no words of its own saying
    why the drop is acceptable.

    ## Why is this bad?
    Policy 2 wants a short justification beside the reference. Someone reading the migration
    later, or reviewing it in a hurry, should see at a glance why losing the data is fine
    without opening the ADR.

    ## Example
    ```python
    op.drop_table("legacy_clicks")  # CI:DESTRUCTIVE_OK ADR-015
    ```

    ## Use instead
    ```python
    op.drop_table("legacy_clicks")  # CI:DESTRUCTIVE_OK ADR-015 replaced by click_events in v3
    ```
    """
    for migration, bypass in _bypasses(ctx):
        if not bypass.justification.strip():
            yield ctx.finding(
                "GOV203",
                _bypass_location(migration, bypass),
                "bypass comment gives no justification after its reference",
            )


@rule("GOV204")
def bypass_unknown_adr(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags an ADR cited by a `# CI:DESTRUCTIVE_OK` comment when no ADR with that number exists
    in the repository's ADR directory.

    ## Why is this bad?
    Policy 2 asks reviewers to confirm that the cited decision exists. A reference to a missing
    ADR (a typo, a record never merged, one on another branch) looks like an approval but points
    at nothing.

    ## Example
    ```python
    op.drop_table("legacy_clicks")  # CI:DESTRUCTIVE_OK ADR-099 replaced in v3
    ```
    where `docs/adr/` has no `ADR-099-*.md`.

    ## Use instead
    Cite an ADR that is in the repository, or merge the ADR first.
    """
    for migration, bypass in _bypasses(ctx):
        for adr_id in bypass.adr_refs:
            if adr_id not in ctx.adrs_by_id:
                yield ctx.finding(
                    "GOV204",
                    _bypass_location(migration, bypass),
                    f"bypass comment cites {adr_id}, which does not exist in the repository",
                )


@rule("GOV205")
def bypass_adr_not_approved(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags an ADR cited by a `# CI:DESTRUCTIVE_OK` comment whose status is anything but
    Accepted: Proposed, Rejected, Deprecated, Superseded, or no status at all.

    ## Why is this bad?
    Policy 2 requires the architecture review to be approved. A proposal still under discussion,
    or a decision that was rejected or replaced, does not authorise dropping data.

    ## Example
    An ADR still under discussion:
      ```markdown
      # ADR-015: Retire legacy click table
      ## Status
      Proposed
      ```
    cited as `# CI:DESTRUCTIVE_OK ADR-015 replaced in v3`.

    ## Use instead
    Get the decision accepted (status `Accepted`) before the migration merges, or cite the ADR
    that superseded it.
    """
    for migration, bypass in _bypasses(ctx):
        for adr_id in bypass.adr_refs:
            adr = ctx.adrs_by_id.get(adr_id)
            if adr is None or adr.accepted:
                continue
            status = adr.status_text or adr.status
            state = f"whose status is '{status}'" if status else "which has no status"
            yield ctx.finding(
                "GOV205",
                _bypass_location(migration, bypass),
                f"bypass comment cites {adr_id} ({adr.path}), {state}, not Accepted",
            )


@rule("GOV206")
def unused_bypass(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags a `# CI:DESTRUCTIVE_OK` comment whose statement has no destructive operation: a
    comment on a line of its own (for instance above the drop it was meant for), or on an
    operation that destroys nothing.

    ## Why is this bad?
    Policy 2's marker only counts on the destructive statement itself. A misplaced marker
    suggests an approval is in place when the drop it was meant for is in fact unapproved, and
    a marker on a harmless statement trains readers to ignore the marker.

    ## Example
    ```python
    # CI:DESTRUCTIVE_OK ADR-015 replaced in v3
    op.drop_table("legacy_clicks")
    ```

    ## Use instead
    ```python
    op.drop_table("legacy_clicks")  # CI:DESTRUCTIVE_OK ADR-015 replaced in v3
    ```
    """
    for migration in ctx.repo.migrations:
        if migration.bypasses:
            yield from _unused_bypasses(ctx, migration)


def _unused_bypasses(ctx: Context, migration: Migration) -> Iterator[Finding]:
    destructive = [op for op in migration.operations if is_destructive(op, migration, ctx.config)]
    approving = _lines_of(destructive)
    on_code = _lines_of(migration.operations)
    on_code |= {line for first, last in migration.statement_spans for line in range(first, last + 1)}
    for bypass in migration.bypasses:
        if bypass.line in approving:
            continue
        if bypass.line in on_code:
            message = "bypass comment is on a statement with no destructive operation"
        else:
            message = (
                "bypass comment is on a line of its own; it only counts on a line of the "
                "destructive statement itself"
            )
        yield ctx.finding("GOV206", _bypass_location(migration, bypass), message)


@rule("GOV803")
def dynamic_sql_unverified(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags raw SQL in `upgrade()` that cannot be checked statically: text built at run time
    (f-strings, `%` formatting, variables, concatenation) or text the SQL parsers cannot read.
    When the known part of dynamic SQL says it drops or truncates, the statement is also
    treated as destructive and needs a bypass comment.

    ## Why is this bad?
    Policy 2 can only be enforced on SQL that can be read. A statement assembled at run time may
    drop anything; passing it silently would let destructive changes through review unseen.

    ## Example
    ```python
    def upgrade():
        op.execute(f"UPDATE {table} SET archived = true")
    ```

    ## Use instead
    ```python
    def upgrade():
        op.execute("UPDATE events SET archived = true")
    ```
    or, when the SQL must be dynamic, review it by hand and record that with
    `# govsite: disable=GOV803` on the statement.
    """
    for migration in ctx.repo.migrations:
        for op in migration.upgrade_operations():
            if op.sql is None or not (op.sql.dynamic or op.sql.error):
                continue
            if op.sql.dynamic:
                message = f"dynamic SQL, not verified: the text of {op.call} is only known at run time"
            else:
                reason = shorten(op.sql.error, 200)  # the error may quote megabytes of SQL
                message = f"SQL not verified: the SQL in {op.call} cannot be parsed ({reason})"
            yield ctx.finding("GOV803", Location(migration.path, op.line, op.column), message)
