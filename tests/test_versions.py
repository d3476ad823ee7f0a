"""`govsite build --versions`: one site per release tag plus the working tree as `dev`.

Every repository here is a real git repository; every site is a real MkDocs build; versions.json
is checked against mike's own reader, and the version selector in headless Chromium.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import git
import pytest

from browser_support import (
    PageWatch,
    chromium_browser,
    make_example_history,
    serve_directory,
    tree_digest,
)
from conftest import govsite, migration
from generator.cli import main
from generator.site.build import resolve_config
from generator.site.versions import build_versions, export_tree, redirect_page
from generator.sources.history import GitRunner

RELEASES = ["v1.0.0", "v1.1.0", "v2.0.0"]
#: Dropping conversions.touchpoint_ref came after v1.1.0 and before v2.0.0.
LATER_MIGRATION = "governance/migrations/15788671358b/index.html"
#: Creating the tenants table is in every release.
FIRST_MIGRATION = "governance/migrations/50f6204d76c2/index.html"


# --------------------------------------------------------------------------- helpers


def repository_state(repo: Path) -> dict:
    """What a build must not change: every file (bytes and mtime), HEAD, refs, index, status.

    Read with `--no-optional-locks`, so looking does not refresh the index itself.
    """

    def run(*args: str) -> str:
        return subprocess.run(
            ["git", "--no-optional-locks", *args], cwd=repo, capture_output=True, text=True,
            check=True,
        ).stdout

    files = {
        path.relative_to(repo).as_posix(): (
            path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()
        )
        for path in sorted(repo.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(repo).parts
    }
    return {
        "files": files,
        "index": hashlib.sha256((repo / ".git" / "index").read_bytes()).hexdigest(),
        "head": run("rev-parse", "HEAD"),
        "branch": run("symbolic-ref", "HEAD"),
        "refs": run("for-each-ref"),
        "status": run("status", "--porcelain", "--ignored"),
        "worktrees": run("worktree", "list", "--porcelain"),
    }


def versions_of(site: Path) -> list[dict]:
    return json.loads((site / "versions.json").read_text(encoding="utf-8"))


def names_of(site: Path) -> list[str]:
    return [entry["version"] for entry in versions_of(site)]


def redirect_target(page: Path) -> str:
    """The href a redirect page sends its reader to."""
    text = page.read_text(encoding="utf-8")
    marker = 'rel="canonical" href="'
    start = text.index(marker) + len(marker)
    return text[start : text.index('"', start)]


def build(root: Path, site: Path, **options):
    return build_versions(root, site, resolve_config(root), **options)


def cli(*args: str) -> int:
    return main(["build", *map(str, args)])


# --------------------------------------------------------------------------- the example


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The example's history built with `govsite build --versions`, and the repository's state
    before and after."""
    base = tmp_path_factory.mktemp("versions")
    repo = make_example_history(base / "example-repo")
    before = repository_state(repo)
    site = base / "site"
    result = govsite("build", str(repo), "--site-dir", str(site), "--versions")
    return repo, site, result, before, repository_state(repo)


def test_example_has_a_folder_per_release_plus_dev_and_latest(example):
    _, site, result, _, _ = example
    assert result.returncode == 0, result.stderr
    folders = {p.name for p in site.iterdir() if p.is_dir()}
    assert folders == {*RELEASES, "dev", "latest"}
    for name in [*RELEASES, "dev"]:
        assert (site / name / "governance" / "index.html").is_file(), name
        assert (site / name / "search" / "search_index.json").is_file(), name


def test_versions_json_is_mikes_format_with_latest_on_the_newest_release(example):
    _, site, _, _, _ = example
    assert versions_of(site) == [
        {"version": "dev", "title": "dev", "aliases": []},
        {"version": "v2.0.0", "title": "v2.0.0", "aliases": ["latest"]},
        {"version": "v1.1.0", "title": "v1.1.0", "aliases": []},
        {"version": "v1.0.0", "title": "v1.0.0", "aliases": []},
    ]


