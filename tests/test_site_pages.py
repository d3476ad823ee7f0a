"""The governance site's pages: which exist, what they say, and how they link to each other.

Repositories are built from the model dataclasses (what the readers produce), so each test states
exactly the data a page is made from; one test builds the bundled example repository end to end.
"""

from __future__ import annotations

import html
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Optional

import pytest
from conftest import assert_grows_linearly

from generator.config import Config
from generator.model import (
    Adr,
    Bypass,
    Commit,
    DowngradeKind,
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
    Suppression,
)
from generator.catalog import CATALOG, finding
from generator.site import GeneratedPage, build_pages, nav_fragment, quarter_of, review_pack
from generator.site.facts import next_quarter, quarter_bounds
from generator.site.markup import PLAIN_TEXT_NOTE, render_markdown
from generator.site.pages import INDEX_PAGES

UTC = timezone.utc


# --------------------------------------------------------------------------- builders


def header(**fields: str) -> MetadataHeader:
    return MetadataHeader(
        tuple(HeaderField(key, value, line) for line, (key, value) in enumerate(fields.items(), 3)),
        line=1,
    )


def make_migration(
    revision: str,
    down: tuple[str, ...] = (),
    *,
    mid: Optional[str] = None,
    title: Optional[str] = None,
    risk: str = "Low",
    extra: Optional[dict] = None,
    **changes,
) -> Migration:
    fields = {
        "MIGRATION_ID": mid or f"20260105{len(revision):02d}00",
        "TITLE": title or f"Change {revision}",
        "CHANGE_TYPE": "Column",
        "RISK_LEVEL": risk,
        "FORWARD_ONLY": "No",
        "ROLLBACK_STRATEGY": "Run the downgrade.",
        **(extra or {}),
    }
    base = Migration(
        path=f"alembic/versions/{revision}_change.py",
        revision=revision,
        down_revisions=down,
        header=header(**fields),
        source="\n".join(f"# line {n}" for n in range(1, 31)) + "\n",
        downgrade=DowngradeKind.REVERSIBLE,
    )
    return replace(base, **changes)


def commit(when: str, author: str = "Dana Reviewer", sha: str = "1234567890abcdef" * 2 + "12345678") -> Commit:
    return Commit(sha, author, "dana@example.com", datetime.fromisoformat(when).replace(tzinfo=UTC), "add it")


def history(**added: Commit) -> History:
    """`history(**{path: commit})`; every named file was added and last changed by its commit."""
    return History("ok", {path: FileHistory(path, c, c) for path, c in added.items()})


DROP = Operation(
    "drop_table", "op.drop_table", "upgrade", line=12, end_line=13, column=5, table="legacy_clicks"
)
ADD = Operation("add_column", "op.add_column", "upgrade", line=10, end_line=10, column=5, table="events", target="note")
DOWN = Operation("drop_column", "op.drop_column", "downgrade", line=20, end_line=20, column=5, table="events", target="note")
BYPASS = Bypass(13, 40, "CI:DESTRUCTIVE_OK ADR-015 replaced by click_events", ("ADR-015",), (), "replaced by click_events")


def destructive_migration(**changes) -> Migration:
    parts = {"operations": (ADD, DROP, DOWN), "bypasses": (BYPASS,), **changes}
    return make_migration(
        "b2c3d4e5f6a7",
        ("a1b2c3d4e5f6",),
        mid="202604021000",
        title="Drop legacy clicks",
        risk="High",
        extra={"FORWARD_ONLY": "Yes", "JUSTIFICATION": "Data is archived.", "OWNER": "growth team", "DOC_REFS": "ADR-016"},
        **parts,
    )


def adr(number: int, status: str = "Accepted", **changes) -> Adr:
    ident = f"ADR-{number:03d}"
    return replace(
        Adr(f"docs/adr/{ident}-decision.md", ident, number, f"Decision {number}", status, date="2026-02-10"),
        **changes,
    )


def repository(*migrations: Migration, **changes) -> Repository:
    return replace(Repository(root="/repo", migrations=tuple(migrations)), **changes)


def pages_of(repo: Repository, findings: list[Finding] = (), config: Optional[Config] = None) -> dict[str, GeneratedPage]:
    return {p.uri: p for p in build_pages(repo, list(findings), config or Config())}


def front_matter(content: str) -> dict:
    import yaml

    match = re.match(r"^---\n(.*?)\n---\n", content, re.S)
    assert match, "page starts with YAML front matter"
    return yaml.safe_load(match.group(1))


