"""The git history reader, on real repositories built in temporary directories."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import git
import pytest
from conftest import govsite

from generator.cache import ParseCache
from generator.sources import children
from generator.sources.history import read_history, release_tags

UTC = timezone.utc

pytestmark = pytest.mark.usefixtures("no_outer_repository")


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def commit_as(root: Path, author: str, when: str, files: dict[str, str]) -> str:
    """One more commit on an existing repository, by a different author."""
    repo = git.Repo(root)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    repo.index.add(list(files))
    name, email = author.rsplit(" <", 1)
    actor = git.Actor(name, email.rstrip(">"))
    moment = datetime.fromisoformat(when)
    stamp = f"{int(moment.timestamp())} {moment.strftime('%z')}"
    sha = repo.index.commit("more", author=actor, committer=actor, author_date=stamp, commit_date=stamp).hexsha
    repo.close()
    return sha


# --------------------------------------------------------------------------- what was added when


def test_added_and_last_changed_give_commit_author_and_date(make_git_repo):
    root = make_git_repo([
        ("2026-01-05T09:00:00Z", {"alembic/versions/a1.py": "x = 1\n", "docs/adr/ADR-001-x.md": "# x\n"}),
        ("2026-01-20T12:30:00Z", {"docs/adr/ADR-001-x.md": "# x, amended\n"}),
    ])
    later = commit_as(root, "Sam Owner <sam@example.com>", "2026-02-01T09:30:00+02:00",
                      {"alembic/versions/a1.py": "x = 2\n"})

    history = read_history(root, ["alembic/versions/a1.py", "docs/adr/ADR-001-x.md"])

    assert history.status == "ok"
    assert history.head == later
    a1 = history.files["alembic/versions/a1.py"]
    assert (a1.added.author, a1.added.email) == ("Dana Reviewer", "dana@example.com")
    assert a1.added.date == at("2026-01-05T09:00:00+00:00")
    assert (a1.last_changed.author, a1.last_changed.email, a1.last_changed.sha) == (
        "Sam Owner", "sam@example.com", later)
    assert a1.last_changed.date.utcoffset() == timedelta(hours=2)
    assert a1.last_changed.date == at("2026-02-01T07:30:00+00:00")
    adr = history.files["docs/adr/ADR-001-x.md"]
    assert adr.added.date == at("2026-01-05T09:00:00+00:00")
    assert adr.last_changed.date == at("2026-01-20T12:30:00+00:00")


def test_commits_with_dates_out_of_order_still_attribute_the_first_commit(make_git_repo):
    root = make_git_repo([
        ("2026-03-01T00:00:00Z", {"a.py": "1\n"}),
        ("2026-01-01T00:00:00Z", {"a.py": "2\n"}),  # a clock set back
    ])
    a = read_history(root, ["a.py"]).files["a.py"]
    assert a.added.date == at("2026-03-01T00:00:00+00:00")
    assert a.last_changed.date == at("2026-01-01T00:00:00+00:00")


def test_renamed_file_was_added_by_the_commit_that_added_its_first_name(make_git_repo):
    root = make_git_repo([
        ("2026-01-01T10:00:00Z", {"alembic/versions/draft.py": "revision = 'a1'\n" * 20}),
        ("2026-01-02T10:00:00Z", {("rename", "alembic/versions/draft.py", "alembic/versions/a1_orders.py"): ""}),
        ("2026-01-03T10:00:00Z", {("rename", "alembic/versions/a1_orders.py", "alembic/versions/0001_orders.py"): ""}),
    ])
    history = read_history(root, ["alembic/versions/0001_orders.py"])
    moved = history.files["alembic/versions/0001_orders.py"]
    assert moved.added.date == at("2026-01-01T10:00:00+00:00")
    assert moved.last_changed.date == at("2026-01-03T10:00:00+00:00")


def test_edit_after_rename_is_the_last_change(make_git_repo):
    body = "".join(f"line {i}\n" for i in range(30))
    root = make_git_repo([
        ("2026-01-01T10:00:00Z", {"old.py": body}),
        ("2026-01-02T10:00:00Z", {("rename", "old.py", "new.py"): ""}),
        ("2026-01-05T10:00:00Z", {"new.py": body + "one more\n"}),
    ])
    new = read_history(root, ["new.py"]).files["new.py"]
    assert new.added.date == at("2026-01-01T10:00:00+00:00")
    assert new.last_changed.date == at("2026-01-05T10:00:00+00:00")


def test_deleted_then_added_again_counts_from_the_first_addition(make_git_repo):
    root = make_git_repo([
        ("2026-01-01T00:00:00Z", {"a.py": "first\n", "keep.txt": "k\n"}),
        ("2026-01-02T00:00:00Z", {"a.py": None}),
        ("2026-01-03T00:00:00Z", {"a.py": "second\n"}),
    ])
    a = read_history(root, ["a.py"]).files["a.py"]
    assert a.added.date == at("2026-01-01T00:00:00+00:00")
    assert a.added_again.date == at("2026-01-03T00:00:00+00:00")
    assert a.last_changed.date == at("2026-01-03T00:00:00+00:00")


def test_uncommitted_files_have_no_commits(make_git_repo):
    root = make_git_repo([
        ("2026-01-01T00:00:00Z", {"gone.py": "old\n", "keep.txt": "k\n"}),
        ("2026-01-02T00:00:00Z", {"gone.py": None}),
    ])
    (root / "untracked.py").write_text("new\n")
    (root / "gone.py").write_text("a new file where a deleted one was\n")
    (root / "staged.py").write_text("staged\n")
    repo = git.Repo(root)
    repo.index.add(["staged.py"])
    repo.close()

    history = read_history(root, ["untracked.py", "gone.py", "staged.py", "keep.txt"])

    assert history.status == "ok"
    for path in ("untracked.py", "gone.py", "staged.py"):
        assert history.files[path].added is None, path
        assert history.files[path].last_changed is None, path
    assert history.files["keep.txt"].added is not None


def test_unusual_file_names_come_through_unchanged(make_git_repo):
    names = [
        "docs/adr/ADR-007 with spaces.md",
        'docs/adr/ADR-008 "quoted" \'single\'.md',
        "docs/adr/ADR-009-ünïcödé-名前.md",
        "docs/adr/tab\tand\nnewline.md",
        "docs/adr/-leading-dash.md",
    ]
    root = make_git_repo([("2026-02-02T02:02:02Z", {n: "# t\n" for n in names})])
    history = read_history(root, names)
    for name in names:
        assert history.files[name].added.date == at("2026-02-02T02:02:02+00:00"), name


def test_root_below_the_git_top_level_maps_paths(make_git_repo):
    root = make_git_repo([
        ("2026-01-01T00:00:00Z", {"README.md": "top\n", "examples/shop/alembic/versions/a1.py": "a\n" * 10}),
        ("2026-01-04T00:00:00Z", {("rename", "examples/shop/alembic/versions/a1.py", "examples/shop/alembic/versions/a1_x.py"): ""}),
    ])
    history = read_history(root / "examples" / "shop", ["alembic/versions/a1_x.py", "README.md"])
    assert history.status == "ok"
    moved = history.files["alembic/versions/a1_x.py"]
    assert moved.added.date == at("2026-01-01T00:00:00+00:00")
    assert moved.last_changed.date == at("2026-01-04T00:00:00+00:00")
    # README.md at the top level is not examples/shop/README.md
    assert history.files["README.md"].added is None


# --------------------------------------------------------------------------- unusual repositories


def test_directory_outside_git_is_not_a_repository(make_repo):
    root = make_repo({"alembic/versions/a1.py": "x = 1\n"})
    history = read_history(root, ["alembic/versions/a1.py"])
    assert history.status == "not-a-repository"
    assert history.files == {}
    assert history.head is None


def test_missing_directory_is_not_a_repository(tmp_path):
    assert read_history(tmp_path / "nowhere", ["a.py"]).status == "not-a-repository"


def test_repository_without_commits(tmp_path):
    git.Repo.init(tmp_path / "empty").close()
    (tmp_path / "empty" / "a.py").write_text("x\n")
    history = read_history(tmp_path / "empty", ["a.py"])
    assert history.status == "no-commits"
    assert history.files["a.py"].added is None
    assert history.head is None


def test_shallow_clone_keeps_what_it_has_and_forgets_the_cut_off_commits(make_git_repo, tmp_path):
    source = make_git_repo([
        ("2026-01-01T00:00:00Z", {"a.py": "1\n"}),
        ("2026-01-02T00:00:00Z", {"b.py": "1\n"}),
        ("2026-01-03T00:00:00Z", {"a.py": "2\n", "c.py": "1\n"}),
    ])
    clone = tmp_path / "shallow"
    git.Repo.clone_from(f"file://{source}", clone, depth=2).close()

    history = read_history(clone, ["a.py", "b.py", "c.py"])

    assert history.status == "shallow"
    c, a, b = (history.files[p] for p in ("c.py", "a.py", "b.py"))
    assert c.added.date == at("2026-01-03T00:00:00+00:00")
    # a.py was added before the cut; the commit at the cut lists every file as new, so it
    # tells nothing about when a.py or b.py were added
    assert a.added is None
    assert a.last_changed.date == at("2026-01-03T00:00:00+00:00")
    assert b.added is None and b.last_changed is None


def test_git_that_cannot_start_is_unavailable(make_git_repo, monkeypatch):
    root = make_git_repo([("2026-01-01T00:00:00Z", {"a.py": "1\n"})])
    monkeypatch.setenv("GIT_PYTHON_GIT_EXECUTABLE", "/nonexistent/bin/git")
    history = read_history(root, ["a.py"])
    assert history.status == "unavailable"
    assert history.files["a.py"].added is None
    assert release_tags(root) == []


def test_corrupt_repository_is_unavailable_not_an_exception(make_git_repo):
    root = make_git_repo([("2026-01-01T00:00:00Z", {"a.py": "1\n"})])
    for obj in (root / ".git" / "objects").glob("??/*"):
        obj.chmod(0o600)
        obj.write_bytes(b"garbage")
    history = read_history(root, ["a.py"])
    assert history.status == "unavailable"
    assert history.files["a.py"].added is None
    assert history.problem.startswith("git could not read the whole history (")


# --------------------------------------------------------------------------- tags


def test_tags_are_listed_oldest_first_with_their_commits(make_git_repo):
    root = make_git_repo(
        [
            ("2026-01-01T00:00:00Z", {"a.py": "1\n"}),
            ("2026-02-01T00:00:00Z", {"a.py": "2\n"}),
            ("2026-03-01T00:00:00Z", {"a.py": "3\n"}),
        ],
        tags={"v1.1": 2, "v1.0": 0, "nightly": 1},
    )
    repo = git.Repo(root)
    shas = [c.hexsha for c in repo.iter_commits("main")][::-1]
    repo.close()

    assert [t[0] for t in release_tags(root, "*")] == ["v1.0", "nightly", "v1.1"]
    assert release_tags(root) == [
        ("v1.0", shas[0], at("2026-01-01T00:00:00+00:00")),
        ("v1.1", shas[2], at("2026-03-01T00:00:00+00:00")),
    ]
    assert [t[0] for t in release_tags(root, "night*")] == ["nightly"]


def test_annotated_tag_names_the_commit_not_the_tag_object(make_git_repo):
    root = make_git_repo([("2026-01-01T00:00:00Z", {"a.py": "1\n"})])
    repo = git.Repo(root)
    repo.create_tag("v2.0", ref="HEAD", message="release 2.0")
    head = repo.head.commit.hexsha
    repo.close()
    assert [(t, sha) for t, sha, _ in release_tags(root)] == [("v2.0", head)]


def test_release_tags_outside_git_is_empty(make_repo):
    assert release_tags(make_repo({"a.txt": "x"})) == []


# --------------------------------------------------------------------------- constant cost


@pytest.fixture
def spawned(monkeypatch):
    """Counts every process really started (gitpython starts git through subprocess.Popen)."""
    calls: list[list[str]] = []
    real_init = subprocess.Popen.__init__

    def counting_init(self, args, *rest, **kwargs):
        calls.append(list(args) if not isinstance(args, str) else [args])
        real_init(self, args, *rest, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "__init__", counting_init)
    return calls


def program(call: list[str]) -> str:
    """The program a command line runs: git's walk is started behind `setpriv --pdeathsig`."""
    if Path(call[0]).name == "setpriv":
        return call[call.index("--") + 1]
    return call[0]


