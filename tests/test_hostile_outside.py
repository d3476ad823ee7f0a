"""Every read stays inside the repository: linked folders, the docs folder, and git's own reads.

Each test reproduces a way a repository (or its `.git/config`) could make govsite read or
publish a file from elsewhere on the machine; the outside files hold MARKER, which must never
reach a report, a page or a built site.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import govsite, migration, write_files

MARKER = "OUTSIDE-NAME-5d1e0b"  # lives only outside the repositories
VERSIONS = "alembic/versions"
ADR = "docs/adr/ADR-001-linked.md"
ADR_TEXT = "# ADR-001: Linked\n\n## Status\n\nAccepted\n\n## Context\n\nText.\n"
AUTHOR = "Dana Reviewer <dana@example.com>"


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder beside the repositories holding MARKER in every kind of input."""
    folder = tmp_path / "outside"
    write_files(folder, {
        "versions/z9.py": migration("z9", header=f"MIGRATION_ID: 1\nTITLE: {MARKER}\n"),
        "db/alembic/versions/z9.py": migration("z9", header=f"MIGRATION_ID: 1\nTITLE: {MARKER}\n"),
        "adr/ADR-009-secret.md": f"# ADR-009: {MARKER}\n\n## Status\n\nAccepted\n",
        "schema/EXCEPTIONS.md": f"# {MARKER}\n",
        "schema/CHANGE_CONTROL.md": f"# {MARKER}\n",
        "workflows/deploy.yml": f"name: {MARKER}\non: push\njobs: {{}}\n",
        "docs/index.md": f"# {MARKER}\n",
        "docs/secret.md": f"# {MARKER}\n",
        "mailmap": f"{MARKER} <dana@example.com>\n",
    })
    return folder


def link(repo: Path, rel: str, target: Path) -> None:
    (repo / rel).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, repo / rel)


def validate(repo: Path) -> tuple[int, dict]:
    result = govsite("validate", str(repo), "--format", "json")
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert MARKER not in result.stdout + result.stderr
    return result.returncode, json.loads(result.stdout)


def findings_at(report: dict, rule: str, path: str) -> list[str]:
    return [f["message"] for f in report["findings"] if (f["rule"], f["path"]) == (rule, path)]


def files_containing(folder: Path, text: str) -> list[str]:
    needle = text.encode()
    return sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*")
        if p.is_file() and needle in p.read_bytes()
    )


# --------------------------------------------------------------------------- linked folders


@pytest.mark.parametrize("versions, settings", [
    ("alembic/versions", ""),  # alembic.ini's default location
    ("db/revisions", 'migrations = ["db/revisions"]\n'),  # a configured folder
    ("db/revisions", 'migrations = ["db/revisions/*.py"]\n'),  # a configured glob
])
def test_versions_folder_linked_outside_is_a_finding_not_zero_migrations(
    make_repo, outside, versions, settings
):
    repo = make_repo({"alembic.ini": "[alembic]\nscript_location = alembic\n", "govsite.toml": settings})
    link(repo, versions, outside / "versions")
    status, report = validate(repo)
    assert status == 1
    messages = findings_at(report, "GOV802", versions)
    assert messages and "outside the repository" in messages[0]


def test_versions_folder_linked_outside_from_a_subfolder(make_repo, outside):
    """The link is one folder above the versions folder alembic.ini names."""
    repo = make_repo({"alembic.ini": "[alembic]\nscript_location = db/alembic\n"})
    link(repo, "db", outside / "db")
    status, report = validate(repo)
    assert status == 1 and findings_at(report, "GOV802", "db")


@pytest.mark.parametrize("rel, target", [
    ("docs/adr", "adr"),
    ("db/schema", "schema"),  # the register and CHANGE_CONTROL.md
    (".github/workflows", "workflows"),
    ("db/schema/EXCEPTIONS.md", "schema/EXCEPTIONS.md"),
    (".gitlab-ci.yml", "workflows/deploy.yml"),
])
def test_input_folder_or_file_linked_outside_is_a_finding(make_repo, outside, rel, target):
    repo = make_repo({f"{VERSIONS}/a1.py": migration("a1")})
    link(repo, rel, outside / target)
    status, report = validate(repo)
    assert status == 1
    messages = findings_at(report, "GOV804", rel)
    assert messages and all("outside the repository" in m for m in messages)


def test_versions_folder_linked_inside_the_repository_still_works(make_repo):
    repo = make_repo({"db/revisions/a1.py": migration("a1")})
    link(repo, "alembic/versions", Path("../db/revisions"))
    status, report = validate(repo)
    assert status == 0, report["findings"]
    assert report["summary"]["migrations"] == 1


# --------------------------------------------------------------------------- the docs folder


# no reader looks into docs/ then: only where the site takes its docs from can refuse it
ADRS_ELSEWHERE = 'adrs = ["architecture/*.md"]\npolicies = ["db/schema/CHANGE_CONTROL.md"]\n'


def test_docs_folder_linked_outside_fails_the_build_naming_it(make_repo, outside, tmp_path):
    repo = make_repo({f"{VERSIONS}/a1.py": migration("a1"), "govsite.toml": ADRS_ELSEWHERE})
    link(repo, "docs", outside / "docs")
    site = tmp_path / "site"
    result = govsite("build", str(repo), "--site-dir", str(site))
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode != 0
    assert "docs" in result.stderr and "outside the repository" in result.stderr
    assert not site.exists() or files_containing(site, MARKER) == []


def test_folder_inside_docs_linked_outside_is_not_published(make_repo, outside, tmp_path):
    repo = make_repo({
        f"{VERSIONS}/a1.py": migration("a1"), "docs/index.md": "# Home\n", "govsite.toml": ADRS_ELSEWHERE,
    })
    link(repo, "docs/shared", outside / "docs")
    site = tmp_path / "site"
    result = govsite("build", str(repo), "--site-dir", str(site))
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 1 and "shared/secret.md" in result.stderr
    assert not site.exists() or files_containing(site, MARKER) == []


def test_own_mkdocs_yml_with_docs_linked_outside_publishes_nothing_from_there(
    make_repo, outside, tmp_path
):
    repo = make_repo({
        f"{VERSIONS}/a1.py": migration("a1"),
        "govsite.toml": ADRS_ELSEWHERE,
        "mkdocs.yml": "site_name: Linked\nplugins:\n  - governance:\n      repository: .\n",
    })
    link(repo, "docs", outside / "docs")
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(repo / "mkdocs.yml"), "-d", str(site)],
        cwd=repo, capture_output=True, text=True, timeout=300,
    )
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode != 0 and "docs" in result.stderr
    assert not site.exists() or files_containing(site, MARKER) == []