def html_of(content: str) -> str:
    body = re.sub(r"^---\n.*?\n---\n", "", content, count=1, flags=re.S)
    return render_markdown(body)


ROOT_MIGRATION = make_migration("a1b2c3d4e5f6", mid="202601051200", title="Create events")


# --------------------------------------------------------------------------- the set of pages


def test_every_page_exists_and_only_index_pages_are_in_the_navigation():
    repo = repository(
        ROOT_MIGRATION,
        destructive_migration(),
        adrs=(adr(15), adr(16)),
        history=history(**{ROOT_MIGRATION.path: commit("2026-01-05T12:00:00")}),
    )
    pages = pages_of(repo)
    assert sorted(pages) == [
        "governance/adrs/ADR-015.md",
        "governance/adrs/ADR-016.md",
        "governance/adrs/index.md",
        "governance/drift.md",
        "governance/exceptions.md",
        "governance/graph.md",
        "governance/index.md",
        "governance/migrations/a1b2c3d4e5f6.md",
        "governance/migrations/b2c3d4e5f6a7.md",
        "governance/migrations/index.md",
        "governance/report.md",
        "governance/reviews/2026Q1.md",
        "governance/reviews/2026Q2.md",
        "governance/reviews/index.md",
        "governance/rules.md",
        "governance/schema/index.md",
    ]
    in_nav = sorted(uri for uri, page in pages.items() if page.in_nav)
    assert in_nav == [
        "governance/adrs/index.md",
        "governance/drift.md",
        "governance/exceptions.md",
        "governance/graph.md",
        "governance/index.md",
        "governance/migrations/index.md",
        "governance/report.md",
        "governance/reviews/index.md",
        "governance/rules.md",
        "governance/schema/index.md",
    ]


def test_nav_fragment_lists_index_pages_in_reading_order():
    pages = build_pages(repository(ROOT_MIGRATION), [], Config())
    assert nav_fragment(pages) == [
        {
            "Governance": [
                {"Dashboard": "governance/index.md"},
                {"Migrations": "governance/migrations/index.md"},
                {"Revision graph": "governance/graph.md"},
                {"ADRs": "governance/adrs/index.md"},
                {"Exceptions register": "governance/exceptions.md"},
                {"Schema": "governance/schema/index.md"},
                {"Drift": "governance/drift.md"},
                {"Quarterly reviews": "governance/reviews/index.md"},
                {"Rules": "governance/rules.md"},
                {"Validation report": "governance/report.md"},
            ]
        }
    ]


def test_pages_are_identical_between_builds():
    repo = repository(ROOT_MIGRATION, destructive_migration(), adrs=(adr(15),))
    first = [(p.uri, p.content) for p in build_pages(repo, [], Config())]
    second = [(p.uri, p.content) for p in build_pages(repo, [], Config())]
    assert first == second


def test_an_empty_repository_still_gets_every_index_page():
    pages = pages_of(repository())
    assert sorted(pages) == sorted(uri for _, uri in INDEX_PAGES)
    assert "No migrations were found." in pages["governance/migrations/index.md"].content
    for page in pages.values():
        html_of(page.content)


def test_a_migration_without_header_or_revision_still_gets_a_page():
    bare = Migration("alembic/versions/broken.py", None, (), source="")
    pages = pages_of(repository(bare))
    text = pages["governance/migrations/broken.md"].content
    # no GOV501 finding was passed in: the box is coloured by findings, so it is a plain note
    assert '!!! note "No metadata header"' in text
    assert "The file is empty or could not be read." in text
    # fields that are missing are left out, with their separators
    assert "\n<code>alembic/versions/broken.py</code>\n" in text
    assert " · " not in text and "MIGRATION_ID —" not in text
    # a missing risk level is said in words, not left as a lone dash before the badges
    assert '\n<span class="govsite-badge">risk not declared</span>' in text
    assert "\n—" not in text


def test_unsafe_revision_ids_get_distinct_safe_page_names():
    odd = [
        make_migration("../../etc/passwd"),
        make_migration("index"),
        make_migration("ABC", path="alembic/versions/upper.py"),
        make_migration("abc", path="alembic/versions/lower.py"),
        replace(make_migration("dup"), path="alembic/versions/dup_one.py"),
        replace(make_migration("dup"), path="alembic/versions/dup_two.py"),
    ]
    uris = [p.uri for p in build_pages(repository(*odd), [], Config()) if "/migrations/" in p.uri]
    names = [u.rsplit("/", 1)[1] for u in uris]
    assert len({n.lower() for n in names}) == len(names) == 7  # six pages and the index
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+\.md", n) for n in names)
    assert names.count("index.md") == 1


