"""Static reading of what `upgrade()` and `downgrade()` do: their `op.*` calls and raw SQL.

The walker follows the bodies the way Python would run them, without running anything: it
enters `with`, `for`, `while`, `if` and `try` blocks, follows calls into functions of the same
file (binding literal arguments to their parameters), expands `for` loops over literal lists, and
keeps a small environment of what names hold - a known string, a list of strings, a bound
connection, a batch of `op.batch_alter_table`. Walks are iterative (an explicit stack), so a
deeply nested file cannot exhaust the interpreter's stack here.
"""

from __future__ import annotations

import ast
import functools
import operator
import re
import string
import sys
import textwrap
from dataclasses import dataclass, field
from typing import Iterator, Optional, Union

from ..model import Operation, SqlStatement, record
from .arguments import FACTS_BY_KEY, operation_facts
from .sql import dynamic_sql, normalise_dialect, parse_sql

# op.* attributes that are tools, not schema operations
NOT_OPERATIONS = frozenset(
    {"batch_alter_table", "get_bind", "get_context", "f", "inline_literal", "implementation_for",
     "register_operation", "invoke", "run_async", "migration_context", "impl"}
)

# positional roles of alembic's op methods: which argument names the table, which the target
OP_ROLES: dict[str, tuple[str, ...]] = {
    "create_table": ("table",),
    "drop_table": ("table",),
    "rename_table": ("table", "target"),
    "add_column": ("table", "column"),
    "drop_column": ("table", "target"),
    "alter_column": ("table", "target"),
    "create_index": ("target", "table"),
    "drop_index": ("target", "table"),
    "create_unique_constraint": ("target", "table"),
    "create_foreign_key": ("target", "table"),
    "create_check_constraint": ("target", "table"),
    "create_primary_key": ("target", "table"),
    "create_exclude_constraint": ("target", "table"),
    "drop_constraint": ("target", "table"),
    "create_table_comment": ("table",),
    "drop_table_comment": ("table",),
    "bulk_insert": ("table",),
}
TABLE_KEYWORDS = ("table_name", "source_table", "source", "table")
TARGET_KEYWORDS = ("column_name", "index_name", "constraint_name", "new_column_name", "column")

# calls whose first argument is the SQL text itself
TEXT_WRAPPERS = frozenset(
    {"text", "sa.text", "sqlalchemy.text", "sa.sql.text", "sqlalchemy.sql.text", "sql.text",
     "expression.text", "sa.sql.expression.text", "DDL", "sa.DDL", "sqlalchemy.DDL",
     "sa.schema.DDL", "sqlalchemy.schema.DDL", "schema.DDL"}
)
DEDENTERS = frozenset({"dedent", "textwrap.dedent", "cleandoc", "inspect.cleandoc"})
# SQLAlchemy constructs passed to execute() instead of text
CONSTRUCT_KINDS = {
    "update": "update", "insert": "insert", "delete": "delete", "select": "select",
    "DropTable": "drop_table", "DropIndex": "drop_index", "DropConstraint": "drop_constraint",
    "CreateTable": "create_table", "CreateIndex": "create_index", "AddConstraint": "add_constraint",
    "DropSequence": "drop_sequence", "CreateSequence": "create_sequence",
}
# imports that are libraries the migration runs on, not application code to be followed
LIBRARY_ROOTS = frozenset(sys.stdlib_module_names) | {
    "alembic", "sqlalchemy", "sqlmodel", "geoalchemy2", "sqlalchemy_utils", "alembic_utils",
    "typing_extensions", "psycopg2", "psycopg", "__future__",
}

MAX_LOOP_ITEMS = 50  # a literal loop longer than this is walked once, not per item
MAX_COPIES = 200  # nested literal loops are expanded while the copies of a body stay below this
MAX_HELPER_DEPTH = 20
MAX_EXPANSIONS = 500  # helper calls and loop items followed per file
MAX_STRING = 1_000_000  # a statically built string longer than this counts as unknown
COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try,
            ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Match, ast.ExceptHandler) + (
    (ast.TryStar,) if hasattr(ast, "TryStar") else ()
)


# --------------------------------------------------------------------------- source text


class Source:
    """The decoded file, for the text of a node and 1-based character columns.

    `ast` reports columns as UTF-8 byte offsets; for an ASCII file (almost every migration)
    they are character offsets, so nothing is encoded on the fast path.
    """

    def __init__(self, text: str):
        self.text = text
        self.lines = text.split("\n")
        self.ascii = text.isascii()
        self._encoded: dict[int, bytes] = {}

    def _line_bytes(self, lineno: int) -> bytes:
        data = self._encoded.get(lineno)
        if data is None:
            data = self.lines[lineno - 1].encode("utf-8")
            self._encoded[lineno] = data
        return data

    def _slice(self, lineno: int, start: Optional[int], end: Optional[int]) -> str:
        if self.ascii:
            return self.lines[lineno - 1][start:end]
        return self._line_bytes(lineno)[start:end].decode("utf-8", "replace")

    def segment(self, node: ast.AST) -> str:
        """The source text of `node` (as written, including line breaks)."""
        first, last = node.lineno, node.end_lineno or node.lineno
        start, end = node.col_offset, node.end_col_offset
        if first == last:  # most nodes: part of one line, and most files are ASCII
            return self.lines[first - 1][start:end] if self.ascii else self._slice(first, start, end)
        parts = [self._slice(first, start, None)]
        parts.extend(self.lines[first : last - 1])
        parts.append(self._slice(last, 0, end))
        return "\n".join(parts)

    def column(self, node: ast.AST) -> int:
        if self.ascii:
            return node.col_offset + 1
        return len(self._line_bytes(node.lineno)[: node.col_offset].decode("utf-8", "replace")) + 1


