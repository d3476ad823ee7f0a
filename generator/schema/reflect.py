"""Read a live schema, read-only: SQLAlchemy's inspector, then the catalogues where it stops.

What each database shows:

- both: tables, columns (type as the dialect spells it, nullability, server default), primary
  keys, indexes (columns, unique, partial predicate), unique, check and foreign-key
  constraints, views, and the revision(s) in `alembic_version`;
- SQLite: triggers and the `CREATE INDEX` text of each index, from `sqlite_master`;
- PostgreSQL: materialized views, sequences, enums, row-level security (enabled, forced),
  policies (command, roles, USING, WITH CHECK), triggers, functions and extensions, from
  `pg_class`, `pg_policies`, `pg_trigger`, `pg_proc`, `pg_extension`, `pg_matviews`,
  `pg_sequences` and `pg_enum`. Objects an extension owns (pg_trgm's functions) belong to the
  extension and are not listed one by one.

Names are qualified only outside the default schema (`public`, `main`), so a snapshot reads
like the migrations that made it. The result is plain data; `snapshot` orders and writes it.
"""

from __future__ import annotations

import re
from typing import Any, Optional

VERSION_TABLE = "alembic_version"
_SYSTEM_SCHEMAS = ("information_schema", "pg_catalog", "pg_toast")
_SPACE = re.compile(r"\s+")


def reflect(connection: Any, backend: str) -> dict[str, Any]:
    """The schema of the connected database as the snapshot's plain data (unsorted)."""
    import sqlalchemy as sa

    inspector = sa.inspect(connection)
    default = inspector.default_schema_name
    schemas = [default] if backend == "sqlite" else _user_schemas(inspector, default)
    data: dict[str, Any] = {
        "dialect": backend,
        "revisions": _revisions(connection, inspector, default),
        "tables": {},
        "views": {},
    }
    for schema in schemas:
        owned = _extension_owned(connection, schema) if backend == "postgresql" else set()
        # the default schema is asked for as None, so defaults read `nextval('x_id_seq')` as
        # they are written, not qualified by the inspector
        asked = None if schema == default else schema
        for table in inspector.get_table_names(schema=asked):
            if table == VERSION_TABLE and asked is None:
                continue
            data["tables"][_name(schema, table, default)] = _table(
                inspector, connection, asked, table, backend
            )
        for view in inspector.get_view_names(schema=asked):
            if (schema, view) in owned:
                continue
            data["views"][_name(schema, view, default)] = {
                "definition": _text(inspector.get_view_definition(view, schema=asked))
            }
    if backend == "sqlite":
        _sqlite_extras(connection, data)
    else:
        _postgresql_extras(connection, data, schemas, default)
    return data


def _user_schemas(inspector: Any, default: str) -> list[str]:
    return sorted(
        s for s in inspector.get_schema_names()
        if s not in _SYSTEM_SCHEMAS and not s.startswith(("pg_temp", "pg_toast_temp"))
    ) or [default]


def _name(schema: Optional[str], name: str, default: Optional[str]) -> str:
    return name if schema in (None, default) else f"{schema}.{name}"


def _text(value: Any) -> Optional[str]:
    """SQL text with runs of white space made one space, so layout changes are not drift."""
    if value is None:
        return None
    return _SPACE.sub(" ", str(value)).strip()


def _revisions(connection: Any, inspector: Any, default: str) -> Optional[list[str]]:
    """The revisions `alembic_version` holds, sorted; None when the table does not exist."""
    import sqlalchemy as sa

    if not inspector.has_table(VERSION_TABLE, schema=default):
        return None
    rows = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}"))
    return sorted(str(r[0]) for r in rows)


# --------------------------------------------------------------------------- tables


