"""Work beside the parse: worker processes (asked for with --jobs) give exactly what parsing here
gives, git's walk runs while the files are read, and no child outlives a killed govsite."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

import generator.sources.adrs as adrs_module
import generator.sources.history as history_module
import generator.sources.migrations as migrations_module
from conftest import EXAMPLE, ROOT, govsite, migration
from generator.cache import ParseCache
from generator.config import Config, ConfigError
from generator.sources import load_repository
from generator.sources.migrations import parse_jobs, parse_many, read_migrations

HOSTILE = {
    "alembic/versions/syntax.py": "def upgrade(:\n",
    "alembic/versions/latin1.py": b"revision = 'x'\n# caf\xe9\n",
    "alembic/versions/nul.py": b"revision = 'y'\x00\n",
    "alembic/versions/empty.py": "",
    "alembic/versions/no_revision.py": "def upgrade():\n    pass\n",
}


def example_items() -> list[tuple[str, bytes]]:
    return [
        (f"alembic/versions/{path.name}", path.read_bytes())
        for path in sorted((EXAMPLE / "alembic" / "versions").glob("*.py"))
    ]


# --------------------------------------------------------------------------- parsing workers


def test_workers_give_the_same_results_in_the_same_order():
    items = example_items()
    items += [(rel, data if isinstance(data, bytes) else data.encode()) for rel, data in HOSTILE.items()]
    items.reverse()  # an order that is not sorted: the workers must keep it
    assert parse_many(items, Config(), jobs=2) == parse_many(items, Config(), jobs=1)


def test_repository_read_in_workers_equals_one_read_in_process(make_repo):
    files = {f"alembic/versions/r{i:03d}.py": migration(f"r{i:03d}", f"r{i - 1:03d}" if i else None) for i in range(60)}
    files.update(HOSTILE)
    root = make_repo(files)
    migrations, findings = read_migrations(root, Config(), jobs=3)
    assert (migrations, findings) == read_migrations(root, Config(), jobs=1)
    assert [m.revision for m in migrations][:3] == ["r000", "r001", "r002"]
    assert {f.location.path for f in findings} >= {"alembic/versions/syntax.py", "alembic/versions/nul.py"}


def test_only_the_files_the_cache_lacks_go_to_the_workers(make_repo, monkeypatch):
    root = make_repo({f"alembic/versions/r{i}.py": migration(f"r{i}", f"r{i - 1}" if i else None) for i in range(4)})
    cache = ParseCache(persistent=False)
    read_migrations(root, Config(), cache)
    (root / "alembic/versions/r9.py").write_text(migration("r9", "r3"))
    sent: list[list[str]] = []
    real = migrations_module.parse_many
    monkeypatch.setattr(migrations_module, "parse_many",
                        lambda items, config, jobs, between: sent.append([rel for rel, _ in items]) or real(items, config, jobs))
    migrations, _ = read_migrations(root, Config(), cache, jobs=2)
    assert sent == [["alembic/versions/r9.py"]]
    assert [m.revision for m in migrations] == ["r0", "r1", "r2", "r3", "r9"]


def test_parsing_stays_in_this_process_unless_workers_are_asked_for(make_repo, monkeypatch):
    monkeypatch.delenv("GOVSITE_JOBS", raising=False)

    def no_pool(*args, **kwargs):
        raise AssertionError("a worker pool was started")

    monkeypatch.setattr(migrations_module.concurrent.futures, "ProcessPoolExecutor", no_pool)
    root = make_repo({f"alembic/versions/r{i}.py": migration(f"r{i}", f"r{i - 1}" if i else None) for i in range(300)})
    assert len(load_repository(root, Config(), with_history=False).migrations) == 300


def test_govsite_jobs_sets_the_number_of_workers_and_an_argument_wins(monkeypatch):
    monkeypatch.delenv("GOVSITE_JOBS", raising=False)
    assert parse_jobs() == 1
    monkeypatch.setenv("GOVSITE_JOBS", "3")
    assert (parse_jobs(), parse_jobs(1)) == (3, 1)


@pytest.mark.parametrize("value", ["many", "0", "-2", "1.5"])
def test_a_bad_govsite_jobs_is_a_configuration_error(monkeypatch, value):
    monkeypatch.setenv("GOVSITE_JOBS", value)
    with pytest.raises(ConfigError, match="GOVSITE_JOBS"):
        parse_jobs()


def test_validate_with_jobs_reports_what_validate_without_reports(make_repo):
    files = {f"alembic/versions/r{i:03d}.py": migration(f"r{i:03d}", f"r{i - 1:03d}" if i else None) for i in range(30)}
    files.update(HOSTILE)
    root = make_repo(files)
    alone = govsite("validate", str(root), "--no-history", "--no-cache", "--format", "json")
    beside = govsite("validate", str(root), "--no-history", "--no-cache", "--format", "json", "--jobs", "2")
    assert (beside.returncode, beside.stdout) == (alone.returncode, alone.stdout)
    assert alone.returncode == 1 and "syntax.py" in alone.stdout
    bad = govsite("validate", str(root), "--jobs", "0")
    assert bad.returncode == 2 and "--jobs" in bad.stderr and "Traceback" not in bad.stderr
    env = govsite("validate", str(root), "--no-history", env={"GOVSITE_JOBS": "many"})
    assert env.returncode == 2 and "GOVSITE_JOBS" in env.stderr and "Traceback" not in env.stderr


def test_a_bad_jobs_setting_stops_a_mkdocs_build_with_a_message(make_repo, tmp_path):
    root = make_repo({
        "alembic/versions/a1.py": migration("a1"),
        "docs/index.md": "# Team\n",
        "mkdocs.yml": "site_name: Team\ntheme: {name: material, font: false}\nplugins:\n  - governance\n",
    })
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-f", str(root / "mkdocs.yml"), "-d", str(tmp_path / "site")],
        capture_output=True, text=True, env={**os.environ, "GOVSITE_JOBS": "many",
                                             "PYTHONPATH": str(ROOT)}, timeout=300,
    )
    assert done.returncode != 0
    assert "GOVSITE_JOBS" in done.stderr and "Traceback" not in done.stderr, done.stderr[-2000:]


# --------------------------------------------------------------------------- git beside


@pytest.fixture
def events(monkeypatch):
    """The order in which git processes were started and migration and ADR files read."""
    seen: list[tuple[str, str]] = []
    start, read_bytes, read_text = history_module.GitRunner.start, migrations_module.read_bytes, adrs_module.read_text

    def starting(self, *args, **options):
        seen.append(("git", args[0]))
        return start(self, *args, **options)

    def reading(root, rel, code, **options):
        seen.append(("read", rel))
        return read_bytes(root, rel, code, **options)

    def reading_adr(root, rel, *args, **options):
        seen.append(("read", rel))
        return read_text(root, rel, *args, **options)

    monkeypatch.setattr(history_module.GitRunner, "start", starting)
    monkeypatch.setattr(migrations_module, "read_bytes", reading)
    monkeypatch.setattr(adrs_module, "read_text", reading_adr)
    return seen


def test_the_git_walk_runs_while_the_files_are_read(make_git_repo, events, no_outer_repository):
    root = make_git_repo([("2026-01-05T09:00:00Z", {
        "alembic/versions/a1.py": migration("a1"), "alembic/versions/b2.py": migration("b2", "a1"),
        "alembic/versions/broken.py": "def upgrade(:\n",
        "docs/adr/ADR-015-retire.md": "# ADR-015: Retire\n\n## Status\n\nAccepted\n",
    })])
    repo = load_repository(root, Config())
    # git is asked where the repository is before any file is read; the walk is under way
    # before the ADRs are
    assert events.index(("git", "rev-parse")) < events.index(("read", "alembic/versions/a1.py"))
    assert events.index(("git", "log")) < events.index(("read", "docs/adr/ADR-015-retire.md"))
    assert [event for event in events if event[0] == "git"] == [("git", "rev-parse"), ("git", "log")]
    assert repo.history.status == "ok" and repo.history.git_processes == 2
    assert sorted(repo.history.files) == [
        "alembic/versions/a1.py", "alembic/versions/b2.py", "docs/adr/ADR-015-retire.md",
    ]  # exactly the files read: not the one that is no migration


def test_no_walk_is_started_when_the_cache_has_it(make_git_repo, events, no_outer_repository):
    root = make_git_repo([("2026-01-05T09:00:00Z", {"alembic/versions/a1.py": migration("a1")})])
    cache = ParseCache(persistent=False)
    first = load_repository(root, Config(), cache=cache)
    events.clear()
    again = load_repository(root, Config(), cache=cache)
    assert [event for event in events if event[0] == "git"] == [("git", "rev-parse")]
    assert again.history == replace(first.history, git_processes=1)


def slow_git(tmp_path: Path, monkeypatch, subcommand: str = "rev-parse") -> tuple[Path, Path]:
    """Put a git first whose `subcommand` writes its process id to the first file returned,
    then goes on only once the second file exists (or after ten seconds); every other command
    is git's own."""
    started, release, shim = tmp_path / f"{subcommand}.pid", tmp_path / "release", tmp_path / "slow-git"
    shim.write_text(
        "#!/bin/sh\n"
        f'case " $* " in *" {subcommand} "*) echo $$ > "{started}"\n'
        f'  i=0; while [ ! -e "{release}" ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done;;\n'
        "esac\n"
        f'exec "{shutil.which("git")}" "$@"\n',
        encoding="utf-8",
    )
    shim.chmod(0o755)
    monkeypatch.setenv("GIT_PYTHON_GIT_EXECUTABLE", str(shim))
    return started, release