def test_mike_reads_and_rewrites_versions_json_unchanged(example):
    from mike.versions import Versions

    _, site, _, _, _ = example
    text = (site / "versions.json").read_text(encoding="utf-8")
    versions = Versions.loads(text)
    assert versions.find("latest") == ("v2.0.0", "latest")
    assert versions.dumps() + "\n" == text  # same keys, order, indentation and final newline


def test_latest_pages_redirect_to_the_newest_release(example):
    _, site, _, _, _ = example
    assert redirect_target(site / "latest" / "index.html") == "../v2.0.0/"
    assert redirect_target(site / "latest" / "governance" / "report" / "index.html") == (
        "../../../v2.0.0/governance/report/"
    )
    release_pages = {p.relative_to(site / "v2.0.0") for p in (site / "v2.0.0").rglob("*.html")}
    alias_pages = {p.relative_to(site / "latest") for p in (site / "latest").rglob("*.html")}
    assert alias_pages == release_pages
    assert redirect_target(site / "index.html") == "latest/"


def test_every_version_asks_the_theme_for_the_mike_selector(example):
    _, site, _, _, _ = example
    for name in [*RELEASES, "dev"]:
        page = (site / name / "index.html").read_text(encoding="utf-8")
        assert '"version": {"provider": "mike"}' in page, name


def test_a_release_shows_only_the_migrations_it_had(example):
    _, site, _, _, _ = example
    assert (site / "dev" / LATER_MIGRATION).is_file()
    assert (site / "v2.0.0" / LATER_MIGRATION).is_file()
    assert not (site / "v1.0.0" / LATER_MIGRATION).exists()
    assert not (site / "v1.1.0" / LATER_MIGRATION).exists()
    for name in [*RELEASES, "dev"]:
        assert (site / name / FIRST_MIGRATION).is_file(), name


def test_building_versions_leaves_the_working_tree_untouched(example):
    _, _, result, before, after = example
    assert result.returncode == 0, result.stderr
    assert after == before


def test_summary_names_every_version_and_the_total(example):
    _, site, result, _, _ = example
    for name in ["dev", "v2.0.0 (latest)", "v1.1.0", "v1.0.0"]:
        assert f"  {name} " in result.stderr
    assert f"built {site.resolve()}: 4 versions" in result.stderr


# --------------------------------------------------------------------------- small repositories


def test_a_repository_without_tags_gets_only_dev(make_git_repo, tmp_path):
    root = make_git_repo([("2026-01-05T10:00:00", {"alembic/versions/a1.py": migration("a1")})])
    site = tmp_path / "site"
    result = build(root, site)
    assert names_of(site) == ["dev"]
    assert {p.name for p in site.iterdir() if p.is_dir()} == {"dev"}
    assert redirect_target(site / "index.html") == "dev/"
    assert result.notes == ("no release tag matches 'v*': only dev was built",)


def test_a_tag_pattern_that_matches_nothing_builds_only_dev(make_git_repo, tmp_path, capsys):
    root = make_git_repo(
        [("2026-01-05T10:00:00", {"alembic/versions/a1.py": migration("a1")})], tags={"v1": 0}
    )
    site = tmp_path / "site"
    assert cli(root, "--site-dir", site, "--versions", "--tag-pattern", "release-*") == 0
    assert names_of(site) == ["dev"]
    assert "no release tag matches 'release-*'" in capsys.readouterr().err


def test_the_tag_pattern_comes_from_the_configuration(make_git_repo, tmp_path):
    files = {
        "alembic/versions/a1.py": migration("a1"),
        "govsite.toml": 'tag_pattern = "release-*"\n',
    }
    root = make_git_repo(
        [("2026-01-05T10:00:00", files)], tags={"release-1": 0, "v9": 0}
    )
    site = tmp_path / "site"
    build(root, site)
    assert names_of(site) == ["dev", "release-1"]


