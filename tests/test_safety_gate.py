"""The safety gate (GOV611-GOV618) beyond its rule cases: what the reader records for it, how
its findings raise the implied risk, and how the site shows them with their safe form."""

from __future__ import annotations

import re

import pytest
from conftest import migration

from generator.config import config_from_mapping
from generator.rules import run_rules
from generator.rules.review import implied_risk
from generator.rules.safety import RECIPES
from generator.site import build_pages
from generator.site.markup import render_markdown
from generator.sources import load_repository
from generator.sources.sql import parse_sql

SAFETY = [f"GOV61{n}" for n in range(1, 9)]
LOW_HEADER = (
    "MIGRATION_ID: 202601011000\nTITLE: Change events\nCHANGE_TYPE: Column\nRISK_LEVEL: Low\n"
    "FORWARD_ONLY: No\nROLLBACK_STRATEGY: Run the downgrade.\n"
)


def read(make_repo, upgrade: str, config: dict | None = None, **files: str):
    config_ = config_from_mapping(config or {})
    root = make_repo({"alembic/versions/a1.py": migration("a1", header=LOW_HEADER, upgrade=upgrade), **files})
    repo = load_repository(root, config_, with_history=False)
    return repo, config_, run_rules(repo, config_)


# --------------------------------------------------------------------------- what the reader records


def test_calls_inside_an_autocommit_block_are_marked_and_others_are_not(make_repo):
    repo, _, _ = read(make_repo, """
        op.create_index("ix_a", "events", ["a"])
        with op.get_context().autocommit_block():
            op.create_index("ix_b", "events", ["b"], postgresql_concurrently=True)
        op.create_index("ix_c", "events", ["c"])
    """)
    ops = repo.migrations[0].upgrade_operations()
    assert [(op.target, op.autocommit) for op in ops] == [("ix_a", False), ("ix_b", True), ("ix_c", False)]


@pytest.mark.parametrize("text, facts", [
    ("CREATE INDEX CONCURRENTLY ix ON t (a)", {"concurrently": True}),
    ("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id) NOT VALID",
     {"constraint_type": "foreign_key", "not_valid": True}),
    ("ALTER TABLE t ADD CONSTRAINT uq UNIQUE USING INDEX ix", {"constraint_type": "unique", "using_index": True}),
    ("ALTER TABLE t ALTER COLUMN a SET NOT NULL", {"action": "set_not_null"}),
    ("ALTER TABLE t ALTER COLUMN a TYPE varchar(100)", {"new_type": "varchar(100)"}),
    ("ALTER TABLE t RENAME TO u", {"kind": "rename_table", "table": "t", "target": "u"}),
    ("ALTER TABLE t ADD COLUMN id uuid DEFAULT gen_random_uuid()", {"volatile_default": True}),
    ("ALTER TABLE t ADD COLUMN at timestamptz DEFAULT now()", {"volatile_default": False, "has_default": True}),
    ("DROP FUNCTION f(integer)", {"kind": "drop_function", "target": "f"}),
    ("DROP TRIGGER tr ON t", {"kind": "drop_trigger", "table": "t", "target": "tr"}),
])
def test_sql_statements_carry_the_facts_the_safety_gate_reads(text, facts):
    statement = parse_sql(text)[0]
    assert {key: getattr(statement, key) for key in facts} == facts


# --------------------------------------------------------------------------- implied risk


def test_a_lock_heavy_change_on_a_large_table_implies_medium(make_repo):
    repo, config, findings = read(make_repo, 'op.create_index("ix_a", "events", ["a"])',
                                  {"large_tables": ["events"]})
    level, reasons = implied_risk(repo.migrations[0], config)
    assert level == "Medium" and "GOV612, on a table listed in large_tables" in reasons[0]
    assert [f.rule for f in findings if f.rule in ("GOV601", "GOV612")] == ["GOV601", "GOV612"]


def test_the_same_change_on_a_table_not_listed_stays_low(make_repo):
    repo, config, _ = read(make_repo, 'op.create_index("ix_a", "events", ["a"])', {"large_tables": ["orders"]})
    assert implied_risk(repo.migrations[0], config) == ("Low", [])


def test_a_not_null_column_without_default_is_medium_only_on_large_tables_once_they_are_listed(make_repo):
    upgrade = 'op.add_column("events", sa.Column("t", sa.Integer(), nullable=False))'
    repo, config, _ = read(make_repo, upgrade)
    assert implied_risk(repo.migrations[0], config)[0] == "Medium"  # nothing listed: every table
    repo, config, _ = read(make_repo, upgrade, {"large_tables": ["orders"]})
    assert implied_risk(repo.migrations[0], config)[0] == "Low"
    repo, config, _ = read(make_repo, upgrade, {"large_tables": ["events"]})
    assert implied_risk(repo.migrations[0], config)[0] == "Medium"


def test_a_not_null_column_on_a_table_created_in_the_same_migration_implies_nothing(make_repo):
    repo, config, _ = read(make_repo, """
        op.create_table("events", sa.Column("id", sa.Integer(), primary_key=True))
        op.add_column("events", sa.Column("t", sa.Integer(), nullable=False))
    """)
    assert implied_risk(repo.migrations[0], config) == ("Low", [])


