"""Alembic migrations, read statically: never imported, never executed.

A docs build must not run a repository's code, so each revision file is compiled to an AST only
(`ast.PyCF_ONLY_AST`) and its comments are read with `tokenize`. From them come the revision
identifiers, the metadata header, every `op.*` / `batch_op.*` call and raw SQL statement of
`upgrade()` and `downgrade()` (see `migration_ops`), the bypass and suppression comments, and
what `downgrade()` amounts to. A file that cannot be read this way becomes a GOV802 finding with
its path and line; nothing here raises for anything a repository contains.

Parsing one file is a pure function of its path, its bytes and two settings, so its result can
be kept in a `ParseCache` and computed in another process: `read_migrations` reuses cached
results and parses the rest here, or in worker processes when asked to (`--jobs`).
"""

from __future__ import annotations

import ast
import bisect
import concurrent.futures
import io
import os
import tokenize
from dataclasses import replace
from pathlib import Path
from datetime import date
from typing import Callable, Optional

from ..cache import ParseCache, content_digest, content_key
from ..config import Config, ConfigError
from ..model import (
    Comment,
    DowngradeKind,
    Finding,
    Location,
    MetadataHeader,
    Migration,
    cached_property,
)
from ..catalog import finding
from .children import tie_to_parent
from .discovery import declared_database, discover, environment_dialect
from .files import OpenFolders, decode, read_bytes
from .header import (
    alembic_message,
    create_day,
    parse_alembic_docstring,
    parse_bypass,
    parse_comment_header,
    parse_header,
    parse_suppression,
    split_revisions,
)
from .migration_ops import (
    COMPOUND,
    OperationWalker,
    Resolver,
    Source,
    child_blocks,
    first_line,
    record_imports,
)

CODE = "GOV802"
MAX_MIGRATION_BYTES = 2 * 1024 * 1024  # far beyond any hand-written revision; larger is refused
MAX_CHECKED_REGION = 200  # a statement longer than this (lines) is tokenized for its comments
REVISION_NAMES = ("revision", "down_revision", "branch_labels", "depends_on")
PARSE_SETTINGS = ("ticket_pattern", "sql_dialect")  # the only Config fields a parse reads

Parsed = tuple[Optional[Migration], tuple[Finding, ...]]  # one file's result, as cached


# --------------------------------------------------------------------------- which files


def read_migrations(
    root: Path,
    config: Config,
    cache: Optional[ParseCache] = None,
    jobs: Optional[int] = None,
    between: Callable[[], object] = lambda: None,
) -> tuple[list[Migration], list[Finding]]:
    """Every migration of the repository, plus a finding for each file that could not be read
    and for what discovery found wrong (`sources.discovery`).

    Each migration environment is read with its own SQL dialect and its migrations carry its
    name. With a `cache`, a file already parsed (same bytes, path and parse settings) is not
    parsed again. The others are parsed here, or by `jobs` worker processes (`parse_many`); the
    result is the same, in the same order, either way. `between` is called after each file:
    work started elsewhere (git's answer) is followed up there, without a thread.
    """
    found = discover(root, config)
    migrations: list[Migration] = []
    findings: list[Finding] = list(found.findings)
    for environment, files in zip(found.environments, found.files):
        dialect = environment_dialect(environment, config)
        settings = config if dialect == config.sql_dialect else replace(config, sql_dialect=dialect)
        read, problems = _read_files(root, list(files), settings, cache, jobs, between)
        database = declared_database(environment, config)
        if environment.name or database != Migration.database:
            read = [replace(m, environment=environment.name, database=database) for m in read]
        migrations += read
        findings += problems
    return migrations, findings


def _read_files(
    root: Path,
    files: list[str],
    config: Config,
    cache: Optional[ParseCache],
    jobs: Optional[int],
    between: Callable[[], object],
) -> tuple[list[Migration], list[Finding]]:
    fingerprint = parse_fingerprint(config)
    results: list[Optional[Parsed]] = []
    misses: list[tuple[int, str, bytes, str]] = []  # (place in results, path, bytes, digest)
    with OpenFolders(root) as folders:
        for rel in files:
            between()
            data, problem = read_bytes(root, rel, CODE, folders=folders)
            if data is None:
                results.append((None, (problem,)))
                continue
            digest, hit = "", None
            if cache is not None:
                digest = content_digest(data)
                hit = cache.get(_key(rel, digest, fingerprint), Parsed, path=rel, digest=digest)
            if hit is None:
                misses.append((len(results), rel, data, digest))
            results.append(hit)
    parsed = parse_many([(rel, data) for _, rel, data, _ in misses], config, jobs, between)
    for (place, rel, _, digest), result in zip(misses, parsed):
        results[place] = result
        if cache is not None:
            cache.put(_key(rel, digest, fingerprint), result, path=rel, digest=digest)
    migrations = [migration for migration, _ in results if migration is not None]
    return migrations, [problem for _, problems in results for problem in problems]


