"""Raw SQL from migrations, classified into the same `kind` vocabulary as `op.*` calls.

One reading per dialect: PostgreSQL text (the default) is read by pglast, the server's own
parser, and the text of any other dialect (`sql_dialect` in the configuration) by sqlglot. What
the rules need from a statement (its kind and objects, foreign keys, a NOT NULL column without a
default) is recorded on the `SqlStatement`, so no rule parses SQL again. Text that is only partly
known (an f-string, a template with variables) is classified from its known beginning by
`dynamic_sql`, and marked dynamic so the rules can say it was not verified. Nothing here raises:
what cannot be parsed becomes kind "other" with `error`.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import json
import re
from typing import Any, Iterator, Optional

from ..config import SQL_DIALECT_ALIASES
from ..model import SqlStatement

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


# --------------------------------------------------------------------------- public API


def parse_sql(text: str, dialect: str = "postgres") -> list[SqlStatement]:
    """Every statement of `text`; statements acting on several objects yield one entry each.

    `ALTER TABLE t ADD COLUMN a int, DROP COLUMN b` gives an `add_column` and a `drop_column`
    (same text), and `TRUNCATE a, b` gives one `truncate` per table, so that a rule looking for
    destructive work never has to look inside a statement again. Results are cached by text:
    migrations repeat the same statements many times.
    """
    return list(_parse_cached(text, normalise_dialect(dialect)))


def dynamic_sql(known_prefix: str) -> SqlStatement:
    """A statement whose text is only partly known, classified from its known beginning."""
    kind, table, if_exists, cascade = _classify_fragment(known_prefix)
    return SqlStatement(
        text=known_prefix,
        kind=kind or "dynamic",
        table=table,
        dynamic=True,
        parser="fragment",
        if_exists=if_exists,
        cascade=cascade,
    )


# Functions whose value changes from row to row: a column added with one of them as its default
# gets a different value in every existing row, so PostgreSQL rewrites the whole table.
VOLATILE_FUNCTIONS = frozenset(
    {"random", "random_normal", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc",
     "uuid_generate_v4", "uuidv4", "uuidv7", "clock_timestamp", "timeofday", "nextval"}
)
# serial types are a sequence default in disguise: `nextval(...)`, volatile
SERIAL_TYPES = frozenset({"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"})
_CALLED = re.compile(r"\b([A-Za-z_][\w$]*)\s*\(")


def calls_volatile(expression: str) -> bool:
    """Whether the SQL text of a default calls a volatile function (`gen_random_uuid()`)."""
    return any(name.lower() in VOLATILE_FUNCTIONS for name in _CALLED.findall(expression))


def normalise_dialect(dialect: str) -> str:
    """The reader's name for a dialect: `postgresql` and `pg` are `postgres`, `mariadb` is `mysql`."""
    name = (dialect or "postgres").strip().lower()
    return SQL_DIALECT_ALIASES.get(name, name)


@functools.lru_cache(maxsize=8192)
def _parse_cached(text: str, dialect: str) -> tuple[SqlStatement, ...]:
    try:
        reader = _read_postgres if dialect == "postgres" else _read_with_sqlglot
        return tuple(reader(text, dialect))
    except (RecursionError, MemoryError):
        return (SqlStatement(text=text, kind="other", parser="none", error="SQL too deeply nested to parse"),)
    except Exception as exc:  # a parser bug must not stop the reading of the repository
        return (SqlStatement(text=text, kind="other", parser="none", error=_short(exc)),)


_TOKEN_REPR = re.compile(r"<Token token_type: TokenType\.(\w+)[^>]*>")
_CLASS_REPR = re.compile(r"<class '(?:[\w.]+\.)?(\w+)'>")


def _short(exc: BaseException) -> str:
    """The first line of a parser's message, without terminal colours, token dumps or the
    parser's module paths (`<class 'sqlglot.expressions.core.Mod'>` is `Mod`)."""
    message = _CLASS_REPR.sub(r"\1", _TOKEN_REPR.sub(r"\1", _ANSI.sub("", str(exc)))).strip().splitlines()
    return message[0] if message else type(exc).__name__


# --------------------------------------------------------------------------- PostgreSQL


def _read_postgres(text: str, dialect: str = "postgres") -> Iterator[SqlStatement]:
    """Every statement, read by pglast: the whole text at once, or statement by statement when
    one of them is wrong, so that the others still count."""
    parsed, _ = _read_with_pglast(text)
    if parsed is not None:
        yield from parsed
        return
    for piece in _pieces(text):
        parsed, error = _read_with_pglast(piece)
        if parsed is None:
            yield SqlStatement(text=piece, kind="other", parser="pglast", error=error)
        else:
            yield from parsed


_COMMENT_TOKENS = frozenset({"SQL_COMMENT", "C_COMMENT"})
_SEMICOLON = "ASCII_59"


def _tokens(text: str) -> Optional[list]:
    """pglast's scan of `text` (character offsets, ends inclusive); None when it cannot scan."""
    tokens, unreadable = _scan(text)
    return None if unreadable is not None else tokens


def _scan(text: str) -> tuple[list, Optional[int]]:
    """(tokens, None), or the tokens before an unclosed quote or comment and where it starts."""
    from pglast import parser

    try:
        return parser.scan(_for_postgres(text)), None
    except Exception as exc:
        where = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
    try:
        return (parser.scan(_for_postgres(text[:where])) if 0 < where < len(text) else []), where
    except Exception:
        return [], 0


def _pieces(text: str) -> Iterator[str]:
    """The statements of `text` as the scanner splits them at `;`, comments around them left out.

    The scanner knows quotes, dollar quoting and comments, so a `;` inside them splits nothing.
    An unclosed quote or comment makes the statement it stands in, and all that follows, one
    piece; the statements before it are still pieces of their own, so a drop cannot hide behind
    a broken statement after it.
    """
    tokens, unreadable = _scan(text)
    statement: list = []
    for token in tokens + [None]:
        if token is None or token.name == _SEMICOLON:
            code = [t for t in statement if t.name not in _COMMENT_TOKENS]
            if token is None and unreadable is not None:
                rest = text[code[0].start if code else unreadable :].strip()
                if rest:
                    yield rest
            elif code:
                yield text[code[0].start : code[-1].end + 1]
            statement = []
        else:
            statement.append(token)


