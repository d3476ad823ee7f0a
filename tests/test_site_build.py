"""The governance site as users build it: `mkdocs build` with the plugin, `govsite generate`
and `govsite build`, on the bundled example and on small repositories made for each test."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
import yaml

from browser_support import (
    EXAMPLE,
    ROOT,
    build_example_site,
    mkdocs_build,
    tree_digest,
)
from conftest import govsite, migration

DROP_WITHOUT_BYPASS = migration(
    "b2",
    "a1",
    upgrade='op.drop_table("legacy_events")',
    downgrade='op.create_table("legacy_events", sa.Column("id", sa.Integer()))',
)
GOOD_ROOT = migration("a1")


@pytest.fixture(scope="module")
def example_site(tmp_path_factory) -> Path:
    """The project's own site, built once for the module with `mkdocs build`."""
    docs_before = tree_digest(ROOT / "docs")
    site = build_example_site(tmp_path_factory.mktemp("example") / "site")
    assert tree_digest(ROOT / "docs") == docs_before, "the build wrote into docs/"
    return site


def read(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


def migration_pages(site: Path) -> list[Path]:
    return sorted(p for p in (site / "governance" / "migrations").glob("*/index.html"))


class _NavLinks(HTMLParser):
    """The links inside the primary navigation sidebar of a Material page."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if self.depth:
            if tag == "nav":
                self.depth += 1
            if tag == "a" and values.get("href"):
                self.links.append(values["href"])
        elif tag == "nav" and "md-nav--primary" in (values.get("class") or ""):
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth and tag == "nav":
            self.depth -= 1


def nav_links(html: str) -> list[str]:
    parser = _NavLinks()
    parser.feed(html)
    return parser.links


def nav_targets(site: Path, page: Path) -> set[str]:
    """The site paths the navigation of `page` links to, resolved: `/governance/graph/`."""
    base = "/" + page.relative_to(site).as_posix()
    return {urljoin(base, link).split("#")[0] for link in nav_links(page.read_text("utf-8"))}


def migration_page_targets(targets: set[str]) -> set[str]:
    return {t for t in targets if re.fullmatch(r"/governance/migrations/[^/]+/", t)}


def repo_with_site_config(make_repo, files: dict[str, str], **plugin_options) -> Path:
    """A repository with its own mkdocs.yml using the plugin, like an adopting team's."""
    from generator.site.build import markdown_extensions

    config = {
        "site_name": "Team site",
        "theme": {"name": "material", "font": False},
        "plugins": ["search", {"governance": {"repository": ".", **plugin_options}}],
        "markdown_extensions": markdown_extensions(),
    }
    return make_repo({
        "mkdocs.yml": yaml.dump(config),  # functions become !!python/name: tags MkDocs reads
        "docs/index.md": "# Team site\n",
        **files,
    })


# --------------------------------------------------------------------------- the example site


def test_example_site_has_every_governance_page(example_site):
    for rel in (
        "index.html",
        "policy/index.html",
        "authoring/index.html",
        "adopting/index.html",
        "governance/index.html",
        "governance/migrations/index.html",
        "governance/graph/index.html",
        "governance/adrs/index.html",
        "governance/exceptions/index.html",
        "governance/rules/index.html",
        "governance/report/index.html",
    ):
        assert (example_site / rel).is_file(), f"missing {rel}"
    migrations = sorted((EXAMPLE / "alembic" / "versions").glob("*.py"))
    assert len(migration_pages(example_site)) == len(migrations)
    assert list((example_site / "governance" / "adrs").glob("*/index.html"))


def test_migration_page_shows_its_metadata_and_bypass(example_site):
    page = read(example_site, "governance/migrations/15788671358b/index.html")
    assert "202603161400" in page
    assert "Drop conversions.touchpoint_ref" in page
    assert "ADR-015" in page
    assert "CI:DESTRUCTIVE_OK" in page


def test_rules_reference_has_an_anchor_per_rule(example_site):
    page = read(example_site, "governance/rules/index.html")
    for code in ("GOV101", "GOV201", "GOV403", "GOV603", "GOV901"):
        assert f'id="{code.lower()}"' in page, f"no anchor for {code}"


def test_graph_page_holds_a_mermaid_diagram(example_site):
    page = read(example_site, "governance/graph/index.html")
    assert '<pre class="mermaid">' in page
    assert "15788671358b" in page or "202603161400" in page


def test_site_serves_mermaid_and_tablesort_itself(example_site):
    dashboard = read(example_site, "governance/index.html")
    for script in ("mermaid/mermaid.min.js", "tablesort/tablesort.min.js", "tablesort-init.js"):
        assert f"assets/govsite/{script}" in dashboard
        assert (example_site / "assets" / "govsite" / script).is_file()
    assert "assets/govsite/govsite.css" in dashboard
    assert "fonts.googleapis.com" not in dashboard


def test_migration_pages_stay_out_of_the_navigation(example_site):
    page = example_site / "governance" / "migrations" / "15788671358b" / "index.html"
    targets = nav_targets(example_site, page)
    assert {"/governance/", "/governance/migrations/", "/governance/graph/"} <= targets
    assert not migration_page_targets(targets)
    assert len(targets) < 25


def test_policy_page_links_every_policy_to_its_rules(example_site):
    page = read(example_site, "policy/index.html")
    for code in ("gov101", "gov201", "gov301", "gov401", "gov501", "gov601", "gov701"):
        assert f"../governance/rules/#{code}" in page


# --------------------------------------------------------------------------- failing builds


def test_mkdocs_build_fails_with_every_finding_listed(make_repo, tmp_path):
    repo = repo_with_site_config(make_repo, {
        "alembic/versions/a1.py": GOOD_ROOT,
        "alembic/versions/b2.py": DROP_WITHOUT_BYPASS,
    })
    drop_line = 1 + DROP_WITHOUT_BYPASS.splitlines().index('    op.drop_table("legacy_events")')
    result = mkdocs_build(repo / "mkdocs.yml", tmp_path / "site")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"alembic/versions/b2.py:{drop_line}: GOV201 destructive-without-bypass" in output
    assert "Traceback" not in output
    assert not (repo / "docs" / "governance").exists()


def test_mkdocs_build_passes_a_clean_repository(make_repo, tmp_path):
    repo = repo_with_site_config(make_repo, {"alembic/versions/a1.py": GOOD_ROOT})
    result = mkdocs_build(repo / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "governance" / "migrations" / "a1" / "index.html").is_file()
    assert sorted(p.name for p in (repo / "docs").iterdir()) == ["index.md"]


def test_missing_front_end_assets_warn_but_do_not_fail(make_repo, tmp_path):
    repo = repo_with_site_config(make_repo, {"alembic/versions/a1.py": GOOD_ROOT})
    empty = tmp_path / "no-assets"
    empty.mkdir()
    result = mkdocs_build(
        repo / "mkdocs.yml", tmp_path / "site", env={"GOVSITE_VENDOR_DIR": str(empty)}
    )
    assert result.returncode == 0, result.stderr
    assert "mermaid/mermaid.min.js not installed (run scripts/setup_assets.sh" in result.stderr
    assert "diagrams will not render offline" in result.stderr
    page = (tmp_path / "site" / "governance" / "index.html").read_text(encoding="utf-8")
    assert "mermaid.min.js" not in page
    assert "assets/govsite/govsite.css" in page  # the project's own assets are always there


def test_plugin_options_override_the_configuration(make_repo, tmp_path):
    repo = repo_with_site_config(
        make_repo,
        {"alembic/versions/a1.py": GOOD_ROOT, "alembic/versions/b2.py": DROP_WITHOUT_BYPASS},
        disable=["GOV201", "GOV601"],
    )
    result = mkdocs_build(repo / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stderr


def test_unknown_plugin_option_is_a_configuration_error(make_repo, tmp_path):
    repo = repo_with_site_config(
        make_repo, {"alembic/versions/a1.py": GOOD_ROOT}, fail_fast=True
    )
    result = mkdocs_build(repo / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0
    assert "unknown option(s) 'fail_fast'" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_plugin_value_is_a_configuration_error(make_repo, tmp_path):
    repo = repo_with_site_config(
        make_repo, {"alembic/versions/a1.py": GOOD_ROOT}, fail_on="never"
    )
    result = mkdocs_build(repo / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0
    assert "option 'fail_on' must be 'error' or 'warning'" in result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- govsite generate


def test_generate_writes_pages_and_a_navigation_fragment(tmp_path):
    out = tmp_path / "pages"
    result = govsite("generate", str(EXAMPLE), "--out", str(out))
    assert result.returncode == 0, result.stderr
    nav = yaml.safe_load((out / "governance" / "nav.yml").read_text(encoding="utf-8"))
    targets = list(_nav_targets(nav))
    assert "governance/index.md" in targets
    for target in targets:
        assert (out / target).is_file(), f"nav names {target}, which was not written"
    written = {p.relative_to(out).as_posix() for p in out.rglob("*.md")}
    assert "governance/migrations/15788671358b.md" in written
    assert "governance/migrations/15788671358b.md" not in targets


def _nav_targets(entries):
    for entry in entries:
        if isinstance(entry, str):
            yield entry
        elif isinstance(entry, dict):
            for value in entry.values():
                yield from (_nav_targets(value) if isinstance(value, list) else [value])


def test_generated_pages_build_with_plain_mkdocs(make_repo, tmp_path):
    """What a builder without plugins gets: the written pages plus the nav fragment."""
    from generator.site.build import markdown_extensions

    repo = make_repo({"alembic/versions/a1.py": GOOD_ROOT, "alembic/versions/b2.py": migration("b2", "a1")})
    docs = tmp_path / "docs"
    assert govsite("generate", str(repo), "--out", str(docs)).returncode == 0
    (docs / "index.md").write_text("# Home\n", encoding="utf-8")
    nav = yaml.safe_load((docs / "governance" / "nav.yml").read_text(encoding="utf-8"))
    config = {
        "site_name": "Plain",
        "docs_dir": str(docs),
        "theme": {"name": "material", "font": False},
        "nav": [{"Home": "index.md"}, *nav],
        "not_in_nav": "/governance/",
        "markdown_extensions": markdown_extensions(),
    }
    (tmp_path / "mkdocs.yml").write_text(yaml.dump(config), encoding="utf-8")
    result = mkdocs_build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    page = tmp_path / "site" / "governance" / "migrations" / "b2" / "index.html"
    targets = nav_targets(tmp_path / "site", page)
    assert "/governance/migrations/" in targets  # the index is in the nav
    assert not migration_page_targets(targets)  # the migrations are not
    assert "not included in the \"nav\"" not in result.stderr


# --------------------------------------------------------------------------- govsite build


def test_build_makes_a_site_for_a_repository_without_mkdocs_yml(make_repo, tmp_path):
    repo = make_repo({"alembic/versions/a1.py": GOOD_ROOT})
    site = tmp_path / "public"
    result = govsite("build", str(repo), "--site-dir", str(site))
    assert result.returncode == 0, result.stderr
    assert (site / "index.html").is_file()
    assert (site / "governance" / "migrations" / "a1" / "index.html").is_file()
    assert "Change a1" in (site / "governance" / "migrations" / "a1" / "index.html").read_text()
    assert re.search(r"built .*: \d+ governance pages, 0 errors, \d+ warnings?, [\d.]+ s",
                     result.stderr)
    assert not (repo / "site").exists() and not (repo / "mkdocs.yml").exists()


def test_failed_build_leaves_the_previous_site_byte_identical(make_repo, tmp_path):
    repo = make_repo({"alembic/versions/a1.py": GOOD_ROOT})
    site = tmp_path / "out" / "public"
    assert govsite("build", str(repo), "--site-dir", str(site)).returncode == 0
    before = tree_digest(site)

    (repo / "alembic" / "versions" / "b2.py").write_text(DROP_WITHOUT_BYPASS, encoding="utf-8")
    result = govsite("build", str(repo), "--site-dir", str(site))

    assert result.returncode == 1
    assert "alembic/versions/b2.py:" in result.stderr
    assert "GOV201 destructive-without-bypass" in result.stderr
    assert tree_digest(site) == before
    assert sorted(p.name for p in site.parent.iterdir()) == ["public"]  # no half-built leftovers


def test_successful_rebuild_replaces_the_site(make_repo, tmp_path):
    repo = make_repo({"alembic/versions/a1.py": GOOD_ROOT})
    site = tmp_path / "out" / "public"
    assert govsite("build", str(repo), "--site-dir", str(site)).returncode == 0
    (site / "stale.html").write_text("old", encoding="utf-8")
    (repo / "alembic" / "versions" / "b2.py").write_text(migration("b2", "a1"), encoding="utf-8")
    assert govsite("build", str(repo), "--site-dir", str(site)).returncode == 0
    assert (site / "governance" / "migrations" / "b2" / "index.html").is_file()
    assert not (site / "stale.html").exists()
    assert sorted(p.name for p in site.parent.iterdir()) == ["public"]


def test_build_config_error_exits_2(make_repo, tmp_path):
    repo = make_repo({"alembic/versions/a1.py": GOOD_ROOT, "govsite.toml": "fail_on = 'never'\n"})
    result = govsite("build", str(repo), "--site-dir", str(tmp_path / "site"))
    assert result.returncode == 2
    assert "fail_on" in result.stderr
    assert not (tmp_path / "site").exists()


def test_navigation_does_not_grow_with_migrations(make_repo, tmp_path):
    def nav_size(count: int) -> int:
        files = {"alembic/versions/m0.py": migration("m0")}
        for i in range(1, count):
            files[f"alembic/versions/m{i}.py"] = migration(f"m{i}", f"m{i - 1}")
        site = tmp_path / f"site{count}"
        result = govsite("build", str(make_repo(files)), "--site-dir", str(site))
        assert result.returncode == 0, result.stderr
        return len(nav_links(read(site, "governance/migrations/m0/index.html")))

    assert nav_size(2) == nav_size(12)


def test_navigation_does_not_grow_with_adrs_kept_under_docs(make_repo, tmp_path):
    """ADR sources in docs/adr are shown through their generated pages, not listed in the nav."""

    def nav_size(count: int) -> int:
        files = {"alembic/versions/m0.py": migration("m0"), "docs/index.md": "# Team docs\n"}
        for i in range(1, count + 1):
            files[f"docs/adr/ADR-{i:03d}-d{i}.md"] = f"# ADR-{i:03d}: D{i}\n\n## Status\n\nAccepted\n"
        site = tmp_path / f"adr-site{count}"
        result = govsite("build", str(make_repo(files)), "--site-dir", str(site))
        assert result.returncode == 0, result.stderr
        assert (site / "governance" / "adrs" / f"ADR-{count:03d}" / "index.html").is_file()
        return len(nav_links(read(site, "governance/migrations/m0/index.html")))

    assert nav_size(2) == nav_size(12)


# --------------------------------------------------------------------------- serving


def test_serve_watches_every_input_but_not_the_site(make_repo):
    from generator.config import Config
    from generator.site.build import analyse
    from generator.site.plugin import watched_paths

    repo = make_repo({
        "alembic/versions/a1.py": GOOD_ROOT,
        "docs/adr/ADR-001-start.md": "# ADR-001: Start\n\n## Status\n\nAccepted\n",
        "db/schema/EXCEPTIONS.md": "# Exceptions\n",
        "govsite.toml": "fail_on = 'error'\n",
        "site/index.html": "",
    })
    watched = watched_paths(repo.resolve(), analyse(repo, Config()), repo / "site")
    relative = {p.relative_to(repo.resolve()).as_posix() for p in watched}
    assert {"alembic/versions", "docs", "db/schema/EXCEPTIONS.md", "govsite.toml"} <= relative
    assert "docs/adr" not in relative  # already watched through docs/
    assert not [p for p in relative if p in (".", "site") or p.startswith("site/")]


@pytest.mark.slow
def test_govsite_serve_rebuilds_when_a_migration_changes(make_repo):
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    repo = make_repo({"alembic/versions/a1.py": GOOD_ROOT})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", str(repo),
         "--dev-addr", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    page_url = f"http://127.0.0.1:{port}/governance/migrations/a1/"

    def page_text() -> str:
        try:
            with urllib.request.urlopen(page_url, timeout=2) as response:
                return response.read().decode("utf-8")
        except OSError:
            return ""

    def wait_for(text: str) -> bool:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and server.poll() is None:
            if text in page_text():
                return True
            time.sleep(0.3)
        return False

    try:
        assert wait_for("Change a1"), "the site was never served"
        source = (repo / "alembic" / "versions" / "a1.py")
        source.write_text(GOOD_ROOT.replace("TITLE: Change a1", "TITLE: Renamed a1"), "utf-8")
        assert wait_for("Renamed a1"), "the edit did not rebuild the site"
    finally:
        server.send_signal(signal.SIGINT)  # as Ctrl-C: the server removes its temporary files
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --------------------------------------------------------------------------- drift checks


def test_project_site_enables_every_extension_the_pages_are_written_for():
    from generator.site.markup import SITE_MARKDOWN_EXTENSIONS

    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r"^  - ([\w.]+)", text.split("markdown_extensions:", 1)[1], re.M))
    assert set(SITE_MARKDOWN_EXTENSIONS) <= listed


def test_adopting_guide_documents_every_configuration_key():
    import dataclasses

    from generator.config import Config

    guide = (ROOT / "docs" / "adopting.md").read_text(encoding="utf-8")
    missing = [f.name for f in dataclasses.fields(Config) if f"| `{f.name}` |" not in guide]
    assert not missing, f"docs/adopting.md does not document {missing}"
