"""The small languages inside a migration's docstring and comments.

* the metadata header: `KEY: value` lines, values continued on more-indented lines;
* the docstring `alembic revision` writes: `Revision ID:`, `Revises:`, `Create Date:`;
* the destructive bypass comment `# CI:DESTRUCTIVE_OK - <ADR or ticket> <justification>`;
* references to ADRs (`ADR-015`), in bypass comments, headers and ADRs alike;
* suppression comments `# govsite: disable=GOV505,GOV201`.

They are kept apart from the Python reader so each can be tested on its own, and every line
number they report is a line of the file.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Iterable, NamedTuple, Optional, Sequence

from ..catalog import CATALOG
from ..model import Bypass, Comment, HeaderField, MetadataHeader

BYPASS_MARKER = "CI:DESTRUCTIVE_OK"

KNOWN_FIELDS = frozenset(
    {
        "MIGRATION_ID",
        "TITLE",
        "CHANGE_TYPE",
        "RISK_LEVEL",
        "FORWARD_ONLY",
        "JUSTIFICATION",
        "ROLLBACK_STRATEGY",
        "DOC_REFS",
        "INCIDENT",
    }
)

_KEY = r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*"
_FIELD_LINE = re.compile(rf"^(?P<indent>[ \t]*)(?P<key>{_KEY})[ \t]*:(?P<value>.*)$")
_KEYLIKE_WITHOUT_COLON = re.compile(
    rf"^[ \t]*(?P<key>[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|{'|'.join(sorted(KNOWN_FIELDS))})"
    r"(?:[ \t]*(?:[=\-\u2013\u2014>]+|\s)[ \t]*\S.*)?[ \t]*$"
)
_ANY_CASE_FIELD = re.compile(r"^[ \t]*(?P<key>[A-Za-z][A-Za-z0-9_]*)[ \t]*:")


def _indent(line: str) -> int:
    """How far a line is indented, a tab counting to the next multiple of four."""
    if "\t" in line:
        line = line.expandtabs(4)
    return len(line) - len(line.lstrip())


# --------------------------------------------------------------------------- metadata header


def parse_header(docstring: str, first_line: int) -> Optional[MetadataHeader]:
    """The `KEY: value` fields of a docstring whose first line is file line `first_line`.

    Keys are UPPER_SNAKE; a following line indented deeper than its key continues the value
    (folded with single spaces); a blank line ends it. Title lines and Alembic's own
    `Revision ID:` lines are not fields. Inside a paragraph that holds fields, a line that looks
    like a key but lacks its colon (`RISK_LEVEL High`, `risk_level: High`) is recorded in
    `malformed_lines` so a rule can point at it. Without any field the result is None.
    """
    if ":" not in docstring:
        return None
    fields: list[HeaderField] = []
    others: list[tuple[int, int, str]] = []  # (paragraph, file line, text) of lines that are no field
    paragraphs_with_fields: set[int] = set()
    key = None  # the field being read: key, value parts, line, indentation
    parts: list[str] = []
    key_line = key_indent = paragraph = 0
    match_field = _FIELD_LINE.match
    for number, line in enumerate(docstring.split("\n"), first_line):
        if not line or line.isspace():
            paragraph += 1
            if key is not None:
                fields.append(HeaderField(key, " ".join(parts), key_line))
                key = None
            continue
        indented = line[0].isspace()
        if key is not None:
            if indented and _indent(line) > key_indent:
                parts.append(line.strip())
                continue
            fields.append(HeaderField(key, " ".join(parts), key_line))
            key = None
        match = match_field(line)
        if match:
            key, value = match.group("key", "value")
            key_line, key_indent = number, _indent(line) if indented else 0
            value = value.strip()
            parts = [value] if value else []
            paragraphs_with_fields.add(paragraph)
        else:
            others.append((paragraph, number, line))
    if key is not None:
        fields.append(HeaderField(key, " ".join(parts), key_line))
    if not fields:
        return None
    # only a paragraph that holds fields can hold a broken one (a title line is no field)
    malformed = tuple(number for par, number, line in others
                      if par in paragraphs_with_fields and _looks_like_broken_field(line))
    return MetadataHeader(tuple(fields), first_line, malformed)


def _looks_like_broken_field(line: str) -> bool:
    """`RISK_LEVEL High`, `RISK_LEVEL = High`, `risk_level: High` - a field written wrongly."""
    if _KEYLIKE_WITHOUT_COLON.match(line):
        return True
    match = _ANY_CASE_FIELD.match(line)
    return bool(match) and match["key"].upper() in KNOWN_FIELDS | {"TOUCHES"} or bool(
        match and match["key"].upper().startswith("TOUCHES_")
    )


def parse_comment_header(lines: Sequence[tuple[int, str]]) -> Optional[MetadataHeader]:
    """A header written in `#` comments: (file line, text after the `#`) for each comment line.

    The comment text keeps its indentation (one space after `#` removed) so continuation lines
    work as in a docstring; gaps between comment lines count as blank lines.
    """
    if not lines:
        return None
    first = lines[0][0]
    text_lines = [""] * (lines[-1][0] - first + 1)
    for line, text in lines:
        text_lines[line - first] = text[1:] if text.startswith(" ") else text
    return parse_header("\n".join(text_lines), first)


# --------------------------------------------------------------------------- alembic docstring

_ALEMBIC_NAMES = ("Revision ID", "Revises", "Create Date")
_ALEMBIC_LINE = re.compile(rf"^[ \t]*({'|'.join(_ALEMBIC_NAMES)})[ \t]*:[ \t]*(.*?)[ \t]*$")


def parse_alembic_docstring(docstring: str, first_line: int) -> dict[str, tuple[str, int]]:
    """`Revision ID`, `Revises` and `Create Date` from the docstring `alembic revision` writes.

    Returns {name: (value, file line)}; `Revises` may list several parents separated by commas.
    """
    found: dict[str, tuple[str, int]] = {}
    if not any(name in docstring for name in _ALEMBIC_NAMES):  # most headers: nothing to look for
        return found
    for index, line in enumerate(docstring.split("\n")):
        match = _ALEMBIC_LINE.match(line)
        if match and match[1] not in found:
            found[match[1]] = (match[2], first_line + index)
    return found


def alembic_message(docstring: str) -> Optional[str]:
    """The message `alembic revision -m` wrote on the docstring's first line, if it is one.

    A first line that is a `Revision ID:` or header field line is no message, and neither is
    "empty message", which Flask-Migrate writes when no message was given.
    """
    first = docstring.strip().partition("\n")[0].strip()  # the first line that is not blank
    if not first or _ALEMBIC_LINE.match(first) or _FIELD_LINE.match(first):
        return None
    if first.lower().rstrip(".") in ("empty message", "none", "migration metadata"):
        return None
    return first


def create_day(value: str) -> Optional[date]:
    """The day of a `Create Date:` value (`2020-12-23 21:35:32.766354`, maybe with a zone)."""
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def split_revisions(value: str) -> tuple[str, ...]:
    """`"a, b"` -> ("a", "b"); an empty value or `None` means no parent."""
    parts = [p.strip().strip("'\"()[]") for p in re.split(r"[,\s]+", value)]
    return tuple(p for p in parts if p and p.lower() != "none")


# --------------------------------------------------------------------------- ADR references

_ADR_REFERENCE = re.compile(r"\bADR[-_ ]?0*([0-9]{1,6})\b", re.IGNORECASE)


class AdrReference(NamedTuple):
    """One ADR named in a text: its number and where the name stands (`text[start:end]`)."""

    number: int
    start: int
    end: int

    @property
    def id(self) -> str:
        return adr_id(self.number)


def adr_references(text: str) -> list[AdrReference]:
    """Every ADR a text names, in order: the one way bypass comments, headers, ADR relations, the
    rules and the site recognise a reference.

    Accepted: `ADR`, in any case, then at most one `-`, `_` or space, then a number of up to six
    digits (0-9) after any leading zeros: `ADR-015`, `ADR-15`, `ADR 15`, `ADR_15`, `ADR15`, `adr-0015`
    (all ADR-015). Rejected: a name run into a longer word (`MADR-15`, `ADR-15a`, `my_ADR-1`), any
    other or doubled separator (`ADR:15`, `ADR #15`, `ADR--15`, `ADR  15`), no number (`ADRs`,
    `ADR-`) and longer numbers, which name no ADR anyone writes.
    """
    return [AdrReference(int(m[1]), m.start(), m.end()) for m in _ADR_REFERENCE.finditer(text)]


def adr_id(number: int) -> str:
    """The normalised id: `ADR-015` (three digits at least, longer numbers kept whole)."""
    return f"ADR-{number:03d}"


# --------------------------------------------------------------------------- bypass comments

_SEPARATORS = " \t-\u2013\u2014:;,.|/()[]{}<>=~*#"
_MARKER = re.compile(re.escape(BYPASS_MARKER))
_WORD = re.compile(r"[^\W_]+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.;:)\]])")
_EMPTY_BRACKETS = re.compile(r"\(\s*[-,;:]*\s*\)|\[\s*[-,;:]*\s*\]")
_FILLER_WORDS = frozenset(
    "see per ref refs reference re cf via and or the a an in on at by for to of with also as ok okay".split()
)


def parse_bypass(comment: Comment, ticket_pattern: str) -> Optional[Bypass]:
    """The parts of a `# CI:DESTRUCTIVE_OK` comment, or None when the comment is not one.

    ADR references are normalised ("adr 15" -> "ADR-015"); tickets are the matches of the
    configured pattern that are not ADR references; the justification is what remains once the
    marker, the references and separator punctuation are gone, and is empty when only filler
    words ("see", "per", ...) remain.
    """
    text = comment.text
    if BYPASS_MARKER not in text:
        return None
    adr_matches = adr_references(text)
    adr_spans = [(m.start, m.end) for m in adr_matches]
    ticket_spans = [
        span for span in _ticket_spans(text, ticket_pattern)
        if not any(span[0] < end and start < span[1] for start, end in adr_spans)
    ]
    marker_spans = [m.span() for m in _MARKER.finditer(text)]
    remaining = _remove_spans(text, adr_spans + ticket_spans + marker_spans)
    return Bypass(
        line=comment.line,
        column=comment.column,
        text=text,
        adr_refs=_unique(m.id for m in adr_matches),
        tickets=_unique(text[start:end] for start, end in ticket_spans),
        justification=_justification(remaining),
    )


#: How much of a bypass comment the configured ticket pattern reads. Searching is quadratic in
#: the text for many harmless-looking patterns (`[A-Z]+-\d+` over a line of capitals), and a
#: ticket is cited near the marker, not thousands of characters after it.
TICKET_SEARCH_LIMIT = 2_000


def _ticket_spans(text: str, pattern: str) -> list[tuple[int, int]]:
    try:
        found = re.finditer(pattern, text[:TICKET_SEARCH_LIMIT])
        return [m.span() for m in found if m.end() > m.start()]
    except re.error:
        return []


def _remove_spans(text: str, spans: list[tuple[int, int]]) -> str:
    pieces, position = [], 0
    for start, end in sorted(spans):
        if start > position:
            pieces.append(text[position:start])
        position = max(position, end)
    pieces.append(text[position:])
    return " ".join(pieces)


def _justification(text: str) -> str:
    text = " ".join(_EMPTY_BRACKETS.sub(" ", text).split()).strip(_SEPARATORS)
    if _EMPTY_BRACKETS.search(text):
        text = " ".join(_EMPTY_BRACKETS.sub(" ", text).split()).strip(_SEPARATORS)
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
    if all(word.lower() in _FILLER_WORDS for word in _WORD.findall(text)):
        return ""
    return text


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


# --------------------------------------------------------------------------- suppressions

_SUPPRESSION = re.compile(r"\bgovsite\s*:\s*disable\s*=\s*([A-Za-z0-9_,\- \t]+)")
_CODE = re.compile(r"^GOV\d{3}$")


def parse_suppression(text: str) -> tuple[str, ...]:
    """Rule codes named by `govsite: disable=GOV505, GOV201` (rule names are accepted too)."""
    match = _SUPPRESSION.search(text)
    if not match:
        return ()
    by_name = {spec.name: code for code, spec in CATALOG.items()}
    codes = []
    for token in re.split(r"[,\s]+", match[1].strip()):
        if _CODE.match(token.upper()):
            codes.append(token.upper())
        elif token.lower() in by_name:
            codes.append(by_name[token.lower()])
    return _unique(codes)
