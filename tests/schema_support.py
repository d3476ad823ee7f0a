"""What the snapshot and drift tests share: the example migrated by real `alembic` on SQLite
or on a fresh database of the session's PostgreSQL cluster, and the commands run against it."""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from conftest import EXAMPLE

HEAD = "3c9e5d7a1b24"
BEFORE_HEAD = "ea9c9f8287b0"  # the head's parent: the trigram index, before the view
_numbers = itertools.count()


def example_copy(tmp_path: Path) -> Path:
    """A private copy of the example (alembic's files and databases stay out of the project)."""
    copy = tmp_path / "attribution-platform"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    return copy


def alembic(root: Path, *args: str, url: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "alembic", *args], cwd=root,
        env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True,
    )
    assert done.returncode == 0, f"alembic {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def sqlite_at(example: Path, path: Path, revision: str = "head") -> str:
    url = sqlite_url(path)
    alembic(example, "upgrade", revision, url=url)
    return url


def sqlite_run(url: str, script: str) -> None:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        connection.executescript(script)


def pg_host(conninfo: str) -> str:
    return dict(part.split("=", 1) for part in conninfo.split())["host"]


def pg_url(conninfo: str, database: str, user: str = "postgres", password: str = "") -> str:
    secret = f":{password}" if password else ""
    return f"postgresql://{user}{secret}@/{database}?host={pg_host(conninfo)}"


def pg_run(conninfo: str, database: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{conninfo} dbname={database}", autocommit=True) as connection:
        connection.execute(sql)


@contextmanager
def pg_database(conninfo: str) -> Iterator[str]:
    """A new, empty database on the session's cluster, dropped afterwards."""
    name = f"govsite_schema_{os.getpid()}_{next(_numbers)}"
    pg_run(conninfo, "postgres", f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        pg_run(conninfo, "postgres", f"DROP DATABASE {name} WITH (FORCE)")


def pg_at(example: Path, conninfo: str, database: str, revision: str = "head") -> str:
    """Migrate `database` with real `alembic upgrade` (psycopg 3); the URL govsite reads it by."""
    alembic(example, "upgrade", revision,
            url=pg_url(conninfo, database).replace("postgresql://", "postgresql+psycopg://"))
    return pg_url(conninfo, database)


def emergency_record(hours_ago: float, incident: str, action: str) -> str:
    """A complete register record whose change happened `hours_ago` hours before now."""
    when = (datetime.now(timezone.utc) - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"""
## Emergency Change: {when}

**Incident**: {incident}
**Urgency**: CRITICAL (checkout down)

## Immediate Action Taken

{action}

## Retroactive Canonical Spec Update

https://git.example.com/db/pull/999

## Post-Incident Review

https://wiki.example.com/postmortems/{incident}
"""


def add_record(example: Path, record: str) -> None:
    register = example / "db" / "schema" / "EXCEPTIONS.md"
    register.write_text(register.read_text(encoding="utf-8") + record, encoding="utf-8")
