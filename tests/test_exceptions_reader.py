"""The exceptions register reader: records, their parts, times, migration references, bad files."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.config import Config
from generator.sources.exceptions import parse_change_time, read_exceptions

PATH = "db/schema/EXCEPTIONS.md"

REGISTER = """\
# Exceptions Register

Records of emergency schema changes. The template:

```markdown
## Emergency Change: <Date>

**Incident**: [Incident ticket]
```

## Emergency Change: 2026-04-01

**Incident**: [INC-2041](https://tickets.example.com/INC-2041)  
**Urgency**: CRITICAL (production down)

## Immediate Action Taken

Dropped the index `ix_events_ts` by hand.

## Retroactive Canonical Spec Update

[PR #88](https://git.example.com/pr/88) adds migration 202604011200
(revision `3f2a9c1b7d4e`).

## Post-Incident Review

[Post-mortem](https://wiki.example.com/pm/2041)

## Emergency Change: 2026-05-02 10:30 UTC

**Incident**: INC-2100
**Urgency**: HIGH

### Immediate Action Taken

Raised a statement timeout.

### Retroactive Canonical Spec Update

Migration: b7c8, 202605021100

### Post-Incident Review

Held on 2026-05-04.
"""


def read(root, config=None):
    return read_exceptions(root, config or Config())


def messages(findings):
    return [(f.rule, f.location.path, f.location.line, f.message) for f in findings]


def test_template_form_record_gives_every_part_with_its_line(make_repo):
    records, findings = read(make_repo({PATH: REGISTER}))
    assert findings == []
    first = records[0]
    assert (first.path, first.line, first.heading) == (PATH, 11, "Emergency Change: 2026-04-01")
    assert first.changed_at == datetime(2026, 4, 1, 23, 59, 59, tzinfo=timezone.utc)
    assert first.incident == "INC-2041" and first.id == "INC-2041"
    assert first.urgency == "CRITICAL (production down)"
    assert first.immediate_action == "Dropped the index `ix_events_ts` by hand."
    assert first.retroactive_update == (
        "[PR #88](https://git.example.com/pr/88) adds migration 202604011200\n(revision `3f2a9c1b7d4e`)."
    )
    assert first.post_incident_review == "[Post-mortem](https://wiki.example.com/pm/2041)"
    assert first.migration_refs == ("202604011200", "3f2a9c1b7d4e")
    assert first.part_lines == (
        ("Incident", 13),
        ("Urgency", 14),
        ("Immediate Action Taken", 16),
        ("Retroactive Canonical Spec Update", 20),
        ("Post-Incident Review", 25),
    )


def test_parts_as_subsections_and_times_with_zone(make_repo):
    records, _ = read(make_repo({PATH: REGISTER}))
    second = records[1]
    assert len(records) == 2
    assert second.line == 29
    assert second.changed_at == datetime(2026, 5, 2, 10, 30, tzinfo=timezone.utc)
    assert (second.incident, second.urgency) == ("INC-2100", "HIGH")
    assert second.immediate_action == "Raised a statement timeout."
    assert second.retroactive_update == "Migration: b7c8, 202605021100"
    assert second.post_incident_review == "Held on 2026-05-04."
    assert second.migration_refs == ("b7c8", "202605021100")
    assert dict(second.part_lines)["Post-Incident Review"] == 42


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-04-01", datetime(2026, 4, 1, 23, 59, 59, tzinfo=timezone.utc)),
        ("2026-04-01T10:00:00Z", datetime(2026, 4, 1, 10, 0, tzinfo=timezone.utc)),
        ("2026-04-01 10:00 UTC", datetime(2026, 4, 1, 10, 0, tzinfo=timezone.utc)),
        ("2026-04-01T10:00:00+02:00", datetime(2026, 4, 1, 8, 0, tzinfo=timezone.utc)),
        ("2026-04-01 10:00 -0130", datetime(2026, 4, 1, 11, 30, tzinfo=timezone.utc)),
        ("2026-04-01 10:00", datetime(2026, 4, 1, 10, 0, tzinfo=timezone.utc)),
        ("2026-04-01 - payments outage", datetime(2026, 4, 1, 23, 59, 59, tzinfo=timezone.utc)),
        ("2026-04-01 (payments)", datetime(2026, 4, 1, 23, 59, 59, tzinfo=timezone.utc)),
        ("2026-13-01", None),
        ("2026-04-01T25:00Z", None),
        ("2026-04-01 10:00 +25:00", None),
        ("<Date>", None),
        ("April 1st", None),
        ("", None),
        ("2026-04-01 sometime", None),
    ],
)
def test_change_time_formats(text, expected):
    assert parse_change_time(text) == expected


def test_result_is_timezone_aware_utc():
    assert parse_change_time("2026-04-01T10:00+05:30").tzinfo == timezone.utc


def complete_record(omit: str = "", heading_level: str = "##") -> str:
    parts = {
        "Incident": "**Incident**: INC-1",
        "Urgency": "**Urgency**: LOW",
        "Immediate Action Taken": f"{heading_level} Immediate Action Taken\n\nAdded an index.",
        "Retroactive Canonical Spec Update": f"{heading_level} Retroactive Canonical Spec Update\n\nPR 5",
        "Post-Incident Review": f"{heading_level} Post-Incident Review\n\nDone.",
    }
    body = "\n\n".join(text for name, text in parts.items() if name != omit)
    return f"# Register\n\n## Emergency Change: 2026-04-01\n\n{body}\n"


@pytest.mark.parametrize("heading_level", ["##", "###"])
@pytest.mark.parametrize(
    "part, written",
    [
        ("Incident", "'**Incident**:' line"),
        ("Urgency", "'**Urgency**:' line"),
        ("Immediate Action Taken", "'Immediate Action Taken' section"),
        ("Retroactive Canonical Spec Update", "'Retroactive Canonical Spec Update' section"),
        ("Post-Incident Review", "'Post-Incident Review' section"),
    ],
)
def test_missing_part_is_reported_at_the_record_heading(make_repo, part, written, heading_level):
    records, findings = read(make_repo({PATH: complete_record(omit=part, heading_level=heading_level)}))
    assert messages(findings) == [
        ("GOV401", PATH, 3, f"emergency record 2026-04-01 has no {written}")
    ]
    assert part not in dict(records[0].part_lines)


def test_complete_record_has_no_findings(make_repo):
    records, findings = read(make_repo({PATH: complete_record()}))
    assert findings == [] and len(records) == 1


def test_empty_section_is_reported(make_repo):
    text = complete_record().replace("Done.", "")
    records, findings = read(make_repo({PATH: text}))
    assert records[0].post_incident_review is None
    assert dict(records[0].part_lines)["Post-Incident Review"] == 17
    assert messages(findings) == [
        ("GOV401", PATH, 3, "emergency record 2026-04-01 has an empty 'Post-Incident Review' section")
    ]


@pytest.mark.parametrize("placeholder", ["[Link to post-mortem]", "TBD", "todo", "N/A"])
def test_template_placeholder_counts_as_missing(make_repo, placeholder):
    text = complete_record().replace("Done.", placeholder)
    records, findings = read(make_repo({PATH: text}))
    assert records[0].post_incident_review is None
    assert messages(findings) == [
        ("GOV401", PATH, 3,
         f"emergency record 2026-04-01 'Post-Incident Review' still holds a placeholder ({placeholder!r})")
    ]


def test_part_written_as_a_field_line_counts(make_repo):
    text = complete_record(omit="Post-Incident Review").replace(
        "**Urgency**: LOW", "**Urgency**: LOW\n**Post-Incident Review**: [PM](https://wiki/pm)"
    )
    records, findings = read(make_repo({PATH: text}))
    assert findings == []
    assert records[0].post_incident_review == "[PM](https://wiki/pm)"
    assert dict(records[0].part_lines)["Post-Incident Review"] == 8


def test_record_with_a_bad_date_is_reported_and_kept(make_repo):
    text = complete_record().replace("2026-04-01", "2026-02-30")
    records, findings = read(make_repo({PATH: text}))
    assert records[0].changed_at is None
    assert records[0].incident == "INC-1"
    assert messages(findings) == [
        ("GOV401", PATH, 3,
         "emergency record heading 'Emergency Change: 2026-02-30' has no valid date: write "
         "'YYYY-MM-DD', 'YYYY-MM-DDTHH:MM:SSZ' or 'YYYY-MM-DD HH:MM UTC'"),
    ]


def test_parts_of_the_next_record_do_not_complete_the_previous_one(make_repo):
    text = (
        "## Emergency Change: 2026-04-01\n\n**Incident**: INC-1\n**Urgency**: LOW\n\n"
        "## Emergency Change: 2026-04-02\n\n**Incident**: INC-2\n**Urgency**: LOW\n\n"
        "## Immediate Action Taken\n\nX\n\n## Retroactive Canonical Spec Update\n\nY\n\n"
        "## Post-Incident Review\n\nZ\n"
    )
    records, findings = read(make_repo({PATH: text}))
    assert [r.incident for r in records] == ["INC-1", "INC-2"]
    assert [(f.location.line, f.message) for f in findings] == [
        (1, "emergency record 2026-04-01 has no 'Immediate Action Taken' section"),
        (1, "emergency record 2026-04-01 has no 'Retroactive Canonical Spec Update' section"),
        (1, "emergency record 2026-04-01 has no 'Post-Incident Review' section"),
    ]


def test_headings_in_code_blocks_are_not_records(make_repo):
    text = "# Register\n\n```markdown\n## Emergency Change: <Date>\n```\n"
    assert read(make_repo({PATH: text})) == ([], [])


def test_migration_references_are_conservative(make_repo):
    text = complete_record().replace(
        "Added an index.",
        "See the revision history. The snippet had down_revision = 'c0ffee000001' and\n"
        "revision = 'ab12'. Ticket 2026040112 and URL https://x/pull/123456789012 are not ids.\n"
        "Code `deadbeef0001` is a revision; `not-a-rev` is not. MIGRATION_ID: 202604011200",
    )
    records, _ = read(make_repo({PATH: text}))
    assert records[0].migration_refs == ("ab12", "deadbeef0001", "202604011200")


def test_migration_references_are_read_line_by_line(make_repo):
    """An id at either end of a line counts; a revision phrase broken over two lines does not."""
    text = complete_record().replace(
        "Added an index.",
        "202604011200\nthen 202604011300\nREVISION\n3f2a9c1b7d4e stays unnamed; Revision ID: a7",
    )
    records, _ = read(make_repo({PATH: text}))
    assert records[0].migration_refs == ("202604011200", "202604011300", "a7")


def test_a_record_naming_no_migration_has_no_references(make_repo):
    records, _ = read(make_repo({PATH: complete_record()}))
    assert records[0].migration_refs == ()


def test_absent_register_means_no_records_and_no_finding(make_repo):
    assert read(make_repo({"README.md": "x"})) == ([], [])


def test_empty_register_has_no_records(make_repo):
    assert read(make_repo({PATH: ""})) == ([], [])


def test_configured_path_is_used(make_repo):
    root = make_repo({"ops/EMERGENCIES.md": complete_record()})
    records, findings = read(root, Config(exceptions="ops/EMERGENCIES.md"))
    assert [r.path for r in records] == ["ops/EMERGENCIES.md"] and findings == []


def test_non_utf8_register_is_reported_with_its_line(make_repo):
    root = make_repo({PATH: b"# Register\n\n## Emergency Change: 2026-04-01\n\n\xc3\x28\n"})
    records, findings = read(root)
    assert records == []
    assert [(f.rule, f.location.path, f.location.line) for f in findings] == [("GOV804", PATH, 5)]


def test_register_that_is_a_directory_is_reported(make_repo):
    records, findings = read(make_repo({f"{PATH}/x.md": "x"}))
    assert records == []
    assert messages(findings) == [("GOV804", PATH, 1, "is a directory, not a file")]


def test_symlink_leaving_the_repository_is_not_read(make_repo, tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text(complete_record(), encoding="utf-8")
    root = make_repo({"db/schema/README.md": "x"})
    os.symlink(outside, root / PATH)
    records, findings = read(root)
    assert records == []
    assert messages(findings) == [("GOV804", PATH, 1, "path leads outside the repository; not read")]


def test_dangling_symlink_is_reported(make_repo, tmp_path):
    root = make_repo({"db/schema/README.md": "x"})
    os.symlink(root / "db/schema/gone.md", root / PATH)
    records, findings = read(root)
    assert records == [] and [f.rule for f in findings] == ["GOV804"]


REGISTER_PIECES = [
    "## Emergency Change: ", "### ", "## ", "# ", "Immediate Action Taken", "Post-Incident Review",
    "Retroactive Canonical Spec Update", "**Incident**: ", "**Urgency**:", "2026-04-01", "T10:00Z",
    " UTC", "+25:00", "revision ", "`", "202604011200", "abcdef123456", "TBD", "[", "]", "```",
    "\n", "\n", "\n", " ", "\u00e9",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(REGISTER_PIECES), max_size=60).map("".join))
def test_any_register_gives_records_and_findings_never_an_exception(tmp_path_factory, text):
    root = tmp_path_factory.mktemp("register")
    (root / "db/schema").mkdir(parents=True)
    (root / PATH).write_text(text, encoding="utf-8")
    records, findings = read(root)
    for problem in findings:
        assert problem.location.path == PATH and problem.location.line >= 1
    for record in records:
        assert record.line >= 1
        assert record.changed_at is None or record.changed_at.tzinfo == timezone.utc
