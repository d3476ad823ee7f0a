"""Policy 4: every emergency change is recorded and followed by a retroactive migration.

The linking of a record to its migrations (`helpers.MigrationLinks`) is shared with the
lateness check (GOV403) and the site's exceptions register, so a record is never "linked" on one
page and "missing" on another.
"""

from __future__ import annotations

from typing import Iterable

from ..model import Finding, Location
from .base import Context, document, rule


document(
    "GOV401",
    """
    ## What it does
    Flags an `## Emergency Change: <date>` record in the exceptions register
    (`db/schema/EXCEPTIONS.md` by default) that lacks one of its required parts: a date the
    heading can be read as, the incident ticket, the urgency, the immediate action taken, the
    retroactive canonical spec update (a PR link) or the post-incident review (a link). A part
    that is empty or still holds template text (`[Link to post-mortem]`, `TBD`) counts as
    missing. The exceptions reader reports these while it reads each record, at the record's
    heading line, one finding per missing part.

    ## Why is this bad?
    Policy 4 lets an emergency fix skip normal review only because the fix is documented after
    the fact. A record without its incident, its action or its follow-up links cannot be
    audited: nobody can tell what was changed in production, or whether the repository caught up.

    ## Example
    A record that stops after its first lines:
      ```markdown
      ## Emergency Change: 2026-04-01

      **Incident**: INC-2041
      **Urgency**: CRITICAL (checkout down)
      ```

    ## Use instead
    A record with every part:
      ```markdown
      ## Emergency Change: 2026-04-01T10:00:00Z

      **Incident**: INC-2041
      **Urgency**: CRITICAL (checkout down)

      ## Immediate Action Taken
      Added index ix_orders_created_at directly in production.

      ## Retroactive Canonical Spec Update
      https://git.example.com/db/pull/512

      ## Post-Incident Review
      https://wiki.example.com/postmortems/INC-2041
      ```
    """,
)


@rule("GOV402")
def exception_without_retroactive_migration(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags an emergency record that no migration is linked to. A migration is linked when its
    header's `INCIDENT` field equals the record's incident ticket (ignoring case and surrounding
    spaces), or when the record names the migration's `MIGRATION_ID`, its revision id, or a
    revision-id prefix of at least six characters.

    ## Why is this bad?
    Policy 4 requires every emergency change made directly in production to be followed by a
    migration that reproduces it. Without that migration, the schema built from the repository
    no longer matches production, and the next environment built from it silently differs.

    ## Example
    A record `## Emergency Change: 2026-04-01` with `**Incident**: INC-2041`, and no migration
    whose header says `INCIDENT: INC-2041`.

    ## Use instead
    ```text
    MIGRATION_ID: 202604011200
    TITLE: Retroactive index on orders.created_at
    INCIDENT: INC-2041
    ```
    """
    for record in ctx.repo.exceptions:
        if ctx.migration_links.of(record):
            continue
        names = f"incident '{record.incident}'" if record.incident else f"'{record.heading}'"
        refs = ", ".join(record.migration_refs)
        named = f"; the record names {refs}, which match no migration" if refs else ""
        yield ctx.finding(
            "GOV402",
            Location(record.path, record.line),
            f"emergency change {names} has no retroactive migration: no migration's INCIDENT "
            f"names it{named}",
        )
