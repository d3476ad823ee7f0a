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


def test_register_behind_a_folder_linked_outside_is_a_finding_even_when_absent_there(make_repo, tmp_path):
    repo = make_repo({f"{VERSIONS}/a1.py": migration("a1")})
    (tmp_path / "empty").mkdir()
    link(repo, "db", tmp_path / "empty")
    status, report = validate(repo)
    assert status == 1 and findings_at(report, "GOV804", "db/schema/EXCEPTIONS.md"), report["findings"]


def test_versions_folder_linked_outside_and_missing_there_is_named(make_repo, tmp_path):
    repo = make_repo({"alembic.ini": "[alembic]\nscript_location = db/alembic\n"})
    link(repo, "db", tmp_path / "nowhere")
    status, report = validate(repo)
    assert status == 1 and findings_at(report, "GOV802", "db"), report["findings"]


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
    result = govsite("build", str(repo), "--site-dir", str(site), "--with-docs")
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
    result = govsite("build", str(repo), "--site-dir", str(site), "--with-docs")
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


def test_docs_folder_linked_inside_the_repository_is_published(make_repo, tmp_path):
    repo = make_repo({
        f"{VERSIONS}/a1.py": migration("a1"), "documentation/notes.md": "# Notes\n\nINSIDE-NOTE\n",
        "govsite.toml": ADRS_ELSEWHERE,
    })
    link(repo, "docs", Path("documentation"))
    site = tmp_path / "site"
    result = govsite("build", str(repo), "--site-dir", str(site), "--with-docs")
    assert result.returncode == 0, result.stderr[-3000:]
    assert files_containing(site, "INSIDE-NOTE")


# --------------------------------------------------------------------------- what git reads


@pytest.fixture
def adr_repo(make_git_repo, no_outer_repository):
    """A git repository whose one ADR was committed by AUTHOR."""
    return make_git_repo([("2026-01-05T10:00:00", {f"{VERSIONS}/a1.py": migration("a1"), ADR: ADR_TEXT})])