def parse_fingerprint(config: Config) -> str:
    """The settings a parse depends on; a cached result is reused only under the same ones."""
    return repr(tuple((name, getattr(config, name)) for name in PARSE_SETTINGS))


def _key(rel: str, digest: str, fingerprint: str) -> str:
    return content_key("migration", rel, digest, fingerprint)


def migration_files(root: Path, config: Config) -> tuple[list[str], list[Finding]]:
    """Every revision file of every migration environment, and what discovery reported."""
    found = discover(root, config)
    files = sorted({rel for listed in found.files for rel in listed})
    return files, list(found.findings)


# --------------------------------------------------------------------------- many files

CHUNKS_PER_WORKER = 4  # a few chunks each, so one slow chunk does not leave a worker idle


def parse_many(
    items: list[tuple[str, bytes]],
    config: Config,
    jobs: Optional[int] = None,
    between: Callable[[], object] = lambda: None,
) -> list[Parsed]:
    """`parse_migration` of every (path, bytes), in order: here (calling `between` after each
    file), or in `parse_jobs(jobs)` worker processes. Workers cost their start and the sending
    of files and results, which pays only for many files on a machine with free cores, so they
    are asked for, not guessed.
    """
    workers = min(parse_jobs(jobs), len(items))
    if workers < 2:
        parsed = []
        for rel, data in items:
            parsed.append(_parsed(rel, data, config))
            between()
        return parsed
    size = -(-len(items) // (workers * CHUNKS_PER_WORKER))
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    with concurrent.futures.ProcessPoolExecutor(
        workers, initializer=tie_to_parent, initargs=(os.getpid(),)
    ) as executor:
        futures = [executor.submit(_parse_chunk, chunk, config) for chunk in chunks]
        return [result for future in futures for result in future.result()]


def parse_jobs(jobs: Optional[int] = None) -> int:
    """The number of parsing processes: `jobs`, else $GOVSITE_JOBS, else 1 (this process)."""
    if jobs is not None:
        if jobs < 1:
            raise ConfigError(f"the number of parsing processes (--jobs) must be 1 or more, not {jobs}")
        return jobs
    value = os.environ.get("GOVSITE_JOBS", "").strip()
    if not value:
        return 1
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"GOVSITE_JOBS must be a number of parsing processes (1 or more), not {value!r}")
    return int(value)


def _parse_chunk(chunk: list[tuple[str, bytes]], config: Config) -> list[Parsed]:
    return [_parsed(rel, data, config) for rel, data in chunk]


def _parsed(rel: str, data: bytes, config: Config) -> Parsed:
    migration, findings = parse_migration(rel, data, config)
    return migration, tuple(findings)


# --------------------------------------------------------------------------- one file


def parse_migration(
    rel: str, data: bytes, config: Config, dialect: Optional[str] = None
) -> tuple[Optional[Migration], list[Finding]]:
    """Read one revision file from its bytes; never raises.

    A pure function of `rel`, `data`, `dialect` and the `PARSE_SETTINGS` of `config` (which is
    what lets its results be cached and computed in other processes). `dialect` is the SQL
    dialect of the file's migration environment, `sql_dialect` when not given.
    """
    try:
        return _parse(rel, data, config, dialect)
    except (RecursionError, MemoryError):
        return None, [finding(CODE, Location(rel), "too deeply nested to read statically")]
    except Exception as exc:  # a reader bug must not hide the other files' findings
        return None, [finding(CODE, Location(rel), f"could not be read statically: {type(exc).__name__}: {exc}")]


