"""Policy 2: destructive operations need a `# CI:DESTRUCTIVE_OK` bypass that cites an approval.

What counts as destructive (`destructive_operations`) and which comment approves it
(`bypass_for`) live in `helpers`: the site and the review rules decide the same way.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Iterator

from ..model import Bypass, Finding, Location, Migration, Operation, Suppression
from .base import Context, rule
from .helpers import bypass_for, describe, destructive_operations, is_destructive, shorten

BYPASS_MARK = "# CI:DESTRUCTIVE_OK"


def _lines_of(operations: Iterable[Operation]) -> set[int]:
    """Every line of the statements of `operations` (statements sharing a span counted once)."""
    spans = {(op.line, op.end_line) for op in operations}
    return {line for first, last in spans for line in range(first, last + 1)}


def _bypass_location(migration: Migration, bypass: Bypass) -> Location:
    return Location(migration.path, bypass.line, bypass.column)


@rule("GOV201")
def destructive_without_bypass(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags every destructive operation in `upgrade()` whose statement carries no
    `# CI:DESTRUCTIVE_OK` comment. Destructive means dropping a table or column, dropping a
    constraint (only the configured `critical_constraints` when that list is set), dropping an
    index (only the configured `p0_indexes` when that list is set), the `batch_op.*` forms of
    these, and raw SQL that does the same (`DROP INDEX [CONCURRENTLY]`, MySQL's `ALTER TABLE ...
    DROP INDEX`) or truncates a table, including SQL built at run time whose known text starts
    that way. Dropping something the same migration created earlier is not destructive, when it
    was created under every dialect the drop runs under (`if bind.dialect.name == "mysql":`
    branches and their `else` are followed). Nor is dropping an index or constraint that the
    same `upgrade()` then creates again under the same name, on the same table and dialects:
    that is a replacement (say, a foreign key re-created with `ON DELETE CASCADE`).

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
    for migration, bypass in ctx.bypasses:
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
    for migration, bypass in ctx.bypasses:
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
    for migration, bypass in ctx.bypasses:
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
    for migration, bypass in ctx.bypasses:
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