def first_line(stmt: ast.AST) -> int:
    """A statement's first line, counting decorators."""
    decorators = getattr(stmt, "decorator_list", None)
    if decorators:
        return min(stmt.lineno, min(d.lineno for d in decorators))
    return stmt.lineno


def child_blocks(stmt: ast.AST) -> list[ast.AST]:
    """The statements nested in a compound statement, in source order."""
    if isinstance(stmt, ast.Match):
        return [s for case in stmt.cases for s in case.body]
    children: list[ast.AST] = []
    for name in ("body", "handlers", "orelse", "finalbody"):
        children.extend(getattr(stmt, name, None) or ())
    return children


def header_end(stmt: ast.AST) -> int:
    """Last line of a statement's own text: the whole of a simple one, the header of a block.

    An expression's `end_lineno` already covers everything inside it, so only nodes without a
    position of their own (`withitem`, `arguments`, `match_case`) are looked into.
    """
    if not isinstance(stmt, COMPOUND):
        return stmt.end_lineno or stmt.lineno
    last = stmt.lineno
    pending = [
        value for name, value in ast.iter_fields(stmt)
        if name not in _BLOCK_FIELDS and value is not None
    ]
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, ast.AST):
            end = getattr(value, "end_lineno", None)
            if end is not None:
                last = max(last, end)
            else:
                pending.extend(ast.iter_child_nodes(value))
    return last


_BLOCK_FIELDS = frozenset({"body", "handlers", "orelse", "finalbody", "cases", "decorator_list"})


# --------------------------------------------------------------------------- values


class _Bind:
    """The connection of `op.get_bind()` / `op.get_context()`: `.execute()` on it runs SQL."""

    def __repr__(self) -> str:
        return "BIND"


BIND = _Bind()


@record
class Batch:
    """A name bound by `with op.batch_alter_table("t") as batch_op:`."""

    table: Optional[str]


@record
class TableRef:
    """A name bound to `sa.table("t", ...)` / `sa.Table("t", ...)`."""

    name: str


class StrList(tuple):
    """A literal list or tuple of strings (loop targets, `TABLES = [...]`)."""


# SQLAlchemy's own dialect names: the `else` of `if bind.dialect.name == "mysql":` runs under the others
DIALECTS = frozenset({"mariadb", "mssql", "mysql", "oracle", "postgresql", "sqlite"})


@record
class DialectSet:
    """The dialects a branch runs under: `names`, or (`negated`) every dialect but `names`, so
    that the `else` of a test on a dialect SQLAlchemy does not ship keeps the other ones too."""

    names: frozenset
    negated: bool = False

    def complement(self) -> "DialectSet":
        return DialectSet(self.names, not self.negated)

    def __and__(self, other: "DialectSet") -> "DialectSet":
        if self.negated and other.negated:
            return DialectSet(self.names | other.names, True)
        if self.negated or other.negated:
            positive, negative = (other, self) if self.negated else (self, other)
            return DialectSet(positive.names - negative.names)
        return DialectSet(self.names & other.names)

    def __or__(self, other: "DialectSet") -> "DialectSet":
        return (self.complement() & other.complement()).complement()

    def recorded(self) -> tuple[str, ...]:
        """As `Operation.dialect` holds it: every dialect but `names` is SQLAlchemy's others."""
        return tuple(sorted(DIALECTS - self.names if self.negated else self.names))


Dialects = Optional[DialectSet]  # the dialects a statement runs under; None: any


class _DialectName:
    """`bind.dialect.name`, `context.dialect.name`, `str(bind.engine.url)`: what a branch tests."""

    def __repr__(self) -> str:
        return "DIALECT_NAME"


DIALECT_NAME = _DialectName()


@record
class DialectTest:
    """A condition on the dialect: the dialects it holds under, and those it fails under (None:
    not known, the condition depends on something else too)."""

    true: Dialects
    false: Dialects

    @classmethod
    def of(cls, names: frozenset) -> "DialectTest":
        return cls(DialectSet(names), DialectSet(names, True))

    def negated(self) -> "DialectTest":
        return DialectTest(self.false, self.true)


def narrow(current: Dialects, limit: Dialects) -> Dialects:
    """The dialects of a branch inside a branch."""
    if limit is None:
        return current
    return limit if current is None else current & limit


def _meet(sets: list[Dialects]) -> Dialects:
    known = [s for s in sets if s is not None]
    return functools.reduce(operator.and_, known) if known else None


def _join(sets: list[Dialects]) -> Dialects:
    if not sets or any(s is None for s in sets):
        return None
    return functools.reduce(operator.or_, sets)


Value = Union[str, int, StrList, Batch, TableRef, _Bind, _DialectName, DialectTest]
Env = dict[str, Value]


def dotted(node: ast.AST) -> Optional[str]:
    """`op.get_bind().execute` for the func of a call; None for anything but names and calls."""
    if type(node) is ast.Attribute and type(node.value) is ast.Name:  # the usual `op.drop_table`
        return f"{node.value.id}.{node.attr}"
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Name):
            parts.append(node.id)
            return ".".join(reversed(parts)).replace(".()", "()")
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)):
            parts.append("()")
            node = node.func
        else:
            return None