def _parse(rel: str, data: bytes, config: Config, dialect: Optional[str] = None) -> tuple[Optional[Migration], list[Finding]]:
    if len(data) > MAX_MIGRATION_BYTES:
        message = f"file is {len(data)} bytes, more than the {MAX_MIGRATION_BYTES} a migration may have; not read"
        return None, [finding(CODE, Location(rel), message)]
    text, problem = _decode(rel, data)
    if text is None:
        return None, [problem]
    tree, problem = _compile(rel, text)
    if tree is None:
        return None, [problem]
    return _MigrationReader(rel, text, tree, config, dialect or config.sql_dialect).read()


def _decode(rel: str, data: bytes) -> tuple[Optional[str], Optional[Finding]]:
    text, problem = decode(rel, data, CODE)
    if text is None:
        return None, problem
    if not text or text.isspace():
        return None, finding(CODE, Location(rel), "empty file, not a migration (no revision identifier)")
    return text, None


def _compile(rel: str, text: str) -> tuple[Optional[ast.Module], Optional[Finding]]:
    try:
        return compile(text, rel, "exec", ast.PyCF_ONLY_AST), None
    except SyntaxError as exc:
        where = Location(rel, exc.lineno or 1, max(exc.offset or 1, 1))
        return None, finding(CODE, where, f"Python syntax error: {exc.msg}")
    except (RecursionError, MemoryError) as exc:
        message = f"nested too deeply for Python's parser ({type(exc).__name__}); not read"
        return None, finding(CODE, Location(rel, _largest_statement_line(text)), message)
    except ValueError as exc:
        return None, finding(CODE, Location(rel), f"cannot be parsed: {str(exc) or type(exc).__name__}")


_NOT_COUNTED = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT})


def _largest_statement_line(text: str) -> int:
    """The first line of the statement with the most tokens.

    A parser that gives up on nesting (RecursionError, MemoryError) says nowhere where; a
    10,000-long operator chain or bracket nest is by far the largest statement of its file, so
    that is the line to show.
    """
    best_line, best_count = 1, 0
    start, count = 1, 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in _NOT_COUNTED:
                continue
            if count == 0:
                start = token.start[0]
            count += 1
            if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                if count > best_count:
                    best_line, best_count = start, count
                count = 0
    except (tokenize.TokenError, SyntaxError, RecursionError, MemoryError):
        pass  # the statement being read when tokenizing failed is counted below
    return start if count > best_count else best_line


