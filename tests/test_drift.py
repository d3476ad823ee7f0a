"""`govsite drift` on the example, on SQLite and on a throwaway PostgreSQL cluster: a database
migrated to head by real `alembic` compares clean; each out-of-band change is named with the
migration that owns the object; a database behind head is GOV702; an emergency record covers an
out-of-band index for 24 hours; a stale snapshot is GOV703; every report format is valid."""

from __future__ import annotations

import json

import pytest

from conftest import govsite, migration, write_files
from schema_support import (
    BEFORE_HEAD,
    HEAD,
    add_record,
    emergency_record,
    example_copy,
    pg_at,
    pg_database,
    pg_run,
    sqlite_at,
    sqlite_run,
    sqlite_url,
)
from test_report_formats import validate_sarif


@pytest.fixture
def example(tmp_path):
    return example_copy(tmp_path)


@pytest.fixture
def sqlite_head(example, tmp_path):
    """The example migrated to head on SQLite, with its snapshot written: (example, url)."""
    url = sqlite_at(example, tmp_path / "live.db")
    done = govsite("snapshot", str(example), "--database-url", url)
    assert done.returncode == 0, done.stderr
    return example, url


def drift(example, url, *more):
    return govsite("drift", str(example), "--database-url", url, *more)


def findings(done) -> list[dict]:
    return json.loads(done.stdout)["findings"]


def messages(done, rule="GOV701") -> list[str]:
    return [f["message"] for f in findings(done) if f["rule"] == rule]


