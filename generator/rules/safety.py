"""Policy 6's safety gate: changes that lock a table in use or break the code running on it.

Each check looks at `upgrade()` only and only at tables that exist before the migration: an
operation on a table created earlier in the same migration (through `op` or raw SQL) locks
nothing anyone waits for. Dynamic SQL is left to GOV803, which already says it is not verified.
The four checks of PostgreSQL's own locks and remedies (GOV612, GOV613, GOV615, GOV617) judge
only what runs on PostgreSQL: the locks they describe, the cases they let pass and the remedies
they give are PostgreSQL's.

The decisions live in `helpers.safety_issues`, so the risk rule (GOV601) reads the same ones
the checks report; `RECIPES` gives the short safe form the site shows beside each finding.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from ..model import Finding, Location
from .base import Context, rule

RECIPES = {
    "GOV611": "Add the column as nullable (or with a constant server default), backfill it in batches, "
              "then add a NOT NULL constraint once every row has a value (GOV616 shows how).",
    "GOV612": "Build the index with `postgresql_concurrently=True` inside "
              "`with op.get_context().autocommit_block():`, so writes continue while it builds.",
    "GOV613": "Add a new column of the new type, write to both, backfill, switch readers, then drop the "
              "old column in a later release; or widen only (longer varchar, varchar to text).",
    "GOV614": "Add the new column or table, write to both, backfill, move readers over, and drop the old "
              "name in a later release (or give the old name a view while code moves).",
    "GOV615": "Add the constraint with NOT VALID (`postgresql_not_valid=True`), then run "
              "`ALTER TABLE ... VALIDATE CONSTRAINT ...` in a later migration: validation takes a lighter lock.",
    "GOV616": "Add `CHECK (column IS NOT NULL) NOT VALID`, validate it, then SET NOT NULL: PostgreSQL 12 "
              "and later uses the valid constraint instead of scanning the table.",
    "GOV617": "Build a unique index with CREATE UNIQUE INDEX CONCURRENTLY in an autocommit block, then "
              "`ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX ...` (or PRIMARY KEY USING INDEX).",
    "GOV618": "Add the column without a default (or with a constant one), set the default for new rows, "
              "and backfill existing rows in batches.",
}


def _report(ctx: Context, code: str) -> Iterator[Finding]:
    for migration, issue in ctx.safety_issues.get(code, ()):
        op = issue.op
        yield ctx.finding(code, Location(migration.path, op.line, op.column), issue.message)


# --------------------------------------------------------------------------- the rules


@rule("GOV611")
def not_null_column_without_default(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags `op.add_column` (and `batch_op.add_column`, and raw `ALTER TABLE ... ADD COLUMN`)
    that adds a `NOT NULL` column without a server default to a table that exists before the
    migration.

    ## Why is this bad?
    The rows already in the table have no value for the new column. PostgreSQL refuses the
    statement on a table with rows, so the deployment fails half-way; databases that fill the
    column instead rewrite the table while holding an exclusive lock. Either way the release
    stops, and the code of the previous release, which does not write the column, cannot insert
    rows once it exists.

    ## Example
    ```python
    def upgrade():
        op.add_column("events", sa.Column("tenant_id", sa.Integer(), nullable=False))
    ```

    ## Use instead
    Expand, then contract, over separate releases:

    1. add the column as nullable (or with a constant `server_default`, which PostgreSQL 11 and
       later stores without a rewrite);
    2. deploy code that writes it, and backfill the existing rows in batches;
    3. add the `NOT NULL` constraint the safe way (see GOV616).

    ```python
    def upgrade():
        op.add_column("events", sa.Column("tenant_id", sa.Integer(), nullable=True))
    ```
    A column added to a table created earlier in the same migration is not flagged.
    """
    return _report(ctx, "GOV611")


