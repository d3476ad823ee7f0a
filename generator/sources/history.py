"""Git history of the repository's files, read in a constant number of git processes.

Pages show who added a migration and when, and GOV403 compares that moment with the emergency
change it reflects. Asking git once per file (`git log --follow -- <path>`) would cost one process
per migration, which is minutes at thousands of files, so the reader makes two calls whatever the
size of the repository:

1. `git rev-parse` finds the work tree, the repository root's place in it, whether the clone is
   shallow and the commit HEAD points at (none in a repository without commits);
2. one `git log --name-status -M` walk from HEAD lists every commit's changed files, renames
   included; walking from the newest commit backwards, each file's name is followed through its
   renames, so the commit that "added" a file is the one that added its earliest name.

The walk is the costly call (git compares every commit's tree with its parent's), and its output
depends only on the commit it starts from, not on the files asked about. `start_history` asks
`rev-parse` and returns at once; the caller reads its files, calling `advance()` between them,
which starts the walk as soon as git has answered; git walks while the caller reads on, and
`.result(paths)` picks those files out of the output. No thread waits for git, and this process
never waits for the few milliseconds `rev-parse` takes. Given a store (the parse cache), a run
from the same commit as an earlier one reuses that output and starts one process instead of two.
Git writes to a temporary file, not a pipe, so it never waits for this process; on Linux the walk
is killed if this process dies first.

Release tags are listed apart (`release_tags`), by the versioned build that publishes them.

Every path in the output is NUL-separated (`-z`), so names with spaces, quotes, newlines or
non-ASCII letters come through unchanged. The reader never raises: a directory outside git is
"not-a-repository", a git that is missing or fails is "unavailable".

What git cannot know is left empty (`None`) rather than guessed:

- a file that is untracked or only staged has no commit yet;
- in a shallow clone the oldest commits present are cut off from their parents, so git lists
  every file as "added" there; those commits are ignored, and a file seen only there has no added
  (or last-changed) commit. The status is "shallow" so pages can say history is truncated;
- a file deleted and later added again counts from the commit that added it again: the file that
  exists now started there.

Merge commits show no file changes of their own; a file is attributed to the commit on the
branch that changed it, which is what `git log` shows for the file too.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import hashlib
import posixpath
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Callable, Iterator, Optional

from ..model import Commit, FileHistory, History, record
from .children import SETPRIV_ERROR, die_with_parent, refuse_setpriv, tied_command
from .git_access import CONFIG_ARGUMENTS, Mailmap, git_environment, git_executable, outside_includes, partial_clone

if TYPE_CHECKING:
    from ..cache import ParseCache

# Each commit starts with an empty NUL-separated field; file names and status letters are never
# empty, so an empty field can only be the start of the next commit.
# Names as committed (`%an`, not git's mailmap-applied `%aN`): the mailmap is applied here.
_LOG_FORMAT = "%x00%H%x00%an%x00%ae%x00%aI%x00%s"
_HEADER_FIELDS = 5
# The one walk over the whole history: every commit's changed files, renames paired.
WALK_ARGUMENTS = (
    "log", "-z", "--name-status", "-M", "--root", "--date-order", "--no-color", f"--format={_LOG_FORMAT}",
)
# The same walk without rename detection, which is the only part of it that reads file
# contents: in a partial clone each one would be fetched from the remote, and a missing or
# corrupt blob stops the walk with renames but not without.
PLAIN_WALK_ARGUMENTS = tuple("--no-renames" if a == "-M" else a for a in WALK_ARGUMENTS)
# A rename git pairs below this similarity is followed only between files of one folder:
# at git's default of 50%, a helper script deleted in the commit that adds a migration would
# give the migration its author.
RENAME_SIMILARITY = 90
#: What the pages that depend on commit dates are, for a message saying they may be wrong.
DATED_PAGES = "the 24-hour check (GOV403) and the quarterly review pages"
_TAG_FORMAT = (
    "%(refname)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)"
    "%00%(creatordate:iso-strict)"
)
_TAG_LISTING = ("for-each-ref", f"--format={_TAG_FORMAT}", "refs/tags")
# Settings a user's git configuration could change that would alter the output we parse.
_NEUTRAL_CONFIG = (
    "-c", "diff.relative=false",
    "-c", "log.showSignature=false",
    "-c", "color.ui=never",
    "-c", "core.quotePath=false",
)
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


@dataclass
class GitRunner:
    """Runs git in `cwd` and counts every process it starts.

    The history reader's processes (and the tag listing) are started directly (`start`), so
    reading a repository never imports gitpython; the short commands that export a release's
    files for a versioned build go through gitpython (a call).

    The count is what `History.git_processes` reports, so it is kept here, at the only place
    that starts a process, rather than estimated. Git runs without configuration or mailmap
    from outside the repository (`git_access`), and not at all when the repository's
    configuration includes a file from outside.
    """

    cwd: Path
    processes: int = 0
    refused: Optional[bool] = None  # whether git must not run here; checked before the first

    def command(self, *args: str) -> list[str]:
        """The full command line of `git ARGS`, as every git process of the reader starts."""
        return [git_executable(), "--no-pager", *_NEUTRAL_CONFIG, *CONFIG_ARGUMENTS, *args]

    def allowed(self) -> bool:
        """False when the repository's git configuration includes files from outside it."""
        if self.refused is None:
            self.refused = bool(outside_includes(self.cwd))
        return not self.refused

    def __call__(self, *args: str) -> tuple[int, bytes, str]:
        """(exit status, stdout bytes, stderr text); raises only when git cannot be started.

        Through gitpython, imported here: `import git` fails when no git executable exists.
        """
        import git

        if not self.allowed():
            return 128, b"", "git not run: its configuration includes files outside the repository"
        self.processes += 1
        status, out, err = git.Git(str(self.cwd)).execute(
            self.command(*args),
            env=git_environment(),
            with_extended_output=True,
            with_exceptions=False,
            stdout_as_string=False,
            strip_newline_in_stdout=False,
        )
        if isinstance(err, bytes):
            err = err.decode("utf-8", "replace")
        return status, out or b"", err or ""

    def start(self, *args: str, tied: bool = True) -> "Started":
        """Start git without waiting for it; raises only when git cannot be started.

        `tied`: killed if this process dies first (see `children`), for a walk that may run for
        seconds.
        """
        if not self.allowed():
            raise OSError("git not run: its configuration includes files outside the repository")
        command = self.command(*args)
        through_setpriv = tied_command(command) if tied else None
        output, errors = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        try:
            process = subprocess.Popen(
                through_setpriv or command, cwd=self.cwd, env=git_environment(), stdin=subprocess.DEVNULL,
                stdout=output, stderr=errors, preexec_fn=die_with_parent() if tied and not through_setpriv else None,
            )
        except BaseException:
            output.close()
            errors.close()
            raise
        self.processes += 1
        again = functools.partial(self.start, *args, tied=True) if through_setpriv else None
        return Started(process, output, errors, again)


