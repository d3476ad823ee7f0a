"""How git is run: every file git reads for govsite lies inside the repository.

Besides the repository, git reads the machine's and the user's configuration, files that the
repository's own configuration names (`include.path`, `includeIf.*.path`, `mailmap.file`,
`mailmap.blob`, `core.attributesFile`) and `.mailmap`. A name or email from such a file ends up
on the site's pages, so each is closed off:

* no configuration from outside the repository: `GIT_CONFIG_NOSYSTEM`, `GIT_CONFIG_GLOBAL`
  pointing at the null device, none passed on through the environment, no system attributes;
* git applies no mailmap (names are asked for as committed, `%an`, and `-c mailmap.file=
  -c mailmap.blob=` stop the files a configuration names); the repository's own `.mailmap`,
  read with the safe reader (a link leading outside is not followed), is applied by `Mailmap`;
* includes cannot be switched off (a `-c include.path=` does not stop git reading the ones
  in `.git/config`, it only fails), so the configuration files are read here before git runs:
  an include naming a file outside the repository is a finding (`outside_includes`), and
  `GitRunner` starts no git process for that repository at all.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

from ..model import Commit, Finding, Location, record
from ..catalog import finding
from ..paths import inside
from .files import printable_path, read_text

# Settings read before the repository's own: `-c` comes last, so it wins over `.git/config`.
CONFIG_ARGUMENTS = (
    "-c", "mailmap.file=",
    "-c", "mailmap.blob=",
    "-c", "log.mailmap=false",
    "-c", f"core.attributesFile={os.devnull}",
)
MAX_INCLUDE_DEPTH = 10  # git's own limit


def git_executable() -> str:
    """The git to run: `GIT_PYTHON_GIT_EXECUTABLE` when set, else `git` from the `PATH`.

    That is gitpython's own rule, read here without importing gitpython (about 40 ms, two of
    them a `git version` it runs), so one setting picks the git of every command.
    """
    return os.environ.get("GIT_PYTHON_GIT_EXECUTABLE", "git")


def git_environment() -> dict[str, str]:
    """The environment git runs in: the caller's, without configuration from outside."""
    environment = dict(os.environ)
    environment.update({
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_COUNT": "0",  # `-c` settings a calling git passes on to its children
        "GIT_CONFIG_PARAMETERS": "",
        "GIT_ATTR_NOSYSTEM": "1",
    })
    return environment


# --------------------------------------------------------------------------- includes


@record
class _GitFolders:
    """Where git will look for the repository's configuration, found the way git finds it."""

    top: Path  # the work tree
    git_dir: Path  # `.git`, or a linked work tree's folder in the main repository's
    common_dir: Path  # where `config` lives (the same as git_dir unless a linked work tree)

    def holds(self, path: Path) -> bool:
        return any(inside(folder, path) for folder in (self.top, self.git_dir, self.common_dir))


def outside_includes(start: Path, report_from: Optional[Path] = None) -> list[Finding]:
    """A GOV804 finding for each include in the repository's git configuration that names a
    file outside the repository (its work tree and git folder), or that cannot be checked.

    Includes inside are read in turn, as git would. Paths in the findings are relative to
    `report_from` (default: `start`).
    """
    folders = _git_folders(Path(os.path.abspath(start)))
    if folders is None:
        return []
    base = Path(os.path.abspath(report_from or start))
    findings: list[Finding] = []
    pending = [(folders.common_dir / "config", 0), (folders.git_dir / "config.worktree", 0)]
    seen: set[str] = set()
    while pending:
        path, depth = pending.pop(0)
        real = os.path.realpath(path)  # never raises, not even on a symlink loop
        if real in seen or not os.path.lexists(path):
            continue
        seen.add(real)
        shown = printable_path(os.path.relpath(path, base))
        if not folders.holds(path):
            findings.append(finding("GOV804", Location(shown, 1), "git configuration file is a link "
                                    "leading outside the repository; git history not read"))
            continue
        for line, key, value in _include_paths(path):
            target = _include_target(path, value)
            where = Location(shown, line)
            if target is None or not folders.holds(target):
                findings.append(finding("GOV804", where, f"{key} '{printable_path(value)}' makes git "
                                        "read a file outside the repository; git history not read"))
            elif depth + 1 >= MAX_INCLUDE_DEPTH:
                findings.append(finding("GOV804", where, f"{key} nests includes more than "
                                        f"{MAX_INCLUDE_DEPTH} deep; git history not read"))
            else:
                pending.append((target, depth + 1))
    return findings


