"""Alembic environment for the attribution platform.

Migrations describe the schema with explicit operations only; nothing from the
application is imported here, so the migration history can be run (and read)
without the service code or its dependencies.

The database URL comes from the DATABASE_URL environment variable when it is
set (CI, staging, production) and from alembic.ini otherwise (local SQLite).
"""

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config

if config.config_file_name is not None:
    fileConfig(config.config_file_name)

database_url = os.environ.get("DATABASE_URL")
if database_url:
    # configparser treats "%" as interpolation, so escape it before storing.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))

# No autogenerate: migrations are written by hand and reviewed one by one.
target_metadata = None


def run_migrations_offline() -> None:
    """Emit the SQL to stdout instead of running it (``alembic upgrade head --sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations against a live connection."""
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