@dataclass
class Started:
    """A git process under way, its output going to a file (git never waits on a reader)."""

    process: subprocess.Popen
    output: IO[bytes]
    errors: IO[bytes]
    again: Optional[Callable[[], "Started"]] = None  # started through setpriv: the same, tied without

    def result(self) -> tuple[int, bytes, str]:
        """(exit status, stdout bytes, stderr text), once git has finished."""
        try:
            status = self.process.wait()
            self.output.seek(0)
            self.errors.seek(0)
            err = self.errors.read(64_000).decode("utf-8", "replace")
            if self.again is not None and status != 0 and err.startswith(SETPRIV_ERROR):
                refuse_setpriv()  # too old for --pdeathsig: git never ran
                return self.again().result()
            return status, self.output.read(), err
        finally:
            self.close()

    def finished(self) -> bool:
        """Whether git has ended (its result will not wait)."""
        return self.process.poll() is not None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.output.close()
        self.errors.close()


def read_history(
    root: Path, paths: list[str], rev: str = "HEAD", cache: Optional["ParseCache"] = None
) -> History:
    """History of `paths` (POSIX, relative to `root`); never raises.

    `rev` is the commit the walk starts from: HEAD for the working tree, a release tag when a
    past version of the site is built from git objects. With a `cache`, the walk's output is
    reused when one from the same commit (same shallow boundary) was kept.
    """
    return start_history(root, rev, cache).result(paths)


