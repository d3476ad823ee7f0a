"""Architecture decision records: id, title, status, date, deciders and supersession links.

Two common layouts are read:

* Nygard (adr-tools): `# ADR-015: Title` or `# 15. Title`, a `## Status` section whose first
  paragraph is the status, and `Date:` / `Deciders:` lines (or `## Date` / `## Deciders`).
* MADR: YAML front matter with `status`, `date` and `deciders`, the title in the first `# `
  heading. MADR 2's `* Status: accepted` list lines are read as fields too.

The number comes from the file name (`ADR-015-title.md`, `0015-title.md`), else from the title.
Links in an ADR are never followed: a `../` reference can not make the reader leave the repository.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Optional

from ..config import Config
from ..model import Adr, Finding, Location
from ..catalog import finding
from .files import OpenFolders, find_files, read_text
from .header import adr_id, adr_references
from .markdown import FrontMatter, Heading, MarkdownDocument, parse_markdown, split_front_matter

STATUSES = ("Proposed", "Accepted", "Rejected", "Deprecated", "Superseded")
_SKIPPED_NAMES = {"readme.md", "index.md"}

_FILE_NUMBER = re.compile(r"(?:adr[-_ ]?)?(\d+)(?=[-_ .]|$)", re.I)
_TITLE_NUMBER = re.compile(r"(?:ADR[-_ ]?(\d+)\s*[:.\-\u2013\u2014]?|(\d+)\.(?=\s))\s*(.*)$", re.I)
_LINK_TARGET = re.compile(r"\]\(([^)\s]+)")
_NUMBERED_LINK_TEXT = re.compile(r"\[(\d+)\.\s")
_RELATION = re.compile(r"superseded[\s_-]+by|supersedes", re.I)
_ISO_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:$|[T\s(,])")
_WORDS = re.compile(r"[A-Za-z]+")
_NAME_SEPARATORS = re.compile(r"[,;]")


def normalise_adr_ref(text: str) -> Optional[str]:
    """`ADR-15`, `adr 0015`, `ADR_015` -> `ADR-015`; None when the text names no ADR."""
    found = adr_references(text)
    return found[0].id if found else None


def normalise_status(text: str) -> Optional[str]:
    """The status word a text starts with (`superseded by ADR-021` -> Superseded), else None."""
    words = _WORDS.findall(text)
    if not words or "|" in text:  # `proposed | accepted | ...` is an unfilled template
        return None
    first = words[0].lower()
    return next((s for s in STATUSES if s.lower() == first), None)


def read_adrs(root, config: Config) -> tuple[list[Adr], list[Finding]]:
    """Every ADR matched by `config.adrs`, one per number; problems become GOV804 findings."""
    adrs: list[Adr] = []
    findings: list[Finding] = []
    first_file: dict[int, str] = {}
    with OpenFolders(Path(root)) as folders:
        texts = [read_text(root, rel, "GOV804", folders=folders)
                 for rel in find_files(root, config.adrs) if _looks_like_adr(rel)]
    for text, problem in texts:
        if text is None:
            findings.append(problem)
            continue
        rel = text.path
        adr, problems = parse_adr(rel, text.text)
        findings.extend(problems)
        if adr is None:
            continue
        if adr.number in first_file:
            message = f"{adr.id} is already defined in {first_file[adr.number]}"
            findings.append(finding("GOV804", Location(rel, adr.line), f"{message}; this file is ignored"))
            continue
        first_file[adr.number] = rel
        adrs.append(adr)
    return adrs, findings


def _looks_like_adr(rel: str) -> bool:
    """README/index pages and templates sit beside ADRs but are not decisions.

    A template is a file named like one (`adr-template.md`, `0000-template.md`) without a real
    number, so a decision such as `0042-email-template-engine.md` is still read.
    """
    name = PurePosixPath(rel).name.lower()
    if name in _SKIPPED_NAMES:
        return False
    number = _FILE_NUMBER.match(name)
    return "template" not in name or (number is not None and int(number.group(1)) > 0)


def parse_adr(rel: str, text: str) -> tuple[Optional[Adr], list[Finding]]:
    """Read one ADR's text. Returns None (with a finding) when no number can be found."""
    if not text.strip():
        return None, [finding("GOV804", Location(rel, 1), "ADR file is empty")]
    split = split_front_matter(rel, text)
    findings = list(split.problems)
    doc, problems = parse_markdown(rel, split.body, split.body_line)
    findings.extend(problems)
    if doc is None:
        return None, findings
    reader = _AdrReader(rel, doc, split.front_matter, split.has_front_matter)
    adr = reader.read()
    return adr, findings + reader.findings


