"""Text from the repository is shown on the site, never interpreted.

Every string a reader can produce is filled with hostile text (HTML, script links, Markdown
control characters, table pipes, mermaid quotes), every page is rendered, and both the Markdown
and the HTML that the site's Markdown extensions make of it are checked.
"""

from __future__ import annotations

import html
import re
import sys
import time
import xml.etree.ElementTree as ET
from datetime import date, datetime, timezone
from html.parser import HTMLParser

import pytest
from browser_support import runnable_parts
from conftest import assert_in_moments
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.config import Config
from generator.model import (
    Adr,
    Bypass,
    Commit,
    EmergencyRecord,
    FileHistory,
    Finding,
    HeaderField,
    History,
    Location,
    MetadataHeader,
    Migration,
    Operation,
    PolicyDocument,
    Repository,
    Severity,
    SqlStatement,
    Suppression,
)
from generator.site import build_pages
from generator.site.charts import Bar, bar_chart, donut_chart
from generator.site.markup import (
    MAX_BLOCK_INDENT,
    MAX_CARET_TILDE_RUNS,
    MAX_MARKER_RUN,
    MAX_OPEN_BRACKETS,
    PLAIN_TEXT_NOTE,
    SITE_MARKDOWN_EXTENSIONS,
    md_cell,
    md_code,
    md_link,
    md_text,
    md_url,
    mermaid_label,
    render_markdown,
    site_markdown_configs,
    team_markdown,
    too_intricate,
    unsafe_html,
)

SCRIPT = "<script>alert(1)</script>"
HOSTILE = (
    f"{SCRIPT} [x](javascript:alert(1)) | pipe **bold** `tick` _u_ <img src=x onerror=alert(1)>"
    ' {: onclick="alert(1)" } &lt;script&gt; "quote" # hash ~~del~~ ==mark== ^^ins^^ $x$'
)
HOSTILE_BODY = "\n".join(
    [
        "## Context {: onclick=alert(1) }",
        "",
        SCRIPT,
        "",
        "Inline <img src=x onerror=alert(1)> and `<script>alert(2)</script>` in code.",
        "",
        "[inline](javascript:alert(1)) [entity](&#106;avascript:alert(1)) [tab](java\tscript:alert(1))",
        "[upper](JAVASCRIPT:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) <javascript:alert(1)>",
        "",
        "[ref]: javascript:alert(1)",
        "[use the ref][ref]",
        "",
        '<div markdown="1">*inside*</div>',
        "",
        "<!-- a comment --><iframe src=//evil></iframe>",
        "",
        "```html",
        SCRIPT,
        "```",
        "",
        "    <script>indented()</script>",
        "",
        "- item {: onclick=alert(1) }",
        "> <script>quoted()</script>",
        "",
        "--8<-- \"/etc/passwd\"",
    ]
)

UTC = timezone.utc
SVG_TAGS = {"svg", "title", "desc", "rect", "text", "line", "circle", "g"}
PAGE_TAGS = {"input", "label", "table", "th", "td", "tr", "thead", "tbody", "div", "span", "a", "code",
             "pre", "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "br",
             "details", "summary", "blockquote", "hr", "sup", "del", "mark", "ins"} | SVG_TAGS


def hostile(tag: str = "") -> str:
    return f"{HOSTILE} {tag}"


