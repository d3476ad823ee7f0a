"""What the rules need from inside the arguments of an `op.*` call, read from the reader's trees.

An `Operation` keeps its arguments as source text (the site shows them). The facts the rules
look for inside them (the columns a call adds, its foreign keys, the types of an `alter_column`)
are read here, once, from the trees the reader already holds, and recorded on the operation: a
migration read from the cache carries the same facts, and no rule parses an argument again.
"""

from __future__ import annotations

import ast
from collections import deque
from typing import Any, Iterator, Optional, Sequence

from ..model import ColumnSpec, ColumnType
from .sql import VOLATILE_FUNCTIONS, calls_volatile

# (key, tree) of each argument, keyed as `Operation.arguments`: "0", "1"..., keyword names,
# "**" for a `**mapping`, "loop" for the list a loop over it runs the call for
Arguments = Sequence[tuple[str, ast.AST]]

_FOREIGN_KEYS = frozenset({"ForeignKey", "ForeignKeyConstraint"})
_LEAVES = (ast.Constant, ast.Name)  # arguments that hold no call
_INERT = frozenset({ast.Constant, ast.Name, ast.Load, ast.Store, ast.Del})  # nodes that hold no call
# calls whose facts come from named arguments too, not only from calls inside them
FACTS_BY_KEY = frozenset({"create_foreign_key", "alter_column"})


def operation_facts(method: str, arguments: Arguments) -> dict[str, Any]:
    """The fact fields of an `Operation` (only those that are set) for a call of `method`."""
    columns: list[ColumnSpec] = []
    references: list[str] = []
    foreign_key = False
    for _, tree in arguments:
        if type(tree) in _LEAVES:  # most arguments: a table or column name
            continue
        for call in _calls(tree):
            name = call_name(call)
            if name == "Column":
                columns.append(_column(call))
            elif name in _FOREIGN_KEYS:
                foreign_key = True
                references.extend(_foreign_key_table(call) if name == "ForeignKey" else _constraint_tables(call))
    by_key = dict(arguments) if method in FACTS_BY_KEY else {}
    if method == "create_foreign_key":
        referent = _string(by_key.get("referent_table") or by_key.get("2"))
        if referent:
            references.insert(0, referent)
    facts: dict[str, Any] = {}
    if columns:
        facts["columns"] = tuple(columns)
    if foreign_key:
        facts["foreign_key"] = True
    if references:
        facts["references"] = tuple(dict.fromkeys(references))
    if method == "alter_column":
        for key in ("type_", "existing_type"):
            found = column_type(by_key.get(key))
            if found is not None:
                facts[key] = found
    return facts


def call_name(node: ast.AST) -> Optional[str]:
    """`sa.Column(...)` -> "Column", `String(50)` -> "String", anything else -> None."""
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return None


def _calls(tree: ast.AST) -> Iterator[ast.Call]:
    """Every call in an argument, in `ast.walk`'s order (breadth first, iterative: any depth is
    fine), without descending into names, constants and expression contexts, which hold none."""
    todo = deque([tree])
    take, add = todo.popleft, todo.append
    while todo:
        node = take()
        kind = type(node)
        if kind is ast.Call:
            yield node
        elif kind is ast.Attribute or kind is ast.keyword:  # only `.value` can hold a call
            if type(node.value) not in _INERT:
                add(node.value)
            continue
        for name in node._fields:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if type(item) not in _INERT and isinstance(item, ast.AST):
                        add(item)
            elif type(value) not in _INERT and isinstance(value, ast.AST):
                add(value)


