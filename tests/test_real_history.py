"""Real histories: releases made before adoption, tags that are not versions, and git history
that is broken, partial or misleading.

Every repository here is a real git repository made in the test; every versioned site a real
MkDocs build; the version switch is checked in headless Chromium.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from browser_support import PageWatch, chromium_browser, serve_directory
from conftest import govsite, migration
from generator.config import ConfigError, config_from_mapping
from generator.site.build import analyse, resolve_config
from generator.site.versions import build_versions, plan_releases, release_version
from generator.sources.history import read_history

LAYOUT = 'migrations = ["db/migrations/versions"]\n'
A1, A2, A3 = (f"db/migrations/versions/{r}.py" for r in ("a1", "a2", "a3"))


def names_of(site: Path) -> list[str]:
    return [entry["version"] for entry in json.loads((site / "versions.json").read_text())]


def page(site: Path, version: str, uri: str = "governance/index.html") -> str:
    return (site / version / uri).read_text(encoding="utf-8")


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


# --------------------------------------------------------------------------- releases before adoption


@pytest.fixture
def adopted_late(make_git_repo):
    """Three releases made before the team added govsite.toml (in a layout the defaults do not
    find), one after, and tags that are no release: a nightly, a build and a release candidate.
    v1.9.1 is a hotfix tagged after v2.0.0: the newest tag, not the highest version."""
    return make_git_repo(
        [
            ("2025-01-05T10:00:00Z", {A1: migration("a1")}),
            ("2025-03-05T10:00:00Z", {A2: migration("a2", "a1")}),
            ("2025-06-05T10:00:00Z", {"govsite.toml": LAYOUT}),
            ("2025-07-05T10:00:00Z", {"README.md": "hotfix notes\n"}),
        ],
        tags={"v1.0.0": 0, "v1.1.0": 1, "v1.1.1": 1, "v2.0.0": 2, "v1.9.1": 3,
              "nightly": 3, "v0.3.5+b201": 0, "v2.0.0rc1": 1},
    )


def test_releases_before_adoption_are_read_with_the_working_tree_configuration(adopted_late, tmp_path):
    """Every release tagged before govsite.toml existed showed 0 migrations: it was read with
    the defaults, which look in alembic/versions."""
    site = tmp_path / "site"
    result = build_versions(adopted_late, site, resolve_config(adopted_late))
    migration_page = "governance/migrations/a1/index.html"
    for version in ("v1.0.0", "v1.1.0", "v2.0.0", "dev"):
        assert (site / version / migration_page).is_file(), version
    assert not (site / "v1.0.0" / "governance/migrations/a2").exists()
    notice = "read with the configuration of the working tree"
    assert notice in page(site, "v1.0.0") and notice in page(site, "v1.1.0")
    assert notice not in page(site, "v2.0.0") and notice not in page(site, "dev")
    assert result.versions[0].name == "dev"


def test_a_release_before_adoption_is_read_with_the_working_tree_baseline(make_git_repo, tmp_path):
    """The team baselined its legacy findings on adoption; the releases made before that must
    show them as accepted, not as open errors, and the baseline's entries for files a release
    does not have yet are not stale there."""
    legacy = migration("a1", header="")
    repo = make_git_repo(
        [
            ("2025-01-05T10:00:00Z", {A1: legacy}),
            ("2025-03-05T10:00:00Z", {A2: legacy.replace('"a1"', '"a2"', 1).replace("None", '"a1"', 1)}),
            ("2025-06-05T10:00:00Z", {"govsite.toml": LAYOUT}),
        ],
        tags={"v1.0.0": 0},
    )
    assert govsite("baseline", str(repo)).returncode == 0
    assert govsite("validate", str(repo)).returncode == 0
    site = tmp_path / "site"
    build_versions(repo, site, resolve_config(repo))
    report = page(site, "v1.0.0", "governance/report/index.html")
    assert "GOV501" in report and "baseline" in report
    assert "GOV807" not in report
    dashboard = page(site, "v1.0.0")
    assert "Baselined" in dashboard


def test_tags_that_are_not_releases_are_skipped_with_one_line_each(adopted_late, tmp_path):
    site = tmp_path / "site"
    result = build_versions(adopted_late, site, resolve_config(adopted_late))
    assert names_of(site) == ["dev", "v2.0.0", "v1.9.1", "v1.1.1", "v1.1.0", "v1.0.0"]
    assert result.notes == (
        "2 pre-release or build tags skipped ([versions] prereleases = true includes them): "
        "v0.3.5+b201, v2.0.0rc1",
    )
    # `nightly` does not match v*: with a pattern that catches it, it is named
    notes = plan_releases(adopted_late, "*")[1]
    assert "1 tag matching '*' not a version, skipped: nightly" in notes


def test_latest_is_the_highest_version_not_the_newest_tag(adopted_late, tmp_path):
    site = tmp_path / "site"
    build_versions(adopted_late, site, resolve_config(adopted_late))
    entries = json.loads((site / "versions.json").read_text())
    assert [e["version"] for e in entries if e["aliases"] == ["latest"]] == ["v2.0.0"]
    assert (site / "index.html").read_text().count("latest/") >= 1


def test_identical_releases_share_their_pages_instead_of_building_again(adopted_late, tmp_path):
    """v1.1.0 and v1.1.1 name one commit: the second is a copy whose files are links."""
    site = tmp_path / "site"
    build_versions(adopted_late, site, resolve_config(adopted_late))
    for name in ("index.html", "governance/index.html", "sitemap.xml"):
        assert (site / "v1.1.1" / name).read_bytes() == (site / "v1.1.0" / name).read_bytes()
    first, second = (site / v / "governance/migrations/a2/index.html" for v in ("v1.1.0", "v1.1.1"))
    assert os.stat(first).st_ino == os.stat(second).st_ino
    assert os.stat(site / "v1.1.0" / "index.html").st_ino != os.stat(site / "v1.0.0" / "index.html").st_ino


def test_the_versions_table_chooses_pre_releases_and_how_many(adopted_late, tmp_path):
    (adopted_late / "govsite.toml").write_text(
        LAYOUT + "[versions]\nprereleases = true\nmax_versions = 3\n", encoding="utf-8"
    )
    site = tmp_path / "site"
    result = build_versions(adopted_late, site, resolve_config(adopted_late))
    assert names_of(site) == ["dev", "v2.0.0", "v2.0.0rc1", "v1.9.1"]
    assert any(note.startswith("4 older releases left out ([versions] max_versions = 3): ")
               for note in result.notes)


def test_versions_tag_pattern_and_its_older_name(adopted_late):
    assert config_from_mapping({"versions": {"tag_pattern": "release-*"}}).release_pattern == "release-*"
    assert config_from_mapping({"tag_pattern": "release-*"}).release_pattern == "release-*"
    with pytest.raises(ConfigError, match="'tag_pattern' and 'versions.tag_pattern' disagree"):
        config_from_mapping({"tag_pattern": "v*", "versions": {"tag_pattern": "release-*"}})


@pytest.mark.parametrize("table, message", [
    ("[versions]\nmax_versions = 0\n", "option 'versions.max_versions' must be a whole number of at least 1"),
    ("[versions]\nprereleases = \"yes\"\n", "option 'versions.prereleases' must be true or false"),
    ("[versions]\nmax_version = 3\n", "unknown option 'versions.max_version' (did you mean 'max_versions'?)"),
    ("[versions]\ntag_pattern = 'v\\d+'\n", "option 'versions.tag_pattern' must be a glob"),
    ("versions = 3\n", "option 'versions' must be a table"),
    ("site_url = \"docs.example.com\"\n", "option 'site_url' must be an http:// or https:// address"),
])
def test_a_wrong_versions_table_is_a_configuration_error(make_git_repo, tmp_path, table, message):
    root = make_git_repo([("2026-01-05T10:00:00Z", {A1: migration("a1"), "govsite.toml": LAYOUT + table})])
    result = govsite("build", str(root), "--versions", "--site-dir", str(tmp_path / "site"))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "govsite.toml" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("tag, order, prerelease", [
    ("v1.2.3", "1.2.3", False),
    ("1.0", "1.0", False),
    ("release-2.1", "2.1", False),
    ("v0.3.5+b201", "0.3.5+b201", True),
    ("v2.0.0rc1", "2.0.0rc1", True),
    ("1.0-beta", "1.0b0", True),
    ("v1.2.3-beta.x", "1.2.3.dev0", True),  # semver, not PEP 440
    ("nightly", None, None),
    ("latest-build", None, None),
])
def test_release_versions_read_pep_440_then_semver(tag, order, prerelease):
    version = release_version(tag)
    if order is None:
        assert version is None
    else:
        assert str(version.key[0]) == order and version.prerelease is prerelease


# --------------------------------------------------------------------------- site_url


@pytest.fixture
def published(make_git_repo, tmp_path):
    """A versioned site with an address: v1 has a1, dev has a1 and a2."""
    root = make_git_repo(
        [
            ("2026-01-05T10:00:00Z", {A1: migration("a1"), "govsite.toml": LAYOUT}),
            ("2026-02-05T10:00:00Z", {A2: migration("a2", "a1")}),
        ],
        tags={"v1.0.0": 0, "v1.0.1": 0},
    )
    (root / "govsite.toml").write_text(LAYOUT + 'site_url = "https://governance.example.com/db/"\n')
    site = tmp_path / "site"
    build_versions(root, site, resolve_config(root))
    return site


def test_each_version_lists_its_pages_at_its_own_address(published):
    for version in ("v1.0.0", "v1.0.1", "dev"):
        sitemap = (published / version / "sitemap.xml").read_text()
        assert f"<loc>https://governance.example.com/db/{version}/governance/migrations/a1/</loc>" in sitemap
        assert "v1.0.0" not in sitemap or version == "v1.0.0"
        canonical = f'href="https://governance.example.com/db/{version}/governance/"'
        assert canonical in page(published, version)


def test_site_url_comes_from_the_team_mkdocs_yml_when_the_configuration_has_none(make_repo):
    from generator.config import Config
    from generator.site.versions import published_at

    root = make_repo({"mkdocs.yml": "site_name: Docs\nsite_url: https://docs.example.com/\n"
                                    "markdown_extensions:\n  - pymdownx.emoji:\n"
                                    "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"})
    assert published_at(root, Config()) == "https://docs.example.com/"
    assert published_at(root, Config(site_url="https://other.example.com/")) == "https://other.example.com/"
    (root / "mkdocs.yml").write_text("site_url: [unclosed\n")
    assert published_at(root, Config()) is None


@pytest.mark.browser
def test_switching_version_keeps_the_reader_on_the_same_page(published):
    """The selector always landed on the other version's home page."""
    with serve_directory(published) as url, chromium_browser() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        watch = PageWatch.attach(tab)
        for start, expected in (
            ("dev/governance/migrations/a1/", "v1.0.0/governance/migrations/a1/"),
            ("dev/governance/migrations/a2/", "v1.0.0/"),  # a2 came after v1.0.0
        ):
            tab.goto(url + start)
            tab.wait_for_load_state("networkidle")
            tab.locator(".md-version__current").wait_for(state="attached")
            tab.locator(".md-version").hover()
            tab.locator(".md-version__link", has_text="v1.0.0").click()
            tab.wait_for_url(url + expected)
            tab.wait_for_load_state("networkidle")
            assert tab.locator(".md-version__current").inner_text().strip() == "v1.0.0"
        assert watch.problems() == []
        context.close()