def start_history(root: Path, rev: str = "HEAD", cache: Optional["ParseCache"] = None) -> "HistoryReading":
    """Start reading history: `rev-parse` under way, the walk once it answers (`advance`).

    `.result(paths)` gives the history of `paths`; in between the caller reads its files.
    """
    reading = HistoryReading(Path(root), GitRunner(Path(root)), cache)
    if not reading.root.is_dir():
        reading.settled = History(status="not-a-repository")
        return reading
    try:
        reading.start(rev)
    except Exception:  # the boundary: a broken git must not break a docs build
        reading.fail()
    return reading


def release_tags(root: Path, pattern: str = "v*") -> list[tuple[str, str, datetime]]:
    """Tags whose name matches the shell-style `pattern`, oldest first: one site version each.

    Each entry is (tag, commit sha, date): the tagger's date for an annotated tag, the commit's
    date for a lightweight one. Outside git, or when git fails, the list is empty.
    """
    root = Path(root)
    if not root.is_dir():
        return []
    try:
        tags = _read_tags(GitRunner(root))
    except Exception:  # same boundary as read_history
        return []
    return [t for t in tags if fnmatch.fnmatchcase(t[0], pattern)]


# --------------------------------------------------------------------------- the git calls


@record
class _Where:
    """What `git rev-parse` says about the directory the reader was pointed at."""

    prefix: str  # the root's path inside the work tree, "" or ending in "/"
    shallow: bool
    shallow_file: Path
    head: Optional[str]
    top: Path  # the work tree's top folder


@dataclass
class HistoryReading:
    """History being read: `start` asks git where it is, `advance` starts the walk once git
    has answered (unless the cache has it); `result` waits for both and follows the files
    asked about."""

    root: Path
    run: GitRunner
    cache: Optional["ParseCache"]
    settled: Optional[History] = None  # known without the walk: no repository, no commits
    locating: Optional[Started] = None  # `rev-parse`, until `advance` reads its answer
    where: Optional[_Where] = None
    boundary: frozenset[str] = frozenset()
    walk_key: tuple[str, str] = ("", "")  # the walk's cache key and the digest it was made from
    walk: Optional[Started] = None
    walked: Optional[bytes] = None  # the walk's output, when the cache had it
    renames: bool = True  # whether the walk pairs renames (it reads no contents without)
    partial_clone: bool = False  # objects are fetched on demand, so renames are not paired
    problem: Optional[str] = None  # why the walk could not read the whole history
    complete: bool = True  # False: the output stops before the first commit

    def start(self, rev: str) -> None:
        """Ask git where the repository is; the walk starts once it answers (`advance`)."""
        self.locating = _start_locating(self.run, rev)

    def advance(self, wait: bool = False) -> None:
        """Start the walk if `rev-parse` has answered (waiting for it when `wait`), so a caller
        with files to read can call this between them instead of waiting for git at first."""
        locating = self.locating
        if locating is None or not (wait or locating.finished()):
            return
        self.locating = None
        try:
            self._located(*_located(self.root, *locating.result()))
        except Exception:  # the boundary of start_history: a broken git must not break a build
            self.fail()

    def _located(self, where: Optional[_Where], status: str) -> None:
        self.where = where
        if self.where is None:
            self.settled = History(status=status)
        elif self.where.head is None:
            self.settled = History(status="no-commits")
        else:
            self.boundary = _shallow_boundary(self.where) if self.where.shallow else frozenset()
            self.partial_clone = partial_clone(self.where.top)
            self.renames = not self.partial_clone
            key, digest = self.walk_key = _walk_key(self.where, self.boundary, self._arguments())
            cached = self.cache.get(key, bytes, path=None, digest=digest) if self.cache is not None else None
            if cached is None:
                self.walk = self.run.start(*self._arguments(), self.where.head, "--")
            self.walked = cached

    def _arguments(self) -> tuple[str, ...]:
        return WALK_ARGUMENTS if self.renames else PLAIN_WALK_ARGUMENTS

    def fail(self) -> None:
        self.close()
        self.settled = History(status="unavailable")

    def result(self, paths: list[str]) -> History:
        """The history of `paths`; never raises."""
        self.advance(wait=True)
        try:
            history = self.settled or self._follow(list(paths))
        except Exception:  # the boundary, as in start_history
            history = History(status="unavailable")
        finally:
            self.close()
        files = {} if history.status == "not-a-repository" else history.files or _unknown(paths)
        return dataclasses.replace(history, files=files, git_processes=self.run.processes)

    def _follow(self, paths: list[str]) -> History:
        where = self.where
        output = self._walk_output()
        if output is None:
            return History(status="unavailable")
        if not self.complete and not output.strip(b"\0\n"):  # not even the newest commit
            return History(status="unavailable", head=where.head, problem=self.problem)
        wanted = {_git_path(where.prefix, p): p for p in paths}
        files, cut_off = _file_histories(output, wanted, self.boundary, self.complete)
        return History(
            status="shallow" if where.shallow else "ok",
            files=_mailmapped(files, Mailmap.of(where.top)),
            head=where.head,
            problem=self._problem(files, cut_off),
            renames=self.renames,
            partial_clone=self.partial_clone,
        )

    def _walk_output(self) -> Optional[bytes]:
        """The walk's output, kept for reuse when git read all of it.

        When git stops on an object it cannot read, the walk runs once more without rename
        detection (the only part that reads file contents); when that stops too, what git
        printed before stopping still dates every file changed after the broken commit.
        """
        if self.walked is not None:
            return self.walked
        status, out, err = self.walk.result()
        if status != 0:
            self.problem = _git_error(err, status)
            if self.renames:
                self.renames = False
                self.walk = self.run.start(*PLAIN_WALK_ARGUMENTS, self.where.head, "--")
                status, out, _ = self.walk.result()
        if status != 0:
            self.complete = False
            return out
        if self.cache is not None and self.problem is None:
            key, digest = self.walk_key
            self.cache.put(key, out, path=None, digest=digest)
        return out

    def _problem(self, files: dict[str, FileHistory], cut_off: list[str]) -> Optional[str]:
        """What the history is missing, and what that affects; None when it is whole (or
        when a shallow clone cut off no file asked about)."""
        if self.problem is None:
            if not cut_off:
                return None
            return (f"the clone is shallow: {len(cut_off)} of {len(files)} files were added before "
                    f"its oldest commit and have no date ({_some(sorted(cut_off))}); {DATED_PAGES} "
                    f"leave them out (fetch the whole history, e.g. fetch-depth: 0)")
        if self.complete:
            return (f"{self.problem}; read again without rename detection, so a renamed file "
                    f"is dated by its rename, which can move {DATED_PAGES}")
        undated = sorted(path for path, f in files.items() if f.added is None)
        return (f"{self.problem}; {len(undated)} of {len(files)} files have no date "
                f"({_some(undated) or 'none of those read'}): {DATED_PAGES} leave them out")

    def close(self) -> None:
        """Stop what is still running (after a failure, or when the caller gives up)."""
        for started in (self.locating, self.walk):
            if started is not None:
                started.close()


