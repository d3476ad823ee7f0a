"""Markdown and YAML helpers shared by the document readers (ADRs, exceptions, policies, CI).

Everything is read from markdown-it-py tokens, whose `map` gives each block's source lines, so a
heading or a `**Field**: value` line inside a fenced code block is never mistaken for the real
thing, and every value comes with the line it was written on. YAML (front matter and CI files) is
read with PyYAML's composer, which keeps the line of every node.

All line numbers here are 1-based lines of the whole file: a document parsed from the text after a
front matter block is told its `first_line`, and every line it reports is already shifted.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import field
from typing import Any, Iterable, Optional

import yaml
from markdown_it import MarkdownIt, rules_block
from markdown_it.token import Token

from ..model import Finding, Location, cached_property, record
from ..catalog import finding

#: Block nesting (each list adds two levels, each block quote one) beyond which a line is read
#: as a paragraph of its own. markdown-it's own limit (`maxNesting`) ends the whole document when
#: a block is nested that deep, which would hide every record after it; the guard below keeps
#: every line's text, and the parser's recursion well inside Python's stack.
MAX_BLOCK_NESTING = 64


def _depth_guard(state: Any, start_line: int, end_line: int, silent: bool) -> bool:
    """Read one line nested deeper than `MAX_BLOCK_NESTING` as a one-line paragraph."""
    if state.level < MAX_BLOCK_NESTING:
        return False
    if not silent:
        start = state.bMarks[start_line] + state.tShift[start_line]
        state.push("paragraph_open", "p", 1).map = [start_line, start_line + 1]
        inline = state.push("inline", "", 0)
        inline.content = state.src[start : state.eMarks[start_line]].strip()
        inline.map = [start_line, start_line + 1]
        inline.children = []
        state.push("paragraph_close", "p", -1)
    state.line = start_line + 1
    return True


# The blocks an ATX heading may interrupt, as markdown-it's own heading rule declares them.
_HEADING_ENDS = ["paragraph", "reference", "blockquote"]


def _parser(headings_early: bool = True) -> MarkdownIt:
    """CommonMark with tables and the depth guard, as every document here is read.

    The guard keeps block nesting below `maxNesting`, which then only bounds inline nesting (a
    link label inside a link label ...), where reaching it leaves the paragraph's text as text.

    With `headings_early`, a line is tried as an ATX heading right after the table rule instead
    of after seven other rules. Each rule it now precedes (indented code, fences, block quotes,
    thematic breaks, lists, link references, HTML blocks) rejects a line whose text starts with
    `#`, and the heading rule rejects every other line without touching the parser's state, so
    the tokens are the same; the commonest block of an ADR or a register is just found sooner.
    """
    parser = MarkdownIt("commonmark", {"maxNesting": 2 * MAX_BLOCK_NESTING}).enable("table")
    parser.block.ruler.before("table", "depth_guard", _depth_guard)
    if headings_early:
        parser.block.ruler.disable("heading")
        parser.block.ruler.after("table", "heading_early", rules_block.heading, {"alt": _HEADING_ENDS})
    return parser


_PARSER = _parser()

# A plain `Name: value` line: a short name of words, then a colon and a space (or line end).
_PLAIN_FIELD = re.compile(r"([A-Za-z][A-Za-z0-9 _/\-]{0,40}?)\s*:(?:\s+(.*))?$")
_NOT_A_WORD = re.compile(r"[^a-z0-9]+")


def field_key(name: str) -> str:
    """Compare field and heading names loosely: lower case, words joined by single spaces."""
    return " ".join(_NOT_A_WORD.split(name.lower())).strip()


@record
class Heading:
    level: int
    title: str  # plain text, emphasis markers removed
    line: int
    end_line: int  # a setext heading spans two lines

    @property
    def key(self) -> str:
        return field_key(self.title)


@record
class Section:
    """A heading and the lines that belong to it, up to the next heading of the same or higher rank."""

    heading: Heading
    end_line: int  # last line of the section, inclusive

    @property
    def body_line(self) -> int:
        return self.heading.end_line + 1


@record
class TextLine:
    """One source line of a paragraph, rendered two ways.

    `markdown` keeps link targets (`[PR-12](https://...)`) and code spans (`` `abc` ``) so that a
    link the author wrote survives; `plain` is the text a reader sees (`PR-12`, `abc`).
    """

    line: int
    markdown: str
    plain: str
    bold_name: Optional[str] = None  # `**Name:**` / `**Name**:` at the start of the line


@record
class Paragraph:
    line: int
    end_line: int
    lines: tuple[TextLine, ...]

    @property
    def markdown(self) -> str:
        return "\n".join(t.markdown for t in self.lines)

    @property
    def plain(self) -> str:
        return " ".join(t.plain.strip() for t in self.lines).strip()


@record
class Field:
    """A `**Name**: value`, `**Name:** value` or plain `Name: value` line of a paragraph."""

    name: str
    value: str  # Markdown as written (links kept)
    plain: str  # the same value as plain text
    line: int
    bold: bool

    @property
    def key(self) -> str:
        return field_key(self.name)


@record
class CodeSpan:
    text: str
    line: int


class MarkdownDocument:
    """A parsed Markdown text. `first_line` is the file line the text starts on."""

    def __init__(self, text: str, first_line: int = 1):
        self.text = text
        self.first_line = first_line
        self.lines = text.split("\n")
        self.tokens: list[Token] = _PARSER.parse(text)
        self._rendered: dict[int, Paragraph] = {}  # paragraphs by index, see `_paragraph`

    @property
    def last_line(self) -> int:
        return self.first_line + len(self.lines) - 1

    def _file_line(self, token_line: int) -> int:
        return token_line + self.first_line

    @cached_property
    def headings(self) -> tuple[Heading, ...]:
        found = []
        for index, token in enumerate(self.tokens):
            if token.type == "heading_open" and token.map:
                inline = self.tokens[index + 1]
                found.append(
                    Heading(
                        level=int(token.tag[1:]),
                        title=_plain(inline.children or []).strip(),
                        line=self._file_line(token.map[0]),
                        end_line=self._file_line(token.map[1] - 1),
                    )
                )
        return tuple(found)

    @cached_property
    def sections(self) -> tuple[Section, ...]:
        """Every heading with its extent (nested sections overlap their parents)."""
        ends = [self.last_line] * len(self.headings)
        open_sections: list[int] = []
        for index, heading in enumerate(self.headings):
            while open_sections and self.headings[open_sections[-1]].level >= heading.level:
                ends[open_sections.pop()] = heading.line - 1
            open_sections.append(index)
        return tuple(Section(h, end) for h, end in zip(self.headings, ends))

    def sections_between(self, first: int, last: Optional[int] = None) -> tuple[Section, ...]:
        return _between(self.sections, self._section_lines, first, last)

    @cached_property
    def _section_lines(self) -> list[int]:
        return [s.heading.line for s in self.sections]

    def first_heading(self, level: int) -> Optional[Heading]:
        return next((h for h in self.headings if h.level == level), None)

    def section(self, key: str, first: int = 0, last: Optional[int] = None) -> Optional[Section]:
        """The first section whose heading reads `key` (see `field_key`) between two lines."""
        in_range = (s for s in self._sections_by_key.get(key, ()) if s.heading.line >= first)
        return next((s for s in in_range if last is None or s.heading.line <= last), None)

    @cached_property
    def _sections_by_key(self) -> dict[str, list[Section]]:
        """The sections of each heading key, in document order: a reader asks for several."""
        found: dict[str, list[Section]] = {}
        for section in self.sections:
            found.setdefault(section.heading.key, []).append(section)
        return found

    def source(self, first: int, last: int) -> str:
        """The raw Markdown of file lines `first`..`last`, blank lines around it removed."""
        start = max(first - self.first_line, 0)
        stop = max(last - self.first_line + 1, 0)
        return "\n".join(self.lines[start:stop]).strip("\n").rstrip()

    @cached_property
    def _content_lines(self) -> int:
        """Lines up to the last one that is not blank: where a block running to the end stops."""
        return len(self.text.rstrip().split("\n")) if self.text.strip() else 0

    @property
    def unclosed_blocks(self) -> tuple[tuple[int, str], ...]:
        """(file line, what) of each code fence or HTML block that runs to the end unclosed.

        CommonMark reads everything after an unclosed fence or `<!--` as its content, so every
        heading and field after it would be silently missing.
        """
        found = []
        for token in self.tokens:
            if token.type not in ("fence", "html_block") or not token.map:
                continue
            if token.map[1] < self._content_lines or _is_closed(token, self.lines[token.map[0] : token.map[1]]):
                continue
            what = "code fence" if token.type == "fence" else "HTML block"
            found.append((self._file_line(token.map[0]), what))
        return tuple(found)

    @cached_property
    def _paragraph_blocks(self) -> list[tuple[int, int, Token]]:
        """(first line, last line, inline token) of each paragraph, in document order."""
        return [
            (self._file_line(token.map[0]), self._file_line(token.map[1] - 1), self.tokens[index + 1])
            for index, token in enumerate(self.tokens)
            if token.type == "paragraph_open" and token.map
        ]

    @cached_property
    def _paragraph_lines(self) -> list[int]:
        return [first for first, _, _ in self._paragraph_blocks]

    def _paragraph(self, index: int) -> Paragraph:
        """Paragraph `index`, its lines rendered when it is first asked for: a reader looks at
        the paragraphs of a few sections and at those that can hold a field, seldom at every one."""
        paragraph = self._rendered.get(index)
        if paragraph is None:
            first, last, inline = self._paragraph_blocks[index]
            paragraph = Paragraph(first, last, tuple(_text_lines(inline.children or [], first)))
            self._rendered[index] = paragraph
        return paragraph

    @cached_property
    def paragraphs(self) -> tuple[Paragraph, ...]:
        return tuple(self._paragraph(i) for i in range(len(self._paragraph_blocks)))

    def paragraphs_between(self, first: int, last: Optional[int] = None) -> tuple[Paragraph, ...]:
        start, stop = _bounds(self._paragraph_lines, first, last)
        return tuple(self._paragraph(i) for i in range(start, stop))

    @cached_property
    def fields(self) -> tuple[Field, ...]:
        """Every field line of every paragraph, in document order."""
        return tuple(
            f
            for index, (_, _, inline) in enumerate(self._paragraph_blocks)
            if _may_hold_field(inline.content)
            for t in self._paragraph(index).lines
            if (f := _as_field(t)) is not None
        )

    def fields_between(self, first: int, last: Optional[int] = None) -> tuple[Field, ...]:
        return _between(self.fields, self._field_lines, first, last)

    @cached_property
    def _field_lines(self) -> list[int]:
        return [f.line for f in self.fields]

    def find_field(
        self, keys: Iterable[str], first: int = 0, last: Optional[int] = None
    ) -> Optional[Field]:
        """The first bold field named one of `keys`, else the first plain one."""
        wanted = set(keys)
        candidates = [f for f in self.fields_between(first, last) if f.key in wanted]
        return next((f for f in candidates if f.bold), None) or next(iter(candidates), None)

    @cached_property
    def code_spans(self) -> tuple[CodeSpan, ...]:
        """Inline code spans (`` `x` ``) of paragraphs, headings and table cells, with their lines."""
        spans = []
        for token in self.tokens:
            if token.type != "inline" or not token.map or "`" not in token.content:
                continue  # only a backtick opens a code span
            line = self._file_line(token.map[0])
            for child in token.children or []:
                if child.type in ("softbreak", "hardbreak"):
                    line += 1
                elif child.type == "code_inline":
                    spans.append(CodeSpan(child.content, line))
        return tuple(sorted(spans, key=lambda span: span.line))

    def code_spans_between(self, first: int, last: Optional[int] = None) -> tuple[CodeSpan, ...]:
        return _between(self.code_spans, self._code_span_lines, first, last)

    @cached_property
    def _code_span_lines(self) -> list[int]:
        return [c.line for c in self.code_spans]


# HTML blocks that run to their end marker, blank lines included (CommonMark's kinds 1 to 5).
_HTML_BLOCK_ENDS = (
    (re.compile(r"<(?:script|pre|style|textarea)(?:[\s/>]|$)", re.I), re.compile(r"</(?:script|pre|style|textarea)>", re.I)),
    (re.compile(r"<!--"), re.compile(r"-->")),
    (re.compile(r"<\?"), re.compile(r"\?>")),
    (re.compile(r"<!\[CDATA\["), re.compile(r"\]\]>")),
    (re.compile(r"<![A-Za-z]"), re.compile(r">")),
)
_CONTAINER_PREFIX = re.compile(r"^[ \t>]*")


def _is_closed(token: Token, lines: list[str]) -> bool:
    """True when a fence or HTML block token that reaches the document's end has its end marker."""
    last = next((line for line in reversed(lines) if line.strip()), "")
    if token.type == "fence":
        closing = _CONTAINER_PREFIX.sub("", last).rstrip()
        marker = token.markup[0]
        return len(lines) > 1 and len(closing) >= len(token.markup) and closing == marker * len(closing)
    start = token.content.lstrip()
    for opener, closer in _HTML_BLOCK_ENDS:
        match = opener.match(start)
        if match:
            return bool(closer.search(start, match.end()))
    return True  # other HTML blocks end at a blank line