# --------------------------------------------------------------------------- dating


SHARED = "".join(f"# shared line {n}: the same in both files\n" for n in range(60))
OWN = "".join(f"# line {n} only this file has\n" for n in range(30))


def test_an_unrelated_file_git_pairs_as_a_rename_gives_no_author(make_git_repo):
    """git pairs a helper deleted in the commit that adds a migration at 74%; the migration
    was credited to the helper's author and dated by the helper's commit."""
    root = make_git_repo(
        [
            ("2026-01-05T10:00:00Z", {"scripts/seed.py": SHARED}),
            ("2026-02-05T10:00:00Z", {"scripts/seed.py": None, A1: SHARED + OWN}),
        ],
        authors={0: "Alice Helper <alice@example.com>", 1: "Bob Migrator <bob@example.com>"},
    )
    paired = git(root, "log", "-M", "--name-status", "--format=").split("\n")[0]
    assert paired.endswith("\tscripts/seed.py\tdb/migrations/versions/a1.py")
    assert 50 <= int(paired[1:4]) < 90, paired
    added = read_history(root, [A1]).files[A1].added
    assert (added.author, added.date.month) == ("Bob Migrator", 2)


def test_a_rename_between_migration_files_is_followed_however_much_it_changed(make_git_repo):
    root = make_git_repo(
        [
            ("2026-01-05T10:00:00Z", {"db/migrations/versions/old_name.py": SHARED}),
            ("2026-02-05T10:00:00Z", {"db/migrations/versions/old_name.py": None, A1: SHARED + OWN}),
        ],
        authors={0: "Alice Author <alice@example.com>", 1: "Bob Renamer <bob@example.com>"},
    )
    added = read_history(root, [A1]).files[A1].added
    assert (added.author, added.date.month) == ("Alice Author", 1)


