"""Policy 3: forward-only migrations say why and how to recover; irreversible ones say they are."""

from __future__ import annotations

from typing import Iterable, Iterator

from ..model import DowngradeKind, Finding, Location
from .base import Context, rule


def _missing_field(ctx: Context, code: str, key: str, why: str) -> Iterator[Finding]:
    for migration in ctx.forward_only:
        if (migration.header.get(key) or "").strip():
            continue
        marker = migration.header.field("FORWARD_ONLY")
        line = marker.line if marker else migration.header.line
        yield ctx.finding(
            code,
            Location(migration.path, line),
            f"FORWARD_ONLY is Yes but {key} is missing or empty: {why}",
        )


@rule("GOV301")
def forward_only_without_justification(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags a migration whose header says `FORWARD_ONLY: Yes` but has no `JUSTIFICATION` field,
    or an empty one. The finding points at the `FORWARD_ONLY` line.

    ## Why is this bad?
    Policy 3 accepts migrations that cannot be undone only when the author explains why undoing
    them is impossible. Without that explanation reviewers cannot tell a real one-way change
    (a lossy backfill) from a missing downgrade.

    ## Example
    ```text
    FORWARD_ONLY: Yes
    ROLLBACK_STRATEGY: Separate migration drops the new column.
    ```

    ## Use instead
    ```text
    FORWARD_ONLY: Yes
    JUSTIFICATION: The backfill merges duplicate rows; the originals cannot be rebuilt.
    ROLLBACK_STRATEGY: Separate migration drops the new column.
    ```
    """
    yield from _missing_field(
        ctx, "GOV301", "JUSTIFICATION", "say why this change cannot be undone"
    )


@rule("GOV302")
def forward_only_without_rollback_strategy(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags a migration whose header says `FORWARD_ONLY: Yes` but has no `ROLLBACK_STRATEGY`
    field, or an empty one. The finding points at the `FORWARD_ONLY` line.

    ## Why is this bad?
    Policy 3 still wants a way back from a forward-only change: a separate reversing migration,
    an operational runbook (restore from backup), or an approved statement that rollback means
    data loss. Without one, an incident after deployment starts with nobody knowing how to
    recover.

    ## Example
    ```text
    FORWARD_ONLY: Yes
    JUSTIFICATION: The backfill merges duplicate rows; the originals cannot be rebuilt.
    ```

    ## Use instead
    ```text
    FORWARD_ONLY: Yes
    JUSTIFICATION: The backfill merges duplicate rows; the originals cannot be rebuilt.
    ROLLBACK_STRATEGY: Restore events from the nightly backup (runbook docs/ops/restore.md).
    ```
    """
    yield from _missing_field(
        ctx, "GOV302", "ROLLBACK_STRATEGY", "say how to recover if the change must be reverted"
    )


_IRREVERSIBLE = {
    DowngradeKind.EMPTY: "downgrade() does nothing",
    DowngradeKind.RAISES: "downgrade() raises",
    DowngradeKind.MISSING: "the module has no downgrade()",
}


@rule("GOV303")
def irreversible_downgrade_not_marked(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags a migration whose `downgrade()` is empty (only `pass` or a docstring), raises, or is
    missing, while its header does not say `FORWARD_ONLY: Yes`. Merge revisions and migrations
    whose `upgrade()` has no operations are skipped: there is nothing for a downgrade to undo.

    ## Why is this bad?
    Policy 3 makes irreversibility an explicit, reviewed choice. A migration that cannot be
    undone but is not marked forward-only skips the stronger review, the justification and the
    rollback plan that such a change needs, and surprises whoever runs the downgrade in
    development.

    ## Example
    ```python
    def upgrade():
        op.execute("UPDATE events SET source = lower(source)")

    def downgrade():
        pass
    ```

    ## Use instead
    Mark the migration `FORWARD_ONLY: Yes` with a `JUSTIFICATION` and a `ROLLBACK_STRATEGY`, or
    write a `downgrade()` that reverses the upgrade.
    """
    forward_only = {id(m) for m in ctx.forward_only}  # by identity: a migration hashes all it holds
    for migration in ctx.repo.migrations:
        if id(migration) in forward_only or migration.is_merge or not migration.upgrade_operations():
            continue
        problem = _IRREVERSIBLE.get(migration.downgrade)
        if problem is None:
            continue
        line = migration.downgrade_line or migration.upgrade_line or 1
        yield ctx.finding(
            "GOV303",
            Location(migration.path, line),
            f"{problem} but FORWARD_ONLY is not Yes; mark the migration forward-only "
            "or make it reversible",
        )