def _between(items: tuple, lines: list[int], first: int, last: Optional[int]) -> tuple:
    """The items (sorted by line, `lines` their lines) from line `first` to `last` inclusive."""
    start, stop = _bounds(lines, first, last)
    return items[start:stop]


def _bounds(lines: list[int], first: int, last: Optional[int]) -> tuple[int, int]:
    """The slice of sorted `lines` from `first` to `last` inclusive.

    Binary search keeps a register with thousands of records linear to read.
    """
    start = bisect_left(lines, first)
    stop = len(lines) if last is None else bisect_right(lines, last)
    return start, stop


def parse_markdown(
    rel: str, text: str, first_line: int = 1
) -> tuple[Optional[MarkdownDocument], list[Finding]]:
    """Parse Markdown; what the parser cannot read becomes a GOV804 finding instead of a crash.

    markdown-it-py accepts any text, so this guards against the parser's own limits (a failure is
    reported at the document's first line) and reports what would silently swallow the rest of
    the file: a code fence or HTML comment that is never closed.
    """
    try:
        doc = MarkdownDocument(text, first_line)
    except (RecursionError, ValueError, IndexError) as exc:
        return None, [finding("GOV804", Location(rel, first_line), f"cannot parse Markdown: {exc!r}")]
    return doc, [
        finding("GOV804", Location(rel, line), f"{what} is never closed: the rest of the file is read as its content")
        for line, what in doc.unclosed_blocks
    ]