def _start_locating(run: GitRunner, rev: str = "HEAD") -> Started:
    """One `rev-parse`; `--verify -q HEAD` exits 1 (printing the rest) when there is no commit.

    Started like the walk, not through gitpython: a `validate` then never imports gitpython.
    """
    return run.start(
        "rev-parse", "--show-prefix", "--is-shallow-repository",
        "--git-path", "shallow", "--verify", "-q", rev if rev == "HEAD" else f"{rev}^{{commit}}", tied=False,
    )


def _located(root: Path, status: int, out: bytes, err: str) -> tuple[Optional[_Where], str]:
    """Where the repository is, from `rev-parse`'s answer, or why that is not known."""
    if status not in (0, 1):
        return None, "not-a-repository" if "not a git repository" in err else "unavailable"
    lines = out.decode("utf-8", "surrogateescape").split("\n")
    if len(lines) < 3:
        return None, "unavailable"
    head = lines[3].strip() if status == 0 and len(lines) > 3 else ""
    return _Where(
        prefix=lines[0],
        shallow=lines[1].strip() == "true",
        shallow_file=root / lines[2],
        head=head if _SHA.match(head) else None,
        top=root.joinpath(*[".."] * lines[0].count("/")),
    ), "ok"


def _some(paths: list[str], shown: int = 5) -> str:
    return ", ".join(paths[:shown]) + (f" and {len(paths) - shown} more" if len(paths) > shown else "")