class _AdrReader:
    """Reads the fields of one ADR, collecting findings as it goes."""

    def __init__(
        self, rel: str, doc: MarkdownDocument, front: Optional[FrontMatter], has_front: bool
    ):
        self.rel = rel
        self.doc = doc
        self.front = front
        self.has_front = has_front
        self.meta: dict[str, Any] = front.data if front else {}
        self.findings: list[Finding] = []

    def problem(self, line: int, message: str) -> None:
        self.findings.append(finding("GOV804", Location(self.rel, line), message))

    def meta_line(self, key: str) -> int:
        return self.front.key_lines.get(key, 1) if self.front else 1

    def read(self) -> Optional[Adr]:
        heading = self.doc.first_heading(1)
        title_line = heading.line if heading else self.doc.first_line
        number, title = self.number_and_title(heading, title_line)
        if number is None:
            return None
        status, status_text, status_line = self.status(title_line)
        superseded_by, supersedes = self.relations(status_text, adr_id(number))
        body_line = heading.end_line + 1 if heading else self.doc.first_line
        return Adr(
            path=self.rel,
            id=adr_id(number),
            number=number,
            title=title,
            status=status,
            status_text=status_text,
            superseded_by=superseded_by,
            supersedes=supersedes,
            date=self.date(),
            deciders=self.deciders(),
            format="madr" if self.has_front else "nygard",
            line=title_line,
            status_line=status_line,
            body=self.doc.source(body_line, self.doc.last_line),
        )

    # ----------------------------------------------------------------- number and title

    def number_and_title(
        self, heading: Optional[Heading], title_line: int
    ) -> tuple[Optional[int], str]:
        """The number (file name first, then title) and the title without its number prefix."""
        name = PurePosixPath(self.rel).name
        from_name = _FILE_NUMBER.match(name)
        written = heading.title if heading else ""
        from_title = _TITLE_NUMBER.match(written)
        title_number = int(from_title.group(1) or from_title.group(2)) if from_title else None
        title = (from_title.group(3).strip() if from_title else written) or written
        if not heading:
            title = str(self.meta.get("title") or PurePosixPath(self.rel).stem)
            self.problem(title_line, "ADR has no '# ' title heading")
        if from_name:
            number = int(from_name.group(1))
            if title_number is not None and title_number != number:
                self.problem(
                    title_line,
                    f"file name says {adr_id(number)} but the title says {adr_id(title_number)}",
                )
            return number, title
        if title_number is None:
            self.problem(
                title_line,
                "cannot tell the ADR number: name the file 'ADR-015-title.md' or '0015-title.md'",
            )
        return title_number, title

    # ----------------------------------------------------------------- status

    def status(self, title_line: int) -> tuple[Optional[str], Optional[str], Optional[int]]:
        text, line = self.status_as_written()
        if text is None:
            if self.front is not None or not self.has_front:  # else the YAML error says it all
                self.problem(title_line, "ADR has no status")
            return None, None, None
        status = normalise_status(text)
        if status is None:
            self.problem(
                line,
                f"unknown ADR status '{text}' (expected one of {', '.join(STATUSES)})",
            )
        return status, text, line

    def status_as_written(self) -> tuple[Optional[str], Optional[int]]:
        """Front matter `status:`, the `## Status` section, `## Status: X`, or a `Status:` line."""
        value = self.meta.get("status")
        if value is not None and str(value).strip():
            return str(value).strip(), self.meta_line("status")
        section = self.doc.section("status")
        if section is not None:
            paragraphs = self.doc.paragraphs_between(section.body_line, section.end_line)
            if paragraphs and paragraphs[0].lines[0].markdown.strip():
                first = paragraphs[0].lines[0]
                return first.markdown.strip(), first.line
        for heading in self.doc.headings:  # `## Status: Accepted`
            name, colon, value = heading.title.partition(":")
            if colon and name.strip().lower() == "status" and value.strip():
                return value.strip(), heading.line
        field = self.doc.find_field(["status"])
        if field is not None and field.value:
            return field.value, field.line
        return None, None

    def status_section_texts(self) -> list[str]:
        section = self.doc.section("status")
        if section is None:
            return []
        paragraphs = self.doc.paragraphs_between(section.body_line, section.end_line)
        return [p.markdown for p in paragraphs]

    # ----------------------------------------------------------------- supersession

    def relations(
        self, status_text: Optional[str], own_id: str
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """ADRs this one is superseded by and supersedes, from the status and related fields."""
        by: list[str] = []
        replaces: list[str] = []
        texts = [status_text or ""] + self.status_section_texts()
        for key in ("superseded_by", "superseded-by"):
            texts.extend(f"superseded by {value}" for value in _as_list(self.meta.get(key)))
        texts.extend(f"supersedes {value}" for value in _as_list(self.meta.get("supersedes")))
        for field in self.doc.fields:
            if field.key in ("supersedes", "superseded by"):
                texts.append(f"{field.key} {field.value}")
        for text in texts:
            for keyword, refs in _relation_segments(text):
                target = by if keyword.lower().startswith("superseded") else replaces
                target.extend(r for r in refs if r != own_id and r not in target)
        return tuple(by), tuple(replaces)

    # ----------------------------------------------------------------- date and deciders

    def date(self) -> Optional[str]:
        """The decision date as `YYYY-MM-DD`; anything else is reported and left out."""
        value, line = self.date_as_written()
        if value is None:
            return None
        parsed = _iso_date(value)
        if parsed is None:
            self.problem(line, f"ADR date '{value}' is not a valid YYYY-MM-DD date")
        return parsed

    def date_as_written(self) -> tuple[Optional[str], int]:
        if self.meta.get("date") not in (None, ""):
            return str(self.meta["date"]).strip(), self.meta_line("date")
        section = self.doc.section("date")
        if section is not None:
            paragraphs = self.doc.paragraphs_between(section.body_line, section.end_line)
            if paragraphs:
                return paragraphs[0].plain, paragraphs[0].line
        field = self.doc.find_field(["date"])
        if field is not None and field.plain:
            return field.plain, field.line
        return None, 1

    def deciders(self) -> tuple[str, ...]:
        if self.meta.get("deciders") not in (None, ""):
            names = _as_list(self.meta["deciders"])
        else:
            section = self.doc.section("deciders")
            field = self.doc.find_field(["deciders"])
            if section is not None:
                paragraphs = self.doc.paragraphs_between(section.body_line, section.end_line)
                names = [t.plain for p in paragraphs for t in p.lines]
            elif field is not None:
                names = [field.plain]
            else:
                names = []
        split = (part.strip() for name in names for part in _NAME_SEPARATORS.split(name))
        return tuple(name for name in split if name)


def _iso_date(value: str) -> Optional[str]:
    """`2026-01-02` (also `2026-01-02T10:00`, `2026-01-02 (signed)`) -> "2026-01-02"."""
    match = _ISO_DATE.match(value + " ")
    try:
        return date.fromisoformat(match.group(1)).isoformat() if match else None
    except ValueError:
        return None


def _as_list(value: Any) -> list[str]:
    """A YAML value that may be a list or a comma separated string, as a list of strings."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None]
    return [str(value)]


def _relation_segments(text: str) -> Iterable[tuple[str, list[str]]]:
    """`Superseded by [ADR-021](0021-x.md)` -> ("Superseded by", ["ADR-021"]), per keyword."""
    matches = list(_RELATION.finditer(text))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        yield match.group(0), _adr_refs(text[match.end() : end])


def _adr_refs(text: str) -> list[str]:
    """ADR ids named in a text: `ADR-21`, links to `0021-x.md`, adr-tools link text `[21. X]`.

    A bare number counts only when it is the whole text (front matter `supersedes: 12`).
    """
    refs = [ref.id for ref in adr_references(text)]
    for target in _LINK_TARGET.findall(text):
        match = _FILE_NUMBER.match(PurePosixPath(target).name)
        if match:
            refs.append(adr_id(int(match.group(1))))
    refs.extend(adr_id(int(n)) for n in _NUMBERED_LINK_TEXT.findall(text))
    if not refs and text.strip().isdigit():
        refs.append(adr_id(int(text.strip())))
    return list(dict.fromkeys(refs))

