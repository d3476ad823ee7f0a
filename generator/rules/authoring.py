"""Policy 5: every migration carries a complete, valid metadata header and does one thing."""

from __future__ import annotations

import fnmatch
from typing import Iterable, Optional

from ..config import Config
from ..model import Finding, HeaderField, Location, Migration, Operation
from .base import Context, rule
from .helpers import kind_of, listing, norm, outside_doc_refs, shorten

ALWAYS_REQUIRED = ("ROLLBACK_STRATEGY",)
# Operations that move or transform rows rather than change structure; they relate to whatever
# table they touch (a backfill of the new column), so they never make a migration multi-purpose.
DATA_KINDS = frozenset({"update", "insert", "delete", "bulk_insert", "do_block", "other", "execute"})


def required_fields(config: Config) -> tuple[str, ...]:
    """The configured required fields plus ROLLBACK_STRATEGY, which policy 5 always requires."""
    fields = list(config.required_fields)
    fields += [f for f in ALWAYS_REQUIRED if f not in fields]
    return tuple(fields)


def allowed_values(key: str, config: Config) -> Optional[tuple[str, ...]]:
    """The allowed values of a header key: an exact entry first, else a pattern (`TOUCHES_*`)."""
    return _allowed(key, config)[0]


def _allowed(key: str, config: Config) -> tuple[Optional[tuple[str, ...]], frozenset[str]]:
    """(allowed values, the same case-folded) of `key`, worked out once per key and table:
    every field of every header asks."""
    table = config.allowed_values
    if _ALLOWED[0] is not table:
        _ALLOWED[:] = [table, {}]
    known = _ALLOWED[1]
    if key not in known:
        allowed = table.get(key)
        if allowed is None:
            pattern = next((p for p in sorted(table) if fnmatch.fnmatchcase(key, p)), None)
            allowed = table[pattern] if pattern is not None else None
        known[key] = (allowed, frozenset(a.casefold() for a in allowed or ()))
    return known[key]


_ALLOWED: list = [None, {}]  # [the allowed_values table the answers are for, key -> answer]


def header_in_comments(migration: Migration) -> bool:
    """Whether the header was read from `#` comments rather than from the module docstring."""
    return migration.header is not None and not migration.docstring