@rule("GOV612")
def index_locks_table(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags `op.create_index` and raw `CREATE INDEX` on a table that exists before the migration
    when the index is built without `CONCURRENTLY`, and also when it is built with
    `postgresql_concurrently=True` (or `CREATE INDEX CONCURRENTLY`) outside
    `with op.get_context().autocommit_block():`.

    Only statements that run on PostgreSQL are checked: those in a branch that names it, and
    those outside dialect branches when the environment's database is PostgreSQL (`sql_dialect`
    in `govsite.toml`, the default, or a versions folder per database).

    ## Why is this bad?
    A plain `CREATE INDEX` holds a lock that blocks every insert, update and delete on the table
    until the index is built: minutes to hours on a large table, an outage for whatever writes
    to it. `CONCURRENTLY` avoids that lock but cannot run inside a transaction block, and
    Alembic runs each migration in one, so the statement fails at deployment time.

    ## Example
    ```python
    def upgrade():
        op.create_index("ix_events_tenant", "events", ["tenant_id"])
    ```

    ## Use instead
    ```python
    def upgrade():
        with op.get_context().autocommit_block():
            op.create_index(
                "ix_events_tenant", "events", ["tenant_id"], postgresql_concurrently=True
            )
    ```
    A concurrent build that fails leaves an invalid index behind: drop it
    (`DROP INDEX CONCURRENTLY`) and run the migration again. An index on a table created
    earlier in the same migration is not flagged.
    """
    return _report(ctx, "GOV612")


@rule("GOV613")
def column_type_rewrite(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags `alter_column(type_=...)` (and raw `ALTER COLUMN ... TYPE`) on a table that exists
    before the migration, unless the change is a widening PostgreSQL makes without touching a
    row. Those are left alone when `existing_type=` shows them:

    - `String(n)` / `VARCHAR(n)` to a larger `n`, to an unbounded `String()`, or to `Text`;
    - `Numeric(p, s)` to `Numeric(q, s)` with `q` larger than `p` (same scale), or to an
      unbounded `Numeric()`.

    Everything else is flagged: a change without `existing_type=`, a narrowing, `Integer` to
    `BigInteger` (8 bytes instead of 4 is a rewrite), `CHAR(n)` changes, a change of kind, and
    raw SQL, where the old type is not known.

    Only statements that run on PostgreSQL are checked: those in a branch that names it, and
    those outside dialect branches when the environment's database is PostgreSQL (`sql_dialect`
    in `govsite.toml`, the default, or a versions folder per database).

    ## Why is this bad?
    A type change that is not binary compatible rewrites every row and rebuilds the table's
    indexes while an exclusive lock blocks reads and writes. The code of the previous release,
    still running during the deployment, may also fail on values of the new type.

    ## Example
    ```python
    def upgrade():
        op.alter_column("events", "amount", type_=sa.BigInteger(), existing_type=sa.Integer())
    ```

    ## Use instead
    Expand and contract: add a column of the new type, write both from the application,
    backfill in batches, move readers to the new column, and drop the old one in a later
    release. Widening a string or a numeric precision needs none of this:
    ```python
    def upgrade():
        op.alter_column("events", "source", type_=sa.String(255), existing_type=sa.String(50))
    ```
    The risk rule (GOV601) counts a narrowing as High.
    """
    return _report(ctx, "GOV613")


