"""Shared fixtures: every test repository is made with `make_repo` (or `make_git_repo`)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Mapping, Optional, Union

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "attribution-platform"

Content = Union[str, bytes]


def write_files(root: Path, files: Mapping[str, Content]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")


@pytest.fixture(autouse=True, scope="session")
def private_parse_cache(tmp_path_factory):
    """Tests (and the commands they start) keep their parse cache out of the user's home.

    Session-wide, so that module-scoped fixtures (site builds shared by many tests) see it too.
    """
    before = os.environ.get("GOVSITE_CACHE_DIR")
    if before is None:
        os.environ["GOVSITE_CACHE_DIR"] = str(tmp_path_factory.getbasetemp() / "govsite-cache")
    yield
    if before is None:
        os.environ.pop("GOVSITE_CACHE_DIR", None)


def govsite(
    *args: str, cwd: Path = ROOT, env: Optional[Mapping[str, str]] = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """`python -m generator ARGS...` in a fresh interpreter, as a user or CI runs it.

    No terminal and no debug mode; this checkout's `generator` comes first on the path; output
    is captured as text (undecodable bytes shown as escapes, never an error in the test).
    """
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "GOVSITE_DEBUG")}
    environment["PYTHONPATH"] = str(ROOT) + os.pathsep + environment.get("PYTHONPATH", "")
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], cwd=cwd, env=environment, capture_output=True,
        text=True, encoding="utf-8", errors="backslashreplace", timeout=timeout,
    )


@pytest.fixture
def no_outer_repository(tmp_path, monkeypatch):
    """Git must not find a repository above the test's temporary folder (this checkout's own)."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))


@pytest.fixture
def make_repo(tmp_path):
    """`make_repo({"alembic/versions/a.py": "..."}) -> Path`; text is dedented."""
    counter = iter(range(1000))

    def make(files: Mapping[str, Content]) -> Path:
        root = tmp_path / f"repo{next(counter)}"
        root.mkdir()
        write_files(root, files)
        return root

    return make


@pytest.fixture
def make_git_repo(tmp_path):
    """`make_git_repo([(when, {files}), ...], tags={"v1": 0}) -> Path`: one dated commit per step.

    `when` is a datetime (UTC if naive) or ISO string; a `None` content deletes the file; a
    `("rename", old, new)` key renames. `tags` maps tag name to the index of the commit to tag;
    `authors` maps a commit index to a "Name <email>" other than `author`.
    """
    import git

    counter = iter(range(1000))

    def make(
        commits: Iterable[tuple[Union[datetime, str], Mapping[str, Optional[Content]]]],
        tags: Optional[Mapping[str, int]] = None,
        author: str = "Dana Reviewer <dana@example.com>",
        authors: Optional[Mapping[int, str]] = None,
    ) -> Path:
        root = tmp_path / f"gitrepo{next(counter)}"
        root.mkdir()
        repo = git.Repo.init(root, initial_branch="main")
        shas = []
        for position, (when, files) in enumerate(commits):
            if isinstance(when, str):
                when = datetime.fromisoformat(when)
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            stamp = f"{int(when.timestamp())} {when.strftime('%z')}"
            for rel, content in files.items():
                if isinstance(rel, tuple):
                    _, old, new = rel
                    (root / new).parent.mkdir(parents=True, exist_ok=True)
                    repo.index.move([old, new])
                    continue
                if content is None:
                    repo.index.remove([rel], working_tree=True)
                    continue
                write_files(root, {rel: content})
                repo.index.add([rel])
            name, email = (authors or {}).get(position, author).rsplit(" <", 1)
            actor = git.Actor(name, email.rstrip(">"))
            commit = repo.index.commit(
                f"change at {stamp}", author=actor, committer=actor,
                author_date=stamp, commit_date=stamp,
            )
            shas.append(commit.hexsha)
        for tag, index in (tags or {}).items():
            repo.create_tag(tag, ref=shas[index])
        repo.close()
        return root

    return make