class _MigrationReader:
    """Everything read from one parsed file; `read()` assembles the Migration."""

    def __init__(self, rel: str, text: str, tree: ast.Module, config: Config, dialect: str):
        self.rel = rel
        self.dialect = dialect  # raw SQL outside dialect branches is read in this one
        self.source = Source(text)
        self.tree = tree
        self.config = config
        self.findings: list[Finding] = []
        self.assignments: dict[str, ast.AST] = {}
        self.funcs: dict[str, ast.AST] = {}
        self.external: dict[str, str] = {}
        self.op_names = {"op"}
        self.env: dict = {}
        self.docstring, self.docstring_line = self._docstring()

    def read(self) -> tuple[Optional[Migration], list[Finding]]:
        self._scan_module()
        docstring, docstring_line = self.docstring, self.docstring_line
        revision, revision_line = self._revision()
        if revision is None:
            message = "no revision identifier (no `revision = \"...\"` assignment); not read as a migration"
            self.findings.append(finding(CODE, Location(self.rel), message))
            return None, self.findings
        down, down_line = self._down_revisions(revision_line)
        comments = CommentReader(self.source, self.tree).comments()
        header = parse_header(docstring, docstring_line) if docstring else None
        if header is None:
            header = self._comment_header(comments)
            if header is not None:
                docstring = None  # the header came from comments: rules tell by `docstring is None`
        operations, spans = self._operations()
        upgrade, downgrade = self.funcs.get("upgrade"), self.funcs.get("downgrade")
        migration = Migration(
            path=self.rel,
            revision=revision,
            down_revisions=down,
            branch_labels=self._identifiers("branch_labels"),
            depends_on=self._identifiers("depends_on"),
            header=header,
            docstring=docstring,
            operations=operations,
            comments=tuple(comments),
            bypasses=tuple(b for b in (parse_bypass(c, self.config.ticket_pattern) for c in comments) if b),
            downgrade=downgrade_kind(downgrade),
            revision_line=revision_line,
            down_revision_line=down_line,
            upgrade_line=upgrade.lineno if upgrade else None,
            downgrade_line=downgrade.lineno if downgrade else None,
            source=self.source.text,
            suppressions=self._suppressions(comments),
            statement_spans=spans,
            message=alembic_message(self.docstring) if self.docstring else None,
            created=self._created(),
        )
        return migration, self.findings

    # ---- module level

    def _scan_module(self) -> None:
        """Imports, module constants, functions and the revision assignments, in one pass."""
        resolver = self.resolver = Resolver(self.op_names)
        stack = [(stmt, True) for stmt in reversed(self.tree.body)]
        while stack:
            stmt, top_level = stack.pop()
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.funcs[stmt.name] = stmt
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self._imports(stmt)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        self._constant(target.id, stmt, resolver, top_level)
            elif isinstance(stmt, (ast.If, ast.Try)) or type(stmt).__name__ == "TryStar":
                stack.extend((child, False) for child in reversed(child_blocks(stmt)))

    def _imports(self, stmt: ast.AST) -> None:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "alembic" and not stmt.level:
            for alias in stmt.names:
                if alias.name == "op":
                    self.op_names.add(alias.asname or "op")
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.name == "alembic":
                    self.op_names.add(f"{alias.asname or 'alembic'}.op")
                elif alias.name == "alembic.op":
                    self.op_names.add(alias.asname or "alembic.op")
        record_imports(stmt, self.external)

    def _constant(self, name: str, stmt: ast.AST, resolver: Resolver, top_level: bool) -> None:
        if name in REVISION_NAMES and top_level:
            self.assignments[name] = stmt
        value = resolver.value(stmt.value, self.env)
        if value is None:
            self.env.pop(name, None)
        else:
            self.env[name] = value

    def _docstring(self) -> tuple[Optional[str], int]:
        body = self.tree.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            if isinstance(body[0].value.value, str):
                return body[0].value.value, body[0].lineno
        return None, 1

    # ---- revision identifiers

    @cached_property
    def _alembic_docstring(self) -> dict[str, tuple[str, int]]:
        """The `Revision ID:` / `Revises:` lines: a fallback read only when assignments lack."""
        if not self.docstring:
            return {}
        return parse_alembic_docstring(self.docstring, self.docstring_line)

    def _created(self) -> Optional[date]:
        """The day of the docstring's `Create Date:`, for files git cannot date."""
        value = self._alembic_docstring.get("Create Date")
        return create_day(value[0]) if value else None

    def _revision(self) -> tuple[Optional[str], int]:
        stmt = self.assignments.get("revision")
        if stmt is not None:
            value = stmt.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value.strip():
                return value.value.strip(), stmt.lineno
            self._not_literal("revision", stmt, "a non-empty string")
        alembic_doc = self._alembic_docstring
        if "Revision ID" in alembic_doc and alembic_doc["Revision ID"][0]:
            value, line = alembic_doc["Revision ID"]
            return value, line
        return None, 1

    def _down_revisions(self, revision_line: int) -> tuple[tuple[str, ...], int]:
        stmt = self.assignments.get("down_revision")
        if stmt is not None:
            ids = literal_identifiers(stmt.value)
            if ids is not None:
                return ids, stmt.lineno
            self._not_literal("down_revision", stmt, "a string, a tuple or list of strings, or None")
        if "Revises" in self._alembic_docstring:
            value, line = self._alembic_docstring["Revises"]
            return split_revisions(value), line
        if stmt is None:
            message = "no down_revision assignment; read as a root revision"
            self.findings.append(finding(CODE, Location(self.rel, revision_line), message))
        return (), stmt.lineno if stmt is not None else revision_line

    def _identifiers(self, name: str) -> tuple[str, ...]:
        stmt = self.assignments.get(name)
        if stmt is None:
            return ()
        ids = literal_identifiers(stmt.value)
        if ids is None:
            self._not_literal(name, stmt, "a string, a tuple or list of strings, or None")
            return ()
        return ids

    def _not_literal(self, name: str, stmt: ast.AST, expected: str) -> None:
        where = Location(self.rel, stmt.lineno, stmt.col_offset + 1)
        message = f"`{name}` must be {expected} written literally; it cannot be read without running the file"
        self.findings.append(finding(CODE, where, message))

    # ---- header, comments, operations

    def _comment_header(self, comments: list[Comment]) -> Optional[MetadataHeader]:
        """A header written in `#` comments above the code (kept so rules can still read it)."""
        code = self.tree.body[1:] if self.docstring is not None else self.tree.body
        limit = first_line(code[0]) if code else len(self.source.lines) + 1
        lines = []
        for comment in comments:
            if comment.line >= limit:
                break
            raw = self.source.lines[comment.line - 1]
            if raw[: comment.column - 1].strip():
                continue
            lines.append((comment.line, raw[comment.column :].rstrip()))
        return parse_comment_header(lines)

    def _operations(self):
        walker = OperationWalker(
            self.source, self.resolver, self.env, self.funcs, self.external, self.dialect
        )
        for name in ("upgrade", "downgrade"):
            fdef = self.funcs.get(name)
            if fdef is not None:
                walker.walk_function(name, fdef)
        for line, reason in sorted(walker.result.unreadable.items()):
            message = f"statement could not be read statically ({reason}); the rest of the file was read"
            self.findings.append(finding(CODE, Location(self.rel, line), message))
        operations = tuple(dict.fromkeys(walker.result.operations))
        return operations, tuple(sorted(walker.result.spans))

    def _suppressions(self, comments: list[Comment]) -> tuple[tuple[str, int], ...]:
        """`# govsite: disable=CODE` alone on a line covers the file (line 0), else its line."""
        found = []
        for comment in comments:
            codes = parse_suppression(comment.text)
            if not codes:
                continue
            alone = not self.source.lines[comment.line - 1][: comment.column - 1].strip()
            found.extend((code, 0 if alone else comment.line) for code in codes)
        return tuple(dict.fromkeys(found))