class _StatementTexts:
    """The text of each statement pglast found: its byte range in the UTF-8 text, and without the
    comments around it, so that a comment never changes which statement a text is."""

    def __init__(self, text: str):
        self.text = text
        self.data = text.encode("utf-8") if not text.isascii() else None
        self.tokens = _tokens(text) if ("--" in text or "/*" in text) else None
        self.starts = [t.start for t in self.tokens] if self.tokens else []

    def _chars(self, offset: int) -> int:
        if self.data is None:
            return offset
        return len(self.data[:offset].decode("utf-8", "replace"))

    def get(self, location: Optional[int], length: Optional[int]) -> str:
        start = self._chars(location or 0)
        end = self._chars((location or 0) + length) if length else len(self.text)
        if self.tokens:
            first = bisect.bisect_left(self.starts, start)
            last = bisect.bisect_left(self.starts, end)
            code = [t for t in self.tokens[first:last] if t.name not in _COMMENT_TOKENS and t.name != _SEMICOLON]
            if code:
                return self.text[code[0].start : code[-1].end + 1]
        return self.text[start:end].strip()


# The parameters of `conn.execute("... WHERE id = %s", value)`: psycopg's and PyMySQL's
# placeholders, which the driver fills in before any database reads the text. `%%s` is an
# escaped percent sign, and `5%s` a modulo by a column `s`.
_DRIVER_PLACEHOLDER = re.compile(r"(?<![%\w])%(?:\([A-Za-z_]\w*\))?s(?!\w)")


def _without_driver_placeholders(text: str, parameter: str) -> str:
    """`text` with each `%s` / `%(name)s` as the parser's own `parameter`, padded in front to
    keep every offset, so statement texts are still cut from the text as written."""
    if "%" not in text:
        return text
    return _DRIVER_PLACEHOLDER.sub(lambda m: parameter.rjust(len(m[0])), text)


# --------------------------------------------------------------------------- other dialects


@contextlib.contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning for every statement it keeps as a Command, which this module
    classifies itself; the warning is silenced while this module parses, and only then."""
    import logging  # imported here: sqlglot imports it anyway, and PostgreSQL never needs it

    logger = logging.getLogger("sqlglot")
    logger.addFilter(_not_a_command_fallback)
    try:
        yield
    finally:
        logger.removeFilter(_not_a_command_fallback)


def _not_a_command_fallback(record: Any) -> bool:
    """A logging filter: false for sqlglot's "Falling back to parsing as a 'Command'"."""
    return "Falling back to parsing as a 'Command'" not in record.getMessage()


def _read_with_sqlglot(text: str, dialect: str) -> Iterator[SqlStatement]:
    """Every statement, read by sqlglot in `dialect` (generic SQL for a name it does not know)."""
    import sqlglot
    from sqlglot.errors import TokenError

    try:
        sqlglot_dialect = sqlglot.Dialect.get_or_raise(dialect)
    except ValueError:  # an unknown dialect name: read it as generic SQL
        sqlglot_dialect = sqlglot.Dialect.get_or_raise(None)
    try:
        tokens = sqlglot_dialect.tokenize(_without_driver_placeholders(text, "?"))
    except TokenError as exc:  # an unclosed quote, say
        yield SqlStatement(text=text.strip(), kind="other", parser="sqlglot", error=_short(exc))
        return
    with _quiet_sqlglot():
        statements = [s for chunk in _split_statements(tokens) for s in _parse_chunk(text, chunk, sqlglot_dialect)]
    yield from statements


def _split_statements(tokens: list) -> Iterator[list]:
    from sqlglot.tokens import TokenType

    chunk: list = []
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            if chunk:
                yield chunk
            chunk = []
        else:
            chunk.append(token)
    if chunk:
        yield chunk


def _parse_chunk(text: str, chunk: list, sqlglot_dialect: Any) -> Iterator[SqlStatement]:
    statement_text = text[chunk[0].start : chunk[-1].end + 1]
    try:
        expressions = sqlglot_dialect.parser().parse(chunk, text)
        error = None
    except Exception as exc:
        expressions, error = [], _short(exc)
    expression = expressions[0] if expressions else None
    if error is None and expression is not None:
        if _is_bare_expression(expression):
            error = "not a SQL statement"
        else:
            statements = _from_sqlglot(expression, statement_text)
            if statements is not None:
                yield from statements
                return
    if error is not None:
        yield SqlStatement(text=statement_text, kind="other", parser="sqlglot", error=error)
        return
    kind, table, if_exists, cascade = _classify_fragment(statement_text)  # an opaque Command
    yield SqlStatement(
        text=statement_text, kind=kind or "other", table=table,
        parser="sqlglot", if_exists=if_exists, cascade=cascade, error=_unbalanced(chunk),
    )


def _unbalanced(chunk: list) -> Optional[str]:
    """Why an opaque statement (one sqlglot keeps as a Command) is certainly not SQL, if it is:
    `ALTER TABLE t MODIFY a VARCHAR(` is read as a Command too."""
    from sqlglot.tokens import TokenType

    depth = 0
    for token in chunk:
        depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(token.token_type, 0)
        if depth < 0:
            return "a ')' without its '('"
    return "a '(' is never closed" if depth else None


def _is_bare_expression(expression: Any) -> bool:
    """sqlglot accepts `a IS NOT b` as a statement; no database does."""
    from sqlglot import exp

    return isinstance(expression, exp.Condition)


# --------------------------------------------------------------------------- sqlglot


