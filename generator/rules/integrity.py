"""Checks that keep the inputs themselves trustworthy: the revision graph and readable files.

Unreadable migrations (GOV802) and other unreadable inputs (GOV804) are reported by the readers
while they read; GOV802 is documented here so the rules reference covers every code, and the
GOV804 check adds what no reader can see: configured locations that point outside the
repository, which the readers skip. Schema drift (policy 7) is in `out_of_band`.
"""

from __future__ import annotations

from typing import Iterable

from ..config import Config
from ..graph import RevisionGraph, environment_graphs
from ..model import Finding, Location, Migration
from ..sources.files import leaves_repository
from .base import Context, document, rule
from .helpers import listing


def _at_revision(migration: Migration) -> Location:
    return Location(migration.path, migration.revision_line)


def _at_parent(migration: Migration) -> Location:
    return Location(migration.path, migration.down_revision_line)


# Alembic reserves these for its own syntax (`head-1`, `branch@head`, `+2`, `a:b` ranges) and
# refuses a revision id that contains one (`Revision.verify_rev_id`).
RESERVED_IN_IDS = "@-+:"
_RESERVED = frozenset(RESERVED_IN_IDS)


def _reserved_character_findings(ctx: Context, graph: RevisionGraph) -> Iterable[Finding]:
    for m in graph.migrations:
        if _RESERVED.isdisjoint(m.revision or ""):
            continue
        reserved = sorted(set(m.revision) & _RESERVED)
        if reserved:
            yield ctx.finding(
                "GOV801",
                _at_revision(m),
                f"revision id '{m.revision}' contains {', '.join(repr(c) for c in reserved)}, "
                "which alembic refuses in a revision id (it keeps @ - + : for its own syntax)",
            )


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
            f"down_revision names '{gap.target}', which no migration declares"
            + _prefix_hint(gap.target, graph),
        )
    for gap in graph.missing_dependencies:
        yield ctx.finding(
            "GOV801",
            _at_parent(gap.migration),
            f"depends_on names '{gap.target}', which is neither a revision nor a branch label",
        )


def _prefix_hint(target: str, graph: RevisionGraph) -> str:
    """Alembic resolves shortened ids on its command line, never in `down_revision`: say so when
    the missing parent is the start of existing ids, rather than pick one of them."""
    longer = sorted(rev for rev in graph.by_revision if target and rev.startswith(target))
    if not longer:
        return ""
    return f" (it is the start of {listing(longer)}; down_revision must give the full id)"


def _cycle_findings(ctx: Context, graph: RevisionGraph) -> Iterable[Finding]:
    for cycle in graph.cycles:
        members = sorted((graph.by_revision[rev] for rev in cycle), key=lambda m: m.path)
        yield ctx.finding(
            "GOV801",
            _at_parent(members[0]),
            f"revisions form a cycle through down_revision: {listing(list(cycle))}",
        )


def _head_findings(ctx: Context, graph: RevisionGraph, environment: str) -> Iterable[Finding]:
    if ctx.config.allow_multiple_heads or len(graph.heads) < 2:
        return
    first = graph.by_revision[graph.heads[0]]
    listed = listing([f"{rev} ({graph.by_revision[rev].path})" for rev in graph.heads])
    whose = f"the revision graph of '{environment}'" if environment else "the revision graph"
    yield ctx.finding(
        "GOV801",
        _at_revision(first),
        f"{whose} has {len(graph.heads)} heads: {listed}; add a merge migration "
        "(alembic merge heads) or set allow_multiple_heads",
    )