def _table(inspector: Any, connection: Any, schema: str, table: str, backend: str) -> dict[str, Any]:
    dialect = connection.dialect
    columns = {}
    for c in inspector.get_columns(table, schema=schema):
        columns[c["name"]] = {
            "type": _type(c["type"], dialect),
            "nullable": bool(c.get("nullable", True)),
            "default": _text(c.get("default")),
        }
    pk = inspector.get_pk_constraint(table, schema=schema) or {}
    default = inspector.default_schema_name
    return {
        "columns": columns,
        "primary_key": {
            "name": pk.get("name"),
            "columns": list(pk.get("constrained_columns") or []),
        } if pk.get("constrained_columns") else None,
        "indexes": {
            i["name"]: _index(i) for i in inspector.get_indexes(table, schema=schema) if i.get("name")
        },
        "unique_constraints": _keyed(
            inspector.get_unique_constraints(table, schema=schema),
            lambda u: {"columns": list(u["column_names"])},
            lambda u: "unique(" + ", ".join(u["column_names"]) + ")",
        ),
        "check_constraints": _keyed(
            inspector.get_check_constraints(table, schema=schema),
            lambda c: {"expression": _text(c.get("sqltext"))},
            lambda c: "check(" + (_text(c.get("sqltext")) or "") + ")",
        ),
        "foreign_keys": _keyed(
            inspector.get_foreign_keys(table, schema=schema),
            lambda f: _foreign_key(f, default),
            lambda f: "fk(" + ", ".join(f["constrained_columns"]) + ") -> "
            + _name(f.get("referred_schema"), f["referred_table"], default),
        ),
    }


def _type(sa_type: Any, dialect: Any) -> str:
    try:
        return _SPACE.sub(" ", sa_type.compile(dialect=dialect)).upper()
    except Exception:  # a type the dialect cannot render (NullType): its class name
        return type(sa_type).__name__.upper()


def _index(index: dict[str, Any]) -> dict[str, Any]:
    options = index.get("dialect_options") or {}
    where = options.get("postgresql_where") or options.get("sqlite_where")
    columns = [c if c is not None else "(expression)" for c in index.get("column_names") or []]
    expressions = index.get("expressions")
    if expressions:
        columns = [str(e) for e in expressions]
    return {
        "columns": columns,
        "unique": bool(index.get("unique")),
        "where": _text(where),
        "method": options.get("postgresql_using"),
    }


def _foreign_key(fk: dict[str, Any], default: str) -> dict[str, Any]:
    options = fk.get("options") or {}
    return {
        "columns": list(fk["constrained_columns"]),
        "references": _name(fk.get("referred_schema"), fk["referred_table"], default),
        "referred_columns": list(fk["referred_columns"]),
        "on_delete": (options.get("ondelete") or "").upper() or None,
        "on_update": (options.get("onupdate") or "").upper() or None,
    }


def _keyed(items, describe, unnamed) -> dict[str, Any]:
    """Constraints by name; an unnamed one (common on SQLite) by what it says."""
    return {(item.get("name") or unnamed(item)): describe(item) for item in items or ()}


# --------------------------------------------------------------------------- SQLite


def _sqlite_extras(connection: Any, data: dict[str, Any]) -> None:
    import sqlalchemy as sa

    for entry in data["tables"].values():
        entry["triggers"] = {}
    rows = connection.execute(sa.text(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
    ))
    for kind, name, table, sql in rows:
        entry = data["tables"].get(table)
        if entry is None or sql is None:
            continue
        if kind == "trigger":
            entry.setdefault("triggers", {})[name] = {"definition": _text(sql)}
        elif name in entry["indexes"]:
            entry["indexes"][name]["definition"] = _text(sql)


# --------------------------------------------------------------------------- PostgreSQL