def _from_sqlglot(expression: Any, text: str) -> Optional[list[SqlStatement]]:
    """Statements for a sqlglot expression, or None for an opaque Command (parse elsewhere)."""
    from sqlglot import exp

    if isinstance(expression, exp.Command):
        return None
    if isinstance(expression, exp.Semicolon):
        return []
    for kind_type, handler in _SQLGLOT_HANDLERS:
        if isinstance(expression, getattr(exp, kind_type, ())):
            return handler(expression, text)
    return [SqlStatement(text=text, kind="other")]


def _name(node: Any) -> Optional[str]:
    if node is None:
        return None
    name = getattr(node, "name", None)
    return name or None


def _table_of(node: Any) -> Optional[str]:
    """The bare table name of a Table, or of a Schema wrapping one (CREATE TABLE t (...))."""
    from sqlglot import exp

    if isinstance(node, exp.Schema):
        node = node.this
    return _name(node)


_DROP_KINDS = {"TABLE": "drop_table", "INDEX": "drop_index", "VIEW": "drop_view", "TYPE": "drop_type",
               "FUNCTION": "drop_function", "PROCEDURE": "drop_procedure", "SCHEMA": "drop_schema",
               "SEQUENCE": "drop_sequence", "TRIGGER": "drop_trigger"}


def _sg_drop(expression: Any, text: str) -> list[SqlStatement]:
    kind = _DROP_KINDS.get(str(expression.args.get("kind") or "").upper(), "other")
    objects = expression.args.get("tables") or ([expression.this] if expression.this else [None])
    common = dict(
        if_exists=bool(expression.args.get("exists")),
        cascade=bool(expression.args.get("cascade")),
    )
    statements = []
    for obj in objects:
        name = _name(obj)
        if kind == "drop_index":
            statements.append(SqlStatement(text=text, kind=kind, target=name, **common))
        else:
            statements.append(SqlStatement(text=text, kind=kind, table=name, target=name, **common))
    return statements


def _sg_alter(expression: Any, text: str) -> list[SqlStatement]:
    from sqlglot import exp

    if str(expression.args.get("kind") or "").upper() != "TABLE":
        return [SqlStatement(text=text, kind="other", target=_name(expression.this))]
    table = _table_of(expression.this)
    table_if_exists = bool(expression.args.get("exists"))
    statements = []
    for action in expression.args.get("actions") or [None]:
        kind, target, if_exists, cascade = _alter_action(action)
        if isinstance(action, exp.Command):  # an action sqlglot does not know: its keywords say
            kind, _, if_exists, cascade = _classify_fragment(text)
            kind = kind or "other"
        facts = _sg_definition_facts(action) if kind in ("add_column", "add_constraint") else {}
        if kind == "add_constraint":
            facts["not_valid"] = bool(expression.args.get("not_valid"))
        statements.append(
            SqlStatement(
                text=text, kind=kind, table=table, target=target,
                if_exists=if_exists or table_if_exists, cascade=cascade,
                **facts, **_sg_action_facts(action),
            )
        )
    return statements


def _sg_action_facts(action: Any) -> dict[str, Any]:
    """action / new_type of an ALTER COLUMN or RENAME action, as `_pg_alter_table` records them."""
    from sqlglot import exp

    if isinstance(action, (exp.RenameColumn, exp.AlterRename)):
        return {"action": "rename"}
    if not isinstance(action, exp.AlterColumn):
        return {}
    if action.args.get("dtype") is not None:
        return {"new_type": _type_text(action.args["dtype"].sql(dialect="postgres"))}
    allow_null = action.args.get("allow_null")
    if allow_null is not None:
        return {"action": "drop_not_null" if allow_null else "set_not_null"}
    if action.args.get("default") is not None or action.args.get("drop"):
        return {"action": "default"}
    return {}


def _sg_references(node: Any) -> tuple[str, ...]:
    """Tables the FOREIGN KEY / REFERENCES clauses inside `node` point at."""
    from sqlglot import exp

    found = (_table_of(reference.this) for reference in node.find_all(exp.Reference, bfs=False))
    return tuple(dict.fromkeys(name for name in found if name))


def _sg_definition_facts(action: Any) -> dict[str, Any]:
    """references / not_null / has_default of an added column or constraint."""
    from sqlglot import exp

    facts: dict[str, Any] = {}
    references = _sg_references(action)
    if references:
        facts["references"] = references
    if isinstance(action, exp.ColumnDef):
        facts["not_null"] = any(
            not c.args.get("allow_null") for c in action.find_all(exp.NotNullColumnConstraint)
        )
        default = action.find(exp.DefaultColumnConstraint)
        facts["has_default"] = default is not None
        column_type = action.args.get("kind")
        facts["volatile_default"] = (
            column_type is not None and column_type.sql(dialect="postgres").lower() in SERIAL_TYPES
        ) or (default is not None and calls_volatile(default.sql(dialect="postgres")))
    elif isinstance(action, exp.AddConstraint) and action.expressions:
        constraint = action.expressions[0]
        parts = constraint.expressions if isinstance(constraint, exp.Constraint) else [constraint]
        kind = next((_SG_CONSTRAINT_TYPES[type(p).__name__] for p in parts
                     if type(p).__name__ in _SG_CONSTRAINT_TYPES), None)
        if kind is not None:
            facts["constraint_type"] = kind
    return facts


_SG_CONSTRAINT_TYPES = {
    "ForeignKey": "foreign_key", "CheckColumnConstraint": "check", "UniqueColumnConstraint": "unique",
    "PrimaryKey": "primary_key", "PrimaryKeyColumnConstraint": "primary_key",
}


# ALTER TABLE ... DROP <kind> name; MySQL drops an index (`DROP INDEX`/`DROP KEY`) this way
_ALTER_DROP_KINDS = {
    "CONSTRAINT": "drop_constraint", "PRIMARY KEY": "drop_constraint", "FOREIGN KEY": "drop_constraint",
    "CHECK": "drop_constraint", "INDEX": "drop_index", "KEY": "drop_index", "COLUMN": "drop_column",
}


