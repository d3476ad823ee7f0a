"""Alembic migrations, read statically: never imported, never executed.

A docs build must not run a repository's code, so each revision file is compiled to an AST only
(`ast.PyCF_ONLY_AST`) and its comments are read with `tokenize`. From them come the revision
identifiers, the metadata header, every `op.*` / `batch_op.*` call and raw SQL statement of
`upgrade()` and `downgrade()` (see `migration_ops`), the bypass and suppression comments, and
what `downgrade()` amounts to. A file that cannot be read this way becomes a GOV802 finding with
its path and line; nothing here raises for anything a repository contains.

Parsing one file is a pure function of its path, its bytes and two settings, so its result can
be kept in a `ParseCache` and computed in another process: `read_migrations` reuses cached
results and, on machines with enough cores, parses the rest in forked worker processes.
"""

from __future__ import annotations

import ast
import bisect
import concurrent.futures
import configparser
import functools
import io
import multiprocessing
import os
import pickle
import posixpath
import re
import threading
import tokenize
from pathlib import Path
from typing import Optional

from ..cache import ParseCache, content_key, gc_paused, keep_from_collector
from ..config import Config
from ..model import (
    Comment,
    DowngradeKind,
    Finding,
    Location,
    MetadataHeader,
    Migration,
)
from ..catalog import finding
from ..paths import inside
from .files import decode, find_files, left_to_report, read_bytes, read_text
from .header import (
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
DEFAULT_LOCATION = "alembic"
REVISION_NAMES = ("revision", "down_revision", "branch_labels", "depends_on")
PARSE_SETTINGS = ("ticket_pattern", "sql_dialect")  # the only Config fields a parse reads

Parsed = tuple[Optional[Migration], tuple[Finding, ...]]  # one file's result, as cached


# --------------------------------------------------------------------------- which files


def read_migrations(
    root: Path,
    config: Config,
    cache: Optional[ParseCache] = None,
    jobs: Optional[int] = None,
) -> tuple[list[Migration], list[Finding]]:
    """Every migration of the repository, plus a finding for each file that could not be read.

    With a `cache`, a file already parsed (same bytes, path and parse settings) is not parsed
    again, and one whose size and mtime are unchanged is not even read. The files left to parse
    are spread over worker processes when there are many (`parse_workers`); the result is the
    same, in the same order, either way.
    """
    with gc_paused():
        result = start_reading_migrations(root, config, cache, jobs).result()
        keep_from_collector()  # as load_repository does: long-lived, acyclic
    return result


def start_reading_migrations(
    root: Path,
    config: Config,
    cache: Optional[ParseCache] = None,
    jobs: Optional[int] = None,
) -> "MigrationReading":
    """Read every migration file and hand the ones to parse to workers; `.result()` collects.

    Between the two the caller is free to do other work (read the other inputs, walk git
    history) while the workers parse.
    """
    reading = MigrationReading(root, config, cache, jobs)
    reading.start_workers()
    reading.read_all()
    return reading


class MigrationReading:
    """One pass over the migration files: results the cache already has, and parses under way."""

    def __init__(self, root: Path, config: Config, cache: Optional[ParseCache], jobs: Optional[int]):
        self.root = root
        self.config = config
        self.cache = cache
        self.fingerprint = parse_fingerprint(config)
        self.files, self.findings = migration_files(root, config)
        self.workers = parse_workers(len(self.files), jobs)
        self.explicit = jobs is not None or _jobs_from_environment() is not None
        self.chunk = max(MIN_CHUNK, min(MAX_CHUNK, len(self.files) // (self.workers * CHUNKS_PER_WORKER)))
        self.results: list[Optional[Parsed]] = []  # None: among `pending`, in the same order
        self.pending: list[tuple[str, bytes, Optional[str], Optional[os.stat_result]]] = []
        self.pool: Optional[_ParsePool] = None
        self.submitted = 0

    def start_workers(self) -> None:
        """Fork the parsing workers now, if there will be any (before the caller starts threads).

        With a cache that holds results, most files will not need a parse: workers are then
        only started later, if enough files turn out to need one and no thread runs by then.
        """
        warm = self.cache is not None and bool(self.cache.entries)
        if self.workers > 1 and self.pool is None and not warm and threading.active_count() == 1:
            self.pool = _ParsePool(self.config, self.workers)
            self.pool.start()

    def read_all(self) -> None:
        for rel in self.files:
            self.look_up(rel)

    def look_up(self, rel: str) -> None:
        """Take `rel`'s result from the cache, or read it and queue it for parsing."""
        cache = self.cache
        stat = _stat(self.root, rel) if cache is not None else None  # before reading: see remember_stat
        if stat is not None and (hit := cache.lookup_stat(self.root, rel, stat)) is not None:
            self.results.append(hit)
            return
        data, problem = read_bytes(self.root, rel, CODE)
        if data is None:
            self.results.append((None, (problem,)))
            return
        key = content_key("migration", rel, data, self.fingerprint) if cache is not None else None
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            if stat is not None:
                cache.remember_stat(self.root, rel, stat, key)
            self.results.append(hit)
            return
        self.results.append(None)
        self.pending.append((rel, data, key, stat))
        self._submit_if_due()

    def _submit_if_due(self) -> None:
        """Hand a full chunk to the workers, starting them once there is enough work for them."""
        if self.workers < 2:
            return
        waiting = len(self.pending) - self.submitted
        threshold = self.chunk if self.pool is not None or self.explicit else MIN_PARALLEL_FILES
        if waiting >= max(threshold, self.chunk):
            self._submit(waiting)

    def _submit(self, count: int) -> None:
        if self.pool is None:
            if threading.active_count() > 1:  # threads started since: forking is no longer safe
                self.workers = 1
                return
            self.pool = _ParsePool(self.config, self.workers)
        for start in range(self.submitted, self.submitted + count, self.chunk):
            end = min(start + self.chunk, self.submitted + count)
            self.pool.submit([(rel, data) for rel, data, _, _ in self.pending[start:end]])
        self.submitted += count

    def result(self) -> tuple[list[Migration], list[Finding]]:
        """The migrations in file order and every reader finding; waits for the workers."""
        parsed = iter(self._parse_pending())
        migrations: list[Migration] = []
        findings = list(self.findings)
        for result in self.results:
            migration, problems = result if result is not None else next(parsed)
            findings.extend(problems)
            if migration is not None:
                migrations.append(migration)
        return migrations, findings

    def _parse_pending(self) -> list[Parsed]:
        """Parse what is left (in workers if they are running), then store it in the cache."""
        waiting = len(self.pending) - self.submitted
        if waiting and self.workers > 1 and (self.pool is not None or self.explicit):
            self._submit(waiting)
        with gc_paused():
            done = self.pool.results() if self.pool is not None else []  # parsed in workers
            done += [_parsed(rel, data, self.config) for rel, data, _, _ in self.pending[len(done) :]]
        if self.cache is not None:
            for (rel, _, key, stat), result in zip(self.pending, done):
                self.cache.put(key, result)
                if stat is not None:
                    self.cache.remember_stat(self.root, rel, stat, key)
        return done


def parse_fingerprint(config: Config) -> str:
    """The settings a parse depends on; a cached result is reused only under the same ones."""
    return repr(tuple((name, getattr(config, name)) for name in PARSE_SETTINGS))


def _stat(root: Path, rel: str) -> Optional[os.stat_result]:
    try:
        return os.stat(root / rel)
    except (OSError, ValueError):
        return None


def migration_files(root: Path, config: Config) -> tuple[list[str], list[Finding]]:
    """Revision files: configured globs or directories, else alembic.ini's locations."""
    findings: list[Finding] = []
    if config.migrations:
        patterns = [_as_pattern(p) for p in config.migrations]
    else:
        directories, findings = _alembic_ini_directories(root)
        patterns = [f"{d}/*.py" for d in directories]
    files = [rel for rel in find_files(root, patterns) if _revision_file(root, rel)]
    return files, findings


def _revision_file(root: Path, rel: str) -> bool:
    """A `.py` file other than `__init__.py`, or a path found only to be reported (a folder
    linked outside the repository), which reading turns into a finding."""
    return (rel.endswith(".py") and not rel.endswith("__init__.py")) or left_to_report(root, rel)


def _as_pattern(entry: str) -> str:
    """A configured entry may be a glob, a single file or a directory of revisions."""
    if any(ch in entry for ch in "*?[") or entry.endswith(".py"):
        return entry
    return f"{entry.rstrip('/')}/*.py"


def _alembic_ini_directories(root: Path) -> tuple[list[str], list[Finding]]:
    """`version_locations`, else `<script_location>/versions`, of every section of alembic.ini."""
    default = [f"{DEFAULT_LOCATION}/versions"]
    if not (root / "alembic.ini").is_file():
        return default, []
    ini, problem = read_text(root, "alembic.ini", CODE)
    if ini is None:
        return default, [problem]
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(ini.text, source="alembic.ini")
    except configparser.Error as exc:
        line = getattr(exc, "lineno", None) or 1
        return default, [finding(CODE, Location("alembic.ini", line), f"cannot read alembic.ini: {exc.message}")]
    directories: list[str] = []
    findings: list[Finding] = []
    for section in parser.sections():
        for directory, option in _section_directories(parser, section):
            relative = _inside_repository(directory)
            where = Location("alembic.ini", _option_line(ini.text, section, option))
            if relative is None:
                message = f"migration directory '{directory}' is outside the repository; not read"
                findings.append(finding(CODE, where, message))
            elif inside(root, root / relative) and not (root / relative).is_dir():
                findings.append(finding(CODE, where, f"migration directory '{relative}' does not exist"))
            elif relative not in directories:  # a folder linked outside: reported where the link is
                directories.append(relative)
    if not directories and not findings:
        return default, []
    return directories, findings


def _section_directories(parser: configparser.RawConfigParser, section: str) -> list[tuple[str, str]]:
    """(directory, option it came from) for one section; `%(here)s` is the repository root."""
    def option(name: str) -> Optional[str]:
        value = parser.get(section, name, fallback=None)
        return value.replace("%(here)s", ".").replace("%%", "%").strip() if value else None

    locations = option("version_locations")
    if locations:
        separator = {"os": ":", "colon": ":", "semicolon": ";", "comma": ",", "newline": "\n"}
        chosen = separator.get((option("version_path_separator") or "").lower())
        parts = locations.split(chosen) if chosen else re.split(r"[,\s]+", locations)
        return [(p.strip(), "version_locations") for p in parts if p.strip()]
    script = option("script_location")
    if not script:
        return []
    return [(script.replace(":", "/") + "/versions", "script_location")]


def _inside_repository(directory: str) -> Optional[str]:
    """The directory relative to the root, or None when it is absolute or climbs out."""
    normal = posixpath.normpath(directory.replace("\\", "/"))
    if normal.startswith("/") or normal == ".." or normal.startswith("../"):
        return None
    return normal


def _option_line(text: str, section: str, option: str) -> int:
    """The line of `option` inside `[section]` of an INI text (1 when it cannot be found)."""
    in_section = False
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_section = stripped == f"[{section}]"
        elif in_section and re.match(rf"{re.escape(option)}\s*[=:]", stripped):
            return number
    return 1


# --------------------------------------------------------------------------- many files

MIN_PARALLEL_FILES = 200  # below this, starting worker processes costs more than it saves
# Workers spend about half as much CPU again as parsing in process (sending files and results
# both ways, copy-on-write faults as they warm up), while the parent reads files and walks git
# history beside them. Measured on two cores (benchmarks/run.py) that overhead ate the whole
# gain, so by default the pool is used only from four cores up.
MIN_PARALLEL_CORES = 4
CHUNKS_PER_WORKER = 4  # a few chunks each, so one slow chunk does not leave a core idle
MIN_CHUNK, MAX_CHUNK = 8, 64  # files per chunk: workers start on the first while files are read


def parse_many(items: list[tuple[str, bytes]], config: Config, jobs: Optional[int] = None) -> list[Parsed]:
    """`parse_migration` of every (path, bytes), in order: in worker processes when it pays."""
    workers = parse_workers(len(items), jobs)
    if workers < 2:
        with gc_paused():
            return [_parsed(rel, data, config) for rel, data in items]
    return _parse_in_pool(items, config, workers)


def parse_workers(files: int, jobs: Optional[int] = None) -> int:
    """How many processes parse `files` files: `jobs`, else $GOVSITE_JOBS, else the free cores
    (from `MIN_PARALLEL_CORES` and `MIN_PARALLEL_FILES` up; one process below).

    Workers are forked, which is only safe in a process running a single thread (a thread
    holding a lock at the moment of the fork would leave that lock held forever in the child),
    and only exists on POSIX; elsewhere, and for small repositories, parsing stays here.
    """
    if jobs is None:
        jobs = _jobs_from_environment()
    if jobs is None:
        cores = _available_cores()
        if files < MIN_PARALLEL_FILES or cores < MIN_PARALLEL_CORES:
            return 1
        jobs = cores
    jobs = max(1, min(jobs, files))
    if jobs > 1 and ("fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1):
        return 1
    return jobs


def _jobs_from_environment() -> Optional[int]:
    value = os.environ.get("GOVSITE_JOBS", "").strip().lower()
    if value in ("", "auto", "0"):
        return None
    try:
        return max(1, int(value))
    except ValueError:
        return None


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _parse_in_pool(items: list[tuple[str, bytes]], config: Config, workers: int) -> list[Parsed]:
    size = max(1, -(-len(items) // (workers * CHUNKS_PER_WORKER)))
    pool = _ParsePool(config, workers)
    for start in range(0, len(items), size):
        pool.submit(items[start : start + size])
    with gc_paused():
        return pool.results()


class _ParsePool:
    """Chunks of files parsed by forked workers while the caller goes on with other work.

    Parsing is pure CPU work on independent files; forked workers inherit the loaded modules,
    so they start in milliseconds. A chunk the pool could not parse (no process could be
    started, a worker died) is parsed here instead: the results are the same either way.
    """

    def __init__(self, config: Config, workers: int):
        self.config = config
        self.chunks: list[tuple[list[tuple[str, bytes]], Optional[concurrent.futures.Future]]] = []
        self.broken = False
        try:
            context = multiprocessing.get_context("fork")
            self.executor: Optional[concurrent.futures.Executor] = concurrent.futures.ProcessPoolExecutor(
                workers, mp_context=context
            )
        except Exception:  # no pool to be had here: every chunk is parsed in this process
            self.executor = None

    def start(self) -> None:
        """Fork the workers now (a pool forks them when it gets its first task)."""
        if self.executor is not None:
            try:
                self.executor.submit(int).result()
            except Exception:  # fork refused (resources, a daemonic caller): parse here
                self.executor.shutdown(wait=False, cancel_futures=True)
                self.executor = None

    def submit(self, chunk: list[tuple[str, bytes]]) -> None:
        future = None
        if self.executor is not None and not self.broken:
            try:
                future = self.executor.submit(_parse_chunk, chunk, self.config)
            except Exception:  # fork failed or the pool broke: parse the rest here
                self.broken = True
        self.chunks.append((chunk, future))

    def results(self) -> list[Parsed]:
        """Every chunk's results, in the order submitted."""
        done: list[Parsed] = []
        try:
            for chunk, future in self.chunks:
                done.extend(self._chunk_result(chunk, future))
        finally:
            if self.executor is not None:
                self.executor.shutdown(cancel_futures=True)
        return done

    def _chunk_result(self, chunk, future) -> list[Parsed]:
        if future is not None:
            try:
                return future.result()
            except (OSError, concurrent.futures.BrokenExecutor, pickle.PickleError):
                pass  # a worker died or its result could not be sent back
        return _parse_chunk(chunk, self.config)


def _parse_chunk(chunk: list[tuple[str, bytes]], config: Config) -> list[Parsed]:
    with gc_paused():
        return [_parsed(rel, data, config) for rel, data in chunk]


def _parsed(rel: str, data: bytes, config: Config) -> Parsed:
    migration, findings = parse_migration(rel, data, config)
    return migration, tuple(findings)


# --------------------------------------------------------------------------- one file


def parse_migration(rel: str, data: bytes, config: Config) -> tuple[Optional[Migration], list[Finding]]:
    """Read one revision file from its bytes; never raises.

    A pure function of `rel`, `data` and the `PARSE_SETTINGS` of `config` (which is what lets
    its results be cached and computed in other processes).
    """
    try:
        return _parse(rel, data, config)
    except (RecursionError, MemoryError):
        return None, [finding(CODE, Location(rel), "too deeply nested to read statically")]
    except Exception as exc:  # a reader bug must not hide the other files' findings
        return None, [finding(CODE, Location(rel), f"could not be read statically: {type(exc).__name__}: {exc}")]


def _parse(rel: str, data: bytes, config: Config) -> tuple[Optional[Migration], list[Finding]]:
    if len(data) > MAX_MIGRATION_BYTES:
        message = f"file is {len(data)} bytes, more than the {MAX_MIGRATION_BYTES} a migration may have; not read"
        return None, [finding(CODE, Location(rel), message)]
    text, problem = _decode(rel, data)
    if text is None:
        return None, [problem]
    tree, problem = _compile(rel, text)
    if tree is None:
        return None, [problem]
    return _MigrationReader(rel, text, tree, config).read()


def _decode(rel: str, data: bytes) -> tuple[Optional[str], Optional[Finding]]:
    text, problem = decode(rel, data, CODE)
    if text is None:
        return None, problem
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return None, finding(CODE, Location(rel, line), "contains a NUL byte; not a Python source file")
    if not text.strip():
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

    def __init__(self, rel: str, text: str, tree: ast.Module, config: Config):
        self.rel = rel
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

    @functools.cached_property
    def _alembic_docstring(self) -> dict[str, tuple[str, int]]:
        """The `Revision ID:` / `Revises:` lines: a fallback read only when assignments lack."""
        if not self.docstring:
            return {}
        return parse_alembic_docstring(self.docstring, self.docstring_line)

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
            self.source, self.resolver, self.env, self.funcs, self.external, self.config.sql_dialect
        )
        for name in ("upgrade", "downgrade"):
            fdef = self.funcs.get(name)
            if fdef is not None:
                walker.walk_function(name, fdef)
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