class Resolver:
    """What an expression is statically: a string (or its known beginning) or another Value."""

    def __init__(self, op_names: set[str]):
        self.op_names = op_names  # names bound to alembic's `op`; the module reader adds aliases

    # ---- strings

    def string(self, node: ast.AST, env: Env) -> tuple[Optional[str], str]:
        """(full text or None, known prefix) of a string expression."""
        if isinstance(node, ast.Constant):
            return (node.value, node.value) if isinstance(node.value, str) else (None, "")
        if isinstance(node, ast.Name):
            value = env.get(node.id)
            return (value, value) if isinstance(value, str) else (None, "")
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, env)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._concatenation(node, env)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            template, prefix = self.string(node.left, env)
            if template is None:
                return None, prefix
            return _percent(template, self._percent_args(node.right, env))
        if isinstance(node, ast.Call):
            return self._string_call(node, env)
        return None, ""

    def _fstring(self, node: ast.JoinedStr, env: Env) -> tuple[Optional[str], str]:
        text = ""
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                text += part.value
                continue
            if isinstance(part, ast.FormattedValue) and part.conversion == -1 and part.format_spec is None:
                value = self.scalar(part.value, env)
                if value is not None:
                    text += str(value)
                    continue
            return None, text
        return text, text

    def _concatenation(self, node: ast.BinOp, env: Env) -> tuple[Optional[str], str]:
        operands: list[ast.AST] = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            operands.append(node.right)
            node = node.left
        operands.append(node)
        text = ""
        for operand in reversed(operands):
            full, prefix = self.string(operand, env)
            if full is None:
                return None, text + prefix
            text += full
            if len(text) > MAX_STRING:
                return None, text[:MAX_STRING]
        return text, text

    def _percent_args(self, node: ast.AST, env: Env):
        if isinstance(node, ast.Tuple):
            return tuple(self.scalar(e, env) for e in node.elts)
        if isinstance(node, ast.Dict):
            keys = [k.value if isinstance(k, ast.Constant) else None for k in node.keys]
            return {k: self.scalar(v, env) for k, v in zip(keys, node.values) if isinstance(k, str)}
        return (self.scalar(node, env),)

    def _string_call(self, node: ast.Call, env: Env) -> tuple[Optional[str], str]:
        name = dotted(node.func)
        first = node.args[0] if node.args else _keyword(node, "text", "sqltext", "statement", "sql")
        if name in TEXT_WRAPPERS and first is not None:
            return self.string(first, env)
        if name in DEDENTERS and first is not None:
            full, prefix = self.string(first, env)
            if full is None:
                return None, prefix.lstrip()
            return textwrap.dedent(full), textwrap.dedent(full)
        if name and name.endswith(".f") and first is not None and self._names_objects(node.func.value, env):
            return self.string(first, env)
        if isinstance(node.func, ast.Attribute):
            return self._string_method(node, env)
        return None, ""

    def _names_objects(self, receiver: ast.AST, env: Env) -> bool:
        """Whether `receiver.f(name)` is Alembic's naming-convention marker: `op.f` or the
        `batch_op.f` of a `batch_alter_table` block, both of which return the name unchanged."""
        if dotted(receiver) in self.op_names:
            return True
        if not isinstance(receiver, ast.Name):
            return False
        bound = env.get(receiver.id)
        return isinstance(bound, Batch) or (bound is None and receiver.id == "batch_op")

    def _string_method(self, node: ast.Call, env: Env) -> tuple[Optional[str], str]:
        method, receiver = node.func.attr, node.func.value
        if method in ("bindparams", "execution_options", "columns"):
            return self.string(receiver, env)
        if method in ("strip", "lstrip", "rstrip", "upper", "lower") and not node.args:
            full, prefix = self.string(receiver, env)
            if full is None:
                return None, prefix.lstrip() if method in ("strip", "lstrip") else ""
            return (getattr(full, method)(),) * 2
        if method == "format":
            template, prefix = self.string(receiver, env)
            if template is None:
                return None, prefix
            args = [self.scalar(a, env) for a in node.args]
            kwargs = {k.arg: self.scalar(k.value, env) for k in node.keywords if k.arg}
            return _format(template, args, kwargs)
        if method == "join" and len(node.args) == 1:
            separator, _ = self.string(receiver, env)
            items = self.value(node.args[0], env)
            if separator is not None and isinstance(items, StrList):
                text = separator.join(items)
                return (text, text) if len(text) <= MAX_STRING else (None, "")
        return None, ""

    # ---- other values

    def scalar(self, node: ast.AST, env: Env) -> Optional[Union[str, int]]:
        if type(node) is ast.Constant:  # most values: a literal
            literal = node.value
            return literal if type(literal) is str or type(literal) is int else None
        if isinstance(node, ast.Name) and isinstance(env.get(node.id), int):
            return env[node.id]
        full, _ = self.string(node, env)
        return full

    def value(self, node: ast.AST, env: Env) -> Optional[Value]:
        """What a name assigned from `node` holds, when that is known."""
        if type(node) is ast.Constant:
            return self.scalar(node, env)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = [self.scalar(e, env) for e in node.elts]
            if all(isinstance(i, str) for i in items):
                return StrList(items)
            return None
        if isinstance(node, ast.Name):
            return env.get(node.id)
        if isinstance(node, _TESTS) or _is_startswith(node):
            test = self.dialect_test(node, env)
            if test is not None or not isinstance(node, ast.Call):
                return test
        if isinstance(node, (ast.Attribute, ast.Call)) and self.is_dialect_name(node, env):
            return DIALECT_NAME
        if isinstance(node, ast.Call):
            special = self._call_value(node, env)
            if special is not None:
                return special
        if isinstance(node, ast.Attribute) and self.is_bind(node, env):
            return BIND
        return self.scalar(node, env)

    def _call_value(self, node: ast.Call, env: Env) -> Optional[Value]:
        name = dotted(node.func) or ""
        last = name.rsplit(".", 1)[-1]
        if last in ("table", "Table") and node.args:
            table_name = self.scalar(node.args[0], env)
            return TableRef(table_name) if isinstance(table_name, str) else None
        if last == "batch_alter_table" and name.rsplit(".", 1)[0] in self.op_names:
            return Batch(self.table_name(node.args[0] if node.args else _keyword(node, "table_name"), env))
        if self.is_bind(node, env):
            return BIND
        if any(k.arg == "bind" and self.is_bind(k.value, env) for k in node.keywords):
            return BIND  # Session(bind=op.get_bind())
        return None

    def is_bind(self, node: ast.AST, env: Env) -> bool:
        """Whether `node` is (an attribute or method result of) the migration's connection."""
        return self.is_bind_text(dotted(node), env)

    def is_bind_text(self, text: Optional[str], env: Env) -> bool:
        if not text:
            return False
        root = text.split(".", 1)[0]
        if env.get(root) is BIND:
            return True
        for op in self.op_names | {"context"}:
            if text.startswith((f"{op}.get_bind()", f"{op}.get_context()")):
                return True
        return False

    # ---- dialect branches

    def is_dialect_name(self, node: ast.AST, env: Env) -> bool:
        """Whether `node` is the name (or URL) of the dialect the migration runs on."""
        if isinstance(node, ast.Name):
            return env.get(node.id) is DIALECT_NAME
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str"
                and len(node.args) == 1):
            return self.is_dialect_name(node.args[0], env)
        text = dotted(node)
        if not text or text.rsplit(".", 1)[-1] not in _DIALECT_ATTRIBUTES:
            return False
        root = text.split(".", 1)[0]
        return self.is_bind_text(text, env) or (root == "context" and root not in env)

    def dialect_test(self, node: ast.AST, env: Env) -> Optional[DialectTest]:
        """The dialects under which the condition `node` holds and fails, when it tests the dialect:
        `bind.dialect.name == "mysql"`, `... in ("mysql", "mariadb")`, `url.startswith("sqlite")`,
        `not ...`, `and`/`or` of such tests, a name assigned one."""
        if isinstance(node, ast.Name):
            value = env.get(node.id)
            return value if isinstance(value, DialectTest) else None
        negations = 0
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            node, negations = node.operand, negations + 1
        if negations:
            inner = self.dialect_test(node, env)
            return inner.negated() if inner is not None and negations % 2 else inner
        if isinstance(node, ast.BoolOp):
            parts = [self.dialect_test(value, env) for value in node.values]
            trues = [p.true if p else None for p in parts]
            falses = [p.false if p else None for p in parts]
            if isinstance(node.op, ast.And):
                test = DialectTest(_meet(trues), _join(falses))
            else:
                test = DialectTest(_join(trues), _meet(falses))
            return test if test.true is not None or test.false is not None else None
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right = node.left, node.comparators[0]
            if self.is_dialect_name(right, env):
                left, right = right, left
            names = self._dialect_names(right, env) if self.is_dialect_name(left, env) else None
            if names is None or not isinstance(node.ops[0], (ast.Eq, ast.NotEq, ast.In, ast.NotIn)):
                return None
            test = DialectTest.of(names)
            return test.negated() if isinstance(node.ops[0], (ast.NotEq, ast.NotIn)) else test
        if _is_startswith(node) and self.is_dialect_name(node.func.value, env):
            prefixes = self._dialect_names(node.args[0], env)
            if prefixes is None:
                return None
            names = {d for d in DIALECTS for p in prefixes if d.startswith(p)}
            names |= {p for p in prefixes if not any(d.startswith(p) for d in DIALECTS)}
            return DialectTest.of(frozenset(names))
        return None

    def _dialect_names(self, node: ast.AST, env: Env) -> Optional[frozenset]:
        value = self.value(node, env)
        if isinstance(value, str):
            return frozenset({value.lower()})
        if isinstance(value, StrList):
            return frozenset(v.lower() for v in value)
        return None

    def table_name(self, node: Optional[ast.AST], env: Env) -> Optional[str]:
        if node is None:
            return None
        if type(node) is ast.Constant:
            return node.value if isinstance(node.value, str) else None
        value = self.value(node, env)
        if isinstance(value, TableRef):
            return value.name
        return value if isinstance(value, str) else None

    def column_name(self, node: Optional[ast.AST], env: Env) -> Optional[str]:
        """A column's name from a string or from `sa.Column("name", ...)`."""
        if isinstance(node, ast.Call) and (dotted(node.func) or "").endswith(("Column", "column")):
            first = node.args[0] if node.args else _keyword(node, "name")
            return self.table_name(first, env)
        return self.table_name(node, env)


