"""The migration reader never drops a file for Python it does not follow.

Whatever `upgrade()` holds, the file's revision, header and other operations are read; a
statement the walk cannot follow is one GOV802 at that statement's line. Also: dialect branches
(`if bind.dialect.name == "mysql":`), the SQL read in them, and the replacement of a dropped
index or constraint under the same name.
"""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.config import Config
from generator.sources import migration_ops
from generator.sources.migrations import parse_migration

PATH = "alembic/versions/a1.py"


def source(upgrade: str, prelude: str = "") -> str:
    """A migration whose `upgrade()` holds `upgrade` and then one sentinel drop."""
    return (
        '"""Odd upgrade\n\nRevision ID: a1\n"""\n'
        "from alembic import op\n"
        "import sqlalchemy as sa\n"
        "from app.logging import get_logger, get_store\n"
        + prelude
        + 'revision = "a1"\n'
        "down_revision = None\n\n\n"
        "def upgrade():\n"
        + textwrap.indent(textwrap.dedent(upgrade).strip("\n"), "    ")
        + '\n    op.drop_table("sentinel")\n\n\n'
        "def downgrade():\n    pass\n"
    )


def read(text: str, config: Config = Config()):
    return parse_migration(PATH, text.encode(), config)


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


# --------------------------------------------------------------------------- calls on calls


@pytest.mark.parametrize(
    "statement",
    [
        'get_logger().info("moving rows")',
        'get_store().delete("cache")',
        'get_logger()().info("x")',
        'get_logger().handlers[0].flush()',
        'get_store()["k"].delete()',
        '(lambda: get_logger())().info("x")',
        'get_logger().child("a").child("b").info("x")',
        'op.get_bind().execute(sa.text("UPDATE accounts SET note = NULL"))',
        'op.get_context().connection.execute(sa.text("SELECT 1"))',
        'op.get_bind().execute("SELECT 1").fetchall()[0].keys()',
    ],
)
def test_a_call_on_a_call_result_is_read_with_the_rest_of_the_file(statement):
    text = source(statement)
    migration, findings = read(text)
    assert findings == [], findings
    assert migration is not None and migration.revision == "a1"
    assert any(o.kind == "drop_table" and o.table == "sentinel" for o in migration.operations)


def test_a_call_on_an_imported_function_result_names_the_function():
    migration, _ = read(source('get_logger().info("moving rows")'))
    calls = [o.target for o in migration.operations if o.kind == "external_call"]
    assert "app.logging.get_logger().info" in calls


# --------------------------------------------------------------------------- one bad statement


def test_an_internal_error_in_one_statement_is_a_gov802_at_that_line_and_the_rest_is_read(monkeypatch):
    """Reproduction: any reader bug in one statement used to drop the whole file."""
    real = migration_ops.OperationWalker._external

    def broken(self, call, text, frame, span):
        if text.startswith("get_store"):
            raise KeyError("walker bug")
        return real(self, call, text, frame, span)

    monkeypatch.setattr(migration_ops.OperationWalker, "_external", broken)
    text = source(
        """
        op.add_column("accounts", sa.Column("note", sa.Text()))
        get_store().delete("cache")
        op.drop_column("accounts", "legacy")
        """
    )
    migration, findings = read(text)
    assert migration is not None and migration.revision == "a1" and migration.docstring
    assert [(f.rule, f.location.line) for f in findings] == [("GOV802", line_of(text, "get_store().delete"))]
    assert "KeyError" in findings[0].message and "rest of the file was read" in findings[0].message
    kinds = [o.kind for o in migration.operations]
    assert kinds == ["add_column", "drop_column", "drop_table"]


def test_an_internal_error_inside_a_loop_is_reported_once(monkeypatch):
    def broken(self, call, *args):
        raise ValueError("cannot follow")

    monkeypatch.setattr(migration_ops.OperationWalker, "_execute", broken)
    text = source(
        """
        for name in ["a", "b", "c"]:
            op.execute("UPDATE " + name + " SET x = 1")
        """
    )
    migration, findings = read(text)
    assert migration is not None
    assert [(f.rule, f.location.line) for f in findings] == [("GOV802", line_of(text, "op.execute"))]


