"""The policy document reader: title and review-cycle header fields, with their lines."""

from __future__ import annotations

import os
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.config import Config
from generator.sources.policies import parse_policy_date, read_policies

RUNBOOK = "docs/database/RUNBOOK-MIGRATION-POLICY.md"

RUNBOOK_TEXT = """\
# Migration Policy Runbook

**Version:** 1.0.0  
**Date:** 2025-11-17  
**Status:** Operational Policy  
**Related Document:** `docs/design.md`

---

## Purpose

How schema changes are governed.

```markdown
**Next Review**: 1999-01-01
```

---

**Document Status**: Complete  
**Next Review**: 2026-01-17 (quarterly review)
"""


def read(root, config=None):
    return read_policies(root, config or Config())


def messages(findings):
    return [(f.rule, f.location.path, f.location.line, f.message) for f in findings]


def test_runbook_header_fields_and_their_lines(make_repo):
    documents, findings = read(make_repo({RUNBOOK: RUNBOOK_TEXT}))
    assert findings == []
    [doc] = documents
    assert (doc.path, doc.title) == (RUNBOOK, "Migration Policy Runbook")
    assert doc.version == "1.0.0"
    assert doc.date == date(2025, 11, 17)
    assert doc.status == "Operational Policy"
    assert doc.next_review == date(2026, 1, 17)
    assert doc.field_lines == (("version", 3), ("date", 4), ("status", 5), ("next_review", 21))
    assert doc.line_of("next_review") == 21


def test_default_globs_find_nested_runbooks_and_change_control(make_repo):
    root = make_repo({
        "docs/a/b/RUNBOOK-X.md": "# X\n",
        "db/schema/CHANGE_CONTROL.md": "# Change control\n\nVersion: 2.1\n",
        "docs/OTHER.md": "# Not a policy\n",
    })
    documents, findings = read(root)
    assert [(d.path, d.title, d.version) for d in documents] == [
        ("db/schema/CHANGE_CONTROL.md", "Change control", "2.1"),
        ("docs/a/b/RUNBOOK-X.md", "X", None),
    ]
    assert findings == []


def test_plain_field_lines_are_read(make_repo):
    text = "# Change control\n\nVersion: 1.0\nDate: 2025-01-02\nNext Review: 2025-04-02\n"
    [doc], findings = read(make_repo({"db/schema/CHANGE_CONTROL.md": text}))
    assert findings == []
    assert (doc.version, doc.date, doc.next_review) == ("1.0", date(2025, 1, 2), date(2025, 4, 2))
    assert doc.field_lines == (("version", 3), ("date", 4), ("next_review", 5))


def test_bold_field_wins_over_an_earlier_plain_sentence(make_repo):
    text = "# R\n\nStatus: see the table below\n\n**Status**: Draft\n"
    [doc], _ = read(make_repo({"docs/RUNBOOK-R.md": text}))
    assert (doc.status, doc.line_of("status")) == ("Draft", 5)


def test_malformed_date_is_reported_at_its_line_and_left_out(make_repo):
    text = "# R\n\n**Version:** 1\n**Next Review**: next quarter\n**Date:** 2025-02-30\n"
    [doc], findings = read(make_repo({"docs/RUNBOOK-R.md": text}))
    assert (doc.next_review, doc.date, doc.version) == (None, None, "1")
    assert messages(findings) == [
        ("GOV804", "docs/RUNBOOK-R.md", 5, "Date '2025-02-30' is not a date (write YYYY-MM-DD, e.g. 2026-01-17)"),
        ("GOV804", "docs/RUNBOOK-R.md", 4,
         "Next Review 'next quarter' is not a date (write YYYY-MM-DD, e.g. 2026-01-17)"),
    ]