def test_a_migration_deleted_and_added_again_is_dated_by_its_first_addition(make_git_repo):
    root = make_git_repo(
        [
            ("2026-01-05T10:00:00Z", {A1: migration("a1"), "govsite.toml": LAYOUT}),
            ("2026-02-05T10:00:00Z", {A1: None}),
            ("2026-03-05T10:00:00Z", {A1: migration("a1")}),
        ],
    )
    analysis = analyse(root, resolve_config(root))
    history = analysis.repo.history.of(A1)
    assert history.added.date.month == 1 and history.added_again.date.month == 3
    text = next(p.content for p in analysis.pages if p.uri == "governance/migrations/a1.md")
    assert "deleted and added again" in text and "2026-03-05 10:00 UTC" in text
    assert "2026-01-05 10:00 UTC" in text  # the Added row, with its zone


@pytest.fixture
def three_migrations(make_git_repo):
    return make_git_repo(
        [
            ("2026-01-05T10:00:00Z", {A1: migration("a1"), "govsite.toml": LAYOUT}),
            ("2026-02-05T10:00:00Z", {A2: migration("a2", "a1")}),
            ("2026-03-05T10:00:00Z", {A3: migration("a3", "a2")}),
        ],
    )


def remove_object(root: Path, sha: str) -> None:
    loose = root / ".git" / "objects" / sha[:2] / sha[2:]
    loose.chmod(0o600)
    loose.unlink()