def _string(node: Optional[ast.AST]) -> Optional[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _keyword(call: ast.Call, name: str) -> Optional[ast.expr]:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _column(call: ast.Call) -> ColumnSpec:
    nullable = _keyword(call, "nullable")
    literal = nullable.value if isinstance(nullable, ast.Constant) and isinstance(nullable.value, bool) else None
    default = _keyword(call, "server_default")
    return ColumnSpec(
        name=_string(call.args[0]) if call.args else None,
        nullable=literal,
        server_default=default is not None,
        volatile_default=default is not None and _volatile(default),
    )


_SQL_TEXT = frozenset({"text", "literal_column"})


def _volatile(default: ast.AST) -> bool:
    """Whether a server default calls a volatile function: `sa.text("gen_random_uuid()")` or
    `sa.func.clock_timestamp()`. A plain string is a quoted literal, never a call."""
    for node in ast.walk(default):
        if not isinstance(node, ast.Call):
            continue
        name = (call_name(node) or "").lower()
        if name in VOLATILE_FUNCTIONS:
            return True
        sql = _string(node.args[0]) if name in _SQL_TEXT and node.args else None
        if sql is not None and calls_volatile(sql):
            return True
    return False


def _foreign_key_table(call: ast.Call) -> list[str]:
    """`ForeignKey("accounts.id")` -> ["accounts"] (a schema stays: "billing.accounts")."""
    target = _string(call.args[0]) if call.args else None
    return [target.rsplit(".", 1)[0]] if target and "." in target else []


def _constraint_tables(call: ast.Call) -> list[str]:
    """`ForeignKeyConstraint(["node_id"], ["nodes.id"])` -> ["nodes"]: the tables of its
    `refcolumns`, written as `table.column` (or `schema.table.column`)."""
    columns = call.args[1] if len(call.args) > 1 else _keyword(call, "refcolumns")
    if not isinstance(columns, (ast.List, ast.Tuple)):
        return []
    targets = [_string(element) for element in columns.elts]
    return [target.rsplit(".", 1)[0] for target in targets if target and "." in target]


# --------------------------------------------------------------------------- column types

_STRING_UNBOUNDED = {"Text", "TEXT", "UnicodeText", "CLOB", "CITEXT"}
_STRING_SIZED = {"String", "VARCHAR", "Unicode", "NVARCHAR", "CHAR", "NCHAR"}
_INTEGER_BYTES = {
    "SmallInteger": 2, "SMALLINT": 2,
    "Integer": 4, "INTEGER": 4, "INT": 4,
    "BigInteger": 8, "BIGINT": 8,
}
_NUMERIC = {"Numeric", "NUMERIC", "DECIMAL"}
_FLOAT_BYTES = {"REAL": 4, "Float": 8, "FLOAT": 8, "Double": 8, "DOUBLE": 8, "DOUBLE_PRECISION": 8}


def column_type(node: Optional[ast.AST]) -> Optional[ColumnType]:
    """Read `sa.String(50)`, `sa.Text()`, `sa.Numeric(10, 2)`, ... ; None when not recognised."""
    if isinstance(node, ast.Call):
        name, args = call_name(node), _type_arguments(node)
    elif isinstance(node, (ast.Attribute, ast.Name)):
        name, args = (node.attr if isinstance(node, ast.Attribute) else node.id), {}
    else:
        return None
    if args is None:
        return None
    return _classify(name or "", args)


def _type_arguments(call: ast.Call) -> Optional[dict[str, int]]:
    """Positional and keyword size arguments as integers; None when one is not a literal."""
    values: dict[str, int] = {}
    names = ("length", "scale") if call_name(call) not in _NUMERIC | set(_FLOAT_BYTES) else (
        "precision", "scale"
    )
    pairs = list(zip(names, call.args)) + [(kw.arg, kw.value) for kw in call.keywords if kw.arg]
    for key, value in pairs:
        if key not in ("length", "precision", "scale"):
            continue
        if not (isinstance(value, ast.Constant) and isinstance(value.value, int)):
            if isinstance(value, ast.Constant) and value.value is None:
                continue
            return None
        values[key] = value.value
    return values


def _classify(name: str, args: dict[str, int]) -> Optional[ColumnType]:
    if name in _STRING_UNBOUNDED:
        return ColumnType("string", None)
    if name in _STRING_SIZED:
        default = 1 if name in ("CHAR", "NCHAR") else None
        return ColumnType("string", args.get("length", default))
    if name in _INTEGER_BYTES:
        return ColumnType("integer", _INTEGER_BYTES[name])
    if name in _NUMERIC:
        if "precision" not in args:  # NUMERIC without precision keeps any number of digits
            return ColumnType("numeric", None, None)
        return ColumnType("numeric", args["precision"], args.get("scale", 0))
    if name in _FLOAT_BYTES:
        precision = args.get("precision")
        size = _FLOAT_BYTES[name] if precision is None else (4 if precision <= 24 else 8)
        return ColumnType("float", size)
    return None
