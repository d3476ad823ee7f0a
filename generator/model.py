"""The shared data model: what the readers extract and what rules, reports and the site consume.

Everything here is a frozen dataclass (`record`) or an enum so that data flows one way
(sources -> model -> rules -> report / site) and nothing downstream can change what was read.
Paths are always POSIX strings relative to the repository root; lines and columns are 1-based.
"""

from __future__ import annotations

import dataclasses
import enum
import operator
import re
import reprlib
from dataclasses import field
from datetime import date, datetime
from typing import Any, Callable, Generic, Optional, TypeVar

_Value = TypeVar("_Value")


class cached_property(Generic[_Value]):
    """`functools.cached_property` without the class-wide lock Python 3.11 takes on every first
    read: thousands of migrations and documents each compute their value once, in one thread.
    The value is stored in the object's `__dict__`, which frozen dataclasses allow this way too.
    """

    def __init__(self, compute: Callable[[Any], _Value]):
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: Optional[type] = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)
        return value


_T = TypeVar("_T", bound=type)


def record(cls: Optional[_T] = None, /, *, order: bool = False) -> Any:
    """`@dataclass(frozen=True)` made cheaply: a constructor that fills the new object's
    `__dict__` directly, and shared methods instead of compiled ones.

    The readers make hundreds of thousands of these in one run (an operation has 20 fields); the
    constructor `dataclass` writes for a frozen class calls `object.__setattr__` once per field,
    which makes it about five times slower. `dataclass` also compiles six or seven methods for
    every frozen class, one `exec` each, which made the package's 73 records cost a tenth of
    every command. A record compiles its constructor, `__eq__` and `__hash__` in one `exec` and
    shares the rest (`repr`, ordering, the refusal to be changed). Equality, hashing and
    ordering compare the fields as one tuple, as a frozen dataclass does (so the hash is the
    same), `repr` reads the same, `dataclasses.fields`, `replace` and pickling work as on any
    dataclass, and a `__post_init__` is called as a dataclass calls it. Every frozen value class
    of the package is a record.
    """

    def make(cls: _T) -> _T:
        documented = bool(cls.__doc__)
        if not documented:  # else `dataclass` asks `inspect` for the signature of object()
            cls.__doc__ = cls.__name__
        cls = dataclasses.dataclass(init=False, repr=False, eq=False)(cls)  # fields only
        names = tuple(f.name for f in dataclasses.fields(cls))
        if not documented:
            cls.__doc__ = f"{cls.__name__}({', '.join(names)})"
        cls._record_fields = names  # for `repr`
        if order:
            cls._record_key = staticmethod(_fields_key(names))
        for name, method in {**_compiled_methods(cls), **_SHARED, **(_ORDERING if order else {})}.items():
            if name in ("__init__", "__hash__") or name not in cls.__dict__:  # the class's own stay
                setattr(cls, name, method)
        return cls

    return make if cls is None else make(cls)


def _fields_key(names: tuple[str, ...]) -> Callable[[Any], tuple]:
    """The object's fields as one tuple, read in C."""
    if len(names) > 1:
        return operator.attrgetter(*names)
    if names:
        one = operator.attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


@reprlib.recursive_repr()
def _record_repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._record_fields)
    return f"{type(self).__qualname__}({shown})"


