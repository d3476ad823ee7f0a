"""Reading Alembic revision files statically: which files, identifiers, operations, comments."""

from __future__ import annotations

import sys
import textwrap

import pytest

from conftest import migration
from generator.config import Config
from generator.model import DowngradeKind
from generator.sources.migrations import parse_migration, read_migrations

PATH = "alembic/versions/a1.py"


def parse(source: str, config: Config = Config(), path: str = PATH):
    """Parse dedented source; fail the test on any finding."""
    result, findings = parse_migration(path, textwrap.dedent(source).lstrip("\n").encode(), config)
    assert findings == [], findings
    return result


def ops(source: str, function: str = "upgrade", **kwargs):
    return [o for o in parse(source, **kwargs).operations if o.function == function]


def body(upgrade: str, downgrade: str = "pass", prelude: str = "") -> str:
    """A small migration with the given bodies; `upgrade` starts on line 8 (+ prelude lines)."""
    return (
        "from alembic import op\n"
        "import sqlalchemy as sa\n"
        'revision = "a1"\n'
        "down_revision = None\n"
        + prelude
        + "\n\ndef upgrade():\n"
        + textwrap.indent(textwrap.dedent(upgrade).strip("\n"), "    ")
        + "\n\n\ndef downgrade():\n"
        + textwrap.indent(textwrap.dedent(downgrade).strip("\n"), "    ")
        + "\n"
    )


# --------------------------------------------------------------------------- which files


def test_default_location_skips_init_and_other_files(make_repo):
    root = make_repo({
        "alembic/versions/a1.py": migration("a1"),
        "alembic/versions/__init__.py": "",
        "alembic/versions/notes.txt": "not python",
        "alembic/env.py": "raise SystemExit('never run')",
    })
    migrations, findings = read_migrations(root, Config())
    assert [m.path for m in migrations] == ["alembic/versions/a1.py"] and findings == []


def test_script_location_from_alembic_ini_with_here(make_repo):
    root = make_repo({
        "alembic.ini": "[alembic]\nscript_location = %(here)s/db/migrations\nfile_template = %%(rev)s_%%(slug)s\n",
        "db/migrations/versions/a1.py": migration("a1"),
        "alembic/versions/ignored.py": migration("zz"),
    })
    migrations, findings = read_migrations(root, Config())
    assert [m.path for m in migrations] == ["db/migrations/versions/a1.py"]
    assert [(f.rule, f.location.path) for f in findings] == [("GOV806", "alembic/versions/ignored.py")]


def test_version_locations_allow_several_directories(make_repo):
    root = make_repo({
        "alembic.ini": "[alembic]\nscript_location = alembic\nversion_locations = %(here)s/svc_a/versions %(here)s/svc_b/versions\n",
        "svc_a/versions/a1.py": migration("a1"),
        "svc_b/versions/b1.py": migration("b1"),
    })
    migrations, findings = read_migrations(root, Config())
    assert sorted(m.path for m in migrations) == ["svc_a/versions/a1.py", "svc_b/versions/b1.py"]
    assert findings == []


def test_alembic_ini_pointing_outside_or_nowhere_is_reported(make_repo):
    root = make_repo({"alembic.ini": "[alembic]\nscript_location = ../elsewhere\n\n[second]\nscript_location = missing\n"})
    _, findings = read_migrations(root, Config())
    assert [(f.rule, f.location.path, f.location.line) for f in findings] == [
        ("GOV802", "alembic.ini", 2), ("GOV802", "alembic.ini", 5), ("GOV805", "alembic.ini", 1)]
    assert "outside the repository" in findings[0].message


def test_unreadable_alembic_ini_is_a_finding_and_the_default_is_used(make_repo):
    root = make_repo({"alembic.ini": "script_location = x\n", "alembic/versions/a1.py": migration("a1")})
    migrations, findings = read_migrations(root, Config())
    assert [m.revision for m in migrations] == ["a1"]
    assert [(f.rule, f.location.path, f.location.line) for f in findings] == [("GOV802", "alembic.ini", 1)]


def test_configured_globs_and_directories(make_repo):
    root = make_repo({
        "services/billing/migrations/a1.py": migration("a1"),
        "services/crm/versions/c1.py": migration("c1"),
        "services/crm/versions/__init__.py": "",
    })
    config = Config(migrations=("services/billing/migrations", "services/*/versions/*.py"))
    migrations, findings = read_migrations(root, config)
    assert sorted(m.revision for m in migrations) == ["a1", "c1"] and findings == []