# --------------------------------------------------------------------------- inline rendering


def _text_lines(children: list[Token], first_line: int) -> Iterable[TextLine]:
    """Split an inline token's children at line breaks and render each source line."""
    current: list[Token] = []
    line = first_line
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            yield _text_line(current, line)
            current, line = [], line + 1
        else:
            current.append(child)
    yield _text_line(current, line)


def _text_line(children: list[Token], line: int) -> TextLine:
    meaningful = [c for c in children if not (c.type == "text" and c.content == "")]
    bold_name = None
    if meaningful and meaningful[0].type == "strong_open":
        close = next((i for i, c in enumerate(meaningful) if c.type == "strong_close"), None)
        if close is not None:
            bold_name = _plain(meaningful[1:close])
            rest = meaningful[close + 1 :]
            return TextLine(line, _markdown(rest), _plain(rest), bold_name)
    return TextLine(line, _markdown(meaningful), _plain(meaningful))


def _plain(children: list[Token]) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type == "image":
            parts.append(_plain(child.children or []))
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def _markdown(children: list[Token]) -> str:
    parts = []
    for child in children:
        if child.type == "code_inline":
            parts.append(f"{child.markup}{child.content}{child.markup}")
        elif child.type == "link_open":
            parts.append("[")
        elif child.type == "link_close":
            parts.append(f"]({_href_of_last_link(children, child)})")
        elif child.type in ("strong_open", "strong_close", "em_open", "em_close"):
            parts.append(child.markup)
        elif child.type == "image":
            parts.append(f"![{_plain(child.children or [])}]({child.attrs.get('src', '')})")
        elif child.type in ("text", "html_inline"):
            parts.append(child.content)
    return "".join(parts)


