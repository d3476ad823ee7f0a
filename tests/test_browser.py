"""The built site in a real headless Chromium: it loads cleanly, makes no request outside the
site, search and diagrams work, and hostile text from a repository is shown, never run."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from browser_support import (
    MARKUP_TAG,
    OPEN_SHADOW_ROOTS,
    PWN_TAG,
    RELEASE_TAG,
    PageWatch,
    broken_internal_links,
    build_example_site,
    chromium_browser,
    hostile_text_repository,
    serve_directory,
)
from conftest import govsite, migration

DROP_MIGRATION = "governance/migrations/15788671358b/"
DROP_MIGRATION_ID = "202603161400"
HOSTILE_TITLE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


@pytest.fixture(scope="module")
def example_site(tmp_path_factory) -> Path:
    return build_example_site(tmp_path_factory.mktemp("browser") / "site")


@pytest.fixture(scope="module")
def site_url(example_site):
    with serve_directory(example_site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as instance:
        yield instance


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(OPEN_SHADOW_ROOTS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def visit(page, url: str) -> PageWatch:
    watch = PageWatch.attach(page)
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    return watch


# --------------------------------------------------------------------------- loading


@pytest.mark.browser
@pytest.mark.parametrize("path", ["governance/", DROP_MIGRATION, "governance/graph/", ""])
def test_page_loads_without_errors_or_outside_requests(page, site_url, path):
    watch = visit(page, site_url + path)
    page.wait_for_timeout(300)  # let late scripts (diagrams, table sorting) run
    assert page.locator("article h1").count() == 1
    assert watch.problems() == []
    assert any(url.endswith("assets/govsite/govsite.css") for url in watch.requests)


@pytest.mark.browser
def test_migration_table_sorts_on_click(page, site_url):
    visit(page, site_url + "governance/migrations/")
    header = page.locator("article table th").first
    header.click()
    assert header.get_attribute("aria-sort") in ("ascending", "descending")


# --------------------------------------------------------------------------- search


@pytest.mark.browser
def test_search_finds_a_migration_by_its_id(page, site_url):
    visit(page, site_url + "governance/")
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially(DROP_MIGRATION_ID)
    result = page.locator(".md-search-result__item a[href*='migrations/15788671358b']")
    result.first.wait_for(state="visible")
    assert "touchpoint_ref" in result.first.inner_text()


# --------------------------------------------------------------------------- diagrams


@pytest.mark.browser
def test_revision_graph_renders_to_svg(page, site_url):
    watch = visit(page, site_url + "governance/graph/")
    diagram = page.locator("div.mermaid svg").first
    diagram.wait_for(state="attached")
    assert page.locator("pre.mermaid").count() == 0, "a diagram was left unrendered"
    text = page.locator("div.mermaid").first.evaluate("host => host.shadowRoot.textContent")
    assert "Syntax error" not in text
    assert re.search(r"15788671358b|202603161400|touchpoint", text)
    box = diagram.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
    assert watch.outside_requests() == []
    assert any(url.endswith("mermaid/mermaid.min.js") for url in watch.requests)


# --------------------------------------------------------------------------- hostile input


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    repo = root / "repo"
    header = (
        "MIGRATION_ID: 202601010001\n"
        f"TITLE: {HOSTILE_TITLE}\n"
        "CHANGE_TYPE: Column\n"
        "RISK_LEVEL: Low\n"
        "FORWARD_ONLY: No\n"
        "ROLLBACK_STRATEGY: Run the downgrade. <script>window.__pwned=3</script>\n"
    )
    target = repo / "alembic" / "versions" / "e1.py"
    target.parent.mkdir(parents=True)
    target.write_text(migration("e1", header=header), encoding="utf-8")
    site = root / "site"
    result = govsite("build", str(repo), "--site-dir", str(site))
    assert result.returncode == 0, result.stderr
    return site


@pytest.mark.browser
@pytest.mark.parametrize(
    "path, shows_title",
    [
        ("governance/migrations/e1/", True),
        ("governance/migrations/", True),
        ("governance/", False),
        ("governance/graph/", False),
        ("search/search_index.json", False),
    ],
)
def test_hostile_title_is_shown_as_text_and_runs_nothing(page, hostile_site, path, shows_title):
    with serve_directory(hostile_site) as url:
        watch = visit(page, url + path)
        page.wait_for_timeout(300)
        assert page.evaluate("window.__pwned") is None
        assert not [u for u in watch.requests if urlsplit(u).path.endswith("/x")]
        assert watch.page_errors == []
        if path.endswith("/"):
            assert page.locator("article script, article img[src='x']").count() == 0
        if shows_title:
            assert "<script>window.__pwned=1</script>" in page.locator("article").inner_text()


@pytest.mark.browser
def test_hostile_title_in_search_results_runs_nothing(page, hostile_site):
    with serve_directory(hostile_site) as url:
        watch = visit(page, url + "governance/")
        search = page.locator("input.md-search__input")
        search.click()
        search.press_sequentially("202601010001")
        page.locator(".md-search-result__item").first.wait_for(state="visible")
        page.wait_for_timeout(300)
        assert page.evaluate("window.__pwned") is None
        assert not [u for u in watch.requests if urlsplit(u).path.endswith("/x")]


@pytest.fixture(scope="module")
def hostile_versions_site(tmp_path_factory) -> Path:
    """Every text input carries script: site name, TITLE, ADR body, register, policy document
    (raw HTML, front matter), release tags; built with a version per tag."""
    root = tmp_path_factory.mktemp("hostile-versions")
    repo = hostile_text_repository(root / "repo")
    site = root / "site"
    result = govsite("build", str(repo), "--site-dir", str(site), "--versions")
    assert result.returncode == 0, result.stdout + result.stderr
    return site


@pytest.mark.browser
def test_no_text_from_the_repository_runs_script_on_any_page(page, hostile_versions_site):
    """`site_name` ran an onerror on every page; a policy document's `<script>`, `ontoggle` and
    `javascript:` links ran; tag names reached the version selector as markup."""
    pages = sorted(p.relative_to(hostile_versions_site).as_posix()
                   for p in hostile_versions_site.rglob("*.html"))
    pages = [p for p in pages if not p.startswith("latest/")]  # redirects to the pages of v1.0.0
    assert any(p.startswith("dev/docs/RUNBOOK-db/") for p in pages)  # the policy document is published
    assert any(p.startswith(f"{RELEASE_TAG}/governance/adrs/") for p in pages)
    assert not any(p.startswith((MARKUP_TAG, PWN_TAG)) for p in pages)  # tags that are no version
    with serve_directory(hostile_versions_site) as url:
        for path in pages:
            watch = visit(page, url + quote(path))
            for link in page.locator("article a", has_text=re.compile("click me|raw link")).all():
                link.click()  # what was a `javascript:` link
            page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = !d.open; })")
            page.wait_for_timeout(100)  # let toggle events, diagrams and the version selector run
            assert page.evaluate("window.__pwned") is None, path
            assert page.evaluate("window.parent.__pwned") is None, path
            assert page.locator("article script, article iframe, article [onerror]").count() == 0
            assert watch.page_errors == [], path


@pytest.mark.browser
def test_tag_names_and_site_name_are_shown_as_text(page, hostile_versions_site):
    with serve_directory(hostile_versions_site) as url:
        visit(page, url + quote(f"{RELEASE_TAG}/governance/"))
        page.locator(".md-version__list").wait_for(state="attached")
        assert page.locator(".md-version__link").all_text_contents() == ["dev", RELEASE_TAG]
        assert page.locator(".md-version b").count() == 0
        assert "<img src=x" in page.locator(".md-header__topic").first.inner_text()
        assert page.evaluate("window.__pwned") is None


# --------------------------------------------------------------------------- links


def test_every_internal_link_of_the_example_site_resolves(example_site):
    checked, broken = broken_internal_links(example_site)
    assert checked > 500
    assert not broken, "\n".join(map(str, broken[:40]))