def test_the_migrations_are_read_while_git_has_not_answered(make_git_repo, events, tmp_path, monkeypatch,
                                                             no_outer_repository):
    """Nothing waits for `rev-parse` before the first file: a git that answers only once the
    last migration is read still gives every file its history, the walk started after it."""
    root = make_git_repo([("2026-01-05T09:00:00Z", {
        "alembic/versions/a1.py": migration("a1"), "alembic/versions/b2.py": migration("b2", "a1"),
        "docs/adr/ADR-015-retire.md": "# ADR-015: Retire\n\n## Status\n\nAccepted\n",
    })])
    _, release = slow_git(tmp_path, monkeypatch)
    read_bytes = migrations_module.read_bytes

    def reading(root, rel, code, **options):
        if rel.endswith("b2.py"):
            release.touch()
        return read_bytes(root, rel, code, **options)

    monkeypatch.setattr(migrations_module, "read_bytes", reading)
    repo = load_repository(root, Config())  # a reader waiting for git first would wait 10 s
    assert events.index(("read", "alembic/versions/b2.py")) < events.index(("git", "log"))
    assert events.index(("git", "log")) < events.index(("read", "docs/adr/ADR-015-retire.md"))
    assert repo.history.status == "ok"
    assert all(f.added is not None for f in repo.history.files.values()), repo.history.files


