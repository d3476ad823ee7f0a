"""Hostile and tricky input for the safety gate (GOV611-GOV618) and the wider destructive list.

Each test reproduces a way the gate could be fooled, crash, or cost more than reading the file.
"""

from __future__ import annotations

from conftest import assert_grows_linearly, govsite, migration

from generator.config import Config
from generator.model import Migration, Operation
from generator.rules import run_rules
from generator.rules.helpers import safety_issues
from generator.sources import load_repository


def findings_of(make_repo, upgrade: str, extra: str = "", codes=None):
    root = make_repo({"alembic/versions/a1.py": migration("a1", upgrade=upgrade, extra=extra)})
    config = Config()
    found = run_rules(load_repository(root, config, with_history=False), config)
    return [f for f in found if codes is None or f.rule in codes]


def test_a_string_server_default_is_a_literal_not_a_volatile_call(make_repo):
    """`server_default="gen_random_uuid()"` stores that text; only sa.text(...) is SQL."""
    upgrade = 'op.add_column("events", sa.Column("ref", sa.Text(), server_default="gen_random_uuid()"))'
    assert findings_of(make_repo, upgrade, codes={"GOV618"}) == []


def test_a_volatile_name_inside_a_sql_string_literal_is_not_a_call(make_repo):
    upgrade = """op.execute("ALTER TABLE events ADD COLUMN note text DEFAULT 'random()'")"""
    assert findings_of(make_repo, upgrade, codes={"GOV618"}) == []


def test_concurrently_that_is_not_literally_true_still_counts_as_a_plain_build(make_repo):
    upgrade = """
        with op.get_context().autocommit_block():
            op.create_index("ix_a", "events", ["a"], postgresql_concurrently=os.environ.get("FAST"))
    """
    found = findings_of(make_repo, upgrade, extra="import os\n", codes={"GOV612"})
    assert [f.rule for f in found] == ["GOV612"] and "without CONCURRENTLY" in found[0].message


def test_an_unknown_table_counts_as_existing_and_the_message_names_none(make_repo):
    upgrade = """
        for table in tables_from_settings():
            op.alter_column(table, "tenant_id", nullable=False)
    """
    found = findings_of(make_repo, upgrade, codes={"GOV616"})
    assert len(found) == 1
    assert found[0].message.startswith("op.alter_column sets column 'tenant_id' NOT NULL")
    assert "None" not in found[0].message


def test_an_index_built_in_a_helper_outside_the_autocommit_block_is_flagged(make_repo):
    """The block marks what runs inside it, not the helper's definition."""
    extra = """
def build():
    op.create_index("ix_a", "events", ["a"], postgresql_concurrently=True)
"""
    upgrade = """
        with op.get_context().autocommit_block():
            pass
        build()
    """
    found = findings_of(make_repo, upgrade, extra=extra, codes={"GOV612"})
    assert [f.rule for f in found] == ["GOV612"] and "outside" in found[0].message


def test_a_validate_after_the_set_not_null_does_not_excuse_it(make_repo):
    upgrade = """
        op.alter_column("events", "tenant_id", nullable=False)
        op.execute("ALTER TABLE events VALIDATE CONSTRAINT events_tenant_nn")
    """
    assert [f.rule for f in findings_of(make_repo, upgrade, codes={"GOV616"})] == ["GOV616"]


def test_a_table_created_in_the_downgrade_does_not_make_the_upgrade_safe(make_repo):
    root = make_repo({"alembic/versions/a1.py": migration(
        "a1",
        upgrade='op.create_index("ix_a", "events", ["a"])',
        downgrade='op.create_table("events", sa.Column("a", sa.Integer()))',
    )})
    found = run_rules(load_repository(root, Config(), with_history=False), Config())
    assert [f.rule for f in found if f.rule.startswith("GOV61")] == ["GOV612"]


def test_dropping_a_view_of_an_existing_name_after_creating_a_table_of_another_is_destructive(make_repo):
    upgrade = """
        op.execute("CREATE TABLE reports (id int)")
        op.execute("DROP VIEW report_totals")
    """
    assert [f.rule for f in findings_of(make_repo, upgrade, codes={"GOV201"})] == ["GOV201"]


def test_dynamic_ddl_is_left_to_gov803_not_guessed_by_the_gate(make_repo):
    upgrade = 'op.execute(f"CREATE INDEX ix_{name} ON events ({name})")'
    found = findings_of(make_repo, upgrade, extra='name = input()\n')
    assert {f.rule for f in found} & {"GOV612", "GOV803"} == {"GOV803"}


def test_many_set_not_null_statements_cost_linear_time():
    """One scan of the function, not one per statement: a generated migration with thousands
    of `alter_column(nullable=False)` must not be quadratic."""

    def built(n: int) -> Migration:
        ops = tuple(
            Operation(kind="alter_column", call="op.alter_column", function="upgrade", line=i + 1,
                      end_line=i + 1, column=5, table=f"t{i}", target="c",
                      arguments=(("0", f'"t{i}"'), ("1", '"c"'), ("nullable", "False")))
            for i in range(n)
        )
        return Migration(path="a.py", revision="a", down_revisions=(), operations=ops)

    small = 2000
    migrations = {n: built(n) for n in (small, 4 * small)}  # built outside the timing

    def work(n: int) -> None:
        assert len(safety_issues(migrations[n])) == n

    assert_grows_linearly(work, small, repeats=3)


def test_a_huge_server_default_expression_neither_crashes_nor_hangs(make_repo):
    nested = "sa.func.coalesce(" * 300 + "sa.text('1')" + ")" * 300
    upgrade = f'op.add_column("events", sa.Column("n", sa.Integer(), server_default={nested}))'
    assert findings_of(make_repo, upgrade, codes={"GOV618"}) == []


def test_validate_reports_a_safety_warning_without_failing_and_fails_when_raised(make_repo):
    root = make_repo({"alembic/versions/a1.py": migration("a1", upgrade='op.rename_table("a", "b")')})
    result = govsite("validate", str(root))
    assert result.returncode == 0, result.stderr
    assert "GOV614 rename-breaks-running-code" in result.stdout and "Traceback" not in result.stderr
    (root / "govsite.toml").write_text('[severity]\nGOV614 = "error"\n')
    result = govsite("validate", str(root))
    assert result.returncode == 1 and "Traceback" not in result.stderr