def test_tag_pattern_without_versions_is_a_usage_error(make_git_repo, tmp_path, capsys):
    root = make_git_repo([("2026-01-05T10:00:00", {"alembic/versions/a1.py": migration("a1")})])
    assert cli(root, "--site-dir", tmp_path / "site", "--tag-pattern", "v*") == 2
    assert "--tag-pattern needs --versions" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_files_shared_by_versions_are_parsed_once(make_git_repo, tmp_path):
    a1, b2 = migration("a1"), migration("b2", "a1")
    c3 = migration("c3", "b2")
    root = make_git_repo(
        [
            ("2026-01-05T10:00:00", {"alembic/versions/a1.py": a1}),
            ("2026-02-05T10:00:00", {"alembic/versions/b2.py": b2}),
            ("2026-03-05T10:00:00", {"alembic/versions/c3.py": c3}),
        ],
        tags={"v1": 0, "v2": 1, "v3": 2},
    )
    result = build(root, tmp_path / "site")
    assert result.cache is not None, "load_repository takes no parse cache"
    # dev parses a1, b2 and c3; v1, v2 and v3 find all their 1 + 2 + 3 files already parsed.
    assert (result.cache.misses, result.cache.hits) == (3, 6)
    assert result.git_processes == 1 + 2 * 3  # where the root is, then two per release
    assert [v.name for v in result.versions] == ["dev", "v3", "v2", "v1"]


def test_a_failing_working_tree_leaves_the_previous_output_untouched(
    make_git_repo, tmp_path, capsys
):
    root = make_git_repo(
        [("2026-01-05T10:00:00", {"alembic/versions/a1.py": migration("a1")})], tags={"v1": 0}
    )
    site = tmp_path / "site"
    assert cli(root, "--site-dir", site, "--versions") == 0
    before = tree_digest(site)
    capsys.readouterr()
    (root / "alembic" / "versions" / "b2.py").write_text(migration("b2", "a1", header=""))
    assert cli(root, "--site-dir", site, "--versions") == 1
    err = capsys.readouterr().err
    assert "alembic/versions/b2.py:1: GOV501" in err
    assert f"{site} left unchanged" in err
    assert tree_digest(site) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gitrepo0", "site"]  # no leftovers


def test_findings_in_a_release_are_published_not_enforced(make_git_repo, tmp_path, capsys):
    root = make_git_repo(
        [
            ("2026-01-05T10:00:00", {"alembic/versions/a1.py": migration("a1", header="")}),
            ("2026-02-05T10:00:00", {"alembic/versions/a1.py": migration("a1")}),
        ],
        tags={"v1": 0},
    )
    site = tmp_path / "site"
    assert cli(root, "--site-dir", site, "--versions") == 0
    assert "v1 (latest)" in capsys.readouterr().err
    report = (site / "v1" / "governance" / "report" / "index.html").read_text(encoding="utf-8")
    assert "GOV501" in report
    dev_report = (site / "dev" / "governance" / "report" / "index.html").read_text(encoding="utf-8")
    assert "GOV501" not in dev_report


def test_a_release_takes_its_dates_from_history_walked_from_its_tag(make_git_repo, tmp_path):
    changed = migration("a1", downgrade='op.drop_column("accounts", "note")  # reversible')
    root = make_git_repo(
        [
            ("2026-01-05T10:00:00", {"alembic/versions/a1.py": migration("a1")}),
            ("2026-02-07T10:00:00", {"alembic/versions/a1.py": changed}),
        ],
        tags={"v1": 0},
    )
    site = tmp_path / "site"
    build(root, site)
    page = "governance/migrations/a1/index.html"
    release = (site / "v1" / page).read_text(encoding="utf-8")
    dev = (site / "dev" / page).read_text(encoding="utf-8")
    assert "2026-02-07" not in release and "2026-01-05" in release
    assert "2026-02-07" in dev