def _git_error(err: str, status: int) -> str:
    """Git's own words for why it stopped: its `fatal:` or `error:` line."""
    lines = [line.strip() for line in err.splitlines() if line.strip()]
    said = next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[-1] if lines else "")
    said = said.removeprefix("fatal: ").removeprefix("error: ")
    return f"git could not read the whole history ({said or f'git log exited with status {status}'})"


def _shallow_boundary(where: _Where) -> frozenset[str]:
    """The commits whose parents a shallow clone left out (git lists them in `.git/shallow`)."""
    try:
        return frozenset(where.shallow_file.read_text(encoding="ascii").split())
    except (OSError, UnicodeDecodeError):
        return frozenset()


def _read_tags(run: GitRunner) -> list[tuple[str, str, datetime]]:
    status, out, _ = run.start(*_TAG_LISTING, tied=False).result()
    return _parse_tags(out) if status == 0 else []


def _parse_tags(out: bytes) -> list[tuple[str, str, datetime]]:
    """Every tag that names a commit, oldest first (ties by name, so the order is stable)."""
    tags = []
    for line in out.decode("utf-8", "replace").splitlines():
        parts = line.split("\0")
        if len(parts) != 6:
            continue
        ref, kind, sha, peeled_kind, peeled_sha, stamp = parts
        if kind == "tag":
            kind, sha = peeled_kind, peeled_sha
        when = _parse_date(stamp)
        if kind == "commit" and when is not None:
            tags.append((ref.removeprefix("refs/tags/"), sha, when))
    return sorted(tags, key=lambda t: (t[2], t[0]))


# --------------------------------------------------------------------------- following files