# --------------------------------------------------------------------------- odd Python forms

ODD_FORMS = [
    'if (name := get_logger()) is not None:\n    name.info("x")',
    'match get_store().kind():\n    case "a":\n        op.drop_column("t", "a")\n    case [x, *rest]:\n        pass\n    case {"k": v}:\n        pass\n    case _:\n        pass',
    "async def helper():\n    async with get_store() as s:\n        await s.delete()\n    async for row in get_store().rows():\n        yield row",
    "@get_logger().wrap\n@staticmethod\ndef decorated():\n    get_store().delete()",
    "first, *rest = get_store().keys()",
    'op.execute(*["SELECT 1"])',
    'op.add_column(**{"table_name": "t", "column": sa.Column("c", sa.Text())})',
    "def nested():\n    def inner():\n        return get_logger()().info()\n    return inner\nnested()()",
    "[get_store().delete(k) for k in get_store().keys() if k]",
    "{k: get_logger().level for k in range(3)}",
    "list(x for x in (get_store().a().b() for _ in range(2)))",
    'op.execute(f"UPDATE {get_store().name()} SET a = {1 + 2!r:>{width}}")',
    'print(f"{get_logger()=}")',
    "lambda: get_store().delete()",
    "get_store().rows()[1:2][::-1]",
    "(yield get_store())",
    "global counter\ncounter = get_logger()",
    "with get_store() as (a, b), open('f') as c:\n    a.b().c()",
    "try:\n    op.drop_column('t', 'c')\nexcept* ValueError:\n    get_logger().error('x')",
    "class Local:\n    x = get_store().delete()",
    "del get_store()[0]",
    "assert get_store().ok(), get_logger().info('bad')",
    "raise get_logger().error('x') from None",
    "x: int = get_store().count()",
    "x = y = get_store().count().real",
    "a[get_store().key()] = b.c()[0]",
    "x += get_store().count()",
    "await get_store().close()",
    "op.execute(sa.text(f'DROP TABLE {get_store().name()}'))",
    "globals()['upgrade_%s' % 'x']()",
    "getattr(op, 'drop_' + 'table')('t')",
    "(op.drop_table if True else op.drop_column)('t')",
    "op.batch_alter_table('t').__enter__().drop_column('c')",
    "with op.batch_alter_table('t') as batch_op:\n    batch_op.alter_column('c').x().y()",
    "for (a, b) in get_store().items():\n    op.drop_column(a, b)",
    "while get_store().more():\n    get_store().next()\nelse:\n    pass",
    "op.f(get_logger().name)",
    "sa.table('t', sa.column('c')).update().values(c=get_store().v())",
    "[*get_store().a(), *(b for b in c)]",
    "x = 1 if get_store() else get_logger()",
    "'%s %(a)s' % get_store().args()",
    "'{}{x}'.format(*get_store().a(), **get_store().b())",
    "type Alias = list[int]",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(ODD_FORMS), min_size=1, max_size=6))
def test_odd_python_in_upgrade_never_drops_the_file(forms):
    text = source("\n".join(forms))
    try:
        compile(text, PATH, "exec")
    except SyntaxError:
        return  # a form this Python does not have (say `type`): the file is a syntax error
    migration, findings = read(text)
    assert migration is not None, findings
    assert migration.revision == "a1"
    assert any(o.kind == "drop_table" and o.table == "sentinel" for o in migration.operations)
    assert [f for f in findings if "rest of the file was read" not in f.message] == []


def test_validate_reads_a_call_on_a_call_file_and_keeps_the_revision_graph(make_repo):
    """Reproduction: the dropped file showed as a missing revision and two heads (GOV801)."""
    from conftest import govsite, migration

    root = make_repo({
        "alembic/versions/a1.py": migration("a1"),
        "alembic/versions/b2.py": migration(
            "b2", "a1", upgrade='get_logger().info("backfill")\nop.drop_column("accounts", "note")',
            extra="from app.logging import get_logger\n",
        ),
        "alembic/versions/c3.py": migration("c3", "b2"),
    })
    result = govsite("validate", str(root), "--no-history", "--no-cache", "--format", "json")
    import json

    rules = [f["rule"] for f in json.loads(result.stdout)["findings"]]
    assert "GOV802" not in rules and "GOV801" not in rules, result.stdout
    assert "GOV201" in rules  # the drop after the call on a call was read