def _alter_action(action: Any) -> tuple[str, Optional[str], bool, bool]:
    """(kind, target, if_exists, cascade) of one ALTER TABLE action."""
    from sqlglot import exp

    if isinstance(action, exp.Drop):
        drop_kind = str(action.args.get("kind") or "").upper()
        targets = action.args.get("tables") or [action.this]
        kind = _ALTER_DROP_KINDS.get(drop_kind, "drop_column")
        target = _name(targets[0]) if targets else None
        return kind, target, bool(action.args.get("exists")), bool(action.args.get("cascade"))
    if isinstance(action, getattr(exp, "DropPrimaryKey", ())):  # MySQL: the key has no name to give
        return "drop_constraint", None, False, False
    if isinstance(action, getattr(exp, "ModifyColumn", ())):  # MySQL MODIFY / CHANGE old new TYPE
        renamed = action.args.get("rename_from")
        return "alter_column_type", _name(renamed) or _name(action.this), False, False
    if isinstance(action, exp.ColumnDef):
        return "add_column", _name(action), False, False
    if isinstance(action, exp.AddConstraint):
        constraints = action.expressions or []
        first = constraints[0] if constraints else None
        if isinstance(first, exp.IndexColumnConstraint):  # MySQL ADD INDEX / ADD KEY
            return "create_index", _name(first), False, False
        if isinstance(first, exp.UniqueColumnConstraint):  # MySQL ADD UNIQUE [INDEX] name (...)
            return "add_constraint", _table_of(first.this), False, False
        return "add_constraint", _name(first), False, False
    if isinstance(action, exp.AlterColumn):
        kind = "alter_column_type" if action.args.get("dtype") is not None else "alter_column"
        return kind, _name(action), False, False
    if isinstance(action, exp.RenameColumn):
        return "alter_column", _name(action.this), False, False
    if isinstance(action, exp.AlterRename):
        return "rename_table", _table_of(action.this), False, False
    return "other", None, False, False


def _sg_truncate(expression: Any, text: str) -> list[SqlStatement]:
    cascade = str(expression.args.get("option") or "").upper() == "CASCADE"
    tables = expression.expressions or [None]
    return [
        SqlStatement(text=text, kind="truncate", table=_name(t), target=_name(t), cascade=cascade,
                     if_exists=bool(expression.args.get("exists")))
        for t in tables
    ]


_CREATE_KINDS = {
    "TABLE": "create_table",
    "INDEX": "create_index",
    "VIEW": "create_view",
    "FUNCTION": "create_function",
    "PROCEDURE": "create_function",
    "TRIGGER": "create_trigger",
}


def _sg_create(expression: Any, text: str) -> list[SqlStatement]:
    from sqlglot import exp

    kind = _CREATE_KINDS.get(str(expression.args.get("kind") or "").upper(), "other")
    this = expression.this
    if isinstance(this, exp.Index):
        return [SqlStatement(text=text, kind=kind, table=_table_of(this.args.get("table")), target=_name(this),
                             concurrently=bool(expression.args.get("concurrently")))]
    if kind in ("create_function", "create_trigger"):
        target = _name(this) or _name(getattr(this, "this", None))
        return [SqlStatement(text=text, kind=kind, target=target)]
    name = _table_of(this)
    references = _sg_references(expression) if kind == "create_table" else ()
    return [SqlStatement(text=text, kind=kind, table=name, target=name, references=references)]


def _sg_dml(kind: str):
    def handler(expression: Any, text: str) -> list[SqlStatement]:
        return [SqlStatement(text=text, kind=kind, table=_table_of(expression.this))]

    return handler


def _sg_plain(kind: str):
    def handler(expression: Any, text: str) -> list[SqlStatement]:
        return [SqlStatement(text=text, kind=kind)]

    return handler


_SQLGLOT_HANDLERS = (
    ("Drop", _sg_drop),
    ("Alter", _sg_alter),
    ("TruncateTable", _sg_truncate),
    ("Create", _sg_create),
    ("Insert", _sg_dml("insert")),
    ("Update", _sg_dml("update")),
    ("Delete", _sg_dml("delete")),
    ("Query", _sg_plain("select")),
    ("Grant", _sg_plain("grant")),
)


# --------------------------------------------------------------------------- pglast


_BIND_PARAMETER = re.compile(r"(?<![:\w]):[A-Za-z_][A-Za-z0-9_]*")


def _for_postgres(text: str) -> str:
    """SQLAlchemy's `:name` bind parameters, and the drivers' `%s` / `%(name)s`, as
    PostgreSQL's `$1`, keeping every offset: padded in front, so that the parameter ends where
    the name did and a statement's text is cut after it."""
    return _without_driver_placeholders(_BIND_PARAMETER.sub(lambda m: "$1".rjust(len(m[0])), text), "$1")


def _read_with_pglast(text: str) -> tuple[Optional[list[SqlStatement]], Optional[str]]:
    """(statements, None) of `text` read by PostgreSQL's own parser, or (None, why) when it
    rejects them.

    The parse tree is taken as libpg_query's JSON and read through `_PgNode`, which is several
    times faster than building pglast's own node objects for every part of every statement.
    """
    try:
        from pglast import parser

        tree = json.loads(parser.parse_sql_json(_for_postgres(text)))
    except Exception as exc:
        return None, _short(exc)
    statements: list[SqlStatement] = []
    texts = _StatementTexts(text)
    for raw in tree.get("stmts", ()):
        statement_text = texts.get(raw.get("stmt_location"), raw.get("stmt_len"))
        statements.extend(_from_pglast(_pg_value(raw.get("stmt")), statement_text))
    return statements, None


def _parse_with_pglast(text: str) -> Optional[list[SqlStatement]]:
    """The statements pglast reads in `text`, or None when it rejects them."""
    return _read_with_pglast(text)[0]


class _PgNode:
    """One node of libpg_query's JSON tree, read like a `pglast.ast` node: `node.relname`,
    None for a field the JSON leaves out, `def_` for the field `def`. Fields are converted only
    when read, so the parts of a statement no handler looks at cost nothing."""

    __slots__ = ("kind", "fields")

    def __init__(self, kind: str, fields: dict):
        self.kind = kind
        self.fields = fields

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _pg_value(self.fields.get(name[:-1] if name.endswith("_") else name))