# --------------------------------------------------------------------------- identifiers


def test_plain_revision_assignments():
    m = parse(migration("a1", "a0"))
    assert (m.revision, m.down_revisions, m.branch_labels, m.depends_on) == ("a1", ("a0",), (), ())
    assert (m.revision_line, m.down_revision_line) == (13, 14)


def test_annotated_merge_branch_labels_and_depends_on():
    m = parse('''
        from typing import Sequence, Union
        revision: str = "m1"
        down_revision: Union[str, Sequence[str], None] = ("a1", "b1")
        branch_labels: Union[str, Sequence[str], None] = "reporting"
        depends_on: Union[str, Sequence[str], None] = ["x1", "y1"]
        def upgrade() -> None:
            pass
        def downgrade() -> None:
            pass
    ''')
    assert m.revision == "m1" and m.down_revisions == ("a1", "b1") and m.is_merge
    assert m.branch_labels == ("reporting",) and m.depends_on == ("x1", "y1")
    assert (m.revision_line, m.down_revision_line) == (2, 3)


def test_list_merge_and_root():
    assert parse('revision = "m"\ndown_revision = ["a", "b"]\n').down_revisions == ("a", "b")
    assert parse('revision = "r"\ndown_revision = None\n').down_revisions == ()


def test_alembic_docstring_is_a_fallback_only():
    doc = '"""Add note\n\nRevision ID: docrev\nRevises: p1, p2\nCreate Date: 2026-01-01\n"""\n'
    m = parse(doc + "def upgrade():\n    pass\n")
    assert (m.revision, m.down_revisions, m.revision_line, m.down_revision_line) == ("docrev", ("p1", "p2"), 3, 4)
    m = parse(doc + 'revision = "assigned"\ndown_revision = "p0"\n')
    assert (m.revision, m.down_revisions) == ("assigned", ("p0",))


def test_computed_revision_is_a_finding():
    m, findings = parse_migration(PATH, b'import os\nrevision = os.environ["REV"]\ndown_revision = None\n', Config())
    assert m is None
    assert [(f.rule, f.location.line) for f in findings] == [("GOV802", 2), ("GOV802", 1)]
    assert "no revision identifier" in findings[1].message


def test_missing_down_revision_is_reported_and_read_as_root():
    m, findings = parse_migration(PATH, b'revision = "a1"\n', Config())
    assert m.down_revisions == ()
    assert [(f.rule, f.location.line) for f in findings] == [("GOV802", 1)]


# --------------------------------------------------------------------------- header, docstring


def test_header_from_docstring():
    m = parse(migration("a1"))
    assert m.header.get("RISK_LEVEL") == "Low" and m.header.field("MIGRATION_ID").line == 3
    assert m.docstring.startswith("Migration Metadata")


def test_header_written_in_comments_is_read_and_marked_by_a_missing_docstring():
    m = parse('''
        # MIGRATION_ID: 202601010001
        # TITLE: Add note
        # ROLLBACK_STRATEGY: drop the column
        #     again
        """Add note."""
        from alembic import op
        # RISK_LEVEL: High   (below the code: not part of the header)
        revision = "a1"
        down_revision = None
    ''')
    assert m.docstring is None
    assert m.header.as_dict() == {
        "MIGRATION_ID": "202601010001", "TITLE": "Add note", "ROLLBACK_STRATEGY": "drop the column again"}
    assert m.header.line == 1


def test_no_header():
    m = parse('"""Add note to accounts."""\nrevision = "a1"\ndown_revision = None\n')
    assert m.header is None and m.docstring == "Add note to accounts."


# --------------------------------------------------------------------------- operations


def test_operation_lines_columns_and_arguments():
    (add, drop) = ops(body('''
        op.add_column("accounts", sa.Column("note", sa.Text(), nullable=True))
        op.drop_column(
            "accounts",
            column_name="legacy",
        )
    '''))
    assert (add.kind, add.call, add.table, add.target, add.line, add.end_line, add.column) == (
        "add_column", "op.add_column", "accounts", "note", 8, 8, 5)
    assert (drop.kind, drop.table, drop.target, drop.line, drop.end_line) == ("drop_column", "accounts", "legacy", 9, 12)
    assert drop.arguments == (("0", '"accounts"'), ("column_name", '"legacy"'))


