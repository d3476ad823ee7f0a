"""Hostile site folders and interrupted builds: a build never destroys what is not a site, and
never leaves debris behind that the next run does not remove.

Each test reproduces a break: `govsite build repo --site-dir repo` replaced the repository by
the site, `--site-dir repo/docs` deleted the ADRs, a regular file given as the site folder was
replaced, a read-only parent gave "internal error: OSError", and a build ended by SIGTERM,
SIGHUP or SIGKILL left `.SITE.building-*` and `govsite-mkdocs-*` folders forever.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, govsite, migration

from generator.interrupt import Stopped, forget_stop, stop_now
from generator.site.output import LOCK_FILE, SITE_MARKER, start_staging, swap_in

ADR = """# ADR-0001: Use Alembic

- Status: Accepted
- Date: 2026-01-05

## Context

We need migrations.

## Decision

Alembic.
"""

REGISTER = "# Emergency changes\n\nNone so far.\n"


@pytest.fixture
def repo(make_git_repo):
    """A small committed repository with migrations, an ADR and the register."""
    return make_git_repo([
        ("2026-01-05T10:00:00", {
            "alembic/versions/a1.py": migration("a1", None),
            "alembic/versions/b2.py": migration("b2", "a1"),
            "docs/adr/0001-use-alembic.md": ADR,
            "db/schema/EXCEPTIONS.md": REGISTER,
        }),
    ])


def inventory(root: Path) -> dict[str, bytes]:
    """Every file under `root` (git's own folder included) with its bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def refused(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("govsite: error: site folder ")
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- what a site folder may be


@pytest.mark.parametrize("where", [".", "docs", "docs/adr", "alembic", "alembic/versions",
                                   "db", "db/schema", "docs/adr/new-site"])
def test_site_dir_that_is_holds_or_lies_inside_an_input_is_refused(repo, where):
    """`--site-dir repo` left only the site; `--site-dir repo/docs` deleted the ADRs."""
    before = inventory(repo)
    result = govsite("build", str(repo), "--site-dir", str(repo / where))
    refused(result)
    assert "would replace the repository" in result.stderr if where == "." else \
        "an input of the repository" in result.stderr
    assert inventory(repo) == before


@pytest.mark.parametrize("where", [".", "docs", "alembic/versions"])
def test_versioned_build_refuses_the_same_site_folders(repo, where):
    before = inventory(repo)
    result = govsite("build", str(repo), "--versions", "--site-dir", str(repo / where))
    refused(result)
    assert inventory(repo) == before


def test_site_dir_holding_the_repository_is_refused(repo):
    before = inventory(repo)
    result = govsite("build", str(repo), "--site-dir", str(repo.parent), "--force")
    refused(result)
    assert "would replace the repository" in result.stderr
    assert inventory(repo) == before


def test_site_dir_that_is_a_link_to_the_repository_is_refused(repo, tmp_path):
    link = tmp_path / "published"
    link.symlink_to(repo, target_is_directory=True)
    before = inventory(repo)
    refused(govsite("build", str(repo), "--site-dir", str(link), "--force"))
    assert inventory(repo) == before and link.is_symlink()


def test_site_dir_that_is_a_configured_input_folder_is_refused(make_repo):
    repo = make_repo({
        "services/db/versions/a1.py": migration("a1", None),
        "govsite.toml": 'migrations = ["services/db/versions"]\nci = ["ci/*.yml"]\n',
        "ci/deploy.yml": "jobs: {}\n",
    })
    for where in ("services", "ci"):
        refused(govsite("build", str(repo), "--site-dir", str(repo / where)))
    assert (repo / "services/db/versions/a1.py").is_file() and (repo / "ci/deploy.yml").is_file()


def test_site_dir_that_is_a_regular_file_is_never_replaced(repo, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("keep me", encoding="utf-8")
    result = govsite("build", str(repo), "--site-dir", str(target), "--force")
    refused(result)
    assert "is not a folder" in result.stderr
    assert target.read_text(encoding="utf-8") == "keep me"


def test_non_empty_folder_govsite_did_not_build_needs_force(repo, tmp_path):
    target = tmp_path / "photos"
    target.mkdir()
    (target / "holiday.jpg").write_bytes(b"\xff\xd8")
    result = govsite("build", str(repo), "--site-dir", str(target))
    refused(result)
    assert "--force" in result.stderr
    assert (target / "holiday.jpg").read_bytes() == b"\xff\xd8"

    forced = govsite("build", str(repo), "--site-dir", str(target), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (target / "index.html").is_file() and not (target / "holiday.jpg").exists()


def test_site_inside_the_repository_and_an_empty_folder_are_fine_and_rebuilt(repo, tmp_path):
    """`repo/site` is the usual place; a site govsite built is replaced by the next build."""
    empty = tmp_path / "empty"
    empty.mkdir()
    for target in (repo / "site", empty):
        for _ in range(2):
            result = govsite("build", str(repo), "--site-dir", str(target))
            assert result.returncode == 0, result.stderr
        assert (target / SITE_MARKER).is_file() and not (target / LOCK_FILE).exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_site_parent_is_a_usage_error_naming_the_folder(repo, tmp_path):
    parent = tmp_path / "readonly"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        result = govsite("build", str(repo), "--site-dir", str(parent / "site"))
    finally:
        parent.chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert f"cannot create files in {parent}" in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize("kind", ["regular file", "kernel folder"])
def test_unwritable_site_parent_is_a_usage_error_naming_the_folder(repo, tmp_path, kind):
    """A read-only parent gave "internal error: OSError"; these fail even for root."""
    if kind == "regular file":
        parent = tmp_path / "a-file"
        parent.write_text("", encoding="utf-8")
    else:
        parent = Path("/sys/kernel")
        if not parent.is_dir():
            pytest.skip("no /sys/kernel")
    result = govsite("build", str(repo), "--site-dir", str(parent / "site"))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"govsite: error: cannot write the site folder {parent}")
    assert "internal error" not in result.stderr


# --------------------------------------------------------------------------- interrupted builds


def start_build(repo: Path, site: Path, tmp: Path) -> subprocess.Popen:
    """`python -m generator build` in its own process, with its own temporary directory."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "GOVSITE_DEBUG")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["TMPDIR"] = str(tmp)
    return subprocess.Popen(
        [sys.executable, "-m", "generator", "build", str(repo), "--site-dir", str(site)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def debris(site: Path, tmp: Path) -> list[str]:
    beside = site.parent.iterdir() if site.parent.is_dir() else []
    names = [p.name for p in beside if p.name.startswith(f".{site.name}.")]
    return sorted(names + [p.name for p in tmp.iterdir() if p.name.startswith("govsite-")])


def wait_for_mkdocs(process: subprocess.Popen, site: Path, tmp: Path) -> None:
    """Wait until the build holds its staging folder and MkDocs' temporary configuration."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        marked = [*site.parent.glob(f".site.building-*/{LOCK_FILE}"),
                  *tmp.glob(f"govsite-mkdocs-*/{LOCK_FILE}")]
        if {p.parent.name.partition("-")[0] for p in marked} == {".site.building", "govsite"}:
            return
        if process.poll() is not None:
            pytest.fail(f"the build ended before MkDocs started: {process.communicate()}")
        time.sleep(0.01)
    process.kill()
    pytest.fail("the build never reached MkDocs")


@pytest.fixture
def private_tmp(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    return tmp


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_build_stopped_by_sigterm_or_sighup_leaves_no_debris(repo, tmp_path, private_tmp, signum):
    site = tmp_path / "out" / "site"
    process = start_build(repo, site, private_tmp)
    wait_for_mkdocs(process, site, private_tmp)
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, err
    assert "Traceback" not in err
    assert debris(site, private_tmp) == []
    assert not site.exists()


def test_a_build_asked_to_stop_publishes_nothing_even_if_the_signal_was_dropped(tmp_path):
    """The swap-in is the point of no return: with a stop pending (its exception perhaps
    dropped by Python in a destructor), the staged site is not published."""
    target = tmp_path / "out" / "site"
    target.parent.mkdir()
    staging = start_staging(target)
    (staging.path / "index.html").write_text("staged", encoding="utf-8")
    try:
        with pytest.raises(Stopped):
            stop_now(signal.SIGTERM)
        with pytest.raises(Stopped):
            swap_in(staging, target)
    finally:
        forget_stop()
        staging.remove()
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_debris_of_a_killed_build_is_removed_by_the_next_build(repo, tmp_path, private_tmp):
    site = tmp_path / "out" / "site"
    process = start_build(repo, site, private_tmp)
    wait_for_mkdocs(process, site, private_tmp)
    process.kill()
    process.communicate(timeout=60)
    assert debris(site, private_tmp)  # SIGKILL cannot be cleaned up after at once

    after = start_build(repo, site, private_tmp)
    _, err = after.communicate(timeout=300)
    assert after.returncode == 0, err
    assert debris(site, private_tmp) == []
    assert (site / "index.html").is_file()


def test_staging_folder_of_a_running_build_is_not_removed(repo, tmp_path, private_tmp):
    site = tmp_path / "out" / "site"
    running = start_staging(site)  # held by this process, as a concurrent build holds its own
    try:
        lookalike = site.parent / ".site.building-not-govsite"
        lookalike.mkdir()  # a similar name without govsite's mark is not ours either
        process = start_build(repo, site, private_tmp)
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        assert running.path.is_dir() and (running.path / LOCK_FILE).is_file()
        assert lookalike.is_dir()
    finally:
        running.remove()


# --------------------------------------------------------------------------- govsite generate


def test_generate_never_deletes_a_governance_folder_it_did_not_write(repo, tmp_path):
    """`generate --out docs` replaced `docs/governance/` whatever it held."""
    out = tmp_path / "docs"
    team_page = out / "governance" / "charter.md"
    team_page.parent.mkdir(parents=True)
    team_page.write_text("# Our governance charter\n", encoding="utf-8")
    refused = govsite("generate", str(repo), "--out", str(out))
    assert refused.returncode == 2, refused.stderr
    assert "did not generate" in refused.stderr and "Traceback" not in refused.stderr
    assert team_page.read_text(encoding="utf-8") == "# Our governance charter\n"

    fresh = tmp_path / "generated"
    assert govsite("generate", str(repo), "--out", str(fresh)).returncode == 0
    stale = fresh / "governance" / "migrations" / "gone.md"
    stale.write_text("# a migration since removed\n", encoding="utf-8")
    again = govsite("generate", str(repo), "--out", str(fresh))
    assert again.returncode == 0, again.stderr
    assert not stale.exists()  # its own output is replaced as a whole


def test_generate_refuses_a_governance_path_that_is_a_file_or_a_link(repo, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "governance").write_text("not a folder\n", encoding="utf-8")
    refused = govsite("generate", str(repo), "--out", str(out))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert (out / "governance").read_text(encoding="utf-8") == "not a folder\n"