def hostile_repository() -> tuple[Repository, list[Finding]]:
    path = "alembic/versions/x<script>alert(1)</script>.py"
    header = MetadataHeader(
        tuple(
            HeaderField(key, value, line)
            for line, (key, value) in enumerate(
                [
                    ("MIGRATION_ID", hostile("id")),
                    ("TITLE", hostile("title")),
                    ("CHANGE_TYPE", hostile("type")),
                    ("RISK_LEVEL", hostile("risk")),
                    ("FORWARD_ONLY", "Yes"),
                    ("JUSTIFICATION", hostile("why") + "\n" + hostile("second line") + "\n\n---\n1. list"),
                    ("ROLLBACK_STRATEGY", hostile("rollback")),
                    ("DOC_REFS", "ADR-015 " + hostile("refs")),
                    (hostile("key"), hostile("unknown field")),
                    ("INCIDENT", "INC<script>"),
                ],
                start=3,
            )
        ),
        line=1,
        malformed_lines=(7,),
    )
    sql = SqlStatement(hostile("sql"), "drop_table", table=hostile("table"), dynamic=True)
    ops = (
        Operation("drop_table", "op.drop_table", "upgrade", 20, 21, 5, table=hostile("table"), target=hostile("target")),
        Operation("execute", hostile("call"), "upgrade", 22, 22, 5, sql=sql, via_helper=hostile("helper")),
        Operation("drop_column", "op.drop_column", "downgrade", 30, 30, 5, table=hostile("t2")),
    )
    bypass = Bypass(21, 40, hostile("bypass"), ("ADR-015", hostile("adr")), (hostile("ticket"),), hostile("justification"))
    parent = Migration(
        "alembic/versions/parent.py", 'p"]>x<script>', (), header=header, source="x = 1\n"
    )
    migration = Migration(
        path,
        hostile("rev"),
        ('p"]>x<script>', hostile("missing parent")),
        branch_labels=(hostile("label"),),
        depends_on=(hostile("dep"),),
        header=header,
        operations=ops,
        bypasses=(bypass,),
        source=f'"""{HOSTILE}"""\n' + "```\n" * 3 + f"x = '{SCRIPT}'\n",
    )
    adr = Adr(
        "docs/adr/ADR-015-x.md", "ADR-015", 15, hostile("adr title"), "Superseded",
        status_text=hostile("status"), superseded_by=(hostile("sup"),), supersedes=("ADR-015",),
        date="2026-05-01 " + hostile("date"), deciders=(hostile("decider"),), body=HOSTILE_BODY,
    )
    odd_adr = Adr("docs/adr/odd.md", hostile("adr id"), 16, hostile("odd"), None, body=hostile("body"))
    record = EmergencyRecord(
        "db/schema/EXCEPTIONS.md", 4, hostile("heading"), datetime(2026, 5, 2, 10, tzinfo=UTC),
        incident="INC<script>", urgency=hostile("urgency"), immediate_action=HOSTILE_BODY,
        retroactive_update=hostile("pr"), post_incident_review="[review](javascript:alert(1))",
        migration_refs=(hostile("ref"),),
    )
    author = Commit("<script>" + "a" * 40, hostile("author"), hostile("email"), datetime(2026, 5, 2, 12, tzinfo=UTC), hostile("summary"))
    repo = Repository(
        root="/repo",
        migrations=(parent, migration),
        adrs=(adr, odd_adr),
        exceptions=(record,),
        exceptions_path=hostile("register"),
        policies=(PolicyDocument("docs/RUNBOOK-<script>.md", hostile("policy"), hostile("v"), date(2026, 1, 1), hostile("status"), date(2026, 6, 1)),),
        history=History("ok", {path: FileHistory(path, author, author), adr.path: FileHistory(adr.path, author, author)}),
    )
    findings = [
        Finding("GOV201", "destructive-without-bypass", Severity.ERROR, 2, Location(path, 20, 5), hostile("message")),
        Finding("GOV201", hostile("name"), Severity.WARNING, 2, Location(path, 21, 5), hostile("approved"),
                Suppression("bypass", hostile("suppressed because"), Location(path, 21, 40))),
        Finding(hostile("code"), hostile("name"), Severity.ERROR, None, Location(record.path, 4), hostile("record")),
        Finding("GOV204", "bypass-unknown-adr", Severity.ERROR, 2, Location(adr.path, 1), hostile("adr finding")),
        Finding("GOV901", "policy-review-overdue", Severity.WARNING, None, Location(hostile("elsewhere"), 1), hostile("x")),
    ]
    return repo, findings


# --------------------------------------------------------------------------- checking output


def outside_code(markdown: str) -> str:
    """The Markdown without fenced code blocks (whose content is shown verbatim, as code)."""
    lines, kept, fence = markdown.split("\n"), [], None
    for line in lines:
        stripped = line.strip()
        if fence is None:
            opening = re.match(r"^(`{3,}|~{3,})", stripped)
            if opening:
                fence = opening.group(1)
                continue
            kept.append(line)
        elif stripped.startswith(fence) and set(stripped) <= {fence[0]}:
            fence = None
    return "\n".join(kept)


