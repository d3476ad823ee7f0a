"""`examples/make_history.py` turns the example into a git repository whose history the
history-based features can rely on: migrations added at their MIGRATION_ID time, emergency
migrations within 24 hours, release tags, and the same SHAs on every run."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import git
import pytest

from conftest import EXAMPLE, ROOT

MAKE_HISTORY = ROOT / "examples" / "make_history.py"
MIGRATIONS = sorted((EXAMPLE / "alembic" / "versions").glob("*.py"))
ADRS = sorted((EXAMPLE / "docs" / "adr").glob("*.md"))
# Commits that are neither a migration nor a new ADR: the initial commit, CI, govsite.toml,
# five runbook versions, three change-control versions, the ingestion contract, two RLS
# contract versions, the retention page, two ADR status changes, and the exceptions register
# (started empty, then one commit per record).
OTHER_COMMITS = 20


def make_history(dest: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(MAKE_HISTORY), "--dest", str(dest), *options],
        capture_output=True, text=True,
    )


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> git.Repo:
    dest = tmp_path_factory.mktemp("history") / "example-repo"
    result = make_history(dest)
    assert result.returncode == 0, result.stderr
    repo = git.Repo(dest)
    yield repo
    repo.close()


def header(path: Path) -> dict[str, str]:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return dict(re.findall(r"^([A-Z_]+): (.+)$", docstring, re.M))


def migration_time(path: Path) -> datetime:
    stamp = header(path)["MIGRATION_ID"]
    return datetime.strptime(stamp, "%Y%m%d%H%M").replace(tzinfo=timezone.utc)


def added_at(repo: git.Repo) -> dict[str, datetime]:
    """When each file was first added, from one `git log` run."""
    log = repo.git.log("--reverse", "--diff-filter=A", "--name-only", "--format=@%aI")
    added: dict[str, datetime] = {}
    when = None
    for line in log.splitlines():
        if line.startswith("@"):
            when = datetime.fromisoformat(line[1:])
        elif line:
            added.setdefault(line, when)
    return added


def test_release_tags_exist_and_later_ones_hold_more_migrations(history):
    tags = sorted(history.tags, key=lambda t: t.commit.committed_date)
    assert [t.name for t in tags] == ["v1.0.0", "v1.1.0", "v2.0.0"]
    counts = [
        sum(1 for b in t.commit.tree["alembic/versions"].blobs if b.name.endswith(".py"))
        for t in tags
    ]
    assert counts == sorted(counts) and len(set(counts)) == 3
    assert counts[-1] < len(MIGRATIONS)  # work continued after the last release


def test_one_commit_per_migration_and_per_adr_plus_the_documents(history):
    commits = list(history.iter_commits("main"))
    assert len(commits) == len(MIGRATIONS) + len(ADRS) + OTHER_COMMITS
    authors = {c.author.name for c in commits}
    assert len(authors) >= 5


def test_each_migration_is_added_at_its_migration_id_time(history):
    added = added_at(history)
    for migration in MIGRATIONS:
        rel = migration.relative_to(EXAMPLE).as_posix()
        assert added[rel] == migration_time(migration), rel


def test_retroactive_migrations_land_within_24_hours_of_their_emergency(history):
    register = (EXAMPLE / "db" / "schema" / "EXCEPTIONS.md").read_text(encoding="utf-8")
    emergencies = re.findall(
        r"^## Emergency Change: (\S+)\s*\n+\*\*Incident\*\*: (\S+)", register, re.M
    )
    assert len(emergencies) >= 2
    added = added_at(history)
    for stamp, incident in emergencies:
        changed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        (migration,) = [m for m in MIGRATIONS if header(m).get("INCIDENT") == incident]
        landed = added[migration.relative_to(EXAMPLE).as_posix()]
        assert timedelta(0) < landed - changed <= timedelta(hours=24), incident


def test_history_ends_with_the_example_exactly(history):
    tracked = set(history.git.ls_files().splitlines())
    expected = {
        p.relative_to(EXAMPLE).as_posix()
        for p in EXAMPLE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".db")
    }
    assert tracked == expected
    assert not history.is_dirty(untracked_files=True)


def test_policy_documents_have_earlier_versions_in_history(history):
    runbook = "docs/database/RUNBOOK-MIGRATION-POLICY.md"
    first = history.git.show(f"v1.0.0:{runbook}")
    assert "**Version:** 1.0" in first and "**Next Review:** 2026-01-15" in first
    adr = "docs/adr/ADR-012-record-ad-spend-as-decimal-amounts.md"
    assert "## Status\n\nAccepted\n" in history.git.show(f"v1.1.0:{adr}")
    assert "Superseded by ADR-021" in history.git.show(f"v2.0.0:{adr}")


def test_same_input_gives_the_same_commits_and_force_recreates(history, tmp_path):
    dest = tmp_path / "again"
    assert make_history(dest).returncode == 0
    with git.Repo(dest) as repo:
        assert repo.head.commit.hexsha == history.head.commit.hexsha
        assert {t.name: t.tag.hexsha for t in repo.tags} == {
            t.name: t.tag.hexsha for t in history.tags
        }

    refused = make_history(dest)
    assert refused.returncode == 2
    assert "--force" in refused.stderr

    assert make_history(dest, "--force").returncode == 0
    with git.Repo(dest) as repo:
        assert repo.head.commit.hexsha == history.head.commit.hexsha


def test_help_explains_the_default_destination():
    result = subprocess.run(
        [sys.executable, str(MAKE_HISTORY), "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "build/example-repo" in result.stdout and "--force" in result.stdout