def _comparison(compare: Callable[[tuple, tuple], bool]) -> Callable[[Any, Any], Any]:
    def method(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return compare(self._record_key(self), self._record_key(other))
        return NotImplemented

    method.__name__ = f"__{compare.__name__}__"
    return method


def _refuse_to_set(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_to_delete(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


_SHARED = {"__repr__": _record_repr, "__setattr__": _refuse_to_set, "__delattr__": _refuse_to_delete}
_ORDERING = {f"__{op.__name__}__": _comparison(op) for op in (operator.lt, operator.le, operator.gt, operator.ge)}


_NO_VALUE = object()  # stands for a default made by a factory, called when nothing is passed


def _compiled_methods(cls: type) -> dict[str, Callable[..., Any]]:
    """`__init__` with the dataclass's own parameters (names, order, defaults), and `__eq__` and
    `__hash__` over the fields as one tuple, as `dataclass` writes them: compiled together, in
    one `exec`, because equality and hashing run for every operation a file holds."""
    parameters, lines, namespace = [], [], {"_NO_VALUE": _NO_VALUE}
    for f in dataclasses.fields(cls):
        if not f.init or f.kw_only:
            raise TypeError(f"{cls.__name__}.{f.name}: a record's fields are plain init fields")
        if f.default is not dataclasses.MISSING:
            namespace[f"_default_{f.name}"] = f.default
            parameters.append(f"{f.name}=_default_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{f.name}"] = f.default_factory
            parameters.append(f"{f.name}=_NO_VALUE")
            lines.append(f"    if {f.name} is _NO_VALUE: {f.name} = _factory_{f.name}()")
        else:
            parameters.append(f.name)
    names = [f.name for f in dataclasses.fields(cls)]
    lines.append(f"    self.__dict__.update({', '.join(f'{n}={n}' for n in names)})" if names else "    pass")
    if hasattr(cls, "__post_init__"):  # a check of the values, as a dataclass calls it
        lines.append("    self.__post_init__()")
    mine, theirs = (f"({''.join(f'{who}.{n},' for n in names)})" for who in ("self", "other"))
    source = "\n".join([
        f"def __init__(self, {', '.join(parameters)}):", *lines,
        "def __eq__(self, other):",
        "    if other.__class__ is self.__class__:",
        f"        return {mine} == {theirs}",
        "    return NotImplemented",
        "def __hash__(self):",
        f"    return hash({mine})",
    ]) + "\n"
    exec(source, namespace)  # the way `dataclasses` itself writes them
    methods = {name: namespace[name] for name in ("__init__", "__eq__", "__hash__")}
    for name, method in methods.items():
        method.__qualname__ = f"{cls.__qualname__}.{name}"
    return methods


class Severity(str, enum.Enum):
    """How bad a finding is; `--fail-on` compares against this order."""

    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"warning": 1, "error": 2}[self.value]


@record(order=True)
class Location:
    """A place in the repository. `line`/`column` are 1-based; `end_line` is inclusive."""

    path: str
    line: int = 1
    column: int = 1
    end_line: Optional[int] = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@record
class Suppression:
    """Why a finding does not count: a bypass comment, a `govsite: disable` comment or config."""

    kind: str  # "bypass" | "file" | "line" | "config" | "baseline" | "legacy"
    justification: str
    location: Optional[Location] = None


@record
class Finding:
    """One policy violation (or a suppressed one, kept so reports can show who approved what)."""

    rule: str
    name: str
    severity: Severity
    policy: Optional[int]
    location: Location
    message: str
    suppression: Optional[Suppression] = None

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.rule, self.message)


# --------------------------------------------------------------------------- migrations


@record
class HeaderField:
    """One `KEY: value` line of the metadata header (continuation lines folded into `value`)."""

    key: str
    value: str
    line: int


@record
class MetadataHeader:
    """The metadata block of a migration docstring; unknown keys are kept, not rejected."""

    fields: tuple[HeaderField, ...]
    line: int  # first line of the docstring
    malformed_lines: tuple[int, ...] = ()  # lines inside the block that are not KEY: value

    @cached_property
    def _by_key(self) -> dict[str, HeaderField]:
        by_key: dict[str, HeaderField] = {}
        for f in self.fields:
            by_key.setdefault(f.key, f)  # the first of duplicated keys wins
        return by_key

    def get(self, key: str) -> Optional[str]:
        found = self._by_key.get(key)
        return found.value if found else None

    def field(self, key: str) -> Optional[HeaderField]:
        return self._by_key.get(key)

    def as_dict(self) -> dict[str, str]:
        return {f.key: f.value for f in self.fields}


@record
class Comment:
    """A real Python comment (found with tokenize, so never text inside a string)."""

    line: int
    column: int
    text: str  # without the leading '#', stripped


@record
class Bypass:
    """A `# CI:DESTRUCTIVE_OK` comment, parsed into its parts."""

    line: int
    column: int
    text: str  # the whole comment
    adr_refs: tuple[str, ...]  # normalised "ADR-015"
    tickets: tuple[str, ...]  # matches of the configured ticket pattern
    justification: str  # remaining free text, may be empty


@record
class SqlStatement:
    """One statement of raw SQL, normalised to the same `kind` vocabulary as `op.*` calls.

    `kind` is e.g. "drop_table", "drop_column", "truncate", "drop_policy", "alter_policy",
    "disable_rls", "create_table", "create_index", "drop_index", "drop_constraint",
    "alter_column_type", "add_column", "create_policy", "enable_rls", "rename_table",
    "validate_constraint", "drop_type" (and "drop_function", "drop_procedure", "drop_view",
    "drop_schema", "drop_sequence", "drop_extension", "drop_trigger" with their "create_*"),
    "update", "insert", "delete", "do_block", "other". `dynamic` means the text is not fully
    known statically.
    """

    text: str
    kind: str
    table: Optional[str] = None
    target: Optional[str] = None
    dynamic: bool = False
    parser: str = "sqlglot"  # "sqlglot" | "pglast" | "fragment" | "none"
    error: Optional[str] = None  # why parsing failed, when it did
    if_exists: bool = False
    cascade: bool = False
    references: tuple[str, ...] = ()  # tables its FOREIGN KEY / REFERENCES clauses point at
    not_null: bool = False  # the column an ADD COLUMN adds is declared NOT NULL
    has_default: bool = False  # ... and declared with a DEFAULT
    # what the safety gate (policy 6) needs to know about how a statement locks
    concurrently: bool = False  # CREATE INDEX CONCURRENTLY
    constraint_type: Optional[str] = None  # ADD CONSTRAINT: "foreign_key", "check", "unique", ...
    not_valid: bool = False  # ADD CONSTRAINT ... NOT VALID
    using_index: bool = False  # ADD CONSTRAINT ... UNIQUE / PRIMARY KEY USING INDEX
    action: Optional[str] = None  # of an alter_column: "set_not_null", "drop_not_null", "rename", ...
    new_type: Optional[str] = None  # ALTER COLUMN ... TYPE: the new type as written
    volatile_default: bool = False  # ADD COLUMN with a volatile DEFAULT (or a serial type)


@record
class ColumnType:
    """What a column type can hold, as far as its size goes: a family and its limits."""

    family: str  # "string" | "integer" | "numeric" | "float"
    size: Optional[int] = None  # length, bytes or precision; None when unbounded
    scale: Optional[int] = 0  # digits after the point; None when unbounded


@record
class ColumnSpec:
    """A `sa.Column(...)` written in an operation's arguments, as far as it is literal."""

    name: Optional[str]  # the first argument, when it is a string
    nullable: Optional[bool] = None  # the literal `nullable=`; None when absent or not literal
    server_default: bool = False  # whether `server_default=` is given at all
    volatile_default: bool = False  # the server default calls a volatile function (random(), ...)


@record
class Operation:
    """One schema operation of a migration: an `op.*`/`batch_op.*` call or one raw SQL statement.

    `kind` uses alembic's method names ("drop_table", "add_column", ...); raw SQL statements carry
    the normalised kind of their statement. `line`..`end_line` span the whole Python statement the
    call belongs to, which is where a bypass comment may sit. `arguments` keeps the source text
    the site shows; the facts below it are what the rules read, so nothing is parsed again.
    """

    kind: str
    call: str  # as written: "op.drop_table", "batch_op.drop_column", "op.execute"
    function: str  # "upgrade" | "downgrade"
    line: int
    end_line: int
    column: int
    table: Optional[str] = None
    target: Optional[str] = None  # column / index / constraint / policy name
    arguments: tuple[tuple[str, str], ...] = ()  # (keyword or "0","1"..., source text)
    sql: Optional[SqlStatement] = None
    via_helper: Optional[str] = None  # name of the same-file helper the call sits in
    in_loop: bool = False
    conditional: bool = False
    # what the rules need from inside the arguments, read once with the file
    columns: tuple[ColumnSpec, ...] = ()  # every `sa.Column(...)`, in source order
    foreign_key: bool = False  # a `ForeignKey(...)` or `ForeignKeyConstraint(...)` among them
    references: tuple[str, ...] = ()  # tables pointed at: `ForeignKey("t.c")`, a referent_table
    type_: Optional[ColumnType] = None  # `alter_column`'s `type_=`, when it is a known type
    existing_type: Optional[ColumnType] = None  # and its `existing_type=`
    # only under these SQLAlchemy dialects (inside `if bind.dialect.name == "mysql":` and the
    # like, `else` branches included); None: under any dialect
    dialect: Optional[tuple[str, ...]] = None
    autocommit: bool = False  # inside `with op.get_context().autocommit_block():`

    def argument(self, name: str) -> Optional[str]:
        for key, value in self.arguments:
            if key == name:
                return value
        return None

    @property
    def dynamic(self) -> bool:
        return self.sql is not None and self.sql.dynamic


class DowngradeKind(str, enum.Enum):
    """What `downgrade()` does, as far as a static reader can tell."""

    REVERSIBLE = "reversible"  # has operations or other code
    EMPTY = "empty"  # only a docstring or `pass`
    RAISES = "raises"  # raises (NotImplementedError, ...)
    MISSING = "missing"  # no downgrade() at all


@record
class Migration:
    """One Alembic revision file, read statically (never imported)."""

    path: str
    revision: Optional[str]
    down_revisions: tuple[str, ...]  # empty for a root; several for a merge
    branch_labels: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    header: Optional[MetadataHeader] = None
    docstring: Optional[str] = None
    operations: tuple[Operation, ...] = ()
    comments: tuple[Comment, ...] = ()
    bypasses: tuple[Bypass, ...] = ()
    downgrade: DowngradeKind = DowngradeKind.MISSING
    revision_line: int = 1
    down_revision_line: int = 1
    upgrade_line: Optional[int] = None
    downgrade_line: Optional[int] = None
    source: str = ""  # decoded text, for the site's source view
    suppressions: tuple[tuple[str, int], ...] = ()  # (rule code, line); line 0 = whole file
    statement_spans: tuple[tuple[int, int], ...] = ()  # (first, last) line of each statement
    message: Optional[str] = None  # the docstring's first line, as `alembic revision -m` wrote it
    created: Optional[date] = None  # the day of the docstring's `Create Date:`
    environment: str = ""  # the migration environment's name; "" when the repository has one
    # the database production runs it on, as govsite.toml names it (an `alembic.ini` URL is
    # often a developer's database): PostgreSQL's safety checks judge PostgreSQL migrations only
    database: str = "postgres"

    @property
    def is_merge(self) -> bool:
        return len(self.down_revisions) > 1

    @property
    def migration_id(self) -> Optional[str]:
        return self.header.get("MIGRATION_ID") if self.header else None

    @property
    def title(self) -> Optional[str]:
        return self.header.get("TITLE") if self.header else None

    @property
    def display_title(self) -> str:
        """What pages and reviews call the migration: TITLE, else Alembic's message line, else
        the words of the file name after its revision id, else the revision id; never empty."""
        return self.title or self.message or _file_words(self.path, self.revision) or self.revision or self.path

    @property
    def risk_level(self) -> Optional[str]:
        return self.header.get("RISK_LEVEL") if self.header else None

    @property
    def forward_only(self) -> bool:
        value = self.header.get("FORWARD_ONLY") if self.header else None
        return (value or "").strip().lower() == "yes"

    def upgrade_operations(self) -> tuple[Operation, ...]:
        return self._operations_by_function.get("upgrade", ())

    def downgrade_operations(self) -> tuple[Operation, ...]:
        return self._operations_by_function.get("downgrade", ())

    @cached_property
    def _operations_by_function(self) -> dict[str, tuple[Operation, ...]]:
        """Every rule asks for the upgrade's operations; they are split once, on first use."""
        split: dict[str, list[Operation]] = {}
        for operation in self.operations:
            split.setdefault(operation.function, []).append(operation)
        return {function: tuple(ops) for function, ops in split.items()}

    def comments_between(self, first: int, last: int) -> tuple[Comment, ...]:
        return tuple(c for c in self.comments if first <= c.line <= last)


_REVISION_LIKE = re.compile(r"^(?:(?=[0-9a-f]*[0-9])[0-9a-f]{4,}|[0-9]+)(?:[_-]+|$)")


def _file_words(path: str, revision: Optional[str]) -> str:
    """`3f2a_add_users_table.py` -> "add users table": Alembic's file name without its ids."""
    stem = path.rsplit("/", 1)[-1].removesuffix(".py")
    if revision and revision in stem:
        stem = stem.split(revision, 1)[1]
    else:
        while _REVISION_LIKE.match(stem):
            stem = _REVISION_LIKE.sub("", stem, count=1)
    return re.sub(r"[_\s]+", " ", stem).strip(" -")


# --------------------------------------------------------------------------- documents


@record
class Adr:
    """An architecture decision record, in Nygard (`## Status`) or MADR (front matter) form."""

    path: str
    id: str  # normalised "ADR-015"
    number: int
    title: str
    status: Optional[str]  # normalised: Proposed, Accepted, Rejected, Deprecated, Superseded
    status_text: Optional[str] = None  # as written, e.g. "Superseded by ADR-021"
    superseded_by: tuple[str, ...] = ()
    supersedes: tuple[str, ...] = ()
    date: Optional[str] = None
    deciders: tuple[str, ...] = ()
    format: str = "nygard"  # "nygard" | "madr"
    line: int = 1  # line of the title
    status_line: Optional[int] = None
    body: str = ""  # Markdown after the title / front matter

    @property
    def accepted(self) -> bool:
        return self.status == "Accepted"


@record
class EmergencyRecord:
    """One `## Emergency Change: <date>` section of the exceptions register."""

    path: str
    line: int
    heading: str
    changed_at: Optional[datetime]  # timezone-aware UTC; date-only headings mean end of day
    incident: Optional[str] = None
    urgency: Optional[str] = None
    immediate_action: Optional[str] = None
    retroactive_update: Optional[str] = None  # PR link or text
    post_incident_review: Optional[str] = None
    migration_refs: tuple[str, ...] = ()  # MIGRATION_IDs / revision ids the record names
    part_lines: tuple[tuple[str, int], ...] = ()  # (part name, line) of the parts found

    @property
    def id(self) -> str:
        return self.incident or self.heading


@record
class PolicyDocument:
    """A policy document (runbook, change control) and the header fields of its review cycle."""

    path: str
    title: str
    version: Optional[str] = None
    date: Optional[date] = None
    status: Optional[str] = None
    next_review: Optional[date] = None
    field_lines: tuple[tuple[str, int], ...] = ()  # (field, line)

    def line_of(self, field_name: str) -> int:
        for name, line in self.field_lines:
            if name == field_name:
                return line
        return 1


@record
class CiJob:
    """A CI/CD job (GitHub Actions or GitLab CI) and the `alembic downgrade` commands it runs."""

    path: str
    name: str
    line: int
    environment: Optional[str]  # normalised lower-case name, when one could be determined
    environment_source: Optional[str] = None  # "environment", "job name", "variable"
    downgrades: tuple[Location, ...] = ()  # where `alembic downgrade` appears


# --------------------------------------------------------------------------- history


@record
class Commit:
    sha: str
    author: str
    email: str
    date: datetime  # timezone-aware
    summary: str = ""


@record
class FileHistory:
    """Who added a file and who last changed it; `None` when git does not know."""

    path: str
    added: Optional[Commit] = None  # the first addition, also of a file deleted and added again
    last_changed: Optional[Commit] = None
    added_again: Optional[Commit] = None  # the latest addition, when the file was re-added


@record
class History:
    """Git history of the repository, gathered in a constant number of git processes."""

    status: str  # "ok" | "not-a-repository" | "no-commits" | "shallow" | "unavailable"
    files: dict[str, FileHistory] = field(default_factory=dict)
    git_processes: int = 0
    head: Optional[str] = None
    problem: Optional[str] = None  # why part of the history could not be read (GOV808)
    renames: bool = True  # whether renames were followed
    partial_clone: bool = False  # a clone that fetches objects on demand: renames not followed

    def of(self, path: str) -> FileHistory:
        return self.files.get(path) or FileHistory(path)


# --------------------------------------------------------------------------- repository


@record
class Repository:
    """Everything read from one repository, plus the findings the readers themselves produced."""

    root: str
    migrations: tuple[Migration, ...] = ()
    adrs: tuple[Adr, ...] = ()
    exceptions: tuple[EmergencyRecord, ...] = ()
    exceptions_path: Optional[str] = None
    policies: tuple[PolicyDocument, ...] = ()
    ci_jobs: tuple[CiJob, ...] = ()
    history: History = field(default_factory=lambda: History(status="unavailable"))
    reader_findings: tuple[Finding, ...] = ()

    def adr(self, adr_id: str) -> Optional[Adr]:
        for a in self.adrs:
            if a.id == adr_id:
                return a
        return None