# --------------------------------------------------------------------------- migration pages


def test_migration_page_shows_every_header_field_operations_and_highlighted_source():
    m = destructive_migration()
    page = pages_of(repository(ROOT_MIGRATION, m, adrs=(adr(15), adr(16))))["governance/migrations/b2c3d4e5f6a7.md"]
    text = page.content
    meta = front_matter(text)
    assert meta["tags"] == ["risk: High", "change: Column"]
    assert meta["search"] == {"boost": 2}
    assert "MIGRATION_ID 202604021000 · revision b2c3d4e5f6a7" in text
    assert "| OWNER | growth team | " in text  # an unknown field is shown, not dropped
    assert '=== "upgrade()"' in text and '=== "downgrade()"' in text
    assert "    | 12–13 | <code>op.drop_table</code> | drop_table | legacy_clicks | — | **destructive**  |" in text
    assert "    | 10 | <code>op.add_column</code> | add_column | events | note |  |" in text
    fence_line = next(line for line in text.splitlines() if "linenums=" in line)
    assert 'linenums="1"' in fence_line and 'hl_lines="12 13"' in fence_line
    assert fence_line.startswith("```{ .python .govsite-source")
    html = html_of(text)
    assert 'class="hll"' in html  # pymdownx.highlight marks the destructive lines


def test_bypass_links_to_the_cited_adr_and_says_when_it_does_not_exist():
    missing = Bypass(12, 40, "CI:DESTRUCTIVE_OK ADR-099 gone", ("ADR-099",), (), "gone")
    m = destructive_migration(bypasses=(BYPASS, missing))
    text = pages_of(repository(m, adrs=(adr(15),)))["governance/migrations/b2c3d4e5f6a7.md"].content
    assert "| 13 | [ADR-015](../adrs/ADR-015.md) | — | replaced by click_events |" in text
    assert "ADR-099 (not in the repository)" in text


def test_rollback_strategy_and_forward_only_justification_are_shown():
    text = pages_of(repository(destructive_migration()))["governance/migrations/b2c3d4e5f6a7.md"].content
    section = text.split("## Rollback strategy", 1)[1].split("## ", 1)[0]
    assert "Run the downgrade." in section
    assert "**Forward-only.** Justification:" in section and "Data is archived." in section


def test_parents_and_children_link_to_each_other_and_a_missing_parent_is_named():
    orphan = make_migration("c3d4e5f6a7b8", ("ffffffffffff",), mid="202604030900")
    pages = pages_of(repository(ROOT_MIGRATION, destructive_migration(), orphan))
    root = pages["governance/migrations/a1b2c3d4e5f6.md"].content
    child = pages["governance/migrations/b2c3d4e5f6a7.md"].content
    assert "- **Children:** [202604021000](b2c3d4e5f6a7.md)" in root
    assert "- **Parents:** none, this is a root revision" in root
    assert "- **Parents:** [202601051200](a1b2c3d4e5f6.md)" in child
    assert "- **Children:** none, this is a head" in child
    assert "<code>ffffffffffff</code> (no migration declares it)" in pages["governance/migrations/c3d4e5f6a7b8.md"].content


def test_git_history_shows_who_added_and_last_changed_the_file():
    m = destructive_migration()
    added = commit("2026-04-02T10:30:00", "Ana Author", "a" * 40)
    changed = commit("2026-04-09T08:00:00", "Lee Later", "b" * 40)
    repo = repository(m, history=History("ok", {m.path: FileHistory(m.path, added, changed)}))
    text = pages_of(repo)["governance/migrations/b2c3d4e5f6a7.md"].content
    assert "| Added | aaaaaaaaaa | Ana Author | 2026-04-02 10:30 UTC | add it |" in text
    assert "| Last changed | bbbbbbbbbb | Lee Later | 2026-04-09 08:00 UTC | add it |" in text