def test_index_and_constraint_targets():
    operations = ops(body('''
        op.create_index(op.f("ix_a_b"), "a", ["b"], unique=True)
        op.drop_index("ix_old", table_name="a")
        op.drop_constraint("fk_a_c", "a", type_="foreignkey")
        op.create_foreign_key("fk_a_d", "a", "d", ["d_id"], ["id"])
        op.rename_table("a", "b")
    '''))
    assert [(o.kind, o.table, o.target) for o in operations] == [
        ("create_index", "a", "ix_a_b"), ("drop_index", "a", "ix_old"), ("drop_constraint", "a", "fk_a_c"),
        ("create_foreign_key", "a", "fk_a_d"), ("rename_table", "a", "b")]


def test_batch_operations_take_the_table_of_their_batch():
    operations = ops(body('''
        with op.batch_alter_table("accounts", schema="crm") as batch_op:
            batch_op.drop_column("legacy")
            batch_op.alter_column("name", nullable=False)
        with op.batch_alter_table("orders") as b:
            b.drop_constraint("fk_orders_user", type_="foreignkey")
    '''))
    assert [(o.kind, o.call, o.table, o.target, o.line) for o in operations] == [
        ("drop_column", "batch_op.drop_column", "accounts", "legacy", 9),
        ("alter_column", "batch_op.alter_column", "accounts", "name", 10),
        ("drop_constraint", "b.drop_constraint", "orders", "fk_orders_user", 12)]


def test_batch_naming_marker_gives_the_name_inside_it():
    """Autogenerate writes `batch_op.f("ix_...")` in batch blocks as it writes `op.f` outside."""
    operations = ops(body('''
        with op.batch_alter_table("plans", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_plans_user_id"), ["user_id"], unique=False)
            batch_op.drop_constraint(batch_op.f("fk_plans_user"), type_="foreignkey")
        with op.batch_alter_table("orders") as b:
            b.create_index(b.f("ix_orders_ref"), ["ref"])
        naming = make_naming()
        op.create_index(naming.f("ix_other"), "orders", ["x"])
    '''))
    assert [(o.kind, o.table, o.target) for o in operations] == [
        ("create_index", "plans", "ix_plans_user_id"), ("drop_constraint", "plans", "fk_plans_user"),
        ("create_index", "orders", "ix_orders_ref"),
        ("create_index", "orders", None)]  # `.f` of anything else is not Alembic's marker


def test_loops_conditions_and_try_blocks_are_entered():
    operations = ops(body('''
        for name in ("legacy_a", "legacy_b"):
            op.drop_table(name)
        if op.get_bind().dialect.name == "postgresql":
            op.execute("DROP INDEX CONCURRENTLY ix_a")
        else:
            op.drop_index("ix_a")
        try:
            op.drop_column("t", "c")
        except Exception:
            op.drop_column("t", "d")
        while False:
            op.drop_table("never")
    '''))
    summary = [(o.kind, o.table or o.target, o.line, o.in_loop, o.conditional) for o in operations]
    assert summary == [
        ("drop_table", "legacy_a", 9, True, False),
        ("drop_table", "legacy_b", 9, True, False),
        ("drop_index", "ix_a", 11, False, True),
        ("drop_index", "ix_a", 13, False, True),
        ("drop_column", "t", 15, False, False),
        ("drop_column", "t", 17, False, True),
        ("drop_table", "never", 19, True, False),
    ]
    assert operations[0].argument("loop") == '("legacy_a", "legacy_b")'


def test_loop_over_unknown_items_is_walked_once():
    (operation,) = ops(body('''
        for name in get_names():
            op.drop_table(name)
    '''))
    assert operation.in_loop and operation.table is None and operation.argument("loop") == "get_names()"