# --------------------------------------------------------------------------- dialect branches


def dialects(upgrade: str, prelude: str = "", config: Config = Config()) -> list[tuple[str, object]]:
    """(kind, dialect) of each operation of `upgrade()` but the sentinel."""
    migration, findings = read(source(upgrade, prelude), config)
    assert findings == [], findings
    return [(o.sql.kind if o.sql else o.kind, o.dialect) for o in migration.operations
            if o.function == "upgrade" and o.table != "sentinel"]


OTHERS_THAN_MYSQL = ("mariadb", "mssql", "oracle", "postgresql", "sqlite")


def test_if_elif_else_on_the_dialect_name_records_each_branch():
    assert dialects(
        """
        if op.get_bind().dialect.name == "mysql":
            op.drop_index("a")
        elif op.get_bind().dialect.name in ("postgresql", "sqlite"):
            op.drop_index("b")
        else:
            op.drop_index("c")
        op.drop_index("d")
        """
    ) == [("drop_index", ("mysql",)), ("drop_index", ("postgresql", "sqlite")),
          ("drop_index", ("mariadb", "mssql", "oracle")), ("drop_index", None)]


@pytest.mark.parametrize(
    "test",
    [
        'op.get_bind().dialect.name == "mysql"',
        '"mysql" == op.get_bind().dialect.name',
        'bind.dialect.name == "mysql"',
        'bind.engine.name == "mysql"',
        'context.dialect.name == "mysql"',
        'op.get_context().dialect.name == "mysql"',
        'op.get_bind().engine.url.get_backend_name() == "mysql"',
        'str(bind.engine.url).startswith("mysql")',
        'url.startswith("mysql")',
        'name == "mysql"',
        "is_mysql",
        'not bind.dialect.name != "mysql"',
        'bind.dialect.name == "mysql" and has_rows',
        'bind.dialect.name in ["mysql"]',
    ],
)
def test_every_usual_spelling_of_a_dialect_test_is_followed(test):
    prelude = "bind = op.get_bind()\nurl = str(bind.engine.url)\nname = bind.dialect.name\nis_mysql = name == 'mysql'\n"
    found = dialects(f"{prelude}if {test}:\n    op.drop_index('a')\nelse:\n    op.drop_index('b')")
    assert found[0] == ("drop_index", ("mysql",))
    # an `and` with an unknown part says nothing about where its else runs
    assert found[1] == ("drop_index", None if " and " in test else OTHERS_THAN_MYSQL)


def test_an_early_return_leaves_the_rest_of_the_function_to_the_other_dialects():
    assert dialects(
        """
        if op.get_bind().dialect.name != "postgresql":
            return
        op.execute("DROP INDEX CONCURRENTLY ix_a")
        """
    ) == [("drop_index", ("postgresql",))]


def test_match_on_the_dialect_name_records_each_case():
    assert dialects(
        """
        match op.get_bind().dialect.name:
            case "mysql" | "mariadb":
                op.drop_index("a")
            case _:
                op.drop_index("b")
        """
    ) == [("drop_index", ("mariadb", "mysql")), ("drop_index", ("mssql", "oracle", "postgresql", "sqlite"))]


def test_a_branch_inside_a_branch_runs_under_both():
    assert dialects(
        """
        bind = op.get_bind()
        if bind.dialect.name in ("mysql", "sqlite"):
            if bind.dialect.name != "sqlite":
                op.drop_index("a")
        """,
    ) == [("drop_index", ("mysql",))]


def test_a_condition_that_is_not_about_the_dialect_changes_nothing():
    assert dialects(
        """
        if has_rows or bind.dialect.name == "mysql":
            op.drop_index("a")
        if settings.name == "mysql":
            op.drop_index("b")
        """
    ) == [("drop_index", None), ("drop_index", None)]


