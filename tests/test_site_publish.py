"""What `govsite build` publishes: its own pages, the policy documents, the docs folder only when
asked; one navigation order shared with the plugin; folders and files a web server can read."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from conftest import govsite, migration

from generator.site.pages import INDEX_PAGES

RUNBOOK = "# Runbook: migrations\n\n**Status**: Approved\n**Next Review**: 2099-01-01\n\nSee [change control](../../db/schema/CHANGE_CONTROL.md).\n"
CHANGE_CONTROL = "# Schema change control\n\n**Status**: Approved\n**Next Review**: 2099-01-01\n"


def _repository(make_repo, **extra: str) -> Path:
    return make_repo({
        "alembic/versions/a1.py": migration("a1"),
        "docs/ops/RUNBOOK-migrations.md": RUNBOOK,
        "db/schema/CHANGE_CONTROL.md": CHANGE_CONTROL,
        "docs/guide/index.md": "# Team guide\n\nUnrelated to governance.\n",
        "docs/mkdocs-internal.yml": "site_name: the team's own site\n",
        **extra,
    })


def _nav_titles(page: Path) -> list[str]:
    """The titles of the primary navigation's links, in order (each once)."""
    html = page.read_text(encoding="utf-8")
    primary = html.split('data-md-level="0"', 1)[1]
    entries = re.findall(
        r'<(a|label) (?:href="([^"]*)" )?class="md-nav__link[^"]*"[^>]*>(.*?)</\1>', primary, re.S
    )
    titles = [
        re.sub(r"<[^>]+>|\s+", " ", text).strip()
        for _, href, text in entries
        if not href.startswith("#")  # the current page's table of contents
    ]
    seen: list[str] = []
    for title in titles:
        if title not in seen:
            seen.append(title)
    return seen


def test_build_publishes_governance_pages_and_policy_documents_but_not_the_docs(make_repo, no_outer_repository, tmp_path):
    repo = _repository(make_repo)
    site = tmp_path / "site"
    result = govsite("build", str(repo), "--site-dir", str(site))
    assert result.returncode == 0, result.stderr
    assert (site / "governance" / "index.html").is_file()
    assert (site / "docs" / "ops" / "RUNBOOK-migrations" / "index.html").is_file()
    assert (site / "db" / "schema" / "CHANGE_CONTROL" / "index.html").is_file()
    assert not list(site.rglob("guide")), "the team's own docs were published without --with-docs"
    assert not list(site.rglob("mkdocs-internal.yml"))
    # the policy documents link to each other as in the repository
    runbook = (site / "docs" / "ops" / "RUNBOOK-migrations" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../../db/schema/CHANGE_CONTROL/"' in runbook


def test_with_docs_publishes_the_docs_folder_but_not_its_site_configuration(make_repo, no_outer_repository, tmp_path):
    repo = _repository(make_repo)
    site = tmp_path / "site"
    result = govsite("build", str(repo), "--site-dir", str(site), "--with-docs")
    assert result.returncode == 0, result.stderr
    assert (site / "guide" / "index.html").is_file()
    assert (site / "ops" / "RUNBOOK-migrations" / "index.html").is_file()
    assert not list(site.rglob("mkdocs-internal.yml")), "a docs folder's mkdocs-*.yml was published"
    assert "Documentation" in _nav_titles(site / "governance" / "index.html")


def test_docs_dir_in_the_configuration_publishes_that_folder(make_repo, no_outer_repository, tmp_path):
    repo = _repository(make_repo, **{"govsite.toml": 'docs_dir = "docs"\n'})
    site = tmp_path / "site"
    assert govsite("build", str(repo), "--site-dir", str(site)).returncode == 0
    assert (site / "guide" / "index.html").is_file()


def test_docs_dir_naming_no_folder_is_a_configuration_error(make_repo, no_outer_repository, tmp_path):
    repo = _repository(make_repo, **{"govsite.toml": 'docs_dir = "handbook"\n'})
    result = govsite("build", str(repo), "--site-dir", str(tmp_path / "site"))
    assert result.returncode == 2
    assert "docs_dir 'handbook'" in result.stderr and "Traceback" not in result.stderr


def test_build_navigation_is_the_plugin_order_then_the_policy_documents(make_repo, no_outer_repository, tmp_path):
    repo = _repository(make_repo)
    site = tmp_path / "site"
    assert govsite("build", str(repo), "--site-dir", str(site)).returncode == 0
    titles = _nav_titles(site / "governance" / "rules" / "index.html")
    expected = [title for title, _ in INDEX_PAGES] + ["Schema change control", "Runbook: migrations"]
    assert titles[: len(expected)] == expected


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_published_site_has_the_usual_permissions(make_repo, no_outer_repository, tmp_path):
    repo = _repository(make_repo)
    site = tmp_path / "site"
    previous = os.umask(0o022)
    try:
        result = govsite("build", str(repo), "--site-dir", str(site))
    finally:
        os.umask(previous)
    assert result.returncode == 0, result.stderr
    wrong = []
    for path in [site, *site.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        wanted = 0o755 if path.is_dir() else 0o644
        if mode != wanted:
            wrong.append(f"{oct(mode)} {path.relative_to(tmp_path)}")
    assert not wrong, wrong[:10]