def test_helpers_in_the_same_file_are_followed_with_their_arguments():
    source = body('''
        _drop_all(["a", "b"])
        _retire("c")
    ''', downgrade="_retire('z')", prelude='''
def _drop_all(tables):
    for table in tables:
        _retire(table)


def _retire(table, cascade=False):
    op.drop_table(table)
    _recurse()


def _recurse():
    _recurse()
    op.execute("SELECT 1")
''')
    m = parse(source)
    upgrade = [(o.kind, o.table, o.via_helper, o.in_loop) for o in m.upgrade_operations()]
    assert upgrade == [
        ("drop_table", "a", "_retire", True), ("select", None, "_recurse", True),
        ("drop_table", "b", "_retire", True),
        ("drop_table", "c", "_retire", False), ("select", None, "_recurse", False),
    ]
    assert [(o.table, o.function) for o in m.downgrade_operations() if o.kind == "drop_table"] == [("z", "downgrade")]


def test_functions_defined_inside_upgrade_are_followed_when_called():
    operations = ops(body('''
        def inner():
            op.drop_table("x")
        inner()
    '''))
    assert [(o.kind, o.table, o.via_helper, o.line) for o in operations] == [("drop_table", "x", "inner", 9)]


def test_comprehensions_count_as_loops():
    (operation,) = ops(body('[op.drop_table(t) for t in ("a", "b")]'))
    assert operation.in_loop and operation.kind == "drop_table"


def test_downgrade_operations_are_marked():
    m = parse(migration("a1"))
    assert [(o.kind, o.function) for o in m.operations] == [("add_column", "upgrade"), ("drop_column", "downgrade")]


# --------------------------------------------------------------------------- raw SQL


@pytest.mark.parametrize(
    "call, kind, table",
    [
        ('op.execute("DROP TABLE legacy")', "drop_table", "legacy"),
        ('op.execute(sa.text("ALTER TABLE t DROP c"))', "drop_column", "t"),
        ('op.execute(text("TRUNCATE t"))', "truncate", "t"),
        ('op.execute(sqltext="DELETE FROM t")', "delete", "t"),
        ('op.execute("DROP TABLE " "legacy")', "drop_table", "legacy"),
        ('op.execute("DROP TABLE " + TABLE)', "drop_table", "legacy"),
        ('op.execute(DROP_SQL)', "drop_table", "legacy"),
        ('op.execute("DROP TABLE %s" % TABLE)', "drop_table", "legacy"),
        ('op.execute("DROP TABLE %(t)s CASCADE" % {"t": TABLE})', "drop_table", "legacy"),
        ('op.execute("DROP TABLE {}".format(TABLE))', "drop_table", "legacy"),
        ('op.execute("DROP TABLE {name}".format(name=TABLE))', "drop_table", "legacy"),
        ('op.execute(f"DROP TABLE {TABLE}")', "drop_table", "legacy"),
        ('op.execute(textwrap.dedent("""\n        DROP TABLE legacy\n    """))', "drop_table", "legacy"),
        ('op.get_bind().execute(sa.text("DROP TABLE legacy"))', "drop_table", "legacy"),
        ('op.get_context().connection.execute(sa.text("DROP TABLE legacy"))', "drop_table", "legacy"),
        ('op.execute(sa.text("DROP TABLE legacy").execution_options(autocommit=True))', "drop_table", "legacy"),
        ('op.execute(accounts.delete().where(accounts.c.id == 1))', "delete", "accounts"),
        ('op.execute(sa.schema.DropTable(sa.table("legacy")))', "drop_table", "legacy"),
    ],
)
def test_sql_is_resolved_statically(call, kind, table):
    prelude = 'import textwrap\nfrom sqlalchemy import text\nTABLE = "legacy"\nDROP_SQL = "DROP TABLE " + TABLE\naccounts = sa.table("accounts", sa.column("id"))\n'
    (operation,) = ops(body(call, prelude=prelude))
    assert (operation.kind, operation.table, operation.dynamic) == (kind, table, False)
    assert operation.sql is not None and operation.line == 13


@pytest.mark.parametrize(
    "call, kind, prefix",
    [
        ('op.execute(f"DROP TABLE {name}")', "drop_table", "DROP TABLE "),
        ('op.execute("DROP TABLE " + name)', "drop_table", "DROP TABLE "),
        ('op.execute("ALTER TABLE t DROP COLUMN %s" % name)', "drop_column", "ALTER TABLE t DROP COLUMN "),
        ('op.execute("TRUNCATE {}".format(name))', "truncate", "TRUNCATE "),
        ("op.execute(name)", "dynamic", ""),
        ("op.execute(build_sql())", "dynamic", ""),
    ],
)
def test_sql_that_is_not_known_statically_is_dynamic(call, kind, prefix):
    (operation,) = ops(body(f"name = pick()\n{call}"))
    assert (operation.kind, operation.dynamic, operation.sql.text) == (kind, True, prefix)