def test_a_release_uses_its_own_configuration(make_git_repo, tmp_path):
    root = make_git_repo(
        [
            ("2026-01-05T10:00:00", {"alembic/versions/a1.py": migration("a1"),
                                     "govsite.toml": 'site_name = "Ledger governance"\n'}),
            ("2026-02-05T10:00:00", {"govsite.toml": 'site_name = "Billing governance"\n'}),
            ("2026-03-05T10:00:00", {"govsite.toml": "site_name = [broken\n"}),
        ],
        tags={"v1": 0, "v3": 2},
    )
    (root / "govsite.toml").write_text('site_name = "Billing governance"\n')  # dev is fine
    site = tmp_path / "site"
    result = build(root, site)
    assert "<title>Ledger governance</title>" in (site / "v1" / "index.html").read_text()
    assert "<title>Billing governance</title>" in (site / "dev" / "index.html").read_text()
    assert "<title>Migration governance</title>" in (site / "v3" / "index.html").read_text()
    assert len(result.notes) == 1 and result.notes[0].startswith("v3: configuration error (v3/")


def test_a_subfolder_root_reads_each_release_from_its_own_folder(make_git_repo, tmp_path):
    root = make_git_repo(
        [
            ("2026-01-05T10:00:00", {"README.md": "monorepo\n"}),
            ("2026-02-05T10:00:00", {"services/db/alembic/versions/a1.py": migration("a1"),
                                     "alembic/versions/z9.py": migration("z9")}),
        ],
        tags={"v0": 0, "v1": 1},
    )
    site = tmp_path / "site"
    result = build(root / "services" / "db", site)
    assert names_of(site) == ["dev", "v1"]
    assert (site / "v1" / "governance" / "migrations" / "a1" / "index.html").is_file()
    assert not (site / "v1" / "governance" / "migrations" / "z9").exists()
    assert result.notes[0].startswith("v0: skipped, git has no folder 'services/db/'")


def test_a_tag_that_cannot_name_a_folder_is_skipped(make_git_repo, tmp_path):
    root = make_git_repo(
        [("2026-01-05T10:00:00", {"alembic/versions/a1.py": migration("a1")})],
        tags={"v2/rc": 0, "v1": 0},
    )
    site = tmp_path / "site"
    result = build(root, site)
    assert names_of(site) == ["dev", "v1"]
    assert result.notes == ("v2/rc: skipped, the tag cannot name a version folder",)


# --------------------------------------------------------------------------- reading git objects


def test_export_writes_committed_bytes_in_two_git_processes(make_git_repo, tmp_path):
    files = {f"docs/adr/{n:04d}-decision.md": f"# Decision {n}\n" for n in range(60)}
    files["alembic/versions/odd name é.py"] = migration("a1")
    files["alembic/versions/same.py"] = migration("a1")  # same blob as above: written twice
    files["data.bin"] = bytes(range(256)) * 100
    root = make_git_repo([("2026-01-05T10:00:00", files)], tags={"v1": 0})
    repo = git.Repo(root)
    os.symlink("/etc/passwd", root / "link")
    repo.index.add(["link"])
    repo.index.commit("a symlink")
    repo.create_tag("v2")
    runner, dest = GitRunner(root), tmp_path / "tree"
    dest.mkdir()
    written = export_tree(runner, repo.tags["v2"].commit.hexsha, "", dest)
    assert runner.processes == 2
    assert set(written) == set(files)
    assert {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()} == set(files)
    assert (dest / "data.bin").read_bytes() == files["data.bin"]
    assert (dest / "alembic/versions/odd name é.py").read_text() == migration("a1")
    assert not (dest / "link").exists() and not (dest / "link").is_symlink()