@rule("GOV801")
def revision_graph_invalid(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Checks the revision graph the migrations form through `revision`, `down_revision` and
    `depends_on`, and reports:

    - a revision id declared by more than one file (on every file after the first, by path);
    - a revision id holding a character alembic refuses (`@`, `-`, `+`, `:`);
    - a `down_revision` that names no existing revision (a shortened id does not count:
      alembic resolves prefixes on its command line, never in `down_revision`);
    - a `depends_on` that names neither a revision nor a branch label;
    - a cycle (once per cycle, on the member with the smallest path, listing the members);
    - more than one head, unless `allow_multiple_heads` is set (once, on the first head by
      path, listing all heads).

    Each migration environment (see "Where govsite finds migrations") is its own graph: two
    environments of a monorepo may use the same revision id, and each has its own head.

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
    for name, graph in environment_graphs(ctx.repo.migrations).items():
        yield from _reserved_character_findings(ctx, graph)
        yield from _duplicate_findings(ctx, graph)
        yield from _missing_findings(ctx, graph)
        yield from _cycle_findings(ctx, graph)
        yield from _head_findings(ctx, graph, name)


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


@rule("GOV804")
def input_unreadable(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Reports an ADR, the exceptions register, a policy document or a CI/CD configuration that
    cannot be read: not found, outside the repository, not UTF-8, binary, too large, or not
    valid YAML or Markdown front matter. The reader of that input reports it with the path and,
    where known, the line. A configured location (`migrations`, `adrs`, `policies`, `ci`,
    `exceptions`) that is absolute or climbs out with `..` is reported too, under the pattern
    as written: nothing outside the repository is ever read. So is an include in the
    repository's git configuration (`include.path`, `includeIf` in `.git/config`) naming a file
    outside it: git would read that file, so git history is not read at all.

    ## Why is this bad?
    The other checks rely on these files: the bypass rules look up ADRs, the emergency rules
    read the register, the downgrade rule reads the pipelines. An unreadable file would make
    those checks pass for lack of data instead of failing for a reason.

    ## Example
    A `.github/workflows/deploy.yml` with a tab-indented line that YAML rejects, an ADR saved
    in Latin-1 with an `é` in its title, or `adrs = ["../shared/adr/*.md"]` in `govsite.toml`.

    ## Use instead
    Fix the file so it is valid UTF-8 text in its format (YAML, Markdown), inside the
    repository; keep git configuration a build reads free of includes from elsewhere.
    """
    for option, pattern in configured_locations(ctx.config):
        if leaves_repository(pattern):
            yield ctx.finding(
                "GOV804",
                Location(pattern, 1),
                f"the '{option}' setting points outside the repository; nothing is read there",
            )


def configured_locations(config: Config) -> Iterable[tuple[str, str]]:
    """(option, pattern) of every configured input location, in a fixed order."""
    for option in ("migrations", "adrs", "policies", "ci"):
        for pattern in getattr(config, option):
            yield option, pattern
    yield "exceptions", config.exceptions


document(
    "GOV805",
    """
    ## What it does
    Reports a run that found no migration to check: no `alembic.ini` or `[tool.alembic]`
    names a folder holding revision files, no `.py` file in the repository assigns `revision`
    and `down_revision` (virtualenvs, `node_modules`, build output and hidden folders are not
    searched), or the `migrations` globs in `govsite.toml` match nothing. It is reported on the
    file that says where migrations are (else on the repository root). A repository that has no
    migrations yet says so with `expect_migrations = false`.

    ## Why is this bad?
    A governance check that passes on nothing reports 100 % compliance for a repository it never
    read. A layout govsite does not recognise must fail loudly, not pass.

    ## Example
    Migrations in `backend/db/versions/`, with `script_location` set in Python by the
    application and no `alembic.ini`, and a `govsite.toml` whose `migrations` glob has a typo:
    ```toml
    migrations = ["backend/db/version/*.py"]
    ```

    ## Use instead
    ```toml
    migrations = ["backend/db/versions"]
    ```
    """,
)


document(
    "GOV806",
    """
    ## What it does
    Reports a folder of `.py` files that assign `revision` and `down_revision` (revision files)
    which the migration configuration does not read, once per folder, on its first file, naming
    the option that would read it: `recursive_version_locations = true` for a sub-folder of a
    versions folder, `version_locations` in the `alembic.ini` (or `[tool.alembic]`) that
    configures the environment, or `migrations` in `govsite.toml` when that is set.

    ## Why is this bad?
    Revision files outside the configured folders are either run by Alembic through a setting
    govsite did not see, and then go unchecked, or they are left over and mislead reviewers.
    Either way the checks would pass without having read them.

    ## Example
    ```ini
    # backend/alembic.ini
    [alembic]
    script_location = %(here)s/alembic
    ```
    with revisions in `backend/alembic/versions/2024/` and `backend/alembic/versions/2025/`.

    ## Use instead
    ```ini
    [alembic]
    script_location = %(here)s/alembic
    recursive_version_locations = true
    ```
    """,
)
