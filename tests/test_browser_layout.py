"""The layout of a site `govsite build` makes, measured in headless Chromium: the navigation,
the migrations index at a 1,280 px viewport (test_browser's page), and the dashboard's charts."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_support import serve_directory
from conftest import govsite, migration
from test_browser import browser, page, visit  # noqa: F401 - the same fixtures, 1,280 px wide

from generator.site.pages import INDEX_PAGES


def _header(n: int) -> str:
    return (
        f"MIGRATION_ID: 2026010{n}1200\n"
        f"TITLE: Add the attribution touchpoint columns and backfill them for tenant number {n}\n"
        "CHANGE_TYPE: Column\nRISK_LEVEL: Medium\nFORWARD_ONLY: No\n"
        "ROLLBACK_STRATEGY: Run the downgrade.\n"
    )


@pytest.fixture(scope="module")
def wide_site(tmp_path_factory) -> Path:
    """A repository whose migrations index has long titles and author names."""
    import subprocess

    root = tmp_path_factory.mktemp("layout") / "repo"
    files = {}
    previous = None
    for n in range(1, 7):
        revision = f"r{n}abcdef0123"
        files[f"alembic/versions/{revision}.py"] = migration(revision, previous, header=_header(n))
        previous = revision
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    git = ["git", "-c", "user.name=Maximiliane Oberhauser-Lindqvist",
           "-c", "user.email=maximiliane.oberhauser@example.com"]
    env = {"GIT_AUTHOR_DATE": "2026-01-05T12:00:00Z", "GIT_COMMITTER_DATE": "2026-01-05T12:00:00Z",
           "GIT_CEILING_DIRECTORIES": str(root.parent), "PATH": "/usr/bin:/bin"}
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "migrations"]):
        subprocess.run(git + command, cwd=root, check=True, env=env, capture_output=True)
    site = root.parent / "site"
    result = govsite("build", str(root), "--site-dir", str(site))
    assert result.returncode == 0, result.stderr
    return site


@pytest.fixture(scope="module")
def site_url(wide_site):
    with serve_directory(wide_site) as url:
        yield url


@pytest.mark.browser
def test_every_column_header_of_the_migrations_index_is_visible_at_1280_px(page, site_url):
    watch = visit(page, site_url + "governance/migrations/")
    table = page.locator("article table").first
    sizes = table.evaluate(
        """table => {
            const box = table.getBoundingClientRect();
            const scroller = table.closest('.md-typeset__scrollwrap') || table.parentElement;
            return {
              right: box.right, width: box.width,
              viewport: document.documentElement.clientWidth,
              scrollWidth: scroller.scrollWidth, clientWidth: scroller.clientWidth,
              headers: [...table.querySelectorAll('th')].map(th => {
                const b = th.getBoundingClientRect();
                return {text: th.textContent.trim(), left: b.left, right: b.right};
              }),
            };
        }"""
    )
    print(f"migrations table {sizes['width']:.0f} px wide in a {sizes['viewport']} px viewport")
    assert len(sizes["headers"]) == 9
    hidden = [h["text"] for h in sizes["headers"] if h["left"] < 0 or h["right"] > sizes["viewport"]]
    assert not hidden, f"headers outside the viewport: {hidden} ({sizes})"
    assert sizes["scrollWidth"] <= sizes["clientWidth"] + 1, f"the table scrolls sideways: {sizes}"
    assert sizes["right"] <= sizes["viewport"]
    assert page.locator(".md-sidebar--secondary").first.is_hidden(), "the table of contents takes width"
    assert watch.outside_requests() == []


@pytest.mark.browser
def test_navigation_lists_the_governance_pages_in_reading_order(page, site_url):
    visit(page, site_url + "governance/")
    titles = page.locator(".md-sidebar--primary .md-nav--primary > .md-nav__list > .md-nav__item > .md-nav__link").all_inner_texts()
    titles = [" ".join(t.split()) for t in titles if t.strip()]
    titles = [t for i, t in enumerate(titles) if i == 0 or titles[i - 1] != t]  # active: label + link
    assert titles[: len(INDEX_PAGES)] == [title for title, _ in INDEX_PAGES]


@pytest.mark.browser
def test_dashboard_charts_show_their_titles_and_axis_labels(page, site_url):
    visit(page, site_url + "governance/")
    visible = page.locator("svg.govsite-chart text.govsite-chart-title")
    titles = [t.strip() for t in visible.all_text_contents()]
    assert "Migrations per quarter" in titles and "Migrations by declared risk level" in titles
    for index in range(visible.count()):
        box = visible.nth(index).bounding_box()
        assert box and box["width"] > 50 and box["height"] > 8, f"chart title {index} not drawn"
    axes = [t.strip() for t in page.locator("svg.govsite-chart text.govsite-axis-label").all_text_contents()]
    assert {"Migrations", "Quarter", "Declared risk level"} <= set(axes)
