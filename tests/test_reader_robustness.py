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
