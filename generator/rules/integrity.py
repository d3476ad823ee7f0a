"""Checks that keep the inputs themselves trustworthy: the revision graph and readable files.

Unreadable migrations (GOV802) and other unreadable inputs (GOV804) are reported by the readers
while they read; they are documented here so the rules reference covers every code. Schema drift
(GOV701, policy 7) needs a live database and is documented here as not checked statically.
"""

from __future__ import annotations

from typing import Iterable

from ..graph import RevisionGraph
from ..model import Finding, Location, Migration
from .base import Context, document, rule


LISTED = 20  # members of a cycle or heads named in one message; the rest are counted


def listing(items: list[str]) -> str:
    """`a, b, c`, or the first LISTED items and how many more, so messages stay one line."""
    if len(items) <= LISTED:
        return ", ".join(items)
    return f"{', '.join(items[:LISTED])} and {len(items) - LISTED} more"


def _at_revision(migration: Migration) -> Location:
    return Location(migration.path, migration.revision_line)


def _at_parent(migration: Migration) -> Location:
    return Location(migration.path, migration.down_revision_line)


def _duplicate_findings(ctx: Context, graph: RevisionGraph) -> Iterable[Finding]:
    for revision, claims in graph.duplicates.items():
        first = claims[0]
        for later in claims[1:]:
            yield ctx.finding(
                "GOV801",
                _at_revision(later),
                f"revision id '{revision}' is already declared by {first.path}",
            )


def _missing_findings(ctx: Context, graph: RevisionGraph) -> Iterable[Finding]:
    for gap in graph.missing_parents:
        yield ctx.finding(
            "GOV801",
            _at_parent(gap.migration),
            f"down_revision names '{gap.target}', which no migration declares",
        )
    for gap in graph.missing_dependencies:
        yield ctx.finding(
            "GOV801",
            _at_parent(gap.migration),
            f"depends_on names '{gap.target}', which is neither a revision nor a branch label",
        )


def _cycle_findings(ctx: Context, graph: RevisionGraph) -> Iterable[Finding]:
    for cycle in graph.cycles:
        members = sorted((graph.by_revision[rev] for rev in cycle), key=lambda m: m.path)
        yield ctx.finding(
            "GOV801",
            _at_parent(members[0]),
            f"revisions form a cycle through down_revision: {listing(list(cycle))}",
        )


def _head_findings(ctx: Context, graph: RevisionGraph) -> Iterable[Finding]:
    if ctx.config.allow_multiple_heads or len(graph.heads) < 2:
        return
    first = graph.by_revision[graph.heads[0]]
    listed = listing([f"{rev} ({graph.by_revision[rev].path})" for rev in graph.heads])
    yield ctx.finding(
        "GOV801",
        _at_revision(first),
        f"the revision graph has {len(graph.heads)} heads: {listed}; add a merge migration "
        "(alembic merge heads) or set allow_multiple_heads",
    )


@rule("GOV801")
def revision_graph_invalid(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Checks the revision graph the migrations form through `revision`, `down_revision` and
    `depends_on`, and reports:

    - a revision id declared by more than one file (on every file after the first, by path);
    - a `down_revision` that names no existing revision;
    - a `depends_on` that names neither a revision nor a branch label;
    - a cycle (once per cycle, on the member with the smallest path, listing the members);
    - more than one head, unless `allow_multiple_heads` is set (once, on the first head by
      path, listing all heads).

    ## Why is this bad?
    Alembic refuses to upgrade a graph with these faults, or picks an order nobody reviewed. A
    second head usually means two branches were merged without a merge migration; deploying
    then runs only one of them, and every policy check based on the order of changes becomes
    unreliable.

    ## Example
    ```python
    # a1_create_events.py
    revision = "a1"
    down_revision = None

    # b2_add_note.py
    revision = "b2"
    down_revision = "a1"

    # c3_add_index.py
    revision = "c3"
    down_revision = "a1"   # a second head beside b2
    ```

    ## Use instead
    ```python
    # c3_add_index.py
    revision = "c3"
    down_revision = "b2"
    ```
    or add a merge revision with `down_revision = ("b2", "c3")`.
    """
    graph = RevisionGraph(ctx.repo.migrations)
    yield from _duplicate_findings(ctx, graph)
    yield from _missing_findings(ctx, graph)
    yield from _cycle_findings(ctx, graph)
    yield from _head_findings(ctx, graph)


document(
    "GOV802",
    """
    ## What it does
    Reports a migration file that cannot be read statically: it is not valid UTF-8, it is not
    valid Python, it is too large or too deeply nested to parse, it is a broken symlink, or it
    declares no `revision`. The migration reader reports it at the line where reading failed,
    and the rest of the repository is still checked.

    ## Why is this bad?
    Every policy check works on what the reader extracts. A file that cannot be parsed would
    otherwise drop out of every check silently, so a destructive operation inside it would go
    unreviewed. (Migrations are never imported or run to read them.)

    ## Example
    ```python
    revision = "3f2a9c"
    def upgrade(:
        op.drop_table("events")
    ```

    ## Use instead
    ```python
    revision = "3f2a9c"
    def upgrade():
        op.drop_table("events")  # CI:DESTRUCTIVE_OK ADR-015 replaced by event_log
    ```
    """,
)


document(
    "GOV804",
    """
    ## What it does
    Reports an ADR, the exceptions register, a policy document or a CI/CD configuration that
    cannot be read: not found, outside the repository, not UTF-8, binary, too large, or not
    valid YAML or Markdown front matter. The reader of that input reports it with the path and,
    where known, the line.

    ## Why is this bad?
    The other checks rely on these files: the bypass rules look up ADRs, the emergency rules
    read the register, the downgrade rule reads the pipelines. An unreadable file would make
    those checks pass for lack of data instead of failing for a reason.

    ## Example
    A `.github/workflows/deploy.yml` with a tab-indented line that YAML rejects, or an ADR
    saved in Latin-1 with an `é` in its title.

    ## Use instead
    Fix the file so it is valid UTF-8 text in its format (YAML, Markdown), inside the
    repository.
    """,
)


document(
    "GOV701",
    """
    ## What it does
    Describes schema drift: a live database whose schema differs from the one the migrations
    produce. This check needs a database connection, so the static validation does not run it;
    it is listed so the rules reference names every part of the policy. Compare a database with
    the migrations using Alembic's own tooling (`alembic check`) in an environment that can
    reach it.

    ## Why is this bad?
    Policy 7 forbids changing a schema outside the migrations. A manual `ALTER TABLE` in
    production leaves the migrations describing a schema that no longer exists, so the next
    migration is written and reviewed against a false picture.

    ## Example
    An index created by hand in production with `CREATE INDEX` that no migration creates.

    ## Use instead
    Make every schema change through a migration; for an emergency change made by hand, commit
    the retroactive migration within 24 hours (policy 4).
    """,
)
