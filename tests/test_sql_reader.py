"""Raw SQL is classified by a real parser: pglast for PostgreSQL, sqlglot for the other dialects."""

from __future__ import annotations

import pytest

from generator.sources.sql import dynamic_sql, parse_sql


def kinds(text: str, dialect: str = "postgres") -> list[tuple]:
    return [(s.kind, s.table, s.target) for s in parse_sql(text, dialect)]


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("ALTER TABLE accounts DROP legacy_note", [("drop_column", "accounts", "legacy_note")]),
        ("ALTER TABLE accounts DROP COLUMN legacy_note", [("drop_column", "accounts", "legacy_note")]),
        ("alter table accounts drop column legacy_note", [("drop_column", "accounts", "legacy_note")]),
        ("DROP TABLE IF EXISTS legacy_events", [("drop_table", "legacy_events", "legacy_events")]),
        ("drop table audit.legacy_events", [("drop_table", "legacy_events", "legacy_events")]),
        ("TRUNCATE a, b CASCADE", [("truncate", "a", "a"), ("truncate", "b", "b")]),
        ("ALTER TABLE orders DROP CONSTRAINT fk_orders_user", [("drop_constraint", "orders", "fk_orders_user")]),
        ("DROP INDEX CONCURRENTLY IF EXISTS ix_orders_created", [("drop_index", None, "ix_orders_created")]),
        ("DROP POLICY tenant_isolation ON orders", [("drop_policy", "orders", "tenant_isolation")]),
        ("ALTER POLICY tenant_isolation ON orders USING (true)", [("alter_policy", "orders", "tenant_isolation")]),
        ("ALTER TABLE orders DISABLE ROW LEVEL SECURITY", [("disable_rls", "orders", None)]),
        ("ALTER TABLE orders ENABLE ROW LEVEL SECURITY", [("enable_rls", "orders", None)]),
        ("CREATE POLICY p ON orders USING (tenant_id = 1)", [("create_policy", "orders", "p")]),
        ("CREATE TABLE t (id int)", [("create_table", "t", "t")]),
        ("CREATE UNIQUE INDEX ix ON t (a)", [("create_index", "t", "ix")]),
        ("ALTER TABLE t ADD COLUMN c int", [("add_column", "t", "c")]),
        ("ALTER TABLE t ALTER COLUMN c TYPE smallint", [("alter_column_type", "t", "c")]),
        ("ALTER TABLE t ADD CONSTRAINT uq_t_a UNIQUE (a)", [("add_constraint", "t", "uq_t_a")]),
        ("CREATE VIEW v AS SELECT 1", [("create_view", "v", "v")]),
        ("CREATE MATERIALIZED VIEW mv AS SELECT 1", [("create_view", "mv", "mv")]),
        ("DROP VIEW v", [("drop_view", "v", "v")]),
        ("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql", [("create_function", None, "f")]),
        ("CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", [("create_trigger", "t", "tr")]),
        ("INSERT INTO t (a) VALUES (1)", [("insert", "t", None)]),
        ("UPDATE t SET a = 1", [("update", "t", None)]),
        ("DELETE FROM t WHERE a = 1", [("delete", "t", None)]),
        ("SELECT 1", [("select", None, None)]),
        ("GRANT SELECT ON t TO reporting", [("grant", None, None)]),
        ("VACUUM ANALYZE t", [("other", None, None)]),
    ],
)
def test_statement_kinds(sql, expected):
    assert kinds(sql) == expected


def test_comments_inside_the_sql_are_ignored():
    sql = "-- retire the old table\nDROP TABLE /* really */ legacy_events; -- done"
    assert kinds(sql) == [("drop_table", "legacy_events", "legacy_events")]


def test_several_statements_in_one_string_each_count():
    sql = "SET lock_timeout = '5s'; ALTER TABLE a DROP COLUMN b; DROP TABLE c;"
    assert [k for k, _, _ in kinds(sql)] == ["other", "drop_column", "drop_table"]


def test_each_action_of_an_alter_table_counts():
    sql = "ALTER TABLE t ADD COLUMN d int, DROP COLUMN e"
    assert kinds(sql) == [("add_column", "t", "d"), ("drop_column", "t", "e")]


def test_if_exists_and_cascade_are_recorded():
    (statement,) = parse_sql("DROP TABLE IF EXISTS legacy CASCADE")
    assert statement.if_exists and statement.cascade
    (statement,) = parse_sql("DROP POLICY IF EXISTS p ON t CASCADE")
    assert statement.if_exists and statement.cascade and statement.parser == "pglast"
    first, second = parse_sql("TRUNCATE a, b CASCADE")
    assert first.cascade and second.cascade


