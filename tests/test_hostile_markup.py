"""Hostile Markdown in the inputs: nothing before a record hides it, nothing in a page runs.

Each test reproduces a break: the input that did it, and what must happen instead.
"""

from __future__ import annotations

import json

import pytest
from browser_support import runnable_parts

from generator.config import Config
from generator.sources.adrs import parse_adr
from generator.sources.exceptions import read_exceptions
from generator.sources.markdown import MAX_BLOCK_NESTING
from generator.sources.policies import parse_policy
from generator.site.markup import LONG_TEXT_NOTE, MAX_FORMATTED_LENGTH, team_markdown

from conftest import assert_grows_linearly, govsite

REGISTER = "db/schema/EXCEPTIONS.md"

RECORD = """\
## Emergency Change: 2026-04-01

**Incident**: INC-1
"""


def nested_list(levels: int) -> str:
    return "".join("  " * level + f"- level {level}\n" for level in range(levels))


#: Constructs that once ended, or might end, markdown-it's reading of the document.
BEFORE_THE_RECORD = {
    "ten nested lists": nested_list(10),
    "lists nested past the guard": nested_list(MAX_BLOCK_NESTING * 4),
    "deep block quotes": ">" * 5000 + " quoted\n",
    "deep quoted lists": "".join("> " * level + "- item\n" for level in range(300)),
    "huge table": "| a | b |\n| --- | --- |\n" + "| x | y |\n" * 5000,
    "html block": "<div>\n<details ontoggle=alert(1)>\n\n</div>\n",
    "closed html comment": "<!-- a\n\nb -->\n",
    "deep link labels": "[" * 5000 + "x\n",
    "deep emphasis": "*" * 5000 + "x" + "*" * 5000 + "\n",
    "closed fence": "```\n## Emergency Change: 1999-01-01\n```\n",
}