def test_bind_held_in_a_variable_runs_sql():
    operations = ops(body('''
        conn = op.get_bind()
        conn.execute(sa.text("DROP TABLE a"))
        bind = op.get_context().bind
        bind.exec_driver_sql("TRUNCATE b")
        with op.get_context().autocommit_block():
            op.execute("DROP INDEX CONCURRENTLY ix_c")
    '''))
    assert [(o.kind, o.call, o.line) for o in operations] == [
        ("drop_table", "conn.execute", 9), ("truncate", "bind.exec_driver_sql", 11), ("drop_index", "op.execute", 13)]


def test_several_statements_in_one_execute_are_several_operations():
    operations = ops(body('''
        op.execute("""
            SET LOCAL lock_timeout = '5s';
            ALTER TABLE accounts DROP COLUMN legacy;  -- gone
            DROP TABLE accounts_archive;
        """)
    '''))
    assert [(o.kind, o.table, o.line, o.end_line) for o in operations] == [
        ("other", None, 8, 12), ("drop_column", "accounts", 8, 12), ("drop_table", "accounts_archive", 8, 12)]


def test_unparseable_sql_carries_its_error():
    (operation,) = ops(body('op.execute("DROP TABLEE x")'))
    assert operation.kind == "other" and operation.sql.error


def test_sql_dialect_comes_from_configuration():
    (operation,) = ops(body('op.execute("ALTER TABLE t DROP COLUMN c")'), config=Config(sql_dialect="mysql"))
    assert operation.kind == "drop_column" and operation.sql.parser == "sqlglot"


def test_imported_application_helpers_are_recorded_not_followed():
    operations = ops(body('''
        helpers.drop_legacy_tables(op)
        retire("accounts")
        op.add_column("t", sa.Column("c", app_types.Money()))
    ''', prelude="from app.db import helpers\nfrom app.db.cleanup import retire\nimport app.types as app_types\n"))
    assert [(o.kind, o.call, o.target) for o in operations] == [
        ("external_call", "helpers.drop_legacy_tables", "app.db.helpers.drop_legacy_tables"),
        ("external_call", "retire", "app.db.cleanup.retire"),
        ("add_column", "op.add_column", "c"),
    ]
    assert "app" not in sys.modules


# --------------------------------------------------------------------------- comments


def test_comments_bypasses_and_suppressions():
    m = parse(body('''
        # govsite: disable=GOV505
        op.drop_table("legacy")  # CI:DESTRUCTIVE_OK - ADR-015 retired in 2025
        op.execute("SELECT '# not a comment'")  # govsite: disable=GOV803, GOV201
    '''))
    assert [(c.line, c.column, c.text) for c in m.comments] == [
        (8, 5, "govsite: disable=GOV505"),
        (9, 30, "CI:DESTRUCTIVE_OK - ADR-015 retired in 2025"),
        (10, 45, "govsite: disable=GOV803, GOV201")]
    (bypass,) = m.bypasses
    assert (bypass.line, bypass.adr_refs, bypass.justification) == (9, ("ADR-015",), "retired in 2025")
    assert m.suppressions == (("GOV505", 0), ("GOV803", 10), ("GOV201", 10))


def test_statement_spans_cover_statements_and_block_headers():
    m = parse(body('''
        with op.batch_alter_table(
            "accounts"
        ) as batch_op:
            batch_op.drop_column(
                "legacy"
            )
    '''))
    assert (8, 10) in m.statement_spans and (11, 13) in m.statement_spans
    (operation,) = m.upgrade_operations()
    assert (operation.line, operation.end_line) == (11, 13)


def test_crlf_and_bom_keep_lines():
    source = body('op.drop_table("a")  # CI:DESTRUCTIVE_OK ADR-1 gone').replace("\n", "\r\n")
    m, findings = parse_migration(PATH, b"\xef\xbb\xbf" + source.encode(), Config())
    assert findings == []
    assert m.upgrade_operations()[0].line == 8 and m.bypasses[0].line == 8