def strip_front_matter(content: str) -> tuple[dict, str]:
    import yaml

    match = re.match(r"^---\n(.*?)\n---\n", content, re.S)
    assert match
    return yaml.safe_load(match.group(1)), content[match.end():]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.hrefs.extend(v or "" for k, v in attrs if k in ("href", "src"))


def assert_markdown_is_inert(uri: str, markdown: str) -> None:
    text = outside_code(markdown)
    assert "<script" not in text.lower(), uri
    assert "javascript:" not in text.lower(), uri
    assert not re.search(r"\]\(\s*<?\s*javascript\s*:", text, re.I), uri
    assert not re.search(r"^\s*\[[^\]]*\]:\s*<?\s*javascript\s*:", text, re.I | re.M), uri
    assert "<img" not in text.lower() and "<iframe" not in text.lower(), uri
    assert not re.search(r"\{[^}\n]*\bon[a-z]+\s*=", text, re.I), uri  # attribute lists
    assert not re.search(r"<[a-z][^>\n]*\bon[a-z]+\s*=", text, re.I), uri  # event handlers


def assert_html_is_inert(uri: str, page_html: str) -> None:
    problems = unsafe_html(page_html, allowed=PAGE_TAGS)
    assert problems == [], (uri, problems)
    parser = _Links()
    parser.feed(page_html)
    assert "script" not in parser.tags and "img" not in parser.tags and "iframe" not in parser.tags
    for href in parser.hrefs:
        compact = re.sub(r"[\s\x00-\x1f]", "", href).lower()
        assert not compact.startswith(("javascript:", "vbscript:", "data:")), (uri, href)


@pytest.fixture(scope="module")
def hostile_pages():
    repo, findings = hostile_repository()
    return build_pages(repo, findings, Config())


def test_hostile_input_renders_every_kind_of_page(hostile_pages):
    uris = {p.uri for p in hostile_pages}
    assert {"governance/index.md", "governance/graph.md", "governance/exceptions.md", "governance/report.md"} <= uris
    assert sum(1 for u in uris if u.startswith("governance/migrations/")) == 3
    assert sum(1 for u in uris if u.startswith("governance/adrs/")) == 3
    assert any(u.startswith("governance/reviews/2026Q2") for u in uris)
    for uri in uris:
        assert re.fullmatch(r"governance/[A-Za-z0-9_/-]+\.md", uri), uri


def test_no_script_or_script_link_in_the_generated_markdown(hostile_pages):
    for page in hostile_pages:
        meta, body = strip_front_matter(page.content)
        assert_markdown_is_inert(page.uri, body)
        assert "javascript:" not in str(meta).lower(), page.uri


def test_no_script_element_or_script_link_in_the_rendered_html(hostile_pages):
    for page in hostile_pages:
        _, body = strip_front_matter(page.content)
        assert_html_is_inert(page.uri, render_markdown(body))


def test_hostile_text_is_shown_as_text(hostile_pages):
    pages = {p.uri: p for p in hostile_pages}
    migration = next(p for p in hostile_pages if "/migrations/" in p.uri and not p.uri.endswith("/index.md"))
    _, body = strip_front_matter(migration.content)
    shown = html.unescape(re.sub(r"<[^>]+>", "", render_markdown(body)))
    assert "<script>alert(1)</script> [x](javascript\u200b:alert(1)) | pipe **bold** `tick` _u_" in shown
    report = html.unescape(re.sub(r"<[^>]+>", "", render_markdown(strip_front_matter(pages["governance/report.md"].content)[1])))
    assert "suppressed because" in report and "<script>alert(1)</script>" in report


def test_front_matter_titles_are_html_escaped_and_tags_are_plain_words(hostile_pages):
    for page in hostile_pages:
        meta, _ = strip_front_matter(page.content)
        assert "<" not in meta["title"], page.uri
        for tag in meta.get("tags", []):
            assert re.fullmatch(r"[\w :\-]+", tag, re.ASCII), (page.uri, tag)