def test_validate_starts_only_the_git_processes_it_counts(tmp_path):
    """`govsite validate` starts two git processes, seen by the system: `rev-parse` and the walk.
    No `git version` of a library's own, no tag listing nobody reads, no other command."""
    many_files_repo(tmp_path / "repo", 5)
    log, shim = tmp_path / "git-starts.log", tmp_path / "bin" / "git"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{shutil.which("git")}" "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    environment = {"PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}", "GIT_PYTHON_GIT_EXECUTABLE": "git"}
    result = govsite("validate", str(tmp_path / "repo"), "--no-cache", env=environment)
    assert "5 migrations" in result.stdout, result.stdout + result.stderr[-3000:]
    started = [git_subcommand(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert sorted(started) == ["log", "rev-parse"]


def git_subcommand(command_line: str) -> str:
    """`log` of `--no-pager -c a=b -c c=d log -z ...`."""
    words = iter(command_line.split())
    for word in words:
        if word == "-c":
            next(words)
        elif not word.startswith("-"):
            return word
    return ""


def many_files_repo(root: Path, count: int, commits: int = 3) -> list[str]:
    """A repository of `count` files over a few commits, written quickly in one `git add` each."""
    repo = git.Repo.init(root, initial_branch="main")
    paths = [f"alembic/versions/m{i:04d}_change.py" for i in range(count)]
    (root / "alembic" / "versions").mkdir(parents=True)
    for step in range(commits):
        for i, path in enumerate(paths):
            if i % commits <= step:
                (root / path).write_text(f"revision = 'm{i}'\nstep = {step}\n")
        repo.git.add(A=True)
        when = f"2026-01-{step + 1:02d}T00:00:00 +0000"
        actor = git.Actor("Dana Reviewer", "dana@example.com")
        repo.index.commit(f"step {step}", author=actor, committer=actor, author_date=when, commit_date=when)
    repo.close()
    return paths


def test_git_processes_do_not_grow_with_the_number_of_files(tmp_path, spawned):
    small = tmp_path / "small"
    large = tmp_path / "large"
    small_paths = many_files_repo(small, 10)
    large_paths = many_files_repo(large, 1000)

    spawned.clear()
    small_history = read_history(small, small_paths)
    small_spawned = len(spawned)
    spawned.clear()
    large_history = read_history(large, large_paths)
    large_spawned = len(spawned)

    assert small_history.git_processes == large_history.git_processes == 2
    assert small_spawned == small_history.git_processes
    assert large_spawned == large_history.git_processes
    assert all(Path(program(call)).name.startswith("git") for call in spawned)
    assert all(f.added is not None for f in large_history.files.values())
    first, third = large_history.files[large_paths[0]], large_history.files[large_paths[2]]
    assert first.added.date == at("2026-01-01T00:00:00+00:00")
    assert first.last_changed.date == third.added.date == at("2026-01-03T00:00:00+00:00")


@pytest.mark.parametrize("kind", ["not-a-repository", "no-commits"])
def test_process_count_is_honest_when_there_is_no_history(tmp_path, spawned, kind):
    root = tmp_path / "r"
    root.mkdir()
    if kind == "no-commits":
        git.Repo.init(root).close()
    spawned.clear()
    history = read_history(root, ["a.py"])
    assert history.status == kind
    assert history.git_processes == len(spawned) == 1


@pytest.mark.skipif(not shutil.which("setpriv"), reason="setpriv (util-linux) is on every Debian system")
def test_the_walk_is_tied_through_setpriv_and_read_again_when_setpriv_is_too_old(tmp_path, spawned, monkeypatch):
    """A spawned (not forked) walk behind `setpriv --pdeathsig KILL`; a setpriv that does not know
    the option ran no git, so the walk runs again, tied the other way, with the same history."""
    monkeypatch.setattr(children, "_setpriv_refused", False)
    root = tmp_path / "repo"
    paths = many_files_repo(root, 6)
    spawned.clear()
    tied = read_history(root, paths)
    walks = [call for call in spawned if "log" in call]
    assert [Path(call[0]).name for call in walks] == ["setpriv"]
    assert walks[0][1:4] == ["--pdeathsig", "KILL", "--"] and Path(program(walks[0])).name.startswith("git")

    old = tmp_path / "old"
    old.mkdir()
    (old / "setpriv").write_text("#!/bin/sh\necho \"setpriv: unrecognized option '$1'\" >&2\nexit 1\n")
    (old / "setpriv").chmod(0o755)
    monkeypatch.setenv("PATH", f"{old}{os.pathsep}{os.environ['PATH']}")
    spawned.clear()
    fallback = read_history(root, paths)
    walks = [call for call in spawned if "log" in call]
    assert [Path(call[0]).name for call in walks] == ["setpriv", Path(program(walks[0])).name]
    assert fallback.files == tied.files and fallback.status == tied.status == "ok"
    assert fallback.git_processes == tied.git_processes + 1  # the refused start is counted too
    spawned.clear()
    read_history(root, paths)  # refused once: not tried again in this process
    assert not [call for call in spawned if Path(call[0]).name == "setpriv"]


# --------------------------------------------------------------------------- walks kept for reuse


def walk_store() -> ParseCache:
    """The parse cache, in memory: where `read_history` keeps its walks."""
    return ParseCache(persistent=False)


def walks_in(cache: ParseCache) -> list[str]:
    return [key for key in cache.entries if key.startswith("git-walk:")]


def test_a_second_read_from_the_same_commit_reuses_the_walk(make_git_repo):
    root = make_git_repo([
        ("2026-01-05T09:00:00Z", {"alembic/versions/a1.py": "x = 1\n"}),
        ("2026-01-06T09:00:00Z", {"alembic/versions/b2.py": "x = 2\n"}),
    ], tags={"v1": 0})
    paths = ["alembic/versions/a1.py", "alembic/versions/b2.py"]
    walks = walk_store()

    first = read_history(root, paths, cache=walks)
    again = read_history(root, paths, cache=walks)

    assert (first.git_processes, again.git_processes) == (2, 1)
    assert len(walks_in(walks)) == 1
    assert (again.files, again.head, again.status) == (first.files, first.head, first.status)


def test_a_new_commit_is_walked_again_and_a_changed_mailmap_applies_to_the_kept_walk(make_git_repo):
    """The walk gives names as committed and the repository's `.mailmap` is applied afterwards,
    so a changed `.mailmap` needs no new walk, and still shows at once."""
    root = make_git_repo([("2026-01-05T09:00:00Z", {"alembic/versions/a1.py": "x = 1\n"})])
    walks = walk_store()
    read_history(root, ["alembic/versions/a1.py"], cache=walks)

    commit_as(root, "Sam Owner <sam@example.com>", "2026-01-07T09:00:00+00:00", {"alembic/versions/b2.py": "y\n"})
    newer = read_history(root, ["alembic/versions/a1.py", "alembic/versions/b2.py"], cache=walks)
    assert newer.git_processes == 2
    assert newer.files["alembic/versions/b2.py"].added.author == "Sam Owner"

    (root / ".mailmap").write_text("Samantha Owner <sam@example.com>\n", encoding="utf-8")
    mapped = read_history(root, ["alembic/versions/b2.py"], cache=walks)
    assert mapped.git_processes == 1  # where the repository is: no walk
    assert mapped.files["alembic/versions/b2.py"].added.author == "Samantha Owner"
    assert len(walks_in(walks)) == 2


def test_each_release_tag_keeps_its_own_walk(make_git_repo):
    root = make_git_repo([
        ("2026-01-05T09:00:00Z", {"alembic/versions/a1.py": "x = 1\n"}),
        ("2026-01-06T09:00:00Z", {"alembic/versions/b2.py": "x = 2\n"}),
    ], tags={"v1": 0})
    walks = walk_store()
    at_tag = read_history(root, ["alembic/versions/b2.py"], rev="v1", cache=walks)
    at_head = read_history(root, ["alembic/versions/b2.py"], cache=walks)
    assert at_tag.files["alembic/versions/b2.py"].added is None  # not there yet at v1
    assert at_head.files["alembic/versions/b2.py"].added is not None
    assert at_head.git_processes == 2 and len(walks_in(walks)) == 2


def test_a_kept_walk_that_is_not_git_output_is_walked_again(make_git_repo, tmp_path):
    root = make_git_repo([("2026-01-05T09:00:00Z", {"alembic/versions/a1.py": "x = 1\n"})])
    walks = ParseCache(tmp_path / "cache")
    first = read_history(root, ["alembic/versions/a1.py"], cache=walks)
    walks.save()
    stored = json.loads(walks.path.read_text())
    for key in walks_in(walks):
        stored["entries"][key][-1] = {"not": "a walk"}
    walks.path.write_text(json.dumps(stored))
    warnings: list[str] = []
    again = read_history(root, ["alembic/versions/a1.py"], cache=ParseCache(tmp_path / "cache", warn=warnings.append))
    assert len(warnings) == 1 and "ignoring unusable entries" in warnings[0]
    assert again.git_processes == 2 and again.files == first.files
