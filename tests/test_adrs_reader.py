"""The ADR reader: Nygard and MADR forms, ids, statuses, supersession, and hostile files."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.config import Config
from generator.sources.adrs import normalise_adr_ref, normalise_status, read_adrs


def read(root, config=None):
    return read_adrs(root, config or Config())


def only(adrs):
    assert len(adrs) == 1, adrs
    return adrs[0]


def messages(findings):
    return [(f.rule, f.location.path, f.location.line, f.message) for f in findings]


NYGARD = """\
# ADR-015: Drop the legacy events table

Date: 2026-01-02
Deciders: Ana Lima, Bo Chen; Cy Park

## Status

Superseded by [ADR-021](0021-new-events.md)

Supersedes ADR-012

## Context

The legacy table is unused.
"""


def test_nygard_adr_gives_every_field_with_its_line(make_repo):
    root = make_repo({"docs/adr/ADR-015-drop-legacy.md": NYGARD})
    adrs, findings = read(root)
    adr = only(adrs)
    assert findings == []
    assert adr.path == "docs/adr/ADR-015-drop-legacy.md"
    assert (adr.id, adr.number, adr.title) == ("ADR-015", 15, "Drop the legacy events table")
    assert adr.status == "Superseded"
    assert adr.status_text == "Superseded by [ADR-021](0021-new-events.md)"
    assert adr.superseded_by == ("ADR-021",)
    assert adr.supersedes == ("ADR-012",)
    assert adr.date == "2026-01-02"
    assert adr.deciders == ("Ana Lima", "Bo Chen", "Cy Park")
    assert adr.format == "nygard"
    assert (adr.line, adr.status_line) == (1, 8)
    assert adr.body.startswith("Date: 2026-01-02\n")
    assert adr.body.endswith("The legacy table is unused.")
    assert not adr.accepted


def test_adr_tools_numbering_and_links_to_numbered_files(make_repo):
    root = make_repo({
        "docs/adr/0007-use-postgres.md": """\
            # 7. Use PostgreSQL

            Date: 2025-12-01

            ## Status

            Superseded by [9. Use managed PostgreSQL](0009-use-managed-postgresql.md)

            ## Decision

            Use it.
            """,
    })
    adr = only(read(root)[0])
    assert (adr.id, adr.number, adr.title) == ("ADR-007", 7, "Use PostgreSQL")
    assert adr.status == "Superseded"
    assert adr.superseded_by == ("ADR-009",)
    assert adr.date == "2025-12-01"


def test_madr_front_matter_gives_status_date_and_deciders(make_repo):
    root = make_repo({
        "docs/adr/0021-new-events.md": """\
            ---
            status: superseded by ADR-0030
            date: 2026-02-01
            deciders: [Ana Lima, Bo Chen]
            supersedes: ADR-015
            ---

            # Use the new events table

            ## Context and Problem Statement

            Text.
            """,
    })
    adrs, findings = read(root)
    adr = only(adrs)
    assert findings == []
    assert (adr.id, adr.number, adr.title, adr.format) == ("ADR-021", 21, "Use the new events table", "madr")
    assert (adr.status, adr.status_text) == ("Superseded", "superseded by ADR-0030")
    assert adr.superseded_by == ("ADR-030",)
    assert adr.supersedes == ("ADR-015",)
    assert adr.date == "2026-02-01"
    assert adr.deciders == ("Ana Lima", "Bo Chen")
    assert (adr.line, adr.status_line) == (8, 2)
    assert adr.body == "## Context and Problem Statement\n\nText."


def test_madr_deciders_as_comma_string(make_repo):
    root = make_repo({
        "docs/adr/0003-x.md": "---\nstatus: accepted\ndeciders: Ana, Bo\n---\n# Choose X\n",
    })
    adr = only(read(root)[0])
    assert adr.deciders == ("Ana", "Bo")
    assert adr.status == "Accepted" and adr.accepted


def test_madr2_list_header_lines_are_read(make_repo):
    root = make_repo({
        "docs/adr/0004-queue.md": """\
            # Use a queue

            * Status: accepted
            * Deciders: Ana, Bo
            * Date: 2025-10-10

            ## Context
            """,
    })
    adrs, findings = read(root)
    adr = only(adrs)
    assert findings == []
    assert (adr.status, adr.status_line) == ("Accepted", 3)
    assert adr.deciders == ("Ana", "Bo")
    assert adr.date == "2025-10-10"


@pytest.mark.parametrize(
    "written, normalised",
    [
        ("Accepted", "Accepted"),
        ("accepted", "Accepted"),
        ("PROPOSED", "Proposed"),
        ("Rejected", "Rejected"),
        ("Deprecated", "Deprecated"),
        ("Superseded by ADR-021", "Superseded"),
        ("Accepted (2026-01-02)", "Accepted"),
        ("Approved", None),
        ("proposed | accepted | rejected", None),
    ],
)
def test_status_normalisation(written, normalised):
    assert normalise_status(written) == normalised


@pytest.mark.parametrize(
    "text, expected",
    [("ADR-15", "ADR-015"), ("adr 0015", "ADR-015"), ("ADR_7", "ADR-007"), ("ADR-1234", "ADR-1234"), ("nothing", None)],
)
def test_adr_references_are_normalised(text, expected):
    assert normalise_adr_ref(text) == expected


def test_four_digit_numbers_keep_their_digits(make_repo):
    root = make_repo({"docs/adr/ADR-1234-big.md": "# ADR-1234: Big\n\n## Status\n\nAccepted\n"})
    assert only(read(root)[0]).id == "ADR-1234"


def test_unknown_status_is_kept_as_written_and_reported(make_repo):
    root = make_repo({"docs/adr/0002-x.md": "# X\n\n## Status\n\nApproved by the board\n"})
    adrs, findings = read(root)
    adr = only(adrs)
    assert (adr.status, adr.status_text, adr.status_line) == (None, "Approved by the board", 5)
    assert messages(findings) == [
        ("GOV804", "docs/adr/0002-x.md", 5,
         "unknown ADR status 'Approved by the board' "
         "(expected one of Proposed, Accepted, Rejected, Deprecated, Superseded)"),
    ]


def test_adr_without_status_is_reported_at_its_title(make_repo):
    root = make_repo({"docs/adr/0002-x.md": "<!-- draft -->\n\n# ADR-002: X\n\n## Context\n\nText.\n"})
    adrs, findings = read(root)
    adr = only(adrs)
    assert (adr.status, adr.status_text, adr.line) == (None, None, 3)
    assert messages(findings) == [("GOV804", "docs/adr/0002-x.md", 3, "ADR has no status")]


def test_status_heading_inside_a_code_block_does_not_count(make_repo):
    root = make_repo({
        "docs/adr/0002-x.md": "# X\n\n```markdown\n## Status\n\nAccepted\n```\n",
    })
    adrs, findings = read(root)
    assert only(adrs).status is None
    assert [f.message for f in findings] == ["ADR has no status"]


def test_madr_with_broken_yaml_reports_the_yaml_line_once(make_repo):
    root = make_repo({
        "docs/adr/0005-x.md": "---\ndate: 2026-01-01\nstatus: [accepted\n---\n\n# X\n",
    })
    adrs, findings = read(root)
    adr = only(adrs)
    assert (adr.status, adr.format, adr.title, adr.line) == (None, "madr", "X", 6)
    assert len(findings) == 1
    problem = findings[0]
    assert (problem.rule, problem.location.path, problem.location.line) == ("GOV804", "docs/adr/0005-x.md", 3)
    assert "YAML syntax error" in problem.message


def test_front_matter_that_is_never_closed_is_reported(make_repo):
    root = make_repo({"docs/adr/0005-x.md": "---\nstatus: accepted\n# X\n"})
    adrs, findings = read(root)
    assert [(f.location.line, f.message) for f in findings] == [
        (1, "front matter opened with '---' is never closed")
    ]


def test_impossible_date_is_reported_at_its_line(make_repo):
    root = make_repo({"docs/adr/0005-x.md": "---\nstatus: accepted\ndate: 2026-02-30\n---\n# X\n"})
    adrs, findings = read(root)
    assert only(adrs).date is None
    assert messages(findings) == [
        ("GOV804", "docs/adr/0005-x.md", 3, "ADR date '2026-02-30' is not a valid YYYY-MM-DD date")
    ]


def test_same_number_twice_reports_the_second_file(make_repo):
    root = make_repo({
        "docs/adr/0015-first.md": "# First\n\n## Status\n\nAccepted\n",
        "docs/adr/ADR-015-second.md": "# ADR-015: Second\n\n## Status\n\nProposed\n",
    })
    adrs, findings = read(root)
    assert [a.path for a in adrs] == ["docs/adr/0015-first.md"]
    assert messages(findings) == [
        ("GOV804", "docs/adr/ADR-015-second.md", 1,
         "ADR-015 is already defined in docs/adr/0015-first.md; this file is ignored"),
    ]


def test_readme_index_and_templates_are_not_adrs(make_repo):
    root = make_repo({
        "docs/adr/README.md": "# Decisions\n",
        "docs/adr/index.md": "# Decisions\n",
        "docs/adr/0000-adr-template.md": "# Title\n",
        "docs/adr/template.md": "# Title\n",
        "docs/adr/adr-template.md": "# Title\n",
        "docs/adr/0001-real.md": "# Real\n\n## Status\n\nAccepted\n",
        "docs/adr/0042-email-template-engine.md": "# Email templates\n\n## Status\n\nAccepted\n",
    })
    adrs, findings = read(root)
    assert [a.id for a in adrs] == ["ADR-001", "ADR-042"] and findings == []


def test_file_without_a_number_is_reported(make_repo):
    root = make_repo({"docs/adr/use-postgres.md": "# Use PostgreSQL\n\n## Status\n\nAccepted\n"})
    adrs, findings = read(root)
    assert adrs == []
    assert messages(findings) == [
        ("GOV804", "docs/adr/use-postgres.md", 1,
         "cannot tell the ADR number: name the file 'ADR-015-title.md' or '0015-title.md'"),
    ]


def test_number_in_title_is_used_when_the_file_name_has_none(make_repo):
    root = make_repo({"docs/adr/use-postgres.md": "# ADR-016: Use PostgreSQL\n\n## Status\n\nAccepted\n"})
    assert only(read(root)[0]).id == "ADR-016"


def test_file_name_and_title_disagreeing_is_reported(make_repo):
    root = make_repo({"docs/adr/0015-x.md": "# ADR-016: X\n\n## Status\n\nAccepted\n"})
    adrs, findings = read(root)
    assert only(adrs).id == "ADR-015"
    assert messages(findings) == [
        ("GOV804", "docs/adr/0015-x.md", 1, "file name says ADR-015 but the title says ADR-016")
    ]


def test_adr_without_title_uses_the_file_name_and_is_reported(make_repo):
    root = make_repo({"docs/adr/0008-cache.md": "## Status\n\nAccepted\n"})
    adrs, findings = read(root)
    adr = only(adrs)
    assert (adr.title, adr.status) == ("0008-cache", "Accepted")
    assert messages(findings) == [("GOV804", "docs/adr/0008-cache.md", 1, "ADR has no '# ' title heading")]


def test_empty_file_is_reported(make_repo):
    root = make_repo({"docs/adr/0009-empty.md": ""})
    adrs, findings = read(root)
    assert adrs == []
    assert messages(findings) == [("GOV804", "docs/adr/0009-empty.md", 1, "ADR file is empty")]


def test_non_utf8_file_is_reported_with_its_line(make_repo):
    root = make_repo({"docs/adr/0010-bad.md": b"# Bad\n\n## Status\n\nAccepted \xff\n"})
    adrs, findings = read(root)
    assert adrs == []
    assert [(f.rule, f.location.line, f.location.column) for f in findings] == [("GOV804", 5, 10)]
    assert "not valid UTF-8" in findings[0].message


def test_directory_named_like_an_adr_is_reported(make_repo):
    root = make_repo({"docs/adr/0011-dir.md/notes.txt": "x"})
    adrs, findings = read(root)
    assert adrs == []
    assert messages(findings) == [("GOV804", "docs/adr/0011-dir.md", 1, "is a directory, not a file")]


def test_symlink_leaving_the_repository_is_not_read(make_repo, tmp_path):
    outside = tmp_path / "secret-0012-x.md"
    outside.write_text("# ADR-012: Secret\n\n## Status\n\nAccepted\n", encoding="utf-8")
    root = make_repo({"docs/adr/0001-real.md": "# Real\n\n## Status\n\nAccepted\n"})
    os.symlink(outside, root / "docs/adr/0012-link.md")
    adrs, findings = read(root)
    assert [a.id for a in adrs] == ["ADR-001"]
    assert messages(findings) == [
        ("GOV804", "docs/adr/0012-link.md", 1, "path leads outside the repository; not read")
    ]


def test_links_climbing_out_of_the_repository_are_kept_as_text(make_repo):
    root = make_repo({
        "docs/adr/0013-x.md": "# X\n\n## Status\n\nSuperseded by [this](../../../../etc/0099-passwd.md)\n",
    })
    adrs, findings = read(root)
    adr = only(adrs)
    assert findings == []
    assert adr.superseded_by == ("ADR-099",)
    assert "(../../../../etc/0099-passwd.md)" in adr.body


def test_configured_globs_are_used(make_repo):
    root = make_repo({
        "architecture/decisions/0001-a.md": "# A\n\n## Status\n\nAccepted\n",
        "docs/adr/0002-b.md": "# B\n\n## Status\n\nAccepted\n",
    })
    adrs, _ = read(root, Config(adrs=("architecture/decisions/*.md",)))
    assert [a.id for a in adrs] == ["ADR-001"]


def test_bold_status_field_line_counts(make_repo):
    root = make_repo({"docs/adr/0014-x.md": "# X\n\n**Status:** Accepted  \n**Date:** 2026-03-03\n"})
    adrs, findings = read(root)
    adr = only(adrs)
    assert findings == []
    assert (adr.status, adr.status_line, adr.date) == ("Accepted", 3, "2026-03-03")


MARKDOWN_PIECES = [
    "# ", "## ", "### ", "Status", "Date", "Deciders", ": ", "**", "Accepted", "Superseded by ",
    "ADR-", "0021", "[x](0021-y.md)", "---", "...", "```", "\n", "\n", "\n", "status: ", "[", "]",
    "{", "}", " ", "\t", "> ", "- ", "2026-02-30", "2026-01-02", "\x00", "\u00e9", "\\",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(MARKDOWN_PIECES), max_size=60).map("".join))
def test_any_text_gives_an_adr_or_findings_never_an_exception(text):
    from generator.sources.adrs import parse_adr

    adr, findings = parse_adr("docs/adr/0001-x.md", text)
    assert adr is not None or findings
    for problem in findings:
        assert problem.location.path == "docs/adr/0001-x.md" and problem.location.line >= 1
    if adr is not None:
        assert adr.id == "ADR-001" and adr.line >= 1


def test_status_written_in_the_heading_counts(make_repo):
    root = make_repo({"docs/adr/0016-x.md": "# X\n\n## Status: Deprecated\n\n## Context\n"})
    adrs, findings = read(root)
    adr = only(adrs)
    assert findings == []
    assert (adr.status, adr.status_text, adr.status_line) == ("Deprecated", "Deprecated", 3)