def test_table_rows_keep_their_column_count(hostile_pages):
    for page in hostile_pages:
        for table in re.findall(r"(?:^ *\|.*\|\n)+", page.content, re.M):
            rows = [r.strip() for r in table.strip("\n").split("\n")]
            widths = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
            assert len(widths) == 1, (page.uri, rows)


def test_mermaid_labels_cannot_break_out_of_their_quotes(hostile_pages):
    graph = next(p for p in hostile_pages if p.uri == "governance/graph.md").content
    block = re.search(r"``` mermaid\n(.*?)\n```", graph, re.S).group(1)
    for line in block.splitlines()[1:]:
        node = re.match(r'^    [rcqm]\d+(\["|\{\{"|\[\["|\[\("|>")(.*)("\]|"\}\}|"\]\]|"\)\])$', line)
        if node:
            assert '"' not in node.group(2) and "<script" not in node.group(2), line
        else:
            assert re.match(r"^    ([rcqm]\d+ --> [rcqm]\d+|classDef \w+ [^\"<]+|class [\w,]+ \w+)$", line), line


def test_svg_charts_stay_valid_with_hostile_labels():
    svg = bar_chart("c<1>", hostile("chart"), [Bar(hostile("bar"), 3), Bar("ok", 1)])
    root = ET.fromstring(svg)
    assert root.find("{http://www.w3.org/2000/svg}title").text.startswith(SCRIPT)
    assert "<script" not in svg
    donut = donut_chart("d", hostile("donut"), [Bar(hostile("a"), 1), Bar("b", 0)])
    ET.fromstring(donut)
    assert "<script" not in donut


# --------------------------------------------------------------------------- the filters


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1 .-_*`[]()#+!|<>&{}~^=$:\\\"'/@\n")), max_size=40))
def test_md_text_renders_as_exactly_the_text(value):
    import markdown

    rendered = markdown.markdown("x " + md_text(value), extensions=["tables", "attr_list", "pymdownx.tilde", "pymdownx.caret", "pymdownx.mark", "pymdownx.betterem"])
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered)).replace("\u200b", "")
    assert text.strip() == ("x " + " ".join(value.split())).strip()


def test_md_cell_keeps_pipes_and_lines_inside_one_cell():
    cell = md_cell("x | y\nz")
    html_table = render_markdown(f"| a | b |\n| --- | --- |\n| {cell} | 2 |\n")
    assert html_table.count("<td>") == 2
    assert "x | y<br>z" in html.unescape(html_table) or "x &#124; y<br>z" in html_table


def test_md_code_shows_backticks_and_markup_as_code():
    rendered = render_markdown(md_code("a ` b <script> **c**"))
    assert "<code>" in rendered and "<script" not in rendered
    assert html.unescape(re.sub(r"<[^>]+>", "", rendered)) == "a ` b <script> **c**"


def test_links_only_to_generated_relative_targets():
    assert md_link("[t](u)", "../adrs/ADR-015.md") == "[&#91;t&#93;&#40;u&#41;](../adrs/ADR-015.md)"
    assert md_url("a b/c.md#x") == "a%20b/c.md#x"
    for bad in ("javascript:alert(1)", "JAVASCRIPT:x", "data:text/html,x", "https://example.com"):
        with pytest.raises(ValueError):
            md_url(bad)


def test_mermaid_label_escapes_quotes_brackets_and_angle_brackets():
    label = mermaid_label('a"b]c[d<e>f`g#h|i{j}k(l)m;n\nnew line')
    assert not set(label) & set('"[]<>`|{}();\n'.replace(";", ""))
    assert label.startswith("a#quot;b#93;c#91;d#lt;e#gt;f#96;g#35;h#124;i")


def test_long_mermaid_labels_are_shortened():
    assert len(mermaid_label("x" * 500, limit=40)) == 40


# --------------------------------------------------------------------------- team Markdown


def test_team_markdown_keeps_formatting_but_neutralises_html_and_script_links():
    out = team_markdown(HOSTILE_BODY)
    rendered = render_markdown(out)
    assert_html_is_inert("body", rendered)
    assert_markdown_is_inert("body", out)
    assert "<h2" in rendered and "<li>" in rendered and "<blockquote>" in rendered
    assert "<script" not in rendered and "alert(2)" in shown_text(rendered)  # code shown, script gone
    assert 'class="highlight"' in rendered  # the fenced example is still a code block
    assert '--8← "/etc/passwd"' in shown_text(out)  # snippet includes cannot read files