def test_advance_starts_the_walk_only_once_git_has_answered(make_git_repo, tmp_path, monkeypatch):
    root = make_git_repo([("2026-01-05T09:00:00Z", {"alembic/versions/a1.py": migration("a1")})])
    _, release = slow_git(tmp_path, monkeypatch)
    reading = history_module.start_history(root)
    reading.advance()
    assert reading.walk is None and reading.where is None  # git has not answered: nothing waited
    release.touch()
    history = reading.result(["alembic/versions/a1.py"])
    assert history.status == "ok" and history.git_processes == 2
    assert history.files["alembic/versions/a1.py"].added.date.isoformat() == "2026-01-05T09:00:00+00:00"


def test_a_load_that_fails_leaves_no_git_walking(make_git_repo, tmp_path, monkeypatch, no_outer_repository):
    """Ctrl-C (or a bad setting) while the documents are read: the walk started for them is
    stopped with the load, not left running for nobody."""
    root = make_git_repo([("2026-01-05T09:00:00Z", {"alembic/versions/a1.py": migration("a1")})])
    walker, release = slow_git(tmp_path, monkeypatch, "log")

    def interrupted(root, config):
        for _ in range(500):  # until git's walk has begun
            if walker.exists() and walker.read_text().strip():
                raise KeyboardInterrupt
            time.sleep(0.01)
        raise AssertionError("the walk never started")

    monkeypatch.setattr(adrs_module, "read_adrs", interrupted)
    try:
        with pytest.raises(KeyboardInterrupt):
            load_repository(root, Config())
        pid = int(walker.read_text())
        with pytest.raises(ProcessLookupError):  # killed and reaped, not still walking
            os.kill(pid, 0)
    finally:
        release.touch()


