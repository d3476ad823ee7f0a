"""Opening a database for reflection: read-only, with a statement timeout, password never shown.

A database URL usually carries a password, and drivers quote the URL (or the DSN) in their
errors. Every message leaving this module goes through `Masked.text`, which replaces the
password, in whatever form it was written, with `***`.
"""

from __future__ import annotations

import contextlib
import os
import re
from typing import Iterator, Optional
from urllib.parse import quote, quote_plus

from ..model import record

URL_VARIABLE = "GOVSITE_DATABASE_URL"
DEFAULT_TIMEOUT_SECONDS = 30
SUPPORTED = ("sqlite", "postgresql")
#: What to install for a driver that is missing, by dialect.
DRIVERS = {"postgresql": ("psycopg", "pip install 'govsite[postgresql]' (psycopg 3)")}


class DatabaseError(Exception):
    """A database that cannot be used: bad URL, missing driver, no connection, no permission.

    The message is already masked; commands turn it into exit status 2.
    """


@record
class Masked:
    """A database URL and the ways its password may appear in text."""

    url: str
    secrets: tuple[str, ...]

    @classmethod
    def of(cls, url: str) -> "Masked":
        secrets: set[str] = set()
        match = re.match(r"^[^:/]+://[^:/@]*:([^@]*)@", url)
        if match and match.group(1):
            raw = match.group(1)
            from urllib.parse import unquote

            for form in (raw, unquote(raw), quote(unquote(raw), safe=""), quote_plus(unquote(raw))):
                if form:
                    secrets.add(form)
        for match in re.finditer(r"password=('(?:[^'\\]|\\.)*'|[^&\s]+)", url):
            secrets.add(match.group(1).strip("'"))
        return cls(url, tuple(sorted(secrets, key=len, reverse=True)))

    def text(self, message: object) -> str:
        """`message` with every form of the password replaced by `***`."""
        shown = str(message)
        for secret in self.secrets:
            shown = shown.replace(secret, "***")
        return shown

    @property
    def shown(self) -> str:
        return self.text(self.url)


def database_url(given: Optional[str], option: str = "--database-url") -> str:
    """The URL from the option, else from $GOVSITE_DATABASE_URL (kept out of shell history)."""
    url = given or os.environ.get(URL_VARIABLE, "")
    if not url.strip():
        raise DatabaseError(f"no database: give {option} URL or set {URL_VARIABLE}")
    return url.strip()


def _engine_url(url: str, masked: Masked):
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise DatabaseError(masked.text(f"not a database URL: {masked.shown} ({exc})")) from None
    backend = parsed.get_backend_name()
    if backend == "postgres":
        parsed, backend = parsed.set(drivername="postgresql"), "postgresql"
    if backend not in SUPPORTED:
        raise DatabaseError(
            f"{masked.shown}: {backend} databases are not supported "
            f"(supported: {', '.join(SUPPORTED)})"
        )
    if backend == "postgresql" and parsed.get_driver_name() in ("psycopg2", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed, backend


@contextlib.contextmanager
def connect(url: str, timeout: int = DEFAULT_TIMEOUT_SECONDS) -> Iterator[tuple[object, str]]:
    """A read-only connection (SQLAlchemy `Connection`) and the dialect name ("sqlite", ...).

    PostgreSQL: every transaction read-only and `statement_timeout` set when the session
    starts, so a reflection can neither change the schema nor hold a lock for long. SQLite: the
    file is opened read-only (`mode=ro`, so a mistyped path is an error, not a new empty
    database) with `query_only` on.
    """
    masked = Masked.of(url)
    parsed, backend = _engine_url(url, masked)
    engine = _engine(parsed, backend, masked, timeout)
    try:
        try:
            connection = engine.connect()
        except Exception as exc:  # driver errors have no common base class we can name
            raise DatabaseError(f"cannot connect to {masked.shown}: {_reason(exc, masked)}") from None
        try:
            yield connection, backend
        finally:
            connection.close()
    finally:
        engine.dispose()


def _engine(parsed, backend: str, masked: Masked, timeout: int):
    import sqlalchemy as sa

    try:
        if backend == "sqlite":
            return _sqlite_engine(parsed, masked)
        options = f"-c default_transaction_read_only=on -c statement_timeout={int(timeout) * 1000}"
        return sa.create_engine(
            parsed, poolclass=sa.pool.NullPool,
            connect_args={"options": options, "connect_timeout": max(1, int(timeout))},
        )
    except ModuleNotFoundError as exc:
        module, install = DRIVERS.get(backend, (exc.name, f"pip install {exc.name}"))
        raise DatabaseError(
            f"{masked.shown}: the {backend} driver ({module}) is not installed: {install}"
        ) from None


def _sqlite_engine(parsed, masked: Masked):
    import sqlite3

    import sqlalchemy as sa

    path = parsed.database or ""
    if path in ("", ":memory:"):
        raise DatabaseError(f"{masked.shown}: an in-memory SQLite database has no schema to read")
    if not os.path.isfile(path):
        raise DatabaseError(f"{masked.shown}: no such SQLite database file: {path}")

    def opened() -> sqlite3.Connection:
        uri = "file:" + quote(os.path.abspath(path)) + "?mode=ro"
        connection = sqlite3.connect(uri, uri=True)
        connection.execute("PRAGMA query_only = ON")
        return connection

    return sa.create_engine("sqlite://", creator=opened, poolclass=sa.pool.NullPool)


def _reason(exc: BaseException, masked: Masked) -> str:
    """The driver's own first line, masked (SQLAlchemy appends a link and the statement)."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()
    return masked.text(text[0] if text else type(cause).__name__)


def failure(exc: BaseException, url: str, doing: str) -> DatabaseError:
    """A reflection that failed half-way (permission denied, timeout) as a masked error."""
    masked = Masked.of(url)
    return DatabaseError(f"{doing} {masked.shown} failed: {_reason(exc, masked)}")