def test_team_markdown_code_spans_show_their_text():
    rendered = render_markdown(team_markdown("Use `a < b && c` here."))
    assert "<code>a &lt; b &amp;&amp; c</code>" in rendered


def test_team_markdown_is_inert_whatever_the_renderer_makes_of_fences(monkeypatch):
    import markdown

    from generator.site import markup

    def without_fences(text: str, heading_shift: int = 0) -> str:  # a renderer that knows no fenced code
        return markdown.markdown(text)

    monkeypatch.setattr(markup, "render_markdown", without_fences)
    body = "Before\n\n```\n<script>x()</script>\n```\n"
    out = markup.team_markdown(body)
    assert "<script" not in out
    assert unsafe_html(out) == []


# --------------------------------------------------------------------------- team Markdown nested deeply

DEEP = 10_000
TOO_DEEP = {
    "emphasis": "*" * DEEP + "x" + "*" * DEEP,
    "alternating_emphasis": "*_" * DEEP + "x" + "_*" * DEEP,
    "nested_brackets": "[" * DEEP + "x" + "]" * DEEP,
    "unclosed_brackets": "[a " * DEEP,
    "unclosed_footnote_references": "[^a " * DEEP,
    "unclosed_link_targets": "[a](" * DEEP,
    "bracket_per_line": "[a\n" * DEEP,
    "nested_list": "".join("  " * level + "- item\n" for level in range(600)),
    "list_on_one_line": "- " * DEEP + "x",
    "blockquotes": ">" * DEEP + " quoted",
    "carets_inside_words": "a^b " * DEEP,
    "tilde_per_line": "a~b\n" * DEEP,
    "nested_admonitions": "".join("    " * level + "!!! note\n" for level in range(300)),
}


