"""Escaping for the generated Markdown: text from the repository is shown, never interpreted.

Every value that comes from the inputs (titles, justifications, ADR text, commit authors, finding
messages) reaches a page through one of these functions, which the templates use as Jinja
filters. The templates render Markdown, so Jinja's HTML autoescape is off and these filters are
the only escaping there is:

- `md_text` turns a value into inline Markdown that renders as exactly that text: every character
  Markdown, its extensions (tables, attribute lists, emphasis, links) or HTML would read is written
  as a numeric character reference, which every Markdown processor passes through as text.
- `md_cell` does the same for a table cell, keeping line breaks as `<br>`.
- `md_block` keeps paragraphs and line breaks of a multi-line value.
- `md_code` shows a value in monospace without relying on a code span's context.
- `html_text` / `html_attr` escape for the SVG charts and other raw HTML the site emits.
- `mermaid_label` escapes a node label inside a mermaid diagram.
- `team_markdown` keeps the formatting of team-written Markdown (ADR bodies, emergency records)
  but neutralises raw HTML, attribute lists and script links; the result is checked by
  rendering it. Text nested too deeply for the renderer is shown as written, in a code block.
- `yaml_str`, `safe_title`, `tag_name` write front matter: the theme inserts a page's title as
  raw HTML, and tags become file names and anchors.

Scheme names that browsers execute (`javascript:`, `vbscript:`, `data:`) get a zero-width space
before their colon wherever they appear, so a URL built from them is a harmless relative one.
"""

from __future__ import annotations

import functools
import html
import re
import threading
from html.parser import HTMLParser
from typing import Any, Callable, Iterable, Optional
from urllib.parse import quote

# Characters C0/C1 controls (except tab and newline) are removed: Python-Markdown uses STX/ETX
# as internal placeholders, and controls have no business in a page.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Everything that means something to Markdown, its extensions or HTML, written as a reference.
_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "\\": "&#92;",
    "`": "&#96;",
    "*": "&#42;",
    "{": "&#123;",
    "}": "&#125;",
    "[": "&#91;",
    "]": "&#93;",
    "(": "&#40;",
    ")": "&#41;",
    "#": "&#35;",
    "+": "&#43;",
    "!": "&#33;",
    "|": "&#124;",
    "~": "&#126;",
    "^": "&#94;",
    "=": "&#61;",
    "$": "&#36;",
}
_TEXT_SPECIAL = re.compile("[" + re.escape("".join(_ENTITIES)) + "]")
# A leading "-" or "1." would start a list and a leading ":" a definition; only the start matters
# because md_text folds the value onto one line.
_LIST_START = re.compile(r"^(\d+)\.(?=\s|$)|^[-:]")
# An underscore between two letters or digits never starts emphasis; elsewhere it is escaped.
_LOOSE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")

_DANGEROUS_SCHEME = re.compile(
    r"(?i)(j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t|v\s*b\s*s\s*c\s*r\s*i\s*p\s*t"
    r"|l\s*i\s*v\s*e\s*s\s*c\s*r\s*i\s*p\s*t|d\s*a\s*t\s*a)(\s*):"
)
ZERO_WIDTH_SPACE = "\u200b"
# Text that needs no escaping at all: words, spaces and harmless punctuation, not at the start.
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ,;/'?%]*")

EMPTY = "—"


def clean(value: Any) -> str:
    """The value as a string without control characters (None is the empty string)."""
    if value is None:
        return ""
    text = str(value)
    return _CONTROL.sub("", text) if _CONTROL.search(text) else text


def defuse_schemes(text: str) -> str:
    """Break `javascript:` and its kin so that no URL made from the text can run script."""
    return _DANGEROUS_SCHEME.sub(lambda m: f"{m.group(1)}{m.group(2)}{ZERO_WIDTH_SPACE}:", text)


def md_text(value: Any) -> str:
    """Inline Markdown that renders as exactly `value`, folded onto one line."""
    text = " ".join(clean(value).split())
    if _PLAIN.fullmatch(text):
        return text
    text = _TEXT_SPECIAL.sub(lambda m: _ENTITIES[m.group(0)], text)
    text = _LOOSE_UNDERSCORE.sub("&#95;", text)
    text = _LIST_START.sub(_escape_list_start, text)
    return defuse_schemes(text)


def _escape_list_start(match: re.Match) -> str:
    if match.group(1):
        return f"{match.group(1)}&#46;"
    return f"&#{ord(match.group(0))};"


def md_cell(value: Any) -> str:
    """A table cell: escaped text with line breaks as `<br>`, an em dash when empty."""
    lines = [md_text(line) for line in clean(value).split("\n")]
    lines = [line for line in lines if line]
    return "<br>".join(lines) or EMPTY