def _href_of_last_link(children: list[Token], close: Token) -> str:
    """The href of the `link_open` that `close` ends (links do not nest in CommonMark)."""
    href = ""
    for child in children:
        if child is close:
            break
        if child.type == "link_open":
            href = str(child.attrs.get("href", ""))
    return href


def _may_hold_field(markdown: str) -> bool:
    """Whether a paragraph's Markdown can hold a field line at all.

    Every field has a `:` in its text, and a `:` in the text is either written as such or as a
    character reference (`&colon;`, `&#58;`); a paragraph with neither is not rendered for it.
    """
    return ":" in markdown or "&" in markdown


def _as_field(text: TextLine) -> Optional[Field]:
    if text.bold_name is not None:
        name = text.bold_name.strip()
        value, plain = text.markdown.strip(), text.plain.strip()
        if name.endswith(":"):
            name = name[:-1].strip()
        elif value.startswith(":"):
            value, plain = value[1:].strip(), plain.lstrip()[1:].strip()
        else:
            return None  # bold text that is not a `Name:` label
        return Field(name, value, plain, text.line, bold=True) if name else None
    match = _PLAIN_FIELD.match(text.plain.strip())
    if not match:
        return None
    _, _, markdown_value = text.markdown.partition(":")
    return Field(match.group(1), markdown_value.strip(), (match.group(2) or "").strip(), text.line, bold=False)


