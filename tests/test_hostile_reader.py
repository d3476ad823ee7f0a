"""Hostile migrations for the reader's dialect branches and replacements: each test is the
reproduction of a break (a traceback, a dropped file, text interpreted on the site)."""

from __future__ import annotations

from dataclasses import replace

from generator.config import Config
from generator.model import Repository
from generator.site import build_pages
from generator.site.markup import render_markdown
from generator.sources.migrations import parse_migration

PATH = "alembic/versions/a1.py"


def source(upgrade: str) -> str:
    return (
        "from alembic import op\n"
        'revision = "a1"\n'
        "down_revision = None\n\n\n"
        "def upgrade():\n" + "".join(f"    {line}\n" for line in upgrade.splitlines())
        + '    op.drop_table("sentinel")\n'
    )


def read(upgrade: str):
    return parse_migration(PATH, source(upgrade).encode(), Config())


def test_a_dialect_test_under_thousands_of_nots_is_read():
    """`not not ... not name == "mysql"`, deeper than a recursive reading of the test can go."""
    deep = "not " * 2500 + 'op.get_bind().dialect.name == "mysql"'
    text = source(f"if {deep}:\n    op.drop_index('a')")
    try:
        compile(text, PATH, "exec")
    except (SyntaxError, RecursionError, MemoryError):
        deep = "not " * 400 + 'op.get_bind().dialect.name == "mysql"'  # this Python's own limit
    migration, findings = read(f"if {deep}:\n    op.drop_index('a')")
    assert findings == [] and migration is not None
    assert [o.dialect for o in migration.operations] == [("mysql",), None]  # an even number of nots


def test_an_elif_chain_of_hundreds_of_dialects_is_read_and_each_branch_keeps_its_own():
    lines = []
    for number in range(300):
        keyword = "if" if number == 0 else "elif"
        lines.append(f'{keyword} op.get_bind().dialect.name == "d{number}":')
        lines.append(f'    op.drop_index("ix_{number}")')
    migration, findings = read("\n".join(lines))
    assert findings == []
    drops = [o for o in migration.operations if o.kind == "drop_index"]
    assert len(drops) == 300 and drops[-1].dialect == ("d299",)


def test_a_dialect_name_full_of_markup_is_shown_as_text_on_the_migration_page():
    hostile = '<img src=x onerror=alert(1)>|`**x**`'
    migration, findings = read(f"if op.get_bind().dialect.name == {hostile!r}:\n    op.drop_index('a')")
    assert findings == []
    repo = replace(Repository(root="/repo", migrations=(migration,)))
    page = next(p for p in build_pages(repo, [], Config()) if p.uri.endswith("/a1.md"))
    html = render_markdown(page.content)
    assert "<img" not in html and "onerror=alert(1)>" not in html.replace("&gt;", ">").split("<code")[0]
    assert "only on" in page.content


def test_thousands_of_drops_and_re_creations_under_one_name_are_replacements():
    lines = []
    for _ in range(2000):
        lines.append('op.drop_constraint("fk_a", "t", type_="foreignkey")')
        lines.append('op.create_foreign_key("fk_a", "t", "u", ["a"], ["id"])')
    migration, findings = read("\n".join(lines))
    assert findings == []
    from generator.rules.helpers import destructive_operations

    assert [o.table for o in destructive_operations(migration, Config())] == ["sentinel"]


def test_a_mysql_alter_cut_short_is_reported_not_read_as_harmless():
    """sqlglot keeps `ALTER TABLE t MODIFY a VARCHAR(` as an opaque command, and the action of
    `ALTER TABLE t DROP` as one too: the first was read as valid, the second as no drop at all."""
    from generator.sources.sql import parse_sql

    broken = parse_sql("ALTER TABLE `users` MODIFY `name` VARCHAR(", "mysql")
    assert [s.error for s in broken] == ["a '(' is never closed"]
    assert parse_sql("ALTER TABLE `users` MODIFY `name` VARCHAR(20))", "mysql")[0].error
    cut = parse_sql("ALTER TABLE `users` DROP", "mysql")
    assert [(s.kind, s.table) for s in cut] == [("drop_column", "users")]