def test_non_ascii_source_keeps_character_columns():
    m = parse(body('op.execute("UPDATE t SET note = \'café\'")  # CI:DESTRUCTIVE_OK ADR-2 café'))
    assert m.comments[0].column == 47
    assert m.upgrade_operations()[0].arguments == (("0", '"UPDATE t SET note = \'café\'"'),)


# --------------------------------------------------------------------------- downgrade


@pytest.mark.parametrize(
    "downgrade, kind",
    [
        ('op.drop_column("t", "c")', DowngradeKind.REVERSIBLE),
        ("pass", DowngradeKind.EMPTY),
        ('"""Nothing to undo."""\npass', DowngradeKind.EMPTY),
        ("...", DowngradeKind.EMPTY),
        ('"""Forward only."""\nraise NotImplementedError("forward only")', DowngradeKind.RAISES),
        ("raise RuntimeError", DowngradeKind.RAISES),
    ],
)
def test_downgrade_kinds(downgrade, kind):
    m = parse(body("pass", downgrade=downgrade))
    assert m.downgrade == kind and m.downgrade_line == 11 and m.upgrade_line == 7


def test_missing_downgrade():
    m = parse('revision = "a1"\ndown_revision = None\ndef upgrade():\n    pass\n')
    assert m.downgrade == DowngradeKind.MISSING and m.downgrade_line is None


# --------------------------------------------------------------------------- hostile input


def findings_for(data: bytes):
    result, findings = parse_migration(PATH, data, Config())
    assert result is None
    return [(f.rule, f.location.path, f.location.line, f.location.column) for f in findings], findings


def test_syntax_error_points_at_its_line():
    found, _ = findings_for(b'revision = "a1"\n\ndef upgrade(:\n    pass\n')
    assert found == [("GOV802", PATH, 3, 13)]


def test_invalid_utf8_points_at_the_bad_byte():
    found, findings = findings_for(b'revision = "a1"\n# caf\xe9\n')
    assert found == [("GOV802", PATH, 2, 6)] and "UTF-8" in findings[0].message


def test_empty_and_blank_files():
    for data in (b"", b"\n\n   \n"):
        found, findings = findings_for(data)
        assert found == [("GOV802", PATH, 1, 1)] and "empty file" in findings[0].message


def test_nul_bytes_anywhere():
    assert findings_for(b"revision = 'a'\x00\n")[0] == [("GOV802", PATH, 1, 1)]
    late = b'revision = "a1"\n' + b"# padding\n" * 1000 + b"x = 1\x00\n"
    assert findings_for(late)[0] == [("GOV802", PATH, 1002, 1)]


