"""The metadata header, bypass and suppression comments: examples and properties."""

from __future__ import annotations

import textwrap

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.config import Config
from generator.model import Comment
from generator.sources.header import (
    adr_references,
    alembic_message,
    parse_alembic_docstring,
    parse_bypass,
    parse_comment_header,
    parse_header,
    parse_suppression,
)
from generator.sources.migrations import parse_migration

TICKETS = Config().ticket_pattern

keys = st.from_regex(r"[A-Z][A-Z0-9]{1,8}(_[A-Z0-9]{1,8}){0,3}", fullmatch=True)
values = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\n\r"),
    max_size=40,
).map(str.strip)


def bypass(text: str, line: int = 7, column: int = 30):
    return parse_bypass(Comment(line, column, text), TICKETS)


# --------------------------------------------------------------------------- header


def test_fields_keep_their_file_lines():
    doc = textwrap.dedent(
        """\
        Migration Metadata

        MIGRATION_ID: 202601010001
        TITLE: Add note to accounts
        RISK_LEVEL: Low

        Revision ID: 3f2a9c1b7d4e
        Revises: 1a2b3c4d5e6f
        Create Date: 2026-01-01 10:00:00
        """
    )
    header = parse_header(doc, first_line=1)
    assert [(f.key, f.value, f.line) for f in header.fields] == [
        ("MIGRATION_ID", "202601010001", 3),
        ("TITLE", "Add note to accounts", 4),
        ("RISK_LEVEL", "Low", 5),
    ]
    assert header.line == 1 and header.malformed_lines == ()


def test_a_value_continues_on_more_indented_lines():
    doc = "ROLLBACK_STRATEGY: Restore from the nightly\n    snapshot, then re-run\n    the backfill.\nRISK_LEVEL: High\n"
    header = parse_header(doc, first_line=10)
    assert header.get("ROLLBACK_STRATEGY") == "Restore from the nightly snapshot, then re-run the backfill."
    assert header.field("RISK_LEVEL").line == 13


@pytest.mark.parametrize("indent", ["\t", "  \t", "\u3000", "\x0c "], ids=["tab", "spaces-tab", "ideographic", "form-feed"])
def test_any_whitespace_indents_a_continuation(indent):
    header = parse_header(f"RISK_LEVEL: High\n{indent}because it drops\nTITLE: x\n", 1)
    assert header.get("RISK_LEVEL") == "High because it drops"
    assert header.field("TITLE").line == 3


def test_an_indented_key_is_continued_only_by_deeper_lines():
    doc = "    RISK_LEVEL: High\n\t  deeper: a tab counts four\n\tTITLE: four, as deep as the key\n  less\n"
    header = parse_header(doc, 1)
    assert header.get("RISK_LEVEL") == "High deeper: a tab counts four"
    assert header.get("TITLE") == "four, as deep as the key"
    assert [f.key for f in header.fields] == ["RISK_LEVEL", "TITLE"]


@pytest.mark.parametrize("docstring, message", [
    ("Add the orders table\n\nRevision ID: a1\n", "Add the orders table"),
    ("\n\n   \n  Add the orders table  \nmore\n", "Add the orders table"),
    ("\u2003\n\tTitle after blank lines\n", "Title after blank lines"),
    ("Revision ID: a1\nRevises:\n", None),
    ("RISK_LEVEL: High\n", None),
    ("empty message\n", None),
    ("  \n\n", None),
])
def test_the_alembic_message_is_the_first_line_that_is_not_blank(docstring, message):
    assert alembic_message(docstring) == message


def test_an_empty_value_may_be_given_on_the_next_lines():
    header = parse_header("JUSTIFICATION:\n  Data in the column is\n  derived.\n", 1)
    assert header.get("JUSTIFICATION") == "Data in the column is derived."


def test_a_key_without_its_colon_is_malformed():
    doc = "Migration Metadata\n\nMIGRATION_ID: 1\nRISK_LEVEL High\nrisk_level: Low\nFORWARD_ONLY = No\n"
    header = parse_header(doc, first_line=1)
    assert header.as_dict() == {"MIGRATION_ID": "1"}
    assert header.malformed_lines == (4, 5, 6)


def test_title_lines_and_prose_are_not_fields_nor_malformed():
    doc = "Add column note\n\nThis adds a NOTE column.\nMIGRATION_ID: 1\n"
    header = parse_header(doc, 1)
    assert header.as_dict() == {"MIGRATION_ID": "1"} and header.malformed_lines == ()


def test_unknown_keys_are_kept():
    header = parse_header("MIGRATION_ID: 1\nOWNER_TEAM: data-platform\n", 1)
    assert header.get("OWNER_TEAM") == "data-platform"


