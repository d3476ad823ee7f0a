"""Policy 6: the declared risk and domain flags match what the operations actually do.

`implied_risk` is public: the site shows it beside the declared RISK_LEVEL on every migration
page, with the same reasons the rule reports.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator, Optional

from ..catalog import CATALOG
from ..config import Config
from ..model import Finding, HeaderField, Location, Migration, Operation
from ..sources.header import adr_references
from .base import Context, rule
from .helpers import (
    OBJECT_DROP_KINDS,
    created_earlier,
    describe,
    destructive_operations,
    doc_refs,
    kind_of,
    listing,
    narrows,
    norm,
    points_outside,
    safety_issues,
)

LEVELS = ("Low", "Medium", "High")
RLS_KINDS = frozenset({"create_policy", "drop_policy", "alter_policy", "enable_rls", "disable_rls"})
RLS_WEAKENING = frozenset({"drop_policy", "alter_policy", "disable_rls"})
HIGH_RISK_FLAGS = ("TOUCHES_PRIVACY", "TOUCHES_RETENTION")
# Which operations touch which domain flag. Only row level security can be recognised from the
# operations alone today; other domains (privacy, retention, ...) would need configured tables.
DOMAIN_KINDS: dict[str, frozenset[str]] = {"TOUCHES_RLS": RLS_KINDS}


def level_rank(level: Optional[str]) -> Optional[int]:
    """0, 1, 2 for Low, Medium, High (any case); None for anything else."""
    folded = (level or "").strip().casefold()
    for rank, name in enumerate(LEVELS):
        if folded == name.casefold():
            return rank
    return None


# --------------------------------------------------------------------------- column types


def _type_change(op: Operation) -> Optional[tuple[str, str]]:
    """The (level, reason) of a column type change, or None when the change is harmless."""
    if kind_of(op) == "alter_column_type" and op.sql is not None:
        return "Medium", f"{describe(op)}, from a type that is not known"
    if kind_of(op) != "alter_column":
        return None
    new_source = op.argument("type_")
    if new_source is None:
        return None
    column = f"column '{op.target}'" if op.target else "a column"
    old_source = op.argument("existing_type")
    old, new = op.existing_type, op.type_
    change = f"{op.call} changes the type of {column}"
    if old_source is None:
        return "Medium", f"{change} to {new_source} without existing_type, so narrowing cannot be ruled out"
    if old is None or new is None or old.family != new.family:
        return "Medium", f"{change} from {old_source} to {new_source}, which cannot be compared"
    if narrows(old, new):
        return "High", f"{change} from {old_source} to the narrower {new_source}"
    return None


# --------------------------------------------------------------------------- implied risk


Reason = tuple[int, str, str]  # (line, level, text)


def _large(op: Operation, config: Config) -> bool:
    """Whether `op`'s table is one of the configured `large_tables`."""
    return norm(op.table) in {norm(t) for t in config.large_tables}


# Safety findings that make a change Medium on a table listed in `large_tables`: they hold a
# lock for as long as the table takes to scan, rewrite or index. GOV611 is Medium on any
# existing table while `large_tables` is not set; GOV613's narrowings are High (`_type_change`).
LOCKING_ON_LARGE_TABLES = frozenset({"GOV612", "GOV613", "GOV615", "GOV616", "GOV617", "GOV618"})


def _waived(code: str, op: Operation, migration: Migration, config: Config) -> bool:
    """A safety finding switched off in the configuration or by a `# govsite: disable` comment
    on its statement (or file) was judged harmless there, so it raises no risk either."""
    if config.severity_for(code, CATALOG[code].severity) is None:
        return True
    return any(c == code and (line == 0 or op.line <= line <= op.end_line) for c, line in migration.suppressions)


def _safety_reasons(migration: Migration, config: Config) -> Iterator[Reason]:
    for code, op, message in safety_issues(migration):
        if code == "GOV611" and (not config.large_tables or _large(op, config)):  # the runbook's own row
            yield op.line, "Medium", f"{describe(op)}, a NOT NULL column without a server default"
        elif (code in LOCKING_ON_LARGE_TABLES and config.large_tables and _large(op, config)
              and not _waived(code, op, migration, config)):
            yield op.line, "Medium", f"{message} ({code}, on a table listed in large_tables)"


def _adds_foreign_key(op: Operation) -> bool:
    if kind_of(op) == "create_foreign_key":
        return True
    if op.sql is not None:
        return bool(op.sql.references)
    return op.foreign_key


def _p0_index(op: Operation, config: Config) -> bool:
    return kind_of(op) == "drop_index" and bool(config.p0_indexes)


def _destructive_reasons(migration: Migration, config: Config) -> Iterator[Reason]:
    for op in destructive_operations(migration, config):
        kind = kind_of(op)
        if kind in ("drop_table", "drop_column", "truncate") or _p0_index(op, config):
            yield op.line, "High", describe(op)
        elif kind in OBJECT_DROP_KINDS and kind not in RLS_WEAKENING:  # RLS: in `_operation_reasons`
            yield op.line, "High", describe(op)


