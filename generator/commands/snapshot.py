"""`govsite snapshot`: reflect a database read-only and write its schema snapshot."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..config import load_config
from .common import EXIT_OK, CommandError, add_config_option, add_repository_argument, repository_root

DESCRIPTION = """\
Reflect a database (read-only, with a statement timeout) and write its schema as a
deterministic JSON snapshot: tables, columns, keys, indexes, constraints, views, sequences and
enums; on PostgreSQL also row-level security, policies, triggers, functions and extensions. Two
runs on the same schema write identical bytes, so the committed file is reviewed like code and
`git diff --exit-code` catches a snapshot nobody regenerated."""

EPILOG = """\
The database URL may come from $GOVSITE_DATABASE_URL instead of --database-url (keeps the
password out of the process list and shell history); it is never printed with its password.

exit status:
  0  snapshot written
  2  usage, configuration or database error (bad URL, missing driver, no connection)

examples:
  alembic upgrade head && govsite snapshot --database-url sqlite:///scratch.db
  govsite snapshot --database-url postgresql://ci@localhost/scratch --out db/schema/snapshot.json"""


def add_database_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that reads a database takes."""
    from ..schema.database import DEFAULT_TIMEOUT_SECONDS, URL_VARIABLE

    parser.add_argument(
        "--database-url", metavar="URL", default=None,
        help=f"the database to read (default: ${URL_VARIABLE}); sqlite:///file.db or "
        "postgresql://user@host/db (needs govsite[postgresql])",
    )
    parser.add_argument(
        "--statement-timeout", metavar="SECONDS", type=int, default=DEFAULT_TIMEOUT_SECONDS,
        help=f"longest a catalogue query may run on PostgreSQL (default: {DEFAULT_TIMEOUT_SECONDS})",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repository_argument(parser, "whose snapshot to write")
    add_database_options(parser)
    parser.add_argument(
        "--out", metavar="FILE", type=Path, default=None,
        help="where to write it (default: schema_snapshot in the configuration, else "
        "REPO/db/schema/snapshot.json)",
    )
    add_config_option(parser)


def read_schema(url: str, timeout: int) -> dict:
    """The reflected schema as a snapshot document; database problems as `CommandError`."""
    from ..schema import snapshot
    from ..schema.database import DatabaseError, connect, failure
    from ..schema.reflect import reflect

    try:
        with connect(url, timeout) as (connection, backend):
            try:
                return snapshot.build(reflect(connection, backend))
            except Exception as exc:  # permission denied, timeout: the driver's own errors
                raise failure(exc, url, "reading the schema of") from None
    except DatabaseError as exc:
        raise CommandError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    from ..schema import snapshot
    from ..schema.database import DatabaseError, database_url
    from ..sources.files import leaves_repository

    root = repository_root(args.repo)
    config = load_config(root, args.config)
    if args.out is None and leaves_repository(config.schema_snapshot):
        raise CommandError(f"schema_snapshot '{config.schema_snapshot}' points outside the repository")
    out = args.out or root / config.schema_snapshot
    try:
        url = database_url(args.database_url)
    except DatabaseError as exc:
        raise CommandError(str(exc)) from None
    started = time.perf_counter()
    document = read_schema(url, args.statement_timeout)
    text = snapshot.dumps(document)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {out}: {exc.strerror or exc}") from None
    count = len(snapshot.objects(document))
    at = ", ".join(document.get("revisions") or []) or "no alembic_version"
    print(
        f"wrote {out}: {len(document.get('tables', {}))} tables, {count} objects, "
        f"{document['dialect']} at {at} ({time.perf_counter() - started:.2f} s)",
        file=sys.stderr,
    )
    return EXIT_OK
