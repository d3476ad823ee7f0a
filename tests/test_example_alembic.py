"""The bundled example is a working Alembic project: real `alembic` runs it on SQLite both ways,
its PostgreSQL-only branches produce SQL that PostgreSQL's own parser accepts, and a new
revision starts from a complete metadata header."""

from __future__ import annotations

import ast
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pglast
import pytest

from conftest import EXAMPLE

TABLES_AT_HEAD = {
    "tenants",
    "channels",
    "campaigns",
    "attribution_events",
    "conversions",
    "ad_spend",
    "attribution_results",
    "event_dead_letters",
}


@pytest.fixture
def example(tmp_path) -> Path:
    """A private copy of the example, so alembic's files and databases stay out of the project."""
    copy = tmp_path / "attribution-platform"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    return copy


def alembic(root: Path, *args: str, url: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=root,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"alembic {' '.join(args)} failed:\n{result.stderr}"
    return result.stdout


def schema_objects(db: Path) -> dict[str, set[str]]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT type, name FROM sqlite_master").fetchall()
    objects: dict[str, set[str]] = {}
    for kind, name in rows:
        if not name.startswith("sqlite_"):
            objects.setdefault(kind, set()).add(name)
    return objects


def columns(db: Path, table: str) -> set[str]:
    with sqlite3.connect(db) as connection:
        return {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}


def test_upgrade_head_builds_the_schema_and_downgrade_base_removes_it(example, tmp_path):
    db = tmp_path / "attribution.db"
    url = f"sqlite:///{db}"

    alembic(example, "upgrade", "head", url=url)
    objects = schema_objects(db)
    assert objects["table"] == TABLES_AT_HEAD | {"alembic_version"}
    assert "touchpoints" not in objects["table"]  # dropped under ADR-015
    assert objects["view"] == {"tenant_conversion_totals"}
    assert "ix_conversions_tenant_converted_at" in objects["index"]  # INC-2026-0412
    assert "spend_minor_units" in columns(db, "ad_spend")
    assert "spend_amount" not in columns(db, "ad_spend")  # dropped under ADR-021
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM channels").fetchone() == (6,)
        assert connection.execute(
            "SELECT count(*) FROM attribution_events WHERE idempotency_key IS NULL"
        ).fetchone() == (0,)

    alembic(example, "downgrade", "base", url=url)
    assert schema_objects(db) == {"table": {"alembic_version"}}
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM alembic_version").fetchone() == (0,)


def test_revision_graph_has_a_single_head_after_the_merge(example, tmp_path):
    heads = alembic(example, "heads", url=f"sqlite:///{tmp_path / 'unused.db'}").split()
    assert heads == ["3c9e5d7a1b24", "(head)"]
    merges = alembic(example, "history", url=f"sqlite:///{tmp_path / 'unused.db'}")
    assert "30705b64ffa9, 96d1b23a6790 -> 5ac81cc458a3 (mergepoint)" in merges


def test_postgresql_branches_emit_sql_that_postgresql_parses(example):
    """Offline mode needs no server: the SQL is written out and checked with libpg_query."""
    url = "postgresql://attribution@localhost/attribution"
    upgrade_sql = alembic(example, "upgrade", "head", "--sql", url=url)
    downgrade_sql = alembic(example, "downgrade", "head:base", "--sql", url=url)

    for sql in (upgrade_sql, downgrade_sql):
        for statement in pglast.split(sql):
            pglast.parse_sql(statement)
    assert "ALTER TABLE attribution_events ENABLE ROW LEVEL SECURITY" in upgrade_sql
    assert "CREATE POLICY tenant_isolation ON conversions" in upgrade_sql
    assert "ALTER POLICY tenant_isolation ON attribution_events" in upgrade_sql
    assert "CREATE MATERIALIZED VIEW channel_daily_performance" in upgrade_sql
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_conversions_tenant_converted_at" in upgrade_sql
    assert "ALTER TABLE ad_spend DROP COLUMN spend_amount" in upgrade_sql
    assert "DROP POLICY tenant_isolation ON attribution_events" in downgrade_sql


def test_migrations_run_both_ways_on_postgresql(example, tmp_path, postgresql_server):
    """On a real server (a throwaway cluster), the offline SQL runs through psql in a fresh
    database: upgrade to head, then downgrade to base."""
    conninfo = postgresql_server
    database = f"govsite_example_{os.getpid()}"
    url = "postgresql://attribution@localhost/attribution"

    def psql(*args: str, dbname: str = "postgres") -> str:
        done = subprocess.run(
            ["psql", f"{conninfo} dbname={dbname}", "-v", "ON_ERROR_STOP=1", "-q", "-X", "-At", *args],
            capture_output=True, text=True,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def tables() -> set[str]:
        listed = psql("-c", "SELECT tablename FROM pg_tables WHERE schemaname = 'public'", dbname=database)
        return set(listed.split()) - {"alembic_version"}

    upgrade = tmp_path / "upgrade.sql"
    upgrade.write_text(alembic(example, "upgrade", "head", "--sql", url=url))
    downgrade = tmp_path / "downgrade.sql"
    downgrade.write_text(alembic(example, "downgrade", "head:base", "--sql", url=url))
    psql("-c", f"CREATE DATABASE {database}")
    try:
        psql("-f", str(upgrade), dbname=database)
        assert tables() == TABLES_AT_HEAD
        assert psql("-c", "SELECT relrowsecurity FROM pg_class WHERE relname = 'attribution_events'",
                    dbname=database).strip() == "t"
        psql("-f", str(downgrade), dbname=database)
        assert tables() == set()
    finally:
        psql("-c", f"DROP DATABASE {database}")


def test_new_revision_starts_with_a_complete_metadata_header(example, tmp_path):
    versions = example / "alembic" / "versions"
    before = set(versions.iterdir())
    alembic(example, "revision", "-m", "Add region to tenants", url=f"sqlite:///{tmp_path / 'x.db'}")
    (created,) = set(versions.iterdir()) - before

    module = ast.parse(created.read_text(encoding="utf-8"))  # valid Python
    docstring = ast.get_docstring(module)
    fields = dict(re.findall(r"^([A-Z_]+): (.+)$", docstring, re.M))
    required = tomllib.loads((example / "govsite.toml").read_text())["required_fields"]
    assert set(required) <= set(fields)
    assert re.fullmatch(r"\d{12}", fields["MIGRATION_ID"])
    assert fields["TITLE"] == "Add region to tenants"
    assert fields["RISK_LEVEL"] in ("Low", "Medium", "High")
    assert created.name.endswith("_add_region_to_tenants.py")