@pytest.mark.parametrize(
    "repo_history, expected",
    [
        (History("unavailable"), "History unavailable (unavailable)."),
        (History("not-a-repository"), "History unavailable (not-a-repository)."),
        (History("ok"), "Not committed: git has no commit that adds this file."),
    ],
)
def test_history_section_says_why_there_is_no_commit(repo_history, expected):
    text = pages_of(repository(ROOT_MIGRATION, history=repo_history))["governance/migrations/a1b2c3d4e5f6.md"].content
    assert expected in text.split("## History", 1)[1]


def test_findings_are_admonitions_and_suppressed_ones_show_their_justification():
    m = destructive_migration()
    open_finding = finding("GOV205", Location(m.path, 13, 40), "bypass comment cites ADR-015, which is Proposed")
    approved = replace(
        finding("GOV201", Location(m.path, 12, 5), "op.drop_table drops table 'legacy_clicks'"),
        suppression=Suppression("bypass", "CI:DESTRUCTIVE_OK ADR-015 replaced", Location(m.path, 13, 40)),
    )
    text = pages_of(repository(m), [open_finding, approved])["governance/migrations/b2c3d4e5f6a7.md"].content
    assert '!!! failure "GOV205 bypass-adr-not-approved · line 13 · error"' in text
    assert '??? success "GOV201 destructive-without-bypass · line 12 · suppressed"' in text
    assert "Suppressed by the bypass comment on line 13: CI:DESTRUCTIVE_OK ADR-015 replaced" in text
    assert "[GOV205](../rules.md#gov205)" in text
    assert '<span class="govsite-badge govsite-severity-error">1 open finding</span>' in text


def test_migration_source_fence_is_longer_than_any_backtick_run_in_the_source():
    m = replace(ROOT_MIGRATION, source='"""\n````\nnot the end\n"""\nx = 1\n')
    text = pages_of(repository(m))["governance/migrations/a1b2c3d4e5f6.md"].content
    html = html_of(text)
    assert "not the end" in html and "x" in html.split("not the end", 1)[1]
    assert "`````{ .python" in text


# --------------------------------------------------------------------------- migration index


def test_migration_index_lists_newest_first_and_marks_dates_read_from_the_file():
    committed = destructive_migration()
    repo = repository(
        ROOT_MIGRATION, committed, history=history(**{committed.path: commit("2026-04-02T10:30:00", "Ana Author")})
    )
    text = pages_of(repo)["governance/migrations/index.md"].content
    rows = [line for line in text.splitlines() if line.startswith("| 2026")]
    assert rows == [
        "| 202604021000 | [Drop legacy clicks](b2c3d4e5f6a7.md) | "
        '<span class="govsite-badge govsite-risk-high">High</span> | Column | Yes | Yes | 2026-04-02 | Ana Author | 0 |',
        "| 202601051200 | [Create events](a1b2c3d4e5f6.md) | "
        '<span class="govsite-badge govsite-risk-low">Low</span> | Column | No | No | 2026-01-05 (from the file) | — | 0 |',
    ]


# --------------------------------------------------------------------------- quarters and reviews


def test_quarter_of_uses_the_adding_commit_before_the_migration_id():
    m = make_migration("a1", mid="202601011200")
    assert quarter_of(m, repository(m)) == "2026Q1"
    repo = repository(m, history=history(**{m.path: commit("2026-07-01T00:30:00")}))
    assert quarter_of(m, repo) == "2026Q3"
    assert quarter_of(make_migration("b2", mid="not-a-date"), repository()) is None
    assert quarter_of(make_migration("c3", mid="202613011200"), repository()) is None