def test_statement_text_is_the_statement_itself():
    first, second = parse_sql("DROP TABLE a;\n  DROP TABLE b")
    assert (first.text, second.text) == ("DROP TABLE a", "DROP TABLE b")


def test_do_block_reports_the_drops_its_body_runs():
    sql = """
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_tables WHERE tablename = 'legacy') THEN
                DROP TABLE legacy;
            END IF;
            EXECUTE 'TRUNCATE audit_log';
            EXECUTE format('DROP TABLE %I', 'archive_' || 2020);
        END
        $$;
    """
    statements = parse_sql(sql)
    assert statements[0].kind == "do_block"
    inner = [(s.kind, s.table, s.dynamic) for s in statements[1:]]
    assert inner == [("drop_table", "legacy", False), ("truncate", "audit_log", False), ("drop_table", None, True)]


def test_unparseable_sql_is_other_with_an_error_never_an_exception():
    for text in ("DROP TABLE", "this is not sql", "SELECT 'unterminated", "ALTER TABLE t DROPP c"):
        statements = parse_sql(text)
        assert statements and all(s.kind == "other" and s.error for s in statements), text


def test_a_parser_error_names_no_module_of_the_parser():
    [statement] = parse_sql("UPDATE t SET a = 5 % WHERE id = 1", "mysql")
    assert statement.kind == "other"
    assert "missing for Mod." in statement.error and "<class" not in statement.error


def test_empty_and_comment_only_sql_has_no_statements():
    assert parse_sql("") == []
    assert parse_sql("  -- nothing here\n") == []


def test_other_dialects_use_sqlglot_and_classify_opaque_commands_by_keywords():
    assert kinds("ALTER TABLE t DROP COLUMN c", "mysql") == [("drop_column", "t", "c")]
    assert [s.kind for s in parse_sql("DROP POLICY p ON t", "mysql")] == ["drop_policy"]
    assert kinds("drop table x", "no-such-dialect") == [("drop_table", "x", "x")]
    assert kinds("DROP TABLE x", "postgresql") == [("drop_table", "x", "x")]


def test_results_are_cached_by_text():
    parse_sql("DROP TABLE cached_once")
    from generator.sources.sql import _parse_cached

    before = _parse_cached.cache_info().hits
    parse_sql("DROP TABLE cached_once")
    assert _parse_cached.cache_info().hits == before + 1


@pytest.mark.parametrize(
    "prefix, kind, table",
    [
        ("DROP TABLE ", "drop_table", None),
        ("DROP TABLE IF EXISTS legacy ", "drop_table", "legacy"),
        ("drop table archive_", "drop_table", None),
        ("TRUNCATE ", "truncate", None),
        ("ALTER TABLE accounts DROP COLUMN ", "drop_column", "accounts"),
        ("ALTER TABLE accounts DROP CONSTRAINT ", "drop_constraint", "accounts"),
        ("ALTER TABLE accounts ALTER COLUMN a DROP NOT NULL", None, "accounts"),
        ("DROP POLICY ", "drop_policy", None),
        ("ALTER TABLE t DISABLE ROW LEVEL SECURITY", "disable_rls", "t"),
        ("-- comment first\nDROP INDEX ", "drop_index", None),
        ("UPDATE accounts SET x = ", "update", "accounts"),
        ("", None, None),
        ("SET search_path = ", None, None),
    ],
)
def test_dynamic_sql_is_classified_from_its_known_beginning(prefix, kind, table):
    statement = dynamic_sql(prefix)
    assert statement.dynamic and statement.parser == "fragment"
    assert statement.kind == (kind or "dynamic")
    assert statement.table == table


def test_sqlalchemy_bind_parameters_do_not_break_postgres_parsing():
    statements = parse_sql("ALTER POLICY p ON t USING (tenant_id = :tenant_id); DROP POLICY q ON t")
    assert [(s.kind, s.error) for s in statements] == [("alter_policy", None), ("drop_policy", None)]
    assert statements[0].text == "ALTER POLICY p ON t USING (tenant_id = :tenant_id)"


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlite"])
@pytest.mark.parametrize("text", [
    "UPDATE triggers SET config = %s WHERE id = %s",
    "UPDATE triggers SET config = %(config)s WHERE id = %(id)s",
    "UPDATE triggers SET config = :config WHERE id = :id",
])
def test_parameters_of_a_driver_or_of_sqlalchemy_are_read_as_parameters(text, dialect):
    """`conn.execute("... WHERE id = %s", value)`: the driver fills the placeholder in."""
    statements = parse_sql(f"{text}; /* then */ DROP TABLE old_triggers", dialect)
    assert [(s.kind, s.table, s.error) for s in statements] == [
        ("update", "triggers", None), ("drop_table", "old_triggers", None)]
    assert statements[0].text == text  # cut after the last parameter, as written


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_a_percent_sign_that_is_no_placeholder_is_left_alone(dialect):
    text = "SELECT 5%s, '100%%s' FROM t WHERE name LIKE 'x%s'"
    [statement] = parse_sql(text, dialect)
    assert (statement.kind, statement.error, statement.text) == ("select", None, text)