def test_export_streams_thousands_of_files_without_waiting_on_a_full_pipe(tmp_path):
    root = tmp_path / "big"
    # 2,000 object names (82 kB) and their contents: more than either pipe holds
    files = {
        f"docs/adr/{n:05d}-decision.md": f"# Decision {n}\n" * (n % 7 + 1) for n in range(2000)
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    for command in (["init", "-q", "-b", "main"], ["add", "-A"],
                    ["-c", "user.name=A", "-c", "user.email=a@example.com", "commit", "-qm", "x"]):
        subprocess.run(["git", *command], cwd=root, check=True)
    runner, dest = GitRunner(root), tmp_path / "tree"
    assert len(export_tree(runner, "HEAD", "", dest)) == len(files)
    assert runner.processes == 2
    assert all((dest / rel).read_text() == text for rel, text in files.items())


def test_redirect_page_escapes_its_target():
    page = redirect_page('../x"><script>alert(1)</script>/')
    assert "<script>alert" not in page
    assert page.count('href="../x%22%3E%3Cscript%3Ealert(1)%3C/script%3E/"') == 2


# --------------------------------------------------------------------------- in the browser


@pytest.mark.browser
def test_version_selector_lists_every_version_and_switches(example):
    _, site, result, _, _ = example
    assert result.returncode == 0, result.stderr
    with serve_directory(site) as url, chromium_browser() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        watch = PageWatch.attach(page)
        page.goto(url)
        page.wait_for_url(url + "v2.0.0/")  # index.html -> latest/ -> v2.0.0/, by script
        page.wait_for_load_state("networkidle")
        current = page.locator(".md-version__current")
        current.wait_for(state="attached")
        assert current.inner_text().strip() == "v2.0.0"
        links = page.locator(".md-version__link")
        assert [t.strip() for t in links.all_text_contents()] == [
            "dev", "v2.0.0", "v1.1.0", "v1.0.0"
        ]
        page.locator(".md-version").hover()
        page.locator(".md-version__link", has_text="dev").click()
        page.wait_for_url(url + "dev/")
        page.wait_for_load_state("networkidle")
        assert page.locator(".md-version__current").inner_text().strip() == "dev"
        assert watch.problems() == []
        context.close()


def test_a_regular_expression_given_as_tag_pattern_is_refused_like_in_the_configuration(
    make_git_repo, tmp_path, capsys
):
    """`v\\d+` matches no git tag (a tag name holds no backslash): it built only dev, in silence."""
    root = make_git_repo([("2026-01-05T09:00:00Z", {"alembic/versions/a1.py": migration("a1")})], tags={"v1": 0})
    assert cli(root, "--site-dir", tmp_path / "site", "--versions", "--tag-pattern", "v\\d+") == 2
    assert "--tag-pattern" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_a_configuration_outside_the_repository_applies_to_every_release(make_git_repo, tmp_path, capsys):
    """A CI job's `--config` kept beside the checkout was ignored for releases: they were built
    with the defaults, found no migration in the team's own layout, and said nothing."""
    root = make_git_repo(
        [("2026-01-05T10:00:00", {"db/migrations/versions/a1.py": migration("a1")})], tags={"v1": 0}
    )
    outside = tmp_path / "ci-govsite.toml"
    outside.write_text('migrations = ["db/migrations/versions"]\n', encoding="utf-8")
    site = tmp_path / "site"
    assert cli(root, "--site-dir", site, "--versions", "--config", outside) == 0
    assert names_of(site) == ["dev", "v1"]
    for version in ("dev", "v1"):
        assert (site / version / "governance" / "migrations" / "a1" / "index.html").is_file(), version


def test_a_release_without_the_named_configuration_file_says_so(make_git_repo, tmp_path, capsys):
    root = make_git_repo([
        ("2026-01-05T10:00:00", {"alembic/versions/a1.py": migration("a1")}),
        ("2026-01-06T10:00:00", {"ci/govsite.toml": 'fail_on = "warning"\n'}),
    ], tags={"v1": 0})
    site = tmp_path / "site"
    assert cli(root, "--site-dir", site, "--versions", "--config", root / "ci" / "govsite.toml") == 0
    assert "v1: has no ci/govsite.toml; read with the configuration of the working tree" in (
        capsys.readouterr().err
    )
    assert "configuration of the working tree" in (site / "v1" / "governance" / "index.html").read_text()
