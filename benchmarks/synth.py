"""Synthetic governance repositories for the benchmark: N migrations, N/10 ADRs, N/50 emergency
records, policy documents and a dated git history with release tags.

The migrations look like a real team's: complete metadata headers, several operation kinds,
approved destructive drops with bypass comments, merges, helper functions, batch blocks and raw
SQL. The history is written with `git fast-import` (one process) so that a 5,000-migration
repository with one commit per migration takes seconds to make, and the same N always gives the
same commits.

    python benchmarks/synth.py 2000 /tmp/synth-2000
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

START = datetime(2024, 1, 1, 9, 0, tzinfo=timezone.utc)
AUTHORS = [
    ("Ada Moreno", "ada@example.com"),
    ("Bilal Chen", "bilal@example.com"),
    ("Chiara Okafor", "chiara@example.com"),
    ("Dmitri Laine", "dmitri@example.com"),
]
TABLES = ["events", "touchpoints", "conversions", "channels", "campaigns", "spend", "tenants", "sessions"]


def revision_id(i: int) -> str:
    return f"{(i * 2654435761) % (16 ** 12):012x}"


def migration_time(i: int) -> datetime:
    return START + timedelta(hours=7 * i)


def _header(i: int, title: str, change_type: str, risk: str, extra: str = "") -> str:
    when = migration_time(i)
    return (
        f'"""{title}\n\nMigration Metadata\n\n'
        f"MIGRATION_ID: {when:%Y%m%d%H%M}\n"
        f"TITLE: {title}\n"
        f"CHANGE_TYPE: {change_type}\n"
        f"RISK_LEVEL: {risk}\n"
        f"{extra}"
        f"ROLLBACK_STRATEGY: Run the downgrade of this revision; it restores the previous shape.\n"
        f'"""\n'
    )


def _preamble(i: int, down: str) -> str:
    return (
        "from typing import Sequence, Union\n\n"
        "from alembic import op\n"
        "import sqlalchemy as sa\n\n"
        f'revision: str = "{revision_id(i)}"\n'
        f"down_revision: Union[str, Sequence[str], None] = {down}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
    )