def _pg_value(value: Any) -> Any:
    """A JSON value as the handlers read it: `{"Kind": {...}}` a node of that kind, `{"List":
    {"items": [...]}}` and arrays tuples, a node of a fixed type (no kind key) a plain node."""
    if isinstance(value, list):
        return tuple(_pg_value(item) for item in value)
    if isinstance(value, dict):
        if len(value) == 1:
            kind, inner = next(iter(value.items()))
            if kind[:1].isupper() and isinstance(inner, dict):
                if kind == "List":
                    return tuple(_pg_value(item) for item in inner.get("items", ()))
                return _PgNode(kind, inner)
        return _PgNode("", value)
    return value


def _enum_name(value: Any) -> str:
    return getattr(value, "name", str(value))


def _range_name(range_var: Any) -> Optional[str]:
    return getattr(range_var, "relname", None) if range_var is not None else None


def _from_pglast(node: Any, text: str) -> list[SqlStatement]:
    handler = _PGLAST_HANDLERS.get(node.kind) if isinstance(node, _PgNode) else None
    if handler is None:
        return [SqlStatement(text=text, kind="other", parser="pglast")]
    return handler(node, text)


_PG_DROP_KINDS = {
    "OBJECT_TABLE": "drop_table",
    "OBJECT_INDEX": "drop_index",
    "OBJECT_VIEW": "drop_view",
    "OBJECT_MATVIEW": "drop_view",
    "OBJECT_POLICY": "drop_policy",
    "OBJECT_TYPE": "drop_type",
    "OBJECT_DOMAIN": "drop_type",
    "OBJECT_FUNCTION": "drop_function",
    "OBJECT_PROCEDURE": "drop_procedure",
    "OBJECT_ROUTINE": "drop_function",
    "OBJECT_SCHEMA": "drop_schema",
    "OBJECT_SEQUENCE": "drop_sequence",
    "OBJECT_EXTENSION": "drop_extension",
    "OBJECT_TRIGGER": "drop_trigger",
}
# drops whose objects are named (schema..., table, name): the table is the one before last
_ON_TABLE = frozenset({"drop_policy", "drop_trigger"})
# drops of objects that belong to no table
_NOT_TABLES = frozenset({"drop_index", "drop_type", "drop_function", "drop_procedure", "drop_schema",
                         "drop_sequence", "drop_extension"})


def _object_names(obj: Any) -> list[str]:
    """The name parts of a dropped object: a list of names, a type, a function with arguments."""
    if isinstance(obj, _PgNode):
        if obj.kind == "String":
            return [obj.sval] if obj.sval else []
        obj = obj.names if obj.kind == "TypeName" else obj.objname if obj.kind == "ObjectWithArgs" else ()
    names = [getattr(part, "sval", None) for part in obj] if isinstance(obj, tuple) else []
    return [n for n in names if n]


def _pg_drop(node: Any, text: str) -> list[SqlStatement]:
    kind = _PG_DROP_KINDS.get(_enum_name(node.removeType), "other")
    common = dict(
        parser="pglast",
        if_exists=bool(node.missing_ok),
        cascade=_enum_name(node.behavior) == "DROP_CASCADE",
    )
    statements = []
    for obj in node.objects or [None]:
        names = _object_names(obj)
        if kind in _ON_TABLE:  # objects are (schema..., table, policy)
            table = names[-2] if len(names) >= 2 else None
            target = names[-1] if names else None
            statements.append(SqlStatement(text=text, kind=kind, table=table, target=target, **common))
        elif kind in _NOT_TABLES:
            statements.append(SqlStatement(text=text, kind=kind, target=names[-1] if names else None, **common))
        else:
            name = names[-1] if names else None
            statements.append(SqlStatement(text=text, kind=kind, table=name, target=name, **common))
    return statements


_PG_ALTER_KINDS = {
    "AT_DropColumn": "drop_column",
    "AT_DropConstraint": "drop_constraint",
    "AT_DisableRowSecurity": "disable_rls",
    "AT_NoForceRowSecurity": "disable_rls",
    "AT_EnableRowSecurity": "enable_rls",
    "AT_ForceRowSecurity": "enable_rls",
    "AT_AddColumn": "add_column",
    "AT_AlterColumnType": "alter_column_type",
    "AT_AddConstraint": "add_constraint",
    "AT_SetNotNull": "alter_column",
    "AT_DropNotNull": "alter_column",
    "AT_ColumnDefault": "alter_column",
    "AT_ValidateConstraint": "validate_constraint",
}
# what an `alter_column` statement does to its column
_PG_ALTER_ACTIONS = {"AT_SetNotNull": "set_not_null", "AT_DropNotNull": "drop_not_null",
                     "AT_ColumnDefault": "default"}


def _pg_alter_table(node: Any, text: str) -> list[SqlStatement]:
    table = _range_name(node.relation)
    if _enum_name(node.objtype) != "OBJECT_TABLE":
        return [SqlStatement(text=text, kind="other", table=table, parser="pglast")]
    statements = []
    for cmd in node.cmds or [None]:
        subtype = _enum_name(cmd.subtype) if cmd is not None else ""
        kind = _PG_ALTER_KINDS.get(subtype, "other")
        target = getattr(cmd, "name", None) if cmd is not None else None
        definition = getattr(cmd, "def_", None) if kind in ("add_column", "add_constraint") else None
        if kind == "add_column" and definition is not None:
            target = getattr(definition, "colname", None)
        if kind == "add_constraint" and definition is not None:
            target = getattr(definition, "conname", None)
        statements.append(
            SqlStatement(
                text=text, kind=kind, table=table, target=target, parser="pglast",
                # on ADD COLUMN the action's flag means IF NOT EXISTS, which protects nothing
                if_exists=bool(node.missing_ok) or (kind != "add_column" and bool(getattr(cmd, "missing_ok", False))),
                cascade=cmd is not None and _enum_name(cmd.behavior) == "DROP_CASCADE",
                action=_PG_ALTER_ACTIONS.get(subtype),
                **_pg_definition_facts(definition),
                **(_pg_new_type(cmd) if kind == "alter_column_type" else {}),
            )
        )
    return statements


