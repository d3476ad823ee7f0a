"""Safe access to the repository's files: nothing outside the root is ever read.

Every reader goes through `find_files` and `read_text`, so symlinks that leave the repository,
`../` globs, directories with file names, unreadable and undecodable files all become findings
(with the path) instead of exceptions.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from ..model import Finding, Location
from ..rules.catalog import finding

MAX_BYTES = 64 * 1024 * 1024  # a larger input is reported, not read


@dataclass(frozen=True)
class Text:
    """A decoded file: `text` with BOM removed and newlines normalised to '\\n'."""

    path: str  # relative POSIX path
    text: str
    data: bytes


def inside(root: Path, candidate: Path) -> bool:
    """True when `candidate` (after resolving symlinks) lies within `root`."""
    try:
        candidate.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False


def relative(root: Path, path: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def find_files(root: Path, patterns: Iterable[str]) -> list[str]:
    """Relative paths matching the glob patterns, sorted, each inside the repository.

    Patterns that climb out of the repository (`../x/*.md`, absolute paths) match nothing here;
    the reader that asked reports the file when it tries to read it.
    """
    found: set[str] = set()
    for pattern in patterns:
        if os.path.isabs(pattern) or ".." in Path(pattern).parts:
            continue
        for match in glob.glob(pattern, root_dir=root, recursive=True):
            found.add(Path(match).as_posix())
    return sorted(found)


def read_bytes(root: Path, rel: str, code: str = "GOV804") -> tuple[Optional[bytes], Optional[Finding]]:
    """The bytes of `rel`, or a finding of rule `code` that says why they cannot be read."""
    path = root / rel
    where = Location(rel, 1, 1)
    if os.path.isabs(rel) or ".." in Path(rel).parts or not inside(root, path):
        return None, finding(code, where, "path leads outside the repository; not read")
    try:
        if path.is_dir():
            return None, finding(code, where, "is a directory, not a file")
        size = path.stat().st_size
        if size > MAX_BYTES:
            return None, finding(code, where, f"file is {size} bytes, larger than the {MAX_BYTES} byte limit; not read")
        with open(path, "rb") as handle:
            return handle.read(), None
    except FileNotFoundError:
        return None, finding(code, where, "file not found (a dangling symlink?)")
    except PermissionError:
        return None, finding(code, where, "permission denied")
    except OSError as exc:
        return None, finding(code, where, f"cannot read file: {exc.strerror or exc}")


def decode(rel: str, data: bytes, code: str = "GOV804") -> tuple[Optional[str], Optional[Finding]]:
    """UTF-8 text with BOM and `\\r\\n` handled, or a finding naming the first bad byte's line."""
    if b"\x00" in data[:8192]:
        return None, finding(code, Location(rel, 1, 1), "binary file (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, finding(code, Location(rel, line, column), f"not valid UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded")
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


def read_text(root: Path, rel: str, code: str = "GOV804") -> tuple[Optional[Text], Optional[Finding]]:
    """Read and decode one file; exactly one of the two results is None."""
    data, problem = read_bytes(root, rel, code)
    if data is None:
        return None, problem
    text, problem = decode(rel, data, code)
    if text is None:
        return None, problem
    return Text(rel, text, data), None