# --------------------------------------------------------------------------- YAML


class GovYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader, made tolerant of what real files contain.

    Timestamps stay strings (an impossible date like `2026-02-30` is then the reader's finding,
    not a crash), and application tags such as GitLab's `!reference [...]` load as plain data.
    Every complaint comes from this pure-Python loader: libyaml puts some error marks on other
    lines, and a finding's line must not depend on how PyYAML was installed. Documents libyaml
    reads without complaint are read there (`_load_quickly`), with these same constructors.
    """


def _construct_timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_scalar(node)


def _construct_tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)


GovYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)
GovYamlLoader.add_multi_constructor("!", _construct_tagged)

if getattr(yaml, "CSafeLoader", None) is not None:

    class _LibyamlLoader(yaml.CSafeLoader):
        """The same loader on libyaml, several times faster: used only for documents it reads
        without any complaint (see `_load_quickly`)."""

    _LibyamlLoader.yaml_constructors = dict(GovYamlLoader.yaml_constructors)
    _LibyamlLoader.yaml_multi_constructors = dict(GovYamlLoader.yaml_multi_constructors)
else:  # PyYAML installed without libyaml
    _LibyamlLoader = None

MAX_QUICK_DEPTH = 64  # deeper documents are left to the pure-Python loader, which guards its depth


@record
class YamlDocument:
    """A loaded YAML document: the Python value and the node tree that knows every line."""

    data: Any
    node: Optional[yaml.Node]
    first_line: int = 1

    def line_of(self, node: yaml.Node) -> int:
        return node.start_mark.line + self.first_line


def load_yaml(
    rel: str, text: str, first_line: int = 1
) -> tuple[Optional[YamlDocument], Optional[Finding]]:
    """Load one YAML document; syntax errors become GOV804 findings at the line of the error.

    The constructed data is built from the same node tree, so merge keys (`<<: *defaults`) are
    already folded into the nodes a caller walks afterwards.
    """
    quick = _load_quickly(text)
    if quick is not None:
        return YamlDocument(quick[1], quick[0], first_line), None
    loader: Optional[GovYamlLoader] = None
    try:
        loader = GovYamlLoader(text)  # its reader rejects control characters here already
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
        return YamlDocument(data, node, first_line), None
    except yaml.MarkedYAMLError as exc:
        return None, _yaml_finding(rel, exc, first_line)
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + first_line
        return None, finding("GOV804", Location(rel, line), f"YAML cannot be read: {exc.reason}")
    except RecursionError:
        return None, finding("GOV804", Location(rel, first_line), "YAML is nested too deeply to read")
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        return None, finding("GOV804", Location(rel, first_line), f"YAML cannot be loaded: {exc}")
    finally:
        if loader is not None:
            loader.dispose()


def _load_quickly(text: str) -> Optional[tuple[Optional[yaml.Node], Any]]:
    """(node, data) as libyaml reads a document; None when libyaml is missing, finds anything
    wrong, or meets a deep nesting. The pure-Python loader then reads the document, so every
    finding and its line are the same on every installation of PyYAML."""
    if _LibyamlLoader is None:
        return None
    loader = None
    try:
        loader = _LibyamlLoader(text)
        node = loader.get_single_node()
        if node is not None and _deeper_than(node, MAX_QUICK_DEPTH):
            return None
        return node, loader.construct_document(node) if node is not None else None
    except Exception:  # every complaint is worded by the pure-Python loader
        return None
    finally:
        if loader is not None:
            loader.dispose()


def _deeper_than(node: yaml.Node, limit: int) -> bool:
    pending = [(node, 1)]
    while pending:
        current, depth = pending.pop()
        if depth > limit:
            return True
        if isinstance(current, yaml.MappingNode):
            pending.extend((child, depth + 1) for pair in current.value for child in pair)
        elif isinstance(current, yaml.SequenceNode):
            pending.extend((child, depth + 1) for child in current.value)
    return False


def _yaml_finding(rel: str, exc: yaml.MarkedYAMLError, first_line: int) -> Finding:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + first_line if mark else first_line
    column = mark.column + 1 if mark else 1
    what = " ".join(part for part in (exc.context, exc.problem) if part)
    return finding("GOV804", Location(rel, line, column), f"YAML syntax error: {what}")


# --------------------------------------------------------------------------- front matter


@record
class FrontMatter:
    """A `---` delimited YAML block at the top of a Markdown file."""

    data: dict = field(default_factory=dict)
    key_lines: dict = field(default_factory=dict)  # top-level key -> line
    line: int = 1  # the opening `---`
    end_line: int = 1  # the closing `---`


@record
class MarkdownFile:
    """A Markdown file split into its front matter (if any) and the Markdown after it."""

    front_matter: Optional[FrontMatter]
    body: str
    body_line: int  # file line where `body` starts
    problems: tuple[Finding, ...] = ()
    has_front_matter: bool = False  # true even when the block could not be loaded


def split_front_matter(rel: str, text: str) -> MarkdownFile:
    """Separate YAML front matter from the Markdown; never raises.

    Front matter starts with `---` on the first line and ends at the next line that is `---` or
    `...`. An unterminated block, broken YAML or a value that is not a mapping is a finding; the
    Markdown after the block is still returned so the rest of the file can be read.
    """
    if text.partition("\n")[0].rstrip() != "---":
        return MarkdownFile(None, text, 1)  # most documents: not split into lines for nothing
    lines = text.split("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        problem = finding("GOV804", Location(rel, 1), "front matter opened with '---' is never closed")
        return MarkdownFile(None, "\n".join(lines[1:]), 2, (problem,), True)
    body, body_line = "\n".join(lines[end + 1 :]), end + 2
    document, problem = load_yaml(rel, "\n".join(lines[1:end]), first_line=2)
    if problem is not None:
        return MarkdownFile(None, body, body_line, (problem,), True)
    data = document.data if document.data is not None else {}
    if not isinstance(data, dict):
        problem = finding("GOV804", Location(rel, 2), "front matter is not a mapping of keys to values")
        return MarkdownFile(None, body, body_line, (problem,), True)
    front = FrontMatter(data, _key_lines(document), 1, end + 1)
    return MarkdownFile(front, body, body_line, (), True)


def _key_lines(document: YamlDocument) -> dict:
    node = document.node
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {
        key.value: document.line_of(key)
        for key, _ in node.value
        if isinstance(key, yaml.ScalarNode)
    }