def test_between_is_called_after_each_file_read_and_each_file_parsed(make_repo):
    root = make_repo({"alembic/versions/a1.py": migration("a1"), "alembic/versions/b2.py": migration("b2", "a1")})
    calls: list[int] = []
    cache = ParseCache(persistent=False)
    read_migrations(root, Config(), cache, between=lambda: calls.append(1))
    assert len(calls) == 4  # two files read, two parsed
    calls.clear()
    read_migrations(root, Config(), cache, between=lambda: calls.append(1))
    assert len(calls) == 2  # both from the cache: read, not parsed


SETPRIV = shutil.which("setpriv")
# setpriv before util-linux 2.33 (RHEL 8 ships 2.32) does not know --pdeathsig
OLD_SETPRIV = "#!/bin/sh\necho \"setpriv: unrecognized option '$1'\" >&2\nexit 1\n"


def _setpriv_on_path(tmp_path: Path, kind: str) -> str:
    """A PATH with setpriv as `kind` says: the system's, missing, or one too old to tie."""
    tools = tmp_path / "tools"
    tools.mkdir()
    for name in ("sh", "sleep"):
        (tools / name).symlink_to(shutil.which(name))
    if kind == "system":
        (tools / "setpriv").symlink_to(SETPRIV)
    elif kind == "too old":
        (tools / "setpriv").write_text(OLD_SETPRIV)
        (tools / "setpriv").chmod(0o755)
    return str(tools)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("setpriv", ["system", "missing", "too old"])
def test_a_validate_killed_with_sigkill_leaves_no_git_behind(make_git_repo, tmp_path, setpriv):
    """Git's walk is still running when govsite dies; the kernel must take it down too, whether
    setpriv tied it or the fallback did."""
    assert SETPRIV, "setpriv (util-linux) is part of every Debian system"
    root = make_git_repo([("2026-01-05T09:00:00Z", {"alembic/versions/a1.py": migration("a1")})])
    started = tmp_path / "walk.pid"
    shim = tmp_path / "bin" / "git"
    shim.parent.mkdir()
    shim.write_text(
        "#!/bin/sh\n"
        f'case " $* " in *" log "*) echo $$ > "{started}"; exec sleep 300;; esac\n'
        f'exec "{shutil.which("git")}" "$@"\n'
    )
    shim.chmod(0o755)
    env = {**os.environ, "GIT_PYTHON_GIT_EXECUTABLE": str(shim), "PYTHONPATH": str(ROOT),
           "GIT_CEILING_DIRECTORIES": str(tmp_path), "PATH": _setpriv_on_path(tmp_path, setpriv)}
    validate = subprocess.Popen([sys.executable, "-m", "generator", "validate", str(root), "--no-cache"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    walk = None
    try:
        walk = _wait_for_pid(started, validate)
        assert _alive(walk)
        validate.kill()
        validate.wait()
        assert _gone_within(walk, seconds=10), "the git walk outlived the govsite that started it"
    finally:
        validate.kill()
        if walk is not None and _alive(walk):
            os.kill(walk, 9)


def _wait_for_pid(path: Path, process: subprocess.Popen) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        assert process.poll() is None, "validate ended before its walk started"
        time.sleep(0.05)
    raise AssertionError("the walk never started")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