def _pg_constraints(definition: Any) -> tuple:
    """The constraints of a column definition, or the constraint itself."""
    if definition is None:
        return ()
    if definition.kind == "Constraint":
        return (definition,)
    return tuple(c for c in definition.constraints or () if isinstance(c, _PgNode))


def _pg_definition_facts(definition: Any) -> dict[str, Any]:
    """references / not_null / has_default of a column definition or a table constraint."""
    kinds = [(_enum_name(c.contype), c) for c in _pg_constraints(definition)]
    facts: dict[str, Any] = {}
    references = [_range_name(c.pktable) for kind, c in kinds if kind == "CONSTR_FOREIGN"]
    if references:
        facts["references"] = tuple(dict.fromkeys(r for r in references if r))
    if definition is not None and definition.kind == "ColumnDef":
        facts["not_null"] = any(kind == "CONSTR_NOTNULL" for kind, _ in kinds)
        facts["has_default"] = any(kind == "CONSTR_DEFAULT" for kind, _ in kinds)
        defaults = [c for kind, c in kinds if kind == "CONSTR_DEFAULT"]
        facts["volatile_default"] = _type_name(definition.typeName)[0] in SERIAL_TYPES or any(
            name in VOLATILE_FUNCTIONS for c in defaults for name in _pg_called(c.fields.get("raw_expr"))
        )
    elif definition is not None and definition.kind == "Constraint" and kinds:
        kind, constraint = kinds[0]
        facts["constraint_type"] = _PG_CONSTRAINT_TYPES.get(kind, kind.removeprefix("CONSTR_").lower())
        facts["not_valid"] = bool(constraint.skip_validation)
        facts["using_index"] = bool(constraint.indexname)
    return facts


_PG_CONSTRAINT_TYPES = {"CONSTR_FOREIGN": "foreign_key", "CONSTR_PRIMARY": "primary_key",
                        "CONSTR_EXCLUSION": "exclusion"}


def _pg_called(expression: Any) -> Iterator[str]:
    """The (lower-case, unqualified) names of the functions an expression's JSON tree calls."""
    for key, value in _walk_json(expression):
        if key == "FuncCall":
            parts = [p.get("String", {}).get("sval", "") for p in value.get("funcname", ()) if isinstance(p, dict)]
            if parts:
                yield parts[-1].lower()


def _type_name(type_name: Any) -> tuple[str, tuple[int, ...]]:
    """("varchar", (100,)) of a TypeName node; ("", ()) when there is none."""
    if not isinstance(type_name, _PgNode):
        return "", ()
    names = [getattr(part, "sval", "") for part in type_name.names or ()]
    modifiers = []
    for mod in type_name.typmods or ():
        value = getattr(mod, "ival", None)
        if isinstance(value, _PgNode):  # {"ival": {"ival": 100}}; {"ival": {}} is 0
            modifiers.append(value.ival or 0)
    return (names[-1].lower() if names else ""), tuple(modifiers)


def _pg_new_type(cmd: Any) -> dict[str, Any]:
    """The new type of an ALTER COLUMN ... TYPE, in SQL's words (`bigint`, `varchar(10)`)."""
    name, modifiers = _type_name(getattr(getattr(cmd, "def_", None), "typeName", None))
    if not name:
        return {}
    return {"new_type": _type_text(f"{name}({','.join(map(str, modifiers))})" if modifiers else name)}


# PostgreSQL's internal type names (pglast) and sqlglot's spellings, as SQL writes them
_TYPE_WORDS = {"int8": "bigint", "int4": "integer", "int": "integer", "int2": "smallint",
               "float8": "double precision", "float4": "real", "bpchar": "char", "bool": "boolean",
               "decimal": "numeric"}


def _type_text(written: str) -> str:
    name, bracket, rest = written.lower().replace(", ", ",").partition("(")
    return _TYPE_WORDS.get(name, name) + bracket + rest


def _pg_create_table(node: Any, text: str) -> list[SqlStatement]:
    table = _range_name(node.relation)
    references: list[str] = []
    for element in node.tableElts or ():
        if isinstance(element, _PgNode):
            references.extend(_pg_definition_facts(element).get("references", ()))
    return [SqlStatement(text=text, kind="create_table", table=table, target=table, parser="pglast",
                         references=tuple(dict.fromkeys(references)))]


def _pg_truncate(node: Any, text: str) -> list[SqlStatement]:
    cascade = _enum_name(node.behavior) == "DROP_CASCADE"
    return [
        SqlStatement(text=text, kind="truncate", table=_range_name(r), target=_range_name(r),
                     parser="pglast", cascade=cascade)
        for r in node.relations or [None]
    ]


def _pg_policy(kind: str):
    def handler(node: Any, text: str) -> list[SqlStatement]:
        return [SqlStatement(text=text, kind=kind, table=_range_name(node.table),
                             target=node.policy_name, parser="pglast")]

    return handler


def _pg_relation(kind: str, attribute: str, target_attribute: Optional[str] = None):
    def handler(node: Any, text: str) -> list[SqlStatement]:
        table = _range_name(getattr(node, attribute, None))
        target = getattr(node, target_attribute, None) if target_attribute else table
        return [SqlStatement(text=text, kind=kind, table=table, target=target, parser="pglast")]

    return handler


def _pg_dml(kind: str):
    def handler(node: Any, text: str) -> list[SqlStatement]:
        return [SqlStatement(text=text, kind=kind, table=_range_name(node.relation), parser="pglast")]

    return handler


