"""Parse results and git walks keyed by what they were made from, so nothing is done twice.

A migration's parse is keyed by its bytes, path, parse settings and the tool version, never by
the folder it was read from: a versioned build extracts each release elsewhere and still shares
the files the releases have in common, and `mkdocs serve` parses only the file that changed.
The git history walk is kept the same way, keyed by the commit it started from.

The persistent store lives outside the repository (`$GOVSITE_CACHE_DIR`, else
`$XDG_CACHE_HOME/govsite`, else `~/.cache/govsite`), one JSON file per repository. It holds data,
never objects: loading it cannot run code, and each entry is decoded against the model's
dataclasses (`decode`) before it is used. A store that is not valid JSON, written by another
version of the tool, or of the wrong shape is ignored with a warning, and so is each entry that
does not decode or was not made from the file it is asked for: that file is simply parsed again.
What the store cannot guard against is a deliberate edit that stays well-formed, so whoever can
write the cache folder can change results: it is trusted like the tool itself.

The tool version includes a digest of the code that produces parse results, so a changed
reader is never served results of the old one. Entries unused for `KEEP_SESSIONS` writes are
dropped, which bounds a store to a few versions of the repository.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import enum
import functools
import hashlib
import json
import os
import sys
import tempfile
import time
import typing
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Optional, Union

from .paths import inside

FORMAT = 3
KEEP_SESSIONS = 8  # an entry survives this many writes of the store without being used
STALE_SECONDS = 30 * 24 * 3600  # another repository's store unused this long is deleted

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
    "paths.py",
    "patterns.py",
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


def content_digest(data: bytes) -> str:
    """The digest of a file's bytes, which its cache entry carries and is checked against."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def content_key(kind: str, rel: str, digest: str, fingerprint: str) -> str:
    """The key of one parse: what was parsed (bytes and path) and how (settings, tool version).

    The repository's folder is not part of it, so a release extracted elsewhere hits too.
    """
    key = hashlib.blake2b(digest_size=16)
    for part in (digest, rel, fingerprint, kind, tool_version()):
        key.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return f"{kind}:{key.hexdigest()}"


def warn_stderr(message: str) -> None:
    print(f"govsite: warning: {message}", file=sys.stderr)


@dataclasses.dataclass
class _Entry:
    """One stored result: where it came from, when it was last used, its data and value."""

    path: Optional[str]  # the file it was parsed from; None for what is not a file (a walk)
    digest: str  # of the bytes (or, for a walk, of everything) it was made from
    session: int
    data: Any = None  # the plain encoding, as stored; None until saved when put in this run
    value: Any = None
    decoded: bool = False