_DIALECT_ATTRIBUTES = frozenset({"name", "url", "drivername", "get_backend_name()"})
_TESTS = (ast.Compare, ast.BoolOp, ast.UnaryOp)


def _is_startswith(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "startswith"
            and len(node.args) == 1)


def _keyword(call: ast.Call, *names: str) -> Optional[ast.AST]:
    for keyword in call.keywords:
        if keyword.arg in names:
            return keyword.value
    return None


_PERCENT_FIELD = re.compile(r"%(?:\((\w+)\))?([^a-zA-Z%]*)([a-zA-Z%])")


def _percent(template: str, args) -> tuple[Optional[str], str]:
    """`template % args` when every placeholder is a plain `%s`/`%d` with a known value."""
    result, position, index = "", 0, 0
    for match in _PERCENT_FIELD.finditer(template):
        result += template[position : match.start()]
        position = match.end()
        name, flags, conversion = match.groups()
        if conversion == "%" and not name and not flags:
            result += "%"
            continue
        if flags or conversion not in "sdr":
            return None, result
        if name is not None:
            value = args.get(name) if isinstance(args, dict) else None
        else:
            value = args[index] if isinstance(args, tuple) and index < len(args) else None
            index += 1
        if value is None:
            return None, result
        result += repr(value) if conversion == "r" else str(value)
    result += template[position:]
    return result, result