def _flag_reasons(migration: Migration) -> Iterator[Reason]:
    if migration.header is not None:
        for flag in HIGH_RISK_FLAGS:
            field = migration.header.field(flag)
            if field and field.value.strip().casefold() == "yes":
                yield field.line, "High", f"the header declares {flag}: Yes"


def _operation_reasons(migration: Migration, config: Config) -> tuple[list[Reason], list[Reason], list[Reason]]:
    """What each operation of `upgrade()` implies by itself, read in one pass: (row level
    security weakened: High; a foreign key or a table ingestion uses: Medium; type changes)."""
    rls: list[Reason] = []
    medium: list[Reason] = []
    types: list[Reason] = []
    ingestion = {norm(t) for t in config.ingestion_tables} if config.ingestion_tables else None
    for op in migration.upgrade_operations():
        kind = kind_of(op)
        if kind in RLS_WEAKENING and not created_earlier(op, migration):
            rls.append((op.line, "High", describe(op)))
        if _adds_foreign_key(op):
            medium.append((op.line, "Medium", f"{describe(op)}, with a foreign key"))
        if ingestion and kind == "create_table" and norm(op.table) in ingestion:
            medium.append((op.line, "Medium", f"{describe(op)}, a table ingestion uses"))
        change = _type_change(op)
        if change is not None:
            types.append((op.line, change[0], change[1]))
    return rls, medium, types


def risk_reasons(migration: Migration, config: Config) -> list[tuple[str, str]]:
    """Every (level, "line N: reason") that `migration` implies, in line order (reasons on one
    line: High before Medium, then type changes)."""
    rls, medium, types = _operation_reasons(migration, config)
    found = [*_destructive_reasons(migration, config), *rls, *_flag_reasons(migration),
             *_safety_reasons(migration, config), *medium, *types]
    found.sort(key=lambda reason: reason[0])
    return [(level, f"line {line}: {text}") for line, level, text in found]


def implied_risk(migration: Migration, config: Config) -> tuple[str, list[str]]:
    """The risk level the operations imply ("Low", "Medium", "High") and the reasons for it.

    The reasons are those at the implied level, each starting with its line number; Low has
    none.
    """
    reasons = risk_reasons(migration, config)
    if not reasons:
        return "Low", []
    level = max((lvl for lvl, _ in reasons), key=LEVELS.index)
    return level, [reason for lvl, reason in reasons if lvl == level]