def md_block(value: Any) -> str:
    """A multi-line value as Markdown paragraphs (blank lines) with its line breaks kept."""
    paragraphs = re.split(r"\n\s*\n", clean(value).strip())
    rendered = []
    for paragraph in paragraphs:
        lines = [md_text(line) for line in paragraph.split("\n")]
        text = "<br>\n".join(line for line in lines if line)
        if text:
            rendered.append(text)
    return "\n\n".join(rendered) or EMPTY


def md_code(value: Any) -> str:
    """Monospace text as inline HTML, safe in tables, links and admonition titles alike."""
    text = md_text(value)
    return f"<code>{text}</code>" if text else EMPTY


def md_url(target: str) -> str:
    """A link target the site generated itself, percent-encoded; any scheme is refused."""
    target = clean(target)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", target):
        raise ValueError(f"generated links are relative, not {target!r}")
    return quote(target, safe="/#.-_~")


def md_link(text: Any, target: Optional[str]) -> str:
    """`[text](target)` with the text escaped; plain escaped text when there is no target."""
    label = md_text(text) or EMPTY
    if not target:
        return label
    return f"[{label}]({md_url(target)})"


def html_text(value: Any) -> str:
    """Text for raw HTML / SVG element content."""
    return defuse_schemes(html.escape(clean(value), quote=True))


def html_attr(value: Any) -> str:
    """Text for a double-quoted HTML / SVG attribute value."""
    return html_text(" ".join(clean(value).split()))


def yaml_str(value: Any) -> str:
    """A double-quoted YAML scalar (JSON string syntax is valid YAML)."""
    import json

    return json.dumps(clean(value))


def safe_title(value: Any) -> str:
    """A page title for front matter: the theme inserts `page.meta.title` as raw HTML."""
    return defuse_schemes(html.escape(" ".join(clean(value).split()), quote=True))


def tag_name(value: Any) -> str:
    """A tag for the tags plugin: letters, digits, spaces, `-` and `_` only."""
    text = re.sub(r"[^\w \-]", "", " ".join(clean(value).split()), flags=re.ASCII)
    return text.strip()[:40] or "unknown"


def heading_id(anchor: Any) -> str:
    """An attribute list giving a heading a fixed id (`{#gov201}`); the id is made safe first."""
    ident = re.sub(r"[^A-Za-z0-9_-]", "-", clean(anchor)) or "section"
    return "{#" + ident + "}"


def fence_title(value: Any) -> str:
    """A code block title (`title="..."` in a fence header): path characters only."""
    return re.sub(r"[^\w./ @+-]", "_", " ".join(clean(value).split()), flags=re.ASCII)[:200]


def fence_for(text: str, char: str = "`") -> str:
    """A code fence longer than any run of `char` in `text`, so the content cannot close it."""
    longest = max((len(run) for run in re.findall(re.escape(char) + "+", text)), default=0)
    return char * max(3, longest + 1)


# --------------------------------------------------------------------------- mermaid