class ParseCache:
    """A store of results keyed by content, loaded once and saved atomically.

    One object serves every build of a process (all versions of a versioned build, every
    rebuild of `mkdocs serve`); `save()` writes it back when something new was put. `hits` and
    `misses` count the files whose parse was reused or had to be made.
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
        self.entries: dict[str, _Entry] = {}
        self.session = 1
        self.hits = 0
        self.misses = 0
        self._added = False
        self._warned_entry = False
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
        if inside(resolved, directory):
            warn(f"cache directory {directory} is inside the repository; not using it")
            return cls(directory, persistent=False, warn=warn)
        label = hashlib.blake2b(str(resolved).encode("utf-8", "surrogateescape"), digest_size=8)
        return cls(directory, name=f"parse-{resolved.name[:40]}-{label.hexdigest()}", warn=warn)

    @property
    def path(self) -> Path:
        return self.directory / f"{self.name}.json"

    # ----------------------------------------------------------------------- get and put

    def get(self, key: str, kind: Any, *, path: Optional[str], digest: str) -> Optional[Any]:
        """The value of type `kind` stored under `key`, if it was made from `path` with `digest`.

        An entry that was made from something else, or does not decode to `kind`, is dropped
        (with one warning per store) and None returned, as for an entry never stored.
        """
        entry = self.entries.get(key)
        if entry is not None and not entry.decoded:
            try:
                if (entry.path, entry.digest) != (path, digest):
                    raise Unusable(f"made from {entry.path or 'something else'}, not {path or 'this'}")
                entry.value, entry.decoded = decode(entry.data, kind), True
            except Unusable as exc:
                self._unusable(exc)
                del self.entries[key]
                entry = None
        if path is not None and entry is not None:
            self.hits += 1
        elif path is not None:
            self.misses += 1
        if entry is None:
            return None
        entry.session = self.session
        return entry.value

    def put(self, key: str, value: Any, *, path: Optional[str], digest: str) -> None:
        self.entries[key] = _Entry(path, digest, self.session, value=value, decoded=True)
        self._added = True

    def _unusable(self, problem: Exception) -> None:
        if not self._warned_entry:
            self.warn(f"ignoring unusable entries of cache {self.path} ({problem}); parsing those files again")
            self._warned_entry = True

    # ----------------------------------------------------------------------- the store

    def _load(self) -> None:
        try:
            payload = json.loads(self.path.read_bytes())
        except (FileNotFoundError, NotADirectoryError):
            return  # nothing stored yet (an unusable directory is reported when saving)
        except Exception as exc:  # not JSON, truncated, unreadable, nested too deeply: never trusted
            self.warn(f"ignoring unreadable cache {self.path}: {type(exc).__name__}")
            return
        if not isinstance(payload, dict) or payload.get("version") != tool_version():
            self.warn(f"ignoring cache {self.path}: written by another version of govsite")
            return
        entries, session = payload.get("entries"), payload.get("session")
        if not isinstance(entries, dict) or type(session) is not int:
            self.warn(f"ignoring unreadable cache {self.path}: unexpected content")
            return
        for key, stored in entries.items():
            try:
                self.entries[key] = _Entry(*decode(stored, tuple[Optional[str], str, int, Any]))
            except Unusable as exc:
                self._unusable(exc)
        self.session = session + 1

    def save(self) -> None:
        """Write the store atomically when something new was put; never fails the run.

        Entries used in this session are kept; others survive `KEEP_SESSIONS` writes unused.
        """
        if not (self.persistent and self._added):
            return
        oldest = self.session - KEEP_SESSIONS
        kept = {key: entry for key, entry in self.entries.items() if entry.session > oldest}
        stored = {}
        for key, entry in kept.items():
            if entry.data is None:
                entry.data = encode(entry.value)
            stored[key] = [entry.path, entry.digest, entry.session, entry.data]
        tmp = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{self.name}-")
            payload = {"version": tool_version(), "session": self.session, "entries": stored}
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(json.dumps(payload, separators=(",", ":")))  # dumps: the C encoder
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
        for path in self.directory.glob("parse-*"):
            with contextlib.suppress(OSError):
                if path != self.path and path.stat().st_mtime < cutoff:
                    path.unlink()


# --------------------------------------------------------------------------- the codec
#
# Values are encoded and decoded by the types the model's hints give them: a dataclass is an
# object of exactly its fields, a tuple a list, an enum its value, a date an ISO string, bytes
# base64. Each type's functions are made once, from its hints, so a field added to the model is
# covered as it is; a type the codec does not know is a TypeError when the functions are made.

_PLAIN = (str, int, bool, float)
Coder = Callable[[Any], Any]


class Unusable(ValueError):
    """Stored data that is not a value of the type asked for."""


def encode(value: Any) -> Any:
    """`value` (a model object, or a tuple, list or dict of them) as data for `json.dumps`."""
    if dataclasses.is_dataclass(value):
        return _object_encoder(type(value))(value)
    if isinstance(value, (tuple, list)):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    encoder = _encoder(type(value))
    return value if encoder is None else encoder(value)


def decode(data: Any, kind: Any) -> Any:
    """`data` (as `json.loads` gives it) as a value of type `kind`; raises Unusable otherwise."""
    try:
        return _decoder(kind)(data)
    except Unusable:
        raise
    except (TypeError, ValueError, KeyError, binascii.Error) as exc:  # a constructor refused it
        raise Unusable(f"{type(exc).__name__}: {exc}") from None


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.init)


@functools.cache
def _encoder(kind: Any) -> Optional[Coder]:
    """The function encoding values of type `kind`; None when `json.dumps` takes them as they
    are (plain values, and tuples or optionals of them)."""
    origin, arguments = typing.get_origin(kind), typing.get_args(kind)
    if kind in _PLAIN or kind is type(None):
        return None
    if kind is Any:
        return encode
    if origin is Union:
        inner = [_encoder(argument) for argument in arguments]
        return None if not any(inner) else encode
    if origin is tuple:
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            item = _encoder(arguments[0])
            return None if item is None else lambda value: [item(element) for element in value]
        items = [_encoder(argument) for argument in arguments]
        if not any(items):
            return None
        return lambda value: [e(element) if e else element for e, element in zip(items, value)]
    if origin is dict:
        item = _encoder(arguments[1])
        return None if item is None else lambda value: {k: item(v) for k, v in value.items()}
    if dataclasses.is_dataclass(kind):
        return _object_encoder(kind)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return lambda value: value.value
    if kind in (datetime, date):
        return lambda value: value.isoformat()
    if kind is bytes:
        return lambda value: base64.b64encode(value).decode("ascii")
    raise TypeError(f"the cache cannot store {kind!r}")  # a model type to teach the codec


@functools.cache
def _object_encoder(cls: type) -> Coder:
    hints = typing.get_type_hints(cls)
    fields = [(name, _encoder(hints[name])) for name in _field_names(cls)]
    plain = [name for name, encoder in fields if encoder is None]
    coded = [(name, encoder) for name, encoder in fields if encoder is not None]

    def encode_object(value: Any) -> dict:
        data = {name: getattr(value, name) for name in plain}
        for name, encoder in coded:
            item = getattr(value, name)
            data[name] = None if item is None else encoder(item)
        return data

    return encode_object


@functools.cache
def _decoder(kind: Any) -> Coder:
    """The function decoding data of type `kind`."""
    origin, arguments = typing.get_origin(kind), typing.get_args(kind)
    if kind is Any:
        return lambda data: data
    if kind is None or kind is type(None):
        return _exactly(type(None))
    if origin is Union:
        options = [argument for argument in arguments if argument is not type(None)]
        inner = _decoder(options[0]) if len(options) == 1 else _union([_decoder(o) for o in options])
        if len(options) == len(arguments):
            return inner
        return lambda data: None if data is None else inner(data)
    if origin is tuple:
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            return _sequence(_decoder(arguments[0]))
        return _fixed(tuple(_decoder(argument) for argument in arguments))
    if origin is dict:
        return _mapping(_decoder(arguments[0]), _decoder(arguments[1]))
    if dataclasses.is_dataclass(kind):
        return _object_decoder(kind)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return lambda data: kind(data)
    if kind is datetime:
        return lambda data: datetime.fromisoformat(_exactly(str)(data))
    if kind is date:
        return lambda data: date.fromisoformat(_exactly(str)(data))
    if kind is bytes:
        return lambda data: base64.b64decode(_exactly(str)(data), validate=True)
    if kind in _PLAIN:
        return _exactly(kind)
    raise TypeError(f"the cache cannot decode {kind!r}")  # a model type to teach the codec


def _exactly(kind: type) -> Coder:
    def check(data: Any) -> Any:
        if type(data) is not kind:
            raise Unusable(f"{type(data).__name__} where {kind.__name__} belongs")
        return data

    return check


def _union(decoders: list[Coder]) -> Coder:
    def decode_one(data: Any) -> Any:
        for decoder in decoders:
            try:
                return decoder(data)
            except (Unusable, TypeError, ValueError, KeyError):
                continue
        raise Unusable(f"{type(data).__name__} fits none of the types allowed")

    return decode_one


def _sequence(item: Coder) -> Coder:
    def decode_all(data: Any) -> tuple:
        if type(data) is not list:
            raise Unusable(f"{type(data).__name__} where a list belongs")
        return tuple([item(element) for element in data])

    return decode_all


def _fixed(items: tuple[Coder, ...]) -> Coder:
    def decode_each(data: Any) -> tuple:
        if type(data) is not list or len(data) != len(items):
            raise Unusable(f"not a list of {len(items)}")
        return tuple([item(element) for item, element in zip(items, data)])

    return decode_each


def _mapping(key: Coder, value: Coder) -> Coder:
    def decode_all(data: Any) -> dict:
        if type(data) is not dict:
            raise Unusable(f"{type(data).__name__} where an object belongs")
        return {key(k): value(v) for k, v in data.items()}

    return decode_all


@functools.cache
def _object_decoder(cls: type) -> Coder:
    """Exactly the fields of `cls`: as many as it has, each present and of its type."""
    hints = typing.get_type_hints(cls)
    names = _field_names(cls)
    plain = [(name, hints[name]) for name in names if hints[name] in _PLAIN]
    coded = [(name, _decoder(hints[name])) for name in names if hints[name] not in _PLAIN]
    count = len(names)

    def decode_object(data: Any) -> Any:
        if type(data) is not dict or len(data) != count:
            raise Unusable(f"not the fields of {cls.__name__}")
        try:
            values = {name: data[name] for name, _ in plain}
            for name, decoder in coded:
                values[name] = decoder(data[name])
        except KeyError as exc:
            raise Unusable(f"{cls.__name__} without {exc}") from None
        for name, kind in plain:
            if type(values[name]) is not kind:
                raise Unusable(f"{cls.__name__}.{name} is not a {kind.__name__}")
        return cls(**values)

    return decode_object


__all__ = ["ParseCache", "Unusable", "content_digest", "content_key", "decode", "default_directory",
           "encode", "tool_version"]