def test_quarter_bounds_and_next_quarter():
    assert quarter_bounds("2026Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_bounds("2024Q1") == (date(2024, 1, 1), date(2024, 3, 31))
    assert next_quarter("2026Q4") == "2027Q1"
    with pytest.raises(ValueError):
        quarter_bounds("2026Q5")


def quarter_repository() -> tuple[Repository, list[Finding]]:
    low = make_migration("a1b2c3d4e5f6", mid="202604011200", title="Add note")
    high = destructive_migration()
    older = make_migration("000000000001", mid="202512011200", title="Old change")
    record = EmergencyRecord(
        "db/schema/EXCEPTIONS.md", 5, "Emergency Change: 2026-04-01T10:00:00Z",
        datetime(2026, 4, 1, 10, 0, tzinfo=UTC), incident="INC-7",
    )
    linked = replace(low, header=header(**low.header.as_dict(), INCIDENT="INC-7"))
    policies = (
        PolicyDocument("docs/RUNBOOK-migrations.md", "Runbook", "1.0", next_review=date(2026, 8, 1)),
        PolicyDocument("db/schema/CHANGE_CONTROL.md", "Change control", "2.1", next_review=date(2027, 3, 1)),
    )
    repo = repository(
        older, linked, high,
        adrs=(adr(15, date="2026-05-01"), adr(16, date="2025-11-02")),
        exceptions=(record,),
        policies=policies,
        history=history(**{linked.path: commit("2026-04-01T20:00:00")}),
    )
    findings = [
        finding("GOV505", Location(high.path, 10, 5), "two unrelated changes"),
        replace(finding("GOV201", Location(high.path, 12, 5), "approved drop"), suppression=Suppression("bypass", "x")),
        finding("GOV502", Location(older.path, 3, 1), "TITLE missing"),
    ]
    return repo, findings


def test_review_pack_gathers_what_changed_in_the_quarter():
    repo, findings = quarter_repository()
    pack = review_pack(repo, findings, Config(), "2026Q2")
    assert [(risk, [m.migration_id for m in ms]) for risk, ms in pack.by_risk] == [
        ("High", ["202604021000"]),
        ("Low", ["202604011200"]),
    ]
    assert [(c.operation.kind, c.adrs) for c in pack.destructive] == [("drop_table", ("ADR-015",))]
    assert [m.migration_id for m in pack.forward_only] == ["202604021000"]
    assert [(s.record.incident, s.compliance, round(s.hours, 1)) for s in pack.exceptions] == [("INC-7", "compliant", 10.0)]
    assert [a.id for a in pack.adrs] == ["ADR-015"]
    assert [(f.rule, f.location.line) for f in pack.open_findings] == [("GOV505", 10)]
    assert [(p.document.path, p.due, p.overdue) for p in pack.policies] == [
        ("db/schema/CHANGE_CONTROL.md", False, False),
        ("docs/RUNBOOK-migrations.md", True, False),
    ]


def test_review_pages_exist_per_quarter_and_highlight_due_reviews():
    repo, findings = quarter_repository()
    pages = pages_of(repo, findings)
    assert {"governance/reviews/2025Q4.md", "governance/reviews/2026Q2.md"} <= set(pages)
    text = pages["governance/reviews/2026Q2.md"].content
    assert "### High (1)" in text and "### Low (1)" in text
    assert "[ADR-015](../adrs/ADR-015.md)" in text.split("## Destructive changes", 1)[1]
    assert "**due in 2026Q3**" in text
    index = pages["governance/reviews/index.md"].content
    assert "| [2026Q2](2026Q2.md) | 2 | 1 | 1 | 1 | 1 | 1 | 1 |" in index


# --------------------------------------------------------------------------- exceptions


@pytest.mark.parametrize(
    "added, expected",
    [
        ("2026-04-01T20:00:00", "yes, committed 10.0 h after the change"),
        ("2026-04-03T10:00:00", "**no**, committed 48.0 h after the change"),
        (None, "unknown (no commit adds the migration)"),
    ],
)
def test_exceptions_page_links_the_retroactive_migration_and_measures_24_hours(added, expected):
    record = EmergencyRecord(
        "db/schema/EXCEPTIONS.md", 5, "Emergency Change: 2026-04-01T10:00:00Z",
        datetime(2026, 4, 1, 10, 0, tzinfo=UTC), incident="INC-7", urgency="CRITICAL",
        immediate_action="Ran:\n```sql\nCREATE INDEX ix ON t (a);\n```",
    )
    m = make_migration("a1b2c3d4e5f6", extra={"INCIDENT": "INC-7"})
    repo = repository(
        m, exceptions=(record,), history=history(**({m.path: commit(added)} if added else {}))
    )
    late = finding("GOV403", Location(record.path, 5, 1), "committed 48 h later")
    text = pages_of(repo, [late])["governance/exceptions.md"].content
    assert "## Emergency Change: 2026-04-01T10:00:00Z {#exception-inc-7}" in text
    assert "- Linked retroactive migration: [202601051200 Change a1b2c3d4e5f6](migrations/a1b2c3d4e5f6.md)" in text
    assert f"- Within 24 h: {expected}" in text
    assert '!!! failure "GOV403 retroactive-migration-late · line 5 · error"' in text
    code = re.search(r'<div class="highlight">.*?</pre>', text, re.S)  # the record's own code block
    assert code and "CREATE INDEX ix ON t (a);" in html.unescape(re.sub(r"<[^>]+>", "", code.group(0)))


def test_exception_without_a_migration_is_unlinked():
    record = EmergencyRecord("db/schema/EXCEPTIONS.md", 3, "Emergency Change: 2026-04-01", None, incident="INC-9")
    text = pages_of(repository(ROOT_MIGRATION, exceptions=(record,)))["governance/exceptions.md"].content
    assert "| none linked | — | unlinked |" in text
    assert "- Within 24 h: **no**, nothing is linked" in text


# --------------------------------------------------------------------------- ADRs


def test_adr_page_has_backlinks_from_bypasses_and_header_references():
    repo = repository(ROOT_MIGRATION, destructive_migration(), adrs=(adr(15), adr(16)))
    pages = pages_of(repo)
    cited = pages["governance/adrs/ADR-015.md"].content
    assert "| [202604021000 Drop legacy clicks](../migrations/b2c3d4e5f6a7.md) |" in cited
    assert "| bypass |" in cited
    by_header = pages["governance/adrs/ADR-016.md"].content
    assert "| header |" in by_header
    by_path = make_migration("c3d4e5f6a7b8", extra={"DOC_REFS": "docs/adr/ADR-017-decision.md, docs/x.md"})
    cited_by_path = pages_of(repository(by_path, adrs=(adr(17),)))["governance/adrs/ADR-017.md"].content
    assert "(../migrations/c3d4e5f6a7b8.md) | " in cited_by_path
    assert "| [ADR-015](ADR-015.md) | Decision 15 | Accepted | 2026-02-10 | 1 |" in pages["governance/adrs/index.md"].content


@pytest.mark.parametrize(
    "status, admonition",
    [
        ("Superseded", '!!! warning "Superseded"'),
        ("Deprecated", '!!! warning "Deprecated"'),
        ("Proposed", '!!! info "Proposed"'),
        ("Rejected", '!!! danger "Rejected"'),
    ],
)
def test_adr_status_other_than_accepted_gets_an_admonition(status, admonition):
    record = adr(12, status, status_text=f"{status} by ADR-021", superseded_by=("ADR-021",))
    pages = pages_of(repository(adrs=(record, adr(21))))
    text = pages["governance/adrs/ADR-012.md"].content
    assert admonition in text
    assert "| Superseded by | [ADR-021](ADR-021.md) |" in text


def test_adr_body_keeps_its_markdown_formatting():
    body = "## Context\n\nWe keep **bold**, `code` and [links](https://example.com).\n\n- one\n- two\n"
    text = pages_of(repository(adrs=(adr(15, body=body),)))["governance/adrs/ADR-015.md"].content
    html = html_of(text)
    assert "<h3" in html and "Context" in html  # demoted below the page's own sections
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert '<a href="https://example.com">links</a>' in html
    assert "<li>one</li>" in html


def test_adr_nested_too_deeply_gets_a_page_showing_its_text():
    body = "## Context\n\n" + "".join("  " * n + "- item\n" for n in range(600))
    text = pages_of(repository(adrs=(adr(15, body=body),)))["governance/adrs/ADR-015.md"].content
    html = html_of(text)
    assert PLAIN_TEXT_NOTE.strip("*") in html
    assert "## Context" in html and 'id="context"' not in html  # shown as written, not a heading


# --------------------------------------------------------------------------- graph


def chain(count: int, start: int = 0, parent: Optional[str] = None, day0: date = date(2024, 1, 1)) -> list[Migration]:
    migrations = []
    for n in range(start, start + count):
        revision = f"{n:012x}"
        when = day0 + timedelta(days=n)
        down = (parent,) if parent else ()
        migrations.append(make_migration(revision, down, mid=when.strftime("%Y%m%d") + "1200"))
        parent = revision
    return migrations


def mermaid_block(content: str) -> str:
    match = re.search(r"^``` mermaid\n(.*?)\n```$", content, re.M | re.S)
    assert match, "graph page has a mermaid fence"
    return match.group(1)


def test_graph_of_a_small_history_draws_every_revision():
    migrations = chain(3)
    block = mermaid_block(pages_of(repository(*migrations))["governance/graph.md"].content)
    assert block.startswith("flowchart TB")
    assert re.findall(r"^    (r\d+) --> (r\d+)$", block, re.M) == [("r0", "r1"), ("r1", "r2")]
    assert 'r0["000000000000<br/>202401011200"]' in block


def test_graph_folds_long_linear_history_and_keeps_merges_and_branch_points():
    trunk = chain(300)
    branch_point = trunk[149].revision
    side = chain(2, start=1000, parent=branch_point)
    merge = make_migration("0000000merge", (trunk[200].revision, side[-1].revision), mid="202407201200")
    after = make_migration("00000000post", (merge.revision,), mid="202407211200")
    trunk[201] = replace(trunk[201], down_revisions=(merge.revision,))
    repo = repository(*trunk, *side, merge, after)
    block = mermaid_block(pages_of(repo, config=Config())["governance/graph.md"].content)
    nodes = re.findall(r"^    ([rcqm]\d+)[\[\{>(]", block, re.M)
    assert len(nodes) < 80
    assert "000000000001 … 000000000094<br/>(148 revisions)" in block  # root to branch point
    assert any(f"{branch_point}<br/>" in line and "{{" in line for line in block.splitlines())
    assert "00000000post" in block and "0000000merge" in block


def test_graph_groups_older_history_by_quarter_when_it_branches_everywhere():
    migrations = []
    for n in range(400):  # 200 independent two-revision branches: nothing folds into chains
        day = date(2023, 1, 1) + timedelta(days=n)
        root = make_migration(f"{n:011x}a", mid=day.strftime("%Y%m%d") + "1200")
        migrations.append(root)
    block = mermaid_block(pages_of(repository(*migrations))["governance/graph.md"].content)
    assert re.search(r'q\d+\[\("2023Q1<br/>\d+ revisions"\)\]', block)
    assert len(re.findall(r"^    [rcqm]\d+[\[\{>(]", block, re.M)) <= 60 + 10


def test_graph_draws_each_migration_environment_as_its_own_graph():
    """Two environments may use the same revision ids: one drawing would tie them together."""
    def in_env(environment: str, migrations: list[Migration]) -> list[Migration]:
        return [replace(m, environment=environment, path=f"{environment}/versions/{m.revision}.py") for m in migrations]

    billing = in_env("services/billing", chain(3))
    users = in_env("services/users", chain(2))  # the same first two revision ids as billing
    content = pages_of(repository(*billing, *users))["governance/graph.md"].content
    assert "2 migration environments, each a revision graph of its own" in content
    assert "[services/billing](#environment-services-billing)" in content
    sections = content.split("\n## ")[1:]
    assert [s.split(" {#")[0] for s in sections] == ["services/billing", "services/users"]
    billing_part, users_part = sections
    assert "{#environment-services-billing}" in billing_part
    assert "3 revisions, 1 head, 0 merges." in billing_part and "2 revisions, 1 head, 0 merges." in users_part
    assert re.findall(r"^    (r\d+) --> (r\d+)$", mermaid_block(users_part), re.M) == [("r0", "r1")]
    assert billing_part.count("\n### Heads\n") == users_part.count("\n### Heads\n") == 1
    # one environment keeps the page as it was: one drawing, its sections at the second level
    single = pages_of(repository(*billing))["governance/graph.md"].content
    assert "migration environments" not in single and "\n## Heads\n" in single


def test_graph_marks_parents_no_migration_declares():
    orphan = make_migration("a1b2c3d4e5f6", ("nowhere",))
    block = mermaid_block(pages_of(repository(orphan))["governance/graph.md"].content)
    assert 'm0>"missing: nowhere"]' in block
    assert "    m0 --> r0" in block


# --------------------------------------------------------------------------- dashboard, rules, report


def test_dashboard_counts_and_valid_accessible_svg_charts():
    repo, findings = quarter_repository()
    text = pages_of(repo, findings)["governance/index.md"].content
    assert "| [3](migrations/index.md) | [2](adrs/index.md) | [1](exceptions.md) | [1](report.md) | [1](report.md) | 66.7 % |" in text
    svgs = re.findall(r"<svg .*?</svg>", text, re.S)
    assert len(svgs) == 3
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.get("role") == "img"
        assert root.find("{http://www.w3.org/2000/svg}title").text
        assert root.find("{http://www.w3.org/2000/svg}desc").text
    assert "2025Q4: 1; 2026Q1: 0; 2026Q2: 2." in svgs[1]  # the whole history, gaps included
    assert "High: 1; Low: 2." in svgs[0]
    assert "Compliant: 2; With findings: 1." in svgs[2]
    assert "<script" not in text and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_rules_reference_has_a_section_and_anchor_per_catalogued_rule():
    text = pages_of(repository())["governance/rules.md"].content
    for code, spec in CATALOG.items():
        assert f"## {code} {spec.name} {{#{code.lower()}}}" in text
    section = text.split("{#gov201}", 1)[1].split("\n## ", 1)[0]
    assert "### What it does" in section and "### Use instead" in section
    assert "#### " not in section


def test_report_lists_open_findings_before_suppressed_ones_with_links():
    repo, findings = quarter_repository()
    text = pages_of(repo, findings)["governance/report.md"].content
    open_part, suppressed_part = text.split("## Suppressed findings")
    assert "[GOV505](rules.md#gov505)" in open_part
    assert "[alembic/versions/b2c3d4e5f6a7_change.py:10](migrations/b2c3d4e5f6a7.md)" in open_part
    assert "GOV201" not in open_part
    assert "| the bypass comment | x |" in suppressed_part


# --------------------------------------------------------------------------- scale


def test_a_migration_page_does_not_grow_with_the_repository():
    small = {p.uri: p.content for p in build_pages(repository(*chain(10)), [], Config())}
    large = {p.uri: p.content for p in build_pages(repository(*chain(1000)), [], Config())}
    uri = "governance/migrations/000000000005.md"
    assert small[uri] == large[uri]
    assert len(large["governance/graph.md"]) < 3 * len(small["governance/graph.md"]) + 10_000


def five_thousand_migrations(count: int = 5000):
    migrations = chain(count)
    migrations[10] = replace(migrations[10], operations=(DROP,), bypasses=(BYPASS,))
    return repository(*migrations, adrs=(adr(15),))


def test_five_thousand_migrations_render_in_time_linear_in_their_number():
    assert len(build_pages(five_thousand_migrations(), [], Config())) > 5000
    assert_grows_linearly(lambda n: build_pages(five_thousand_migrations(n), [], Config()), 1250, repeats=1)


ACTION = """Paused the writer for order {n}, then:

1. dropped the index `ix_orders_{n}` that blocked the vacuum;
2. re-ran the **nightly** job by hand, see [the log](https://ci.example.com/run/{n});
3. told the on-call channel and opened the follow-up ticket OPS-{n}.

> The replica caught up within 5 minutes.
"""


def emergency_records(count: int) -> tuple[EmergencyRecord, ...]:
    return tuple(
        EmergencyRecord(
            "db/schema/EXCEPTIONS.md", 20 * n + 3, f"Emergency Change: 2026-04-{n % 28 + 1:02d}",
            datetime(2026, 4, n % 28 + 1, 10, tzinfo=UTC), incident=f"INC-{n}", urgency="High",
            immediate_action=ACTION.format(n=n) if n % 2 else f"Restarted writer {n}.",
            retroactive_update=f"https://git.example.com/pr/{n}",
            post_incident_review=f"Reviewed on the {n}th: see https://wiki.example.com/pir/{n}",
        )
        for n in range(count)
    )


def register_page(count: int) -> str:
    repo = repository(ROOT_MIGRATION, exceptions=emergency_records(count))
    return pages_of(repo)["governance/exceptions.md"].content


def test_two_thousand_emergency_records_render_in_time_linear_in_their_number():
    """Each record has three parts of team Markdown, each rendered and sanitised."""
    text = register_page(2000)
    assert "INC-1999" in text and '<a href="https://ci.example.com/run/1999">the log</a>' in text
    assert_grows_linearly(register_page, 500, repeats=1)


# --------------------------------------------------------------------------- the example repository


def test_pages_for_the_bundled_example_repository():
    from conftest import EXAMPLE

    from generator.rules import run_rules
    from generator.sources import load_repository

    if not EXAMPLE.is_dir():
        pytest.skip("example repository not present")
    config = Config()
    repo = load_repository(EXAMPLE, config, with_history=False)
    pages = pages_of(repo, run_rules(repo, config), config)
    migration_pages = [u for u in pages if u.startswith("governance/migrations/") and not u.endswith("index.md")]
    assert len(migration_pages) == len(repo.migrations) > 0
    assert {f"governance/adrs/{a.id}.md" for a in repo.adrs} <= set(pages)
    assert "``` mermaid\nflowchart TB" in pages["governance/graph.md"].content
    for page in pages.values():
        assert page.content.startswith("---\n")
        html_of(page.content)  # every page renders with the site's extensions