def _postgresql_extras(connection: Any, data: dict[str, Any], schemas: list[str], default: str) -> None:
    import sqlalchemy as sa

    def rows(sql: str):
        return connection.execute(sa.text(sql), {"schemas": schemas}).all()

    in_schemas = "= ANY(:schemas)"
    tables = data["tables"]
    for schema, table, enabled, forced in rows(
        "SELECT n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname {in_schemas}"
    ):
        entry = tables.get(_name(schema, table, default))
        if entry is not None:
            entry["row_level_security"] = {"enabled": bool(enabled), "forced": bool(forced)}
            entry.setdefault("policies", {})
            entry.setdefault("triggers", {})
    for schema, table, name, permissive, roles, command, using, check in rows(
        "SELECT schemaname, tablename, policyname, permissive, roles, cmd, qual, with_check "
        f"FROM pg_policies WHERE schemaname {in_schemas}"
    ):
        entry = tables.get(_name(schema, table, default))
        if entry is not None:
            entry["policies"][name] = {
                "permissive": permissive, "roles": sorted(_roles(roles)), "command": command,
                "using": _text(using), "with_check": _text(check),
            }
    for schema, table, name, definition, enabled in rows(
        "SELECT n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE NOT t.tgisinternal AND n.nspname {in_schemas}"
    ):
        entry = tables.get(_name(schema, table, default))
        if entry is not None:
            entry["triggers"][name] = {"definition": _text(definition), "enabled": enabled != "D"}
    for schema, table, name, definition in rows(
        "SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes "
        f"WHERE schemaname {in_schemas}"
    ):
        entry = tables.get(_name(schema, table, default))
        if entry is not None and name in entry["indexes"]:
            entry["indexes"][name]["definition"] = _text(definition)
    data["materialized_views"] = {
        _name(schema, name, default): {"definition": _text(definition), "indexes": {}}
        for schema, name, definition in rows(
            f"SELECT schemaname, matviewname, definition FROM pg_matviews WHERE schemaname {in_schemas}"
        )
    }
    for schema, table, name, definition in rows(
        "SELECT i.schemaname, i.tablename, i.indexname, i.indexdef FROM pg_indexes i JOIN pg_matviews m "
        f"ON m.schemaname = i.schemaname AND m.matviewname = i.tablename WHERE i.schemaname {in_schemas}"
    ):
        view = data["materialized_views"].get(_name(schema, table, default))
        if view is not None:
            view["indexes"][name] = {"definition": _text(definition)}
    for view in data["materialized_views"]:
        data["views"].pop(view, None)
    data["sequences"] = {
        _name(schema, name, default): {
            "type": kind, "start": start, "increment": step, "min": low, "max": high, "cycle": cycle,
        }
        for schema, name, kind, start, step, low, high, cycle in rows(
            "SELECT schemaname, sequencename, data_type::text, start_value, increment_by, min_value, "
            f"max_value, cycle FROM pg_sequences WHERE schemaname {in_schemas}"
        )
    }
    enums: dict[str, list[str]] = {}
    for schema, name, label in rows(
        "SELECT n.nspname, t.typname, e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid "
        f"JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname {in_schemas} "
        "ORDER BY n.nspname, t.typname, e.enumsortorder"
    ):
        enums.setdefault(_name(schema, name, default), []).append(label)
    data["enums"] = {name: {"labels": labels} for name, labels in enums.items()}
    data["functions"] = {
        _name(schema, f"{name}({arguments})", default): {
            "returns": returns, "language": language, "definition": _text(body),
        }
        for schema, name, arguments, returns, language, body in rows(
            "SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), "
            "pg_get_function_result(p.oid), l.lanname, p.prosrc FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang "
            f"WHERE n.nspname {in_schemas} AND NOT EXISTS (SELECT 1 FROM pg_depend d "
            "WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')"
        )
    }
    data["extensions"] = {
        name: {"schema": schema, "version": version}
        for name, schema, version in connection.execute(sa.text(
            "SELECT e.extname, n.nspname, e.extversion FROM pg_extension e "
            "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql'"
        )).all()
    }


def _roles(value: Any) -> list[str]:
    """`pg_policies.roles` is a name[] array; some drivers return it as text `{a,b}`."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [r.strip('"') for r in str(value or "").strip("{}").split(",") if r]


def _extension_owned(connection: Any, schema: str) -> set[tuple[str, str]]:
    """Relations (views) an extension created in `schema`: the extension's, not the team's."""
    import sqlalchemy as sa

    rows = connection.execute(sa.text(
        "SELECT n.nspname, c.relname FROM pg_depend d JOIN pg_class c ON c.oid = d.objid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE d.classid = 'pg_class'::regclass "
        "AND d.deptype = 'e' AND n.nspname = :schema"
    ), {"schema": schema})
    return {(s, n) for s, n in rows}