def adr_pages(repo: Path, out: Path) -> str:
    result = govsite("generate", str(repo), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    pages = sorted((out / "governance").rglob("*.md"))
    return "\n".join(p.read_text(encoding="utf-8") for p in pages if "adr" in p.as_posix().lower())


def git_config(repo: Path, *setting: str) -> None:
    subprocess.run(["git", "config", *setting], cwd=repo, check=True)


def test_mailmap_file_named_in_git_config_is_not_read(adr_repo, outside, tmp_path):
    git_config(adr_repo, "mailmap.file", str(outside / "mailmap"))
    pages = adr_pages(adr_repo, tmp_path / "out")
    assert "Dana Reviewer" in pages  # the history was read, with the author as committed
    assert MARKER not in pages
    status, _ = validate(adr_repo)
    assert status == 0


def test_mailmap_blob_named_in_git_config_is_not_read(adr_repo, tmp_path):
    blob = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"], cwd=adr_repo, input=f"{MARKER} <dana@example.com>\n",
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    git_config(adr_repo, "mailmap.blob", blob)
    assert MARKER not in adr_pages(adr_repo, tmp_path / "out")


def test_config_include_outside_is_a_finding_and_git_is_not_run_on_it(adr_repo, outside, tmp_path):
    included = outside / "gitconfig"
    included.write_text(f"[mailmap]\n\tfile = {outside / 'mailmap'}\n", encoding="utf-8")
    git_config(adr_repo, "include.path", str(included))
    git_config(adr_repo, "includeIf.gitdir:/.path", str(included))
    status, report = validate(adr_repo)
    assert status == 1
    messages = findings_at(report, "GOV804", ".git/config")
    assert len(messages) == 2 and all(str(included) in m for m in messages), report["findings"]
    assert MARKER not in adr_pages(adr_repo, tmp_path / "out")


def test_config_include_outside_through_an_include_inside(adr_repo, outside, tmp_path):
    """An include inside the git folder is read, and what it includes checked in turn."""
    (outside / "gitconfig").write_text(f"[mailmap]\n\tfile = {outside / 'mailmap'}\n", encoding="utf-8")
    (adr_repo / ".git" / "team.config").write_text(
        f'[include]\n\tpath = "{outside / "gitconfig"}"\n', encoding="utf-8"
    )
    git_config(adr_repo, "include.path", "team.config")
    status, report = validate(adr_repo)
    assert status == 1 and findings_at(report, "GOV804", ".git/team.config"), report["findings"]
    assert MARKER not in adr_pages(adr_repo, tmp_path / "out")


def test_config_include_inside_the_git_folder_is_followed(adr_repo, tmp_path):
    (adr_repo / ".git" / "team.config").write_text("[log]\n\tdate = iso\n", encoding="utf-8")
    git_config(adr_repo, "include.path", "team.config")
    status, report = validate(adr_repo)
    assert status == 0, report["findings"]
    assert "Dana Reviewer" in adr_pages(adr_repo, tmp_path / "out")


def test_mailmap_linked_outside_is_not_followed(make_git_repo, no_outer_repository, outside, tmp_path):
    repo = make_git_repo([("2026-01-05T10:00:00", {f"{VERSIONS}/a1.py": migration("a1"), ADR: ADR_TEXT})])
    os.symlink(outside / "mailmap", repo / ".mailmap")
    pages = adr_pages(repo, tmp_path / "out")
    assert "Dana Reviewer" in pages and MARKER not in pages


def test_repository_mailmap_still_applies(make_git_repo, no_outer_repository, tmp_path):
    mailmap = (
        "# who is who\n"
        "Dana Q. Reviewer <dana@example.com>\n"
        "Lee Author <lee@example.com> <LEE@old.example.com>\n"
        "Kim Right <kim@example.com> Kim Wrong <kim@old.example.com>\n"
    )
    repo = make_git_repo(
        [
            ("2026-01-05T10:00:00", {f"{VERSIONS}/a1.py": migration("a1"), ADR: ADR_TEXT, ".mailmap": mailmap}),
            ("2026-01-06T10:00:00", {"docs/adr/ADR-002-lee.md": ADR_TEXT.replace("001: Linked", "002: Lee")}),
            ("2026-01-07T10:00:00", {"docs/adr/ADR-003-kim.md": ADR_TEXT.replace("001: Linked", "003: Kim")}),
            ("2026-01-08T10:00:00", {"docs/adr/ADR-004-other.md": ADR_TEXT.replace("001: Linked", "004: Ot")}),
        ],
        authors={1: "Lee Old <lee@old.example.com>", 2: "Kim Wrong <kim@old.example.com>",
                 3: "Kim Other <kim@old.example.com>"},
    )
    pages = adr_pages(repo, tmp_path / "out")
    assert "Dana Q. Reviewer" in pages and "Lee Author" in pages and "Kim Right" in pages
    assert "Kim Other" in pages  # the name-specific entry maps only that name
    assert "Lee Old" not in pages and "Kim Wrong" not in pages


def test_versioned_build_reads_nothing_git_config_points_outside(adr_repo, outside, tmp_path):
    subprocess.run(["git", "tag", "v1"], cwd=adr_repo, check=True)
    git_config(adr_repo, "mailmap.file", str(outside / "mailmap"))
    site = tmp_path / "site"
    result = govsite("build", str(adr_repo), "--versions", "--site-dir", str(site))
    assert result.returncode == 0, result.stderr[-3000:]
    assert files_containing(site / "v1", "Dana Reviewer")
    assert files_containing(site, MARKER) == []


@pytest.mark.parametrize("written", [
    "[include] path = {target}",  # a key on the section's own line
    '[includeIf "gitdir:~/work/"]\n\tpath = "{target}" ; a comment',
    "[Include]\n\tPATH = {head}\\\n{tail}",  # names in any case, a value continued
    "[include]\n\tpath = ~/{name}",  # the user's home
])
def test_every_way_of_writing_an_include_outside_is_found(adr_repo, outside, written):
    from generator.sources.git_access import outside_includes
    from generator.sources.history import read_history

    target = str(outside / "gitconfig")
    text = written.format(target=target, head=target[:5], tail=target[5:], name="gitconfig")
    with open(adr_repo / ".git" / "config", "a", encoding="utf-8") as config:
        config.write("\n" + text + "\n")
    findings = outside_includes(adr_repo)
    assert len(findings) == 1 and findings[0].location.path == ".git/config", findings
    assert findings[0].location.line > 1
    history = read_history(adr_repo, [ADR])
    assert history.status == "unavailable" and history.git_processes == 0


def fake_home(tmp_path: Path, outside: Path) -> dict[str, str]:
    """A HOME (and XDG folder) whose git configuration points at MARKER, as a user's might."""
    home = tmp_path / "home"
    settings = f"[mailmap]\n\tfile = {outside / 'mailmap'}\n[core]\n\tattributesFile = {outside / 'attributes'}\n"
    write_files(home, {".gitconfig": settings, ".config/git/config": settings, ".config/git/attributes": "* diff\n"})
    (outside / "attributes").write_text("* diff\n", encoding="utf-8")
    return {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}


def test_user_and_environment_git_configuration_is_not_read(adr_repo, outside, tmp_path):
    environment = {
        **fake_home(tmp_path, outside),
        "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "mailmap.file",
        "GIT_CONFIG_VALUE_0": str(outside / "mailmap"),
    }
    result = govsite("generate", str(adr_repo), "--out", str(tmp_path / "out"), env=environment)
    assert result.returncode == 0, result.stderr[-3000:]
    pages = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").rglob("*.md"))
    assert "Dana Reviewer" in pages and MARKER not in pages


def test_git_opens_no_file_outside_the_repository(adr_repo, outside, tmp_path):
    """Every file the git processes of a versioned build open, seen by strace: none lies in the
    test's folder outside the repository (the outside files, the user's configuration).

    Left out: the `git version` gitpython runs once when imported, to learn what git it has;
    it reads the usual configuration, but it reads no repository and prints only the version.
    """
    if subprocess.run(["strace", "-o", os.devnull, "true"], capture_output=True).returncode != 0:
        pytest.skip("strace cannot trace here")
    subprocess.run(["git", "tag", "v1"], cwd=adr_repo, check=True)
    git_config(adr_repo, "mailmap.file", str(outside / "mailmap"))
    git_config(adr_repo, "core.attributesFile", str(outside / "attributes"))
    log, wrapper = tmp_path / "opened", tmp_path / "git-traced"
    wrapper.write_text(
        f'#!/bin/sh\nexec strace -f -qq -e trace=open,openat,execve -o "{log}.$$" git "$@"\n', encoding="utf-8"
    )
    wrapper.chmod(0o755)
    environment = {**fake_home(tmp_path, outside), "GIT_PYTHON_GIT_EXECUTABLE": str(wrapper)}
    result = govsite("build", str(adr_repo), "--versions", "--site-dir", str(tmp_path / "site"), env=environment)
    assert result.returncode == 0, result.stderr[-3000:]
    traces = [t.read_text(encoding="utf-8") for t in tmp_path.glob("opened.*")]
    traces = [t for t in traces if '["git", "version"]' not in t]
    opened = [line for trace in traces for line in trace.splitlines() if "execve(" not in line]
    assert len(traces) >= 4 and any(str(adr_repo) in line or '".git/' in line for line in opened)
    elsewhere = [
        line for line in opened
        if str(tmp_path) in line and str(adr_repo) not in line or "/etc/gitconfig" in line
    ]
    assert elsewhere == []