def migration(
    revision: str = "a1",
    down: Optional[str] = None,
    *,
    header: Optional[str] = None,
    upgrade: str = 'op.add_column("accounts", sa.Column("note", sa.Text()))',
    downgrade: str = 'op.drop_column("accounts", "note")',
    extra: str = "",
) -> str:
    """Source of a small Alembic migration; `header` defaults to a complete Low-risk header."""
    if header is None:
        header = (
            f"MIGRATION_ID: 20260101{sum(map(ord, revision)) * 7 % 10000:04d}\n"
            f"TITLE: Change {revision}\n"
            "CHANGE_TYPE: Column\n"
            "RISK_LEVEL: Low\n"
            "FORWARD_ONLY: No\n"
            "ROLLBACK_STRATEGY: Run the downgrade.\n"
        )
    body_up = textwrap.indent(textwrap.dedent(upgrade).strip("\n"), "    ")
    body_down = textwrap.indent(textwrap.dedent(downgrade).strip("\n"), "    ")
    down_repr = repr(down)
    return (
        f'"""Migration Metadata\n\n{header}"""\n'
        "from alembic import op\n"
        "import sqlalchemy as sa\n\n"
        f"revision = {revision!r}\n"
        f"down_revision = {down_repr}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n"
        f"{extra}\n"
        "def upgrade():\n"
        f"{body_up}\n\n\n"
        "def downgrade():\n"
        f"{body_down}\n"
    )


# --------------------------------------------------------------------------- time, relatively
#
# The machines are shared and noisy: a test never compares a duration with a number of seconds,
# only with another duration measured in the same run.


def best_seconds(work: Callable[[], object], repeats: int = 2) -> float:
    """The shortest of `repeats` runs of `work()`, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def assert_grows_linearly(
    work: Callable[[int], object], small: int, factor: int = 4, slack: float = 2.5, repeats: int = 2
) -> None:
    """`work(factor * small)` takes at most about `factor` times `work(small)` (times `slack`
    for noise); quadratic work takes `factor` squared times as long and fails."""
    short = max(best_seconds(lambda: work(small), repeats), 0.002)
    long = best_seconds(lambda: work(small * factor), repeats)
    assert long < factor * slack * short, f"{factor}x the input took {long / short:.1f}x as long"


def reference_seconds() -> float:
    """Rendering an ordinary page of team Markdown, the yardstick for "in moments"."""
    from generator.site.markup import team_markdown

    text = "## Context\n\nA paragraph with **bold**, `code` and [a link](https://example.com).\n\n" * 40
    return best_seconds(lambda: team_markdown(text), repeats=3)


def assert_in_moments(elapsed: float, pages: float = 200) -> None:
    """`elapsed` is no more than rendering `pages` ordinary pages of team Markdown."""
    yardstick = reference_seconds()
    assert elapsed < pages * yardstick, f"{elapsed:.2f} s, {elapsed / yardstick:.0f} ordinary pages"



# --------------------------------------------------------------------------- PostgreSQL


def _postgresql_bin() -> Optional[Path]:
    """Debian's server programs (`/usr/lib/postgresql/<version>/bin`), newest first."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: p.parent.parent.name)
    return found[-1].parent if found else None


#: The role of the test cluster that logs in with a password (`postgresql_server`).
PASSWORD_ROLE = "govsite_password"


@pytest.fixture(scope="session")
def postgresql_server():
    """A throwaway PostgreSQL cluster for the test session: `conninfo` of its superuser.

    The cluster lives in a temporary folder, listens only on a Unix socket there and trusts
    local connections; it is stopped and removed at the end. As root (CI), it runs as Debian's
    `postgres` user, since the server refuses to run as root. Missing server programs fail the
    test with the package to install: `.ci/run` installs it, so CI never skips it.
    """
    import shutil
    import tempfile

    bin_dir = _postgresql_bin()
    if bin_dir is None:
        pytest.fail("PostgreSQL's server is not installed (Debian: apt-get install postgresql)")
    as_root = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="govsite-pg-"))  # not under pytest's 0700 folder
    data = folder / "data"
    if as_root:
        import pwd

        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    run_as = ["runuser", "-u", "postgres", "--"] if as_root else []

    def server(*args: str) -> None:
        done = subprocess.run([*run_as, *args], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(args[:2])} failed: {done.stdout}{done.stderr}")

    try:
        server(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        # one role must give a password, so a wrong one can be tried; every other role is trusted
        hba = data / "pg_hba.conf"
        hba.write_text(f"local all {PASSWORD_ROLE} scram-sha-256\n" + hba.read_text())
        server(
            str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l", str(folder / "log"),
            "-o", f"-k {folder} -c listen_addresses='' -c fsync=off", "start",
        )
        yield f"host={folder} user=postgres"
        server(str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-m", "immediate", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
