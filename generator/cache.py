"""Parsed results keyed by file content, so unchanged files are never parsed twice.

Two levels:

* in memory, a file whose size and modification time are as last seen is not even read again
  (what `mkdocs serve` needs after one migration changed);
* otherwise its bytes are hashed, and a result for the same content, path, parse settings and
  tool version is reused, whichever folder it came from (what a versioned build needs: the
  releases are extracted into different folders but share most of their files).

The persistent store lives outside the repository (`$GOVSITE_CACHE_DIR`, else
`$XDG_CACHE_HOME/govsite`, else `~/.cache/govsite`), because it holds pickles and a repository's
own files must never be able to feed code to the tool. A store that is corrupt, written by
another version of the tool, or in a place that cannot be written is ignored with a warning and
never trusted. The tool version includes a digest of the code that produces parse results, so a
changed reader can never be served results of the old one.

Each repository gets its own store file (named after its folder), so loading it costs what the
repository holds, not what every repository ever checked on the machine holds. Entries unused
for `KEEP_SESSIONS` writes are dropped, which bounds the store to a few versions of the
repository.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

FORMAT = 2
KEEP_SESSIONS = 8  # a result survives this many writes of the store without being used
STALE_SECONDS = 30 * 24 * 3600  # another repository's store unused this long is deleted
RACY_NANOSECONDS = 2_000_000_000  # a file changed this recently may change again unseen

# The code that decides what a parse result holds: any change to it makes old results stale.
_PARSE_CODE = (
    "cache.py",
    "config.py",
    "model.py",
    "catalog.py",
    "sources/arguments.py",
    "sources/files.py",
    "sources/header.py",
    "sources/migration_ops.py",
    "sources/migrations.py",
    "sources/sql.py",
)


@functools.cache
def tool_version() -> str:
    """Package version, store format, Python version and a digest of the parsing code."""
    from .version import __version__

    package = Path(__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=8)
    for name in _PARSE_CODE:
        try:
            digest.update((package / name).read_bytes())
        except OSError:
            digest.update(b"missing:" + name.encode())
    python = ".".join(map(str, sys.version_info[:2]))
    return f"{__version__}/{FORMAT}/py{python}/{digest.hexdigest()}"


def default_directory() -> Path:
    explicit = os.environ.get("GOVSITE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "govsite"


def content_key(kind: str, rel: str, data: bytes, fingerprint: str) -> str:
    """The key of one parse: what was parsed (bytes and path) and how (settings, tool version).

    The repository's folder is not part of it, so a release extracted elsewhere hits too.
    """
    digest = hashlib.blake2b(data, digest_size=16)
    for part in (rel, fingerprint, kind, tool_version()):
        digest.update(b"\0" + part.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def warn_stderr(message: str) -> None:
    print(f"govsite: warning: {message}", file=sys.stderr)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many acyclic objects are made at once.

    Parse results and syntax trees hold no reference cycles, but creating hundreds of thousands
    of objects sets off collections that scan all of them again; pausing it saves a fifth of a
    cold read and most of a store load. Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def keep_from_collector() -> None:
    """Put every object alive now out of the cyclic collector's sight (`gc.freeze`).

    A repository loaded with collection paused is hundreds of thousands of objects that all sit
    in the youngest generation: the first collections afterwards would scan each of them once
    per generation, a third of a second at 5,000 migrations, only to find no cycles. Frozen,
    they are never scanned; reference counting still frees them when they are dropped.
    """
    gc.freeze()


def release_to_collector() -> None:
    """Undo `keep_from_collector` and collect, so a long session (`mkdocs serve`) does not keep
    the cyclic garbage of every earlier rebuild."""
    gc.unfreeze()
    gc.collect()


class ParseCache:
    """A content-addressed store of parse results, loaded once and saved atomically.

    One object serves every build of a process (all versions of a versioned build, every
    rebuild of `mkdocs serve`); `save()` writes it back when something new was parsed.
    """

    def __init__(
        self,
        directory: Optional[Path] = None,
        *,
        persistent: bool = True,
        name: str = "parse-cache",
        warn: Callable[[str], None] = warn_stderr,
    ):
        self.directory = Path(directory) if directory is not None else default_directory()
        self.persistent = persistent
        self.name = name
        self.warn = warn
        self.entries: dict[str, tuple[int, Any]] = {}  # key -> (last session that used it, value)
        self.stats: dict[tuple[str, str], tuple[int, int, str]] = {}  # (root, rel) -> (size, mtime, key)
        self.used: set[str] = set()
        self.session = 1
        self.hits = 0
        self.stat_hits = 0
        self.misses = 0
        self._added = False
        if persistent:
            self._load()

    @classmethod
    def for_repository(
        cls,
        root: Path,
        directory: Optional[Path] = None,
        *,
        warn: Callable[[str], None] = warn_stderr,
    ) -> "ParseCache":
        """The persistent store of one repository; in memory only if it would live inside it."""
        directory = Path(directory) if directory is not None else default_directory()
        resolved = Path(root).resolve()
        if _within(directory, resolved):
            warn(f"cache directory {directory} is inside the repository; not using it")
            return cls(directory, persistent=False, warn=warn)
        label = hashlib.blake2b(str(resolved).encode("utf-8", "surrogateescape"), digest_size=8)
        return cls(directory, name=f"parse-{resolved.name[:40]}-{label.hexdigest()}", warn=warn)

    @property
    def path(self) -> Path:
        return self.directory / f"{self.name}.pickle"

    # ----------------------------------------------------------------------- lookups

    def lookup_stat(self, root: Path, rel: str, stat: os.stat_result) -> Optional[Any]:
        """The result for a file whose size and mtime are as last seen, without reading it."""
        seen = self.stats.get((str(root), rel))
        if seen is None or seen[0] != stat.st_size or seen[1] != stat.st_mtime_ns:
            return None
        entry = self.entries.get(seen[2])
        if entry is None:
            return None
        self.stat_hits += 1
        self.used.add(seen[2])
        return entry[1]

    def get(self, key: str) -> Optional[Any]:
        entry = self.entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        self.used.add(key)
        return entry[1]

    def put(self, key: str, value: Any) -> None:
        self.entries[key] = (self.session, value)
        self.used.add(key)
        self._added = True

    def recall(self, key: str) -> Optional[Any]:
        """Like `get`, for what is not a parse (a git walk): not counted in the parse figures."""
        entry = self.entries.get(key)
        if entry is None:
            return None
        self.used.add(key)
        return entry[1]

    def keep(self, key: str, value: Any) -> None:
        """Like `put`, for what is not a parse."""
        self.put(key, value)

    def remember_stat(self, root: Path, rel: str, stat: os.stat_result, key: str) -> None:
        """Trust (size, mtime) for this file from now on, unless it changed too recently.

        The stat must be taken before the file was read. A file written within the last
        moments could be written again with the same size inside the same clock tick, so its
        stat is not trusted yet (the content hash still spares it a parse next time).
        """
        if time.time_ns() - stat.st_mtime_ns < RACY_NANOSECONDS:
            self.stats.pop((str(root), rel), None)
            return
        self.stats[(str(root), rel)] = (stat.st_size, stat.st_mtime_ns, key)

    # ----------------------------------------------------------------------- the store

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as handle, gc_paused():
                payload = pickle.load(handle)
        except (FileNotFoundError, NotADirectoryError):
            return  # nothing stored yet (an unusable directory is reported when saving)
        except Exception as exc:  # corrupt, truncated, unreadable: never trusted
            self.warn(f"ignoring unreadable cache {self.path}: {type(exc).__name__}")
            return
        if not isinstance(payload, dict) or payload.get("version") != tool_version():
            self.warn(f"ignoring cache {self.path}: written by another version of govsite")
            return
        entries, session = payload.get("entries"), payload.get("session")
        if not isinstance(entries, dict) or not isinstance(session, int):
            self.warn(f"ignoring unreadable cache {self.path}: unexpected content")
            return
        self.entries, self.session = entries, session + 1

    def save(self) -> None:
        """Write the store atomically when something new was parsed; never fails the run.

        Results used in this session are kept; others survive `KEEP_SESSIONS` writes unused.
        """
        if not (self.persistent and self._added):
            return
        oldest = self.session - KEEP_SESSIONS
        kept = {
            key: (self.session if key in self.used else used_in, value)
            for key, (used_in, value) in self.entries.items()
            if key in self.used or used_in > oldest
        }
        tmp = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{self.name}-")
            with os.fdopen(fd, "wb") as handle:
                payload = {"version": tool_version(), "session": self.session, "entries": kept}
                pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
            tmp = None
            self.entries, self._added = kept, False
            self._remove_stale_stores()
        except OSError as exc:
            self.warn(f"cannot write cache in {self.directory}: {exc.strerror or exc}; continuing without it")
            self.persistent = False
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def _remove_stale_stores(self) -> None:
        """Delete stores of repositories not checked for a month (moved, deleted, temporary)."""
        cutoff = time.time() - STALE_SECONDS
        for path in self.directory.glob("parse-*.pickle"):
            with contextlib.suppress(OSError):
                if path != self.path and path.stat().st_mtime < cutoff:
                    path.unlink()

    def clear_stats(self) -> None:
        """Forget what was seen on disk (the content-keyed results stay)."""
        self.stats.clear()


def _within(directory: Path, root: Path) -> bool:
    try:
        directory.resolve().relative_to(root)
        return True
    except (ValueError, OSError, RuntimeError):
        return False


__all__ = [
    "ParseCache", "content_key", "default_directory", "gc_paused", "keep_from_collector",
    "release_to_collector", "tool_version",
]
