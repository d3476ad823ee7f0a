"""Safe access to the repository's files: nothing outside the root is ever read.

Every reader goes through `find_files` and `read_text`, so symlinks that leave the repository,
`../` globs, directories with file names, unreadable and undecodable files all become findings
(with the path) instead of exceptions.
"""

from __future__ import annotations

import codecs
import fnmatch
import os
import stat
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator, Optional

from ..model import Finding, Location, record
from ..catalog import finding
from ..paths import inside

MAX_BYTES = 64 * 1024 * 1024  # a larger input is reported, not read
# A Markdown or YAML document beyond this is reported too: parsing costs microseconds a byte, so
# a stray dump in docs/adr/ would stall a docs build for minutes. (A register of 2,000 emergency
# records is well under a megabyte.)
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
_MAGIC = frozenset("*?[")


@record
class Text:
    """A decoded file: `text` with BOM removed and newlines normalised to '\\n'."""

    path: str  # relative POSIX path
    text: str
    data: bytes


def relative(root: Path, path: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def printable_path(rel: str) -> str:
    """A path that can be written to any report: undecodable bytes of a file name as `\\xe9`."""
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


# --------------------------------------------------------------------------- finding files


def leaves_repository(pattern: str) -> bool:
    """Whether a configured path or glob points outside the repository (absolute, or `..`)."""
    return os.path.isabs(pattern) or ".." in PurePosixPath(pattern).parts


def find_files(root: Path, patterns: Iterable[str]) -> list[str]:
    """Relative paths matching the glob patterns (`*`, `?`, `[...]`, `**`), sorted, deduplicated.

    `glob.glob` follows every symlinked directory, so a `docs/adr/x -> /` link would make it list
    the whole machine (and a link to an ancestor, loop until paths get too long). The walk here
    lists only directories inside the repository:

    * wildcards and `**` never descend into a symlinked directory; one that leads outside the
      repository is returned itself, so the reader reports it instead of silently skipping it;
    * a literal path component may be a symlink to a directory inside the repository;
    * a pattern that climbs out of the repository (`../x/*.md`, an absolute path) matches
      nothing; the GOV804 check reports such configuration (`rules.integrity`);
    * a directory that cannot be listed is returned, so its reader reports why.

    As with `glob`, wildcards do not match names starting with a dot unless the pattern does.
    """
    found: set[str] = set()
    root = Path(root)
    for pattern in patterns:
        if leaves_repository(pattern):
            continue
        parts = tuple(p for p in PurePosixPath(pattern).parts if p != ".")
        if parts:
            found.update(_expand(root, parts))
    return sorted(found)


def _expand(root: Path, parts: tuple[str, ...]) -> Iterator[str]:
    """Every path matching `parts`, walking with an explicit stack (deep trees, no recursion)."""
    seen: set[tuple[str, int]] = set()
    stack: list[tuple[str, int]] = [("", 0)]
    while stack:
        state = stack.pop()
        if state in seen:
            continue
        seen.add(state)
        directory, index = state
        part, last = parts[index], index == len(parts) - 1
        if part == "**":
            if not last:
                stack.append((directory, index + 1))
            for name, kind in _entries(root, directory, part):
                child = _join(directory, name)
                if kind == "dir":
                    stack.append((child, index))
                if last or kind == "unlistable" or (kind == "outside" and (root / child).is_dir()):
                    yield child  # a linked directory `**` would have walked: report it
        elif _MAGIC.intersection(part):
            for name, kind in _entries(root, directory, part):
                yield from _step(_join(directory, name), kind, index, last, stack)
        else:
            child = _join(directory, part)
            yield from _step(child, _kind(root, child, literal=True), index, last, stack)


def left_to_report(root: Path, rel: str) -> bool:
    """Whether `find_files` returned `rel` only so that its reader reports it: a symlink leading
    outside the repository, or a directory that cannot be listed. A reader that keeps only some
    file names (`*.py`) must keep these too, or a linked-out folder is skipped in silence."""
    return _kind(root, rel, literal=False) in ("outside", "unlistable")


def _step(child: str, kind: Optional[str], index: int, last: bool, stack: list) -> Iterator[str]:
    """Yield a match, or go on into a directory; a link leading outside is a match to report."""
    if kind is None:
        return
    if last or kind in ("outside", "unlistable"):
        yield child
    elif kind == "dir":
        stack.append((child, index + 1))


def _entries(root: Path, directory: str, part: str) -> Iterator[tuple[str, Optional[str]]]:
    """(name, kind) of the entries matching `part` (`**` matches all); names starting with a
    dot only when the pattern's part does too. Plain files and folders cost no extra call."""
    try:
        with os.scandir(root / directory if directory else root) as listing:
            entries = sorted(
                (entry.name, entry.is_symlink(), entry.is_dir(follow_symlinks=False))
                for entry in listing
                if part == "**" or fnmatch.fnmatchcase(entry.name, part)
            )
    except OSError:
        return
    for name, is_link, is_dir in entries:
        if name.startswith(".") and not part.startswith("."):
            continue
        rel = _join(directory, name)
        if is_link:
            yield name, _kind(root, rel, literal=False)
        elif is_dir:
            yield name, "dir" if os.access(root / rel, os.R_OK | os.X_OK) else "unlistable"
        else:
            yield name, "file"


def _kind(root: Path, rel: str, literal: bool) -> Optional[str]:
    """"dir" (walk into it), "file" (anything else that exists), "outside" (a symlink that leaves
    the repository), "unlistable" (a directory without permission to list it) or None (absent).

    A symlinked directory inside the repository is walked only when named literally, so
    wildcards can never run round a symlink loop.
    """
    path = root / rel
    if not os.path.lexists(path):
        return None
    if os.path.islink(path):
        if not inside(root, path):
            return "outside"
        if not (literal and path.is_dir()):
            return "file"
    elif not path.is_dir():
        return "file"
    return "dir" if os.access(path, os.R_OK | os.X_OK) else "unlistable"


def _join(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory else name


# --------------------------------------------------------------------------- reading files


def read_bytes(
    root: Path, rel: str, code: str = "GOV804", limit: int = MAX_BYTES, folders: Optional["OpenFolders"] = None
) -> tuple[Optional[bytes], Optional[Finding]]:
    """The bytes of `rel` (at most `limit`), or a finding of rule `code` saying why not.

    `folders` keeps the folders of many reads open between them (see `OpenFolders`)."""
    data = _read_plainly(root, rel, limit, folders)
    if data is not None:
        return data, None
    where = Location(printable_path(rel), 1, 1)
    refusal = _refusal(root, rel, where.path != rel)
    if refusal is not None:
        return None, finding(code, where, refusal)
    data: Optional[bytes] = None
    try:
        data, problem = _read_regular_file(root / rel, limit)
    except FileNotFoundError:
        problem = "file not found (a dangling symlink?)"
    except PermissionError:
        problem = "permission denied"
    except OSError as exc:
        problem = f"cannot read file: {exc.strerror or exc}"
    return (data, None) if problem is None else (None, finding(code, where, problem))


_PLAIN_OPEN = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
# POSIX opens relative to a folder (openat); asked of the platform, not of `os.open` itself,
# which a caller may have wrapped
_CAN_OPEN_PLAINLY = os.name == "posix" and hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY")


class OpenFolders:
    """The repository's folders, each opened relative to its parent without following symlinks
    (so whatever is read through them lies inside the repository), and kept open for many reads:
    a thousand files of one folder cost a thousand opens, not one per path component of each.
    Use as a context manager: the descriptors are closed at its end."""

    MAX_OPEN = 64  # folders kept open at once; more are closed and reopened as needed

    def __init__(self, root: Path):
        self.root = root
        self._open: dict[tuple[str, ...], int] = {}

    def descriptor(self, parts: tuple[str, ...]) -> int:
        """The open folder `parts` (a tuple of names below the root); raises OSError."""
        found = self._open.get(parts)
        if found is not None:
            return found
        if len(self._open) >= self.MAX_OPEN:
            self.close()
        if parts:
            opened = os.open(parts[-1], _PLAIN_OPEN | os.O_DIRECTORY, dir_fd=self.descriptor(parts[:-1]))
        else:
            opened = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        self._open[parts] = opened
        return opened

    def close(self) -> None:
        for descriptor in self._open.values():
            os.close(descriptor)
        self._open.clear()

    def __enter__(self) -> "OpenFolders":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _read_plainly(root: Path, rel: str, limit: int, folders: Optional[OpenFolders] = None) -> Optional[bytes]:
    """The bytes of `rel` when nothing about it needs a second look, else None.

    Each component is opened relative to its parent without following symlinks, so a file read
    here lies inside the repository by construction, at the cost of a few system calls instead
    of resolving the whole path. Anything unusual (a symlink anywhere on the path, a name that is
    not valid UTF-8, a directory, a pipe, an oversized or unreadable file) returns None, and the
    careful path below decides and words the finding.
    """
    parts = rel.split("/")
    if not _CAN_OPEN_PLAINLY or rel.startswith("/") or "" in parts or "." in parts or ".." in parts:
        return None
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return None
    opened = folders or OpenFolders(root)  # a single read opens its folders for itself
    descriptor: Optional[int] = None
    try:
        descriptor = os.open(parts[-1], _PLAIN_OPEN, dir_fd=opened.descriptor(tuple(parts[:-1])))
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        wanted = info.st_size + 1  # one byte more than the size: a file that grew is not plain
        data = os.read(descriptor, wanted)
        while len(data) < wanted and (more := os.read(descriptor, wanted - len(data))):
            data += more
        return data if len(data) <= info.st_size else None
    except (OSError, ValueError, NotImplementedError):
        return None
    finally:
        if descriptor is not None:
            os.close(descriptor)
        if opened is not folders:
            opened.close()


def _refusal(root: Path, rel: str, undecodable_name: bool) -> Optional[str]:
    """Why a path must not be opened at all, or None when it may be."""
    path = root / rel
    if os.path.isabs(rel) or ".." in Path(rel).parts or not inside(root, path):
        if os.path.islink(path) and _unresolvable(path):
            return "symlink cannot be resolved (a symlink loop?); not read"
        return "path leads outside the repository; not read"
    if undecodable_name:  # every report and page would have to carry the raw bytes
        return "file name is not valid UTF-8; not read"
    return None


def _read_regular_file(path: Path, limit: int) -> tuple[Optional[bytes], Optional[str]]:
    """(bytes, None) or (None, why not): directories, pipes and oversized files are not read."""
    info = path.stat()
    if stat.S_ISDIR(info.st_mode):
        if not os.access(path, os.R_OK | os.X_OK):
            return None, "directory cannot be listed: permission denied"
        return None, "is a directory, not a file"
    if not stat.S_ISREG(info.st_mode):  # opening a FIFO would wait for a writer forever
        return None, "not a regular file (a pipe, socket or device); not read"
    if info.st_size > limit:
        return None, f"file is {info.st_size} bytes, larger than the {limit} byte limit; not read"
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:  # it grew while being read
        return None, f"file is larger than the {limit} byte limit; not read"
    return data, None


def _unresolvable(path: Path) -> bool:
    try:
        path.resolve(strict=True)
        return False
    except FileNotFoundError:
        return False  # dangling: its target is what decides inside or outside
    except (OSError, RuntimeError):
        return True


def decode(rel: str, data: bytes, code: str = "GOV804") -> tuple[Optional[str], Optional[Finding]]:
    """UTF-8 text with BOM and `\\r\\n` handled, or a finding at the first byte that is not text.

    A NUL byte anywhere means binary content (Python refuses it in source, and Markdown parsers
    silently replace it), so the file is reported at the NUL's line rather than half read.
    """
    nul = data.find(b"\x00")
    if nul >= 0:
        where = Location(rel, data.count(b"\n", 0, nul) + 1)
        return None, finding(code, where, "contains a NUL byte: a binary file, not text; not read")
    bom = len(_BOM) if data.startswith(_BOM) else 0
    try:
        text = data[bom:].decode("utf-8") if bom else data.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"not valid UTF-8: byte 0x{data[bom + exc.start]:02x} cannot be decoded"
        return None, finding(code, _byte_location(rel, data, bom + exc.start), message)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, None


_BOM = codecs.BOM_UTF8


def _byte_location(rel: str, data: bytes, offset: int) -> Location:
    """Line and column (both 1-based; the column counts bytes) of a byte offset."""
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return Location(rel, line, column)


def read_text(
    root: Path, rel: str, code: str = "GOV804", limit: int = MAX_DOCUMENT_BYTES,
    folders: Optional[OpenFolders] = None,
) -> tuple[Optional[Text], Optional[Finding]]:
    """Read and decode one document; exactly one of the two results is None.

    `folders` keeps the folders of many reads open between them (see `OpenFolders`)."""
    data, problem = read_bytes(root, rel, code, limit, folders)
    if data is None:
        return None, problem
    text, problem = decode(rel, data, code)
    if text is None:
        return None, problem
    return Text(rel, text, data), None