def _format(template: str, args: list, kwargs: dict) -> tuple[Optional[str], str]:
    """`template.format(...)` for plain `{}`, `{0}`, `{name}` fields with known values."""
    result, auto = "", 0
    try:
        pieces = list(string.Formatter().parse(template))
    except ValueError:
        return None, ""
    for literal, field_name, spec, conversion in pieces:
        result += literal
        if field_name is None:
            continue
        if spec or conversion:
            return None, result
        if field_name == "":
            key, auto = auto, auto + 1
            value = args[key] if key < len(args) else None
        elif field_name.isdigit():
            value = args[int(field_name)] if int(field_name) < len(args) else None
        else:
            value = kwargs.get(field_name)
        if value is None:
            return None, result
        result += str(value)
        if len(result) > MAX_STRING:
            return None, ""
    return result, result


# --------------------------------------------------------------------------- the walk

_MAIN_FUNCTIONS = frozenset({"upgrade", "downgrade"})
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
# nodes that can hold no call: the walk does not look inside them
_CALL_FREE = frozenset(
    {ast.Constant, ast.Name, ast.Load, ast.Store, ast.Del}
    | {cls for base in (ast.operator, ast.cmpop, ast.unaryop, ast.boolop) for cls in base.__subclasses__()}
)


@dataclass
class Frame:
    """Where the walk is: which function, which helper, inside a loop or a condition."""

    function: str
    env: Env
    funcs: dict[str, ast.AST]
    helper: Optional[str] = None
    in_loop: bool = False
    conditional: bool = False
    loop_arg: Optional[ast.expr] = None  # the list a loop runs the body for
    call_stack: tuple[str, ...] = ()
    copies: int = 1  # how many expanded copies of the enclosing loops this walk stands for
    dialect: Dialects = None  # inside `if bind.dialect.name == ...` branches: the dialects they run under
    autocommit: bool = False  # inside `with op.get_context().autocommit_block():`

    def inner(self, **changes) -> "Frame":
        """A copy with `changes` (a shallow copy: `env` and `funcs` are shared unless replaced)."""
        copy = object.__new__(Frame)
        copy.__dict__.update(self.__dict__, **changes)
        return copy


@dataclass
class WalkResult:
    operations: list[Operation] = field(default_factory=list)
    spans: set[tuple[int, int]] = field(default_factory=set)
    # (line, reason) of each statement the walk could not follow; the others are still read
    unreadable: dict[int, str] = field(default_factory=dict)