# Statements both parsers read the same way. Left out, because the readings differ: policies
# (sqlglot keeps them as opaque commands, classified by their leading keywords only: the kind
# agrees, the objects are unknown to it), a broken `CREATE POLICY p ON t USING (` (pglast sees
# the error, sqlglot keeps the command) and `ALTER TABLE t RENAME TO u` ("other" either way).
BOTH_READ = [
    "ALTER TABLE events ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE ONLY events NO FORCE ROW LEVEL SECURITY;",
    "ALTER TABLE t RENAME COLUMN a TO b",
    "ALTER TABLE t ALTER COLUMN c TYPE varchar(10) USING c::varchar",
    "ALTER TABLE t ALTER a TYPE text",
    "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id)",
    "ALTER TABLE t ADD COLUMN x int NOT NULL DEFAULT 0",
    "ALTER TABLE t ADD COLUMN x int NOT NULL",
    "ALTER TABLE t ADD COLUMN x int NULL",
    "ALTER TABLE t ADD COLUMN u int REFERENCES s.users (id), DROP COLUMN b",
    "ALTER TABLE t ADD COLUMN IF NOT EXISTS x int",
    "ALTER TABLE IF EXISTS t ADD COLUMN x int",
    "ALTER TABLE t DROP COLUMN IF EXISTS a CASCADE",
    "ALTER TABLE IF EXISTS t DROP COLUMN a",
    "ALTER TABLE t ADD COLUMN a int, DROP COLUMN b",
    "ALTER TABLE t ALTER COLUMN a SET NOT NULL",
    "ALTER TABLE s.t DROP CONSTRAINT c",
    "CREATE UNIQUE INDEX CONCURRENTLY ix ON t (a)",
    "DROP INDEX CONCURRENTLY IF EXISTS ix",
    "DROP VIEW IF EXISTS v CASCADE",
    "DROP MATERIALIZED VIEW mv",
    "CREATE TABLE IF NOT EXISTS s.t (id int primary key, u int references users(id))",
    "CREATE TABLE t (a int, b int, FOREIGN KEY (a) REFERENCES x (id), FOREIGN KEY (b) REFERENCES y (id))",
    "CREATE TABLE t2 AS SELECT * FROM t",
    "TRUNCATE TABLE t RESTART IDENTITY CASCADE",
    "TRUNCATE a, s.b",
    "DELETE FROM t USING u WHERE t.a = u.a",
    "INSERT INTO s.t (a) VALUES (1) ON CONFLICT DO NOTHING",
    "WITH x AS (SELECT 1) UPDATE t SET a = 1",
    "UPDATE t SET a = :value WHERE id = :id",
    "DROP TABLE IF EXISTS s.a CASCADE",
    'ALTER TABLE "Quoted" DROP COLUMN "Col"',
    "GRANT SELECT ON t TO r",
    "SET lock_timeout = '5s'",
    "ALTER TABLE t DROP COLUMN a; DROP TABLE b;",
    "UPDATE a SET x = 1;\nUPDATE b SET y = 2",
    "-- retire\nDROP TABLE a; -- and b\nDROP TABLE /* yes */ b /* done */; /* end */",
]


@pytest.mark.parametrize("text", BOTH_READ)
def test_pglast_and_sqlglot_read_the_same_statement_alike(text):
    """PostgreSQL text is read by pglast alone and other dialects by sqlglot alone; read by
    sqlglot as PostgreSQL, a statement must give the same facts (which parser aside), so that the
    configured dialect never changes a finding about a statement both understand."""
    from dataclasses import replace

    from generator.sources import sql

    by_pglast = parse_sql(text)
    assert by_pglast and {s.parser for s in by_pglast} == {"pglast"}
    by_sqlglot = list(sql._read_with_sqlglot(text, "postgres"))
    assert [replace(s, parser="") for s in by_pglast] == [replace(s, parser="") for s in by_sqlglot]


POSTGRES_TEXTS = [
    "DROP TABLE a; DROP POLICY p ON t",
    "-- note\nDROP TABLE; DROP TABLE b",
    "SELECT 'unterminated",
    "DO $$ BEGIN EXECUTE 'TRUNCATE t'; END $$",
    "ALTER TABLE t ADD COLUMN c int NOT NULL",
]