def test_a_disable_comment_on_the_statement_takes_the_finding_out_of_the_risk(make_repo):
    repo, config, findings = read(
        make_repo, 'op.create_index("ix_a", "events", ["a"])  # govsite: disable=GOV612', {"large_tables": ["events"]})
    assert implied_risk(repo.migrations[0], config) == ("Low", [])
    assert [f.suppressed for f in findings if f.rule == "GOV612"] == [True]


def test_dropping_a_function_implies_high(make_repo):
    repo, config, _ = read(make_repo, 'op.execute("DROP FUNCTION touch_updated_at()")')
    level, reasons = implied_risk(repo.migrations[0], config)
    assert level == "High" and "drops function 'touch_updated_at'" in reasons[0]


def test_a_safety_rule_raised_to_error_fails_the_run(make_repo):
    _, _, findings = read(make_repo, 'op.rename_table("clicks", "click_events")', {"severity": {"GOV614": "error"}})
    assert [(f.rule, f.severity.value) for f in findings if f.rule == "GOV614"] == [("GOV614", "error")]


# --------------------------------------------------------------------------- the site


def test_migration_page_shows_the_safety_finding_with_its_safe_form_and_the_dashboard_counts_it(make_repo):
    repo, config, findings = read(make_repo, """
        op.create_index("ix_events_tenant", "events", ["tenant_id"])
        op.drop_table("legacy_clicks")
    """)
    pages = {p.uri: p.content for p in build_pages(repo, findings, config)}
    page = pages["governance/migrations/a1.md"]
    section = page.split("## Safety gate", 1)[1].split("\n## ", 1)[0]
    assert '!!! warning "GOV612 index-locks-table · line ' in section
    assert "creates index 'ix_events_tenant' on 'events' without CONCURRENTLY" in section
    assert RECIPES["GOV612"] in section and "(../rules.md#gov612)" in section
    # beside the destructive drop in the operations table
    assert re.search(r"\| <code>op\.create_index</code> \|.*\| \*\*GOV612\*\* +\|", page)
    assert re.search(r"\| <code>op\.drop_table</code> \|.*\| \*\*destructive\*\* +\|", page)
    html = render_markdown(section)
    assert "admonition warning" in html and "<code>postgresql_concurrently=True</code>" in html
    assert "Safety gate: [1 open finding](" in pages["governance/index.md"]
    rules = pages["governance/rules.md"]
    for code in SAFETY:  # the reference is generated from the rules: the family is there
        assert f"](#{code.lower()})" in rules and re.search(rf"^## {code} [a-z-]+ {{#{code.lower()}}}$", rules, re.M)


def test_a_migration_without_safety_findings_says_so(make_repo):
    repo, config, findings = read(make_repo, 'op.add_column("events", sa.Column("note", sa.Text()))')
    page = {p.uri: p.content for p in build_pages(repo, findings, config)}["governance/migrations/a1.md"]
    assert "No operation here locks an existing table or breaks running code." in page


# --------------------------------------------------------------------------- which checks see an operation

# every kind the readers give an operation, alembic's and the SQL reader's
_KINDS = sorted({
    "add_column", "alter_column", "alter_column_type", "add_constraint", "bulk_insert", "create_check_constraint",
    "create_exclusion_constraint", "create_foreign_key", "create_index", "create_policy", "create_primary_key",
    "create_table", "create_unique_constraint", "create_view", "delete", "disable_rls", "do_block", "drop_column",
    "drop_constraint", "drop_index", "drop_policy", "drop_table", "enable_rls", "execute", "insert", "other",
    "rename_table", "truncate", "update", "validate_constraint", "alter_policy", "drop_type", "drop_function",
})


def _eager(kind: str, sql: bool):
    """An operation of `kind` with every fact that could make a check speak."""
    from generator.model import ColumnSpec, ColumnType, Operation, SqlStatement

    statement = SqlStatement(
        text="x", kind=kind, table="events", target="c", not_null=True, action="set_not_null",
        constraint_type="unique", new_type="text", volatile_default=True,
    ) if sql else None
    return Operation(
        kind=kind, call="op.x", function="upgrade", line=1, end_line=1, column=1, table="events", target="c",
        arguments=(("type_", "sa.Integer()"), ("new_column_name", "d"), ("nullable", "False"), ("1", "t2")),
        sql=statement, columns=(ColumnSpec("c", nullable=False, volatile_default=True),),
        type_=ColumnType("integer", 4), existing_type=ColumnType("string", 10),
    )


@pytest.mark.parametrize("sql", [False, True])
@pytest.mark.parametrize("kind", _KINDS)
def test_a_safety_check_speaks_only_about_the_kinds_it_is_shown(kind, sql):
    """The gate shows an operation only to the checks listed for its kind: any other check
    must have nothing to say about it."""
    from generator.rules.helpers import CHECK_KINDS, CHECKS, _Earlier

    op = _eager(kind, sql)
    for code, check in CHECKS.items():
        if kind not in CHECK_KINDS[code]:
            assert check(op, _Earlier()) is None, (code, kind)
