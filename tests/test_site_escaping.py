"""Text from the repository is shown on the site, never interpreted.

Every string a reader can produce is filled with hostile text (HTML, script links, Markdown
control characters, table pipes, mermaid quotes), every page is rendered, and both the Markdown
and the HTML that the site's Markdown extensions make of it are checked.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timezone
from html.parser import HTMLParser

import pytest
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
    md_cell,
    md_code,
    md_link,
    md_text,
    md_url,
    mermaid_label,
    render_markdown,
    team_markdown,
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
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered  # shown, not run
    assert 'class="highlight"' in rendered  # the fenced example is still a code block
    assert "--8&lt;--" in out  # snippet includes cannot read files


def test_team_markdown_code_spans_show_their_text():
    rendered = render_markdown(team_markdown("Use `a < b && c` here."))
    assert "<code>a &lt; b &amp;&amp; c</code>" in rendered


def test_team_markdown_escapes_fences_too_when_the_renderer_does_not_read_them_as_fences(monkeypatch):
    import markdown

    from generator.site import markup

    def without_fences(text: str) -> str:  # a renderer that knows no fenced code
        return markdown.markdown(text)

    monkeypatch.setattr(markup, "render_markdown", without_fences)
    body = "Before\n\n```\n<script>x()</script>\n```\n"
    out = markup.team_markdown(body)
    assert "<script" not in out
    assert unsafe_html(without_fences(out)) == []


# --------------------------------------------------------------------------- the built site


class _Scripts(HTMLParser):
    """Collects what could run: script bodies, event handler attributes and script URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.in_script = False
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.in_script = tag == "script"
        for name, value in attrs:
            value = value or ""
            compact = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            if name.startswith("on") or compact.startswith(("javascript:", "vbscript:")):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag):
        self.in_script = False

    def handle_data(self, data):
        if self.in_script and "alert(" in data:
            self.found.append(f"<script>{data[:80]}")


def test_the_built_mkdocs_material_site_runs_no_injected_script(tmp_path, hostile_pages):
    """Titles, tags and headings also pass through the theme's own templates, which do not escape."""
    import yaml
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from generator.site.markup import SITE_MARKDOWN_EXTENSIONS, site_markdown_configs

    docs = tmp_path / "docs"
    for page in hostile_pages:
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
    built = list((tmp_path / "site").rglob("*.html"))
    assert len(built) > len(hostile_pages)
    for path in built:
        scanner = _Scripts()
        scanner.feed(path.read_text(encoding="utf-8"))
        assert scanner.found == [], path.relative_to(tmp_path)