def _walk_key(where: _Where, boundary: frozenset[str], arguments: tuple[str, ...]) -> tuple[str, str]:
    """The cache key and digest of what a walk's output depends on: the commit it starts from,
    the commits a shallow clone cut off, and the arguments (names come out as committed; the
    repository's `.mailmap` is applied afterwards, so it is no part of the walk)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (where.head or "", *sorted(boundary), *arguments):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return f"git-walk:{digest.hexdigest()}", digest.hexdigest()


def _file_histories(
    out: bytes, wanted: dict[str, str], boundary: frozenset[str], complete: bool = True
) -> tuple[dict[str, FileHistory], list[str]]:
    """Each wanted file's adding and last commits, from the walk's output, and the files a
    shallow clone's boundary cut off (seen only in a commit whose parents are missing).

    A file still being followed when an incomplete walk ends, with no addition seen, has no
    adding commit: the commit that added it is among those git could not read.
    """
    follower = _Follower(dict(wanted), {posixpath.dirname(name) for name in wanted})
    cut_off: set[str] = set()
    for header, changes in _parse_log(out):
        if not any(change[1][-1] in follower.following for change in changes):
            continue  # most commits: nothing followed, and their header need not be read
        commit = _parse_header(header)
        if commit is None:
            continue
        if commit.sha in boundary:
            cut_off.update(follower.following[c[1][-1]] for c in changes
                           if c[1][-1] in follower.following)
            continue
        # renames last: a name re-added in the same commit a rename freed is settled first
        for change in sorted(changes, key=lambda c: c[0] == "R"):
            follower.see(commit, change)
        if not follower.following:
            break
    if not complete:  # an addition seen is kept: only an older one could be missing
        for target in follower.following.values():
            if target not in follower.gone:
                follower.added.pop(target, None)
    files = {
        requested: FileHistory(requested, follower.added.get(requested), follower.changed.get(requested),
                               follower.again.get(requested))
        for requested in wanted.values()
    }
    return files, sorted(path for path in cut_off if files[path].added is None)


@dataclass
class _Follower:
    """Follows each wanted file backwards in time, newest commit first, through its renames.

    `following` maps the name a file had at the point of history being read to the path that was
    asked for; a rename swaps the new name for the old one. An addition does not end the search:
    a file deleted and added again is dated by its first addition, so the walk goes on looking
    for an older one (`again` keeps the latest addition). A rename git pairs with less than
    `RENAME_SIMILARITY` is followed only from a folder one of the wanted files is in.
    """

    following: dict[str, str]
    folders: set[str]
    added: dict[str, Commit] = field(default_factory=dict)
    changed: dict[str, Commit] = field(default_factory=dict)
    again: dict[str, Commit] = field(default_factory=dict)  # the latest addition of a re-added file
    gone: set[str] = field(default_factory=set)  # added; older commits can only add it again

    def see(self, commit: Commit, change: tuple[str, tuple[str, ...], int]) -> None:
        letter, names, similarity = change
        name = names[-1]
        target = self.following.get(name)
        if target is None:
            return
        if letter == "D":
            self._deleted(name, target)
            return
        if target in self.gone:
            if letter in ("A", "C") or letter == "R" and self._followed(names, similarity):
                # an older addition of a file that was deleted and added again
                self.again.setdefault(target, self.added[target])
                self.added[target] = commit
            if letter == "R" and self._followed(names, similarity):
                del self.following[name]
                self.following[names[0]] = target
            return
        self.changed.setdefault(target, commit)
        if letter == "R" and self._followed(names, similarity):
            del self.following[name]
            self.following[names[0]] = target
        elif letter in ("A", "C", "R"):
            self.added[target] = commit
            self.gone.add(target)

    def _followed(self, names: tuple[str, ...], similarity: int) -> bool:
        return similarity >= RENAME_SIMILARITY or posixpath.dirname(names[0]) in self.folders

    def _deleted(self, name: str, target: str) -> None:
        # Met before any change: the committed file was deleted and the one on disk is not
        # committed yet, so none of the older history belongs to it. Met after its addition:
        # the file was deleted and added again; an older addition may come.
        if target not in self.changed:
            del self.following[name]


def _parse_log(out: bytes) -> Iterator[tuple[list[bytes], list[tuple[str, tuple[str, ...], int]]]]:
    """(commit header, [(status letter, names, similarity)]) from `git log -z --name-status
    --format=_LOG_FORMAT`; `_parse_header` reads a header, for the commits that matter.

    A rename or copy has two names (old, new) and the similarity git found (`R066`: 66);
    every other change one name, and 100.
    """
    fields = out.split(b"\0")
    i = 0
    commit: Optional[list[bytes]] = None
    changes: list[tuple[str, tuple[str, ...], int]] = []
    while i < len(fields):
        token = fields[i]
        if token == b"":
            if commit is not None:
                yield commit, changes
            commit, changes = fields[i + 1 : i + 1 + _HEADER_FIELDS], []
            i += 1 + _HEADER_FIELDS
            continue
        status = token.strip(b"\n").decode("ascii", "replace")
        letter, score = status[:1], status[1:]
        width = 2 if letter in ("R", "C") else 1
        names = tuple(_decode_path(n) for n in fields[i + 1 : i + 1 + width])
        if commit is not None and len(names) == width:
            changes.append((letter, names, int(score) if score.isdigit() else 100))
        i += 1 + width
    if commit is not None:
        yield commit, changes


def _parse_header(values: list[bytes]) -> Optional[Commit]:
    if len(values) < _HEADER_FIELDS:
        return None
    sha, author, email, stamp, summary = [v.decode("utf-8", "replace") for v in values]
    when = _parse_date(stamp)
    if not _SHA.match(sha) or when is None:
        return None
    return Commit(sha=sha, author=author, email=email, date=when, summary=summary)


# --------------------------------------------------------------------------- small helpers


def _git_path(prefix: str, path: str) -> str:
    """Where `path` (relative to the repository root) sits in the work tree git reports on."""
    return posixpath.normpath(prefix + path)


def _decode_path(raw: bytes) -> str:
    # the same decoding Python applies to file names on disk, so undecodable bytes round-trip
    return raw.decode("utf-8", "surrogateescape")


def _parse_date(stamp: str) -> Optional[datetime]:
    try:
        when = datetime.fromisoformat(stamp.strip())
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _mailmapped(files: dict[str, FileHistory], mailmap: Mailmap) -> dict[str, FileHistory]:
    """Authors as the repository's `.mailmap` names them."""
    return {
        path: FileHistory(f.path, mailmap.apply(f.added), mailmap.apply(f.last_changed),
                          mailmap.apply(f.added_again))
        for path, f in files.items()
    }


def _unknown(paths: list[str]) -> dict[str, FileHistory]:
    return {p: FileHistory(p) for p in paths}


__all__ = ["GitRunner", "HistoryReading", "read_history", "release_tags", "start_history"]