# --------------------------------------------------------------------------- SQL per branch


def sql_of(upgrade: str, dialect=None, config: Config = Config()):
    migration, findings = parse_migration(PATH, source(upgrade).encode(), config, dialect)
    assert findings == [], findings
    return [(o.sql.kind, o.sql.table, o.sql.target, o.sql.error) for o in migration.operations if o.sql]


def test_mysql_statements_in_a_mysql_branch_are_read_as_mysql_under_a_postgresql_default():
    found = sql_of(
        """
        if op.get_bind().dialect.name == "mysql":
            op.execute("ALTER TABLE `users` DROP INDEX `ix_users_nick`, DROP FOREIGN KEY `fk_team`")
            op.execute("ALTER TABLE `users` MODIFY `name` VARCHAR(200) NOT NULL")
            op.execute("ALTER TABLE `users` DROP PRIMARY KEY")
        """
    )
    assert found == [
        ("drop_index", "users", "ix_users_nick", None),
        ("drop_constraint", "users", "fk_team", None),
        ("alter_column_type", "users", "name", None),
        ("drop_constraint", "users", None, None),
    ]


def test_sqlite_statements_in_a_sqlite_branch_are_read_as_sqlite():
    text = "INSERT OR REPLACE INTO settings (key, value) VALUES ('a', 'b')"
    inside = sql_of(f'if context.dialect.name == "sqlite":\n    op.execute("{text}")')
    assert inside == [("insert", "settings", None, None)]
    outside = sql_of(f'op.execute("{text}")')
    assert outside[0][3] is not None  # PostgreSQL has no INSERT OR REPLACE


def test_the_else_of_a_mysql_branch_is_read_in_the_default_dialect():
    found = sql_of(
        """
        if bind.dialect.name == "mysql":
            pass
        else:
            op.execute("ALTER TABLE users ALTER COLUMN name TYPE varchar(200)")
        """
    )
    assert found == [("alter_column_type", "users", "name", None)]


def test_the_reader_takes_the_default_dialect_of_the_migration_environment():
    statement = 'op.execute("ALTER TABLE `users` MODIFY `name` VARCHAR(200)")'
    assert sql_of(statement, dialect="mysql") == [("alter_column_type", "users", "name", None)]
    assert sql_of(statement, config=Config(sql_dialect="mysql")) == [("alter_column_type", "users", "name", None)]
    migration, _ = parse_migration(PATH, source(statement).encode(), Config())
    assert next(o for o in migration.operations if o.sql).sql.error


# --------------------------------------------------------------------------- a real Alembic project

DIALECT_MIGRATION = '''\
"""Accounts, with an index each dialect builds its own way

Revision ID: d1
Create Date: 2026-01-02 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "d1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(200)),
        sa.Column("nick", sa.String(80)),
    )
    bind = op.get_bind()
    if bind.dialect.name in ("mysql", "mariadb"):
        op.execute("ALTER TABLE `accounts` MODIFY `email` VARCHAR(320) NOT NULL")
        op.execute("ALTER TABLE `accounts` ADD INDEX `ix_accounts_nick` (`nick`)")
    elif bind.dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_accounts_nick ON accounts USING btree (nick)")
    elif bind.dialect.name == "sqlite":
        op.execute("CREATE INDEX ix_accounts_nick ON accounts (nick)")
        op.execute("INSERT OR REPLACE INTO accounts (id, email, nick) VALUES (1, 'root@example.org', 'root')")
    else:
        op.create_index("ix_accounts_nick", "accounts", ["nick"])
    if op.get_context().dialect.name == "mysql":
        op.execute("ALTER TABLE `accounts` DROP INDEX `ix_accounts_nick`")
        op.execute("ALTER TABLE `accounts` ADD UNIQUE INDEX `ix_accounts_nick` (`nick`)")


def downgrade():
    op.drop_table("accounts")
'''

ENV_PY = '''\
from alembic import context
from sqlalchemy import create_engine

engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
'''


