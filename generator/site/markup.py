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
- `team_markdown` keeps the formatting of team-written Markdown (ADR bodies, emergency records):
  it renders it with the site's extensions and cleans the HTML with Ammonia's allow-list
  (`sanitise_html`, which the plugin also applies to the repository's own pages). Text nested
  too deeply for the renderer is shown as written, in a code block.
- `yaml_str`, `safe_title`, `tag_name` write front matter: the theme inserts a page's title as
  raw HTML, and tags become file names and anchors.

Scheme names that browsers execute (`javascript:`, `vbscript:`, `data:`) get a zero-width space
before their colon wherever they appear, so a URL built from them is a harmless relative one.
"""

from __future__ import annotations

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
#: Python-Markdown takes seconds for each 100,000 characters (and a little more for each next
#: one), so a text longer than this, fifty times a long ADR, is shown as written: a page for a
#: 5 MB record is then built in time linear in its size.
MAX_FORMATTED_LENGTH = 200_000

PLAIN_TEXT_NOTE = "Shown as written: this Markdown is nested too deeply to be formatted."
LONG_TEXT_NOTE = "Shown as written: this Markdown is too long to be formatted."
#: The element that holds team-written HTML in a generated page.
TEAM_BLOCK_CLASS = "govsite-team"


def team_markdown(body: Any, resolve: Optional[LinkResolver] = None, levels: int = 0) -> str:
    """Team-written Markdown as sanitised HTML: its formatting kept, no way to run script.

    The text is rendered with the site's Markdown extensions, headings `levels` deeper, and the
    HTML is cleaned by `sanitise_html` (Ammonia's allow-list), in time linear in its size. The
    result is one raw HTML block, which every Markdown processor passes through as it is.

    Text beyond the `MAX_*` bounds, or that the renderer fails on, is shown as written in a code
    block (`plain_text`): no ADR or record can stop or stall the site build, or make it slower
    than linear in its size.

    `resolve` maps each relative link target (a file next to the document in the repository) to
    its place on the site, or to None when the site has no page for it; such a link keeps its
    text but loses its target, so the site has no broken links.
    """
    text = clean(body).replace("\r\n", "\n")
    if _PLAIN_SENTENCE.fullmatch(text):  # most record parts: no Markdown to render
        return html_block(f"<p>{text}</p>")
    if too_intricate(text):
        return plain_text(text)
    if len(text) > MAX_FORMATTED_LENGTH:
        return plain_text(text, LONG_TEXT_NOTE)
    try:
        rendered = render_markdown(text, heading_shift=levels)
    except Exception:  # RecursionError, or whatever else the renderer makes of odd input
        return plain_text(text)
    return html_block(sanitise_html(rendered, resolve))


_PLAIN_SENTENCE = re.compile(r"[A-Za-z][A-Za-z0-9 ,.']*")


def plain_text(text: str, note: str = PLAIN_TEXT_NOTE) -> str:
    """`text` as written in a code block, after a note saying why it is not formatted."""
    code = html.escape(text.rstrip(), quote=False)
    return html_block(f"<p><em>{note}</em></p>\n<pre><code>{code}</code></pre>")


_BLANK_LINE_AFTER = re.compile(r"\n(?=[ \t]*(?:\n|$))")


def html_block(inner: str) -> str:
    """`inner` HTML as one raw HTML block of a Markdown page.

    A blank line would end the block for a CommonMark reader (a code block's empty line, say),
    so the line break before one is written as a character reference, which shows the same; so
    are braces and the colon of a script scheme, which no processor then reads as an attribute
    list or a link, while a reader copying the text gets it as written.
    """
    inner = _BLANK_LINE_AFTER.sub("&#10;", inner.strip("\n"))
    inner = _DANGEROUS_SCHEME.sub(r"\1\2&#58;", inner.replace("{", "&#123;").replace("}", "&#125;"))
    return f'<div class="{TEAM_BLOCK_CLASS}">\n{inner}\n</div>'


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


# --------------------------------------------------------------------------- sanitising HTML

#: What HTML from the repository may keep: the elements and attributes the site's Markdown
#: extensions make (admonitions, content tabs, task lists, footnotes, highlighted code, mermaid
#: diagrams, aligned table cells), and nothing that loads or runs anything.
ALLOWED_TAGS = frozenset(
    """a abbr b blockquote br caption code col colgroup dd del details div dl dt em figcaption
    figure h1 h2 h3 h4 h5 h6 hr i input ins kbd label li mark ol p pre q s small span strong
    sub summary sup table tbody td tfoot th thead tr u ul""".split()
)
_CELL_ATTRIBUTES = {"style", "align", "colspan", "rowspan"}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},  # on the repository's own pages only
    "td": _CELL_ATTRIBUTES,
    "th": _CELL_ATTRIBUTES,
    "ol": {"start"},
    "input": {"checked", "disabled", "name"},
    "label": {"for"},
    "details": {"open"},
    "div": {"data-tabs"},
}
_ALLOWED_VALUES = {"input": {"type": {"checkbox", "radio"}}}
_EXTERNAL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*:|#|//)")


def sanitise_html(markup: str, resolve: Optional[LinkResolver] = None, images: bool = False) -> str:
    """`markup` with every element, attribute, style and URL scheme outside the allow-list gone.

    Ammonia (through nh3) parses the HTML as a browser would and rebuilds it from what is
    allowed, so no spelling of `<script>`, `onerror=` or `javascript:` survives it; script and
    style elements go with their content. `resolve` re-targets relative links (see
    `team_markdown`). Images are kept on the repository's own pages, whose files MkDocs
    publishes beside them; a generated page has no place for an ADR's picture.
    """
    import nh3

    def check_url(tag: str, attribute: str, value: str) -> Optional[str]:
        if attribute not in ("href", "src"):
            return value
        if not is_safe_url(value):  # `java  script:` is harmless to a browser, but looks close
            return None
        if resolve is None or _EXTERNAL.match(value):
            return value
        return resolve(value)

    return nh3.clean(
        markup,
        tags=set(ALLOWED_TAGS | ({"img"} if images else set())),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        tag_attribute_values=_ALLOWED_VALUES,
        attribute_filter=check_url,
        url_schemes=set(SAFE_SCHEMES),
        filter_style_properties={"text-align"},
        link_rel=None,
    )


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


def render_markdown(text: str, heading_shift: int = 0) -> str:
    """HTML for `text` with the site's extensions, every heading `heading_shift` levels deeper.

    Setting up a converter with these extensions costs several times more than converting a
    paragraph, and a register holds thousands of paragraphs, so each thread keeps one converter
    per shift and resets it between texts. A converter that raised is dropped: its state is
    unknown.
    """
    converters = _converters.__dict__.setdefault("by_shift", {})
    converter = converters.pop(heading_shift, None) or _new_converter(heading_shift)
    converter.reset()
    rendered = converter.convert(text)
    converters[heading_shift] = converter
    return rendered


_converters = threading.local()


def _new_converter(heading_shift: int = 0):
    import markdown

    configs = site_markdown_configs()
    configs["toc"] = {**configs["toc"], "baselevel": 1 + heading_shift}
    return markdown.Markdown(extensions=list(SITE_MARKDOWN_EXTENSIONS), extension_configs=configs)


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