class OperationWalker:
    """Collects the operations of `upgrade()` / `downgrade()` and the statements they span."""

    def __init__(self, source: Source, resolver: Resolver, module_env: Env, funcs: dict[str, ast.AST],
                 external: dict[str, str], dialect: str):
        self.source = source
        self.resolver = resolver
        self.module_env = module_env
        self.funcs = funcs
        self.external = external
        self.dialect = dialect
        self.expansions = 0
        self.result = WalkResult()

    def walk_function(self, name: str, fdef: ast.AST) -> None:
        frame = Frame(function=name, env=dict(self.module_env), funcs=dict(self.funcs), call_stack=(name,))
        self._run(fdef.body, frame)

    # ---- statements

    def _run(self, body: list[ast.AST], frame: Frame) -> None:
        stack: list[tuple[Iterator[ast.AST], Frame]] = [(iter(body), frame)]
        while stack:
            statements, current = stack[-1]
            stmt = next(statements, None)
            if stmt is None:
                stack.pop()
                continue
            try:
                blocks = self._statement(stmt, current)
            except Exception as exc:  # one statement the walk does not follow, not the whole file
                self.result.unreadable.setdefault(first_line(stmt), _reason(exc))
                continue
            for block, inner_frame in reversed(blocks):
                stack.append((iter(block), inner_frame))

    def _statement(self, stmt: ast.AST, frame: Frame) -> list[tuple[list, Frame]]:
        """Record what `stmt` itself does; return the blocks to walk next, in order."""
        if type(stmt) is ast.Expr:  # the usual statement: a call, which assigns nothing
            span = (stmt.lineno, stmt.end_lineno or stmt.lineno)
            self.result.spans.add(span)
            return self._expressions([stmt], frame, span)
        if not isinstance(stmt, COMPOUND):
            span = (stmt.lineno, stmt.end_lineno or stmt.lineno)
            self.result.spans.add(span)
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                record_imports(stmt, self.external)
                return []
            blocks = self._expressions([stmt], frame, span)
            self._assign(stmt, frame.env)
            return blocks
        span = (first_line(stmt), header_end(stmt))
        self.result.spans.add(span)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            frame.funcs[stmt.name] = stmt
            return []
        if isinstance(stmt, ast.ClassDef):
            return []
        if isinstance(stmt, ast.If):
            return self._expressions([stmt.test], frame, span) + self._branches(stmt, frame)
        if isinstance(stmt, (ast.For, ast.AsyncFor)):
            return self._expressions([stmt.iter], frame, span) + self._loop(stmt, frame)
        if isinstance(stmt, ast.While):
            return self._expressions([stmt.test], frame, span) + [
                (stmt.body, frame.inner(in_loop=True)), (stmt.orelse, frame)]
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            blocks = self._expressions([item.context_expr for item in stmt.items], frame, span)
            for item in stmt.items:
                self._bind(item.optional_vars, item.context_expr, frame.env)
            if any(_is_autocommit_block(item.context_expr) for item in stmt.items):
                return blocks + [(stmt.body, frame.inner(autocommit=True))]
            return blocks + [(stmt.body, frame)]
        if isinstance(stmt, ast.Match):
            blocks = self._expressions([stmt.subject], frame, span)
            return blocks + self._cases(stmt, frame)
        handlers = [(h.body, frame.inner(conditional=True)) for h in getattr(stmt, "handlers", ())]
        return [(stmt.body, frame)] + handlers + [(stmt.orelse, frame), (stmt.finalbody, frame)]

    def _branches(self, stmt: ast.If, frame: Frame) -> list[tuple[list, Frame]]:
        """The body and the else of an `if`, each under the dialects it runs on when it tests one.

        `if bind.dialect.name != "postgresql": return` leaves the rest of the block to PostgreSQL.
        """
        test = self.resolver.dialect_test(stmt.test, frame.env)
        if test is None:
            return [(stmt.body, frame.inner(conditional=True)), (stmt.orelse, frame.inner(conditional=True))]
        blocks = [(stmt.body, frame.inner(conditional=True, dialect=narrow(frame.dialect, test.true))),
                  (stmt.orelse, frame.inner(conditional=True, dialect=narrow(frame.dialect, test.false)))]
        if not stmt.orelse and isinstance(stmt.body[-1], _EXITS):
            frame.dialect = narrow(frame.dialect, test.false)
        return blocks

    def _cases(self, stmt: ast.Match, frame: Frame) -> list[tuple[list, Frame]]:
        """`match bind.dialect.name:` cases, each under the dialects it names (`case _:` the rest)."""
        if not self.resolver.is_dialect_name(stmt.subject, frame.env):
            return [(case.body, frame.inner(conditional=True)) for case in stmt.cases]
        blocks, named = [], frozenset()
        for case in stmt.cases:
            names = _pattern_names(case.pattern)
            limit = DialectSet(named, True) if names is None else DialectSet(names)
            blocks.append((case.body, frame.inner(conditional=True, dialect=narrow(frame.dialect, limit))))
            if names is not None and case.guard is None:
                named |= names
        return blocks

    def _loop(self, stmt: ast.AST, frame: Frame) -> list[tuple[list, Frame]]:
        """A loop over a literal list is walked once per item, the item bound to its name."""
        items = self.resolver.value(stmt.iter, frame.env)
        loop_arg = stmt.iter
        if (isinstance(stmt.target, ast.Name) and isinstance(items, StrList)
                and 0 < len(items) <= MAX_LOOP_ITEMS and frame.copies * len(items) <= MAX_COPIES
                and self.expansions + len(items) <= MAX_EXPANSIONS):
            self.expansions += len(items)
            copies = frame.copies * len(items)
            blocks = [
                (stmt.body, frame.inner(env={**frame.env, stmt.target.id: item}, in_loop=True,
                                        loop_arg=loop_arg, copies=copies))
                for item in items
            ]
            return blocks + [(stmt.orelse, frame)]
        for name in _target_names(stmt.target):
            frame.env.pop(name, None)
        return [(stmt.body, frame.inner(in_loop=True, loop_arg=loop_arg)), (stmt.orelse, frame)]

    def _assign(self, stmt: ast.AST, env: Env) -> None:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                self._bind(target, stmt.value, env)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self._bind(stmt.target, stmt.value, env)
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            joined = ast.BinOp(left=ast.Name(id=stmt.target.id, ctx=ast.Load()), op=stmt.op, right=stmt.value)
            self._bind(stmt.target, joined, env)

    def _bind(self, target: Optional[ast.AST], value: ast.AST, env: Env) -> None:
        if target is None:
            return
        if isinstance(target, ast.Name):
            known = self.resolver.value(value, env)
            if known is None:
                env.pop(target.id, None)
            else:
                env[target.id] = known
            return
        for name in _target_names(target):
            env.pop(name, None)

    # ---- expressions

    def _expressions(self, nodes: list[ast.AST], frame: Frame, span: tuple[int, int]) -> list[tuple[list, Frame]]:
        """Record the calls inside `nodes` (not inside nested statements); return helper walks.

        Calls are met in source order (a pre-order walk). The arguments of an operation are only
        searched when the file has functions that could be called there: most statements are
        one `op.*` call with literal arguments.
        """
        search_arguments = not frame.funcs.keys() <= _MAIN_FUNCTIONS
        stack: list[tuple[ast.AST, bool, bool]]
        if len(nodes) == 1 and type(nodes[0]) is ast.Expr and type(nodes[0].value) is ast.Call:
            # the usual statement: one call, often `op.something(...)` with literal arguments
            is_op, walks = self._call(nodes[0].value, frame, span, False)
            if is_op and not search_arguments:
                return walks
            blocks = list(walks)
            children = list(ast.iter_child_nodes(nodes[0].value))
            children.reverse()
            stack = [(child, is_op, False) for child in children]
        else:
            blocks = []
            stack = [(n, False, False) for n in reversed(nodes)]
        while stack:
            node, inside_op, in_comprehension = stack.pop()
            node_type = type(node)
            if node_type is ast.Call:
                call_frame = frame.inner(in_loop=True) if in_comprehension and not frame.in_loop else frame
                is_op, walks = self._call(node, call_frame, span, inside_op)
                blocks.extend(walks)
                if is_op:
                    if not search_arguments:
                        continue
                    inside_op = True
            elif node_type in _CALL_FREE:
                continue
            elif node_type in _COMPREHENSIONS:
                in_comprehension = True
            elif node_type is ast.Attribute or node_type is ast.keyword:  # one child can hold a call
                stack.append((node.value, inside_op, in_comprehension))
                continue
            children = list(ast.iter_child_nodes(node))
            children.reverse()
            stack.extend((child, inside_op, in_comprehension) for child in children)
        return blocks

    def _call(self, call: ast.Call, frame: Frame, span: tuple[int, int],
              inside_op: bool) -> tuple[bool, list[tuple[list, Frame]]]:
        """Record `call` if it is an operation or an unfollowed call; (is operation, walks)."""
        func = call.func
        text = dotted(func) or ""
        if type(func) is ast.Attribute:
            receiver, method = text.rpartition(".")[0], func.attr
            if receiver in self.resolver.op_names:
                if method in NOT_OPERATIONS:
                    return False, []
                if method == "execute":
                    self._execute(call, text, frame, span)
                else:
                    self._operation(call, method, text, None, frame, span)
                return True, []
            batch = self._batch_of(func.value, frame)
            if batch is not None:
                self._operation(call, method, text, batch, frame, span)
                return True, []
            if method in ("execute", "exec_driver_sql") and (
                    receiver == "context" or self.resolver.is_bind_text(receiver, frame.env)):
                self._execute(call, text, frame, span)
                return True, []
        elif type(func) is ast.Name:
            if func.id in frame.funcs and func.id not in frame.env:
                return False, self._helper(call, frame.funcs[func.id], frame)
        elif _is_globals_dispatch(func):
            prefix = f"{frame.function}_"
            return False, [walk for name, fdef in self.funcs.items() if name.startswith(prefix)
                           for walk in self._helper(call, fdef, frame, bind_arguments=False)]
        root = text.split(".", 1)[0].split("(", 1)[0]
        if not inside_op and root in self.external and root not in frame.env and root not in frame.funcs:
            self._external(call, text, frame, span)
        return False, []

    def _batch_of(self, receiver: ast.AST, frame: Frame) -> Optional[Batch]:
        if not isinstance(receiver, ast.Name):
            return None
        value = frame.env.get(receiver.id)
        if isinstance(value, Batch):
            return value
        if receiver.id == "batch_op" and receiver.id not in frame.env:
            return Batch(None)  # the conventional name, bound where the walk could not see
        return None

    # ---- recording

    def _arguments(self, call: ast.Call, frame: Frame) -> list[tuple[str, ast.expr]]:
        """(key, tree) of each argument, keyed as `Operation.arguments` keys them."""
        arguments = []
        for index, arg in enumerate(call.args):
            arguments.append(("*" if isinstance(arg, ast.Starred) else str(index), arg))
        for keyword in call.keywords:
            arguments.append((keyword.arg or "**", keyword.value))
        if frame.loop_arg is not None:
            arguments.append(("loop", frame.loop_arg))
        return arguments

    def _base(self, call: ast.Call, method: str, kind: str, text: str, frame: Frame,
              span: tuple[int, int], **fields) -> Operation:
        """The operation of `call`: its arguments as text, and the facts read from their trees."""
        texts, searched = [], []
        by_key = method in FACTS_BY_KEY
        segment = self.source.segment
        for key, tree in self._arguments(call, frame):
            shown = segment(tree)
            texts.append((key, shown))
            # an argument without a parenthesis holds no call: only the others are walked for facts
            if key != "*" and (by_key or "(" in shown):
                searched.append((key, tree))
        facts = operation_facts(method, searched)
        return Operation(
            kind=kind, call=text, function=frame.function, line=span[0], end_line=span[1],
            column=self.source.column(call),
            arguments=tuple(texts),
            via_helper=frame.helper, in_loop=frame.in_loop, conditional=frame.conditional,
            dialect=frame.dialect.recorded() if frame.dialect is not None else None,
            autocommit=frame.autocommit, **fields, **facts,
        )

    def _operation(self, call: ast.Call, method: str, text: str, batch: Optional[Batch],
                   frame: Frame, span: tuple[int, int]) -> None:
        table, target = self._table_and_target(call, method, batch, frame.env)
        operation = self._base(call, method, method, text, frame, span, table=table, target=target)
        self.result.operations.append(operation)

    def _table_and_target(self, call: ast.Call, method: str, batch: Optional[Batch], env: Env):
        roles = OP_ROLES.get(method, ("table",))
        if batch is not None:
            roles = tuple(r for r in roles if r != "table")
        table = batch.table if batch is not None else None
        target = None
        positional = [a for a in call.args if not isinstance(a, ast.Starred)]
        for role, arg in zip(roles, positional):
            if role == "table" and table is None:
                table = self.resolver.table_name(arg, env)
            elif role == "target" and target is None:
                target = self.resolver.table_name(arg, env)
            elif role == "column" and target is None:
                target = self.resolver.column_name(arg, env)
        if call.keywords:  # a table or target may be named by keyword
            if table is None and batch is None:
                table = self.resolver.table_name(_keyword(call, *TABLE_KEYWORDS), env)
            if target is None:
                target = self.resolver.column_name(_keyword(call, *TARGET_KEYWORDS), env)
        return table, target

    def _execute(self, call: ast.Call, text: str, frame: Frame, span: tuple[int, int]) -> None:
        argument = call.args[0] if call.args else _keyword(call, "sqltext", "statement", "sql", "object_")
        for statement in self._statements(argument, frame):
            self.result.operations.append(
                self._base(call, "execute", statement.kind, text, frame, span,
                           table=statement.table, target=statement.target, sql=statement)
            )

    def _statements(self, argument: Optional[ast.AST], frame: Frame) -> list[SqlStatement]:
        env = frame.env
        if argument is None:
            return [dynamic_sql("")]
        full, prefix = self.resolver.string(argument, env)
        if full is not None:
            return self._parse(full, frame.dialect) or [SqlStatement(text=full, kind="other", parser="none")]
        construct = self._construct(argument, env)
        if construct is not None:
            return [construct]
        return [dynamic_sql(prefix)]

    def _parse(self, text: str, dialects: Dialects) -> list[SqlStatement]:
        """The statements of `text` in the SQL of the branch it runs in: in a `mysql` branch,
        MySQL whatever the default; the default whenever the branch runs under it too."""
        names = dialects.recorded() if dialects is not None else ()
        readers = list(dict.fromkeys(normalise_dialect(d) for d in names))
        if not readers or normalise_dialect(self.dialect) in readers:
            return parse_sql(text, self.dialect)
        first = None
        for reader in readers:
            statements = parse_sql(text, reader)
            if not any(s.error for s in statements):
                return statements
            first = first if first is not None else statements
        return first or []

    def _construct(self, node: ast.AST, env: Env) -> Optional[SqlStatement]:
        """`accounts.update().values(...)`, `sa.schema.DropTable(t)`: SQLAlchemy, not SQL text."""
        chain = node
        while isinstance(chain, ast.Call):
            func = chain.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            kind = CONSTRUCT_KINDS.get(name or "")
            if kind is not None:
                subject = chain.args[0] if chain.args else getattr(func, "value", None)
                table = self.resolver.table_name(subject, env)
                return SqlStatement(text=self.source.segment(node), kind=kind, table=table, parser="none")
            if not isinstance(func, ast.Attribute):
                return None
            chain = func.value
        return None

    def _external(self, call: ast.Call, text: str, frame: Frame, span: tuple[int, int]) -> None:
        head, _, rest = text.partition(".")
        root = head.split("(", 1)[0]  # `get_logger().info`: the name before the call
        qualified = self.external[root] + head[len(root):] + (f".{rest}" if rest else "")
        self.result.operations.append(
            self._base(call, "external_call", "external_call", text, frame, span, target=qualified))

    # ---- helpers

    def _helper(self, call: ast.Call, fdef: ast.AST, frame: Frame,
                bind_arguments: bool = True) -> list[tuple[list, Frame]]:
        name = fdef.name
        if (name in frame.call_stack or len(frame.call_stack) > MAX_HELPER_DEPTH
                or self.expansions >= MAX_EXPANSIONS):
            return []
        self.expansions += 1
        env = dict(self.module_env)
        self._bind_parameters(fdef.args, call if bind_arguments else None, frame.env, env)
        inner = frame.inner(env=env, funcs=dict(self.funcs), helper=name,
                            call_stack=frame.call_stack + (name,))
        return [(fdef.body, inner)]

    def _bind_parameters(self, args: ast.arguments, call: Optional[ast.Call], caller: Env, env: Env) -> None:
        positional = list(args.posonlyargs) + list(args.args)
        names = [a.arg for a in positional] + [a.arg for a in args.kwonlyargs]
        for extra in (args.vararg, args.kwarg):
            if extra is not None:
                names.append(extra.arg)
        bound: dict[str, Optional[Value]] = {n: None for n in names}
        with_defaults = positional[len(positional) - len(args.defaults):]
        defaults = dict(zip([a.arg for a in with_defaults], args.defaults))
        defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
        for param, default in defaults.items():
            bound[param] = self.resolver.value(default, self.module_env)
        if call is not None:
            for param, arg in zip(positional, call.args):
                if isinstance(arg, ast.Starred):
                    break
                bound[param.arg] = self.resolver.value(arg, caller)
            for keyword in call.keywords:
                if keyword.arg in bound:
                    bound[keyword.arg] = self.resolver.value(keyword.value, caller)
        for param, value in bound.items():
            if value is None:
                env.pop(param, None)
            else:
                env[param] = value


