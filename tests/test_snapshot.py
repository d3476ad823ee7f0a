"""`govsite snapshot` on the example migrated by real `alembic upgrade head`, on SQLite and on a
throwaway PostgreSQL cluster: deterministic bytes, every kind of object, read-only access, and
clear exit-2 errors that never show a password."""

from __future__ import annotations

import json
import os

import pytest

from conftest import PASSWORD_ROLE, govsite
from schema_support import (
    HEAD,
    example_copy,
    pg_at,
    pg_database,
    pg_run,
    pg_url,
    sqlite_at,
    sqlite_url,
)

SNAPSHOT = "db/schema/snapshot.json"
TABLES = {
    "ad_spend", "attribution_events", "attribution_results", "campaigns", "channels",
    "conversions", "event_dead_letters", "tenants",
}


@pytest.fixture
def example(tmp_path):
    return example_copy(tmp_path)


def snapshot(example, url, *more, env=None):
    done = govsite("snapshot", str(example), "--database-url", url, *more, env=env)
    assert done.returncode == 0, done.stderr
    return (example / SNAPSHOT).read_bytes()


def test_sqlite_snapshot_twice_writes_identical_sorted_bytes(example, tmp_path):
    url = sqlite_at(example, tmp_path / "head.db")
    first = snapshot(example, url)
    second = snapshot(example, url)
    assert first == second
    assert first.endswith(b"}\n")
    document = json.loads(first)
    assert first.decode() == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert document["dialect"] == "sqlite"
    assert document["revisions"] == [HEAD]  # alembic_version is where the schema is, not a table
    assert set(document["tables"]) == TABLES
    assert "tenant_conversion_totals" in document["views"]
    conversions = document["tables"]["conversions"]
    assert "ix_conversions_tenant_converted_at" in conversions["indexes"]
    assert conversions["columns"]["converted_at"]["nullable"] is False
    assert document["tables"]["campaigns"]["triggers"] == {}  # the example's trigger is PostgreSQL's


def test_snapshot_reads_the_url_from_the_environment_and_writes_where_asked(example, tmp_path):
    url = sqlite_at(example, tmp_path / "head.db")
    out = tmp_path / "elsewhere" / "schema.json"
    done = govsite("snapshot", str(example), "--out", str(out), env={"GOVSITE_DATABASE_URL": url})
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["revisions"] == [HEAD]
    assert "wrote" in done.stderr and "8 tables" in done.stderr


def test_snapshot_path_comes_from_the_configuration(example, tmp_path):
    url = sqlite_at(example, tmp_path / "head.db")
    config = example / "govsite.toml"
    config.write_text(config.read_text() + '\nschema_snapshot = "schema/current.json"\n')
    done = govsite("snapshot", str(example), "--database-url", url)
    assert done.returncode == 0, done.stderr
    assert (example / "schema" / "current.json").is_file()


def test_sqlite_reflection_never_writes_to_the_database(example, tmp_path):
    path = tmp_path / "head.db"
    url = sqlite_at(example, path)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    snapshot(example, url)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert not (tmp_path / "head.db-journal").exists()


def test_a_missing_sqlite_file_is_an_error_not_a_new_empty_database(example, tmp_path):
    missing = tmp_path / "typo.db"
    done = govsite("snapshot", str(example), "--database-url", sqlite_url(missing))
    assert done.returncode == 2
    assert "no such SQLite database file" in done.stderr
    assert not missing.exists()
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "url, says",
    [
        ("not a url", "not a database URL"),
        ("mysql://root:hunter2@localhost/app", "mysql databases are not supported"),
        ("sqlite://", "in-memory SQLite database"),
    ],
)
def test_unusable_urls_are_usage_errors_without_the_password(example, url, says):
    done = govsite("snapshot", str(example), "--database-url", url)
    assert done.returncode == 2
    assert says in done.stderr
    assert "hunter2" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_no_url_at_all_says_where_one_comes_from(example):
    env = {"GOVSITE_DATABASE_URL": ""}
    done = govsite("snapshot", str(example), env=env)
    assert done.returncode == 2
    assert "--database-url" in done.stderr and "GOVSITE_DATABASE_URL" in done.stderr


def test_a_missing_driver_says_what_to_install(example, tmp_path):
    blocker = tmp_path / "blocked" / "psycopg"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n"
    )
    env = {"PYTHONPATH": f"{blocker.parent}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    done = govsite(
        "snapshot", str(example), "--database-url", "postgresql://app:s3cret-pw@db.invalid/app",
        env=env,
    )
    assert done.returncode == 2, done.stderr
    assert "pip install 'govsite[postgresql]'" in done.stderr
    assert "s3cret-pw" not in done.stderr + done.stdout


# --------------------------------------------------------------------------- PostgreSQL


def test_postgresql_snapshot_twice_is_identical_and_sees_every_kind(example, postgresql_server):
    with pg_database(postgresql_server) as database:
        url = pg_at(example, postgresql_server, database)
        first = snapshot(example, url)
        assert snapshot(example, url) == first
    document = json.loads(first)
    assert document["dialect"] == "postgresql"
    assert document["revisions"] == [HEAD]
    assert set(document["tables"]) == TABLES
    events = document["tables"]["attribution_events"]
    assert events["row_level_security"] == {"enabled": True, "forced": False}
    assert events["policies"]["tenant_isolation"]["command"] == "ALL"
    assert "current_setting" in events["policies"]["tenant_isolation"]["using"]
    assert "campaigns_touch_updated_at" in document["tables"]["campaigns"]["triggers"]
    assert "channel_daily_performance" in document["materialized_views"]
    assert "tenant_conversion_totals" in document["views"]
    assert "pg_trgm" in document["extensions"]
    assert "touch_updated_at()" in document["functions"]
    assert not any("trgm" in name for name in document["functions"])  # the extension's own
    assert document["enums"]["conversion_kind"]["labels"]
    assert document["sequences"]
    index = document["tables"]["campaigns"]["indexes"]["ix_campaigns_name_trgm"]
    assert "gin" in index["definition"]