@rule("GOV614")
def rename_breaks_running_code(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags `op.rename_table`, `alter_column(new_column_name=...)` (including the batch form) and
    raw `ALTER TABLE ... RENAME TO` / `RENAME COLUMN` on a table that exists before the
    migration.

    ## Why is this bad?
    During a deployment the previous release keeps running until every instance is replaced.
    It still names the old table or column, so every query it sends fails from the moment the
    migration commits until the rollout finishes, and rolling the code back does not help.

    ## Example
    ```python
    def upgrade():
        op.alter_column("events", "src", new_column_name="source")
    ```

    ## Use instead
    Expand and contract: add the new column (or table), have the application write both,
    backfill, move readers to the new name, and drop the old name in a later release. For a
    table, a view with the old name can bridge the releases.
    ```python
    def upgrade():
        op.add_column("events", sa.Column("source", sa.Text(), nullable=True))
    ```
    """
    return _report(ctx, "GOV614")


@rule("GOV615")
def constraint_validates_under_lock(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags `op.create_foreign_key`, `op.create_check_constraint` and raw
    `ADD CONSTRAINT ... FOREIGN KEY` / `CHECK` on a table that exists before the migration,
    unless the constraint is added `NOT VALID` (`postgresql_not_valid=True`).

    Only statements that run on PostgreSQL are checked: those in a branch that names it, and
    those outside dialect branches when the environment's database is PostgreSQL (`sql_dialect`
    in `govsite.toml`, the default, or a versions folder per database).

    ## Why is this bad?
    Adding a valid constraint checks every existing row, and a foreign key also locks the
    referenced table, while writes are blocked. On a large table that is a long write outage.

    ## Example
    ```python
    def upgrade():
        op.create_foreign_key("fk_events_account", "events", "accounts", ["account_id"], ["id"])
    ```

    ## Use instead
    Add the constraint without checking the existing rows (new rows are checked at once),
    then validate it in a later migration; validation takes a lock that lets writes continue.
    ```python
    def upgrade():
        op.create_foreign_key(
            "fk_events_account", "events", "accounts", ["account_id"], ["id"],
            postgresql_not_valid=True,
        )

    # a later migration
    def upgrade():
        op.execute("ALTER TABLE events VALIDATE CONSTRAINT fk_events_account")
    ```
    """
    return _report(ctx, "GOV615")


@rule("GOV616")
def set_not_null_scans_table(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags `alter_column(nullable=False)` (unless `existing_nullable=False` says nothing
    changes) and raw `ALTER COLUMN ... SET NOT NULL` on a table that exists before the
    migration. A `VALIDATE CONSTRAINT` on the same table earlier in the same `upgrade()` (the
    recipe below) makes the statement safe, and it is not flagged.

    ## Why is this bad?
    PostgreSQL checks every row for NULLs while it holds an exclusive lock: no reads, no writes,
    for as long as the scan takes.

    ## Example
    ```python
    def upgrade():
        op.alter_column("events", "tenant_id", nullable=False)
    ```

    ## Use instead
    Prove the column has no NULLs with a constraint checked under a light lock; PostgreSQL 12
    and later then sets NOT NULL without scanning:
    ```python
    def upgrade():
        op.execute("ALTER TABLE events ADD CONSTRAINT events_tenant_nn "
                   "CHECK (tenant_id IS NOT NULL) NOT VALID")
        op.execute("ALTER TABLE events VALIDATE CONSTRAINT events_tenant_nn")
        op.alter_column("events", "tenant_id", nullable=False)
        op.drop_constraint("events_tenant_nn", "events")
    ```
    """
    return _report(ctx, "GOV616")


@rule("GOV617")
def unique_constraint_locks_table(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags `op.create_unique_constraint`, `op.create_primary_key` and raw
    `ADD CONSTRAINT ... UNIQUE` / `PRIMARY KEY` on a table that exists before the migration,
    unless the raw SQL adopts an existing index with `USING INDEX`.

    Only statements that run on PostgreSQL are checked: those in a branch that names it, and
    those outside dialect branches when the environment's database is PostgreSQL (`sql_dialect`
    in `govsite.toml`, the default, or a versions folder per database).

    ## Why is this bad?
    The constraint builds its unique index while writes to the table are blocked, exactly like
    a `CREATE INDEX` without `CONCURRENTLY` (GOV612).

    ## Example
    ```python
    def upgrade():
        op.create_unique_constraint("uq_accounts_slug", "accounts", ["slug"])
    ```

    ## Use instead
    Build the index concurrently, then turn it into the constraint, which is instant:
    ```python
    def upgrade():
        with op.get_context().autocommit_block():
            op.create_index("uq_accounts_slug", "accounts", ["slug"], unique=True,
                            postgresql_concurrently=True)
        op.execute("ALTER TABLE accounts ADD CONSTRAINT uq_accounts_slug "
                   "UNIQUE USING INDEX uq_accounts_slug")
    ```
    """
    return _report(ctx, "GOV617")


@rule("GOV618")
def volatile_default_rewrites_table(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags `add_column` (and raw `ADD COLUMN`) on a table that exists before the migration when
    the column's server default calls a volatile function (`gen_random_uuid()`, `random()`,
    `clock_timestamp()`, `uuid_generate_v4()`, `nextval(...)`, ...) or its type is `serial`.
    Constant defaults and `now()` are stored once by PostgreSQL 11 and later and are not flagged.

    ## Why is this bad?
    A volatile default has to be computed for each existing row, so PostgreSQL rewrites the
    whole table under an exclusive lock, blocking reads and writes until it is done.

    ## Example
    ```python
    def upgrade():
        op.add_column(
            "events",
            sa.Column("public_id", sa.Uuid(), server_default=sa.text("gen_random_uuid()")),
        )
    ```

    ## Use instead
    Add the column without a default, give it the default for new rows, then backfill the
    existing rows in batches:
    ```python
    def upgrade():
        op.add_column("events", sa.Column("public_id", sa.Uuid(), nullable=True))
        op.alter_column("events", "public_id", server_default=sa.text("gen_random_uuid()"))
        # backfill in batches outside the migration, then make it NOT NULL (GOV616)
    ```
    """
    return _report(ctx, "GOV618")