def test_no_fields_means_no_header():
    assert parse_header("Add column note to accounts.", 1) is None
    assert parse_header("Revision ID: abc\nRevises: def\n", 1) is None
    assert parse_header("", 1) is None


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(keys, values), min_size=1, max_size=12, unique_by=lambda kv: kv[0]),
    st.integers(min_value=1, max_value=500),
    st.booleans(),
)
def test_any_key_value_set_round_trips_with_its_lines(pairs, first_line, with_title):
    lines = (["Migration Metadata", ""] if with_title else []) + [f"{k}: {v}" for k, v in pairs]
    header = parse_header("\n".join(lines) + "\n", first_line)
    offset = 2 if with_title else 0
    assert [(f.key, f.value, f.line) for f in header.fields] == [
        (k, v, first_line + offset + i) for i, (k, v) in enumerate(pairs)
    ]


@settings(max_examples=100, deadline=None)
@given(keys, st.lists(values.filter(bool), min_size=1, max_size=5), st.integers(1, 200))
def test_any_continuation_folds_into_its_value(key, parts, first_line):
    doc = f"{key}: {parts[0]}\n" + "".join(f"    {p}\n" for p in parts[1:]) + "NEXT_KEY: x\n"
    header = parse_header(doc, first_line)
    assert header.get(key) == " ".join(parts)
    assert header.field("NEXT_KEY").line == first_line + len(parts)


def test_header_in_comments_uses_comment_lines():
    lines = [(1, " MIGRATION_ID: 7"), (2, " ROLLBACK_STRATEGY: restore"), (3, "     from backup"), (5, " RISK_LEVEL: Low")]
    header = parse_comment_header(lines)
    assert [(f.key, f.value, f.line) for f in header.fields] == [
        ("MIGRATION_ID", "7", 1), ("ROLLBACK_STRATEGY", "restore from backup", 2), ("RISK_LEVEL", "Low", 5)]


def test_alembic_docstring_fields():
    doc = "Add note\n\nRevision ID: abc123\nRevises: def456, 789aaa\nCreate Date: 2026-01-01 10:00:00\n"
    found = parse_alembic_docstring(doc, first_line=1)
    assert found["Revision ID"] == ("abc123", 3)
    assert found["Revises"] == ("def456, 789aaa", 4)


# --------------------------------------------------------------------------- bypass


def test_runbook_example_bypass():
    b = bypass("CI:DESTRUCTIVE_OK - See ADR-015 for deprecation timeline")
    assert b.adr_refs == ("ADR-015",) and b.tickets == ()
    assert b.justification == "See for deprecation timeline"
    assert (b.line, b.column) == (7, 30)


def test_adr_references_are_normalised():
    b = bypass("CI:DESTRUCTIVE_OK ADR-15, adr-015, ADR 15 and ADR-0021: retire table")
    assert b.adr_refs == ("ADR-015", "ADR-021")


def test_review_tickets_follow_the_configured_pattern():
    b = bypass("CI:DESTRUCTIVE_OK ARCH-112 approved by the data platform")
    assert b.tickets == ("ARCH-112",) and b.adr_refs == ()
    assert b.justification == "approved by the data platform"
    custom = parse_bypass(Comment(1, 1, "CI:DESTRUCTIVE_OK JIRA-9 drop"), r"JIRA-\d+")
    assert custom.tickets == ("JIRA-9",)


def test_a_ticket_pattern_that_also_matches_adrs_does_not_double_count():
    b = parse_bypass(Comment(1, 1, "CI:DESTRUCTIVE_OK ADR-015 drop"), r"[A-Z]+-\d+")
    assert b.adr_refs == ("ADR-015",) and b.tickets == ()


def test_a_bad_ticket_pattern_yields_no_tickets_rather_than_an_error():
    assert parse_bypass(Comment(1, 1, "CI:DESTRUCTIVE_OK ADR-1 x"), r"(unclosed").tickets == ()


def test_reference_only_comments_have_no_justification():
    for text in (
        "CI:DESTRUCTIVE_OK",
        "CI:DESTRUCTIVE_OK - ADR-015",
        "CI:DESTRUCTIVE_OK See ADR-015",
        "CI:DESTRUCTIVE_OK (per ARCH-12)",
        "CI:DESTRUCTIVE_OK \u2014 ref: ADR-015.",
        "CI:DESTRUCTIVE_OK: cf. ADR 15",
    ):
        assert bypass(text).justification == "", text


def test_comments_without_the_marker_are_not_bypasses():
    assert bypass("destructive ok ADR-015") is None
    assert bypass("ci:destructive_ok ADR-015 lower case is not the marker") is None


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=30),
    st.text(max_size=30),
    st.integers(min_value=0, max_value=999),
    st.sampled_from(["ADR-{:03d}", "ADR-{}", "adr-{:03d}", "ADR {:03d}", "ADR{}"]),
)
def test_any_comment_with_the_marker_and_an_adr_yields_that_reference(before, after, number, form):
    ref = form.format(number)
    text = f"{before} CI:DESTRUCTIVE_OK {ref} {after}"
    result = parse_bypass(Comment(1, 1, text), TICKETS)
    assert f"ADR-{number:03d}" in result.adr_refs
    assert "CI:DESTRUCTIVE_OK" not in result.justification


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_parse_bypass_never_fails(text):
    parse_bypass(Comment(1, 1, text), TICKETS)
    parse_bypass(Comment(1, 1, "CI:DESTRUCTIVE_OK " + text), TICKETS)