def test_postgres_is_read_by_pglast_alone(monkeypatch):
    import sqlglot

    from generator.sources.sql import _parse_cached

    def refuse(*args, **kwargs):
        raise AssertionError("sqlglot asked to read PostgreSQL")

    monkeypatch.setattr(sqlglot.Dialect, "get_or_raise", refuse)
    monkeypatch.setattr(sqlglot, "parse_one", refuse)
    _parse_cached.cache_clear()
    for text in POSTGRES_TEXTS:
        statements = parse_sql(text)
        assert statements and {s.parser for s in statements} == {"pglast"}, text
    _parse_cached.cache_clear()


def test_other_dialects_are_read_by_sqlglot_alone(monkeypatch):
    from pglast import parser

    from generator.sources.sql import _parse_cached

    def refuse(*args, **kwargs):
        raise AssertionError("pglast asked to read another dialect")

    for name in ("parse_sql_json", "scan", "split"):
        monkeypatch.setattr(parser, name, refuse)
    _parse_cached.cache_clear()
    for text in POSTGRES_TEXTS[:3] + ["ALTER TABLE t ADD COLUMN c int NOT NULL"]:
        statements = parse_sql(text, "mysql")
        assert statements and {s.parser for s in statements} == {"sqlglot"}, text
    _parse_cached.cache_clear()


@pytest.mark.parametrize("text, read", [
    ("-- retire the table\nDROP TABLE legacy; /* done */", [("drop_table", "DROP TABLE legacy")]),
    ("DROP TABLE a; -- about b\nDROP TABLE b", [("drop_table", "DROP TABLE a"), ("drop_table", "DROP TABLE b")]),
    ("DROP TABLE a /* not b */; DROP TABLE b", [("drop_table", "DROP TABLE a"), ("drop_table", "DROP TABLE b")]),
    ("-- x; y\nDROP TABLE; -- about b\nDROP TABLE b",
     [("other", "DROP TABLE"), ("drop_table", "DROP TABLE b")]),
    ("SELECT 'é'; -- ü\nDROP TABLE b", [("select", "SELECT 'é'"), ("drop_table", "DROP TABLE b")]),
    ("SELECT '-- not a comment; still not'", [("select", "SELECT '-- not a comment; still not'")]),
])
def test_a_comment_never_changes_which_statement_a_text_is(text, read):
    """Comments between statements belong to neither; a `;` in a comment or a string splits
    nothing, also when one statement is wrong and the others are read one by one."""
    for dialect in ("postgres", "mysql"):
        assert [(s.kind, s.text) for s in parse_sql(text, dialect)] == read, dialect


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
@pytest.mark.parametrize("text, facts", [
    ("ALTER TABLE t ADD COLUMN c int NOT NULL", [((), True, False)]),
    ("ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0", [((), True, True)]),
    ("ALTER TABLE t ADD COLUMN c int", [((), False, False)]),
    ("ALTER TABLE t ADD COLUMN c int NOT NULL, ADD COLUMN d int DEFAULT 0", [((), True, False), ((), False, True)]),
    ("ALTER TABLE t ADD COLUMN c int REFERENCES u (id), DROP COLUMN d", [(("u",), False, False), ((), False, False)]),
    ("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES billing.u (id)", [(("u",), False, False)]),
    ("CREATE TABLE t (a int REFERENCES x (id), b int, FOREIGN KEY (b) REFERENCES y (id))", [(("x", "y"), False, False)]),
])
def test_facts_the_rules_need_are_recorded_on_each_statement(text, facts, dialect):
    """Foreign keys and a NOT NULL column without a default, per action of an ALTER TABLE."""
    assert [(s.references, s.not_null, s.has_default) for s in parse_sql(text, dialect)] == facts


def test_sqlglot_keeping_a_statement_as_a_command_is_not_logged_and_its_other_warnings_are(caplog):
    """sqlglot warns for every statement it keeps as a Command, which this reader classifies
    itself: that warning is silenced while the reader parses, and only that one, only then."""
    import logging

    import sqlglot

    caplog.set_level(logging.WARNING, logger="sqlglot")
    statements = parse_sql("LOCK TABLES quiet_lock_probe WRITE", "mysql")
    assert [s.parser for s in statements] == ["sqlglot"] and not statements[0].error
    assert "Falling back" not in caplog.text
    assert logging.getLogger("sqlglot").filters == []  # the silence ends with the parse
    sqlglot.parse("LOCK TABLES loud_lock_probe WRITE", read="mysql")
    assert "Falling back to parsing as a 'Command'" in caplog.text
