"""Parsed results keyed by file content, so unchanged files are never parsed twice.

Two levels: a file whose (size, mtime) is unchanged is not even read again (what `mkdocs serve`
needs after one migration changed); otherwise its bytes are hashed and a result for the same
content, path and configuration is reused, whichever version or folder it came from (what a
versioned build of tags that share most files needs).

The store lives outside the repository (`$GOVSITE_CACHE_DIR`, else `$XDG_CACHE_HOME/govsite`,
else `~/.cache/govsite`), because it holds pickles and a repository's own files must never be
able to feed code to the tool. A store that is corrupt, from another version of the tool or
unwritable is ignored with a warning, never trusted.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Optional

FORMAT = 1


def _tool_version() -> str:
    from . import __version__

    return f"{__version__}/{FORMAT}/{sys.version_info[:2]}"


def default_directory() -> Path:
    explicit = os.environ.get("GOVSITE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "govsite"


def content_key(kind: str, rel: str, data: bytes, fingerprint: str) -> str:
    digest = hashlib.blake2b(data, digest_size=16)
    digest.update(b"\0" + rel.encode() + b"\0" + fingerprint.encode() + b"\0" + kind.encode())
    return digest.hexdigest()


def warn_stderr(message: str) -> None:
    print(f"govsite: warning: {message}", file=sys.stderr)


class ParseCache:
    """A content-addressed store of parse results, loaded once and saved atomically."""

    def __init__(
        self,
        directory: Optional[Path] = None,
        *,
        persistent: bool = True,
        warn: Callable[[str], None] = warn_stderr,
    ):
        self.directory = directory or default_directory()
        self.persistent = persistent
        self.warn = warn
        self.entries: dict[str, Any] = {}
        self.stats: dict[tuple[str, str], tuple[int, int, str]] = {}  # (root, rel) -> (size, mtime, key)
        self.hits = 0
        self.misses = 0
        self._dirty = False
        if persistent:
            self._load()

    @property
    def path(self) -> Path:
        return self.directory / "parse-cache.pickle"

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                payload = pickle.load(handle)
        except FileNotFoundError:
            return
        except Exception as exc:  # corrupt, truncated, unreadable: never trusted
            self.warn(f"ignoring unreadable cache {self.path}: {exc.__class__.__name__}")
            return
        if not isinstance(payload, dict) or payload.get("version") != _tool_version():
            self.warn(f"ignoring cache {self.path}: written by another version of govsite")
            return
        entries = payload.get("entries")
        if isinstance(entries, dict):
            self.entries = entries

    def lookup_stat(self, root: Path, rel: str, stat: os.stat_result) -> Optional[Any]:
        """The result for a file whose size and mtime are as last seen, without reading it."""
        seen = self.stats.get((str(root), rel))
        if seen and seen[0] == stat.st_size and seen[1] == stat.st_mtime_ns and seen[2] in self.entries:
            self.hits += 1
            return self.entries[seen[2]]
        return None

    def get(self, key: str) -> Optional[Any]:
        value = self.entries.get(key)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def put(self, key: str, value: Any) -> None:
        self.entries[key] = value
        self._dirty = True

    def remember_stat(self, root: Path, rel: str, stat: os.stat_result, key: str) -> None:
        self.stats[(str(root), rel)] = (stat.st_size, stat.st_mtime_ns, key)

    def save(self) -> None:
        """Write the store atomically; an unwritable location costs a warning, not the run."""
        if not (self.persistent and self._dirty):
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".parse-cache-")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump({"version": _tool_version(), "entries": self.entries}, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
            self._dirty = False
        except OSError as exc:
            self.warn(f"cannot write cache in {self.directory}: {exc.strerror or exc}; continuing without it")
            self.persistent = False
