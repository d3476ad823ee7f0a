"""What a parsed Markdown document tells its readers: sections by key, paragraphs, fields, code."""

from __future__ import annotations

from generator.sources.markdown import MarkdownDocument

DOCUMENT = """\
# ADR-007: Keep events

Intro without a field.

## Status

Accepted

## Context

**Status**&#58; draft
Next Review&colon; 2026-09-01
Date&#x3A; 2026-01-02

Plain prose, no name and no value.

### Status

Nested status `abc`.

| a | b |
| --- | --- |
| `cell` | x |
"""


def test_a_field_whose_colon_is_a_character_reference_is_read():
    doc = MarkdownDocument(DOCUMENT)
    assert [(f.name, f.value, f.line, f.bold) for f in doc.fields] == [
        ("Status", "draft", 11, True),
        ("Next Review", "2026-09-01", 12, False),
        ("Date", "2026-01-02", 13, False),
    ]


def test_paragraphs_asked_by_range_are_the_document_paragraphs():
    doc = MarkdownDocument(DOCUMENT)
    some = doc.paragraphs_between(7, 15)
    assert [p.line for p in some] == [7, 11, 15]
    assert some[1].plain == ": draft Next Review: 2026-09-01 Date: 2026-01-02"  # the bold name is the field's
    everything = doc.paragraphs
    assert [p.line for p in everything] == [3, 7, 11, 15, 19]
    assert all(a is b for a, b in zip(some, everything[1:4]))  # rendered once, shared


def test_paragraphs_are_the_same_whichever_is_asked_first():
    by_range = MarkdownDocument(DOCUMENT)
    by_range.paragraphs_between(15)
    assert by_range.paragraphs == MarkdownDocument(DOCUMENT).paragraphs
    assert by_range.fields == MarkdownDocument(DOCUMENT).fields


def test_a_section_is_found_by_key_within_the_lines_asked_for():
    doc = MarkdownDocument(DOCUMENT, first_line=10)
    assert doc.section("status").heading.line == 14
    assert doc.section("status", first=15).heading.line == 26
    assert doc.section("status", first=15, last=25) is None
    assert doc.section("status", last=14).heading.line == 14
    assert doc.section("context", first=14, last=18).heading.line == 18
    assert doc.section("decision") is None


def test_code_spans_of_paragraphs_and_table_cells_keep_their_lines():
    doc = MarkdownDocument(DOCUMENT)
    assert [(c.text, c.line) for c in doc.code_spans] == [("abc", 19), ("cell", 23)]