def test_a_missing_object_is_a_warning_and_later_files_keep_their_dates(three_migrations):
    """One unreadable object removed every date, and validate said nothing."""
    root = three_migrations
    remove_object(root, git(root, "rev-parse", "HEAD~2^{tree}").strip())
    history = read_history(root, [A1, A2, A3])
    assert history.files[A3].added.date.month == 3
    assert history.files[A1].added is None and history.files[A2].added is None
    result = govsite("validate", str(root))
    assert result.returncode == 0, result.stderr
    assert "GOV808" in result.stdout and "unable to read tree" in result.stdout
    assert "2 of 3 files have no date" in result.stdout and "GOV403" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_missing_file_content_is_read_again_without_renames(make_git_repo):
    root = make_git_repo(
        [
            ("2026-01-05T10:00:00Z", {"scripts/seed.py": SHARED, "govsite.toml": LAYOUT}),
            ("2026-02-05T10:00:00Z", {"scripts/seed.py": None, A1: SHARED + OWN}),
        ],
    )
    remove_object(root, git(root, "rev-parse", "HEAD~1:scripts/seed.py").strip())
    history = read_history(root, [A1])
    assert history.files[A1].added.date.month == 2
    assert history.problem.startswith("git could not read the whole history (unable to read ")
    assert "read again without rename detection" in history.problem
    assert history.renames is False


def test_a_blobless_clone_is_dated_without_fetching_contents(make_git_repo, tmp_path):
    """In a partial clone the walk fetched every old file's content, one request at a time.

    The origin is moved away after cloning: a fetch would fail, and the history would say so."""
    origin = make_git_repo(
        [
            ("2026-01-05T10:00:00Z", {"scripts/seed.py": SHARED, "govsite.toml": LAYOUT}),
            ("2026-02-05T10:00:00Z", {"scripts/seed.py": None, A1: SHARED + OWN}),
            ("2026-03-05T10:00:00Z", {A2: migration("a2")}),
        ],
    )
    git(origin, "config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--filter=blob:none", f"file://{origin}", str(clone)],
                   check=True, capture_output=True)
    shutil.move(origin, tmp_path / "gone")
    history = read_history(clone, [A1, A2])
    assert history.problem is None
    assert (history.partial_clone, history.renames) == (True, False)
    assert history.files[A1].added.date.month == 2 and history.files[A2].added.date.month == 3
    analysis = analyse(clone, resolve_config(clone))
    text = next(p.content for p in analysis.pages if p.uri == "governance/migrations/a2.md")
    assert "Renames are not followed in this partial clone" in text


def test_pages_shared_between_versions_are_the_pages_each_would_render(adopted_late, tmp_path, monkeypatch):
    """Versions take each other's rendered pages and search entries: the folder must be byte
    for byte the one that rendering every page of every version gives."""
    from generator.site import reuse

    shared = tmp_path / "shared"
    build_versions(adopted_late, shared, resolve_config(adopted_late))
    monkeypatch.setattr(reuse.SharedRenders, "attach", lambda self, page, config: None)
    alone = tmp_path / "alone"
    build_versions(adopted_late, alone, resolve_config(adopted_late))
    files = sorted(p.relative_to(shared) for p in shared.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(alone) for p in alone.rglob("*") if p.is_file())
    assert [f for f in files if (shared / f).read_bytes() != (alone / f).read_bytes()] == []