@rule("GOV501")
def metadata_header_missing(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags a migration whose module docstring has no metadata header (`KEY: value` lines such as
    `MIGRATION_ID`, `TITLE`, `RISK_LEVEL`), and a migration whose header is written in `#`
    comments instead of the docstring.

    ## Why is this bad?
    Policy 5 makes the header the migration's record: what it is, how risky it is, whether it
    can be undone and how to recover. Reviewers, the validation in CI and this site all read it
    from the module docstring; a migration without one cannot be reviewed against policy at all.

    ## Example
    ```python
    # MIGRATION_ID: 202604011200
    # TITLE: Add note to accounts
    revision = "3f2a9c"
    ```

    ## Use instead
    ```python
    \"\"\"Migration Metadata

    MIGRATION_ID: 202604011200
    TITLE: Add note to accounts
    CHANGE_TYPE: Column
    RISK_LEVEL: Low
    FORWARD_ONLY: No
    ROLLBACK_STRATEGY: Run the downgrade; the column holds no data yet.
    \"\"\"
    revision = "3f2a9c"
    ```
    """
    for migration in ctx.repo.migrations:
        if migration.header is None:
            yield ctx.finding(
                "GOV501",
                Location(migration.path, 1),
                "migration has no metadata header (KEY: value lines in the module docstring)",
            )
        elif header_in_comments(migration):
            yield ctx.finding(
                "GOV501",
                Location(migration.path, migration.header.line),
                "metadata header is in comments, not in the module docstring",
            )


@rule("GOV502")
def metadata_field_missing(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags each required header field that is absent (at the header's first line) or present
    with an empty value (at the field's line). The required set is configurable
    (`required_fields`, by default MIGRATION_ID, TITLE, CHANGE_TYPE, RISK_LEVEL, FORWARD_ONLY);
    ROLLBACK_STRATEGY is always required.

    ## Why is this bad?
    Policy 5 asks for a complete header, and even forward-only migrations must say how to
    recover. A missing risk level or rollback strategy leaves the reviewer guessing at exactly
    the points where the policy wants a deliberate answer.

    ## Example
    ```text
    MIGRATION_ID: 202604011200
    TITLE: Add note to accounts
    RISK_LEVEL:
    ```

    ## Use instead
    ```text
    MIGRATION_ID: 202604011200
    TITLE: Add note to accounts
    CHANGE_TYPE: Column
    RISK_LEVEL: Low
    FORWARD_ONLY: No
    ROLLBACK_STRATEGY: Run the downgrade; the column holds no data yet.
    ```
    """
    required = required_fields(ctx.config)
    for migration in ctx.with_header:
        header = migration.header
        for key in required:
            present = header.field(key)
            if present is None:
                yield ctx.finding(
                    "GOV502",
                    Location(migration.path, header.line),
                    f"required metadata field {key} is missing",
                )
            elif not present.value.strip():
                yield ctx.finding(
                    "GOV502",
                    Location(migration.path, present.line),
                    f"required metadata field {key} is empty",
                )


def _invalid_value(field: HeaderField, config: Config) -> Optional[str]:
    allowed, folded = _allowed(field.key, config)
    value = field.value.strip()
    if allowed is None or not value:
        return None
    if value.casefold() in folded:
        return None
    return f"{field.key} is '{shorten(value)}'; allowed values: {', '.join(allowed)}"


@rule("GOV503")
def metadata_value_invalid(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags a header field whose value is not one of the allowed values (configurable
    `allowed_values`; keys may be patterns such as `TOUCHES_*`), a line inside the header
    block that is not a `KEY: value` line, a key given twice (only the first counts), and a
    `DOC_REFS` entry that is a path outside the repository. Values are compared without regard
    to case, so `yes` is accepted for `Yes`. Fields without a configured set (TITLE,
    JUSTIFICATION, unknown fields) accept any value.

    ## Why is this bad?
    Policy 5's header is read by people and tools alike. `RISK_LEVEL: Severe` or
    `FORWARD_ONLY: maybe` cannot be compared with the risk the operations imply or drive the
    review route the policy prescribes, and a stray line may be a field whose key was mistyped.

    ## Example
    ```text
    RISK_LEVEL: Severe
    FORWARD_ONLY: maybe
    ```

    ## Use instead
    ```text
    RISK_LEVEL: High
    FORWARD_ONLY: No
    ```
    """
    listed: dict[str, bool] = {}  # key -> whether any value of it can be invalid
    for migration in ctx.with_header:
        for line in migration.header.malformed_lines:
            yield ctx.finding(
                "GOV503", Location(migration.path, line), "line is not KEY: value"
            )
        first_of: dict[str, HeaderField] = {}
        for field in migration.header.fields:
            first = first_of.setdefault(field.key, field)
            if first is field:
                if field.key not in listed:
                    listed[field.key] = allowed_values(field.key, ctx.config) is not None
                problem = _invalid_value(field, ctx.config) if listed[field.key] else None
            else:
                problem = _repeated(field, first)
            if problem:
                yield ctx.finding("GOV503", Location(migration.path, field.line), problem)
        for reference in outside_doc_refs(migration):
            where = Location(migration.path, migration.header.field("DOC_REFS").line)
            yield ctx.finding(
                "GOV503", where,
                f"DOC_REFS names '{shorten(reference)}', a path outside the repository; "
                "cite documentation kept in the repository (docs/...) or an ADR",
            )


def _repeated(field: HeaderField, first: HeaderField) -> str:
    """A key given twice: readers and reviewers may each believe a different line."""
    return f"{field.key} is given again (first on line {first.line}); only the first value counts"


@rule("GOV504")
def migration_id_conflict(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags a migration whose `MIGRATION_ID` is already used by another migration. Files are taken
    in path order; the first keeps the id and every later one is reported at its
    `MIGRATION_ID` line, naming the first.

    ## Why is this bad?
    Policy 5's MIGRATION_ID is how tickets, emergency records and reviews name a migration. Two
    migrations with one id make every such reference ambiguous; usually one was copied from the
    other and its id never changed.

    ## Example
    `a1_add_note.py` and `b2_add_index.py` both declare `MIGRATION_ID: 202604011200`.

    ## Use instead
    Give each migration its own id, for example the timestamp of its creation
    (`202604011200`, `202604011315`).
    """
    first_by_id: dict[str, Migration] = {}
    for migration in sorted(ctx.with_header, key=lambda m: m.path):
        field = migration.header.field("MIGRATION_ID")
        key = field.value.strip() if field else ""
        if not key:
            continue
        first = first_by_id.setdefault(key, migration)
        if first is not migration:
            yield ctx.finding(
                "GOV504",
                Location(migration.path, field.line),
                f"MIGRATION_ID {key} is already used by {first.path}",
            )


# --------------------------------------------------------------------------- single purpose


class _Groups:
    """Union-find over table names: tables joined by a foreign key form one change."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def add(self, table: str) -> None:
        self.parent.setdefault(table, table)

    def find(self, table: str) -> str:
        root = table
        while self.parent[root] != root:
            root = self.parent[root]
        self.parent[table] = root
        return root

    def join(self, a: str, b: str) -> None:
        self.add(a)
        self.add(b)
        self.parent[self.find(a)] = self.find(b)

    def groups(self) -> list[list[str]]:
        if len(self.parent) < 2:  # most migrations change one table
            return [list(self.parent)] if self.parent else []
        found: dict[str, list[str]] = {}
        for table in sorted(self.parent):
            found.setdefault(self.find(table), []).append(table)
        return sorted(found.values())


def referenced_tables(op: Operation) -> set[str]:
    """Tables an operation points at through a foreign key (`create_foreign_key`, ForeignKey)."""
    if not op.references:
        return set()
    return {t for t in (norm(name) for name in op.references) if t}


def structural_groups(migration: Migration) -> list[list[str]]:
    """The unrelated groups of tables the structural operations of `upgrade()` change."""
    groups = _Groups()
    for op in migration.upgrade_operations():
        table = norm(op.table)
        if table is None or kind_of(op) in DATA_KINDS:
            continue
        groups.add(table)
        for other in referenced_tables(op):
            groups.join(table, other)
    return groups.groups()


@rule("GOV505")
def multi_purpose_migration(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Warns when `upgrade()` makes structural changes to tables that have nothing to do with each
    other. The heuristic: every structural operation (create, drop, alter, rename, index,
    constraint, row level security) counts the table it works on; tables joined by a foreign key
    created in the migration (`create_foreign_key`, `sa.ForeignKey` in a new column or table,
    `sa.ForeignKeyConstraint` in a new table) count as one change. Data operations (UPDATE, INSERT, DELETE, `bulk_insert`, `DO` blocks)
    relate to whatever they touch, so a backfill never splits a migration, and so do operations
    whose table cannot be known statically. More than one group of tables is reported. Merge
    revisions and migrations without operations are never multi-purpose.

    ## Why is this bad?
    Policy 5 asks for small, single-purpose migrations. Bundled changes are reviewed less
    carefully, carry the highest risk of any of their parts, and cannot be reverted or
    redeployed one at a time when only one part goes wrong.

    ## Example
    ```python
    def upgrade():
        op.add_column("events", sa.Column("idempotency_key", sa.String(255)))
        op.create_table("channels", sa.Column("id", sa.Integer(), primary_key=True))
        op.create_index("ix_channels_id", "channels", ["id"])
    ```

    ## Use instead
    Two migrations: one adds `events.idempotency_key`; the other creates `channels` and its
    index.
    """
    for migration in ctx.repo.migrations:
        if migration.is_merge:
            continue
        groups = structural_groups(migration)
        if len(groups) < 2:
            continue
        described = listing([", ".join(g) for g in groups], "; ")
        yield ctx.finding(
            "GOV505",
            Location(migration.path, migration.upgrade_line or 1),
            f"upgrade() changes {len(groups)} unrelated groups of tables ({described}); "
            "split it into single-purpose migrations",
        )