def literal_identifiers(node: ast.AST) -> Optional[tuple[str, ...]]:
    """("a", "b") from `"a"`, `("a", "b")`, `["a", "b"]`; () from None; None if not literal."""
    if isinstance(node, ast.Constant):
        if node.value is None:
            return ()
        if isinstance(node.value, str):
            return (node.value.strip(),) if node.value.strip() else ()
        return None
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        values = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return tuple(values) if len(values) == len(node.elts) else None
    return None


def downgrade_kind(fdef: Optional[ast.AST]) -> DowngradeKind:
    """MISSING, EMPTY (docstring / pass / ... only), RAISES (first real statement raises) or not."""
    if fdef is None:
        return DowngradeKind.MISSING
    body = [s for s in fdef.body if not _is_no_op(s)]
    if not body:
        return DowngradeKind.EMPTY
    if isinstance(body[0], ast.Raise):
        return DowngradeKind.RAISES
    return DowngradeKind.REVERSIBLE


def _is_no_op(stmt: ast.AST) -> bool:
    return isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))


# --------------------------------------------------------------------------- comments


class CommentReader:
    """The file's real comments, found without tokenizing the whole file.

    Tokenizing a file costs several times its `ast.parse`. A `#` can only be inside a string if
    the string belongs to a statement, so the AST tells which statement a line belongs to: lines
    between statements hold only comments, a `#` with no quote before it in its statement starts
    a comment, and otherwise the statement's string literals say whether the `#` lies inside one.
    Only when a string spanning several lines covers the `#` (triple quotes, or implicitly joined
    pieces with comments between them) is that one statement tokenized.
    """

    def __init__(self, source: Source, tree: ast.Module):
        self.source = source
        self.tree = tree
        self._children: dict[int, tuple[list, list[int]]] = {}
        self._quote_lines: dict[int, Optional[int]] = {}
        self._whole_file: Optional[list[Comment]] = None

    def comments(self) -> list[Comment]:
        found: list[Comment] = []
        if "#" not in self.source.text:  # most migrations: no comment, nothing to look at
            return found
        done_until = 0
        for number, line in enumerate(self.source.lines, 1):
            if number <= done_until or "#" not in line:
                continue
            located = self._locate(number)
            if located is None:
                column = line.index("#")
            else:
                column = self._comment_column(line, number, *located)
            if column is _AMBIGUOUS:
                found.extend(c for c in self._tokenize(located[1], located[2]) if c.line >= number)
                done_until = located[2]
            elif column is not None:
                found.append(Comment(number, column + 1, line[column + 1 :].strip()))
        return found

    def _comment_column(self, line: str, number: int, stmt: ast.AST, first: int, last: int, simple: bool):
        """Index of the `#` that starts this line's comment, None if none does, or _AMBIGUOUS."""
        quote_line = self._first_quote_line(first, last)
        earlier_quote = quote_line is not None and quote_line < number
        index = line.find("#")
        while index >= 0:
            if not earlier_quote and not _has_quote(line, index):
                return index
            if not simple or last - first > MAX_CHECKED_REGION:
                return _AMBIGUOUS  # tokenizing once is cheaper than many checks of a long statement
            cover = self._string_cover(stmt, number, self._byte_column(line, index))
            if cover is None:
                return index
            if cover == "multi":
                return _AMBIGUOUS
            index = line.find("#", index + 1)
        return None

    def _first_quote_line(self, first: int, last: int) -> Optional[int]:
        """The first line of a statement holding a quote character (once per statement)."""
        if first not in self._quote_lines:
            lines = self.source.lines
            self._quote_lines[first] = next(
                (n for n in range(first, last + 1) if "'" in lines[n - 1] or '"' in lines[n - 1]), None
            )
        return self._quote_lines[first]

    def _byte_column(self, line: str, index: int) -> int:
        return index if self.source.ascii else len(line[:index].encode("utf-8"))

    @staticmethod
    def _string_cover(stmt: ast.AST, number: int, column: int) -> Optional[str]:
        """"single"/"multi" when a string literal of `stmt` covers (line, byte column), else None."""
        stack = [stmt]
        while stack:
            for child in ast.iter_child_nodes(stack.pop()):
                lineno = getattr(child, "lineno", None)
                if lineno is not None and not lineno <= number <= child.end_lineno:
                    continue
                if isinstance(child, ast.JoinedStr) or (
                    isinstance(child, ast.Constant) and isinstance(child.value, (str, bytes))
                ):
                    if (lineno, child.col_offset) <= (number, column) < (child.end_lineno, child.end_col_offset):
                        return "single" if lineno == child.end_lineno else "multi"
                    continue
                stack.append(child)
        return None

    def _blocks(self, owner: Optional[ast.AST]) -> tuple[list, list[int]]:
        key = id(owner)
        cached = self._children.get(key)
        if cached is None:
            statements = self.tree.body if owner is None else child_blocks(owner)
            cached = (statements, [first_line(s) for s in statements])
            self._children[key] = cached
        return cached

    def _locate(self, number: int) -> Optional[tuple[ast.AST, int, int, bool]]:
        """(statement, first, last line, simple?) of the statement or block header holding
        line `number`; None between statements."""
        owner = None
        while True:
            statements, firsts = self._blocks(owner)
            index = bisect.bisect_right(firsts, number) - 1
            if index < 0:
                return None
            stmt = statements[index]
            if (stmt.end_lineno or stmt.lineno) < number:
                return None
            if not isinstance(stmt, COMPOUND):
                return stmt, first_line(stmt), stmt.end_lineno or stmt.lineno, True
            children, child_firsts = self._blocks(stmt)
            if not children or number < child_firsts[0]:
                return stmt, first_line(stmt), (child_firsts[0] - 1 if children else stmt.end_lineno), False
            owner = stmt

    def _tokenize(self, first: int, last: int) -> list[Comment]:
        text = "\n".join(self.source.lines[first - 1 : last]) + "\n"
        try:
            return [
                Comment(first + token.start[0] - 1, token.start[1] + 1, token.string[1:].strip())
                for token in tokenize.generate_tokens(io.StringIO(text).readline)
                if token.type == tokenize.COMMENT
            ]
        except (tokenize.TokenError, SyntaxError):
            return [c for c in self._all() if first <= c.line <= last]

    def _all(self) -> list[Comment]:
        if self._whole_file is None:
            found = []
            try:
                for token in tokenize.generate_tokens(io.StringIO(self.source.text).readline):
                    if token.type == tokenize.COMMENT:
                        found.append(Comment(token.start[0], token.start[1] + 1, token.string[1:].strip()))
            except (tokenize.TokenError, SyntaxError):
                pass
            self._whole_file = found
        return self._whole_file


_AMBIGUOUS = object()


def _has_quote(line: str, end: int) -> bool:
    head = line[:end]
    return "'" in head or '"' in head