def shown_text(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


def shown_as_written(out: str) -> bool:
    return f"<em>{PLAIN_TEXT_NOTE}</em>" in out


@pytest.mark.parametrize("body", TOO_DEEP.values(), ids=TOO_DEEP.keys())
def test_team_markdown_nested_too_deeply_is_shown_as_written_in_moments(body):
    """Python-Markdown fails (RecursionError) or takes minutes on these; the page must not."""
    text = f"## Context\n\n{body}\n\n{SCRIPT} [x](javascript:alert(1))\n"
    started = time.perf_counter()
    out = team_markdown(text)
    rendered = render_markdown(out)
    elapsed = time.perf_counter() - started
    assert shown_as_written(out)
    assert_html_is_inert("body", rendered)
    assert text.strip() in shown_text(rendered)  # every character, as written
    assert_in_moments(elapsed, pages=150)


def call_with_stack_used(frames: int, function, *args):
    """`function(*args)` called `frames` calls deeper than here, as if deep inside a site build."""
    if frames <= 0:
        return function(*args)
    return call_with_stack_used(frames - 1, function, *args)


def stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


# Markdown nested `depth` levels (or with `depth` delimiters), and the most each may have before
# it is shown as written.
NESTED = {
    "indented_list": (lambda depth: "".join(" " * 4 * n + "- item\n" for n in range(depth)), 32),
    "list_on_one_line": (lambda depth: "- " * depth + "x", MAX_BLOCK_INDENT // 2),
    "quoted_lists": (lambda depth: "> - " * depth + "x", MAX_BLOCK_INDENT // 4),
    "admonitions": (lambda depth: "".join(" " * 4 * n + "!!! note\n" for n in range(depth)), 33),
    "emphasis": (lambda depth: "*" * depth + "x" + "*" * depth, MAX_MARKER_RUN),
    "links_in_links": (lambda depth: "[" * depth + "x" + "](y)" * depth, MAX_OPEN_BRACKETS),
    "unclosed_brackets": (lambda depth: "[a " * depth, MAX_OPEN_BRACKETS),
    "carets_inside_words": (lambda depth: "a^b " * depth, MAX_CARET_TILDE_RUNS),
}


@pytest.mark.parametrize("nest, deepest", NESTED.values(), ids=NESTED.keys())
def test_markdown_within_the_nesting_bounds_renders_with_stack_to_spare(nest, deepest):
    """What the bounds let through is formatted, and renders even with a third of the stack left,
    so MkDocs, which renders the page from deeper in its own stack, can render it too."""
    assert too_intricate(nest(deepest + 1))
    body = nest(deepest)
    assert not too_intricate(body)
    frames = sys.getrecursionlimit() * 2 // 3 - stack_depth()
    started = time.perf_counter()
    out = call_with_stack_used(frames, team_markdown, body)
    assert_in_moments(time.perf_counter() - started, pages=75)
    assert not shown_as_written(out)
    assert_html_is_inert("body", render_markdown(out))


SHORT_TEXT = 1024
PIECES = list("*_~^=[]()>-+1.:!`|\\<&{} a\n") + ["    ", "- ", "> ", "1. ", "[^1]", "[^1]: ", "!!! n\n", "a^b", "](x)"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=6), st.booleans())
def test_short_text_within_the_bounds_renders_with_stack_to_spare(pieces, mirrored):
    """Record parts are mostly short, and a register holds thousands of them: whatever the
    bounds let through at that length must render, with stack to spare, in moments."""
    pattern = "".join(pieces)
    if mirrored:
        half = (pattern * SHORT_TEXT)[: SHORT_TEXT // 2 - 1]
        text = half + "x" + half[::-1].translate(str.maketrans("[(", "])"))
    else:
        text = (pattern * SHORT_TEXT)[:SHORT_TEXT]
    if too_intricate(text):
        return
    frames = sys.getrecursionlimit() * 2 // 3 - stack_depth()
    started = time.perf_counter()
    out = call_with_stack_used(frames, team_markdown, text)
    assert_in_moments(time.perf_counter() - started, pages=75)
    assert not shown_as_written(out)


def test_team_markdown_never_raises_when_the_renderer_runs_out_of_stack():
    """A real RecursionError from Python-Markdown, not a stand-in: text within the bounds, checked
    with too little stack left, is still shown, as written and inert."""
    body = "".join(" " * (4 * level) + f"- item {SCRIPT}\n" for level in range(30))
    assert not too_intricate(body)
    frames = sys.getrecursionlimit() - stack_depth() - 60
    out = call_with_stack_used(frames, team_markdown, body)
    assert shown_as_written(out)
    rendered = render_markdown(out)
    assert_html_is_inert("body", rendered)
    assert SCRIPT in shown_text(rendered)


def test_team_markdown_shows_text_as_written_when_the_renderer_fails(monkeypatch):
    from generator.site import markup

    def failing(text: str, heading_shift: int = 0) -> str:
        raise ValueError("the renderer gave up")

    monkeypatch.setattr(markup, "render_markdown", failing)
    body = "Long enough to be checked by rendering it. " * (SHORT_TEXT // 40)
    body += f"\n\n{SCRIPT} **bold**\n"
    out = markup.team_markdown(body)
    monkeypatch.undo()
    assert shown_as_written(out) and "<script" not in out
    rendered = render_markdown(out)
    assert_html_is_inert("body", rendered)
    assert f"{SCRIPT} **bold**" in shown_text(rendered)


def test_rules_underlines_and_code_are_not_taken_for_deep_nesting():
    code = " " * 40 + "x = " + "[(" * 30 + ")]" * 30 + " # " + "=" * 100 + " a ^ b, ~c"
    body = "\n".join([
        "Title", "=" * 300, "", "*" * 300, "", "_ " * 150, "", "~" * 200, "",
        "```python", code, "```", "",
        "Text (with [a link](https://example.com)) and **bold**.",
    ])
    assert not too_intricate(body)
    rendered = render_markdown(team_markdown(body))
    assert "<h1" in rendered and "<hr" in rendered and "<strong>bold</strong>" in rendered
    assert code in shown_text(rendered)  # the code as written


@pytest.mark.parametrize("opening", ["```", "text\n```", "```\n```\n```"])
def test_fenced_code_the_renderer_may_not_read_as_code_is_measured_too(opening):
    """A fence never closed, or one interrupting a paragraph, may be Markdown to the renderer."""
    body = f"{opening}\n" + "[a " * 3_000
    started = time.perf_counter()
    out = team_markdown(body)
    assert shown_as_written(out)
    assert_in_moments(time.perf_counter() - started, pages=75)


def test_render_markdown_does_not_depend_on_what_it_rendered_before():
    """One converter is reused between texts: footnotes, abbreviations and heading ids of one
    text must not leak into the next."""
    import markdown

    texts = [
        "Text[^1] with HTML.\n\n[^1]: A note.\n\n*[HTML]: Hyper Text Markup Language\n",
        "Plain HTML text[^1].\n\n# Same\n\n# Same\n",
        "```python\nx = 1\n```\n\n| a |\n| - |\n| 1 |\n",
    ]
    fresh = [
        markdown.markdown(t, extensions=list(SITE_MARKDOWN_EXTENSIONS), extension_configs=site_markdown_configs())
        for t in texts
    ]
    assert [render_markdown(t) for t in texts + texts[::-1]] == fresh + fresh[::-1]


# --------------------------------------------------------------------------- the built site


def build_with_mkdocs(tmp_path, pages) -> list:
    """The HTML files of the MkDocs Material site made of `pages`, with the site's extensions."""
    import yaml
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    docs = tmp_path / "docs"
    for page in pages:
        target = docs / page.uri
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page.content, encoding="utf-8")
    (docs / "index.md").write_text("# Home\n", encoding="utf-8")
    configs = site_markdown_configs()
    settings = {
        "site_name": "hostile",
        "docs_dir": str(docs),
        "site_dir": str(tmp_path / "site"),
        "theme": {"name": "material", "font": False},
        "plugins": ["search", "tags"],
        "markdown_extensions": [{n: configs[n]} if n in configs else n for n in SITE_MARKDOWN_EXTENSIONS],
    }
    config_file = tmp_path / "mkdocs.yml"
    config_file.write_text(yaml.dump(settings), encoding="utf-8")
    build(load_config(str(config_file)))
    return list((tmp_path / "site").rglob("*.html"))


def test_the_built_mkdocs_material_site_runs_no_injected_script(tmp_path, hostile_pages):
    """Titles, tags and headings also pass through the theme's own templates, which do not escape."""
    built = build_with_mkdocs(tmp_path, hostile_pages)
    assert len(built) > len(hostile_pages)
    for path in built:
        assert runnable_parts(path.read_text(encoding="utf-8")) == [], path.relative_to(tmp_path)


def test_mkdocs_builds_pages_whose_team_markdown_nests_too_deeply(tmp_path):
    """MkDocs renders the pages with Python-Markdown too, deeper in its own stack: text nested
    too deeply must reach it as a code block, never as Markdown it cannot render."""
    deep = {
        "ADR-001": TOO_DEEP["nested_list"],
        "ADR-002": TOO_DEEP["emphasis"],
        "ADR-003": TOO_DEEP["unclosed_brackets"],
    }
    adrs = tuple(
        Adr(f"docs/adr/{ident}.md", ident, number, f"Deep {number}", "Accepted", body=f"{body}\n{SCRIPT}\n")
        for number, (ident, body) in enumerate(deep.items(), 1)
    )
    record = EmergencyRecord(
        "db/schema/EXCEPTIONS.md", 3, "Emergency Change: 2026-05-02", datetime(2026, 5, 2, tzinfo=UTC),
        incident="INC-1", immediate_action=TOO_DEEP["carets_inside_words"],
    )
    pages = build_pages(Repository(root="/repo", adrs=adrs, exceptions=(record,)), [], Config())
    built = {p.relative_to(tmp_path / "site").as_posix(): p.read_text(encoding="utf-8")
             for p in build_with_mkdocs(tmp_path, pages)}
    for uri in ("governance/adrs/ADR-001/index.html", "governance/adrs/ADR-002/index.html",
                "governance/adrs/ADR-003/index.html", "governance/exceptions/index.html"):
        assert PLAIN_TEXT_NOTE.strip("*") in built[uri], uri
        assert runnable_parts(built[uri]) == [], uri