def _pg_rename(node: Any, text: str) -> list[SqlStatement]:
    """A column rename changes the column (as `alter_column` does), a table rename is
    `rename_table` (as `op.rename_table`); other renames are "other"."""
    rename = _enum_name(node.renameType)
    if rename == "OBJECT_COLUMN":
        return [SqlStatement(text=text, kind="alter_column", table=_range_name(node.relation),
                             target=node.subname, parser="pglast", action="rename")]
    if rename == "OBJECT_TABLE":
        return [SqlStatement(text=text, kind="rename_table", table=_range_name(node.relation),
                             target=node.newname, parser="pglast", action="rename")]
    return [SqlStatement(text=text, kind="other", parser="pglast")]


def _pg_index(node: Any, text: str) -> list[SqlStatement]:
    return [SqlStatement(text=text, kind="create_index", table=_range_name(node.relation), target=node.idxname,
                         parser="pglast", concurrently=bool(node.concurrent))]


def _pg_named(kind: str, attribute: str):
    """A statement creating an object that belongs to no table (a type, schema, extension...)."""
    def handler(node: Any, text: str) -> list[SqlStatement]:
        value = getattr(node, attribute, None)
        if isinstance(value, tuple):  # a qualified name: (schema..., name)
            value = getattr(value[-1], "sval", None) if value else None
        elif isinstance(value, _PgNode):  # a RangeVar
            value = value.relname
        return [SqlStatement(text=text, kind=kind, target=value, parser="pglast")]

    return handler


def _pg_create_table_as(node: Any, text: str) -> list[SqlStatement]:
    kind = "create_view" if _enum_name(node.objtype) == "OBJECT_MATVIEW" else "create_table"
    table = _range_name(getattr(node.into, "rel", None))
    return [SqlStatement(text=text, kind=kind, table=table, target=table, parser="pglast")]


def _pg_function(node: Any, text: str) -> list[SqlStatement]:
    names = [getattr(part, "sval", "") for part in node.funcname or ()]
    return [SqlStatement(text=text, kind="create_function", target=names[-1] if names else None, parser="pglast")]


def _pg_plain(kind: str):
    def handler(node: Any, text: str) -> list[SqlStatement]:
        return [SqlStatement(text=text, kind=kind, parser="pglast")]

    return handler


def _pg_do(node: Any, text: str) -> list[SqlStatement]:
    """The DO block itself, then (best effort) the statements its PL/pgSQL body runs."""
    body, language = None, "plpgsql"
    for arg in node.args or ():
        if arg.defname == "as":
            body = getattr(arg.arg, "sval", None)
        elif arg.defname == "language":
            language = getattr(arg.arg, "sval", language)
    statements = [SqlStatement(text=text, kind="do_block", parser="pglast")]
    if body is not None and language.lower() == "plpgsql":
        statements.extend(_plpgsql_statements(body))
    return statements


_PGLAST_HANDLERS = {
    "DropStmt": _pg_drop,
    "AlterTableStmt": _pg_alter_table,
    "TruncateStmt": _pg_truncate,
    "CreatePolicyStmt": _pg_policy("create_policy"),
    "AlterPolicyStmt": _pg_policy("alter_policy"),
    "DoStmt": _pg_do,
    "CreateStmt": _pg_create_table,
    "IndexStmt": _pg_index,
    "CreateEnumStmt": _pg_named("create_type", "typeName"),
    "CompositeTypeStmt": _pg_named("create_type", "typevar"),
    "CreateDomainStmt": _pg_named("create_type", "domainname"),
    "CreateSchemaStmt": _pg_named("create_schema", "schemaname"),
    "CreateSeqStmt": _pg_named("create_sequence", "sequence"),
    "CreateExtensionStmt": _pg_named("create_extension", "extname"),
    "ViewStmt": _pg_relation("create_view", "view"),
    "CreateTableAsStmt": _pg_create_table_as,
    "CreateFunctionStmt": _pg_function,
    "CreateTrigStmt": _pg_relation("create_trigger", "relation", "trigname"),
    "InsertStmt": _pg_dml("insert"),
    "UpdateStmt": _pg_dml("update"),
    "DeleteStmt": _pg_dml("delete"),
    "RenameStmt": _pg_rename,
    "SelectStmt": _pg_plain("select"),
    "GrantStmt": _pg_plain("grant"),
}


# --------------------------------------------------------------------------- PL/pgSQL bodies


def _plpgsql_statements(body: str) -> list[SqlStatement]:
    """SQL run by a PL/pgSQL body: static statements parsed, EXECUTE strings classified."""
    try:
        import pglast

        tree = pglast.parse_plpgsql(_as_function(body))
    except Exception:
        return []
    statements: list[SqlStatement] = []
    for key, value in _walk_json(tree):
        if key == "PLpgSQL_stmt_execsql":
            query = _expr_query(value.get("sqlstmt"))
            if query:
                statements.extend(_parse_with_pglast(query) or [])
        elif key == "PLpgSQL_stmt_dynexecute":
            query = _expr_query(value.get("query"))
            if query:
                statements.extend(_dynamic_execute(query))
    return statements


def _as_function(body: str) -> str:
    """libpg_query reads PL/pgSQL only inside CREATE FUNCTION; pick a quote the body lacks."""
    tag = "$govsite$"
    counter = 0
    while tag in body:
        counter += 1
        tag = f"$govsite{counter}$"
    return f"CREATE FUNCTION govsite_do_block() RETURNS void LANGUAGE plpgsql AS {tag}{body}{tag}"