def test_huge_file_is_refused_with_a_finding():
    data = b'revision = "a1"\ndown_revision = None\n' + b"# filler line\n" * (5 * 1024 * 1024 // 14)
    found, findings = findings_for(data)
    assert found == [("GOV802", PATH, 1, 1)] and "bytes" in findings[0].message


@pytest.mark.parametrize(
    "expression",
    ["(" * 300 + "1" + ")" * 300, "-" * 200_000 + "1", "+".join(["a"] * 200_000), "a" + ".b" * 100_000],
)
def test_deeply_nested_expressions_are_findings_not_crashes(expression):
    found, _ = findings_for(f'revision = "a1"\nx = {expression}\n'.encode())
    assert found and found[0][:2] == ("GOV802", PATH)


def test_long_but_parseable_concatenation_is_read():
    parts = " + ".join(['"x"'] * 900)
    m, findings = parse_migration(PATH, body(f'op.execute("SELECT " + {parts})').encode(), Config())
    assert m is not None and m.upgrade_operations()[0].kind == "select"


def test_file_without_revision_is_not_a_migration():
    found, findings = findings_for(b"import os\n\ndef helper():\n    return 1\n")
    assert found == [("GOV802", PATH, 1, 1)] and "no revision identifier" in findings[0].message


def test_read_migrations_reports_each_bad_file_and_keeps_the_good_ones(make_repo):
    root = make_repo({
        "alembic/versions/good.py": migration("a1"),
        "alembic/versions/broken.py": "def upgrade(:\n",
        "alembic/versions/latin1.py": b"# \xff\n",
        "alembic/versions/empty.py": "",
    })
    migrations, findings = read_migrations(root, Config())
    assert [m.path for m in migrations] == ["alembic/versions/good.py"]
    assert sorted((f.location.path, f.location.line) for f in findings) == [
        ("alembic/versions/broken.py", 1), ("alembic/versions/empty.py", 1), ("alembic/versions/latin1.py", 1)]


def test_migration_code_is_never_executed(make_repo, tmp_path):
    marker = tmp_path / "executed.txt"
    hostile = f'''
        """MIGRATION_ID: 1"""
        import os
        open({str(marker)!r}, "w").write("module ran")
        os.system("touch {marker}.shell")
        from alembic import op
        revision = "a1"
        down_revision = None

        def upgrade():
            open({str(marker)!r}, "w").write("upgrade ran")
            op.drop_table("x")

        raise SystemExit("never")
    '''
    root = make_repo({"alembic/versions/a1.py": hostile})
    migrations, findings = read_migrations(root, Config())
    assert findings == [] and migrations[0].upgrade_operations()[0].kind == "drop_table"
    assert not marker.exists() and not (tmp_path / "executed.txt.shell").exists()
    assert not any("a1" == name or name.endswith(".a1") for name in sys.modules)


def test_each_call_is_recorded_once():
    m = parse(body('''
        helpers.archive("a")
        globals()["upgrade_%s" % "pg"]()
    ''', prelude="from app import helpers\n\n\ndef upgrade_pg():\n    op.drop_table('x')\n"))
    assert [(o.kind, o.line) for o in m.upgrade_operations()] == [("external_call", 13), ("drop_table", 9)]


def test_nested_literal_loops_and_helper_fan_out_stay_bounded():
    items = ", ".join(f'"t{j}"' for j in range(50))
    loops = "".join("    " * (i + 1) + f"for v{i} in [{items}]:\n" for i in range(20))
    source = 'revision = "a1"\ndown_revision = None\ndef upgrade():\n' + loops + "    " * 21 + "op.drop_table(v0)\n"
    m, findings = parse_migration(PATH, source.encode(), Config())
    assert findings == [] and {o.table for o in m.operations} == {f"t{j}" for j in range(50)}
    helpers = "".join(f"def h{i}():\n    h{i + 1}()\n    h{i + 1}()\n    op.drop_table('t{i}')\n" for i in range(60))
    m, findings = parse_migration(PATH, f'revision = "a1"\n{helpers}def upgrade():\n    h0()\n'.encode(), Config())
    assert m is not None and 0 < len(m.operations) <= 60


def test_comments_inside_a_very_long_statement_are_all_found():
    source = 'revision = "a1"\ndown_revision = None\nNAMES = [\n' + '    "a",  # note\n' * 5000 + "]\n"
    m, findings = parse_migration(PATH, source.encode(), Config())
    assert findings == [] and len(m.comments) == 5000 and m.comments[-1].line == 5003


def test_what_the_rules_need_from_arguments_is_recorded_when_the_file_is_read():
    """Columns, foreign keys and types are facts on the operation: a migration served from the
    cache carries them as a cold read does, and no rule parses an argument's text again."""
    from generator.model import ColumnSpec, ColumnType

    source = body(
        '''
        op.create_table(
            "events",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("account_id", sa.ForeignKey("billing.accounts.id"), nullable=False,
                      server_default=None),
            sa.Column(name_from_elsewhere, sa.Text(), nullable=(flag := False)),
        )
        op.create_foreign_key("fk", "events", "channels", ["channel_id"], ["id"])
        op.alter_column("events", "kind", type_=sa.String(20), existing_type=sa.Text())
        op.alter_column("events", "n", type_=sa.Numeric(), existing_type=custom_type())
        for column in [sa.Column("a", sa.Integer(), nullable=False)]:
            op.add_column("events", column)
        '''
    )
    create, fk, kind, number, loop = parse(source).operations
    assert create.columns == (
        ColumnSpec("id"), ColumnSpec("account_id", False, True), ColumnSpec(None, None, False),
    )
    assert create.foreign_key and create.references == ("billing.accounts",)
    assert fk.references == ("channels",) and not fk.foreign_key and fk.columns == ()
    assert (kind.type_, kind.existing_type) == (ColumnType("string", 20), ColumnType("string", None))
    assert (number.type_, number.existing_type) == (ColumnType("numeric", None, None), None)
    assert loop.columns == (ColumnSpec("a", False),) and loop.argument("loop")