def test_sqlite_database_at_head_compares_clean(sqlite_head):
    example, url = sqlite_head
    done = drift(example, url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("0 errors, 0 warnings")


def test_sqlite_out_of_band_changes_are_each_named(sqlite_head):
    example, url = sqlite_head
    sqlite_run(url, """
        CREATE INDEX ix_tenants_slug_by_hand ON tenants (slug);
        ALTER TABLE tenants ADD COLUMN region TEXT;
        CREATE TABLE scratch_copy (id INTEGER);
        DROP INDEX ix_conversions_tenant_converted_at;
        CREATE TRIGGER tenants_audit AFTER UPDATE ON tenants BEGIN SELECT 1; END;
        PRAGMA writable_schema = ON;
        UPDATE sqlite_master SET sql = replace(sql, 'DEFAULT CURRENT_TIMESTAMP', 'DEFAULT ''2020-01-01''')
         WHERE name = 'attribution_events';
    """)
    done = drift(example, url, "--format", "json")
    assert done.returncode == 1
    found = messages(done)
    assert any(m.startswith("index ix_tenants_slug_by_hand on tenants is in the database but no migration") for m in found)
    assert any(m.startswith("column tenants.region is in the database") for m in found)
    assert any(m.startswith("table scratch_copy is in the database") for m in found)
    assert any(m.startswith("trigger tenants_audit on tenants is in the database") for m in found)
    assert any(
        m.startswith("index ix_conversions_tenant_converted_at on conversions (created by 202604011530 "
                     "Index conversions by tenant and conversion time") and m.endswith("is missing from the database")
        for m in found
    )
    changed = [m for m in found if m.startswith("column attribution_events.received_at")]
    assert changed and "default expected \"CURRENT_TIMESTAMP\", found \"'2020-01-01'\"" in changed[0]
    assert "created by 202510201000" in changed[0]
    missing = next(f for f in findings(done) if "is missing" in f["message"])
    assert missing["path"].endswith("e6d2c6eba557_add_conversions_tenant_converted_index.py")
    assert missing["line"] > 1  # the operation's line in the owning migration
    assert len(found) == 6  # the dropped table's parts are not listed again


def test_owner_names_the_adr_its_migration_cites(sqlite_head):
    example, url = sqlite_head
    sqlite_run(url, "DROP INDEX uq_attribution_events_tenant_idempotency_key;")
    done = drift(example, url, "--format", "json")
    (message,) = messages(done)
    assert message.startswith(
        "index uq_attribution_events_tenant_idempotency_key on attribution_events (created by "
        "202601121000 Unique index on attribution_events (tenant_id, idempotency_key), ADR-013) is missing"
    )


def test_database_one_revision_behind_head_is_gov702(example, tmp_path):
    url = sqlite_at(example, tmp_path / "head.db")
    assert govsite("snapshot", str(example), "--database-url", url).returncode == 0
    behind = sqlite_at(example, tmp_path / "behind.db", BEFORE_HEAD)
    done = drift(example, behind, "--format", "json")
    assert done.returncode == 1
    (message,) = messages(done, "GOV702")
    assert f"the database is at {BEFORE_HEAD}, the migrations' head is {HEAD}" in message
    assert f"not applied: {HEAD} (202611161000)" in message
    assert any(m.startswith("view tenant_conversion_totals (created by 202611161000") for m in messages(done))


def test_unknown_revision_and_missing_version_table_are_gov702(sqlite_head):
    example, url = sqlite_head
    sqlite_run(url, "UPDATE alembic_version SET version_num = 'feedfacecafe';")
    (message,) = messages(drift(example, url, "--format", "json"), "GOV702")
    assert "unknown to the repository" in message and "feedfacecafe" in message
    sqlite_run(url, "DROP TABLE alembic_version;")
    (message,) = messages(drift(example, url, "--format", "json"), "GOV702")
    assert "has no alembic_version table" in message


def test_a_database_is_compared_with_the_head_of_the_environment_that_built_it(example, tmp_path):
    """In a repository with a second migration environment (a service of its own), the
    database built by one environment is at head when it is at that environment's head."""
    write_files(example, {
        "services/audit/alembic.ini": "[alembic]\nscript_location = alembic\n",
        "services/audit/alembic/env.py": "from alembic import context\n",
        "services/audit/alembic/versions/e1_audit.py": migration("e1"),
        "services/audit/alembic/versions/e2_audit.py": migration("e2", "e1"),
    })
    url = sqlite_at(example, tmp_path / "live.db")
    assert govsite("snapshot", str(example), "--database-url", url).returncode == 0
    done = drift(example, url, "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert [f["rule"] for f in findings(done)] == []
    assert json.loads(done.stdout)["drift"]["heads"] == [HEAD]

    behind = sqlite_at(example, tmp_path / "behind.db", BEFORE_HEAD)
    (message,) = messages(drift(example, behind, "--format", "json"), "GOV702")
    assert f"the database is at {BEFORE_HEAD}, the head of alembic is {HEAD}; not applied: {HEAD} " in message
    assert "e1" not in message and "e2" not in message


# A versions folder per database, as a server that runs on PostgreSQL or SQLite keeps them: the
# program gives Alembic the folder of the database it connects to.
PER_DATABASE_ENV_PY = """\
from alembic import context
from sqlalchemy import create_engine

with create_engine(context.config.get_main_option("sqlalchemy.url")).connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
"""
FLOWS = 'op.create_table("flows", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("name", sa.String(50)))'


def per_database_repo(root):
    def header(mid: str, title: str) -> str:
        return (f"MIGRATION_ID: {mid}\nTITLE: {title}\nCHANGE_TYPE: Table\nRISK_LEVEL: Low\n"
                "FORWARD_ONLY: No\nROLLBACK_STRATEGY: Run the downgrade.\n")

    def index(name: str) -> str:
        return f'op.create_index("{name}", "flows", ["name"])'

    write_files(root, {
        "server/alembic.ini": "[alembic]\nscript_location = migrations\npath_separator = os\n",
        "server/migrations/env.py": PER_DATABASE_ENV_PY,
        "server/migrations/versions/postgresql/a1_flows.py": migration(
            "a1", header=header("202601010900", "Flows on PostgreSQL"), upgrade=FLOWS, downgrade='op.drop_table("flows")'),
        "server/migrations/versions/postgresql/z9_index.py": migration(
            "z9", "a1", header=header("202601020900", "Index flow names on PostgreSQL"),
            upgrade=index("ix_flows_name"), downgrade='op.drop_index("ix_flows_name")'),
        "server/migrations/versions/sqlite/a1_flows.py": migration(
            "a1", header=header("202601011000", "Flows on SQLite"), upgrade=FLOWS, downgrade='op.drop_table("flows")'),
        "server/migrations/versions/sqlite/c3_index.py": migration(
            "c3", "a1", header=header("202601031000", "Index flow names on SQLite"),
            upgrade=index("ix_flows_name"), downgrade='op.drop_index("ix_flows_name")'),
    })
    return root


def upgrade_per_database(root, url: str, folder: str) -> None:
    """What the server does: Alembic given the one folder of its database."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig(str(root / "server/alembic.ini"))
    config.set_main_option("script_location", str(root / "server/migrations"))
    config.set_main_option("version_locations", str(root / "server/migrations/versions" / folder))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")


def test_a_folder_per_database_is_compared_with_its_own_graph_and_owners(tmp_path):
    root = per_database_repo(tmp_path / "server-repo")
    url = sqlite_url(tmp_path / "live.db")
    upgrade_per_database(root, url, "sqlite")
    assert govsite("snapshot", str(root), "--database-url", url).returncode == 0
    done = drift(root, url, "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["drift"]["heads"] == ["c3"]

    # the schema pages, too, name the SQLite graph's migrations for the SQLite snapshot
    out = tmp_path / "pages"
    assert govsite("generate", str(root), "--out", str(out)).returncode in (0, 1)
    schema = (out / "governance" / "schema" / "index.md").read_text(encoding="utf-8")
    assert "from a database at revision [c3](../migrations/c3.md)" in schema
    table = (out / "governance" / "schema" / "flows.md").read_text(encoding="utf-8")
    assert "| <code>ix_flows_name</code> |" in table and "created by [202601031000](../migrations/c3.md)" in table
    assert "202601020900" not in table

    sqlite_run(url, "DROP INDEX ix_flows_name;")
    done = drift(root, url, "--format", "json")
    (message,) = messages(done)
    # made by the SQLite graph's own migration, not by its PostgreSQL twin
    assert message.startswith("index ix_flows_name on flows (created by 202601031000 Index flow names on SQLite)")


@pytest.mark.parametrize("hours_ago, severity, status", [(2, "warning", 0), (30, "error", 1)])
def test_emergency_record_covers_an_out_of_band_index_for_24_hours(sqlite_head, hours_ago, severity, status):
    example, url = sqlite_head
    sqlite_run(url, "CREATE INDEX ix_campaigns_tenant_by_hand ON campaigns (tenant_id);")
    add_record(example, emergency_record(
        hours_ago, "INC-2026-0999", "Ran `CREATE INDEX ix_campaigns_tenant_by_hand ON campaigns (tenant_id)`.",
    ))
    done = drift(example, url, "--format", "json")
    assert done.returncode == status, done.stdout
    (entry,) = [f for f in findings(done) if f["rule"] == "GOV701"]
    assert entry["severity"] == severity
    assert entry["path"] == "db/schema/EXCEPTIONS.md"  # on the record that covers it
    assert "INC-2026-0999" in entry["message"]
    if severity == "warning":
        assert "covered by emergency record INC-2026-0999" in entry["message"]
    else:
        assert "still has no retroactive migration" in entry["message"]
        assert "policy 4 allows 24 hours" in entry["message"]
    (obj,) = json.loads(done.stdout)["drift"]["objects"]
    assert obj["coverage"]["record"] == "INC-2026-0999"
    assert obj["coverage"]["within_24h"] is (severity == "warning")


def test_a_record_that_names_another_object_covers_nothing(sqlite_head):
    example, url = sqlite_head
    sqlite_run(url, "CREATE INDEX ix_campaigns_tenant_by_hand ON campaigns (tenant_id);")
    add_record(example, emergency_record(1, "INC-2026-0998", "Ran `CREATE INDEX ix_other ON campaigns (name)`."))
    (entry,) = findings(drift(example, url, "--format", "json"))
    assert entry["severity"] == "error" and "INC-2026-0998" not in entry["message"]


def test_snapshot_of_an_older_revision_is_stale_gov703(example, tmp_path):
    old = sqlite_at(example, tmp_path / "old.db", BEFORE_HEAD)
    assert govsite("snapshot", str(example), "--database-url", old).returncode == 0
    head = sqlite_at(example, tmp_path / "head.db")
    done = drift(example, head, "--expected-url", head, "--format", "json")
    assert done.returncode == 1
    stale = messages(done, "GOV703")
    assert any(f"records the schema at {BEFORE_HEAD}, but the migrations' head is {HEAD}" in m for m in stale)
    assert any("is stale: a database migrated to head differs from it in 1 object(s): view "
               "tenant_conversion_totals" in m for m in stale)
    assert not messages(done, "GOV701") and not messages(done, "GOV702")
    plain = drift(example, head, "--format", "json")  # the committed snapshot alone says so too
    assert any("records the schema at" in m for m in messages(plain, "GOV703"))


def test_every_report_format_is_valid(sqlite_head):
    example, url = sqlite_head
    sqlite_run(url, "CREATE INDEX ix_tenants_slug_by_hand ON tenants (slug);")
    data = json.loads(drift(example, url, "--format", "json").stdout)
    assert list(data) == ["version", "summary", "findings", "suppressed", "drift"]
    assert data["summary"]["errors"] == 1
    assert list(data["findings"][0]) == ["rule", "name", "severity", "policy", "path", "line", "column", "message"]
    assert data["drift"]["revisions"] == [HEAD] and data["drift"]["heads"] == [HEAD]
    sarif = json.loads(drift(example, url, "--format", "sarif").stdout)
    validate_sarif(sarif)
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["GOV701"]
    github = drift(example, url, "--format", "github").stdout.splitlines()
    assert github[0].startswith("::error file=db/schema/snapshot.json,line=1,col=1,title=GOV701 schema-drift::")
    text = drift(example, url).stdout.splitlines()
    assert text[0].startswith("db/schema/snapshot.json:1:1: GOV701 schema-drift index ix_tenants_slug_by_hand")


def test_output_file_and_severity_configuration(sqlite_head, tmp_path):
    example, url = sqlite_head
    sqlite_run(url, "CREATE INDEX ix_tenants_slug_by_hand ON tenants (slug);")
    config = example / "govsite.toml"
    config.write_text(config.read_text() + '\n[severity]\nGOV701 = "warning"\n')
    out = tmp_path / "drift.json"
    done = drift(example, url, "--format", "json", "--output", str(out))
    assert done.returncode == 0 and done.stdout == ""
    assert json.loads(out.read_text())["summary"]["warnings"] == 1
    assert drift(example, url, "--fail-on", "warning").returncode == 1


def test_without_a_snapshot_drift_says_how_to_make_one(example, tmp_path):
    (example / "db" / "schema" / "snapshot.json").unlink()
    url = sqlite_at(example, tmp_path / "head.db")
    done = drift(example, url)
    assert done.returncode == 2
    assert "db/schema/snapshot.json: no schema snapshot there" in done.stderr


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_head(example, postgresql_server):
    """The example migrated to head on a fresh PostgreSQL database, snapshot written."""
    with pg_database(postgresql_server) as database:
        url = pg_at(example, postgresql_server, database)
        done = govsite("snapshot", str(example), "--database-url", url)
        assert done.returncode == 0, done.stderr
        yield example, url, database


def test_postgresql_database_at_head_compares_clean(pg_head):
    example, url, _ = pg_head
    done = drift(example, url)
    assert done.returncode == 0, done.stdout + done.stderr


def test_postgresql_out_of_band_changes_are_each_named(pg_head, postgresql_server):
    example, url, database = pg_head
    pg_run(postgresql_server, database, """
        CREATE INDEX ix_tenants_slug_by_hand ON tenants (slug);
        ALTER TABLE tenants ADD COLUMN region text;
        ALTER TABLE attribution_events ALTER COLUMN received_at SET DEFAULT '2020-01-01';
        ALTER TABLE conversions DISABLE ROW LEVEL SECURITY;
        DROP POLICY tenant_isolation ON ad_spend;
        CREATE TABLE scratch_copy (id integer);
    """)
    done = drift(example, url, "--format", "json")
    assert done.returncode == 1
    found = messages(done)
    assert len(found) == 6, found
    expected_starts = [
        "index ix_tenants_slug_by_hand on tenants is in the database but no migration makes it",
        "column tenants.region is in the database",
        "column attribution_events.received_at (created by 202510201000",
        "row-level security conversions (created by 202511241000",
        "policy tenant_isolation on ad_spend (created by 202604271100",
        "table scratch_copy is in the database",
    ]
    for start in expected_starts:
        assert any(m.startswith(start) for m in found), (start, found)
    rls = next(m for m in found if m.startswith("row-level security"))
    assert rls.endswith("enabled expected true, found false")
    assert any(m.endswith("is missing from the database") for m in found if m.startswith("policy"))


def test_postgresql_emergency_record_covers_an_index_and_behind_head_is_gov702(example, postgresql_server, tmp_path):
    with pg_database(postgresql_server) as head_db, pg_database(postgresql_server) as behind_db:
        head = pg_at(example, postgresql_server, head_db)
        assert govsite("snapshot", str(example), "--database-url", head).returncode == 0
        behind = pg_at(example, postgresql_server, behind_db, BEFORE_HEAD)
        done = drift(example, behind, "--format", "json")
        assert f"not applied: {HEAD} (202611161000)" in messages(done, "GOV702")[0]

        pg_run(postgresql_server, head_db, "CREATE INDEX ix_campaigns_tenant_by_hand ON campaigns (tenant_id);")
        add_record(example, emergency_record(3, "INC-2026-0997", "CREATE INDEX ix_campaigns_tenant_by_hand"))
        done = drift(example, head, "--format", "json")
        assert done.returncode == 0
        assert [f["severity"] for f in findings(done)] == ["warning"]


def test_postgresql_stale_snapshot_against_a_scratch_database_is_gov703(example, postgresql_server):
    with pg_database(postgresql_server) as old_db, pg_database(postgresql_server) as scratch:
        old = pg_at(example, postgresql_server, old_db, BEFORE_HEAD)
        assert govsite("snapshot", str(example), "--database-url", old).returncode == 0
        head = pg_at(example, postgresql_server, scratch)
        done = drift(example, head, "--expected-url", head, "--format", "json")
        assert done.returncode == 1
        assert any("is stale" in m for m in messages(done, "GOV703"))


def test_comparing_different_databases_kinds_is_a_usage_error(sqlite_head, postgresql_server):
    example, _ = sqlite_head
    with pg_database(postgresql_server) as database:
        url = pg_at(example, postgresql_server, database)
        done = drift(example, url)
    assert done.returncode == 2
    assert "describes a sqlite schema and the database is postgresql" in done.stderr