def _walk_json(tree: Any) -> Iterator[tuple[str, dict]]:
    """Every (node name, node) pair of libpg_query's PL/pgSQL JSON, without recursion."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if isinstance(value, dict):
                    yield key, value
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _expr_query(expr: Any) -> Optional[str]:
    if isinstance(expr, dict):
        inner = expr.get("PLpgSQL_expr")
        if isinstance(inner, dict):
            return inner.get("query")
    return None


def _dynamic_execute(query: str) -> list[SqlStatement]:
    """`EXECUTE 'TRUNCATE q'` is static; `EXECUTE format('DROP TABLE %I', t)` is not."""
    literal, prefix = _string_expression(query)
    if literal is not None:
        return _parse_with_pglast(literal) or [dynamic_sql(literal)]
    return [dynamic_sql(prefix)]


def _string_expression(query: str) -> tuple[Optional[str], str]:
    """(full text, known prefix) of a PL/pgSQL string expression: literal, format(), `||`."""
    try:
        import pglast

        node = pglast.parse_sql(f"SELECT {query}")[0].stmt.targetList[0].val
    except Exception:
        return None, ""
    while True:
        name = type(node).__name__
        if name == "A_Const":
            value = getattr(node.val, "sval", None)
            return (value, value or "") if isinstance(value, str) else (None, "")
        if name == "FuncCall" and node.args:
            funcname = [getattr(p, "sval", "") for p in node.funcname or ()]
            if funcname and funcname[-1].lower() == "format":
                literal, _ = _string_expression_node(node.args[0])
                return None, (literal or "").split("%", 1)[0]
            return None, ""
        if name == "A_Expr" and node.lexpr is not None:
            node = node.lexpr  # `'DROP TABLE ' || name`: the left side is the known prefix
            literal, _ = _string_expression_node(node)
            if literal is not None:
                return None, literal
            continue
        return None, ""


def _string_expression_node(node: Any) -> tuple[Optional[str], str]:
    if type(node).__name__ == "A_Const":
        value = getattr(node.val, "sval", None)
        if isinstance(value, str):
            return value, value
    return None, ""


# --------------------------------------------------------------------------- fragments

_LINE_COMMENT = re.compile(r"--[^\n]*")
_BLOCK_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
_IDENT = r"((?:\"[^\"]+\"|[A-Za-z_][\w$]*)(?:\.(?:\"[^\"]+\"|[A-Za-z_][\w$]*))*)(?=[\s;(,])"
_NOT_A_COLUMN_DROP = r"(?!NOT\s+NULL|DEFAULT|IDENTITY|EXPRESSION)"

# Ordered: the first match wins. Only used for text no parser accepts (partial or opaque SQL).
_FRAGMENT_KINDS = tuple(
    (re.compile(pattern, re.I | re.S), kind)
    for pattern, kind in (
        (r"^DROP\s+TABLE\b", "drop_table"),
        (r"^DROP\s+INDEX\b", "drop_index"),
        (r"^DROP\s+(?:MATERIALIZED\s+)?VIEW\b", "drop_view"),
        (r"^DROP\s+POLICY\b", "drop_policy"),
        (r"^DROP\s+(?:TYPE|DOMAIN)\b", "drop_type"),
        (r"^DROP\s+(?:FUNCTION|ROUTINE)\b", "drop_function"),
        (r"^DROP\s+PROCEDURE\b", "drop_procedure"),
        (r"^DROP\s+SCHEMA\b", "drop_schema"),
        (r"^DROP\s+SEQUENCE\b", "drop_sequence"),
        (r"^DROP\s+EXTENSION\b", "drop_extension"),
        (r"^DROP\s+TRIGGER\b", "drop_trigger"),
        (r"^TRUNCATE\b", "truncate"),
        (r"^ALTER\s+TABLE\b.*\b(?:DISABLE|NO\s+FORCE)\s+ROW\s+LEVEL\s+SECURITY\b", "disable_rls"),
        (r"^ALTER\s+TABLE\b.*\b(?:ENABLE|FORCE)\s+ROW\s+LEVEL\s+SECURITY\b", "enable_rls"),
        (r"^ALTER\s+TABLE\b.*\bDROP\s+CONSTRAINT\b", "drop_constraint"),
        (r"^ALTER\s+TABLE\b.*\bDROP\b(?:\s+" + _NOT_A_COLUMN_DROP + r"|\s*$)", "drop_column"),
        (r"^ALTER\s+TABLE\b.*\bTYPE\b", "alter_column_type"),
        (r"^ALTER\s+TABLE\b.*\bADD\s+CONSTRAINT\b", "add_constraint"),
        (r"^ALTER\s+TABLE\b.*\bADD\b", "add_column"),
        (r"^ALTER\s+POLICY\b", "alter_policy"),
        (r"^CREATE\s+POLICY\b", "create_policy"),
        (r"^CREATE\s+(?:(?:UNLOGGED|TEMP|TEMPORARY)\s+)?TABLE\b", "create_table"),
        (r"^CREATE\s+(?:UNIQUE\s+)?INDEX\b", "create_index"),
        (r"^CREATE\s+(?:OR\s+REPLACE\s+)?(?:MATERIALIZED\s+)?VIEW\b", "create_view"),
        (r"^CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\b", "create_function"),
        (r"^CREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\b", "create_trigger"),
        (r"^DO\b", "do_block"),
        (r"^INSERT\b", "insert"),
        (r"^UPDATE\b", "update"),
        (r"^DELETE\b", "delete"),
        (r"^(?:SELECT|WITH)\b", "select"),
        (r"^GRANT\b", "grant"),
    )
)

_FRAGMENT_TABLE = re.compile(
    r"^(?:DROP\s+TABLE|TRUNCATE(?:\s+TABLE)?|ALTER\s+TABLE|CREATE\s+TABLE|INSERT\s+INTO|UPDATE|DELETE\s+FROM)"
    r"\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(?:ONLY\s+)?(?!(?:IF|ONLY)\s)" + _IDENT,
    re.I,
)


def _classify_fragment(text: str) -> tuple[Optional[str], Optional[str], bool, bool]:
    """(kind, table, if_exists, cascade) guessed from the leading keywords of `text`."""
    clean = _BLOCK_COMMENT.sub(" ", _LINE_COMMENT.sub(" ", text)).lstrip()
    kind = next((k for pattern, k in _FRAGMENT_KINDS if pattern.search(clean)), None)
    match = _FRAGMENT_TABLE.match(clean)
    table = match.group(1).split(".")[-1].strip('"') if match else None
    upper = clean.upper()
    return kind, table, bool(re.search(r"\bIF\s+EXISTS\b", upper)), bool(re.search(r"\bCASCADE\b", upper))
