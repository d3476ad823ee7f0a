"""Policy 7: no schema change outside the migrations.

These rules need a live database, so the static validation does not run them: `govsite drift`
reflects the database (`generator.schema`) and reports them. They are documented here so the
rules reference, `govsite rules` and SARIF describe every part of the policy.
"""

from __future__ import annotations

from .base import document

document(
    "GOV701",
    """
    ## What it does
    `govsite drift` reflects a live database (read-only) and compares it, object by object,
    with the expected schema: the committed snapshot (`db/schema/snapshot.json`, written by
    `govsite snapshot`) or a second database migrated to head (`--expected-url`). Each table,
    column, index, constraint, view, sequence, enum, and on PostgreSQL each row-level security
    setting, policy, trigger, function and extension that is missing, unexpected or changed is
    one finding, with both values of what changed. A missing or changed object names the
    migration that created or last changed it and the ADRs that migration cites, and the
    finding sits on that migration's line.

    An unexpected or changed object that an open emergency record names (in its heading,
    incident or immediate action; open means no retroactive migration is linked to it yet) is
    covered by that record: a warning, on the record, for 24 hours after the record's change
    time; after that an error, as GOV403 counts the 24 hours.

    ## Why is this bad?
    Policy 7 forbids changing a schema outside the migrations. A manual `CREATE INDEX` in
    production leaves the migrations describing a schema that no longer exists: the next
    migration is written and reviewed against a false picture, and the next environment built
    from the repository differs from production.

    ## Example
    ```text
    db/schema/snapshot.json:1:1: GOV701 schema-drift index ix_orders_created_at on orders is
    in the database but no migration makes it (an out-of-band change)
    ```

    ## Use instead
    Make every schema change through a migration. For an emergency change made by hand, write
    the emergency record at once (it turns the finding into a warning) and commit the
    retroactive migration within 24 hours (policy 4).
    """,
)

document(
    "GOV702",
    """
    ## What it does
    Flags a live database whose `alembic_version` table does not hold exactly the migrations'
    head revision(s). The finding lists the revisions that are not applied (in revision order)
    and any revision the database holds that no migration in the repository declares; a
    database without an `alembic_version` table is reported too.

    ## Why is this bad?
    A database behind head runs code written for a schema it does not have yet; one at a
    revision the repository does not know was migrated from a branch that was never merged, or
    from a migration that was never committed, which policy 7 forbids as much as a manual
    `ALTER TABLE`. Either way the schema comparison that follows is against the wrong target.

    ## Example
    The database is at `5ac81cc458a3`; the migrations' head is `3c9e5d7a1b24`, with 16
    revisions in between that were never applied.

    ## Use instead
    Deploy with `alembic upgrade head` from the repository's main branch, and merge or revert
    a branch whose revision reached the database.
    """,
)

document(
    "GOV703",
    """
    ## What it does
    Flags a committed schema snapshot that is not what the migrations produce: it records other
    revisions than the migrations' heads (a migration was added and the snapshot not
    regenerated), or, with `govsite drift --expected-url`, it differs from a database that was
    just migrated to head. The finding names the first differing objects.

    ## Why is this bad?
    The snapshot is what production is compared with and what the site's Schema page shows. A
    stale one reports drift that is not there, hides drift that is, and shows reviewers a schema
    nobody has.

    ## Example
    A pull request adds a migration creating `ix_orders_created_at` but leaves
    `db/schema/snapshot.json` as it was.

    ## Use instead
    Regenerate the snapshot in the same pull request: `alembic upgrade head` on a scratch
    database, `govsite snapshot --database-url ...`, commit the file. In CI, run the same and
    `git diff --exit-code db/schema/snapshot.json`.
    """,
)
