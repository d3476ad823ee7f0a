"""Policy 4, read from git: the retroactive migration must land within 24 hours.

This check lives apart from `emergency.py` because it is the only one of policy 4 that needs the
repository's git history; it registers after that module so its documentation is the one shown.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable, Optional, Sequence

from ..model import EmergencyRecord, Finding, History, Location, Migration
from .base import Context, rule
from .helpers import as_utc, utc_stamp

LIMIT = timedelta(hours=24)
_USABLE_HISTORY = ("ok", "shallow")


@rule("GOV403")
def retroactive_migration_late(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags an emergency record whose retroactive migration reached the repository more than 24
    hours after the emergency change.

    - The change's time is the record's heading: `## Emergency Change: 2026-04-01T10:00:00Z`,
      `2026-04-01 10:00 UTC`, or a date alone, which counts as the end of that day (UTC).
    - The record's migrations are the ones linked to it: a migration is linked when its header's
      `INCIDENT` field names the record's incident ticket, or when the record names the
      migration's `MIGRATION_ID` or revision id (or a revision-id prefix of six or more
      characters, as git abbreviates).
    - A migration's time is the author date of the commit that added its file to git, following
      renames back to the file's first name (a rename within the migrations' folders, or one
      git finds at least 90% similar), and counting a file deleted and added again from its
      first addition.

    The record is on time when any linked migration was committed within 24 hours (exactly 24
    hours is still on time). Otherwise the finding, at the record's heading, names the earliest
    linked migration, both times in UTC and the delay in hours.

    The check says nothing when it cannot know: when a linked migration is not committed yet,
    when git history is unavailable or git could not read the commit that added it (GOV808), or
    when a shallow clone has cut off the commit that added
    it (fetch full history in CI, e.g. `fetch-depth: 0`). A record linked to no migration at all
    is reported by GOV402 instead.

    ## Why is this bad?
    An emergency fix is applied to production by hand, outside the migrations. Policy 4 allows
    that only if a migration that reproduces the fix follows within a day. Until it exists, every
    environment built from the repository differs from production, the next deployment can undo
    or collide with the fix, and the longer the gap lasts the harder the drift is to untangle.

    ## Example
    ```markdown
    ## Emergency Change: 2026-04-01T10:00:00Z

    **Incident**: INC-2041
    ```
    and a migration with `INCIDENT: INC-2041` in its header, first committed at
    2026-04-03T09:00:00Z (47 hours later).

    ## Use instead
    Commit the retroactive migration, with `INCIDENT: INC-2041` in its header, before
    2026-04-02T10:00:00Z: the record and its migration then show as compliant in the
    exceptions register.
    """
    history = ctx.repo.history
    if history.status not in _USABLE_HISTORY:
        return
    for record in ctx.repo.exceptions:
        late = late_migration(ctx.migration_links.of(record), record, history)
        if late is not None:
            migration, committed = late
            yield ctx.finding(
                "GOV403", Location(record.path, record.line), _message(record, migration, committed)
            )


def late_migration(
    linked: Sequence[Migration], record: EmergencyRecord, history: History
) -> Optional[tuple[Migration, datetime]]:
    """The earliest of the `linked` migrations and its commit time, when the record missed the
    24 hours.

    None when the record was on time, has no time, is linked to nothing, or when any linked
    migration's commit is unknown (it may be the one that was on time).
    """
    changed_at = as_utc(record.changed_at)
    if changed_at is None:
        return None
    landed = []
    for migration in linked:
        added = history.of(migration.path).added
        if added is None:
            return None
        landed.append((added.date, migration))
    if not landed:
        return None
    committed, migration = min(landed, key=lambda pair: (pair[0], pair[1].path))
    return (migration, committed) if committed - changed_at > LIMIT else None


def _message(record: EmergencyRecord, migration: Migration, committed: datetime) -> str:
    changed_at = as_utc(record.changed_at)
    hours = (committed - changed_at).total_seconds() / 3600
    name = migration.migration_id or migration.revision
    named = f" ({name})" if name else ""
    return (
        f"retroactive migration {migration.path}{named} was committed at {utc_stamp(committed)}, "
        f"{hours:.1f} hours after the emergency change at {utc_stamp(changed_at)}; "
        f"policy 4 allows 24 hours"
    )


@rule("GOV808")
def history_incomplete(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Reports that git stopped while reading the history (an object that is missing or corrupt,
    a partial clone whose remote cannot be reached), or that a shallow clone cut off the
    commits that added some of the files read.
    The finding gives git's own words and what is affected. Files that can still be dated are:
    the history is read again without rename detection (the only part that reads file
    contents), and when git still stops, every file changed after the unreadable commit keeps
    its date; the finding names the files left without one.

    A partial clone (`git clone --filter=blob:none`) is read without rename detection from the
    start, so that git fetches no file contents from the remote; that is no finding, and the
    migration pages say renames were not followed.

    ## Why is this bad?
    The 24-hour check of policy 4 (GOV403) and the quarterly review pages rest on the date
    each migration was added. Without this finding a broken object removed every date in
    silence: GOV403 passed because it could not check, and the reviews found no quarter.

    ## Example
    ```text
    fatal: unable to read tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904
    ```
    (`git fsck` lists the missing objects.)

    ## Use instead
    Repair the clone: `git fetch --refetch`, or clone again with full history
    (`fetch-depth: 0` in CI).
    """
    problem = ctx.repo.history.problem
    if problem:
        yield ctx.finding("GOV808", Location("."), problem)