@rule("GOV601")
def risk_understated(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Compares the header's `RISK_LEVEL` with the risk the operations in `upgrade()` imply, and
    flags a declared level that is lower. The finding points at the `RISK_LEVEL` line and lists
    the operations that raise the risk.

    High: dropping a column or table (or truncating it), narrowing a column type
    (`String(255)` to `String(50)`, `Text` to `String(n)`, `BigInteger` to `Integer`, a
    `Numeric` losing digits), dropping or changing row level security (`drop_policy`,
    `ALTER POLICY`, `DISABLE ROW LEVEL SECURITY`), dropping a configured P0 index, dropping a
    type, function, procedure, view, schema, sequence, extension or trigger, and the header
    flags `TOUCHES_PRIVACY` or `TOUCHES_RETENTION` set to Yes.

    Medium: adding a `NOT NULL` column without a server default to an existing table (only
    to a table listed in `large_tables` when that option is set), adding a foreign key
    (`create_foreign_key`, `sa.ForeignKey` in a new table or column, `REFERENCES` in SQL),
    creating a table listed in `ingestion_tables`, and any type change that cannot be compared:
    an `alter_column(type_=...)` without `existing_type=`, types of different kinds, or raw SQL
    `ALTER COLUMN ... TYPE`. Add `existing_type=` to show that a change only widens a column.

    The safety gate's findings count as follows:

    | finding | implied risk |
    | --- | --- |
    | GOV611 NOT NULL column without default | Medium (on `large_tables` only, when set) |
    | GOV613 narrowing type change | High |
    | GOV613 type change that cannot be compared | Medium |
    | GOV612, GOV613, GOV615-GOV618 on a table in `large_tables` | Medium |
    | GOV615 foreign key (any table) | Medium |
    | GOV614 rename, and the others on tables not listed | Low: the warning itself asks for the safe form |

    A safety finding switched off in the configuration or by `# govsite: disable=GOV61x` on its
    statement adds nothing to the risk (GOV611 aside: it is the runbook's own Medium row).

    Dropping something the migration itself created earlier implies nothing.

    ## Why is this bad?
    Policy 6 routes a change to the review it needs by its risk level: High-risk changes need an
    architecture review and a written rationale. An understated level sends a drop or a
    narrowing through the light-weight path meant for adding an index.

    ## Example
    ```python
    \"\"\"...
    RISK_LEVEL: Low
    \"\"\"
    def upgrade():
        op.alter_column("events", "source", type_=sa.String(50), existing_type=sa.String(255))
    ```

    ## Use instead
    ```python
    \"\"\"...
    RISK_LEVEL: High
    \"\"\"
    def upgrade():
        op.alter_column("events", "source", type_=sa.String(50), existing_type=sa.String(255))
    ```
    """
    for migration in ctx.repo.migrations:
        field = migration.header.field("RISK_LEVEL") if migration.header else None
        declared = level_rank(field.value if field else None)
        if declared is None:
            continue  # missing or invalid values are GOV502 / GOV503
        if declared == len(LEVELS) - 1:
            continue  # nothing is above High: no need to work out what the operations imply
        implied, reasons = implied_risk(migration, ctx.config)
        if LEVELS.index(implied) <= declared:
            continue
        yield ctx.finding(
            "GOV601",
            Location(migration.path, field.line),
            f"RISK_LEVEL is {field.value.strip()} but the operations imply {implied}: "
            + listing(reasons, "; "),
        )


# --------------------------------------------------------------------------- domain flags

DOC_PATH = re.compile(r"\bdocs/[\w./-]+\.md\b")


def has_doc_reference(migration: Migration) -> bool:
    """Whether the header names documentation: a DOC_REFS value, a docs/*.md path or an ADR.

    DOC_REFS entries that point outside the repository do not count (GOV503 reports them).
    """
    header = migration.header
    if header is None:
        return False
    refs = doc_refs(header.get("DOC_REFS") or "")
    if any(not points_outside(ref) for ref in refs):
        return True
    text = "\n".join([migration.docstring or ""] + [f.value for f in header.fields])
    for ref in refs:  # a path outside the repository counts nowhere, not even in the docstring
        text = text.replace(ref, " ")
    return bool(DOC_PATH.search(text) or adr_references(text))


def _flags_set(migration: Migration) -> list[HeaderField]:
    fields = migration.header.fields if migration.header else ()
    return [f for f in fields if f.key.startswith("TOUCHES_") and f.value.strip().casefold() == "yes"]


@rule("GOV602")
def domain_flag_without_doc_ref(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags each `TOUCHES_<DOMAIN>: Yes` header field when the header cites no documentation:
    the `DOC_REFS` field is absent or empty and the header text names neither a `docs/....md`
    path nor an ADR (`ADR-012`, `ADR 12`: the forms a bypass comment accepts). A reference to a
    path outside the repository (`../../etc/passwd`, `/srv/docs/x.md`) does not count.

    ## Why is this bad?
    Policy 6 asks reviewers to check the domain's documentation whenever a migration touches a
    sensitive domain such as privacy, retention or row level security. Without a reference the
    reviewer has to guess which contract the change must respect, and the next reader cannot
    trace why the change was considered safe.

    ## Example
    ```text
    TOUCHES_PRIVACY: Yes
    ```

    ## Use instead
    ```text
    TOUCHES_PRIVACY: Yes
    DOC_REFS: docs/privacy/DATA-CLASSIFICATION.md, ADR-012
    ```
    """
    for migration in ctx.repo.migrations:
        flags = _flags_set(migration)
        if not flags or has_doc_reference(migration):
            continue
        for field in flags:
            yield ctx.finding(
                "GOV602",
                Location(migration.path, field.line),
                f"{field.key} is Yes but the header cites no documentation "
                "(DOC_REFS, a docs/....md path or an ADR)",
            )


@rule("GOV603")
def domain_flag_inaccurate(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Warns when `upgrade()` touches a domain whose header flag is absent or not Yes. Today the
    domain recognised from operations is row level security: `create_policy`, `drop_policy`,
    `alter_policy`, enabling or disabling row level security (as `op.*` calls or raw SQL)
    require `TOUCHES_RLS: Yes`. The finding points at the first such operation. Other domains
    (privacy, retention) cannot be recognised from operations alone and are not checked.

    ## Why is this bad?
    Policy 6 asks reviewers to confirm the domain flags are accurate, because the flags decide
    which documentation and which reviewers a change needs. A policy change that is not flagged
    as touching row level security skips the review of the tenant-isolation contract.

    ## Example
    ```python
    \"\"\"...
    TOUCHES_RLS: No
    \"\"\"
    def upgrade():
        op.execute("ALTER TABLE events DISABLE ROW LEVEL SECURITY")
    ```

    ## Use instead
    ```python
    \"\"\"...
    TOUCHES_RLS: Yes
    DOC_REFS: docs/security/RLS-CONTRACT.md
    \"\"\"
    def upgrade():
        op.execute("ALTER TABLE events DISABLE ROW LEVEL SECURITY")
    ```
    """
    for migration in ctx.repo.migrations:
        if migration.header is None:
            continue  # GOV501
        for flag, kinds in DOMAIN_KINDS.items():
            touching = [op for op in migration.upgrade_operations() if kind_of(op) in kinds]
            value = (migration.header.get(flag) or "").strip()
            if not touching or value.casefold() == "yes":
                continue
            state = f"is '{value}'" if value else "is not set"
            first = touching[0]
            yield ctx.finding(
                "GOV603",
                Location(migration.path, first.line, first.column),
                f"{describe(first)} touches the {flag.removeprefix('TOUCHES_')} domain, "
                f"but {flag} {state}",
            )