def test_a_migration_with_dialect_branches_runs_its_sqlite_branch_and_reads_clean(make_repo, tmp_path):
    import sqlite3
    import subprocess
    import sys

    from conftest import govsite

    db = tmp_path / "accounts.db"
    root = make_repo({
        "alembic.ini": f"[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = sqlite:///{db}\n",
        "migrations/env.py": ENV_PY,
        "migrations/versions/d1_accounts.py": DIALECT_MIGRATION,
    })
    run = subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=root,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    with sqlite3.connect(db) as connection:
        indexes = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        rows = connection.execute("SELECT id, nick FROM accounts").fetchall()
    assert "ix_accounts_nick" in indexes and rows == [(1, "root")]  # the sqlite branch ran

    migration, findings = parse_migration("d1.py", DIALECT_MIGRATION.encode(), Config())
    assert findings == []
    assert [(o.sql.kind if o.sql else o.kind, o.dialect) for o in migration.upgrade_operations()] == [
        ("create_table", None),
        ("alter_column_type", ("mariadb", "mysql")),
        ("create_index", ("mariadb", "mysql")),
        ("create_index", ("postgresql",)),
        ("create_index", ("sqlite",)),
        ("insert", ("sqlite",)),
        ("create_index", ("mssql", "oracle")),
        ("drop_index", ("mysql",)),
        ("add_constraint", ("mysql",)),
    ]

    result = govsite("validate", str(root), "--no-history", "--no-cache", "--format", "json")
    import json

    rules = {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert not rules & {"GOV201", "GOV802", "GOV803", "GOV801"}, result.stdout


def test_the_migration_page_shows_a_replacement_and_the_dialects_of_a_branch():
    from generator.model import Repository
    from generator.site import build_pages

    migration, _ = read(source(
        """
        op.drop_constraint("fk_team", "awards", type_="foreignkey")
        op.create_foreign_key("fk_team", "awards", "teams", ["team_id"], ["id"], ondelete="CASCADE")
        if op.get_bind().dialect.name == "sqlite":
            op.execute("PRAGMA foreign_keys = ON")
        """
    ))
    page = next(p for p in build_pages(Repository(root="/repo", migrations=(migration,)), [], Config())
                if p.uri.endswith("/a1.md"))
    rows = [line for line in page.content.splitlines() if line.startswith("    | ")]
    drop = next(r for r in rows if "op.drop_constraint" in r)
    assert "replacement: created again under the same name" in drop and "destructive" not in drop
    assert "only on sqlite" in next(r for r in rows if "op.execute" in r)


@pytest.mark.parametrize(
    "statement, expected",
    [
        ("ALTER TABLE `users` MODIFY `name` VARCHAR(200) NOT NULL", [("alter_column_type", "users", "name")]),
        ("ALTER TABLE users CHANGE COLUMN old_name new_name VARCHAR(10)", [("alter_column_type", "users", "old_name")]),
        ("ALTER TABLE users DROP PRIMARY KEY", [("drop_constraint", "users", None)]),
        ("ALTER TABLE users DROP FOREIGN KEY fk_team", [("drop_constraint", "users", "fk_team")]),
        ("ALTER TABLE users DROP CHECK ck_age", [("drop_constraint", "users", "ck_age")]),
        ("ALTER TABLE users DROP INDEX ix_nick, DROP KEY ix_mail",
         [("drop_index", "users", "ix_nick"), ("drop_index", "users", "ix_mail")]),
        ("ALTER TABLE users DROP nick", [("drop_column", "users", "nick")]),
        ("ALTER TABLE users RENAME COLUMN a TO b", [("alter_column", "users", "a")]),
        ("ALTER TABLE users ADD INDEX ix_nick (nick)", [("create_index", "users", "ix_nick")]),
        ("ALTER TABLE users ADD UNIQUE INDEX uq_nick (nick)", [("add_constraint", "users", "uq_nick")]),
        ("DROP INDEX ix_nick ON users", [("drop_index", None, "ix_nick")]),
    ],
)
def test_mysql_alter_table_actions_are_classified(statement, expected):
    from generator.sources.sql import parse_sql

    found = parse_sql(statement, "mysql")
    assert [(s.kind, s.table, s.target) for s in found] == expected
    assert all(s.error is None for s in found)
