"""Hostile input for the rules and the readings they rest on: ADR references and raw SQL.

Each test reproduces a break: the input that broke, and what must happen instead (a finding or
a clean run, never a traceback and never a drop passing unseen).
"""

from __future__ import annotations

import json

from conftest import govsite, migration

from generator.sources.sql import parse_sql

VERSIONS = "alembic/versions"


def test_an_adr_relation_naming_a_five_thousand_digit_number_is_no_crash(make_repo):
    """`Superseded by ADR-999...9` (5,000 digits) stopped `validate` with an internal error:
    Python refuses to turn so many digits into a number."""
    root = make_repo({
        "docs/adr/0001-x.md": "# 1. X\n\n## Status\n\nSuperseded by ADR-" + "9" * 5000 + "\n",
        f"{VERSIONS}/a1.py": migration(
            "a1", upgrade='op.drop_table("t")  # CI:DESTRUCTIVE_OK ADR-' + "9" * 5000 + " retired"
        ),
    })
    done = govsite("validate", ".", "--format", "json", cwd=root)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    report = json.loads(done.stdout)
    assert report["summary"]["adrs"] == 1
    assert "GOV202" in {f["rule"] for f in report["findings"]}  # the comment names no ADR


def test_a_drop_before_an_unclosed_quote_is_still_a_drop(make_repo):
    """`DROP TABLE accounts; SELECT '` was one unreadable statement: GOV803 warned, and the drop
    passed without the bypass GOV201 asks for."""
    upgrade = "op.execute(\"DROP TABLE accounts; SELECT 'never closed\")"
    root = make_repo({f"{VERSIONS}/a1.py": migration("a1", upgrade=upgrade)})
    done = govsite("validate", ".", "--format", "json", cwd=root)
    rules = sorted(f["rule"] for f in json.loads(done.stdout)["findings"])
    assert "GOV201" in rules and "GOV803" in rules and done.returncode == 1


def test_an_unclosed_comment_hides_no_statement_before_it():
    statements = parse_sql("TRUNCATE audit; DROP TABLE a /* never closed")
    assert [(s.kind, s.error is None) for s in statements] == [("truncate", True), ("other", False)]
    assert statements[1].text == "DROP TABLE a /* never closed"


def test_thousands_of_statements_in_one_execute_each_count():
    statements = parse_sql("-- many\n" + "DROP TABLE a; -- x;\n" * 3000)
    assert len(statements) == 3000 and {s.text for s in statements} == {"DROP TABLE a"}