_MERMAID_ENTITIES = {
    "#": "#35;",
    "&": "#amp;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "`": "#96;",
    "\\": "#92;",
    "{": "#123;",
    "}": "#125;",
    "|": "#124;",
    "[": "#91;",
    "]": "#93;",
    "(": "#40;",
    ")": "#41;",
    ";": "#59;",
}
_MERMAID_SPECIAL = re.compile("[" + re.escape("".join(_MERMAID_ENTITIES)) + "]")


def mermaid_label(value: Any, limit: int = 60) -> str:
    """Text for a quoted mermaid node label (`id["..."]`), shortened to `limit` characters."""
    text = " ".join(clean(value).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return defuse_schemes(_MERMAID_SPECIAL.sub(lambda m: _MERMAID_ENTITIES[m.group(0)], text))


# --------------------------------------------------------------------------- team Markdown


LinkResolver = Callable[[str], Optional[str]]

#: Bounds on team-written Markdown beyond which it is shown as written instead of formatted.
#: Python-Markdown recurses once per level of nesting, and it and its pymdownx extensions scan
#: the rest of a paragraph from every unclosed `[`, `(`, `^` and `~`; so text far beyond these
#: bounds stops the site build (a list nested 256 levels deep, 2,000 asterisks in a row) or
#: stalls it for minutes (10,000 unclosed `[`, 1,600 `a^b`), while real documents stay far
#: inside them.
MAX_BLOCK_INDENT = 128  # columns of indentation, quote and list markers before a line's text
MAX_MARKER_RUN = 128  # emphasis markers (`*_~^=`) in a row, not counting rules and underlines
MAX_OPEN_BRACKETS = 64  # `[` or `(` open at once within one paragraph
MAX_CARET_TILDE_RUNS = 64  # runs of `^` or `~` within one paragraph
#: Without fenced code the escaped text is safe by construction, so rendering it only asks
#: whether the renderer can finish, and text this short within the bounds above always can.
#: Record parts are mostly this short, and a register holds thousands of them.
MAX_UNCHECKED_LENGTH = 1024

PLAIN_TEXT_NOTE = "*Shown as written: this Markdown is nested too deeply to be formatted.*"


def team_markdown(body: Any, resolve: Optional[LinkResolver] = None) -> str:
    """Team-written Markdown with its formatting kept but no way to inject HTML or script.

    Outside top-level fenced code, `&`, `<`, `>` (except blockquote markers), `{` and `}` are
    written as references, which removes raw HTML, autolinks, attribute lists and entity tricks,
    and inline code spans become `<code>` elements with escaped text, so they display as written.
    Fenced code is kept verbatim, which is only safe if the site's renderer also reads it as a
    fence; so the result is rendered with the site's Markdown extensions and checked, and should
    anything in it be unsafe the fences are escaped too, which is safe by construction.

    Text beyond the `MAX_*` bounds, or that the renderer fails on, is shown as written in a code
    block (`plain_text`): no ADR or record can stop or stall the site build.

    `resolve` maps each relative link target (a file next to the document in the repository) to
    its place on the site, or to None when the site has no page for it; such a link becomes its
    text followed by the target in code, so the site has no broken links.
    """
    text = clean(body).replace("\r\n", "\n")
    if too_intricate(text):
        return plain_text(text)
    fenced = _top_level_fence_lines(text)
    friendly = _neutralise(text, resolve, fenced)
    if not fenced and len(text) <= MAX_UNCHECKED_LENGTH:
        return friendly
    try:
        safe = is_safe_html(render_markdown(friendly))
    except Exception:  # RecursionError, or whatever else the renderer makes of odd input
        return plain_text(text)
    return friendly if safe else _neutralise(text, resolve)


def plain_text(text: str) -> str:
    """`text` as written in a code block, after a note saying why it is not formatted.

    The code block is checked like any team Markdown; should the renderer not read it as code,
    the text becomes escaped lines instead, which are safe by construction.
    """
    fence = fence_for(text)
    block = f"{PLAIN_TEXT_NOTE}\n\n{fence} text\n{text.rstrip()}\n{fence}"
    try:
        if is_safe_html(render_markdown(block)):
            return block
    except Exception:  # the escaped lines below need no check
        pass
    return f"{PLAIN_TEXT_NOTE}\n\n{md_block(text)}"


def too_intricate(text: str) -> bool:
    """True when `text` goes beyond one of the `MAX_*` bounds.

    A few regular expressions and one pass over the delimiters: hostile text is turned away in
    milliseconds instead of being handed to a renderer that would take minutes or fail. Fenced
    code is measured too, as the renderer may not read a fence where CommonMark does (one never
    closed, say); code within the bounds is far more than real documents hold.
    """
    text = text.expandtabs(4)
    return bool(
        _DEEP_BLOCK.search(text)
        or any(not _is_rule_line(text, run) for run in _LONG_MARKER_RUN.finditer(text))
        or _crowded_paragraph(text)
    )


# One level of block nesting: a column of indentation, a quote marker or a list marker.
_BLOCK_LEVEL = r"(?:[ >]|[*+-](?= )|\d{1,9}[.)](?= ))"
_DEEP_BLOCK = re.compile(rf"^{_BLOCK_LEVEL}{{{MAX_BLOCK_INDENT + 1}}}", re.M)
_LONG_MARKER_RUN = re.compile(rf"[*_~^=]{{{MAX_MARKER_RUN + 1},}}")
_DELIMITER_OR_PARAGRAPH_BREAK = re.compile(r"[\[\]()]|[\^~]+|\n *\n")


def _is_rule_line(text: str, run: re.Match) -> bool:
    """True when the run's line is one marker repeated: a horizontal rule or heading underline."""
    start = text.rfind("\n", 0, run.start()) + 1
    end = text.find("\n", run.end())
    line = text[start:] if end < 0 else text[start:end]
    return not line.replace(run.group(0)[0], "").strip()


def _crowded_paragraph(text: str) -> bool:
    """True when a paragraph keeps too many `[` or `(` open at once, or has too many runs of
    `^` or `~` (`~~strike~~` is two)."""
    square = round_ = runs = 0
    for match in _DELIMITER_OR_PARAGRAPH_BREAK.finditer(text):
        mark = match.group(0)[0]
        if mark == "[":
            square += 1
        elif mark == "]":
            square = max(0, square - 1)
        elif mark == "(":
            round_ += 1
        elif mark == ")":
            round_ = max(0, round_ - 1)
        elif mark == "\n":
            square = round_ = runs = 0
        else:
            runs += 1
        if max(square, round_) > MAX_OPEN_BRACKETS or runs > MAX_CARET_TILDE_RUNS:
            return True
    return False


def _neutralise(
    text: str, resolve: Optional[LinkResolver] = None, fenced: Optional[frozenset[int]] = None
) -> str:
    """`text` with HTML, attribute lists and script links escaped, the `fenced` lines verbatim.

    Without `fenced` every line is escaped and code spans are left to the renderer, which is
    safe whatever the renderer makes of fences.
    """
    keep_code = fenced is not None
    out = []
    for number, line in enumerate(text.split("\n")):
        if keep_code and number in fenced:
            out.append(line)
            continue
        if resolve is not None:
            line = _relink(line, resolve)
        out.append(_neutralise_line(line, keep_code))
    return "\n".join(out)


_INLINE_LINK = re.compile(r"(!?)\[([^\]\n]*)\]\(\s*<?([^)\s>]+)>?((?:\s+\"[^\"\n]*\")?)\s*\)")
_REFERENCE = re.compile(r"^(\s{0,3}\[[^\]\n]+\]:\s*)<?(\S+?)>?(\s.*)?$")
_EXTERNAL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*:|#|//)")


def _relink(line: str, resolve: LinkResolver) -> str:
    """Relative link targets pointed at their site page, or unlinked when there is none."""

    def inline(match: re.Match) -> str:
        bang, label, target, title = match.groups()
        if _EXTERNAL.match(target):
            return match.group(0)
        moved = resolve(target)
        if moved is None:
            return f"{label or target} (`{target}`)"
        return f"{bang}[{label}]({moved}{title})"

    def reference(match: re.Match) -> str:
        lead, target, rest = match.group(1), match.group(2), match.group(3) or ""
        if _EXTERNAL.match(target):
            return match.group(0)
        moved = resolve(target)
        return f"{lead}{moved}{rest}" if moved else f"{lead}#{rest}"

    line = _REFERENCE.sub(reference, line)
    return _INLINE_LINK.sub(inline, line)


def _top_level_fence_lines(text: str) -> frozenset[int]:
    """0-based line numbers inside top-level fenced code blocks that start in column one."""
    if "```" not in text and "~~~" not in text:
        return frozenset()  # no fence can open, so there is nothing to parse
    lines = text.split("\n")
    inside: set[int] = set()
    for token in _block_parser().parse(text):
        if token.type != "fence" or token.level != 0 or not token.map:
            continue
        first, end = token.map
        if not lines[first][:1] in ("`", "~"):
            continue
        inside.update(range(first, end))
    return frozenset(inside)


@functools.lru_cache(maxsize=None)
def _block_parser():
    """A CommonMark parser that stops at blocks: fences are all it is asked about."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").disable("inline")


_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_QUOTE_PREFIX = re.compile(r"^(\s{0,3}(?:>\s?)+)")
_PROSE_SPECIAL = re.compile(r"[&<>{}]")
_PROSE_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "{": "&#123;", "}": "&#125;"}


def _neutralise_line(line: str, keep_code: bool) -> str:
    """One line outside fenced code: prose escaped, inline code spans as escaped `<code>`."""
    prefix_match = _QUOTE_PREFIX.match(line)
    prefix = prefix_match.group(1) if prefix_match else ""
    rest = line[len(prefix):]
    pieces = []
    position = 0
    spans = _CODE_SPAN.finditer(rest) if keep_code else ()
    for span in spans:
        pieces.append(_escape_prose(rest[position:span.start()]))
        pieces.append(f"<code>{md_text(span.group(2).strip()) or ' '}</code>")
        position = span.end()
    pieces.append(_escape_prose(rest[position:]))
    return prefix + "".join(pieces)


def _escape_prose(text: str) -> str:
    return defuse_schemes(_PROSE_SPECIAL.sub(lambda m: _PROSE_ENTITIES[m.group(0)], text))


# --------------------------------------------------------------------------- checking output

SAFE_SCHEMES = ("http", "https", "mailto")
SAFE_TAGS = frozenset(
    """a abbr b blockquote br code dd del details div dl dt em h1 h2 h3 h4 h5 h6 hr i img input
    ins kbd label li mark ol p pre s small span strong sub summary sup table tbody td tfoot th
    thead tr ul""".split()
)
_URL_ATTRIBUTES = ("href", "src", "xlink:href", "action", "formaction", "poster", "background")


# Declarations such as `text-align: right;` (table alignment) or `fill:var(--x, #fff)`: no
# `url(`, no `expression(`, nothing that can load or run anything.
_SAFE_STYLE = re.compile(r"\s*(?:[a-z-]+\s*:\s*(?!.*(?:url|expression)\s*\()[#\w\s(),.%-]+;?\s*)*", re.I)


class _SafetyCheck(HTMLParser):
    def __init__(self, allowed: frozenset[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed = allowed
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        if tag not in self.allowed:
            self.problems.append(f"element <{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "srcdoc":
                self.problems.append(f"attribute {name} on <{tag}>")
            elif name == "style" and not _SAFE_STYLE.fullmatch(value or ""):
                self.problems.append(f"attribute {name} on <{tag}>")
            elif name in _URL_ATTRIBUTES and not is_safe_url(value or ""):
                self.problems.append(f"{name}={value!r} on <{tag}>")

    handle_startendtag = handle_starttag


def is_safe_url(url: str) -> bool:
    """True unless a browser would read the URL as one with a scheme other than http(s)/mailto."""
    compact = re.sub(r"[\x00-\x20\x7f]", "", url).lower()
    scheme = re.match(r"^([a-z][a-z0-9+.\-]*):", compact)
    return scheme is None or scheme.group(1) in SAFE_SCHEMES


def unsafe_html(html_text_: str, allowed: Iterable[str] = SAFE_TAGS) -> list[str]:
    """What in the HTML could run script or leave the allowed elements (empty when safe)."""
    check = _SafetyCheck(frozenset(allowed))
    check.feed(html_text_)
    check.close()
    return check.problems


def is_safe_html(html_text_: str) -> bool:
    return not unsafe_html(html_text_)


# --------------------------------------------------------------------------- the site's Markdown

#: The Markdown extensions the generated pages are written for (mkdocs.yml enables the same).
SITE_MARKDOWN_EXTENSIONS: tuple[str, ...] = (
    "abbr",
    "admonition",
    "attr_list",
    "def_list",
    "footnotes",
    "md_in_html",
    "tables",
    "toc",
    "pymdownx.details",
    "pymdownx.highlight",
    "pymdownx.inlinehilite",
    "pymdownx.superfences",
    "pymdownx.tabbed",
    "pymdownx.tasklist",
    "pymdownx.magiclink",
    "pymdownx.betterem",
    "pymdownx.caret",
    "pymdownx.mark",
    "pymdownx.tilde",
    "pymdownx.smartsymbols",
    "pymdownx.keys",
)


def site_markdown_configs() -> dict[str, dict]:
    """Extension options matching the site: mermaid custom fence, tabs, line numbers."""
    from pymdownx.superfences import fence_code_format

    return {
        "toc": {"permalink": True},
        "pymdownx.highlight": {"anchor_linenums": True, "line_spans": "__span"},
        "pymdownx.superfences": {
            "custom_fences": [
                {"name": "mermaid", "class": "mermaid", "format": fence_code_format}
            ]
        },
        "pymdownx.tabbed": {"alternate_style": True},
        "pymdownx.tasklist": {"custom_checkbox": True},
    }


def render_markdown(text: str) -> str:
    """HTML for `text` with the site's extensions (used to check output, not to build the site).

    Setting up a converter with these extensions costs several times more than converting a
    paragraph, and a register holds thousands of paragraphs, so each thread keeps one converter
    and resets it between texts. A converter that raised is dropped: its state is unknown.
    """
    converter = getattr(_converters, "markdown", None) or _new_converter()
    _converters.markdown = None
    converter.reset()
    rendered = converter.convert(text)
    _converters.markdown = converter
    return rendered


_converters = threading.local()


def _new_converter():
    import markdown

    return markdown.Markdown(
        extensions=list(SITE_MARKDOWN_EXTENSIONS),
        extension_configs=site_markdown_configs(),
    )


#: Jinja filters the templates use for every input value.
FILTERS = {
    "md_text": md_text,
    "md_cell": md_cell,
    "md_block": md_block,
    "md_code": md_code,
    "md_url": md_url,
    "md_link": md_link,
    "html_text": html_text,
    "html_attr": html_attr,
    "yaml_str": yaml_str,
    "safe_title": safe_title,
    "tag_name": tag_name,
    "fence_title": fence_title,
    "heading_id": heading_id,
    "mermaid_label": mermaid_label,
    "team_markdown": team_markdown,
}