def test_postgresql_reflection_runs_read_only(example, postgresql_server, monkeypatch):
    """The session is read-only: a statement that writes fails inside the same connection."""
    import sqlalchemy as sa

    from generator.schema.database import connect

    with pg_database(postgresql_server) as database:
        url = pg_at(example, postgresql_server, database)
        with connect(url, timeout=5) as (connection, backend):
            assert backend == "postgresql"
            assert connection.execute(sa.text("SHOW transaction_read_only")).scalar() == "on"
            assert connection.execute(sa.text("SHOW statement_timeout")).scalar() == "5s"
            with pytest.raises(sa.exc.DBAPIError, match="read-only"):
                connection.execute(sa.text("CREATE TABLE intruder (x int)"))


def test_wrong_password_is_exit_2_and_the_password_is_never_shown(example, postgresql_server):
    pg_run(postgresql_server, "postgres", f"DROP ROLE IF EXISTS {PASSWORD_ROLE}")
    pg_run(postgresql_server, "postgres", f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD 'right-one'")
    url = pg_url(postgresql_server, "postgres", user=PASSWORD_ROLE, password="Wr0ng%21pass")
    done = govsite("snapshot", str(example), "--database-url", url)
    assert done.returncode == 2
    assert "password authentication failed" in done.stderr
    assert f"{PASSWORD_ROLE}:***@" in done.stderr
    for form in ("Wr0ng%21pass", "Wr0ng!pass"):
        assert form not in done.stderr + done.stdout
    right = pg_url(postgresql_server, "postgres", user=PASSWORD_ROLE, password="right-one")
    done = govsite("snapshot", str(example), "--database-url", right, "--out", str(example / "x.json"))
    assert done.returncode == 0, done.stderr
    assert "right-one" not in done.stderr


def test_an_unknown_database_is_exit_2_with_the_server_message(example, postgresql_server):
    done = govsite("snapshot", str(example), "--database-url",
                   pg_url(postgresql_server, "no_such_database"))
    assert done.returncode == 2
    assert 'database "no_such_database" does not exist' in done.stderr
    assert "Traceback" not in done.stderr


# --------------------------------------------------------------------------- the Schema page


def test_the_examples_committed_snapshot_is_what_its_migrations_produce(example, tmp_path):
    """The example's snapshot is regenerated whenever its migrations change (GOV703 otherwise)."""
    committed = (example / SNAPSHOT).read_bytes()
    url = sqlite_at(example, tmp_path / "head.db")
    assert snapshot(example, url) == committed


def test_schema_pages_link_each_object_to_its_migration_and_adr(example, tmp_path):
    out = tmp_path / "generated"
    done = govsite("generate", str(example), "--out", str(out))
    assert done.returncode == 0, done.stderr
    index = (out / "governance" / "schema" / "index.md").read_text()
    assert "[ad_spend](ad_spend.md)" in index
    assert "created by [202511101130](../migrations/ce1474f1128f.md), [ADR-012](../adrs/ADR-012.md)" in index
    assert "[3c9e5d7a1b24](../migrations/3c9e5d7a1b24.md)" in index  # the revision it is at
    table = (out / "governance" / "schema" / "conversions.md").read_text()
    assert ("| <code>ix_conversions_tenant_converted_at</code> | <code>tenant_id, converted_at</code> | no | — "
            "| created by [202604011530](../migrations/e6d2c6eba557.md) |") in table
    assert "created by [202610051030](../migrations/11af61271188.md)" in table  # conversions.kind
    nav = (out / "governance" / "nav.yml").read_text()
    assert "governance/schema/index.md" in nav and "governance/schema/conversions.md" not in nav
    order = [line.strip() for line in nav.splitlines() if ": governance/" in line]
    names = [line.split(":")[0].lstrip("- ") for line in order]
    assert names.index("Exceptions register") + 1 == names.index("Schema")
    assert names.index("Drift") + 1 == names.index("Quarterly reviews")


def test_schema_page_says_how_to_write_a_missing_snapshot(example, tmp_path):
    (example / SNAPSHOT).unlink()
    out = tmp_path / "generated"
    assert govsite("generate", str(example), "--out", str(out)).returncode == 0
    index = (out / "governance" / "schema" / "index.md").read_text()
    assert "No schema snapshot is committed at <code>db/schema/snapshot.json</code>" in index
    assert not list((out / "governance" / "schema").glob("conversions.md"))


def test_a_role_that_cannot_read_alembic_version_is_exit_2_naming_the_permission(example, postgresql_server):
    with pg_database(postgresql_server) as database:
        url = pg_at(example, postgresql_server, database)
        pg_run(postgresql_server, database, "DROP ROLE IF EXISTS govsite_limited")
        pg_run(postgresql_server, database, "CREATE ROLE govsite_limited LOGIN")
        try:
            limited = url.replace("postgres@", "govsite_limited@")
            done = govsite("snapshot", str(example), "--database-url", limited, "--out", str(example / "x.json"))
        finally:
            pg_run(postgresql_server, database, "DROP ROLE govsite_limited")
    assert done.returncode == 2
    assert "reading the schema of" in done.stderr and "permission denied" in done.stderr
    assert "Traceback" not in done.stderr