def _git_folders(start: Path) -> Optional[_GitFolders]:
    """The work tree and git folders git would use from `start`, without running git."""
    explicit = os.environ.get("GIT_DIR")
    if explicit:
        git_dir = Path(os.path.abspath(explicit))
        return _GitFolders(Path(os.environ.get("GIT_WORK_TREE") or start), git_dir, _common_dir(git_dir))
    ceilings = {Path(os.path.abspath(c)) for c in os.environ.get("GIT_CEILING_DIRECTORIES", "").split(":") if c}
    for folder in (start, *start.parents):
        if folder != start and folder in ceilings:
            return None
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return _GitFolders(folder, dot_git, _common_dir(dot_git))
        if dot_git.is_file():  # `gitdir: <path>`: a linked work tree or a submodule
            try:
                text = dot_git.read_text(encoding="utf-8", errors="surrogateescape")
            except OSError:
                return None
            if text.startswith("gitdir:"):
                git_dir = Path(os.path.abspath(folder / text[len("gitdir:"):].strip()))
                return _GitFolders(folder, git_dir, _common_dir(git_dir))
    return None


def _common_dir(git_dir: Path) -> Path:
    try:
        named = (git_dir / "commondir").read_text(encoding="utf-8", errors="surrogateescape").strip()
    except OSError:
        return git_dir
    return Path(os.path.abspath(git_dir / named)) if named else git_dir


def _include_target(config: Path, value: str) -> Optional[Path]:
    """The file an include names (relative to the file naming it), None when it cannot be known
    without git (`~user`, `%(prefix)`) or names none."""
    if not value or value.startswith("%(prefix)/") or value.startswith("~") and not value.startswith("~/"):
        return None
    if value.startswith("~/"):
        return Path(os.path.expanduser(value))
    return Path(os.path.abspath(config.parent / value))


_SECTION = re.compile(r'\s*\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\\n]|\\.)*)")?\s*\]')
_KEY = re.compile(r"\s*([A-Za-z][A-Za-z0-9-]*)\s*(=?)")


def _include_paths(config: Path) -> Iterator[tuple[int, str, str]]:
    """(line, key, path) of every `path` in an `[include]` or `[includeIf ...]` section.

    Every condition of `includeIf` counts: whether git would take it depends on where and how
    it runs, and a file that is not read cannot be refused by mistake.
    """
    for line, section, _, key, value in _settings(config):
        if section in ("include", "includeif") and key == "path":
            yield line, f"{section.replace('includeif', 'includeIf')}.path", value or ""


def _settings(config: Path) -> Iterator[tuple[int, str, Optional[str], str, Optional[str]]]:
    """(line, section, subsection, key, value) of every setting in a git configuration file;
    section and key lower-cased, as git compares them; value None for a key without `=`,
    which git reads as true."""
    try:
        text = config.read_bytes().decode("utf-8", "surrogateescape")
    except OSError:
        return
    section, subsection, number, lines = "", None, 0, text.split("\n")
    while number < len(lines):
        start, line = number + 1, lines[number]
        number += 1
        header = _SECTION.match(line)
        if header:
            section = header.group(1).split(".")[0].lower()
            subsection = header.group(2)
            line = line[header.end():]
        stripped = line.lstrip()
        if not stripped or stripped[0] in "#;":
            continue
        key = _KEY.match(line)
        if key is None:
            continue
        value, used = _value(line[key.end():], lines[number:]) if key.group(2) else (None, 0)
        number += used
        yield start, section, subsection, key.group(1).lower(), value