# --------------------------------------------------------------------------- suppressions


def test_suppression_codes():
    assert parse_suppression("govsite: disable=GOV505") == ("GOV505",)
    assert parse_suppression("govsite: disable=GOV505, gov201") == ("GOV505", "GOV201")
    assert parse_suppression("govsite:disable=multi-purpose-migration") == ("GOV505",)
    assert parse_suppression("nothing to see") == ()


# --------------------------------------------------------------------------- strings are not comments


def migration_with_sql(sql: str) -> bytes:
    return (
        '"""MIGRATION_ID: 1"""\nfrom alembic import op\nrevision = "a1"\ndown_revision = None\n\n'
        f"def upgrade():\n    op.execute({sql!r})\n    op.execute(\n        {sql!r}\n    )\n\n"
        f'def downgrade():\n    op.execute("""\n{sql}\n""")\n'
    ).encode()


def test_marker_inside_a_sql_string_is_not_a_comment():
    migration, findings = parse_migration(
        "alembic/versions/a1.py", migration_with_sql("DROP TABLE t -- # CI:DESTRUCTIVE_OK ADR-015 x"), Config()
    )
    assert findings == [] and migration.comments == () and migration.bypasses == ()


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from("abc #'\"-:;\\"), max_size=30))
def test_text_inside_any_string_never_becomes_a_comment(fragment):
    sql = f"SELECT 1 -- {fragment} # CI:DESTRUCTIVE_OK ADR-015"
    if '"""' in sql or sql.endswith('"') or "\\" in sql:
        sql = sql.replace('"', "").replace("\\", "")
    migration, findings = parse_migration("alembic/versions/a1.py", migration_with_sql(sql), Config())
    assert findings == []
    assert migration.comments == () and migration.bypasses == ()


def test_implicitly_joined_strings_keep_the_comment_between_them():
    source = (
        'from alembic import op\nrevision = "a1"\ndown_revision = None\n\n'
        "def upgrade():\n"
        "    op.execute(\n"
        '        "DROP TABLE legacy "  # CI:DESTRUCTIVE_OK ADR-015 retired\n'
        '        "CASCADE"\n'
        "    )\n"
    )
    migration, _ = parse_migration("alembic/versions/a1.py", source.encode(), Config())
    assert [(b.line, b.adr_refs) for b in migration.bypasses] == [(7, ("ADR-015",))]
    (operation,) = migration.operations
    assert operation.kind == "drop_table" and operation.sql.cascade and (operation.line, operation.end_line) == (6, 9)


# --------------------------------------------------------------------------- ADR references


@pytest.mark.parametrize("text, ids", [
    ("ADR-015", ["ADR-015"]),
    ("ADR-15", ["ADR-015"]),
    ("ADR 15", ["ADR-015"]),
    ("ADR_15", ["ADR-015"]),
    ("ADR15", ["ADR-015"]),
    ("ADR-0015", ["ADR-015"]),
    ("adr-15", ["ADR-015"]),
    ("Adr 0000015", ["ADR-015"]),
    ("ADR-1234", ["ADR-1234"]),
    ("see ADR-7, then (ADR-021).", ["ADR-007", "ADR-021"]),
    ("docs/adr/ADR-012-retention.md", ["ADR-012"]),
])
def test_adr_reference_forms_that_name_an_adr(text, ids):
    assert [ref.id for ref in adr_references(text)] == ids


@pytest.mark.parametrize("text", [
    "ADRs", "ADR-", "ADR", "MADR-15", "ADR-15a", "my_ADR-1", "ADR:15", "ADR #15", "ADR--15",
    "ADR  15", "ADR-1234567", "ADR-\u0661\u0662",
])
def test_adr_reference_forms_that_do_not(text):
    assert adr_references(text) == []


def test_an_adr_reference_knows_where_it_stands():
    (ref,) = adr_references("CI:DESTRUCTIVE_OK adr 15 retired")
    assert (ref.number, ref.start, ref.end) == (15, 18, 24)


def test_an_adr_written_with_a_space_is_documentation_for_gov602_as_for_the_bypass():
    """`ADR 15` approved a bypass but was no documentation reference for GOV602."""
    from generator.rules.review import has_doc_reference

    source = (
        '"""\nMIGRATION_ID: 1\nTOUCHES_PRIVACY: Yes\nJUSTIFICATION: hashing agreed in ADR 15\n"""\n'
        'revision = "a1"\ndown_revision = None\n\ndef upgrade():\n'
        '    op.drop_table("t")  # CI:DESTRUCTIVE_OK ADR 15 retired\n'
    )
    migration, _ = parse_migration("alembic/versions/a1.py", source.encode(), Config())
    assert migration.bypasses[0].adr_refs == ("ADR-015",)
    assert has_doc_reference(migration)