_EXITS = (ast.Return, ast.Raise, ast.Continue, ast.Break)


def _pattern_names(pattern: ast.AST) -> Optional[frozenset]:
    """The dialect names a `case` pattern matches: `"mysql"`, `"mysql" | "mariadb"`; None for
    a pattern that matches anything (`_`, a capture)."""
    if isinstance(pattern, ast.MatchValue) and isinstance(pattern.value, ast.Constant) \
            and isinstance(pattern.value.value, str):
        return frozenset({pattern.value.value.lower()})
    if isinstance(pattern, ast.MatchOr):
        parts = [_pattern_names(p) for p in pattern.patterns]
        return None if any(p is None for p in parts) else frozenset().union(*parts)
    if isinstance(pattern, ast.MatchAs) and pattern.pattern is None:
        return None
    return frozenset()  # a pattern no dialect name matches


def _reason(exc: BaseException) -> str:
    """A walk error in a few words: its type and the first line of its message."""
    message = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__
    return text if len(text) <= 120 else text[:119] + "\u2026"


def _target_names(target: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _is_autocommit_block(node: ast.AST) -> bool:
    """`op.get_context().autocommit_block()`: statements in it run outside the transaction."""
    return isinstance(node, ast.Call) and (dotted(node.func) or "").endswith(".autocommit_block")


def _is_globals_dispatch(func: ast.AST) -> bool:
    """`globals()["upgrade_%s" % engine_name]()`: alembic's multi-database template."""
    return (isinstance(func, ast.Subscript) and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name) and func.value.func.id == "globals")


def record_imports(stmt: ast.AST, external: dict[str, str]) -> None:
    """Names bound to application code (anything but the libraries migrations run on)."""
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.name.split(".")[0] not in LIBRARY_ROOTS:
                bound = alias.asname or alias.name.split(".")[0]
                external[bound] = alias.name if alias.asname else bound
    elif isinstance(stmt, ast.ImportFrom):
        base = "." * stmt.level + (stmt.module or "")
        if stmt.level or base.split(".")[0] not in LIBRARY_ROOTS:
            for alias in stmt.names:
                if alias.name != "*":
                    qualified = f"{base}.{alias.name}" if stmt.module else f"{base}{alias.name}"
                    external[alias.asname or alias.name] = qualified