def partial_clone(start: Path) -> bool:
    """Whether the repository is a partial clone (`git clone --filter=...`), read from its
    configuration file rather than by starting git: `extensions.partialClone`, or a remote
    with `promisor = true`. Git then fetches a missing file content from the remote when a
    command needs it, one request at a time."""
    folders = _git_folders(Path(os.path.abspath(start)))
    if folders is None:
        return False
    return any(
        section == "extensions" and key == "partialclone" and value
        or section == "remote" and key == "promisor" and (value or "true").lower() in ("true", "yes", "on", "1")
        for _, section, _, key, value in _settings(folders.common_dir / "config")
    )


def _value(rest: str, following: list[str]) -> tuple[str, int]:
    """A value as git reads it (quotes, escapes, comments, a `\\` at the end continuing it on
    the next line), and how many of the `following` lines it took."""
    escapes = {"n": "\n", "t": "\t", "b": "\b", "\\": "\\", '"': '"'}
    out: list[str] = []
    quoted, used, space = False, 0, ""  # `space`: kept only when more of the value follows
    rest, index = rest.lstrip(), 0
    while index < len(rest):
        char = rest[index]
        index += 1
        if char == "\\":
            if index == len(rest):
                if used == len(following):
                    break
                rest, index, used = following[used], 0, used + 1
                continue
            out.append(space + escapes.get(rest[index], rest[index]))
            space, index = "", index + 1
        elif char == '"':
            quoted = not quoted
            out.append(space)
            space = ""
        elif not quoted and char in "#;":
            break
        elif not quoted and char.isspace():
            space += char
        else:
            out.append(space + char)
            space = ""
    return "".join(out), used


# --------------------------------------------------------------------------- mailmap


@dataclass
class Mailmap:
    """The repository's `.mailmap`, applied as git applies it (see gitmailmap(5)).

    Emails and names are matched without regard to case. An entry that names the commit's
    name as well as its email applies only to commits with that name; one without a name
    applies to every commit with the email.
    """

    by_email: dict[str, "_Entry"] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, top: Path) -> "Mailmap":
        """The `.mailmap` at the top of the work tree; empty when there is none or it cannot be
        read (a link leading outside is not followed)."""
        text, _ = read_text(top, ".mailmap")
        mailmap = cls()
        for line in text.text.split("\n") if text is not None else ():
            mailmap._add_line(line)
        return mailmap

    def _add_line(self, line: str) -> None:
        if line.startswith("#"):
            return
        first = _name_and_email(line)
        if first is None:
            return
        name, email, rest = first
        second = _name_and_email(rest)
        if second is None:
            old_name, old_email, new_email = None, email, None
        else:
            old_name, old_email, _ = second
            new_email = email
        entry = self.by_email.setdefault(old_email.casefold(), _Entry())
        if old_name is not None:
            entry = entry.by_name.setdefault(old_name.casefold(), _Entry())
        entry.name = name or entry.name
        entry.email = new_email or entry.email

    def apply(self, commit: Optional[Commit]) -> Optional[Commit]:
        """`commit` with its author's name and email as the mailmap gives them."""
        if commit is None or not self.by_email:
            return commit
        entry = self.by_email.get(commit.email.casefold())
        if entry is None:
            return commit
        entry = entry.by_name.get(commit.author.casefold(), entry)
        if entry.name is None and entry.email is None:
            return commit
        return dataclasses.replace(
            commit, author=entry.name or commit.author, email=entry.email or commit.email
        )


@dataclass
class _Entry:
    name: Optional[str] = None
    email: Optional[str] = None
    by_name: dict[str, "_Entry"] = dataclasses.field(default_factory=dict)


def _name_and_email(text: str) -> Optional[tuple[Optional[str], str, str]]:
    """(name or None, email, the rest of the line) from `Name <email> ...`."""
    left = text.find("<")
    right = text.find(">", left + 1)
    if left < 0 or right < 0:
        return None
    name = text[:left].strip()
    return name or None, text[left + 1 : right], text[right + 1 :]


__all__ = ["CONFIG_ARGUMENTS", "Mailmap", "git_environment", "outside_includes", "partial_clone"]