def test_ten_nested_lists_above_the_register_records_do_not_hide_them(tmp_path, no_outer_repository):
    """Ten levels of list made markdown-it stop reading: '0 exception records', exit 0."""
    (tmp_path / "db/schema").mkdir(parents=True)
    (tmp_path / REGISTER).write_text(f"# Register\n\n{nested_list(10)}\n{RECORD}")
    result = govsite("validate", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "GOV401" in result.stdout and "GOV402" in result.stdout
    assert "1 exception record" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("construct", sorted(BEFORE_THE_RECORD))
def test_every_register_record_after_any_construct_is_read(make_repo, construct):
    text = f"# Register\n\n{BEFORE_THE_RECORD[construct]}\n{RECORD}\n**Urgency**: HIGH\n"
    root = make_repo({REGISTER: text})
    records, findings = read_exceptions(root, Config())
    assert [r.incident for r in records] == ["INC-1"], construct
    assert records[0].urgency == "HIGH"
    record_line = text.split("\n").index("## Emergency Change: 2026-04-01") + 1
    assert records[0].line == record_line


def test_a_field_nested_past_the_guard_is_still_read_as_text(make_repo):
    deep = "  " * MAX_BLOCK_NESTING + "**Urgency**: HIGH\n"
    root = make_repo({REGISTER: f"# Register\n\n{RECORD}\n{nested_list(MAX_BLOCK_NESTING)}{deep}"})
    records, findings = read_exceptions(root, Config())
    assert records[0].urgency == "HIGH"
    assert not [f for f in findings if f.rule == "GOV804"]


@pytest.mark.parametrize(
    "opening, what",
    [("```", "code fence"), ("~~~~", "code fence"), ("<!--", "HTML block"), ("<script>", "HTML block")],
)
def test_an_unclosed_block_that_swallows_the_records_is_a_finding(make_repo, opening, what):
    """CommonMark reads everything after an unclosed fence or comment as its content."""
    root = make_repo({REGISTER: f"# Register\n\n{opening}\nnotes\n\n{RECORD}"})
    records, findings = read_exceptions(root, Config())
    assert records == []
    assert [(f.rule, f.location.line) for f in findings] == [("GOV804", 3)]
    assert f"{what} is never closed" in findings[0].message


@pytest.mark.parametrize("construct", sorted(BEFORE_THE_RECORD))
def test_every_adr_field_after_any_construct_is_read(construct):
    text = f"# ADR-007: Keep events\n\n{BEFORE_THE_RECORD[construct]}\n## Status\n\nAccepted\n\nDate: 2026-01-02\n"
    adr, findings = parse_adr("docs/adr/0007-keep-events.md", text)
    assert adr is not None and adr.status == "Accepted", (construct, findings)
    assert adr.date == "2026-01-02"


@pytest.mark.parametrize("construct", sorted(BEFORE_THE_RECORD))
def test_every_policy_field_after_any_construct_is_read(construct):
    text = f"# Runbook\n\n{BEFORE_THE_RECORD[construct]}\n**Status**: Approved\n**Next Review**: 2026-09-01\n"
    policy, findings = parse_policy("docs/RUNBOOK-db.md", text)
    assert policy is not None, findings
    assert str(policy.next_review) == "2026-09-01", (construct, findings)


# --------------------------------------------------------------------------- big ADRs


def long_adr(lines: int) -> str:
    """An ADR of `lines` lines mixing what ADRs hold: sections, prose, lists, tables, code."""
    out = ["# ADR-001: A very long decision", "", "## Status", "", "Accepted", "", "## Context", ""]
    part = 0
    while len(out) < lines:
        out += [
            f"### Part {part}", "",
            f"Paragraph {part} weighs the options, with **bold** words & symbols <here> and then some.", "",
            f"- item {part} with `code <b>` and [a link](https://example.com/{part})", "",
            "| a | b |", "| --- | --- |", f"| {part} | cell |", "",
            "```python", f"def f{part}(x):  # < & >", "    return x", "```", "",
        ]
        part += 1
    return "\n".join(out[:lines]) + "\n"


def adr_page(lines: int) -> str:
    """The page of an ADR of `lines` lines, read and built."""
    from generator.model import Repository
    from generator.site import build_pages

    adr, findings = parse_adr("docs/adr/0001-long.md", long_adr(lines))
    pages = build_pages(Repository(root="/repo", adrs=(adr,)), findings, Config())
    return next(p.content for p in pages if p.uri == "governance/adrs/ADR-001.md")


def test_pages_for_a_big_adr_are_built_in_time_linear_in_its_size():
    """A 100,000-line ADR took 76 s and 800 MB: the safety pass and the heading demotion were
    quadratic. Four times the lines must take about four times as long, not sixteen."""
    page = adr_page(50_000)
    assert LONG_TEXT_NOTE in page
    assert f"Paragraph {50_000 // 17 - 1} weighs" in page  # the whole text is there
    assert_grows_linearly(adr_page, 12_500, repeats=1)


def test_an_adr_of_ordinary_length_keeps_its_formatting():
    text = long_adr(2_000)
    assert len(text) < MAX_FORMATTED_LENGTH
    adr, _ = parse_adr("docs/adr/0001-long.md", text)
    out = team_markdown(adr.body, levels=1)
    assert LONG_TEXT_NOTE not in out
    assert '<h4 id="part-0">' in out and "<table>" in out and 'class="highlight"' in out


# --------------------------------------------------------------------------- the built site


SITE_NAME = 'Governance <img src=x onerror="window.__pwned=2">'
POLICY = """\
---
title: "Runbook <img src=x onerror=alert(1)>"
---

# Runbook <script>alert(2)</script>

**Status**: Approved
**Next Review**: 2099-01-01

<script>alert(3)</script>
<details open ontoggle="alert(4)"><summary>s</summary>t</details>
[click](javascript:alert(5)) <a href="javascript:alert(6)">raw</a>
<iframe srcdoc="<script>alert(7)</script>"></iframe>
"""
ADR_LINKING = """\
# ADR-001: Link the migration

## Status

Accepted

## Context

See [the migration](../../alembic/versions/e1.py) and [ADR 2](0002-other.md).
"""


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    from conftest import migration

    root = tmp_path_factory.mktemp("hostile-site")
    files = {
        "govsite.toml": f"site_name = {json.dumps(SITE_NAME)}\n",
        "alembic/versions/e1.py": migration("e1"),
        "docs/RUNBOOK-db.md": POLICY,
        "docs/adr/0001-link.md": ADR_LINKING,
        "docs/adr/0002-other.md": "# ADR-002: Other\n\n## Status\n\nAccepted\n",
    }
    for rel, text in files.items():
        (root / "repo" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "repo" / rel).write_text(text, encoding="utf-8")
    result = govsite("build", str(root / "repo"), "--site-dir", str(root / "site"), cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "site"


def test_site_name_and_policy_documents_reach_no_page_as_markup(built_site):
    """`site_name` ran an onerror on every page; the policy document's raw HTML went out as it was."""
    pages = list(built_site.rglob("*.html"))
    assert (built_site / "docs" / "RUNBOOK-db" / "index.html") in pages  # at its repository path
    for path in pages:
        assert runnable_parts(path.read_text(encoding="utf-8")) == [], path.relative_to(built_site)
    home = (built_site / "index.html").read_text(encoding="utf-8")
    assert "<title>Governance &lt;img src=x onerror=&#34;window.__pwned=2&#34;&gt;</title>" in home
    runbook = (built_site / "docs" / "RUNBOOK-db" / "index.html").read_text(encoding="utf-8")
    assert "<title>Runbook &lt;img src=x onerror=alert(1)&gt; - Governance" in runbook
    assert "<details open" in runbook and ">click</a>" in runbook  # formatting kept, script gone


def test_links_in_adr_text_point_at_the_pages_that_show_their_targets(built_site):
    page = (built_site / "governance" / "adrs" / "ADR-001" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../migrations/e1/">the migration</a>' in page
    assert 'href="../ADR-002/">ADR 2</a>' in page
    assert ".md\"" not in page


def test_a_tag_with_markup_names_no_version_and_is_skipped_as_text(make_git_repo, tmp_path, no_outer_repository):
    """A version's title reaches the theme's selector as HTML; only tags that name a version
    (PEP 440 or semver, which hold no markup) become versions."""
    from conftest import migration

    root = make_git_repo([("2026-01-05T10:00:00", {"alembic/versions/a1.py": migration("a1")})],
                         tags={"v2<b>": 0, "v1.0.0": 0})
    result = govsite("build", str(root), "--site-dir", str(tmp_path / "site"), "--versions")
    assert result.returncode == 0, result.stdout + result.stderr
    versions = json.loads((tmp_path / "site" / "versions.json").read_text(encoding="utf-8"))
    assert [v["title"] for v in versions] == ["dev", "v1.0.0"]
    assert "1 tag matching 'v*' not a version, skipped: v2<b>" in result.stderr