def test_document_without_next_review_is_not_reported_here(make_repo):
    [doc], findings = read(make_repo({"docs/RUNBOOK-R.md": "# R\n\n**Version:** 1\n"}))
    assert doc.next_review is None and findings == []
    assert doc.line_of("next_review") == 1


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-01-17", date(2026, 1, 17)),
        ("2026-01-17 (quarterly review)", date(2026, 1, 17)),
        ("January 17, 2026", date(2026, 1, 17)),
        ("17 Jan 2026", date(2026, 1, 17)),
        ("2026-01-17T10:00", None),
        ("2026-1-7", None),
        ("soon", None),
        ("", None),
    ],
)
def test_policy_date_formats(text, expected):
    assert parse_policy_date(text) == expected


def test_front_matter_fields_are_read_when_the_text_has_none(make_repo):
    text = "---\ntitle: Runbook\nversion: 3.0\nnext_review: 2026-07-01\n---\nBody without a heading.\n"
    [doc], findings = read(make_repo({"docs/RUNBOOK-R.md": text}))
    assert findings == []
    assert (doc.title, doc.version, doc.next_review) == ("Runbook", "3.0", date(2026, 7, 1))
    assert doc.field_lines == (("version", 3), ("next_review", 4))


def test_document_without_title_uses_the_file_name_and_is_reported(make_repo):
    [doc], findings = read(make_repo({"docs/RUNBOOK-R.md": "Version: 1\n"}))
    assert (doc.title, doc.version) == ("RUNBOOK-R", "1")
    assert messages(findings) == [("GOV804", "docs/RUNBOOK-R.md", 1, "policy document has no '# ' title")]


def test_empty_document_is_reported(make_repo):
    [doc], findings = read(make_repo({"docs/RUNBOOK-R.md": ""}))
    assert doc.title == "RUNBOOK-R"
    assert messages(findings) == [("GOV804", "docs/RUNBOOK-R.md", 1, "policy document is empty")]


def test_non_utf8_document_is_reported_with_its_line(make_repo):
    root = make_repo({"docs/RUNBOOK-R.md": b"# R\n\n**Version:** 1\xff\n"})
    documents, findings = read(root)
    assert documents == []
    assert [(f.rule, f.location.line, f.location.column) for f in findings] == [("GOV804", 3, 15)]


def test_broken_front_matter_is_reported_and_the_text_still_read(make_repo):
    text = "---\ntitle: [x\n---\n# R\n\n**Version:** 4\n"
    [doc], findings = read(make_repo({"docs/RUNBOOK-R.md": text}))
    assert (doc.title, doc.version, doc.line_of("version")) == ("R", "4", 6)
    assert [(f.rule, f.location.line) for f in findings] == [("GOV804", 2)]


def test_symlink_leaving_the_repository_is_not_read(make_repo, tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text("# Secret\n", encoding="utf-8")
    root = make_repo({"docs/README.md": "x"})
    os.symlink(outside, root / "docs/RUNBOOK-LEAK.md")
    documents, findings = read(root)
    assert documents == []
    assert messages(findings) == [
        ("GOV804", "docs/RUNBOOK-LEAK.md", 1, "path leads outside the repository; not read")
    ]


def test_parent_directory_globs_match_nothing(make_repo):
    root = make_repo({"docs/RUNBOOK-R.md": "# R\n"})
    assert read(root, Config(policies=("../*.md", "/etc/*.md"))) == ([], [])


POLICY_PIECES = [
    "# ", "## ", "**", "Version", "Next Review", "Date", "Status", ": ", ":** ", "2026-01-17",
    "2026-02-30", "(quarterly)", "---", "```", "\n", "\n", " ", "title: [", "\u00e9",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(POLICY_PIECES), max_size=60).map("".join))
def test_any_policy_text_never_raises(text):
    from generator.sources.policies import parse_policy

    document, findings = parse_policy("docs/RUNBOOK-X.md", text)
    for problem in findings:
        assert problem.location.path == "docs/RUNBOOK-X.md" and problem.location.line >= 1
    if document is not None:
        assert all(line >= 1 for _, line in document.field_lines)