def make_migration(i: int, n: int, parents: list[str]) -> str:
    """Source of migration i; the kind cycles so every pattern appears at every N."""
    table = TABLES[i % len(TABLES)]
    down = repr(parents[0]) if len(parents) == 1 else repr(tuple(parents)) if parents else "None"
    kind = i % 10
    col = f"attr_{i}"
    if parents and len(parents) > 1:
        return _header(i, f"Merge branches at {i}", "Merge", "Low", "FORWARD_ONLY: No\n") + _preamble(i, down) + (
            "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
        )
    if kind == 0:
        k = (i // 10) % max(1, n // 10) + 1
        adr = f"ADR-{k - 1 if k % 7 == 0 else k:03d}"  # every 7th ADR is only Proposed
        return _header(i, f"Drop legacy column {col} from {table}", "Column", "High", "FORWARD_ONLY: No\n") + _preamble(i, down) + (
            "def upgrade():\n"
            f'    op.drop_column("{table}", "legacy_{i}")  # CI:DESTRUCTIVE_OK - {adr} retires the legacy attribution field\n\n\n'
            "def downgrade():\n"
            f'    op.add_column("{table}", sa.Column("legacy_{i}", sa.Text(), nullable=True))\n'
        )
    if kind == 1:
        return _header(i, f"Index {table}.{col}", "Index", "Low", "FORWARD_ONLY: No\n") + _preamble(i, down) + (
            "def upgrade():\n"
            f'    op.create_index("ix_{table}_{i}", "{table}", ["{col}"])\n\n\n'
            "def downgrade():\n"
            f'    op.drop_index("ix_{table}_{i}", table_name="{table}")\n'
        )
    if kind == 2:
        return _header(i, f"Backfill {table}.{col}", "Data", "Medium",
                       "FORWARD_ONLY: Yes\nJUSTIFICATION: The backfill overwrites values that cannot be recovered afterwards.\n") + _preamble(i, down) + (
            "def upgrade():\n"
            f'    op.execute(sa.text("UPDATE {table} SET {col} = 0 WHERE {col} IS NULL"))\n\n\n'
            "def downgrade():\n"
            '    raise NotImplementedError("forward-only backfill")\n'
        )
    if kind == 3:
        return _header(i, f"Reshape {table} in a batch", "Column", "Low", "FORWARD_ONLY: No\n") + _preamble(i, down) + (
            "def upgrade():\n"
            f'    with op.batch_alter_table("{table}") as batch_op:\n'
            f'        batch_op.add_column(sa.Column("{col}", sa.Integer(), nullable=True))\n'
            f'        batch_op.create_index("ix_b_{i}", ["{col}"])\n\n\n'
            "def downgrade():\n"
            f'    with op.batch_alter_table("{table}") as batch_op:\n'
            f'        batch_op.drop_index("ix_b_{i}")\n'
            f'        batch_op.drop_column("{col}")\n'
        )
    if kind == 4:
        return _header(i, f"Helper-built columns on {table}", "Column", "Low", "FORWARD_ONLY: No\n") + _preamble(i, down) + (
            "def _add(name):\n"
            f'    op.add_column("{table}", sa.Column(name, sa.Text(), nullable=True))\n\n\n'
            "def upgrade():\n"
            f'    for name in ("{col}_a", "{col}_b"):\n'
            "        _add(name)\n\n\n"
            "def downgrade():\n"
            f'    for name in ("{col}_a", "{col}_b"):\n'
            f'        op.drop_column("{table}", name)\n'
        )
    if kind == 5:
        return _header(i, f"Row-level security policy {i}", "RLS", "Low",
                       "FORWARD_ONLY: No\nTOUCHES_RLS: Yes\nDOC_REFS: docs/database/rls-contract.md\n") + _preamble(i, down) + (
            "def upgrade():\n"
            '    if op.get_bind().dialect.name == "postgresql":\n'
            f'        op.execute("CREATE POLICY tenant_{i} ON {table} USING (tenant_id = current_setting(\'app.tenant\')::int)")\n\n\n'
            "def downgrade():\n"
            '    if op.get_bind().dialect.name == "postgresql":\n'
            f'        op.execute("DROP POLICY tenant_{i} ON {table}")\n'
        )
    if kind == 6:
        return _header(i, f"Create table aux_{i}", "Table", "Low", "FORWARD_ONLY: No\n") + _preamble(i, down) + (
            "def upgrade():\n"
            f'    op.create_table(\n        "aux_{i}",\n'
            '        sa.Column("id", sa.Integer(), primary_key=True),\n'
            '        sa.Column("label", sa.String(80), nullable=True),\n    )\n\n\n'
            "def downgrade():\n"
            f'    op.drop_table("aux_{i}")\n'
        )
    return _header(i, f"Add {table}.{col}", "Column", "Low", "FORWARD_ONLY: No\n") + _preamble(i, down) + (
        "def upgrade():\n"
        f'    op.add_column("{table}", sa.Column("{col}", sa.Integer(), nullable=True))\n\n\n'
        "def downgrade():\n"
        f'    op.drop_column("{table}", "{col}")\n'
    )


def make_adr(k: int) -> str:
    status = "Accepted" if k % 7 else "Proposed"
    return (
        f"# ADR-{k:03d}: Decision number {k}\n\n## Status\n\n{status}\n\n"
        f"## Date\n\n{(START + timedelta(days=k)).date()}\n\n"
        "## Context\n\nLegacy attribution columns are no longer read by any service.\n\n"
        "## Decision\n\nRemove them after one release of dual writes.\n\n"
        "## Consequences\n\nHistorical reports use the archive tables.\n"
    )


def make_exceptions(n_records: int, incident_migration: dict[int, int]) -> str:
    parts = ["# Exceptions register\n"]
    for r in range(n_records):
        when = migration_time(incident_migration[r]) - timedelta(hours=3)
        parts.append(
            f"\n## Emergency Change: {when:%Y-%m-%dT%H:%M:%SZ}\n\n"
            f"**Incident**: INC-{r + 1:05d}\n"
            "**Urgency**: CRITICAL (ingestion stalled)\n\n"
            "## Immediate Action Taken\n\nAdded a missing index by hand on the primary.\n\n"
            "## Retroactive Canonical Spec Update\n\n"
            f"https://git.example.com/attribution/pull/{1000 + r}\n\n"
            "## Post-Incident Review\n\n"
            f"https://wiki.example.com/postmortems/INC-{r + 1:05d}\n"
        )
    return "".join(parts)


POLICY = (
    "# Migration policy\n\n**Version:** 2.0.0\n**Date:** 2026-10-01\n**Status:** Active\n"
    "**Next Review:** 2099-01-01\n\nSchema changes go through Alembic migrations.\n"
)


def build_files(n: int) -> list[tuple[int, dict[str, str]]]:
    """(commit index, files) in commit order: one commit per migration, ADRs and records on the way."""
    rng = random.Random(n)
    n_adrs = max(1, n // 10)
    n_records = max(1, n // 50)
    record_at = {r: (r * 50 + 25) % n for r in range(n_records)}
    by_migration = {m: r for r, m in record_at.items()}
    commits: list[tuple[int, dict[str, str]]] = [
        (-1, {
            "alembic.ini": "[alembic]\nscript_location = alembic\n",
            "docs/database/RUNBOOK-MIGRATION-POLICY.md": POLICY,
            "docs/database/rls-contract.md": "# RLS contract\n\nEvery tenant table has a policy.\n",
            "db/schema/CHANGE_CONTROL.md": POLICY.replace("Migration policy", "Change control"),
        })
    ]
    for k in range(1, n_adrs + 1):
        commits.append((-1, {f"docs/adr/ADR-{k:03d}-decision-{k}.md": make_adr(k)}))
    heads = [None]
    for i in range(n):
        if i % 97 == 50 and len(heads) == 1 and i + 3 < n:
            parents = [heads[0]]
            heads = [revision_id(i), heads[0]]  # a branch opens beside the main line
        elif len(heads) == 2 and i % 97 == 53:
            parents = [h for h in heads]
            heads = [revision_id(i)]
        else:
            slot = 0 if len(heads) == 1 else rng.randrange(2)
            parents = [heads[slot]] if heads[slot] else []
            heads[slot] = revision_id(i)
        source = make_migration(i, n, [p for p in parents if p])
        if i in by_migration:
            source = source.replace("FORWARD_ONLY:", f"INCIDENT: INC-{by_migration[i] + 1:05d}\nFORWARD_ONLY:", 1)
        files = {f"alembic/versions/{revision_id(i)}_m{i}.py": source}
        if i in by_migration:
            files["db/schema/EXCEPTIONS.md"] = make_exceptions(by_migration[i] + 1, record_at)
        commits.append((i, files))
    if len(heads) == 2:  # close an open branch so the graph has one head
        i = n
        commits.append((i, {f"alembic/versions/{revision_id(i)}_merge.py": make_migration(i, n, heads)}))
    return commits


def write_repository(n: int, dest: Path, with_git: bool = True) -> Path:
    """Create the repository at `dest` (replacing it) and return it."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    commits = build_files(n)
    for _, files in commits:
        for rel, text in files.items():
            path = dest / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if with_git:
        _fast_import(dest, commits, n)
    return dest


def _fast_import(dest: Path, commits: list[tuple[int, dict[str, str]]], n: int) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True)
    stream: list[bytes] = []
    mark = 0
    tag_points = {n // 3: "v1.0.0", (2 * n) // 3: "v2.0.0"}
    tags: list[tuple[str, int]] = []
    for index, (i, files) in enumerate(commits):
        when = migration_time(i) if i >= 0 else START - timedelta(days=30 - index % 30)
        name, email = AUTHORS[index % len(AUTHORS)]
        mark += 1
        stamp = f"{int(when.timestamp())} +0000"
        message = f"Add {', '.join(sorted(files))[:200]}".encode()
        stream.append(b"commit refs/heads/main\n")
        stream.append(f"mark :{mark}\n".encode())
        stream.append(f"author {name} <{email}> {stamp}\ncommitter {name} <{email}> {stamp}\n".encode())
        stream.append(f"data {len(message)}\n".encode() + message + b"\n")
        for rel, text in sorted(files.items()):
            data = text.encode()
            stream.append(f"M 100644 inline {rel}\ndata {len(data)}\n".encode() + data + b"\n")
        if i in tag_points:
            tags.append((tag_points[i], mark))
    for tag, m in tags:
        stream.append(f"reset refs/tags/{tag}\nfrom :{m}\n\n".encode())
    subprocess.run(["git", "-C", str(dest), "fast-import", "--quiet"], input=b"".join(stream), check=True)
    subprocess.run(["git", "-C", str(dest), "checkout", "-q", "-f", "main"], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, help="number of migrations")
    parser.add_argument("dest", type=Path, help="folder to create (replaced if it exists)")
    parser.add_argument("--no-git", action="store_true", help="write the files only, no history")
    args = parser.parse_args(argv)
    write_repository(args.n, args.dest, with_git=not args.no_git)
    print(f"wrote {args.n} migrations to {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
